package enforce

import (
	"net/netip"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// TestNftRuleGuards checks what traffic cannot show: a rule limited to a
// family starts by matching it (else a set lookup would read IPv6 bytes as
// an IPv4 address), and a transport header field is read only after the
// protocol is matched.
func TestNftRuleGuards(t *testing.T) {
	p, err := compile(webDocument(modeFull, true), Exempt{TunnelIface: "wg0", PCEEndpoint: netip.MustParseAddrPort("[fd00::1]:51820")})
	if err != nil {
		t.Fatal(err)
	}
	tbl := &nftables.Table{Name: "remora", Family: nftables.TableFamilyINet}
	sets := map[string]*nftables.Set{}
	for i, s := range p.Sets {
		sets[s.Name] = &nftables.Set{Name: s.Name, ID: uint32(i + 1)}
	}
	for _, c := range []struct {
		in bool
		c  chain
	}{{true, p.Input}, {false, p.Output}} {
		for _, r := range c.c.Rules {
			ex := nftRule(tbl, &nftables.Chain{Name: "x"}, r, c.in, sets).Exprs
			if r.Family != anyFamily {
				want := byte(unix.NFPROTO_IPV4)
				if r.Family == ipv6 {
					want = unix.NFPROTO_IPV6
				}
				m, ok1 := ex[0].(*expr.Meta)
				cmp, ok2 := ex[1].(*expr.Cmp)
				if !ok1 || !ok2 || m.Key != expr.MetaKeyNFPROTO || cmp.Op != expr.CmpOpEq || len(cmp.Data) != 1 || cmp.Data[0] != want {
					t.Errorf("rule %q: starts with %v %v, want meta nfproto == %d", r.Comment, ex[0], ex[1], want)
				}
			}
			l4 := false
			for _, x := range ex {
				if m, ok := x.(*expr.Meta); ok && m.Key == expr.MetaKeyL4PROTO {
					l4 = true
				}
				if pl, ok := x.(*expr.Payload); ok && pl.Base == expr.PayloadBaseTransportHeader && !l4 {
					t.Errorf("rule %q: reads the transport header before matching the protocol", r.Comment)
				}
			}
		}
	}
}
