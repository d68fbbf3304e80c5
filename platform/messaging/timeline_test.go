package messaging_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
)

// TestTimelineGoesWithItsMessages: removing a conversation removes its messages'
// timelines (several messages in one statement), and only theirs; removing a
// connection does the same through its conversations. On PostgreSQL a trigger does
// this where SQLite has a reference.
func TestTimelineGoesWithItsMessages(t *testing.T) {
	t.Parallel()
	forBatchEngine(t, func(t *testing.T, ta *testapp.TestApp) {
		ctx := ta.Ctx()
		var seq atomic.Int64
		a, b := newBatchFixture(t, ta, "Timeline A", &seq), newBatchFixture(t, ta, "Timeline B", &seq)
		steps := func(id string) int {
			t.Helper()
			n, err := ta.App.DB.NewSelect().Table("message_events").Where("message_id = ?", id).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		sent := func(f *batchFixture, m *messaging.Message) {
			t.Helper()
			now := time.Now().UTC()
			c := messaging.Change{Status: messaging.StatusSent, Via: messaging.StatusQueued, ViaAt: now, At: now, Source: "worker"}
			if ok, err := messaging.Apply(ctx, f.sc, m, c); err != nil || !ok {
				t.Fatalf("apply sent to %s: %v, %v", m.ID, ok, err)
			}
		}
		// Two messages in one conversation, one in a second conversation of the same
		// connection, one in the other workspace.
		first := a.message(messaging.StatusPending, "")
		second := &messaging.Message{ConversationID: first.ConversationID, ConnectionID: a.conn.ID,
			Direction: messaging.DirectionOut, Type: "text", Body: "second", Status: messaging.StatusPending}
		if err := messaging.Insert(ctx, a.sc, second, "api"); err != nil {
			t.Fatal(err)
		}
		other := a.message(messaging.StatusPending, "")
		elsewhere := b.message(messaging.StatusPending, "")
		for _, m := range []*messaging.Message{first, second, other} {
			sent(a, m)
		}
		sent(b, elsewhere)
		for _, m := range []*messaging.Message{first, second, other, elsewhere} {
			if n := steps(m.ID); n != 3 {
				t.Fatalf("message %s has %d steps before any removal, want 3 (pending, queued, sent)", m.ID, n)
			}
		}

		if _, err := a.sc.Delete((*messaging.Conversation)(nil)).Where("cv.id = ?", first.ConversationID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for _, m := range []*messaging.Message{first, second} {
			if n := steps(m.ID); n != 0 {
				t.Errorf("message %s of the removed conversation keeps %d steps", m.ID, n)
			}
		}
		if n := steps(other.ID); n != 3 {
			t.Errorf("message %s of another conversation has %d steps after the removal, want 3", other.ID, n)
		}

		if _, err := a.sc.Delete((*connections.Connection)(nil)).Where("c.id = ?", a.conn.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if n := steps(other.ID); n != 0 {
			t.Errorf("message %s of the removed connection keeps %d steps", other.ID, n)
		}
		if n := steps(elsewhere.ID); n != 3 {
			t.Errorf("the other workspace's message has %d steps, want 3", n)
		}
	})
}
