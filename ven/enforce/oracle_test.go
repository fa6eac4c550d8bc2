package enforce

import "github.com/remora-sec/remora/ven/wire"

// outcome is what should happen to a packet: accepted or dropped, and the
// named counter it adds to.
type outcome struct {
	Accept bool
	Tally  tally
}

// expect is the specification every test checks against: the decision of
// wire.Document.Match, read through the document's mode, for a packet that
// no exemption covers.
//
//	mode             override_deny/deny     allow   no match (default)
//	visibility_only  accept, would_drop     accept  accept, would_drop
//	selective        drop                   accept  accept, would_drop
//	full             drop                   accept  drop
//
// Outbound, when the document does not enforce outbound, everything is
// accepted and nothing counted.
func expect(d *wire.Document, dir wire.Direction, p wire.Packet) outcome {
	if d.Mode == modeIdle || dir == wire.Outbound && !d.OutboundEnforcement {
		return outcome{Accept: true}
	}
	class, _ := d.Match(dir, p)
	switch {
	case class == wire.Allow:
		return outcome{Accept: true}
	case d.Mode == modeVisibility:
		return outcome{Accept: true, Tally: tallyWouldDrop}
	case class != "":
		return outcome{Tally: tallyDropped}
	case d.Mode == modeSelective:
		return outcome{Accept: true, Tally: tallyWouldDrop}
	default: // full
		return outcome{Tally: tallyDropped}
	}
}
