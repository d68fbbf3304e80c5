package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// Cookie and header names the browser app relies on.
const (
	SessionCookie   = "sb_session"
	CSRFCookie      = "sb_csrf"
	CSRFHeader      = "X-CSRF-Token"
	RequestIDHeader = "X-Request-ID"
)

type localKey int

const (
	principalKey localKey = iota
	requestIDKey
)

// Principal is who is calling: a signed-in user (with their browser session) or an
// API token.
type Principal struct {
	User    *auth.User
	Session *auth.Session
	Token   *auth.APIToken
}

// PrincipalOf returns the caller authenticated by the route's guard.
func PrincipalOf(c *fiber.Ctx) (Principal, bool) {
	p, ok := c.Locals(principalKey).(Principal)
	return p, ok
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// withRequestID keeps a sane incoming X-Request-ID (so ids follow a request through
// proxies) or makes one, and echoes it.
func withRequestID(c *fiber.Ctx) error {
	setRequestID(c)
	return c.Next()
}

func setRequestID(c *fiber.Ctx) {
	id := c.Get(RequestIDHeader)
	if !requestIDPattern.MatchString(id) {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Locals(requestIDKey, id)
	c.Set(RequestIDHeader, id)
}

// securityHeaders are sent on every response. The CSP allows only this origin; the
// web app is built to need nothing else.
func securityHeaders(tls bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		setSecurityHeaders(c, tls)
		return c.Next()
	}
}

func setSecurityHeaders(c *fiber.Ctx, tls bool) {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob: https:; media-src 'self' blob: https:; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
	if tls {
		c.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

// httpMetrics are the Prometheus series of the HTTP edge. Routes are labelled by their
// template, never the concrete path, so ids do not explode the series count.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total", Help: "HTTP requests by route template, method and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_http_request_duration_seconds", Help: "HTTP request latency by route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe logs and measures every request after it is handled.
func observe(log *slog.Logger, m *httpMetrics, errs fiber.ErrorHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Render the error now so the status logged and counted is the one sent.
			if herr := errs(c, err); herr != nil {
				return herr
			}
		}
		status := c.Response().StatusCode()
		route := c.Route().Path
		if status == http.StatusNotFound && route == "/" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		m.requests.WithLabelValues(c.Method(), route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(c.Method(), route).Observe(elapsed.Seconds())
		attrs := []any{"request_id", requestID(c), "method", c.Method(), "route", route, "status", status, "duration_ms", elapsed.Milliseconds()}
		if ws, ok := tenants.FromContext(c.UserContext()); ok {
			attrs = append(attrs, "workspace", ws.ID)
		}
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelError
		}
		log.Log(c.UserContext(), level, "http request", attrs...)
		return nil
	}
}

func unsafeMethod(m string) bool {
	return m != fiber.MethodGet && m != fiber.MethodHead && m != fiber.MethodOptions
}

var (
	errForbiddenCSRF = failure.New(failure.Forbidden, "csrf_failed", "missing or wrong "+CSRFHeader+" header; reload the page and try again")
	errNotOperator   = failure.New(failure.Forbidden, "forbidden", "only platform operators may do this")
)

// authenticate accepts an API token (Authorization: Bearer sbt_…) or a session
// cookie. Cookie-authenticated unsafe requests must echo the session's CSRF token,
// because the browser sends cookies on cross-site requests too.
func authenticate(accounts *auth.Accounts) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := principalOf(c.UserContext(), accounts, credentialOf(c), true)
		if err != nil {
			return err
		}
		if p.Session != nil && unsafeMethod(c.Method()) && !p.Session.CheckCSRF(c.Get(CSRFHeader)) {
			return errForbiddenCSRF
		}
		c.Locals(principalKey, p)
		return c.Next()
	}
}

// credential is what a request signs in with: its Authorization header, or failing
// that its session cookie.
type credential struct{ authorization, cookie string }

func credentialOf(c *fiber.Ctx) credential {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		return credential{authorization: h}
	}
	return credential{cookie: c.Cookies(SessionCookie)}
}

// principalOf is who cr signs in: an API token (Bearer sbt_…) or a session, still
// valid now. use says the check is the caller's activity, which keeps a session alive;
// a check of a connection that is only open is not.
func principalOf(ctx context.Context, accounts *auth.Accounts, cr credential, use bool) (Principal, error) {
	if cr.authorization != "" {
		value, ok := strings.CutPrefix(cr.authorization, "Bearer ")
		if !ok {
			return Principal{}, auth.ErrTokenInvalid
		}
		t, err := accounts.TokenByValue(ctx, strings.TrimSpace(value))
		if err != nil {
			return Principal{}, err
		}
		return Principal{Token: &t}, nil
	}
	if cr.cookie == "" {
		return Principal{}, auth.ErrSessionInvalid
	}
	check := accounts.CheckSession
	if use {
		check = accounts.SessionUser
	}
	s, u, err := check(ctx, cr.cookie)
	if err != nil {
		return Principal{}, err
	}
	return Principal{User: &u, Session: &s}, nil
}

func requireOperator(c *fiber.Ctx) error {
	p, _ := PrincipalOf(c)
	if p.User == nil || !p.User.IsOperator {
		return errNotOperator
	}
	return c.Next()
}

// resolveWorkspace loads the :workspace named in the path together with the caller's
// membership. A workspace the caller does not belong to answers 404, exactly like one
// that does not exist.
func resolveWorkspace(s *Server) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		p, _ := PrincipalOf(c)
		ws, m, err := s.membershipOf(ctx, p, c.Params("workspace"))
		if err != nil {
			return err
		}
		c.SetUserContext(tenants.WithWorkspace(ctx, ws, m))
		return c.Next()
	}
}

// membershipOf is p's place in the workspace ref (an id or slug), as it is now: the
// workspace and p's membership (a token's is its own role), or an error when p does
// not belong there or the workspace is suspended.
func (s *Server) membershipOf(ctx context.Context, p Principal, ref string) (tenants.Workspace, tenants.Membership, error) {
	var ws tenants.Workspace
	var m tenants.Membership
	var err error
	switch {
	case p.Token != nil:
		ws, err = tenants.ByRef(ctx, s.db, ref)
		if err == nil && ws.ID != p.Token.WorkspaceID {
			err = tenants.ErrWorkspaceNotFound
		}
		m = tenants.Membership{ID: p.Token.ID, Role: p.Token.Role}
		m.WorkspaceID = ws.ID
	case p.User != nil:
		ws, m, err = tenants.Resolve(ctx, s.db, ref, p.User.ID)
	default:
		err = auth.ErrSessionInvalid
	}
	if err == nil && ws.SuspendedAt != nil {
		err = tenants.ErrWorkspaceSuspended
	}
	return ws, m, err
}

// permit enforces a route's permission for the caller's role in the workspace.
func permit(e *policies.Enforcer) func(policies.Permission) fiber.Handler {
	return func(p policies.Permission) fiber.Handler {
		return func(c *fiber.Ctx) error {
			ws, _ := tenants.FromContext(c.UserContext())
			m, _ := tenants.MembershipFromContext(c.UserContext())
			if !e.Allowed(ws.ID, m.Role, p) {
				return failure.New(failure.Forbidden, "forbidden", fmt.Sprintf("your role (%s) does not allow %s", m.Role, p))
			}
			return c.Next()
		}
	}
}
