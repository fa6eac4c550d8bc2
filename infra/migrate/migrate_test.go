package migrate_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/migrate"
	"github.com/remora-sec/remora/infra/pg/pgtest"
)

func set(t *testing.T, files map[string]string) (migrate.Set, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, sql := range files {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(sql)}
	}
	return migrate.Load(fsys, "m")
}

func TestLoadRejectsBadSets(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"gap", map[string]string{"0001_a.sql": "", "0003_c.sql": ""}, "want version 2"},
		{"duplicate", map[string]string{"0001_a.sql": "", "001_b.sql": ""}, "want version 2"},
		{"bad name", map[string]string{"init.sql": ""}, "NNNN_description.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := set(t, tt.files); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgtest.NewPool(t)
	s1, err := set(t, map[string]string{"0001_a.sql": "CREATE TABLE a (x int)"})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := set(t, map[string]string{"0001_a.sql": "CREATE TABLE a (x int)", "0002_b.sql": "CREATE TABLE b (y int)"})
	if err != nil {
		t.Fatal(err)
	}
	apply := func(s migrate.Set) (int, int, error) {
		var from, to int
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			from, to, err = s.Apply(ctx, tx, "sch")
			return err
		})
		return from, to, err
	}
	if v, err := migrate.Version(ctx, pool, "sch"); err != nil || v != 0 {
		t.Fatalf("Version before = %d, %v", v, err)
	}
	if from, to, err := apply(s1); err != nil || from != 0 || to != 1 {
		t.Fatalf("apply v1: %d→%d %v", from, to, err)
	}
	if from, to, err := apply(s2); err != nil || from != 1 || to != 2 {
		t.Fatalf("apply v2: %d→%d %v", from, to, err)
	}
	if from, to, err := apply(s2); err != nil || from != 2 || to != 2 {
		t.Fatalf("apply again: %d→%d %v", from, to, err)
	}
	if _, _, err := apply(s1); err == nil || !strings.Contains(err.Error(), "upgrade remora") {
		t.Fatalf("older binary on newer schema: err = %v", err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO sch.b VALUES (1)"); err != nil {
		t.Fatalf("table from step 2 missing: %v", err)
	}
	bad, _ := set(t, map[string]string{"0001_a.sql": "CREATE TABLE a (x int)", "0002_b.sql": "CREATE TABLE b (y int)", "0003_c.sql": "CREATE TABLE c (nonsense"})
	if _, _, err := apply(bad); err == nil || !strings.Contains(err.Error(), "0003_c.sql") {
		t.Fatalf("failing step: err = %v", err)
	}
	if v, _ := migrate.Version(ctx, pool, "sch"); v != 2 {
		t.Fatalf("a failed step must leave the schema as it was: version %d", v)
	}
}
