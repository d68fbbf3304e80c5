package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"golang.org/x/sync/errgroup"

	"github.com/switchboardhq/switchboard/platform/app"
	"github.com/switchboardhq/switchboard/platform/buildinfo"
	"github.com/switchboardhq/switchboard/platform/demo"
	"github.com/switchboardhq/switchboard/platform/storage"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, _, err := load(fs, args)
	if err != nil {
		return err
	}
	// README and the demo banner promise SWITCHBOARD_DEMO_PASSWORD; the setting's own
	// SWITCHBOARD_AUTH__DEMO_PASSWORD and --auth-demo-password win over it.
	if cfg.Auth.DemoPassword == "" {
		cfg.Auth.DemoPassword = os.Getenv("SWITCHBOARD_DEMO_PASSWORD")
	}
	log := newLogger(cfg, stderr)
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	log.Info("switchboard starting", "version", buildinfo.Version, "database", storage.Kind(a.DB), "queue", a.Queue.Kind, "settings", cfg.Redacted())

	var seeded demo.Result
	if cfg.Demo {
		if seeded, err = demo.Seed(ctx, a.DB, a.Accounts, cfg.Auth.DemoPassword); err != nil {
			return err
		}
	}

	if err := a.StartPlugins(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if cfg.Demo {
		// The simulator's webhooks go straight to this listener (they wait in its
		// backlog until the server below serves it), not through the public URL,
		// which may not be reachable from this machine.
		sim, err := demo.StartSimulator(ctx, a, localURL(ln.Addr()))
		switch {
		case errors.Is(err, demo.ErrNoWhatsAppPlugin):
			log.Warn("demo: no simulated WhatsApp customer: the whatsapp channel plugin is not installed; run `make plugins` and restart", "plugins_dir", cfg.PluginsDir)
		case err != nil:
			log.Warn("demo: the simulated WhatsApp customer could not start; the demo runs without it", "error", err)
		default:
			defer sim.Close()
			log.Info("demo: simulated WhatsApp Cloud API running", "api", sim.Fake.URL(), "webhook", sim.WebhookURL)
		}
		printDemo(stdout, cfg.BaseURL(), seeded, sim)
	}
	server := a.HTTP()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return server.Serve(ctx, ln) })
	if !cfg.NoWorker {
		w, err := a.Worker(cfg.Worker.Concurrency)
		if err != nil {
			return err
		}
		g.Go(func() error { return w.Run(ctx) })
	}
	log.Info("listening", "addr", ln.Addr().String(), "url", cfg.BaseURL(), "worker", !cfg.NoWorker)
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("switchboard stopped")
	return nil
}

func printDemo(w io.Writer, url string, res demo.Result, sim *demo.Simulator) {
	fmt.Fprintf(w, "\n  Switchboard demo is running at %s\n", url)
	fmt.Fprintf(w, "  Workspace: %s (%s)\n", res.Workspace.Name, res.Workspace.Slug)
	for _, u := range demo.Users {
		fmt.Fprintf(w, "    %-9s %s\n", u.Role, u.Email)
	}
	if sim != nil {
		fmt.Fprintf(w, "  WhatsApp: a simulated customer is connected (%s, %s): message %d demo\n", demo.ConnectionName, demo.ConnectionAddress, len(demo.Contacts))
		fmt.Fprintf(w, "  contacts in Chat and watch the ticks move; they answer questions and every 2nd message.\n")
		fmt.Fprintf(w, "  Team Inbox: %s's ticket waits for someone to accept it.\n", demo.WalkIn.Name)
	} else {
		fmt.Fprintf(w, "  WhatsApp: no simulated customer (run `make plugins` and restart for one).\n")
	}
	if res.Password != "" {
		fmt.Fprintf(w, "  Password for every demo user: %s\n", res.Password)
		fmt.Fprintf(w, "  (shown once; set SWITCHBOARD_DEMO_PASSWORD to choose it)\n\n")
	} else {
		fmt.Fprintf(w, "  The demo users keep the password printed when they were created\n")
		fmt.Fprintf(w, "  (set SWITCHBOARD_DEMO_PASSWORD to reset it).\n\n")
	}
}

func worker(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	cfg, _, err := load(fs, args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.Queue.Kind == "embedded" {
		log.Warn("a separate worker needs a shared Redis (--redis-url); with the embedded backend it only sees its own tasks")
	}
	if err := a.StartPlugins(ctx); err != nil {
		return err
	}
	w, err := a.Worker(cfg.Worker.Concurrency)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	if cfg.Worker.Addr != "" {
		ln, err := net.Listen("tcp", cfg.Worker.Addr)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		log.Info("worker probes listening", "addr", ln.Addr().String(), "paths", "/healthz /readyz /metrics")
		g.Go(func() error { return a.Probes().Serve(ctx, ln) })
	}
	g.Go(func() error { return w.Run(ctx) })
	log.Info("worker running", "concurrency", cfg.Worker.Concurrency, "queue", a.Queue.Kind)
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("worker stopped")
	return nil
}

func migrate(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg, _, err := load(fs, args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, err := storage.Open(ctx, app.DatabaseURL(cfg))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := storage.Migrate(ctx, db, log); err != nil {
		return err
	}
	log.Info("migrations applied", "database", storage.Kind(db))
	return nil
}

// localURL is an http URL this machine reaches addr at: an unspecified host (0.0.0.0,
// ::) becomes loopback.
func localURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		if ip != nil && ip.To4() == nil {
			host = "::1"
		} else {
			host = "127.0.0.1"
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}
