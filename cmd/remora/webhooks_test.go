package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remora-sec/remora/gateway/webhook/backoff"
	"github.com/remora-sec/remora/gateway/webhook/sign"
	"github.com/remora-sec/remora/infra/config"
	"github.com/remora-sec/remora/infra/pg/pgtest"
	"github.com/remora-sec/remora/infra/redisx/redistest"
)

// TestWebhookScheduleDefault: the configured default is backoff's own, so
// the README's table and the code say the same.
func TestWebhookScheduleDefault(t *testing.T) {
	for _, e := range config.Env {
		if e.Name != "REMORA_WEBHOOK_SCHEDULE" {
			continue
		}
		s, err := backoff.Parse(e.Default)
		if err != nil || !slices.Equal(s, backoff.Default) {
			t.Fatalf("default %q = %v, %v; want backoff.Default %v", e.Default, s, err, backoff.Default)
		}
		return
	}
	t.Fatal("no REMORA_WEBHOOK_SCHEDULE setting")
}

// TestServeRefusesBadSchedule: a bad schedule stops serve before it
// connects to anything, naming the setting.
func TestServeRefusesBadSchedule(t *testing.T) {
	err := run(context.Background(), []string{"serve", "--dev", "--data-dir", t.TempDir(), "--webhook-schedule", "5s,soon",
		"--database-url", "postgres://127.0.0.1:1/none"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `REMORA_WEBHOOK_SCHEDULE: retry schedule "5s,soon": delay 2 "soon"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestServeDeliversWebhooks: `remora serve` takes its webhook settings
// (plain http, a loopback allowlist) for the API's checks and runs the
// dispatcher: a webhook saved through the API gets its own creation event
// and a test ping, signed with the secret the API showed.
func TestServeDeliversWebhooks(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs syncBuffer
	if err := run(ctx, []string{"migrate", "--database-url", url}, &out, &out); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	var (
		mu   sync.Mutex
		got  []http.Header
		body [][]byte
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, body = append(got, r.Header.Clone()), append(body, b)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()

	_, prefix := redistest.New(t)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--dev", "--database-url", url, "--redis-url", redistest.URL(), "--redis-prefix", prefix,
			"--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0", "--wg-listen", "127.0.0.1:0",
			"--webhook-allow-http", "--webhook-allow", "127.0.0.0/8", "--workers", "0"}, &out, &logs)
	}()
	pce := "https://127.0.0.1:" + waitFor(t, &out, done, regexp.MustCompile(`up at https://localhost:(\d+)`))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // the test's own PCE
	call := func(path, token string, in, outv any) {
		t.Helper()
		b, _ := json.Marshal(in)
		req, _ := http.NewRequest(http.MethodPost, pce+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %s\n%s", path, resp.StatusCode, rb, logs.String())
		}
		json.Unmarshal(rb, outv)
	}
	var signup struct {
		AccessToken string `json:"access_token"`
	}
	call("/api/v1/signup", "", map[string]string{"organization": "Hooks", "email": "h@example.com", "password": "correct horse battery staple"}, &signup)
	var hook struct{ ID, Secret string }
	call("/api/v1/webhooks", signup.AccessToken, map[string]any{"url": rcv.URL + "/hook", "event_types": []string{"webhook.*"}}, &hook)
	call("/api/v1/webhooks/"+hook.ID+"/test", signup.AccessToken, nil, &struct{}{})

	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d deliveries, want 2\n%s", n, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	key, err := sign.ParseSecret(hook.Secret)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for i, h := range got {
		if err := sign.Verify(key, h, body[i], time.Now()); err != nil {
			t.Errorf("delivery %d: %v", i, err)
		}
		var b struct{ Type string }
		json.Unmarshal(body[i], &b)
		types[b.Type] = true
	}
	if !types["webhook.created"] || !types["webhook.ping"] {
		t.Errorf("delivered %v, want webhook.created and webhook.ping", types)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
