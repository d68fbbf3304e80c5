package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// convFixture is a workspace with a loopback connection and a member of every role.
type convFixture struct {
	t                             *testing.T
	ta                            *testapp.TestApp
	admin, manager, agent, viewer *testapp.Client
	conn                          api.ConnectionView
	sc                            tenants.Scoped
	seq                           int
}

func newConvFixture(t *testing.T, engine testapp.Engine) *convFixture {
	ta := testapp.New(t, testapp.OnEngine(engine), testapp.WithPlugins(connections.StaticPlugins{"loopback": loopback.New()}))
	return convFixtureOn(t, ta)
}

// convFixtureOn is a convFixture in a new workspace of ta, for tests that need two
// workspaces on one database.
func convFixtureOn(t *testing.T, ta *testapp.TestApp) *convFixture {
	admin := ta.NewWorkspace("Convo")
	f := &convFixture{t: t, ta: ta, admin: admin,
		manager: ta.Member(admin.Workspace, policies.Manager),
		agent:   ta.Member(admin.Workspace, policies.Agent),
		viewer:  ta.Member(admin.Workspace, policies.Viewer),
		sc:      tenants.Scope(ta.App.DB, admin.Workspace.ID)}
	admin.Do(http.MethodPost, admin.WSPath("/connections"), api.CreateConnection{
		Plugin: "loopback", Engine: "loopback", DisplayName: "Line", Address: "+15550100",
		Config: loopback.Config{WebhookSecret: "s"}.JSON(),
	}).Expect(http.StatusCreated).Decode(&f.conn)
	return f
}

// ticket opens a Team Inbox ticket the way an inbound message does.
func (f *convFixture) ticket(name string) messaging.Conversation {
	f.t.Helper()
	f.seq++
	ct, err := messaging.ContactByAddress(f.ta.Ctx(), f.sc, f.conn.Kind, fmt.Sprintf("+1555%07d", 2000+f.seq), name)
	if err != nil {
		f.t.Fatal(err)
	}
	conv, err := messaging.NewConversation(f.ta.Ctx(), f.sc, messaging.KindTicket, f.conn.ID, ct, "")
	if err != nil {
		f.t.Fatal(err)
	}
	return conv
}

func (f *convFixture) path(suffix string) string { return f.admin.WSPath("/conversations" + suffix) }

func (f *convFixture) compose(c *testapp.Client, req api.ComposeRequest, want int) api.ComposeResult {
	f.t.Helper()
	var res api.ComposeResult
	c.Do(http.MethodPost, f.path(""), req).Expect(want).Decode(&res)
	return res
}

func (f *convFixture) listIDs(c *testapp.Client, query string) []string {
	f.t.Helper()
	var l api.List[api.ConversationView]
	c.Do(http.MethodGet, f.path("?"+query), nil).Expect(http.StatusOK).Decode(&l)
	ids := make([]string, len(l.Items))
	for i, v := range l.Items {
		ids[i] = v.ID
	}
	return ids
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestConversations(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			t.Run("compose", func(t *testing.T) { partCompose(t, f) })
			t.Run("messages", func(t *testing.T) { partMessages(t, f) })
			t.Run("actions", func(t *testing.T) { partActions(t, f) })
			t.Run("message actions", func(t *testing.T) { partMessageActions(t, f) })
			t.Run("groups and recipients", func(t *testing.T) { partGroupsAndRecipients(t, f) })
			t.Run("read state is each member's own", func(t *testing.T) { partReadState(t, f) })
			t.Run("chat is for managers", func(t *testing.T) { partChatVisibility(t, f) })
			t.Run("ticket work", func(t *testing.T) { partTicketWork(t, f) })
			t.Run("list", func(t *testing.T) { partList(t, f) })
			t.Run("counts", func(t *testing.T) { partCounts(t, f) })
			t.Run("several numbers", func(t *testing.T) { partSeveralNumbers(t, f) })
			t.Run("tags and labels", func(t *testing.T) { partTags(t, f) })
			t.Run("transfer", func(t *testing.T) { partTransfer(t, f) })
		})
	}
}

func partCompose(t *testing.T, f *convFixture) {
	res := f.compose(f.manager, api.ComposeRequest{ConnectionID: f.conn.ID, To: "020 7946 0000", CountryCode: "44", Name: "Ada",
		Message: &api.MessageRequest{Type: "text", Text: "Hello Ada"}}, http.StatusCreated)
	if res.Conversation.Kind != messaging.KindChat || res.Conversation.Contact.Phone != "+442079460000" || res.Conversation.Contact.Name != "Ada" ||
		res.Conversation.ConnectionID != f.conn.ID || res.Conversation.Title != "Ada" {
		t.Fatalf("composed %+v", res.Conversation)
	}
	if res.Message == nil || res.Message.Status != messaging.StatusPending || res.Message.ID == "" || res.Message.Body != "Hello Ada" {
		t.Fatalf("first message %+v", res.Message)
	}
	if res.Conversation.LastMessagePreview != "Hello Ada" || res.Conversation.Pill != messaging.PillPending {
		t.Fatalf("conversation after the first message: %+v", res.Conversation)
	}
	contactOf := func(id string) messaging.Contact {
		var ct messaging.Contact
		if err := f.sc.Get(f.ta.Ctx(), &ct, id, messaging.ErrContactNotFound); err != nil {
			t.Fatal(err)
		}
		return ct
	}
	if contactOf(res.Conversation.ContactID).WhatsAppConsent {
		t.Fatal("consent recorded without being given")
	}
	// The same number (typed another way) reuses the conversation; the customer's
	// opt-in, given now, is recorded on the contact.
	again := f.compose(f.admin, api.ComposeRequest{ConnectionID: f.conn.ID, To: "+44 20 7946 0000", WhatsAppConsent: true}, http.StatusOK)
	if again.Conversation.ID != res.Conversation.ID || again.Message != nil {
		t.Fatalf("compose again: %+v", again)
	}
	if !contactOf(res.Conversation.ContactID).WhatsAppConsent {
		t.Fatal("whatsapp_consent was not recorded on the contact")
	}

	for _, tc := range []struct {
		name  string
		req   api.ComposeRequest
		field string
	}{
		{"unknown connection", api.ComposeRequest{ConnectionID: "nope", To: "+442079460001"}, "connection_id"},
		{"no connection", api.ComposeRequest{To: "+442079460001"}, "connection_id"},
		{"bad number", api.ComposeRequest{ConnectionID: f.conn.ID, To: "call me maybe"}, "to"},
		{"national number without country", api.ComposeRequest{ConnectionID: f.conn.ID, To: "020 7946 0001"}, "to"},
		{"bad first message", api.ComposeRequest{ConnectionID: f.conn.ID, To: "+442079460002",
			Message: &api.MessageRequest{Type: "text", Text: strings.Repeat("a", 4097)}}, "message.text"},
	} {
		e := f.manager.Do(http.MethodPost, f.path(""), tc.req).Expect(http.StatusUnprocessableEntity).Error()
		if e.Fields[tc.field] == "" {
			t.Errorf("%s: fields %v do not name %s", tc.name, e.Fields, tc.field)
		}
	}
	// A refused first message leaves no conversation behind.
	if ids := f.listIDs(f.manager, "kind=chat&q=460002"); len(ids) != 0 {
		t.Errorf("a refused compose left conversations %v", ids)
	}
	// Chat is for managers and admins.
	f.agent.Do(http.MethodPost, f.path(""), api.ComposeRequest{ConnectionID: f.conn.ID, To: "+442079460003"}).Expect(http.StatusForbidden)
}

func partMessages(t *testing.T, f *convFixture) {
	conv := f.ticket("Grace")
	msgs := f.path("/" + conv.ID + "/messages")
	var m messaging.Message
	f.agent.Do(http.MethodPost, msgs, api.MessageRequest{Type: "text", Text: "How can I help?"}).Expect(http.StatusCreated).Decode(&m)
	if m.ID == "" || m.Status != messaging.StatusPending || m.Direction != messaging.DirectionOut || m.ConversationID != conv.ID {
		t.Fatalf("posted %+v", m)
	}
	at := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	var sch messaging.Message
	f.agent.Do(http.MethodPost, msgs, api.MessageRequest{Type: "text", Text: "Later", ScheduleAt: &at}).Expect(http.StatusCreated).Decode(&sch)
	if sch.Status != messaging.StatusScheduled || sch.ScheduledAt == nil {
		t.Fatalf("scheduled %+v", sch)
	}
	var note messaging.Message
	f.agent.Do(http.MethodPost, msgs, api.MessageRequest{Type: "note", Text: "VIP customer"}).Expect(http.StatusCreated).Decode(&note)
	if note.Direction != messaging.DirectionNote {
		t.Fatalf("note %+v", note)
	}

	soon := time.Now().Add(30 * time.Second).UTC().Format(time.RFC3339)
	notATime := "tomorrow"
	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"text too long", api.MessageRequest{Type: "text", Text: strings.Repeat("é", 4097)}, "text"},
		{"empty text", api.MessageRequest{Type: "text"}, "text"},
		{"schedule too soon", api.MessageRequest{Type: "text", Text: "x", ScheduleAt: &soon}, "schedule_at"},
		{"schedule not a time", api.MessageRequest{Type: "text", Text: "x", ScheduleAt: &notATime}, "schedule_at"},
		{"bad latitude", map[string]any{"type": "location", "text": "", "location": map[string]any{"latitude": 91, "longitude": 0}}, "location.latitude"},
		{"bad longitude", map[string]any{"type": "location", "text": "", "location": map[string]any{"latitude": 1, "longitude": -181}}, "location.longitude"},
		{"template without name", map[string]any{"type": "template", "text": "", "template": map[string]any{"language": "en"}}, "template.name"},
		{"media without url", map[string]any{"type": "media", "text": "", "media": map[string]any{"mime_type": "image/png"}}, "media.url"},
		{"media of an unsupported type", map[string]any{"type": "media", "text": "", "media": map[string]any{"url": "https://cdn.example.com/setup.exe"}}, "media.url"},
		{"media with an unsupported MIME type", map[string]any{"type": "media", "text": "", "media": map[string]any{"url": "https://cdn.example.com/a", "mime_type": "application/x-msdownload"}}, "media.mime_type"},
		{"unknown type", api.MessageRequest{Type: "video", Text: "x"}, "type"},
	} {
		e := f.agent.Do(http.MethodPost, msgs, tc.body).Expect(http.StatusUnprocessableEntity).Error()
		if e.Fields[tc.field] == "" {
			t.Errorf("%s: fields %v do not name %s", tc.name, e.Fields, tc.field)
		}
	}
	// An attachment's type comes from its MIME type, else its file name or URL.
	var pic messaging.Message
	f.agent.Do(http.MethodPost, msgs, map[string]any{"type": "media", "text": "",
		"media": map[string]any{"url": "https://cdn.example.com/menu.JPG?v=2", "caption": "Menu"}}).Expect(http.StatusCreated).Decode(&pic)
	if pic.Content.Media == nil || pic.Content.Media.MIMEType != "image/jpeg" {
		t.Fatalf("media %+v: want the MIME type resolved from the URL", pic.Content.Media)
	}
	var loc messaging.Message
	f.agent.Do(http.MethodPost, msgs, map[string]any{"type": "location", "text": "",
		"location": map[string]any{"latitude": 51.5, "longitude": -0.12, "name": "Office"}}).Expect(http.StatusCreated).Decode(&loc)
	if loc.Content.Location == nil || loc.Content.Location.Name != "Office" {
		t.Fatalf("location %+v", loc)
	}
	// Viewers read, never write.
	f.viewer.Do(http.MethodPost, msgs, api.MessageRequest{Type: "text", Text: "hi"}).Expect(http.StatusForbidden)

	// The thread: oldest first, paged by id, each with its status.
	var all []messaging.Message
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the thread does not end")
		}
		var l api.List[messaging.Message]
		f.viewer.Do(http.MethodGet, msgs+"?limit=2&cursor="+url.QueryEscape(cursor), nil).Expect(http.StatusOK).Decode(&l)
		all = append(all, l.Items...)
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	want := []string{m.ID, sch.ID, note.ID, pic.ID, loc.ID}
	if len(all) != len(want) {
		t.Fatalf("thread has %d messages, want %d", len(all), len(want))
	}
	for i, id := range want {
		if all[i].ID != id || all[i].Status == "" {
			t.Errorf("thread[%d] = %s (%s), want %s", i, all[i].ID, all[i].Status, id)
		}
	}
	// Newest first, paged back: the same messages in reverse.
	var back []string
	cursor = ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the reversed thread does not end")
		}
		var l api.List[messaging.Message]
		f.viewer.Do(http.MethodGet, msgs+"?order=desc&limit=2&cursor="+url.QueryEscape(cursor), nil).Expect(http.StatusOK).Decode(&l)
		for _, m := range l.Items {
			back = append(back, m.ID)
		}
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	for i, id := range back {
		if id != want[len(want)-1-i] {
			t.Fatalf("newest first: %v, want the reverse of %v", back, want)
		}
	}
	if len(back) != len(want) {
		t.Fatalf("newest first: %d messages, want %d", len(back), len(want))
	}
	if e := f.viewer.Do(http.MethodGet, msgs+"?order=sideways", nil).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["order"] == "" {
		t.Errorf("bad order: %+v", e)
	}

	// Message info: the message and its timeline.
	var info api.MessageInfo
	f.viewer.Do(http.MethodGet, msgs+"/"+sch.ID, nil).Expect(http.StatusOK).Decode(&info)
	if info.Message.ID != sch.ID || len(info.Timeline) != 1 || info.Timeline[0].Status != messaging.StatusScheduled {
		t.Fatalf("info %+v", info)
	}
	// A message addressed through another conversation is not found.
	other := f.ticket("Other")
	f.admin.Do(http.MethodGet, f.path("/"+other.ID+"/messages/"+sch.ID), nil).Expect(http.StatusNotFound)
	f.admin.Do(http.MethodPost, f.path("/"+other.ID+"/messages/"+sch.ID+"/cancel"), nil).Expect(http.StatusNotFound)
	f.admin.Do(http.MethodGet, msgs+"/"+sch.ID, nil).Expect(http.StatusOK)
}

func partActions(t *testing.T, f *convFixture) {
	at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	res := f.compose(f.manager, api.ComposeRequest{ConnectionID: f.conn.ID, To: "+15557770001", Title: "Queue A",
		Message: &api.MessageRequest{Type: "text", Text: "Reminder", ScheduleAt: &at}}, http.StatusCreated)
	if res.Message.Status != messaging.StatusScheduled || res.Conversation.Pill != messaging.PillScheduled {
		t.Fatalf("scheduled compose: %+v / %+v", res.Message, res.Conversation)
	}
	conv := f.path("/" + res.Conversation.ID)
	msg := conv + "/messages/" + res.Message.ID

	// Wrong state: 409 with the domain's code.
	if e := f.manager.Do(http.MethodPost, msg+"/retry", nil).Expect(http.StatusConflict).Error(); e.Code != "not_failed" {
		t.Errorf("retry of a scheduled message: %+v", e)
	}
	var cancelled messaging.Message
	f.manager.Do(http.MethodPost, msg+"/cancel", nil).Expect(http.StatusOK).Decode(&cancelled)
	if cancelled.Status != messaging.StatusCancelled {
		t.Fatalf("cancelled %+v", cancelled)
	}
	var cv api.ConversationView
	f.manager.Do(http.MethodGet, conv, nil).Expect(http.StatusOK).Decode(&cv)
	if cv.Pill != messaging.PillPending {
		t.Errorf("pill after cancelling the only message: %s, want pending", cv.Pill)
	}
	if e := f.manager.Do(http.MethodPost, msg+"/cancel", nil).Expect(http.StatusConflict).Error(); e.Code != "not_scheduled" {
		t.Errorf("cancel twice: %+v", e)
	}
	if e := f.manager.Do(http.MethodPost, msg+"/send-now", nil).Expect(http.StatusConflict).Error(); e.Code != "not_scheduled" {
		t.Errorf("send-now of a cancelled message: %+v", e)
	}

	// Send now: a scheduled message becomes pending at once.
	var sch, now messaging.Message
	f.manager.Do(http.MethodPost, conv+"/messages", api.MessageRequest{Type: "text", Text: "Soon", ScheduleAt: &at}).Expect(http.StatusCreated).Decode(&sch)
	f.manager.Do(http.MethodPost, conv+"/messages/"+sch.ID+"/send-now", nil).Expect(http.StatusOK).Decode(&now)
	if now.Status != messaging.StatusPending {
		t.Errorf("send-now: %+v", now)
	}

	// Retry: a failed message goes out again as its next attempt.
	m, err := messaging.GetMessage(f.ta.Ctx(), f.sc, now.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := messaging.Transition(f.ta.Ctx(), f.sc, &m, messaging.StatusFailed, "test", "worker", time.Now()); err != nil {
		t.Fatal(err)
	}
	var retried messaging.Message
	f.manager.Do(http.MethodPost, conv+"/messages/"+now.ID+"/retry", nil).Expect(http.StatusOK).Decode(&retried)
	if retried.Status != messaging.StatusPending || retried.Attempt != 2 {
		t.Errorf("retried %+v", retried)
	}

	// Resend: the last outgoing message again, as a new message.
	var again messaging.Message
	f.manager.Do(http.MethodPost, conv+"/resend", nil).Expect(http.StatusCreated).Decode(&again)
	if again.ID == "" || again.ID == now.ID || again.Body != "Soon" || again.Status != messaging.StatusPending {
		t.Errorf("resent %+v", again)
	}
	empty := f.ticket("Nobody")
	if e := f.agent.Do(http.MethodPost, f.path("/"+empty.ID+"/resend"), nil).Expect(http.StatusConflict).Error(); e.Code != "nothing_to_resend" {
		t.Errorf("resend with nothing sent: %+v", e)
	}
	// Agents may not act on Chat messages; viewers on none.
	f.agent.Do(http.MethodPost, conv+"/resend", nil).Expect(http.StatusForbidden)
	f.agent.Do(http.MethodPost, conv+"/messages/"+sch.ID+"/cancel", nil).Expect(http.StatusForbidden)
	f.viewer.Do(http.MethodPost, conv+"/messages/"+sch.ID+"/cancel", nil).Expect(http.StatusForbidden)
}

func partChatVisibility(t *testing.T, f *convFixture) {
	chat := f.compose(f.manager, api.ComposeRequest{ConnectionID: f.conn.ID, To: "+15557770002", Title: "Secret chat"}, http.StatusCreated).Conversation
	tk := f.ticket("Linus")
	// Agents see tickets, never chats: not in the list, not by id, not in its thread.
	for _, c := range []*testapp.Client{f.agent, f.viewer} {
		ids := f.listIDs(c, "limit=200")
		if contains(ids, chat.ID) || !contains(ids, tk.ID) {
			t.Errorf("%s list: chat listed %v, ticket listed %v", c.Role, contains(ids, chat.ID), contains(ids, tk.ID))
		}
		// Asking for chats is refused outright, as Chat's counts are.
		c.Do(http.MethodGet, f.path("?kind=chat"), nil).Expect(http.StatusForbidden)
		c.Do(http.MethodGet, f.path("/"+chat.ID), nil).Expect(http.StatusNotFound)
		c.Do(http.MethodGet, f.path("/"+chat.ID+"/messages"), nil).Expect(http.StatusNotFound)
		c.Do(http.MethodGet, f.path("/"+tk.ID), nil).Expect(http.StatusOK)
	}
	if ids := f.listIDs(f.manager, "limit=200"); !contains(ids, chat.ID) || !contains(ids, tk.ID) {
		t.Errorf("the manager's list misses the chat or the ticket")
	}
	// An agent may reply in a ticket but not post into a chat.
	f.agent.Do(http.MethodPost, f.path("/"+chat.ID+"/messages"), api.MessageRequest{Type: "text", Text: "hi"}).Expect(http.StatusForbidden)
	f.agent.Do(http.MethodPost, f.path("/"+tk.ID+"/messages"), api.MessageRequest{Type: "text", Text: "hi"}).Expect(http.StatusCreated)
	f.manager.Do(http.MethodPost, f.path("/"+chat.ID+"/messages"), api.MessageRequest{Type: "text", Text: "hi"}).Expect(http.StatusCreated)
}

func partTicketWork(t *testing.T, f *convFixture) {
	tk := f.ticket("Ken")
	p := f.path("/" + tk.ID)
	// Every member's browser hears of an accept and of each change to the ticket.
	events, stop := f.ta.App.Realtime.Subscribe(f.ta.Ctx(), f.admin.Workspace.ID)
	defer stop()
	expectChange := func(what string, check func(messaging.Conversation) bool) {
		t.Helper()
		seen := map[string]bool{}
		timeout := time.After(10 * time.Second)
		for !seen[realtime.ConversationUpdated] || !seen[realtime.CountsChanged] {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("%s: the subscription ended", what)
				}
				if ev.ConversationID != tk.ID {
					continue
				}
				if ev.Type == realtime.ConversationUpdated {
					var c messaging.Conversation
					if err := json.Unmarshal(ev.Data, &c); err != nil || !check(c) {
						t.Fatalf("%s: conversation.updated carries %s", what, ev.Data)
					}
				}
				seen[ev.Type] = true
			case <-timeout:
				t.Fatalf("%s: events seen %v, want conversation.updated and counts.changed", what, seen)
			}
		}
	}
	var v api.ConversationView
	f.agent.Do(http.MethodPost, p+"/accept", nil).Expect(http.StatusOK).Decode(&v)
	if v.State != messaging.StateActive || v.AssigneeID == nil || *v.AssigneeID != f.agent.User.ID {
		t.Fatalf("accepted %+v", v)
	}
	expectChange("accept", func(c messaging.Conversation) bool {
		return c.AssigneeID != nil && *c.AssigneeID == f.agent.User.ID && c.State == messaging.StateActive
	})
	other := f.ta.Member(f.admin.Workspace, policies.Agent)
	if e := other.Do(http.MethodPost, p+"/accept", nil).Expect(http.StatusConflict).Error(); e.Code != "already_assigned" {
		t.Errorf("accepting someone else's ticket: %+v", e)
	}
	if ids := f.listIDs(f.agent, "assignee=me"); len(ids) != 1 || ids[0] != tk.ID {
		t.Errorf("assignee=me: %v", ids)
	}
	if ids := f.listIDs(f.agent, "assignee=unassigned&limit=200"); contains(ids, tk.ID) {
		t.Errorf("assignee=unassigned lists an assigned ticket")
	}
	if ids := f.listIDs(f.agent, "assignee="+f.agent.User.ID); len(ids) != 1 {
		t.Errorf("assignee=<id>: %v", ids)
	}
	chat := f.compose(f.manager, api.ComposeRequest{ConnectionID: f.conn.ID, To: "+15557770003"}, http.StatusCreated).Conversation
	if e := f.manager.Do(http.MethodPost, f.path("/"+chat.ID+"/accept"), nil).Expect(http.StatusConflict).Error(); e.Code != "not_a_ticket" {
		t.Errorf("accepting a chat: %+v", e)
	}

	// Resolve, reopen, archive, mark read.
	f.agent.Do(http.MethodPatch, p, map[string]any{"state": "resolved", "unread": true}).Expect(http.StatusOK).Decode(&v)
	if v.State != messaging.StateResolved || !v.Unread {
		t.Fatalf("resolved %+v", v)
	}
	expectChange("resolve", func(c messaging.Conversation) bool { return c.State == messaging.StateResolved })
	f.agent.Do(http.MethodPatch, p, map[string]any{"state": "active", "unread": false}).Expect(http.StatusOK).Decode(&v)
	if v.State != messaging.StateActive || v.Unread {
		t.Fatalf("reopened %+v", v)
	}
	f.agent.Do(http.MethodPatch, p, map[string]any{"archived": true}).Expect(http.StatusOK).Decode(&v)
	if !v.Archived {
		t.Fatalf("archived %+v", v)
	}
	if ids := f.listIDs(f.agent, "limit=200"); contains(ids, tk.ID) {
		t.Errorf("an archived ticket is listed by default")
	}
	if ids := f.listIDs(f.agent, "archived=true"); !contains(ids, tk.ID) {
		t.Errorf("archived=true misses the archived ticket: %v", ids)
	}
	f.agent.Do(http.MethodPatch, p, map[string]any{"archived": false}).Expect(http.StatusOK)
	if e := f.agent.Do(http.MethodPatch, p, map[string]any{"state": "closed"}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["state"] == "" {
		t.Errorf("bad state: %+v", e)
	}
	f.viewer.Do(http.MethodPatch, p, map[string]any{"archived": true}).Expect(http.StatusForbidden)
	f.viewer.Do(http.MethodPost, p+"/accept", nil).Expect(http.StatusForbidden)
	f.agent.Do(http.MethodPatch, f.path("/"+chat.ID), map[string]any{"archived": true}).Expect(http.StatusForbidden)

	// A manager hands a ticket to an agent, and back to the queue.
	tk2 := f.ticket("Lee")
	p2 := f.path("/" + tk2.ID)
	agentID := f.agent.User.ID
	tk = tk2 // expectChange follows this ticket now
	f.manager.Do(http.MethodPost, p2+"/assign", map[string]any{"assignee_id": agentID}).Expect(http.StatusOK).Decode(&v)
	if v.AssigneeID == nil || *v.AssigneeID != agentID || v.State != messaging.StateActive {
		t.Fatalf("assigned %+v", v)
	}
	expectChange("assign", func(c messaging.Conversation) bool { return c.AssigneeID != nil && *c.AssigneeID == agentID })
	f.manager.Do(http.MethodPost, p2+"/assign", map[string]any{"assignee_id": nil}).Expect(http.StatusOK).Decode(&v)
	if v.AssigneeID != nil || v.State != messaging.StateQueued {
		t.Fatalf("unassigned %+v", v)
	}
	expectChange("unassign", func(c messaging.Conversation) bool { return c.AssigneeID == nil && c.State == messaging.StateQueued })
	for name, id := range map[string]string{"a viewer": f.viewer.User.ID, "a stranger": other.User.ID + "-not"} {
		if e := f.manager.Do(http.MethodPost, p2+"/assign", map[string]any{"assignee_id": id}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["assignee_id"] == "" {
			t.Errorf("assigning to %s: %+v", name, e)
		}
	}
	stranger := f.ta.NewWorkspace("Elsewhere")
	if e := f.manager.Do(http.MethodPost, p2+"/assign", map[string]any{"assignee_id": stranger.User.ID}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["assignee_id"] == "" {
		t.Errorf("assigning to another workspace's admin: %+v", e)
	}
	f.agent.Do(http.MethodPost, p2+"/assign", map[string]any{"assignee_id": agentID}).Expect(http.StatusForbidden)
	if e := f.manager.Do(http.MethodPost, f.path("/"+chat.ID+"/assign"), map[string]any{"assignee_id": agentID}).Expect(http.StatusConflict).Error(); e.Code != "not_a_ticket" {
		t.Errorf("assigning a chat: %+v", e)
	}
}

func partList(t *testing.T, f *convFixture) {
	// A workspace of its own, so the counts and pages are exact.
	g := newConvFixture(t, f.ta.Engine)
	var tickets []messaging.Conversation
	for i := range 5 {
		tickets = append(tickets, g.ticket(fmt.Sprintf("Customer %d", i)))
	}
	// Three share one activity time: the id breaks the tie, and no page loses or repeats one.
	same := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	for _, c := range tickets[1:4] {
		if _, err := g.sc.Update((*messaging.Conversation)(nil)).Set("last_activity_at = ?", same).Where("cv.id = ?", c.ID).Exec(g.ta.Ctx()); err != nil {
			t.Fatal(err)
		}
	}
	chat := g.compose(g.manager, api.ComposeRequest{ConnectionID: g.conn.ID, To: "+15557770100", Title: "Spring SALE list",
		Message: &api.MessageRequest{Type: "text", Text: "Hi there"}}, http.StatusCreated).Conversation
	ct, _ := messaging.ContactByAddress(g.ta.Ctx(), g.sc, g.conn.Kind, "+15557770101", "Bulk")
	campaign, err := messaging.NewConversation(g.ta.Ctx(), g.sc, messaging.KindCampaign, g.conn.ID, ct, "Campaign")
	if err != nil {
		t.Fatal(err)
	}
	g.agent.Do(http.MethodPost, g.path("/"+tickets[0].ID+"/messages"), api.MessageRequest{Type: "text", Text: "Your ORDER_42 shipped"}).Expect(http.StatusCreated)

	var seen []string
	var lastAt time.Time
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the list does not end")
		}
		var l api.List[api.ConversationView]
		g.manager.Do(http.MethodGet, g.path("?limit=2&cursor="+url.QueryEscape(cursor)), nil).Expect(http.StatusOK).Decode(&l)
		for _, v := range l.Items {
			if len(seen) > 0 && v.LastActivityAt.After(lastAt) {
				t.Errorf("%s is newer than the row before it", v.ID)
			}
			if v.Contact.ID == "" || v.Contact.Phone == "" {
				t.Errorf("%s has no contact summary: %+v", v.ID, v.Contact)
			}
			lastAt = v.LastActivityAt
			seen = append(seen, v.ID)
		}
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	if len(seen) != 6 {
		t.Fatalf("paged through %d conversations, want 6 (5 tickets and a chat): %v", len(seen), seen)
	}
	uniq := map[string]bool{}
	for _, id := range seen {
		uniq[id] = true
	}
	if len(uniq) != 6 || uniq[campaign.ID] {
		t.Fatalf("pages repeat a conversation or list the campaign: %v", seen)
	}
	if seen[0] != tickets[0].ID && seen[0] != chat.ID {
		t.Errorf("newest activity is not first: %v", seen)
	}

	check := func(query string, want ...string) {
		t.Helper()
		got := g.listIDs(g.manager, query)
		if len(got) != len(want) {
			t.Errorf("?%s: %v, want %v", query, got, want)
			return
		}
		for _, id := range want {
			if !contains(got, id) {
				t.Errorf("?%s: %v misses %s", query, got, id)
			}
		}
	}
	check("kind=campaign", campaign.ID)
	check("kind=chat", chat.ID)
	check("q=spring+sale", chat.ID)
	check("q=order_42", tickets[0].ID)
	check("q=customer+3", tickets[3].ID)
	check("q=100%25", nil...)
	check("pill=pending&kind=chat", chat.ID)
	check("pill=sent")
	check("state=queued&connection="+g.conn.ID, tickets[0].ID, tickets[1].ID, tickets[2].ID, tickets[3].ID, tickets[4].ID)
	// A connection this workspace does not have is not found (like an unknown group).
	if e := g.manager.Do(http.MethodGet, g.path("?connection=other"), nil).Expect(http.StatusNotFound).Error(); e.Fields["connection"] == "" {
		t.Errorf("?connection=other: %+v", e)
	}
	check("archived=true")
	check("assignee=unassigned&kind=ticket", tickets[0].ID, tickets[1].ID, tickets[2].ID, tickets[3].ID, tickets[4].ID)

	for _, tc := range []struct{ query, field string }{
		{"kind=sms", "kind"}, {"pill=green", "pill"}, {"state=closed", "state"}, {"archived=maybe", "archived"},
		{"limit=0", "limit"}, {"cursor=%21%21", "cursor"}, {"cursor=" + url.QueryEscape(tickets[0].ID), "cursor"},
	} {
		e := g.manager.Do(http.MethodGet, g.path("?"+tc.query), nil).Expect(http.StatusUnprocessableEntity).Error()
		if e.Fields[tc.field] == "" {
			t.Errorf("?%s: fields %v do not name %s", tc.query, e.Fields, tc.field)
		}
	}
	token := g.ta.Token(g.admin.Workspace, policies.Agent)
	if e := token.Do(http.MethodGet, g.path("?assignee=me"), nil).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["assignee"] == "" {
		t.Errorf("assignee=me with a token: %+v", e)
	}
	// Other workspaces' conversations never show.
	if ids := f.listIDs(f.manager, "limit=200"); contains(ids, chat.ID) || contains(ids, tickets[0].ID) {
		t.Errorf("another workspace's conversations are listed")
	}
}

func partCounts(t *testing.T, f *convFixture) {
	g := newConvFixture(t, f.ta.Engine)
	at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	g.compose(g.manager, api.ComposeRequest{ConnectionID: g.conn.ID, To: "+15557770200", Message: &api.MessageRequest{Type: "text", Text: "now"}}, http.StatusCreated)
	g.compose(g.manager, api.ComposeRequest{ConnectionID: g.conn.ID, To: "+15557770201", Message: &api.MessageRequest{Type: "text", Text: "later", ScheduleAt: &at}}, http.StatusCreated)
	arch := g.compose(g.manager, api.ComposeRequest{ConnectionID: g.conn.ID, To: "+15557770202"}, http.StatusCreated).Conversation
	g.manager.Do(http.MethodPatch, g.path("/"+arch.ID), map[string]any{"archived": true}).Expect(http.StatusOK)
	t1, t2 := g.ticket("One"), g.ticket("Two")
	g.ticket("Three")
	g.agent.Do(http.MethodPost, g.path("/"+t1.ID+"/accept"), nil).Expect(http.StatusOK)
	g.agent.Do(http.MethodPatch, g.path("/"+t2.ID), map[string]any{"state": "resolved"}).Expect(http.StatusOK)

	var chat api.ConversationCounts
	g.manager.Do(http.MethodGet, g.path("/counts"), nil).Expect(http.StatusOK).Decode(&chat)
	want := map[string]int{"all": 2, "archived": 1, "scheduled": 1, "pending": 1, "sent": 0, "failed": 0, "partial": 0}
	if chat.Kind != "chat" || fmt.Sprint(chat.Counts) != fmt.Sprint(want) {
		t.Errorf("chat counts %+v, want %v", chat, want)
	}
	var tk api.ConversationCounts
	g.agent.Do(http.MethodGet, g.path("/counts"), nil).Expect(http.StatusOK).Decode(&tk)
	wantT := map[string]int{"queued": 1, "active": 1, "pending": 0, "resolved": 1, "abandoned": 0}
	if tk.Kind != "ticket" || fmt.Sprint(tk.Counts) != fmt.Sprint(wantT) {
		t.Errorf("ticket counts %+v, want %v", tk, wantT)
	}
	g.manager.Do(http.MethodGet, g.path("/counts?kind=ticket"), nil).Expect(http.StatusOK).Decode(&tk)
	if tk.Kind != "ticket" || fmt.Sprint(tk.Counts) != fmt.Sprint(wantT) {
		t.Errorf("manager's ticket counts %+v", tk)
	}
	g.agent.Do(http.MethodGet, g.path("/counts?kind=chat"), nil).Expect(http.StatusForbidden)
	g.viewer.Do(http.MethodGet, g.path("/counts"), nil).Expect(http.StatusOK)
}

// partTags: tickets carry tags and labels, each name once whatever its case, and the
// list filters by them.
func partTags(t *testing.T, f *convFixture) {
	billing, other := f.ticket("Tagged"), f.ticket("Untagged")
	tags := []string{"Billing", " VIP ", "billing"}
	labels := []string{"Escalated", "Needs  callback"}
	// Browsers hear the names now stored: the other events about a conversation do
	// not carry them, and an editor sends the whole set.
	ctx, cancel := context.WithCancel(f.ta.Ctx())
	defer cancel()
	events, stop := f.ta.App.Realtime.Subscribe(ctx, f.admin.Workspace.ID)
	defer stop()
	var v api.ConversationView
	f.agent.Do(http.MethodPatch, f.path("/"+billing.ID), api.ConversationUpdate{Tags: &tags, Labels: &labels}).Expect(http.StatusOK).Decode(&v)
	if strings.Join(v.Tags.Tags, "|") != "Billing|VIP" || strings.Join(v.Labels, "|") != "Escalated|Needs callback" {
		t.Fatalf("tagged %+v", v.Tags)
	}
	heard := false
	for !heard {
		select {
		case ev := <-events:
			var data messaging.Tags
			if ev.Type == realtime.ConversationUpdated && ev.ConversationID == billing.ID && json.Unmarshal(ev.Data, &data) == nil && data.Tags != nil {
				if strings.Join(data.Tags, "|") != "Billing|VIP" || strings.Join(data.Labels, "|") != "Escalated|Needs callback" {
					t.Fatalf("the event carries %+v", data)
				}
				heard = true
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no conversation.updated event with the tags")
		}
	}
	f.viewer.Do(http.MethodGet, f.path("/"+billing.ID), nil).Expect(http.StatusOK).Decode(&v)
	if strings.Join(v.Tags.Tags, "|") != "Billing|VIP" {
		t.Fatalf("read back %+v", v.Tags)
	}
	ids := func(query string) []string {
		t.Helper()
		var l api.List[api.ConversationView]
		f.agent.Do(http.MethodGet, f.path("?kind=ticket&"+query), nil).Expect(http.StatusOK).Decode(&l)
		var out []string
		for _, c := range l.Items {
			out = append(out, c.ID)
		}
		return out
	}
	if got := ids("tag=vip"); len(got) != 1 || got[0] != billing.ID {
		t.Errorf("tag=vip: %v, want the tagged ticket only", got)
	}
	if got := ids("label=escalated&tag=billing"); len(got) != 1 || got[0] != billing.ID {
		t.Errorf("label and tag: %v", got)
	}
	if got := ids("label=Bug"); len(got) != 0 {
		t.Errorf("label=Bug: %v, want none", got)
	}
	if got := ids(""); !slices.Contains(got, other.ID) || !slices.Contains(got, billing.ID) {
		t.Errorf("unfiltered: %v", got)
	}
	// A customer's conversations, for their previous ones; another workspace's
	// contact is not found.
	if got := ids("contact=" + other.ContactID); len(got) != 1 || got[0] != other.ID {
		t.Errorf("contact=: %v, want the customer's one ticket", got)
	}
	if e := f.agent.Do(http.MethodGet, f.path("?contact="+f.ta.NewTenant("Contact owner").IDs["contact"]), nil).Expect(http.StatusNotFound).Error(); e.Fields["contact"] == "" {
		t.Errorf("another workspace's contact: %+v", e)
	}

	var inUse api.TagsInUse
	f.viewer.Do(http.MethodGet, f.admin.WSPath("/conversation-tags"), nil).Expect(http.StatusOK).Decode(&inUse)
	if len(inUse.Tags) != 2 || inUse.Tags[0].Conversations != 1 {
		t.Errorf("tags in use %+v", inUse.Tags)
	}
	var labelNames []string
	for _, l := range inUse.Labels {
		labelNames = append(labelNames, l.Name)
	}
	if strings.Join(labelNames, "|") != "Escalated|Needs callback|Follow-up|Bug|Feature request" {
		t.Errorf("labels %v: want those in use, then the offered ones", labelNames)
	}

	// Suggestions come from what the caller may see: a chat's tag is not an agent's.
	chat := f.compose(f.manager, api.ComposeRequest{ConnectionID: f.conn.ID, To: "+15550400077"}, http.StatusCreated)
	chatTags := []string{"Chat only"}
	f.manager.Do(http.MethodPatch, f.path("/"+chat.Conversation.ID), api.ConversationUpdate{Tags: &chatTags}).Expect(http.StatusOK)
	names := func(who *testapp.Client) []string {
		t.Helper()
		var got api.TagsInUse
		who.Do(http.MethodGet, f.admin.WSPath("/conversation-tags"), nil).Expect(http.StatusOK).Decode(&got)
		var out []string
		for _, tc := range got.Tags {
			out = append(out, tc.Name)
		}
		return out
	}
	if got := names(f.agent); slices.Contains(got, "Chat only") {
		t.Errorf("an agent's suggestions %v carry a chat's tag", got)
	}
	if got := names(f.manager); !slices.Contains(got, "Chat only") {
		t.Errorf("a manager's suggestions %v lack the chat's tag", got)
	}

	// Refusals name the field; nothing changes. Viewers do not tag.
	many := make([]string, messaging.MaxTags+1)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	if e := f.agent.Do(http.MethodPatch, f.path("/"+billing.ID), api.ConversationUpdate{Tags: &many}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["tags"] == "" {
		t.Errorf("21 tags: %+v", e)
	}
	blank := []string{"ok", "  "}
	if e := f.agent.Do(http.MethodPatch, f.path("/"+billing.ID), api.ConversationUpdate{Labels: &blank}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["labels[1]"] == "" {
		t.Errorf("a blank label: %+v", e)
	}
	// One part refused, nothing of the request is stored.
	tooManyLabels := many[:messaging.MaxLabels+1]
	other3 := []string{"Other"}
	f.agent.Do(http.MethodPatch, f.path("/"+billing.ID), api.ConversationUpdate{Tags: &other3, Labels: &tooManyLabels}).Expect(http.StatusUnprocessableEntity)
	f.viewer.Do(http.MethodGet, f.path("/"+billing.ID), nil).Expect(http.StatusOK).Decode(&v)
	if strings.Join(v.Tags.Tags, "|") != "Billing|VIP" {
		t.Errorf("tags after a refused change: %v", v.Tags.Tags)
	}
	// Any case, beyond ASCII too, on both engines.
	elite := []string{"Élite"}
	f.agent.Do(http.MethodPatch, f.path("/"+other.ID), api.ConversationUpdate{Tags: &elite}).Expect(http.StatusOK)
	if got := ids("tag=%C3%A9LITE"); len(got) != 1 || got[0] != other.ID {
		t.Errorf("tag=éLITE: %v, want the ticket tagged Élite", got)
	}
	f.viewer.Do(http.MethodPatch, f.path("/"+billing.ID), api.ConversationUpdate{Tags: &tags}).Expect(http.StatusForbidden)
	none := []string{}
	f.agent.Do(http.MethodPatch, f.path("/"+billing.ID), api.ConversationUpdate{Tags: &none}).Expect(http.StatusOK).Decode(&v)
	if len(v.Tags.Tags) != 0 || len(v.Labels) != 2 {
		t.Errorf("tags cleared, labels kept: %+v", v.Tags)
	}
}

// partTransfer: a ticket handed to a member with a note for them, kept in the thread
// as an internal note; each member's open tickets weigh the choice.
func partTransfer(t *testing.T, f *convFixture) {
	tk := f.ticket("Handed over")
	path := f.path("/" + tk.ID + "/assign")
	agentID := f.agent.User.ID
	long := strings.Repeat("x", messaging.MaxTextLength+1)
	if e := f.manager.Do(http.MethodPost, path, api.AssignRequest{AssigneeID: &agentID, Note: long}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["note"] == "" {
		t.Errorf("a note too long: %+v", e)
	}
	if cv, err := messaging.GetConversation(f.ta.Ctx(), f.sc, tk.ID); err != nil || cv.AssigneeID != nil {
		t.Fatalf("after a refused transfer: %+v %v, want it unassigned", cv.AssigneeID, err)
	}
	var v api.ConversationView
	f.manager.Do(http.MethodPost, path, api.AssignRequest{AssigneeID: &agentID, Note: " Wants a call back before noon "}).Expect(http.StatusOK).Decode(&v)
	if v.AssigneeID == nil || *v.AssigneeID != agentID || v.State != messaging.StateActive {
		t.Fatalf("transferred %+v", v.Conversation)
	}
	var thread api.List[messaging.Message]
	f.agent.Do(http.MethodGet, f.path("/"+tk.ID+"/messages"), nil).Expect(http.StatusOK).Decode(&thread)
	last := thread.Items[len(thread.Items)-1]
	if last.Direction != messaging.DirectionNote || !strings.HasPrefix(last.Body, "Transferred to ") || !strings.HasSuffix(last.Body, ": Wants a call back before noon") {
		t.Fatalf("the thread ends with %+v, want the transfer note", last)
	}
	var load api.List[messaging.Workload]
	f.manager.Do(http.MethodGet, f.admin.WSPath("/workloads"), nil).Expect(http.StatusOK).Decode(&load)
	found := false
	for _, w := range load.Items {
		if w.UserID == agentID {
			found = w.Active >= 1
		}
	}
	if !found {
		t.Errorf("workloads %+v: want the agent's active ticket counted", load.Items)
	}
	f.agent.Do(http.MethodGet, f.admin.WSPath("/workloads"), nil).Expect(http.StatusForbidden)
	// Back to the queue, said so in the thread.
	f.manager.Do(http.MethodPost, path, api.AssignRequest{Note: "Out sick"}).Expect(http.StatusOK).Decode(&v)
	f.agent.Do(http.MethodGet, f.path("/"+tk.ID+"/messages"), nil).Expect(http.StatusOK).Decode(&thread)
	if v.AssigneeID != nil || thread.Items[len(thread.Items)-1].Body != "Transferred to the queue: Out sick" {
		t.Errorf("returned to the queue: %+v, last %q", v.AssigneeID, thread.Items[len(thread.Items)-1].Body)
	}
}
