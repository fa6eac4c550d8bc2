package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers. Receivers match them case-insensitively;
// they are sent in Go's canonical form.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// version tags each signature with the scheme that made it: v1 is
// HMAC-SHA256, the only symmetric scheme the spec defines.
const version = "v1"

// Sign returns the webhook-signature header value for one delivery: a
// "v1,<base64 HMAC-SHA256 of msgID.timestamp.body>" per secret, separated by
// spaces. Several secrets are given while a rotation is in progress, so a
// receiver still holding the old secret keeps verifying for its grace period.
//
// Sign panics when secrets is empty or holds an empty key: a delivery
// without a real signature is a bug upstream, and sending it unsigned (or
// signed with a key anyone knows) would be worse than failing loudly.
func Sign(secrets [][]byte, msgID string, ts time.Time, body []byte) string {
	if len(secrets) == 0 {
		panic("sign: no secret to sign with")
	}
	sigs := make([]string, len(secrets))
	for i, key := range secrets {
		if len(key) == 0 {
			panic("sign: empty secret")
		}
		sigs[i] = version + "," + signature(key, msgID, ts.Unix(), body)
	}
	return strings.Join(sigs, " ")
}

// Headers returns the three Standard Webhooks headers for one delivery. The
// dispatcher sends the same msgID on every attempt of an event, so
// receivers can drop duplicates; ts is the attempt's send time, so each
// retry carries a fresh timestamp that passes the receiver's replay window.
func Headers(secrets [][]byte, msgID string, ts time.Time, body []byte) http.Header {
	h := make(http.Header, 3)
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(secrets, msgID, ts, body))
	return h
}

// signature is the base64 HMAC-SHA256 of "msgID.unix.body" under key.
func signature(key []byte, msgID string, unix int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, unix, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
