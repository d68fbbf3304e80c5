package messaging_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// batchFixture is a workspace with a connection, for the batch tests.
type batchFixture struct {
	t    *testing.T
	ta   *testapp.TestApp
	sc   tenants.Scoped
	conn connections.Connection
	seq  *atomic.Int64
}

func newBatchFixture(t *testing.T, ta *testapp.TestApp, name string, seq *atomic.Int64) *batchFixture {
	t.Helper()
	ws := ta.NewWorkspace(name).Workspace
	f := &batchFixture{t: t, ta: ta, sc: tenants.Scope(ta.App.DB, ws.ID), seq: seq}
	f.conn = f.connection()
	return f
}

func (f *batchFixture) connection() connections.Connection {
	f.t.Helper()
	return addConnection(f.t, f.ta.Ctx(), f.sc, fmt.Sprintf("+1555030%04d", f.seq.Add(1)))
}

// conversation opens a campaign conversation with a new contact on the fixture's
// connection.
func (f *batchFixture) conversation() (messaging.Conversation, messaging.Contact) {
	f.t.Helper()
	ctx := f.ta.Ctx()
	contact, err := messaging.ContactByAddress(ctx, f.sc, "sms", fmt.Sprintf("+1555040%04d", f.seq.Add(1)), "")
	if err != nil {
		f.t.Fatal(err)
	}
	conv, err := messaging.NewConversation(ctx, f.sc, messaging.KindCampaign, f.conn.ID, contact, "")
	if err != nil {
		f.t.Fatal(err)
	}
	return conv, contact
}

// message stores an outbound message with status in a new conversation, sent over
// conn (the fixture's connection when empty).
func (f *batchFixture) message(status string, conn string) *messaging.Message {
	f.t.Helper()
	conv, _ := f.conversation()
	if conn == "" {
		conn = f.conn.ID
	}
	m := &messaging.Message{ConversationID: conv.ID, ConnectionID: conn, Direction: messaging.DirectionOut,
		Type: "text", Body: fmt.Sprintf("batch message %d", f.seq.Add(1)), Status: status}
	if err := messaging.Insert(f.ta.Ctx(), f.sc, m, "api"); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// stored reloads a message through the fixture's workspace.
func (f *batchFixture) stored(id string) messaging.Message {
	f.t.Helper()
	m, err := messaging.GetMessage(f.ta.Ctx(), f.sc, id)
	if err != nil {
		f.t.Fatalf("reload %s: %v", id, err)
	}
	return m
}

// timeline is the message's timeline as status/source pairs.
func (f *batchFixture) timeline(id string) []string {
	f.t.Helper()
	evs, err := messaging.Timeline(f.ta.Ctx(), f.sc, id)
	if err != nil {
		f.t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Status + "/" + e.Source
		if e.WorkspaceID != f.sc.WorkspaceID() {
			f.t.Errorf("event %+v in workspace %s", e, e.WorkspaceID)
		}
	}
	return out
}

func forBatchEngine(t *testing.T, f func(t *testing.T, ta *testapp.TestApp)) {
	t.Helper()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f(t, testapp.New(t, testapp.OnEngine(engine)))
		})
	}
}

// TestGetOutgoingMany: several messages with their contact (every field the send
// checks), their place in the conversation (the 24-hour window) and connection, two
// connections among them; unknown ids and another workspace's messages are absent.
func TestGetOutgoingMany(t *testing.T) {
	t.Parallel()
	forBatchEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		var seq atomic.Int64
		a, b := newBatchFixture(t, ta, "Outgoing A", &seq), newBatchFixture(t, ta, "Outgoing B", &seq)
		type want struct {
			m       *messaging.Message
			conv    messaging.Conversation
			contact messaging.Contact
			conn    *connections.Connection // nil when the connection is gone
			inbound *time.Time              // the recipient's last inbound message
		}
		lastInbound := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
		wants := map[string]want{}
		second := a.connection()
		for i := range 4 {
			conv, contact := a.conversation()
			conn := &a.conn
			if i%2 == 1 {
				conn = &second
			}
			var inbound *time.Time
			if i == 0 { // opted out, consenting, with attributes, and inside the window
				contact.Attributes, contact.OptedOut, contact.WhatsAppConsent = map[string]string{"plan": "gold"}, true, true
				if _, err := a.sc.Update(&contact).Column("attributes", "opted_out", "whatsapp_consent").WherePK().Exec(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := a.sc.Update((*messaging.Recipient)(nil)).Set("last_inbound_at = ?", lastInbound).
					Where("cr.conversation_id = ? AND cr.contact_id = ?", conv.ID, contact.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				inbound = &lastInbound
			}
			m := &messaging.Message{ConversationID: conv.ID, ConnectionID: conn.ID, Direction: messaging.DirectionOut,
				Type: "text", Body: fmt.Sprintf("outgoing %d", i), Status: messaging.StatusPending}
			if err := messaging.Insert(ctx, a.sc, m, "api"); err != nil {
				t.Fatal(err)
			}
			wants[m.ID] = want{m, conv, contact, conn, inbound}
		}
		// A message whose connection was removed since: loaded with no connection.
		gone := a.connection()
		conv, contact := a.conversation()
		orphan := &messaging.Message{ConversationID: conv.ID, ConnectionID: gone.ID, Direction: messaging.DirectionOut,
			Type: "text", Body: "orphan", Status: messaging.StatusQueued}
		if err := messaging.Insert(ctx, a.sc, orphan, "api"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.sc.Delete((*connections.Connection)(nil)).Where("c.id = ?", gone.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		wants[orphan.ID] = want{orphan, conv, contact, nil, nil}
		foreign := b.message(messaging.StatusPending, "")

		var ids []string
		for id := range wants {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		// Unknown and foreign ids among them, and one id twice.
		ids = append([]string{storage.NewID(), foreign.ID}, ids...)
		ids = append(ids, ids[2], "", "NULL")

		for round := range 2 { // the second on the statement kept prepared
			got, err := messaging.GetOutgoingMany(ctx, a.sc, ids)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if len(got) != len(wants) {
				t.Errorf("round %d: %d messages, want %d: %v", round, len(got), len(wants), keys(got))
			}
			for id, w := range wants {
				o, ok := got[id]
				if !ok {
					t.Errorf("round %d: message %s missing", round, id)
					continue
				}
				if o.Message.ID != id || o.Message.Body != w.m.Body || o.Message.Status != w.m.Status ||
					o.Message.ConversationID != w.conv.ID || o.Message.WorkspaceID != a.sc.WorkspaceID() {
					t.Errorf("round %d: message %+v, want %+v", round, o.Message, *w.m)
				}
				if o.Contact.ID != w.contact.ID || o.Contact.Phone != w.contact.Phone || o.Contact.WorkspaceID != a.sc.WorkspaceID() ||
					!maps.Equal(o.Contact.Attributes, w.contact.Attributes) || o.Contact.OptedOut != w.contact.OptedOut ||
					o.Contact.WhatsAppConsent != w.contact.WhatsAppConsent || o.Contact.CreatedAt.IsZero() {
					t.Errorf("round %d: contact %+v, want %+v", round, o.Contact, w.contact)
				}
				if r := o.Recipient; r.ConversationID != w.conv.ID || r.ContactID != w.contact.ID || r.WorkspaceID != a.sc.WorkspaceID() ||
					(r.LastInboundAt == nil) != (w.inbound == nil) || (r.LastInboundAt != nil && !r.LastInboundAt.Equal(*w.inbound)) {
					t.Errorf("round %d: recipient %+v, want conversation %s, contact %s, last inbound %v", round, r, w.conv.ID, w.contact.ID, w.inbound)
				}
				switch {
				case w.conn == nil && o.Connection != nil:
					t.Errorf("round %d: %s: the removed connection came back: %+v", round, id, *o.Connection)
				case w.conn != nil && (o.Connection == nil || o.Connection.ID != w.conn.ID || o.Connection.Address != w.conn.Address ||
					o.Connection.WorkspaceID != a.sc.WorkspaceID()):
					t.Errorf("round %d: %s: connection %+v, want %+v", round, id, o.Connection, *w.conn)
				}
				// GetOutgoing, one by one, loads the same.
				one, err := messaging.GetOutgoing(ctx, a.sc, id)
				if err != nil || one.Message.ID != o.Message.ID || one.Contact.ID != o.Contact.ID ||
					(one.Connection == nil) != (o.Connection == nil) || (one.Connection != nil && one.Connection.ID != o.Connection.ID) {
					t.Errorf("round %d: GetOutgoing(%s) = %+v, %v; GetOutgoingMany had %+v", round, id, one, err, o)
				}
			}
		}

		// The other workspace sees only its own message.
		got, err := messaging.GetOutgoingMany(ctx, b.sc, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[foreign.ID].Message.ID != foreign.ID || got[foreign.ID].Connection == nil {
			t.Errorf("B's scope: %v", keys(got))
		}
		for name, none := range map[string][]string{"nil": nil, "empty": {}, "unknown": {storage.NewID()}, "foreign": {foreign.ID}} {
			got, err := messaging.GetOutgoingMany(ctx, a.sc, none)
			if err != nil || len(got) != 0 {
				t.Errorf("%s ids: %v, %v", name, keys(got), err)
			}
		}
	})
}

func keys(m map[string]*messaging.Outgoing) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestApplyMany: a batch of moves ends as the same moves through Apply would: the
// rows, their timelines and the Message structs.
func TestApplyMany(t *testing.T) {
	t.Parallel()
	forBatchEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		var seq atomic.Int64
		f := newBatchFixture(t, ta, "Apply many", &seq)
		// Microseconds: what both engines keep of a time.
		at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Minute)

		applyMany := func(moves []messaging.Move) []bool {
			t.Helper()
			res := messaging.ApplyMany(ctx, f.sc, moves)
			if len(res) != len(moves) {
				t.Fatalf("ApplyMany reported %d results for %d moves", len(res), len(moves))
			}
			changed := make([]bool, len(res))
			for i, r := range res {
				if r.Err != nil {
					t.Fatalf("ApplyMany: move %d: %v", i, r.Err)
				}
				changed[i] = r.Changed
			}
			return changed
		}
		expectTimeline := func(what string, m *messaging.Message, want ...string) {
			t.Helper()
			if got := f.timeline(m.ID); !slices.Equal(got, want) {
				t.Errorf("%s: timeline of %s = %q, want %q", what, m.ID, got, want)
			}
		}

		t.Run("pending to queued to sent", func(t *testing.T) {
			ms := []*messaging.Message{f.message(messaging.StatusPending, ""), f.message(messaging.StatusPending, ""), f.message(messaging.StatusPending, "")}
			bystander := f.message(messaging.StatusPending, "")
			before := f.stored(bystander.ID)

			var moves []messaging.Move
			for i, m := range ms {
				moves = append(moves, messaging.Move{Message: m, Change: messaging.Change{Status: messaging.StatusQueued, Source: "worker",
					At: at, Credits: i + 2}})
			}
			if got := applyMany(moves); !slices.Equal(got, []bool{true, true, true}) {
				t.Errorf("to queued: changed %v", got)
			}
			for i, m := range ms {
				if m.Status != messaging.StatusQueued || m.Credits != i+2 || m.SentAt != nil || m.ProviderMessageID != nil {
					t.Errorf("in memory after queued: %+v", *m)
				}
				s := f.stored(m.ID)
				if s.Status != messaging.StatusQueued || s.Credits != i+2 || s.SentAt != nil || s.ProviderMessageID != nil {
					t.Errorf("stored after queued: %+v", s)
				}
				expectTimeline("queued", m, "pending/api", "queued/worker")
			}

			moves = moves[:0]
			sentAt := at.Add(time.Second)
			for i, m := range ms {
				moves = append(moves, messaging.Move{Message: m, Change: messaging.Change{Status: messaging.StatusSent, Source: "worker",
					At: sentAt, ProviderMessageID: fmt.Sprintf("prov-%s-%d", m.ID, i)}})
			}
			if got := applyMany(moves); !slices.Equal(got, []bool{true, true, true}) {
				t.Errorf("to sent: changed %v", got)
			}
			for i, m := range ms {
				pid := fmt.Sprintf("prov-%s-%d", m.ID, i)
				if m.Status != messaging.StatusSent || m.Credits != i+2 || m.SentAt == nil || !m.SentAt.Equal(sentAt) ||
					m.ProviderMessageID == nil || *m.ProviderMessageID != pid {
					t.Errorf("in memory after sent: %+v", *m)
				}
				s := f.stored(m.ID)
				if s.Status != messaging.StatusSent || s.Credits != i+2 || s.SentAt == nil || !s.SentAt.Equal(sentAt) ||
					s.ProviderMessageID == nil || *s.ProviderMessageID != pid {
					t.Errorf("stored after sent: %+v (sent_at %v, want %v)", s, s.SentAt, sentAt)
				}
				if !s.UpdatedAt.After(s.CreatedAt) && !s.UpdatedAt.Equal(s.CreatedAt) {
					t.Errorf("updated_at %v before created_at %v", s.UpdatedAt, s.CreatedAt)
				}
				expectTimeline("sent", m, "pending/api", "queued/worker", "sent/worker")
				evs, err := messaging.Timeline(ctx, f.sc, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				if last := evs[len(evs)-1]; !last.At.Equal(sentAt) || last.MessageID != m.ID {
					t.Errorf("sent event %+v, want at %v", last, sentAt)
				}
				// The provider id finds it.
				if got, ok, err := messaging.ByProviderID(ctx, f.sc, f.conn.ID, pid); err != nil || !ok || got.ID != m.ID {
					t.Errorf("ByProviderID(%s) = %s, %v, %v", pid, got.ID, ok, err)
				}
			}
			// A later delivered keeps sent_at, credits and the provider id.
			delivered := make([]messaging.Move, len(ms))
			for i, m := range ms {
				delivered[i] = messaging.Move{Message: m, Change: messaging.Change{Status: messaging.StatusDelivered, Source: "provider", At: at.Add(time.Hour)}}
			}
			if got := applyMany(delivered); !slices.Equal(got, []bool{true, true, true}) {
				t.Errorf("to delivered: changed %v", got)
			}
			for i, m := range ms {
				s := f.stored(m.ID)
				if s.Status != messaging.StatusDelivered || s.Credits != i+2 || s.SentAt == nil || !s.SentAt.Equal(sentAt) ||
					s.ProviderMessageID == nil || *s.ProviderMessageID != fmt.Sprintf("prov-%s-%d", m.ID, i) {
					t.Errorf("stored after delivered: %+v", s)
				}
				expectTimeline("delivered", m, "pending/api", "queued/worker", "sent/worker", "delivered/provider")
			}
			if after := f.stored(bystander.ID); after.Status != before.Status || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("a message outside the batch changed: %+v", after)
			}
			expectTimeline("bystander", bystander, "pending/api")
		})

		t.Run("through queued in one write", func(t *testing.T) {
			viaAt, sentAt := at.Add(2*time.Second), at.Add(3*time.Second)
			through := func(m *messaging.Message, status string) messaging.Move {
				return messaging.Move{Message: m, Change: messaging.Change{Status: status, Source: "worker", At: sentAt,
					Credits: 3, Via: messaging.StatusQueued, ViaAt: viaAt}}
			}
			check := func(what string, m *messaging.Message, status string, queuedAt time.Time, timeline ...string) {
				t.Helper()
				if s := f.stored(m.ID); s.Status != status || s.Credits != 3 || m.Status != status || m.Credits != 3 {
					t.Errorf("%s: stored %+v, in memory %+v, want %s with 3 credits", what, s, *m, status)
				}
				expectTimeline(what, m, timeline...)
				evs, err := messaging.Timeline(ctx, f.sc, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range evs {
					if e.Status == messaging.StatusQueued && !e.At.Equal(queuedAt) {
						t.Errorf("%s: queued at %v, want %v", what, e.At, queuedAt)
					}
				}
			}
			// Batched: pending to sent, pending to failed, and one already queued
			// (a retry), which gets no second queued entry.
			toSent, toFailed, retried := f.message(messaging.StatusPending, ""), f.message(messaging.StatusPending, ""), f.message(messaging.StatusPending, "")
			if ok, err := messaging.Apply(ctx, f.sc, retried, messaging.Change{Status: messaging.StatusQueued, Source: "worker", At: at, Credits: 3}); err != nil || !ok {
				t.Fatalf("queue the retried one: %v, %v", ok, err)
			}
			failed := through(toFailed, messaging.StatusFailed)
			failed.Change.Reason = "rejected"
			if got := applyMany([]messaging.Move{through(toSent, messaging.StatusSent), failed, through(retried, messaging.StatusSent)}); !slices.Equal(got, []bool{true, true, true}) {
				t.Errorf("changed %v", got)
			}
			check("batched sent", toSent, messaging.StatusSent, viaAt, "pending/api", "queued/worker", "sent/worker")
			check("batched failed", toFailed, messaging.StatusFailed, viaAt, "pending/api", "queued/worker", "failed/worker")
			check("batched retry", retried, messaging.StatusSent, at, "pending/api", "queued/worker", "sent/worker")

			// One at a time (Apply), the same.
			one := f.message(messaging.StatusPending, "")
			if ok, err := messaging.Apply(ctx, f.sc, one, through(one, messaging.StatusSent).Change); err != nil || !ok {
				t.Fatalf("Apply: %v, %v", ok, err)
			}
			check("one sent", one, messaging.StatusSent, viaAt, "pending/api", "queued/worker", "sent/worker")

			// A step that is not on the way (queued is behind read) is not recorded.
			read := f.message(messaging.StatusSent, "")
			if ok, err := messaging.Apply(ctx, f.sc, read, messaging.Change{Status: messaging.StatusRead, Source: "provider", At: sentAt,
				Via: messaging.StatusQueued, ViaAt: viaAt}); err != nil || !ok {
				t.Fatalf("Apply read: %v, %v", ok, err)
			}
			if got := f.timeline(read.ID); slices.Contains(got, "queued/provider") {
				t.Errorf("a step behind the message was recorded: %q", got)
			}
		})

		t.Run("stale", func(t *testing.T) {
			stale1, stale2 := f.message(messaging.StatusPending, ""), f.message(messaging.StatusPending, "")
			fresh := f.message(messaging.StatusPending, "")
			// Moved to sent meanwhile by separate Applies, on copies.
			for _, m := range []*messaging.Message{stale1, stale2} {
				cp := *m
				for _, st := range []string{messaging.StatusQueued, messaging.StatusSent} {
					if ok, err := messaging.Apply(ctx, f.sc, &cp, messaging.Change{Status: st, Source: "worker", At: at}); err != nil || !ok {
						t.Fatalf("Apply %s: %v, %v", st, ok, err)
					}
				}
			}
			got := applyMany([]messaging.Move{
				{Message: stale1, Change: messaging.Change{Status: messaging.StatusQueued, Source: "worker", At: at, Credits: 5}},
				{Message: stale2, Change: messaging.Change{Status: messaging.StatusFailed, Reason: "boom", Source: "worker", At: at}},
				{Message: fresh, Change: messaging.Change{Status: messaging.StatusQueued, Source: "worker", At: at}},
			})
			if !slices.Equal(got, []bool{false, true, true}) {
				t.Errorf("changed %v, want [false true true]", got)
			}
			s1 := f.stored(stale1.ID)
			if s1.Status != messaging.StatusSent || s1.Credits != 0 || s1.SentAt == nil {
				t.Errorf("stale queued applied to a sent message: %+v", s1)
			}
			if stale1.Status != messaging.StatusSent {
				t.Errorf("the stale message was not reloaded: %+v", *stale1)
			}
			expectTimeline("stale queued", stale1, "pending/api", "queued/worker", "sent/worker")

			s2 := f.stored(stale2.ID)
			if s2.Status != messaging.StatusFailed || s2.Reason != "boom" || s2.SentAt == nil || !s2.SentAt.Equal(at) {
				t.Errorf("stale failed: %+v", s2)
			}
			if stale2.Status != messaging.StatusFailed || stale2.Reason != "boom" || stale2.SentAt == nil {
				t.Errorf("stale failed in memory: %+v", *stale2)
			}
			expectTimeline("stale failed", stale2, "pending/api", "queued/worker", "sent/worker", "failed/worker")

			if s := f.stored(fresh.ID); s.Status != messaging.StatusQueued || fresh.Status != messaging.StatusQueued {
				t.Errorf("fresh: stored %+v, in memory %+v", s, *fresh)
			}
			expectTimeline("fresh", fresh, "pending/api", "queued/worker")
		})

		t.Run("twice in one batch", func(t *testing.T) {
			same := f.message(messaging.StatusPending, "")
			copied := f.message(messaging.StatusPending, "")
			cp1, cp2 := *copied, *copied // two callers' own copies, as the pipeline makes
			onward := f.message(messaging.StatusPending, "")
			on1, on2 := *onward, *onward
			queued := messaging.Change{Status: messaging.StatusQueued, Source: "worker", At: at}
			got := applyMany([]messaging.Move{
				{Message: same, Change: queued},
				{Message: &cp1, Change: queued},
				{Message: same, Change: queued},
				{Message: &cp2, Change: queued},
				{Message: &on1, Change: queued},
				{Message: &on2, Change: messaging.Change{Status: messaging.StatusSent, Source: "worker", At: at, ProviderMessageID: "onward-" + onward.ID}},
			})
			if want := []bool{true, true, false, false, true, true}; !slices.Equal(got, want) {
				t.Errorf("changed %v, want %v", got, want)
			}
			expectTimeline("same pointer twice", same, "pending/api", "queued/worker")
			expectTimeline("same message in two copies", copied, "pending/api", "queued/worker")
			expectTimeline("queued then sent", onward, "pending/api", "queued/worker", "sent/worker")
			for _, m := range []*messaging.Message{same, &cp1, &cp2} {
				if m.Status != messaging.StatusQueued {
					t.Errorf("in memory: %+v", *m)
				}
			}
			if s := f.stored(onward.ID); s.Status != messaging.StatusSent || on2.Status != messaging.StatusSent ||
				s.ProviderMessageID == nil || *s.ProviderMessageID != "onward-"+onward.ID {
				t.Errorf("queued then sent: stored %+v, in memory %+v", s, on2)
			}
		})

		t.Run("not advancing", func(t *testing.T) {
			sent, read, failed := f.message(messaging.StatusSent, ""), f.message(messaging.StatusRead, ""), f.message(messaging.StatusFailed, "")
			before := map[string]messaging.Message{}
			for _, m := range []*messaging.Message{sent, read, failed} {
				before[m.ID] = f.stored(m.ID)
			}
			got := applyMany([]messaging.Move{
				{Message: sent, Change: messaging.Change{Status: messaging.StatusQueued, Source: "worker", At: at, Credits: 9, ProviderMessageID: "regress-1"}},
				{Message: read, Change: messaging.Change{Status: messaging.StatusDelivered, Source: "provider", At: at}},
				{Message: failed, Change: messaging.Change{Status: messaging.StatusSent, Source: "worker", At: at, ProviderMessageID: "regress-2"}},
				{Message: sent, Change: messaging.Change{Status: messaging.StatusSent, Source: "worker", At: at}},
			})
			if !slices.Equal(got, []bool{false, false, false, false}) {
				t.Errorf("changed %v", got)
			}
			for _, m := range []*messaging.Message{sent, read, failed} {
				b, s := before[m.ID], f.stored(m.ID)
				if s.Status != b.Status || s.Credits != b.Credits || s.ProviderMessageID != nil || s.SentAt != nil || !s.UpdatedAt.Equal(b.UpdatedAt) {
					t.Errorf("a move that does not advance wrote %+v (was %+v)", s, b)
				}
				if m.Status != b.Status || m.Credits != 0 || m.ProviderMessageID != nil {
					t.Errorf("in memory: %+v", *m)
				}
				expectTimeline("not advancing", m, b.Status+"/api")
			}
		})

		t.Run("another workspace", func(t *testing.T) {
			other := newBatchFixture(t, ta, "Apply many other", &seq)
			theirs := other.message(messaging.StatusPending, "")
			before := other.stored(theirs.ID)
			cp := *theirs
			res := messaging.ApplyMany(ctx, f.sc, []messaging.Move{
				{Message: &cp, Change: messaging.Change{Status: messaging.StatusQueued, Source: "worker", At: at, Credits: 3}},
			})
			// As Apply through this scope: the message is not found here.
			if len(res) != 1 || res[0].Changed || !errors.Is(res[0].Err, messaging.ErrMessageNotFound) {
				t.Errorf("another workspace's message: %+v, want not found", res)
			}
			after := other.stored(theirs.ID)
			if after.Status != before.Status || after.Credits != before.Credits || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("another workspace's message changed: %+v", after)
			}
			if got := other.timeline(theirs.ID); !slices.Equal(got, []string{"pending/api"}) {
				t.Errorf("another workspace's timeline: %q", got)
			}

			// In a batch with this workspace's own messages, which the batched statement
			// takes on PostgreSQL: the own moves are made, the other workspace's alone
			// is not found.
			mine1, mine2 := f.message(messaging.StatusPending, ""), f.message(messaging.StatusPending, "")
			cp = *theirs
			res = messaging.ApplyMany(ctx, f.sc, []messaging.Move{
				{Message: mine1, Change: messaging.Change{Status: messaging.StatusQueued, Source: "worker", At: at}},
				{Message: &cp, Change: messaging.Change{Status: messaging.StatusQueued, Source: "worker", At: at, Credits: 3}},
				{Message: mine2, Change: messaging.Change{Status: messaging.StatusQueued, Source: "worker", At: at}},
			})
			if len(res) != 3 || !res[0].Changed || res[0].Err != nil || !res[2].Changed || res[2].Err != nil {
				t.Errorf("mixed batch, own moves: %+v, want both changed", res)
			}
			if len(res) == 3 && (res[1].Changed || !errors.Is(res[1].Err, messaging.ErrMessageNotFound)) {
				t.Errorf("mixed batch, the other workspace's move: %+v, want not found", res[1])
			}
			for _, m := range []*messaging.Message{mine1, mine2} {
				if got := f.stored(m.ID).Status; got != messaging.StatusQueued {
					t.Errorf("mixed batch: own message %s is %s, want queued", m.ID, got)
				}
			}
			after = other.stored(theirs.ID)
			if after.Status != before.Status || after.Credits != before.Credits || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("another workspace's message changed in a mixed batch: %+v", after)
			}
			if got := other.timeline(theirs.ID); !slices.Equal(got, []string{"pending/api"}) {
				t.Errorf("another workspace's timeline after a mixed batch: %q", got)
			}
		})
	})
}
