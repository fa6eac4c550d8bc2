// Command remora is the Policy Compute Engine: `remora serve` runs the API,
// `remora migrate` brings the database schemas to this binary's version.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: remora <command> [flags]

commands:
  serve     run the PCE (REST API over HTTPS)
  worker    run compute workers only (serve runs REMORA_WORKERS of them too)
  migrate   migrate the control schema and every tenant schema
  version   print the version

Every flag also reads a REMORA_* environment variable; see remora <command> -h.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "remora:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	fs := flag.NewFlagSet("remora "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch args[0] {
	case "serve":
		return serve(ctx, fs, args[1:], stdout, stderr)
	case "worker":
		return workerCmd(ctx, fs, args[1:], stderr)
	case "migrate":
		return migrateCmd(ctx, fs, args[1:], stdout)
	case "version":
		fmt.Fprintln(stdout, "remora", version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
