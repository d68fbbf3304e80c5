package api

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// tokenArea is a workspace's API tokens.
type tokenArea struct{ s *Server }

// CreateToken issues an API token.
type CreateToken struct {
	Name          string        `json:"name"`
	Role          policies.Role `json:"role" enum:"admin,manager,agent,viewer"`
	ExpiresInDays int           `json:"expires_in_days,omitempty" doc:"0 means the token does not expire"`
}

// TokenCreated carries the secret, shown once.
type TokenCreated struct {
	Token  auth.APIToken `json:"token"`
	Secret string        `json:"secret" doc:"send as Authorization: Bearer <secret>; shown once"`
}

func (a tokenArea) Register(r *Router) {
	r.Add(Route{Method: http.MethodGet, Path: WorkspacePrefix + "/tokens", Access: InWorkspace, Permission: policies.TokensManage,
		Summary: "API tokens, newest first", Tag: "tokens", Query: PageQuery{}, Response: List[auth.APIToken]{}}, a.list)
	r.Add(Route{Method: http.MethodPost, Path: WorkspacePrefix + "/tokens", Access: InWorkspace, Permission: policies.TokensManage,
		Summary: "Create an API token", Tag: "tokens", Request: CreateToken{}, Response: TokenCreated{}, Status: http.StatusCreated}, a.create)
	r.Add(Route{Method: http.MethodDelete, Path: WorkspacePrefix + "/tokens/:token", Access: InWorkspace, Permission: policies.TokensManage,
		Summary: "Revoke an API token", Tag: "tokens", Response: auth.APIToken{}}, a.revoke)
}

func (a tokenArea) list(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	ts, next, err := auth.Tokens(c.UserContext(), scoped(c, a.s), p)
	if err != nil {
		return err
	}
	return list(c, ts, next)
}

// maxTokenDays is the longest expiry a token may be given.
const maxTokenDays = 36500

func (a tokenArea) create(c *fiber.Ctx) error {
	var req CreateToken
	if err := decode(c, &req); err != nil {
		return err
	}
	// More days than a time.Duration holds (about 292 years) would wrap round to an
	// arbitrary, possibly imminent, expiry.
	if req.ExpiresInDays > maxTokenDays {
		return failure.Field("expires_in_days", "must be at most 36500 (100 years); 0 means the token does not expire")
	}
	m, _ := tenants.MembershipFromContext(c.UserContext())
	t, secret, err := auth.CreateToken(c.UserContext(), scoped(c, a.s), req.Name, req.Role, m, time.Duration(req.ExpiresInDays)*24*time.Hour)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(TokenCreated{Token: t, Secret: secret})
}

func (a tokenArea) revoke(c *fiber.Ctx) error {
	sc := scoped(c, a.s)
	t, err := auth.RevokeToken(c.UserContext(), sc, c.Params("token"))
	if err != nil {
		return err
	}
	a.s.accessChanged(c.UserContext(), sc.WorkspaceID())
	return c.JSON(t)
}
