package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// accessArea is the workspace's access control: what each role sees of its
// conversations (messaging.AccessRule).
type accessArea struct{ s *Server }

// AccessRuleChange sets a role's access rule.
type AccessRuleChange struct {
	Role          policies.Role `json:"role" enum:"manager,agent,viewer" doc:"the role it applies to (admins see everything)"`
	Mode          string        `json:"mode" enum:"all,assignee" doc:"all: every conversation the role may read; assignee: only those assigned to the member"`
	Unassigned    bool          `json:"unassigned,omitempty" doc:"with mode assignee, also the unassigned conversations (the queue)"`
	ConnectionIDs []string      `json:"connection_ids,omitempty" doc:"inbox access: only the conversations on these connections; empty: every connection"`
}

func (a accessArea) Register(r *Router) {
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/access-rules", Access: InWorkspace, Permission: policies.AccessManage,
		Summary: "What each role sees of the conversations: access mode and inboxes (admins see everything)", Tag: "access",
		Response: List[messaging.AccessRule]{}}, a.list)
	r.Add(Route{Method: http.MethodPut, Path: WorkspacePrefix + "/access-rules", Access: InWorkspace, Permission: policies.AccessManage,
		Summary: "Set a role's access rule; it applies at once, realtime connections included", Tag: "access",
		Request: AccessRuleChange{}, Response: messaging.AccessRule{}}, a.set)
}

func (a accessArea) list(c *fiber.Ctx) error {
	rules, err := messaging.AccessRules(c.UserContext(), scoped(c, a.s))
	if err != nil {
		return err
	}
	return list(c, rules, "")
}

func (a accessArea) set(c *fiber.Ctx) error {
	var req AccessRuleChange
	if err := decode(c, &req); err != nil {
		return err
	}
	sc := scoped(c, a.s)
	r, err := messaging.SetAccessRule(c.UserContext(), sc, messaging.AccessRule{Role: req.Role,
		Mode: req.Mode, Unassigned: req.Unassigned, ConnectionIDs: req.ConnectionIDs})
	if err != nil {
		return err
	}
	a.s.accessChanged(c.UserContext(), sc.WorkspaceID())
	return c.JSON(r)
}

// accessLocal caches the caller's access for the request.
const accessLocal = "switchboard.access"

// accessOf is what the caller may see of the workspace's conversations: their role's
// rule, loaded once a request.
func (s *Server) accessOf(c *fiber.Ctx) (messaging.Access, error) {
	if a, ok := c.Locals(accessLocal).(messaging.Access); ok {
		return a, nil
	}
	m, _ := tenants.MembershipFromContext(c.UserContext())
	rule, err := messaging.AccessRuleFor(c.UserContext(), scoped(c, s), m.Role)
	if err != nil {
		return messaging.Access{}, err
	}
	a := messaging.Access{Rule: rule, UserID: userID(c)}
	c.Locals(accessLocal, a)
	return a, nil
}
