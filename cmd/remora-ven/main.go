// Command remora-ven is the agent that runs on every workload: `pair`
// registers the host with the PCE, `run` keeps its firewall on the PCE's
// policy, `status` shows where it stands, `unpair` takes it out again.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: remora-ven <command> [flags]

commands:
  pair      register this host with the PCE (--pce URL --token T [--pce-fingerprint F])
  run       enforce the PCE's policy: tunnel, heartbeat, policy sync, firewall
  status    show the pairing, the applied policy and the tunnel
  unpair    leave the PCE and remove the firewall rules (--restore open|closed)
  version   print the version

See remora-ven <command> -h for each command's flags.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "remora-ven:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	fs := flag.NewFlagSet("remora-ven "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch args[0] {
	case "pair":
		return pairCmd(ctx, fs, args[1:], stdout, stderr)
	case "run":
		return runCmd(ctx, fs, args[1:], stderr)
	case "status":
		return statusCmd(fs, args[1:], stdout)
	case "unpair":
		return unpairCmd(ctx, fs, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "remora-ven", version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// common are the flags every command has.
type common struct {
	stateDir string
	logLevel string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.stateDir, "state-dir", "/var/lib/remora-ven", "directory of the agent's state (key, identity, last policy)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

// parse parses args and returns the JSON logger on stderr.
func (c *common) parse(fs *flag.FlagSet, args []string, stderr io.Writer) (*slog.Logger, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.logLevel)
	}
	return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})), nil
}
