package agent

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Fingerprint is the SHA-256 of a certificate's DER encoding.
type Fingerprint [sha256.Size]byte

// ParseFingerprint reads a fingerprint as `remora serve` prints it
// (tls_fingerprint_sha256, like openssl's "AB:CD:…") or as plain hex, in
// either case.
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	h := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != len(f) {
		return f, fmt.Errorf("fingerprint %q: want the certificate's SHA-256 as 64 hex digits (colons allowed)", s)
	}
	copy(f[:], b)
	return f, nil
}

// String prints f the way `remora serve` does.
func (f Fingerprint) String() string {
	var b strings.Builder
	for i, c := range f {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// pinnedTLS accepts exactly one server certificate: the leaf whose SHA-256
// is pin. The usual chain and name checks are off (a fresh PCE's
// certificate is self-signed, and the operator may reach it by any
// address); the pin replaces them and is stricter: nothing else is
// accepted, whoever signed it. The check runs in VerifyConnection, inside
// the handshake, so a request (and the install token in it) is never
// written to a server that failed it.
func pinnedTLS(pin Fingerprint) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("PCE sent no certificate")
			}
			got := Fingerprint(sha256.Sum256(cs.PeerCertificates[0].Raw))
			if subtle.ConstantTimeCompare(got[:], pin[:]) != 1 {
				return fmt.Errorf("PCE certificate fingerprint %s does not match the pinned %s: not sending the token", got, pin)
			}
			return nil
		},
	}
}

// systemTLS verifies the PCE against the system's roots and its name, as
// any HTTPS client does.
func systemTLS() *tls.Config { return &tls.Config{MinVersion: tls.VersionTLS12} }
