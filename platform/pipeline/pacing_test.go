package pipeline_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/queue"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// The booking line, on a clock that stands still: a campaign books up to a second
// ahead, the sends beyond are told to come back one slot apart, a reply still books
// (after the campaign's booked sends, before those told to come back), segments
// take a slot each, and an idle line starts over.
func TestPaceBooking(t *testing.T) {
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine(), noWorker: true})
	ctx := context.Background()
	conn := "pace-" + storage.NewID()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	book := func(at time.Time, cost int, bulk bool) (time.Duration, bool) {
		t.Helper()
		d, ok, err := e.p.Book(ctx, conn, 10, cost, bulk, at) // 10 a second: a slot is 100 ms
		if err != nil {
			t.Fatal(err)
		}
		return d, ok
	}
	for i := range 11 {
		if d, ok := book(now, 1, true); !ok || d != time.Duration(i)*100*time.Millisecond {
			t.Fatalf("campaign send %d: booked %v, wait %s; want booked, wait %dms", i, ok, d, i*100)
		}
	}
	for i, want := range []time.Duration{200 * time.Millisecond, 300 * time.Millisecond, 400 * time.Millisecond} {
		if d, ok := book(now, 1, true); ok || d != want {
			t.Errorf("campaign send %d beyond the second: booked %v, come back in %s; want not booked, %s", 11+i, ok, d, want)
		}
	}
	if d, ok := book(now, 1, false); !ok || d != 1100*time.Millisecond {
		t.Errorf("reply: booked %v, wait %s; want booked after the campaign's 11 booked slots (1.1s)", ok, d)
	}
	later := now.Add(time.Second)
	if d, ok := book(later, 3, true); !ok || d != 200*time.Millisecond {
		t.Errorf("a second on, 3 segments: booked %v, wait %s; want booked, 200ms", ok, d)
	}
	if d, ok := book(later, 1, true); !ok || d != 500*time.Millisecond {
		t.Errorf("after 3 segments: booked %v, wait %s; want booked 3 slots later (500ms)", ok, d)
	}
	if d, ok := book(now.Add(time.Minute), 1, true); !ok || d != 0 {
		t.Errorf("after an idle minute: booked %v, wait %s; want at once", ok, d)
	}
}

// Sends book on Redis's clock, not on their worker's: a worker whose clock runs an
// hour ahead books the next slot, not one an hour on that would turn every other
// worker's send away for that hour; and a hold lasts as long on every worker. On
// the embedded backend too, whose clock must not lag the real one.
func TestPaceOnRedisClock(t *testing.T) {
	backends := map[string]string{"embedded": ""}
	if u := redisURL(t, redisDB(testapp.Postgres)); u != "" {
		backends["redis"] = u
	}
	for name, url := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b, err := queue.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			p := &pipeline.Pipeline{Redis: b.Redis}
			conn := "pace-" + storage.NewID()
			book := func(worker string) time.Duration {
				t.Helper()
				d, ok, err := p.Book(ctx, conn, 10, 1, false, time.Time{}) // on Redis's clock, as sends book
				if err != nil || !ok {
					t.Fatalf("%s worker: booked %v, %v", worker, ok, err)
				}
				return d
			}
			p.Now = func() time.Time { return time.Now().Add(time.Hour) }
			if d := book("fast"); d != 0 {
				t.Errorf("fast worker on an idle line: wait %s, want none", d)
			}
			p.Now = nil
			if d := book("true"); d < 50*time.Millisecond || d > 100*time.Millisecond {
				t.Errorf("true worker after one booking: wait %s, want the next slot (at most 100ms on)", d)
			}

			// A hold of 2 s: whichever worker books next waits it out, and no longer.
			conn = "pace-" + storage.NewID()
			p.Now = func() time.Time { return time.Now().Add(-time.Hour) }
			if err := p.Hold(ctx, conn, 2*time.Second); err != nil {
				t.Fatal(err)
			}
			p.Now = nil
			if d := book("true"); d < 1800*time.Millisecond || d > 2*time.Second {
				t.Errorf("after a 2s hold: wait %s, want the rest of the hold", d)
			}
		})
	}
}

// A campaign through a connection with a send rate goes out at that rate: every
// message sent, none failed (waiting its turn spends no retries, with retries cut
// to one), and no second of what the provider received holds more than the rate
// allows.
func TestPacedCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 150 messages at 50 a second; skipped with -short")
	}
	const (
		sends = 150
		rate  = 50.0
	)
	// The provider's clock: when each send reached it. (The sent step is written as
	// the batch it rides in lands, later by however busy the box is.)
	var mu sync.Mutex
	var at []time.Time
	provider := &channel{Loopback: loopback.New(), onSend: func(sdk.OutboundMessage) {
		mu.Lock()
		defer mu.Unlock()
		at = append(at, time.Now())
	}}
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine(), concurrency: 16, maxRetry: 1,
		plugins: connections.StaticPlugins{"paced": provider}})
	tn := e.tenant(t, "paced", loopback.Config{Statuses: []string{"sent"}}, sends+10)
	if _, err := tn.sc.Update((*connections.Connection)(nil)).Set("send_rate = ?", rate).Where("c.id = ?", tn.conn.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := storeMessages(t, tn, sends, func(i int) string { return fmt.Sprintf("paced %d", i) })
	enqueueAll(t, e, msgs)
	deadline := time.Now().Add(60 * time.Second)
	for countStatus(t, tn, messaging.StatusSent, messaging.StatusFailed) < sends {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sends settled after a minute", countStatus(t, tn, messaging.StatusSent, messaging.StatusFailed), sends)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := countStatus(t, tn, messaging.StatusFailed); n != 0 {
		t.Fatalf("%d sends failed; want none: a paced send waits its turn", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(at) != sends {
		t.Fatalf("the provider received %d sends, want %d", len(at), sends)
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	// Slots are booked 20 ms apart; a send reaches the provider a little after its
	// slot, as its goroutine wakes, so a second may catch a few of the next: more on
	// a loaded machine, where a stall of a tenth of a second lets five wake together
	// (56 was seen). A send not paced at all would put hundreds in a second.
	const most = int(rate) + int(rate)/5
	for i := range at {
		j := sort.Search(len(at), func(k int) bool { return !at[k].Before(at[i].Add(time.Second)) })
		if j-i > most {
			t.Fatalf("%d sends in the second from %s; want at most %d at %v a second", j-i, at[i].Format("15:04:05.000"), most, rate)
		}
	}
	t.Logf("%d sends over %s", sends, at[len(at)-1].Sub(at[0]).Round(time.Millisecond))
}

// A send that has waited for its connection's rate longer than MaxPacedDelay fails
// with the reason, uncharged; sent again by hand, it waits afresh.
func TestPacedTooLong(t *testing.T) {
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine()})
	tn := e.tenant(t, "loopback", loopback.Config{Statuses: []string{"sent"}}, 10)
	ctx := context.Background()
	if _, err := tn.sc.Update((*connections.Connection)(nil)).Set("send_rate = 1").Where("c.id = ?", tn.conn.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// The line is booked 6 s ahead, beyond what even a reply may wait for.
	for range 6 {
		if _, ok, err := e.p.Book(ctx, tn.conn.ID, 1, 1, false, time.Now()); err != nil || !ok {
			t.Fatalf("booking: %v %v", ok, err)
		}
	}
	msgs := storeMessages(t, tn, 1, func(int) string { return "overdue" })
	if _, err := tn.sc.Update((*messaging.Message)(nil)).Set("created_at = ?", time.Now().Add(-pipeline.MaxPacedDelay-time.Hour)).
		Where("m.id = ?", msgs[0].ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	enqueueAll(t, e, msgs)
	m := tn.wait(t, msgs[0].ID, 15*time.Second, "failed", func(m messaging.Message) bool { return m.Status == messaging.StatusFailed })
	if !strings.Contains(m.Reason, "Not sent within 24 hours") || !strings.Contains(m.Reason, "sends 1 a second") {
		t.Errorf("reason %q", m.Reason)
	}
	if m.Credits != 0 || tn.balance(t) != tn.credits {
		t.Errorf("charged %d credits, balance %d of %d; want nothing taken", m.Credits, tn.balance(t), tn.credits)
	}

	// Retried by hand, the message is due from the retry, not from when it was
	// written a day ago: it waits its turn on the line (still booked beyond what a
	// reply may wait for, topped up here) and goes, charged once.
	for {
		_, ok, err := e.p.Book(ctx, tn.conn.ID, 1, 1, false, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
	}
	if _, err := e.p.Retry(ctx, tn.sc, m.ID); err != nil {
		t.Fatal(err)
	}
	m = tn.wait(t, m.ID, 30*time.Second, "sent", func(m messaging.Message) bool { return messaging.Final(m.Status) || m.Status == messaging.StatusSent })
	if m.Status != messaging.StatusSent || m.Attempt != 2 {
		t.Fatalf("retried message %s on attempt %d (%q); want sent on attempt 2", m.Status, m.Attempt, m.Reason)
	}
	if b := tn.balance(t); b != tn.credits-1 {
		t.Errorf("balance %d after the retry went, want %d", b, tn.credits-1)
	}
}

// A provider's rate-limit refusals are waited out like the connection's own rate:
// with retries cut to one, four refusals still end in one send, charged once; past
// MaxPacedDelay the message fails with the reason and its credit comes back.
func TestProviderRateLimitWaits(t *testing.T) {
	limited := &channel{Loopback: loopback.New(), limitFirst: 4}
	overdue := &channel{Loopback: loopback.New(), limitFirst: 1000}
	spent := &channel{Loopback: loopback.New(), failFirst: 1, limitFirst: 1000}
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine(), maxRetry: 1, kick: 100 * time.Millisecond,
		plugins: connections.StaticPlugins{"limited": limited, "overdue": overdue, "spent": spent}})
	ctx := context.Background()

	tn := e.tenant(t, "limited", loopback.Config{Statuses: []string{"sent"}}, 10)
	m := tn.text(t, "hello")
	m = tn.wait(t, m.ID, 20*time.Second, "sent", func(m messaging.Message) bool { return messaging.Final(m.Status) || m.Status == messaging.StatusSent })
	if m.Status != messaging.StatusSent || limited.sends(m.ID) != 5 {
		t.Fatalf("status %s after %d provider calls (%q); want sent after 5", m.Status, limited.sends(m.ID), m.Reason)
	}
	if b := tn.balance(t); b != tn.credits-1 {
		t.Errorf("balance %d, want %d: charged once", b, tn.credits-1)
	}

	// Its one retry spent on a transient failure, a charged send refused for the
	// provider's rate fails refunded rather than sit archived, queued and charged.
	sp := e.tenant(t, "spent", loopback.Config{Statuses: []string{"sent"}}, 10)
	m = sp.text(t, "unlucky")
	m = sp.wait(t, m.ID, 20*time.Second, "failed", func(m messaging.Message) bool { return m.Status == messaging.StatusFailed })
	sp.expectLedger(t, m.ID, 1, 1)
	if b := sp.balance(t); !strings.Contains(m.Reason, "the provider kept refusing for its rate limit") || b != sp.credits {
		t.Errorf("reason %q, balance %d of %d; want the rate limit named and the credit back", m.Reason, b, sp.credits)
	}

	late := e.tenant(t, "overdue", loopback.Config{Statuses: []string{"sent"}}, 10)
	msgs := storeMessages(t, late, 1, func(int) string { return "too late" })
	if _, err := late.sc.Update((*messaging.Message)(nil)).Set("created_at = ?", time.Now().Add(-pipeline.MaxPacedDelay-time.Hour)).
		Where("m.id = ?", msgs[0].ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	enqueueAll(t, e, msgs)
	m = late.wait(t, msgs[0].ID, 15*time.Second, "failed", func(m messaging.Message) bool { return m.Status == messaging.StatusFailed })
	if !strings.Contains(m.Reason, "Not sent within 24 hours: the provider kept refusing for its rate limit: slow down") {
		t.Errorf("reason %q", m.Reason)
	}
	late.expectLedger(t, msgs[0].ID, 1, 1)
	if b := late.balance(t); b != late.credits {
		t.Errorf("balance %d, want %d: refunded", b, late.credits)
	}
}

// A provider's rate-limit refusal without a Retry-After holds the whole connection
// off for a while, not just the refused send: the next booking on its line waits
// out the hold, and the refused send goes once it is over.
func TestProviderRefusalHoldsTheConnection(t *testing.T) {
	held := &channel{Loopback: loopback.New(), limitFirst: 1, limitBare: true}
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine(), plugins: connections.StaticPlugins{"held": held}})
	ctx := context.Background()
	tn := e.tenant(t, "held", loopback.Config{Statuses: []string{"sent"}}, 10)
	if _, err := tn.sc.Update((*connections.Connection)(nil)).Set("send_rate = 100").Where("c.id = ?", tn.conn.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	m := tn.text(t, "hello")
	deadline := time.Now().Add(10 * time.Second)
	for held.sends(m.ID) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the provider was never called")
		}
		time.Sleep(5 * time.Millisecond)
	}
	refused := time.Now()
	wait, ok, err := e.p.Book(ctx, tn.conn.ID, 100, 1, false, time.Now())
	if err != nil || !ok || wait < time.Second {
		t.Errorf("booking after the refusal: wait %s, booked %v, %v; want about %s", wait, ok, err, 2*time.Second)
	}
	m = tn.wait(t, m.ID, 15*time.Second, "sent", func(m messaging.Message) bool { return messaging.Final(m.Status) || m.Status == messaging.StatusSent })
	if m.Status != messaging.StatusSent || held.sends(m.ID) != 2 {
		t.Fatalf("status %s after %d provider calls (%q); want sent on the second", m.Status, held.sends(m.ID), m.Reason)
	}
	if waited := time.Since(refused); waited < 1500*time.Millisecond {
		t.Errorf("sent again %s after the refusal, want after the hold", waited)
	}
}
