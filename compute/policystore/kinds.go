package policystore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// kind describes one versioned object type to the generic code of
// objects.go: how to reach its id and name, fill its defaults, list its
// references and validate it.
type kind[T any] struct {
	kind     policy.Kind
	what     string // for messages: "label group"
	id       func(*T) string
	setID    func(*T, string)
	name     func(*T) string
	fill     func(*T) // server-side defaults, before validation
	refs     func(*T) []policy.Ref
	validate func(*T, policy.Catalog) ([]policy.Warning, error)
	// checkTx, if set, checks what only the database knows, within the
	// write's transaction.
	checkTx func(context.Context, pgx.Tx, *T) error
}

var labelGroupKind = kind[policy.LabelGroup]{
	kind: policy.KindLabelGroup, what: "label group",
	id:    func(g *policy.LabelGroup) string { return string(g.ID) },
	setID: func(g *policy.LabelGroup, id string) { g.ID = policy.LabelGroupID(id) },
	name:  func(g *policy.LabelGroup) string { return g.Name },
	fill: func(g *policy.LabelGroup) {
		g.Labels = nonNil(g.Labels)
		g.Groups = nonNil(g.Groups)
	},
	refs:     (*policy.LabelGroup).Refs,
	validate: policy.ValidateLabelGroup,
	checkTx:  checkLabelGroup,
}

// checkLabelGroup checks g's key against the tenant's label keys and, since
// a group nests only groups of its own key, against the groups of the
// draft that nest g.
func checkLabelGroup(ctx context.Context, tx pgx.Tx, g *policy.LabelGroup) error {
	dims, err := dimensionKeys(ctx, tx)
	if err != nil {
		return err
	}
	if err := checkGroupKey(g.Key, dims, "key"); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT format('draft label group %s (%s) of key %s', to_json(name), id, to_json(doc->>'key'))
		FROM draft_objects WHERE kind = 'label_group' AND doc->'groups' ? $1 AND doc->>'key' <> $2 ORDER BY name`, string(g.ID), g.Key)
	if err != nil {
		return fmt.Errorf("find parent groups: %w", err)
	}
	parents, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("find parent groups: %w", err)
	}
	if len(parents) > 0 {
		return inUse(fmt.Sprintf("label group %q, nested in groups of another key,", g.Name), parents)
	}
	return nil
}

// checkGroupKey refuses a label group whose key is not one of dims: its
// members could never be labels of that key.
func checkGroupKey(key string, dims []string, field string) error {
	if key == "" || slices.Contains(dims, key) {
		return nil // an empty key is policy validation's to report
	}
	return usererr.Field(usererr.Invalid, field, fmt.Sprintf("%q is not a label key of this tenant (%s)", key, strings.Join(dims, ", ")))
}

var serviceKind = kind[policy.Service]{
	kind: policy.KindService, what: "service",
	id:    func(s *policy.Service) string { return string(s.ID) },
	setID: func(s *policy.Service, id string) { s.ID = policy.ServiceID(id) },
	name:  func(s *policy.Service) string { return s.Name },
	fill:  func(s *policy.Service) { s.Ports = nonNil(s.Ports) },
	refs:  func(*policy.Service) []policy.Ref { return nil },
	validate: func(s *policy.Service, _ policy.Catalog) ([]policy.Warning, error) {
		return nil, policy.ValidateService(s)
	},
}

var ipListKind = kind[policy.IPList]{
	kind: policy.KindIPList, what: "IP list",
	id:    func(l *policy.IPList) string { return string(l.ID) },
	setID: func(l *policy.IPList, id string) { l.ID = policy.IPListID(id) },
	name:  func(l *policy.IPList) string { return l.Name },
	fill: func(l *policy.IPList) {
		l.Ranges = nonNil(l.Ranges)
		l.Exclusions = nonNil(l.Exclusions)
	},
	refs:     func(*policy.IPList) []policy.Ref { return nil },
	validate: func(l *policy.IPList, _ policy.Catalog) ([]policy.Warning, error) { return policy.ValidateIPList(l) },
}

var rulesetKind = kind[policy.Ruleset]{
	kind: policy.KindRuleset, what: "ruleset",
	id:       func(rs *policy.Ruleset) string { return string(rs.ID) },
	setID:    func(rs *policy.Ruleset, id string) { rs.ID = policy.RulesetID(id) },
	name:     func(rs *policy.Ruleset) string { return rs.Name },
	fill:     fillRuleset,
	refs:     (*policy.Ruleset).Refs,
	validate: policy.ValidateRuleset,
}

// fillRuleset gives every new rule an id, so decisions can name it, and
// makes absent lists empty rather than null in the stored document.
func fillRuleset(rs *policy.Ruleset) {
	rs.Scopes = nonNil(rs.Scopes)
	rs.Rules = nonNil(rs.Rules)
	for i := range rs.Rules {
		r := &rs.Rules[i]
		if r.ID == "" {
			r.ID = policy.RuleID(ids.New())
		}
		r.Providers = nonNil(r.Providers)
		r.Consumers = nonNil(r.Consumers)
		r.Services = nonNil(r.Services)
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
