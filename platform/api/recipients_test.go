package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

func partGroupsAndRecipients(t *testing.T, f *convFixture) {
	ctx := f.ta.Ctx()
	contact := func(phone, name string) messaging.Contact {
		t.Helper()
		c, err := messaging.ContactByAddress(ctx, f.sc, f.conn.Kind, phone, name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ana, ben, cy := contact("+15550300001", "Ana"), contact("+15550300002", "Ben"), contact("+15550300003", "Cy")
	groups := f.admin.WSPath("/contact-groups")

	// Groups: made with members, counted, named once (whatever the case).
	var g messaging.Group
	f.manager.Do(http.MethodPost, groups, api.GroupRequest{Name: "VIP", ContactIDs: []string{ana.ID, ben.ID, ana.ID}}).Expect(http.StatusCreated).Decode(&g)
	if g.ID == "" || g.Name != "VIP" || g.Members != 2 {
		t.Fatalf("group %+v", g)
	}
	if e := f.manager.Do(http.MethodPost, groups, api.GroupRequest{Name: " vip "}).Expect(http.StatusConflict).Error(); e.Fields["name"] == "" {
		t.Errorf("a second VIP group: %+v", e)
	}
	if e := f.manager.Do(http.MethodPost, groups, api.GroupRequest{}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["name"] == "" {
		t.Errorf("a group without a name: %+v", e)
	}
	if e := f.manager.Do(http.MethodPost, groups+"/"+g.ID+"/members", api.GroupMembersRequest{ContactIDs: []string{cy.ID, "no-such-contact"}}).
		Expect(http.StatusUnprocessableEntity).Error(); e.Fields["contact_ids[1]"] == "" {
		t.Errorf("adding an unknown contact: %+v", e)
	}
	f.manager.Do(http.MethodPost, groups+"/"+g.ID+"/members", api.GroupMembersRequest{ContactIDs: []string{cy.ID}}).Expect(http.StatusOK).Decode(&g)
	if g.Members != 3 {
		t.Fatalf("members after adding Cy: %d", g.Members)
	}
	var members api.List[messaging.Contact]
	f.viewer.Do(http.MethodGet, f.admin.WSPath("/contacts?group="+g.ID), nil).Expect(http.StatusOK).Decode(&members)
	if len(members.Items) != 3 {
		t.Fatalf("%d members listed, want 3", len(members.Items))
	}
	f.manager.Do(http.MethodDelete, groups+"/"+g.ID+"/members/"+cy.ID, nil).Expect(http.StatusNoContent)
	f.manager.Do(http.MethodDelete, groups+"/"+g.ID+"/members/"+cy.ID, nil).Expect(http.StatusNotFound)
	var listed api.List[messaging.Group]
	f.viewer.Do(http.MethodGet, groups, nil).Expect(http.StatusOK).Decode(&listed)
	if len(listed.Items) != 1 || listed.Items[0].Members != 2 {
		t.Fatalf("groups %+v", listed.Items)
	}
	f.viewer.Do(http.MethodPost, groups, api.GroupRequest{Name: "Mine"}).Expect(http.StatusForbidden)
	f.manager.Do(http.MethodPatch, groups+"/"+g.ID, api.GroupRequest{Name: "Regulars"}).Expect(http.StatusOK).Decode(&g)
	if g.Name != "Regulars" || g.Members != 2 {
		t.Errorf("renamed %+v", g)
	}

	// Compose to several: each address checked and named, a title required.
	req := api.ComposeRequest{ConnectionID: f.conn.ID, Title: "Launch", Recipients: []string{"+15550300004", cy.ID, "+1 555 030 0004", "not a number"},
		GroupID: g.ID, Message: &api.MessageRequest{Type: "text", Text: "We open at 9"}}
	if e := f.manager.Do(http.MethodPost, f.path(""), req).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["recipients[3]"] == "" || len(e.Fields) != 1 {
		t.Errorf("a bad recipient: %+v", e)
	}
	req.Recipients = req.Recipients[:3]
	untitled := req
	untitled.Title = ""
	if e := f.manager.Do(http.MethodPost, f.path(""), untitled).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["title"] == "" {
		t.Errorf("several recipients without a title: %+v", e)
	}
	otherGroup := req
	otherGroup.GroupID = f.ta.NewTenant("Group owner").IDs["group"]
	if e := f.manager.Do(http.MethodPost, f.path(""), otherGroup).Expect(http.StatusNotFound).Error(); e.Fields["group_id"] == "" {
		t.Errorf("another workspace's group: %+v, want group_id named", e)
	}

	res := f.compose(f.manager, req, http.StatusCreated)
	// The new number, Cy, and the group's Ana and Ben: the number given twice counts once.
	if res.Conversation.Recipients != 4 || res.Conversation.Title != "Launch" || res.Message == nil || res.Message.SendID == nil {
		t.Fatalf("composed %+v / %+v", res.Conversation, res.Message)
	}
	conv := f.path("/" + res.Conversation.ID)
	var recips api.List[messaging.Contact]
	f.manager.Do(http.MethodGet, conv+"/recipients", nil).Expect(http.StatusOK).Decode(&recips)
	if len(recips.Items) != 4 {
		t.Fatalf("%d recipients listed, want 4", len(recips.Items))
	}
	var thread api.List[messaging.Message]
	f.manager.Do(http.MethodGet, conv+"/messages", nil).Expect(http.StatusOK).Decode(&thread)
	to := map[string]bool{}
	for _, m := range thread.Items {
		if m.SendID == nil || *m.SendID != *res.Message.SendID || m.ContactID == nil || m.Body != "We open at 9" {
			t.Fatalf("copy %+v", m)
		}
		to[*m.ContactID] = true
	}
	if len(thread.Items) != 4 || len(to) != 4 || !to[ana.ID] || !to[ben.ID] || !to[cy.ID] {
		t.Fatalf("copies to %v, want one each to the four recipients", to)
	}
	var info api.MessageInfo
	f.manager.Do(http.MethodGet, conv+"/messages/"+res.Message.ID, nil).Expect(http.StatusOK).Decode(&info)
	if len(info.Copies) != 4 || info.Recipient == nil || info.Recipient.ID != *res.Message.ContactID {
		t.Fatalf("info %+v", info)
	}

	// Composing to the first recipient alone opens a 1:1 chat: the conversation with
	// several is not theirs to reuse (a message there would reach everyone).
	solo := f.compose(f.manager, api.ComposeRequest{ConnectionID: f.conn.ID, To: "+15550300004"}, http.StatusCreated)
	if solo.Conversation.ID == res.Conversation.ID || solo.Conversation.Recipients != 1 {
		t.Fatalf("compose to one recipient reused %+v", solo.Conversation)
	}
	f.manager.Do(http.MethodGet, f.admin.WSPath("/contacts?group="+otherGroup.GroupID), nil).Expect(http.StatusNotFound)

	// A customer's reply is answered to that customer alone.
	in := messaging.Message{ConversationID: res.Conversation.ID, ConnectionID: f.conn.ID, Direction: messaging.DirectionIn, Type: "text",
		Body: "what about parking?", Status: messaging.StatusReceived, ContactID: &ben.ID}
	if err := messaging.Insert(ctx, f.sc, &in, "provider"); err != nil {
		t.Fatal(err)
	}
	var reply messaging.Message
	f.manager.Do(http.MethodPost, conv+"/messages", api.MessageRequest{Type: "text", Text: "Free after 6", ReplyTo: in.ID}).Expect(http.StatusCreated).Decode(&reply)
	if reply.ContactID == nil || *reply.ContactID != ben.ID || reply.SendID != nil {
		t.Fatalf("reply %+v", reply)
	}
	if e := f.manager.Do(http.MethodPost, conv+"/messages", api.MessageRequest{Type: "text", Text: "?", ReplyTo: "nope"}).
		Expect(http.StatusUnprocessableEntity).Error(); e.Fields["reply_to"] == "" {
		t.Errorf("a reply to no message: %+v", e)
	}

	// Retry failed: every failed copy goes again, as its next attempt.
	for _, m := range thread.Items[:2] {
		m := m
		if _, err := messaging.Transition(ctx, f.sc, &m, messaging.StatusFailed, "test", "worker", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	var rf api.RetryFailedResult
	f.manager.Do(http.MethodPost, conv+"/retry-failed", nil).Expect(http.StatusOK).Decode(&rf)
	if rf.Retried != 2 {
		t.Fatalf("retried %d, want 2", rf.Retried)
	}
	for _, m := range thread.Items[:2] {
		got, err := messaging.GetMessage(ctx, f.sc, m.ID)
		if err != nil || got.Status != messaging.StatusPending || got.Attempt != 2 {
			t.Errorf("after retry-failed: %+v, %v", got, err)
		}
	}
	f.agent.Do(http.MethodPost, conv+"/retry-failed", nil).Expect(http.StatusForbidden) // Chat is for managers
	// A deleted failed message is not sent again.
	gone := thread.Items[2]
	if _, err := messaging.Transition(ctx, f.sc, &gone, messaging.StatusFailed, "test", "worker", time.Now()); err != nil {
		t.Fatal(err)
	}
	f.manager.Do(http.MethodDelete, conv+"/messages/"+gone.ID, nil).Expect(http.StatusOK)
	if e := f.manager.Do(http.MethodPost, conv+"/messages/"+gone.ID+"/retry", nil).Expect(http.StatusConflict).Error(); e.Code != "message_deleted" {
		t.Errorf("retrying a deleted message: %+v", e)
	}
	f.manager.Do(http.MethodPost, conv+"/retry-failed", nil).Expect(http.StatusOK).Decode(&rf)
	if rf.Retried != 0 {
		t.Errorf("retry-failed sent %d deleted messages again", rf.Retried)
	}

	// A group without anyone reachable on the channel sends to nobody: said so.
	f.manager.Do(http.MethodPost, groups, api.GroupRequest{Name: "Empty"}).Expect(http.StatusCreated).Decode(&g)
	if e := f.manager.Do(http.MethodPost, f.path(""), api.ComposeRequest{ConnectionID: f.conn.ID, Title: "Nobody", GroupID: g.ID}).
		Expect(http.StatusUnprocessableEntity).Error(); e.Fields["recipients"] == "" {
		t.Errorf("an empty group: %+v", e)
	}
	f.manager.Do(http.MethodDelete, groups+"/"+g.ID, nil).Expect(http.StatusNoContent)
	f.manager.Do(http.MethodGet, groups+"/"+g.ID, nil).Expect(http.StatusNotFound)
}

func partReadState(t *testing.T, f *convFixture) {
	ctx := f.ta.Ctx()
	agent := f.ta.Member(f.admin.Workspace, policies.Agent) // one of their own: the ticket gets assigned
	ct, err := messaging.ContactByAddress(ctx, f.sc, f.conn.Kind, "+15550400001", "Reader")
	if err != nil {
		t.Fatal(err)
	}
	write := func() messaging.Conversation {
		t.Helper()
		conv, _, err := messaging.RouteInbound(ctx, f.sc, f.conn.ID, ct, time.Now().UTC(), "hello?")
		if err != nil {
			t.Fatal(err)
		}
		return conv
	}
	conv := write()
	p := f.path("/" + conv.ID)
	unread := func(c *testapp.Client) bool {
		t.Helper()
		var v api.ConversationView
		c.Do(http.MethodGet, p, nil).Expect(http.StatusOK).Decode(&v)
		return v.Unread
	}
	if !unread(agent) || !unread(f.manager) {
		t.Fatal("a customer's new message is unread for everyone")
	}
	// The agent reads it: read for the agent, still unread for the manager.
	agent.Do(http.MethodPatch, p, api.ConversationUpdate{Unread: ptr(false)}).Expect(http.StatusOK)
	if unread(agent) || !unread(f.manager) {
		t.Fatalf("after the agent read it: agent %v, manager %v", unread(agent), unread(f.manager))
	}
	// The customer writes again: unread for the agent once more.
	time.Sleep(2 * time.Millisecond)
	write()
	if !unread(agent) {
		t.Fatal("a new customer message after reading is unread")
	}
	agent.Do(http.MethodPatch, p, api.ConversationUpdate{Unread: ptr(false)}).Expect(http.StatusOK)

	// A manager marks it unread for the agent, explicitly; an agent cannot do that to others.
	f.manager.Do(http.MethodPatch, p, api.ConversationUpdate{Unread: ptr(true), ForUserID: &agent.User.ID}).Expect(http.StatusOK)
	if !unread(agent) {
		t.Fatal("marked unread for the agent, but the agent sees it read")
	}
	if e := agent.Do(http.MethodPatch, p, api.ConversationUpdate{Unread: ptr(true), ForUserID: &f.manager.User.ID}).
		Expect(http.StatusUnprocessableEntity).Error(); e.Fields["for_user_id"] == "" {
		t.Errorf("an agent changing the manager's read state: %+v", e)
	}
	stranger := f.ta.NewWorkspace("Strangers").User.ID
	if e := f.manager.Do(http.MethodPatch, p, api.ConversationUpdate{Unread: ptr(true), ForUserID: &stranger}).
		Expect(http.StatusUnprocessableEntity).Error(); e.Fields["for_user_id"] == "" {
		t.Errorf("read state for someone of another workspace: %+v", e)
	}

	// Assigned by someone else: new to the assignee.
	agent.Do(http.MethodPatch, p, api.ConversationUpdate{Unread: ptr(false)}).Expect(http.StatusOK)
	f.manager.Do(http.MethodPost, p+"/assign", api.AssignRequest{AssigneeID: &agent.User.ID}).Expect(http.StatusOK)
	if !unread(agent) {
		t.Fatal("a ticket assigned to the agent is not unread for them")
	}
}

func ptr[T any](v T) *T { return &v }

// partSeveralNumbers: on a multi-device plan, a conversation with several recipients
// sends from several numbers of one channel, its recipients split between them.
func partSeveralNumbers(t *testing.T, f *convFixture) {
	ctx := f.ta.Ctx()
	var second api.ConnectionView
	f.admin.Do(http.MethodPost, f.admin.WSPath("/connections"), api.CreateConnection{Plugin: "loopback", Engine: "loopback", DisplayName: "Line 2",
		Address: "+15550199", Config: loopback.Config{WebhookSecret: "s"}.JSON()}).Expect(http.StatusCreated).Decode(&second)
	req := api.ComposeRequest{ConnectionIDs: []string{f.conn.ID, second.ID, f.conn.ID}, Title: "Two lines",
		Recipients: []string{"+15550400001", "+15550400002", "+15550400003"}, Message: &api.MessageRequest{Type: "text", Text: "Sale on"}}

	res := f.compose(f.manager, req, http.StatusCreated)
	if res.Conversation.ConnectionID != f.conn.ID || res.Conversation.Recipients != 3 {
		t.Fatalf("composed %+v", res.Conversation)
	}
	var thread api.List[messaging.Message]
	f.manager.Do(http.MethodGet, f.path("/"+res.Conversation.ID+"/messages"), nil).Expect(http.StatusOK).Decode(&thread)
	from := map[string]int{}
	for _, m := range thread.Items {
		from[m.ConnectionID]++
	}
	if len(thread.Items) != 3 || from[f.conn.ID] != 2 || from[second.ID] != 1 {
		t.Fatalf("copies from %v, want two from the first number and one from the second", from)
	}

	// Refused, naming the field: another workspace's number, and several numbers for
	// one recipient.
	other := req
	other.ConnectionIDs = []string{f.conn.ID, f.ta.NewTenant("Numbers owner").IDs["connection"]}
	if e := f.manager.Do(http.MethodPost, f.path(""), other).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["connection_ids[1]"] == "" {
		t.Errorf("another workspace's number: %+v", e)
	}
	solo := api.ComposeRequest{ConnectionIDs: []string{f.conn.ID, second.ID}, To: "+15550400009"}
	if e := f.manager.Do(http.MethodPost, f.path(""), solo).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["connection_ids"] == "" {
		t.Errorf("two numbers for one recipient: %+v", e)
	}
	soloToo := api.ComposeRequest{ConnectionID: f.conn.ID, ConnectionIDs: []string{second.ID}, To: "+15550400009"}
	if e := f.manager.Do(http.MethodPost, f.path(""), soloToo).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["connection_ids"] == "" {
		t.Errorf("a number in connection_id and another in connection_ids for one recipient: %+v", e)
	}
	// A disabled number is refused before anything is stored.
	off, on := false, true
	f.admin.Do(http.MethodPatch, f.admin.WSPath("/connections/"+second.ID), api.UpdateConnection{Enabled: &off}).Expect(http.StatusOK)
	if e := f.manager.Do(http.MethodPost, f.path(""), req).Expect(http.StatusUnprocessableEntity).Error(); !strings.Contains(e.Fields["connection_ids[1]"], "disabled") {
		t.Errorf("a disabled number: %+v", e)
	}
	f.admin.Do(http.MethodPatch, f.admin.WSPath("/connections/"+second.ID), api.UpdateConnection{Enabled: &on}).Expect(http.StatusOK)

	// A plan without multi-device sends a conversation from one number.
	setPlan := func(code string) {
		t.Helper()
		if _, err := f.ta.App.DB.NewUpdate().Table("workspaces").Set("plan_id = (SELECT id FROM plans WHERE code = ?)", code).
			Where("id = ?", f.admin.Workspace.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	setPlan(tenants.DefaultPlanCode)
	defer setPlan("business")
	if e := f.manager.Do(http.MethodPost, f.path(""), req).Expect(http.StatusForbidden).Error(); e.Code != "plan_single_number" || e.Fields["connection_ids"] == "" {
		t.Errorf("several numbers on the free plan: %+v", e)
	}
	one := req
	one.ConnectionIDs = []string{f.conn.ID}
	f.compose(f.manager, one, http.StatusCreated)
}
