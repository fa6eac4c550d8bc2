// Package policystore keeps a tenant's policy in its Postgres schema: label
// dimensions, labels and workloads (not versioned: a change is live at
// once), and the versioned objects (label groups, services, IP lists,
// rulesets) as JSON documents in the draft and in every provisioned version.
//
// It validates with compute/policy before it writes, so the draft and every
// version are always whole: each reference resolves. Every write to the
// policy locks the tenant's policy_head row, which serializes writers and
// makes versions gapless; reads take no lock. Every write records its
// events in its own transaction (events.go); enqueuing recomputation is
// the caller's business.
package policystore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/pg"
)

// Tenants is the way into a tenant's schema (tenants.Store implements it):
// fn runs in a transaction whose search_path is the tenant's schema; a
// missing tenant is a NotFound error.
type Tenants interface {
	InTenant(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
	InTenantRead(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
}

// Store is the policy store; safe for concurrent use.
type Store struct {
	tenants Tenants
}

// New returns a Store reaching tenant schemas through t.
func New(t Tenants) *Store { return &Store{tenants: t} }

// Author is who made a change: a user or an API key.
type Author struct {
	User   ids.UserID
	APIKey ids.APIKeyID
}

// lockHead takes the tenant's policy_head row FOR UPDATE and returns the
// active version. Every policy write starts here.
func lockHead(ctx context.Context, tx pgx.Tx) (active int, err error) {
	err = tx.QueryRow(ctx, `SELECT active FROM policy_head FOR UPDATE`).Scan(&active)
	return active, err
}

// activeVersion reads the active version without a lock.
func activeVersion(ctx context.Context, tx pgx.Tx) (active int, err error) {
	err = tx.QueryRow(ctx, `SELECT active FROM policy_head`).Scan(&active)
	return active, err
}

// read runs fn in a read-only transaction in tenant's schema and returns
// its result; an error is wrapped with what the caller was doing.
func read[T any](ctx context.Context, s *Store, tenant ids.TenantID, what string, fn func(pgx.Tx) (T, error)) (T, error) {
	return pg.InTenantTx(ctx, s.tenants.InTenantRead, tenant, what, fn)
}

// write is read for fn that writes: a read-write transaction holding the
// tenant row against deletion.
func write[T any](ctx context.Context, s *Store, tenant ids.TenantID, what string, fn func(pgx.Tx) (T, error)) (T, error) {
	return pg.InTenantTx(ctx, s.tenants.InTenant, tenant, what, fn)
}
