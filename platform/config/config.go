// Package config loads Switchboard's settings in layers: built-in defaults, then an
// optional YAML file, then SWITCHBOARD_* environment variables (a double underscore
// descends into a section), then command-line flags. Every setting is a field of the
// typed Config; the key names come from the `key` struct tags, so one tag names a
// setting in the file, the environment and on the command line.
package config

import (
	"fmt"
	"strings"
	"time"
)

// Config is everything the switchboard binary can be told.
type Config struct {
	// Addr is where the HTTP server listens.
	Addr string `key:"addr" usage:"HTTP listen address"`
	// PublicURL is how browsers and providers reach this server; it builds webhook and
	// invitation links. Empty means http://{addr}.
	PublicURL string `key:"public_url" usage:"external base URL (webhooks, invitation links, the links providers fetch attachments by)"`
	// DataDir holds the embedded database, the generated secret key and uploads.
	DataDir string `key:"data_dir" usage:"directory for embedded data and generated secrets"`
	// DatabaseURL is postgres://… for PostgreSQL, or a file path / sqlite:// URL for the
	// embedded SQLite database. Empty means SQLite in the data dir.
	DatabaseURL string `key:"database_url" usage:"postgres://… or SQLite path (default: SQLite in the data dir)" secret:"true"`
	// RedisURL points at the Redis behind the task queue and realtime fan-out. Empty
	// starts an embedded in-process Redis, good for one process only.
	RedisURL string `key:"redis_url" usage:"redis://…, rediss://… or redis-sentinel://:pw@host:port,…/db?master=name (default: embedded, single process only)" secret:"true"`
	// SecretKey encrypts channel credentials at rest (32 bytes, base64). Generated into
	// the data dir on first run unless Production is set.
	SecretKey string `key:"secret_key" usage:"base64 32-byte key encrypting credentials (generated when unset, outside production)" secret:"true"`
	// RetiredSecretKeys still open credentials sealed before a key rotation, until
	// `switchboard admin reseal-connections` has sealed them all with SecretKey.
	RetiredSecretKeys string `key:"retired_secret_keys" usage:"comma-separated base64 keys that still open credentials sealed before a rotation" secret:"true"`
	// PluginsDir is scanned for channel plugin binaries and their plugin.json manifests.
	PluginsDir string `key:"plugins_dir" usage:"directory with channel plugin binaries and manifests"`
	// Demo seeds the demo workspace and users on start.
	Demo bool `key:"demo" usage:"create the demo workspace and users"`
	// Production refuses unsafe defaults (generated secrets, embedded queue backend).
	Production bool `key:"production" usage:"refuse unsafe defaults (generated secret key, embedded Redis)"`
	// MigrateOnStart applies pending migrations when serve or worker starts.
	MigrateOnStart bool `key:"migrate_on_start" usage:"apply pending database migrations on start"`
	// NoWorker stops serve from running the task worker in-process.
	NoWorker bool `key:"no_worker" usage:"serve only HTTP; run tasks in a separate 'switchboard worker'"`

	Worker Worker `key:"worker"`
	Log    Log    `key:"log"`
	Auth   Auth   `key:"auth"`
	HTTP   HTTP   `key:"http"`

	Billing Billing `key:"billing"`
}

// Worker configures task processing.
type Worker struct {
	Concurrency int `key:"concurrency" usage:"tasks processed at once per worker process"`
	// Addr gives a separate worker process the probes and metrics an orchestrator
	// needs; serve has them on its main listener.
	Addr string `key:"addr" usage:"where 'switchboard worker' serves /healthz, /readyz and /metrics (empty: no listener)"`
}

// Log configures structured logging.
type Log struct {
	Level  string `key:"level" usage:"debug, info, warn or error"`
	Format string `key:"format" usage:"text or json"`
}

// Auth configures sign-in, sessions and throttling.
type Auth struct {
	SessionTTL      time.Duration `key:"session_ttl" usage:"how long a browser session lasts without use"`
	InvitationTTL   time.Duration `key:"invitation_ttl" usage:"how long an invitation link stays valid"`
	LoginIPLimit    int           `key:"login_ip_limit" usage:"failed sign-ins allowed per IP per window"`
	LoginUserLimit  int           `key:"login_account_limit" usage:"failed sign-ins allowed per account per window"`
	LoginWindow     time.Duration `key:"login_window" usage:"window for the sign-in throttles"`
	MinPasswordLen  int           `key:"min_password_length" usage:"minimum password length"`
	DemoPassword    string        `key:"demo_password" usage:"password for the demo users (generated when unset)" secret:"true"`
	PasswordHashing Hashing       `key:"hashing"`
}

// Hashing holds the argon2id cost. Tests lower it; production keeps the defaults.
type Hashing struct {
	MemoryKiB  uint32 `key:"memory_kib" usage:"argon2id memory in KiB"`
	Iterations uint32 `key:"iterations" usage:"argon2id passes"`
}

// HTTP configures the web server's limits.
type HTTP struct {
	BodyLimit       int           `key:"body_limit" usage:"largest request body in bytes"`
	ReadTimeout     time.Duration `key:"read_timeout" usage:"request read timeout"`
	ShutdownTimeout time.Duration `key:"shutdown_timeout" usage:"how long to drain on SIGTERM"`
	ProxyHops       int           `key:"proxy_hops" usage:"reverse proxies in front of the server; the client IP is read that many entries from the right of X-Forwarded-For (0: the connection's address)"`
	UploadsAtOnce   int           `key:"uploads_at_once" usage:"uploads read at once; each file waits on disk (16 MB at most) until its form is read, and one more is answered 429"`
}

// Billing configures Stripe top-ups of the workspaces' credit wallets. Without a
// secret key the installation sells nothing: top-ups answer 503
// billing_not_configured and the operator grants credits by hand.
type Billing struct {
	StripeSecretKey     string `key:"stripe_secret_key" usage:"Stripe secret API key (sk_…); empty disables top-ups" secret:"true"`
	StripeWebhookSecret string `key:"stripe_webhook_secret" usage:"signing secret (whsec_…) of the Stripe webhook endpoint /hooks/stripe" secret:"true"`
	StripeAPIURL        string `key:"stripe_api_url" usage:"Stripe API base URL (empty: Stripe's; tests point it at stripe-mock)"`
}

// Default returns the settings used when nothing else is said.
func Default() Config {
	return Config{
		Addr:           "127.0.0.1:8080",
		DataDir:        "./data",
		PluginsDir:     "./bin/plugins",
		MigrateOnStart: true,
		Worker:         Worker{Concurrency: 200},
		Log:            Log{Level: "info", Format: "text"},
		Auth: Auth{
			SessionTTL:      14 * 24 * time.Hour,
			InvitationTTL:   7 * 24 * time.Hour,
			LoginIPLimit:    30,
			LoginUserLimit:  10,
			LoginWindow:     15 * time.Minute,
			MinPasswordLen:  10,
			PasswordHashing: Hashing{MemoryKiB: 64 * 1024, Iterations: 3},
		},
		HTTP: HTTP{
			BodyLimit:       1 << 20,
			ReadTimeout:     30 * time.Second,
			ShutdownTimeout: 20 * time.Second,
			UploadsAtOnce:   32,
		},
	}
}

// Validate reports settings that cannot work together.
func (c *Config) Validate() error {
	if c.Addr == "" {
		return fmt.Errorf("config: addr is empty")
	}
	if c.Production && c.SecretKey == "" {
		return fmt.Errorf("config: secret_key must be set in production (SWITCHBOARD_SECRET_KEY)")
	}
	if c.Production && c.RedisURL == "" {
		return fmt.Errorf("config: redis_url must be set in production; the embedded Redis serves one process only")
	}
	if c.Auth.MinPasswordLen < 8 {
		return fmt.Errorf("config: auth.min_password_length must be at least 8")
	}
	if c.Worker.Concurrency < 1 {
		return fmt.Errorf("config: worker.concurrency must be at least 1")
	}
	if c.HTTP.BodyLimit <= 0 {
		return fmt.Errorf("config: http.body_limit must be positive")
	}
	if c.HTTP.UploadsAtOnce < 1 {
		return fmt.Errorf("config: http.uploads_at_once must be at least 1")
	}
	if c.Billing.StripeSecretKey != "" && c.Billing.StripeWebhookSecret == "" {
		// Checkout would take payments that no webhook could ever credit.
		return fmt.Errorf("config: billing.stripe_webhook_secret must be set together with billing.stripe_secret_key")
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("config: log.format must be text or json, not %q", c.Log.Format)
	}
	return nil
}

// BaseURL is PublicURL, or a URL made from Addr.
func (c *Config) BaseURL() string {
	if c.PublicURL != "" {
		// Without a trailing slash, so that base + "/hooks/…" is the URL providers
		// were given and sign (Twilio signs the whole URL; a double slash fails it).
		return strings.TrimRight(c.PublicURL, "/")
	}
	return "http://" + c.Addr
}
