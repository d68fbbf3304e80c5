package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// sweepRedisDB is the Redis database of the sweep test on the shared test server: its
// worker consumes every queue, so it must not share a database with other packages'
// tests (the jobs tests use 15, the demo simulator test 13).
const sweepRedisDB = "12"

// workerRedisURL is the test Redis on db, flushed; "" (embedded Redis, private to the
// app) when no test Redis is configured.
func workerRedisURL(t *testing.T, db string) string {
	t.Helper()
	raw := os.Getenv(testapp.EnvRedis)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// waitFor fails t unless cond holds within timeout, checking every 25 ms.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestSweep: a pending message whose enqueue was lost is sent after a sweep, and a
// stored event whose inbound task was lost is processed; fresh work is left alone and
// a second sweep finds nothing.
func TestSweep(t *testing.T) {
	redisURL := workerRedisURL(t, sweepRedisDB)
	ta := testapp.New(t,
		testapp.WithPlugins(connections.StaticPlugins{"loopback": loopback.New()}),
		testapp.WithConfig(func(c *config.Config) { c.RedisURL = redisURL }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := ta.App
	owner := ta.NewWorkspace("Sweep")
	ws := owner.Workspace
	sc := tenants.Scope(a.DB, ws.ID)
	if _, err := a.Ledger.Move(ctx, ws.ID, billing.Movement{Kind: billing.Grant, Amount: 100, Key: "test:grant", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	conn, err := a.Connections.Create(ctx, sc, connections.NewConnection{PluginID: "loopback", Engine: loopback.Engine,
		DisplayName: "Line", Address: "+15550101", Config: loopback.Config{WebhookSecret: "secret"}.JSON()})
	if err != nil {
		t.Fatal(err)
	}
	contact, err := messaging.ContactByAddress(ctx, sc, conn.Kind, "+15550102", "Sam")
	if err != nil {
		t.Fatal(err)
	}
	conv, err := messaging.NewConversation(ctx, sc, messaging.KindChat, conn.ID, contact, "")
	if err != nil {
		t.Fatal(err)
	}
	// Stored but never queued: what Post leaves behind when the enqueue fails.
	pending := func(body string, age time.Duration) messaging.Message {
		m := messaging.Message{ConversationID: conv.ID, ConnectionID: conn.ID, Direction: messaging.DirectionOut,
			Type: "text", Body: body, Status: messaging.StatusPending}
		if err := messaging.Insert(ctx, sc, &m, "api"); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Update((*messaging.Message)(nil)).Set("updated_at = ?", time.Now().UTC().Add(-age)).
			Where("m.id = ?", m.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		return m
	}
	stuck := pending("lost on the way", 2*time.Minute)
	fresh := pending("just written", 0)
	// Charged and marked queued, then its task vanished with the Redis that held it.
	charged := pending("charged, task lost", 2*time.Minute)
	if _, err := a.Ledger.Charge(ctx, ws.ID, 1, charged.ChargeKey(), "message:"+charged.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Update((*messaging.Message)(nil)).Set("status = ?", messaging.StatusQueued).
		Where("m.id = ?", charged.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}

	// Charged, its task out of retries without its failure stored (the database was
	// down each time): archived.
	gaveUp := pending("retries spent", 2*time.Minute)
	if _, err := a.Ledger.Charge(ctx, ws.ID, 1, gaveUp.ChargeKey(), "message:"+gaveUp.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.Pipeline.Enqueuer.Send(ctx, gaveUp); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(a.Queue.Conn)
	if err := insp.ArchiveTask(jobs.QueueSends, fmt.Sprintf("send:%s:%d", gaveUp.ID, gaveUp.Attempt)); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Update((*messaging.Message)(nil)).Set("updated_at = ?", time.Now().UTC().Add(-2*time.Minute)).
		Where("m.id = ?", gaveUp.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}

	// Failed, its charge still held: the refund after the failure failed on every
	// try, so its task was archived with the credit out.
	refundLost := pending("refund failed each time", 2*time.Minute)
	if _, err := a.Ledger.Charge(ctx, ws.ID, 1, refundLost.ChargeKey(), "message:"+refundLost.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.Pipeline.Enqueuer.Send(ctx, refundLost); err != nil {
		t.Fatal(err)
	}
	if err := insp.ArchiveTask(jobs.QueueSends, fmt.Sprintf("send:%s:%d", refundLost.ID, refundLost.Attempt)); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Update((*messaging.Message)(nil)).Set("status = ?", messaging.StatusFailed).Set("reason = ?", "Refused by the provider").
		Where("m.id = ?", refundLost.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}

	// A webhook event stored, its inbound task lost.
	storeEvent := func(pid string, age time.Duration) string {
		e := sdk.Event{Type: sdk.EventMessage, Message: &sdk.InboundMessage{ProviderMessageID: pid, From: "+15550103",
			To: conn.Address, Type: "text", Text: "hello from " + pid, Timestamp: time.Now().UTC().Add(-age)}}
		payload, _ := json.Marshal(e)
		row := connections.StoredEvent{ID: storage.NewID(), ConnectionID: conn.ID, Type: e.Type, DedupKey: connections.DedupKey(e),
			Payload: payload, ReceivedAt: time.Now().UTC().Add(-age)}
		if _, err := sc.Insert(&row).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		return row.ID
	}
	oldEvent := storeEvent("lb-old", 2*time.Minute)
	newEvent := storeEvent("lb-new", 0)

	w, err := a.Worker(2)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	// A file uploaded two days ago that no message took, and one just uploaded.
	stale, err := media.Save(ctx, sc, media.Upload{Filename: "old.pdf", Body: strings.NewReader("%PDF-1.4 old")}, time.Now().Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := media.Save(ctx, sc, media.Upload{Filename: "new.pdf", Body: strings.NewReader("%PDF-1.4 new")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	// Sends of deleted conversations: one past the time a failure can still come, one not.
	for pid, age := range map[string]time.Duration{"lb-gone-old": messaging.DeletedSendsKept + time.Hour, "lb-gone-new": time.Hour} {
		d := messaging.DeletedSend{ConnectionID: conn.ID, ProviderMessageID: pid, ChargeKey: "message:x:1", DeletedAt: time.Now().UTC().Add(-age)}
		if _, err := sc.Insert(&d).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// A ticket waiting in a queue whose rules (stored without a pass) hand it out.
	customer, err := messaging.ContactByAddress(ctx, sc, conn.Kind, "+15550900001", "")
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := messaging.NewConversation(ctx, sc, messaging.KindTicket, conn.ID, customer, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := messaging.SetAssignment(ctx, sc, messaging.AssignmentSettings{Mode: messaging.AssignMember, AssigneeID: &owner.User.ID}, tenants.HoldsTickets); err != nil {
		t.Fatal(err)
	}

	// A ticket no one wrote in for three hours, in a workspace resolving them after
	// one.
	quiet, err := messaging.ContactByAddress(ctx, sc, conn.Kind, "+15550900002", "")
	if err != nil {
		t.Fatal(err)
	}
	idle, err := messaging.NewConversation(ctx, sc, messaging.KindTicket, conn.ID, quiet, "")
	if err != nil {
		t.Fatal(err)
	}
	longAgo := time.Now().UTC().Add(-3 * time.Hour)
	if _, err := sc.Update((*messaging.Conversation)(nil)).Set("state = ?", messaging.StateActive).Set("assignee_id = ?", owner.User.ID).
		Set("last_activity_at = ?", longAgo).Set("state_changed_at = ?", longAgo).Where("cv.id = ?", idle.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := messaging.SetAutoClose(ctx, sc, messaging.AutoClose{ResolveAfterMinutes: 60}); err != nil {
		t.Fatal(err)
	}

	res, err := a.Pipeline.Sweep(ctx, pipeline.SweepAge)
	if err != nil {
		t.Fatal(err)
	}
	// The waiting ticket was old but just handed over: not idle.
	if got, err := messaging.GetConversation(ctx, sc, waiting.ID); err != nil || res.Assigned != 1 || got.AssigneeID == nil || *got.AssigneeID != owner.User.ID || got.State != messaging.StateActive {
		t.Errorf("after the sweep (%d assigned) the waiting ticket is %s, held by %v (%v), want active with the rules' member", res.Assigned, got.State, got.AssigneeID, err)
	}
	if got, err := messaging.GetConversation(ctx, sc, idle.ID); err != nil || res.Closed != 1 || got.State != messaging.StateResolved {
		t.Errorf("after the sweep (%d closed) the idle ticket is %s (%v), want resolved", res.Closed, got.State, err)
	}
	var notes []messaging.Message
	if err := sc.Select(&notes).Where("m.conversation_id = ? AND m.direction = ?", idle.ID, messaging.DirectionNote).Scan(ctx); err != nil ||
		len(notes) != 1 || notes[0].Body != "Resolved automatically after 1 hour without a message." || notes[0].AuthorID != nil {
		t.Errorf("notes of the resolved ticket: %+v (%v), want the rules' one, by no one", notes, err)
	}
	for pid, want := range map[string]bool{"lb-gone-old": false, "lb-gone-new": true} {
		if _, found, err := messaging.DeletedSendOf(ctx, sc, conn.ID, pid); err != nil || found != want {
			t.Errorf("deleted send %s kept %v (%v), want %v", pid, found, err, want)
		}
	}
	if res.Messages != 2 || res.Events != 1 || res.Failed != 1 || res.Refunded != 1 || res.Files != 1 || res.Workspaces < 1 {
		t.Fatalf("sweep result %+v, want 2 messages and 1 event queued, 1 send failed, 1 refunded, 1 file removed", res)
	}
	if _, err := media.Get(ctx, sc, stale.ID); err == nil {
		t.Error("the unsent upload of two days ago is still kept")
	}
	if _, err := media.Get(ctx, sc, kept.ID); err != nil {
		t.Errorf("the fresh upload: %v", err)
	}

	status := func(id string) string {
		m, err := messaging.GetMessage(ctx, sc, id)
		if err != nil {
			t.Fatal(err)
		}
		return m.Status
	}
	waitFor(t, 15*time.Second, "the stuck message to be sent", func() bool { return status(stuck.ID) == messaging.StatusSent })
	waitFor(t, 15*time.Second, "the charged message to be sent", func() bool { return status(charged.ID) == messaging.StatusSent })
	// Charged once, whatever the number of runs: 100 granted, two sent; the one given
	// up on, and the one whose refund was lost, failed with their credit back.
	if w, err := billing.WalletOf(ctx, sc); err != nil || w.Balance != 98 {
		t.Fatalf("wallet %+v (%v), want 98", w, err)
	}
	if m, err := messaging.GetMessage(ctx, sc, gaveUp.ID); err != nil || m.Status != messaging.StatusFailed || !strings.Contains(m.Reason, "credit is back") {
		t.Fatalf("send whose retries ran out: %q %q (%v), want failed with its reason", m.Status, m.Reason, err)
	}
	processed := func(id string) bool {
		ok, err := sc.Select((*connections.StoredEvent)(nil)).Where("ce.id = ? AND ce.processed_at IS NOT NULL", id).Exists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	waitFor(t, 15*time.Second, "the stored event to be processed", func() bool { return processed(oldEvent) })
	var in messaging.Message
	if err := sc.Select(&in).Where("m.direction = ? AND m.provider_message_id = ?", messaging.DirectionIn, "lb-old").Scan(ctx); err != nil {
		t.Fatalf("inbound message of the swept event: %v", err)
	}
	if in.Body != "hello from lb-old" {
		t.Fatalf("inbound body %q", in.Body)
	}

	// Fresh work is the normal path's: the sweep left it alone.
	if s := status(fresh.ID); s != messaging.StatusPending {
		t.Fatalf("fresh message status %q, want pending", s)
	}
	if processed(newEvent) {
		t.Fatal("the fresh event was processed by the sweep")
	}

	// Nothing old is left, so a second sweep queues nothing.
	res, err = a.Pipeline.Sweep(ctx, pipeline.SweepAge)
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 0 || res.Events != 0 || res.Refunded != 0 || res.Files != 0 || res.Assigned != 0 || res.Closed != 0 {
		t.Fatalf("second sweep result %+v, want nothing queued, refunded or removed", res)
	}
	// Both archived tasks are settled now (the one given up on by the first run's
	// failure), so none is left for an operator.
	if archived, err := insp.ListArchivedTasks(jobs.QueueSends); err != nil || len(archived) != 0 {
		t.Fatalf("archived send tasks after two sweeps: %d (%v), want none", len(archived), err)
	}
	if w, err := billing.WalletOf(ctx, sc); err != nil || w.Balance != 98 {
		t.Fatalf("wallet after two sweeps %+v (%v), want 98", w, err)
	}
}
