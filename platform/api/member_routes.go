package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

var errUserOnly = failure.New(failure.Forbidden, "user_only", "this needs a signed-in user, not an API token")

// memberArea is a workspace's members and invitations.
type memberArea struct{ s *Server }

// RoleChange sets a member's role.
type RoleChange struct {
	Role policies.Role `json:"role" enum:"admin,manager,agent,viewer"`
}

// InviteRequest invites someone by email.
type InviteRequest struct {
	Email string        `json:"email"`
	Role  policies.Role `json:"role" enum:"admin,manager,agent,viewer"`
}

// InvitationView is an invitation with its state.
type InvitationView struct {
	tenants.Invitation
	Status string `json:"status" enum:"pending,accepted,revoked,expired"`
}

// InvitationCreated carries the one-time token and link to hand to the invitee.
type InvitationCreated struct {
	Invitation InvitationView `json:"invitation"`
	Token      string         `json:"token" doc:"shown once; only its hash is stored"`
	AcceptURL  string         `json:"accept_url"`
}

func (a memberArea) Register(r *Router) {
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/members", Access: InWorkspace, Permission: policies.MembersRead,
		Summary: "Members and their roles", Tag: "members", Query: PageQuery{}, Response: List[tenants.Member]{}}, a.list)
	r.Add(Route{Method: http.MethodPatch, Path: WorkspacePrefix + "/members/:member", Access: InWorkspace, Permission: policies.MembersManage,
		Summary: "Change a member's role", Tag: "members", Request: RoleChange{}, Response: tenants.Membership{}}, a.changeRole)
	r.Add(Route{Method: http.MethodDelete, Path: WorkspacePrefix + "/members/:member", Access: InWorkspace, Permission: policies.MembersManage,
		Summary: "Remove a member", Tag: "members", Status: http.StatusNoContent}, a.remove)
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/invitations", Access: InWorkspace, Permission: policies.MembersManage,
		Summary: "Invitations, newest first", Tag: "members", Query: PageQuery{}, Response: List[InvitationView]{}}, a.invitations)
	r.Add(Route{Method: http.MethodPost, Path: WorkspacePrefix + "/invitations", Access: InWorkspace, Permission: policies.MembersManage,
		Summary: "Invite someone by email", Tag: "members", Request: InviteRequest{}, Response: InvitationCreated{}, Status: http.StatusCreated}, a.invite)
	r.Add(Route{Method: http.MethodDelete, Path: WorkspacePrefix + "/invitations/:invitation", Access: InWorkspace, Permission: policies.MembersManage,
		Summary: "Revoke a pending invitation", Tag: "members", Response: InvitationView{}}, a.revoke)
}

func scoped(c *fiber.Ctx, s *Server) tenants.Scoped {
	ws, _ := tenants.FromContext(c.UserContext())
	return tenants.Scope(s.db, ws.ID)
}

func (a memberArea) list(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	ms, next, err := tenants.Members(c.UserContext(), scoped(c, a.s), p)
	if err != nil {
		return err
	}
	return list(c, ms, next)
}

func (a memberArea) changeRole(c *fiber.Ctx) error {
	var req RoleChange
	if err := decode(c, &req); err != nil {
		return err
	}
	sc := scoped(c, a.s)
	held, err := a.heldTickets(c, c.Params("member"))
	if err != nil {
		return err
	}
	m, err := tenants.ChangeRole(c.UserContext(), sc, c.Params("member"), req.Role)
	if err != nil {
		return err
	}
	a.s.accessChanged(c.UserContext(), m.WorkspaceID)
	a.handedBack(c, held)
	// Their tickets back in the queue, or a role that may now hold some.
	a.s.pipeline.AssignQueued(c.UserContext(), sc, nil)
	return c.JSON(m)
}

func (a memberArea) remove(c *fiber.Ctx) error {
	sc := scoped(c, a.s)
	held, err := a.heldTickets(c, c.Params("member"))
	if err != nil {
		return err
	}
	if err := tenants.RemoveMember(c.UserContext(), sc, c.Params("member")); err != nil {
		return err
	}
	a.s.accessChanged(c.UserContext(), sc.WorkspaceID())
	a.handedBack(c, held)
	a.s.pipeline.AssignQueued(c.UserContext(), sc, nil) // their tickets, back in the queue
	return c.SendStatus(http.StatusNoContent)
}

// heldTickets are the tickets the member memberID holds, before a change that may hand
// them back to the queue (tenants.RemoveMember, ChangeRole).
func (a memberArea) heldTickets(c *fiber.Ctx, memberID string) ([]messaging.Conversation, error) {
	sc := scoped(c, a.s)
	var m tenants.Membership
	if err := sc.Get(c.UserContext(), &m, memberID, tenants.ErrMemberNotFound); err != nil {
		return nil, err
	}
	return messaging.HeldTickets(c.UserContext(), sc, m.UserID)
}

// handedBack tells browsers of each of held that changed hands: the queue now has it,
// and its former holder's list drops it.
func (a memberArea) handedBack(c *fiber.Ctx, held []messaging.Conversation) {
	sc := scoped(c, a.s)
	ids := make([]string, len(held))
	for i, h := range held {
		ids[i] = h.ID
	}
	now, err := messaging.ConversationsByID(c.UserContext(), sc, ids)
	if err != nil {
		a.s.log.Warn("tickets handed back not announced", "workspace_id", sc.WorkspaceID(), "error", err)
		return
	}
	for _, conv := range now {
		before := held[slices.IndexFunc(held, func(h messaging.Conversation) bool { return h.ID == conv.ID })]
		if conv.AssigneeID != nil && *conv.AssigneeID == *before.AssigneeID {
			continue // still theirs (a role that keeps its tickets)
		}
		a.s.pipeline.ConversationChanged(c.UserContext(), sc, before, conv)
	}
}

func (a memberArea) invitations(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	invs, next, err := tenants.Invitations(c.UserContext(), scoped(c, a.s), p)
	if err != nil {
		return err
	}
	now := time.Now()
	views := make([]InvitationView, len(invs))
	for i, inv := range invs {
		views[i] = InvitationView{Invitation: inv, Status: inv.Status(now)}
	}
	return list(c, views, next)
}

func (a memberArea) invite(c *fiber.Ctx) error {
	var req InviteRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	p, _ := PrincipalOf(c)
	by := ""
	if p.User != nil {
		by = p.User.ID
	}
	inv, token, err := tenants.Invite(c.UserContext(), scoped(c, a.s), req.Email, req.Role, by, a.s.cfg.Auth.InvitationTTL)
	if err != nil {
		return err
	}
	link := strings.TrimRight(a.s.cfg.BaseURL(), "/") + "/invitations/accept?token=" + url.QueryEscape(token)
	return c.Status(http.StatusCreated).JSON(InvitationCreated{Invitation: InvitationView{Invitation: inv, Status: inv.Status(time.Now())}, Token: token, AcceptURL: link})
}

func (a memberArea) revoke(c *fiber.Ctx) error {
	inv, err := tenants.Revoke(c.UserContext(), scoped(c, a.s), c.Params("invitation"))
	if err != nil {
		return err
	}
	return c.JSON(InvitationView{Invitation: inv, Status: inv.Status(time.Now())})
}
