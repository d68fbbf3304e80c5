package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/web"
)

// probeArea is health, readiness and metrics: every process serves them, the worker
// included (NewProbes).
type probeArea struct{ s *Server }

// systemArea is the API document and the browser app.
type systemArea struct{ s *Server }

// Readiness is what /readyz reports.
type Readiness struct {
	Status   string            `json:"status" enum:"ready,unavailable"`
	Database string            `json:"database" doc:"postgres or sqlite"`
	Queue    string            `json:"queue" doc:"redis, or embedded (in-process, single instance only)"`
	Version  string            `json:"version"`
	Errors   map[string]string `json:"errors,omitempty"`
}

func (a probeArea) Register(r *Router) {
	r.Add(Route{Method: http.MethodGet, Path: "/healthz", Summary: "Liveness: the process is up", Tag: "system", Response: map[string]string{}}, a.healthz)
	r.Add(Route{Method: http.MethodGet, Path: "/readyz", Summary: "Readiness: database and queue backend answer", Tag: "system", Response: Readiness{}}, a.readyz)
	// A collector that cannot read its source (the queues' depth while Redis is down)
	// leaves out its own series, logged, and the scrape goes on: the process's other
	// metrics matter most when something is wrong.
	r.Add(Route{Method: http.MethodGet, Path: "/metrics", Summary: "Prometheus metrics", Tag: "system", Raw: true},
		adaptor.HTTPHandler(promhttp.HandlerFor(a.s.metrics, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, ErrorLog: scrapeLog{a.s.log}})))
}

// scrapeLog writes the metrics handler's errors to the server's log.
type scrapeLog struct{ log *slog.Logger }

func (l scrapeLog) Println(v ...any) { l.log.Warn("metrics: " + fmt.Sprint(v...)) }

func (a systemArea) Register(r *Router) {
	r.Add(Route{Method: http.MethodGet, Path: "/api/openapi.json", Summary: "This API's OpenAPI 3 document", Tag: "system", Raw: true}, a.openapi)
	r.Add(Route{Method: http.MethodGet, Path: "/", Summary: "The browser app", Tag: "system", Raw: true}, a.app)
	// The app's other pages and its static files. They are not API routes, so they
	// stay out of the route table (and the OpenAPI document); web.Lookup answers only
	// the app's own URLs and its build's files and passes every other request on, so
	// /api, /hooks, the probes and unknown paths reach the routes and the JSON 404 as
	// before, wherever those are registered.
	r.app.Use(func(c *fiber.Ctx) error {
		if c.Method() != http.MethodGet && c.Method() != http.MethodHead {
			return c.Next()
		}
		return a.app(c)
	})
}

// app answers an app URL or a file of the app's build, and passes anything else on.
func (a systemArea) app(c *fiber.Ctx) error {
	asset, ok := web.Lookup(c.Path())
	if !ok {
		return c.Next()
	}
	c.Set(fiber.HeaderContentType, asset.ContentType)
	c.Set(fiber.HeaderCacheControl, asset.CacheControl)
	return c.Send(asset.Body)
}

func (a probeArea) healthz(c *fiber.Ctx) error {
	return c.JSON(map[string]string{"status": "ok"})
}

func (a probeArea) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	out := Readiness{Status: "ready", Database: storage.Kind(a.s.db), Queue: a.s.queue.Kind, Version: a.s.version}
	errs := map[string]string{}
	if err := a.s.db.PingContext(ctx); err != nil {
		errs["database"] = err.Error()
	}
	if err := a.s.queue.Ping(ctx); err != nil {
		errs["queue"] = err.Error()
	}
	if len(errs) > 0 {
		out.Status, out.Errors = "unavailable", errs
		return c.Status(http.StatusServiceUnavailable).JSON(out)
	}
	return c.JSON(out)
}

func (a systemArea) openapi(c *fiber.Ctx) error {
	doc, err := OpenAPI(a.s.router.Routes(), a.s.version).JSON()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(doc)
}
