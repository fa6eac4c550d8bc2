package policystore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/usererr"
)

// Export returns state sel as one document, with the labels it refers to,
// for teams that keep their policy in git.
func (s *Store) Export(ctx context.Context, tenant ids.TenantID, sel Selector) (*policy.Policy, error) {
	var p *policy.Policy
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		st, err := sel.resolve(ctx, tx)
		if err != nil {
			return err
		}
		p, err = loadPolicy(ctx, tx, st)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	used := map[string]bool{}
	for _, o := range documentObjects(p) {
		for _, r := range o.refs {
			if r.Kind == "label" {
				used[r.ID] = true
			}
		}
	}
	p.Labels = slices.DeleteFunc(p.Labels, func(l policy.Label) bool { return !used[string(l.ID)] })
	return p, nil
}

// docObject is one versioned object of a document, encoded as stored.
type docObject struct {
	key  ObjectKey
	name string
	doc  []byte
	refs []policy.Ref
}

// documentObjects lists p's versioned objects, encoded.
func documentObjects(p *policy.Policy) []docObject {
	var out []docObject
	add := func(k policy.Kind, id, name string, v any, refs []policy.Ref) {
		doc, err := json.Marshal(v)
		if err != nil {
			panic(err) // plain structs always encode
		}
		out = append(out, docObject{ObjectKey{k, id}, name, doc, refs})
	}
	for i := range p.LabelGroups {
		g := &p.LabelGroups[i]
		add(policy.KindLabelGroup, string(g.ID), g.Name, g, g.Refs())
	}
	for i := range p.Services {
		add(policy.KindService, string(p.Services[i].ID), p.Services[i].Name, &p.Services[i], nil)
	}
	for i := range p.IPLists {
		add(policy.KindIPList, string(p.IPLists[i].ID), p.IPLists[i].Name, &p.IPLists[i], nil)
	}
	for i := range p.Rulesets {
		rs := &p.Rulesets[i]
		add(policy.KindRuleset, string(rs.ID), rs.Name, rs, rs.Refs())
	}
	return out
}

// ImportResult says what an import did, or would do when DryRun.
type ImportResult struct {
	DryRun        bool
	LabelsCreated []policy.Label
	Changes       Changes
	Warnings      []policy.Warning
}

// Import makes the draft equal to doc, all or nothing: objects of doc are
// created or replaced by id, draft objects missing from doc are deleted,
// and labels of doc missing from the tenant are created (with their keys,
// if needed). With dryRun nothing is written; the result says what would
// change. Nothing is provisioned.
func (s *Store) Import(ctx context.Context, tenant ids.TenantID, doc *policy.Policy, dryRun bool) (ImportResult, error) {
	res := ImportResult{DryRun: dryRun, LabelsCreated: []policy.Label{}}
	fillDocument(doc)
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		if _, err := lockHead(ctx, tx); err != nil {
			return err
		}
		draft, err := loadState(ctx, tx, state{draft: true})
		if err != nil {
			return err
		}
		workloads, err := existingWorkloads(ctx, tx, doc, draft)
		if err != nil {
			return err
		}
		warnings, err := doc.Validate(func(id policy.WorkloadID) bool { return workloads[string(id)] })
		if err != nil {
			return err
		}
		res.Warnings = nonNil(warnings)
		newLabels, newKeys, err := labelsToCreate(ctx, tx, doc.Labels, doc.LabelGroups)
		if err != nil {
			return err
		}
		res.LabelsCreated = newLabels
		objs := documentObjects(doc)
		res.Changes = importChanges(draft, objs)
		if dryRun {
			return nil
		}
		if err := writeImport(ctx, tx, tenant, newKeys, newLabels, res.Changes, objs); err != nil {
			return err
		}
		data := changeCounts(res.Changes)
		data["labels_created"] = len(newLabels)
		return emit(ctx, tx, tenant, "policy.imported", draftResource, data)
	})
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	return res, nil
}

// fillDocument applies the defaults a single write would: empty lists, and
// an id for each rule that has none (hand-written documents).
func fillDocument(doc *policy.Policy) {
	for i := range doc.LabelGroups {
		labelGroupKind.fill(&doc.LabelGroups[i])
	}
	for i := range doc.Services {
		serviceKind.fill(&doc.Services[i])
	}
	for i := range doc.IPLists {
		ipListKind.fill(&doc.IPLists[i])
	}
	for i := range doc.Rulesets {
		rulesetKind.fill(&doc.Rulesets[i])
	}
	doc.Labels = nonNil(doc.Labels)
}

// existingWorkloads returns which workloads named by doc's rules count as
// existing: those that do, and those the draft already names (a rule
// naming a gone workload matches nothing; re-importing an export of such a
// draft must work).
func existingWorkloads(ctx context.Context, tx pgx.Tx, doc *policy.Policy, draft map[ObjectKey]row) (map[string]bool, error) {
	var want []string
	for _, rs := range doc.Rulesets {
		for _, r := range rs.Refs() {
			if r.Kind == "workload" && ids.Valid(r.ID) {
				want = append(want, r.ID)
			}
		}
	}
	rows, err := tx.Query(ctx, `SELECT id::text FROM workloads WHERE id = ANY($1::uuid[])`, want)
	if err != nil {
		return nil, fmt.Errorf("load workloads: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, id := range found {
		set[id] = true
	}
	for k, r := range draft {
		refs, err := docRefs(k.Kind, r.doc)
		if err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", k.Kind, k.ID, err)
		}
		for _, ref := range refs {
			if ref.Kind == policy.RefWorkload {
				set[ref.ID] = true
			}
		}
	}
	return set, nil
}

// labelsToCreate returns the document's labels the tenant lacks, and the
// label keys to create for them. A label whose id exists must be the same
// key=value; a new one must not clash with an existing key=value.
//
// Label groups must have a key the tenant has or the import creates.
func labelsToCreate(ctx context.Context, tx pgx.Tx, labels []policy.Label, groups []policy.LabelGroup) ([]policy.Label, []string, error) {
	rows, err := tx.Query(ctx, `SELECT id, key, value FROM labels`)
	if err != nil {
		return nil, nil, fmt.Errorf("load labels: %w", err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowToStructByPos[policy.Label])
	if err != nil {
		return nil, nil, fmt.Errorf("load labels: %w", err)
	}
	dims, err := dimensionKeys(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	byID, byKV := map[policy.LabelID]policy.Label{}, map[[2]string]policy.LabelID{}
	for _, l := range have {
		byID[l.ID], byKV[[2]string{l.Key, l.Value}] = l, l.ID
	}
	var (
		f       usererr.Fields
		created = []policy.Label{}
		keys    []string
	)
	for i, l := range labels {
		if cur, ok := byID[l.ID]; ok {
			if cur.Key != l.Key || cur.Value != l.Value {
				f.Add(fmt.Sprintf("labels[%d]", i), fmt.Sprintf("label %s is %s=%s here, not %s=%s: import does not rename labels", l.ID, cur.Key, cur.Value, l.Key, l.Value))
			}
			continue
		}
		if other, ok := byKV[[2]string{l.Key, l.Value}]; ok {
			f.Add(fmt.Sprintf("labels[%d].value", i), fmt.Sprintf("label %s=%s already exists with id %s", l.Key, l.Value, other))
			continue
		}
		if !slices.Contains(dims, l.Key) && !slices.Contains(keys, l.Key) {
			keys = append(keys, l.Key)
		}
		created = append(created, l)
	}
	for i, g := range groups {
		if err := checkGroupKey(g.Key, append(slices.Clone(dims), keys...), fmt.Sprintf("label_groups[%d].key", i)); err != nil {
			ue, _ := usererr.As(err)
			f = append(f, ue.Fields...)
		}
	}
	if len(dims)+len(keys) > policy.MaxDimensions {
		f.Add("labels", fmt.Sprintf("would need %d new label keys; a tenant has at most %d", len(keys), policy.MaxDimensions))
	}
	return created, keys, f.Err()
}

// importChanges compares the draft with the document's objects.
func importChanges(draft map[ObjectKey]row, objs []docObject) Changes {
	c := Changes{Added: []ObjectRef{}, Changed: []ObjectRef{}, Removed: []ObjectRef{}}
	inDoc := map[ObjectKey]bool{}
	for _, o := range objs {
		inDoc[o.key] = true
		cur, ok := draft[o.key]
		switch {
		case !ok:
			c.Added = append(c.Added, ObjectRef{o.key, o.name})
		case !sameJSON(cur.doc, o.doc):
			c.Changed = append(c.Changed, ObjectRef{o.key, o.name})
		}
	}
	for k, r := range draft {
		if !inDoc[k] {
			c.Removed = append(c.Removed, ObjectRef{k, r.name})
		}
	}
	// The order of diffStates: kind, then name, then id, as bytes.
	for _, list := range [][]ObjectRef{c.Added, c.Changed, c.Removed} {
		slices.SortFunc(list, func(a, b ObjectRef) int {
			return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
		})
	}
	return c
}

// sameJSON compares two JSON documents as values: stored jsonb comes back
// with its keys reordered.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ca, _ := json.Marshal(x)
	cb, _ := json.Marshal(y)
	return bytes.Equal(ca, cb)
}

// writeImport applies an import: new keys and labels, then the draft's
// removed and changed rows out, then the changed and added rows in (two
// objects may swap names, so no row is updated in place). New keys and
// labels have their own events; the draft's changes are the caller's
// policy.imported.
func writeImport(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, keys []string, labels []policy.Label, c Changes, objs []docObject) error {
	var events []outbox.Pending
	for _, k := range keys {
		if _, err := insertDimension(ctx, tx, k, "labels"); err != nil {
			return err
		}
		events = append(events, dimensionEvent("created", k))
	}
	for _, l := range labels {
		if _, err := tx.Exec(ctx, `INSERT INTO labels (id, key, value, revision) VALUES ($1, $2, $3, nextval('revisions'))`, l.ID, l.Key, l.Value); err != nil {
			return fmt.Errorf("create label %s: %w", l.ID, err)
		}
		events = append(events, labelEvent("created", l))
	}
	if err := emitAll(ctx, tx, tenant, events...); err != nil {
		return err
	}
	var gone []ObjectKey
	for _, r := range append(slices.Clone(c.Removed), c.Changed...) {
		gone = append(gone, r.ObjectKey)
	}
	kinds, idList := splitKeys(gone)
	// Keep created_at of changed objects: it orders lists and pages.
	rows, err := tx.Query(ctx, `DELETE FROM draft_objects WHERE (kind, id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))
		RETURNING kind, id::text, created_at`, kinds, idList)
	if err != nil {
		return fmt.Errorf("remove draft objects: %w", err)
	}
	created := map[ObjectKey]any{}
	for rows.Next() {
		var (
			k  ObjectKey
			at any
		)
		if err := rows.Scan(&k.Kind, &k.ID, &at); err != nil {
			return err
		}
		created[k] = at
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("remove draft objects: %w", err)
	}
	write := map[ObjectKey]bool{}
	for _, r := range append(slices.Clone(c.Added), c.Changed...) {
		write[r.ObjectKey] = true
	}
	// New objects are created in the document's order, a microsecond apart:
	// lists and exports order by created_at, and would otherwise fall back
	// to the order of the random ids.
	for i, o := range objs {
		if !write[o.key] {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO draft_objects (kind, id, name, doc, revision, created_at)
			VALUES ($1, $2, $3, $4, nextval('revisions'), coalesce($5, now() + $6 * interval '1 microsecond'))`,
			o.key.Kind, o.key.ID, o.name, o.doc, created[o.key], i); err != nil {
			return fmt.Errorf("write %s %s: %w", o.key.Kind, o.key.ID, err)
		}
	}
	return nil
}
