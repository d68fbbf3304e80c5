package api_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/testapp"
)

// unreadable is a collector whose source cannot be read, as the queues' depth while
// Redis is down.
type unreadable struct{ desc *prometheus.Desc }

func (u unreadable) Describe(ch chan<- *prometheus.Desc) { ch <- u.desc }
func (u unreadable) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(u.desc, errors.New("dial tcp 127.0.0.1:6379: connection refused"))
}

// TestMetricsScrapeOutlivesAnUnreadableSource: a collector that cannot read its source
// leaves out its own series, the failure logged, and /metrics answers with the rest.
func TestMetricsScrapeOutlivesAnUnreadableSource(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	up := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_readable_total", Help: "A metric that can always be read."})
	up.Inc()
	reg.MustRegister(up, unreadable{prometheus.NewDesc("test_unreadable", "A metric whose source is down.", nil, nil)})
	logged := &testapp.Output{}
	s := api.NewProbes(api.Deps{Config: config.Default(), Metrics: reg, Log: slog.New(slog.NewTextHandler(logged, nil))})

	res, err := s.App().Test(httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "test_readable_total 1") {
		t.Fatalf("/metrics: %d\n%s", res.StatusCode, body)
	}
	if strings.Contains(string(body), "test_unreadable") {
		t.Errorf("/metrics shows the unreadable metric:\n%s", body)
	}
	if !strings.Contains(logged.String(), "connection refused") {
		t.Errorf("the failure was not logged: %q", logged.String())
	}
}
