package outbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/tenants/tenanttest"
)

func TestPattern(t *testing.T) {
	for glob, want := range map[string]string{"*": "%", "workload.*": "workload.%", "policy.provisioned": "policy.provisioned",
		"ven.went_offline": `ven.went\_offline`, "*.created": "%.created"} {
		if got, ok := outbox.Pattern(glob); !ok || got != want {
			t.Errorf("Pattern(%q) = %q, %v; want %q", glob, got, ok, want)
		}
	}
	for _, bad := range []string{"", "Workload.*", "a%b", "a b", "x;drop"} {
		if _, ok := outbox.Pattern(bad); ok {
			t.Errorf("Pattern(%q) accepted", bad)
		}
	}
}

// TestEmit: an event is stored with the context's actor, queued for the
// enabled webhooks whose globs match, and gone with a rolled-back change.
func TestEmit(t *testing.T) {
	ctx := context.Background()
	ts := tenanttest.NewStore(t)
	tenant, user := tenanttest.Signup(t, ts)
	hook := func(enabled bool, globs ...string) string {
		id := ids.New()
		var pats []string
		for _, g := range globs {
			p, _ := outbox.Pattern(g)
			pats = append(pats, p)
		}
		err := ts.InTenant(ctx, tenant, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO webhooks (id, url, event_types, patterns, enabled, secret) VALUES ($1, 'https://x.example', $2, $3, $4, '\x00')`,
				id, globs, pats, enabled)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	all, workloads, _, _ := hook(true, "*"), hook(true, "workload.*"), hook(false, "*"), hook(true, "policy.*")
	actx := outbox.WithActor(ctx, outbox.Actor{Type: "user", ID: string(user)})
	var ev outbox.Event
	err := ts.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		var err error
		ev, err = outbox.Emit(actx, tx, tenant, "workload.created", outbox.Resource{Type: "workload", ID: "w1"}, map[string]any{"name": "web-1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var actor outbox.Actor
	err = ts.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*), (SELECT actor FROM events WHERE id = $1) FROM events WHERE type LIKE 'workload.%'`, ev.ID).Scan(&n, &actor)
	})
	if err != nil || n != 1 || actor.Type != "user" || actor.ID != string(user) {
		t.Fatalf("stored: %d events, actor %+v, %v", n, actor, err)
	}
	rows, err := ts.Pool().Query(ctx, `SELECT webhook_id::text FROM remora.webhook_deliveries WHERE event_id = $1 ORDER BY webhook_id`, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{all: true, workloads: true}
	if len(got) != 2 || !want[got[0]] || !want[got[1]] {
		t.Fatalf("deliveries for %v, want the two matching enabled webhooks", got)
	}

	boom := errors.New("the change failed")
	err = ts.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		if _, err := outbox.Emit(ctx, tx, tenant, "workload.deleted", outbox.Resource{Type: "workload", ID: "w1"}, nil); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	err = ts.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE type LIKE 'workload.%'`).Scan(&n)
	})
	if err != nil || n != 1 {
		t.Fatalf("after a rolled-back change: %d events, %v; want the first only", n, err)
	}
	if _, err := outbox.Emit(ctx, nil, tenant, "Bad Type", outbox.Resource{}, nil); err == nil {
		t.Error("a bad event type was emitted")
	}
}
