package ssrftest

import (
	"context"
	"net/netip"
	"testing"
)

func TestDNSServer(t *testing.T) {
	s := NewDNS(t)
	s.Set("both.test", "192.0.2.1", "2001:db8::1")
	got, err := s.Resolver().LookupNetIP(context.Background(), "ip", "both.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("both.test = %v, want 192.0.2.1 and 2001:db8::1", got)
	}
	s.Set("both.test", "192.0.2.2")
	got, err = s.Resolver().LookupNetIP(context.Background(), "ip4", "both.test")
	if err != nil || len(got) != 1 || got[0] != netip.MustParseAddr("192.0.2.2") {
		t.Fatalf("after change both.test = %v, %v; want [192.0.2.2]", got, err)
	}
	if _, err := s.Resolver().LookupNetIP(context.Background(), "ip", "missing.test"); err == nil {
		t.Fatal("missing.test resolved")
	}
}
