package worker_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/infra/redisx/redistest"
)

// BenchmarkWriteToNotification measures what an agent waits for: from a
// workload write (committed in Postgres, its wake-up sent to the Redis
// stream, as the gateway does) to the worker's notification that the
// documents answering it are stored. One worker, in-process; a tenant of
// 1,000 workloads; each op moves one workload to another address. It
// reports the p50 and p99 of the op latency.
func BenchmarkWriteToNotification(b *testing.B) {
	e := newEnv(b)
	ids := e.world(b, 1000)
	rdb, prefix := redistest.New(b)
	q := queue.New(rdb, prefix)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := q.Subscribe(ctx)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
		b.Fatal(err)
	}
	done := sub.Channel()
	start(b, e, q, "bench", time.Minute)
	g, err := e.ps.Generations(ctx, e.tenant)
	if err != nil {
		b.Fatal(err)
	}
	want := g.Desired
	if err := q.Enqueue(ctx, e.tenant, "warm-up"); err != nil {
		b.Fatal(err)
	}
	waitGen(b, done, want)
	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		w := policy.Workload{ID: ids[i%len(ids)], Name: fmt.Sprint("w", i%len(ids)), Mode: policy.Full,
			Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{fmt.Sprintf("10.8.%d.%d", i/250%250, i%250+1)}}}}
		if _, err := e.ps.UpdateWorkloads(ctx, e.tenant, []policy.Workload{w}, "", ""); err != nil {
			b.Fatal(err)
		}
		if err := q.Enqueue(ctx, e.tenant, "bench"); err != nil {
			b.Fatal(err)
		}
		want++
		waitGen(b, done, want)
		lat = append(lat, time.Since(start))
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// waitGen waits for a notification of generation want or newer.
func waitGen(b *testing.B, done <-chan *redis.Message, want int64) {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m := <-done:
			n, err := queue.Parse(m.Payload)
			if err != nil {
				b.Fatal(err)
			}
			if n.Generation >= want {
				return
			}
		case <-timeout:
			b.Fatalf("no notification for generation %d", want)
		}
	}
}
