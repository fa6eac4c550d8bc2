// Package sign implements the Standard Webhooks signature scheme
// (https://www.standardwebhooks.com): what Remora puts on every webhook
// delivery so a receiver can tell it came from us, unaltered and recent.
//
// It only computes and checks signatures. Storing secrets, rotating them
// (the old secret signs alongside the new one for 24 h) and choosing which
// secrets are live belong to the webhook store; sending belongs to the
// dispatcher.
package sign

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// SecretPrefix starts every secret's text form, as Standard Webhooks
// libraries expect, so a receiver can paste it into any of them unchanged.
const SecretPrefix = "whsec_"

// secretSize is how many random bytes NewSecret draws: as many as
// HMAC-SHA256's output, more would add nothing.
const secretSize = 32

// The key lengths ParseSecret accepts: the spec's range, so secrets made by
// other Standard Webhooks implementations (its test vectors use 24 bytes)
// parse too.
const (
	minSecretSize = 24
	maxSecretSize = 64
)

// NewSecret returns a fresh secret in its text form, whsec_ followed by the
// base64 of 32 random bytes. It is shown to the user once.
func NewSecret() (string, error) {
	b := make([]byte, secretSize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook secret: reading random bytes: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// ParseSecret returns the HMAC key of a secret in its text form. Its errors
// describe the secret's shape, never its content, because they end up in
// logs.
func ParseSecret(s string) ([]byte, error) {
	enc, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("webhook secret: does not start with %q", SecretPrefix)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: the part after %q is not standard base64 (%d characters)", SecretPrefix, len(enc))
	}
	if len(key) < minSecretSize || len(key) > maxSecretSize {
		return nil, fmt.Errorf("webhook secret: key is %d bytes, want %d to %d", len(key), minSecretSize, maxSecretSize)
	}
	return key, nil
}
