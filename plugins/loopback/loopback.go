// Package loopback is a channel plugin whose provider is in memory: it accepts sends
// (provider ids "lb-<n>"; replies are "lb-in-<n>"), reports a configurable status sequence for each, answers
// with a scripted reply, and fails on request with every error class. Statuses and
// replies go out as session events while the connection's session is open, and are
// also kept as the signed webhook requests the provider would have made (TakeWebhooks,
// or the take_webhooks action from the host).
//
// It is the model channel plugin: the conformance kit runs against it, the demo uses
// it, and benchmarks can call it in-process. Its binary is cmd/loopback.
//
// Failures on request: config fail_with (transient | rate_limited | permanent | auth)
// fails every send; a text message starting with "FAIL:<class>" fails just that one;
// fail_rate (0..1) fails that share of sends at random (transient); delay_ms slows
// every send.
//
// Canonical addresses: canonical_addresses maps an address as sent to the provider's
// own for that recipient (as WhatsApp's wa_id differs from the number dialled for some
// countries); a send to it returns that address as SendResult.RecipientAddress, and
// its statuses and auto reply carry it.
package loopback

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

//go:embed manifest.json
var manifestJSON []byte

// Engine is loopback's only engine.
const Engine = "loopback"

// Error codes loopback fails with.
const (
	CodeInvalidConfig  = "LB001" // auth: the connection config is invalid
	CodeRejected       = "LB100" // permanent: recipient rejected
	CodeInvalidMessage = "LB101" // permanent: the message is incomplete or of an unknown type
	CodeUnknownEngine  = "LB103" // permanent
	CodeUndeliverable  = "LB200" // on a "failed" status
	CodeAuth           = "LB401" // auth: credentials rejected
	CodeUnknownAction  = "LB404" // permanent
	CodeRateLimited    = "LB429" // rate_limited, retry after 1 s
	CodeUnavailable    = "LB503" // transient
)

// RateLimitRetryAfter is the retry-after of a rate_limited failure.
const RateLimitRetryAfter = time.Second

// FailPrefix starts a text message that fails with the class that follows it,
// e.g. "FAIL:rate_limited".
const FailPrefix = "FAIL:"

const (
	eventBuffer  = 4096 // session events waiting for the host's Events stream
	webhooksKept = 256  // per connection, oldest dropped first
)

// Loopback is the channel. The zero value is not usable; call New.
type Loopback struct {
	desc    sdk.Description
	sent    atomic.Uint64 // provider ids of sent messages: lb-<n>
	inbound atomic.Uint64 // provider ids of replies: lb-in-<n>
	events  chan sdk.Event

	configsMu sync.Mutex
	configs   map[string]parsedConfig // by the config's text, see config

	mu       sync.Mutex
	sessions map[string]sdk.Connection // open sessions by connection id
	webhooks map[string][]keptEvent    // events the provider would have made requests of, by connection id
}

// keptEvent is an event kept for TakeWebhooks. It is signed into its request only
// when taken: most are never taken (they are dropped as newer ones come), and
// signing each on the send path cost a sixth of the plugin's time per send.
type keptEvent struct {
	conn  sdk.Connection
	event WebhookEvent
}

var _ sdk.Channel = (*Loopback)(nil)

// New returns a loopback channel with no sessions open.
func New() *Loopback {
	m, err := sdk.ParseManifest(manifestJSON)
	if err != nil {
		panic("loopback: manifest.json: " + err.Error())
	}
	return &Loopback{
		desc:     m.Description(),
		events:   make(chan sdk.Event, eventBuffer),
		sessions: map[string]sdk.Connection{},
		webhooks: map[string][]keptEvent{},
		configs:  map[string]parsedConfig{},
	}
}

type parsedConfig struct {
	cfg Config
	fes []sdk.FieldError
}

// configsKept bounds the parsed configs remembered; past it they are forgotten and
// parsed again as they come.
const configsKept = 1024

// config is parseConfig remembered by the config's text: a campaign's sends all
// carry their connection's same config, and parsing it each time was a sixth of a
// send's time in the plugin. The Config returned is shared: read it, do not change it.
func (l *Loopback) config(raw json.RawMessage) (Config, []sdk.FieldError) {
	l.configsMu.Lock()
	defer l.configsMu.Unlock()
	if p, ok := l.configs[string(raw)]; ok {
		return p.cfg, p.fes
	}
	if len(l.configs) >= configsKept {
		clear(l.configs)
	}
	cfg, fes := parseConfig(raw)
	l.configs[string(raw)] = parsedConfig{cfg, fes}
	return cfg, fes
}

// Describe answers from the embedded manifest.json, so the two always agree.
func (l *Loopback) Describe(context.Context) (sdk.Description, error) {
	return l.desc, nil
}

// ValidateConfig checks the config against the schema's rules.
func (l *Loopback) ValidateConfig(_ context.Context, engine string, config json.RawMessage) ([]sdk.FieldError, error) {
	if engine != "" && engine != Engine {
		return nil, sdk.Errorf(sdk.Permanent, CodeUnknownEngine, "loopback has no engine %q", engine)
	}
	_, fes := parseConfig(config)
	return fes, nil
}

// Send accepts msg unless told to fail; see the package documentation.
func (l *Loopback) Send(ctx context.Context, conn sdk.Connection, msg sdk.OutboundMessage) (sdk.SendResult, error) {
	cfg, fes := l.config(conn.Config)
	if len(fes) > 0 {
		return sdk.SendResult{}, sdk.Errorf(sdk.AuthFailed, CodeInvalidConfig, "invalid connection config: %s: %s", fes[0].Field, fes[0].Message)
	}
	if cfg.DelayMS > 0 {
		t := time.NewTimer(time.Duration(cfg.DelayMS) * time.Millisecond)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return sdk.SendResult{}, ctx.Err()
		case <-t.C:
		}
	}
	if err := checkMessage(msg); err != nil {
		return sdk.SendResult{}, err
	}
	if rest, ok := strings.CutPrefix(msg.Text, FailPrefix); ok && (msg.Type == sdk.TypeText || msg.Type == "") {
		class, _, _ := strings.Cut(rest, " ")
		return sdk.SendResult{}, failure(sdk.ErrorClass(class))
	}
	if cfg.FailWith != "" {
		return sdk.SendResult{}, failure(cfg.FailWith)
	}
	if cfg.FailRate > 0 && rand.Float64() < cfg.FailRate {
		return sdk.SendResult{}, sdk.Errorf(sdk.Transient, CodeUnavailable, "random failure (fail_rate %v)", cfg.FailRate)
	}

	id := fmt.Sprintf("lb-%d", l.sent.Add(1))
	now := time.Now().UTC()
	// The provider's own address of the recipient, when it is not the one sent to:
	// the provider's statuses and the recipient's messages carry it.
	canonical := cfg.CanonicalAddresses[msg.To]
	if canonical == msg.To {
		canonical = ""
	}
	recipient := msg.To
	if canonical != "" {
		recipient = canonical
	}
	var out []WebhookEvent
	for _, s := range cfg.Statuses {
		we := WebhookEvent{Type: WebhookStatus, ID: id, Status: s, Recipient: recipient, Timestamp: now}
		if s == StatusFailed {
			we.ErrorCode, we.ErrorReason = CodeUndeliverable, "undeliverable"
		}
		out = append(out, we)
		if s == StatusFailed {
			break
		}
	}
	if cfg.AutoReply != "" {
		out = append(out, WebhookEvent{
			Type: WebhookMessage, ID: fmt.Sprintf("lb-in-%d", l.inbound.Add(1)), From: recipient, To: conn.Address,
			Text: cfg.AutoReply, ReplyTo: id, Timestamp: now,
		})
	}
	l.report(conn, out)
	return sdk.SendResult{ProviderMessageID: id, RecipientAddress: canonical}, nil
}

func checkMessage(msg sdk.OutboundMessage) error {
	bad := func(format string, args ...any) error {
		return sdk.Errorf(sdk.Permanent, CodeInvalidMessage, format, args...)
	}
	if msg.To == "" {
		return bad("message has no recipient")
	}
	switch msg.Type {
	case sdk.TypeText, "":
		if msg.Text == "" {
			return bad("text message has no text")
		}
	case sdk.TypeMedia:
		if msg.Media == nil || msg.Media.URL == "" {
			return bad("media message has no media URL")
		}
	case sdk.TypeLocation:
		if msg.Location == nil {
			return bad("location message has no location")
		}
	case sdk.TypeTemplate:
		if msg.Template == nil || msg.Template.Name == "" {
			return bad("template message has no template name")
		}
	case sdk.TypeReaction:
		if msg.Reaction == nil || msg.Reaction.ProviderMessageID == "" {
			return bad("reaction has no message to react to")
		}
	case sdk.TypePin:
		if msg.Pin == nil || msg.Pin.ProviderMessageID == "" {
			return bad("pin has no message to pin")
		}
	default:
		return bad("unknown message type %q", msg.Type)
	}
	return nil
}

// failure is the error loopback fails a send with for class.
func failure(class sdk.ErrorClass) *sdk.Error {
	switch class {
	case sdk.Transient:
		return sdk.Errorf(sdk.Transient, CodeUnavailable, "provider temporarily unavailable")
	case sdk.RateLimited:
		e := sdk.Errorf(sdk.RateLimited, CodeRateLimited, "too many requests")
		e.RetryAfter = RateLimitRetryAfter
		return e
	case sdk.Permanent:
		return sdk.Errorf(sdk.Permanent, CodeRejected, "recipient rejected")
	case sdk.AuthFailed:
		return sdk.Errorf(sdk.AuthFailed, CodeAuth, "credentials rejected")
	default:
		return sdk.Errorf(sdk.Permanent, CodeInvalidMessage, "unknown failure class %q after %s", class, FailPrefix)
	}
}

// report hands what the provider says about a send to the host: as webhook requests
// kept for TakeWebhooks and, while conn's session is open, as session events.
func (l *Loopback) report(conn sdk.Connection, wes []WebhookEvent) {
	if len(wes) == 0 {
		return
	}
	l.mu.Lock()
	_, open := l.sessions[conn.ID]
	kept := l.webhooks[conn.ID]
	for _, we := range wes {
		kept = append(kept, keptEvent{conn, we})
	}
	// Trimmed back to the newest webhooksKept once twice as many wait, so a send
	// copies no more than a kept event or two on average.
	if len(kept) >= 2*webhooksKept {
		kept = append(make([]keptEvent, 0, 2*webhooksKept), kept[len(kept)-webhooksKept:]...)
	}
	l.webhooks[conn.ID] = kept
	l.mu.Unlock()

	if !open {
		return
	}
	for _, we := range wes {
		raw, _ := json.Marshal(we)
		e, err := we.event(raw)
		if err != nil {
			panic("loopback: " + err.Error()) // built above; cannot be invalid
		}
		e.ConnectionID = conn.ID
		select {
		case l.events <- e:
		default:
			log.Printf("loopback: session event buffer full; dropped a %s event for connection %s", e.Type, conn.ID)
		}
	}
}

// TakeWebhooks returns, and forgets, the signed webhook requests the provider would
// have made for a connection since the last call, oldest first (at most 256 kept).
func (l *Loopback) TakeWebhooks(connectionID string) []sdk.WebhookRequest {
	l.mu.Lock()
	kept := l.webhooks[connectionID]
	delete(l.webhooks, connectionID)
	l.mu.Unlock()
	kept = kept[max(0, len(kept)-webhooksKept):]
	var reqs []sdk.WebhookRequest
	for _, k := range kept {
		reqs = append(reqs, Webhook(k.conn, k.event))
	}
	return reqs
}

// OpenSession starts reporting conn's statuses and replies on Events.
func (l *Loopback) OpenSession(_ context.Context, conn sdk.Connection) error {
	if conn.ID == "" {
		return sdk.Errorf(sdk.Permanent, CodeInvalidConfig, "connection has no id")
	}
	if _, fes := parseConfig(conn.Config); len(fes) > 0 {
		return sdk.Errorf(sdk.AuthFailed, CodeInvalidConfig, "invalid connection config: %s: %s", fes[0].Field, fes[0].Message)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sessions[conn.ID] = conn
	return nil
}

// CloseSession stops a connection's session events; closing a closed session is fine.
func (l *Loopback) CloseSession(_ context.Context, connectionID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.sessions, connectionID)
	return nil
}

// Events emits session events until ctx ends, then returns ctx.Err(). Several
// concurrent callers share the events (each goes to one of them).
func (l *Loopback) Events(ctx context.Context, emit func(sdk.Event) error) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-l.events:
			if err := emit(e); err != nil {
				return err
			}
		}
	}
}

// Action runs react, mark_read, sync_templates, take_webhooks (the signed webhook
// requests kept for the connection, for end-to-end tests through a real host) and
// resolve_media (loopback's media are plain links: an http or https URL is fetched
// as it is, with no headers; anything else is refused, permanent).
func (l *Loopback) Action(_ context.Context, conn sdk.Connection, name string, args json.RawMessage) (json.RawMessage, error) {
	var a struct {
		ProviderMessageID string `json:"provider_message_id"`
		Emoji             string `json:"emoji"`
		URL               string `json:"url"`
	}
	if len(args) > 0 {
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, sdk.Errorf(sdk.Permanent, CodeInvalidMessage, "%s: arguments: %v", name, err)
		}
	}
	switch name {
	case "react", "mark_read":
		if a.ProviderMessageID == "" {
			return nil, sdk.Errorf(sdk.Permanent, CodeInvalidMessage, "%s: provider_message_id is required", name)
		}
		return json.RawMessage(`{"ok":true}`), nil
	case "sync_templates":
		return json.RawMessage(syncTemplatesResult), nil
	case "take_webhooks":
		reqs := l.TakeWebhooks(conn.ID)
		if reqs == nil {
			reqs = []sdk.WebhookRequest{}
		}
		return json.Marshal(map[string]any{"requests": reqs})
	case sdk.ActionResolveMedia:
		if u, err := url.Parse(a.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, sdk.Errorf(sdk.Permanent, CodeInvalidMessage, "%s: the url is not an http or https link (loopback's media are plain links)", name)
		}
		return json.Marshal(sdk.MediaSource{URL: a.URL})
	default:
		return nil, sdk.Errorf(sdk.Permanent, CodeUnknownAction, "unknown action %q", name)
	}
}

const syncTemplatesResult = `{"templates":[` +
	`{"name":"order_shipped","language":"en","category":"utility","status":"approved","body":"Your order {{1}} has shipped."},` +
	`{"name":"welcome","language":"en","category":"marketing","status":"approved","body":"Hi {{first_name}}, welcome!"}` +
	`]}`

// ManifestJSON is a copy of the plugin's manifest.json template.
func ManifestJSON() []byte {
	return append([]byte(nil), manifestJSON...)
}
