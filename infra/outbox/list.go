package outbox

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// Filter selects events: every field set must match; the zero Filter
// selects them all. Problems names bad fields by their query parameters.
type Filter struct {
	Types        []string  // type globs ("workload.*"); any of them matches
	ResourceType string    // exactly
	ResourceID   string    // exactly
	ActorType    string    // user, api_key, ven, system or anonymous
	ActorID      string    // exactly
	Since        time.Time // created at or after; zero: no bound
	Until        time.Time // created before; zero: no bound
}

// MaxTypes bounds how many type globs one filter may hold.
const MaxTypes = 20

var resourceTypeRE = regexp.MustCompile(`^[a-z_]{1,100}$`)

// Problems returns what is wrong with f, each under the query parameter
// that carries it; nil when f is good.
func (f Filter) Problems() usererr.Fields {
	var fs usererr.Fields
	if len(f.Types) > MaxTypes {
		fs.Add("type", fmt.Sprintf("at most %d globs", MaxTypes))
	}
	for _, g := range f.Types {
		if _, ok := Pattern(g); !ok {
			fs.Add("type", fmt.Sprintf("%q is not an event type glob: lower-case letters, '_', '.' and '*' (e.g. workload.*), at most 100 characters", g))
		}
	}
	if f.ResourceType != "" && !resourceTypeRE.MatchString(f.ResourceType) {
		fs.Add("resource_type", fmt.Sprintf("%q is not a resource type: lower-case letters and '_' (e.g. workload)", f.ResourceType))
	}
	checkID(&fs, "resource_id", f.ResourceID)
	actors := []string{ActorUser, ActorAPIKey, ActorVEN, ActorSystem, ActorAnonymous}
	if f.ActorType != "" && !slices.Contains(actors, f.ActorType) {
		fs.Add("actor_type", fmt.Sprintf("must be one of %s, not %q", strings.Join(actors, ", "), f.ActorType))
	}
	checkID(&fs, "actor_id", f.ActorID)
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Since.After(f.Until) {
		fs.Add("since", "is after until")
	}
	return fs
}

func checkID(fs *usererr.Fields, field, id string) {
	if len(id) > 200 || strings.ContainsFunc(id, unicode.IsControl) {
		fs.Add(field, "must be at most 200 characters, without control characters")
	}
}

// where returns f as SQL conditions over events, ANDed, with their
// arguments (numbered from $1).
func (f Filter) where() (string, []any) {
	var (
		conds []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if len(f.Types) > 0 {
		pats := make([]string, len(f.Types))
		for i, g := range f.Types {
			pats[i], _ = Pattern(g)
		}
		add(`type LIKE ANY($%d::text[])`, pats)
	}
	if f.ResourceType != "" {
		add(`resource->>'type' = $%d`, f.ResourceType)
	}
	if f.ResourceID != "" {
		add(`resource->>'id' = $%d`, f.ResourceID)
	}
	if f.ActorType != "" {
		add(`actor->>'type' = $%d`, f.ActorType)
	}
	if f.ActorID != "" {
		add(`actor->>'id' = $%d`, f.ActorID)
	}
	if !f.Since.IsZero() {
		add(`created_at >= $%d`, f.Since)
	}
	if !f.Until.IsZero() {
		add(`created_at < $%d`, f.Until)
	}
	if len(conds) == 0 {
		return "true", nil
	}
	return strings.Join(conds, " AND "), args
}

// Reader is the way into a tenant's schema for reads (tenants.Store
// implements it): fn runs in a read-only transaction whose search_path is
// the tenant's schema.
type Reader interface {
	InTenantRead(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
}

// List returns one page of tenant's events that f selects, oldest first
// (by created_at, then id: the events of one transaction in the order
// they were emitted), and the cursor of the next page.
func List(ctx context.Context, r Reader, tenant ids.TenantID, f Filter, pr page.Request) ([]Event, string, error) {
	if err := f.Problems().Err(); err != nil {
		return nil, "", err
	}
	cond, args := f.where()
	var (
		out  []Event
		next string
	)
	err := r.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		var err error
		out, next, err = pg.ListPage(ctx, tx, `SELECT id::text, type, actor, resource, data, created_at FROM events WHERE `+cond, "", args, pr,
			func(row pgx.CollectableRow) (Event, error) {
				var ev Event
				err := row.Scan(&ev.ID, &ev.Type, &ev.Actor, &ev.Resource, &ev.Data, &ev.CreatedAt)
				return ev, err
			},
			func(ev Event) page.Key { return page.Key{Time: ev.CreatedAt, ID: ev.ID} })
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	return out, next, nil
}
