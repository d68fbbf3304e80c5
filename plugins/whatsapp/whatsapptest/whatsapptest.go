// Package whatsapptest connects the whatsapp plugin to the provider fakes: connections
// whose config points at a cloudapitest or twiliotest server, signed webhook requests
// as those providers make them, and the plugin's conformance kits.
package whatsapptest

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
	"github.com/switchboardhq/switchboard/plugins/whatsapp"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/twiliotest"
)

// VerifyToken is the verify_token of CloudConfig.
const VerifyToken = "conformance-verify-token"

// Recipients the kits arm the fakes to fail for, one per error class.
const (
	TransientNumber   = "+15550109001"
	RateLimitedNumber = "+15550109002"
	PermanentNumber   = "+15550109003"
	AuthNumber        = "+15550109004"
)

// Customer is the number the kits' messages and webhooks use.
const Customer = "+15550100001"

// CloudConfig is a valid cloud config for srv.
func CloudConfig(srv *cloudapitest.Server) whatsapp.Config {
	o := srv.Options()
	return whatsapp.Config{
		PhoneNumberID: o.PhoneNumberID,
		WABAID:        o.WABAID,
		AccessToken:   o.AccessToken,
		AppSecret:     o.AppSecret,
		VerifyToken:   VerifyToken,
		APIBaseURL:    srv.URL(),
	}
}

// CloudConnection is a cloud connection to srv. Its WebhookURL is a placeholder; set
// it (and srv's webhook URL) to a real receiver for end-to-end tests.
func CloudConnection(srv *cloudapitest.Server) sdk.Connection {
	return sdk.Connection{
		ID:          "wa-cloud",
		WorkspaceID: "ws-whatsapp",
		Engine:      whatsapp.EngineCloud,
		Address:     "+" + srv.Options().DisplayPhoneNumber,
		Config:      CloudConfig(srv).JSON(),
		WebhookURL:  "https://switchboard.invalid/hooks/whatsapp/wa-cloud",
	}
}

// CloudConnectionFor is a cloud connection to srv's number phoneNumberID, the first
// (Options.PhoneNumberID) or one added with AddNumber: CloudConnection with that
// phone_number_id, the number's display number as Address, and ID
// "wa-cloud-<phoneNumberID>". Its config has the app's app secret, as every
// connection of one Meta app does. It panics for a number srv does not have.
func CloudConnectionFor(srv *cloudapitest.Server, phoneNumberID string) sdk.Connection {
	for _, n := range srv.Numbers() {
		if n.PhoneNumberID != phoneNumberID {
			continue
		}
		cfg := CloudConfig(srv)
		cfg.PhoneNumberID = n.PhoneNumberID
		conn := CloudConnection(srv)
		conn.ID = "wa-cloud-" + n.PhoneNumberID
		conn.Address = "+" + n.DisplayPhoneNumber
		conn.Config = cfg.JSON()
		conn.WebhookURL = "https://switchboard.invalid/hooks/whatsapp/" + conn.ID
		return conn
	}
	panic("whatsapptest: " + phoneNumberID + " is not one of the fake's numbers")
}

// TwilioConfig is a valid twilio config for srv; content_sids maps the names of
// srv's templates registered so far.
func TwilioConfig(srv *twiliotest.Server) whatsapp.Config {
	o := srv.Options()
	return whatsapp.Config{
		AccountSID: o.AccountSID,
		AuthToken:  o.AuthToken,
		Sender:     o.Senders[0],
		APIBaseURL: srv.URL(),
	}
}

// TwilioConnection is a twilio connection to srv (see CloudConnection about
// WebhookURL).
func TwilioConnection(srv *twiliotest.Server) sdk.Connection {
	return sdk.Connection{
		ID:          "wa-twilio",
		WorkspaceID: "ws-whatsapp",
		Engine:      whatsapp.EngineTwilio,
		Address:     srv.Options().Senders[0],
		Config:      TwilioConfig(srv).JSON(),
		WebhookURL:  "https://switchboard.invalid/hooks/whatsapp/wa-twilio",
	}
}

// CloudRequest is body as srv would post it to conn's webhook URL: signed with the
// app secret.
func CloudRequest(srv *cloudapitest.Server, conn sdk.Connection, body []byte) sdk.WebhookRequest {
	return sdk.WebhookRequest{Method: http.MethodPost, URL: conn.WebhookURL, Headers: srv.SignedHeader(body), Body: body}
}

// TwilioRequest is form as srv would post it to conn's webhook URL: signed over that
// URL with the auth token.
func TwilioRequest(srv *twiliotest.Server, conn sdk.Connection, form url.Values) sdk.WebhookRequest {
	return sdk.WebhookRequest{
		Method:  http.MethodPost,
		URL:     conn.WebhookURL,
		Headers: srv.SignedHeader(conn.WebhookURL, form),
		Body:    []byte(form.Encode()),
	}
}

// Manifest is the plugin's manifest.json template, for in-process runs.
func Manifest() *sdk.Manifest {
	m, err := sdk.ParseManifest(whatsapp.ManifestJSON())
	if err != nil {
		panic(err)
	}
	return &m
}

func trigger(class sdk.ErrorClass) sdk.OutboundMessage {
	to := map[sdk.ErrorClass]string{
		sdk.Transient:   TransientNumber,
		sdk.RateLimited: RateLimitedNumber,
		sdk.Permanent:   PermanentNumber,
		sdk.AuthFailed:  AuthNumber,
	}[class]
	return sdk.OutboundMessage{ID: "msg-fail-" + string(class), To: to, Type: sdk.TypeText, Text: "fail with " + string(class)}
}

func raw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// CloudKit is the conformance kit of the cloud engine against srv. It arms srv to fail
// sends to the trigger numbers (5xx, 130429, 131026, 190) and opens the window for
// Customer.
func CloudKit(srv *cloudapitest.Server) conformance.Kit {
	srv.FailTo(TransientNumber, cloudapitest.Failure(cloudapitest.CodeGeneric))
	srv.FailTo(RateLimitedNumber, cloudapitest.Failure(cloudapitest.CodeThroughput))
	srv.FailTo(PermanentNumber, cloudapitest.Failure(cloudapitest.CodeUndeliverable))
	srv.FailTo(AuthNumber, cloudapitest.Failure(cloudapitest.CodeAccessToken))
	srv.OpenWindow(Customer)
	cfg := CloudConfig(srv)
	with := func(edit func(*whatsapp.Config)) json.RawMessage {
		c := cfg
		edit(&c)
		return c.JSON()
	}
	return conformance.Kit{
		Manifest:   Manifest(),
		Connection: CloudConnection(srv),
		InvalidConfigs: []conformance.InvalidConfig{
			{Name: "empty", Config: json.RawMessage(`{}`), Field: "access_token"},
			{Name: "missing_app_secret", Config: with(func(c *whatsapp.Config) { c.AppSecret = "" }), Field: "app_secret"},
			{Name: "phone_number_not_an_id", Config: with(func(c *whatsapp.Config) { c.PhoneNumberID = "+1 555 0100" }), Field: "phone_number_id"},
			{Name: "bad_api_version", Config: with(func(c *whatsapp.Config) { c.APIVersion = "21" }), Field: "api_version"},
			{Name: "plain_http_base_url", Config: with(func(c *whatsapp.Config) { c.APIBaseURL = "http://169.254.169.254" }), Field: "api_base_url"},
			{Name: "unknown_field", Config: json.RawMessage(`{"phone_number":"1"}`), Field: "phone_number"},
			{Name: "token_rejected", Config: with(func(c *whatsapp.Config) { c.AccessToken = "EAAwrong" }), Field: "access_token"},
			{Name: "unknown_phone_number_id", Config: with(func(c *whatsapp.Config) { c.PhoneNumberID = "999999999" }), Field: "phone_number_id"},
			{Name: "unknown_waba_id", Config: with(func(c *whatsapp.Config) { c.WABAID = "888888888" }), Field: "waba_id"},
		},
		Message: sdk.OutboundMessage{ID: "msg-1", To: Customer, Type: sdk.TypeText, Text: "Hello from the conformance kit"},
		Trigger: trigger,
		SignedWebhook: func(conn sdk.Connection) sdk.WebhookRequest {
			return CloudRequest(srv, conn, CloudSampleBody(srv))
		},
		ForgedWebhook: func(conn sdk.Connection) sdk.WebhookRequest {
			req := CloudRequest(srv, conn, CloudSampleBody(srv))
			req.Headers[cloudapitest.SignatureHeader] = []string{cloudapitest.Sign("not-the-app-secret", req.Body)}
			return req
		},
	}
}

// CloudSampleBody is a webhook body with a contact, a text message and a delivered
// status, with fixed ids and times.
func CloudSampleBody(srv *cloudapitest.Server) []byte {
	o := srv.Options()
	return raw(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{
			"id": o.WABAID,
			"changes": []any{map[string]any{
				"field": "messages",
				"value": map[string]any{
					"messaging_product": "whatsapp",
					"metadata":          map[string]string{"display_phone_number": o.DisplayPhoneNumber, "phone_number_id": o.PhoneNumberID},
					"contacts":          []any{map[string]any{"profile": map[string]string{"name": "Ada"}, "wa_id": "15550100001"}},
					"messages": []any{map[string]any{
						"from": "15550100001", "id": "wamid.SAMPLE1", "timestamp": "1740830400",
						"type": "text", "text": map[string]string{"body": "Where is my order?"},
					}},
					"statuses": []any{map[string]any{
						"id": "wamid.SAMPLE0", "status": "delivered", "timestamp": "1740830399", "recipient_id": "15550100001",
					}},
				},
			}},
		}},
	})
}

// TwilioKit is the conformance kit of the twilio engine against srv. It arms srv to
// fail sends to the trigger numbers (5xx, 20429, 21211, 20003) and opens the window
// for Customer.
func TwilioKit(srv *twiliotest.Server) conformance.Kit {
	srv.FailTo(TransientNumber, twiliotest.Failure(twiliotest.CodeUnavailable))
	srv.FailTo(RateLimitedNumber, twiliotest.Failure(twiliotest.CodeTooManyRequests))
	srv.FailTo(PermanentNumber, twiliotest.Failure(twiliotest.CodeInvalidTo))
	srv.FailTo(AuthNumber, twiliotest.Failure(twiliotest.CodeAuthenticate))
	srv.OpenWindow(Customer)
	cfg := TwilioConfig(srv)
	with := func(edit func(*whatsapp.Config)) json.RawMessage {
		c := cfg
		edit(&c)
		return c.JSON()
	}
	return conformance.Kit{
		Manifest:   Manifest(),
		Connection: TwilioConnection(srv),
		InvalidConfigs: []conformance.InvalidConfig{
			{Name: "empty", Config: json.RawMessage(`{}`), Field: "account_sid"},
			{Name: "missing_auth_token", Config: with(func(c *whatsapp.Config) { c.AuthToken = "" }), Field: "auth_token"},
			{Name: "account_sid_format", Config: with(func(c *whatsapp.Config) { c.AccountSID = "AC123" }), Field: "account_sid"},
			{Name: "sender_not_whatsapp", Config: with(func(c *whatsapp.Config) { c.Sender = "hello" }), Field: "sender"},
			{Name: "content_sid_format", Config: with(func(c *whatsapp.Config) { c.ContentSIDs = map[string]string{"welcome": "HX1"} }), Field: "content_sids.welcome"},
			{Name: "token_rejected", Config: with(func(c *whatsapp.Config) { c.AuthToken = "wrong" }), Field: "auth_token"},
		},
		Message: sdk.OutboundMessage{ID: "msg-1", To: Customer, Type: sdk.TypeText, Text: "Hello from the conformance kit"},
		Trigger: trigger,
		SignedWebhook: func(conn sdk.Connection) sdk.WebhookRequest {
			return TwilioRequest(srv, conn, TwilioSampleForm(srv))
		},
		ForgedWebhook: func(conn sdk.Connection) sdk.WebhookRequest {
			req := TwilioRequest(srv, conn, TwilioSampleForm(srv))
			req.Headers[twiliotest.SignatureHeader] = []string{twiliotest.Signature("not-the-auth-token", conn.WebhookURL, TwilioSampleForm(srv))}
			return req
		},
	}
}

// TwilioSampleForm is an inbound text message form with a fixed sid.
func TwilioSampleForm(srv *twiliotest.Server) url.Values {
	return srv.InboundForm("SM"+"00000000000000000000000000000001", twiliotest.Inbound{
		From: Customer, Name: "Ada", Text: "Where is my order?",
	})
}
