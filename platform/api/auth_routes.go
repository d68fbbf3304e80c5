package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// authArea is sign-up, sign-in, the caller's own account and accepting invitations.
type authArea struct{ s *Server }

// SignupRequest creates an account and its first workspace.
type SignupRequest struct {
	Email         string `json:"email"`
	Password      string `json:"password"`
	Name          string `json:"name"`
	WorkspaceName string `json:"workspace_name"`
}

// LoginRequest signs in with email and password.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// SessionResponse is returned when a browser session starts (and by GET /me).
type SessionResponse struct {
	User        auth.User               `json:"user"`
	Memberships []tenants.WorkspaceRole `json:"memberships"`
	CSRFToken   string                  `json:"csrf_token" doc:"echo in the X-CSRF-Token header on POST, PUT, PATCH and DELETE"`
	Workspace   *tenants.Workspace      `json:"workspace,omitempty" doc:"the workspace just created or joined"`
}

// MeResponse describes the caller: a user with a session, or an API token.
type MeResponse struct {
	User        *auth.User              `json:"user,omitempty"`
	Memberships []tenants.WorkspaceRole `json:"memberships"`
	CSRFToken   string                  `json:"csrf_token,omitempty"`
	Token       *auth.APIToken          `json:"token,omitempty"`
}

// PasswordChange replaces the caller's password.
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// InvitationPreview is what the accept page shows before anyone signs in.
type InvitationPreview struct {
	WorkspaceName string        `json:"workspace_name"`
	Email         string        `json:"email"`
	Role          policies.Role `json:"role"`
	ExpiresAt     time.Time     `json:"expires_at"`
	AccountExists bool          `json:"account_exists" doc:"true: sign in, then accept; false: choose a name and password"`
}

// AcceptInvitation joins a workspace. A signed-in caller joins as themselves; anyone
// else gives a name and password and an account is created for the invited email.
type AcceptInvitation struct {
	Token    string `json:"token"`
	Name     string `json:"name,omitempty"`
	Password string `json:"password,omitempty"`
}

func (a authArea) Register(r *Router) {
	r.Add(Route{Method: http.MethodPost, Path: "/api/v1/auth/signup", Summary: "Create an account and its workspace, and sign in", Tag: "auth",
		Request: SignupRequest{}, Response: SessionResponse{}, Status: http.StatusCreated}, a.signup)
	r.Add(Route{Method: http.MethodPost, Path: "/api/v1/auth/login", Summary: "Sign in with email and password", Tag: "auth",
		Request: LoginRequest{}, Response: SessionResponse{}}, a.login)
	r.Add(Route{Method: http.MethodPost, Path: "/api/v1/auth/logout", Access: Authenticated, Summary: "Sign this browser out", Tag: "auth",
		Status: http.StatusNoContent}, a.logout)
	r.Add(Route{Method: http.MethodGet, Path: "/api/v1/me", Access: Authenticated, Summary: "The caller and their workspaces", Tag: "auth",
		Response: MeResponse{}}, a.me)
	r.Add(Route{Method: http.MethodPost, Path: "/api/v1/me/password", Access: Authenticated, Summary: "Change password; signs out every other session", Tag: "auth",
		Request: PasswordChange{}, Response: SessionResponse{}}, a.changePassword)
	r.Add(Route{Method: http.MethodGet, Path: "/api/v1/invitations/:token", Summary: "Look at an invitation before accepting it", Tag: "auth",
		Response: InvitationPreview{}}, a.previewInvitation)
	r.Add(Route{Method: http.MethodPost, Path: "/api/v1/invitations/accept", Summary: "Accept an invitation", Tag: "auth",
		Request: AcceptInvitation{}, Response: SessionResponse{}}, a.acceptInvitation)
}

func (a authArea) signup(c *fiber.Ctx) error {
	var req SignupRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	u, ws, err := a.s.accounts.SignUp(c.UserContext(), auth.Signup{Email: req.Email, Password: req.Password, Name: req.Name, WorkspaceName: req.WorkspaceName})
	if err != nil {
		return err
	}
	return a.startSession(c, u, &ws, http.StatusCreated)
}

func (a authArea) login(c *fiber.Ctx) error {
	var req LoginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	fields := failure.Fields{}
	fields.Check(strings.TrimSpace(req.Email) == "", "email", "is required")
	fields.Check(req.Password == "", "password", "is required")
	if err := fields.Err(); err != nil {
		return err
	}
	u, err := a.s.accounts.Login(c.UserContext(), req.Email, req.Password, clientIP(c, a.s.cfg.HTTP.ProxyHops))
	if err != nil {
		return err
	}
	return a.startSession(c, u, nil, http.StatusOK)
}

// startSession creates a session, sets its cookies and answers with the user's
// workspaces.
func (a authArea) startSession(c *fiber.Ctx, u auth.User, ws *tenants.Workspace, status int) error {
	ctx := c.UserContext()
	sess, token, err := a.s.accounts.StartSession(ctx, u.ID, clientIP(c, a.s.cfg.HTTP.ProxyHops), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	a.setCookies(c, token, sess)
	ms, err := tenants.MembershipsOf(ctx, a.s.db, u.ID)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(SessionResponse{User: u, Memberships: nonNil(ms), CSRFToken: sess.CSRFToken, Workspace: ws})
}

func (a authArea) setCookies(c *fiber.Ctx, token string, sess auth.Session) {
	secure := strings.HasPrefix(a.s.cfg.BaseURL(), "https://") || c.Protocol() == "https"
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: sess.ExpiresAt, HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	// Readable by the web app, which echoes it in X-CSRF-Token.
	c.Cookie(&fiber.Cookie{Name: CSRFCookie, Value: sess.CSRFToken, Path: "/", Expires: sess.ExpiresAt, Secure: secure, SameSite: fiber.CookieSameSiteStrictMode})
}

func (a authArea) clearCookies(c *fiber.Ctx) {
	for _, name := range []string{SessionCookie, CSRFCookie} {
		c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1})
	}
}

func (a authArea) logout(c *fiber.Ctx) error {
	p, _ := PrincipalOf(c)
	if p.Session == nil {
		return failure.New(failure.Invalid, "not_a_session", "API tokens are revoked, not logged out")
	}
	if err := a.s.accounts.EndSession(c.UserContext(), p.Session.ID); err != nil {
		return err
	}
	a.clearCookies(c)
	return c.SendStatus(http.StatusNoContent)
}

func (a authArea) me(c *fiber.Ctx) error {
	p, _ := PrincipalOf(c)
	if p.Token != nil {
		ws, err := tenants.ByRef(c.UserContext(), a.s.db, p.Token.WorkspaceID)
		if err != nil {
			return err
		}
		return c.JSON(MeResponse{Token: p.Token, Memberships: []tenants.WorkspaceRole{{WorkspaceID: ws.ID, Slug: ws.Slug, Name: ws.Name, Role: p.Token.Role}}})
	}
	ms, err := tenants.MembershipsOf(c.UserContext(), a.s.db, p.User.ID)
	if err != nil {
		return err
	}
	return c.JSON(MeResponse{User: p.User, Memberships: nonNil(ms), CSRFToken: p.Session.CSRFToken})
}

func (a authArea) changePassword(c *fiber.Ctx) error {
	p, _ := PrincipalOf(c)
	if p.User == nil {
		return failure.New(failure.Forbidden, "forbidden", "API tokens cannot change passwords")
	}
	var req PasswordChange
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := a.s.accounts.ChangePassword(c.UserContext(), p.User.ID, req.CurrentPassword, req.NewPassword); err != nil {
		if fe, ok := err.(*failure.Error); ok && fe.Fields["password"] != "" {
			return failure.Field("new_password", fe.Fields["password"])
		}
		return err
	}
	// Every session, this one included, is gone; the browser that made the change
	// gets a fresh one so its user stays signed in.
	return a.startSession(c, *p.User, nil, http.StatusOK)
}

func (a authArea) previewInvitation(c *fiber.Ctx) error {
	ctx := c.UserContext()
	inv, ws, err := tenants.PendingInvitation(ctx, a.s.db, c.Params("token"))
	if err != nil {
		return err
	}
	_, uerr := auth.UserByEmail(ctx, a.s.db, inv.Email)
	return c.JSON(InvitationPreview{WorkspaceName: ws.Name, Email: inv.Email, Role: inv.Role, ExpiresAt: inv.ExpiresAt, AccountExists: uerr == nil})
}

func (a authArea) acceptInvitation(c *fiber.Ctx) error {
	var req AcceptInvitation
	if err := decode(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Token) == "" {
		return failure.Field("token", "is required")
	}
	ctx := c.UserContext()
	// Signed in already? Then the invitation is accepted for that account.
	var current *auth.User
	var currentSession auth.Session
	if cookie := c.Cookies(SessionCookie); cookie != "" {
		sess, u, err := a.s.accounts.SessionUser(ctx, cookie)
		if err == nil {
			if !sess.CheckCSRF(c.Get(CSRFHeader)) {
				return errForbiddenCSRF
			}
			current, currentSession = &u, sess
		}
	}
	var user auth.User
	var ws tenants.Workspace
	err := a.s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if current != nil {
			user = *current
		} else {
			inv, _, err := tenants.PendingInvitation(ctx, tx, req.Token)
			if err != nil {
				return err
			}
			if _, err := auth.UserByEmail(ctx, tx, inv.Email); err == nil {
				return failure.New(failure.Conflict, "sign_in_required", "an account with this email exists; sign in, then accept the invitation")
			}
			if user, err = a.s.accounts.CreateUser(ctx, tx, auth.NewUser{Email: inv.Email, Name: req.Name, Password: req.Password}); err != nil {
				return err
			}
		}
		var err error
		_, ws, err = tenants.Accept(ctx, tx, req.Token, user.ID, user.Email)
		return err
	})
	if err != nil {
		return err
	}
	if current != nil {
		// Already signed in: keep the session, answer with the new membership list.
		ms, err := tenants.MembershipsOf(ctx, a.s.db, user.ID)
		if err != nil {
			return err
		}
		return c.JSON(SessionResponse{User: user, Memberships: nonNil(ms), CSRFToken: currentSession.CSRFToken, Workspace: &ws})
	}
	return a.startSession(c, user, &ws, http.StatusOK)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
