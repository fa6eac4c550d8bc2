package worker

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/remora-sec/remora/compute/queue"
)

// Metrics are the compute workers' Prometheus series, shared by the
// workers of one process.
type Metrics struct {
	jobLatency prometheus.Histogram     // enqueue → results stored and announced
	compute    *prometheus.HistogramVec // one computation, by kind
	jobs       *prometheus.CounterVec   // by result
	written    *prometheus.CounterVec   // outlines and sets written or deleted
}

// NewMetrics registers the compute series on reg, with the queue's backlog
// read from Redis at each scrape.
func NewMetrics(reg prometheus.Registerer, q *queue.Queue) *Metrics {
	m := &Metrics{
		jobLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "remora_compute_job_latency_seconds", Help: "From a recompute job's enqueue to its results stored and announced.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		compute: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "remora_compute_seconds", Help: "One tenant computation: incremental (from the cached graph) or full (from a snapshot, or saved in full).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"kind"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "remora_compute_jobs_total", Help: "Recompute jobs acknowledged, by result (done, stale, gone).",
		}, []string{"result"}),
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "remora_compute_written_total", Help: "Document outlines and shared sets written or deleted.",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.jobLatency, m.compute, m.jobs, m.written, backlog{q})
	return m
}

func (m *Metrics) observe(res Result, took time.Duration) {
	if m == nil {
		return
	}
	kind := "incremental"
	if res.Full {
		kind = "full"
	}
	m.compute.WithLabelValues(kind).Observe(took.Seconds())
	m.written.WithLabelValues("documents").Add(float64(len(res.Docs)))
	m.written.WithLabelValues("sets").Add(float64(len(res.Sets)))
}

func (m *Metrics) acked(result string, jobIDs []string) {
	if m == nil {
		return
	}
	m.jobs.WithLabelValues(result).Add(float64(len(jobIDs)))
	if result != "done" {
		return
	}
	for _, id := range jobIDs {
		if t := queue.Enqueued(id); !t.IsZero() {
			m.jobLatency.Observe(time.Since(t).Seconds())
		}
	}
}

// backlog reports the queue's backlog at scrape time.
type backlog struct{ q *queue.Queue }

var (
	lengthDesc  = prometheus.NewDesc("remora_compute_queue_length", "Entries in the recompute stream.", nil, nil)
	pendingDesc = prometheus.NewDesc("remora_compute_queue_pending", "Recompute jobs handed to a worker and not yet acknowledged.", nil, nil)
	lagDesc     = prometheus.NewDesc("remora_compute_queue_lag", "Recompute jobs not yet handed to any worker.", nil, nil)
)

func (b backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- lengthDesc
	ch <- pendingDesc
	ch <- lagDesc
}

// Collect reports nothing when Redis does not answer within a second: a
// missing series says so better than a made-up zero.
func (b backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := b.q.Stats(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(lengthDesc, prometheus.GaugeValue, float64(st.Length))
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(st.Lag))
}
