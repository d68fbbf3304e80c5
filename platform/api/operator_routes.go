package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// operatorArea is the platform operator's view across workspaces.
type operatorArea struct{ s *Server }

// OperatorWorkspaceChange moves a workspace to a plan or suspends it.
type OperatorWorkspaceChange struct {
	Plan      *string `json:"plan,omitempty" doc:"plan code"`
	Suspended *bool   `json:"suspended,omitempty"`
}

// PlanRequest creates or updates the plan named in the path.
type PlanRequest struct {
	Name     string           `json:"name"`
	Features tenants.Features `json:"features"`
}

func (a operatorArea) Register(r *Router) {
	r.Add(Route{Method: http.MethodGet, Path: "/api/v1/operator/workspaces", Access: Operator, Summary: "Every workspace, newest first", Tag: "operator",
		Query: PageQuery{}, Response: List[tenants.Workspace]{}}, a.workspaces)
	r.Add(Route{Method: http.MethodPatch, Path: "/api/v1/operator/workspaces/:id", Access: Operator, Summary: "Change a workspace's plan or suspend it", Tag: "operator",
		Request: OperatorWorkspaceChange{}, Response: tenants.Workspace{}}, a.changeWorkspace)
	r.Add(Route{Method: http.MethodGet, Path: "/api/v1/operator/plans", Access: Operator, Summary: "Plans and their features", Tag: "operator",
		Response: List[tenants.Plan]{}}, a.plans)
	r.Add(Route{Method: http.MethodPut, Path: "/api/v1/operator/plans/:code", Access: Operator, Summary: "Create or update a plan", Tag: "operator",
		Request: PlanRequest{}, Response: tenants.Plan{}}, a.savePlan)
	a.pluginRoutes(r)
}

func (a operatorArea) workspaces(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	var rows []tenants.Workspace
	if err := p.Apply(a.s.db.NewSelect().Model(&rows), "w.id", true).Scan(c.UserContext()); err != nil {
		return err
	}
	rows, next := storage.NextCursor(rows, p, func(w tenants.Workspace) string { return w.ID })
	return list(c, rows, next)
}

func (a operatorArea) changeWorkspace(c *fiber.Ctx) error {
	var req OperatorWorkspaceChange
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	id := c.Params("id")
	if req.Plan == nil && req.Suspended == nil {
		return failure.Field("plan", "give plan or suspended")
	}
	if req.Plan != nil {
		if err := tenants.SetWorkspacePlan(ctx, a.s.db, id, *req.Plan); err != nil {
			return err
		}
	}
	if req.Suspended != nil {
		if err := tenants.SetSuspended(ctx, a.s.db, id, *req.Suspended); err != nil {
			return err
		}
	}
	ws, err := tenants.ByRef(ctx, a.s.db, id)
	if err != nil {
		return err
	}
	if req.Suspended != nil {
		a.s.accessChanged(ctx, ws.ID)
	}
	return c.JSON(ws)
}

func (a operatorArea) plans(c *fiber.Ctx) error {
	ps, err := tenants.Plans(c.UserContext(), a.s.db)
	if err != nil {
		return err
	}
	return list(c, ps, "")
}

func (a operatorArea) savePlan(c *fiber.Ctx) error {
	var req PlanRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	p, err := tenants.SavePlan(c.UserContext(), a.s.db, c.Params("code"), req.Name, req.Features)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// PluginAdmin is the plugin host as the operator manages it.
type PluginAdmin interface {
	PluginStatuses() []PluginStatus
	SetPluginEnabled(id string, enabled bool) error
}

// PluginStatus is an installed channel plugin and how it is running.
type PluginStatus struct {
	ID           string           `json:"id"`
	Version      string           `json:"version"`
	Kind         string           `json:"kind"`
	Engines      []string         `json:"engines"`
	Capabilities []sdk.Capability `json:"capabilities"`
	ConfigSchema json.RawMessage  `json:"config_schema"`
	State        string           `json:"state" enum:"starting,running,restarting,failed,disabled"`
	LastError    string           `json:"last_error,omitempty"`
	Restarts     int              `json:"restarts"`
	StartedAt    *time.Time       `json:"started_at,omitempty"`
}

// PluginToggle enables or disables a plugin on this installation.
type PluginToggle struct {
	Enabled bool `json:"enabled"`
}

func (a operatorArea) pluginRoutes(r *Router) {
	r.Add(Route{Method: http.MethodGet, Path: "/api/v1/operator/plugins", Access: Operator, Summary: "Installed channel plugins, versions, state, capabilities and restarts", Tag: "operator",
		Response: List[PluginStatus]{}}, a.plugins)
	r.Add(Route{Method: http.MethodPatch, Path: "/api/v1/operator/plugins/:plugin", Access: Operator, Summary: "Enable or disable a channel plugin", Tag: "operator",
		Request: PluginToggle{}, Response: PluginStatus{}}, a.togglePlugin)
}

func (a operatorArea) plugins(c *fiber.Ctx) error {
	if a.s.plugins == nil {
		return list(c, []PluginStatus{}, "")
	}
	return list(c, a.s.plugins.PluginStatuses(), "")
}

var errPluginNotFound = failure.New(failure.NotFound, "plugin_not_found", "no such channel plugin")

func (a operatorArea) togglePlugin(c *fiber.Ctx) error {
	var req PluginToggle
	if err := decode(c, &req); err != nil {
		return err
	}
	if a.s.plugins == nil {
		return errPluginNotFound
	}
	id := c.Params("plugin")
	if err := a.s.plugins.SetPluginEnabled(id, req.Enabled); err != nil {
		return err
	}
	for _, p := range a.s.plugins.PluginStatuses() {
		if p.ID == id {
			return c.JSON(p)
		}
	}
	return errPluginNotFound
}
