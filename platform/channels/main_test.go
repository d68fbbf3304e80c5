package channels

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// The host tests run real plugin binaries, built once here: the loopback channel the
// way `make plugins` builds it (binary plus a plugin.json from the SDK's
// plugin-manifest command), and the misbehaving test plugins under testdata/.
var bins struct {
	loopback string // executables
	hang     string
	protoV2  string
	// loopbackManifest is the plugin.json plugin-manifest wrote for the loopback.
	loopbackManifest sdk.Manifest
}

var platform = runtime.GOOS + "-" + runtime.GOARCH

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "switchboard-plugin-bins-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if err := buildPlugins(dir); err != nil {
			fmt.Fprintln(os.Stderr, "building test plugins:", err)
			return 1
		}
		return m.Run()
	}())
}

func buildPlugins(dir string) error {
	start := time.Now()
	goTool, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	out, err := exec.Command(goTool, "env", "GOMOD").Output()
	if err != nil {
		return err
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	run := func(args ...string) error {
		cmd := exec.Command(goTool, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	// One go build: the packages compile and link in parallel.
	binDir := filepath.Join(dir, "bin") + string(filepath.Separator)
	if err := run("build", "-o", binDir,
		"./plugins/loopback/cmd/loopback",
		"./plugins/sdk/cmd/plugin-manifest",
		"./platform/channels/testdata/hangplugin",
		"./platform/channels/testdata/protov2plugin"); err != nil {
		return err
	}
	// The loopback as `make plugins` installs it: <plugins>/loopback/plugin.json beside
	// loopback-<goos>-<goarch>.
	lbDir := filepath.Join(dir, "loopback")
	if err := os.MkdirAll(lbDir, 0o755); err != nil {
		return err
	}
	exe := "loopback-" + platform
	if err := os.Rename(filepath.Join(binDir, "loopback"), filepath.Join(lbDir, exe)); err != nil {
		return err
	}
	// plugin.json from the loopback's manifest.json template, as `make plugins` writes it.
	pm := exec.Command(filepath.Join(binDir, "plugin-manifest"), "-dir", lbDir, "-binary", exe)
	pm.Dir = root
	if out, err := pm.CombinedOutput(); err != nil {
		return fmt.Errorf("plugin-manifest: %v\n%s", err, out)
	}
	m, err := sdk.LoadManifest(lbDir)
	if err != nil {
		return err
	}
	bins.loopback = filepath.Join(lbDir, exe)
	bins.loopbackManifest = m
	bins.hang = filepath.Join(binDir, "hangplugin")
	bins.protoV2 = filepath.Join(binDir, "protov2plugin")
	fmt.Fprintf(os.Stderr, "test plugins built in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// Manifests of the test plugins; they match what the binaries' Describe says.
func hangManifest() sdk.Manifest {
	return sdk.Manifest{ID: "hang", Version: "0.1.0", Kind: "test", Engines: []string{"hang"},
		ConfigSchema: json.RawMessage(`{"type":"object"}`)}
}

func futureManifest() sdk.Manifest {
	return sdk.Manifest{ID: "future", Version: "2.0.0", Kind: "test", Engines: []string{"future"},
		ConfigSchema: json.RawMessage(`{"type":"object"}`)}
}

func loopbackManifest() sdk.Manifest {
	m := bins.loopbackManifest
	m.Executables = nil
	return m
}

var sums sync.Map // executable path → sha256 hex

func sha256Hex(t testing.TB, path string) string {
	if s, ok := sums.Load(path); ok {
		return s.(string)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	s := hex.EncodeToString(h[:])
	sums.Store(path, s)
	return s
}

// install puts bin into root/<dirName>/<id>-<goos>-<goarch> with a plugin.json made
// of m plus that executable and its sha256; edit may then spoil the manifest.
func install(t testing.TB, root, dirName, bin string, m sdk.Manifest, edit func(*sdk.Manifest)) string {
	t.Helper()
	dir := filepath.Join(root, dirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := m.ID + "-" + platform
	if bin != "" {
		linkOrCopy(t, bin, filepath.Join(dir, exe))
		m.Executables = map[string]sdk.Executable{platform: {Path: exe, SHA256: sha256Hex(t, bin)}}
	}
	m.ProtocolVersion = sdk.ProtocolVersion
	if edit != nil {
		edit(&m)
	}
	writeManifest(t, dir, m)
	return dir
}

func writeManifest(t testing.TB, dir string, m sdk.Manifest) {
	t.Helper()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, sdk.ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// linkOrCopy hard-links (cheap; the binaries are ~18 MB) or copies. Tests that change
// an installed executable must replace the file, never write into it.
func linkOrCopy(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.Link(src, dst); err == nil {
		return
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// testLog sends the host's log to the test's log, and drops what arrives after the
// test ended (go-plugin's stdio goroutines may log late).
func testLog(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	level := slog.LevelInfo
	if os.Getenv("SWITCHBOARD_TEST_PLUGIN_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// newTestHost builds a host on dir with its own registry; it is stopped at cleanup.
func newTestHost(t testing.TB, dir string, opts ...Option) (*Host, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	log := testLog(t)
	t.Cleanup(func() { // runs after h.Stop
		if pids := leftovers(t, dir); len(pids) > 0 {
			t.Errorf("plugin processes %v were still running after Stop (now killed)", pids)
		}
	})
	h, err := NewHost(dir, log, reg, opts...)
	if err != nil {
		t.Fatalf("NewHost: %v", err)
	}
	t.Cleanup(h.Stop)
	return h, reg
}

func startHost(t testing.TB, h *Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitState(t testing.TB, h *Host, id string, want State, timeout time.Duration) PluginInfo {
	t.Helper()
	var pi PluginInfo
	waitFor(t, timeout, fmt.Sprintf("plugin %s to be %s", id, want), func() bool {
		pi, _ = h.Plugin(id)
		return pi.State == want
	})
	return pi
}

func mustPlugin(t testing.TB, h *Host, id string) PluginInfo {
	t.Helper()
	pi, ok := h.Plugin(id)
	if !ok {
		t.Fatalf("plugin %s not found; have %+v", id, h.Plugins())
	}
	return pi
}

// pid is the process id of the plugin's live process, from go-plugin's client.
func pid(t testing.TB, h *Host, id string) int {
	t.Helper()
	inst := h.supervisor(id).inst.Load()
	if inst == nil {
		t.Fatalf("plugin %s has no live process", id)
	}
	rc := inst.client.ReattachConfig()
	if rc == nil || rc.Pid == 0 {
		t.Fatalf("plugin %s: no pid in ReattachConfig", id)
	}
	return rc.Pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func kill9(t testing.TB, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
}

// asSDKError asserts err is an *sdk.Error of class.
func asSDKError(t testing.TB, err error, class sdk.ErrorClass) *sdk.Error {
	t.Helper()
	var se *sdk.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not an *sdk.Error", err, err)
	}
	if se.Class != class {
		t.Fatalf("error %q has class %q, want %q", se.Reason, se.Class, class)
	}
	return se
}

// metric reads one series from reg: a counter's or gauge's value, or a histogram's
// sample count. It fails when the series is not registered.
func metric(t testing.TB, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			return value(m)
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

// Loopback connection and message.
var (
	lbConn = sdk.Connection{ID: "conn-1", WorkspaceID: "ws-1", Engine: "loopback", Address: "+15550000001",
		Config: json.RawMessage(`{"webhook_secret":"s3cret"}`)}
)

func textMsg(n int, text string) sdk.OutboundMessage {
	return sdk.OutboundMessage{ID: "msg-" + strconv.Itoa(n), To: "+15550000002", Type: sdk.TypeText, Text: text}
}

// leftovers are the processes running an executable under dir: plugins a host left
// behind. They are killed, so a failing test does not leak stopped processes.
func leftovers(t testing.TB, dir string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var found []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.HasPrefix(cmdline, []byte(dir+string(filepath.Separator))) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && bytes.Contains(stat, []byte(") Z ")) {
			continue // a zombie about to be reaped
		}
		found = append(found, p)
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	return found
}
