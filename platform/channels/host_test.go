package channels

// Host tests (layer 3): the real loopback binary and the misbehaving test plugins in
// testdata/, launched, crashed, hung and refused by a real Host.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func TestHostRunsTheLoopbackPlugin(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := install(t, root, "loopback", bins.loopback, loopbackManifest(), nil)
	h, reg := newTestHost(t, root)
	startHost(t, h)

	pi := mustPlugin(t, h, "loopback")
	want := loopbackManifest()
	if pi.State != StateRunning || pi.LastError != "" || pi.Restarts != 0 || pi.StartedAt.IsZero() {
		t.Fatalf("plugin info = %+v, want running with no error or restart", pi)
	}
	if pi.Version != want.Version || pi.Kind != want.Kind || !slices.Equal(pi.Engines, want.Engines) ||
		!slices.Equal(pi.Capabilities, want.Capabilities) || !json.Valid(pi.ConfigSchema) ||
		pi.Path != filepath.Join(dir, "loopback-"+platform) {
		t.Errorf("plugin info = %+v, want the manifest's %+v", pi, want)
	}
	if all := h.Plugins(); len(all) != 1 || all[0].ID != "loopback" {
		t.Errorf("Plugins() = %+v", all)
	}

	ch, err := h.Channel("loopback")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	desc, err := ch.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bins.loopbackManifest.Agrees(desc); err != nil {
		t.Errorf("Describe through the host: %v", err)
	}
	res, err := ch.Send(ctx, lbConn, textMsg(1, "hello"))
	if err != nil || !strings.HasPrefix(res.ProviderMessageID, "lb-") {
		t.Fatalf("Send = %+v, %v; want a provider id lb-…", res, err)
	}
	_, err = ch.Send(ctx, lbConn, textMsg(2, "FAIL:permanent"))
	if se := asSDKError(t, err, sdk.Permanent); se.Reason == "" {
		t.Errorf("permanent failure without a reason: %+v", se)
	}
	_, err = ch.Send(ctx, lbConn, textMsg(3, "FAIL:rate_limited"))
	if se := asSDKError(t, err, sdk.RateLimited); se.RetryAfter <= 0 {
		t.Errorf("rate limited without retry-after: %+v", se)
	}
	fes, err := ch.ValidateConfig(ctx, "loopback", json.RawMessage(`{}`))
	if err != nil || len(fes) == 0 || fes[0].Field != "webhook_secret" {
		t.Errorf("ValidateConfig({}) = %+v, %v; want webhook_secret required", fes, err)
	}

	if n := metric(t, reg, "switchboard_plugin_calls_total", "plugin", "loopback", "method", "Send"); n != 3 {
		t.Errorf("calls_total{Send} = %v, want 3", n)
	}
	if n := metric(t, reg, "switchboard_plugin_errors_total", "plugin", "loopback", "method", "Send", "class", "permanent"); n != 1 {
		t.Errorf("errors_total{Send,permanent} = %v, want 1", n)
	}
	if n := metric(t, reg, "switchboard_plugin_call_duration_seconds", "plugin", "loopback", "method", "Send"); n != 3 {
		t.Errorf("call_duration_seconds{Send} count = %v, want 3", n)
	}
	if n := metric(t, reg, "switchboard_plugin_up", "plugin", "loopback"); n != 1 {
		t.Errorf("up = %v, want 1", n)
	}
	if n := metric(t, reg, "switchboard_plugin_restarts_total", "plugin", "loopback"); n != 0 {
		t.Errorf("restarts_total = %v, want 0", n)
	}
}

// kill -9 of a running plugin: calls in the gap fail Transient (nothing hangs, nothing
// is lost for a retrying caller), the supervisor restarts it, calls succeed again.
func TestHostRestartsACrashedPlugin(t *testing.T) {
	root := t.TempDir()
	install(t, root, "loopback", bins.loopback, loopbackManifest(), nil)
	h, reg := newTestHost(t, root)
	startHost(t, h)
	ch, _ := h.Channel("loopback")
	ctx := context.Background()
	if _, err := ch.Send(ctx, lbConn, textMsg(0, "before")); err != nil {
		t.Fatal(err)
	}
	old := pid(t, h, "loopback")

	killed := time.Now()
	kill9(t, old)
	var gapErrs []*sdk.Error
	var recovered time.Duration
	for i := 1; ; i++ {
		callStart := time.Now()
		_, err := ch.Send(ctx, lbConn, textMsg(i, "during"))
		if took := time.Since(callStart); took > time.Second {
			t.Fatalf("a call during the restart took %v", took)
		}
		if err == nil {
			recovered = time.Since(killed)
			break
		}
		gapErrs = append(gapErrs, asSDKError(t, err, sdk.Transient))
		if time.Since(killed) > 10*time.Second {
			t.Fatalf("not serving 10s after kill -9; last error %v", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Logf("kill -9 → serving again in %v (%d calls failed Transient meanwhile)", recovered, len(gapErrs))
	if len(gapErrs) == 0 {
		t.Error("no call failed after kill -9: did the kill happen?")
	}
	sawRestarting := false
	for _, se := range gapErrs {
		sawRestarting = sawRestarting || se.Reason == "channel plugin loopback is restarting"
	}
	if !sawRestarting {
		t.Errorf("no gap error said the plugin is restarting: %+v", gapErrs)
	}
	if recovered > 2*time.Second {
		t.Errorf("recovery took %v; the first restart waits %v", recovered, RestartBackoff)
	}

	pi := mustPlugin(t, h, "loopback")
	if pi.State != StateRunning || pi.Restarts != 1 || !strings.Contains(pi.LastError, "plugin process exited") ||
		!strings.Contains(pi.LastError, "killed") {
		t.Errorf("after the restart: %+v; want running, 1 restart, last error naming the kill", pi)
	}
	if now := pid(t, h, "loopback"); now == old || alive(old) {
		t.Errorf("pid %d → %d (old alive: %v); want a new process and the old one gone", old, now, alive(old))
	}
	if n := metric(t, reg, "switchboard_plugin_restarts_total", "plugin", "loopback"); n != 1 {
		t.Errorf("restarts_total = %v, want 1", n)
	}
	if n := metric(t, reg, "switchboard_plugin_up", "plugin", "loopback"); n != 1 {
		t.Errorf("up = %v, want 1", n)
	}
}

// A plugin that stops answering (SIGSTOP: the process and its socket stay) is found
// by pings and replaced; a call stuck in it comes back Transient.
func TestHostRestartsAHungPlugin(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := install(t, root, "hang", bins.hang, hangManifest(), nil)
	writeJSON(t, filepath.Join(dir, "hang.json"), map[string]any{"mode": "stop", "after_ms": 1000})
	h, _ := newTestHost(t, root,
		WithStartTimeout(3*time.Second),
		WithPing(50*time.Millisecond, 100*time.Millisecond, 3),
		WithRestarts(10, time.Hour, 50*time.Millisecond, time.Second),
		WithStopTimeout(time.Second))
	startHost(t, h)
	waitState(t, h, "hang", StateRunning, 10*time.Second)
	first := pid(t, h, "hang")

	// A call in the plugin when it hangs: it comes back when the process is replaced.
	ch, _ := h.Channel("hang")
	sendStart := time.Now()
	_, err := ch.Send(context.Background(), sdk.Connection{ID: "c"}, sdk.OutboundMessage{ID: "m", To: "x", Text: "hi"})
	stuck := time.Since(sendStart)
	asSDKError(t, err, sdk.Transient)
	if stuck > 10*time.Second {
		t.Errorf("a call to the hung plugin took %v", stuck)
	}

	var pi PluginInfo
	waitFor(t, 15*time.Second, "a restart after a ping timeout", func() bool {
		pi = mustPlugin(t, h, "hang")
		return pi.Restarts >= 1 && strings.HasPrefix(pi.LastError, "ping timeout")
	})
	t.Logf("hung plugin restarted: state %s, %d restarts, last error %q (the stuck call returned after %v)",
		pi.State, pi.Restarts, pi.LastError, stuck)
	waitFor(t, 2*time.Second, "the stopped process to be killed", func() bool { return !alive(first) })
}

// A plugin that keeps crashing spends its restart budget and is left failed.
func TestHostGivesUpOnAPluginThatKeepsCrashing(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := install(t, root, "hang", bins.hang, hangManifest(), nil)
	writeJSON(t, filepath.Join(dir, "hang.json"), map[string]any{"mode": "exit", "after_ms": 250})
	h, reg := newTestHost(t, root) // default budget and backoff: 3 restarts, 100ms doubling
	startHost(t, h)

	pi := waitState(t, h, "hang", StateFailed, 15*time.Second)
	// The last reason is usually "plugin process exited (exit status 3)"; on a loaded
	// machine the plugin may die before its handshake, which fails the start instead.
	if pi.Restarts != RestartLimit || !strings.HasPrefix(pi.LastError, "failed to stay running: 3 restarts within 1h0m0s, last: ") {
		t.Fatalf("plugin info = %+v; want %d restarts and \"failed to stay running\"", pi, RestartLimit)
	}
	t.Logf("gave up: %s", pi.LastError)
	ch, _ := h.Channel("hang")
	_, err := ch.Send(context.Background(), sdk.Connection{}, sdk.OutboundMessage{ID: "m"})
	if se := asSDKError(t, err, sdk.Transient); !strings.Contains(se.Reason, "channel plugin hang has failed: failed to stay running") {
		t.Errorf("call to the failed plugin: %q", se.Reason)
	}
	if n := metric(t, reg, "switchboard_plugin_restarts_total", "plugin", "hang"); n != RestartLimit {
		t.Errorf("restarts_total = %v, want %d", n, RestartLimit)
	}
	if n := metric(t, reg, "switchboard_plugin_up", "plugin", "hang"); n != 0 {
		t.Errorf("up = %v, want 0", n)
	}
}

// Broken plugins are refused with a reason an operator can act on, never run, and do
// not keep the others from running.
func TestHostRefusesBrokenPlugins(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	marker := filepath.Join(t.TempDir(), "ran")
	script := []byte("#!/bin/sh\ntouch " + marker + "\nsleep 30\n")

	install(t, root, "loopback", bins.loopback, loopbackManifest(), nil)
	cases := []struct {
		id, reason string
		setup      func(t *testing.T)
	}{
		{"badsum", "checksum mismatch", func(t *testing.T) {
			dir := install(t, root, "badsum", "", named(loopbackManifest(), "badsum"), nil)
			exe := "badsum-" + platform
			if err := os.WriteFile(filepath.Join(dir, exe), script, 0o755); err != nil {
				t.Fatal(err)
			}
			m := named(loopbackManifest(), "badsum")
			m.ProtocolVersion = sdk.ProtocolVersion
			m.Executables = map[string]sdk.Executable{platform: {Path: exe, SHA256: sha256Hex(t, bins.loopback)}}
			writeManifest(t, dir, m)
		}},
		{"proto99", "protocol mismatch: the manifest says protocol 99, this host speaks 1", func(t *testing.T) {
			install(t, root, "proto99", bins.loopback, named(loopbackManifest(), "proto99"),
				func(m *sdk.Manifest) { m.ProtocolVersion = 99 })
		}},
		{"future", "protocol mismatch: the plugin speaks protocol 2, this host speaks 1", func(t *testing.T) {
			install(t, root, "future", bins.protoV2, futureManifest(), nil)
		}},
		{"missing", "executable not found: " + filepath.Join(root, "missing", "missing-"+platform), func(t *testing.T) {
			dir := install(t, root, "missing", bins.loopback, named(loopbackManifest(), "missing"), nil)
			if err := os.Remove(filepath.Join(dir, "missing-"+platform)); err != nil {
				t.Fatal(err)
			}
		}},
		{"dotdot", `invalid manifest: plugin manifest ` + filepath.Join(root, "dotdot", sdk.ManifestFile) + `: executables.` + platform + `.path: "../loopback/loopback-` + platform + `"`, func(t *testing.T) {
			install(t, root, "dotdot", bins.loopback, named(loopbackManifest(), "dotdot"), func(m *sdk.Manifest) {
				m.Executables[platform] = sdk.Executable{Path: "../loopback/loopback-" + platform, SHA256: sha256Hex(t, bins.loopback)}
			})
		}},
		{"liar", `plugin "liar" disagrees with its manifest: id: manifest says "liar", plugin says "loopback"`, func(t *testing.T) {
			install(t, root, "liar", bins.loopback, named(loopbackManifest(), "liar"), nil)
		}},
		{"garbled", "invalid manifest", func(t *testing.T) {
			if err := os.MkdirAll(filepath.Join(root, "garbled"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "garbled", sdk.ManifestFile), []byte(`{"id": "garbled", `), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		tc.setup(t)
	}
	// Not plugins: a directory without plugin.json and a stray file.
	if err := os.MkdirAll(filepath.Join(root, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "README"), []byte("plugins"), 0o644); err != nil {
		t.Fatal(err)
	}

	h, _ := newTestHost(t, root)
	startHost(t, h)

	var ids []string
	for _, pi := range h.Plugins() {
		ids = append(ids, pi.ID)
	}
	if want := []string{"badsum", "dotdot", "future", "garbled", "liar", "loopback", "missing", "proto99"}; !slices.Equal(ids, want) {
		t.Fatalf("Plugins() ids = %v, want %v (sorted)", ids, want)
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			pi := mustPlugin(t, h, tc.id)
			t.Logf("%s: %s", tc.id, pi.LastError)
			if pi.State != StateFailed || !strings.Contains(pi.LastError, tc.reason) || pi.Restarts != 0 {
				t.Errorf("state %s, %d restarts, reason %q; want failed at once with %q", pi.State, pi.Restarts, pi.LastError, tc.reason)
			}
			ch, err := h.Channel(tc.id)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ch.Send(context.Background(), lbConn, textMsg(1, "hi"))
			if se := asSDKError(t, err, sdk.Transient); !strings.Contains(se.Reason, "has failed: ") {
				t.Errorf("call to a refused plugin: %q", se.Reason)
			}
		})
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Error("the executable with the wrong checksum ran")
	}
	ch, _ := h.Channel("loopback")
	if _, err := ch.Send(context.Background(), lbConn, textMsg(1, "hi")); err != nil {
		t.Errorf("the good plugin beside the broken ones: %v", err)
	}
}

// The checksum is checked again at launch (go-plugin's SecureConfig), so a binary
// swapped after discovery does not run either.
func TestHostChecksChecksumAtLaunch(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := install(t, root, "loopback", bins.loopback, loopbackManifest(), nil)
	h, _ := newTestHost(t, root)
	if pi := mustPlugin(t, h, "loopback"); pi.State != StateStarting {
		t.Fatalf("after discovery: %+v", pi)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	exe := filepath.Join(dir, "loopback-"+platform)
	if err := os.Remove(exe); err != nil { // a hard link to the shared binary: replace, never write into it
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	startHost(t, h)
	pi := mustPlugin(t, h, "loopback")
	if pi.State != StateFailed || !strings.Contains(pi.LastError, "checksum mismatch") || pi.Restarts != 0 {
		t.Errorf("plugin info = %+v; want failed with a checksum mismatch", pi)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Error("the swapped executable ran")
	}
}

func TestHostDisableAndEnable(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	install(t, root, "loopback", bins.loopback, loopbackManifest(), nil)
	h, reg := newTestHost(t, root)
	startHost(t, h)
	ch, _ := h.Channel("loopback")
	ctx := context.Background()
	old := pid(t, h, "loopback")

	if err := h.Disable("loopback"); err != nil {
		t.Fatal(err)
	}
	if pi := mustPlugin(t, h, "loopback"); pi.State != StateDisabled {
		t.Fatalf("after Disable: %+v", pi)
	}
	if alive(old) {
		t.Error("the disabled plugin's process is still running")
	}
	_, err := ch.Send(ctx, lbConn, textMsg(1, "hi"))
	if se := asSDKError(t, err, sdk.Transient); se.Reason != "channel plugin loopback is disabled" {
		t.Errorf("call to a disabled plugin: %q", se.Reason)
	}
	if n := metric(t, reg, "switchboard_plugin_up", "plugin", "loopback"); n != 0 {
		t.Errorf("up = %v while disabled", n)
	}

	if err := h.Enable("loopback"); err != nil {
		t.Fatal(err)
	}
	if pi := mustPlugin(t, h, "loopback"); pi.State != StateRunning || pi.Restarts != 0 {
		t.Fatalf("after Enable: %+v", pi)
	}
	if _, err := ch.Send(ctx, lbConn, textMsg(2, "hi")); err != nil {
		t.Errorf("Send after Enable (same Channel value): %v", err)
	}
	if err := h.Enable("loopback"); err != nil {
		t.Errorf("Enable of a running plugin: %v", err)
	}

	for _, err := range []error{h.Enable("nope"), h.Disable("nope")} {
		if !errors.Is(err, ErrUnknownPlugin) || failure.KindOf(err) != failure.NotFound {
			t.Errorf("unknown id: %v, want ErrUnknownPlugin (not found)", err)
		}
	}
}

// An operator fixes a failed plugin on disk and enables it: the host rereads it.
func TestHostEnableAfterRepair(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := install(t, root, "loopback", bins.loopback, loopbackManifest(), nil)
	exe := filepath.Join(dir, "loopback-"+platform)
	if err := os.Remove(exe); err != nil {
		t.Fatal(err)
	}
	h, _ := newTestHost(t, root)
	startHost(t, h)
	if pi := mustPlugin(t, h, "loopback"); pi.State != StateFailed || !strings.Contains(pi.LastError, "executable not found") {
		t.Fatalf("with the binary missing: %+v", pi)
	}
	if err := h.Enable("loopback"); err == nil || !strings.Contains(err.Error(), "executable not found") {
		t.Errorf("Enable with the binary still missing = %v", err)
	}
	linkOrCopy(t, bins.loopback, exe)
	if err := h.Enable("loopback"); err != nil {
		t.Fatalf("Enable after the repair: %v", err)
	}
	if pi := mustPlugin(t, h, "loopback"); pi.State != StateRunning || pi.LastError != "executable not found: "+exe {
		t.Errorf("after the repair: %+v (last error kept for the record)", pi)
	}
}

func TestHostChecksMinPlatformVersion(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	install(t, root, "loopback", bins.loopback, loopbackManifest(), func(m *sdk.Manifest) { m.MinPlatformVersion = "2.0.0" })
	for _, tc := range []struct {
		platform string
		state    State
		reason   string
	}{
		{"v1.9.3", StateFailed, "needs Switchboard 2.0.0 or later, this is v1.9.3"},
		{"2.0.0", StateStarting, ""},
		{"v2.1.0-3-gabcdef0", StateStarting, ""},
		{"dev", StateStarting, ""}, // a development build is not checked
	} {
		h, _ := newTestHost(t, root, WithPlatformVersion(tc.platform))
		if pi := mustPlugin(t, h, "loopback"); pi.State != tc.state || pi.LastError != tc.reason {
			t.Errorf("on Switchboard %s: state %s, reason %q; want %s, %q", tc.platform, pi.State, pi.LastError, tc.state, tc.reason)
		}
	}
}

func TestHostWithDisabledPlugin(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	install(t, root, "loopback", bins.loopback, loopbackManifest(), nil)
	h, _ := newTestHost(t, root, WithDisabled("loopback"))
	startHost(t, h)
	if pi := mustPlugin(t, h, "loopback"); pi.State != StateDisabled {
		t.Fatalf("plugin info = %+v, want disabled", pi)
	}
	if pids := leftovers(t, root); len(pids) != 0 {
		t.Errorf("a disabled plugin was launched: %v", pids)
	}
}

func TestHostStop(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	install(t, root, "loopback", bins.loopback, loopbackManifest(), nil)
	h, _ := newTestHost(t, root)
	startHost(t, h)
	ch, _ := h.Channel("loopback")
	p := pid(t, h, "loopback")

	// A call in flight when Stop begins finishes; calls after are refused.
	slow := sdk.Connection{ID: "c", Config: json.RawMessage(`{"webhook_secret":"s","delay_ms":300}`)}
	var inflight sync.WaitGroup
	var inflightErr atomic.Value
	inflight.Go(func() {
		if _, err := ch.Send(context.Background(), slow, textMsg(1, "slow")); err != nil {
			inflightErr.Store(err)
		}
	})
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	h.Stop()
	t.Logf("Stop took %v", time.Since(start))
	inflight.Wait()
	if err := inflightErr.Load(); err != nil {
		t.Errorf("the call in flight at Stop failed: %v", err)
	}
	if alive(p) {
		t.Error("plugin process alive after Stop")
	}
	if pi := mustPlugin(t, h, "loopback"); pi.State != StateStopped {
		t.Errorf("after Stop: %+v", pi)
	}
	_, err := ch.Send(context.Background(), lbConn, textMsg(2, "late"))
	if se := asSDKError(t, err, sdk.Transient); se.Reason != "channel plugin loopback is stopped" {
		t.Errorf("call after Stop: %q", se.Reason)
	}
	h.Stop() // twice is fine
	if err := h.Enable("loopback"); !errors.Is(err, ErrHostStopped) {
		t.Errorf("Enable after Stop = %v", err)
	}
}

func TestHostWithoutPluginDirectory(t *testing.T) {
	t.Parallel()
	h, _ := newTestHost(t, filepath.Join(t.TempDir(), "absent"))
	startHost(t, h)
	if all := h.Plugins(); len(all) != 0 {
		t.Errorf("Plugins() = %+v, want none", all)
	}
	if _, err := h.Channel("loopback"); !errors.Is(err, ErrUnknownPlugin) {
		t.Errorf("Channel of an unknown plugin: %v", err)
	}
	if _, ok := h.Plugin("loopback"); ok {
		t.Error("Plugin(unknown) reported ok")
	}
}

func named(m sdk.Manifest, id string) sdk.Manifest {
	m.ID = id
	return m
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
