package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
)

// storeMessages stores n pending outbound text messages in the tenant's conversation
// in a few multi-row inserts (no timeline entries: the send handler does not need
// them), with the texts text(i).
func storeMessages(t testing.TB, tn *tenant, n int, text func(i int) string) []messaging.Message {
	t.Helper()
	now := time.Now().UTC()
	msgs := make([]messaging.Message, n)
	for i := range msgs {
		msgs[i] = messaging.Message{ID: storage.NewID(), ConversationID: tn.conv.ID, ConnectionID: tn.conn.ID,
			Direction: messaging.DirectionOut, Type: "text", Body: text(i), Status: messaging.StatusPending, Attempt: 1,
			ContactID: &tn.conv.ContactID, CreatedAt: now, UpdatedAt: now}
		msgs[i].WorkspaceID = tn.ws.ID
	}
	for i := 0; i < n; i += 500 {
		chunk := msgs[i:min(i+500, n)]
		if _, err := tn.e.ta.App.DB.NewInsert().Model(&chunk).Exec(context.Background()); err != nil {
			t.Fatalf("store messages: %v", err)
		}
	}
	return msgs
}

// enqueueAll enqueues the messages' sends, as a campaign's post does.
func enqueueAll(t testing.TB, e *env, msgs []messaging.Message) {
	t.Helper()
	if err := e.p.Enqueuer.SendAll(context.Background(), msgs); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

// countStatus counts the tenant's outbound messages in status.
func countStatus(t testing.TB, tn *tenant, statuses ...string) int {
	t.Helper()
	n, err := tn.sc.Select((*messaging.Message)(nil)).Where("m.direction = ? AND m.status IN (?)", messaging.DirectionOut, bun.List(statuses)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFairness checks the queue routing, not a speed: workspace A's campaign of 3,000
// sends must not hold up workspace B's single message. Beyond its fair share A's sends
// go to the bulk queue, so B's lands in the sends queue behind at most FairShare of
// A's; were they all in one queue, B would wait for most of A's campaign.
func TestFairness(t *testing.T) {
	if testing.Short() {
		t.Skip("enqueues 3,000 sends; skipped with -short")
	}
	e, a, b := campaignTenants(t)
	msgs := storeMessages(t, a, campaign, func(i int) string { return fmt.Sprintf("campaign %d", i) })
	enqueueAll(t, e, msgs)
	start := time.Now()
	m := b.text(t, "a reply")
	sentAhead(t, a, b, m.ID, start, "after it was posted")
}

// campaign is how many sends workspace A's campaign has in the fairness tests.
const campaign = 3000

// campaignTenants are the fairness tests' workspaces, A with credit for its campaign,
// B with a little, on a worker of 8.
func campaignTenants(t *testing.T) (*env, *tenant, *tenant) {
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine(), concurrency: 8})
	a := e.tenant(t, "loopback", loopback.Config{DelayMS: 2, Statuses: []string{"sent"}}, campaign+10)
	b := e.tenant(t, "loopback", loopback.Config{DelayMS: 2, Statuses: []string{"sent"}}, 10)
	return e, a, b
}

// sentAhead waits for B's message to be sent and checks it went out while most of A's
// campaign still waited: without the fair share it would have waited for all of it.
// How long it took depends on the box, so it is reported, not asserted.
func sentAhead(t *testing.T, a, b *tenant, id string, since time.Time, what string) {
	t.Helper()
	b.wait(t, id, 30*time.Second, "sent", func(m messaging.Message) bool { return m.Status == messaging.StatusSent })
	latency := time.Since(since)
	left := campaign - countStatus(t, a, messaging.StatusSent, messaging.StatusFailed)
	t.Logf("B's message sent %s %s; %d of A's %d sends still waiting", latency.Round(time.Millisecond), what, left, campaign)
	if left <= campaign/2 {
		t.Errorf("only %d of A's %d sends were left when B's went: B's waited behind A's campaign (or the worker outran the test)", left, campaign)
	}
}

// SendAll counts a campaign's sends into its workspace's backlog at once and routes
// each like Send would: the first FairShare to the sends queue, the rest to bulk, a
// scheduled one to the scheduled queue, off the backlog. Enqueued again into the queue it
// waits in, a send changes nothing: no second task, and no count left behind. (A task
// id is unique within its queue: the sweep looks for a waiting task in every queue
// before it enqueues a send again.)
func TestSendAllSharesFairly(t *testing.T) {
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine(), noWorker: true})
	a := e.tenant(t, "loopback", loopback.Config{Statuses: []string{"sent"}}, 1000)
	b := e.tenant(t, "loopback", loopback.Config{Statuses: []string{"sent"}}, 1000)
	ctx := context.Background()
	const over = 50
	msgs := storeMessages(t, a, pipeline.FairShare+over, func(i int) string { return fmt.Sprintf("campaign %d", i) })
	msgs = append(msgs, storeMessages(t, b, 3, func(i int) string { return fmt.Sprintf("reply %d", i) })...)
	later := storeMessages(t, a, 1, func(int) string { return "later" })[0]
	at := time.Now().Add(time.Hour)
	later.Status, later.ScheduledAt = messaging.StatusScheduled, &at
	msgs = append(msgs, later)

	inspector := asynq.NewInspector(e.ta.App.Queue.Conn)
	defer inspector.Close()
	check := func(when string) {
		t.Helper()
		want := map[string]int{jobs.QueueSends: pipeline.FairShare + 3, jobs.QueueBulk: over, jobs.QueueScheduled: 1}
		for queue, n := range want {
			info, err := inspector.GetQueueInfo(queue)
			if err != nil {
				t.Fatalf("%s: queue %s: %v", when, queue, err)
			}
			if info.Size != n {
				t.Errorf("%s: queue %s holds %d tasks, want %d", when, queue, info.Size, n)
			}
		}
		for tn, n := range map[*tenant]int64{a: pipeline.FairShare + over, b: 3} {
			got, err := e.ta.App.Queue.Redis.Get(ctx, pipeline.BacklogKey(tn.ws.ID)).Int64()
			if err != nil || got != n {
				t.Errorf("%s: backlog of %s is %d (%v), want %d", when, tn.ws.ID, got, err, n)
			}
		}
	}
	if err := e.p.Enqueuer.SendAll(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	check("enqueued")
	if err := e.p.Enqueuer.SendAll(ctx, msgs[pipeline.FairShare:]); err != nil { // A's in bulk, B's, the scheduled one
		t.Fatalf("enqueued again: %v", err)
	}
	check("enqueued again")
}

// schedule stores n messages of the tenant scheduled for at.
func schedule(t testing.TB, tn *tenant, n int, at time.Time, text func(i int) string) []messaging.Message {
	t.Helper()
	msgs := storeMessages(t, tn, n, text)
	ids := make([]string, n)
	for i := range msgs {
		msgs[i].Status, msgs[i].ScheduledAt = messaging.StatusScheduled, &at
		ids[i] = msgs[i].ID
	}
	if _, err := tn.sc.Update((*messaging.Message)(nil)).Set("status = ?", messaging.StatusScheduled).Set("scheduled_at = ?", at).
		Where("m.id IN (?)", bun.List(ids)).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return msgs
}

// TestScheduledFairness is TestFairness for sends that wait for a time: workspace A's
// campaign of 3,000 sends and workspace B's single message, all scheduled for the same
// second, B's last. Beyond its fair share of the sends due in a minute, A's wait in
// the bulk queue, so when the second comes B's is behind at most FairShare of A's;
// were they all in the scheduled queue, B's would go out after A's whole campaign.
func TestScheduledFairness(t *testing.T) {
	if testing.Short() {
		t.Skip("schedules 3,000 sends; skipped with -short")
	}
	e, a, b := campaignTenants(t)
	// Far enough ahead that scheduling 3,000 sends is done before their time also on a
	// box busy with other packages' tests (3 s was not, under make test's load).
	at := time.Now().Add(8 * time.Second).Truncate(time.Second)
	msgs := schedule(t, a, campaign, at, func(i int) string { return fmt.Sprintf("campaign %d", i) })
	msgs = append(msgs, schedule(t, b, 1, at, func(int) string { return "a reminder" })...)
	enqueueAll(t, e, msgs)
	if time.Now().After(at) {
		t.Fatalf("scheduling took past the time the sends were scheduled for (%s)", at.Format(time.RFC3339))
	}
	sentAhead(t, a, b, msgs[campaign].ID, at, "after its time")
	// Every one of A's goes out in the end. The backlog of sends due now (see
	// TestSendAllSharesFairly) never counted them, so their sends take nothing off it.
	deadline := time.Now().Add(time.Minute)
	for countStatus(t, a, messaging.StatusSent) < campaign {
		if time.Now().After(deadline) {
			t.Fatalf("%d of A's %d scheduled sends went out in a minute", countStatus(t, a, messaging.StatusSent), campaign)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, err := e.ta.App.Queue.Redis.Exists(context.Background(), pipeline.BacklogKey(a.ws.ID)).Result(); err != nil || n != 0 {
		t.Errorf("A's backlog count exists (%d, %v) after only scheduled sends: they were taken off a count they were never on", n, err)
	}
}

// A scheduled send beyond its workspace's share of the minute waits in the bulk
// queue; it is cancelled and sent now there like any other.
func TestScheduledBeyondShare(t *testing.T) {
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine()})
	tn := e.tenant(t, "loopback", loopback.Config{Statuses: []string{"sent"}}, 10)
	ctx := context.Background()
	later := time.Now().Add(time.Hour)
	msgs := schedule(t, tn, pipeline.FairShare+2, later, func(i int) string { return fmt.Sprintf("reminder %d", i) })
	enqueueAll(t, e, msgs)
	for i, m := range msgs {
		queue := jobs.QueueScheduled
		if i >= pipeline.FairShare {
			queue = jobs.QueueBulk
		}
		info, err := e.insp.GetTaskInfo(queue, fmt.Sprintf("send:%s:%d", m.ID, m.Attempt))
		if err != nil || info.State != asynq.TaskStateScheduled {
			t.Fatalf("send %d: in %s: %v %v, want a task waiting for its time", i, queue, info, err)
		}
	}

	now, never := msgs[pipeline.FairShare], msgs[pipeline.FairShare+1]
	if _, err := e.p.SendNow(ctx, tn.sc, now.ID); err != nil {
		t.Fatal(err)
	}
	tn.waitStatus(t, now.ID, messaging.StatusSent)
	if _, err := e.p.Cancel(ctx, tn.sc, never.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.insp.GetTaskInfo(jobs.QueueBulk, fmt.Sprintf("send:%s:%d", never.ID, never.Attempt)); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Fatalf("the cancelled message's task is still in the bulk queue: %v", err)
	}
	if got := tn.msg(t, never.ID); got.Status != messaging.StatusCancelled {
		t.Fatalf("cancelled message is %q", got.Status)
	}
	tn.expectLedger(t, now.ID, 1, 0)
	tn.expectLedger(t, never.ID, 0, 0)

	// Both left the minute, and so did one more cancelled within the share: the
	// count is FairShare-1, and the next send scheduled for that minute is within the
	// share again. Had they stayed counted, it would wait in the bulk queue.
	if _, err := e.p.Cancel(ctx, tn.sc, msgs[0].ID); err != nil {
		t.Fatal(err)
	}
	key := pipeline.ScheduledKey(tn.ws.ID, later)
	if n, err := e.ta.App.Queue.Redis.Get(ctx, key).Int(); err != nil || n != pipeline.FairShare-1 {
		t.Fatalf("the minute's count is %d (%v), want %d once three of its sends left it", n, err, pipeline.FairShare-1)
	}
	next := schedule(t, tn, 1, later, func(int) string { return "one more reminder" })[0]
	enqueueAll(t, e, []messaging.Message{next})
	if _, err := e.insp.GetTaskInfo(jobs.QueueScheduled, fmt.Sprintf("send:%s:%d", next.ID, next.Attempt)); err != nil {
		t.Fatalf("a send scheduled after three left the minute is not in the scheduled queue: %v", err)
	}
}

// TestInboundFairness is TestFairness for what providers send us: workspace A gets
// 1,200 webhooks (a campaign's replies, or its status callbacks), then workspace B
// one customer's message. Beyond its fair share A's wait in the bulk queue, so B's
// message reaches its inbox behind at most FairShare of A's in the inbound queue;
// were they all there, B's customer would wait for every one of A's.
func TestInboundFairness(t *testing.T) {
	if testing.Short() {
		t.Skip("delivers 1,200 webhooks; skipped with -short")
	}
	const flood = 1200
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine(), noWorker: true})
	a := e.tenant(t, "loopback", loopback.Config{}, 10)
	b := e.tenant(t, "loopback", loopback.Config{}, 10)
	for i := range flood {
		a.hook(t, a.signed(t, loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: fmt.Sprintf("flood-%d", i),
			From: fmt.Sprintf("+4477%08d", i), To: a.conn.Address, Text: "YES", Timestamp: time.Now().UTC()}))
	}
	e.startWorker(8)
	b.hook(t, b.signed(t, loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: "single", From: "+447700900123",
		To: b.conn.Address, Text: "Hello, is my order on its way?", Timestamp: time.Now().UTC()}))
	posted := time.Now()
	for {
		n, err := b.sc.Select((*messaging.Message)(nil)).Where("m.direction = ?", messaging.DirectionIn).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Since(posted) > 30*time.Second {
			t.Fatal("B's customer's message did not arrive in 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	latency := time.Since(posted)
	left, err := a.sc.Select((*connections.StoredEvent)(nil)).Where("ce.processed_at IS NULL").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// How long B waited depends on the box (about 1.5 s alone, 4 to 6 s under make
	// test's load with a flood of 600), so it is reported, not asserted. What the
	// design promises is asserted: B waits behind at most A's fair share in its queue
	// (FairShare), not behind A's whole flood, which without the share it would (B's
	// webhook came last, so none of A's would be left). The bulk queue's dequeuers
	// work on A's beyond the share meanwhile, and most dequeuers turn to bulk when
	// their own queue is empty, so many of A's are applied too: a flood of 1,200 keeps
	// a margin (with 600, as few as 25 were left under load).
	t.Logf("B's customer's message arrived %s after its webhook; %d of A's %d still waiting", latency.Round(time.Millisecond), left, flood)
	if left < flood/4 {
		t.Errorf("only %d of A's %d webhooks were left when B's message arrived: it waited behind A's", left, flood)
	}
	// A's are all applied in the end, and each was taken off the count it was on.
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := a.sc.Select((*connections.StoredEvent)(nil)).Where("ce.processed_at IS NULL").Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of A's %d webhooks still not applied after a minute", n, flood)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitBacklog(t, e, pipeline.InboundBacklogKey(a.ws.ID), 0)
}
