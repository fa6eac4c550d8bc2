package enforce

import (
	"encoding/binary"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// loopbackIndex is the interface index of lo in every network namespace
// (the kernel's LOOPBACK_IFINDEX), so the loopback rule need not look it up.
const loopbackIndex = 1

// maxComment keeps rule comments well under the kernel's 256-byte limit on
// rule user data.
const maxComment = 128

// nftRule builds the nftables rule for r in chain c. in says whether c is
// the input chain: the peer is then the source address, else the
// destination. sets gives the set each PeerSet name refers to in the batch.
// Cheap matches come first, the set lookup last.
func nftRule(t *nftables.Table, c *nftables.Chain, r rule, in bool, sets map[string]*nftables.Set) *nftables.Rule {
	var e []expr.Any
	switch r.Family {
	case ipv4:
		e = append(e, meta(expr.MetaKeyNFPROTO), eq([]byte{unix.NFPROTO_IPV4}))
	case ipv6:
		e = append(e, meta(expr.MetaKeyNFPROTO), eq([]byte{unix.NFPROTO_IPV6}))
	}
	if r.Established {
		e = append(e,
			&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
				Mask: binary.NativeEndian.AppendUint32(nil, expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED),
				Xor:  make([]byte, 4)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)})
	}
	if r.Loopback {
		key := expr.MetaKeyIIF
		if !in {
			key = expr.MetaKeyOIF
		}
		e = append(e, meta(key), eq(binary.NativeEndian.AppendUint32(nil, loopbackIndex)))
	}
	if r.Iface != "" {
		key := expr.MetaKeyIIFNAME
		if !in {
			key = expr.MetaKeyOIFNAME
		}
		name := make([]byte, unix.IFNAMSIZ) // the kernel compares all 16 bytes
		copy(name, r.Iface)
		e = append(e, meta(key), eq(name))
	}
	if r.L4 != 0 {
		e = append(e, meta(expr.MetaKeyL4PROTO), eq([]byte{r.L4}))
	}
	if r.HopLimit != 0 {
		e = append(e, load(expr.PayloadBaseNetworkHeader, 7, 1), eq([]byte{r.HopLimit}))
	}
	e = appendSpan(e, r.ICMPType, 0, 1)
	e = appendSpan(e, r.ICMPCode, 1, 1)
	e = appendSpan(e, r.SPort, 0, 2)
	e = appendSpan(e, r.DPort, 2, 2)
	if r.PeerAddr.IsValid() || r.PeerSet != "" {
		v4 := r.Family == ipv4
		off, n := peerOffset(v4, in)
		e = append(e, load(expr.PayloadBaseNetworkHeader, off, n))
		if r.PeerAddr.IsValid() {
			e = append(e, eq(r.PeerAddr.AsSlice()))
		} else {
			s := sets[r.PeerSet]
			e = append(e, &expr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID})
		}
	}
	e = append(e, &expr.Counter{})
	switch r.Tally {
	case tallyDropped:
		e = append(e, &expr.Objref{Type: unix.NFT_OBJECT_COUNTER, Name: counterDropped})
	case tallyWouldDrop:
		e = append(e, &expr.Objref{Type: unix.NFT_OBJECT_COUNTER, Name: counterWould})
	}
	v := expr.VerdictAccept
	if r.Verdict == drop {
		v = expr.VerdictDrop
	}
	e = append(e, &expr.Verdict{Kind: v})
	return &nftables.Rule{Table: t, Chain: c, Exprs: e,
		UserData: userdata.AppendString(nil, userdata.TypeComment, clip(r.Comment))}
}

// peerOffset is where the peer address sits in the network header: the
// source in the input chain, the destination in the output chain.
func peerOffset(v4, in bool) (off, n uint32) {
	switch {
	case v4 && in:
		return 12, 4
	case v4:
		return 16, 4
	case in:
		return 8, 16
	default:
		return 24, 16
	}
}

// appendSpan matches a transport header field of n bytes at off against s.
func appendSpan(e []expr.Any, s span, off, n uint32) []expr.Any {
	if !s.On {
		return e
	}
	e = append(e, load(expr.PayloadBaseTransportHeader, off, n))
	lo, hi := field(s.Lo, n), field(s.Hi, n)
	if s.Lo == s.Hi {
		return append(e, eq(lo))
	}
	return append(e, &expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: lo, ToData: hi})
}

// field encodes v big-endian in n bytes, as it appears in the header.
func field(v uint16, n uint32) []byte {
	if n == 1 {
		return []byte{byte(v)}
	}
	return binary.BigEndian.AppendUint16(nil, v)
}

func meta(k expr.MetaKey) expr.Any { return &expr.Meta{Key: k, Register: 1} }

func eq(b []byte) expr.Any { return &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b} }

func load(base expr.PayloadBase, off, n uint32) expr.Any {
	return &expr.Payload{DestRegister: 1, Base: base, Offset: off, Len: n}
}

// clip cuts a comment to maxComment bytes without splitting a character.
func clip(s string) string {
	if len(s) <= maxComment {
		return s
	}
	return strings.ToValidUTF8(s[:maxComment], "")
}
