package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/remora-sec/remora/infra/usererr"
)

// Tiny literal helpers: each turns a short string into a policy value and
// panics on a string it cannot read, so table rows stay one line and a typo
// fails loudly instead of testing something else.

// uid derives a stable canonical UUID from a name, so tests can refer to
// objects by name ("label:env=prod") without a lookup table.
func uid(name string) string {
	h := sha256.Sum256([]byte(name))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func lbl(kv string) LabelID {
	if k, v, ok := strings.Cut(kv, "="); !ok || k == "" || v == "" {
		panic("bad label literal " + strconv.Quote(kv))
	}
	return LabelID(uid("label:" + kv))
}

func label(kv string) Label {
	k, v, _ := strings.Cut(kv, "=")
	return Label{ID: lbl(kv), Key: k, Value: v}
}

func grp(name string) LabelGroupID { return LabelGroupID(uid("group:" + name)) }
func ipl(name string) IPListID     { return IPListID(uid("iplist:" + name)) }
func svc(name string) ServiceID    { return ServiceID(uid("service:" + name)) }
func wid(name string) WorkloadID   { return WorkloadID(uid("workload:" + name)) }
func rsid(name string) RulesetID   { return RulesetID(uid("ruleset:" + name)) }
func rid(rs string, i int) RuleID  { return RuleID(uid(fmt.Sprintf("rule:%s/%d", rs, i))) }

// rr names rule i of ruleset rs, as Decision.Rules does.
func rr(rs string, i int) RuleRef { return RuleRef{rsid(rs), rid(rs, i)} }

func intp(i int) *int          { return &i }
func boolp(b bool) *bool       { return &b }
func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// group builds a label group of key from members: "key=value" labels and
// "g:name" groups.
func group(name, key string, members ...string) LabelGroup {
	g := LabelGroup{ID: grp(name), Name: name, Key: key, Labels: []LabelID{}, Groups: []LabelGroupID{}}
	for _, m := range members {
		if n, ok := strings.CutPrefix(m, "g:"); ok {
			g.Groups = append(g.Groups, grp(n))
		} else {
			g.Labels = append(g.Labels, lbl(m))
		}
	}
	return g
}

// actors reads one side of a rule: comma-separated "*" (all workloads),
// "key=value", "g:group", "ip:list", "wl:workload".
func actors(spec string) []Actor {
	var out []Actor
	for _, t := range strings.Split(spec, ",") {
		switch {
		case t == "*":
			out = append(out, Actor{AllWorkloads: true})
		case strings.HasPrefix(t, "g:"):
			out = append(out, Actor{LabelGroup: grp(t[2:])})
		case strings.HasPrefix(t, "ip:"):
			out = append(out, Actor{IPList: ipl(t[3:])})
		case strings.HasPrefix(t, "wl:"):
			out = append(out, Actor{Workload: wid(t[3:])})
		default:
			out = append(out, Actor{Label: lbl(t)})
		}
	}
	return out
}

// scope reads a scope: comma-separated "key=value" and "g:group" terms.
func scope(spec string) Scope {
	var out Scope
	for _, t := range strings.Split(spec, ",") {
		if n, ok := strings.CutPrefix(t, "g:"); ok {
			out = append(out, LabelRef{LabelGroup: grp(n)})
		} else {
			out = append(out, LabelRef{Label: lbl(t)})
		}
	}
	return out
}

// port reads "tcp", "tcp/80", "tcp/8000-8100", "icmp", "icmp/8", "icmp/3/4",
// "any".
func port(spec string) Port {
	parts := strings.Split(spec, "/")
	p := Port{Proto: Proto(parts[0])}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			panic("bad port literal " + strconv.Quote(spec))
		}
		return n
	}
	switch {
	case len(parts) == 1:
	case p.Proto == ProtoTCP || p.Proto == ProtoUDP:
		lo, hi, isRange := strings.Cut(parts[1], "-")
		p.Port = num(lo)
		if isRange {
			p.ToPort = num(hi)
		}
	case p.Proto == ProtoICMP || p.Proto == ProtoICMPv6:
		p.ICMPType = intp(num(parts[1]))
		if len(parts) == 3 {
			p.ICMPCode = intp(num(parts[2]))
		}
	default:
		panic("bad port literal " + strconv.Quote(spec))
	}
	return p
}

// services reads a rule's services: comma-separated ports (see port) and
// "s:name" named services.
func services(spec string) []ServiceRef {
	var out []ServiceRef
	for _, t := range strings.Split(spec, ",") {
		if n, ok := strings.CutPrefix(t, "s:"); ok {
			out = append(out, ServiceRef{Service: svc(n)})
		} else {
			out = append(out, ServiceRef{Port: port(t)})
		}
	}
	return out
}

// rule builds a rule; rset gives it its id.
func rule(a Action, providers, consumers, svcs string) Rule {
	return Rule{Action: a, Providers: actors(providers), Consumers: actors(consumers), Services: services(svcs)}
}

// extra makes r an extra-scope rule.
func extra(r Rule) Rule { r.UnscopedConsumers = true; return r }

// off disables r.
func off(r Rule) Rule { r.Enabled = boolp(false); return r }

// rset builds ruleset name with scopes (nil: none) and rules, whose ids
// become rid(name, i).
func rset(name string, scopes []string, rules ...Rule) Ruleset {
	rs := Ruleset{ID: rsid(name), Name: name, Scopes: []Scope{}, Rules: rules}
	for _, s := range scopes {
		rs.Scopes = append(rs.Scopes, scope(s))
	}
	for i := range rs.Rules {
		rs.Rules[i].ID = rid(name, i)
	}
	return rs
}

// workload builds a full-mode workload from "key=value" labels and
// addresses, all on eth0.
func workload(name string, specs ...string) Workload {
	w := Workload{ID: wid(name), Name: name, Mode: Full, Labels: []LabelID{},
		Interfaces: []Interface{{Name: "eth0", Addresses: []string{}}}}
	for _, s := range specs {
		if strings.Contains(s, "=") {
			w.Labels = append(w.Labels, lbl(s))
		} else {
			w.Interfaces[0].Addresses = append(w.Interfaces[0].Addresses, addr(s).String())
		}
	}
	return w
}

// flow reads a flow: src is a workload name or an address, svc a port
// literal with one port or ICMP type (and code).
func flow(src, dst, svc string) Flow {
	p := port(svc)
	f := Flow{Destination: wid(dst), Proto: p.Proto, Port: p.Port, ICMPType: p.ICMPType, ICMPCode: p.ICMPCode}
	if a, err := netip.ParseAddr(src); err == nil {
		f.Source.IP = a
	} else {
		f.Source.Workload = wid(src)
	}
	return f
}

// fieldPaths returns the sorted field paths of a validation error, and
// fails t if err is not an Invalid user error.
func fieldPaths(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	ue, ok := usererr.As(err)
	if !ok || ue.Kind != usererr.Invalid {
		t.Fatalf("error %v is not a usererr of kind Invalid", err)
	}
	var out []string
	for _, f := range ue.Fields {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

// warnPaths returns the sorted paths of ws.
func warnPaths(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Field)
	}
	slices.Sort(out)
	return out
}

// messages returns every message of err and ws, for substring checks.
func messages(err error, ws []Warning) string {
	var b strings.Builder
	if ue, ok := usererr.As(err); ok {
		for _, f := range ue.Fields {
			fmt.Fprintf(&b, "%s: %s\n", f.Field, f.Message)
		}
	}
	for _, w := range ws {
		fmt.Fprintf(&b, "%s: %s\n", w.Field, w.Message)
	}
	return b.String()
}
