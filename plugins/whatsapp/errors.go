package whatsapp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// Retry-after bounds. A rate-limited answer's Retry-After header is used when the
// provider sends one (clamped to MinRetryAfter…MaxRetryAfter); otherwise the rule's
// default applies: one second for throughput limits (130429, Twilio 20429, a bare HTTP
// 429), six seconds for the per-recipient pair limit (131056), and a minute for
// account-level limits (4, 80007, Twilio 63018).
const (
	MinRetryAfter     = time.Second
	MaxRetryAfter     = time.Hour
	DefaultRetryAfter = time.Second
)

// rule is how one provider error code is classified.
type rule struct {
	class      sdk.ErrorClass
	reason     string
	retryAfter time.Duration // rate_limited only
	details    bool          // append the provider's message to reason
}

// Reasons people see for the common failures.
const (
	ReasonOutsideWindow    = "outside the 24-hour window"
	ReasonUndeliverable    = "undeliverable: the number is not on WhatsApp or cannot receive this message"
	ReasonTemplateParams   = "template parameters do not match the template"
	ReasonTemplateMissing  = "template does not exist in this language or is not approved"
	ReasonInvalidNumber    = "invalid phone number"
	ReasonTemplateUnmapped = "template not mapped to a Twilio Content SID"
)

// cloudRules classifies Graph API error codes (PROTOCOLS.md, Cloud API error codes).
var cloudRules = map[int]rule{
	1:      {class: sdk.Transient, reason: "Meta API error", details: true},
	2:      {class: sdk.Transient, reason: "Meta API temporarily unavailable"},
	3:      {class: sdk.AuthFailed, reason: "the app lacks the capability for this call", details: true},
	4:      {class: sdk.RateLimited, reason: "application request limit reached", retryAfter: time.Minute},
	10:     {class: sdk.AuthFailed, reason: "permission denied", details: true},
	100:    {class: sdk.Permanent, reason: "invalid parameter", details: true},
	190:    {class: sdk.AuthFailed, reason: "access token rejected or expired"},
	80007:  {class: sdk.RateLimited, reason: "WhatsApp Business Account rate limit reached", retryAfter: time.Minute},
	130429: {class: sdk.RateLimited, reason: "message throughput limit reached", retryAfter: time.Second},
	131000: {class: sdk.Transient, reason: "Meta API error (something went wrong)"},
	131005: {class: sdk.AuthFailed, reason: "access denied", details: true},
	131008: {class: sdk.Permanent, reason: "a required parameter is missing", details: true},
	131009: {class: sdk.Permanent, reason: "parameter value is not valid", details: true},
	131016: {class: sdk.Transient, reason: "WhatsApp service unavailable"},
	131021: {class: sdk.Permanent, reason: "recipient cannot be the sender"},
	131026: {class: sdk.Permanent, reason: ReasonUndeliverable},
	131031: {class: sdk.AuthFailed, reason: "business account is locked"},
	131042: {class: sdk.AuthFailed, reason: "business account has a payment issue"},
	131047: {class: sdk.Permanent, reason: ReasonOutsideWindow},
	131051: {class: sdk.Permanent, reason: "unsupported message type"},
	131052: {class: sdk.Permanent, reason: "media could not be downloaded from the link", details: true},
	131053: {class: sdk.Permanent, reason: "media could not be uploaded", details: true},
	131056: {class: sdk.RateLimited, reason: "too many messages to this recipient", retryAfter: 6 * time.Second},
	132000: {class: sdk.Permanent, reason: ReasonTemplateParams, details: true},
	132001: {class: sdk.Permanent, reason: ReasonTemplateMissing},
	132005: {class: sdk.Permanent, reason: "template text too long after filling in parameters"},
	132007: {class: sdk.Permanent, reason: "template content violates WhatsApp policy"},
	132012: {class: sdk.Permanent, reason: "template parameter format does not match the template", details: true},
	132015: {class: sdk.Permanent, reason: "template is paused"},
	132016: {class: sdk.Permanent, reason: "template is disabled"},
	368:    {class: sdk.Permanent, reason: "temporarily blocked for policy violations"},
}

// twilioRules classifies Twilio error codes.
var twilioRules = map[int]rule{
	20003: {class: sdk.AuthFailed, reason: "Twilio credentials rejected"},
	20404: {class: sdk.AuthFailed, reason: "Twilio account or resource not found", details: true},
	20429: {class: sdk.RateLimited, reason: "too many requests", retryAfter: time.Second},
	20500: {class: sdk.Transient, reason: "Twilio internal error"},
	20503: {class: sdk.Transient, reason: "Twilio temporarily unavailable"},
	21211: {class: sdk.Permanent, reason: ReasonInvalidNumber},
	21408: {class: sdk.Permanent, reason: "sending to this region is not enabled"},
	21602: {class: sdk.Permanent, reason: "message body is required"},
	21603: {class: sdk.AuthFailed, reason: "sender is missing"},
	21604: {class: sdk.Permanent, reason: "recipient is missing"},
	21606: {class: sdk.AuthFailed, reason: "sender is not a messaging number of this account"},
	21610: {class: sdk.Permanent, reason: "recipient has opted out"},
	21614: {class: sdk.Permanent, reason: ReasonInvalidNumber + ": not a mobile number"},
	21617: {class: sdk.Permanent, reason: "message body exceeds 1600 characters"},
	21620: {class: sdk.Permanent, reason: "invalid media URL"},
	21655: {class: sdk.Permanent, reason: ReasonTemplateMissing + " (Content SID)"},
	21656: {class: sdk.Permanent, reason: ReasonTemplateParams + " (ContentVariables)", details: true},
	21705: {class: sdk.AuthFailed, reason: "Messaging Service SID is invalid"},
	21910: {class: sdk.Permanent, reason: "sender and recipient are on different channels"},
	30003: {class: sdk.Permanent, reason: "recipient unreachable"},
	30005: {class: sdk.Permanent, reason: "unknown or inactive recipient"},
	30006: {class: sdk.Permanent, reason: "recipient cannot receive this message"},
	30007: {class: sdk.Permanent, reason: "message filtered as spam"},
	30008: {class: sdk.Permanent, reason: "unknown delivery error"},
	63003: {class: sdk.Permanent, reason: ReasonUndeliverable},
	63007: {class: sdk.AuthFailed, reason: "sender is not a WhatsApp sender of this account"},
	63016: {class: sdk.Permanent, reason: ReasonOutsideWindow},
	63019: {class: sdk.Permanent, reason: "media could not be downloaded from its link"},
	63018: {class: sdk.RateLimited, reason: "WhatsApp rate limit for this sender reached", retryAfter: time.Minute},
	63024: {class: sdk.Permanent, reason: "invalid message recipient"},
	63032: {class: sdk.Permanent, reason: "recipient has opted out of marketing messages"},
}

// classify turns an engine's provider error answer into an *sdk.Error: the code's rule when
// there is one, otherwise by HTTP status (401/403 auth, 429 rate limited, 408 and 5xx
// transient, other 4xx permanent). status 0 means no HTTP answer.
func classify(engine string, status, code int, message string, header http.Header) *sdk.Error {
	codeStr := ""
	if code != 0 {
		codeStr = strconv.Itoa(code)
	}
	rules := cloudRules
	if engine == EngineTwilio {
		rules = twilioRules
	}
	r, ok := rules[code]
	if !ok && engine == EngineCloud && code >= 200 && code < 300 {
		r, ok = rule{class: sdk.AuthFailed, reason: "permission denied", details: true}, true
	}
	if !ok || code == 0 {
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			r = rule{class: sdk.AuthFailed, reason: "credentials rejected", details: true}
		case status == http.StatusTooManyRequests:
			r = rule{class: sdk.RateLimited, reason: "rate limited", retryAfter: DefaultRetryAfter, details: true}
		case status == http.StatusRequestTimeout || status >= 500 || status == 0:
			r = rule{class: sdk.Transient, reason: "provider unavailable", details: true}
		default:
			r = rule{class: sdk.Permanent, reason: "provider rejected the message", details: true}
		}
	}
	// A 5xx is always worth retrying, whatever the body's code says; a 429 always
	// means slow down.
	if status >= 500 && r.class == sdk.Permanent {
		r.class = sdk.Transient
	}
	if status == http.StatusTooManyRequests && r.class != sdk.RateLimited {
		r.class, r.retryAfter = sdk.RateLimited, DefaultRetryAfter
	}
	reason := r.reason
	if r.details && message != "" {
		reason += ": " + message
	}
	e := &sdk.Error{Class: r.class, Code: codeStr, Reason: reason}
	if r.class == sdk.RateLimited {
		e.RetryAfter = retryAfter(header, r.retryAfter)
	}
	return e
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), clamped to
// MinRetryAfter…MaxRetryAfter, or returns def.
func retryAfter(h http.Header, def time.Duration) time.Duration {
	if def <= 0 {
		def = DefaultRetryAfter
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return def
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	} else {
		return def
	}
	return min(max(d, MinRetryAfter), MaxRetryAfter)
}

// transportError is a failure to get any HTTP answer: always transient (the host
// retries with backoff).
func transportError(provider string, err error) *sdk.Error {
	// The request's URL is in the error; its query may carry a credential (a provider's
	// paging link), and the reason reaches logs and the API.
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.RawQuery != "" {
			u.RawQuery = "…"
			err = &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return sdk.Errorf(sdk.Transient, "", "%s unreachable: %v", provider, err)
}

// statusReason is the human reason for an error code in a status webhook.
func statusReason(rules map[int]rule, code int, fallback string) string {
	if r, ok := rules[code]; ok {
		if r.details && fallback != "" {
			return r.reason + ": " + fallback
		}
		return r.reason
	}
	if fallback != "" {
		return fallback
	}
	return fmt.Sprintf("error %d", code)
}
