package messaging_test

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
)

// TestAutoClose: with the workspace's rules set, a ticket idle (no message, no change
// of state) longer than they allow is resolved when a member holds or held it, and
// abandoned when it waited in the queue; one touched within the time, one just
// accepted however old its last message, and conversations that are not open tickets
// stay as they are. A customer's reply reopens either kind, and the counts know the
// new state.
func TestAutoClose(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			d := newQueueDesk(t, engine, map[string]policies.Role{"ann": policies.Agent})
			ann := d.members["ann"]
			now := time.Now().UTC()
			// ticket makes a ticket in state held by assignee (none: "") whose last
			// message was idle ago and which entered its state changed ago.
			ticket := func(state, assignee string, idle, changed time.Duration) messaging.Conversation {
				t.Helper()
				c := d.ticket(d.connID)
				q := d.sc.Update((*messaging.Conversation)(nil)).Set("state = ?", state).
					Set("last_activity_at = ?", now.Add(-idle)).Set("state_changed_at = ?", now.Add(-changed)).Where("cv.id = ?", c.ID)
				if assignee != "" {
					q = q.Set("assignee_id = ?", assignee)
				}
				if _, err := q.Exec(d.ctx); err != nil {
					t.Fatal(err)
				}
				return c
			}
			// closeIdle closes both kinds of idle ticket as the stored rules say.
			closeIdle := func(at time.Time) ([]messaging.Closed, error) {
				t.Helper()
				rules, err := messaging.AutoCloseRules(d.ctx, d.sc)
				if err != nil {
					return nil, err
				}
				resolved, err := messaging.CloseIdle(d.ctx, d.sc, rules, messaging.StateResolved, at)
				if err != nil {
					return nil, err
				}
				abandoned, err := messaging.CloseIdle(d.ctx, d.sc, rules, messaging.StateAbandoned, at)
				return append(resolved, abandoned...), err
			}
			stateOf := func(c messaging.Conversation) messaging.Conversation {
				t.Helper()
				got, err := messaging.GetConversation(d.ctx, d.sc, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}

			waitedLong := ticket(messaging.StateQueued, "", 3*time.Hour, 3*time.Hour)
			waitedShort := ticket(messaging.StateQueued, "", 90*time.Minute, 90*time.Minute)
			quietActive := ticket(messaging.StateActive, ann, 2*time.Hour, 2*time.Hour)
			quietPending := ticket(messaging.StatePending, ann, 2*time.Hour, 5*time.Hour)
			justAccepted := ticket(messaging.StateActive, ann, 5*time.Hour, 10*time.Minute)
			talking := ticket(messaging.StateActive, ann, 30*time.Minute, 3*time.Hour)
			resolved := ticket(messaging.StateResolved, ann, 9*time.Hour, 9*time.Hour)
			heldInQueue := ticket(messaging.StateQueued, ann, 5*time.Hour, 5*time.Hour) // given back to the queue by PATCH, still held
			chat := ticket(messaging.StateActive, "", 9*time.Hour, 9*time.Hour)
			if _, err := d.sc.Update((*messaging.Conversation)(nil)).Set("kind = ?", messaging.KindChat).Where("cv.id = ?", chat.ID).Exec(d.ctx); err != nil {
				t.Fatal(err)
			}

			// No rules: nothing closes, however old.
			if got, err := closeIdle(now); err != nil || len(got) != 0 {
				t.Fatalf("without rules closed %d (%v), want none", len(got), err)
			}

			// Refusals name their field and store nothing.
			_, err := messaging.SetAutoClose(d.ctx, d.sc, messaging.AutoClose{ResolveAfterMinutes: -1, AbandonAfterMinutes: messaging.MaxAutoCloseMinutes + 1})
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Fields["resolve_after_minutes"] == "" || fe.Fields["abandon_after_minutes"] == "" {
				t.Fatalf("out-of-range rules: %v, want both fields named", err)
			}
			if r, err := messaging.AutoCloseRules(d.ctx, d.sc); err != nil || !r.Off() {
				t.Fatalf("after a refusal the rules are %+v (%v), want none", r, err)
			}

			if _, err := messaging.SetAutoClose(d.ctx, d.sc, messaging.AutoClose{ResolveAfterMinutes: 60, AbandonAfterMinutes: 120}); err != nil {
				t.Fatal(err)
			}
			closed, err := closeIdle(now)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]messaging.Closed{}
			for _, c := range closed {
				got[c.After.ID] = c
			}
			want := map[string]struct {
				before, after string
				idle          time.Duration
			}{
				waitedLong.ID:   {messaging.StateQueued, messaging.StateAbandoned, 2 * time.Hour},
				quietActive.ID:  {messaging.StateActive, messaging.StateResolved, time.Hour},
				quietPending.ID: {messaging.StatePending, messaging.StateResolved, time.Hour},
			}
			if len(got) != len(want) {
				t.Fatalf("closed %d tickets, want %d: %+v", len(got), len(want), closed)
			}
			for id, w := range want {
				c, ok := got[id]
				if !ok || c.Before.State != w.before || c.After.State != w.after || c.IdleFor != w.idle {
					t.Fatalf("ticket %s closed as %+v, want %s → %s after %v", id, c, w.before, w.after, w.idle)
				}
				stored := stateOf(c.After)
				if stored.State != w.after || now.Sub(stored.StateChangedAt).Abs() > time.Second {
					t.Fatalf("ticket %s stored %s since %v, want %s since now", id, stored.State, stored.StateChangedAt, w.after)
				}
			}
			// The resolved keep their member, so a reply comes back to them.
			if a := stateOf(quietActive).AssigneeID; a == nil || *a != ann {
				t.Fatalf("resolved ticket's assignee %v, want ann", a)
			}
			for name, w := range map[string]struct {
				c    messaging.Conversation
				want string
			}{
				"waited 90 minutes": {waitedShort, messaging.StateQueued}, "just accepted": {justAccepted, messaging.StateActive},
				"talking": {talking, messaging.StateActive}, "resolved": {resolved, messaging.StateResolved}, "chat": {chat, messaging.StateActive},
				"queued but held": {heldInQueue, messaging.StateQueued},
			} {
				if got := stateOf(w.c).State; got != w.want {
					t.Fatalf("%s ticket is now %s, want it left %s", name, got, w.want)
				}
			}
			counts, err := messaging.TicketCounts(d.ctx, d.sc, messaging.Everything(), "")
			if err != nil || counts[messaging.StateAbandoned] != 1 || counts[messaging.StateResolved] != 3 || counts[messaging.StateQueued] != 2 {
				t.Fatalf("counts %v (%v), want 1 abandoned, 3 resolved, 2 queued", counts, err)
			}

			// Once closed, a ticket is not closed again.
			if again, err := closeIdle(now.Add(time.Minute)); err != nil || len(again) != 0 {
				t.Fatalf("a minute later closed %d more (%v), want none", len(again), err)
			}

			// A customer's reply reopens them: the abandoned to the queue, the
			// resolved to its member, each starting its idle time afresh.
			for c, want := range map[messaging.Conversation]string{waitedLong: messaging.StateQueued, quietActive: messaging.StateActive} {
				contacts, err := messaging.ContactsByID(d.ctx, d.sc, []string{c.ContactID})
				if err != nil {
					t.Fatal(err)
				}
				contact := contacts[c.ContactID]
				back, created, err := messaging.RouteInbound(d.ctx, d.sc, d.connID, contact, now, "anyone there?")
				if err != nil || created || back.ID != c.ID {
					t.Fatalf("reply routed to %s (new %v, %v), want %s", back.ID, created, err, c.ID)
				}
				if stored := stateOf(c); stored.State != want || !stored.Unread || time.Since(stored.StateChangedAt) > time.Minute {
					t.Fatalf("reopened ticket is %s (unread %v) since %v, want %s, unread, since now", stored.State, stored.Unread, stored.StateChangedAt, want)
				}
			}
			if again, err := closeIdle(now.Add(time.Minute)); err != nil || len(again) != 0 {
				t.Fatalf("reopened tickets closed again at once: %d (%v)", len(again), err)
			}
		})
	}
}
