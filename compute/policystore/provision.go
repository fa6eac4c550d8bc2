package policystore

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// Provision freezes pending changes into a new version and makes it
// active: every pending change when objects is empty, else the named
// objects plus the pending changes they depend on (a ruleset's new label
// group goes with it). Versions are numbered without gaps: provisions
// serialize on the policy head.
func (s *Store) Provision(ctx context.Context, tenant ids.TenantID, author Author, note string, objects []ObjectKey) (Version, error) {
	var v Version
	if err := checkNote(note, true); err != nil {
		return v, err
	}
	var f usererr.Fields
	for i, k := range objects {
		if !slices.Contains(policy.Kinds, k.Kind) {
			f.Add(fmt.Sprintf("objects[%d].kind", i), fmt.Sprintf("must be one of label_group, service, ip_list, ruleset, not %q", k.Kind))
		}
		if !ids.Valid(k.ID) {
			f.Add(fmt.Sprintf("objects[%d].id", i), fmt.Sprintf("must be an object id, not %q", k.ID))
		}
	}
	if err := f.Err(); err != nil {
		return v, err
	}
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		if err := provision(ctx, tx, &v, author, note, objects); err != nil {
			return err
		}
		return emit(ctx, tx, tenant, "policy.provisioned", versionResource(v.Version), versionData(v, len(objects) > 0))
	})
	if err != nil {
		return v, fmt.Errorf("provision: %w", err)
	}
	return v, nil
}

// versionData is what the events of a new version say of it.
func versionData(v Version, partial bool) map[string]any {
	d := map[string]any{"version": v.Version, "note": v.Note, "added": v.Added, "changed": v.Changed, "removed": v.Removed}
	if v.RollbackOf != nil {
		d["rollback_of"] = *v.RollbackOf
	} else {
		d["partial"] = partial // only the named objects and what they need
	}
	return d
}

// provision is Provision's work within tx, filling v.
func provision(ctx context.Context, tx pgx.Tx, v *Version, author Author, note string, objects []ObjectKey) error {
	active, err := lockHead(ctx, tx)
	if err != nil {
		return err
	}
	pending, err := diffStates(ctx, tx, state{n: active}, state{draft: true})
	if err != nil {
		return err
	}
	if pending.Len() == 0 {
		return usererr.New(usererr.Conflict, "nothing to provision: the draft equals the active version")
	}
	next := active + 1
	if len(objects) == 0 {
		if err := checkDraft(ctx, tx); err != nil {
			return err
		}
		if *v, err = newVersion(ctx, tx, next, author, note, nil, pending); err != nil {
			return err
		}
		return copyObjects(ctx, tx, state{draft: true}, next, nil, true)
	}
	draft, err := loadState(ctx, tx, state{draft: true})
	if err != nil {
		return err
	}
	keys, err := closure(objects, pending, draft)
	if err != nil {
		return err
	}
	cand, err := loadState(ctx, tx, state{n: active})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if r, ok := draft[k]; ok {
			cand[k] = r
		} else {
			delete(cand, k)
		}
	}
	if err := checkCandidate(ctx, tx, cand, "objects"); err != nil {
		return err
	}
	if *v, err = newVersion(ctx, tx, next, author, note, nil, pending.only(keys)); err != nil {
		return err
	}
	if err := copyObjects(ctx, tx, state{n: active}, next, keys, false); err != nil {
		return err
	}
	return copyObjects(ctx, tx, state{draft: true}, next, keys, true)
}

// checkDraft is the last check before the whole draft becomes a version.
// Writes keep the draft whole, so this only guards that invariant.
func checkDraft(ctx context.Context, tx pgx.Tx) error {
	draft, err := loadState(ctx, tx, state{draft: true})
	if err != nil {
		return err
	}
	return checkCandidate(ctx, tx, draft, "objects")
}

// closure returns the named objects plus, transitively, the pending
// changes their draft documents refer to. Each named object must have a
// pending change.
func closure(named []ObjectKey, pending Changes, draft map[ObjectKey]row) ([]ObjectKey, error) {
	isPending := map[ObjectKey]bool{}
	for _, list := range [][]ObjectRef{pending.Added, pending.Changed, pending.Removed} {
		for _, r := range list {
			isPending[r.ObjectKey] = true
		}
	}
	var f usererr.Fields
	in := map[ObjectKey]bool{}
	var out, queue []ObjectKey
	for i, k := range named {
		if !isPending[k] {
			f.Add(fmt.Sprintf("objects[%d].id", i), fmt.Sprintf("%s %s has no pending change", kindNames[k.Kind], k.ID))
			continue
		}
		if !in[k] {
			in[k] = true
			queue = append(queue, k)
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		out = append(out, k)
		r, ok := draft[k]
		if !ok {
			continue // a deletion depends on nothing
		}
		refs, err := docRefs(k.Kind, r.doc)
		if err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", k.Kind, k.ID, err)
		}
		for _, ref := range refs {
			dep := ObjectKey{policy.Kind(ref.Kind), ref.ID}
			if isPending[dep] && !in[dep] {
				in[dep] = true
				queue = append(queue, dep)
			}
		}
	}
	return out, nil
}

// only keeps the changes of the objects in keys.
func (c Changes) only(keys []ObjectKey) Changes {
	keep := func(list []ObjectRef) []ObjectRef {
		out := []ObjectRef{}
		for _, r := range list {
			if slices.Contains(keys, r.ObjectKey) {
				out = append(out, r)
			}
		}
		return out
	}
	return Changes{Added: keep(c.Added), Changed: keep(c.Changed), Removed: keep(c.Removed)}
}
