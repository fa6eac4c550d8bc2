// Package migrate applies versioned, forward-only SQL migrations to one
// Postgres schema. The same runner serves the control schema and every
// tenant schema; callers own the transaction, so a tenant's schema can be
// created and migrated in the very transaction that creates the tenant, and
// a failed step leaves nothing behind.
package migrate

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Step is one migration: NNNN_name.sql.
type Step struct {
	Version int
	Name    string
	SQL     string
}

// Set is the ordered migrations of one kind of schema, versions 1..n.
type Set struct {
	Steps []Step
}

// Load reads dir of fsys. File names are NNNN_description.sql with versions
// numbered 1..n without gaps, so a missing or duplicated file is caught at
// startup, not half-way through a migration.
func Load(fsys fs.FS, dir string) (Set, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return Set{}, fmt.Errorf("read migrations %s: %w", dir, err)
	}
	var s Set
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return Set{}, fmt.Errorf("migration %s/%s: name must be NNNN_description.sql", dir, e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return Set{}, fmt.Errorf("read migration: %w", err)
		}
		s.Steps = append(s.Steps, Step{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(s.Steps, func(i, j int) bool { return s.Steps[i].Version < s.Steps[j].Version })
	for i, st := range s.Steps {
		if st.Version != i+1 {
			return Set{}, fmt.Errorf("migrations %s: want version %d, found %s", dir, i+1, st.Name)
		}
	}
	return s, nil
}

// Latest is the version a fully migrated schema has.
func (s Set) Latest() int { return len(s.Steps) }

// Querier is what Version needs: a pool, a connection or a transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Version returns the schema's current version, 0 if it does not exist.
func Version(ctx context.Context, q Querier, schema string) (int, error) {
	var v int
	err := q.QueryRow(ctx, `SELECT CASE WHEN to_regclass($1) IS NULL THEN 0 ELSE -1 END`,
		schema+".schema_migrations").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("version of %s: %w", schema, err)
	}
	if v == 0 {
		return 0, nil
	}
	err = q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("version of %s: %w", schema, err)
	}
	return v, nil
}

// Apply brings schema to the latest version within tx, creating it if
// needed, and returns the versions before and after. It leaves tx's
// search_path on schema. A schema newer than this binary knows is an error:
// migrations only go forward, and an old binary must not run on a new schema.
func (s Set) Apply(ctx context.Context, tx pgx.Tx, schema string) (from, to int, err error) {
	id := pgx.Identifier{schema}.Sanitize()
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+id); err != nil {
		return 0, 0, fmt.Errorf("create schema %s: %w", schema, err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL search_path TO `+id); err != nil {
		return 0, 0, fmt.Errorf("set search_path %s: %w", schema, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version int PRIMARY KEY,
		name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, 0, fmt.Errorf("create %s.schema_migrations: %w", schema, err)
	}
	if from, err = Version(ctx, tx, schema); err != nil {
		return 0, 0, err
	}
	if from > s.Latest() {
		return from, from, fmt.Errorf("schema %s is at version %d but this binary knows only %d: upgrade remora", schema, from, s.Latest())
	}
	for _, st := range s.Steps[from:] {
		if _, err := tx.Exec(ctx, st.SQL); err != nil {
			return from, 0, fmt.Errorf("migrate %s: %s: %w", schema, st.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, st.Version, st.Name); err != nil {
			return from, 0, fmt.Errorf("migrate %s: record %s: %w", schema, st.Name, err)
		}
	}
	return from, s.Latest(), nil
}
