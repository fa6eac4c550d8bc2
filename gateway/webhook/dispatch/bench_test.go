package dispatch_test

// Benchmarks of the dispatcher against a real Postgres and a receiver on
// 127.0.0.1 that answers 204 at once: what is measured is our side, the
// claim, the webhook read, the signed POST and the attempt log of each
// delivery. Run them (never under a plain `go test`) with
//
//	go test -run '^$' -bench Dispatch -benchtime 10x -count 3 ./gateway/webhook/dispatch/
//
// Figures are in docs/BENCHMARKS.md. Nothing here asserts on time.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
)

// benchBatch is how many deliveries each op queues and waits for.
const benchBatch = 500

// BenchmarkDispatch reports events delivered per second by one and by two
// dispatchers of the default two workers each, sharing one queue.
func BenchmarkDispatch(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("dispatchers=%d", n), func(b *testing.B) {
			e := newEnv(b)
			tenant := e.tenant()
			rc := newReceiver(b, nil)
			h, _ := e.hook(tenant, rc.URL+"/hook")
			var delivered time.Duration
			for b.Loop() {
				b.StopTimer()
				queue(b, e, tenant, h.ID)
				b.StartTimer()
				start := time.Now()
				var stops []func()
				for range n {
					d := e.dispatcher("1m")
					d.Workers = 0 // the default
					stops = append(stops, run(b, d))
				}
				waitFor(b, time.Minute, "the batch", func() bool { return pending(b, e, h.ID) == 0 })
				delivered += time.Since(start)
				b.StopTimer()
				for _, stop := range stops {
					stop()
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*benchBatch)/delivered.Seconds(), "events/s")
		})
	}
}

// queue puts benchBatch deliveries of one event for webhook in the queue,
// as outbox's fan-out does, in one statement.
func queue(b *testing.B, e *env, tenant ids.TenantID, webhook string) {
	b.Helper()
	ev := outbox.Event{ID: ids.New(), Type: "test.happened", Actor: outbox.System, Resource: outbox.Resource{Type: "test", ID: "1"},
		Data: []byte(`{"name":"web-1","labels":{"env":"prod","role":"web"}}`), CreatedAt: time.Now().UTC()}
	_, err := e.ts.Pool().Exec(context.Background(), `INSERT INTO remora.webhook_deliveries (tenant_id, webhook_id, event_id, event_type, payload)
		SELECT $1, $2, gen_random_uuid(), $3, $4 FROM generate_series(1, $5)`, tenant, webhook, ev.Type, ev, benchBatch)
	if err != nil {
		b.Fatal(err)
	}
}

func pending(b *testing.B, e *env, webhook string) int {
	var n int
	err := e.ts.Pool().QueryRow(context.Background(), `SELECT count(*) FROM remora.webhook_deliveries WHERE webhook_id = $1 AND status = 'pending'`, webhook).Scan(&n)
	if err != nil {
		b.Fatal(err)
	}
	return n
}
