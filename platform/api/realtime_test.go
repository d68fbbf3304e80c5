package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// rtServer is an app serving HTTP on a loopback port, for real WebSocket clients.
type rtServer struct {
	ta   *testapp.TestApp
	addr string // host:port
}

func newRTServer(t *testing.T) *rtServer {
	t.Helper()
	return serveRT(t, testapp.New(t))
}

// serveRT serves ta's HTTP on a loopback port.
func serveRT(t *testing.T, ta *testapp.TestApp) *rtServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ta.Server.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &rtServer{ta: ta, addr: ln.Addr().String()}
}

func (s *rtServer) url(ws tenants.Workspace) string {
	return "ws://" + s.addr + "/api/v1/workspaces/" + ws.Slug + "/realtime"
}

// sessionHeader signs u in and returns the headers of a browser on our own page.
func (s *rtServer) sessionHeader(t *testing.T, u auth.User) http.Header {
	t.Helper()
	_, token, err := s.ta.App.Accounts.StartSession(context.Background(), u.ID, "10.9.8.7", "realtime-test")
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{"Cookie": {api.SessionCookie + "=" + token}, "Origin": {"http://" + s.addr}}
}

func (s *rtServer) tokenHeader(t *testing.T, ws tenants.Workspace, role policies.Role) http.Header {
	t.Helper()
	_, secret, err := auth.CreateToken(context.Background(), tenants.Scope(s.ta.App.DB, ws.ID), "realtime", role, tenants.Membership{Role: policies.Admin}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{"Authorization": {"Bearer " + secret}}
}

// dial connects and waits for the ready hello.
func dial(t *testing.T, url string, h http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := (&websocket.Dialer{HandshakeTimeout: 10 * time.Second}).Dial(url, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	t.Cleanup(func() { c.Close() })
	if got := readRaw(t, c); got != `{"type":"ready"}` {
		t.Fatalf("first message %s, want ready", got)
	}
	return c
}

// refused dials expecting the handshake to be refused with status, and returns the
// error code of the JSON body.
func refused(t *testing.T, url string, h http.Header, status int) string {
	t.Helper()
	c, resp, err := (&websocket.Dialer{HandshakeTimeout: 10 * time.Second}).Dial(url, h)
	if err == nil {
		c.Close()
		t.Fatalf("connected, want %d", status)
	}
	if resp == nil {
		t.Fatalf("dial: %v, want %d", err, status)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	var e api.ErrorBody
	_ = json.Unmarshal(body, &e)
	return e.Error.Code
}

func readRaw(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("message type %d, want text", typ)
	}
	return string(b)
}

func (s *rtServer) publish(t *testing.T, ev realtime.Event) {
	t.Helper()
	if err := s.ta.App.Realtime.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

func TestRealtimeDeliversWhatTheMemberMaySee(t *testing.T) {
	t.Parallel()
	s := newRTServer(t)
	admin := s.ta.NewWorkspace("Realtime")
	ws := admin.Workspace
	agent := s.ta.Member(ws, policies.Agent)
	manager := s.ta.Member(ws, policies.Manager)

	adminConn := dial(t, s.url(ws), s.sessionHeader(t, admin.User))
	agentConn := dial(t, s.url(ws), s.sessionHeader(t, agent.User))
	managerConn := dial(t, s.url(ws), s.sessionHeader(t, manager.User))
	viewerConn := dial(t, s.url(ws), s.tokenHeader(t, ws, policies.Viewer)) // Bearer, no Origin

	chat := realtime.Event{Type: realtime.MessageCreated, WorkspaceID: ws.ID, ConversationID: "conv-chat", ConversationKind: realtime.KindChat,
		AssigneeID: manager.User.ID, Data: json.RawMessage(`{"body":"for managers"}`)}
	chatCounts := realtime.Event{Type: realtime.CountsChanged, WorkspaceID: ws.ID, ConversationKind: realtime.KindChat, Data: json.RawMessage(`{"kind":"chat"}`)}
	ticket := realtime.Event{Type: realtime.ConversationUpdated, WorkspaceID: ws.ID, ConversationID: "conv-ticket", ConversationKind: realtime.KindTicket}
	s.publish(t, chat)
	s.publish(t, chatCounts)
	s.publish(t, ticket)

	const (
		chatJSON   = `{"type":"message.created","conversation_id":"conv-chat","conversation_kind":"chat","data":{"body":"for managers"}}`
		countsJSON = `{"type":"counts.changed","conversation_kind":"chat","data":{"kind":"chat"}}`
		ticketJSON = `{"type":"conversation.updated","conversation_id":"conv-ticket","conversation_kind":"ticket"}`
	)
	for name, c := range map[string]*websocket.Conn{"admin": adminConn, "manager": managerConn} {
		for _, want := range []string{chatJSON, countsJSON, ticketJSON} {
			if got := readRaw(t, c); got != want {
				t.Errorf("%s got %s, want %s", name, got, want)
			}
		}
	}
	// Events arrive in order, so a Chat event delivered to an agent or a viewer would
	// come before the ticket event.
	for name, c := range map[string]*websocket.Conn{"agent session": agentConn, "viewer token": viewerConn} {
		if got := readRaw(t, c); got != ticketJSON {
			t.Errorf("%s got %s, want only the ticket event", name, got)
		}
	}
}

// TestRealtimeWalletLowReachesBilling: a wallet falling to its low-balance threshold
// tells the members who may see billing, once, and nobody else.
func TestRealtimeWalletLowReachesBilling(t *testing.T) {
	t.Parallel()
	s := newRTServer(t)
	admin := s.ta.NewWorkspace("Low wallet")
	ws := admin.Workspace
	manager := s.ta.Member(ws, policies.Manager)
	adminConn := dial(t, s.url(ws), s.sessionHeader(t, admin.User))
	managerConn := dial(t, s.url(ws), s.sessionHeader(t, manager.User))

	ctx, l := context.Background(), s.ta.App.Ledger
	if _, err := l.Move(ctx, ws.ID, billing.Movement{Kind: billing.Grant, Amount: 12, Key: "seed", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SetLowBalanceThreshold(ctx, ws.ID, 10); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // 12 → 11 → 10 (low) → 9
		if _, err := l.Charge(ctx, ws.ID, 1, fmt.Sprint("c", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	ticket := realtime.Event{Type: realtime.ConversationUpdated, WorkspaceID: ws.ID, ConversationID: "conv-ticket", ConversationKind: realtime.KindTicket}
	s.publish(t, ticket)
	const ticketJSON = `{"type":"conversation.updated","conversation_id":"conv-ticket","conversation_kind":"ticket"}`
	if got := readRaw(t, adminConn); got != `{"type":"wallet.low","data":{"balance":10}}` {
		t.Fatalf("admin got %s, want the wallet's alert", got)
	}
	if got := readRaw(t, adminConn); got != ticketJSON {
		t.Fatalf("admin got %s after the alert, want the ticket event (one alert a spell)", got)
	}
	// Events arrive in order: an alert delivered to the manager would come first.
	if got := readRaw(t, managerConn); got != ticketJSON {
		t.Fatalf("manager got %s, want only the ticket event", got)
	}
}

func TestRealtimeIsolatesWorkspaces(t *testing.T) {
	t.Parallel()
	s := newRTServer(t)
	a := s.ta.NewWorkspace("Acme")
	b := s.ta.NewWorkspace("Globex")
	bConn := dial(t, s.url(b.Workspace), s.sessionHeader(t, b.User))

	// B's admin may not open A's stream, by slug or id, and learns nothing of it.
	if code := refused(t, s.url(a.Workspace), s.sessionHeader(t, b.User), http.StatusNotFound); code != "workspace_not_found" {
		t.Errorf("code %q", code)
	}
	byID := "ws://" + s.addr + "/api/v1/workspaces/" + a.Workspace.ID + "/realtime"
	refused(t, byID, s.sessionHeader(t, b.User), http.StatusNotFound)
	refused(t, s.url(a.Workspace), s.tokenHeader(t, b.Workspace, policies.Admin), http.StatusNotFound)

	s.publish(t, realtime.Event{Type: realtime.CountsChanged, WorkspaceID: a.Workspace.ID, Data: json.RawMessage(`"A"`)})
	s.publish(t, realtime.Event{Type: realtime.CountsChanged, WorkspaceID: b.Workspace.ID, Data: json.RawMessage(`"B"`)})
	if got := readRaw(t, bConn); got != `{"type":"counts.changed","data":"B"}` {
		t.Errorf("B got %s", got)
	}
}

func TestRealtimeHandshake(t *testing.T) {
	t.Parallel()
	s := newRTServer(t)
	admin := s.ta.NewWorkspace("Handshake")
	ws := admin.Workspace
	url := s.url(ws)

	t.Run("no credentials", func(t *testing.T) {
		refused(t, url, http.Header{"Origin": {"http://" + s.addr}}, http.StatusUnauthorized)
	})
	t.Run("bad token", func(t *testing.T) {
		refused(t, url, http.Header{"Authorization": {"Bearer sbt_nope"}}, http.StatusUnauthorized)
	})
	t.Run("cookie from another site", func(t *testing.T) {
		h := s.sessionHeader(t, admin.User)
		for _, origin := range []string{"http://evil.example", "https://" + s.addr + ".evil.example", "null"} {
			h.Set("Origin", origin)
			if code := refused(t, url, h, http.StatusForbidden); code != "origin_forbidden" {
				t.Errorf("origin %s: code %q", origin, code)
			}
		}
		h.Del("Origin")
		refused(t, url, h, http.StatusForbidden)
	})
	t.Run("cookie from the public URL", func(t *testing.T) {
		h := s.sessionHeader(t, admin.User)
		h.Set("Origin", "http://switchboard.test") // testapp's public URL
		dial(t, url, h)
	})
	t.Run("token from anywhere", func(t *testing.T) {
		h := s.tokenHeader(t, ws, policies.Agent)
		h.Set("Origin", "http://evil.example")
		dial(t, url, h)
	})
	t.Run("not an upgrade", func(t *testing.T) {
		r := admin.Do(http.MethodGet, admin.WSPath("/realtime"), nil).Expect(http.StatusUpgradeRequired)
		if e := r.Error(); e.Code != "upgrade_required" {
			t.Errorf("code %q", e.Code)
		}
		if got := r.Header.Get("Upgrade"); !strings.EqualFold(got, "websocket") {
			t.Errorf("Upgrade header %q", got)
		}
	})
	t.Run("role without conversations:read", func(t *testing.T) {
		if err := s.ta.App.Enforcer.SetOverrides(ws.ID, []policies.Override{
			{WorkspaceID: ws.ID, Role: policies.Viewer, Permission: policies.ConversationsRead, Effect: policies.Deny},
		}); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = s.ta.App.Enforcer.SetOverrides(ws.ID, nil) }()
		viewer := s.ta.Member(ws, policies.Viewer)
		if code := refused(t, url, s.sessionHeader(t, viewer.User), http.StatusForbidden); code != "forbidden" {
			t.Errorf("code %q", code)
		}
	})
}

func TestRealtimeServerShutdownClosesConnections(t *testing.T) {
	t.Parallel()
	s := newRTServer(t)
	admin := s.ta.NewWorkspace("Shutdown")
	c := dial(t, s.url(admin.Workspace), s.sessionHeader(t, admin.User))
	s.ta.App.Realtime.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway || ce.Text != realtime.ErrClosed.Error() {
		t.Fatalf("read after the hub closed: %v, want close %d %q", err, websocket.CloseGoingAway, realtime.ErrClosed)
	}
}

// closedWith reads on until the server closes the connection, failing on any event
// before that, and checks the close frame.
func closedWith(t *testing.T, c *websocket.Conn, who string, code int, text string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("%s: read %s (%v), want the connection closed with %d", who, b, err, code)
	}
	if ce.Code != code || ce.Text != text {
		t.Errorf("%s: closed with %d %q, want %d %q", who, ce.Code, ce.Text, code, text)
	}
}

// TestRealtimeEndsWhenAccessEnds: a connection stays only as long as its caller may
// see the workspace. A removed member, a revoked token and, once the workspace is
// suspended, everyone are closed out (1008) before the next event reaches them; a
// member given another role gets what the new role may see from then on.
func TestRealtimeEndsWhenAccessEnds(t *testing.T) {
	t.Parallel()
	s := newRTServer(t)
	admin := s.ta.NewWorkspace("Access")
	ws := admin.Workspace
	removed := s.ta.Member(ws, policies.Agent)
	demoted := s.ta.Member(ws, policies.Manager)
	stays := s.ta.Member(ws, policies.Manager)
	tok, secret, err := auth.CreateToken(context.Background(), tenants.Scope(s.ta.App.DB, ws.ID), "integration", policies.Viewer, tenants.Membership{Role: policies.Admin}, 0)
	if err != nil {
		t.Fatal(err)
	}
	removedConn := dial(t, s.url(ws), s.sessionHeader(t, removed.User))
	demotedConn := dial(t, s.url(ws), s.sessionHeader(t, demoted.User))
	staysConn := dial(t, s.url(ws), s.sessionHeader(t, stays.User))
	tokenConn := dial(t, s.url(ws), http.Header{"Authorization": {"Bearer " + secret}})

	members := admin.WSPath("/members/")
	admin.Do(http.MethodDelete, members+scMemberID(t, admin, removed.User.ID), nil).Expect(http.StatusNoContent)
	admin.Do(http.MethodPatch, members+scMemberID(t, admin, demoted.User.ID), api.RoleChange{Role: policies.Agent}).Expect(http.StatusOK)
	admin.Do(http.MethodDelete, admin.WSPath("/tokens/"+tok.ID), nil).Expect(http.StatusOK)

	chat := realtime.Event{Type: realtime.MessageCreated, WorkspaceID: ws.ID, ConversationID: "conv-chat", ConversationKind: realtime.KindChat,
		Data: json.RawMessage(`{"body":"for managers"}`)}
	ticket := realtime.Event{Type: realtime.ConversationUpdated, WorkspaceID: ws.ID, ConversationID: "conv-ticket", ConversationKind: realtime.KindTicket}
	s.publish(t, chat)
	s.publish(t, ticket)
	const (
		chatJSON   = `{"type":"message.created","conversation_id":"conv-chat","conversation_kind":"chat","data":{"body":"for managers"}}`
		ticketJSON = `{"type":"conversation.updated","conversation_id":"conv-ticket","conversation_kind":"ticket"}`
	)
	const policyViolation = 1008
	closedWith(t, removedConn, "removed member", policyViolation, "access ended; sign in again")
	closedWith(t, tokenConn, "revoked token", policyViolation, "access ended; sign in again")
	if got := readRaw(t, demotedConn); got != `{"type":"access.changed"}` {
		t.Errorf("manager made an agent got %s first, want to be told their access changed", got)
	}
	if got := readRaw(t, demotedConn); got != ticketJSON {
		t.Errorf("manager made an agent got %s, want only the ticket event (no Chat)", got)
	}
	for _, want := range []string{chatJSON, ticketJSON} {
		if got := readRaw(t, staysConn); got != want {
			t.Errorf("manager who stays got %s, want %s", got, want)
		}
	}

	op := scOperator(t, s.ta)
	op.Do(http.MethodPatch, "/api/v1/operator/workspaces/"+ws.ID, map[string]any{"suspended": true}).Expect(http.StatusOK)
	s.publish(t, ticket)
	closedWith(t, staysConn, "member of a suspended workspace", policyViolation, "access ended; sign in again")
	closedWith(t, demotedConn, "member of a suspended workspace", policyViolation, "access ended; sign in again")
}

// TestRealtimeTyping: a member writing in a ticket is heard by the others who see it,
// with their name, and by no other workspace; an API token does not type.
func TestRealtimeTyping(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"loopback": loopback.New()}))
	s := serveRT(t, ta)
	f := convFixtureOn(t, ta)
	other := convFixtureOn(t, ta)
	ticket := f.ticket("Typed at")
	managerConn := dial(t, s.url(f.admin.Workspace), s.sessionHeader(t, f.manager.User))
	otherConn := dial(t, s.url(other.admin.Workspace), s.sessionHeader(t, other.admin.User))

	f.agent.Do(http.MethodPost, f.path("/"+ticket.ID+"/typing"), nil).Expect(http.StatusNoContent)
	var ev struct {
		Type           string          `json:"type"`
		ConversationID string          `json:"conversation_id"`
		Data           pipeline.Typist `json:"data"`
	}
	if err := json.Unmarshal([]byte(readRaw(t, managerConn)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != realtime.ConversationTyping || ev.ConversationID != ticket.ID || ev.Data.UserID != f.agent.User.ID || ev.Data.Name == "" {
		t.Fatalf("manager heard %+v, want the agent typing in the ticket", ev)
	}
	// The other workspace hears its own event next, not the typing.
	other.agent.Do(http.MethodPost, other.path("/"+other.ticket("Theirs").ID+"/typing"), nil).Expect(http.StatusNoContent)
	if got := readRaw(t, otherConn); !strings.Contains(got, other.agent.User.ID) {
		t.Fatalf("the other workspace heard %s first, want only its own agent", got)
	}
	// Another workspace's ticket is not found; a token is refused.
	other.agent.Do(http.MethodPost, f.path("/"+ticket.ID+"/typing"), nil).Expect(http.StatusNotFound)
	tok := ta.Token(f.admin.Workspace, policies.Agent)
	if r := tok.Do(http.MethodPost, f.path("/"+ticket.ID+"/typing"), nil); r.Error().Code != "user_only" {
		t.Fatalf("a token typing: %d %s, want user_only", r.Status, r.Body)
	}
}
