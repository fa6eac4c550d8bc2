package dispatch_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/remora-sec/remora/gateway/webhook/sign"
	"github.com/remora-sec/remora/gateway/webhook/sign/signtest"
)

// nodeReceiver is signtest's receiver.js, the npm standardwebhooks package
// verifying what a real dispatcher sends: code we did not write, so a
// misreading of the spec shared by our signer and our verifier cannot pass.
type nodeReceiver struct {
	URL string

	mu    sync.Mutex
	lines []nodeLine
}

// nodeLine is one request as receiver.js saw it: verified holds, per
// secret, true or the library's error.
type nodeLine struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Verified []any  `json:"verified"`
}

func startNodeReceiver(t *testing.T) *nodeReceiver {
	t.Helper()
	signtest.Install(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "node", "receiver.js")
	cmd.Dir = signtest.Dir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("receiver.js stderr:\n%s", stderr.String())
		}
	})
	nr := &nodeReceiver{}
	ready := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var l struct {
				Listening int `json:"listening"`
				nodeLine
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Errorf("receiver.js printed %q: %v", sc.Text(), err)
				continue
			}
			if l.Listening != 0 {
				ready <- l.Listening
				continue
			}
			nr.mu.Lock()
			nr.lines = append(nr.lines, l.nodeLine)
			nr.mu.Unlock()
		}
	}()
	select {
	case port := <-ready:
		nr.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	case <-time.After(30 * time.Second):
		t.Fatalf("receiver.js did not start: %s", stderr.String())
	}
	return nr
}

// setSecrets tells the receiver which secrets to verify with.
func (nr *nodeReceiver) setSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	b, _ := json.Marshal(secrets)
	req, _ := http.NewRequest(http.MethodPut, nr.URL+"/_secrets", bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("setting the receiver's secrets: %v %v", resp, err)
	}
	resp.Body.Close()
}

func (nr *nodeReceiver) seen() []nodeLine {
	nr.mu.Lock()
	defer nr.mu.Unlock()
	return append([]nodeLine(nil), nr.lines...)
}

// TestNodeVerifiesDeliveries: every delivery of a real dispatcher run —
// events, a ping, and after a secret rotation deliveries signed with both
// secrets — verifies with the npm standardwebhooks library, with each
// secret a receiver may hold; and the library does refuse a delivery
// signed with a secret it does not hold.
func TestNodeVerifiesDeliveries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant()
	nr := startNodeReceiver(t)
	ctx := context.Background()
	h, oldSecret, err := e.hooks.Create(ctx, tenant, hookInput(nr.URL+"/hook", "*"))
	if err != nil {
		t.Fatal(err)
	}
	nr.setSecrets(t, oldSecret)
	phase1 := e.emit(tenant, 5)
	if _, err := e.hooks.Ping(ctx, tenant, h.ID); err != nil {
		t.Fatal(err)
	}
	run(t, e.dispatcher("1m"))
	waitFor(t, 20*time.Second, "the first deliveries", e.settled(h.ID, 1+5+1, "delivered")) // created, 5 events, ping

	_, newSecret, err := e.hooks.RotateSecret(ctx, tenant, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	nr.setSecrets(t, oldSecret, newSecret)
	phase2 := e.emit(tenant, 3)
	waitFor(t, 20*time.Second, "the deliveries after the rotation", e.settled(h.ID, 7+1+3, "delivered")) // secret_rotated, 3 events

	stranger, _ := sign.NewSecret()
	nr.setSecrets(t, stranger)
	e.emit(tenant, 1)
	waitFor(t, 20*time.Second, "the refused delivery", func() bool {
		ds := e.deliveries(h.ID)
		last := ds[len(ds)-1]
		return len(ds) == 12 && len(last.Attempts) == 1
	})
	if a := e.deliveries(h.ID)[11].Attempts[0]; a.StatusCode == nil || *a.StatusCode != http.StatusBadRequest {
		t.Fatalf("the delivery signed with secrets the receiver does not hold: %+v, want refused with 400", a)
	}
	waitFor(t, 5*time.Second, "receiver.js's output", func() bool { return len(nr.seen()) == 12 })

	byEvent := map[string]string{} // event id → delivery id
	for _, d := range e.deliveries(h.ID) {
		byEvent[d.EventID] = d.ID
	}
	lines := map[string]nodeLine{}
	for _, l := range nr.seen() {
		lines[l.ID] = l
	}
	for i, l := range nr.seen()[:11] {
		for j, v := range l.Verified {
			if v != true {
				t.Errorf("delivery %d (%s, %s): secret %d: %v", i+1, l.ID, l.Type, j, v)
			}
		}
	}
	for _, ev := range phase1 {
		if l := lines[byEvent[ev]]; len(l.Verified) != 1 {
			t.Errorf("event %s before the rotation: %+v, want verified with the secret", ev, l)
		}
	}
	for _, ev := range phase2 {
		if l := lines[byEvent[ev]]; len(l.Verified) != 2 {
			t.Errorf("event %s during the rotation: %+v, want verified with the old secret and the new one, each alone", ev, l)
		}
	}
	if l := nr.seen()[11]; len(l.Verified) != 1 || l.Verified[0] == true {
		t.Errorf("the library accepted a delivery it holds no secret of: %+v", l)
	}
}
