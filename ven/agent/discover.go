package agent

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/remora-sec/remora/ven/wire"
)

// Discover lists the host's interfaces and their addresses, as the PCE
// needs them to put this workload in other workloads' sets. It leaves out
// what no peer can use to reach the host: loopback, interfaces that are
// down, link-local addresses (fe80::/10, and 169.254/16 which is link-local
// just the same), multicast, and the interfaces named in skip (the agent's
// own tunnel, whose address is known to the PCE and must not land in sets).
// Interfaces left with no address are left out. The order is stable
// (by name, then address), so an unchanged host reports equal lists.
func Discover(skip ...string) ([]wire.Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var out []wire.Interface
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 || ifc.Flags&net.FlagUp == 0 || slices.Contains(skip, ifc.Name) {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", ifc.Name, err)
		}
		var ips []netip.Addr
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			ip = ip.Unmap()
			if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() {
				continue
			}
			ips = append(ips, ip)
		}
		if len(ips) == 0 {
			continue
		}
		slices.SortFunc(ips, netip.Addr.Compare)
		ips = slices.Compact(ips)
		w := wire.Interface{Name: ifc.Name, Addresses: make([]string, len(ips))}
		for i, ip := range ips {
			w.Addresses[i] = ip.String()
		}
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b wire.Interface) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// hostOS describes the operating system for the PCE's inventory: the
// distribution's PRETTY_NAME when /etc/os-release has one, else GOOS.
func hostOS() string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return runtime.GOOS
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
			if v = strings.Trim(v, `"'`); v != "" {
				return runtime.GOOS + " (" + v + ")"
			}
		}
	}
	return runtime.GOOS
}
