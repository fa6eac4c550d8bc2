package tenants

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/migrate"
	"github.com/remora-sec/remora/infra/pg/pgtest"
)

// migrateTogether starts Migrate on every pool at once and returns each
// run's result.
func migrateTogether(t *testing.T, pools ...*pgxpool.Pool) [][]SchemaVersion {
	t.Helper()
	out := make([][]SchemaVersion, len(pools))
	errs := make([]error, len(pools))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range pools {
		wg.Go(func() {
			<-start
			out[i], errs[i] = Migrate(t.Context(), p)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Migrate #%d: %v", i, err)
		}
	}
	return out
}

func bySchema(vs []SchemaVersion) map[string]SchemaVersion {
	m := map[string]SchemaVersion{}
	for _, v := range vs {
		m[v.Schema] = v
	}
	return m
}

// lockFree reports whether the migration lock can be taken, i.e. no
// Migrate holds it.
func lockFree(t *testing.T, pool *pgxpool.Pool) bool {
	t.Helper()
	conn, err := pool.Acquire(t.Context())
	noErr(t, err)
	defer conn.Release()
	var ok bool
	noErr(t, conn.QueryRow(t.Context(), `SELECT pg_try_advisory_lock($1)`, migrateLockKey).Scan(&ok))
	if ok {
		_, err := conn.Exec(t.Context(), `SELECT pg_advisory_unlock($1)`, migrateLockKey)
		noErr(t, err)
	}
	return ok
}

// Two replicas starting at once: each with its own pool, both migrate, and
// the advisory lock makes one wait for the other.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	var pools []*pgxpool.Pool
	for range 2 {
		p, err := pgxpool.New(ctx, url)
		noErr(t, err)
		t.Cleanup(p.Close)
		pools = append(pools, p)
	}
	control, tenant := controlMigrations.Latest(), tenantMigrations.Latest()

	// An empty database.
	var froms []int
	for _, run := range migrateTogether(t, pools...) {
		if len(run) != 1 || run[0].Schema != ControlSchema || run[0].Tenant != "" || run[0].Version != control {
			t.Fatalf("run = %+v; want only %s at version %d", run, ControlSchema, control)
		}
		froms = append(froms, run[0].From)
	}
	if slices.Sort(froms); !slices.Equal(froms, []int{0, control}) {
		t.Errorf("control migrated from %v; want one run from 0 and one finding it done", froms)
	}
	noErr(t, CheckSchema(ctx, pools[0]))

	// A tenant from signup, at the latest version, and one whose schema was
	// never made (as if it predated its first migration).
	s, err := NewStore(pools[0], Options{JWTSecret: testJWTSecret})
	noErr(t, err)
	acme := signup(t, s, "Acme", "alice@acme.example").Tenant.ID
	var bare ids.TenantID
	noErr(t, pools[0].QueryRow(ctx, `INSERT INTO remora.tenants (name) VALUES ('Bare') RETURNING id`).Scan(&bare))
	acmeSchema, _ := acme.Schema()
	bareSchema, _ := bare.Schema()

	froms = nil
	for _, run := range migrateTogether(t, pools...) {
		m := bySchema(run)
		if len(run) != 3 || len(m) != 3 {
			t.Fatalf("run = %+v; want control and two tenants", run)
		}
		if c := m[ControlSchema]; c.From != control || c.Version != control {
			t.Errorf("control: %+v", c)
		}
		if a := m[acmeSchema]; a.Tenant != acme || a.From != tenant || a.Version != tenant {
			t.Errorf("signed-up tenant: %+v", a)
		}
		b := m[bareSchema]
		if b.Tenant != bare || b.Version != tenant {
			t.Errorf("bare tenant: %+v", b)
		}
		froms = append(froms, b.From)
	}
	if slices.Sort(froms); !slices.Equal(froms, []int{0, tenant}) {
		t.Errorf("bare tenant migrated from %v; want one run from 0 and one finding it done", froms)
	}
	for schema, want := range map[string]int{ControlSchema: control, acmeSchema: tenant, bareSchema: tenant} {
		if v, err := migrate.Version(ctx, pools[1], schema); err != nil || v != want {
			t.Errorf("version of %s = %d, %v; want %d", schema, v, err, want)
		}
	}
	if n := count(t, pools[1], `SELECT count(*) FROM `+bareSchema+`.settings`); n != 1 {
		t.Errorf("bare tenant's settings rows = %d", n)
	}

	// Nothing is left to do.
	run, err := Migrate(ctx, pools[1])
	noErr(t, err)
	if len(run) != 3 {
		t.Errorf("run = %+v", run)
	}
	for _, v := range run {
		if v.From != v.Version {
			t.Errorf("second run: %+v", v)
		}
	}
	if !lockFree(t, pools[0]) {
		t.Error("the migration lock is still held")
	}
}

func TestCheckSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, _ := pgtest.NewPool(t)
	if err := CheckSchema(ctx, pool); err == nil || !strings.Contains(err.Error(), "remora migrate") {
		t.Errorf("CheckSchema on an empty database: %v", err)
	}
	_, err := Migrate(ctx, pool)
	noErr(t, err)
	noErr(t, CheckSchema(ctx, pool))

	// A database migrated by a newer binary is refused by both.
	_, err = pool.Exec(ctx, `INSERT INTO remora.schema_migrations (version, name) VALUES ($1, 'from the future')`, controlMigrations.Latest()+1)
	noErr(t, err)
	if err := CheckSchema(ctx, pool); err == nil {
		t.Error("CheckSchema accepts a newer schema")
	}
	if _, err := Migrate(ctx, pool); err == nil || !strings.Contains(err.Error(), "upgrade remora") {
		t.Errorf("Migrate on a newer schema: %v", err)
	}
	if !lockFree(t, pool) {
		t.Error("a failed Migrate keeps the migration lock")
	}
}

// waitBlockedBy returns once some backend waits for a lock held by the
// backend pid. It polls, as Postgres has no way to be told.
func waitBlockedBy(t *testing.T, pool *pgxpool.Pool, pid int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		var waiting bool
		err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)))`, pid).Scan(&waiting)
		if err != nil {
			t.Fatalf("waiting for a backend blocked by %d: %v", pid, err)
		}
		if waiting {
			return
		}
	}
}

// lockingTx begins a transaction, runs sqls in it, and returns it with its
// backend's pid; it is rolled back at the end of the test unless committed.
func lockingTx(t *testing.T, pool *pgxpool.Pool, sqls ...string) (pgx.Tx, int) {
	t.Helper()
	tx, err := pool.Begin(t.Context())
	noErr(t, err)
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	for _, sql := range sqls {
		_, err := tx.Exec(t.Context(), sql)
		noErr(t, err)
	}
	var pid int
	noErr(t, tx.QueryRow(t.Context(), `SELECT pg_backend_pid()`).Scan(&pid))
	return tx, pid
}

type migrateResult struct {
	out []SchemaVersion
	err error
}

func migrateAsync(t *testing.T, pool *pgxpool.Pool) <-chan migrateResult {
	done := make(chan migrateResult, 1)
	go func() {
		out, err := Migrate(t.Context(), pool)
		done <- migrateResult{out, err}
	}()
	return done
}

// A tenant deleted while Migrate runs is neither an error nor brought back
// to life as an orphan schema.
func TestMigrateRacingDeleteTenant(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	check := func(t *testing.T, r migrateResult, gone ids.TenantID) {
		t.Helper()
		if r.err != nil {
			t.Fatalf("Migrate: %v", r.err)
		}
		for _, v := range r.out {
			if v.Tenant == gone {
				t.Errorf("Migrate reports the deleted tenant: %+v", v)
			}
		}
		schema, _ := gone.Schema()
		if schemaExists(t, s, schema) {
			t.Errorf("Migrate recreated %s, the schema of a deleted tenant", schema)
		}
	}

	t.Run("deleted after Migrate listed it", func(t *testing.T) {
		w := signup(t, s, "Wayne", "bruce@wayne.example") // listed first
		x := signup(t, s, "Xanadu", "kubla@xanadu.example")
		wSchema, _ := w.Tenant.ID.Schema()
		// Migrate lists both tenants, then waits on W's schema.
		hold, pid := lockingTx(t, s.Pool(), `LOCK TABLE `+wSchema+`.schema_migrations IN ACCESS EXCLUSIVE MODE`)
		done := migrateAsync(t, s.Pool())
		waitBlockedBy(t, s.Pool(), pid)
		noErr(t, s.DeleteTenant(ctx, as(x.User), "Xanadu"))
		noErr(t, hold.Rollback(ctx))
		check(t, <-done, x.Tenant.ID)
	})

	t.Run("deletion in flight when Migrate reaches it", func(t *testing.T) {
		y := signup(t, s, "Yoyodyne", "john@yoyodyne.example")
		ySchema, _ := y.Tenant.ID.Schema()
		// What DeleteTenant does, held open before its commit.
		del, pid := lockingTx(t, s.Pool(),
			`SELECT name FROM remora.tenants WHERE id = '`+string(y.Tenant.ID)+`' FOR UPDATE`,
			`DROP SCHEMA `+ySchema+` CASCADE`,
			`DELETE FROM remora.tenants WHERE id = '`+string(y.Tenant.ID)+`'`)
		done := migrateAsync(t, s.Pool())
		waitBlockedBy(t, s.Pool(), pid)
		noErr(t, del.Commit(ctx))
		check(t, <-done, y.Tenant.ID)
	})
}
