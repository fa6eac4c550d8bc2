package tenants

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// Opaque secrets (refresh tokens, API keys) are 32 random bytes behind a
// type prefix that says what they are when one turns up in a log or a
// secret scanner. Only their SHA-256 is stored: they carry 256 bits of
// entropy, so a fast hash is enough and lookups stay one index probe.
const (
	refreshPrefix = "rrt_"
	apiKeyPrefix  = "rmr_"
)

func newSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
