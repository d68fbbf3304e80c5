// Package whatsapp is the WhatsApp channel plugin, with two engines: "cloud" (Meta's
// WhatsApp Cloud API, the Graph API) and "twilio" (Twilio's Messages API with
// whatsapp: addresses). Its binary is cmd/whatsapp; fakes of both providers for tests
// and the demo are in cloudapitest and twiliotest.
//
// What each engine does:
//
//	                          cloud                          twilio
//	send text                 text (preview_url with links)  Body
//	send media (link)         image|video|audio|document|    MediaUrl + Body caption
//	                          sticker, by MIME type or
//	                          extension
//	send location             location                       PersistentAction geo:lat,lng|name
//	send template             numbered/named body params,    ContentSid + ContentVariables via
//	                          header media, URL and          content_sids; header/buttons refused
//	                          copy-code buttons
//	send reaction             reaction                       refused (permanent)
//	reply threading           context.message_id             not sent (no API field)
//	action mark_read          status "read"                  refused
//	action sync_templates     approved templates, all pages  refused
//	action resolve_media      Graph media URL → download     media URL → itself with
//	                          URL with Bearer token          Basic auth (no call)
//	webhook verify (GET)      hub.challenge handshake        405
//	webhook signature         X-Hub-Signature-256            X-Twilio-Signature (URL + params)
//	inbound types             text image video audio         text, media (each attachment),
//	                          document sticker location      location, button, list reply;
//	                          reaction button interactive    others "unsupported"
//	                          contacts; others "unsupported"
//	statuses                  sent delivered read failed     sent delivered read failed
//	                          (+ error code and reason)      (undelivered → failed, + code)
//
// Inbound events carry the provider's payload for each message in Event.Raw. Twilio
// does not date its webhooks, so Twilio events have a zero Timestamp: the host should
// use the time it received them. Cloud media arrive as Graph API media URLs
// ({api_base_url}/{api_version}/{media id}), which answer the download URL to the
// connection's access token, Twilio media as Twilio's media URLs (MediaUrl0…), which
// may need the account's Basic auth: the resolve_media action says how to fetch
// either.
//
// Addresses are normalized to E.164 with a leading "+" in every event, whatever the
// provider's spelling (Cloud's wa_id "15551234567", Twilio's "whatsapp:+15551234567");
// sends accept any of these spellings.
package whatsapp

import (
	"context"
	_ "embed"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

//go:embed manifest.json
var manifestJSON []byte

// Error codes of failures the plugin finds itself (provider failures carry the
// provider's code).
const (
	CodeInvalidConfig   = "WA001" // the connection config is invalid
	CodeInvalidMessage  = "WA101" // the message is incomplete or not supported by the engine
	CodeForeignMediaURL = "WA102" // resolve_media: the URL is not a media URL of the connection's provider
	CodeUnknownEngine   = "WA103"
	CodeBadResponse     = "WA502" // the provider answered something unreadable
	CodeUnknownAction   = "WA404"
	CodeNoSessions      = "WA405"
)

// maxResponseBody bounds what is read of a provider's answer.
const maxResponseBody = 4 << 20

// DefaultHTTPTimeout bounds one provider call when the caller's context does not.
const DefaultHTTPTimeout = 30 * time.Second

// Channel is the WhatsApp channel. It keeps no state between calls: every call
// carries its connection's config. The zero value is not usable; call New.
type Channel struct {
	desc sdk.Description
	// HTTPClient calls the providers; set it before the first call.
	HTTPClient *http.Client
}

var _ sdk.Channel = (*Channel)(nil)

// New returns the channel with a default HTTP client.
func New() *Channel {
	m, err := sdk.ParseManifest(manifestJSON)
	if err != nil {
		panic("whatsapp: manifest.json: " + err.Error())
	}
	return &Channel{desc: m.Description(), HTTPClient: &http.Client{Timeout: DefaultHTTPTimeout, CheckRedirect: refuseRedirects}}
}

// refuseRedirects keeps every call on the host the connection names: the provider APIs
// answer in place, and a redirect (from an api_base_url a workspace set) could point
// the server at addresses inside its own network.
func refuseRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// ManifestJSON is a copy of the plugin's manifest.json template.
func ManifestJSON() []byte {
	return append([]byte(nil), manifestJSON...)
}

// Describe answers from the embedded manifest.json, so the two always agree.
func (c *Channel) Describe(context.Context) (sdk.Description, error) {
	return c.desc, nil
}

func unknownEngine(engine string) *sdk.Error {
	return sdk.Errorf(sdk.Permanent, CodeUnknownEngine, "whatsapp has no engine %q (want %s or %s)", engine, EngineCloud, EngineTwilio)
}

// ValidateConfig checks the fields for engine and then the credentials against the
// provider. Field errors say what to fix; an error means the check itself could not
// be made (the provider unreachable, rate limited).
func (c *Channel) ValidateConfig(ctx context.Context, engine string, config json.RawMessage) ([]sdk.FieldError, error) {
	if engine != EngineCloud && engine != EngineTwilio {
		return nil, unknownEngine(engine)
	}
	cfg, fes := parseConfig(engine, config)
	if len(fes) > 0 {
		return fes, nil
	}
	if engine == EngineCloud {
		return c.validateCloud(ctx, cfg)
	}
	return c.validateTwilio(ctx, cfg)
}

// connConfig parses conn's config for a send or action; an invalid one is an auth
// failure (the connection needs fixing, retrying will not help).
func connConfig(conn sdk.Connection) (Config, error) {
	if conn.Engine != EngineCloud && conn.Engine != EngineTwilio {
		return Config{}, unknownEngine(conn.Engine)
	}
	cfg, fes := parseConfig(conn.Engine, conn.Config)
	if len(fes) > 0 {
		return Config{}, sdk.Errorf(sdk.AuthFailed, CodeInvalidConfig, "invalid connection config: %s: %s", fes[0].Field, fes[0].Message)
	}
	return cfg, nil
}

// Send delivers one message through the connection's engine.
func (c *Channel) Send(ctx context.Context, conn sdk.Connection, msg sdk.OutboundMessage) (sdk.SendResult, error) {
	cfg, err := connConfig(conn)
	if err != nil {
		return sdk.SendResult{}, err
	}
	if msg.Type == "" {
		msg.Type = sdk.TypeText
	}
	if err := checkMessage(msg); err != nil {
		return sdk.SendResult{}, err
	}
	if conn.Engine == EngineCloud {
		return c.sendCloud(ctx, cfg, msg)
	}
	return c.sendTwilio(ctx, cfg, conn, msg)
}

func invalidMessage(format string, args ...any) *sdk.Error {
	return sdk.Errorf(sdk.Permanent, CodeInvalidMessage, format, args...)
}

// checkMessage refuses messages that are incomplete whatever the engine.
func checkMessage(msg sdk.OutboundMessage) error {
	if e164(msg.To) == "" {
		return invalidMessage("message has no recipient number (got %q)", msg.To)
	}
	switch msg.Type {
	case sdk.TypeText:
		if msg.Text == "" {
			return invalidMessage("text message has no text")
		}
	case sdk.TypeMedia:
		if msg.Media == nil || msg.Media.URL == "" {
			return invalidMessage("media message has no media URL")
		}
	case sdk.TypeLocation:
		if msg.Location == nil {
			return invalidMessage("location message has no location")
		}
	case sdk.TypeTemplate:
		if msg.Template == nil || msg.Template.Name == "" {
			return invalidMessage("template message has no template name")
		}
		if msg.Template.HeaderURL != "" && msg.Template.HeaderText != "" {
			return invalidMessage("a template's header is media or text, not both")
		}
	case sdk.TypeReaction:
		if msg.Reaction == nil || msg.Reaction.ProviderMessageID == "" {
			return invalidMessage("reaction has no message to react to")
		}
	default:
		return invalidMessage("unknown message type %q", msg.Type)
	}
	return nil
}

// Action runs mark_read {provider_message_id}, react {to, provider_message_id, emoji}
// and sync_templates (cloud only, all three), and resolve_media {url} (both engines;
// see sdk.ActionResolveMedia): the Graph media URL of an inbound Cloud media gives
// its download URL with the access token as a Bearer header (Permanent
// sdk.CodeMediaGone once Meta no longer keeps it), a Twilio media URL of the account
// gives itself with the account's Basic auth. A URL of another provider, base URL or
// account is refused (Permanent, CodeForeignMediaURL) without any call.
func (c *Channel) Action(ctx context.Context, conn sdk.Connection, name string, args json.RawMessage) (json.RawMessage, error) {
	cfg, err := connConfig(conn)
	if err != nil {
		return nil, err
	}
	var a struct {
		ProviderMessageID string `json:"provider_message_id"`
		Emoji             string `json:"emoji"`
		To                string `json:"to"`
		URL               string `json:"url"`
	}
	if len(args) > 0 && string(args) != "null" {
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, invalidMessage("%s: arguments: %v", name, err)
		}
	}
	switch name {
	case "mark_read", "react", "sync_templates":
	case sdk.ActionResolveMedia:
		src, err := c.resolveMedia(ctx, conn.Engine, cfg, a.URL)
		if err != nil {
			return nil, err
		}
		return json.Marshal(src)
	default:
		return nil, sdk.Errorf(sdk.Permanent, CodeUnknownAction, "unknown action %q", name)
	}
	if conn.Engine != EngineCloud {
		return nil, invalidMessage("%s is not supported by the %s engine", name, conn.Engine)
	}
	switch name {
	case "mark_read":
		if a.ProviderMessageID == "" {
			return nil, invalidMessage("mark_read: provider_message_id is required")
		}
		if err := c.markReadCloud(ctx, cfg, a.ProviderMessageID); err != nil {
			return nil, err
		}
		return json.RawMessage(`{"ok":true}`), nil
	case "react":
		msg := sdk.OutboundMessage{To: a.To, Type: sdk.TypeReaction, Reaction: &sdk.Reaction{ProviderMessageID: a.ProviderMessageID, Emoji: a.Emoji}}
		if err := checkMessage(msg); err != nil {
			return nil, err
		}
		res, err := c.sendCloud(ctx, cfg, msg)
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"ok": true, "provider_message_id": res.ProviderMessageID})
	default:
		templates, err := c.syncTemplatesCloud(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"templates": templates})
	}
}

// OpenSession is refused: both engines work through webhooks.
func (c *Channel) OpenSession(context.Context, sdk.Connection) error {
	return sdk.Errorf(sdk.Permanent, CodeNoSessions, "whatsapp cloud and twilio engines have no sessions")
}

// CloseSession has nothing to close.
func (c *Channel) CloseSession(context.Context, string) error { return nil }

// Events emits nothing: it waits for ctx to end and returns ctx.Err().
func (c *Channel) Events(ctx context.Context, _ func(sdk.Event) error) error {
	<-ctx.Done()
	return ctx.Err()
}

// apiResponse is a provider's HTTP answer.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r apiResponse) ok() bool { return r.status >= 200 && r.status < 300 }

// do makes req and reads the answer; a transport failure is a transient *sdk.Error.
func (c *Channel) do(req *http.Request, provider string) (apiResponse, error) {
	client := c.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	req.Header.Set("User-Agent", "switchboard-whatsapp/"+c.desc.Version)
	resp, err := client.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return apiResponse{}, sdk.Errorf(sdk.Transient, "", "%s call interrupted: %v", provider, ctxErr)
		}
		return apiResponse{}, transportError(provider, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return apiResponse{}, transportError(provider, err)
	}
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// e164 normalizes a phone address to "+<digits>" ("" when there are no digits):
// "whatsapp:+1 555-0100", "15550100" and "+15550100" all become "+15550100".
func e164(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "whatsapp:")
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 1 {
		return ""
	}
	return b.String()
}

func badResponse(provider string, status int, err error) *sdk.Error {
	return sdk.Errorf(sdk.Transient, CodeBadResponse, "%s answered HTTP %d with an unreadable body: %v", provider, status, err)
}
