// Package docstore keeps a tenant's compiled results in its Postgres
// schema: each workload's document outline (mode, rules, the ids of the
// sets they name) and each shared set's members, apart, so a workload
// born rewrites one set row and its own outline, not every document that
// names the set. Each row carries the generation at which its content last
// changed. Writes are compare-and-set on the tenant's computed generation,
// so a slow worker finishing an old computation can never overwrite a
// newer one.
package docstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
)

// Tenants is the way into a tenant's schema (tenants.Store implements it).
type Tenants interface {
	InTenant(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
	InTenantRead(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
}

// Store is the document store; safe for concurrent use.
type Store struct{ tenants Tenants }

// New returns a Store reaching tenant schemas through t.
func New(t Tenants) *Store { return &Store{tenants: t} }
