package gateway_test

import (
	"slices"
	"testing"
)

// TestPolicyCheck asks /policy/check and /policy/check/batch about flows
// before and after the first provision, by workload and by address.
func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Check").owner
	fx := e.world(tok)

	// Nothing provisioned: version "0", no rule, full enforcement blocks.
	// The draft already allows it.
	got := e.check(tok, flow(fx.webW, fx.dbW))
	if got.Version != "0" || got.Decision != "blocked" || got.Reason != "default" || len(got.Rules) != 0 || got.Mode != "full" {
		t.Fatalf("before any provision: %+v", got)
	}
	draft := obj{"source": fx.webW, "destination": fx.dbW, "proto": "tcp", "port": 5432, "version": "draft"}
	if got := e.check(tok, draft); got.Version != "draft" || got.Decision != "allowed" || got.Reason != "allow" {
		t.Fatalf("draft check: %+v", got)
	}

	v := e.provision(tok, "shop")
	allowed := []ruleRef{{fx.ruleset, fx.rule}}
	for _, src := range []string{fx.webW, fx.webIP, "::ffff:" + fx.webIP} {
		got := e.check(tok, flow(src, fx.dbW))
		if got.Decision != "allowed" || got.Reason != "allow" || !slices.Equal(got.Rules, allowed) || got.Version != "1" || v.Version != 1 {
			t.Errorf("web (%s) → db:5432: %+v", src, got)
		}
	}
	for name, f := range map[string]obj{
		"other port":     {"source": fx.webW, "destination": fx.dbW, "proto": "tcp", "port": 5433},
		"udp":            {"source": fx.webW, "destination": fx.dbW, "proto": "udp", "port": 5432},
		"reverse":        flow(fx.dbW, fx.webW),
		"unknown ip":     flow("192.0.2.7", fx.dbW),
		"icmp":           {"source": fx.webW, "destination": fx.dbW, "proto": "icmp", "icmp_type": 8, "icmp_code": 0},
		"icmpv6 no type": {"source": fx.webIP, "destination": fx.dbW, "proto": "icmpv6"},
	} {
		if got := e.check(tok, f); got.Decision != "blocked" || got.Reason != "default" || len(got.Rules) != 0 {
			t.Errorf("%s: %+v", name, got)
		}
	}

	// Batch: one answer per flow, in order, against one version.
	b := decode[struct{ Results []checkOut }](t, e.must(200, "POST", api("policy", "check", "batch"), tok, obj{
		"flows": arr{flow(fx.webW, fx.dbW), flow(fx.dbW, fx.webW), flow(fx.webIP, fx.dbW)},
	}))
	if len(b.Results) != 3 || b.Results[0].Decision != "allowed" || b.Results[1].Decision != "blocked" ||
		b.Results[2].Decision != "allowed" || b.Results[2].Version != "1" {
		t.Fatalf("batch: %+v", b.Results)
	}
	b = decode[struct{ Results []checkOut }](t, e.must(200, "POST", api("policy", "check", "batch"), tok, obj{
		"version": "draft", "flows": arr{flow(fx.webW, fx.dbW)},
	}))
	if len(b.Results) != 1 || b.Results[0].Version != "draft" {
		t.Fatalf("draft batch: %+v", b.Results)
	}
}

// TestPolicyCheckInvalid: each invalid field of a check is a 422 naming it;
// in a batch, flows[i].field.
func TestPolicyCheckInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Check values").owner
	fx := e.world(tok)
	missing := "00000000-0000-4000-8000-000000000000"
	with := func(k string, v any) obj {
		f := flow(fx.webW, fx.dbW)
		if v == nil {
			delete(f, k)
		} else {
			f[k] = v
		}
		return f
	}
	icmp := func(kv ...any) obj {
		f := obj{"source": fx.webW, "destination": fx.dbW, "proto": "icmp"}
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i].(string)] = kv[i+1]
		}
		return f
	}
	rows := []struct {
		name  string
		batch bool
		body  obj
		field string
	}{
		{"source not an id or address", false, with("source", "web-1"), "source"},
		{"source with zone", false, with("source", "fe80::1%eth0"), "source"},
		{"source unknown workload", false, with("source", missing), "source"},
		{"no source", false, with("source", nil), "source"},
		{"destination an address", false, with("destination", fx.dbIP), "destination"},
		{"destination unknown", false, with("destination", missing), "destination"},
		{"no destination", false, with("destination", nil), "destination"},
		{"bad proto", false, with("proto", "sctp"), "proto"},
		{"proto any", false, with("proto", "any"), "proto"},
		{"no port on tcp", false, with("port", nil), "port"},
		{"port zero", false, with("port", 0), "port"},
		{"port too big", false, with("port", 65536), "port"},
		{"port on icmp", false, icmp("port", 80), "port"},
		{"icmp type too big", false, icmp("icmp_type", 256), "icmp_type"},
		{"icmp code without type", false, icmp("icmp_code", 1), "icmp_code"},
		{"icmp type on tcp", false, with("icmp_type", 8), "icmp_type"},
		{"bad version", false, with("version", "3"), "version"},
		{"batch: second destination", true, obj{"flows": arr{flow(fx.webW, fx.dbW), flow(fx.webW, "db-1")}}, "flows[1].destination"},
		{"batch: unknown destination", true, obj{"flows": arr{flow(fx.webW, fx.dbW), flow(fx.webW, fx.dbW), flow(fx.webW, missing)}}, "flows[2].destination"},
		{"batch: first port", true, obj{"flows": arr{with("port", nil)}}, "flows[0].port"},
		{"batch: no flows", true, obj{"flows": arr{}}, "flows"},
		{"batch: 1001 flows", true, obj{"flows": func() arr {
			flows := arr{}
			for range 1001 {
				flows = append(flows, flow(fx.webW, fx.dbW))
			}
			return flows
		}()}, "flows"},
		{"batch: bad version", true, obj{"version": "latest", "flows": arr{flow(fx.webW, fx.dbW)}}, "version"},
	}
	// A flow of a batch takes no version of its own: the batch has one.
	t.Run("batch: version in a flow", func(t *testing.T) {
		t.Parallel()
		f := flow(fx.webW, fx.dbW)
		f["version"] = "draft"
		wantProblem(t, e.on(t).call("POST", api("policy", "check", "batch"), tok, obj{"flows": arr{f}}), 400, "version")
	})
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			path := api("policy", "check")
			if row.batch {
				path += "/batch"
			}
			wantProblem(t, e.on(t).call("POST", path, tok, row.body), 422, row.field)
		})
	}
}
