package policystore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/usererr"
)

// row is one stored versioned object.
type row struct {
	name string
	doc  []byte
}

// loadState reads every object of st.
func loadState(ctx context.Context, tx pgx.Tx, st state) (map[ObjectKey]row, error) {
	rows, err := tx.Query(ctx, `SELECT kind, id::text, name, doc FROM `+st.objects()+` o`)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", st, err)
	}
	defer rows.Close()
	out := map[ObjectKey]row{}
	for rows.Next() {
		var (
			k ObjectKey
			r row
		)
		if err := rows.Scan(&k.Kind, &k.ID, &r.name, &r.doc); err != nil {
			return nil, fmt.Errorf("load %s: %w", st, err)
		}
		out[k] = r
	}
	return out, rows.Err()
}

// checkCandidate checks that the objects about to become a version stand
// together: names unique per kind, every reference to a label or another
// object resolved. The draft always does (each write is checked against
// it); a partial provision or a rollback may not, and is refused with the
// reasons reported against field.
func checkCandidate(ctx context.Context, tx pgx.Tx, cand map[ObjectKey]row, field string) error {
	var f usererr.Fields
	names := map[string]ObjectKey{}
	groupKeys := map[string][]string{} // label group key → groups of that key
	var labelIDs []string
	users := map[string][]string{} // label id → objects naming it
	for k, r := range cand {
		nk := string(k.Kind) + "\x00" + strings.ToLower(r.name)
		if other, ok := names[nk]; ok {
			f.Add(field, fmt.Sprintf("two %ss would be named %q (%s and %s): provision them together", kindNames[k.Kind], r.name, other.ID, k.ID))
		}
		names[nk] = k
		refs, err := docRefs(k.Kind, r.doc)
		if err != nil {
			return fmt.Errorf("decode %s %s: %w", k.Kind, k.ID, err)
		}
		if k.Kind == policy.KindLabelGroup {
			var g policy.LabelGroup
			if err := json.Unmarshal(r.doc, &g); err != nil {
				return fmt.Errorf("decode %s %s: %w", k.Kind, k.ID, err)
			}
			groupKeys[g.Key] = append(groupKeys[g.Key], describe(k, r))
		}
		for _, ref := range refs {
			switch ref.Kind {
			case "label":
				if users[ref.ID] == nil {
					labelIDs = append(labelIDs, ref.ID)
				}
				users[ref.ID] = append(users[ref.ID], describe(k, r))
			case "workload":
				// Workloads come and go; a rule naming a gone one matches nothing.
			default:
				if _, ok := cand[ObjectKey{policy.Kind(ref.Kind), ref.ID}]; !ok {
					f.Add(field, fmt.Sprintf("%s refers to %s %s, which would not be in the version: provision them together",
						describe(k, r), kindNames[policy.Kind(ref.Kind)], ref.ID))
				}
			}
		}
	}
	rows, err := tx.Query(ctx, `SELECT id::text FROM unnest($1::uuid[]) AS t(id) WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.id = t.id)`, labelIDs)
	if err != nil {
		return fmt.Errorf("check labels: %w", err)
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check labels: %w", err)
	}
	for _, id := range missing {
		f.Add(field, fmt.Sprintf("%s refers to label %s, which was deleted", users[id][0], id))
	}
	dims, err := dimensionKeys(ctx, tx)
	if err != nil {
		return err
	}
	for key, groups := range groupKeys {
		if !slices.Contains(dims, key) {
			f.Add(field, fmt.Sprintf("%s has the label key %q, which was deleted", groups[0], key))
		}
	}
	return f.Err()
}

func describe(k ObjectKey, r row) string {
	return fmt.Sprintf("%s %q (%s)", kindNames[k.Kind], r.name, k.ID)
}
