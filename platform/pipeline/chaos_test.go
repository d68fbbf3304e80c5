//go:build chaos

package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
)

// pluginPID finds the live plugin process: a child of this process whose executable
// lies under dir.
func pluginPID(t testing.TB, dir string) int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		f := strings.Fields(rest)
		if len(f) < 2 || f[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", ent.Name(), "exe"))
		if err == nil && strings.HasPrefix(exe, dir) {
			return pid
		}
	}
	t.Fatalf("no plugin process under %s", dir)
	return 0
}

// TestChaos sends CHAOS_SENDS (default 10,000) messages through the real loopback
// binary with 5% random transient failures and 2% permanent ones, kill -9s the plugin
// twice and restarts the worker once on the way, and then checks that every message
// settled (sent, or failed with a reason) and the money is right: one charge per sent
// message, one refund per failed message that was charged, wallet == initial − sent,
// ledger sum == balance.
func TestChaos(t *testing.T) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("CHAOS_SENDS")); err == nil && v > 0 {
		n = v
	}
	dir := t.TempDir()
	if _, err := conformance.Build("github.com/switchboardhq/switchboard/plugins/loopback/cmd/loopback", "../../plugins/loopback/manifest.json", dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const concurrency = 20
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine(), concurrency: concurrency, kick: time.Second, hostPlugins: true,
		config: func(c *config.Config) { c.PluginsDir = dir },
		beforeWorker: func(e *env) {
			if err := e.ta.App.StartPlugins(ctx); err != nil {
				t.Fatal(err)
			}
		}})
	initial := int64(n + 100)
	tn := e.tenant(t, "loopback", loopback.Config{FailRate: 0.05, Statuses: []string{"sent"}}, initial)
	msgs := storeMessages(t, tn, n, func(i int) string {
		if i%50 == 7 {
			return loopback.FailPrefix + string(sdk.Permanent)
		}
		return fmt.Sprintf("chaos %d", i)
	})
	start := time.Now()
	enqueueAll(t, e, msgs)
	t.Logf("%d sends enqueued in %s", n, time.Since(start).Round(time.Millisecond))

	done := func() int { return countStatus(t, tn, messaging.StatusSent, messaging.StatusFailed) }
	waitFor := func(share float64) {
		deadline := time.Now().Add(chaosStall)
		for done() < int(share*float64(n)) {
			if time.Now().After(deadline) {
				t.Fatalf("stuck at %d of %d; by status %v", done(), n, histogram(t, tn))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	kill := func() {
		pid := pluginPID(t, dir)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill -9 %d: %v", pid, err)
		}
		t.Logf("kill -9 plugin pid %d at %d/%d done", pid, done(), n)
	}
	waitFor(0.15)
	kill()
	waitFor(0.35)
	t.Logf("stopping the worker at %d/%d done", done(), n)
	e.stopWorker()
	time.Sleep(500 * time.Millisecond)
	e.startWorker(concurrency)
	t.Logf("worker restarted")
	waitFor(0.55)
	kill()

	deadline := time.Now().Add(4 * time.Minute)
	for {
		d := done()
		if d == n {
			break
		}
		if time.Now().After(deadline) {
			var rows []struct {
				Status string `bun:"status"`
				N      int    `bun:"n"`
			}
			_ = tn.sc.Select((*messaging.Message)(nil)).ColumnExpr("m.status, COUNT(*) AS n").GroupExpr("m.status").Scan(ctx, &rows)
			t.Fatalf("not settled after the deadline: %d of %d; by status %+v", d, n, rows)
		}
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := time.Since(start)

	// Every message settled, with a reason when failed.
	var all []messaging.Message
	if err := tn.sc.Select(&all).Where("m.direction = ?", messaging.DirectionOut).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	var entries []billing.Entry
	if err := tn.sc.Select(&entries).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	type money struct{ charges, refunds int }
	byMsg := map[string]*money{}
	for _, en := range entries {
		if !strings.HasPrefix(en.Reference, "message:") {
			continue
		}
		id := strings.TrimPrefix(en.Reference, "message:")
		if byMsg[id] == nil {
			byMsg[id] = &money{}
		}
		switch en.Kind {
		case billing.Charge:
			byMsg[id].charges++
		case billing.Refund:
			byMsg[id].refunds++
		}
	}
	sent, failed, permanent, exhausted := 0, 0, 0, 0
	for _, m := range all {
		mo := byMsg[m.ID]
		if mo == nil {
			mo = &money{}
		}
		switch m.Status {
		case messaging.StatusSent:
			sent++
			if mo.charges != 1 || mo.refunds != 0 || m.ProviderMessageID == nil {
				t.Errorf("sent message %s: %d charges, %d refunds, provider id %v", m.ID, mo.charges, mo.refunds, m.ProviderMessageID)
			}
		case messaging.StatusFailed:
			failed++
			if m.Reason == "" {
				t.Errorf("failed message %s has no reason", m.ID)
			}
			if strings.HasPrefix(m.Reason, "Not delivered after") {
				exhausted++
			}
			if m.Body == loopback.FailPrefix+string(sdk.Permanent) {
				permanent++
			}
			if mo.charges > 1 || mo.refunds != mo.charges {
				t.Errorf("failed message %s (%q): %d charges, %d refunds", m.ID, m.Reason, mo.charges, mo.refunds)
			}
		default:
			t.Errorf("message %s is %q", m.ID, m.Status)
		}
	}
	balance := tn.balance(t) // also checks ledger sum == balance
	if want := initial - int64(sent); balance != want {
		t.Errorf("wallet %d, want initial %d − %d sent = %d", balance, initial, sent, want)
	}
	if wantPerm := (n + 42) / 50; permanent != wantPerm {
		t.Errorf("%d permanent failures, want %d", permanent, wantPerm)
	}
	info, _ := e.ta.App.Host.Plugin("loopback")
	if info.Restarts < 2 {
		t.Errorf("plugin restarts %d, want ≥ 2", info.Restarts)
	}
	t.Logf("%d sends settled in %s (%.0f/s): %d sent, %d failed (%d permanent, %d retries exhausted); plugin restarts %d; wallet %d → %d",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), sent, failed, permanent, exhausted, info.Restarts, initial, balance)
}

// chaosStall is how long the run may make no progress to the next milestone.
var chaosStall = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("CHAOS_STALL")); err == nil {
		return d
	}
	return 3 * time.Minute
}()

func histogram(t testing.TB, tn *tenant) map[string]int {
	var rows []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := tn.sc.Select((*messaging.Message)(nil)).ColumnExpr("m.status, COUNT(*) AS n").GroupExpr("m.status").Scan(context.Background(), &rows); err != nil {
		t.Error(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}
