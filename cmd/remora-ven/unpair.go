package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/remora-sec/remora/ven/agent"
)

// unpairCmd leaves the PCE and removes the agent's state.
func unpairCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var c common
	c.register(fs)
	var o agent.UnpairOptions
	fs.StringVar(&o.Restore, "restore", agent.RestoreOpen, "what the firewall is left as: open (rules removed) or closed (all but loopback, established and the tunnel dropped)")
	fs.BoolVar(&o.KeepOnError, "keep-on-error", false, "change nothing if the PCE cannot be told")
	fs.DurationVar(&o.Timeout, "timeout", 0, "how long to try to reach the PCE (default 15s)")
	log, err := c.parse(fs, args, stderr)
	if err != nil {
		return err
	}
	o.Dir, o.Log = c.stateDir, log
	rep, err := agent.Unpair(ctx, o)
	if rep.GoodbyeErr != nil {
		fmt.Fprintf(stderr, "remora-ven: the PCE could not be told: %v\n", rep.GoodbyeErr)
	}
	if err != nil {
		return err
	}
	if rep.StoppedAgent {
		fmt.Fprintln(stdout, "stopped the running agent")
	}
	fmt.Fprintf(stdout, "unpaired VEN %s; firewall left %s\n", rep.VEN, o.Restore)
	return nil
}
