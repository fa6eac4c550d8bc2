package sign

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far a delivery's timestamp may be from the receiver's
// clock, either way, as in the reference libraries: it bounds how long a
// captured delivery can be replayed.
const Tolerance = 5 * time.Minute

// Errors Verify returns, wrapped, so callers can tell a forged or stale
// delivery from a malformed one.
var (
	ErrMissingHeader = errors.New("missing webhook header")
	ErrTimestamp     = errors.New("webhook timestamp outside tolerance")
	ErrNoMatch       = errors.New("no matching webhook signature")
)

// Verify checks a received delivery against one secret, the way a receiver
// would: all three headers present, the timestamp within Tolerance of now,
// and at least one v1 signature in the header made with secret. Signatures of
// other versions or other secrets are skipped, so a receiver verifies
// through a rotation with whichever secret it holds. It serves our tests and
// users who receive in Go.
func Verify(secret []byte, h http.Header, body []byte, now time.Time) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	for _, hv := range [...]struct{ name, v string }{{HeaderID, id}, {HeaderTimestamp, tsText}, {HeaderSignature, sigs}} {
		if hv.v == "" {
			return fmt.Errorf("verify: %w %s", ErrMissingHeader, hv.name)
		}
	}
	unix, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("verify: %s %q is not unix seconds", HeaderTimestamp, tsText)
	}
	if d := now.Sub(time.Unix(unix, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("verify: %w: %s is %s from now", ErrTimestamp, tsText, d.Round(time.Second))
	}
	if len(secret) == 0 {
		return fmt.Errorf("verify: %w: empty secret", ErrNoMatch)
	}
	want := []byte(signature(secret, id, unix, body))
	for _, vs := range strings.Fields(sigs) {
		v, sig, ok := strings.Cut(vs, ",")
		if ok && v == version && hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return fmt.Errorf("verify: %w", ErrNoMatch)
}
