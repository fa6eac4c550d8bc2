package policystore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/usererr"
)

// docRefs lists what a stored document of kind refers to.
func docRefs(k policy.Kind, doc []byte) ([]policy.Ref, error) {
	switch k {
	case policy.KindLabelGroup:
		var g policy.LabelGroup
		if err := json.Unmarshal(doc, &g); err != nil {
			return nil, err
		}
		return g.Refs(), nil
	case policy.KindRuleset:
		var rs policy.Ruleset
		if err := json.Unmarshal(doc, &rs); err != nil {
			return nil, err
		}
		return rs.Refs(), nil
	}
	return nil, nil // services and IP lists refer to nothing
}

var kindNames = map[policy.Kind]string{
	policy.KindLabelGroup: "label group", policy.KindService: "service",
	policy.KindIPList: "IP list", policy.KindRuleset: "ruleset",
}

// usersOf names the objects of state st that refer to target, one line
// each: `draft ruleset "web" (<id>)`.
func usersOf(ctx context.Context, tx pgx.Tx, st state, target policy.Ref) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT kind, id::text, name, doc FROM `+st.objects()+` o
		WHERE kind IN ('label_group', 'ruleset') ORDER BY kind, name`)
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	defer rows.Close()
	where := "version " + st.String()
	if st.draft {
		where = "draft"
	}
	var users []string
	for rows.Next() {
		var (
			k        policy.Kind
			id, name string
			doc      []byte
		)
		if err := rows.Scan(&k, &id, &name, &doc); err != nil {
			return nil, fmt.Errorf("find users: %w", err)
		}
		refs, err := docRefs(k, doc)
		if err != nil {
			return nil, fmt.Errorf("find users: decode %s %s: %w", k, id, err)
		}
		if slices.Contains(refs, target) {
			users = append(users, fmt.Sprintf("%s %s %q (%s)", where, kindNames[k], name, id))
		}
	}
	return users, rows.Err()
}

// maxUsersListed bounds an in-use error's list; the rest are counted.
const maxUsersListed = 20

// inUse is the 409 refusing to delete what users still refer to; each
// user is one error entry, so a client can show them as a list.
func inUse(what string, users []string) error {
	e := &usererr.Error{Kind: usererr.Conflict, Msg: what + " is still in use; change or delete its users first"}
	for i, u := range users {
		if i == maxUsersListed {
			e.Fields = append(e.Fields, usererr.FieldError{Field: "used_by", Message: fmt.Sprintf("and %d more", len(users)-i)})
			break
		}
		e.Fields = append(e.Fields, usererr.FieldError{Field: "used_by", Message: u})
	}
	return e
}
