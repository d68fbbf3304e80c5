package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// errAvailabilityToken refuses an API token availability: it is a member's own.
var errAvailabilityToken = failure.New(failure.Invalid, "user_only", "availability is a member's own: sign in as a user, not with an API token")

// assignmentArea is how the Team Inbox hands out tickets: the queue's rules, each
// member's availability and capacity.
type assignmentArea struct{ s *Server }

// AssignmentRequest sets the queue's rules.
type AssignmentRequest struct {
	Mode       string  `json:"mode" enum:"queue,round_robin,member"`
	AssigneeID *string `json:"assignee_id" doc:"with mode member: the user who gets every ticket that enters the queue"`
	Capacity   int     `json:"capacity" doc:"with round_robin: active tickets a member holds at most, unless their own capacity says otherwise; 0: no limit"`
}

// AvailabilityRequest is a member's own say whether the queue may hand them tickets.
type AvailabilityRequest struct {
	Availability string `json:"availability" enum:"online,busy,offline"`
}

// Availability is the caller's availability, and whether the queue sees them online.
type Availability struct {
	Availability string `json:"availability" enum:"online,busy,offline"`
	Online       bool   `json:"online" doc:"has the app open now: round robin hands tickets to members online by their own say and with the app open"`
}

// AutoCloseRequest sets the auto-close rules.
type AutoCloseRequest struct {
	ResolveAfterMinutes int `json:"resolve_after_minutes" doc:"resolve an active or pending ticket after this many minutes with no message and no change of hands; 0: never"`
	AbandonAfterMinutes int `json:"abandon_after_minutes" doc:"close a queued ticket no one took as abandoned after this many minutes with no message; 0: never"`
}

// SLARequest sets the SLA policy.
type SLARequest struct {
	FirstResponseMinutes int  `json:"first_response_minutes" doc:"answer a new ticket within this many minutes of the customer's first message; 0: no target"`
	NextResponseMinutes  int  `json:"next_response_minutes" doc:"after the first answer, answer each customer message within this many minutes; 0: no target"`
	ResolutionMinutes    int  `json:"resolution_minutes" doc:"resolve a ticket within this many minutes of its first message, or of the one that reopened it; 0: no target"`
	BusinessHours        bool `json:"business_hours" doc:"count only the workspace's business hours, when they are on"`
}

// CapacityRequest sets a member's capacity.
type CapacityRequest struct {
	Capacity *int `json:"capacity" doc:"active tickets the queue lets them hold at most; 0: no limit; null: the workspace's"`
}

func (a assignmentArea) Register(r *Router) {
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/assignment", Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "How the queue hands out tickets", Tag: "assignment", Response: messaging.AssignmentSettings{}}, a.rules)
	r.Add(Route{Method: http.MethodPut, Path: WorkspacePrefix + "/assignment", Access: InWorkspace, Permission: policies.ConversationsAssign,
		Summary: "Set how the queue hands out tickets; the tickets waiting get a pass at once", Tag: "assignment",
		Request: AssignmentRequest{}, Response: messaging.AssignmentSettings{}}, a.setRules)
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/auto-close", Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "When idle tickets are resolved or abandoned", Tag: "assignment", Response: messaging.AutoClose{}}, a.autoClose)
	r.Add(Route{Method: http.MethodPut, Path: WorkspacePrefix + "/auto-close", Access: InWorkspace, Permission: policies.ConversationsAssign,
		Summary: "Set when idle tickets are resolved or abandoned; the maintenance sweep applies them each minute", Tag: "assignment",
		Request: AutoCloseRequest{}, Response: messaging.AutoClose{}}, a.setAutoClose)
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/sla", Access: InWorkspace, Permission: policies.ConversationsRead,
		Summary: "The Team Inbox's SLA targets", Tag: "assignment", Response: messaging.SLAPolicy{}}, a.sla)
	r.Add(Route{Method: http.MethodPut, Path: WorkspacePrefix + "/sla", Access: InWorkspace, Permission: policies.ConversationsAssign,
		Summary: "Set the Team Inbox's SLA targets; they apply to clocks started from then on", Tag: "assignment",
		Request: SLARequest{}, Response: messaging.SLAPolicy{}}, a.setSLA)
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/availability", Access: InWorkspace, Permission: policies.ConversationsAccept,
		Summary: "Your availability for the queue", Tag: "assignment", Response: Availability{}}, a.availability)
	r.Add(Route{Method: http.MethodPut, Path: WorkspacePrefix + "/availability", Access: InWorkspace, Permission: policies.ConversationsAccept,
		Summary: "Set your availability: online takes tickets from the queue, busy and offline do not", Tag: "assignment",
		Request: AvailabilityRequest{}, Response: Availability{}}, a.setAvailability)
	r.Add(Route{Method: http.MethodPut, Path: WorkspacePrefix + "/members/:member/capacity", Access: InWorkspace, Permission: policies.ConversationsAssign,
		Summary: "Set how many active tickets the queue lets a member hold", Tag: "assignment",
		Request: CapacityRequest{}, Response: tenants.Membership{}}, a.setCapacity)
}

func (a assignmentArea) rules(c *fiber.Ctx) error {
	s, err := messaging.Assignment(c.UserContext(), scoped(c, a.s))
	if err != nil {
		return err
	}
	return c.JSON(s)
}

func (a assignmentArea) setRules(c *fiber.Ctx) error {
	var req AssignmentRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	sc := scoped(c, a.s)
	s, err := messaging.SetAssignment(c.UserContext(), sc, messaging.AssignmentSettings{Mode: req.Mode, AssigneeID: req.AssigneeID, Capacity: req.Capacity},
		a.s.pipeline.MayHold(sc.WorkspaceID()))
	if err != nil {
		return err
	}
	a.s.pipeline.AssignQueued(c.UserContext(), sc, nil)
	return c.JSON(s)
}

func (a assignmentArea) autoClose(c *fiber.Ctx) error {
	r, err := messaging.AutoCloseRules(c.UserContext(), scoped(c, a.s))
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (a assignmentArea) setAutoClose(c *fiber.Ctx) error {
	var req AutoCloseRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	r, err := messaging.SetAutoClose(c.UserContext(), scoped(c, a.s),
		messaging.AutoClose{ResolveAfterMinutes: req.ResolveAfterMinutes, AbandonAfterMinutes: req.AbandonAfterMinutes})
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (a assignmentArea) sla(c *fiber.Ctx) error {
	p, err := messaging.SLA(c.UserContext(), scoped(c, a.s))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (a assignmentArea) setSLA(c *fiber.Ctx) error {
	var req SLARequest
	if err := decode(c, &req); err != nil {
		return err
	}
	p, err := messaging.SetSLA(c.UserContext(), scoped(c, a.s), messaging.SLAPolicy{FirstResponseMinutes: req.FirstResponseMinutes,
		NextResponseMinutes: req.NextResponseMinutes, ResolutionMinutes: req.ResolutionMinutes, BusinessHours: req.BusinessHours})
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (a assignmentArea) availability(c *fiber.Ctx) error {
	me := userID(c)
	if me == "" {
		return errAvailabilityToken
	}
	m, err := tenants.MembershipOf(c.UserContext(), scoped(c, a.s), me)
	if err != nil {
		return err
	}
	return a.respond(c, scoped(c, a.s), m)
}

func (a assignmentArea) setAvailability(c *fiber.Ctx) error {
	var req AvailabilityRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	me := userID(c)
	if me == "" {
		return errAvailabilityToken
	}
	sc := scoped(c, a.s)
	m, err := tenants.SetAvailability(c.UserContext(), sc, me, req.Availability)
	if err != nil {
		return err
	}
	if m.Availability == tenants.Online {
		a.s.pipeline.AssignQueued(c.UserContext(), sc, nil)
	}
	return a.respond(c, sc, m)
}

func (a assignmentArea) respond(c *fiber.Ctx, sc tenants.Scoped, m tenants.Membership) error {
	online, err := a.s.pipeline.Online(c.UserContext(), sc.WorkspaceID())
	if err != nil {
		return err
	}
	return c.JSON(Availability{Availability: m.Availability, Online: online[m.UserID]})
}

func (a assignmentArea) setCapacity(c *fiber.Ctx) error {
	var req CapacityRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	sc := scoped(c, a.s)
	m, err := tenants.SetCapacity(c.UserContext(), sc, c.Params("member"), req.Capacity)
	if err != nil {
		return err
	}
	a.s.pipeline.AssignQueued(c.UserContext(), sc, nil)
	return c.JSON(m)
}
