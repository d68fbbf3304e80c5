// Package connections holds a workspace's accounts on channels — a WhatsApp number, an
// SMS sender, a mailbox, a Facebook page — with their credentials sealed at rest, and
// the hand-off of provider webhooks to the channel plugins.
package connections

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/secretbox"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/tenants"
)

// Connection states.
const (
	StatusActive   = "active"
	StatusError    = "error"
	StatusDisabled = "disabled"
)

// Errors about connections.
var (
	ErrNotFound         = failure.New(failure.NotFound, "connection_not_found", "connection not found")
	ErrAddressTaken     = failure.New(failure.Conflict, "address_taken", "this workspace already has a connection for that address").WithField("address", "is already connected")
	ErrConnectionLimit  = failure.New(failure.Forbidden, "connection_limit", "the workspace's plan allows no more connections")
	ErrPluginNotAllowed = failure.New(failure.Forbidden, "plugin_not_allowed", "the workspace's plan does not include this channel").WithField("plugin", "is not included in the plan")
)

// Plugins is what connections need from the plugin host.
type Plugins interface {
	// Describe returns an installed, enabled plugin's description.
	Describe(pluginID string) (sdk.Description, bool)
	// Channel returns a client for the plugin's calls.
	Channel(pluginID string) (sdk.Channel, error)
	// Installed lists the ids of the installed plugins, in a stable order.
	Installed() []string
}

// Connection is a workspace's account on a channel.
type Connection struct {
	bun.BaseModel `bun:"table:connections,alias:c"`
	tenants.Owned

	ID          string `bun:"id,pk" json:"id"`
	PublicID    string `bun:"public_id,notnull" json:"public_id" doc:"the unguessable id in the webhook URL"`
	PluginID    string `bun:"plugin_id,notnull" json:"plugin"`
	Kind        string `bun:"kind,notnull" json:"kind"`
	Engine      string `bun:"engine,notnull" json:"engine"`
	DisplayName string `bun:"display_name,notnull" json:"display_name"`
	Address     string `bun:"address,notnull" json:"address"`
	// AddressKey is Address as providers' webhooks name it (sdk.AddressKey).
	AddressKey   string         `bun:"address_key,notnull" json:"-"`
	ConfigSealed string         `bun:"config_sealed,notnull" json:"-"`
	ConfigPublic map[string]any `bun:"config_public,notnull" json:"config" doc:"the configuration with secret fields masked"`
	Status       string         `bun:"status,notnull" json:"status" enum:"active,error,disabled"`
	StatusReason string         `bun:"status_reason,notnull" json:"status_reason"`
	SendRate     *float64       `bun:"send_rate" json:"send_rate" doc:"messages a second this connection may send (SMS: segments), when it has its own; null: its channel's default for the engine"`
	CreatedAt    time.Time      `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt    time.Time      `bun:"updated_at,notnull" json:"updated_at"`
}

// Service manages connections.
type Service struct {
	box     *secretbox.Box
	plugins Plugins
	baseURL string

	// Log, when set, hears what the service skips rather than fails on. Set it before
	// the service is shared.
	Log *slog.Logger
	// privateMedia lets media be fetched from loopback and private addresses (see
	// AllowPrivateMedia).
	privateMedia atomic.Bool
	// templates keeps each connection's template list for counting (keptTemplates).
	templates sync.Map
}

// AllowPrivateMedia lets media be fetched from loopback and private addresses: the
// provider fakes of a development install and of tests. Off in production, where a
// media URL (or a redirect) that leads inside the network is refused.
func (s *Service) AllowPrivateMedia(on bool) { s.privateMedia.Store(on) }

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// NewService builds the service; baseURL is the public URL webhook links start with.
func NewService(box *secretbox.Box, plugins Plugins, baseURL string) *Service {
	return &Service{box: box, plugins: plugins, baseURL: strings.TrimRight(baseURL, "/")}
}

// WebhookURL is where the provider must send this connection's webhooks.
func (s *Service) WebhookURL(c Connection) string { return s.baseURL + "/hooks/" + c.PublicID }

// NewConnection is a connection to create.
type NewConnection struct {
	PluginID    string
	Engine      string
	DisplayName string
	Address     string
	Config      json.RawMessage
	SendRate    float64 // 0: the channel's default
}

// Create validates the config with the plugin, seals it and stores the connection.
func (s *Service) Create(ctx context.Context, sc tenants.Scoped, in NewConnection) (Connection, error) {
	fields := failure.Fields{}
	desc, ok := s.plugins.Describe(in.PluginID)
	fields.Check(in.PluginID == "", "plugin", "is required")
	fields.Check(in.PluginID != "" && !ok, "plugin", "is not an installed channel plugin")
	if ok {
		fields.Check(!slices.Contains(desc.Engines, in.Engine), "engine", "must be one of "+strings.Join(desc.Engines, ", "))
	}
	name := strings.TrimSpace(in.DisplayName)
	addr := strings.TrimSpace(in.Address)
	fields.Check(name == "", "display_name", "is required")
	fields.Check(len(name) > 100, "display_name", "must be at most 100 characters")
	fields.Check(addr == "", "address", "is required")
	fields.Check(len(addr) > 200, "address", "must be at most 200 characters")
	config, err := configObject(in.Config)
	if err != nil {
		fields.Add("config", err.Error())
	}
	rate, msg := ownSendRate(in.SendRate)
	fields.Check(msg != "", "send_rate", msg)
	if err := fields.Err(); err != nil {
		return Connection{}, err
	}
	if err := s.checkPlan(ctx, sc, in.PluginID); err != nil {
		return Connection{}, err
	}
	if err := s.validate(ctx, in.PluginID, in.Engine, config); err != nil {
		return Connection{}, err
	}
	now := time.Now().UTC()
	c := Connection{
		ID: storage.NewID(), PublicID: tenants.NewToken("wh_"), PluginID: in.PluginID, Kind: desc.Kind, Engine: in.Engine,
		DisplayName: name, Address: addr, AddressKey: sdk.AddressKey(addr), Status: StatusActive, SendRate: rate, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.seal(&c, desc, config); err != nil {
		return Connection{}, err
	}
	// The plan's limit is counted again with the workspace's other changes held off:
	// requests made at once each passed the first count, taken before the plugin's
	// validation.
	err = storage.InTx(ctx, sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		st := sc.With(tx)
		if err := tenants.LockWorkspace(ctx, st); err != nil {
			return err
		}
		if err := s.checkPlan(ctx, st, in.PluginID); err != nil {
			return err
		}
		_, err := st.Insert(&c).Exec(ctx)
		return err
	})
	if storage.IsUniqueViolation(err) {
		return Connection{}, ErrAddressTaken
	}
	if err != nil {
		if failure.KindOf(err) != failure.Internal {
			return Connection{}, err
		}
		return Connection{}, fmt.Errorf("connections: create: %w", err)
	}
	return c, nil
}

// ownSendRate checks a send rate asked for: 0 means the channel's default (nil), else
// it must be a positive number of messages a second up to sdk.MaxSendRate. msg says
// what is wrong.
func ownSendRate(r float64) (rate *float64, msg string) {
	switch {
	case r == 0:
		return nil, ""
	case !(r >= sdk.MinSendRate) || r > sdk.MaxSendRate:
		return nil, fmt.Sprintf("must be from %v to %d messages a second (0: the channel's default)", sdk.MinSendRate, sdk.MaxSendRate)
	}
	return &r, ""
}

// PaceRate is how many messages a second c may send, by its own rate or its
// channel's default for its engine (desc); 0 is no limit.
func PaceRate(c Connection, desc sdk.Description) float64 {
	if c.SendRate != nil {
		return *c.SendRate
	}
	return desc.SendRate(c.Engine)
}

func configObject(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 {
		return map[string]any{}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("must be a JSON object")
	}
	return m, nil
}

// checkPlan refuses a connection the workspace's plan does not allow.
func (s *Service) checkPlan(ctx context.Context, sc tenants.Scoped, pluginID string) error {
	ws, err := tenants.ByRef(ctx, sc.DB(), sc.WorkspaceID())
	if err != nil {
		return err
	}
	plan, err := tenants.PlanByID(ctx, sc.DB(), ws.PlanID)
	if err != nil {
		return err
	}
	if len(plan.Features.Channels) > 0 && !slices.Contains(plan.Features.Channels, pluginID) {
		return ErrPluginNotAllowed
	}
	n, err := sc.Select((*Connection)(nil)).Count(ctx)
	if err != nil {
		return err
	}
	if !tenants.Allows(plan.Features.MaxConnections, n+1) {
		return ErrConnectionLimit
	}
	return nil
}

// validate asks the plugin; its field errors are reported under config.<field>.
func (s *Service) validate(ctx context.Context, pluginID, engine string, config map[string]any) error {
	ch, err := s.plugins.Channel(pluginID)
	if err != nil {
		return unavailable(pluginID, err)
	}
	raw, _ := json.Marshal(config)
	errs, err := ch.ValidateConfig(ctx, engine, raw)
	if err != nil {
		return unavailable(pluginID, err)
	}
	if len(errs) > 0 {
		fields := failure.Fields{}
		for _, fe := range errs {
			fields.Add("config."+fe.Field, fe.Message)
		}
		return fields.Err()
	}
	return nil
}

func unavailable(pluginID string, err error) error {
	return failure.New(failure.Unavailable, "plugin_unavailable", fmt.Sprintf("the %s channel plugin could not check the configuration: %v", pluginID, err))
}

// secretMask replaces secret values in what the API shows.
const secretMask = "********"

// seal encrypts the whole config (bound to the connection id) and keeps a copy with
// secret fields masked for display.
func (s *Service) seal(c *Connection, desc sdk.Description, config map[string]any) error {
	raw, err := json.Marshal(config)
	if err != nil {
		return err
	}
	if c.ConfigSealed, err = s.box.Seal(raw, []byte(c.ID)); err != nil {
		return err
	}
	secret := secretFields(desc.ConfigSchema)
	public := make(map[string]any, len(config))
	for k, v := range config {
		if secret[k] {
			if v != nil && v != "" {
				v = secretMask
			}
		}
		public[k] = v
	}
	c.ConfigPublic = public
	return nil
}

// secretFields lists the schema properties marked "x-secret": true.
func secretFields(schema json.RawMessage) map[string]bool {
	secrets, _ := schemaFields(schema)
	return secrets
}

// sameValue reports whether two config values are the same, an absent value and an
// empty string alike (the web form leaves empty fields out).
func sameValue(a, b any) bool {
	if a == nil {
		a = ""
	}
	if b == nil {
		b = ""
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// schemaFields are a config schema's credentials (x-secret) and addresses (format
// uri: where the plugin sends them).
func schemaFields(schema json.RawMessage) (secrets, addresses map[string]bool) {
	var s struct {
		Properties map[string]struct {
			Secret bool   `json:"x-secret"`
			Format string `json:"format"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(schema, &s)
	secrets, addresses = map[string]bool{}, map[string]bool{}
	for k, p := range s.Properties {
		if p.Secret {
			secrets[k] = true
		}
		if p.Format == "uri" {
			addresses[k] = true
		}
	}
	return secrets, addresses
}

// Config opens a connection's sealed config.
func (s *Service) Config(c Connection) (map[string]any, error) {
	raw, err := s.configJSON(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// configJSON is the decrypted config as it was sealed: a JSON object.
func (s *Service) configJSON(c Connection) ([]byte, error) {
	raw, err := s.box.Open(c.ConfigSealed, []byte(c.ID))
	if err != nil {
		return nil, fmt.Errorf("connections: %s: %w", c.ID, err)
	}
	return raw, nil
}

// ForPlugin is the connection as the plugin sees it on a call, config decrypted.
func (s *Service) ForPlugin(c Connection) (sdk.Connection, error) {
	raw, err := s.configJSON(c)
	if err != nil {
		return sdk.Connection{}, err
	}
	return sdk.Connection{ID: c.PublicID, WorkspaceID: c.WorkspaceID, Engine: c.Engine, Address: c.Address, Config: raw, WebhookURL: s.WebhookURL(c)}, nil
}

// List returns the workspace's connections, oldest first.
func (s *Service) List(ctx context.Context, sc tenants.Scoped, page storage.Page) ([]Connection, string, error) {
	var rows []Connection
	if err := page.Apply(sc.Select(&rows), "c.id", false).Scan(ctx); err != nil {
		return nil, "", fmt.Errorf("connections: list: %w", err)
	}
	rows, next := storage.NextCursor(rows, page, func(c Connection) string { return c.ID })
	return rows, next, nil
}

// Get loads one connection of the workspace.
func (s *Service) Get(ctx context.Context, sc tenants.Scoped, id string) (Connection, error) {
	var c Connection
	err := sc.Get(ctx, &c, id, ErrNotFound)
	return c, err
}

// Update is a partial change; a secret field left out, or sent back masked, keeps
// its stored value.
type Update struct {
	DisplayName *string
	Config      json.RawMessage
	Enabled     *bool
	SendRate    *float64 // 0: back to the channel's default
}

// Update applies a change, revalidating the config with the plugin when it changes.
func (s *Service) Update(ctx context.Context, sc tenants.Scoped, id string, in Update) (Connection, error) {
	c, err := s.Get(ctx, sc, id)
	if err != nil {
		return c, err
	}
	if in.DisplayName != nil {
		name := strings.TrimSpace(*in.DisplayName)
		if name == "" || len(name) > 100 {
			return c, failure.Field("display_name", "must be 1–100 characters")
		}
		c.DisplayName = name
	}
	if len(in.Config) > 0 {
		next, err := configObject(in.Config)
		if err != nil {
			return c, failure.Field("config", err.Error())
		}
		desc, ok := s.plugins.Describe(c.PluginID)
		if !ok {
			return c, unavailable(c.PluginID, fmt.Errorf("not installed"))
		}
		current, err := s.Config(c)
		if err != nil {
			return c, err
		}
		// Credentials not sent again (or sent masked, as the API shows them) are kept,
		// unless an address they are sent to changed: kept, they would go to the new
		// address, which could be anyone's, without whoever changed it ever knowing
		// them.
		secrets, addresses := schemaFields(desc.ConfigSchema)
		var movedFields []string
		for k := range addresses {
			if !sameValue(next[k], current[k]) {
				movedFields = append(movedFields, k)
			}
		}
		slices.Sort(movedFields)
		moved := strings.Join(movedFields, ", ")
		again := failure.Fields{}
		for k := range secrets {
			if v, sent := next[k]; !sent || v == secretMask {
				if old, had := current[k]; had {
					again.Check(moved != "", "config."+k, "enter it again: "+moved+" changed, and it would be sent there")
					next[k] = old
				}
			}
		}
		if err := again.Err(); err != nil {
			return c, err
		}
		if err := s.validate(ctx, c.PluginID, c.Engine, next); err != nil {
			return c, err
		}
		if err := s.seal(&c, desc, next); err != nil {
			return c, err
		}
		// A config that validates clears an earlier error (e.g. an expired token replaced).
		if c.Status == StatusError {
			c.Status, c.StatusReason = StatusActive, ""
		}
	}
	if in.SendRate != nil {
		rate, msg := ownSendRate(*in.SendRate)
		if msg != "" {
			return c, failure.Field("send_rate", msg)
		}
		c.SendRate = rate
	}
	if in.Enabled != nil {
		switch {
		case !*in.Enabled:
			c.Status, c.StatusReason = StatusDisabled, ""
		case c.Status == StatusDisabled:
			c.Status = StatusActive
		}
	}
	c.UpdatedAt = time.Now().UTC()
	_, err = sc.Update(&c).Column("display_name", "config_sealed", "config_public", "status", "status_reason", "send_rate", "updated_at").WherePK().Exec(ctx)
	return c, err
}

// Delete removes a connection; its webhook URL stops working at once.
func (s *Service) Delete(ctx context.Context, sc tenants.Scoped, id string) error {
	res, err := sc.Delete((*Connection)(nil)).Where("c.id = ?", id).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkError puts a connection into error with a reason people can act on (the
// provider rejected its credentials).
func (s *Service) MarkError(ctx context.Context, sc tenants.Scoped, id, reason string) error {
	_, err := sc.Update((*Connection)(nil)).
		Set("status = ?", StatusError).Set("status_reason = ?", reason).Set("updated_at = ?", time.Now().UTC()).
		Where("c.id = ? AND c.status <> ?", id, StatusDisabled).Exec(ctx)
	return err
}

// ByPublicID finds a connection from its webhook URL. This is the one lookup not
// scoped to a workspace: the unguessable public id is what identifies the tenant.
func ByPublicID(ctx context.Context, db bun.IDB, publicID string) (Connection, error) {
	var c Connection
	err := db.NewSelect().Model(&c).Where("c.public_id = ?", publicID).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return c, ErrNotFound
	}
	return c, err
}

// siblingLimit bounds the connections one webhook request is offered to besides its
// own (see Service.Webhook), and the addresses it names that are looked at.
const siblingLimit = 20

// siblings finds the workspace's other connections of from's plugin whose address a
// webhook request names as another of the provider's accounts
// (sdk.WebhookResponse.OtherAddresses). Only the workspace's own: an app secret is
// the app's, not a number's, and a reseller's clients on one Meta app may all know
// it, so a request signed with it is no proof that another workspace's number is the
// sender's to write for. Each verifies the request with its own secret before taking
// an event (Service.Webhook).
func siblings(ctx context.Context, db bun.IDB, from Connection, addresses []string) ([]Connection, error) {
	keys := make([]string, 0, min(len(addresses), siblingLimit))
	for _, a := range addresses {
		if k := sdk.AddressKey(a); k != "" && k != from.AddressKey && len(keys) < siblingLimit && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	var cs []Connection
	err := tenants.Scope(db, from.WorkspaceID).Select(&cs).
		Where("c.plugin_id = ? AND c.address_key IN (?) AND c.id <> ? AND c.status <> ?", from.PluginID, bun.List(keys), from.ID, StatusDisabled).
		OrderExpr("c.id").Limit(siblingLimit).Scan(ctx)
	return cs, err
}

// NoPlugins is the registry of an installation without channel plugins.
type NoPlugins struct{}

// Describe finds nothing.
func (NoPlugins) Describe(string) (sdk.Description, bool) { return sdk.Description{}, false }

// Installed is empty.
func (NoPlugins) Installed() []string { return nil }

// Channel fails: there is no plugin.
func (NoPlugins) Channel(id string) (sdk.Channel, error) {
	return nil, fmt.Errorf("channel plugin %q is not installed", id)
}

// StaticPlugins is a registry of in-process channels by plugin id (tests, benchmarks).
type StaticPlugins map[string]sdk.Channel

// Describe asks the channel itself.
func (s StaticPlugins) Describe(id string) (sdk.Description, bool) {
	ch, ok := s[id]
	if !ok {
		return sdk.Description{}, false
	}
	d, err := ch.Describe(context.Background())
	return d, err == nil
}

// Installed lists the registry's ids, sorted.
func (s StaticPlugins) Installed() []string {
	ids := slices.Collect(maps.Keys(s))
	slices.Sort(ids)
	return ids
}

// Channel returns the channel.
func (s StaticPlugins) Channel(id string) (sdk.Channel, error) {
	if ch, ok := s[id]; ok {
		return ch, nil
	}
	return NoPlugins{}.Channel(id)
}

// Reseal seals again, with the current key, every connection of the workspace whose
// config was sealed with a retired key; after a key rotation this runs for every
// workspace (`switchboard admin reseal-connections`) before the old key is dropped.
func (s *Service) Reseal(ctx context.Context, sc tenants.Scoped) (int, error) {
	var rows []Connection
	if err := sc.Select(&rows).Scan(ctx); err != nil {
		return 0, err
	}
	n := 0
	for _, c := range rows {
		if secretbox.SealedKeyID(c.ConfigSealed) == s.box.CurrentKeyID() {
			continue
		}
		raw, err := s.box.Open(c.ConfigSealed, []byte(c.ID))
		if err != nil {
			return n, fmt.Errorf("connections: %s: %w", c.ID, err)
		}
		sealed, err := s.box.Seal(raw, []byte(c.ID))
		if err != nil {
			return n, err
		}
		if _, err := sc.Update((*Connection)(nil)).Set("config_sealed = ?", sealed).Where("c.id = ?", c.ID).Exec(ctx); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
