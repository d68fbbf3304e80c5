package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// TestQueueSendNowAndDelete: a Chat queue's "Send now" fires every scheduled message
// of it; "Delete" waits for the messages on their way, then takes the conversation,
// its messages, its scheduled ones (called off) and the files only they carried.
func TestQueueSendNowAndDelete(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			ctx := f.ta.Ctx()
			later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			res := f.compose(f.manager, api.ComposeRequest{ConnectionID: f.conn.ID, To: "+15557770001", Title: "Queue A",
				Message: &api.MessageRequest{Type: "text", Text: "Reminder", ScheduleAt: &later}}, http.StatusCreated)
			conv := f.path("/" + res.Conversation.ID)
			f.manager.Do(http.MethodPost, conv+"/messages", api.MessageRequest{Type: "text", Text: "And this", ScheduleAt: &later}).Expect(http.StatusCreated)

			var sent api.SendNowResult
			f.manager.Do(http.MethodPost, conv+"/send-now", nil).Expect(http.StatusOK).Decode(&sent)
			if sent.Sent != 2 {
				t.Fatalf("send-now sent %d, want 2", sent.Sent)
			}
			f.manager.Do(http.MethodPost, conv+"/send-now", nil).Expect(http.StatusOK).Decode(&sent)
			if sent.Sent != 0 {
				t.Errorf("send-now again sent %d, want 0", sent.Sent)
			}
			var thread api.List[messaging.Message]
			f.manager.Do(http.MethodGet, conv+"/messages", nil).Expect(http.StatusOK).Decode(&thread)
			for _, m := range thread.Items {
				if m.Status != messaging.StatusPending {
					t.Errorf("message %q is %s after send-now, want pending", m.Body, m.Status)
				}
			}

			// On their way: the conversation stays.
			if e := f.manager.Do(http.MethodDelete, conv, nil).Expect(http.StatusConflict).Error(); e.Code != "conversation_sending" {
				t.Fatalf("delete while sending: %+v", e)
			}
			for _, m := range thread.Items {
				if _, err := messaging.Transition(ctx, f.sc, &m, messaging.StatusSent, "", "worker", time.Now()); err != nil {
					t.Fatal(err)
				}
			}

			// A file only this conversation carries goes with it; one another
			// conversation carries too stays.
			upload := func(name string) string {
				var file media.File
				f.manager.Upload(f.admin.WSPath("/media"), name, []byte("%PDF-1.4 "+name), nil).Expect(http.StatusCreated).Decode(&file)
				return file.ID
			}
			own, shared := upload("own.pdf"), upload("shared.pdf")
			ownHeader, sharedHeader := upload("own-header.pdf"), upload("shared-header.pdf")
			other := f.compose(f.manager, api.ComposeRequest{ConnectionID: f.conn.ID, To: "+15557770002", Title: "Queue B",
				Message: &api.MessageRequest{Type: "media", Media: &api.MessageMedia{FileID: shared}, ScheduleAt: &later}}, http.StatusCreated)
			template := func(path, file string) {
				f.manager.Do(http.MethodPost, path+"/messages", api.MessageRequest{Type: "template", Template: &sdk.Template{Name: "offer", Language: "en"},
					Media: &api.MessageMedia{FileID: file}, ScheduleAt: &later}).Expect(http.StatusCreated)
			}
			template(f.path("/"+other.Conversation.ID), sharedHeader) // a template's header carries it there
			for _, id := range []string{own, shared, sharedHeader} {
				f.manager.Do(http.MethodPost, conv+"/messages", api.MessageRequest{Type: "media", Media: &api.MessageMedia{FileID: id}, ScheduleAt: &later}).
					Expect(http.StatusCreated)
			}
			template(conv, ownHeader)

			// The team hears of it: a manager's browser drops it from the list.
			rt := serveRT(t, f.ta)
			ws := dial(t, rt.url(f.admin.Workspace), rt.sessionHeader(t, f.manager.User))

			f.agent.Do(http.MethodDelete, conv, nil).Expect(http.StatusForbidden)
			f.manager.Do(http.MethodDelete, conv, nil).Expect(http.StatusNoContent)
			want := `{"type":"conversation.deleted","conversation_id":"` + res.Conversation.ID + `","conversation_kind":"chat","data":{"id":"` + res.Conversation.ID + `"}}`
			for got := readRaw(t, ws); got != want; got = readRaw(t, ws) {
				if strings.Contains(got, "conversation.deleted") {
					t.Fatalf("got %s, want %s", got, want)
				}
			}
			f.manager.Do(http.MethodGet, conv, nil).Expect(http.StatusNotFound)
			f.manager.Do(http.MethodDelete, conv, nil).Expect(http.StatusNotFound)
			if n, err := f.sc.Select((*messaging.Message)(nil)).Where("m.conversation_id = ?", res.Conversation.ID).Count(ctx); err != nil || n != 0 {
				t.Errorf("%d messages left (%v)", n, err)
			}
			for _, id := range []string{own, ownHeader} {
				f.manager.Do(http.MethodGet, f.admin.WSPath("/media/"+id), nil).Expect(http.StatusNotFound)
			}
			for _, id := range []string{shared, sharedHeader} {
				f.manager.Do(http.MethodGet, f.admin.WSPath("/media/"+id), nil).Expect(http.StatusOK)
			}
			f.manager.Do(http.MethodGet, f.path("/"+other.Conversation.ID), nil).Expect(http.StatusOK)
		})
	}
}
