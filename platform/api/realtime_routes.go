package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// realtimeArea is the WebSocket that tells the browser what changed in a workspace.
//
// GET /api/v1/workspaces/:workspace/realtime goes through the same guards as every
// workspace route (session cookie or API token, membership, conversations:read) and
// only then upgrades. The server first sends {"type":"ready"} once its subscription is
// in place: the client then (re)loads what it shows, and applies the events that
// follow, each a JSON text frame of realtime.Event. When the server closes the
// connection with a reason ("too slow; reconnect and resync", "event stream
// interrupted; …", "server shutting down; …") the client reconnects and waits for
// "ready" again. The server pings every 30 s; the client's pongs keep the connection.
// Clients send nothing (other than control frames).
//
// Access is decided at connect and, per event, by visible with the caller's role and
// their role's access rule (messaging.AccessRule: Match assignee, inboxes). The
// caller is checked again as every request is (session or token still valid, still a
// member, the role, the workspace not suspended) at once when the workspace's access
// changes (realtime.AccessChanged: a member removed or given another role, a token
// revoked, the workspace suspended) and every realtimeRecheck besides (a session signed
// out or expired). A caller who lost access is sent a close frame with code 1008 and
// realtimeAccessEnded; one whose role changed gets what the new role may see.
type realtimeArea struct{ s *Server }

// RealtimeReady is the first message on a realtime connection.
type RealtimeReady struct {
	Type string `json:"type" enum:"ready"`
}

// RealtimeAccessChanged tells a client that what its caller may see changed (their
// role, or its access rule), while the connection stays: reload the workspace and
// what it shows.
type RealtimeAccessChanged struct {
	Type string `json:"type" enum:"access.changed"`
}

const (
	// realtimeLocal passes the connection's caller to the WebSocket handler; the
	// contrib package copies only string-keyed locals.
	realtimeLocal = "switchboard.realtime"

	realtimePing      = 30 * time.Second                   // how often the server pings
	realtimePongWait  = realtimePing + 15*time.Second      // silence after which the client is gone
	realtimeWriteWait = 10 * time.Second                   // a write that takes longer drops the client
	realtimeReadLimit = 4096                               // clients send nothing but control frames
	realtimeCloseWait = time.Second                        // for the close frame to go out
	realtimeRecheck   = 15 * time.Second                   // how often the caller's access is checked again
	realtimeTooSlow   = "too slow; reconnect and resync"   // = realtime.ErrSlow
	realtimeUnknown   = "realtime closed; reconnect later" // any other end
	// realtimeAccessEnded closes a connection whose caller may no longer see the
	// workspace: reconnecting will not help until they sign in again, or are let back in.
	realtimeAccessEnded = "access ended; sign in again"
)

var (
	errUpgradeRequired = httpError{status: http.StatusUpgradeRequired, f: &failure.Error{Kind: failure.Invalid, Code: "upgrade_required",
		Message: "this endpoint is a WebSocket: connect with a WebSocket client (Connection: Upgrade, Upgrade: websocket)"}}
	errBadHandshake = httpError{status: http.StatusBadRequest, f: &failure.Error{Kind: failure.Invalid, Code: "bad_handshake",
		Message: "the WebSocket handshake is invalid (Sec-WebSocket-Key, Sec-WebSocket-Version: 13)"}}
	errOriginForbidden = failure.New(failure.Forbidden, "origin_forbidden",
		"a WebSocket signed in by the session cookie must be opened by this site's pages (Origin header)")
	errRealtimeOff = failure.New(failure.Unavailable, "realtime_unavailable", "realtime events are not available on this server")
)

// realtimeCaller is who a connection serves: found at connect, and checked again with
// the credential it connected with (see serve).
type realtimeCaller struct {
	workspaceID string
	role        policies.Role
	access      messaging.Access // the role's access rule, for events about conversations
	credential  credential
}

func (a realtimeArea) Register(r *Router) {
	up := websocket.New(a.serve, websocket.Config{
		HandshakeTimeout: realtimeWriteWait,
		// The Origin is checked in connect, where it is known how the caller signed in.
		Origins: []string{"*"},
	})
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/realtime", Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "Realtime events (WebSocket): {\"type\":\"ready\"}, then events the caller may see as JSON text frames; " +
			"426 without a WebSocket upgrade", Tag: "realtime", Status: http.StatusSwitchingProtocols}, a.connect(up))
}

// connect runs after the guards: it checks the upgrade and, for cookie sign-ins, the
// Origin, then hands the request to the WebSocket upgrader.
func (a realtimeArea) connect(up fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			c.Set(fiber.HeaderUpgrade, "websocket")
			return errUpgradeRequired
		}
		p, _ := PrincipalOf(c)
		// Browsers send cookies on cross-site WebSocket handshakes and no CORS check
		// applies, so a cookie sign-in must come from our own pages. A token is sent
		// in a header no other site's page can set.
		if p.Token == nil && !a.s.sameOrigin(c.Get(fiber.HeaderOrigin), string(c.Request().Host())) {
			return errOriginForbidden
		}
		if a.s.realtime == nil {
			return errRealtimeOff
		}
		ws, _ := tenants.FromContext(c.UserContext())
		m, _ := tenants.MembershipFromContext(c.UserContext())
		acc, err := a.s.accessOf(c)
		if err != nil {
			return err
		}
		caller := &realtimeCaller{workspaceID: ws.ID, role: m.Role, access: acc, credential: credentialOf(c)}
		c.Locals(realtimeLocal, caller)
		if err := up(c); err != nil {
			if errors.Is(err, fiber.ErrUpgradeRequired) {
				return errBadHandshake
			}
			return err
		}
		return nil
	}
}

// sameOrigin reports whether origin is this server's: the public URL's origin, or the
// host the request was sent to. An absent or opaque ("null") origin is not.
func (s *Server) sameOrigin(origin, host string) bool {
	if origin == "" {
		return false
	}
	o, err := url.Parse(origin)
	if err != nil || o.Host == "" || (o.Scheme != "http" && o.Scheme != "https") {
		return false
	}
	if pub, err := url.Parse(s.cfg.BaseURL()); err == nil && pub.Host != "" && canonicalOrigin(o) == canonicalOrigin(pub) {
		return true
	}
	return host != "" && strings.EqualFold(o.Host, host)
}

// canonicalOrigin is scheme://host[:port] in lower case, without the scheme's default
// port.
func canonicalOrigin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// visible decides whether a member may receive an event; it is the one place realtime
// access is decided, and it runs for every event, so policy overrides apply at once.
//
//   - Every event needs conversations:read (the route's permission, which an override
//     may take away while the connection lasts).
//   - An event about Chat conversations (conversation_kind "chat", counts.changed of
//     Chat included) also needs chat:read: agents and viewers never get one.
//   - An event about one conversation needs the caller's access rule to let them see
//     it (its assignee and connection), as the API does, or to have let them see it
//     before the change (a ticket taken from them, or from the queue they see: they
//     hear that it left).
//   - An event that names a permission (a wallet's low-balance alert: billing:read)
//     needs that one as well, and is about no conversation.
//   - An unknown kind is not delivered.
func visible(ev realtime.Event, role policies.Role, e *policies.Enforcer, workspaceID string, access messaging.Access) bool {
	if ev.WorkspaceID != workspaceID {
		return false
	}
	if !e.Allowed(workspaceID, role, policies.ConversationsRead) {
		return false
	}
	if ev.Permission != "" {
		return ev.ConversationID == "" && e.Allowed(workspaceID, role, policies.Permission(ev.Permission))
	}
	if ev.ConversationID != "" && !access.Allows(ev.ConnectionID, ev.AssigneeID) &&
		!(ev.Reassigned && access.Allows(ev.ConnectionID, ev.FormerAssigneeID)) {
		return false
	}
	switch ev.ConversationKind {
	case realtime.KindChat:
		return e.Allowed(workspaceID, role, policies.ChatRead)
	case realtime.KindTicket, realtime.KindCampaign, "":
		return true
	}
	return false
}

// serve is one WebSocket connection: subscribe, say ready, then forward the events the
// caller may see and ping, until either side ends it.
func (a realtimeArea) serve(conn *websocket.Conn) {
	caller, _ := conn.Locals(realtimeLocal).(*realtimeCaller)
	ws := conn.Conn // the contrib wrapper is recycled when serve returns
	defer ws.Close()
	if caller == nil {
		return
	}
	log := a.s.log.With("workspace_id", caller.workspaceID, "role", caller.role)
	hub := a.s.realtime

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Subscribe waits (boundedly) for Redis to confirm, so "ready" means no later
	// event is missed.
	events, unsubscribe := hub.Subscribe(ctx, caller.workspaceID)
	defer unsubscribe()

	closeWith := func(code int, text string) {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(realtimeCloseWait))
	}
	if err := hub.Err(events); err != nil {
		closeWith(websocket.CloseTryAgainLater, realtimeReason(err))
		return
	}

	// Reader: answers pings, takes pongs and the close handshake, and notices a client
	// that went away.
	ws.SetReadLimit(realtimeReadLimit)
	_ = ws.SetReadDeadline(time.Now().Add(realtimePongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(realtimePongWait)) })
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := ws.NextReader(); err != nil {
				return
			}
		}
	}()
	defer func() {
		_ = ws.Close()
		<-gone
	}()

	write := func(v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			log.Error("realtime: encode event", "error", err)
			return true
		}
		_ = ws.SetWriteDeadline(time.Now().Add(realtimeWriteWait))
		return ws.WriteMessage(websocket.TextMessage, b) == nil
	}
	if !write(RealtimeReady{Type: "ready"}) {
		return
	}
	log.Debug("realtime: connected")
	// A member's open app is their presence for the queue's round robin; one
	// coming online may take tickets that waited.
	seen := func() {}
	if user, presence := caller.access.UserID, a.s.pipeline.Presence; user != "" && presence != nil {
		connID := storage.NewID()
		sc := tenants.Scope(a.s.db, caller.workspaceID)
		seen = func() {
			came, err := presence.Seen(ctx, caller.workspaceID, user, connID)
			if err != nil {
				log.Warn("realtime: presence not recorded", "error", err)
			}
			if came {
				// On its own: this loop must go on reading the events the pass sends.
				a.s.pipeline.AssignQueuedSoon(ctx, sc)
			}
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), realtimeWriteWait)
			defer cancel()
			if err := presence.Left(ctx, caller.workspaceID, user, connID); err != nil {
				log.Warn("realtime: presence not cleared", "error", err)
			}
		}()
	}
	seen()
	ping := time.NewTicker(realtimePing)
	defer ping.Stop()
	recheck := time.NewTicker(realtimeRecheck)
	defer recheck.Stop()
	// allowed checks the caller again and takes up their role as it is now; when they
	// lost access it closes the connection and reports false.
	allowed := func() bool {
		role, acc, err := a.recheck(ctx, caller)
		if err == nil {
			caller.role, caller.access = role, acc
			return true
		}
		code, reason := websocket.ClosePolicyViolation, realtimeAccessEnded
		switch failure.KindOf(err) {
		case failure.Unauthenticated, failure.NotFound, failure.Forbidden:
		default: // the check itself failed (the database): the client tries again later
			code, reason = websocket.CloseTryAgainLater, realtimeUnknown
			log.Warn("realtime: access not checked again", "error", err)
		}
		closeWith(code, reason)
		log.Debug("realtime: access ended", "reason", err)
		return false
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				err := hub.Err(events)
				code := websocket.CloseTryAgainLater
				if errors.Is(err, realtime.ErrClosed) {
					code = websocket.CloseGoingAway
				}
				closeWith(code, realtimeReason(err))
				log.Debug("realtime: subscription ended", "reason", err)
				return
			}
			if ev.Type == realtime.AccessChanged {
				role, rule := caller.role, caller.access.Rule
				if !allowed() {
					return
				}
				if caller.role != role || !sameRule(caller.access.Rule, rule) {
					if !write(RealtimeAccessChanged{Type: "access.changed"}) {
						return
					}
				}
				continue
			}
			if !visible(ev, caller.role, a.s.enforcer, caller.workspaceID, caller.access) {
				continue
			}
			if !write(ev) {
				return
			}
		case <-recheck.C:
			if !allowed() {
				return
			}
		case <-ping.C:
			if err := ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(realtimeWriteWait)); err != nil {
				return
			}
			seen()
		case <-gone:
			log.Debug("realtime: client left")
			return
		}
	}
}

// sameRule reports whether two access rules show the same conversations.
func sameRule(a, b messaging.AccessRule) bool {
	return a.Mode == b.Mode && a.Unassigned == b.Unassigned && slices.Equal(a.ConnectionIDs, b.ConnectionIDs)
}

// recheck finds the caller's role in the workspace, and its access rule, as a new
// request would, or why they may no longer see it.
func (a realtimeArea) recheck(ctx context.Context, caller *realtimeCaller) (policies.Role, messaging.Access, error) {
	p, err := principalOf(ctx, a.s.accounts, caller.credential, false)
	if err != nil {
		return "", messaging.Access{}, err
	}
	_, m, err := a.s.membershipOf(ctx, p, caller.workspaceID)
	if err != nil {
		return "", messaging.Access{}, err
	}
	if !a.s.enforcer.Allowed(caller.workspaceID, m.Role, policies.ConversationsRead) {
		return "", messaging.Access{}, failure.New(failure.Forbidden, "forbidden", "the role no longer allows conversations:read")
	}
	rule, err := messaging.AccessRuleFor(ctx, tenants.Scope(a.s.db, caller.workspaceID), m.Role)
	if err != nil {
		return "", messaging.Access{}, err
	}
	return m.Role, messaging.Access{Rule: rule, UserID: caller.access.UserID}, nil
}

// accessChanged tells the workspace's realtime connections to check their callers
// again (see realtimeArea). Best effort: the periodic check catches a missed one.
func (s *Server) accessChanged(ctx context.Context, workspaceID string) {
	if s.realtime == nil {
		return
	}
	if err := s.realtime.Publish(ctx, realtime.Event{Type: realtime.AccessChanged, WorkspaceID: workspaceID}); err != nil {
		s.log.Warn("realtime: access change not published", "workspace_id", workspaceID, "error", err)
	}
}

// realtimeReason is the close reason sent to the client.
func realtimeReason(err error) string {
	switch {
	case errors.Is(err, realtime.ErrSlow):
		return realtimeTooSlow
	case errors.Is(err, realtime.ErrInterrupted), errors.Is(err, realtime.ErrUnavailable), errors.Is(err, realtime.ErrClosed):
		return err.Error()
	}
	return realtimeUnknown
}
