package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/hours"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
)

// TestBusinessHours: outside the workspace's business hours a message waits,
// scheduled for when they open, saying so; an urgent one goes at once, a note is
// never held, a time the member chose stands, and "send now" sends a waiting one.
// Within the hours, or with them off, messages go at once.
func TestBusinessHours(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			path := f.admin.WSPath("/business-hours")
			var view api.BusinessHoursView
			f.viewer.Do(http.MethodGet, path, nil).Expect(http.StatusOK).Decode(&view)
			if view.Enabled || !view.OpenNow || view.NextOpen != nil || view.TimeZone != "UTC" {
				t.Fatalf("before any are set: %+v", view)
			}
			// Open all of tomorrow only (the workspace is on UTC): closed now.
			now := time.Now().UTC()
			tomorrow := strings.ToLower(now.AddDate(0, 0, 1).Weekday().String()[:3])
			opens := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
			set := api.BusinessHours{Enabled: true, Days: map[string][]hours.Interval{tomorrow: {{Open: "00:00", Close: "24:00"}}}}
			f.admin.Do(http.MethodPut, path, set).Expect(http.StatusOK).Decode(&view)
			if !view.Enabled || view.OpenNow || view.NextOpen == nil || !view.NextOpen.Equal(opens) {
				t.Fatalf("set: %+v, want closed until %s", view, opens)
			}
			if e := f.admin.Do(http.MethodPut, path, api.BusinessHours{Enabled: true, Days: map[string][]hours.Interval{"mon": {{Open: "18:00", Close: "09:00"}}}}).
				Expect(http.StatusUnprocessableEntity).Error(); e.Fields["days.mon[0].close"] == "" {
				t.Errorf("a close before its open: fields %v", e.Fields)
			}

			conv := f.ticket("Night Owl")
			msgs := f.path("/" + conv.ID + "/messages")
			post := func(req api.MessageRequest) messaging.Message {
				t.Helper()
				var m messaging.Message
				f.agent.Do(http.MethodPost, msgs, req).Expect(http.StatusCreated).Decode(&m)
				return m
			}
			held := post(api.MessageRequest{Type: "text", Text: "We will look at it first thing"})
			if held.Status != messaging.StatusScheduled || held.ScheduledAt == nil || !held.ScheduledAt.Equal(opens) || !strings.HasPrefix(held.Reason, "Outside business hours: goes ") {
				t.Fatalf("a message after hours: %s at %v (%q), want scheduled at %s", held.Status, held.ScheduledAt, held.Reason, opens)
			}
			if urgent := post(api.MessageRequest{Type: "text", Text: "Your card was blocked", Urgent: true}); urgent.Status != messaging.StatusPending {
				t.Errorf("an urgent message after hours: %s, want pending (sent at once)", urgent.Status)
			}
			if note := post(api.MessageRequest{Type: "note", Text: "Call back tomorrow"}); note.Status != messaging.StatusReceived {
				t.Errorf("a note after hours: %s", note.Status)
			}
			chosen := now.Add(3 * time.Hour).Truncate(time.Second)
			at := chosen.Format(time.RFC3339)
			if m := post(api.MessageRequest{Type: "text", Text: "As agreed", ScheduleAt: &at}); m.ScheduledAt == nil || !m.ScheduledAt.Equal(chosen) || m.Reason != "" {
				t.Errorf("a time the member chose: %v %q, want %s", m.ScheduledAt, m.Reason, chosen)
			}
			var sent messaging.Message
			f.agent.Do(http.MethodPost, msgs+"/"+held.ID+"/send-now", nil).Expect(http.StatusOK).Decode(&sent)
			if sent.Status != messaging.StatusPending {
				t.Errorf("send now on a waiting message: %s, want pending", sent.Status)
			}

			// Open now (all of today and tomorrow), and then off: messages go at once.
			today := strings.ToLower(now.Weekday().String()[:3])
			set.Days[today] = []hours.Interval{{Open: "00:00", Close: "24:00"}}
			f.admin.Do(http.MethodPut, path, set).Expect(http.StatusOK).Decode(&view)
			if !view.OpenNow || view.NextOpen != nil {
				t.Fatalf("open now: %+v", view)
			}
			if m := post(api.MessageRequest{Type: "text", Text: "Good morning"}); m.Status != messaging.StatusPending {
				t.Errorf("a message within hours: %s", m.Status)
			}
			f.admin.Do(http.MethodPut, path, api.BusinessHours{Enabled: false, Days: map[string][]hours.Interval{tomorrow: {{Open: "00:00", Close: "24:00"}}}}).Expect(http.StatusOK)
			if m := post(api.MessageRequest{Type: "text", Text: "Any time"}); m.Status != messaging.StatusPending {
				t.Errorf("a message with the hours off: %s", m.Status)
			}
		})
	}
}
