package docstore

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/jackc/pgx/v5"
)

// members gathers the member rows one save adds and deletes, to write
// them in a few statements whatever the number of sets.
type members struct {
	replaced     []string // sets whose rows are all deleted first
	addSet, addP []string
	delSet, delP []string
}

// replace makes ps the whole of set id.
func (m *members) replace(id string, ps []netip.Prefix) {
	m.replaced = append(m.replaced, id)
	for _, p := range ps {
		m.addSet, m.addP = append(m.addSet, id), append(m.addP, p.String())
	}
}

// change applies a delta.
func (m *members) change(d SetDelta) {
	for _, p := range d.Removed {
		m.delSet, m.delP = append(m.delSet, d.ID), append(m.delP, p.String())
	}
	for _, p := range d.Added {
		m.addSet, m.addP = append(m.addSet, d.ID), append(m.addP, p.String())
	}
}

// diff records what turns stored into want (both sets of set id) and
// reports whether anything differs.
func (m *members) diff(id string, stored map[string]bool, want []netip.Prefix) bool {
	d := SetDelta{ID: id}
	keep := make(map[string]bool, len(want))
	for _, p := range want {
		keep[p.String()] = true
		if !stored[p.String()] {
			d.Added = append(d.Added, p)
		}
	}
	for s := range stored {
		if !keep[s] {
			d.Removed = append(d.Removed, netip.MustParsePrefix(s))
		}
	}
	m.change(d)
	return len(d.Added)+len(d.Removed) > 0
}

// write records the touched sets at generation gen, then the member rows.
func (m *members) write(ctx context.Context, tx pgx.Tx, touched []string, gen int64) error {
	if len(touched) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO compute_sets (set_id, generation) SELECT unnest($1::text[]), $2
		ON CONFLICT (set_id) DO UPDATE SET generation = EXCLUDED.generation, updated_at = now()`, touched, gen); err != nil {
		return fmt.Errorf("write sets: %w", err)
	}
	if len(m.replaced) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM compute_set_members WHERE set_id = ANY($1)`, m.replaced); err != nil {
			return fmt.Errorf("clear replaced sets: %w", err)
		}
	}
	if len(m.delSet) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM compute_set_members m USING unnest($1::text[], $2::text[]) AS t(s, p)
			WHERE m.set_id = t.s AND m.prefix = t.p`, m.delSet, m.delP); err != nil {
			return fmt.Errorf("delete set members: %w", err)
		}
	}
	if len(m.addSet) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO compute_set_members (set_id, prefix) SELECT * FROM unnest($1::text[], $2::text[])
			ON CONFLICT DO NOTHING`, m.addSet, m.addP); err != nil {
			return fmt.Errorf("add set members: %w", err)
		}
	}
	return nil
}

// storedMembers reads every stored set's members, by set.
func storedMembers(ctx context.Context, tx pgx.Tx) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	rows, err := tx.Query(ctx, `SELECT s.set_id, m.prefix FROM compute_sets s LEFT JOIN compute_set_members m USING (set_id)`)
	if err != nil {
		return nil, fmt.Errorf("read set members: %w", err)
	}
	var (
		id string
		p  *string
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &p}, func() error {
		if out[id] == nil {
			out[id] = map[string]bool{}
		}
		if p != nil {
			out[id][*p] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read set members: %w", err)
	}
	return out, nil
}
