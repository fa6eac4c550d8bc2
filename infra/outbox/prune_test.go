package outbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/tenants/tenanttest"
)

// emitAged emits n events of tenant and backdates them by age.
func emitAged(t *testing.T, ts *tenants.Store, tenant ids.TenantID, n int, age time.Duration) {
	t.Helper()
	ctx := context.Background()
	ps := make([]outbox.Pending, n)
	for i := range ps {
		ps[i] = outbox.Pending{Type: "workload.created", Resource: outbox.Resource{Type: "workload", ID: ids.New()}}
	}
	err := ts.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		evs, err := outbox.EmitAll(ctx, tx, tenant, ps)
		if err != nil {
			return err
		}
		idList := make([]string, len(evs))
		for i, ev := range evs {
			idList[i] = ev.ID
		}
		_, err = tx.Exec(ctx, `UPDATE events SET created_at = created_at - $2::interval WHERE id = ANY($1::uuid[])`, idList, age)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countEvents(t *testing.T, ts *tenants.Store, tenant ids.TenantID) int {
	t.Helper()
	evs, _, err := outbox.List(context.Background(), ts, tenant, outbox.Filter{}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestPrune: events older than the retention go, in every tenant and in
// batches; younger ones stay; a zero retention is the default, not "keep
// nothing".
func TestPrune(t *testing.T) {
	ctx := context.Background()
	ts := tenanttest.NewStore(t)
	a, _ := tenanttest.Signup(t, ts) // tenant.created, user.created: young
	b, _ := tenanttest.Signup(t, ts)
	emitAged(t, ts, a, 7, 100*24*time.Hour)
	emitAged(t, ts, b, 3, 100*24*time.Hour)
	emitAged(t, ts, b, 4, 80*24*time.Hour)
	if got := countEvents(t, ts, a) + countEvents(t, ts, b); got != 2+7+2+3+4 {
		t.Fatalf("%d events before pruning", got)
	}

	n, err := (&outbox.Pruner{Tenants: ts}).Prune(ctx) // the default 90 days
	if err != nil || n != 10 {
		t.Fatalf("Prune: %d, %v; want the 10 events older than 90 days", n, err)
	}
	if ga, gb := countEvents(t, ts, a), countEvents(t, ts, b); ga != 2 || gb != 6 {
		t.Fatalf("after pruning: %d and %d events, want 2 and 6", ga, gb)
	}

	now := time.Now()
	p := &outbox.Pruner{Tenants: ts, Retention: 30 * 24 * time.Hour, Batch: 2, Now: func() time.Time { return now }}
	if n, err := p.Prune(ctx); err != nil || n != 4 {
		t.Fatalf("Prune in batches of 2: %d, %v; want the 4 events older than 30 days", n, err)
	}
	if ga, gb := countEvents(t, ts, a), countEvents(t, ts, b); ga != 2 || gb != 2 {
		t.Fatalf("after pruning: %d and %d events, want 2 and 2", ga, gb)
	}
	// An hour from now with a retention of one hour: everything is old.
	p = &outbox.Pruner{Tenants: ts, Retention: time.Hour, Now: func() time.Time { return now.Add(2 * time.Hour) }}
	if n, err := p.Prune(ctx); err != nil || n != 4 {
		t.Fatalf("Prune: %d, %v; want the last 4", n, err)
	}
}

// TestEmitAll: many events, one statement each for the events and their
// deliveries, stored in the order given with one actor.
func TestEmitAll(t *testing.T) {
	ctx := context.Background()
	ts := tenanttest.NewStore(t)
	tenant, _ := tenanttest.Signup(t, ts)
	err := ts.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO webhooks (id, url, event_types, patterns, secret) VALUES ($1, 'https://x.example', '{label.*}', '{label.%}', '\x00')`, ids.New())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	actx := outbox.WithActor(ctx, outbox.Actor{Type: outbox.ActorAPIKey, ID: "k1"})
	var want []outbox.Event
	err = ts.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		var err error
		want, err = outbox.EmitAll(actx, tx, tenant, []outbox.Pending{
			{Type: "label.created", Resource: outbox.Resource{Type: "label", ID: "l1"}, Data: map[string]string{"key": "role"}},
			{Type: "workload.created", Resource: outbox.Resource{Type: "workload", ID: "w1"}},
			{Type: "label.deleted", Resource: outbox.Resource{Type: "label", ID: "l2"}},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := outbox.List(ctx, ts, tenant, outbox.Filter{ActorType: outbox.ActorAPIKey}, page.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d events listed, want 3", len(got))
	}
	for i, ev := range got {
		w := want[i]
		if ev.ID != w.ID || ev.Type != w.Type || ev.Resource != w.Resource || ev.Actor.ID != "k1" || !ev.CreatedAt.Equal(w.CreatedAt) ||
			i > 0 && !ev.CreatedAt.After(got[i-1].CreatedAt) {
			t.Errorf("event %d: %+v, want %+v after the one before", i, ev, w)
		}
	}
	if string(got[0].Data) != `{"key": "role"}` || string(got[1].Data) != `{}` {
		t.Errorf("data %s and %s", got[0].Data, got[1].Data)
	}
	var queued int
	if err := ts.Pool().QueryRow(ctx, `SELECT count(*) FROM remora.webhook_deliveries WHERE tenant_id = $1`, tenant).Scan(&queued); err != nil || queued != 2 {
		t.Errorf("%d deliveries queued, %v; want the two label events'", queued, err)
	}
	if _, err := outbox.EmitAll(ctx, nil, tenant, []outbox.Pending{{Type: "ok.created"}, {Type: "Bad"}}); err == nil {
		t.Error("a bad event type was emitted")
	}
}

// TestPruneDeliveries: settled deliveries older than the retention go with
// their attempts; pending ones stay whatever their age, and so do young
// settled ones.
func TestPruneDeliveries(t *testing.T) {
	ctx := context.Background()
	ts := tenanttest.NewStore(t)
	tenant, _ := tenanttest.Signup(t, ts)
	add := func(status string, age time.Duration) string {
		var id string
		err := ts.Pool().QueryRow(ctx, `INSERT INTO remora.webhook_deliveries (tenant_id, webhook_id, event_id, event_type, payload, status, updated_at)
			VALUES ($1, gen_random_uuid(), gen_random_uuid(), 'x.y', '{}', $2, now() - $3::interval) RETURNING id`, tenant, status, age).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Pool().Exec(ctx, `INSERT INTO remora.webhook_attempts (delivery_id, attempt, latency_ms) VALUES ($1, 1, 5)`, id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	old := 100 * 24 * time.Hour
	add("delivered", old)
	add("failed", old)
	pending := add("pending", old)
	young := add("delivered", time.Hour)
	if _, err := (&outbox.Pruner{Tenants: ts}).Prune(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := ts.Pool().Query(ctx, `SELECT id::text FROM remora.webhook_deliveries ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	left, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{pending, young}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("deliveries left %v, want the pending and the young one %v", left, want)
	}
	var attempts int
	if err := ts.Pool().QueryRow(ctx, `SELECT count(*) FROM remora.webhook_attempts`).Scan(&attempts); err != nil || attempts != 2 {
		t.Fatalf("%d attempts left (%v), want the 2 of the kept deliveries", attempts, err)
	}
}
