package policy

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"

	"github.com/remora-sec/remora/infra/usererr"
)

// FuzzValidate feeds arbitrary documents to validation and the evaluator:
// both take user input (an import, an API write) and must never panic or
// loop, whatever the document holds — cycles, dangling references, bad
// entries. Validate may only fail with an Invalid user error; Decide, on
// well-formed flows between well-formed workloads, must never fail at all,
// since bad policy content only ever matches nothing.
//
//	go test -run=^$ -fuzz=FuzzValidate -fuzztime=20s ./compute/policy/
func FuzzValidate(f *testing.F) {
	// Seeds are small on purpose: the fuzzer minimizes each new input in
	// time quadratic in its length, and a few kilobytes of seed stall it
	// for minutes. Short ids keep them small; validation refuses those
	// ids, but Decide ignores their format, and one seed is fully valid.
	for _, s := range []string{
		`{}`, `null`, `[]`, `not json`,
		`{"labels":[{"id":"l","key":"env","value":"prod"},{"id":"m","key":"env","value":"dev"},{"id":"n","key":"role","value":"db"}],
		  "label_groups":[{"id":"a","key":"env","labels":["m"],"groups":["b"]},{"id":"b","key":"env","labels":["l"],"groups":["a"]}],
		  "ip_lists":[{"id":"i","ranges":["10.0.0.0/24","2001:db8::/120"],"exclusions":["10.0.0.7"]}],
		  "services":[{"id":"s","ports":[{"proto":"tcp","port":80,"to_port":90},{"proto":"icmp","icmp_type":8}]}],
		  "rulesets":[{"id":"r","scopes":[[{"label":"l"}],[{"label_group":"a"}]],"rules":[
		    {"id":"x","action":"allow","providers":[{"label":"n"},{"label_group":"b"}],"consumers":[{"all_workloads":true},{"ip_list":"i"}],
		     "services":[{"service":"s"},{"proto":"udp","port":53}],"unscoped_consumers":true},
		    {"id":"y","action":"override_deny","providers":[{"workload":"w"}],"consumers":[{"label":"m"}],"services":[{"proto":"any"}]}]}]}`,
		`{"labels":[{"id":"00000000-0000-0000-0000-000000000001","key":"env","value":"prod"}],
		  "label_groups":[{"id":"00000000-0000-0000-0000-000000000002","name":"g","key":"env","labels":["00000000-0000-0000-0000-000000000001"]}],
		  "rulesets":[{"id":"00000000-0000-0000-0000-000000000003","name":"r","scopes":[[{"label":"00000000-0000-0000-0000-000000000001"}]],
		    "rules":[{"id":"00000000-0000-0000-0000-000000000004","action":"deny","providers":[{"label_group":"00000000-0000-0000-0000-000000000002"}],
		    "consumers":[{"all_workloads":true}],"services":[{"proto":"tcp"}]}]}]}`,
		`{"ip_lists":[{"id":"l","ranges":["10.0.0.1/8","::/0","1.2.3.4-1.2.3.1","fe80::1%eth0"],"exclusions":["0.0.0.0/0"]}],
		  "rulesets":[{"rules":[{"action":"allow","providers":[{"ip_list":"l"}],"consumers":[{"ip_list":"l","label":"x"}],"services":[{"service":"s","proto":"tcp"}]}]}]}`,
		`{"services":[{"ports":[{"proto":"tcp","port":-1,"to_port":99999},{"proto":"icmp","icmp_code":300}]}],
		  "rulesets":[{"scopes":[[],[{}]],"rules":[{"action":"deny","enabled":false,"providers":[],"consumers":[{}],"services":[]}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Policy
		if json.Unmarshal(data, &p) != nil {
			return
		}
		warns, err := p.Validate(nil)
		if err != nil && !usererr.Is(err, usererr.Invalid) {
			t.Fatalf("Validate failed with a non-Invalid error: %v", err)
		}
		if err != nil && len(warns) > 0 {
			t.Fatalf("Validate returned warnings with an error")
		}
		c := p.Catalog(nil)
		for i := range p.LabelGroups {
			p.LabelGroups[i].Refs()
			ExpandGroup(c, p.LabelGroups[i].ID)
		}
		for i := range p.Rulesets {
			p.Rulesets[i].Refs()
		}
		ws := fuzzWorkloads(&p, data)
		for i := range ws {
			_ = ValidateWorkload(&ws[i], c)
		}
		for i, f := range fuzzFlows(&p, ws, data) {
			d, err := Decide(&p, ws, f)
			if err != nil {
				t.Fatalf("flow %d %+v: Decide: %v", i, f, err)
			}
			if _, ok := strictness[d.Verdict]; !ok || (d.Reason == ByDefault) != (len(d.Rules) == 0) {
				t.Fatalf("flow %d: inconsistent decision %+v", i, d)
			}
		}
	})
}

// fuzzByte returns a byte of data chosen by i, so that flows and workloads
// vary with the input.
func fuzzByte(data []byte, i int) int {
	if len(data) == 0 {
		return i
	}
	return int(data[i%len(data)]) + i
}

// fuzzWorkloads builds workloads from the document: one carrying each
// label group's labels, one carrying every label, one with none, and one
// per workload id the rules name — at most 16, to keep each run fast.
func fuzzWorkloads(p *Policy, data []byte) []Workload {
	c := p.Catalog(nil)
	modes := []Mode{Idle, VisibilityOnly, Selective, Full}
	var ws []Workload
	add := func(id WorkloadID, labels []LabelID) {
		if len(ws) >= 16 {
			return
		}
		n := len(ws)
		b := fuzzByte(data, n)
		ws = append(ws, Workload{
			ID: id, Name: fmt.Sprint("w", n), Mode: modes[b%4], Labels: labels,
			Interfaces: []Interface{{Name: "eth0", Addresses: []string{
				netip.AddrFrom4([4]byte{10, 0, byte(b), byte(n)}).String(),
				netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(b), 15: byte(n)}).String(),
			}}},
		})
	}
	for i := range p.LabelGroups {
		var labels []LabelID
		for l := range ExpandGroup(c, p.LabelGroups[i].ID) {
			labels = append(labels, l)
		}
		add(WorkloadID(fmt.Sprint("group-", i)), labels)
	}
	var all []LabelID
	for _, l := range p.Labels {
		all = append(all, l.ID)
	}
	add("all-labels", all)
	add("no-labels", nil)
	for _, rs := range p.Rulesets {
		for _, r := range rs.Rules {
			for _, side := range [][]Actor{r.Providers, r.Consumers} {
				for _, a := range side {
					if a.Workload != "" {
						add(a.Workload, all)
					}
				}
			}
		}
	}
	return ws
}

// fuzzFlows builds one flow per ruleset and per label group (at most 16),
// between workloads and addresses picked by the input.
func fuzzFlows(p *Policy, ws []Workload, data []byte) []Flow {
	protos := []Proto{ProtoTCP, ProtoUDP, ProtoICMP, ProtoICMPv6}
	n := min(len(p.Rulesets)+len(p.LabelGroups)+1, 16)
	var out []Flow
	for i := range n {
		b := fuzzByte(data, 7*i+1)
		f := Flow{Destination: ws[b%len(ws)].ID, Proto: protos[b%4]}
		switch b % 3 {
		case 0:
			f.Source.Workload = ws[(b/3)%len(ws)].ID
		case 1:
			f.Source.IP = netip.AddrFrom4([4]byte{10, 0, byte(b), byte(i)})
		default:
			f.Source.IP = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(b), 15: byte(i)})
		}
		if f.Proto == ProtoTCP || f.Proto == ProtoUDP {
			f.Port = fuzzByte(data, i) * 257 % 65536
		} else if b%2 == 0 {
			f.ICMPType, f.ICMPCode = intp(b%256), intp((b/2)%256)
		}
		out = append(out, f)
	}
	return out
}
