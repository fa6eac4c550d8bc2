package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkPairToEnforced measures what an operator waits for after
// pasting the install token: from `remora-ven pair` starting on a new host
// to the host's first policy in force (its nftables table programmed by
// `remora-ven run`), through the real PCE, hub and tunnel. Each op is one
// new host; making its namespace is not timed.
func BenchmarkPairToEnforced(b *testing.B) {
	pceBin, venBin := build(b)
	l := newLab(b)
	p := startPCE(b, l, pceBin)
	a := p.signup("Bench")
	web := a.id("/labels", map[string]any{"key": "role", "value": "web"})
	prof := a.id("/pairing-profiles", map[string]any{"name": "web", "labels": []string{web}, "enforcement_mode": "full",
		"unlimited": true, "lifetime": "1h"})
	var tok struct {
		Token string `json:"token"`
	}
	a.call("POST", "/pairing-profiles/"+prof+"/tokens", nil, http.StatusCreated, &tok)
	a.call("POST", "/rulesets", map[string]any{"name": "web", "scopes": []any{}, "rules": []any{map[string]any{
		"action": "allow", "providers": []any{map[string]any{"label": web}}, "consumers": []any{map[string]any{"label": web}},
		"services": []any{map[string]any{"proto": "tcp", "port": 443}}}}}, http.StatusCreated, nil)
	a.call("POST", "/policy/provision", map[string]any{"note": "web mesh"}, http.StatusCreated, nil)

	var total time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		h := l.newHost(fmt.Sprint("b", i))
		v := h.agent(venBin)
		b.StartTimer()
		start := time.Now()
		v.mustPair(p, tok.Token)
		v.start()
		for !strings.Contains(h.run("nft", "list", "tables"), "inet remora") {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("host %d: no policy in force after 30 s", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		total += time.Since(start)
		b.StopTimer()
		v.stop()
		b.StartTimer()
		i++
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(i), "ms/pair-to-enforced")
}
