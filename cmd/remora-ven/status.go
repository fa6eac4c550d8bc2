package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/remora-sec/remora/ven/agent"
)

// statusCmd prints the agent's status, for people or, with --json, for
// scripts.
func statusCmd(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var c common
	c.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := c.parse(fs, args, io.Discard); err != nil {
		return err
	}
	st, err := agent.ReadStatus(c.stateDir)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	if !st.Paired {
		fmt.Fprintf(stdout, "not paired (no state in %s)\n", st.StateDir)
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(w, "%s:\t%v\n", k, v) }
	row("paired", "yes, "+st.PairedAt.Format(time.RFC3339))
	row("VEN", st.VEN)
	row("workload", st.Workload)
	row("PCE", st.PCE)
	row("tunnel", fmt.Sprintf("%s on %s, hub %s", st.TunnelAddress, st.Iface, st.HubEndpoint))
	if st.Running {
		row("agent", fmt.Sprintf("running (pid %d)", st.PID))
	} else {
		row("agent", "not running")
	}
	switch {
	case st.PolicyError != "":
		row("policy", "ERROR: "+st.PolicyError)
	case st.Hash == "":
		row("policy", "none applied yet")
	default:
		row("policy", fmt.Sprintf("generation %d (%s), hash %s", st.Generation, st.Mode, st.Hash))
	}
	if t := st.Tunnel; t != nil {
		hs := "never"
		if !t.LastHandshake.IsZero() {
			hs = t.LastHandshake.UTC().Format(time.RFC3339)
		}
		row("handshake", hs)
		row("transfer", fmt.Sprintf("%d B received, %d B sent", t.ReceiveBytes, t.TransmitBytes))
	}
	return w.Flush()
}
