package channels

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func jsonLogger(buf *bytes.Buffer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: level})).With("plugin", "loopback")
}

func records(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// go-plugin's messages and the plugin's own logs land in the host log with the
// plugin's id, at the matching level.
func TestPluginLogsCarryThePluginID(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	hl := newHCLogger(jsonLogger(&buf, slog.LevelInfo))

	hl.Named("loopback-linux-amd64").Warn("plugin process exited", "plugin", "/plugins/loopback/loopback-linux-amd64", "id", 42)
	hl.Debug("dropped: below the handler's level")
	hl.With("plugin", "/x").Error("boom")
	if hl.GetLevel() != hclog.Info || hl.IsDebug() || !hl.IsWarn() {
		t.Errorf("level: %v, debug %v", hl.GetLevel(), hl.IsDebug())
	}

	w := newLineLogger(jsonLogger(&buf, slog.LevelInfo), slog.LevelWarn, "plugin stderr")
	_, _ = w.Write([]byte("first line\nsecond "))
	_, _ = w.Write([]byte("line\r\n\n"))

	got := records(t, &buf)
	if len(got) != 4 {
		t.Fatalf("got %d records: %v", len(got), got)
	}
	want := []map[string]any{
		{"level": "WARN", "msg": "plugin process exited", "plugin": "loopback", "plugin_path": "/plugins/loopback/loopback-linux-amd64", "logger": "loopback-linux-amd64"},
		{"level": "ERROR", "msg": "boom", "plugin": "loopback", "plugin_path": "/x"},
		{"level": "WARN", "msg": "plugin stderr", "plugin": "loopback", "line": "first line"},
		{"level": "WARN", "msg": "plugin stderr", "plugin": "loopback", "line": "second line"},
	}
	for i, w := range want {
		for k, v := range w {
			if got[i][k] != v {
				t.Errorf("record %d: %s = %v, want %v (record %v)", i, k, got[i][k], v, got[i])
			}
		}
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	t.Parallel()
	tb := &tailBuffer{max: 8}
	_, _ = tb.Write([]byte("0123456789"))
	_, _ = tb.Write([]byte("ab"))
	if got := tb.String(); got != "456789ab" {
		t.Errorf("tail = %q", got)
	}
}
