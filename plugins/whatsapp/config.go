package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// Engines.
const (
	EngineCloud  = "cloud"  // Meta's WhatsApp Cloud API (Graph API)
	EngineTwilio = "twilio" // Twilio's Messages API with whatsapp: addresses
)

// Defaults for optional config fields.
const (
	DefaultCloudBaseURL  = "https://graph.facebook.com"
	DefaultAPIVersion    = "v21.0"
	DefaultTwilioBaseURL = "https://api.twilio.com"
)

// Config is a connection's config, for either engine (see config_schema in
// manifest.json). Fields of the other engine are ignored.
type Config struct {
	// Cloud.
	PhoneNumberID string `json:"phone_number_id,omitempty"`
	WABAID        string `json:"waba_id,omitempty"`
	AccessToken   string `json:"access_token,omitempty"`
	AppSecret     string `json:"app_secret,omitempty"`
	VerifyToken   string `json:"verify_token,omitempty"`
	APIVersion    string `json:"api_version,omitempty"`

	// Twilio.
	AccountSID string `json:"account_sid,omitempty"`
	AuthToken  string `json:"auth_token,omitempty"`
	// Sender is whatsapp:+E164 (or +E164) or a Messaging Service SID (MG…).
	Sender string `json:"sender,omitempty"`
	// ContentSIDs maps a template name, or "name:language" (which wins), to the
	// Content SID (HX…) Twilio sends it by.
	ContentSIDs map[string]string `json:"content_sids,omitempty"`

	// Both: the provider's API base URL, for proxies and fakes.
	APIBaseURL string `json:"api_base_url,omitempty"`
}

// JSON is the config as a connection carries it.
func (c Config) JSON() json.RawMessage {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // plain fields only
	}
	return b
}

var configFields = []string{
	"phone_number_id", "waba_id", "access_token", "app_secret", "verify_token", "api_version",
	"account_sid", "auth_token", "sender", "content_sids", "api_base_url",
}

var (
	graphIDPattern    = regexp.MustCompile(`^[0-9]{5,30}$`)
	versionPattern    = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)
	accountSIDPattern = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	serviceSIDPattern = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	contentSIDPattern = regexp.MustCompile(`^HX[0-9a-fA-F]{32}$`)
	e164Pattern       = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// decodeConfig reads raw leniently: it fails only when raw is not a JSON object of
// the right field types. Webhook verification uses it, so that a request can be
// checked whatever else is wrong with the config.
func decodeConfig(raw json.RawMessage) (Config, error) {
	var c Config
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return c, nil
	}
	if trimmed[0] != '{' {
		return c, fmt.Errorf("config must be a JSON object")
	}
	err := json.Unmarshal(trimmed, &c)
	c.trimSpace()
	return c, err
}

// trimSpace drops the blanks around every text field, as parseConfig does when the
// config is saved: a secret pasted with a trailing newline passes validation and works
// for sends, so the webhook check must read it the same way, or every webhook fails.
func (c *Config) trimSpace() {
	for _, f := range []*string{&c.PhoneNumberID, &c.WABAID, &c.AccessToken, &c.AppSecret, &c.VerifyToken,
		&c.APIVersion, &c.AccountSID, &c.AuthToken, &c.Sender, &c.APIBaseURL} {
		*f = strings.TrimSpace(*f)
	}
}

// parseConfig decodes and checks a connection config for engine; every problem is a
// field error. Defaults are filled in.
func parseConfig(engine string, raw json.RawMessage) (Config, []sdk.FieldError) {
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
	str := func(field string, dst *string) {
		if v, ok := fields[field]; ok && json.Unmarshal(v, dst) != nil {
			bad(field, "must be a string")
		}
		*dst = strings.TrimSpace(*dst)
	}
	str("phone_number_id", &cfg.PhoneNumberID)
	str("waba_id", &cfg.WABAID)
	str("access_token", &cfg.AccessToken)
	str("app_secret", &cfg.AppSecret)
	str("verify_token", &cfg.VerifyToken)
	str("api_version", &cfg.APIVersion)
	str("account_sid", &cfg.AccountSID)
	str("auth_token", &cfg.AuthToken)
	str("sender", &cfg.Sender)
	str("api_base_url", &cfg.APIBaseURL)
	if v, ok := fields["content_sids"]; ok && json.Unmarshal(v, &cfg.ContentSIDs) != nil {
		bad("content_sids", "must be an object of template names to Content SIDs (HX…)")
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if !slices.Contains(configFields, k) {
			bad(k, "unknown field")
		}
	}
	required := func(field, value string) bool {
		if value == "" {
			bad(field, "is required for the %s engine", engine)
			return false
		}
		return true
	}

	switch engine {
	case EngineCloud:
		if required("phone_number_id", cfg.PhoneNumberID) && !graphIDPattern.MatchString(cfg.PhoneNumberID) {
			bad("phone_number_id", "must be the number's numeric ID, not the phone number")
		}
		if required("waba_id", cfg.WABAID) && !graphIDPattern.MatchString(cfg.WABAID) {
			bad("waba_id", "must be the numeric WhatsApp Business Account ID")
		}
		required("access_token", cfg.AccessToken)
		required("app_secret", cfg.AppSecret)
		required("verify_token", cfg.VerifyToken)
		if cfg.APIVersion == "" {
			cfg.APIVersion = DefaultAPIVersion
		} else if !versionPattern.MatchString(cfg.APIVersion) {
			bad("api_version", "must look like v21.0")
		}
		if cfg.APIBaseURL == "" {
			cfg.APIBaseURL = DefaultCloudBaseURL
		}
	case EngineTwilio:
		if required("account_sid", cfg.AccountSID) && !accountSIDPattern.MatchString(cfg.AccountSID) {
			bad("account_sid", "must be AC followed by 32 hex digits")
		}
		required("auth_token", cfg.AuthToken)
		if required("sender", cfg.Sender) {
			if s, ok := twilioSender(cfg.Sender); ok {
				cfg.Sender = s
			} else {
				bad("sender", "must be a WhatsApp number (whatsapp:+14155238886) or a Messaging Service SID (MG…)")
			}
		}
		for _, k := range slices.Sorted(maps.Keys(cfg.ContentSIDs)) {
			if !contentSIDPattern.MatchString(cfg.ContentSIDs[k]) {
				bad("content_sids."+k, "must be a Content SID: HX followed by 32 hex digits")
			}
		}
		if cfg.APIBaseURL == "" {
			cfg.APIBaseURL = DefaultTwilioBaseURL
		}
	}
	if err := checkBaseURL(cfg.APIBaseURL); err != nil {
		bad("api_base_url", "%v", err)
	}
	cfg.APIBaseURL = strings.TrimRight(cfg.APIBaseURL, "/")
	return cfg, fes
}

// twilioSender normalizes a sender: a number becomes whatsapp:+E164, a Messaging
// Service SID stays as it is.
func twilioSender(s string) (string, bool) {
	if serviceSIDPattern.MatchString(s) {
		return s, true
	}
	n := strings.TrimPrefix(s, "whatsapp:")
	if e164Pattern.MatchString(n) {
		return "whatsapp:" + n, true
	}
	return "", false
}

// checkBaseURL accepts an absolute https URL, or http on a loopback address (fakes,
// local proxies), without query, fragment or credentials. Anything else could point
// a tenant's API calls, and their credentials, at the operator's internal network.
func checkBaseURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return fmt.Errorf("must be an absolute URL such as https://graph.facebook.com")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("must not have a query, fragment or credentials")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("must use https (http is allowed only on a loopback address)")
	default:
		return fmt.Errorf("must use https")
	}
}

// loopbackHost reports whether host (a URL's Hostname) is this machine.
func loopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return (ip != nil && ip.IsLoopback()) || host == "localhost"
}

// contentSID finds the Twilio Content SID for a template: "name:language" first,
// then "name".
func (c Config) contentSID(name, language string) (string, bool) {
	if language != "" {
		if sid, ok := c.ContentSIDs[name+":"+language]; ok {
			return sid, true
		}
	}
	sid, ok := c.ContentSIDs[name]
	return sid, ok
}
