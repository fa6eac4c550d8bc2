package ssrf

import (
	"net"
	"testing"

	"github.com/remora-sec/remora/gateway/webhook/ssrf/ssrftest"
)

// dnsServer is ssrftest's DNS server under the names this package's tests
// were written with.
type dnsServer struct{ *ssrftest.DNS }

func newDNSServer(t *testing.T) *dnsServer { return &dnsServer{ssrftest.NewDNS(t)} }

// set makes name resolve to addrs (literals) from now on.
func (s *dnsServer) set(name string, addrs ...string) { s.Set(name, addrs...) }

// resolver returns a resolver that asks only this server.
func (s *dnsServer) resolver() *net.Resolver { return s.Resolver() }
