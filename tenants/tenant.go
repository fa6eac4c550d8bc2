package tenants

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// GetTenant returns the tenant and the version of its schema.
func (s *Store) GetTenant(ctx context.Context, id ids.TenantID) (Tenant, error) {
	var t Tenant
	err := s.InTenantRead(ctx, id, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, name, created_at, (SELECT coalesce(max(version), 0) FROM schema_migrations)
			FROM remora.tenants WHERE id = $1`, id).Scan(&t.ID, &t.Name, &t.CreatedAt, &t.SchemaVersion)
		if err != nil {
			return fmt.Errorf("get tenant: %w", err)
		}
		return nil
	})
	return t, err
}

// DeleteTenant deletes the actor's tenant for good: its schema with every
// object in it, its users, sessions and keys. confirm must repeat the
// tenant's name, so a stray request cannot do it.
func (s *Store) DeleteTenant(ctx context.Context, actor Principal, confirm string) error {
	if actor.Role != Owner {
		return usererr.New(usererr.Forbidden, "only owners delete the tenant")
	}
	if confirm == "" {
		return usererr.Field(usererr.Invalid, "confirm", "is required: repeat the organization's name")
	}
	schema, err := actor.Tenant.Schema()
	if err != nil {
		return errNotFound("tenant")
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		name, err := lockTenant(ctx, tx, actor.Tenant)
		if err != nil {
			return err
		}
		if confirm != name {
			return usererr.Field(usererr.Invalid, "confirm", "does not match the organization's name")
		}
		if _, err := tx.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			return fmt.Errorf("drop tenant schema: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM remora.tenants WHERE id = $1`, actor.Tenant); err != nil {
			return fmt.Errorf("delete tenant: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete tenant: %w", err)
	}
	return nil
}

// TenantIDs lists every tenant, oldest first: what a reconciler walks.
func (s *Store) TenantIDs(ctx context.Context) ([]ids.TenantID, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM remora.tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[ids.TenantID])
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
}
