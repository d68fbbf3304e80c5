package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// ---------------------------------------------------------------------------
// Scenario helpers shared by auth_test.go, members_test.go, tokens_test.go,
// operator_test.go and badinput_test.go. They are prefixed "sc" so they do not
// collide with helpers of other test files in this package.

// scCase is one API call and what must come back, in the style of pocketbase's
// ApiScenario tables.
type scCase struct {
	name   string
	method string
	path   string
	who    *testapp.Client // nil: an anonymous caller
	body   any             // sent as JSON; nil sends no body
	header map[string]string
	raw    *testapp.Request // sent as is instead of method/path/body

	status      int
	code        string   // error code the body must carry
	fields      []string // error fields the body must name
	contains    []string // substrings the body must contain
	notContains []string // substrings the body must not contain
	check       func(t *testing.T, r *testapp.Response)
}

// run sends c and checks its outcome with t (never the app's own T, so it is safe
// inside subtests).
func (c scCase) run(t *testing.T, ta *testapp.TestApp) *testapp.Response {
	t.Helper()
	who := c.who
	if who == nil {
		who = ta.Anonymous()
	}
	var r *testapp.Response
	if c.raw != nil {
		c.method, c.path = c.raw.Method, c.raw.Path
	}
	switch {
	case c.raw != nil:
		r = who.Send(*c.raw)
	case c.header != nil:
		r = who.Send(scJSON(c.method, c.path, c.body, c.header))
	default:
		r = who.Do(c.method, c.path, c.body)
	}
	if r.Status != c.status {
		t.Fatalf("%s %s: status %d, want %d; body: %s", c.method, c.path, r.Status, c.status, r.Body)
	}
	if r.Status >= 400 {
		e := scErr(t, r)
		if c.code != "" && e.Code != c.code {
			t.Errorf("%s %s: error code %q, want %q; body: %s", c.method, c.path, e.Code, c.code, r.Body)
		}
		for _, f := range c.fields {
			if e.Fields[f] == "" {
				t.Errorf("%s %s: error does not name field %q; body: %s", c.method, c.path, f, r.Body)
			}
		}
	} else if c.code != "" || len(c.fields) > 0 {
		t.Fatalf("scenario %q expects an error code but status %d is not an error", c.name, c.status)
	}
	for _, s := range c.contains {
		if !strings.Contains(string(r.Body), s) {
			t.Errorf("%s %s: body does not contain %q: %s", c.method, c.path, s, r.Body)
		}
	}
	for _, s := range c.notContains {
		if strings.Contains(string(r.Body), s) {
			t.Errorf("%s %s: body contains %q: %s", c.method, c.path, s, r.Body)
		}
	}
	if c.check != nil {
		c.check(t, r)
	}
	return r
}

// scRunAll runs the cases in order, each as a subtest.
func scRunAll(t *testing.T, ta *testapp.TestApp, cases []scCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, ta) })
	}
}

// scEngines runs fn once per available database engine, in parallel subtests.
func scEngines(t *testing.T, fn func(t *testing.T, engine testapp.Engine)) {
	t.Helper()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			fn(t, engine)
		})
	}
}

// scPart is one part of a suite: scenarios that share the suite's app.
type scPart struct {
	name string
	run  func(t *testing.T, ta *testapp.TestApp)
}

// scSuite builds one app per engine (creating a PostgreSQL database costs far more
// than any scenario) and runs the parts on it in order. Parts create their own
// workspaces and users and compare row counts as before/after deltas, so they do not
// depend on one another.
func scSuite(t *testing.T, opts []testapp.Option, parts ...scPart) {
	t.Helper()
	scEngines(t, func(t *testing.T, engine testapp.Engine) {
		ta := testapp.New(t, append([]testapp.Option{testapp.OnEngine(engine)}, opts...)...)
		for _, p := range parts {
			t.Run(p.name, func(t *testing.T) { p.run(t, ta) })
		}
	})
}

// scErr checks that r is a JSON error body of the documented shape and returns it.
func scErr(t *testing.T, r *testapp.Response) api.ErrorDetail {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error response %d has Content-Type %q, want application/json", r.Status, ct)
	}
	var shape map[string]map[string]any
	if err := json.Unmarshal(r.Body, &shape); err != nil {
		t.Fatalf("error response %d is not a JSON object of objects: %v\n%s", r.Status, err, r.Body)
	}
	if len(shape) != 1 || shape["error"] == nil {
		t.Fatalf("error response %d is not {\"error\":{…}}: %s", r.Status, r.Body)
	}
	for _, k := range []string{"code", "message"} {
		if s, _ := shape["error"][k].(string); s == "" {
			t.Errorf("error response %d has no %s: %s", r.Status, k, r.Body)
		}
	}
	var b api.ErrorBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("error body: %v", err)
	}
	return b.Error
}

// scDecode unmarshals r's body into v with t.
func scDecode(t *testing.T, r *testapp.Response, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d is not the expected JSON: %v\n%s", r.Status, err, r.Body)
	}
}

// scJSON is a raw JSON request with extra headers.
func scJSON(method, path string, body any, header map[string]string) testapp.Request {
	req := testapp.Request{Method: method, Path: path, Header: header}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			panic(err)
		}
		req.Body, req.ContentType = b, "application/json"
	}
	return req
}

// scCount counts the rows of table matching where.
func scCount(t *testing.T, ta *testapp.TestApp, table, where string, args ...any) int {
	t.Helper()
	q := ta.App.DB.NewSelect().Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(ta.Ctx())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// scRows reads every column of the matching rows as strings, to look for secrets.
func scRows(t *testing.T, ta *testapp.TestApp, table, where string, args ...any) []map[string]string {
	t.Helper()
	rows, err := ta.App.DB.QueryContext(ta.Ctx(), ta.App.DB.NewSelect().Table(table).Where(where, args...).String())
	if err != nil {
		t.Fatalf("select %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []map[string]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		row := map[string]string{}
		for i, c := range cols {
			switch v := vals[i].(type) {
			case []byte:
				row[c] = string(v)
			case nil:
				row[c] = ""
			default:
				row[c] = fmt.Sprint(v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows %s: %v", table, err)
	}
	return out
}

// scEmail is an address no other test, process or earlier run uses. The sign-in
// throttle lives in a Redis shared by every test, so accounts whose sign-ins fail
// must not share an email with anyone else's.
func scEmail(prefix string) string {
	return fmt.Sprintf("%s-%016x@example.test", prefix, rand.Uint64())
}

// scIP is a client address no other test uses, for the per-IP sign-in throttle.
func scIP() string {
	return fmt.Sprintf("10.%d.%d.%d", rand.IntN(256), rand.IntN(256), 1+rand.IntN(254))
}

// scUser creates an account with a unique email and testapp.Password.
func scUser(t *testing.T, ta *testapp.TestApp, name string) auth.User {
	t.Helper()
	u, err := ta.App.Accounts.CreateUser(ta.Ctx(), ta.App.DB, auth.NewUser{Email: scEmail(strings.ToLower(name)), Name: name, Password: testapp.Password})
	if err != nil {
		t.Fatalf("user: %v", err)
	}
	return u
}

// scLogin signs c in from ip.
func scLogin(c *testapp.Client, ip, email, password string) *testapp.Response {
	return c.Send(scJSON(http.MethodPost, "/api/v1/auth/login", api.LoginRequest{Email: email, Password: password}, map[string]string{"X-Forwarded-For": ip}))
}

// scCookie returns the Set-Cookie of name in r, or nil.
func scCookie(r *testapp.Response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// scMe is GET /api/v1/me.
func scMe(t *testing.T, c *testapp.Client) api.MeResponse {
	t.Helper()
	r := c.Do(http.MethodGet, "/api/v1/me", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /me: status %d: %s", r.Status, r.Body)
	}
	var me api.MeResponse
	scDecode(t, r, &me)
	return me
}

func scStatus(t *testing.T, r *testapp.Response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body: %s", r.Status, want, r.Body)
	}
}

// ---------------------------------------------------------------------------

func partSignup(t *testing.T, ta *testapp.TestApp) {
	wsBefore, usersBefore, membersBefore := scCount(t, ta, "workspaces", ""), scCount(t, ta, "users", ""), scCount(t, ta, "memberships", "")
	first, second := ta.Anonymous(), ta.Anonymous()
	const taken = "sam@example.test"

	signup := func(email, password, name, workspace string) api.SignupRequest {
		return api.SignupRequest{Email: email, Password: password, Name: name, WorkspaceName: workspace}
	}
	scRunAll(t, ta, []scCase{
		{
			name: "success", method: http.MethodPost, path: "/api/v1/auth/signup", who: first,
			body:   signup("  Sam@Example.TEST ", testapp.Password, "Sam Sample", "Blue Bottle Café"),
			status: http.StatusCreated, contains: []string{`"email":"sam@example.test"`, `"slug":"blue-bottle-cafe"`, `"csrf_token":"`},
			notContains: []string{testapp.Password, "password_hash", "$argon2id"},
			check: func(t *testing.T, r *testapp.Response) {
				var s api.SessionResponse
				scDecode(t, r, &s)
				if s.Workspace == nil || s.Workspace.Name != "Blue Bottle Café" || s.Workspace.TimeZone != "UTC" {
					t.Fatalf("workspace = %+v", s.Workspace)
				}
				if len(s.Memberships) != 1 || s.Memberships[0].Role != "admin" || s.Memberships[0].WorkspaceID != s.Workspace.ID {
					t.Fatalf("memberships = %+v", s.Memberships)
				}
				sess := scCookie(r, api.SessionCookie)
				if sess == nil || sess.Value == "" || !sess.HttpOnly || sess.Path != "/" || sess.SameSite != http.SameSiteLaxMode {
					t.Fatalf("session cookie = %+v", sess)
				}
				if csrf := scCookie(r, api.CSRFCookie); csrf == nil || csrf.Value != s.CSRFToken || csrf.HttpOnly {
					t.Fatalf("csrf cookie = %+v, want readable cookie with %q", csrf, s.CSRFToken)
				}
				// The database holds the membership, on the default plan.
				if n := scCount(t, ta, "memberships", "user_id = ? AND workspace_id = ? AND role = 'admin'", s.User.ID, s.Workspace.ID); n != 1 {
					t.Fatalf("admin memberships = %d", n)
				}
				free, err := tenants.PlanByCode(ta.Ctx(), ta.App.DB, tenants.DefaultPlanCode)
				if err != nil || s.Workspace.PlanID != free.ID {
					t.Fatalf("plan %s, want the default plan %s (%v)", s.Workspace.PlanID, free.ID, err)
				}
				// The cookie signs the browser in.
				if me := scMe(t, first); me.User == nil || me.User.ID != s.User.ID || me.CSRFToken != s.CSRFToken {
					t.Fatalf("/me after signup = %+v", me)
				}
			},
		},
		{
			name: "same workspace name gets a suffix", method: http.MethodPost, path: "/api/v1/auth/signup", who: second,
			body:   signup(scEmail("second"), testapp.Password, "Second", "Blue  Bottle  Cafe!"),
			status: http.StatusCreated, contains: []string{`"slug":"blue-bottle-cafe-2"`},
		},
		{
			name: "duplicate email", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup("SAM@example.test", "another long passphrase", "Other Sam", "Sam's Other Shop"),
			status: http.StatusConflict, code: "email_taken", fields: []string{"email"},
			check: func(t *testing.T, r *testapp.Response) {
				if c := scCookie(r, api.SessionCookie); c != nil {
					t.Fatalf("a refused signup set a session cookie: %+v", c)
				}
				if n := scCount(t, ta, "workspaces", "name = ?", "Sam's Other Shop"); n != 0 {
					t.Fatalf("the refused signup left %d workspace rows", n)
				}
			},
		},
		{
			name: "password too short", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup(scEmail("weak"), "short1!", "Weak", "Weak Shop"),
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"password"}, contains: []string{"at least 10 characters"},
		},
		{
			name: "password too common", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup(scEmail("weak"), "Password1234", "Weak", "Weak Shop"),
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"password"}, contains: []string{"too common"},
		},
		{
			name: "password equal to email", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup("mirror.mirror@example.test", "Mirror.Mirror@example.test", "Weak", "Weak Shop"),
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"password"}, contains: []string{"email address"},
			notContains: []string{`"email":`},
		},
		{
			name: "password equal to the email's local part", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup("mirror.mirror@example.test", "mirror.mirror", "Weak", "Weak Shop"),
			status: http.StatusUnprocessableEntity, fields: []string{"password"}, contains: []string{"email address"},
		},
		{
			name: "password of one repeated character", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup(scEmail("weak"), "aaaaaaaaaaaa", "Weak", "Weak Shop"),
			status: http.StatusUnprocessableEntity, fields: []string{"password"},
		},
		{
			name: "invalid email", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup("not-an-email", testapp.Password, "Bad", "Bad Shop"),
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"email"}, notContains: []string{`"password"`},
		},
		{
			name: "email with a display name", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup("Sam <sam2@example.test>", testapp.Password, "Bad", "Bad Shop"),
			status: http.StatusUnprocessableEntity, fields: []string{"email"},
		},
		{
			name: "email without a domain dot", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup("sam@localhost", testapp.Password, "Bad", "Bad Shop"),
			status: http.StatusUnprocessableEntity, fields: []string{"email"},
		},
		{
			name: "every missing field in one response", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   map[string]string{},
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"email", "password", "name", "workspace_name"},
		},
		{
			name: "blank name and workspace name", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup(scEmail("blank"), testapp.Password, "   ", "\t"),
			status: http.StatusUnprocessableEntity, fields: []string{"name", "workspace_name"}, notContains: []string{`"email":`, `"password":`},
		},
		{
			name: "workspace name too long", method: http.MethodPost, path: "/api/v1/auth/signup",
			body:   signup(scEmail("long"), testapp.Password, "Long", strings.Repeat("w", 101)),
			status: http.StatusUnprocessableEntity, fields: []string{"workspace_name"},
		},
	})

	// Only the two successful signups wrote anything.
	if n := scCount(t, ta, "workspaces", ""); n != wsBefore+2 {
		t.Fatalf("workspaces: %d, want %d", n, wsBefore+2)
	}
	if n := scCount(t, ta, "users", ""); n != usersBefore+2 {
		t.Fatalf("users: %d, want %d", n, usersBefore+2)
	}
	if n := scCount(t, ta, "memberships", ""); n != membersBefore+2 {
		t.Fatalf("memberships: %d, want %d", n, membersBefore+2)
	}
	if n := scCount(t, ta, "users", "email = ?", taken); n != 1 {
		t.Fatalf("users with %s: %d", taken, n)
	}
}

func partLogin(t *testing.T, ta *testapp.TestApp) {
	u := scUser(t, ta, "Lou")
	ws := ta.NewWorkspace("Login")
	if _, err := tenants.AddMember(ta.Ctx(), tenants.Scope(ta.App.DB, ws.Workspace.ID), u.ID, "agent"); err != nil {
		t.Fatal(err)
	}
	ip := scIP()
	browser := ta.Anonymous()
	login := func(email, password string) *testapp.Request {
		r := scJSON(http.MethodPost, "/api/v1/auth/login", api.LoginRequest{Email: email, Password: password}, map[string]string{"X-Forwarded-For": ip})
		return &r
	}
	var wrongBody string
	scRunAll(t, ta, []scCase{
		{
			name: "wrong password", raw: login(u.Email, "not the password at all"),
			status: http.StatusUnauthorized, code: "invalid_credentials",
			check: func(t *testing.T, r *testapp.Response) {
				wrongBody = string(r.Body)
				if c := scCookie(r, api.SessionCookie); c != nil {
					t.Fatalf("failed login set a cookie: %+v", c)
				}
			},
		},
		{
			name: "unknown email answers like a wrong password", raw: login(scEmail("nobody"), "not the password at all"),
			status: http.StatusUnauthorized, code: "invalid_credentials",
			check: func(t *testing.T, r *testapp.Response) {
				if string(r.Body) != wrongBody {
					t.Fatalf("unknown email body %s differs from wrong password body %s", r.Body, wrongBody)
				}
			},
		},
		{
			name: "missing fields", raw: login("", ""),
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"email", "password"},
		},
		{
			name: "success, email in another case", who: browser, raw: login(strings.ToUpper(u.Email), testapp.Password),
			status: http.StatusOK, contains: []string{`"csrf_token":"`, `"role":"agent"`, ws.Workspace.Slug}, notContains: []string{"password_hash"},
			check: func(t *testing.T, r *testapp.Response) {
				var s api.SessionResponse
				scDecode(t, r, &s)
				if s.User.ID != u.ID || s.Workspace != nil || len(s.Memberships) != 1 {
					t.Fatalf("login answered %+v", s)
				}
				if c := scCookie(r, api.SessionCookie); c == nil || !c.HttpOnly {
					t.Fatalf("session cookie = %+v", c)
				}
				// The session row records the client address and user agent.
				if n := scCount(t, ta, "sessions", "user_id = ? AND ip = ?", u.ID, ip); n != 1 {
					t.Fatalf("sessions from %s: %d", ip, n)
				}
				if me := scMe(t, browser); me.User == nil || me.User.ID != u.ID {
					t.Fatalf("/me = %+v", me)
				}
			},
		},
	})
}

// Sign-in limits of the auth suite's app: low, so throttling shows after a few tries.
const (
	scLoginLimit  = 3
	scLoginWindow = time.Minute
)

// TestAuth is sign-up, sign-in, throttling, sessions with CSRF and password changes,
// on one app per engine whose sign-in limits are scLoginLimit per account and per IP.
func TestAuth(t *testing.T) {
	t.Parallel()
	scSuite(t, []testapp.Option{testapp.WithConfig(func(c *config.Config) {
		c.Auth.LoginUserLimit, c.Auth.LoginIPLimit, c.Auth.LoginWindow = scLoginLimit, scLoginLimit, scLoginWindow
	})},
		scPart{"signup", partSignup},
		scPart{"login", partLogin},
		scPart{"throttle per account", partThrottlePerAccount},
		scPart{"throttle reset by success", partThrottleReset},
		scPart{"throttle per IP", partThrottlePerIP},
		scPart{"session", partSession},
		scPart{"password change", partPasswordChange},
	)
}

// scThrottled checks a 429 with a sane Retry-After.
func scThrottled(t *testing.T, r *testapp.Response) {
	t.Helper()
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429; body %s", r.Status, r.Body)
	}
	if e := scErr(t, r); e.Code != "too_many_attempts" {
		t.Fatalf("code %q", e.Code)
	}
	limit := int(scLoginWindow / time.Second)
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > limit {
		t.Fatalf("Retry-After %q, want 1..%d", r.Header.Get("Retry-After"), limit)
	}
}

func partThrottlePerAccount(t *testing.T, ta *testapp.TestApp) {
	victim, bystander := scUser(t, ta, "Victim"), scUser(t, ta, "Bystander")
	ip := scIP()
	// Failures from several addresses all count against the account.
	for i := range scLoginLimit {
		scStatus(t, scLogin(ta.Anonymous(), scIP(), victim.Email, fmt.Sprintf("guess number %d", i)), http.StatusUnauthorized)
	}
	scThrottled(t, scLogin(ta.Anonymous(), ip, victim.Email, "one guess too many"))
	// While throttled even the right password is refused, without a session.
	r := scLogin(ta.Anonymous(), ip, strings.ToUpper(victim.Email), testapp.Password)
	scThrottled(t, r)
	if c := scCookie(r, api.SessionCookie); c != nil {
		t.Fatalf("throttled login set a cookie")
	}
	if n := scCount(t, ta, "sessions", "user_id = ?", victim.ID); n != 0 {
		t.Fatalf("throttled login created %d sessions", n)
	}
	// Another account from the same address is unaffected.
	scStatus(t, scLogin(ta.Anonymous(), ip, bystander.Email, testapp.Password), http.StatusOK)
}

func partThrottleReset(t *testing.T, ta *testapp.TestApp) {
	u := scUser(t, ta, "Forgetful")
	// Each failure from its own address, so only the account's count matters: a
	// success clears it, and the limit is never reached.
	for range 3 {
		for range scLoginLimit - 1 {
			scStatus(t, scLogin(ta.Anonymous(), scIP(), u.Email, "wrong password here"), http.StatusUnauthorized)
		}
		scStatus(t, scLogin(ta.Anonymous(), scIP(), u.Email, testapp.Password), http.StatusOK)
	}
}

func partThrottlePerIP(t *testing.T, ta *testapp.TestApp) {
	target := scUser(t, ta, "Target")
	sprayer := scIP()
	// Failures on as many different accounts, one of them unknown.
	for _, email := range []string{scUser(t, ta, "One").Email, scUser(t, ta, "Two").Email, scEmail("ghost")} {
		scStatus(t, scLogin(ta.Anonymous(), sprayer, email, "spray and pray 123"), http.StatusUnauthorized)
	}
	scThrottled(t, scLogin(ta.Anonymous(), sprayer, target.Email, testapp.Password))
	// The right password from elsewhere works and does not lift the address's block.
	scStatus(t, scLogin(ta.Anonymous(), scIP(), target.Email, testapp.Password), http.StatusOK)
	scThrottled(t, scLogin(ta.Anonymous(), sprayer, target.Email, testapp.Password))
}

func partSession(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Session")
	ws := admin.Workspace
	me := scMe(t, admin)
	if me.User == nil || me.User.ID != admin.User.ID || me.CSRFToken == "" || me.Token != nil {
		t.Fatalf("/me = %+v", me)
	}
	if len(me.Memberships) != 1 || me.Memberships[0].Slug != ws.Slug || me.Memberships[0].Role != "admin" {
		t.Fatalf("/me memberships = %+v", me.Memberships)
	}
	csrf := me.CSRFToken
	other := ta.SessionFor(admin.User) // a second browser of the same user

	scRunAll(t, ta, []scCase{
		{name: "me without credentials", method: http.MethodGet, path: "/api/v1/me", status: http.StatusUnauthorized, code: "unauthenticated"},
		{
			name: "me with a made-up cookie", raw: &testapp.Request{Method: http.MethodGet, Path: "/api/v1/me", Header: map[string]string{"Cookie": api.SessionCookie + "=sbs_made_up"}},
			status: http.StatusUnauthorized, code: "unauthenticated",
		},
		{
			name: "a user with no workspace sees an empty list", method: http.MethodGet, path: "/api/v1/me", who: ta.SessionFor(ta.NewUser("Loner")),
			status: http.StatusOK, contains: []string{`"memberships":[]`}, notContains: []string{`"token"`},
		},
		{name: "GET needs no CSRF token", method: http.MethodGet, path: admin.WSPath(""), who: admin.WithCSRF(""), status: http.StatusOK},
		{
			name: "unsafe request without CSRF token", method: http.MethodPatch, path: admin.WSPath(""), who: admin.WithCSRF(""),
			body: map[string]string{"name": "Hijacked"}, status: http.StatusForbidden, code: "csrf_failed",
		},
		{
			name: "unsafe request with a wrong CSRF token", method: http.MethodPatch, path: admin.WSPath(""), who: admin.WithCSRF(csrf + "x"),
			body: map[string]string{"name": "Hijacked"}, status: http.StatusForbidden, code: "csrf_failed",
		},
		{
			name: "another session's CSRF token", method: http.MethodPost, path: admin.WSPath("/invitations"), who: other.WithCSRF(csrf),
			body: api.InviteRequest{Email: "victim@example.test", Role: "admin"}, status: http.StatusForbidden, code: "csrf_failed",
		},
		{
			name: "logout without CSRF token", method: http.MethodPost, path: "/api/v1/auth/logout", who: admin.WithCSRF(""),
			status: http.StatusForbidden, code: "csrf_failed",
		},
		{
			name: "nothing changed", method: http.MethodGet, path: admin.WSPath(""), who: admin, status: http.StatusOK,
			contains: []string{`"name":"` + ws.Name + `"`}, notContains: []string{"Hijacked"},
			check: func(t *testing.T, r *testapp.Response) {
				if n := scCount(t, ta, "invitations", "workspace_id = ?", ws.ID); n != 0 {
					t.Fatalf("a CSRF-refused invitation was stored (%d rows)", n)
				}
				if n := scCount(t, ta, "workspaces", "name = ?", "Hijacked"); n != 0 {
					t.Fatalf("a CSRF-refused rename was stored")
				}
			},
		},
		{
			name: "with the CSRF token the change goes through", method: http.MethodPatch, path: admin.WSPath(""), who: admin,
			body: map[string]string{"name": "Renamed"}, status: http.StatusOK, contains: []string{`"name":"Renamed"`},
		},
	})

	// Logout ends this browser's session only.
	before := admin.WithCSRF(csrf) // a copy still holding the old cookie
	r := admin.Do(http.MethodPost, "/api/v1/auth/logout", nil)
	scStatus(t, r, http.StatusNoContent)
	if c := scCookie(r, api.SessionCookie); c == nil || c.Value != "" || (c.MaxAge >= 0 && !c.Expires.Before(time.Now())) {
		t.Fatalf("logout did not clear the session cookie: %+v", c)
	}
	scCase{name: "old cookie after logout", method: http.MethodGet, path: "/api/v1/me", who: before, status: http.StatusUnauthorized, code: "unauthenticated"}.run(t, ta)
	scCase{name: "old cookie after logout, workspace", method: http.MethodGet, path: before.WSPath(""), who: before, status: http.StatusUnauthorized}.run(t, ta)
	scStatus(t, other.Do(http.MethodGet, "/api/v1/me", nil), http.StatusOK)
	if n := scCount(t, ta, "sessions", "user_id = ?", admin.User.ID); n != 1 {
		t.Fatalf("sessions after logout: %d, want 1 (the other browser)", n)
	}

	// An expired session no longer signs anyone in.
	if _, err := ta.App.DB.NewUpdate().Table("sessions").Set("expires_at = ?", time.Now().UTC().Add(-time.Minute)).
		Where("user_id = ?", admin.User.ID).Exec(ta.Ctx()); err != nil {
		t.Fatal(err)
	}
	scCase{name: "expired session", method: http.MethodGet, path: "/api/v1/me", who: other, status: http.StatusUnauthorized, code: "unauthenticated"}.run(t, ta)
}

func partPasswordChange(t *testing.T, ta *testapp.TestApp) {
	u := scUser(t, ta, "Pat")
	changer, elsewhere := ta.SessionFor(u), ta.SessionFor(u)
	changerOld := changer.WithCSRF(scMe(t, changer).CSRFToken)
	const next = "a brand new passphrase"
	ip := scIP()
	var changedAt time.Time
	if err := ta.App.DB.NewSelect().Table("users").Column("password_changed_at").Where("id = ?", u.ID).Scan(ta.Ctx(), &changedAt); err != nil {
		t.Fatal(err)
	}

	scRunAll(t, ta, []scCase{
		{
			name: "wrong current password", method: http.MethodPost, path: "/api/v1/me/password", who: changer,
			body:   api.PasswordChange{CurrentPassword: "not my password", NewPassword: next},
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"current_password"}, notContains: []string{`"new_password"`},
		},
		{
			name: "weak new password", method: http.MethodPost, path: "/api/v1/me/password", who: changer,
			body:   api.PasswordChange{CurrentPassword: testapp.Password, NewPassword: "short"},
			status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"new_password"}, notContains: []string{`"password":`},
		},
		{
			name: "new password equal to the email", method: http.MethodPost, path: "/api/v1/me/password", who: changer,
			body:   api.PasswordChange{CurrentPassword: testapp.Password, NewPassword: u.Email},
			status: http.StatusUnprocessableEntity, fields: []string{"new_password"}, contains: []string{"email address"},
		},
		{
			name: "common new password", method: http.MethodPost, path: "/api/v1/me/password", who: changer,
			body:   api.PasswordChange{CurrentPassword: testapp.Password, NewPassword: "switchboard1"},
			status: http.StatusUnprocessableEntity, fields: []string{"new_password"},
		},
		{
			name: "refusals changed nothing", method: http.MethodGet, path: "/api/v1/me", who: elsewhere, status: http.StatusOK,
			check: func(t *testing.T, _ *testapp.Response) {
				scStatus(t, scLogin(ta.Anonymous(), ip, u.Email, testapp.Password), http.StatusOK)
			},
		},
		{
			name: "success", method: http.MethodPost, path: "/api/v1/me/password", who: changer,
			body:   api.PasswordChange{CurrentPassword: testapp.Password, NewPassword: next},
			status: http.StatusOK, contains: []string{`"csrf_token":"`, u.Email},
			check: func(t *testing.T, r *testapp.Response) {
				if c := scCookie(r, api.SessionCookie); c == nil || c.Value == "" {
					t.Fatalf("the changing browser got no new session cookie")
				}
			},
		},
		{name: "the changing browser stays signed in", method: http.MethodGet, path: "/api/v1/me", who: changer, status: http.StatusOK},
		{
			name: "and can make further changes with its new CSRF token", method: http.MethodPost, path: "/api/v1/workspaces", who: changer,
			body: api.CreateWorkspace{Name: "After Change"}, status: http.StatusCreated,
		},
		{name: "its old cookie is gone", method: http.MethodGet, path: "/api/v1/me", who: changerOld, status: http.StatusUnauthorized, code: "unauthenticated"},
		{name: "every other session is gone", method: http.MethodGet, path: "/api/v1/me", who: elsewhere, status: http.StatusUnauthorized, code: "unauthenticated"},
		{
			name: "the old password no longer signs in", raw: scPtr(scJSON(http.MethodPost, "/api/v1/auth/login", api.LoginRequest{Email: u.Email, Password: testapp.Password}, map[string]string{"X-Forwarded-For": ip})),
			status: http.StatusUnauthorized, code: "invalid_credentials",
		},
		{
			name: "the new one does", raw: scPtr(scJSON(http.MethodPost, "/api/v1/auth/login", api.LoginRequest{Email: u.Email, Password: next}, map[string]string{"X-Forwarded-For": ip})),
			status: http.StatusOK,
		},
	})
	var after time.Time
	if err := ta.App.DB.NewSelect().Table("users").Column("password_changed_at").Where("id = ?", u.ID).Scan(ta.Ctx(), &after); err != nil {
		t.Fatal(err)
	}
	if !after.After(changedAt) {
		t.Fatalf("password_changed_at %v not after %v", after, changedAt)
	}
	// The changing browser's fresh session and the last sign-in.
	if n := scCount(t, ta, "sessions", "user_id = ?", u.ID); n != 2 {
		t.Fatalf("sessions: %d, want 2", n)
	}
}

// scPtr returns a pointer to a copy of v.
func scPtr[T any](v T) *T { return &v }

// scSorted returns a sorted copy.
func scSorted[T ~string](s []T) []T {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
