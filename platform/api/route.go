// Package api is Switchboard's HTTP edge: the route table, the middleware that
// authenticates, resolves the workspace and enforces each route's permission, JSON
// decoding and errors, and the OpenAPI document generated from the route table.
package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/policies"
)

// Access says who may call a route before its permission is checked.
type Access int

const (
	// Public routes need no sign-in (signup, login, webhooks, health).
	Public Access = iota
	// Authenticated routes need a signed-in user but no workspace (me, workspace list).
	Authenticated
	// InWorkspace routes live under /api/v1/workspaces/:workspace and need a membership
	// (or a token of that workspace) holding the route's permission.
	InWorkspace
	// Operator routes are for platform operators only.
	Operator
)

func (a Access) String() string {
	return [...]string{"public", "authenticated", "workspace", "operator"}[a]
}

// WorkspacePrefix starts every workspace route; :workspace is a slug or an id.
const WorkspacePrefix = "/api/v1/workspaces/:workspace"

// Route is one entry of the route table: what it does, who may call it and what it
// takes and returns. The OpenAPI document and the role and cross-tenant test matrices
// are built from these entries, so a new route is documented and tested by being
// registered.
type Route struct {
	Method     string
	Path       string // full fiber path, e.g. /api/v1/workspaces/:workspace/members/:member
	Access     Access
	Permission policies.Permission // required for InWorkspace routes
	Summary    string
	Tag        string
	Request    any // zero value of the JSON body type, nil when there is none
	Response   any // zero value of the JSON response type, nil for 204
	Status     int // success status; 200 when zero
	Query      any // zero value of a struct whose `query` tags name the query parameters
	// Form is the zero value of a multipart/form-data body's type (an upload): its
	// fields' json tags name the form's fields, and `format:"binary"` marks a file.
	Form any
	// Raw marks routes whose body is not JSON (webhooks): they skip JSON decoding
	// checks in the documentation.
	Raw bool
	// BodyLimit is the largest body the route takes, in bytes, when it takes more
	// than the server's body_limit (an upload). Such a route reads its body itself,
	// as a stream (requestBody), after its guards; every other body is read whole
	// before the handler and cut off at body_limit (see readBodies).
	BodyLimit int
}

// Params lists the route's path parameters in order, without the colon.
func (r Route) Params() []string {
	var out []string
	for _, seg := range strings.Split(r.Path, "/") {
		if strings.HasPrefix(seg, ":") {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(seg, ":"), "?"))
		}
	}
	return out
}

// Router registers routes on a fiber app with the middleware their Access needs, and
// remembers them for the documentation and the tests.
type Router struct {
	app    fiber.Router
	guards Guards
	routes []Route
	large  []largeBody // the routes that take more than body_limit
}

// largeBody is a route whose body may be larger than body_limit.
type largeBody struct {
	method string
	path   *regexp.Regexp
	limit  int
}

// pathPattern matches the paths of a route's path, each :param one segment.
func pathPattern(path string) *regexp.Regexp {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, ":") {
			segs[i] = "[^/]+"
		} else {
			segs[i] = regexp.QuoteMeta(seg)
		}
	}
	return regexp.MustCompile("^" + strings.Join(segs, "/") + "$")
}

// BodyLimit is the largest body the route of a request takes, from its method and
// path alone (readBodies asks before it reads the body); 0 for body_limit.
func (r *Router) BodyLimit(method, path string) int {
	for _, l := range r.large {
		if l.method == method && l.path.MatchString(path) {
			return l.limit
		}
	}
	return 0
}

// Guards are the middleware a route gets according to its Access.
type Guards struct {
	Authenticate fiber.Handler // requires a user or token; sets the principal
	Operator     fiber.Handler // requires an operator
	Workspace    fiber.Handler // resolves :workspace and the membership
	Permit       func(policies.Permission) fiber.Handler
}

// NewRouter returns a router adding routes to app.
func NewRouter(app fiber.Router, g Guards) *Router { return &Router{app: app, guards: g} }

// Routes returns every route registered so far.
func (r *Router) Routes() []Route { return append([]Route(nil), r.routes...) }

// Add registers a route. It panics on a table mistake (a workspace route without a
// permission, a path outside its prefix) so such a mistake fails at start-up and in
// every test, never at request time.
func (r *Router) Add(rt Route, h fiber.Handler) {
	if rt.Status == 0 {
		rt.Status = http.StatusOK
	}
	chain := []fiber.Handler{}
	if rt.BodyLimit > 0 {
		r.large = append(r.large, largeBody{method: rt.Method, path: pathPattern(rt.Path), limit: rt.BodyLimit})
	}
	switch rt.Access {
	case Public:
	case Authenticated:
		chain = append(chain, r.guards.Authenticate)
	case Operator:
		chain = append(chain, r.guards.Authenticate, r.guards.Operator)
	case InWorkspace:
		if !strings.HasPrefix(rt.Path, WorkspacePrefix) {
			panic(fmt.Sprintf("api: workspace route %s %s must start with %s", rt.Method, rt.Path, WorkspacePrefix))
		}
		if !rt.Permission.Known() {
			panic(fmt.Sprintf("api: workspace route %s %s declares unknown permission %q", rt.Method, rt.Path, rt.Permission))
		}
		chain = append(chain, r.guards.Authenticate, r.guards.Workspace, r.guards.Permit(rt.Permission))
	}
	if rt.Access != InWorkspace && rt.Permission != "" {
		panic(fmt.Sprintf("api: %s %s: only workspace routes take a permission", rt.Method, rt.Path))
	}
	chain = append(chain, h)
	r.app.Add(rt.Method, rt.Path, chain...)
	r.routes = append(r.routes, rt)
}
