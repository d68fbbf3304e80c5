package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/policies"
)

// stored inserts a message into conv the way the pipeline leaves it.
func (f *convFixture) stored(conv messaging.Conversation, m messaging.Message) messaging.Message {
	f.t.Helper()
	m.ConversationID, m.ConnectionID = conv.ID, conv.ConnectionID
	if m.Type == "" {
		m.Type = "text"
	}
	if err := messaging.Insert(f.ta.Ctx(), f.sc, &m, "api"); err != nil {
		f.t.Fatal(err)
	}
	return m
}

func partMessageActions(t *testing.T, f *convFixture) {
	conv := f.ticket("Lin")
	msgs := f.path("/" + conv.ID + "/messages")
	pid := "lb-pin-1"
	sent := f.stored(conv, messaging.Message{Direction: messaging.DirectionOut, Body: "Your code is 1234", Status: messaging.StatusSent, ProviderMessageID: &pid})
	in := f.stored(conv, messaging.Message{Direction: messaging.DirectionIn, Body: "Thanks!", Status: messaging.StatusReceived})
	note := f.stored(conv, messaging.Message{Direction: messaging.DirectionNote, Type: "note", Body: "VIP", Status: messaging.StatusReceived})
	pending := f.stored(conv, messaging.Message{Direction: messaging.DirectionOut, Body: "on its way", Status: messaging.StatusPending})
	thread := func(query string) []messaging.Message {
		t.Helper()
		var l api.List[messaging.Message]
		f.agent.Do(http.MethodGet, msgs+query, nil).Expect(http.StatusOK).Decode(&l)
		return l.Items
	}
	ids := func(ms []messaging.Message) []string {
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = m.ID
		}
		return out
	}
	patch := func(id string, body any, want int) messaging.Message {
		t.Helper()
		var m messaging.Message
		r := f.agent.Do(http.MethodPatch, msgs+"/"+id, body).Expect(want)
		if want == http.StatusOK {
			r.Decode(&m)
		}
		return m
	}
	yes, no := true, false

	// Pin: for the whole team, listed apart; pinning twice changes nothing.
	p := patch(in.ID, api.MessageUpdate{Pinned: &yes}, http.StatusOK)
	if p.PinnedAt == nil || p.PinnedBy == nil || *p.PinnedBy != f.agent.User.ID {
		t.Fatalf("pinned %+v", p)
	}
	again := patch(in.ID, api.MessageUpdate{Pinned: &yes}, http.StatusOK)
	if again.PinnedAt == nil || !again.PinnedAt.Equal(*p.PinnedAt) {
		t.Errorf("pinned again: %v, want the first pin's time %v", again.PinnedAt, p.PinnedAt)
	}
	if got := ids(thread("?pinned=true")); len(got) != 1 || got[0] != in.ID {
		t.Errorf("pinned messages %v, want [%s]", got, in.ID)
	}
	var seen api.List[messaging.Message]
	f.manager.Do(http.MethodGet, msgs+"?pinned=true", nil).Expect(http.StatusOK).Decode(&seen)
	if len(seen.Items) != 1 {
		t.Errorf("a teammate sees %d pinned messages, want 1", len(seen.Items))
	}

	// Star: personal. The agent's star is not the manager's.
	if s := patch(sent.ID, api.MessageUpdate{Starred: &yes}, http.StatusOK); !s.Starred {
		t.Errorf("starred %+v", s)
	}
	if got := ids(thread("?starred=true")); len(got) != 1 || got[0] != sent.ID {
		t.Errorf("the agent's starred messages %v, want [%s]", got, sent.ID)
	}
	f.manager.Do(http.MethodGet, msgs+"?starred=true", nil).Expect(http.StatusOK).Decode(&seen)
	if len(seen.Items) != 0 {
		t.Errorf("the manager sees the agent's star: %v", ids(seen.Items))
	}
	for _, m := range thread("") {
		if m.Starred != (m.ID == sent.ID) {
			t.Errorf("thread: %s starred=%v", m.ID, m.Starred)
		}
	}
	// Every answer about the message carries the caller's star: a pin, its info.
	if pinned := patch(sent.ID, api.MessageUpdate{Pinned: &yes}, http.StatusOK); !pinned.Starred {
		t.Errorf("pinning a starred message answered starred=false")
	}
	patch(sent.ID, api.MessageUpdate{Pinned: &no}, http.StatusOK)
	var starredInfo api.MessageInfo
	f.agent.Do(http.MethodGet, msgs+"/"+sent.ID, nil).Expect(http.StatusOK).Decode(&starredInfo)
	if !starredInfo.Message.Starred {
		t.Errorf("info of a starred message: starred=false")
	}
	token := f.ta.Token(f.admin.Workspace, policies.Agent)
	if e := token.Do(http.MethodPatch, msgs+"/"+sent.ID, api.MessageUpdate{Starred: &yes}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["starred"] == "" {
		t.Errorf("a token starring: %+v", e)
	}
	if e := token.Do(http.MethodGet, msgs+"?starred=true", nil).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["starred"] == "" {
		t.Errorf("a token listing stars: %+v", e)
	}

	// React: one emoji; words are refused, notes take none, "" removes.
	heart := "❤️"
	if r := patch(in.ID, api.MessageUpdate{Reaction: &heart}, http.StatusOK); r.Reaction != heart {
		t.Errorf("reacted %+v", r)
	}
	for _, bad := range []string{"ok", "👍 👍", "a👍"} {
		if e := f.agent.Do(http.MethodPatch, msgs+"/"+in.ID, api.MessageUpdate{Reaction: &bad}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["reaction"] == "" {
			t.Errorf("reaction %q: %+v", bad, e)
		}
	}
	if e := f.agent.Do(http.MethodPatch, msgs+"/"+note.ID, api.MessageUpdate{Reaction: &heart}).Expect(http.StatusConflict).Error(); e.Code != "note_reaction" {
		t.Errorf("reacting to a note: %+v", e)
	}
	// A refused reaction leaves the pin asked for with it undone.
	word := "ok"
	f.agent.Do(http.MethodPatch, msgs+"/"+note.ID, api.MessageUpdate{Pinned: &yes, Reaction: &word}).Expect(http.StatusUnprocessableEntity)
	if got, _ := messaging.GetMessage(f.ta.Ctx(), f.sc, note.ID); got.PinnedAt != nil {
		t.Error("a request refused for its reaction pinned the message")
	}
	empty := ""
	if r := patch(in.ID, api.MessageUpdate{Reaction: &empty, Pinned: &no}, http.StatusOK); r.Reaction != "" || r.PinnedAt != nil {
		t.Errorf("unreacted and unpinned %+v", r)
	}
	if got := thread("?pinned=true"); len(got) != 0 {
		t.Errorf("pinned after unpinning: %v", ids(got))
	}
	// Viewers read, never change.
	f.viewer.Do(http.MethodPatch, msgs+"/"+in.ID, api.MessageUpdate{Pinned: &yes}).Expect(http.StatusForbidden)
	f.viewer.Do(http.MethodDelete, msgs+"/"+in.ID, nil).Expect(http.StatusForbidden)

	// Forward: a new outbound message in the other conversation, sent and charged there.
	to := f.ticket("Mo")
	var fwd messaging.Message
	f.agent.Do(http.MethodPost, msgs+"/"+in.ID+"/forward", api.ForwardRequest{ConversationID: to.ID}).Expect(http.StatusCreated).Decode(&fwd)
	if fwd.ConversationID != to.ID || fwd.Body != in.Body || fwd.Direction != messaging.DirectionOut ||
		fwd.Status != messaging.StatusPending || fwd.ForwardedFrom == nil || *fwd.ForwardedFrom != in.ID {
		t.Fatalf("forwarded %+v", fwd)
	}
	if e := f.agent.Do(http.MethodPost, msgs+"/"+note.ID+"/forward", api.ForwardRequest{ConversationID: to.ID}).Expect(http.StatusConflict).Error(); e.Code != "forward_note" {
		t.Errorf("forwarding a note: %+v", e)
	}
	if e := f.agent.Do(http.MethodPost, msgs+"/"+in.ID+"/forward", map[string]any{}).Expect(http.StatusUnprocessableEntity).Error(); e.Fields["conversation_id"] == "" {
		t.Errorf("forward without a conversation: %+v", e)
	}
	// Another workspace's conversation does not exist here.
	otherConv := f.ta.NewTenant("Forward target").IDs["conversation"]
	if e := f.agent.Do(http.MethodPost, msgs+"/"+in.ID+"/forward", api.ForwardRequest{ConversationID: otherConv}).Expect(http.StatusNotFound).Error(); e.Fields["conversation_id"] == "" {
		t.Errorf("forward to another workspace's conversation: %+v, want conversation_id named", e)
	}

	// Delete: the message keeps its place without its content; its row keeps everything.
	f.agent.Do(http.MethodPatch, msgs+"/"+sent.ID, api.MessageUpdate{Pinned: &yes}).Expect(http.StatusOK)
	var del messaging.Message
	f.agent.Do(http.MethodDelete, msgs+"/"+sent.ID, nil).Expect(http.StatusOK).Decode(&del)
	if del.DeletedAt == nil || del.Body != "" || del.PinnedAt != nil || del.Starred || del.Status != messaging.StatusSent {
		t.Fatalf("deleted %+v", del)
	}
	stored, err := messaging.GetMessage(f.ta.Ctx(), f.sc, sent.ID)
	if err != nil || stored.Body != sent.Body || stored.DeletedBy == nil || *stored.DeletedBy != f.agent.User.ID {
		t.Fatalf("row after delete: %+v, %v", stored, err)
	}
	for _, m := range thread("") {
		if m.ID == sent.ID && (m.Body != "" || m.DeletedAt == nil) {
			t.Errorf("thread shows the deleted message as %+v", m)
		}
	}
	if got := thread("?starred=true"); len(got) != 0 {
		t.Errorf("a deleted message still starred: %v", ids(got))
	}
	var info api.MessageInfo
	f.agent.Do(http.MethodGet, msgs+"/"+sent.ID, nil).Expect(http.StatusOK).Decode(&info)
	if info.Message.Body != "" || len(info.Timeline) == 0 {
		t.Errorf("info of a deleted message: %+v", info)
	}
	f.agent.Do(http.MethodDelete, msgs+"/"+sent.ID, nil).Expect(http.StatusOK) // again: nothing more to do
	if e := f.agent.Do(http.MethodPatch, msgs+"/"+sent.ID, api.MessageUpdate{Pinned: &yes}).Expect(http.StatusConflict).Error(); e.Code != "message_deleted" {
		t.Errorf("pinning a deleted message: %+v", e)
	}
	if e := f.agent.Do(http.MethodPost, msgs+"/"+sent.ID+"/forward", api.ForwardRequest{ConversationID: to.ID}).Expect(http.StatusConflict).Error(); e.Code != "message_deleted" {
		t.Errorf("forwarding a deleted message: %+v", e)
	}
	// A message on its way cannot be deleted: it would go out all the same.
	if e := f.agent.Do(http.MethodDelete, msgs+"/"+pending.ID, nil).Expect(http.StatusConflict).Error(); e.Code != "still_sending" {
		t.Errorf("deleting a pending message: %+v", e)
	}
	// A scheduled one is called off and deleted.
	at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	var sch messaging.Message
	f.agent.Do(http.MethodPost, msgs, api.MessageRequest{Type: "text", Text: "later", ScheduleAt: &at}).Expect(http.StatusCreated).Decode(&sch)
	f.agent.Do(http.MethodDelete, msgs+"/"+sch.ID, nil).Expect(http.StatusOK).Decode(&del)
	if del.Status != messaging.StatusCancelled || del.DeletedAt == nil {
		t.Errorf("deleted scheduled message %+v", del)
	}
}
