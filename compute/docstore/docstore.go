// Package docstore keeps the compiled documents of a tenant's workloads in
// its Postgres schema, with the generation they answer. Writes are
// compare-and-set on the tenant's computed generation, so a slow worker
// finishing an old computation can never overwrite a newer one.
package docstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
	"github.com/remora-sec/remora/ven/wire"
)

// Tenants is the way into a tenant's schema (tenants.Store implements it).
type Tenants interface {
	InTenant(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
	InTenantRead(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
}

// Store is the document store; safe for concurrent use.
type Store struct{ tenants Tenants }

// New returns a Store reaching tenant schemas through t.
func New(t Tenants) *Store { return &Store{tenants: t} }

// Saved says what a Save did.
type Saved struct {
	Stale   bool // the tenant already had results for this generation or a newer one: nothing written
	Written int  // documents written (new or changed)
	Deleted int  // documents of workloads that are gone
}

// Save records docs, the whole set of the tenant's documents computed for
// generation gen, all or nothing. Only documents whose content changed are
// written; those of workloads not in docs are deleted.
func (s *Store) Save(ctx context.Context, tenant ids.TenantID, gen int64, docs []*wire.Document) (Saved, error) {
	var out Saved
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		var computed int64
		if err := tx.QueryRow(ctx, `SELECT computed_generation FROM compute_state FOR UPDATE`).Scan(&computed); err != nil {
			return fmt.Errorf("lock compute state: %w", err)
		}
		if computed >= gen {
			out.Stale = true
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT workload_id::text, hash FROM workload_documents`)
		if err != nil {
			return fmt.Errorf("read hashes: %w", err)
		}
		have := map[string]string{}
		for rows.Next() {
			var id, hash string
			if err := rows.Scan(&id, &hash); err != nil {
				return err
			}
			have[id] = hash
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read hashes: %w", err)
		}
		var wids, hashes []string
		var bodies [][]byte
		all := make([]string, 0, len(docs))
		for _, d := range docs {
			all = append(all, d.Workload)
			if have[d.Workload] == d.Hash {
				continue
			}
			body, err := json.Marshal(d)
			if err != nil {
				return fmt.Errorf("encode document: %w", err)
			}
			wids, hashes, bodies = append(wids, d.Workload), append(hashes, d.Hash), append(bodies, body)
		}
		if len(wids) > 0 {
			_, err := tx.Exec(ctx, `INSERT INTO workload_documents (workload_id, generation, hash, doc)
				SELECT id, $4, hash, doc FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS t(id, hash, doc)
				ON CONFLICT (workload_id) DO UPDATE SET generation = EXCLUDED.generation, hash = EXCLUDED.hash,
					doc = EXCLUDED.doc, updated_at = now()`, wids, hashes, bodies, gen)
			if err != nil {
				return fmt.Errorf("write documents: %w", err)
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM workload_documents WHERE NOT (workload_id = ANY($1::uuid[]))`, all)
		if err != nil {
			return fmt.Errorf("delete documents: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE compute_state SET computed_generation = $1, computed_at = now()`, gen); err != nil {
			return fmt.Errorf("record computed generation: %w", err)
		}
		out.Written, out.Deleted = len(wids), int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("save documents: %w", err)
	}
	return out, nil
}

// Document returns the stored document of workload id and the generation
// at which its content last changed.
func (s *Store) Document(ctx context.Context, tenant ids.TenantID, id string) (*wire.Document, int64, error) {
	if !ids.Valid(id) {
		return nil, 0, usererr.New(usererr.NotFound, "workload not found")
	}
	var (
		d   wire.Document
		gen int64
	)
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		var body []byte
		err := tx.QueryRow(ctx, `SELECT generation, doc FROM workload_documents WHERE workload_id = $1`, id).Scan(&gen, &body)
		if errors.Is(err, pgx.ErrNoRows) {
			return usererr.New(usererr.NotFound, "no compiled document for this workload yet")
		}
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &d)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read document: %w", err)
	}
	return &d, gen, nil
}
