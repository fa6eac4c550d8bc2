package docstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
	"github.com/remora-sec/remora/ven/wire"
)

// Document returns workload id's full document: its outline with the
// members of the sets it names, read in one transaction. Its Generation is
// the newest at which any of that content changed, so an agent holding an
// older one knows it must update; Hash covers the members too.
func (s *Store) Document(ctx context.Context, tenant ids.TenantID, id string) (*wire.Document, error) {
	if !ids.Valid(id) {
		return nil, usererr.New(usererr.NotFound, "workload not found")
	}
	var d wire.Document
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		var (
			body []byte
			gen  int64
		)
		err := tx.QueryRow(ctx, `SELECT generation, doc FROM workload_documents WHERE workload_id = $1`, id).Scan(&gen, &body)
		if errors.Is(err, pgx.ErrNoRows) {
			return usererr.New(usererr.NotFound, "no compiled document for this workload yet")
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &d); err != nil {
			return fmt.Errorf("decode outline: %w", err)
		}
		newest, err := fillSets(ctx, tx, &d)
		if err != nil {
			return err
		}
		d.Generation = uint64(max(gen, newest))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read document: %w", err)
	}
	d.Normalize()
	return &d, nil
}

// fillSets puts into d the members of each set it names and returns the
// newest generation among them. A named set that is missing is an error,
// never an empty set: an empty set would make an allow rule allow nothing
// (harmless) but a deny rule deny nothing (failing open).
func fillSets(ctx context.Context, tx pgx.Tx, d *wire.Document) (int64, error) {
	if len(d.Sets) == 0 {
		return 0, nil
	}
	want := make([]string, len(d.Sets))
	for i, s := range d.Sets {
		want[i] = s.ID
	}
	var newest int64
	found := map[string]bool{}
	rows, err := tx.Query(ctx, `SELECT set_id, generation FROM compute_sets WHERE set_id = ANY($1)`, want)
	if err != nil {
		return 0, fmt.Errorf("read sets: %w", err)
	}
	var (
		id  string
		gen int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &gen}, func() error {
		found[id], newest = true, max(newest, gen)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("read sets: %w", err)
	}
	members := make(map[string][]netip.Prefix, len(want))
	rows, err = tx.Query(ctx, `SELECT set_id, prefix FROM compute_set_members WHERE set_id = ANY($1)`, want)
	if err != nil {
		return 0, fmt.Errorf("read set members: %w", err)
	}
	var p string
	if _, err := pgx.ForEachRow(rows, []any{&id, &p}, func() error {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return fmt.Errorf("set %s: %w", id, err)
		}
		members[id] = append(members[id], prefix)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("read set members: %w", err)
	}
	for i, s := range d.Sets {
		if !found[s.ID] {
			return 0, fmt.Errorf("set %s named by the document is missing", s.ID)
		}
		d.Sets[i].Prefixes = members[s.ID]
	}
	return newest, nil
}

// Generation returns the generation of workload id's full document (the
// newest of its outline's and its sets'), without reading the members.
func (s *Store) Generation(ctx context.Context, tenant ids.TenantID, id string) (int64, error) {
	if !ids.Valid(id) {
		return 0, usererr.New(usererr.NotFound, "workload not found")
	}
	var gen *int64
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT greatest(d.generation, (SELECT max(s.generation) FROM compute_sets s
			WHERE s.set_id IN (SELECT jsonb_array_elements(d.doc->'sets')->>'id'))) FROM workload_documents d WHERE d.workload_id = $1`, id).Scan(&gen)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, usererr.New(usererr.NotFound, "no compiled document for this workload yet")
	}
	if err != nil {
		return 0, fmt.Errorf("read document generation: %w", err)
	}
	return *gen, nil
}
