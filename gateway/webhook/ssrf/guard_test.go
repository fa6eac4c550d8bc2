package ssrf

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/remora-sec/remora/infra/usererr"
)

// wantRefusal fails t unless err is a tenant-facing error about the field
// "url" whose message contains want.
func wantRefusal(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want refused with %q", want)
	}
	ue, ok := usererr.As(err)
	if !ok || ue.Kind != usererr.Invalid || len(ue.Fields) != 1 || ue.Fields[0].Field != "url" {
		t.Fatalf("error %v (%T) is not an invalid-field error about url", err, err)
	}
	if !strings.Contains(ue.Fields[0].Message, want) {
		t.Fatalf("message %q, want it to contain %q", ue.Fields[0].Message, want)
	}
}

func TestCheckURLShape(t *testing.T) {
	dns := newDNSServer(t)
	dns.set("hooks.example", "93.184.216.34")
	strict := &Guard{Resolver: dns.resolver()}
	plain := &Guard{AllowHTTP: true, Resolver: dns.resolver()}
	tests := []struct {
		g    *Guard
		url  string
		want string // "" when accepted
	}{
		{strict, "https://hooks.example/remora", ""},
		{strict, "https://HOOKS.example.:8443/remora?x=1", ""},
		{strict, "https://93.184.216.34/", ""},
		{plain, "http://hooks.example/", ""},
		{strict, "", "must not be empty"},
		{strict, "http://hooks.example/", "must be an https URL"},
		{plain, "ftp://hooks.example/", "must be an http or https URL"},
		{strict, "hooks.example/remora", "must be an https URL"},
		{strict, "//hooks.example/remora", "must be an https URL"},
		{strict, "https:hooks.example", "must have a host"},
		{strict, "https:///remora", "must have a host"},
		{strict, "https://user:pw@hooks.example/", "must not contain a user name or password"},
		{strict, "https://user@hooks.example/", "must not contain a user name or password"},
		{strict, "https://hooks.example:0/", "port \"0\" is not between 1 and 65535"},
		{strict, "https://hooks.example:70000/", "is not between 1 and 65535"},
		{strict, "https://hooks.example:x/", "is not a valid URL"},
		{strict, "https://[::1/", "is not a valid URL"},
		{strict, "https://[fe80::1%25eth0]/", "must not have an IPv6 zone"},
		{strict, "https://127.1/", "neither a canonical IP address nor a host name"},
		{strict, "https://2130706433/", "neither a canonical IP address nor a host name"},
		{strict, "https://0x7f.0.0.1/", "neither a canonical IP address nor a host name"},
		{strict, "https://metadata.google.internal/computeMetadata/v1/", "is a cloud metadata service"},
		{strict, "https://Metadata.Google.Internal./", "is a cloud metadata service"},
		{strict, "https://instance-data/", "is a cloud metadata service"},
		{strict, "https://nowhere.example/", `host "nowhere.example" does not resolve`},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := tt.g.CheckURL(context.Background(), tt.url)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantRefusal(t, err, tt.want)
		})
	}
}

// TestCheckURLAddresses is the SSRF matrix, and more, at creation
// time; TestClientRefuses runs it again at delivery.
func TestCheckURLAddresses(t *testing.T) {
	dns := newDNSServer(t)
	for _, tt := range ssrfMatrix {
		if tt.records != nil {
			dns.set(tt.host, tt.records...)
		}
	}
	g := &Guard{AllowHTTP: true, Resolver: dns.resolver()}
	for _, tt := range ssrfMatrix {
		t.Run(tt.host, func(t *testing.T) {
			err := g.CheckURL(context.Background(), "https://"+bracket(tt.host)+"/hook")
			wantRefusal(t, err, tt.want)
			for _, r := range tt.records {
				if strings.Contains(usererrText(err), r) {
					t.Fatalf("the tenant's message names the resolved address %s: %v", r, err)
				}
			}
		})
	}
}

// ssrfMatrix lists targets that must be refused, by literal address or by
// a test DNS name and its records, with what the refusal must say.
var ssrfMatrix = []struct {
	host    string
	records []string // for names: what the test DNS server answers
	want    string
}{
	{"127.0.0.1", nil, "127.0.0.1 is a loopback address; webhooks may only target public addresses"},
	{"10.0.0.1", nil, "10.0.0.1 is a private address"},
	{"169.254.169.254", nil, "169.254.169.254 is the cloud metadata address"},
	{"::1", nil, "::1 is a loopback address"},
	{"fd00::1", nil, "fd00::1 is a private (unique local) address"},
	{"::ffff:127.0.0.1", nil, "::ffff:127.0.0.1 is an IPv4-mapped address of a loopback address"},
	{"64:ff9b::a9fe:a9fe", nil, "is a NAT64 address of the cloud metadata address"},
	{"100.64.0.1", nil, "carrier-grade NAT"},
	{"0.0.0.0", nil, "the unspecified address"},
	{"::", nil, ":: is the unspecified address"},
	{"localhost", nil, `host "localhost" resolves to a loopback address`}, // from /etc/hosts
	{"private.test", []string{"10.0.0.1"}, `host "private.test" resolves to a private address`},
	{"loopback6.test", []string{"::1"}, `host "loopback6.test" resolves to a loopback address`},
	{"metadata.test", []string{"169.254.169.254"}, `resolves to the cloud metadata address`},
	// One bad address among good ones is enough: the dialer may pick it.
	{"mixed.test", []string{"93.184.216.34", "192.168.1.10"}, `host "mixed.test" resolves to a private address`},
}

// bracket writes an IPv6 literal as a URL host.
func bracket(host string) string {
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
		return "[" + host + "]"
	}
	return host
}

// usererrText is what the tenant sees of err.
func usererrText(err error) string {
	ue, _ := usererr.As(err)
	return ue.Error()
}

func TestCheckURLAllowlist(t *testing.T) {
	dns := newDNSServer(t)
	dns.set("receiver.test", "127.0.0.1")
	dns.set("half.test", "127.0.0.1", "127.0.0.2")
	g := &Guard{Allow: []netip.Prefix{pfx("127.0.0.1/32"), pfx("10.1.0.0/16")}, Resolver: dns.resolver()}
	for _, ok := range []string{"https://127.0.0.1:8443/", "https://[::ffff:127.0.0.1]/", "https://10.1.2.3/", "https://receiver.test/"} {
		if err := g.CheckURL(context.Background(), ok); err != nil {
			t.Errorf("CheckURL(%s) = %v, want allowed", ok, err)
		}
	}
	for _, bad := range []string{"https://127.0.0.2/", "https://10.2.0.1/", "https://[::1]/", "https://half.test/"} {
		if err := g.CheckURL(context.Background(), bad); err == nil {
			t.Errorf("CheckURL(%s) = nil, want refused: only part of it is allowlisted", bad)
		}
	}
}
