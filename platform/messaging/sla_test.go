package messaging_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/hours"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
)

// TestSLA: a customer's message starts a ticket's targets as the policy says (in
// business hours when it counts them); the team's answer meets or misses the first
// and next response; resolving stops the clocks; a reply reopens with a new
// resolution target; the breached filter finds what SLABreaches names, and nothing
// of a workspace without a policy.
func TestSLA(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ctx, sc, contact := routingWorkspace(t, engine)
			conn := addConnection(t, ctx, sc, "+15550100")
			now := time.Now().UTC().Truncate(time.Second)
			n := 0
			write := func(c messaging.Contact, at time.Time) messaging.Conversation {
				t.Helper()
				conv, _, err := messaging.RouteInbound(ctx, sc, conn.ID, c, at, "hello?")
				if err != nil {
					t.Fatal(err)
				}
				return conv
			}
			customer := func() messaging.Contact {
				n++
				return contact(fmt.Sprintf("+15550209%03d", n))
			}
			answer := func(c messaging.Conversation, at time.Time) {
				t.Helper()
				if err := messaging.Touch(ctx, sc, c.ID, "on it", at, true); err != nil {
					t.Fatal(err)
				}
			}
			get := func(c messaging.Conversation) messaging.Conversation {
				t.Helper()
				got, err := messaging.GetConversation(ctx, sc, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			breached := func(at time.Time) []string {
				t.Helper()
				convs, _, err := messaging.ListConversations(ctx, sc, messaging.ConversationFilter{Kind: messaging.KindTicket, SLABreachedAt: &at}, storage.Page{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, c := range convs {
					ids = append(ids, c.ID)
				}
				slices.Sort(ids)
				return ids
			}
			// expect checks what a ticket missed by at, by SLABreaches and by the filter.
			expect := func(what string, c messaging.Conversation, at time.Time, want ...string) {
				t.Helper()
				c = get(c)
				if got := c.SLABreaches(at); !slices.Equal(got, append([]string{}, want...)) {
					t.Errorf("%s: breaches %v, want %v", what, got, want)
				}
				if listed := slices.Contains(breached(at), c.ID); listed != (len(want) > 0) {
					t.Errorf("%s: in the breached filter %v, want %v", what, listed, len(want) > 0)
				}
			}

			// No policy: no targets.
			free := write(customer(), now.Add(-time.Hour))
			if c := get(free); c.FirstResponseDueAt != nil || c.ResolutionDueAt != nil {
				t.Fatalf("without a policy the ticket has targets %v, %v", c.FirstResponseDueAt, c.ResolutionDueAt)
			}
			expect("a ticket without targets", free, now.Add(1000*time.Hour))

			// Refusals name their field.
			_, err := messaging.SetSLA(ctx, sc, messaging.SLAPolicy{FirstResponseMinutes: -1, ResolutionMinutes: messaging.MaxSLAMinutes + 1})
			var fe *failure.Error
			if !errors.As(err, &fe) || fe.Fields["first_response_minutes"] == "" || fe.Fields["resolution_minutes"] == "" || fe.Fields["next_response_minutes"] != "" {
				t.Fatalf("out-of-range policy: %v, want first_response_minutes and resolution_minutes named", err)
			}
			if _, err := messaging.SetSLA(ctx, sc, messaging.SLAPolicy{FirstResponseMinutes: 30, NextResponseMinutes: 60, ResolutionMinutes: 240}); err != nil {
				t.Fatal(err)
			}

			// Written two hours ago, answered an hour later: the first response missed.
			t0 := now.Add(-2 * time.Hour)
			late := write(customer(), t0)
			if c := get(late); c.FirstResponseDueAt == nil || !c.FirstResponseDueAt.Equal(t0.Add(30*time.Minute)) ||
				c.ResolutionDueAt == nil || !c.ResolutionDueAt.Equal(t0.Add(4*time.Hour)) || c.NextResponseDueAt != nil {
				t.Fatalf("targets of a new ticket: first %v, resolution %v, next %v", c.FirstResponseDueAt, c.ResolutionDueAt, c.NextResponseDueAt)
			}
			expect("unanswered after its target", late, now, messaging.SLAFirstResponse)
			expect("before its first target", late, t0.Add(29*time.Minute))
			answer(late, t0.Add(time.Hour))
			expect("answered late", late, now, messaging.SLAFirstResponse)

			// Written ten minutes ago and answered at once: on time; the customer's
			// next message starts the next response's clock.
			t1 := now.Add(-10 * time.Minute)
			prompt := write(customer(), t1)
			answer(prompt, t1.Add(time.Minute))
			expect("answered at once", prompt, now)
			if c := get(prompt); c.FirstResponseAt == nil || !c.FirstResponseAt.Equal(t1.Add(time.Minute)) {
				t.Fatalf("first response at %v, want %v", c.FirstResponseAt, t1.Add(time.Minute))
			}
			contacts, err := messaging.ContactsByID(ctx, sc, []string{prompt.ContactID})
			if err != nil {
				t.Fatal(err)
			}
			again := contacts[prompt.ContactID]
			write(again, t1.Add(2*time.Minute))
			write(again, t1.Add(5*time.Minute)) // a second message does not move the clock
			if c := get(prompt); c.NextResponseDueAt == nil || !c.NextResponseDueAt.Equal(t1.Add(62*time.Minute)) {
				t.Fatalf("next response due %v, want %v", c.NextResponseDueAt, t1.Add(62*time.Minute))
			}
			expect("waiting within its next target", prompt, now)
			expect("waiting past its next target", prompt, t1.Add(63*time.Minute), messaging.SLANextResponse)
			answer(prompt, t1.Add(70*time.Minute))
			if c := get(prompt); c.NextResponseDueAt != nil || !c.NextResponseMissed {
				t.Fatalf("after a late answer: next due %v, missed %v; want none running, missed", c.NextResponseDueAt, c.NextResponseMissed)
			}
			expect("once answered late", prompt, t1.Add(71*time.Minute), messaging.SLANextResponse)

			// Resolved within its target, the ticket stays met however long after.
			t2 := now.Add(-20 * time.Minute)
			done := write(customer(), t2)
			answer(done, t2.Add(5*time.Minute))
			if _, err := sc.Update((*messaging.Conversation)(nil)).Set("state = ?", messaging.StateResolved).Set("state_changed_at = ?", t2.Add(10*time.Minute)).
				Where("cv.id = ?", done.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			expect("resolved in time, a day on", done, now.Add(24*time.Hour))
			// Reopened by the customer a day on: a new resolution target from then.
			contacts, err = messaging.ContactsByID(ctx, sc, []string{done.ContactID})
			if err != nil {
				t.Fatal(err)
			}
			write(contacts[done.ContactID], now)
			if c := get(done); c.State != messaging.StateQueued || c.ResolutionDueAt == nil || !c.ResolutionDueAt.Equal(now.Add(4*time.Hour)) ||
				c.NextResponseDueAt == nil || !c.NextResponseDueAt.Equal(now.Add(time.Hour)) {
				t.Fatalf("reopened: %s, resolution due %v, next due %v; want queued, due in 4 hours and 1 hour", c.State, c.ResolutionDueAt, c.NextResponseDueAt)
			}
			expect("reopened, past its new resolution target", done, now.Add(5*time.Hour), messaging.SLANextResponse, messaging.SLAResolution)

			want := []string{late.ID, prompt.ID} // the first answer late; a next one late
			slices.Sort(want)
			if got := breached(now); !slices.Equal(got, want) {
				t.Errorf("breached now: %v, want %v", got, want)
			}

			// A closed ticket's clocks stop; whoever reopens it, none runs until the
			// customer writes, and what was missed before stays missed.
			setState := func(c messaging.Conversation, state string, at time.Time) {
				t.Helper()
				if _, err := messaging.ChangeState(sc.Update((*messaging.Conversation)(nil)).Where("cv.id = ?", c.ID), state, at).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			reply := func(c messaging.Conversation, at time.Time) {
				t.Helper()
				contacts, err := messaging.ContactsByID(ctx, sc, []string{c.ContactID})
				if err != nil {
					t.Fatal(err)
				}
				write(contacts[c.ContactID], at)
			}
			// Abandoned unanswered ten minutes in (target 30), answered after it
			// closed: not missed; the customer's reply starts the next response.
			t3 := now.Add(-3 * time.Hour)
			quiet := write(customer(), t3)
			setState(quiet, messaging.StateAbandoned, t3.Add(10*time.Minute))
			answer(quiet, t3.Add(time.Hour))
			expect("abandoned in time, answered after", quiet, now)
			reply(quiet, now)
			if c := get(quiet); c.FirstResponseDueAt != nil || c.NextResponseDueAt == nil || !c.NextResponseDueAt.Equal(now.Add(time.Hour)) {
				t.Errorf("reopened after an answer: first response due %v, next %v; want none and in an hour", c.FirstResponseDueAt, c.NextResponseDueAt)
			}
			expect("reopened after an answer", quiet, now.Add(30*time.Minute))
			// Abandoned unanswered and reopened: the first response starts again.
			silent := write(customer(), t3)
			setState(silent, messaging.StateAbandoned, t3.Add(10*time.Minute))
			reply(silent, now)
			if c := get(silent); c.FirstResponseDueAt == nil || !c.FirstResponseDueAt.Equal(now.Add(30*time.Minute)) {
				t.Errorf("reopened unanswered: first response due %v, want in 30 minutes", c.FirstResponseDueAt)
			}
			expect("reopened unanswered", silent, now)
			// Resolved in time, reopened by a member a day on: nothing runs, nothing
			// missed, however long it then stays open.
			kept := write(customer(), t3)
			answer(kept, t3.Add(time.Minute))
			setState(kept, messaging.StateResolved, t3.Add(time.Hour))
			setState(kept, messaging.StateActive, now)
			if c := get(kept); c.ResolutionDueAt != nil || c.NextResponseDueAt != nil || c.FirstResponseDueAt != nil {
				t.Fatalf("reopened by a member, clocks still run: %v %v %v", c.FirstResponseDueAt, c.NextResponseDueAt, c.ResolutionDueAt)
			}
			expect("reopened by a member", kept, now.Add(100*time.Hour))
			// Resolved after its target (4 hours): missed, and still missed once the
			// customer reopens it with a new target.
			slow := write(customer(), now.Add(-6*time.Hour))
			answer(slow, now.Add(-6*time.Hour).Add(time.Minute))
			setState(slow, messaging.StateResolved, now.Add(-time.Hour))
			expect("resolved late", slow, now, messaging.SLAResolution)
			reply(slow, now)
			if c := get(slow); !c.ResolutionMissed || c.ResolutionDueAt == nil || !c.ResolutionDueAt.Equal(now.Add(4*time.Hour)) {
				t.Fatalf("reopened after a late resolution: missed %v, due %v", c.ResolutionMissed, c.ResolutionDueAt)
			}
			expect("reopened after a late resolution", slow, now, messaging.SLAResolution)
			// Abandoned an hour in (resolution target 4 hours), marked resolved a day
			// later: its clocks stopped when it was abandoned.
			dropped := write(customer(), now.Add(-26*time.Hour))
			answer(dropped, now.Add(-26*time.Hour).Add(time.Minute))
			setState(dropped, messaging.StateAbandoned, now.Add(-25*time.Hour))
			setState(dropped, messaging.StateResolved, now)
			expect("abandoned in time, resolved a day later", dropped, now.Add(time.Hour))

			// No policy any more: a reopened ticket gets no targets and misses nothing
			// it had not missed.
			if _, err := messaging.SetSLA(ctx, sc, messaging.SLAPolicy{}); err != nil {
				t.Fatal(err)
			}
			setState(kept, messaging.StateResolved, now)
			reply(kept, now.Add(time.Minute))
			if c := get(kept); c.ResolutionDueAt != nil || c.NextResponseDueAt != nil {
				t.Fatalf("reopened without a policy, clocks run: %v %v", c.NextResponseDueAt, c.ResolutionDueAt)
			}
			expect("reopened without a policy", kept, now.Add(100*time.Hour))

			// In business hours: New York, weekdays 9 to 5. Written on Saturday, the
			// first response is due half an hour into Monday, resolution (10 hours) on
			// Tuesday at 11.
			if _, err := sc.DB().NewUpdate().Table("workspaces").Set("time_zone = ?", "America/New_York").Where("id = ?", sc.WorkspaceID()).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			week := []hours.Interval{{Open: "09:00", Close: "17:00"}}
			if _, err := hours.Save(ctx, sc, hours.Schedule{Enabled: true, Days: map[string][]hours.Interval{
				"mon": week, "tue": week, "wed": week, "thu": week, "fri": week}}, now); err != nil {
				t.Fatal(err)
			}
			if _, err := messaging.SetSLA(ctx, sc, messaging.SLAPolicy{FirstResponseMinutes: 30, ResolutionMinutes: 600, BusinessHours: true}); err != nil {
				t.Fatal(err)
			}
			saturday := time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC) // 10:00 in New York
			weekend := get(write(customer(), saturday))
			if want := time.Date(2026, 12, 7, 14, 30, 0, 0, time.UTC); weekend.FirstResponseDueAt == nil || !weekend.FirstResponseDueAt.Equal(want) {
				t.Errorf("first response of Saturday's ticket due %v, want %v", weekend.FirstResponseDueAt, want)
			}
			if want := time.Date(2026, 12, 8, 16, 0, 0, 0, time.UTC); weekend.ResolutionDueAt == nil || !weekend.ResolutionDueAt.Equal(want) {
				t.Errorf("resolution of Saturday's ticket due %v, want %v", weekend.ResolutionDueAt, want)
			}
		})
	}
}
