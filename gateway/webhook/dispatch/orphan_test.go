package dispatch_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/outbox"
)

// TestOrphanDeliveryDropped: an event committing beside the deletion of a
// matching webhook queues a delivery the delete's cleanup cannot see; the
// dispatcher, finding the webhook gone, drops it instead of claiming it at
// every lease for ever.
func TestOrphanDeliveryDropped(t *testing.T) {
	e := newEnv(t)
	tenant := e.tenant()
	rc := newReceiver(t, nil)
	h, _ := e.hook(tenant, rc.URL+"/hook")
	ctx := context.Background()

	emitted, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- e.ts.InTenant(ctx, tenant, func(tx pgx.Tx) error {
			if _, err := outbox.Emit(ctx, tx, tenant, "test.happened", outbox.Resource{Type: "test", ID: "x"}, nil); err != nil {
				return err
			}
			close(emitted)
			<-release
			return nil
		})
	}()
	<-emitted
	delDone := make(chan error, 1)
	go func() { delDone <- e.hooks.Delete(ctx, tenant, h.ID, "") }()
	select {
	case err := <-delDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("Delete blocked on the emitting transaction (no race)")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.ts.Pool().QueryRow(ctx, `SELECT count(*) FROM remora.webhook_deliveries WHERE webhook_id = $1`, h.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the emitting transaction queued no delivery beside the delete: the scenario this test sets up did not happen")
	}
	d := e.dispatcher("1m")
	d.Timeout, d.Lease = 100*time.Millisecond, 200*time.Millisecond
	run(t, d)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := e.ts.Pool().QueryRow(ctx, `SELECT count(*) FROM remora.webhook_deliveries WHERE webhook_id = $1`, h.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery of a deleted webhook is still queued after %v", 10*time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
