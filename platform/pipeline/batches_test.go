package pipeline_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
)

// TestConcurrentSendsShareStatements: a campaign's sends in flight together share
// their round trips (loads, status moves, roll-ups), and every message still ends as
// it would alone: sent, with exactly queued → sent added to its timeline, one
// charge, and the wallet down by exactly one credit per message. Two workspaces send
// at the same time, so a batch never mixes them up.
func TestConcurrentSendsShareStatements(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			const n = 300
			// The plugin takes a few milliseconds, as providers do, so sends overlap.
			e := newEnv(t, envOptions{engine: engine, concurrency: 64})
			a := e.tenant(t, "loopback", loopback.Config{DelayMS: 3, Statuses: []string{"sent"}}, n+5)
			b := e.tenant(t, "loopback", loopback.Config{DelayMS: 3, Statuses: []string{"sent"}}, n+7)
			msgsA := storeMessages(t, a, n, func(i int) string { return fmt.Sprintf("A %d", i) })
			msgsB := storeMessages(t, b, n, func(i int) string { return fmt.Sprintf("B %d", i) })
			enqueueAll(t, e, append(msgsA, msgsB...))

			deadline := time.Now().Add(60 * time.Second)
			for countStatus(t, a, messaging.StatusSent)+countStatus(t, b, messaging.StatusSent) < 2*n {
				if time.Now().After(deadline) {
					t.Fatalf("after 60s: %d of A's and %d of B's %d sends are sent", countStatus(t, a, messaging.StatusSent), countStatus(t, b, messaging.StatusSent), n)
				}
				time.Sleep(50 * time.Millisecond)
			}
			for _, c := range []struct {
				tn      *tenant
				msgs    []messaging.Message
				credits int64
			}{{a, msgsA, n + 5}, {b, msgsB, n + 7}} {
				for _, m := range c.msgs {
					// storeMessages writes the rows alone, without their first entry.
					if got := c.tn.timeline(t, m.ID); !eq(got, []string{messaging.StatusQueued, messaging.StatusSent}) {
						t.Fatalf("message %s timeline %v, want queued, sent", m.ID, got)
					}
					if got := c.tn.ledger(t, m.ID); got[billing.Charge] != 1 || got[billing.Refund] != 0 {
						t.Fatalf("message %s ledger %v, want one charge", m.ID, got)
					}
					stored := c.tn.msg(t, m.ID)
					if stored.Credits != 1 || stored.ProviderMessageID == nil || stored.SentAt == nil {
						t.Fatalf("message %s stored as %+v, want 1 credit, a provider id and a sent time", m.ID, stored)
					}
				}
				if got := c.tn.balance(t); got != c.credits-n {
					t.Errorf("wallet %d, want %d", got, c.credits-n)
				}
				c.tn.expectPill(t, messaging.PillSent)
			}
			calls, batches := e.p.MoveStats()
			t.Logf("%s: %d status moves in %d batches; loads %.1f per batch", engine, calls, batches, e.p.LoadBatchSize())
			if calls != 2*n {
				t.Errorf("%d status moves through the batches, want %d (one for each message: its sent, queued on the way)", calls, 2*n)
			}
			if batches >= calls {
				t.Errorf("%d status moves took %d batches: sends in flight together did not share one", calls, batches)
			}
		})
	}
}
