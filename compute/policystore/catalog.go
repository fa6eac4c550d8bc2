package policystore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
)

// loadCatalog loads from the draft what validating an object with refs
// needs, and no more: every label group (nesting must be followed to find
// cycles and expand groups), the labels named by refs or by any group, and
// whether the named services, IP lists and workloads exist.
//
// Workloads come and go (a VEN unpairs) and a rule naming a gone one just
// matches nothing; so a workload named by kept (the refs of what is being
// replaced) counts as existing. Only a newly named workload must exist.
func loadCatalog(ctx context.Context, tx pgx.Tx, refs, kept []policy.Ref) (policy.Catalog, error) {
	p := &policy.Policy{}
	if err := queryDocs(ctx, tx, `SELECT doc FROM draft_objects WHERE kind = 'label_group'`, &p.LabelGroups); err != nil {
		return nil, fmt.Errorf("load label groups: %w", err)
	}
	want := map[string][]string{}
	for _, r := range refs {
		if ids.Valid(r.ID) {
			want[r.Kind] = append(want[r.Kind], r.ID)
		}
	}
	for _, g := range p.LabelGroups {
		for _, l := range g.Labels {
			if ids.Valid(string(l)) {
				want["label"] = append(want["label"], string(l))
			}
		}
	}
	rows, err := tx.Query(ctx, `SELECT id, key, value FROM labels WHERE id = ANY($1::uuid[])`, want["label"])
	if err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	if p.Labels, err = pgx.CollectRows(rows, pgx.RowToStructByPos[policy.Label]); err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	exist := func(query string, ids []string) (map[string]bool, error) {
		rows, err := tx.Query(ctx, query, ids)
		if err != nil {
			return nil, err
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		set := make(map[string]bool, len(found))
		for _, id := range found {
			set[id] = true
		}
		return set, err
	}
	services, err := exist(`SELECT id::text FROM draft_objects WHERE kind = 'service' AND id = ANY($1::uuid[])`, want["service"])
	if err != nil {
		return nil, fmt.Errorf("load services: %w", err)
	}
	for id := range services {
		p.Services = append(p.Services, policy.Service{ID: policy.ServiceID(id)})
	}
	lists, err := exist(`SELECT id::text FROM draft_objects WHERE kind = 'ip_list' AND id = ANY($1::uuid[])`, want["ip_list"])
	if err != nil {
		return nil, fmt.Errorf("load ip lists: %w", err)
	}
	for id := range lists {
		p.IPLists = append(p.IPLists, policy.IPList{ID: policy.IPListID(id)})
	}
	workloads, err := exist(`SELECT id::text FROM workloads WHERE id = ANY($1::uuid[])`, want["workload"])
	if err != nil {
		return nil, fmt.Errorf("load workloads: %w", err)
	}
	for _, r := range kept {
		if r.Kind == policy.RefWorkload {
			workloads[r.ID] = true
		}
	}
	return p.Catalog(func(id policy.WorkloadID) bool { return workloads[string(id)] }), nil
}

// queryDocs decodes the single jsonb column of query's rows into *out.
func queryDocs[T any](ctx context.Context, tx pgx.Tx, query string, out *[]T, args ...any) error {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	docs, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := appendDoc(d, out); err != nil {
			return err
		}
	}
	return nil
}
