package policystore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
)

// ObjectKey names one versioned object.
type ObjectKey struct {
	Kind policy.Kind
	ID   string
}

// ObjectRef is an object in a diff: its key and its name (in the newer
// state, or the older one for a removal).
type ObjectRef struct {
	ObjectKey
	Name string
}

// Changes are what separates two states of the policy, each list ordered
// by kind, then name, then id, comparing bytes (whatever the database's
// collation) so that every producer of Changes agrees.
type Changes struct {
	Added, Changed, Removed []ObjectRef
}

// Len is the number of objects that differ.
func (c Changes) Len() int { return len(c.Added) + len(c.Changed) + len(c.Removed) }

// Diff is Changes between two named states.
type Diff struct {
	From, To string
	Changes
}

// Diff lists the objects added, changed and removed from state from to
// state to. Documents are compared as JSON values, so only a real change of
// content counts.
func (s *Store) Diff(ctx context.Context, tenant ids.TenantID, from, to Selector) (Diff, error) {
	var d Diff
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		a, err := from.resolve(ctx, tx)
		if err != nil {
			return err
		}
		b, err := to.resolve(ctx, tx)
		if err != nil {
			return err
		}
		d.From, d.To = a.String(), b.String()
		d.Changes, err = diffStates(ctx, tx, a, b)
		return err
	})
	if err != nil {
		return d, fmt.Errorf("diff: %w", err)
	}
	return d, nil
}

func diffStates(ctx context.Context, tx pgx.Tx, a, b state) (Changes, error) {
	rows, err := tx.Query(ctx, `SELECT coalesce(b.kind, a.kind), coalesce(b.id, a.id)::text, coalesce(b.name, a.name),
			CASE WHEN a.id IS NULL THEN 'added' WHEN b.id IS NULL THEN 'removed' ELSE 'changed' END
		FROM `+a.objects()+` a FULL JOIN `+b.objects()+` b ON a.kind = b.kind AND a.id = b.id
		WHERE a.id IS NULL OR b.id IS NULL OR a.doc <> b.doc
		ORDER BY 1, coalesce(b.name, a.name) COLLATE "C", 2`)
	if err != nil {
		return Changes{}, fmt.Errorf("compare %s with %s: %w", a, b, err)
	}
	defer rows.Close()
	c := Changes{Added: []ObjectRef{}, Changed: []ObjectRef{}, Removed: []ObjectRef{}}
	for rows.Next() {
		var (
			r  ObjectRef
			op string
		)
		if err := rows.Scan(&r.Kind, &r.ID, &r.Name, &op); err != nil {
			return c, err
		}
		switch op {
		case "added":
			c.Added = append(c.Added, r)
		case "changed":
			c.Changed = append(c.Changed, r)
		default:
			c.Removed = append(c.Removed, r)
		}
	}
	return c, rows.Err()
}
