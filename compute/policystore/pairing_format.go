package policystore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/remora-sec/remora/infra/ids"
)

// An install token is "rpt_" and the unpadded base64url encoding of 64
// bytes: the tenant's id (the uuid's 16 bytes), the token's id (16 bytes)
// and 32 random bytes. The ids let pairing, a public call, find the
// tenant's schema and the token's row without a global index of tokens;
// the random part is what makes it a secret. Only the SHA-256 of the whole
// string is stored: with 256 bits of entropy a fast hash is enough.
const (
	pairingTokenPrefix = "rpt_"
	pairingTokenBytes  = 16 + 16 + 32
	pairingTokenLen    = len(pairingTokenPrefix) + (pairingTokenBytes*8+5)/6 // 90
)

var tokenEncoding = base64.RawURLEncoding.Strict()

// newPairingToken mints the clear token of token id in tenant.
func newPairingToken(tenant ids.TenantID, id PairingTokenID) (string, error) {
	t, okT := uuidBytes(string(tenant))
	k, okK := uuidBytes(string(id))
	if !okT || !okK {
		return "", fmt.Errorf("mint install token: tenant %q or token %q is not a uuid", tenant, id)
	}
	b := make([]byte, pairingTokenBytes)
	copy(b, t[:])
	copy(b[16:], k[:])
	rand.Read(b[32:]) // never fails (crypto/rand)
	return pairingTokenPrefix + tokenEncoding.EncodeToString(b), nil
}

// ParsePairingToken reads the tenant and token ids out of an install
// token. It does no I/O and checks nothing but the form: whether the token
// is real is ConsumePairingToken's business. Anything malformed (another
// prefix, length or alphabet, padding, non-canonical trailing bits) is
// !ok.
func ParsePairingToken(tok string) (tenant ids.TenantID, tokenID string, ok bool) {
	if len(tok) != pairingTokenLen || tok[:len(pairingTokenPrefix)] != pairingTokenPrefix {
		return "", "", false
	}
	b, err := tokenEncoding.DecodeString(tok[len(pairingTokenPrefix):])
	if err != nil || len(b) != pairingTokenBytes {
		return "", "", false
	}
	return ids.TenantID(uuidString(b[:16])), uuidString(b[16:32]), true
}

// hashPairingToken is what is stored of a token.
func hashPairingToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// uuidBytes returns the 16 bytes of a canonical uuid (as ids.Valid has it).
func uuidBytes(s string) (b [16]byte, ok bool) {
	if !ids.Valid(s) {
		return b, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	_, err := hex.Decode(b[:], []byte(h))
	return b, err == nil
}

// uuidString is the canonical form of 16 bytes.
func uuidString(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
