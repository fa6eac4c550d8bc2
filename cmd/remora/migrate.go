package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/remora-sec/remora/infra/config"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/tenants"
)

// migrateCmd brings every schema to the latest version and prints each
// one's version. It is safe to run concurrently (an advisory lock
// serializes runs) and to run again (it is a no-op when nothing is pending).
func migrateCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	createDB := fs.Bool("create-database", false, "create the database first if it does not exist")
	cfg, err := config.Load(fs, args, os.Getenv)
	if err != nil {
		return err
	}
	if *createDB {
		created, err := pg.CreateDatabase(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintln(stdout, "created database")
		}
	}
	pool, err := pg.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	versions, err := tenants.Migrate(ctx, pool)
	for _, v := range versions {
		who := "control schema " + v.Schema
		if v.Tenant != "" {
			who = "tenant " + string(v.Tenant) + " (" + v.Schema + ")"
		}
		fmt.Fprintf(stdout, "%s: version %d (was %d)\n", who, v.Version, v.From)
	}
	return err
}
