// Package queue carries recompute wake-ups on a Redis stream with one
// consumer group. A job names a tenant and why it changed; it carries no
// state: workers read the truth (and the generation) from Postgres, so a
// lost, repeated or reordered job costs at most a recompute, and a flushed
// Redis loses nothing the reconciler does not re-enqueue.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/remora-sec/remora/infra/ids"
)

// Queue is the recompute stream; safe for concurrent use.
type Queue struct {
	rdb    redis.UniversalClient
	stream string
	notify string
	group  string
}

// New returns the queue under key prefix prefix ("remora:" in production).
func New(rdb redis.UniversalClient, prefix string) *Queue {
	return &Queue{rdb: rdb, stream: prefix + "compute:jobs", notify: prefix + "compute:done", group: "workers"}
}

// maxLen bounds the stream: jobs are wake-ups, so trimming old ones loses
// nothing the reconciler would not find.
const maxLen = 100_000

// Job is one wake-up read from the stream.
type Job struct {
	ID     string // the stream entry, to acknowledge
	Tenant ids.TenantID
	Cause  string
}

// Enqueue asks for tenant to be recomputed, after the write that changed
// it has committed.
func (q *Queue) Enqueue(ctx context.Context, tenant ids.TenantID, cause string) error {
	err := q.rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.stream, MaxLen: maxLen, Approx: true,
		Values: map[string]any{"tenant": string(tenant), "cause": cause}}).Err()
	if err != nil {
		return fmt.Errorf("enqueue recompute of %s: %w", tenant, err)
	}
	return nil
}

// ensureGroup creates the stream and its consumer group if either is
// missing (first start, or after Redis lost its data).
func (q *Queue) ensureGroup(ctx context.Context) error {
	err := q.rdb.XGroupCreateMkStream(ctx, q.stream, q.group, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create consumer group: %w", err)
	}
	return nil
}

// Read returns up to count jobs for consumer: first those another consumer
// took but left unacknowledged for longer than claimIdle (it crashed or
// hangs), then new ones, waiting up to block for them.
func (q *Queue) Read(ctx context.Context, consumer string, count int, block, claimIdle time.Duration) ([]Job, error) {
	jobs, err := q.read(ctx, consumer, count, block, claimIdle)
	if err != nil && strings.Contains(err.Error(), "NOGROUP") {
		if err := q.ensureGroup(ctx); err != nil {
			return nil, err
		}
		jobs, err = q.read(ctx, consumer, count, block, claimIdle)
	}
	return jobs, err
}

func (q *Queue) read(ctx context.Context, consumer string, count int, block, claimIdle time.Duration) ([]Job, error) {
	claimed, _, err := q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: q.stream, Group: q.group, Consumer: consumer,
		MinIdle: claimIdle, Start: "0-0", Count: int64(count)}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("reclaim jobs: %w", err)
	}
	if len(claimed) > 0 {
		return jobsOf(claimed), nil
	}
	res, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: q.group, Consumer: consumer,
		Streams: []string{q.stream, ">"}, Count: int64(count), Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil // nothing within block
	}
	if err != nil {
		return nil, fmt.Errorf("read jobs: %w", err)
	}
	var out []Job
	for _, s := range res {
		out = append(out, jobsOf(s.Messages)...)
	}
	return out, nil
}

func jobsOf(msgs []redis.XMessage) []Job {
	out := make([]Job, 0, len(msgs))
	for _, m := range msgs {
		t, _ := m.Values["tenant"].(string)
		c, _ := m.Values["cause"].(string)
		out = append(out, Job{ID: m.ID, Tenant: ids.TenantID(t), Cause: c})
	}
	return out
}

// Ack marks jobs done, after their results are committed.
func (q *Queue) Ack(ctx context.Context, jobIDs ...string) error {
	if len(jobIDs) == 0 {
		return nil
	}
	if err := q.rdb.XAck(ctx, q.stream, q.group, jobIDs...).Err(); err != nil {
		return fmt.Errorf("ack jobs: %w", err)
	}
	return nil
}

// Done publishes n: the tenant's results for n.Generation are stored. The
// gateway wakes the agents of the workloads it names.
func (q *Queue) Done(ctx context.Context, n Notification) error {
	if len(n.Workloads) > maxNamed {
		n.Workloads, n.All = nil, true
	}
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	if err := q.rdb.Publish(ctx, q.notify, body).Err(); err != nil {
		return fmt.Errorf("publish results of %s: %w", n.Tenant, err)
	}
	return nil
}

// Subscribe returns the channel of Done notifications (Parse reads them).
func (q *Queue) Subscribe(ctx context.Context) *redis.PubSub { return q.rdb.Subscribe(ctx, q.notify) }

// Stats is the stream's backlog: entries kept (Length), jobs handed to a
// worker and not yet acknowledged (Pending), and jobs not yet handed to
// any (Lag).
type Stats struct {
	Length, Pending, Lag int64
}

// Stats reads the backlog; a stream or group not created yet is empty.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	groups, err := q.rdb.XInfoGroups(ctx, q.stream).Result()
	if err != nil {
		if strings.Contains(err.Error(), "no such key") {
			return st, nil
		}
		return st, fmt.Errorf("queue stats: %w", err)
	}
	for _, g := range groups {
		if g.Name == q.group {
			st.Pending, st.Lag = g.Pending, max(g.Lag, 0)
		}
	}
	if st.Length, err = q.rdb.XLen(ctx, q.stream).Result(); err != nil {
		return st, fmt.Errorf("queue stats: %w", err)
	}
	return st, nil
}

// Enqueued is when job id was added to the stream (its id's millisecond
// part), to measure how long a job waited; zero if id is not a stream id.
func Enqueued(id string) time.Time {
	ms, _, ok := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n)
}
