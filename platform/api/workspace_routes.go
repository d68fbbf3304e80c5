package api

import (
	"context"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// workspaceArea is the caller's workspaces and a workspace's settings.
type workspaceArea struct{ s *Server }

// CreateWorkspace makes another workspace with the caller as its admin.
type CreateWorkspace struct {
	Name     string `json:"name"`
	Slug     string `json:"slug,omitempty" doc:"derived from the name when empty"`
	TimeZone string `json:"time_zone,omitempty" doc:"IANA zone, UTC when empty"`
}

// UpdateWorkspace changes settings; absent fields stay as they are.
type UpdateWorkspace struct {
	Name           *string `json:"name,omitempty"`
	TimeZone       *string `json:"time_zone,omitempty"`
	WhatsAppEngine *string `json:"whatsapp_engine,omitempty" enum:"cloud,twilio,unofficial" doc:"the active WhatsApp engine; empty string clears it"`
}

// WorkspaceView is a workspace as its members see it.
type WorkspaceView struct {
	tenants.Workspace
	Plan        PlanView              `json:"plan"`
	Role        policies.Role         `json:"role" doc:"the caller's role here"`
	Permissions []policies.Permission `json:"permissions" doc:"what the caller may do here"`
	// Access is the caller's role's access rule: which conversations they see.
	Access messaging.AccessRule `json:"access" doc:"which conversations the caller sees (their role's access rule)"`
}

// PlanView is the plan a workspace is on.
type PlanView struct {
	Code     string           `json:"code"`
	Name     string           `json:"name"`
	Features tenants.Features `json:"features"`
}

func (a workspaceArea) Register(r *Router) {
	r.Add(Route{Method: http.MethodGet, Path: "/api/v1/workspaces", Access: Authenticated, Summary: "The caller's workspaces with their role in each", Tag: "workspaces",
		Response: List[tenants.WorkspaceRole]{}}, a.list)
	r.Add(Route{Method: http.MethodPost, Path: "/api/v1/workspaces", Access: Authenticated, Summary: "Create another workspace (the caller becomes its admin)", Tag: "workspaces",
		Request: CreateWorkspace{}, Response: WorkspaceView{}, Status: http.StatusCreated}, a.create)
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix, Access: InWorkspace, Permission: policies.WorkspaceRead, Summary: "A workspace, its plan and the caller's permissions", Tag: "workspaces",
		Response: WorkspaceView{}}, a.get)
	r.Add(Route{Method: http.MethodPatch, Path: WorkspacePrefix, Access: InWorkspace, Permission: policies.WorkspaceManage, Summary: "Change workspace settings", Tag: "workspaces",
		Request: UpdateWorkspace{}, Response: WorkspaceView{}}, a.update)
}

func (a workspaceArea) list(c *fiber.Ctx) error {
	p, _ := PrincipalOf(c)
	if p.User == nil {
		return errUserOnly
	}
	ms, err := tenants.MembershipsOf(c.UserContext(), a.s.db, p.User.ID)
	if err != nil {
		return err
	}
	return list(c, ms, "")
}

func (a workspaceArea) create(c *fiber.Ctx) error {
	p, _ := PrincipalOf(c)
	if p.User == nil {
		return errUserOnly
	}
	var req CreateWorkspace
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	var ws tenants.Workspace
	var m tenants.Membership
	err := a.s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if ws, err = tenants.CreateWorkspace(ctx, tx, tenants.NewWorkspace{Name: req.Name, Slug: req.Slug, TimeZone: req.TimeZone}); err != nil {
			return err
		}
		m, err = tenants.AddMember(ctx, tenants.Scope(tx, ws.ID), p.User.ID, policies.Admin)
		return err
	})
	if err != nil {
		return err
	}
	view, err := a.view(ctx, ws, m)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(view)
}

func (a workspaceArea) view(ctx context.Context, ws tenants.Workspace, m tenants.Membership) (WorkspaceView, error) {
	plan, err := tenants.PlanByID(ctx, a.s.db, ws.PlanID)
	if err != nil {
		return WorkspaceView{}, err
	}
	access, err := messaging.AccessRuleFor(ctx, tenants.Scope(a.s.db, ws.ID), m.Role)
	if err != nil {
		return WorkspaceView{}, err
	}
	return WorkspaceView{Workspace: ws, Plan: PlanView{Code: plan.Code, Name: plan.Name, Features: plan.Features},
		Role: m.Role, Permissions: nonNil(a.s.enforcer.Granted(ws.ID, m.Role)), Access: access}, nil
}

func (a workspaceArea) get(c *fiber.Ctx) error {
	ws, _ := tenants.FromContext(c.UserContext())
	m, _ := tenants.MembershipFromContext(c.UserContext())
	view, err := a.view(c.UserContext(), ws, m)
	if err != nil {
		return err
	}
	return c.JSON(view)
}

func (a workspaceArea) update(c *fiber.Ctx) error {
	var req UpdateWorkspace
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	ws, _ := tenants.FromContext(ctx)
	m, _ := tenants.MembershipFromContext(ctx)
	ws, err := tenants.UpdateWorkspace(ctx, a.s.db, ws, tenants.WorkspaceUpdate{Name: req.Name, TimeZone: req.TimeZone, WhatsAppEngine: req.WhatsAppEngine})
	if err != nil {
		return err
	}
	view, err := a.view(ctx, ws, m)
	if err != nil {
		return err
	}
	return c.JSON(view)
}
