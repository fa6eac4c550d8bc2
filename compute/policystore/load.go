package policystore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
)

// loadPolicy reads the whole policy of state st: its objects in creation
// order, every label, and the tenant's settings.
func loadPolicy(ctx context.Context, tx pgx.Tx, st state) (*policy.Policy, error) {
	p := &policy.Policy{Labels: []policy.Label{}, LabelGroups: []policy.LabelGroup{}, Services: []policy.Service{},
		IPLists: []policy.IPList{}, Rulesets: []policy.Ruleset{}}
	rows, err := tx.Query(ctx, `SELECT kind, doc FROM `+st.objects()+` o ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", st, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k   policy.Kind
			doc []byte
		)
		if err := rows.Scan(&k, &doc); err != nil {
			return nil, fmt.Errorf("load %s: %w", st, err)
		}
		if err := (policyDoc{p}).add(k, doc); err != nil {
			return nil, fmt.Errorf("load %s: %w", st, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load %s: %w", st, err)
	}
	lrows, err := tx.Query(ctx, `SELECT id, key, value FROM labels ORDER BY key, value`)
	if err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	if p.Labels, err = pgx.CollectRows(lrows, pgx.RowToStructByPos[policy.Label]); err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT outbound_enforcement FROM settings`).Scan(&p.Settings.OutboundEnforcement); err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	return p, nil
}

// policyDoc wraps a Policy to add decoded documents to it by kind.
type policyDoc struct{ *policy.Policy }

func (p policyDoc) add(k policy.Kind, doc []byte) error {
	var err error
	switch k {
	case policy.KindLabelGroup:
		err = appendDoc(doc, &p.LabelGroups)
	case policy.KindService:
		err = appendDoc(doc, &p.Services)
	case policy.KindIPList:
		err = appendDoc(doc, &p.IPLists)
	case policy.KindRuleset:
		err = appendDoc(doc, &p.Rulesets)
	default:
		err = fmt.Errorf("unknown kind %q", k)
	}
	return err
}

func appendDoc[T any](doc []byte, to *[]T) error {
	var v T
	if err := json.Unmarshal(doc, &v); err != nil {
		return fmt.Errorf("decode stored document: %w", err)
	}
	*to = append(*to, v)
	return nil
}
