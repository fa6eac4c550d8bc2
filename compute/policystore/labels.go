package policystore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// LabelRecord is a stored label. Labels are not versioned: every version
// and the draft refer to the same rows by id, so a renamed value is
// renamed everywhere at once.
type LabelRecord struct {
	policy.Label
	Revision  int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

const labelCols = `id, key, value, revision, created_at, updated_at`

func (l *LabelRecord) fields() []any {
	return []any{&l.ID, &l.Key, &l.Value, &l.Revision, &l.CreatedAt, &l.UpdatedAt}
}

func (l LabelRecord) pageKey() page.Key { return page.Key{Time: l.CreatedAt, ID: string(l.ID)} }

var errLabelNotFound = usererr.New(usererr.NotFound, "label not found")

// ListLabels returns one page of labels, of one key if key is not "".
func (s *Store) ListLabels(ctx context.Context, tenant ids.TenantID, key string, pr page.Request) ([]LabelRecord, string, error) {
	var (
		out  []LabelRecord
		next string
	)
	if key != "" && policy.ValidateDimension(key) != nil {
		return []LabelRecord{}, "", nil // no label can have such a key
	}
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		var err error
		out, next, err = pg.ListPage(ctx, tx, `SELECT `+labelCols+` FROM labels WHERE ($1 = '' OR key = $1)`, "", []any{key}, pr,
			pg.Fields((*LabelRecord).fields), LabelRecord.pageKey)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list labels: %w", err)
	}
	return out, next, nil
}

// GetLabel returns one label.
func (s *Store) GetLabel(ctx context.Context, tenant ids.TenantID, id string) (LabelRecord, error) {
	return read(ctx, s, tenant, "get label", func(tx pgx.Tx) (LabelRecord, error) { return getLabel(ctx, tx, id, "") })
}

func getLabel(ctx context.Context, tx pgx.Tx, id, lock string) (LabelRecord, error) {
	var l LabelRecord
	if !ids.Valid(id) {
		return l, errLabelNotFound
	}
	err := tx.QueryRow(ctx, `SELECT `+labelCols+` FROM labels WHERE id = $1 `+lock, id).Scan(l.fields()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, errLabelNotFound
	}
	return l, err
}

// CreateLabel adds key=value; the key must be one of the tenant's dimensions.
func (s *Store) CreateLabel(ctx context.Context, tenant ids.TenantID, key, value string) (LabelRecord, error) {
	var l LabelRecord
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		// The policy head first, as every writer of labels and keys takes
		// it: an import checks labels and then creates its own.
		if _, err := lockHead(ctx, tx); err != nil {
			return err
		}
		dims, err := dimensionKeys(ctx, tx)
		if err != nil {
			return err
		}
		l.Label = policy.Label{ID: policy.LabelID(ids.New()), Key: key, Value: value}
		if err := policy.ValidateLabel(l.Label, dims); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO labels (id, key, value, revision) VALUES ($1, $2, $3, nextval('revisions'))
			RETURNING `+labelCols, l.ID, key, value).Scan(l.fields()...)
		if err := labelTaken(err, "value", key, value); err != nil {
			return err
		}
		return emitAll(ctx, tx, tenant, labelEvent("created", l.Label))
	})
	if err != nil {
		return l, fmt.Errorf("create label: %w", err)
	}
	return l, nil
}

// labelTaken turns a duplicate key=value into a 409 on field.
func labelTaken(err error, field, key, value string) error {
	if pg.IsUniqueViolation(err, "labels_key_value_key") {
		return &usererr.Error{Kind: usererr.Conflict, Msg: "label already exists",
			Fields: []usererr.FieldError{{Field: field, Message: fmt.Sprintf("label %s=%s already exists", key, value)}}}
	}
	return err
}

// UpdateLabel renames a label's value. Its key cannot change: workloads
// and label groups hold it as a label of that key.
func (s *Store) UpdateLabel(ctx context.Context, tenant ids.TenantID, id, key, value, ifMatch string) (LabelRecord, error) {
	var l LabelRecord
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		if _, err := lockHead(ctx, tx); err != nil {
			return err
		}
		cur, err := getLabel(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := checkIfMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		if key != cur.Key {
			return usererr.Field(usererr.Invalid, "key", fmt.Sprintf("cannot change from %q: create a new label instead", cur.Key))
		}
		dims, err := dimensionKeys(ctx, tx)
		if err != nil {
			return err
		}
		if err := policy.ValidateLabel(policy.Label{ID: cur.ID, Key: key, Value: value}, dims); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `UPDATE labels SET value = $2, revision = nextval('revisions'), updated_at = now()
			WHERE id = $1 RETURNING `+labelCols, id, value).Scan(l.fields()...)
		if err := labelTaken(err, "value", key, value); err != nil {
			return err
		}
		ev := labelEvent("updated", l.Label)
		ev.Data.(map[string]any)["previous_value"] = cur.Value
		return emitAll(ctx, tx, tenant, ev)
	})
	if err != nil {
		return l, fmt.Errorf("update label: %w", err)
	}
	return l, nil
}

// DeleteLabel removes a label that nothing uses: no workload, no pairing
// profile, and no object of the draft or the active version (an older
// version that used it can no longer be rolled back to).
func (s *Store) DeleteLabel(ctx context.Context, tenant ids.TenantID, id, ifMatch string) error {
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		active, err := lockHead(ctx, tx)
		if err != nil {
			return err
		}
		cur, err := getLabel(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := checkIfMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		users, err := labelUsers(ctx, tx, id, active)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return inUse(fmt.Sprintf("label %s=%s", cur.Key, cur.Value), users)
		}
		_, err = tx.Exec(ctx, `DELETE FROM labels WHERE id = $1`, id)
		if pg.IsForeignKeyViolation(err) {
			return usererr.New(usererr.Conflict, "label is still in use")
		}
		if err != nil {
			return err
		}
		return emitAll(ctx, tx, tenant, labelEvent("deleted", cur.Label))
	})
	if err != nil {
		return fmt.Errorf("delete label: %w", err)
	}
	return nil
}

// labelUsers names the workloads, pairing profiles, draft objects and
// active objects that use label id.
func labelUsers(ctx context.Context, tx pgx.Tx, id string, active int) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT format('workload %s (%s)', to_json(w.name), w.id) FROM workload_labels wl
		JOIN workloads w ON w.id = wl.workload_id WHERE wl.label_id = $1 ORDER BY w.name, w.id`, id)
	if err != nil {
		return nil, fmt.Errorf("find workloads: %w", err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("find workloads: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT format('pairing profile %s (%s)', to_json(p.name), p.id) FROM pairing_profile_labels pl
		JOIN pairing_profiles p ON p.id = pl.profile_id WHERE pl.label_id = $1 ORDER BY p.name, p.id`, id)
	if err != nil {
		return nil, fmt.Errorf("find pairing profiles: %w", err)
	}
	profiles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("find pairing profiles: %w", err)
	}
	users = append(users, profiles...)
	target := policy.Ref{Kind: "label", ID: id}
	for _, st := range []state{{draft: true}, {n: active}} {
		if st.n == 0 && !st.draft {
			continue
		}
		u, err := usersOf(ctx, tx, st, target)
		if err != nil {
			return nil, err
		}
		users = append(users, u...)
	}
	return users, nil
}
