package loopback

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// Config is a loopback connection's config (see config_schema in manifest.json).
type Config struct {
	// WebhookSecret keys the HMAC-SHA256 signature of webhook requests. Required.
	WebhookSecret string `json:"webhook_secret"`
	// AutoReply, when set, is the text of an inbound message answering every send.
	AutoReply string `json:"auto_reply,omitempty"`
	// FailWith makes every send fail with this class.
	FailWith sdk.ErrorClass `json:"fail_with,omitempty"`
	// FailRate is the share of sends (0..1) that fail with a transient error.
	FailRate float64 `json:"fail_rate,omitempty"`
	// DelayMS is added to every send.
	DelayMS int `json:"delay_ms,omitempty"`
	// Statuses reported for every accepted message; nil means sent, delivered, read.
	Statuses []string `json:"statuses,omitempty"`
	// CanonicalAddresses maps an address as sent to (OutboundMessage.To, exactly) to
	// the provider's own address for that recipient, as WhatsApp's wa_id differs from
	// the number dialled for some countries: a send to a key answers with the value as
	// SendResult.RecipientAddress, and its statuses and auto reply carry it.
	CanonicalAddresses map[string]string `json:"canonical_addresses,omitempty"`
}

// JSON is the config as a connection carries it.
func (c Config) JSON() json.RawMessage {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // plain fields only
	}
	return b
}

// Status values a loopback message goes through.
const (
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusFailed    = "failed"
)

// DefaultStatuses is the status sequence when the config names none.
var DefaultStatuses = []string{StatusSent, StatusDelivered, StatusRead}

const maxDelayMS = 60_000

var failClasses = []sdk.ErrorClass{sdk.Transient, sdk.RateLimited, sdk.Permanent, sdk.AuthFailed}

// parseConfig decodes and checks a connection config; every problem is a field error.
func parseConfig(raw json.RawMessage) (Config, []sdk.FieldError) {
	var cfg Config
	var fes []sdk.FieldError
	bad := func(field, format string, args ...any) {
		fes = append(fes, sdk.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	var fields map[string]json.RawMessage
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("null")) {
		if trimmed[0] != '{' || json.Unmarshal(trimmed, &fields) != nil {
			bad("", "config must be a JSON object")
			return cfg, fes
		}
	}
	decode := func(field, want string, dst any) {
		v, ok := fields[field]
		if !ok {
			return
		}
		if err := json.Unmarshal(v, dst); err != nil {
			bad(field, "must be %s", want)
		}
	}
	decode("webhook_secret", "a string", &cfg.WebhookSecret)
	decode("auto_reply", "a string", &cfg.AutoReply)
	decode("fail_with", "a string", &cfg.FailWith)
	decode("fail_rate", "a number", &cfg.FailRate)
	decode("delay_ms", "an integer", &cfg.DelayMS)
	decode("statuses", "an array of strings", &cfg.Statuses)
	decode("canonical_addresses", "an object of strings", &cfg.CanonicalAddresses)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		switch k {
		case "webhook_secret", "auto_reply", "fail_with", "fail_rate", "delay_ms", "statuses", "canonical_addresses":
		default:
			bad(k, "unknown field")
		}
	}

	if strings.TrimSpace(cfg.WebhookSecret) == "" {
		bad("webhook_secret", "is required")
	}
	if cfg.FailWith != "" && !slices.Contains(failClasses, cfg.FailWith) {
		bad("fail_with", "must be one of transient, rate_limited, permanent, auth; got %q", cfg.FailWith)
	}
	if cfg.FailRate < 0 || cfg.FailRate > 1 {
		bad("fail_rate", "must be between 0 and 1; got %v", cfg.FailRate)
	}
	if cfg.DelayMS < 0 || cfg.DelayMS > maxDelayMS {
		bad("delay_ms", "must be between 0 and %d; got %d", maxDelayMS, cfg.DelayMS)
	}
	for i, s := range cfg.Statuses {
		switch s {
		case StatusSent, StatusDelivered, StatusRead, StatusFailed:
		default:
			bad(fmt.Sprintf("statuses[%d]", i), "must be sent, delivered, read or failed; got %q", s)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.CanonicalAddresses)) {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(cfg.CanonicalAddresses[k]) == "" {
			bad("canonical_addresses", "addresses must not be empty")
			break
		}
	}
	if cfg.Statuses == nil {
		cfg.Statuses = DefaultStatuses
	}
	return cfg, fes
}

// webhookSecret reads only the secret, so a request can be verified whatever else is
// wrong with the config.
func webhookSecret(raw json.RawMessage) string {
	var c struct {
		WebhookSecret string `json:"webhook_secret"`
	}
	_ = json.Unmarshal(raw, &c)
	return c.WebhookSecret
}
