package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/remora-sec/remora/gateway/webhook/sign"
	"github.com/remora-sec/remora/infra/usererr"
)

// Limits of what an attempt keeps of the answer.
const (
	// ExcerptSize is how much of an answer's body the attempt log keeps:
	// enough to see a receiver's error message, not enough to store
	// whatever a receiver sends back.
	ExcerptSize = 1024
	// drainSize is how much more is read, and dropped, so the connection
	// can be reused; a longer answer closes it instead.
	drainSize = 64 << 10
	// maxError bounds the error text of an attempt.
	maxError = 300
)

// userAgent names us to receivers.
const userAgent = "Remora-Webhooks/1"

// result is the outcome of one attempt.
type result struct {
	At         time.Time
	StatusCode int // 0: no HTTP answer
	Latency    time.Duration
	Excerpt    string
	Error      string // why there was no answer, in words a tenant may read
}

// ok reports whether the receiver took the delivery: a 2xx, nothing else.
// A 3xx is a failure: the client does not follow redirects (the tenant
// configured this URL, not the one it redirects to).
func (r result) ok() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

// body is the Standard Webhooks payload: the event's type, its time, and
// the event itself as data. It is the same bytes on every attempt.
func body(j job) ([]byte, error) {
	var ev struct {
		CreatedAt time.Time `json:"created_at"`
	}
	ts := j.CreatedAt
	if err := json.Unmarshal(j.Payload, &ev); err == nil && !ev.CreatedAt.IsZero() {
		ts = ev.CreatedAt
	}
	b, err := json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{j.EventType, ts.UTC(), j.Payload})
	if err != nil {
		return nil, fmt.Errorf("encode delivery %s: %w", j.ID, err)
	}
	return b, nil
}

// send makes one attempt: POST payload to url, signed with secrets under
// the delivery's id. A canceled ctx before the answer is returned as
// ctx's error, for the caller to abandon the attempt; every other failure
// is a result.
func send(ctx context.Context, client *http.Client, url, id string, secrets [][]byte, payload []byte, timeout time.Duration) (result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		// The URL was checked when saved; this is a row edited by hand.
		return result{At: time.Now().UTC(), Error: "the webhook URL cannot be requested: " + err.Error()}, nil
	}
	start := time.Now()
	for k, v := range sign.Headers(secrets, id, start, payload) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	res := result{At: start.UTC()}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.Latency = time.Since(start)
		res.Error = describe(err, timeout)
		return res, nil
	}
	defer resp.Body.Close()
	res.StatusCode = resp.StatusCode
	ex, _ := io.ReadAll(io.LimitReader(resp.Body, ExcerptSize)) // a short read keeps what came
	res.Excerpt = excerpt(ex)
	io.Copy(io.Discard, io.LimitReader(resp.Body, drainSize))
	res.Latency = time.Since(start)
	return res, nil
}

// excerpt makes text of at most ExcerptSize bytes that Postgres can store:
// invalid UTF-8 (a multi-byte character cut at the limit, binary answers)
// and NUL bytes are dropped.
func excerpt(b []byte) string {
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), ""), "\x00", "")
}

// describe says why an attempt got no answer, in words a tenant may read:
// an SSRF refusal by its tenant-facing message alone (the internal one
// names the address dialed, which would let a tenant map our network),
// DNS failures without our resolver's address.
func describe(err error, timeout time.Duration) string {
	if ue, ok := usererr.As(err); ok && len(ue.Fields) > 0 {
		return "refused by the SSRF guard: " + ue.Fields[0].Message
	}
	var (
		dnsErr *net.DNSError
		netErr net.Error
		opErr  *net.OpError
		urlErr *url.Error
	)
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fmt.Sprintf("host %q not found", dnsErr.Name)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("resolving host %q failed", dnsErr.Name)
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no answer within %s", timeout)
	case errors.As(err, &opErr):
		return clip(fmt.Sprintf("%s: %v", opErr.Op, opErr.Err))
	case errors.As(err, &urlErr):
		return clip(urlErr.Err.Error())
	}
	return clip(err.Error())
}

func clip(s string) string {
	if len(s) <= maxError {
		return s
	}
	return strings.ToValidUTF8(s[:maxError], "") + "…"
}
