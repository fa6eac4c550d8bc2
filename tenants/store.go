package tenants

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// Store is the tenants component: Postgres-backed, safe for concurrent use.
type Store struct {
	pool       *pgxpool.Pool
	tokens     tokenIssuer
	refreshTTL time.Duration
	now        func() time.Time
}

// Options configure a Store. Zero durations take the defaults.
type Options struct {
	JWTSecret  []byte           // HMAC-SHA256 key for access tokens; at least 32 bytes
	AccessTTL  time.Duration    // default 15 minutes
	RefreshTTL time.Duration    // default 30 days
	Now        func() time.Time // default time.Now; tests move the clock
}

// NewStore returns a Store on pool, whose control schema must be migrated.
func NewStore(pool *pgxpool.Pool, opt Options) (*Store, error) {
	if len(opt.JWTSecret) < 32 {
		return nil, errors.New("tenants: JWT secret must be at least 32 bytes")
	}
	if opt.AccessTTL == 0 {
		opt.AccessTTL = 15 * time.Minute
	}
	if opt.RefreshTTL == 0 {
		opt.RefreshTTL = 30 * 24 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Store{
		pool:       pool,
		tokens:     tokenIssuer{secret: opt.JWTSecret, ttl: opt.AccessTTL, now: opt.Now},
		refreshTTL: opt.RefreshTTL,
		now:        opt.Now,
	}, nil
}

// Pool is the underlying pool, for readiness checks.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// errNotFound is what a caller sees for an object that does not exist or
// belongs to another tenant: the two are indistinguishable on purpose.
func errNotFound(what string) error { return usererr.New(usererr.NotFound, what+" not found") }

// InTenant runs fn in a transaction whose search_path is the tenant's schema
// only, so fn's unqualified queries can reach no other tenant's tables
// (pg_temp is named last, so a temporary table left on a pooled connection
// can never shadow a tenant table). It takes a KEY SHARE lock on the tenant
// row: a concurrent tenant deletion waits for fn, and fn never writes into a
// schema being dropped. A tenant that does not exist is a NotFound error.
func (s *Store) InTenant(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error {
	return s.inTenant(ctx, id, pgx.TxOptions{}, "FOR KEY SHARE", fn)
}

// InTenantRead is InTenant for fn that only reads: a READ ONLY transaction
// without the row lock. A lock makes Postgres treat the transaction as a
// write (a transaction id, WAL, a flush at commit), which would otherwise be
// paid by every read; a read-only fn cannot write into a dropped schema, so
// it does not need the lock. It is REPEATABLE READ: all of fn's statements
// see one moment, so a read in several statements (a policy and the labels
// it names) is consistent; for a read-only transaction that costs nothing
// more and can never fail to serialize.
func (s *Store) InTenantRead(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error {
	return s.inTenant(ctx, id, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, "", fn)
}

func (s *Store) inTenant(ctx context.Context, id ids.TenantID, opts pgx.TxOptions, lock string, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		if err := enterTenant(ctx, tx, id, lock); err != nil {
			return err
		}
		return fn(tx)
	})
}

// enterTenant checks within tx that the tenant exists, taking lock ("" or a
// row-locking clause) on its row, and sets tx's search_path to its schema
// then pg_temp — one round trip. A missing tenant is NotFound.
func enterTenant(ctx context.Context, tx pgx.Tx, id ids.TenantID, lock string) error {
	schema, err := id.Schema()
	if err != nil {
		return errNotFound("tenant")
	}
	var path string
	err = tx.QueryRow(ctx, `SELECT set_config('search_path', $2, true) FROM remora.tenants WHERE id = $1 `+lock,
		id, pgx.Identifier{schema}.Sanitize()+", pg_temp").Scan(&path)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNotFound("tenant")
	}
	if err != nil {
		return fmt.Errorf("enter tenant schema: %w", err)
	}
	return nil
}

// lockTenant takes the tenant row FOR UPDATE within tx and returns the
// tenant's name. Changes that must see a stable set of users (the last
// owner stays an owner) and the tenant's deletion serialize on it.
func lockTenant(ctx context.Context, tx pgx.Tx, id ids.TenantID) (name string, err error) {
	err = tx.QueryRow(ctx, `SELECT name FROM remora.tenants WHERE id = $1 FOR UPDATE`, id).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", errNotFound("tenant")
	}
	if err != nil {
		return "", fmt.Errorf("lock tenant: %w", err)
	}
	return name, nil
}
