package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/remora-sec/remora/ven/agent"
)

// runCmd runs the agent until SIGTERM or SIGINT. It takes the pid file
// first (one agent per state directory, and unpair finds it there), then
// hands over to agent.Run, which re-applies the saved policy before it
// does anything that needs the network.
func runCmd(ctx context.Context, fs *flag.FlagSet, args []string, stderr io.Writer) error {
	var c common
	c.register(fs)
	checkInterval := fs.Duration("check-interval", agent.DefaultCheckInterval, "how often to check that the firewall is as programmed")
	offlineOK := fs.Bool("offline-ok", false, "keep running on the saved policy when the tunnel cannot be brought up at start, retrying it")
	log, err := c.parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if *checkInterval <= 0 {
		return fmt.Errorf("--check-interval %s: want a positive duration", *checkInterval)
	}
	s, err := agent.LoadState(c.stateDir)
	if err != nil {
		return err
	}
	lock, err := agent.LockPID(c.stateDir)
	if err != nil {
		return err
	}
	defer lock.Release()

	// The endpoint is exempt in the firewall, so it is resolved before the
	// boot apply; a name that does not resolve falls back to the address
	// saved when pairing, so DNS never delays protection for long.
	ep, err := agent.ResolveEndpoint(ctx, c.stateDir, s, log)
	if err != nil {
		log.Error("hub endpoint unknown; the firewall cannot exempt it", "err", err)
	}
	enf, err := agent.OpenEnforcer(s, ep, 0, log)
	if err != nil {
		return err
	}
	return agent.Run(ctx, agent.RunConfig{
		Dir: c.stateDir, State: s, Endpoint: ep, Enforcer: enf,
		CheckInterval: *checkInterval, OfflineOK: *offlineOK, Version: version, Log: log,
	})
}
