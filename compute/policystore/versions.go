package policystore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
)

// Version is one provisioned, immutable state of the policy.
type Version struct {
	Version       int
	Note          string
	ProvisionedAt time.Time
	ProvisionedBy *string // the user, or nil for an API key
	APIKey        *string // the API key, or nil for a user
	RollbackOf    *int    // the version this one restored
	Added         int
	Changed       int
	Removed       int
}

const versionCols = `version, note, provisioned_at, provisioned_by::text, api_key::text, rollback_of, added, changed, removed`

func (v *Version) fields() []any {
	return []any{&v.Version, &v.Note, &v.ProvisionedAt, &v.ProvisionedBy, &v.APIKey, &v.RollbackOf, &v.Added, &v.Changed, &v.Removed}
}

// ListVersions returns one page of versions, newest first.
func (s *Store) ListVersions(ctx context.Context, tenant ids.TenantID, pr page.Request) ([]Version, string, error) {
	var (
		out  []Version
		next string
	)
	// Versions are int4: the first page starts past the largest one, so the
	// query compares as bigint.
	before := int64(1 << 31)
	if pr.After != nil {
		n, err := strconv.ParseInt(pr.After.ID, 10, 32)
		if err != nil {
			return nil, "", usererr.Field(usererr.BadRequest, "cursor", "not a cursor returned by this API")
		}
		before = n
	}
	err := s.tenants.InTenantRead(ctx, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+versionCols+` FROM policy_versions WHERE version < $1::bigint ORDER BY version DESC LIMIT $2`, before, pr.Size()+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Version, error) {
			var v Version
			return v, r.Scan(v.fields()...)
		})
		out, next = page.Of(items, pr.Size(), func(v Version) page.Key { return page.Key{Time: v.ProvisionedAt, ID: strconv.Itoa(v.Version)} })
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list versions: %w", err)
	}
	return out, next, nil
}

// GetVersion returns version n.
func (s *Store) GetVersion(ctx context.Context, tenant ids.TenantID, n int) (Version, error) {
	return read(ctx, s, tenant, "get version", func(tx pgx.Tx) (Version, error) { return getVersion(ctx, tx, n) })
}

func getVersion(ctx context.Context, tx pgx.Tx, n int) (Version, error) {
	var v Version
	if !versionFits(n) {
		return v, errVersionNotFound(n)
	}
	err := tx.QueryRow(ctx, `SELECT `+versionCols+` FROM policy_versions WHERE version = $1`, n).Scan(v.fields()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, errVersionNotFound(n)
	}
	return v, err
}

// checkNote validates a version's note: the why of a change, kept forever.
func checkNote(note string, required bool) error {
	n := utf8.RuneCountInString(note)
	switch {
	case required && strings.TrimSpace(note) == "":
		return usererr.Field(usererr.Invalid, "note", "is required: say what this change is for")
	case n > 1024:
		return usererr.Field(usererr.Invalid, "note", "must be at most 1024 characters")
	case strings.ContainsFunc(note, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return usererr.Field(usererr.Invalid, "note", "must not hold control characters other than newlines and tabs")
	}
	return nil
}

// newVersion records version n (active+1), whose objects the caller
// copies, makes it active and bumps the tenant's generation.
func newVersion(ctx context.Context, tx pgx.Tx, n int, author Author, note string, rollbackOf *int, c Changes) (Version, error) {
	var v Version
	err := tx.QueryRow(ctx, `INSERT INTO policy_versions (version, note, provisioned_by, api_key, rollback_of, added, changed, removed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+versionCols,
		n, note, nullable(string(author.User)), nullable(string(author.APIKey)), rollbackOf, len(c.Added), len(c.Changed), len(c.Removed)).Scan(v.fields()...)
	if err != nil {
		return v, fmt.Errorf("record version %d: %w", n, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE policy_head SET active = $1`, n); err != nil {
		return v, fmt.Errorf("activate version %d: %w", n, err)
	}
	_, err = bumpGeneration(ctx, tx, change{policy: true})
	return v, err
}

// copyObjects copies state from's objects into version n: all of them
// when keys is nil, else those in keys (include) or not in keys (!include).
func copyObjects(ctx context.Context, tx pgx.Tx, from state, n int, keys []ObjectKey, include bool) error {
	cond, args := `true`, []any(nil)
	if keys != nil {
		kinds, idList := splitKeys(keys)
		cond, args = `(kind, id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))`, []any{kinds, idList}
		if !include {
			cond = `NOT ` + cond
		}
	}
	_, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO version_objects (version, kind, id, name, doc, revision, created_at, updated_at)
		SELECT %d, kind, id, name, doc, revision, created_at, updated_at FROM %s o WHERE %s`, n, from.objects(), cond), args...)
	if err != nil {
		return fmt.Errorf("copy %s into version %d: %w", from, n, err)
	}
	return nil
}

func splitKeys(keys []ObjectKey) (kinds, idList []string) {
	kinds, idList = make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		kinds[i], idList[i] = string(k.Kind), k.ID
	}
	return kinds, idList
}

// resetDraft makes the draft equal to version n.
func resetDraft(ctx context.Context, tx pgx.Tx, n int) error {
	if _, err := tx.Exec(ctx, `DELETE FROM draft_objects`); err != nil {
		return fmt.Errorf("clear draft: %w", err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO draft_objects (kind, id, name, doc, revision, created_at, updated_at)
		SELECT kind, id, name, doc, revision, created_at, updated_at FROM version_objects WHERE version = $1`, n)
	if err != nil {
		return fmt.Errorf("reset draft to version %d: %w", n, err)
	}
	return nil
}

// Revert drops every pending change: the draft becomes the active version
// again. It returns what was dropped.
func (s *Store) Revert(ctx context.Context, tenant ids.TenantID) (Changes, error) {
	return write(ctx, s, tenant, "revert", func(tx pgx.Tx) (Changes, error) {
		active, err := lockHead(ctx, tx)
		if err != nil {
			return Changes{}, err
		}
		c, err := diffStates(ctx, tx, state{n: active}, state{draft: true})
		if err != nil {
			return c, err
		}
		if err := resetDraft(ctx, tx, active); err != nil {
			return c, err
		}
		// Recorded even when nothing was pending: someone chose to drop
		// whatever the draft held, and the audit log says so.
		data := changeCounts(c)
		data["version"] = active
		return c, emit(ctx, tx, tenant, "policy.reverted", draftResource, data)
	})
}

// Rollback makes a new version equal to version n and makes the draft
// equal to it. It refuses while the draft holds pending changes, which it
// would otherwise silently drop.
func (s *Store) Rollback(ctx context.Context, tenant ids.TenantID, author Author, n int, note string) (Version, error) {
	var v Version
	if err := checkNote(note, false); err != nil {
		return v, err
	}
	err := s.tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
		active, err := lockHead(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := getVersion(ctx, tx, n); err != nil {
			return err
		}
		pending, err := diffStates(ctx, tx, state{n: active}, state{draft: true})
		if err != nil {
			return err
		}
		if pending.Len() > 0 {
			return usererr.New(usererr.Conflict, fmt.Sprintf("the draft has %d pending changes: provision or revert them before a rollback", pending.Len()))
		}
		c, err := diffStates(ctx, tx, state{n: active}, state{n: n})
		if err != nil {
			return err
		}
		if c.Len() == 0 {
			return usererr.New(usererr.Conflict, fmt.Sprintf("version %d has the same policy as the active version %d", n, active))
		}
		cand, err := loadState(ctx, tx, state{n: n})
		if err != nil {
			return err
		}
		if err := checkCandidate(ctx, tx, cand, "version"); err != nil {
			return err
		}
		if note == "" {
			note = fmt.Sprintf("rollback to version %d", n)
		}
		if v, err = newVersion(ctx, tx, active+1, author, note, &n, c); err != nil {
			return err
		}
		if err := copyObjects(ctx, tx, state{n: n}, active+1, nil, true); err != nil {
			return err
		}
		if err := resetDraft(ctx, tx, active+1); err != nil {
			return err
		}
		return emit(ctx, tx, tenant, "policy.rolled_back", versionResource(v.Version), versionData(v, false))
	})
	if err != nil {
		return v, fmt.Errorf("rollback: %w", err)
	}
	return v, nil
}
