package policystore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// Object is one versioned policy object as stored, with its metadata.
// Warnings are filled by writes only.
type Object[T any] struct {
	Value     T
	Revision  int64
	CreatedAt time.Time
	UpdatedAt time.Time
	Warnings  []policy.Warning
}

// Objects is the store of one versioned kind; the four kinds share this code.
type Objects[T any] struct {
	s *Store
	k kind[T]
}

func (s *Store) LabelGroups() Objects[policy.LabelGroup] {
	return Objects[policy.LabelGroup]{s, labelGroupKind}
}
func (s *Store) Services() Objects[policy.Service] { return Objects[policy.Service]{s, serviceKind} }
func (s *Store) IPLists() Objects[policy.IPList]   { return Objects[policy.IPList]{s, ipListKind} }
func (s *Store) Rulesets() Objects[policy.Ruleset] { return Objects[policy.Ruleset]{s, rulesetKind} }

func (o Objects[T]) notFound() error { return usererr.New(usererr.NotFound, o.k.what+" not found") }

const objectCols = `doc, revision, created_at, updated_at`

func scanObject[T any](row pgx.Row) (Object[T], error) {
	var (
		v   Object[T]
		doc []byte
	)
	if err := row.Scan(&doc, &v.Revision, &v.CreatedAt, &v.UpdatedAt); err != nil {
		return v, err
	}
	if err := json.Unmarshal(doc, &v.Value); err != nil {
		return v, fmt.Errorf("decode stored document: %w", err)
	}
	return v, nil
}

// List returns one page of the kind's objects in state sel, oldest first.
func (o Objects[T]) List(ctx context.Context, tenant ids.TenantID, sel Selector, pr page.Request) ([]Object[T], string, error) {
	var (
		out  []Object[T]
		next string
	)
	err := o.s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		st, err := sel.resolve(ctx, tx)
		if err != nil {
			return err
		}
		out, next, err = pg.ListPage(ctx, tx, `SELECT `+objectCols+` FROM `+st.objects()+` o WHERE kind = $1`, "", []any{o.k.kind}, pr,
			func(r pgx.CollectableRow) (Object[T], error) { return scanObject[T](r) },
			func(v Object[T]) page.Key { return page.Key{Time: v.CreatedAt, ID: o.k.id(&v.Value)} })
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list %ss: %w", o.k.what, err)
	}
	return out, next, nil
}

// Get returns one object in state sel.
func (o Objects[T]) Get(ctx context.Context, tenant ids.TenantID, id string, sel Selector) (Object[T], error) {
	if !ids.Valid(id) {
		return Object[T]{}, o.notFound()
	}
	return read(ctx, o.s, tenant, "get "+o.k.what, func(tx pgx.Tx) (Object[T], error) {
		st, err := sel.resolve(ctx, tx)
		if err != nil {
			return Object[T]{}, err
		}
		v, err := scanObject[T](tx.QueryRow(ctx, `SELECT `+objectCols+` FROM `+st.objects()+` o WHERE kind = $1 AND id = $2`, o.k.kind, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return v, o.notFound()
		}
		return v, err
	})
}

// Create adds v to the draft under a new id; v must not carry one.
func (o Objects[T]) Create(ctx context.Context, tenant ids.TenantID, v T) (Object[T], error) {
	if o.k.id(&v) != "" {
		return Object[T]{}, usererr.Field(usererr.Invalid, "id", "is assigned by the server: leave it out, or PUT to update an object")
	}
	o.k.setID(&v, ids.New())
	return write(ctx, o.s, tenant, "create "+o.k.what, func(tx pgx.Tx) (Object[T], error) {
		if _, err := lockHead(ctx, tx); err != nil {
			return Object[T]{}, err
		}
		out, err := o.write(ctx, tx, v, nil, `INSERT INTO draft_objects (kind, id, name, doc, revision)
			VALUES ($1, $2, $3, $4, nextval('revisions')) RETURNING `+objectCols)
		if err != nil {
			return out, err
		}
		return out, o.emit(ctx, tx, tenant, "created", &out.Value)
	})
}

// emit records the event of a draft change to v: <kind>.<verb>.
func (o Objects[T]) emit(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, verb string, v *T) error {
	return emit(ctx, tx, tenant, string(o.k.kind)+"."+verb, outbox.Resource{Type: string(o.k.kind), ID: o.k.id(v)},
		map[string]any{"name": o.k.name(v)})
}

// Update replaces the draft object id with v. v's id must be empty or id;
// ifMatch, when set, must hold the object's current ETag.
func (o Objects[T]) Update(ctx context.Context, tenant ids.TenantID, id string, v T, ifMatch string) (Object[T], error) {
	if !ids.Valid(id) {
		return Object[T]{}, o.notFound()
	}
	if got := o.k.id(&v); got != "" && got != id {
		return Object[T]{}, usererr.Field(usererr.Invalid, "id", fmt.Sprintf("is %q but the path names %q: ids cannot change", got, id))
	}
	o.k.setID(&v, id)
	var out Object[T]
	err := o.s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		if _, err := lockHead(ctx, tx); err != nil {
			return err
		}
		was, err := o.precondition(ctx, tx, id, ifMatch)
		if err != nil {
			return err
		}
		kept, err := docRefs(o.k.kind, was)
		if err != nil {
			return fmt.Errorf("decode stored document: %w", err)
		}
		out, err = o.write(ctx, tx, v, kept, `UPDATE draft_objects SET name = $3, doc = $4, revision = nextval('revisions'), updated_at = now()
			WHERE kind = $1 AND id = $2 RETURNING `+objectCols)
		if err != nil {
			return err
		}
		return o.emit(ctx, tx, tenant, "updated", &out.Value)
	})
	if err != nil {
		return out, fmt.Errorf("update %s: %w", o.k.what, err)
	}
	return out, nil
}

// precondition checks that the draft object exists and matches ifMatch,
// and returns its document.
func (o Objects[T]) precondition(ctx context.Context, tx pgx.Tx, id, ifMatch string) ([]byte, error) {
	var (
		rev int64
		doc []byte
	)
	err := tx.QueryRow(ctx, `SELECT revision, doc FROM draft_objects WHERE kind = $1 AND id = $2`, o.k.kind, id).Scan(&rev, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, o.notFound()
	}
	if err != nil {
		return nil, err
	}
	return doc, checkIfMatch(ifMatch, rev)
}

// write fills and validates v against the draft, then runs query (an
// INSERT or UPDATE of draft_objects taking kind, id, name, doc). kept are
// the references of the version v replaces.
func (o Objects[T]) write(ctx context.Context, tx pgx.Tx, v T, kept []policy.Ref, query string) (Object[T], error) {
	o.k.fill(&v)
	if o.k.checkTx != nil {
		if err := o.k.checkTx(ctx, tx, &v); err != nil {
			return Object[T]{}, err
		}
	}
	refs := o.k.refs(&v)
	cat, err := loadCatalog(ctx, tx, refs, kept)
	if err != nil {
		return Object[T]{}, err
	}
	warnings, err := o.k.validate(&v, cat)
	if err != nil {
		return Object[T]{}, err
	}
	doc, err := json.Marshal(v)
	if err != nil {
		return Object[T]{}, err
	}
	out, err := scanObject[T](tx.QueryRow(ctx, query, o.k.kind, o.k.id(&v), o.k.name(&v), doc))
	if pg.IsUniqueViolation(err, "draft_objects_name") {
		return out, &usererr.Error{Kind: usererr.Conflict, Msg: o.k.what + " name already used",
			Fields: []usererr.FieldError{{Field: "name", Message: fmt.Sprintf("another %s is named %q", o.k.what, o.k.name(&v))}}}
	}
	if err != nil {
		return out, err
	}
	out.Warnings = nonNil(warnings)
	return out, nil
}

// Delete removes the draft object id, unless another draft object still
// refers to it. Provisioning then removes it from the active policy.
func (o Objects[T]) Delete(ctx context.Context, tenant ids.TenantID, id, ifMatch string) error {
	if !ids.Valid(id) {
		return o.notFound()
	}
	err := o.s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		if _, err := lockHead(ctx, tx); err != nil {
			return err
		}
		doc, err := o.precondition(ctx, tx, id, ifMatch)
		if err != nil {
			return err
		}
		users, err := usersOf(ctx, tx, state{draft: true}, policy.Ref{Kind: string(o.k.kind), ID: id})
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return inUse("this "+o.k.what, users)
		}
		if _, err = tx.Exec(ctx, `DELETE FROM draft_objects WHERE kind = $1 AND id = $2`, o.k.kind, id); err != nil {
			return err
		}
		var was T
		if err := json.Unmarshal(doc, &was); err != nil {
			return fmt.Errorf("decode stored document: %w", err)
		}
		return o.emit(ctx, tx, tenant, "deleted", &was)
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", o.k.what, err)
	}
	return nil
}
