package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/remora-sec/remora/infra/pg/pgtest"
	"github.com/remora-sec/remora/infra/syncbuf"
	"github.com/remora-sec/remora/tenants"
)

type syncBuffer = syncbuf.Buffer

func TestUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("err = %v", err)
	}
	if err := run(context.Background(), nil, &out, &errOut); err == nil {
		t.Fatal("no command: want error")
	}
}

// TestInvalidConfig: a bad setting stops remora with one line naming it,
// before anything is started.
func TestInvalidConfig(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--dev", "--http-addr", "8080"}, "REMORA_HTTP_ADDR"},
		{[]string{"serve", "--dev", "--database-url", "mysql://db/x"}, "REMORA_DATABASE_URL"},
		{[]string{"serve", "--jwt-secret", "short"}, "REMORA_JWT_SECRET"},
		{[]string{"serve", "--data-dir", t.TempDir()}, "REMORA_JWT_SECRET: required outside development mode"},
		{[]string{"migrate", "--redis-url", "nope"}, "REMORA_REDIS_URL"},
		{[]string{"serve", "--dev", "--tls-cert", "/x.pem"}, "REMORA_TLS_CERT"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to name %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// TestMigrateConcurrently runs `remora migrate` twice at once on a database
// that already has tenants: both succeed and report the latest versions.
func TestMigrateConcurrently(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate", "--database-url", url}, &out, &out); err != nil {
		t.Fatalf("first migrate: %v\n%s", err, out.String())
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// Two tenants whose schemas migrate must find (created the way signup does).
	for _, name := range []string{"one", "two"} {
		var id string
		if err := pool.QueryRow(ctx, `INSERT INTO remora.tenants (name) VALUES ($1) RETURNING id`, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
	}
	latest := signedUpSchemaVersion(t)
	control, err := filepath.Glob("../../tenants/migrations/control/*.sql")
	if err != nil || len(control) == 0 {
		t.Fatalf("control migrations: %v", err)
	}
	controlLatest := len(control)
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = run(ctx, []string{"migrate", "--database-url", url}, &outs[i], &outs[i])
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("concurrent migrate %d: %v\n%s", i, errs[i], outs[i].String())
		}
		// The control schema and both tenants at the same versions as a
		// schema made by signup today.
		o := outs[i].String()
		if !strings.Contains(o, fmt.Sprintf("control schema remora: version %d", controlLatest)) || strings.Count(o, fmt.Sprintf("): version %d (", latest)) != 2 {
			t.Errorf("migrate %d output (tenant schemas want version %d):\n%s", i, latest, o)
		}
	}
	// Exactly one of the two runs did the tenants' work; the other found it done.
	if got := strings.Count(outs[0].String()+outs[1].String(), "(was 0)"); got != 2 {
		t.Errorf("tenant schemas migrated %d times, want 2 (once each):\n%s\n%s", got, outs[0].String(), outs[1].String())
	}
}

// signedUpSchemaVersion signs a tenant up on a database of its own and
// returns its schema version: the latest tenant migration, whatever number
// that is now.
func signedUpSchemaVersion(t *testing.T) int {
	t.Helper()
	pool, _ := pgtest.NewPool(t)
	if _, err := tenants.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	store, err := tenants.NewStore(pool, tenants.Options{JWTSecret: []byte("0123456789abcdef0123456789abcdef-test")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.Signup(context.Background(), tenants.SignupRequest{Organization: "Probe", Email: "probe@example.com", Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	return res.Tenant.SchemaVersion
}
