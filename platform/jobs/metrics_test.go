package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/queue"
)

// metricsDB is TestQueueMetrics' Redis database: no worker runs on it, so what is
// enqueued there stays put.
const metricsDB = "9"

// TestQueueMetrics: a scrape reports each queue's tasks by state and the wait of its
// oldest pending task, zeros for a queue nothing was put on; on Redis and on the
// embedded backend.
func TestQueueMetrics(t *testing.T) {
	t.Parallel()
	t.Run("configured backend", func(t *testing.T) {
		t.Parallel()
		testQueueMetrics(t, backendOn(t, metricsDB))
	})
	t.Run("embedded backend", func(t *testing.T) {
		t.Parallel()
		b, err := queue.Open(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		testQueueMetrics(t, b)
	})
}

func testQueueMetrics(t *testing.T, b *queue.Backend) {
	t.Helper()
	client, _ := queueTools(t, b)

	for range 3 {
		if _, err := client.Enqueue(asynq.NewTask("test:jobs:metrics", nil), asynq.Queue(jobs.QueueBulk)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Enqueue(asynq.NewTask("test:jobs:metrics", nil), asynq.Queue(jobs.QueueScheduled), asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // Asynq keeps the pending time in whole seconds

	m := jobs.NewQueueMetrics(b.Conn)
	defer m.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			got[f.GetName()+labels(metric)] = metric.GetGauge().GetValue() + metric.GetCounter().GetValue()
		}
	}
	for key, want := range map[string]float64{
		`switchboard_queue_tasks{queue="bulk",state="pending"}`:          3,
		`switchboard_queue_tasks{queue="bulk",state="active"}`:           0,
		`switchboard_queue_tasks{queue="scheduled",state="scheduled"}`:   1,
		`switchboard_queue_tasks{queue="scheduled",state="pending"}`:     0,
		`switchboard_queue_tasks{queue="maintenance",state="pending"}`:   0,
		`switchboard_queue_latency_seconds{queue="scheduled"}`:           0,
		`switchboard_queue_processed_total{queue="bulk"}`:                0,
		`switchboard_queue_failed_total{queue="bulk"}`:                   0,
		`switchboard_queue_tasks{queue="inbound",state="retry"}`:         0,
		`switchboard_queue_tasks{queue="sends",state="archived"}`:        0,
		`switchboard_queue_latency_seconds{queue="maintenance"}`:         0,
		`switchboard_queue_tasks{queue="maintenance",state="scheduled"}`: 0,
	} {
		v, ok := got[key]
		if !ok {
			t.Errorf("%s not reported", key)
			continue
		}
		if v != want {
			t.Errorf("%s = %v, want %v", key, v, want)
		}
	}
	if l := got[`switchboard_queue_latency_seconds{queue="bulk"}`]; l < 1 || l > 60 {
		t.Errorf("bulk's oldest pending task waited %vs by the metric, want about 1s", l)
	}
	if n := len(got); n != len(jobs.QueuePreference)*8 {
		t.Errorf("%d series reported, want 8 for each of %d queues", n, len(jobs.QueuePreference))
	}
}

// labels writes a metric's labels as Prometheus shows them.
func labels(m *dto.Metric) string {
	s := "{"
	for i, l := range m.GetLabel() {
		if i > 0 {
			s += ","
		}
		s += l.GetName() + `="` + l.GetValue() + `"`
	}
	return s + "}"
}
