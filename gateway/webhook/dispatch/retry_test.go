package dispatch_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
)

// TestRetriesThenSuccess: a receiver that fails three times (a 500, a
// redirect, a 503) then takes the delivery: one success, four attempts
// logged with their status and answer, spaced by the schedule; the same
// webhook-id and body every time, each correctly signed.
func TestRetriesThenSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant()
	fails := []int{http.StatusInternalServerError, http.StatusFound, http.StatusServiceUnavailable}
	rc := newReceiver(t, func(n int, _ request) int {
		if n <= len(fails) {
			return fails[n-1]
		}
		return http.StatusOK
	})
	h, key := e.hook(tenant, rc.URL+"/hook")
	rc.setKey(key)
	ev := e.emit(tenant, 1)[0]
	schedule := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Minute}
	run(t, e.dispatcher("200ms,400ms,800ms,1m"))
	waitFor(t, 15*time.Second, "the delivery", e.settled(h.ID, 1, "delivered"))

	d := e.deliveries(h.ID)[0]
	if d.EventID != ev || len(d.Attempts) != 4 {
		t.Fatalf("delivery %+v, want event %s with 4 attempts", d, ev)
	}
	var codes []int
	for i, a := range d.Attempts {
		codes = append(codes, *a.StatusCode)
		if a.Number != i+1 || a.Excerpt != "answer "+string(rune('1'+i)) || a.Error != "" {
			t.Errorf("attempt %d: %+v", i+1, a)
		}
		if i == 0 {
			continue
		}
		// The dispatcher waits the schedule's delay after logging a
		// failure; the gap between two attempts' starts adds the first
		// one's round trip and a poll, never less.
		gap, want := a.At.Sub(d.Attempts[i-1].At), schedule[i-1]
		if gap < want || gap > want+time.Second {
			t.Errorf("attempt %d came %s after attempt %d, want %s (+ at most 1s)", i+1, gap, i, want)
		}
	}
	if want := []int{500, 302, 503, 200}; !slices.Equal(codes, want) {
		t.Errorf("status codes %v, want %v", codes, want)
	}
	reqs := rc.requests()
	if len(reqs) != 4 {
		t.Fatalf("receiver got %d requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		if r.ID != d.ID || string(r.Body) != string(reqs[0].Body) || r.Err != nil {
			t.Errorf("request %d: webhook-id %s (want %s), body same: %v, signature: %v", i+1, r.ID, d.ID, string(r.Body) == string(reqs[0].Body), r.Err)
		}
	}
	var body struct {
		Type      string
		Timestamp time.Time
		Data      struct {
			ID   string
			Type string
			Data map[string]any
		}
	}
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil || body.Type != "test.happened" || body.Data.ID != ev ||
		body.Data.Type != "test.happened" || body.Data.Data["text"] != "Zürich — 東京 ✓" || time.Since(body.Timestamp) > time.Minute {
		t.Errorf("body %s (%v): want the Standard Webhooks payload of the event", reqs[0].Body, err)
	}
	if since := failingSince(t, e, tenant, h.ID); since != nil {
		t.Errorf("failing_since %v after a success, want none", since)
	}
}

// TestReceiverDownThenUp: while the receiver is down, every attempt fails
// without an answer and is logged; once it is back, every event of the
// window is delivered, each exactly once.
func TestReceiverDownThenUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant()
	// A port that is ours but closed: connections are refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h, key := e.hook(tenant, "http://"+addr+"/hook")
	evs := e.emit(tenant, 5)
	run(t, e.dispatcher("100ms,200ms,400ms,800ms,1600ms,3200ms"))
	waitFor(t, 15*time.Second, "two failed attempts per delivery", func() bool {
		ds := e.deliveries(h.ID)
		for _, d := range ds {
			if len(d.Attempts) < 2 {
				return false
			}
		}
		return len(ds) == 5
	})

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("taking the port back: %v", err)
	}
	up := newReceiverOn(t, ln, nil)
	up.setKey(key)
	waitFor(t, 20*time.Second, "every delivery", e.settled(h.ID, 5, "delivered"))

	got := map[string]int{}
	for _, r := range up.requests() {
		got[r.ID]++
		if r.Err != nil {
			t.Errorf("request %s: %v", r.ID, r.Err)
		}
	}
	for _, d := range e.deliveries(h.ID) {
		if got[d.ID] != 1 {
			t.Errorf("delivery %s received %d times, want once", d.ID, got[d.ID])
		}
		if !slices.Contains(evs, d.EventID) {
			t.Errorf("delivery of unknown event %s", d.EventID)
		}
		for _, a := range d.Attempts[:len(d.Attempts)-1] {
			if a.StatusCode != nil || !strings.Contains(a.Error, "connection refused") {
				t.Errorf("attempt while down: %+v, want connection refused and no status", a)
			}
		}
	}
}

// TestFailingWebhookDisabled: a webhook that fails for DisableAfter is
// disabled, with the reason and a webhook.disabled event by the system;
// its pending delivery then fails unsent.
func TestFailingWebhookDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant()
	rc := newReceiver(t, func(int, request) int { return http.StatusBadGateway })
	h, _ := e.hook(tenant, rc.URL+"/hook")
	e.emit(tenant, 1)
	d := e.dispatcher("100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms")
	d.DisableAfter = 300 * time.Millisecond
	run(t, d)
	waitFor(t, 15*time.Second, "the delivery to fail", e.settled(h.ID, 1, "failed"))

	w, err := e.hooks.Get(context.Background(), tenant, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if w.Enabled || !strings.Contains(w.DisabledReason, "HTTP 502") || w.FailingSince == nil {
		t.Fatalf("webhook after failing: %+v", w)
	}
	as := e.deliveries(h.ID)[0].Attempts
	last := as[len(as)-1]
	if last.Error != "not sent: the webhook is disabled" || last.StatusCode != nil {
		t.Errorf("last attempt %+v, want one not sent", last)
	}
	if n := len(rc.requests()); n != len(as)-1 || n < 4 || n > 6 {
		t.Errorf("receiver got %d requests for %d attempts; want all but the last, 4 to 6 of them (300ms at 100ms apart)", n, len(as))
	}
	var actor, resource string
	err = e.ts.InTenant(context.Background(), tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT actor->>'type', resource->>'id' FROM events WHERE type = 'webhook.disabled'`).Scan(&actor, &resource)
	})
	if err != nil || actor != "system" || resource != h.ID {
		t.Errorf("webhook.disabled event: actor %q, resource %q, %v", actor, resource, err)
	}
}

func failingSince(t *testing.T, e *env, tenant ids.TenantID, id string) *time.Time {
	t.Helper()
	w, err := e.hooks.Get(context.Background(), tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	return w.FailingSince
}
