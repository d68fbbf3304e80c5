package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
)

// TestConcurrentSendsShareStatements: a campaign's sends in flight together share
// their round trips (loads, status moves, roll-ups), and every message still ends as
// it would alone: sent, with exactly queued → sent added to its timeline, one
// charge, the wallet down by exactly one credit per message, and browsers told of
// each (the roll-ups skipped once the campaign's pill is sent included). Two
// workspaces send at the same time, so a batch never mixes them up.
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
			heard := listen(t, e, a)
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
			heard.expect(t, a, msgsA)
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

// heard is what browsers of a workspace were told: each message's last status, and
// the pills its conversations were announced with.
type heard struct {
	mu     sync.Mutex
	status map[string]string
	pills  map[string]bool
	wrong  []realtime.Event // about another conversation than the tenant's
}

// listen subscribes to the tenant's workspace events for the rest of the test.
func listen(t *testing.T, e *env, tn *tenant) *heard {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	events, stop := e.ta.App.Realtime.Subscribe(ctx, tn.ws.ID)
	h := &heard{status: map[string]string{}, pills: map[string]bool{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			var data struct {
				ID     string `json:"id"`
				Status string `json:"status"`
				Pill   string `json:"pill"`
			}
			_ = json.Unmarshal(ev.Data, &data)
			h.mu.Lock()
			if ev.ConversationID != tn.conv.ID || ev.ConversationKind != tn.conv.Kind {
				h.wrong = append(h.wrong, ev)
			}
			switch ev.Type {
			case realtime.MessageUpdated:
				h.status[data.ID] = data.Status
			case realtime.ConversationUpdated:
				h.pills[data.Pill] = true
			}
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() { stop(); cancel(); <-done })
	return h
}

// expect waits (briefly: events follow the writes) until every message was announced
// sent, in the tenant's conversation, and the conversation announced sent.
func (h *heard) expect(t *testing.T, tn *tenant, msgs []messaging.Message) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		missing := 0
		for _, m := range msgs {
			if h.status[m.ID] != messaging.StatusSent {
				missing++
			}
		}
		pillSent, wrong := h.pills[messaging.PillSent], len(h.wrong)
		h.mu.Unlock()
		if wrong > 0 {
			t.Fatalf("%d events named another conversation than %s (%s)", wrong, tn.conv.ID, tn.conv.Kind)
		}
		if missing == 0 && pillSent {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("browsers heard %d of %d messages sent; conversation announced sent: %v", len(msgs)-missing, len(msgs), pillSent)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLoadBatchGivesEachCallItsOwn: the batched load hands every call its own
// Outgoing, even two calls for one message (a task redelivered while its first
// delivery still runs), since each send changes the message it holds; an id that is
// not there (or another workspace's) gets ErrMessageNotFound.
func TestLoadBatchGivesEachCallItsOwn(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, envOptions{engine: engine, noWorker: true})
			a := e.tenant(t, "loopback", loopback.Config{}, 5)
			b := e.tenant(t, "loopback", loopback.Config{}, 5)
			msgs := storeMessages(t, a, 2, func(i int) string { return fmt.Sprintf("load %d", i) })
			foreign := storeMessages(t, b, 1, func(int) string { return "theirs" })[0]
			ids := []string{msgs[0].ID, msgs[1].ID, msgs[0].ID, foreign.ID}
			res := e.p.LoadBatch(context.Background(), a.ws.ID, ids)
			if len(res) != len(ids) {
				t.Fatalf("%d results for %d ids", len(res), len(ids))
			}
			for i, r := range res[:3] {
				if r.Err != nil || r.Value == nil || r.Value.Message.ID != ids[i] || r.Value.Contact.ID == "" || r.Value.Connection == nil {
					t.Fatalf("result %d: %+v, %v", i, r.Value, r.Err)
				}
			}
			if res[0].Value == res[2].Value {
				t.Error("two calls for one message share one Outgoing")
			}
			res[2].Value.Message.Status = messaging.StatusFailed
			if res[0].Value.Message.Status != messaging.StatusPending {
				t.Errorf("a change to one call's message showed in the other's: %q", res[0].Value.Message.Status)
			}
			if !errors.Is(res[3].Err, messaging.ErrMessageNotFound) {
				t.Errorf("another workspace's message: %+v, %v", res[3].Value, res[3].Err)
			}
		})
	}
}
