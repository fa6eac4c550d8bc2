package policystore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// Dimension is a label key of the tenant.
type Dimension struct {
	Key       string
	Builtin   bool // one of policy.DefaultDimensions; cannot be deleted
	CreatedAt time.Time
}

// ListDimensions returns the tenant's label keys, built-in ones first.
func (s *Store) ListDimensions(ctx context.Context, tenant ids.TenantID) ([]Dimension, error) {
	var out []Dimension
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT key, builtin, created_at FROM label_dimensions ORDER BY NOT builtin, created_at, key`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Dimension])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list dimensions: %w", err)
	}
	return out, nil
}

// dimensionKeys returns the tenant's label keys, holding them (KEY SHARE)
// until tx ends: a DeleteDimension, which locks its row FOR UPDATE and then
// counts the key's labels, waits for a label being created and sees it.
func dimensionKeys(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT key FROM label_dimensions ORDER BY key FOR KEY SHARE`)
	if err != nil {
		return nil, fmt.Errorf("load dimensions: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// CreateDimension adds a custom label key; a tenant has at most
// policy.MaxDimensions keys, built-in ones included.
func (s *Store) CreateDimension(ctx context.Context, tenant ids.TenantID, key string) (Dimension, error) {
	if err := policy.ValidateDimension(key); err != nil {
		return Dimension{}, err
	}
	return write(ctx, s, tenant, "create dimension", func(tx pgx.Tx) (Dimension, error) {
		if _, err := lockHead(ctx, tx); err != nil {
			return Dimension{}, err
		}
		d, err := insertDimension(ctx, tx, key, "key")
		if err != nil {
			return d, err
		}
		return d, emitAll(ctx, tx, tenant, dimensionEvent("created", key))
	})
}

// insertDimension adds key within a transaction holding the policy head,
// reporting a duplicate or the limit against field.
func insertDimension(ctx context.Context, tx pgx.Tx, key, field string) (Dimension, error) {
	var (
		n      int
		exists bool
	)
	if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(bool_or(key = $1), false) FROM label_dimensions`, key).Scan(&n, &exists); err != nil {
		return Dimension{}, err
	}
	if exists {
		return Dimension{}, dimensionTaken(field, key)
	}
	if n >= policy.MaxDimensions {
		return Dimension{}, usererr.Field(usererr.Invalid, field, fmt.Sprintf("the tenant already has the most label keys allowed (%d)", policy.MaxDimensions))
	}
	d := Dimension{Key: key}
	err := tx.QueryRow(ctx, `INSERT INTO label_dimensions (key) VALUES ($1) RETURNING builtin, created_at`, key).Scan(&d.Builtin, &d.CreatedAt)
	if pg.IsUniqueViolation(err, "label_dimensions_pkey") {
		return d, dimensionTaken(field, key)
	}
	return d, err
}

func dimensionTaken(field, key string) error {
	return &usererr.Error{Kind: usererr.Conflict, Msg: "label key already exists",
		Fields: []usererr.FieldError{{Field: field, Message: fmt.Sprintf("%q already exists", key)}}}
}

// DeleteDimension removes a custom label key that no label, and no label
// group of the draft or the active version, uses.
func (s *Store) DeleteDimension(ctx context.Context, tenant ids.TenantID, key string) error {
	if policy.ValidateDimension(key) != nil {
		return usererr.New(usererr.NotFound, "label key not found") // no such key can exist
	}
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		active, err := lockHead(ctx, tx)
		if err != nil {
			return err
		}
		var (
			builtin        bool
			labels, groups int
		)
		// Lock, then count in a statement of its own: its snapshot is
		// taken after the lock, so it sees a label created meanwhile.
		err = tx.QueryRow(ctx, `SELECT builtin FROM label_dimensions WHERE key = $1 FOR UPDATE`, key).Scan(&builtin)
		if errors.Is(err, pgx.ErrNoRows) {
			return usererr.New(usererr.NotFound, "label key not found")
		}
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM labels WHERE key = $1),
				(SELECT count(*) FROM draft_objects WHERE kind = 'label_group' AND doc->>'key' = $1)
				+ (SELECT count(*) FROM version_objects WHERE version = $2 AND kind = 'label_group' AND doc->>'key' = $1)`,
			key, active).Scan(&labels, &groups)
		switch {
		case err != nil:
			return err
		case builtin:
			return usererr.New(usererr.Conflict, fmt.Sprintf("%q is a built-in label key and cannot be deleted", key))
		case labels > 0:
			return usererr.New(usererr.Conflict, fmt.Sprintf("%d labels have the key %q: delete them first", labels, key))
		case groups > 0:
			return usererr.New(usererr.Conflict, fmt.Sprintf("label groups of the draft or the active version have the key %q: delete them first", key))
		}
		_, err = tx.Exec(ctx, `DELETE FROM label_dimensions WHERE key = $1`, key)
		if pg.IsForeignKeyViolation(err) {
			return usererr.New(usererr.Conflict, fmt.Sprintf("labels have the key %q: delete them first", key))
		}
		if err != nil {
			return err
		}
		return emitAll(ctx, tx, tenant, dimensionEvent("deleted", key))
	})
	if err != nil {
		return fmt.Errorf("delete dimension: %w", err)
	}
	return nil
}
