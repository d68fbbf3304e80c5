package jobs

import (
	"slices"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueMetrics reports the depth of the queues, read from Redis at each scrape: how
// many tasks wait in each state, how long the oldest pending one has waited, and how
// many were processed and failed. Every worker sees the same queues, so every worker
// reports the same numbers: aggregate them across pods with max, not sum. The waiting
// time is what an operator watches for fairness (a reply waits in sends, a campaign
// in bulk) and what a queue-depth autoscaler scales on.
type QueueMetrics struct {
	inspector                         *asynq.Inspector
	tasks, latency, processed, failed *prometheus.Desc
}

// NewQueueMetrics builds the collector on conn. Close it when the process is done.
func NewQueueMetrics(conn asynq.RedisConnOpt) *QueueMetrics {
	return &QueueMetrics{
		inspector: asynq.NewInspector(conn),
		tasks: prometheus.NewDesc("switchboard_queue_tasks",
			"Tasks in an Asynq queue, by state (pending, active, scheduled, retry, archived).", []string{"queue", "state"}, nil),
		latency: prometheus.NewDesc("switchboard_queue_latency_seconds",
			"How long the oldest pending task of a queue has waited (0 when none waits).", []string{"queue"}, nil),
		processed: prometheus.NewDesc("switchboard_queue_processed_total",
			"Tasks of a queue processed, failed ones included.", []string{"queue"}, nil),
		failed: prometheus.NewDesc("switchboard_queue_failed_total",
			"Tasks of a queue whose handler failed (each failed try counts).", []string{"queue"}, nil),
	}
}

// Close releases the collector's connection.
func (m *QueueMetrics) Close() error { return m.inspector.Close() }

// Describe implements prometheus.Collector.
func (m *QueueMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.tasks
	ch <- m.latency
	ch <- m.processed
	ch <- m.failed
}

// Collect implements prometheus.Collector. A queue nothing was ever put on reports
// zeros; when Redis cannot be read, the scrape reports the error rather than stale
// or invented numbers.
func (m *QueueMetrics) Collect(ch chan<- prometheus.Metric) {
	known, err := m.inspector.Queues()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(m.tasks, err)
		return
	}
	for _, q := range queuePreference {
		var info asynq.QueueInfo
		if slices.Contains(known, q) {
			got, err := m.inspector.GetQueueInfo(q)
			if err != nil {
				ch <- prometheus.NewInvalidMetric(m.tasks, err)
				continue
			}
			info = *got
		}
		for _, s := range []struct {
			state string
			n     int
		}{{"pending", info.Pending}, {"active", info.Active}, {"scheduled", info.Scheduled}, {"retry", info.Retry}, {"archived", info.Archived}} {
			ch <- prometheus.MustNewConstMetric(m.tasks, prometheus.GaugeValue, float64(s.n), q, s.state)
		}
		ch <- prometheus.MustNewConstMetric(m.latency, prometheus.GaugeValue, info.Latency.Seconds(), q)
		ch <- prometheus.MustNewConstMetric(m.processed, prometheus.CounterValue, float64(info.ProcessedTotal), q)
		ch <- prometheus.MustNewConstMetric(m.failed, prometheus.CounterValue, float64(info.FailedTotal), q)
	}
}
