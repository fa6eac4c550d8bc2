package policy

import (
	"fmt"
	"strings"
	"testing"
)

func TestValidateWorkload(t *testing.T) {
	c := worldPolicy().Catalog(nil)
	base := func() Workload {
		w := workload("web1", "10.0.0.1", "2001:db8::1", "role=web", "env=prod")
		w.Hostname = "web-1.example.com"
		w.Interfaces = append(w.Interfaces, Interface{Name: "wg0", Addresses: []string{"100.64.0.1"}})
		return w
	}
	change := func(f func(*Workload)) Workload { w := base(); f(&w); return w }
	many := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		w    Workload
		errs []string
		msg  string
	}{
		{name: "valid", w: base()},
		{name: "valid bare", w: Workload{Name: "w", Mode: Idle}},
		{name: "valid every mode", w: change(func(w *Workload) { w.Mode = VisibilityOnly })},
		{name: "valid selective", w: change(func(w *Workload) { w.Mode = Selective })},
		{name: "valid hostname with underscore and digits", w: change(func(w *Workload) { w.Hostname = "WIN_HOST01" })},
		{name: "valid interface names", w: change(func(w *Workload) { w.Interfaces[0].Name = "eth0.100:1-a_b" })},
		{name: "valid mapped address", w: change(func(w *Workload) { w.Interfaces[0].Addresses = []string{"::ffff:10.0.0.1"} })},
		{name: "id and managed not checked", w: change(func(w *Workload) { w.ID, w.Managed = "x", true })},

		{name: "hostname starts with dash", w: change(func(w *Workload) { w.Hostname = "-web" }), errs: []string{"hostname"}, msg: `got "-web"`},
		{name: "hostname empty label", w: change(func(w *Workload) { w.Hostname = "web..example" }), errs: []string{"hostname"}},
		{name: "hostname trailing dot", w: change(func(w *Workload) { w.Hostname = "web." }), errs: []string{"hostname"}},
		{name: "hostname space", w: change(func(w *Workload) { w.Hostname = "web 1" }), errs: []string{"hostname"}},
		{name: "hostname label of 64", w: change(func(w *Workload) { w.Hostname = strings.Repeat("a", 64) }), errs: []string{"hostname"}},
		{name: "hostname 256 characters", w: change(func(w *Workload) { w.Hostname = strings.Repeat("a.", 128) }), errs: []string{"hostname"}, msg: "at most 255"},

		{name: "65 interfaces", w: change(func(w *Workload) {
			w.Interfaces = nil
			for _, n := range many(65, func(i int) string { return fmt.Sprint("eth", i) }) {
				w.Interfaces = append(w.Interfaces, Interface{Name: n})
			}
		}), errs: []string{"interfaces"}, msg: "at most 64"},
		{name: "interface name missing", w: change(func(w *Workload) { w.Interfaces[1].Name = "" }), errs: []string{"interfaces[1].name"}},
		{name: "interface name 16 characters", w: change(func(w *Workload) { w.Interfaces[0].Name = strings.Repeat("e", 16) }), errs: []string{"interfaces[0].name"}},
		{name: "interface name with space", w: change(func(w *Workload) { w.Interfaces[0].Name = "eth 0" }), errs: []string{"interfaces[0].name"}, msg: `got "eth 0"`},
		{name: "interface name with slash", w: change(func(w *Workload) { w.Interfaces[0].Name = "eth/0" }), errs: []string{"interfaces[0].name"}},
		{name: "interface name twice", w: change(func(w *Workload) { w.Interfaces[1].Name = "eth0" }), errs: []string{"interfaces[1].name"}, msg: "also interfaces[0]"},
		{name: "257 addresses", w: change(func(w *Workload) {
			w.Interfaces[1].Addresses = many(257, func(i int) string { return fmt.Sprintf("10.1.%d.%d", i/256, i%256) })
		}), errs: []string{"interfaces[1].addresses"}, msg: "at most 256"},
		{name: "address invalid", w: change(func(w *Workload) { w.Interfaces[0].Addresses[1] = "10.0.0.256" }), errs: []string{"interfaces[0].addresses[1]"}, msg: `got "10.0.0.256"`},
		{name: "address with zone", w: change(func(w *Workload) { w.Interfaces[0].Addresses[1] = "fe80::1%eth0" }), errs: []string{"interfaces[0].addresses[1]"}},
		{name: "address is a prefix", w: change(func(w *Workload) { w.Interfaces[1].Addresses[0] = "10.0.0.0/8" }), errs: []string{"interfaces[1].addresses[0]"}},

		{name: "label not found", w: change(func(w *Workload) { w.Labels[1] = lbl("env=ghost") }), errs: []string{"labels[1]"}, msg: "not found"},
		{name: "label id empty", w: change(func(w *Workload) { w.Labels[0] = "" }), errs: []string{"labels[0]"}},
		{name: "second label of a key", w: change(func(w *Workload) { w.Labels = append(w.Labels, lbl("loc=us"), lbl("env=dev")) }),
			errs: []string{"labels[3]"}, msg: `second label of key "env"`},
		{name: "same label twice", w: change(func(w *Workload) { w.Labels = append(w.Labels, lbl("role=web")) }), errs: []string{"labels[2]"}},
		{name: "mode missing", w: change(func(w *Workload) { w.Mode = "" }), errs: []string{"enforcement_mode"}, msg: "must be one of idle, visibility_only, selective, full"},
		{name: "mode unknown", w: change(func(w *Workload) { w.Mode = "strict" }), errs: []string{"enforcement_mode"}, msg: `got "strict"`},
		{name: "every error at once", w: Workload{Interfaces: []Interface{{Name: "", Addresses: []string{"x"}}}, Labels: []LabelID{"nope"}},
			errs: []string{"name", "interfaces[0].name", "interfaces[0].addresses[0]", "labels[0]", "enforcement_mode"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, ValidateWorkload(&tc.w, c), nil, tc.errs, nil, tc.msg)
		})
	}

	// 17 labels: more than a workload may carry, whatever their keys.
	p := &Policy{}
	w := Workload{Name: "w", Mode: Full}
	for i := range 17 {
		kv := fmt.Sprintf("k%d=v", i)
		p.Labels = append(p.Labels, label(kv))
		w.Labels = append(w.Labels, lbl(kv))
	}
	checkFindings(t, ValidateWorkload(&w, p.Catalog(nil)), nil, []string{"labels"}, nil, "at most 16")
}
