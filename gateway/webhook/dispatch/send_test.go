package dispatch

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/remora-sec/remora/gateway/webhook/ssrf"
	"github.com/remora-sec/remora/gateway/webhook/ssrf/ssrftest"
)

// TestSendKeepsAnExcerpt: an attempt keeps at most ExcerptSize bytes of
// the answer, as text Postgres stores: a character cut at the limit and
// NUL bytes are dropped.
func TestSendKeepsAnExcerpt(t *testing.T) {
	answer := strings.Repeat("a", ExcerptSize-1) + "é" + strings.Repeat("b", 4000) // é straddles the limit
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte(answer))
	}))
	defer srv.Close()
	res, err := send(context.Background(), testClient(t, 5*time.Second), srv.URL, "msg", [][]byte{[]byte("key")}, []byte(`{}`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusTeapot || res.ok() || res.Excerpt != strings.Repeat("a", ExcerptSize-1) || res.Error != "" || res.Latency <= 0 {
		t.Fatalf("result %d, excerpt of %d bytes, %q, %s", res.StatusCode, len(res.Excerpt), res.Error, res.Latency)
	}
	if got := excerpt([]byte("ok\x00\xffdone")); got != "okdone" || !utf8.ValidString(got) {
		t.Errorf("excerpt = %q", got)
	}
}

// TestSendTimeout: a receiver slower than the timeout is a failed attempt
// saying so, not a hung worker.
func TestSendTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	res, err := send(context.Background(), testClient(t, 200*time.Millisecond), srv.URL, "msg", [][]byte{[]byte("key")}, []byte(`{}`), 200*time.Millisecond)
	if err != nil || res.StatusCode != 0 || res.Error != "no answer within 200ms" {
		t.Fatalf("result %+v, %v", res, err)
	}
}

// TestSendStopping: a canceled context before the answer is returned as
// such, for the caller to abandon the attempt to its lease.
func TestSendStopping(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := send(ctx, testClient(t, 5*time.Second), srv.URL, "msg", [][]byte{[]byte("key")}, []byte(`{}`), 5*time.Second); err == nil {
		t.Fatal("no error for a canceled attempt")
	}
}

func TestBody(t *testing.T) {
	created := time.Date(2026, 11, 26, 10, 0, 0, 123000000, time.UTC)
	ev := []byte(`{"id":"e1","type":"workload.created","data":{"x":1},"created_at":"2026-11-26T10:00:00.123Z"}`)
	b, err := body(job{ID: "d1", EventType: "workload.created", Payload: ev, CreatedAt: created.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &got); err != nil || got.Type != "workload.created" || !got.Timestamp.Equal(created) || string(got.Data) != string(ev) {
		t.Fatalf("body %s: %+v %v", b, got, err)
	}
}

// testClient is a guard's client for receivers on loopback.
func testClient(t *testing.T, timeout time.Duration) *http.Client {
	g := &ssrf.Guard{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	return g.WithDialHook(ssrftest.LoopbackOnly(t)).Client(timeout)
}
