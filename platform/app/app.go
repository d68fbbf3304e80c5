// Package app assembles one switchboard process from its configuration: database,
// queue backend, credential box, policies, accounts, the HTTP server and the worker.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/buildinfo"
	"github.com/switchboardhq/switchboard/platform/channels"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/queue"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/platform/secretbox"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// App is everything a switchboard process shares between its HTTP server and worker.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *bun.DB
	Queue    *queue.Backend
	Box      *secretbox.Box
	Enforcer *policies.Enforcer
	Accounts *auth.Accounts
	Metrics  *prometheus.Registry

	// Host runs the channel plugin binaries of the plugins dir.
	Host *channels.Host
	// Plugins is the channel plugin registry connections use: the host, or another
	// registry in tests.
	Plugins     connections.Plugins
	Connections *connections.Service
	// MediaLinks are the signed links providers fetch uploaded files by.
	MediaLinks media.Links

	// Pipeline sends and receives messages.
	Pipeline *pipeline.Pipeline

	// Realtime publishes workspace events on Redis and serves them to WebSockets.
	Realtime *realtime.Hub

	// Ledger moves wallet credits; Payments sells top-ups through Stripe.
	Ledger   *billing.Ledger
	Payments *billing.Payments

	// queueMetrics reports the queues' depth from a process that runs a worker.
	queueMetrics *jobs.QueueMetrics
	// tasks enqueues billing's tasks (auto-recharge payments).
	tasks *asynq.Client
}

// DatabaseURL is the configured database, or SQLite in the data dir.
func DatabaseURL(cfg config.Config) string {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL
	}
	return filepath.Join(cfg.DataDir, "switchboard.db")
}

// Open connects everything. Migrations run first when MigrateOnStart is set.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	a := &App{Config: cfg, Log: log}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	var err error
	if a.DB, err = storage.Open(ctx, DatabaseURL(cfg)); err != nil {
		return nil, err
	}
	if cfg.MigrateOnStart {
		if err := storage.Migrate(ctx, a.DB, log); err != nil {
			return nil, err
		}
	}
	if err := tenants.EnsureDefaultPlans(ctx, a.DB); err != nil {
		if strings.Contains(err.Error(), "plans") {
			return nil, fmt.Errorf("%w (is the database migrated? run `switchboard migrate`)", err)
		}
		return nil, err
	}
	if a.Queue, err = queue.Open(ctx, cfg.RedisURL); err != nil {
		return nil, err
	}
	a.Realtime = realtime.NewHub(a.Queue.Redis, log)
	if cfg.RedisURL == "" {
		log.Warn("using the embedded queue backend: fine for one process, not for production (set --redis-url)")
	}
	key, generated, err := secretbox.LoadOrCreateKey(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if generated {
		log.Warn("generated a credential encryption key; back it up or set --secret-key", "file", filepath.Join(cfg.DataDir, secretbox.KeyFile))
	}
	var retired [][]byte
	for _, raw := range strings.Split(cfg.RetiredSecretKeys, ",") {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		k, err := secretbox.ParseKey(raw)
		if err != nil {
			return nil, fmt.Errorf("retired_secret_keys: %w", err)
		}
		retired = append(retired, k)
	}
	if a.Box, err = secretbox.New(key, retired...); err != nil {
		return nil, err
	}
	if a.Enforcer, err = policies.NewEnforcer(); err != nil {
		return nil, err
	}
	if err := a.Enforcer.LoadOverrides(ctx, a.DB); err != nil {
		return nil, err
	}
	a.Accounts = auth.NewAccounts(a.DB, a.Queue.Redis, cfg.Auth)
	a.Metrics = prometheus.NewRegistry()
	a.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Discovery only reads manifests; plugin processes start with StartPlugins, so
	// `migrate` and `admin` never launch them.
	if a.Host, err = channels.NewHost(cfg.PluginsDir, log, a.Metrics, channels.WithPlatformVersion(buildinfo.Version)); err != nil {
		return nil, err
	}
	a.Plugins = hostPlugins{a.Host}
	a.Connections = connections.NewService(a.Box, a.Plugins, cfg.BaseURL())
	a.Connections.Log = log
	// Outside production the provider fakes (the demo's simulator) live on loopback.
	a.Connections.AllowPrivateMedia(!cfg.Production)
	a.Ledger = billing.NewLedger(a.DB)
	lowBalance := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "switchboard_wallet_low_balance_total",
		Help: "Times a wallet's balance fell to or below its low-balance threshold.",
	})
	a.Metrics.MustRegister(lowBalance)
	a.Ledger.OnLowBalance = func(ctx context.Context, workspaceID string, balance int64, cause billing.Kind) {
		lowBalance.Inc()
		log.Warn("wallet low balance", "workspace_id", workspaceID, "balance", balance)
		data, _ := json.Marshal(map[string]int64{"balance": balance})
		// Best effort, like every realtime event: the wallet page shows the low
		// balance to whoever opens it later.
		if err := a.Realtime.Publish(ctx, realtime.Event{Type: realtime.WalletLow, WorkspaceID: workspaceID,
			Permission: string(policies.BillingRead), Data: data}); err != nil {
			log.Warn("wallet low balance: not published", "workspace_id", workspaceID, "error", err)
		}
		// The payment is a task: the caller may be a send, which must not wait on
		// Stripe. A failed enqueue is logged; the next low spell tries again.
		if err := a.Payments.LowBalance(ctx, workspaceID, cause); err != nil {
			log.Error("auto-recharge not started", "workspace_id", workspaceID, "error", err)
		}
	}
	a.Payments = billing.NewPayments(a.DB, a.Ledger, cfg.Billing, log)
	a.tasks = asynq.NewClient(a.Queue.Conn)
	a.Payments.Tasks = a.tasks
	a.Payments.OnAutoRechargeFailed = func(ctx context.Context, workspaceID, reason string) {
		data, _ := json.Marshal(map[string]string{"reason": reason})
		if err := a.Realtime.Publish(ctx, realtime.Event{Type: realtime.WalletAutoRechargePaused, WorkspaceID: workspaceID,
			Permission: string(policies.BillingRead), Data: data}); err != nil {
			log.Warn("auto-recharge paused: not published", "workspace_id", workspaceID, "error", err)
		}
	}
	if !a.Payments.Configured() {
		log.Info("billing: no Stripe key; top-ups are off and the operator grants credits")
	}
	a.MediaLinks = media.Links{Signer: a.Box, BaseURL: cfg.BaseURL()}
	a.Pipeline = &pipeline.Pipeline{DB: a.DB, Redis: a.Queue.Redis, Connections: a.Connections, Plugins: a.Plugins, Publisher: a.Realtime,
		Ledger: a.Ledger, Enqueuer: pipeline.NewEnqueuer(a.Queue.Conn, a.Queue.Redis), MediaLinks: a.MediaLinks,
		Presence: realtime.NewPresence(a.Queue.Redis), Enforcer: a.Enforcer, Log: log}
	ok = true
	return a, nil
}

// HTTP builds the HTTP server.
func (a *App) HTTP() *api.Server {
	return api.New(api.Deps{
		Config: a.Config, DB: a.DB, Queue: a.Queue, Accounts: a.Accounts, Enforcer: a.Enforcer,
		Metrics: a.Metrics, Log: a.Log, Version: buildinfo.Version,
		Connections: a.Connections, Events: pipeline.InboundSink{P: a.Pipeline}, Plugins: pluginAdmin(a.Plugins),
		Pipeline: a.Pipeline, Realtime: a.Realtime,
		Ledger: a.Ledger, Payments: a.Payments, MediaLinks: a.MediaLinks,
	})
}

// Probes builds the HTTP listener of a separate worker process: health, readiness and
// metrics (the plugin host's among them).
func (a *App) Probes() *api.Server {
	return api.NewProbes(api.Deps{
		Config: a.Config, DB: a.DB, Queue: a.Queue, Metrics: a.Metrics, Log: a.Log, Version: buildinfo.Version,
	})
}

// Task types of the maintenance queue.
const TypePurgeSessions = "maintenance:purge_sessions"

// Worker builds the task worker with every handler registered.
func (a *App) Worker(concurrency int) (*jobs.Worker, error) {
	w := jobs.NewWorker(a.Queue, a.Log, concurrency)
	if a.queueMetrics == nil {
		// The process that works the queues reports their depth, registered once: a
		// worker built again in the same process (a restart, in tests) reuses it.
		a.queueMetrics = jobs.NewQueueMetrics(a.Queue.Conn)
		a.Metrics.MustRegister(a.queueMetrics)
	}
	a.Pipeline.Register(w)
	w.Handle(TypePurgeSessions, func(ctx context.Context, _ *asynq.Task) error {
		n, err := a.Accounts.PurgeExpiredSessions(ctx)
		if err == nil && n > 0 {
			a.Log.Info("purged expired sessions", "count", n)
		}
		return err
	})
	if err := w.Every(jobs.Periodic{Spec: "@every 15m", Type: TypePurgeSessions, Unique: 10 * time.Minute}); err != nil {
		return nil, err
	}
	w.Handle(billing.TypeAutoRecharge, a.Payments.HandleAutoRechargeTask)
	w.Handle(billing.TypePlanCredits, func(ctx context.Context, _ *asynq.Task) error {
		n, err := billing.GrantPlanCredits(ctx, a.DB, time.Now())
		if n > 0 {
			a.Log.Info("granted monthly plan credits", "workspaces", n)
		}
		return err
	})
	// Hourly, so a new month's credits arrive within the hour and a missed run is
	// caught up by the next; the month's ledger key makes each run after the first
	// grant nothing.
	if err := w.Every(jobs.Periodic{Spec: "@every 1h", Type: billing.TypePlanCredits, Unique: 50 * time.Minute}); err != nil {
		return nil, err
	}
	// Picks up sends and webhook events whose task was lost (an enqueue that failed
	// after the row was stored); both re-enqueues are idempotent.
	w.Handle(pipeline.TypeSweep, a.Pipeline.HandleSweepTask)
	if err := w.Every(jobs.Periodic{Spec: "@every 1m", Type: pipeline.TypeSweep, Unique: 50 * time.Second}); err != nil {
		return nil, err
	}
	return w, nil
}

// Close releases connections.
func (a *App) Close() {
	if a.Pipeline != nil {
		a.Pipeline.Enqueuer.Close()
	}
	if a.tasks != nil {
		a.tasks.Close()
	}
	if a.Host != nil {
		a.Host.Stop()
	}
	if a.Realtime != nil {
		a.Realtime.Close() // before the Redis client it uses
	}
	if a.queueMetrics != nil {
		a.queueMetrics.Close()
	}
	if a.Queue != nil {
		a.Queue.Close()
	}
	if a.DB != nil {
		tenants.Forget(a.DB)
		a.DB.Close()
	}
}
