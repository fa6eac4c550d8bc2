package tenants

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/migrate"
	"github.com/remora-sec/remora/infra/usererr"
)

// ControlSchema holds tenants, users, sessions and API keys.
const ControlSchema = "remora"

//go:embed migrations
var migrationFS embed.FS

// controlMigrations and tenantMigrations are loaded once; a malformed set is
// a build mistake, caught by every test.
var controlMigrations, tenantMigrations = mustLoad("migrations/control"), mustLoad("migrations/tenant")

func mustLoad(dir string) migrate.Set {
	s, err := migrate.Load(migrationFS, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// migrateLockKey is the advisory lock that serializes `remora migrate` runs.
const migrateLockKey = 0x72656d6f7261 // "remora"

// SchemaVersion is one schema's version after Migrate.
type SchemaVersion struct {
	Tenant  ids.TenantID // empty for the control schema
	Schema  string
	From    int
	Version int
}

// Migrate brings the control schema and every tenant schema to the latest
// version. It holds a Postgres advisory lock throughout, so concurrent runs
// (two deploys, two replicas starting) wait for each other instead of
// racing on DDL; each schema migrates in its own transaction.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]SchemaVersion, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return nil, fmt.Errorf("migrate: take lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey)

	var out []SchemaVersion
	apply := func(set migrate.Set, tenant ids.TenantID, schema string) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if tenant != "" {
				// Hold the tenant row as InTenant does: a deletion under way
				// finishes first, and a deleted tenant is skipped rather than
				// given its schema back.
				if err := enterTenant(ctx, tx, tenant, "FOR KEY SHARE"); usererr.Is(err, usererr.NotFound) {
					return nil
				} else if err != nil {
					return err
				}
			}
			from, to, err := set.Apply(ctx, tx, schema)
			out = append(out, SchemaVersion{Tenant: tenant, Schema: schema, From: from, Version: to})
			return err
		})
	}
	if err := apply(controlMigrations, "", ControlSchema); err != nil {
		return out, fmt.Errorf("migrate: %w", err)
	}
	rows, err := conn.Query(ctx, `SELECT id FROM remora.tenants ORDER BY created_at, id`)
	if err != nil {
		return out, fmt.Errorf("migrate: list tenants: %w", err)
	}
	tids, err := pgx.CollectRows(rows, pgx.RowTo[ids.TenantID])
	if err != nil {
		return out, fmt.Errorf("migrate: list tenants: %w", err)
	}
	for _, id := range tids {
		schema, err := id.Schema()
		if err != nil {
			return out, fmt.Errorf("migrate: %w", err)
		}
		if err := apply(tenantMigrations, id, schema); err != nil {
			return out, fmt.Errorf("migrate tenant %s: %w", id, err)
		}
	}
	return out, nil
}

// CheckSchema reports an error unless the control schema is at exactly the
// version this binary expects, so `serve` refuses to run on an unmigrated or
// newer database instead of failing on the first query.
func CheckSchema(ctx context.Context, pool *pgxpool.Pool) error {
	v, err := migrate.Version(ctx, pool, ControlSchema)
	if err != nil {
		return err
	}
	if v != controlMigrations.Latest() {
		return fmt.Errorf("control schema is at version %d, this binary needs %d: run `remora migrate`", v, controlMigrations.Latest())
	}
	return nil
}
