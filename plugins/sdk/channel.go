// Package sdk is the contract between Switchboard and its channel plugins: the
// protocol (channel.proto and its generated code), the handshake, the Go interface a
// channel implements, Serve for a plugin's main, and the host-side client. Switchboard
// and every channel binary import this package; nothing else is shared.
package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Capability is something a channel can do beyond sending text.
type Capability string

// Capabilities a channel may declare.
const (
	CapTemplates    Capability = "templates"     // approved templates (WhatsApp)
	CapReactions    Capability = "reactions"     // react to a message
	CapPins         Capability = "pins"          // pin a message for the recipient
	CapReadReceipts Capability = "read_receipts" // mark inbound messages read
	CapTyping       Capability = "typing"        // typing indicators
	CapMedia        Capability = "media"         // images, video, audio, documents
	CapLocation     Capability = "location"      // location pins
	CapWindow24h    Capability = "window_24h"    // free text only within 24 h of the customer's last message
	CapSessions     Capability = "sessions"      // long-lived sessions (IMAP, paired devices)
	CapSegments     Capability = "segments"      // billed per SMS segment
	// CapMediaDownload: inbound media can be fetched through ActionResolveMedia.
	CapMediaDownload Capability = "media_download"
)

// Description is what a plugin says about itself. It must agree with the plugin's
// manifest (the host checks).
type Description struct {
	ID           string          `json:"id"`
	Version      string          `json:"version"`
	Kind         string          `json:"kind"` // whatsapp | sms | email | messenger | a reseller's own
	Engines      []string        `json:"engines"`
	Capabilities []Capability    `json:"capabilities"`
	ConfigSchema json.RawMessage `json:"config_schema"` // JSON Schema; secret fields carry "x-secret": true
	// SendRates is, by engine, how many messages a second (segments, for a channel
	// with CapSegments) one connection may send under the provider's default limits;
	// a connection may set its own (a raised tier, a short code). Absent: no limit.
	SendRates map[string]float64 `json:"send_rates,omitempty"`
	// MediaLimits is, by media class (MediaClasses), the largest attachment in bytes
	// the provider carries (WhatsApp: 5 MB pictures). A class it does not name gets
	// the platform's own limit; a limit above the platform's counts as the platform's.
	MediaLimits map[string]int64 `json:"media_limits,omitempty"`
	// MediaTypes are the MIME types of attachment the provider carries (WhatsApp
	// takes no GIF); empty, every type the platform takes.
	MediaTypes []string `json:"media_types,omitempty"`
}

// The media classes a channel sets limits for: a file's class is its MIME type's
// top-level type, and anything but a picture, video or sound is a document.
const (
	MediaImage    = "image"
	MediaVideo    = "video"
	MediaAudio    = "audio"
	MediaDocument = "document"
)

// MediaClasses lists the media classes.
var MediaClasses = []string{MediaImage, MediaVideo, MediaAudio, MediaDocument}

// MediaClass is the class of a MIME type: image/png is an image, application/pdf a
// document.
func MediaClass(mimeType string) string {
	top, _, _ := strings.Cut(mimeType, "/")
	switch top = strings.ToLower(strings.TrimSpace(top)); top {
	case MediaImage, MediaVideo, MediaAudio:
		return top
	}
	return MediaDocument
}

// MediaLimit is the largest file of mimeType's class the channel carries, at most
// ceiling (the platform's own limit): ceiling when the channel names none.
func (d Description) MediaLimit(mimeType string, ceiling int64) int64 {
	return d.ClassLimit(MediaClass(mimeType), ceiling)
}

// CarriesMedia reports whether the channel carries attachments of mimeType.
func (d Description) CarriesMedia(mimeType string) bool {
	return len(d.MediaTypes) == 0 || slices.Contains(d.MediaTypes, strings.ToLower(mimeType))
}

// ClassLimit is MediaLimit for a media class.
func (d Description) ClassLimit(class string, ceiling int64) int64 {
	if n, ok := d.MediaLimits[class]; ok && n < ceiling {
		return n
	}
	return ceiling
}

// A send rate is from MinSendRate (one message every 1,000 s) to MaxSendRate messages
// a second: beyond it, pacing is moot.
const (
	MinSendRate = 0.001
	MaxSendRate = 10000
)

// SendRate is the engine's default send rate (0: no limit).
func (d Description) SendRate(engine string) float64 { return d.SendRates[engine] }

// Has reports whether the channel declares c.
func (d Description) Has(c Capability) bool {
	for _, x := range d.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

// Connection is a workspace's account on a channel, as a plugin sees it on every call.
// Plugins are stateless across connections: the decrypted config travels each time.
type Connection struct {
	ID          string          `json:"id"` // public id, also in the webhook URL
	WorkspaceID string          `json:"workspace_id"`
	Engine      string          `json:"engine"`
	Address     string          `json:"address"` // number, email address, page id
	Config      json.RawMessage `json:"config"`
	WebhookURL  string          `json:"webhook_url"`
}

// FieldError names a config field that is wrong.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// MessageType is the kind of outbound message.
type MessageType string

// Outbound message types.
const (
	TypeText     MessageType = "text"
	TypeMedia    MessageType = "media"
	TypeLocation MessageType = "location"
	TypeTemplate MessageType = "template"
	TypeReaction MessageType = "reaction"
	TypePin      MessageType = "pin" // pins or unpins a sent message in the chat (CapPins)
)

// Media is an attachment by URL.
type Media struct {
	URL      string `json:"url,omitempty"`
	MIMEType string `json:"mime_type,omitempty"`
	Filename string `json:"filename,omitempty"`
	Caption  string `json:"caption,omitempty"`
}

// Location is a map pin.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Template is an approved template with its parameters filled in.
type Template struct {
	Name      string            `json:"name"`
	Language  string            `json:"language"`
	Body      []string          `json:"body,omitempty"`       // numbered parameters {{1}}, {{2}}…
	Named     map[string]string `json:"named,omitempty"`      // named parameters {{first_name}}
	HeaderURL string            `json:"header_url,omitempty"` // header media
	// HeaderText fills a text header's one placeholder ("Order {{1}} shipped");
	// HeaderParam names it in a template with named parameters ({{order}}).
	HeaderText  string   `json:"header_text,omitempty"`
	HeaderParam string   `json:"header_param,omitempty"`
	ButtonURLs  []string `json:"button_urls,omitempty"` // dynamic URL button suffixes
	CopyCode    string   `json:"copy_code,omitempty"`   // copy-code button value
}

// Reaction is an emoji on a message the provider knows; empty Emoji removes it.
type Reaction struct {
	ProviderMessageID string `json:"provider_message_id"`
	Emoji             string `json:"emoji"`
}

// Pin pins a message the provider knows in the chat, for both sides; Pinned false
// unpins it.
type Pin struct {
	ProviderMessageID string `json:"provider_message_id"`
	Pinned            bool   `json:"pinned"`
}

// OutboundMessage is one message to one recipient. ID is Switchboard's message id; a
// plugin may pass it to the provider as an idempotency key where the API has one.
type OutboundMessage struct {
	ID       string      `json:"id"`
	To       string      `json:"to"`
	Type     MessageType `json:"type"`
	Text     string      `json:"text,omitempty"`
	Subject  string      `json:"subject,omitempty"` // email
	Media    *Media      `json:"media,omitempty"`
	Location *Location   `json:"location,omitempty"`
	Template *Template   `json:"template,omitempty"`
	Reaction *Reaction   `json:"reaction,omitempty"`
	Pin      *Pin        `json:"pin,omitempty"`
	// ReplyTo is the provider id of the message this one answers (threading).
	ReplyTo string `json:"reply_to,omitempty"`
}

// SendResult is the provider's acceptance of a message.
type SendResult struct {
	ProviderMessageID string `json:"provider_message_id"`
	// Segments is how many billable parts the provider counted (SMS), 0 if not billed so.
	Segments int `json:"segments,omitempty"`
	// RecipientAddress is the provider's canonical address of the recipient when it
	// differs from msg.To (WhatsApp's wa_id: a Mexican number sent to as +52 and 10
	// digits comes back as +521 and the same 10 digits), in the form the channel's
	// inbound messages from them carry (InboundMessage.From); empty when it is the
	// same or the provider does not say. The host keeps it as an alias of the
	// contact, so their replies reach the contact and conversation that wrote to them.
	RecipientAddress string `json:"recipient_address,omitempty"`
}

// ErrorClass tells the host what to do about a failed call.
type ErrorClass string

// Error classes.
const (
	Transient   ErrorClass = "transient"    // retry with backoff
	RateLimited ErrorClass = "rate_limited" // retry after RetryAfter
	Permanent   ErrorClass = "permanent"    // do not retry; the message fails with Reason
	AuthFailed  ErrorClass = "auth"         // credentials rejected; the connection goes into error
)

// Error is a classified failure from a plugin.
type Error struct {
	Class      ErrorClass    `json:"class"`
	Code       string        `json:"code,omitempty"` // the provider's code, e.g. "131047"
	Reason     string        `json:"reason"`         // for people: "outside the 24-hour window"
	RetryAfter time.Duration `json:"retry_after,omitempty"`
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s (%s %s)", e.Reason, e.Class, e.Code)
	}
	return fmt.Sprintf("%s (%s)", e.Reason, e.Class)
}

// Errorf builds a classified error.
func Errorf(class ErrorClass, code, format string, args ...any) *Error {
	return &Error{Class: class, Code: code, Reason: fmt.Sprintf(format, args...)}
}

// WebhookRequest is a provider's HTTP request, passed through untouched: signatures
// are computed over the raw bytes.
type WebhookRequest struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"` // full external URL, as the provider signed it
	Headers map[string][]string `json:"headers"`
	Body    []byte              `json:"body"`
}

// WebhookResponse is what the host answers the provider.
type WebhookResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    []byte            `json:"body,omitempty"`
	// OtherAddresses are the addresses, in E.164 ("+" and digits), of the provider's
	// other accounts this request carries events for: accounts this connection does
	// not own (one Meta app's webhook serves all its numbers). The host offers the same
	// raw request to those accounts' connections, which verify it with their own
	// secrets; the plugin never returns their events itself. Only a request whose
	// signature verified names any. Plugins built before it leave it empty.
	OtherAddresses []string `json:"other_addresses,omitempty"`
}

// EventType names a normalized event.
type EventType string

// Event types.
const (
	EventMessage EventType = "message" // an inbound message
	EventStatus  EventType = "status"  // a delivery status of an outbound message
	EventContact EventType = "contact" // a contact's profile (name) learned
	EventOptOut  EventType = "opt_out"
	EventOptIn   EventType = "opt_in"
)

// InboundMessage is a customer's message. Unknown provider types arrive with Type
// "unsupported" and the raw payload; they are never dropped.
type InboundMessage struct {
	ProviderMessageID string    `json:"provider_message_id"`
	From              string    `json:"from"`
	To                string    `json:"to"`
	Type              string    `json:"type"`
	Text              string    `json:"text,omitempty"`
	Subject           string    `json:"subject,omitempty"`
	Media             *Media    `json:"media,omitempty"`
	Location          *Location `json:"location,omitempty"`
	ReplyTo           string    `json:"reply_to,omitempty"`
	Timestamp         time.Time `json:"timestamp"`
}

// StatusUpdate is a provider's report on an outbound message.
type StatusUpdate struct {
	ProviderMessageID string    `json:"provider_message_id"`
	Status            string    `json:"status"` // sent | delivered | read | failed
	Timestamp         time.Time `json:"timestamp"`
	ErrorCode         string    `json:"error_code,omitempty"`
	ErrorReason       string    `json:"error_reason,omitempty"`
	Recipient         string    `json:"recipient,omitempty"`
}

// Contact is what a provider tells about a sender.
type Contact struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
}

// Event is one normalized thing a provider told us. Exactly one of the pointers is set,
// matching Type (opt-out and opt-in use Contact).
type Event struct {
	Type         EventType       `json:"type"`
	ConnectionID string          `json:"connection_id,omitempty"` // set on session events
	Message      *InboundMessage `json:"message,omitempty"`
	Status       *StatusUpdate   `json:"status,omitempty"`
	Contact      *Contact        `json:"contact,omitempty"`
	Raw          json.RawMessage `json:"raw,omitempty"` // the provider's payload for this event
}

// Channel is what a channel plugin implements. Every method may be called
// concurrently, for different connections, from one host. Errors that are not *Error
// are treated as Transient.
type Channel interface {
	// Describe reports the plugin's identity, engines, capabilities and config schema.
	// Protocol 1.
	Describe(ctx context.Context) (Description, error)
	// ValidateConfig checks a connection's config for an engine, possibly by calling the
	// provider; field errors say what to fix. Protocol 1.
	ValidateConfig(ctx context.Context, engine string, config json.RawMessage) ([]FieldError, error)
	// Send delivers one message. Protocol 1.
	Send(ctx context.Context, conn Connection, msg OutboundMessage) (SendResult, error)
	// HandleWebhook verifies and parses a provider's request: the response to return
	// and the events it carried for conn's own account; the provider's other accounts
	// it carried events for go in WebhookResponse.OtherAddresses. A forged request
	// gets a 401 response, no events and no other addresses. Parsing the same request
	// twice yields the same events. Protocol 1.
	HandleWebhook(ctx context.Context, conn Connection, req WebhookRequest) (WebhookResponse, []Event, error)
	// OpenSession starts a long-lived session (IMAP polling, a paired device) whose
	// events arrive through Events. Plugins without CapSessions return an error.
	// Protocol 1.
	OpenSession(ctx context.Context, conn Connection) error
	// CloseSession ends a connection's session. Protocol 1.
	CloseSession(ctx context.Context, connectionID string) error
	// Events streams session events until ctx ends. Protocol 1.
	Events(ctx context.Context, emit func(Event) error) error
	// Action runs a capability action (react, pin, mark_read, sync_templates,
	// pairing_qr, resolve_media) and returns its JSON result. Protocol 1.
	Action(ctx context.Context, conn Connection, name string, args json.RawMessage) (json.RawMessage, error)
}

// ActionResolveMedia is the action that says how to fetch a customer's media: its
// arguments are ResolveMediaArgs, its result a MediaSource. Channels that have it
// declare CapMediaDownload. Inbound Media.URL is
// often a provider URL that only the connection's credentials open (WhatsApp Cloud's
// Graph media URL, Twilio's media URL), which browsers cannot fetch and must never
// hold the credentials for; the host fetches it for them. The plugin refuses, as
// Permanent, a URL that is not its provider's for this connection, so credentials
// never go to another host; a provider that no longer keeps the media gives Permanent
// CodeMediaGone. The source can be short-lived (WhatsApp's download URLs last five
// minutes): resolve right before fetching, and keep neither the URL nor its headers.
// A redirect may be followed, without the headers when it leaves the URL's host (Go's
// http.Client drops Authorization then); Twilio redirects to its storage.
const ActionResolveMedia = "resolve_media"

// CodeMediaGone is the Error.Code, with class Permanent, of a resolve_media whose
// provider no longer has the media (WhatsApp keeps a customer's media 30 days).
const CodeMediaGone = "media_gone"

// ResolveMediaArgs are the arguments of resolve_media.
type ResolveMediaArgs struct {
	URL string `json:"url"` // an inbound Media.URL, exactly as the plugin gave it
}

// MediaSource is the result of resolve_media: GET URL with Headers.
type MediaSource struct {
	URL      string            `json:"url"`
	Headers  map[string]string `json:"headers,omitempty"` // none when the URL needs none
	MIMEType string            `json:"mime_type"`         // "" when the provider does not say
	Size     int64             `json:"size"`              // bytes, 0 when the provider does not say
}
