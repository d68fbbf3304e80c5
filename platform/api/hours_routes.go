package api

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/hours"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// hoursArea is a workspace's business hours, which messages written outside them
// wait for.
type hoursArea struct{ s *Server }

// BusinessHours sets a workspace's business hours.
type BusinessHours struct {
	Enabled bool                        `json:"enabled" doc:"off: every hour is open"`
	Days    map[string][]hours.Interval `json:"days" doc:"by day (mon … sun), its open intervals in order, in the workspace's time zone; a day left out is closed"`
}

// BusinessHoursView is a workspace's business hours and where now stands.
type BusinessHoursView struct {
	BusinessHours
	TimeZone string     `json:"time_zone" doc:"the workspace's, which the hours are in"`
	OpenNow  bool       `json:"open_now"`
	NextOpen *time.Time `json:"next_open" doc:"when closed now, when they open next"`
}

func (a hoursArea) Register(r *Router) {
	p := WorkspacePrefix + "/business-hours"
	r.Add(Route{Method: http.MethodGet, Path: p, Access: InWorkspace, Permission: policies.WorkspaceRead,
		Summary: "The workspace's business hours: outside them a message waits (scheduled) until they open, unless it is sent as urgent", Tag: "workspaces",
		Response: BusinessHoursView{}}, a.get)
	r.Add(Route{Method: http.MethodPut, Path: p, Access: InWorkspace, Permission: policies.WorkspaceManage,
		Summary: "Set the workspace's business hours", Tag: "workspaces",
		Request: BusinessHours{}, Response: BusinessHoursView{}}, a.put)
}

func (a hoursArea) get(c *fiber.Ctx) error {
	s, err := hours.Get(c.UserContext(), scoped(c, a.s))
	if err != nil {
		return err
	}
	return c.JSON(hoursView(c, s))
}

func (a hoursArea) put(c *fiber.Ctx) error {
	var req BusinessHours
	if err := decode(c, &req); err != nil {
		return err
	}
	s, err := hours.Save(c.UserContext(), scoped(c, a.s), hours.Schedule{Enabled: req.Enabled, Days: req.Days}, time.Now())
	if err != nil {
		return err
	}
	return c.JSON(hoursView(c, s))
}

func hoursView(c *fiber.Ctx, s hours.Schedule) BusinessHoursView {
	ws, _ := tenants.FromContext(c.UserContext())
	loc := ws.Location()
	now := time.Now()
	v := BusinessHoursView{BusinessHours: BusinessHours{Enabled: s.Enabled, Days: s.Days}, TimeZone: loc.String(), OpenNow: s.Open(now, loc)}
	if next, ok := s.NextOpen(now, loc); ok && !v.OpenNow {
		v.NextOpen = &next
	}
	return v
}
