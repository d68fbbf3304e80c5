package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
)

const (
	scBodyLimit     = 4096
	scUploadsAtOnce = 2 // one slow upload and a quick one beside it; the bound's test fills it
)

// scEdgeHeaders checks what every response must carry: a request id and the security
// headers.
func scEdgeHeaders(t *testing.T, r *testapp.Response) {
	t.Helper()
	if id := r.Header.Get(api.RequestIDHeader); !regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`).MatchString(id) {
		t.Errorf("response %d: X-Request-ID %q", r.Status, id)
	}
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("response %d: %s = %q, want %q", r.Status, h, got, want)
		}
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("response %d: Content-Security-Policy %q", r.Status, csp)
	}
}

// TestBadInput sends every kind of unreadable body to several endpoints, each of which
// must answer the same way before doing anything.
// TestEdge is what the HTTP edge does with bad requests, whatever the route: bodies it
// cannot read, bad list parameters, unknown routes, request ids and security
// headers; and the system routes. Its app accepts bodies up to scBodyLimit bytes.
func TestEdge(t *testing.T) {
	t.Parallel()
	scSuite(t, []testapp.Option{testapp.WithConfig(func(c *config.Config) { c.HTTP.BodyLimit, c.HTTP.UploadsAtOnce = scBodyLimit, scUploadsAtOnce })},
		scPart{"system routes", partSystemRoutes},
		scPart{"bad input", partBadInput},
		scPart{"bad query", partBadQuery},
		scPart{"edge responses", partEdgeResponses},
		scPart{"oversize body", partOversizeBody}, // last: it shuts the server down
	)
}

func partBadInput(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Bad Input")
	op := scOperator(t, ta)
	token := ta.Token(admin.Workspace, policies.Admin)

	type endpoint struct {
		name         string
		method, path string
		who          *testapp.Client
		wrongType    string // a body with a field of the wrong type
		wrongField   string // the field it names
	}
	endpoints := []endpoint{
		{"signup", http.MethodPost, "/api/v1/auth/signup", nil, `{"email": 5, "password": "x"}`, "email"},
		{"login", http.MethodPost, "/api/v1/auth/login", nil, `{"email": "a@b.test", "password": true}`, "password"},
		{"accept invitation", http.MethodPost, "/api/v1/invitations/accept", nil, `{"token": ["inv_x"]}`, "token"},
		{"change password", http.MethodPost, "/api/v1/me/password", admin, `{"current_password": {}}`, "current_password"},
		{"create workspace", http.MethodPost, "/api/v1/workspaces", admin, `{"name": 1.5}`, "name"},
		{"update workspace", http.MethodPatch, admin.WSPath(""), admin, `{"time_zone": 3}`, "time_zone"},
		{"invite", http.MethodPost, admin.WSPath("/invitations"), admin, `{"email": "x@y.test", "role": 1}`, "role"},
		{"change role", http.MethodPatch, admin.WSPath("/members/whoever"), admin, `{"role": false}`, "role"},
		{"create token", http.MethodPost, admin.WSPath("/tokens"), token, `{"name": "t", "role": "viewer", "expires_in_days": "soon"}`, "expires_in_days"},
		{"save plan", http.MethodPut, "/api/v1/operator/plans/gold", op, `{"name": "Gold", "features": {"max_seats": "lots"}}`, "features.max_seats"},
		{"change workspace as operator", http.MethodPatch, "/api/v1/operator/workspaces/" + admin.Workspace.ID, op, `{"suspended": "yes"}`, "suspended"},
	}
	type badBody struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
		field       string // "" or "*" for the endpoint's wrong field
	}
	bodies := []badBody{
		{"malformed JSON", "application/json", `{"email": "a@b.test",`, http.StatusBadRequest, "malformed_json", ""},
		{"not JSON at all", "application/json", `email=a@b.test`, http.StatusBadRequest, "malformed_json", ""},
		{"single quotes", "application/json", `{'email': 'a@b.test'}`, http.StatusBadRequest, "malformed_json", ""},
		{"text/plain", "text/plain", `{"email": "a@b.test"}`, http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
		{"form encoded", "application/x-www-form-urlencoded", `email=a%40b.test`, http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
		{"no content type", "", `{"email": "a@b.test"}`, http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
		{"empty body", "application/json", ``, http.StatusBadRequest, "body_required", ""},
		{"blank body", "application/json", " \n\t ", http.StatusBadRequest, "body_required", ""},
		{"unknown field", "application/json", `{"is_admin": true}`, http.StatusBadRequest, "unknown_field", "is_admin"},
		{"wrong type", "application/json", "", http.StatusUnprocessableEntity, "validation_failed", "*"},
		{"trailing garbage", "application/json", `{} garbage`, http.StatusBadRequest, "malformed_json", ""},
		{"two objects", "application/json", `{}{}`, http.StatusBadRequest, "malformed_json", ""},
		{"an array instead of an object", "application/json", `[{"email": "a@b.test"}]`, http.StatusBadRequest, "malformed_json", ""},
	}
	before := map[string]int{}
	tables := []string{"users", "workspaces", "memberships", "invitations", "api_tokens", "plans", "sessions"}
	for _, tbl := range tables {
		before[tbl] = scCount(t, ta, tbl, "")
	}
	for _, ep := range endpoints {
		for _, b := range bodies {
			t.Run(ep.name+"/"+b.name, func(t *testing.T) {
				body, field := b.body, b.field
				if field == "*" {
					body, field = ep.wrongType, ep.wrongField
				}
				c := scCase{
					method: ep.method, path: ep.path, who: ep.who,
					raw:    &testapp.Request{Method: ep.method, Path: ep.path, ContentType: b.contentType, Body: []byte(body)},
					status: b.status, code: b.code,
					check: scEdgeHeaders,
				}
				if field != "" {
					c.fields = []string{field}
				}
				c.run(t, ta)
			})
		}
	}
	// A charset parameter is fine.
	scCase{
		name: "JSON with charset", raw: &testapp.Request{Method: http.MethodPost, Path: "/api/v1/auth/login", ContentType: "application/json; charset=utf-8",
			Body: []byte(`{"email": "", "password": ""}`)},
		status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{"email", "password"},
	}.run(t, ta)
	// Nothing any refused request carried was stored.
	for _, tbl := range tables {
		if n := scCount(t, ta, tbl, ""); n != before[tbl] {
			t.Errorf("%s: %d rows, was %d", tbl, n, before[tbl])
		}
	}
}

// partOversizeBody sends bodies over http.body_limit. fasthttp refuses them before
// routing, and fiber's app.Test (behind testapp's clients) reports that as an error
// instead of returning the response, so this part serves the app on a real listener,
// which it shuts down when it ends: it must be the suite's last part.
func partOversizeBody(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Oversize")
	sess, cookie, err := ta.App.Accounts.StartSession(ta.Ctx(), admin.User.ID, "127.0.0.1", "oversize test")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ta.Server.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	before := map[string]int{}
	tables := []string{"users", "workspaces", "invitations", "api_tokens"}
	for _, tbl := range tables {
		before[tbl] = scCount(t, ta, tbl, "")
	}
	pad := strings.Repeat("x", 10*1024)
	for _, tc := range []struct {
		name, method, path string
		signedIn           bool
		body               string
	}{
		{"signup", http.MethodPost, "/api/v1/auth/signup", false,
			`{"email":"big@example.test","password":"` + testapp.Password + `","name":"Big","workspace_name":"` + pad + `"}`},
		{"login", http.MethodPost, "/api/v1/auth/login", false, `{"email":"big@example.test","password":"` + pad + `"}`},
		{"invite", http.MethodPost, admin.WSPath("/invitations"), true, `{"email":"big@example.test","role":"agent","x":"` + pad + `"}`},
		{"create token", http.MethodPost, admin.WSPath("/tokens"), true, `{"name":"` + pad + `","role":"viewer"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tc.signedIn {
				req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: cookie})
				req.Header.Set(api.CSRFHeader, sess.CSRFToken)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			r := &testapp.Response{T: t, Status: res.StatusCode, Header: res.Header, Body: body}
			if r.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413: %s", r.Status, body)
			}
			if e := scErr(t, r); e.Code != "body_too_large" {
				t.Fatalf("code %q", e.Code)
			}
			scEdgeHeaders(t, r)
		})
	}
	for _, tbl := range tables {
		if n := scCount(t, ta, tbl, ""); n != before[tbl] {
			t.Errorf("%s: %d rows, was %d", tbl, n, before[tbl])
		}
	}
	// Just under the limit the same request is read and answered normally.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/auth/login", strings.NewReader(`{"email":"","password":"`+strings.Repeat("x", scBodyLimit-100)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a body under the limit: status %d, want 422", res.StatusCode)
	}

	// The upload route alone takes more than body_limit: a file of several times it
	// is stored, one over the route's own limit is refused the same way, and the
	// same body sent to another route is cut off at body_limit.
	// post sends body as the signed-in admin; err is the client's when the server
	// refused the body before it was all sent (it answers 413 and closes).
	post := func(path string, body io.Reader, contentType string) (*testapp.Response, error) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, body)
		req.Header.Set("Content-Type", contentType)
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: cookie})
		req.Header.Set(api.CSRFHeader, sess.CSRFToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return &testapp.Response{T: t, Status: res.StatusCode, Header: res.Header, Body: b}, nil
	}
	// form is content as a form's file, and its content type.
	form := func(content []byte) ([]byte, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		fw, _ := w.CreateFormFile("file", "scan.pdf")
		_, _ = fw.Write(content)
		_ = w.Close()
		return buf.Bytes(), w.FormDataContentType()
	}
	upload := func(path string, content []byte) (*testapp.Response, error) {
		t.Helper()
		body, ct := form(content)
		return post(path, bytes.NewReader(body), ct)
	}
	files := func() int { return scCount(t, ta, "media_files", "") }
	pdf := append([]byte("%PDF-1.4 "), bytes.Repeat([]byte("x"), 10*scBodyLimit)...)
	if r, err := upload(admin.WSPath("/media"), pdf); err != nil || r.Status != http.StatusCreated {
		t.Fatalf("an upload of 10 × body_limit: %v %v, want 201", r, err)
	}
	stored := files()
	if r, err := upload(admin.WSPath("/tokens"), pdf); err == nil && (r.Status != http.StatusRequestEntityTooLarge || scErr(t, r).Code != "body_too_large") {
		t.Errorf("the upload's body sent to another route: %d %s, want 413 body_too_large (body_limit)", r.Status, r.Body)
	}
	// Over the route's own limit the server stops reading: the client sees the 413 or,
	// still writing, the connection closed.
	huge := append([]byte("%PDF-1.4 "), make([]byte, media.MaxBytes+64<<10)...)
	if r, err := upload(admin.WSPath("/media"), huge); err == nil && r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("an upload over the route's limit: %d %s, want it refused", r.Status, r.Body)
	}
	if n := files(); n != stored {
		t.Errorf("%d files after the refused uploads, want %d", n, stored)
	}
	if res, err := http.Get(base + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("after the refused upload the server answers %v %v", res, err)
	} else {
		res.Body.Close()
	}

	// A chunked body says no length up front: it is cut off at the limit as it is
	// read, on an upload as on any other route.
	chunked := func(path string, body []byte, contentType string) (*testapp.Response, error) {
		t.Helper()
		return post(path, io.MultiReader(bytes.NewReader(body)), contentType) // no length: chunked
	}
	if r, err := chunked(admin.WSPath("/tokens"), []byte(`{"name":"`+pad+`","role":"viewer"}`), "application/json"); err == nil &&
		(r.Status != http.StatusRequestEntityTooLarge || scErr(t, r).Code != "body_too_large") {
		t.Errorf("a chunked body over body_limit: %d %s, want 413 body_too_large", r.Status, r.Body)
	}
	hugeForm, ct := form(huge)
	if r, err := chunked(admin.WSPath("/media"), hugeForm, ct); err == nil && r.Status != http.StatusRequestEntityTooLarge &&
		r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a chunked upload over the route's limit: %d %s, want it refused", r.Status, r.Body)
	}
	if n := files(); n != stored {
		t.Errorf("%d files after the chunked uploads, want %d", n, stored)
	}

	// A slow upload holds nothing of its workspace while its body arrives: another
	// member's upload goes through meanwhile (the bounds' lock is taken once the file
	// is all there).
	slowBody, slowType := form(bytes.Repeat([]byte("s"), 16*scBodyLimit)) // past what the server reads ahead (8 KB)
	slowBody = bytes.Replace(slowBody, []byte("ssssssss"), []byte("%PDF-1.4"), 1)
	// startSlow sends an upload's head and half its body, and returns the rest to send.
	startSlow := func() (net.Conn, string) {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		head := "POST " + admin.WSPath("/media") + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + slowType +
			"\r\nCookie: " + api.SessionCookie + "=" + cookie + "\r\n" + api.CSRFHeader + ": " + sess.CSRFToken +
			"\r\nContent-Length: " + strconv.Itoa(len(slowBody)) + "\r\n\r\n"
		half := len(slowBody) / 2
		if _, err := io.WriteString(c, head+string(slowBody[:half])); err != nil {
			t.Fatal(err)
		}
		return c, string(slowBody[half:])
	}
	finishSlow := func(c net.Conn, rest string) {
		t.Helper()
		if _, err := io.WriteString(c, rest); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 201") {
			t.Errorf("the slow upload, once all there: %q %v, want 201", line, err)
		}
	}
	quick := func() (*testapp.Response, error) {
		t.Helper()
		body, ct := form([]byte("%PDF-1.4 quick"))
		return post(admin.WSPath("/media"), bytes.NewReader(body), ct)
	}
	slow, rest := startSlow()
	time.Sleep(100 * time.Millisecond) // the server is reading the slow body now
	if r, err := quick(); err != nil || r.Status != http.StatusCreated {
		t.Errorf("an upload while another one's body is still arriving: %v %v, want 201 at once", r, err)
	}
	finishSlow(slow, rest)

	// Uploads read at once are bounded (their files wait on disk until their forms
	// are read): one past the bound is told to come back, and taken once a place frees.
	slows := make([]net.Conn, scUploadsAtOnce)
	rests := make([]string, scUploadsAtOnce)
	// refused reports whether the server answered a slow upload at once: a quick
	// upload took the last place before it came.
	refused := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		defer func() { _ = c.SetReadDeadline(time.Time{}) }()
		line, _ := bufio.NewReader(c).ReadString('\n')
		return line != ""
	}
	busy := false
	for try := 0; try < 50 && !busy; try++ {
		for i := range slows {
			if slows[i] == nil || refused(slows[i]) {
				slows[i], rests[i] = startSlow()
			}
		}
		time.Sleep(50 * time.Millisecond)
		r, err := quick()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.Status == http.StatusTooManyRequests:
			busy = true
			if scErr(t, r).Code != "uploads_busy" || r.Header.Get("Retry-After") == "" {
				t.Errorf("an upload past %d at once: %d %s, want uploads_busy with Retry-After", scUploadsAtOnce, r.Status, r.Body)
			}
		case r.Status != http.StatusCreated: // 201: not every slow one was in yet
			t.Fatalf("a quick upload: %d %s", r.Status, r.Body)
		}
	}
	if !busy {
		t.Errorf("%d uploads at once and one more: never refused, want 429 uploads_busy", scUploadsAtOnce)
	}
	finishSlow(slows[0], rests[0])
	if r, err := quick(); err != nil || r.Status != http.StatusCreated {
		t.Errorf("an upload once a place freed: %v %v, want 201", r, err)
	}
	for _, c := range slows[1:] {
		c.Close() // abandoned halfway: their places free as the server sees them go
	}

	// An upload refused before its body is read (no credentials) leaves the rest of
	// the body unread; the server then closes the connection, or it would read that
	// rest as the next request: here a request smuggled into the file.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	smuggled := "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	body := "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n" + smuggled
	_, err = io.WriteString(conn, "POST "+admin.WSPath("/media")+" HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	answers, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading the answers: %v (the connection was left open)", err)
	}
	if got := strings.Count(string(answers), "HTTP/1.1 "); got != 1 || !strings.HasPrefix(string(answers), "HTTP/1.1 401") {
		t.Errorf("%d answers to an unauthenticated upload carrying a request, want one 401:\n%s", got, answers)
	}

	// A client that asks before sending its body (Expect: 100-continue) is told not to
	// send one the route would not read: an upload without credentials, a body past
	// the route's limit. One with credentials is asked for its body, and then the
	// guards judge them (these ones are no one's).
	ask := func(path, extra string, length int) string {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, "POST "+path+" HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nExpect: 100-continue\r\n"+
			extra+"Content-Length: "+strconv.Itoa(length)+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("no answer before the body: %v", err)
		}
		return strings.TrimSpace(line)
	}
	if got := ask(admin.WSPath("/media"), "", 1000); got != "HTTP/1.1 417 Expectation Failed" {
		t.Errorf("an upload without credentials asking to send its body: %q, want 417", got)
	}
	// Refused, the connection closes: a request sent on after it is not answered as
	// if handled (fasthttp answers the next ones on it empty).
	c417, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c417.Close()
	_, err = io.WriteString(c417, "POST "+admin.WSPath("/media")+" HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n"+
		"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	_ = c417.SetReadDeadline(time.Now().Add(10 * time.Second))
	if answers, err := io.ReadAll(c417); err != nil || strings.Count(string(answers), "HTTP/1.1 ") != 1 || !strings.HasPrefix(string(answers), "HTTP/1.1 417") {
		t.Errorf("after a 417, a request on the same connection: %v\n%s\nwant the 417 alone and the connection closed", err, answers)
	}
	// The path is read from an absolute request URI as from a plain one.
	if got := ask("http://x"+admin.WSPath("/media"), "Authorization: Bearer sb_none\r\n", 2<<20); got != "HTTP/1.1 100 Continue" {
		t.Errorf("an upload with an absolute URI past body_limit: %q, want 100 Continue (the upload route's limit)", got)
	}
	if got := ask(admin.WSPath("/contacts"), "Authorization: Bearer sb_none\r\n", 10<<20); got != "HTTP/1.1 417 Expectation Failed" {
		t.Errorf("a body past body_limit asking to be sent: %q, want 417", got)
	}
	if got := ask(admin.WSPath("/media"), "Authorization: Bearer sb_none\r\n", 1000); got != "HTTP/1.1 100 Continue" {
		t.Errorf("an upload with credentials asking to send its body: %q, want 100 Continue", got)
	}
}

func partBadQuery(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Bad Query")
	op := scOperator(t, ta)
	lists := []struct {
		path string
		who  *testapp.Client
	}{
		{admin.WSPath("/members"), admin},
		{admin.WSPath("/invitations"), admin},
		{admin.WSPath("/tokens"), admin},
		{"/api/v1/operator/workspaces", op},
	}
	var cases []scCase
	for _, l := range lists {
		for _, q := range []struct{ query, field string }{
			{"limit=0", "limit"}, {"limit=-1", "limit"}, {"limit=201", "limit"}, {"limit=ten", "limit"}, {"limit=1.5", "limit"},
			{"cursor=%21%21%21", "cursor"}, {"cursor=" + strings.Repeat("A", 100), "cursor"}, {"limit=5&cursor=not%20base64", "cursor"},
		} {
			cases = append(cases, scCase{
				name: l.path + "?" + q.query, method: http.MethodGet, path: l.path + "?" + q.query, who: l.who,
				status: http.StatusUnprocessableEntity, code: "validation_failed", fields: []string{q.field}, check: scEdgeHeaders,
			})
		}
		cases = append(cases,
			scCase{name: l.path + " at the limit", method: http.MethodGet, path: l.path + "?limit=200", who: l.who, status: http.StatusOK, contains: []string{`"items":[`}},
			scCase{name: l.path + " with an empty page", method: http.MethodGet, path: l.path + "?limit=1&cursor=MA", who: l.who, status: http.StatusOK, contains: []string{`"next_cursor":""`}},
		)
	}
	scRunAll(t, ta, cases)
}

func partEdgeResponses(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("Edge")
	scRunAll(t, ta, []scCase{
		{name: "unknown route", method: http.MethodGet, path: "/api/v1/nothing-here", status: http.StatusNotFound, code: "not_found", check: scEdgeHeaders},
		{name: "unknown route, signed in", method: http.MethodPost, path: "/api/v1/nothing-here", who: admin, body: map[string]string{}, status: http.StatusNotFound, code: "not_found", check: scEdgeHeaders},
		{name: "unknown route under a workspace", method: http.MethodGet, path: admin.WSPath("/nothing-here"), who: admin, status: http.StatusNotFound, code: "not_found", check: scEdgeHeaders},
		{name: "unknown static-looking path", method: http.MethodGet, path: "/../../etc/passwd", status: http.StatusNotFound, code: "not_found", check: scEdgeHeaders},
		{name: "a known path with another method", method: http.MethodPut, path: "/api/v1/me", who: admin, body: map[string]string{}, status: http.StatusMethodNotAllowed, code: "method_not_allowed", check: scEdgeHeaders},
		{name: "a success", method: http.MethodGet, path: admin.WSPath(""), who: admin, status: http.StatusOK, check: scEdgeHeaders},
		{name: "a 204", method: http.MethodPost, path: "/api/v1/auth/logout", who: ta.SessionFor(admin.User), status: http.StatusNoContent, check: scEdgeHeaders},
		{name: "a 401", method: http.MethodGet, path: "/api/v1/me", status: http.StatusUnauthorized, code: "unauthenticated", check: scEdgeHeaders},
		{name: "a 403", method: http.MethodGet, path: "/api/v1/operator/plans", who: admin, status: http.StatusForbidden, code: "forbidden", check: scEdgeHeaders},
		{
			name: "a valid incoming request id is echoed", method: http.MethodGet, path: "/healthz",
			header: map[string]string{api.RequestIDHeader: "trace-0123456789.abc_DEF"}, status: http.StatusOK,
			check: func(t *testing.T, r *testapp.Response) {
				if got := r.Header.Get(api.RequestIDHeader); got != "trace-0123456789.abc_DEF" {
					t.Fatalf("X-Request-ID %q", got)
				}
			},
		},
		{
			name: "an unsafe incoming request id is replaced", method: http.MethodGet, path: "/api/v1/nothing-here",
			header: map[string]string{api.RequestIDHeader: "bad id\"<script>"}, status: http.StatusNotFound, code: "not_found",
			check: func(t *testing.T, r *testapp.Response) {
				if got := r.Header.Get(api.RequestIDHeader); got == "" || strings.ContainsAny(got, " \"<") {
					t.Fatalf("X-Request-ID %q", got)
				}
				scEdgeHeaders(t, r)
			},
		},
		{
			name: "a too short request id is replaced", method: http.MethodGet, path: "/healthz",
			header: map[string]string{api.RequestIDHeader: "abc"}, status: http.StatusOK,
			check: func(t *testing.T, r *testapp.Response) {
				if got := r.Header.Get(api.RequestIDHeader); got == "abc" || len(got) < 8 {
					t.Fatalf("X-Request-ID %q", got)
				}
			},
		},
	})
	// Two requests without an id get different ones.
	a := ta.Anonymous().Do(http.MethodGet, "/healthz", nil).Header.Get(api.RequestIDHeader)
	b := ta.Anonymous().Do(http.MethodGet, "/healthz", nil).Header.Get(api.RequestIDHeader)
	if a == "" || a == b {
		t.Fatalf("request ids %q and %q", a, b)
	}
}

func partSystemRoutes(t *testing.T, ta *testapp.TestApp) {
	admin := ta.NewWorkspace("System")
	wantQueue := "embedded"
	if os.Getenv(testapp.EnvRedis) != "" {
		wantQueue = "redis"
	}
	// Traffic for the metrics to count.
	scStatus(t, admin.Do(http.MethodGet, admin.WSPath("/members"), nil), http.StatusOK)
	scStatus(t, ta.Anonymous().Do(http.MethodGet, admin.WSPath("/members"), nil), http.StatusUnauthorized)
	scStatus(t, ta.Anonymous().Do(http.MethodGet, "/no/such/"+admin.Workspace.Slug, nil), http.StatusNotFound)

	scRunAll(t, ta, []scCase{
		{name: "healthz", method: http.MethodGet, path: "/healthz", status: http.StatusOK, contains: []string{`"status":"ok"`}, check: scEdgeHeaders},
		{
			name: "readyz", method: http.MethodGet, path: "/readyz", status: http.StatusOK, check: func(t *testing.T, r *testapp.Response) {
				var rd api.Readiness
				scDecode(t, r, &rd)
				if rd.Status != "ready" || rd.Database != string(ta.Engine) || rd.Queue != wantQueue || len(rd.Errors) != 0 {
					t.Fatalf("readyz %s, want database %s and queue %s", r.Body, ta.Engine, wantQueue)
				}
			},
		},
		{
			name: "metrics", method: http.MethodGet, path: "/metrics", status: http.StatusOK,
			contains: []string{
				"# TYPE switchboard_http_requests_total counter",
				`switchboard_http_requests_total{method="GET",route="/api/v1/workspaces/:workspace/members",status="200"} `,
				`switchboard_http_requests_total{method="GET",route="/api/v1/workspaces/:workspace/members",status="401"} `,
				`route="unmatched"`,
				"switchboard_http_request_duration_seconds_bucket",
			},
			notContains: []string{admin.Workspace.Slug, admin.Workspace.ID, "/no/such"},
		},
		{
			name: "openapi", method: http.MethodGet, path: "/api/openapi.json", status: http.StatusOK, check: func(t *testing.T, r *testapp.Response) {
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Fatalf("Content-Type %q", ct)
				}
				if !json.Valid(r.Body) {
					t.Fatalf("not valid JSON")
				}
				var doc struct {
					OpenAPI string                               `json:"openapi"`
					Paths   map[string]map[string]map[string]any `json:"paths"`
				}
				dec := json.NewDecoder(bytes.NewReader(r.Body))
				if err := dec.Decode(&doc); err != nil {
					t.Fatalf("decode: %v", err)
				}
				if !strings.HasPrefix(doc.OpenAPI, "3.") {
					t.Fatalf("openapi %q", doc.OpenAPI)
				}
				members := doc.Paths["/api/v1/workspaces/{workspace}/members"]
				if members == nil || members["get"] == nil {
					t.Fatalf("no GET /api/v1/workspaces/{workspace}/members in %d paths", len(doc.Paths))
				}
				if p := members["get"]["x-permission"]; p != "members:read" {
					t.Fatalf("x-permission %v", p)
				}
				if p := members["patch"]; p != nil {
					t.Fatalf("members has a PATCH without a member id")
				}
				for path := range doc.Paths {
					if strings.Contains(path, "/:") {
						t.Errorf("path %s uses fiber syntax", path)
					}
				}
				if doc.Paths["/api/v1/workspaces/{workspace}/members/{member}"]["patch"]["x-permission"] != "members:manage" {
					t.Errorf("PATCH member x-permission %v", doc.Paths["/api/v1/workspaces/{workspace}/members/{member}"]["patch"]["x-permission"])
				}
			},
		},
	})
}
