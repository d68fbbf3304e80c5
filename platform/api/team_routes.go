package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/policies"
)

// teamArea is the Team Inbox's teams: their queues, members and connections.
type teamArea struct{ s *Server }

// TeamRequest makes a team.
type TeamRequest struct {
	Name          string   `json:"name" doc:"at most 60 characters, unique in the workspace whatever its case"`
	MemberIDs     []string `json:"member_ids,omitempty" doc:"user ids of members who may reply: they work the team's queue"`
	ConnectionIDs []string `json:"connection_ids,omitempty" doc:"connections whose new customers' tickets go to the team's queue; each in one team at most"`
}

// TeamChange changes a team: each field given replaces it.
type TeamChange struct {
	Name          *string   `json:"name,omitempty"`
	MemberIDs     *[]string `json:"member_ids,omitempty"`
	ConnectionIDs *[]string `json:"connection_ids,omitempty"`
}

func (a teamArea) Register(r *Router) {
	p := WorkspacePrefix + "/teams"
	one := p + "/:team"
	r.Add(Route{Method: http.MethodGet, Path: p, Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "The Team Inbox's teams, by name", Tag: "assignment", Response: List[messaging.Team]{}}, a.list)
	r.Add(Route{Method: http.MethodPost, Path: p, Access: InWorkspace, Permission: policies.ConversationsAssign,
		Summary: "Make a team: its own queue, with the members who work it and the connections whose new tickets go to it", Tag: "assignment",
		Request: TeamRequest{}, Response: messaging.Team{}, Status: http.StatusCreated}, a.create)
	r.Add(Route{Method: http.MethodGet, Path: one, Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "A team", Tag: "assignment", Response: messaging.Team{}}, a.get)
	r.Add(Route{Method: http.MethodPatch, Path: one, Access: InWorkspace, Permission: policies.ConversationsAssign,
		Summary: "Rename a team, or replace its members or connections; its queue gets a pass", Tag: "assignment",
		Request: TeamChange{}, Response: messaging.Team{}}, a.update)
	r.Add(Route{Method: http.MethodDelete, Path: one, Access: InWorkspace, Permission: policies.ConversationsAssign,
		Summary: "Delete a team: its tickets go to the general queue", Tag: "assignment", Status: http.StatusNoContent}, a.delete)
}

func (a teamArea) list(c *fiber.Ctx) error {
	teams, err := messaging.Teams(c.UserContext(), scoped(c, a.s))
	if err != nil {
		return err
	}
	return list(c, teams, "")
}

func (a teamArea) get(c *fiber.Ctx) error {
	t, err := messaging.GetTeam(c.UserContext(), scoped(c, a.s), c.Params("team"))
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (a teamArea) create(c *fiber.Ctx) error {
	var req TeamRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	d := messaging.TeamDraft{Name: &req.Name}
	if req.MemberIDs != nil {
		d.MemberIDs = &req.MemberIDs
	}
	if req.ConnectionIDs != nil {
		d.ConnectionIDs = &req.ConnectionIDs
	}
	return a.save(c, messaging.Team{}, d, http.StatusCreated)
}

func (a teamArea) update(c *fiber.Ctx) error {
	var req TeamChange
	if err := decode(c, &req); err != nil {
		return err
	}
	t, err := messaging.GetTeam(c.UserContext(), scoped(c, a.s), c.Params("team"))
	if err != nil {
		return err
	}
	return a.save(c, t, messaging.TeamDraft{Name: req.Name, MemberIDs: req.MemberIDs, ConnectionIDs: req.ConnectionIDs}, http.StatusOK)
}

// save stores the team and gives the queue a pass: new members may take its tickets.
func (a teamArea) save(c *fiber.Ctx, t messaging.Team, d messaging.TeamDraft, status int) error {
	sc := scoped(c, a.s)
	t, err := messaging.SaveTeam(c.UserContext(), sc, t, d, a.s.pipeline.MayHold(sc.WorkspaceID()))
	if err != nil {
		return err
	}
	a.s.pipeline.AssignQueued(c.UserContext(), sc, nil)
	return c.Status(status).JSON(t)
}

func (a teamArea) delete(c *fiber.Ctx) error {
	sc := scoped(c, a.s)
	if err := messaging.DeleteTeam(c.UserContext(), sc, c.Params("team")); err != nil {
		return err
	}
	// Its tickets are the general queue's now: anyone may take them.
	a.s.pipeline.AssignQueued(c.UserContext(), sc, nil)
	return c.SendStatus(http.StatusNoContent)
}
