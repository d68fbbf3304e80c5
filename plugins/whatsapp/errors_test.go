package whatsapp

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		engine     string
		status     int
		code       int
		retryAfter string // Retry-After header
		class      sdk.ErrorClass
		reason     string // exact, when set
		wantRetry  time.Duration
	}{
		// Cloud.
		{name: "throughput 130429", engine: EngineCloud, status: 429, code: 130429, class: sdk.RateLimited, wantRetry: time.Second},
		{name: "throughput 130429 on HTTP 400", engine: EngineCloud, status: 400, code: 130429, class: sdk.RateLimited, wantRetry: time.Second},
		{name: "130429 with Retry-After", engine: EngineCloud, status: 429, code: 130429, retryAfter: "7", class: sdk.RateLimited, wantRetry: 7 * time.Second},
		{name: "Retry-After clamped up", engine: EngineCloud, status: 429, code: 130429, retryAfter: "0", class: sdk.RateLimited, wantRetry: MinRetryAfter},
		{name: "Retry-After clamped down", engine: EngineCloud, status: 429, code: 130429, retryAfter: "86400", class: sdk.RateLimited, wantRetry: MaxRetryAfter},
		{name: "Retry-After garbage uses default", engine: EngineCloud, status: 429, code: 80007, retryAfter: "soon", class: sdk.RateLimited, wantRetry: time.Minute},
		{name: "WABA limit 80007", engine: EngineCloud, status: 400, code: 80007, class: sdk.RateLimited, wantRetry: time.Minute},
		{name: "app limit 4", engine: EngineCloud, status: 400, code: 4, class: sdk.RateLimited, wantRetry: time.Minute},
		{name: "pair limit 131056", engine: EngineCloud, status: 400, code: 131056, class: sdk.RateLimited, wantRetry: 6 * time.Second},
		{name: "bare 429", engine: EngineCloud, status: 429, class: sdk.RateLimited, wantRetry: DefaultRetryAfter},
		{name: "window 131047", engine: EngineCloud, status: 400, code: 131047, class: sdk.Permanent, reason: ReasonOutsideWindow},
		{name: "undeliverable 131026", engine: EngineCloud, status: 400, code: 131026, class: sdk.Permanent, reason: ReasonUndeliverable},
		{name: "template params 132000", engine: EngineCloud, status: 400, code: 132000, class: sdk.Permanent, reason: ReasonTemplateParams + ": boom"},
		{name: "template missing 132001", engine: EngineCloud, status: 404, code: 132001, class: sdk.Permanent, reason: ReasonTemplateMissing},
		{name: "bad parameter 100", engine: EngineCloud, status: 400, code: 100, class: sdk.Permanent, reason: "invalid parameter: boom"},
		{name: "token 190", engine: EngineCloud, status: 401, code: 190, class: sdk.AuthFailed},
		{name: "token 190 on HTTP 400", engine: EngineCloud, status: 400, code: 190, class: sdk.AuthFailed},
		{name: "permission 10", engine: EngineCloud, status: 403, code: 10, class: sdk.AuthFailed},
		{name: "permission 200 range", engine: EngineCloud, status: 403, code: 294, class: sdk.AuthFailed},
		{name: "something went wrong 131000", engine: EngineCloud, status: 500, code: 131000, class: sdk.Transient},
		{name: "service down 131016", engine: EngineCloud, status: 503, code: 131016, class: sdk.Transient},
		{name: "unknown code on 5xx", engine: EngineCloud, status: 502, code: 999999, class: sdk.Transient},
		{name: "permanent code on 5xx is retried", engine: EngineCloud, status: 500, code: 100, class: sdk.Transient},
		{name: "unknown code on 4xx", engine: EngineCloud, status: 400, code: 999999, class: sdk.Permanent, reason: "provider rejected the message: boom"},
		{name: "no body on 401", engine: EngineCloud, status: 401, class: sdk.AuthFailed},
		{name: "no body on 408", engine: EngineCloud, status: 408, class: sdk.Transient},
		{name: "no answer", engine: EngineCloud, status: 0, class: sdk.Transient},

		// Twilio.
		{name: "twilio 20429", engine: EngineTwilio, status: 429, code: 20429, class: sdk.RateLimited, wantRetry: time.Second},
		{name: "twilio 20429 with Retry-After date", engine: EngineTwilio, status: 429, code: 20429, retryAfter: "Mon, 01 Jan 2024 00:00:00 GMT", class: sdk.RateLimited, wantRetry: MinRetryAfter},
		{name: "twilio 63018", engine: EngineTwilio, status: 400, code: 63018, class: sdk.RateLimited, wantRetry: time.Minute},
		{name: "twilio 20003", engine: EngineTwilio, status: 401, code: 20003, class: sdk.AuthFailed},
		{name: "twilio 21211", engine: EngineTwilio, status: 400, code: 21211, class: sdk.Permanent, reason: ReasonInvalidNumber},
		{name: "twilio 21614", engine: EngineTwilio, status: 400, code: 21614, class: sdk.Permanent, reason: ReasonInvalidNumber + ": not a mobile number"},
		{name: "twilio 63016", engine: EngineTwilio, status: 400, code: 63016, class: sdk.Permanent, reason: ReasonOutsideWindow},
		{name: "twilio 21656", engine: EngineTwilio, status: 400, code: 21656, class: sdk.Permanent},
		{name: "twilio 63007", engine: EngineTwilio, status: 400, code: 63007, class: sdk.AuthFailed},
		{name: "twilio 20500", engine: EngineTwilio, status: 500, code: 20500, class: sdk.Transient},
		{name: "twilio 503 no body", engine: EngineTwilio, status: 503, class: sdk.Transient},
		{name: "twilio cloud code means nothing", engine: EngineTwilio, status: 400, code: 131047, class: sdk.Permanent, reason: "provider rejected the message: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			e := classify(tt.engine, tt.status, tt.code, "boom", h)
			if e.Class != tt.class {
				t.Errorf("class = %q (%v), want %q", e.Class, e, tt.class)
			}
			if tt.code != 0 && e.Code != strconv.Itoa(tt.code) {
				t.Errorf("code = %q, want %d", e.Code, tt.code)
			}
			if e.Reason == "" || (tt.reason != "" && e.Reason != tt.reason) {
				t.Errorf("reason = %q, want %q", e.Reason, tt.reason)
			}
			if tt.class == sdk.RateLimited {
				if e.RetryAfter != tt.wantRetry {
					t.Errorf("retry after = %v, want %v", e.RetryAfter, tt.wantRetry)
				}
			} else if e.RetryAfter != 0 {
				t.Errorf("retry after = %v on a %s error", e.RetryAfter, e.Class)
			}
		})
	}
}

// TestTwilioSignatureVector checks the documented example (PROTOCOLS.md).
func TestTwilioSignatureVector(t *testing.T) {
	t.Parallel()
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	const want = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
	if got := base64.StdEncoding.EncodeToString(twilioSignature("12345", u, params)); got != want {
		t.Errorf("twilioSignature = %s, want %s", got, want)
	}
	if !validTwilioSignature("12345", u, params, want) {
		t.Errorf("validTwilioSignature refused the known vector")
	}
	if validTwilioSignature("12346", u, params, want) {
		t.Errorf("validTwilioSignature accepted the vector with another token")
	}
	params.Set("Digits", "1235")
	if validTwilioSignature("12345", u, params, want) {
		t.Errorf("validTwilioSignature accepted changed params")
	}
}

func TestTwilioSignaturePortVariants(t *testing.T) {
	t.Parallel()
	params := url.Values{"MessageSid": {"SM1"}}
	signedWithPort := base64.StdEncoding.EncodeToString(twilioSignature("tok", "https://example.com:443/hooks?x=1", params))
	if !validTwilioSignature("tok", "https://example.com/hooks?x=1", params, signedWithPort) {
		t.Errorf("a signature over the URL with :443 should match the URL without it")
	}
	signedWithout := base64.StdEncoding.EncodeToString(twilioSignature("tok", "https://example.com/hooks", params))
	if !validTwilioSignature("tok", "https://example.com:443/hooks", params, signedWithout) {
		t.Errorf("a signature over the URL without a port should match the URL with :443")
	}
	if validTwilioSignature("tok", "https://example.com:8443/hooks", params, signedWithout) {
		t.Errorf("a non-default port must not be dropped")
	}
}

func TestE164(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"whatsapp:+15550100": "+15550100",
		"15550100":           "+15550100",
		" +1 555-0100 ":      "+15550100",
		"":                   "",
		"whatsapp:":          "",
		"abc":                "",
	} {
		if got := e164(in); got != want {
			t.Errorf("e164(%q) = %q, want %q", in, got, want)
		}
	}
}
