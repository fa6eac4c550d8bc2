package policystore

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/usererr"
)

// Selector names one state of the policy: the draft, the active version,
// or version N.
type Selector struct {
	Draft  bool
	Active bool
	N      int
}

var (
	Draft  = Selector{Draft: true}
	Active = Selector{Active: true}
)

// ParseSelector reads "draft", "active" or a positive version number; field
// names the parameter in the error. "" is def.
func ParseSelector(s, field string, def Selector) (Selector, error) {
	switch s {
	case "":
		return def, nil
	case "draft":
		return Draft, nil
	case "active":
		return Active, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strconv.Itoa(n) != s {
		return Selector{}, usererr.Field(usererr.Invalid, field, fmt.Sprintf("must be draft, active or a version number, not %q", s))
	}
	return Selector{N: n}, nil
}

func (s Selector) String() string {
	switch {
	case s.Draft:
		return "draft"
	case s.Active:
		return "active"
	}
	return strconv.Itoa(s.N)
}

// state is a resolved Selector: the draft, or version n (0: the empty
// policy before the first provision).
type state struct {
	draft bool
	n     int
}

func (st state) String() string {
	if st.draft {
		return "draft"
	}
	return strconv.Itoa(st.n)
}

// resolve turns s into a state within tx: "active" reads policy_head, and
// a version that does not exist is NotFound.
func (s Selector) resolve(ctx context.Context, tx pgx.Tx) (state, error) {
	switch {
	case s.Draft:
		return state{draft: true}, nil
	case s.Active:
		n, err := activeVersion(ctx, tx)
		if err != nil {
			return state{}, fmt.Errorf("read active version: %w", err)
		}
		return state{n: n}, nil
	}
	var ok bool
	if !versionFits(s.N) {
		return state{}, errVersionNotFound(s.N)
	}
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM policy_versions WHERE version = $1)`, s.N).Scan(&ok); err != nil {
		return state{}, fmt.Errorf("find version %d: %w", s.N, err)
	}
	if !ok {
		return state{}, errVersionNotFound(s.N)
	}
	return state{n: s.N}, nil
}

// objects is a SQL relation of the state's objects, with the columns kind,
// id, name, doc, revision, created_at, updated_at. n is an int, never user
// text, so formatting it into SQL is safe.
func (st state) objects() string {
	if st.draft {
		return `(SELECT kind, id, name, doc, revision, created_at, updated_at FROM draft_objects)`
	}
	return fmt.Sprintf(`(SELECT kind, id, name, doc, revision, created_at, updated_at FROM version_objects WHERE version = %d)`, st.n)
}

// versionFits reports whether n can be a version number at all: the column
// is an int4, and a larger number must be "not found", not a query error.
func versionFits(n int) bool { return n >= 1 && n <= math.MaxInt32 }

func errVersionNotFound(n int) error {
	return usererr.New(usererr.NotFound, fmt.Sprintf("policy version %d not found", n))
}
