package fleet

import (
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/remora-sec/remora/infra/usererr"
	"github.com/remora-sec/remora/ven/wire"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Limits on what a VEN reports: a host has a few interfaces, and a
// request is never a way to store unbounded data.
const (
	maxInterfaces = 64
	maxAddresses  = 64
	maxText       = 255
	maxTampered   = 1_000_000 // per heartbeat: more is a broken or hostile agent
)

func validatePair(req wire.PairRequest) error {
	var f usererr.Fields
	if req.Token == "" {
		f.Add("token", "is required")
	}
	switch k, err := wgtypes.ParseKey(req.PublicKey); {
	case err != nil:
		f.Add("wg_public_key", "must be a WireGuard public key (base64 of 32 bytes)")
	case k == wgtypes.Key{}:
		f.Add("wg_public_key", "must not be the all-zero key")
	}
	checkHost(&f, req.Hostname, req.OS, req.Interfaces)
	return f.Err()
}

func validateHeartbeat(hb wire.Heartbeat) error {
	var f usererr.Fields
	checkHost(&f, hb.Hostname, hb.OS, hb.Interfaces)
	if len(hb.AgentVersion) > maxText {
		f.Add("agent_version", fmt.Sprintf("must be at most %d characters", maxText))
	}
	if hb.Tampered < 0 || hb.Tampered > maxTampered {
		f.Add("tampered", fmt.Sprintf("must be from 0 to %d", maxTampered))
	}
	if hb.EnforcedGeneration > math.MaxInt64 {
		f.Add("enforced_generation", "is out of range")
	}
	if len(hb.EnforcedHash) > 64 {
		f.Add("enforced_hash", "must be a SHA-256 in hex (64 characters)")
	}
	if hb.Counters.Rules < 0 || hb.Counters.Drops > math.MaxInt64 || hb.Counters.WouldDrop > math.MaxInt64 {
		f.Add("counters", "must be non-negative and at most 2^63-1")
	}
	return f.Err()
}

// checkHost checks what both pairing and heartbeats report of the host.
func checkHost(f *usererr.Fields, hostname, os string, ifs []wire.Interface) {
	switch {
	case strings.TrimSpace(hostname) == "":
		f.Add("hostname", "is required")
	case len(hostname) > maxText:
		f.Add("hostname", fmt.Sprintf("must be at most %d characters", maxText))
	}
	if len(os) > maxText {
		f.Add("os", fmt.Sprintf("must be at most %d characters", maxText))
	}
	if len(ifs) > maxInterfaces {
		f.Add("interfaces", fmt.Sprintf("must list at most %d interfaces", maxInterfaces))
		return
	}
	for i, x := range ifs {
		if x.Name == "" || len(x.Name) > maxText {
			f.Add(fmt.Sprintf("interfaces[%d].name", i), "is required, at most 255 characters")
		}
		if len(x.Addresses) > maxAddresses {
			f.Add(fmt.Sprintf("interfaces[%d].addresses", i), fmt.Sprintf("must list at most %d addresses", maxAddresses))
			continue
		}
		for j, a := range x.Addresses {
			if _, err := netip.ParseAddr(a); err != nil {
				f.Add(fmt.Sprintf("interfaces[%d].addresses[%d]", i, j), fmt.Sprintf("%q is not an IP address", a))
			}
		}
	}
}
