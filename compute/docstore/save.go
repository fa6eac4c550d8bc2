package docstore

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/ven/wire"
)

// Batch is one computation's results for generation Generation.
//
// A full batch holds every outline and set of the tenant: rows it does not
// hold are deleted. An incremental batch holds what changed since the
// results stored at generation From, and is written only if the stored
// results are exactly at From: applied to anything else it could leave a
// mix no single generation produced.
type Batch struct {
	Full       bool
	From       int64 // incremental only
	Generation int64

	Docs []*wire.Document // outlines (engine.Outline): written when their hash changed
	Gone []string         // workloads whose documents go (incremental)

	// Sets holds whole sets: every named set (full), or those newly named
	// (incremental). A full batch writes the difference from what is
	// stored; an incremental one replaces them.
	Sets     map[string][]netip.Prefix
	Deltas   []SetDelta // incremental: member changes of sets already stored
	GoneSets []string   // sets no document names any more (incremental)
}

// SetDelta is a change of a stored set's members.
type SetDelta struct {
	ID             string
	Added, Removed []netip.Prefix
}

// Saved says what a Save did.
type Saved struct {
	Stale  bool // the stored results already answer Generation or newer: nothing written
	Behind bool // incremental, but the stored results are not at From: nothing written, save in full

	Docs []string // workloads whose outlines were written or deleted
	Sets []string // sets written or deleted
}

// changeHistory is how many generations of the change feed are kept
// behind the computed one: a worker whose cached graph is older rebuilds
// it from a snapshot.
const changeHistory = 10_000

// Save records b in one transaction, compare-and-set on the computed
// generation.
func (s *Store) Save(ctx context.Context, tenant ids.TenantID, b Batch) (Saved, error) {
	var out Saved
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		out = Saved{}
		var computed int64
		if err := tx.QueryRow(ctx, `SELECT computed_generation FROM compute_state FOR UPDATE`).Scan(&computed); err != nil {
			return fmt.Errorf("lock compute state: %w", err)
		}
		switch {
		case computed >= b.Generation:
			out.Stale = true
			return nil
		case !b.Full && computed != b.From:
			out.Behind = true
			return nil
		}
		var err error
		if out.Sets, err = saveSets(ctx, tx, b); err != nil {
			return err
		}
		if out.Docs, err = saveDocs(ctx, tx, b); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE compute_state SET computed_generation = $1, computed_at = now()`, b.Generation); err != nil {
			return fmt.Errorf("record computed generation: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM compute_changes WHERE generation <= $1`, b.Generation-changeHistory); err != nil {
			return fmt.Errorf("prune change feed: %w", err)
		}
		return nil
	})
	if err != nil {
		return Saved{}, fmt.Errorf("save results: %w", err)
	}
	return out, nil
}

// saveDocs writes b's outlines whose hash changed and deletes the gone
// ones (with a full batch: every one b does not hold). It returns the
// workloads it wrote or deleted.
func saveDocs(ctx context.Context, tx pgx.Tx, b Batch) ([]string, error) {
	all := make([]string, len(b.Docs))
	for i, d := range b.Docs {
		all[i] = d.Workload
	}
	have, err := hashes(ctx, tx, "workload_documents", "workload_id", "uuid", all, b.Full)
	if err != nil {
		return nil, fmt.Errorf("read document hashes: %w", err)
	}
	var wids, hs []string
	var bodies [][]byte
	for _, d := range b.Docs {
		if have[d.Workload] == d.Hash {
			continue
		}
		body, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("encode document: %w", err)
		}
		wids, hs, bodies = append(wids, d.Workload), append(hs, d.Hash), append(bodies, body)
	}
	if len(wids) > 0 {
		_, err := tx.Exec(ctx, `INSERT INTO workload_documents (workload_id, generation, hash, doc)
			SELECT id, $4, hash, doc FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS t(id, hash, doc)
			ON CONFLICT (workload_id) DO UPDATE SET generation = EXCLUDED.generation, hash = EXCLUDED.hash,
				doc = EXCLUDED.doc, updated_at = now()`, wids, hs, bodies, b.Generation)
		if err != nil {
			return nil, fmt.Errorf("write documents: %w", err)
		}
	}
	gone, err := deleteRows(ctx, tx, "workload_documents", "workload_id", "uuid", all, b.Gone, b.Full)
	if err != nil {
		return nil, fmt.Errorf("delete documents: %w", err)
	}
	return append(wids, gone...), nil
}

// saveSets writes b's sets, a row per member, and returns the sets whose
// members it changed or that it deleted. An incremental batch costs what
// changed; a full one reads every stored member to write only the
// difference.
func saveSets(ctx context.Context, tx pgx.Tx, b Batch) ([]string, error) {
	var w members
	var touched []string
	if b.Full {
		stored, err := storedMembers(ctx, tx)
		if err != nil {
			return nil, err
		}
		for _, id := range slices.Sorted(maps.Keys(b.Sets)) {
			if w.diff(id, stored[id], b.Sets[id]) || stored[id] == nil {
				touched = append(touched, id)
			}
		}
	} else {
		for _, id := range slices.Sorted(maps.Keys(b.Sets)) {
			w.replace(id, b.Sets[id])
			touched = append(touched, id)
		}
		for _, d := range b.Deltas {
			w.change(d)
			touched = append(touched, d.ID)
		}
	}
	if err := w.write(ctx, tx, touched, b.Generation); err != nil {
		return nil, err
	}
	gone, err := deleteRows(ctx, tx, "compute_sets", "set_id", "text", slices.Collect(maps.Keys(b.Sets)), b.GoneSets, b.Full)
	if err != nil {
		return nil, fmt.Errorf("delete sets: %w", err)
	}
	return append(touched, gone...), nil
}

// hashes reads the stored hash of every row (full) or of the rows keyed
// by keys, by key.
func hashes(ctx context.Context, tx pgx.Tx, table, key, typ string, keys []string, full bool) (map[string]string, error) {
	query, args := `SELECT `+key+`::text, hash FROM `+table, []any{}
	if !full {
		query += ` WHERE ` + key + ` = ANY($1::` + typ + `[])`
		args = append(args, keys)
	}
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	have := map[string]string{}
	var k, h string
	_, err = pgx.ForEachRow(rows, []any{&k, &h}, func() error { have[k] = h; return nil })
	return have, err
}

// deleteRows deletes the rows keyed by gone or, with full, every row not
// keyed by kept; it returns the keys deleted.
func deleteRows(ctx context.Context, tx pgx.Tx, table, key, typ string, kept, gone []string, full bool) ([]string, error) {
	cond, arg := key+` = ANY($1::`+typ+`[])`, gone
	if full {
		cond, arg = `NOT (`+key+` = ANY($1::`+typ+`[]))`, kept
	}
	if !full && len(gone) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `DELETE FROM `+table+` WHERE `+cond+` RETURNING `+key+`::text`, arg)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
