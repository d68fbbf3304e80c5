// Package testapp builds a complete Switchboard app for tests: a fresh database
// (PostgreSQL when the Makefile started one, else SQLite), Redis, the HTTP server,
// and clients that call it as anonymous visitors, signed-in users or API tokens.
package testapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/app"
	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// Password is the password of every user the fixtures create.
const Password = "correct horse battery staple"

// TestApp is one app on its own database.
type TestApp struct {
	T      testing.TB
	Engine Engine
	App    *app.App
	Server *api.Server
	// ip is this app's client address: each app gets its own so per-IP sign-in
	// throttles of parallel tests on a shared Redis do not add up.
	ip  string
	tag string // random, makes emails unique across test processes
	seq atomic.Int64
}

// Option changes how New builds the app.
type Option func(*options)

type options struct {
	plugins connections.Plugins
	engine  Engine
	config  func(*config.Config)
}

// OnEngine picks the database engine.
func OnEngine(e Engine) Option { return func(o *options) { o.engine = e } }

// WithPlugins gives the app these channel plugins instead of none.
func WithPlugins(p connections.Plugins) Option { return func(o *options) { o.plugins = p } }

// WithConfig adjusts the configuration before the app is built.
func WithConfig(f func(*config.Config)) Option { return func(o *options) { o.config = f } }

// New builds an app on a fresh database and closes it when the test ends.
func New(t testing.TB, opts ...Option) *TestApp {
	t.Helper()
	o := options{engine: DefaultEngine()}
	for _, opt := range opts {
		opt(&o)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = newDatabaseURL(t, o.engine)
	cfg.RedisURL = os.Getenv(EnvRedis)
	cfg.SecretKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	cfg.PublicURL = "http://switchboard.test"
	cfg.HTTP.ProxyHops = 1
	// Cheap hashing: the cost is a production setting, not what the tests check.
	cfg.Auth.PasswordHashing = config.Hashing{MemoryKiB: 1024, Iterations: 1}
	if o.config != nil {
		o.config(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("SWITCHBOARD_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.Open(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("testapp: %v", err)
	}
	t.Cleanup(a.Close)
	if o.plugins != nil {
		a.Plugins = o.plugins
		a.Connections = connections.NewService(a.Box, o.plugins, cfg.BaseURL())
		a.Pipeline.Connections, a.Pipeline.Plugins = a.Connections, o.plugins
	}
	// Random per app: test processes share one Redis, whose sign-in throttle counts
	// per IP and per email for minutes; fixed values would add up across runs.
	var r [5]byte
	_, _ = rand.Read(r[:])
	ta := &TestApp{T: t, Engine: o.engine, App: a, Server: a.HTTP(),
		ip: fmt.Sprintf("10.%d.%d.%d", r[0], r[1], r[2]), tag: fmt.Sprintf("%02x%02x", r[3], r[4])}
	return ta
}

// Ctx is a background context for direct domain calls.
func (ta *TestApp) Ctx() context.Context { return context.Background() }

// Unique returns a string unique within this app, for emails and names.
func (ta *TestApp) Unique(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, ta.seq.Add(1))
}

// Response is what the server answered.
type Response struct {
	T      testing.TB
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v, failing the test when it is not that JSON.
func (r *Response) Decode(v any) {
	r.T.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.T.Fatalf("response %d is not the expected JSON: %v\n%s", r.Status, err, r.Body)
	}
}

// Error decodes an error body.
func (r *Response) Error() api.ErrorDetail {
	r.T.Helper()
	var b api.ErrorBody
	r.Decode(&b)
	return b.Error
}

// Expect fails the test unless the status is want.
func (r *Response) Expect(want int) *Response {
	r.T.Helper()
	if r.Status != want {
		r.T.Fatalf("status %d, want %d; body: %s", r.Status, want, r.Body)
	}
	return r
}

// Client calls the app as someone.
type Client struct {
	ta      *TestApp
	session string
	csrf    string
	bearer  string
	User    auth.User
	// Role is the client's role in Workspace, when it was made for one.
	Role      policies.Role
	Workspace tenants.Workspace
}

// Anonymous is a client with no credentials.
func (ta *TestApp) Anonymous() *Client { return &Client{ta: ta} }

// Request is a raw request, for bad-input tests.
type Request struct {
	Method      string
	Path        string
	ContentType string
	Body        []byte
	Header      map[string]string
}

// Do sends a JSON request; body nil sends none.
func (c *Client) Do(method, path string, body any) *Response {
	c.ta.T.Helper()
	req := Request{Method: method, Path: path}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.ta.T.Fatalf("testapp: marshal: %v", err)
		}
		req.Body, req.ContentType = b, "application/json"
	}
	return c.Send(req)
}

// Upload posts a multipart/form-data form: content as the file field "file" named
// filename, and fields beside it.
func (c *Client) Upload(path, filename string, content []byte, fields map[string]string) *Response {
	c.ta.T.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			c.ta.T.Fatalf("testapp: form field: %v", err)
		}
	}
	fw, err := w.CreateFormFile("file", filename)
	if err == nil {
		_, err = fw.Write(content)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		c.ta.T.Fatalf("testapp: form: %v", err)
	}
	return c.Send(Request{Method: http.MethodPost, Path: path, ContentType: w.FormDataContentType(), Body: body.Bytes()})
}

// Send sends a raw request with the client's credentials.
func (c *Client) Send(r Request) *Response {
	c.ta.T.Helper()
	req := httptest.NewRequest(r.Method, r.Path, bytes.NewReader(r.Body))
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	req.Header.Set("X-Forwarded-For", c.ta.ip)
	if c.session != "" {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: c.session})
		if r.Method != http.MethodGet {
			req.Header.Set(api.CSRFHeader, c.csrf)
		}
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	res, err := c.ta.Server.App().Test(req, int((30 * time.Second).Milliseconds()))
	if err != nil {
		c.ta.T.Fatalf("testapp: %s %s: %v", r.Method, r.Path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	out := &Response{T: c.ta.T, Status: res.StatusCode, Header: res.Header, Body: body}
	// A client follows its own sign-ins, like a browser keeping cookies.
	for _, ck := range res.Cookies() {
		switch ck.Name {
		case api.SessionCookie:
			c.session = ck.Value
		case api.CSRFCookie:
			c.csrf = ck.Value
		}
	}
	return out
}

// WithCSRF overrides the CSRF token the client sends (for CSRF tests).
func (c *Client) WithCSRF(token string) *Client {
	cp := *c
	cp.csrf = token
	return &cp
}

// NewUser creates an account directly (no HTTP) with Password.
func (ta *TestApp) NewUser(name string) auth.User {
	ta.T.Helper()
	email := strings.ToLower(ta.Unique(name)) + "." + ta.tag + "@example.test"
	u, err := ta.App.Accounts.CreateUser(ta.Ctx(), ta.App.DB, auth.NewUser{Email: email, Name: name, Password: Password})
	if err != nil {
		ta.T.Fatalf("testapp: user: %v", err)
	}
	return u
}

// SessionFor signs u in directly and returns a client carrying the session.
func (ta *TestApp) SessionFor(u auth.User) *Client {
	ta.T.Helper()
	s, token, err := ta.App.Accounts.StartSession(ta.Ctx(), u.ID, ta.ip, "testapp")
	if err != nil {
		ta.T.Fatalf("testapp: session: %v", err)
	}
	return &Client{ta: ta, session: token, csrf: s.CSRFToken, User: u}
}

// NewWorkspace creates a workspace with a new admin and returns the admin's client.
func (ta *TestApp) NewWorkspace(name string) *Client {
	ta.T.Helper()
	u := ta.NewUser("admin")
	ws, err := tenants.CreateWorkspace(ta.Ctx(), ta.App.DB, tenants.NewWorkspace{Name: ta.Unique(name), PlanCode: "business"})
	if err != nil {
		ta.T.Fatalf("testapp: workspace: %v", err)
	}
	if _, err := tenants.AddMember(ta.Ctx(), tenants.Scope(ta.App.DB, ws.ID), u.ID, policies.Admin); err != nil {
		ta.T.Fatalf("testapp: member: %v", err)
	}
	c := ta.SessionFor(u)
	c.Role, c.Workspace = policies.Admin, ws
	return c
}

// Member adds a new user with role to ws and returns their signed-in client.
func (ta *TestApp) Member(ws tenants.Workspace, role policies.Role) *Client {
	ta.T.Helper()
	u := ta.NewUser(string(role))
	if _, err := tenants.AddMember(ta.Ctx(), tenants.Scope(ta.App.DB, ws.ID), u.ID, role); err != nil {
		ta.T.Fatalf("testapp: member: %v", err)
	}
	c := ta.SessionFor(u)
	c.Role, c.Workspace = role, ws
	return c
}

// Token creates an API token with role in ws and returns a client using it.
func (ta *TestApp) Token(ws tenants.Workspace, role policies.Role) *Client {
	ta.T.Helper()
	t, secret, err := auth.CreateToken(ta.Ctx(), tenants.Scope(ta.App.DB, ws.ID), ta.Unique("token"), role, tenants.Membership{Role: policies.Admin}, 0)
	if err != nil {
		ta.T.Fatalf("testapp: token: %v", err)
	}
	_ = t
	return &Client{ta: ta, bearer: secret, Role: role, Workspace: ws}
}

// WSPath is a path under the client's workspace: WSPath("/members") →
// /api/v1/workspaces/{slug}/members.
func (c *Client) WSPath(suffix string) string {
	return "/api/v1/workspaces/" + c.Workspace.Slug + suffix
}
