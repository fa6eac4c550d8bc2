package main

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/pg/pgtest"
	"github.com/remora-sec/remora/infra/redisx/redistest"
	"github.com/remora-sec/remora/tenants"
)

// TestWorkerCommand runs `remora worker` against a migrated database: a
// tenant's workload write, with no wake-up sent at all, is still computed
// (the reconciler finds it), and the command stops cleanly with its
// context.
func TestWorkerCommand(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	var out syncBuffer
	if err := run(ctx, []string{"migrate", "--database-url", url}, &out, &out); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store, err := tenants.NewStore(pool, tenants.Options{JWTSecret: []byte("0123456789abcdef0123456789abcdef-test")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.Signup(ctx, tenants.SignupRequest{Organization: "Acme", Email: "a@example.com", Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	ps := policystore.New(store)
	if _, err := ps.CreateWorkloads(ctx, res.Tenant.ID, []policy.Workload{{Name: "w"}}, ""); err != nil {
		t.Fatal(err)
	}
	// Its own Redis prefix: a worker of another test's database would
	// take this tenant's jobs, find it missing and drop them.
	_, prefix := redistest.New(t)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- run(wctx, []string{"worker", "--database-url", url, "--redis-url", redistest.URL(), "--redis-prefix", prefix, "--workers", "2"}, &out, &logs)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		g, err := ps.Generations(ctx, res.Tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		if g.Desired > 0 && g.Computed == g.Desired {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the worker did not compute the tenant: %+v\n%s", g, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker: %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the worker did not stop")
	}
}
