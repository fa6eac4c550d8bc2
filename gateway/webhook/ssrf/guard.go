// Package ssrf keeps webhook deliveries off the server's own network. A
// tenant chooses where webhooks go; without this guard, a URL naming
// 127.0.0.1, a private address or the cloud metadata service would make our
// server fetch from places only it can reach (server-side request forgery).
//
// A Guard checks a URL when a webhook is created or updated (CheckURL), and
// again at every delivery, at the address actually dialed (DialContext), so
// a host name that resolves to a public address at creation and to a
// private one later (DNS rebinding) is still refused. Storing webhooks and
// deciding what a refused delivery means belong to the caller.
package ssrf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/remora-sec/remora/infra/usererr"
)

// Field is the request field a Guard's errors name.
const Field = "url"

// Guard decides which webhook targets the server may reach. Its zero value
// is the strict default: https only, public addresses only, the system
// resolver. A Guard must not be changed once in use.
type Guard struct {
	// AllowHTTP permits plain http URLs, for local use and tests; it is a
	// server flag, never a tenant's choice.
	AllowHTTP bool
	// Allow lists addresses that are permitted although blocked by
	// default, for a receiver on the server's own network. An IPv4 prefix
	// also admits the IPv4-mapped IPv6 form of its addresses.
	Allow []netip.Prefix
	// Resolver resolves host names for CheckURL and DialContext; nil means
	// net.DefaultResolver.
	Resolver *net.Resolver

	// dialHook, when set, runs after the guard has allowed an address and
	// before the connection is made; tests use it to keep a broken guard
	// from sending traffic off loopback.
	dialHook func(netip.AddrPort) error
}

// CheckURL returns nil if raw is a URL webhooks may be delivered to: an
// absolute https (or, with AllowHTTP, http) URL without user info, whose
// host is a public address or resolves only to public addresses, unless
// Allow permits them. Its errors are *usererr.Error about the field "url".
// A host that does not resolve is refused too.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, host, err := g.parse(raw)
	if err != nil {
		return err
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if r := g.reason(a); r != "" {
			return fmt.Errorf("ssrf: %w", refusal(fmt.Sprintf("%s is %s; %s", host, r, publicOnly)))
		}
		return nil
	}
	addrs, err := g.resolver().LookupNetIP(ctx, "ip", host)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no addresses")
	}
	if err != nil {
		return fmt.Errorf("ssrf: resolving %q of %s: %w: %w", host, u.Redacted(), err,
			refusal(fmt.Sprintf("host %q does not resolve", host)))
	}
	// Every address must pass: the dialer may pick any of them. The
	// tenant's error names the host, not the address it resolved to, which
	// would let a tenant map our internal DNS; the wrapping error, for
	// logs, has both.
	for _, a := range addrs {
		// Go's resolver returns some IPv4 answers (those from /etc/hosts)
		// in IPv4-mapped form; name them as the IPv4 addresses they are.
		a = a.Unmap()
		if r := g.reason(a); r != "" {
			return fmt.Errorf("ssrf: %q resolves to %s, %s: %w", host, a, r,
				refusal(fmt.Sprintf("host %q resolves to %s; %s", host, r, publicOnly)))
		}
	}
	return nil
}

// publicOnly ends the message of an address refusal.
const publicOnly = "webhooks may only target public addresses"

// parse checks what can be checked of raw without resolving it, and returns
// the URL and its host name (brackets removed). The Client's transport runs
// it for each request; CheckURL adds the address checks.
func (g *Guard) parse(raw string) (*url.URL, string, error) {
	if raw == "" {
		return nil, "", refusal("must not be empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("ssrf: %w: %w", err, refusal("is not a valid URL"))
	}
	if err := g.checkShape(u); err != nil {
		return nil, "", err
	}
	return u, normalizeHost(u.Hostname()), nil
}

// checkShape checks a parsed URL's scheme, user info, host and port.
func (g *Guard) checkShape(u *url.URL) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && g.AllowHTTP:
	case g.AllowHTTP:
		return refusal("must be an http or https URL")
	default:
		return refusal("must be an https URL")
	}
	if u.User != nil {
		return refusal("must not contain a user name or password")
	}
	host := normalizeHost(u.Hostname())
	if host == "" {
		return refusal("must have a host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return refusal(fmt.Sprintf("port %q is not between 1 and 65535", p))
		}
	}
	a, err := netip.ParseAddr(host)
	switch {
	case err == nil && a.Zone() != "":
		return refusal("must not have an IPv6 zone")
	case err != nil && endsInNumber(host):
		return refusal(fmt.Sprintf("host %q is neither a canonical IP address nor a host name", host))
	case metadataNames[host]:
		return refusal(fmt.Sprintf("host %q is a cloud metadata service", host))
	}
	return nil
}

// reason returns why a may not be dialed, or "" if it is public or
// allowlisted.
func (g *Guard) reason(a netip.Addr) string {
	if g.allowed(a) {
		return ""
	}
	return classify(a)
}

// allowed reports whether an Allow prefix contains a, or the IPv4 address
// an IPv4-mapped a stands for.
func (g *Guard) allowed(a netip.Addr) bool {
	a = a.WithZone("")
	for _, p := range g.Allow {
		if p.Contains(a) || p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

func (g *Guard) resolver() *net.Resolver {
	if g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

// refusal is the tenant-facing error for a refused URL.
func refusal(msg string) *usererr.Error {
	return usererr.Field(usererr.Invalid, Field, msg)
}
