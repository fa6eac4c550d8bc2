package worker_test

import (
	"fmt"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/worker"
)

// BenchmarkCompute moves one web workload of a tenant of n workloads
// (half web, half db, db allowing web on tcp/5432: every db document names
// the web set) and brings the stored results up to date through Postgres:
// from the cached graph and the change feed, and without a cache (a
// snapshot, a full compile and a full save, hash-compared). The write that
// moves the workload is not timed. It reports the rows written per op.
func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		e := newEnv(b)
		ws := e.world(b, n)
		web, err := e.ps.GetWorkload(e.ctx, e.tenant, string(ws[0]))
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			c    *worker.Computer
		}{
			{"cached", &worker.Computer{Policy: e.ps, Docs: e.ds, Cache: worker.NewCache(1)}},
			{"uncached", &worker.Computer{Policy: e.ps, Docs: e.ds}},
		} {
			if _, err := c.c.Compute(e.ctx, e.tenant); err != nil { // fill the cache
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("workloads=%d/%s", n, c.name), func(b *testing.B) {
				written, i := 0, 0
				for b.Loop() {
					b.StopTimer()
					id := ws[(i*2)%n] // a web workload
					w := policy.Workload{ID: id, Name: "moved", Mode: policy.Full, Labels: web.Labels,
						Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{fmt.Sprintf("10.%d.%d.%d", 100+moves/62500%100, moves/250%250, moves%250+1)}}}}
					if _, err := e.ps.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{w}, "", ""); err != nil {
						b.Fatal(err)
					}
					i++
					moves++
					b.StartTimer()
					res, err := c.c.Compute(e.ctx, e.tenant)
					if err != nil {
						b.Fatal(err)
					}
					written += len(res.Docs) + len(res.Sets)
				}
				b.ReportMetric(float64(written)/float64(i), "rows/op")
			})
		}
	}
}

// moves numbers the moves of all runs, so each gets a new address (-count
// repeats runs: a move to the address it already has would change nothing).
var moves int
