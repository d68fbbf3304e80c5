package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/policies"
)

// cannedArea is the team's canned responses: replies kept ready, which agents put in
// the composer with "/" and a shortcut.
type cannedArea struct{ s *Server }

// CannedQuery are the canned response list's query parameters.
type CannedQuery struct {
	Q        string `query:"q" doc:"case-insensitive match on the shortcut (a leading / is ignored), title or text; shortcuts that start with it first"`
	Category string `query:"category"`
}

// CannedRequest writes a canned response; on an edit, absent fields stay.
type CannedRequest struct {
	Shortcut *string `json:"shortcut,omitempty" doc:"lower-case letters, digits, - and _; at most 32; a leading / is dropped"`
	Title    *string `json:"title,omitempty" doc:"at most 100 characters"`
	Category *string `json:"category,omitempty" doc:"at most 50 characters; empty: none"`
	Body     *string `json:"body,omitempty" doc:"at most 4096 characters; may name {{name}}, {{first_name}}, {{last_name}}, {{phone}}, {{email}} and {{agent_name}}"`
}

func (r CannedRequest) draft() messaging.CannedDraft {
	return messaging.CannedDraft{Shortcut: r.Shortcut, Title: r.Title, Category: r.Category, Body: r.Body}
}

func (a cannedArea) Register(r *Router) {
	p := WorkspacePrefix + "/canned-responses"
	r.Add(Route{Method: http.MethodGet, Path: p, Access: InWorkspace, Permission: policies.CannedRead,
		Summary: "Canned responses by shortcut, all of them (a workspace keeps at most 500)", Tag: "canned responses",
		Query: CannedQuery{}, Response: List[messaging.CannedResponse]{}}, a.list)
	r.Add(Route{Method: http.MethodPost, Path: p, Access: InWorkspace, Permission: policies.CannedManage,
		Summary: "Add a canned response", Tag: "canned responses", Request: CannedRequest{}, Response: messaging.CannedResponse{},
		Status: http.StatusCreated}, a.create)
	r.Add(Route{Method: http.MethodGet, Path: p + "/:canned", Access: InWorkspace, Permission: policies.CannedRead,
		Summary: "A canned response", Tag: "canned responses", Response: messaging.CannedResponse{}}, a.get)
	r.Add(Route{Method: http.MethodPatch, Path: p + "/:canned", Access: InWorkspace, Permission: policies.CannedManage,
		Summary: "Edit a canned response", Tag: "canned responses", Request: CannedRequest{}, Response: messaging.CannedResponse{}}, a.update)
	r.Add(Route{Method: http.MethodDelete, Path: p + "/:canned", Access: InWorkspace, Permission: policies.CannedManage,
		Summary: "Delete a canned response", Tag: "canned responses", Status: http.StatusNoContent}, a.delete)
}

func (a cannedArea) list(c *fiber.Ctx) error {
	rows, err := messaging.CannedResponses(c.UserContext(), scoped(c, a.s), messaging.CannedQuery{Q: c.Query("q"), Category: c.Query("category")}, messaging.MaxCanned)
	if err != nil {
		return err
	}
	return list(c, rows, "")
}

func (a cannedArea) create(c *fiber.Ctx) error {
	var req CannedRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	r, err := messaging.CreateCanned(c.UserContext(), scoped(c, a.s), req.draft(), userID(c))
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(r)
}

func (a cannedArea) get(c *fiber.Ctx) error {
	r, err := messaging.GetCanned(c.UserContext(), scoped(c, a.s), c.Params("canned"))
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (a cannedArea) update(c *fiber.Ctx) error {
	var req CannedRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx, sc := c.UserContext(), scoped(c, a.s)
	r, err := messaging.GetCanned(ctx, sc, c.Params("canned"))
	if err != nil {
		return err
	}
	if r, err = messaging.UpdateCanned(ctx, sc, r, req.draft()); err != nil {
		return err
	}
	return c.JSON(r)
}

func (a cannedArea) delete(c *fiber.Ctx) error {
	if err := messaging.DeleteCanned(c.UserContext(), scoped(c, a.s), c.Params("canned")); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}
