package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"
	"github.com/valyala/fasthttp"

	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/queue"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/policies"
)

// Deps are what the HTTP edge is built from.
type Deps struct {
	Config   config.Config
	DB       *bun.DB
	Queue    *queue.Backend
	Accounts *auth.Accounts
	Enforcer *policies.Enforcer
	Metrics  *prometheus.Registry
	Log      *slog.Logger
	Version  string

	Connections *connections.Service
	// Events receives webhook events (until the message pipeline takes them over, they
	// are stored).
	Events connections.EventSink
	// Plugins is the plugin host, for the operator's plugin routes.
	Plugins PluginAdmin
	// Ledger and Payments are the wallets and Stripe top-ups (built from DB and
	// Config when nil).
	Ledger   *billing.Ledger
	Payments *billing.Payments
	// Pipeline posts messages and moves them (conversation routes).
	Pipeline *pipeline.Pipeline
	// Realtime delivers workspace events to WebSocket clients (nil: the realtime
	// route answers 503).
	Realtime *realtime.Hub
	// MediaLinks checks the signed links providers fetch uploaded files by.
	MediaLinks media.Links
}

// Server is the HTTP edge of one switchboard process.
type Server struct {
	cfg      config.Config
	db       *bun.DB
	queue    *queue.Backend
	accounts *auth.Accounts
	enforcer *policies.Enforcer
	metrics  *prometheus.Registry
	log      *slog.Logger
	version  string

	connections *connections.Service
	events      connections.EventSink
	plugins     PluginAdmin
	ledger      *billing.Ledger
	payments    *billing.Payments
	pipeline    *pipeline.Pipeline
	realtime    *realtime.Hub
	mediaLinks  media.Links
	// uploads holds a place for each upload being read (see mediaArea.upload).
	uploads chan struct{}

	app    *fiber.App
	router *Router
}

// Area is one part of the API; it lists its routes in Register, like a table.
type Area interface {
	Register(r *Router)
}

// New builds the server with the platform's own routes and the extra areas.
func New(d Deps, areas ...func(*Server) Area) *Server {
	s := newServer(d)
	// walletArea comes before connectionArea: fiber matches routes in registration
	// order, and POST /hooks/stripe must not be taken for /hooks/:connection.
	for _, a := range []Area{probeArea{s}, systemArea{s}, authArea{s}, workspaceArea{s}, memberArea{s}, tokenArea{s}, operatorArea{s}, walletArea{s}, connectionArea{s}, conversationArea{s}, mediaArea{s}, hoursArea{s}, contactArea{s}, cannedArea{s}, assignmentArea{s}, teamArea{s}, accessArea{s}, realtimeArea{s}} {
		a.Register(s.router)
	}
	for _, mk := range areas {
		mk(s).Register(s.router)
	}
	return s
}

// NewProbes builds the listener of a separate worker process: /healthz, /readyz and
// /metrics only (Deps needs Config, DB, Queue, Metrics, Log and Version).
func NewProbes(d Deps) *Server {
	s := newServer(d)
	probeArea{s}.Register(s.router)
	return s
}

func newServer(d Deps) *Server {
	s := &Server{cfg: d.Config, db: d.DB, queue: d.Queue, accounts: d.Accounts, enforcer: d.Enforcer, metrics: d.Metrics, log: d.Log, version: d.Version,
		connections: d.Connections, events: d.Events, plugins: d.Plugins, ledger: d.Ledger, payments: d.Payments, pipeline: d.Pipeline,
		realtime: d.Realtime, mediaLinks: d.MediaLinks, uploads: make(chan struct{}, d.Config.HTTP.UploadsAtOnce)}
	if s.ledger == nil {
		s.ledger = billing.NewLedger(d.DB)
	}
	if s.payments == nil {
		s.payments = billing.NewPayments(d.DB, s.ledger, d.Config.Billing, d.Log)
	}
	errs := errorHandler(d.Log, strings.HasPrefix(d.Config.BaseURL(), "https://"))
	s.app = fiber.New(fiber.Config{
		AppName:               "switchboard",
		BodyLimit:             d.Config.HTTP.BodyLimit,
		ReadTimeout:           d.Config.HTTP.ReadTimeout,
		IdleTimeout:           2 * time.Minute,
		ErrorHandler:          errs,
		DisableStartupMessage: true,
		// Bodies are decoded into fresh structs; immutable strings stop fasthttp from
		// reusing a buffer that a stored string still points into.
		Immutable: true,
		// Bodies are read by readBodies, after routing: whole up to body_limit, or as
		// a stream by the routes that take more (uploads), never by fasthttp first.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
	})
	s.app.Server().ContinueHandler = s.mayContinue
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true}))
	s.app.Use(withRequestID)
	s.app.Use(observe(d.Log, newHTTPMetrics(d.Metrics), errs))
	s.app.Use(securityHeaders(strings.HasPrefix(d.Config.BaseURL(), "https://")))
	s.app.Use(readBodies(s.bodyLimit))

	s.router = NewRouter(s.app, Guards{
		Authenticate: authenticate(d.Accounts),
		Operator:     requireOperator,
		Workspace:    resolveWorkspace(s),
		Permit:       permit(d.Enforcer),
	})
	return s
}

// bodyLimit is how large a body the route of method and path takes: its own limit for
// a route that reads its body as a stream (an upload), else body_limit.
func (s *Server) bodyLimit(method, path string) (limit int, streamed bool) {
	if limit := s.router.BodyLimit(method, path); limit > 0 {
		return limit, true
	}
	return s.cfg.HTTP.BodyLimit, false
}

// mayContinue answers a client that asks before it sends its body (Expect:
// 100-continue): the body is asked for only when the route would read it. One larger
// than the route takes, or an upload from a caller who brings no credentials at all,
// is answered 417 and never sent. The guards that need the database run on the
// request as on any other.
//
// A refusal closes the connection after the 417: fasthttp stops handling requests on a
// connection once it refused one (it would answer the next ones empty), and a client
// retrying without the header opens a new one.
func (s *Server) mayContinue(h *fasthttp.RequestHeader) bool {
	var u fasthttp.URI
	if err := u.Parse(h.Host(), h.RequestURI()); err != nil {
		h.SetConnectionClose()
		return false
	}
	limit, upload := s.bodyLimit(string(h.Method()), string(u.Path()))
	if h.ContentLength() > limit || upload && len(h.Peek(fiber.HeaderAuthorization)) == 0 && len(h.Cookie(SessionCookie)) == 0 {
		h.SetConnectionClose()
		return false
	}
	return true
}

// App is the fiber app (tests drive it with App().Test).
func (s *Server) App() *fiber.App { return s.app }

// Router is the route table.
func (s *Server) Router() *Router { return s.router }

// DB is the server's database handle, for areas registered from other packages.
func (s *Server) DB() *bun.DB { return s.db }

// Serve listens on addr until ctx is cancelled, then stops accepting connections and
// lets requests in flight finish within the shutdown timeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("http server draining", "timeout", s.cfg.HTTP.ShutdownTimeout)
	if err := s.app.ShutdownWithTimeout(s.cfg.HTTP.ShutdownTimeout); err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
