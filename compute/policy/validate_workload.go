package policy

import (
	"net/netip"
	"strings"
)

// ValidateWorkload checks a workload against c: name, host name,
// interfaces and their addresses, labels (existing, one per key) and
// enforcement mode. It does not check the id or Managed, which the store
// sets.
func ValidateWorkload(w *Workload, c Catalog) error {
	r := new(report)
	checkName(r, "name", w.Name, maxWorkloadNameLen)
	checkHostname(r, "hostname", w.Hostname)
	checkCount(r, "interfaces", len(w.Interfaces), 0, maxInterfaces)
	names := firstSeen[string]{}
	for i, itf := range w.Interfaces {
		path := at("interfaces", i)
		if checkInterfaceName(r, path+".name", itf.Name) {
			if j, dup := names.dup(itf.Name, i); dup {
				r.failf(path+".name", "interface %q is listed twice: also interfaces[%d]", itf.Name, j)
			}
		}
		checkCount(r, path+".addresses", len(itf.Addresses), 0, maxAddresses)
		for k, s := range itf.Addresses {
			if a, err := netip.ParseAddr(s); err != nil || a.Zone() != "" {
				r.failf(at(path+".addresses", k), "must be an IP address without zone, got %q", s)
			}
		}
	}
	checkCount(r, "labels", len(w.Labels), 0, maxWorkloadLabels)
	keys := firstSeen[string]{}
	for i, id := range w.Labels {
		l, ok := c.Label(id)
		switch {
		case id == "":
			r.fail(at("labels", i), "is required")
		case !ok:
			r.failf(at("labels", i), "label %q not found", id)
		default:
			if _, dup := keys.dup(l.Key, i); dup {
				r.failf(at("labels", i), "second label of key %q: a workload has at most one value per key", l.Key)
			}
		}
	}
	switch w.Mode {
	case Idle, VisibilityOnly, Selective, Full:
	default:
		r.failf("enforcement_mode", "must be one of idle, visibility_only, selective, full, got %q", w.Mode)
	}
	return r.errs.Err()
}

// checkHostname accepts what hosts actually call themselves: dot-separated
// labels of letters, digits, '-' and '_' (Windows and some clouds use it),
// 1 to 63 characters each, not starting or ending with '-'.
func checkHostname(r *report, path, h string) {
	if h == "" {
		return
	}
	if len(h) > 255 {
		r.fail(path, "must be at most 255 characters")
		return
	}
	for _, part := range strings.Split(h, ".") {
		if len(part) < 1 || len(part) > 63 || part[0] == '-' || part[len(part)-1] == '-' ||
			strings.ContainsFunc(part, func(c rune) bool { return !isAlnum(c) && c != '-' && c != '_' }) {
			r.failf(path, "must be a host name such as web-1.example.com, got %q", h)
			return
		}
	}
}

// checkInterfaceName checks a Linux-style interface name (IFNAMSIZ is 16
// with the terminating NUL) and reports whether it is valid.
func checkInterfaceName(r *report, path, name string) bool {
	if len(name) < 1 || len(name) > 15 ||
		strings.ContainsFunc(name, func(c rune) bool { return !isAlnum(c) && !strings.ContainsRune("_.:-", c) }) {
		r.failf(path, "must be 1 to 15 characters of letters, digits, '_', '.', ':' and '-', got %q", name)
		return false
	}
	return true
}

func isAlnum(c rune) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
