package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/remora-sec/remora/ven/agent"
)

// pairCmd registers the host and saves its identity.
func pairCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var c common
	c.register(fs)
	var o agent.PairOptions
	fs.StringVar(&o.PCE, "pce", "", "the PCE's URL, https://host[:port] (required)")
	fs.StringVar(&o.Token, "token", os.Getenv("REMORA_INSTALL_TOKEN"), "install token (required; or REMORA_INSTALL_TOKEN, which other users cannot read in the process list)")
	fs.StringVar(&o.Fingerprint, "pce-fingerprint", "", "SHA-256 fingerprint of the PCE's certificate to accept (hex, colons allowed); without it the system's CAs decide")
	fs.StringVar(&o.Iface, "iface", agent.DefaultIface, "name of the WireGuard interface to the PCE")
	fs.BoolVar(&o.Force, "force", false, "pair again with a new identity even if this host is paired")
	log, err := c.parse(fs, args, stderr)
	if err != nil {
		return err
	}
	o.Dir, o.Log = c.stateDir, log
	s, err := agent.Pair(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "paired: VEN %s, workload %s, tunnel address %s\nstart the agent: remora-ven run --state-dir %s\n",
		s.VEN, s.Workload, s.TunnelAddress, c.stateDir)
	return nil
}
