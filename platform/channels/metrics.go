package channels

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Prometheus series of the plugin host. Labels are plugin ids, the
// eight sdk.Channel method names and the four error classes: the series count stays
// small whatever the traffic.
type metrics struct {
	calls    *prometheus.CounterVec
	errors   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	restarts *prometheus.CounterVec
	up       *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_plugin_calls_total",
			Help: "Calls to channel plugins by plugin and method, including calls refused because the plugin was down.",
		}, []string{"plugin", "method"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_plugin_errors_total",
			Help: "Failed channel plugin calls by plugin, method and error class (transient, rate_limited, permanent, auth).",
		}, []string{"plugin", "method", "class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_plugin_call_duration_seconds",
			Help:    "Latency of channel plugin calls, as seen by the host.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"plugin", "method"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_plugin_restarts_total",
			Help: "Times the supervisor restarted a channel plugin after it crashed or stopped answering.",
		}, []string{"plugin"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_plugin_up",
			Help: "1 while a channel plugin is running and answering, 0 otherwise.",
		}, []string{"plugin"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.calls, m.errors, m.duration, m.restarts, m.up} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// methodMetrics are one plugin method's series, resolved once so that a call does not
// look its labels up.
type methodMetrics struct {
	calls    prometheus.Counter
	duration prometheus.Observer
	errors   *prometheus.CounterVec // curried with plugin and method; label: class
}

func (m *metrics) forMethod(plugin, method string) methodMetrics {
	return methodMetrics{
		calls:    m.calls.WithLabelValues(plugin, method),
		duration: m.duration.WithLabelValues(plugin, method),
		errors:   m.errors.MustCurryWith(prometheus.Labels{"plugin": plugin, "method": method}),
	}
}
