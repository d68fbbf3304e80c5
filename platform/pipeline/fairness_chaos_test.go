//go:build chaos

package pipeline_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
)

// TestChaosFairness is fairness at the scale the pipeline promises it: workspace A
// enqueues 100,000 sends (CHAOS_FAIRNESS_SENDS), the worker starts on them, then
// workspace B posts one; B's goes out within a few seconds while tens of thousands of
// A's still wait. The worker is the app's own: its default concurrency, queues and
// weights. TestFairness checks the routing on every `make test`; this checks the
// promise, so it runs with the chaos test, where a timing may be asserted.
//
// A's sends are enqueued before the worker starts: on a slow box enqueueing 100,000
// takes longer than sending most of them, and a backlog that drained while it was
// being built would not be the one the promise is about.
func TestChaosFairness(t *testing.T) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("CHAOS_FAIRNESS_SENDS")); err == nil && v > 0 {
		n = v
	}
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine(), noWorker: true})
	a := e.tenant(t, "loopback", loopback.Config{Statuses: []string{"sent"}}, int64(n)+10)
	b := e.tenant(t, "loopback", loopback.Config{Statuses: []string{"sent"}}, 10)
	msgs := storeMessages(t, a, n, func(i int) string { return fmt.Sprintf("campaign %d", i) })
	start := time.Now()
	enqueueAll(t, e, msgs)
	t.Logf("A's %d sends enqueued in %s", n, time.Since(start).Round(time.Millisecond))

	// B posts once the worker is busy with A's campaign, past A's fair share in the
	// sends queue, so B's send meets the bulk backlog and a warm worker.
	e.startWorker(benchConcurrency)
	busy := min(n/10, 2*pipeline.FairShare)
	deadline := time.Now().Add(time.Minute)
	for countStatus(t, a, messaging.StatusSent, messaging.StatusFailed) < busy {
		if time.Now().After(deadline) {
			t.Fatalf("the worker settled fewer than %d of A's sends in a minute", busy)
		}
		time.Sleep(20 * time.Millisecond)
	}

	waiting := n - countStatus(t, a, messaging.StatusSent, messaging.StatusFailed)
	posted := time.Now()
	m := b.text(t, "a reply")
	b.wait(t, m.ID, time.Minute, "sent", func(m messaging.Message) bool { return m.Status == messaging.StatusSent })
	latency := time.Since(posted)
	left := n - countStatus(t, a, messaging.StatusSent, messaging.StatusFailed)
	t.Logf("B's message sent %s after it was posted; A had %d sends waiting then, %d after", latency.Round(time.Millisecond), waiting, left)
	if latency > 5*time.Second {
		t.Errorf("B waited %s behind A's %d waiting sends, want a few seconds at most (5s)", latency, waiting)
	}
	if waiting < n/2 || left == 0 {
		t.Errorf("A had %d of %d sends waiting when B posted and %d after: the test did not measure a backlog", waiting, n, left)
	}
}
