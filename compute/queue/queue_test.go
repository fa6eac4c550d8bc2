package queue_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/redisx/redistest"
)

// TestBacklogAndNotifications: Stats counts jobs waiting and jobs taken
// but not acknowledged; Enqueued reads a job's age from its id; a
// notification round-trips through Redis, and one naming too many
// workloads says All instead.
func TestBacklogAndNotifications(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.New(t)
	q := queue.New(rdb, prefix)
	if st, err := q.Stats(ctx); err != nil || st != (queue.Stats{}) {
		t.Fatalf("before any job: %+v, %v; want an empty backlog", st, err)
	}
	tenant := ids.TenantID(ids.New())
	for range 3 {
		if err := q.Enqueue(ctx, tenant, "test"); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now()
	jobs, err := q.Read(ctx, "c1", 2, 100*time.Millisecond, time.Minute)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("read: %d jobs, %v; want 2", len(jobs), err)
	}
	st, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (queue.Stats{Length: 3, Pending: 2, Lag: 1}); st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	if at := queue.Enqueued(jobs[0].ID); at.IsZero() || at.After(before) || before.Sub(at) > time.Minute {
		t.Fatalf("job %s enqueued at %v, want just before %v", jobs[0].ID, at, before)
	}
	if !queue.Enqueued("not-an-id").IsZero() {
		t.Fatal("a malformed id has a time")
	}

	sub := q.Subscribe(ctx)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	many := make([]string, 10_001)
	for i := range many {
		many[i] = ids.New()
	}
	for _, n := range []queue.Notification{
		{Tenant: tenant, Generation: 7, Workloads: many[:2]},
		{Tenant: tenant, Generation: 8, Workloads: many},
	} {
		if err := q.Done(ctx, n); err != nil {
			t.Fatal(err)
		}
		m, err := sub.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := queue.Parse(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		switch n.Generation {
		case 7:
			if got.Tenant != tenant || got.All || strings.Join(got.Workloads, ",") != strings.Join(many[:2], ",") {
				t.Fatalf("got %+v, want the two workloads named", got)
			}
		case 8:
			if !got.All || len(got.Workloads) != 0 {
				t.Fatalf("got all=%v with %d workloads, want all and none named", got.All, len(got.Workloads))
			}
		}
	}
	for _, bad := range []string{"", "{", `{"tenant":"nope","generation":1}`} {
		if _, err := queue.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
