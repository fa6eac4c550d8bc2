package ssrf

import "strings"

// metadataNames are the host names of cloud metadata services. Their
// addresses are blocked anyway (169.254.169.254, fd00:ec2::254); refusing
// the names too gives a clear reason at creation and does not depend on how
// the server's resolver answers them. No allowlist entry lifts this: an
// operator who really means such a target can allowlist its address and use
// the address in the URL.
var metadataNames = map[string]bool{
	"metadata":                   true,
	"metadata.google.internal":   true,
	"metadata.goog":              true,
	"instance-data":              true,
	"instance-data.ec2.internal": true,
}

// normalizeHost lower-cases a host name and drops the trailing dot of a
// fully qualified name, so "Metadata.Google.Internal." is recognised.
func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// endsInNumber reports whether a host that is not a canonical IP address
// still looks like one to some parser: its last label is a decimal or 0x
// number, as in "127.1", "2130706433" or "0x7f.0.0.1". The WHATWG URL
// standard and getaddrinfo read these as IPv4 addresses, so such a host
// could reach 127.0.0.1 behind a check that took it for a name.
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	if hex, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}
