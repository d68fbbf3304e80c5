package whatsapp_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/whatsapp"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/twiliotest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/whatsapptest"
)

var updateFuzzSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz seed corpora from the webhook fixtures")

// The fixtures' fake: fixed ids, so bodies and the fuzz seeds are stable.
var (
	fixtureCloud  = cloudapitest.New(cloudapitest.Options{})
	fixtureTwilio = twiliotest.New(twiliotest.Options{})
)

const (
	fixturePhoneID = cloudapitest.DefaultPhoneNumberID
	fixtureDisplay = cloudapitest.DefaultDisplayPhoneNumber
	ts             = "1740830400"
)

var tsTime = time.Unix(1740830400, 0).UTC()

// cloudBody wraps a change value's messages/statuses/contacts (JSON object members)
// in a webhook envelope for the fixture number.
func cloudBody(members string) []byte {
	return []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{` +
		`"messaging_product":"whatsapp","metadata":{"display_phone_number":"` + fixtureDisplay + `","phone_number_id":"` + fixturePhoneID + `"},` +
		members + `}}]}]}`)
}

func contact(name, waID string) string {
	return `"contacts":[{"profile":{"name":"` + name + `"},"wa_id":"` + waID + `"}]`
}

func inMsg(id, typ, rest string) string {
	return `{"from":"15550100001","id":"` + id + `","timestamp":"` + ts + `","type":"` + typ + `"` + rest + `}`
}

func msgEvent(m sdk.InboundMessage) sdk.Event {
	if m.From == "" {
		m.From = customer
	}
	m.To = "+" + fixtureDisplay
	if m.Timestamp.IsZero() {
		m.Timestamp = tsTime
	}
	return sdk.Event{Type: sdk.EventMessage, Message: &m}
}

func contactEvent(addr, name string) sdk.Event {
	return sdk.Event{Type: sdk.EventContact, Contact: &sdk.Contact{Address: addr, Name: name}}
}

func statusEvent(u sdk.StatusUpdate) sdk.Event {
	if u.Timestamp.IsZero() {
		u.Timestamp = tsTime
	}
	return sdk.Event{Type: sdk.EventStatus, Status: &u}
}

const graphMedia = "https://graph.facebook.com/v21.0/"

// cloudFixtures are webhook bodies of every kind with the events they carry.
var cloudFixtures = []struct {
	name   string
	body   []byte
	events []sdk.Event
}{
	{"text", cloudBody(contact("Ada", "15550100001") + `,"messages":[` + inMsg("wamid.T1", "text", `,"text":{"body":"Hi there"}`) + `]`),
		[]sdk.Event{contactEvent(customer, "Ada"), msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.T1", Type: "text", Text: "Hi there"})}},
	{"text_reply", cloudBody(`"messages":[` + inMsg("wamid.T2", "text", `,"context":{"from":"`+fixtureDisplay+`","id":"wamid.OUT1"},"text":{"body":"Yes"}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.T2", Type: "text", Text: "Yes", ReplyTo: "wamid.OUT1"})}},
	{"image", cloudBody(`"messages":[` + inMsg("wamid.I1", "image", `,"image":{"id":"1001","mime_type":"image/jpeg","sha256":"abc","caption":"My receipt"}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.I1", Type: "image", Text: "My receipt", Media: &sdk.Media{URL: graphMedia + "1001", MIMEType: "image/jpeg", Caption: "My receipt"}})}},
	{"video", cloudBody(`"messages":[` + inMsg("wamid.V1", "video", `,"video":{"id":"1002","mime_type":"video/mp4"}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.V1", Type: "video", Media: &sdk.Media{URL: graphMedia + "1002", MIMEType: "video/mp4"}})}},
	{"audio_voice", cloudBody(`"messages":[` + inMsg("wamid.A1", "audio", `,"audio":{"id":"1003","mime_type":"audio/ogg; codecs=opus","voice":true}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.A1", Type: "audio", Media: &sdk.Media{URL: graphMedia + "1003", MIMEType: "audio/ogg; codecs=opus"}})}},
	{"document", cloudBody(`"messages":[` + inMsg("wamid.D1", "document", `,"document":{"id":"1004","mime_type":"application/pdf","filename":"invoice.pdf","caption":"Invoice"}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.D1", Type: "document", Text: "Invoice", Media: &sdk.Media{URL: graphMedia + "1004", MIMEType: "application/pdf", Filename: "invoice.pdf", Caption: "Invoice"}})}},
	{"sticker", cloudBody(`"messages":[` + inMsg("wamid.S1", "sticker", `,"sticker":{"id":"1005","mime_type":"image/webp","animated":false}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.S1", Type: "sticker", Media: &sdk.Media{URL: graphMedia + "1005", MIMEType: "image/webp"}})}},
	{"location", cloudBody(`"messages":[` + inMsg("wamid.L1", "location", `,"location":{"latitude":52.52,"longitude":13.405,"name":"Office","address":"Unter den Linden 1"}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.L1", Type: "location", Location: &sdk.Location{Latitude: 52.52, Longitude: 13.405, Name: "Office", Address: "Unter den Linden 1"}})}},
	{"reaction", cloudBody(`"messages":[` + inMsg("wamid.R1", "reaction", `,"reaction":{"message_id":"wamid.OUT2","emoji":"👍"}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.R1", Type: "reaction", Text: "👍", ReplyTo: "wamid.OUT2"})}},
	{"button", cloudBody(`"messages":[` + inMsg("wamid.B1", "button", `,"context":{"from":"`+fixtureDisplay+`","id":"wamid.TPL1"},"button":{"text":"Stop promotions","payload":"STOP"}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.B1", Type: "button", Text: "Stop promotions", ReplyTo: "wamid.TPL1"})}},
	{"interactive_button_reply", cloudBody(`"messages":[` + inMsg("wamid.IB1", "interactive", `,"interactive":{"type":"button_reply","button_reply":{"id":"yes","title":"Yes please"}}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.IB1", Type: "interactive", Text: "Yes please"})}},
	{"interactive_list_reply", cloudBody(`"messages":[` + inMsg("wamid.IL1", "interactive", `,"interactive":{"type":"list_reply","list_reply":{"id":"s1","title":"Small","description":"250 ml"}}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.IL1", Type: "interactive", Text: "Small"})}},
	{"contacts", cloudBody(`"messages":[` + inMsg("wamid.C1", "contacts", `,"contacts":[{"name":{"formatted_name":"Grace Hopper","first_name":"Grace"},"phones":[{"phone":"+1 555 0100 002","wa_id":"15550100002","type":"CELL"}]}]`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.C1", Type: "contacts", Text: "Grace Hopper +1 555 0100 002"})}},
	{"order_is_unsupported", cloudBody(`"messages":[` + inMsg("wamid.O1", "order", `,"order":{"catalog_id":"1","product_items":[]}`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.O1", Type: "unsupported"})}},
	{"unsupported_with_error", cloudBody(`"messages":[` + inMsg("wamid.U1", "unsupported", `,"errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown"}]`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.U1", Type: "unsupported", Text: "Message type unknown"})}},
	{"known_type_bad_payload", cloudBody(`"messages":[` + inMsg("wamid.K1", "image", `,"image":"not-an-object"`) + `]`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.K1", Type: "unsupported"})}},
	{"statuses", cloudBody(`"statuses":[` +
		`{"id":"wamid.OUT1","status":"sent","timestamp":"` + ts + `","recipient_id":"15550100001","conversation":{"id":"c1","origin":{"type":"service"}},"pricing":{"billable":true,"pricing_model":"PMP","category":"service"}},` +
		`{"id":"wamid.OUT1","status":"read","timestamp":"` + ts + `","recipient_id":"15550100001"},` +
		`{"id":"wamid.OUT1","status":"delivered","timestamp":"` + ts + `","recipient_id":"15550100001"}]`),
		[]sdk.Event{
			statusEvent(sdk.StatusUpdate{ProviderMessageID: "wamid.OUT1", Status: "sent", Recipient: customer}),
			statusEvent(sdk.StatusUpdate{ProviderMessageID: "wamid.OUT1", Status: "read", Recipient: customer}),
			statusEvent(sdk.StatusUpdate{ProviderMessageID: "wamid.OUT1", Status: "delivered", Recipient: customer}),
		}},
	{"status_failed", cloudBody(`"statuses":[{"id":"wamid.OUT3","status":"failed","timestamp":"` + ts + `","recipient_id":"15550100001",` +
		`"errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message","error_data":{"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}]}]`),
		[]sdk.Event{statusEvent(sdk.StatusUpdate{ProviderMessageID: "wamid.OUT3", Status: "failed", Recipient: customer, ErrorCode: "131047", ErrorReason: whatsapp.ReasonOutsideWindow})}},
	{"status_failed_unknown_code", cloudBody(`"statuses":[{"id":"wamid.OUT4","status":"failed","timestamp":"` + ts + `","recipient_id":"15550100001",` +
		`"errors":[{"code":131999,"title":"Odd failure","error_data":{"details":"more"}}]}]`),
		[]sdk.Event{statusEvent(sdk.StatusUpdate{ProviderMessageID: "wamid.OUT4", Status: "failed", Recipient: customer, ErrorCode: "131999", ErrorReason: "Odd failure: more"})}},
	{"several_events", cloudBody(`"contacts":[{"profile":{"name":"Ada"},"wa_id":"15550100001"},{"profile":{"name":"Grace"},"wa_id":"15550100002"}],` +
		`"messages":[` + inMsg("wamid.M1", "text", `,"text":{"body":"one"}`) + `,{"from":"15550100002","id":"wamid.M2","timestamp":"` + ts + `","type":"text","text":{"body":"two"}}],` +
		`"statuses":[{"id":"wamid.OUT5","status":"delivered","timestamp":"` + ts + `","recipient_id":"15550100002"}]`),
		[]sdk.Event{
			contactEvent(customer, "Ada"), contactEvent("+15550100002", "Grace"),
			msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.M1", Type: "text", Text: "one"}),
			msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.M2", From: "+15550100002", Type: "text", Text: "two"}),
			statusEvent(sdk.StatusUpdate{ProviderMessageID: "wamid.OUT5", Status: "delivered", Recipient: "+15550100002"}),
		}},
	{"other_number_and_other_field", []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[` +
		`{"field":"messages","value":{"metadata":{"display_phone_number":"15559999999","phone_number_id":"999"},"messages":[` + inMsg("wamid.X1", "text", `,"text":{"body":"not ours"}`) + `]}},` +
		`{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":12,"message_template_name":"x","message_template_language":"en_US","reason":null}},` +
		`{"field":"messages","value":{"metadata":{"display_phone_number":"` + fixtureDisplay + `","phone_number_id":"` + fixturePhoneID + `"},"messages":[` + inMsg("wamid.X2", "text", `,"text":{"body":"ours"}`) + `]}}]}]}`),
		[]sdk.Event{msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.X2", Type: "text", Text: "ours"})}},
	{"no_changes", []byte(`{"object":"whatsapp_business_account","entry":[]}`), []sdk.Event{}},
}

// stripRaw returns events without Raw (checked separately) for comparison.
func stripRaw(events []sdk.Event) []sdk.Event {
	out := make([]sdk.Event, len(events))
	for i, e := range events {
		e.Raw = nil
		out[i] = e
	}
	return out
}

func eventsJSON(t *testing.T, events []sdk.Event) string {
	t.Helper()
	b, err := json.MarshalIndent(events, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCloudWebhookTypes(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	conn := whatsapptest.CloudConnection(fixtureCloud)
	for _, fx := range cloudFixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			resp, events, err := ch.HandleWebhook(ctx(t), conn, whatsapptest.CloudRequest(fixtureCloud, conn, fx.body))
			if err != nil || resp.Status != http.StatusOK {
				t.Fatalf("HandleWebhook = %d %s, %v", resp.Status, resp.Body, err)
			}
			if got := stripRaw(events); !reflect.DeepEqual(got, fx.events) {
				t.Errorf("events:\n%s\nwant:\n%s", eventsJSON(t, got), eventsJSON(t, fx.events))
			}
			// Another number's change is that number's connection's (see
			// TestCloudWebhookOtherNumbers).
			var others []string
			if fx.name == "other_number_and_other_field" {
				others = []string{"+15559999999"}
			}
			if !reflect.DeepEqual(resp.OtherAddresses, others) {
				t.Errorf("OtherAddresses = %q, want %q", resp.OtherAddresses, others)
			}
			for i, e := range events {
				if e.Type == sdk.EventContact {
					continue
				}
				if !json.Valid(e.Raw) || !bytes.Contains(fx.body, compactJSON(t, e.Raw)) {
					t.Errorf("event %d raw %s is not its payload from the body", i, e.Raw)
				}
			}
		})
	}
}

func compactJSON(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("raw %s: %v", b, err)
	}
	return buf.Bytes()
}

func TestCloudWebhookRefused(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	conn := whatsapptest.CloudConnection(fixtureCloud)
	good := cloudFixtures[0].body
	signed := func(body []byte) sdk.WebhookRequest { return whatsapptest.CloudRequest(fixtureCloud, conn, body) }
	withSig := func(body []byte, sig string) sdk.WebhookRequest {
		r := signed(body)
		r.Headers[cloudapitest.SignatureHeader] = []string{sig}
		return r
	}
	noSecret := conn
	cfg := whatsapptest.CloudConfig(fixtureCloud)
	cfg.AppSecret = ""
	noSecret.Config = cfg.JSON()
	lowercase := signed(good)
	lowercase.Headers = map[string][]string{"x-hub-signature-256": lowercase.Headers[cloudapitest.SignatureHeader]}

	tests := []struct {
		name   string
		conn   sdk.Connection
		req    sdk.WebhookRequest
		status int
	}{
		{"missing_signature", conn, sdk.WebhookRequest{Method: "POST", URL: conn.WebhookURL, Body: good}, 401},
		{"forged_signature", conn, withSig(good, cloudapitest.Sign("wrong-secret", good)), 401},
		{"signature_without_prefix", conn, withSig(good, strings.TrimPrefix(cloudapitest.Sign(cloudapitest.DefaultAppSecret, good), "sha256=")), 401},
		{"signature_not_hex", conn, withSig(good, "sha256=zz"), 401},
		{"tampered_body", conn, withSig(append(bytes.Clone(good), ' '), cloudapitest.Sign(cloudapitest.DefaultAppSecret, good)), 401},
		{"no_app_secret_configured", noSecret, signed(good), 401},
		{"malformed_json", conn, signed([]byte(`{"object":"whatsapp_business_account","entry":[`)), 400},
		{"wrong_shape", conn, signed([]byte(`{"object":"whatsapp_business_account","entry":"x"}`)), 400},
		{"wrong_object", conn, signed([]byte(`{"object":"page","entry":[]}`)), 400},
		{"message_without_id", conn, signed(cloudBody(`"messages":[{"from":"1","type":"text"}]`)), 400},
		{"status_bad_shape", conn, signed(cloudBody(`"statuses":[{"id":"w","errors":[{"code":"x"}]}]`)), 400},
		{"oversize", conn, signed(append(bytes.Repeat([]byte(" "), whatsapp.MaxWebhookBody), good...)), 413},
		{"wrong_method", conn, sdk.WebhookRequest{Method: "PUT", URL: conn.WebhookURL, Body: good}, 405},
		{"lowercase_header_accepted", conn, lowercase, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, events, err := ch.HandleWebhook(ctx(t), tt.conn, tt.req)
			if err != nil {
				t.Fatalf("HandleWebhook: %v", err)
			}
			if resp.Status != tt.status {
				t.Errorf("status = %d (%s), want %d", resp.Status, resp.Body, tt.status)
			}
			if tt.status != 200 && len(events) != 0 {
				t.Errorf("%d events on a refused request", len(events))
			}
		})
	}
}

func TestCloudWebhookVerify(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	conn := whatsapptest.CloudConnection(fixtureCloud)
	get := func(q string) sdk.WebhookResponse {
		resp, events, err := ch.HandleWebhook(ctx(t), conn, sdk.WebhookRequest{Method: "GET", URL: conn.WebhookURL + "?" + q})
		if err != nil || len(events) != 0 {
			t.Fatalf("HandleWebhook(GET %s) = %v events, %v", q, events, err)
		}
		return resp
	}
	ok := get("hub.mode=subscribe&hub.verify_token=" + whatsapptest.VerifyToken + "&hub.challenge=1158201444")
	if ok.Status != 200 || string(ok.Body) != "1158201444" {
		t.Errorf("verify = %d %q, want 200 with the challenge", ok.Status, ok.Body)
	}
	for _, q := range []string{
		"hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
		"hub.mode=unsubscribe&hub.verify_token=" + whatsapptest.VerifyToken + "&hub.challenge=1",
		"hub.mode=subscribe&hub.challenge=1",
		"hub.mode=subscribe&hub.verify_token=" + whatsapptest.VerifyToken,
		"",
	} {
		if r := get(q); r.Status != 403 {
			t.Errorf("verify ?%s = %d, want 403", q, r.Status)
		}
	}
}

// twilioFixtures are Twilio webhook forms with the events they carry.
var twilioFixtures = []struct {
	name   string
	form   url.Values
	events []sdk.Event
}{
	{"text", fixtureTwilio.InboundForm("SM"+strings.Repeat("1", 32), twiliotest.Inbound{From: customer, Name: "Ada", Text: "Hi there"}),
		[]sdk.Event{contactEvent(customer, "Ada"), twEvent(sdk.InboundMessage{ProviderMessageID: "SM" + strings.Repeat("1", 32), Type: "text", Text: "Hi there"})}},
	{"reply", fixtureTwilio.InboundForm("SM2", twiliotest.Inbound{From: customer, Name: "Ada", Text: "Yes", ReplyTo: "SMout"}),
		[]sdk.Event{contactEvent(customer, "Ada"), twEvent(sdk.InboundMessage{ProviderMessageID: "SM2", Type: "text", Text: "Yes", ReplyTo: "SMout"})}},
	{"media", fixtureTwilio.InboundForm("MM3", twiliotest.Inbound{From: customer, Name: "Ada", Text: "Receipt",
		MediaURLs:  []string{"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM3/Media/ME1", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM3/Media/ME2"},
		MediaTypes: []string{"image/jpeg", "application/pdf"}}),
		[]sdk.Event{
			contactEvent(customer, "Ada"),
			twEvent(sdk.InboundMessage{ProviderMessageID: "MM3", Type: "image", Text: "Receipt", Media: &sdk.Media{URL: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM3/Media/ME1", MIMEType: "image/jpeg", Caption: "Receipt"}}),
			twEvent(sdk.InboundMessage{ProviderMessageID: "MM3#1", Type: "document", ReplyTo: "MM3", Media: &sdk.Media{URL: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM3/Media/ME2", MIMEType: "application/pdf"}}),
		}},
	{"location", fixtureTwilio.InboundForm("SM4", twiliotest.Inbound{From: customer, Name: "Ada", Fields: url.Values{
		"Latitude": {"52.52"}, "Longitude": {"13.405"}, "Label": {"Office"}, "Address": {"Unter den Linden 1"}, "MessageType": {"location"}}}),
		[]sdk.Event{contactEvent(customer, "Ada"), twEvent(sdk.InboundMessage{ProviderMessageID: "SM4", Type: "location", Location: &sdk.Location{Latitude: 52.52, Longitude: 13.405, Name: "Office", Address: "Unter den Linden 1"}})}},
	{"button", fixtureTwilio.InboundForm("SM5", twiliotest.Inbound{From: customer, Name: "Ada", Text: "Stop promotions", Fields: url.Values{
		"ButtonText": {"Stop promotions"}, "ButtonPayload": {"STOP"}, "MessageType": {"button"}}}),
		[]sdk.Event{contactEvent(customer, "Ada"), twEvent(sdk.InboundMessage{ProviderMessageID: "SM5", Type: "button", Text: "Stop promotions"})}},
	{"unknown_type", fixtureTwilio.InboundForm("SM6", twiliotest.Inbound{From: customer, Name: "Ada", Fields: url.Values{"MessageType": {"reaction"}}}),
		[]sdk.Event{contactEvent(customer, "Ada"), twEvent(sdk.InboundMessage{ProviderMessageID: "SM6", Type: "unsupported"})}},
	{"status_delivered", fixtureTwilio.StatusForm(twiliotest.Message{SID: "SM7", To: "whatsapp:+15550100001", From: twiliotest.DefaultSender}, twiliotest.Step{Status: "delivered"}),
		[]sdk.Event{{Type: sdk.EventStatus, Status: &sdk.StatusUpdate{ProviderMessageID: "SM7", Status: "delivered", Recipient: customer}}}},
	{"status_read", fixtureTwilio.StatusForm(twiliotest.Message{SID: "SM7", To: "whatsapp:+15550100001", From: twiliotest.DefaultSender}, twiliotest.Step{Status: "read"}),
		[]sdk.Event{{Type: sdk.EventStatus, Status: &sdk.StatusUpdate{ProviderMessageID: "SM7", Status: "read", Recipient: customer}}}},
	{"status_undelivered", fixtureTwilio.StatusForm(twiliotest.Message{SID: "SM8", To: "whatsapp:+15550100001", From: twiliotest.DefaultSender}, twiliotest.Step{Status: "undelivered", ErrorCode: 63016}),
		[]sdk.Event{{Type: sdk.EventStatus, Status: &sdk.StatusUpdate{ProviderMessageID: "SM8", Status: "failed", Recipient: customer, ErrorCode: "63016", ErrorReason: whatsapp.ReasonOutsideWindow}}}},
	{"status_failed_unknown_code", fixtureTwilio.StatusForm(twiliotest.Message{SID: "SM9", To: "whatsapp:+15550100001", From: twiliotest.DefaultSender}, twiliotest.Step{Status: "failed", ErrorCode: 12345}),
		[]sdk.Event{{Type: sdk.EventStatus, Status: &sdk.StatusUpdate{ProviderMessageID: "SM9", Status: "failed", Recipient: customer, ErrorCode: "12345", ErrorReason: "error 12345"}}}},
	{"status_queued_is_silent", fixtureTwilio.StatusForm(twiliotest.Message{SID: "SM10", To: "whatsapp:+15550100001", From: twiliotest.DefaultSender}, twiliotest.Step{Status: "queued"}),
		[]sdk.Event{}},
}

func twEvent(m sdk.InboundMessage) sdk.Event {
	m.From, m.To = customer, "+14155238886"
	return sdk.Event{Type: sdk.EventMessage, Message: &m}
}

func TestTwilioWebhookTypes(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	conn := whatsapptest.TwilioConnection(fixtureTwilio)
	for _, fx := range twilioFixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			resp, events, err := ch.HandleWebhook(ctx(t), conn, whatsapptest.TwilioRequest(fixtureTwilio, conn, fx.form))
			if err != nil || resp.Status != http.StatusOK {
				t.Fatalf("HandleWebhook = %d %s, %v", resp.Status, resp.Body, err)
			}
			if !strings.Contains(string(resp.Body), "<Response></Response>") {
				t.Errorf("response body %q, want empty TwiML", resp.Body)
			}
			if got := stripRaw(events); !reflect.DeepEqual(got, fx.events) {
				t.Errorf("events:\n%s\nwant:\n%s", eventsJSON(t, got), eventsJSON(t, fx.events))
			}
			// Another number's change is that number's connection's (see
			// TestCloudWebhookOtherNumbers).
			var others []string
			if fx.name == "other_number_and_other_field" {
				others = []string{"+15559999999"}
			}
			if !reflect.DeepEqual(resp.OtherAddresses, others) {
				t.Errorf("OtherAddresses = %q, want %q", resp.OtherAddresses, others)
			}
			for i, e := range events {
				var raw map[string]string
				if e.Type != sdk.EventContact && (json.Unmarshal(e.Raw, &raw) != nil || raw["MessageSid"] != fx.form.Get("MessageSid")) {
					t.Errorf("event %d raw %s, want the form", i, e.Raw)
				}
			}
		})
	}
}

func TestTwilioWebhookRefused(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	conn := whatsapptest.TwilioConnection(fixtureTwilio)
	form := twilioFixtures[0].form
	good := whatsapptest.TwilioRequest(fixtureTwilio, conn, form)
	edit := func(f func(r *sdk.WebhookRequest)) sdk.WebhookRequest {
		r := good
		r.Headers = map[string][]string{}
		for k, v := range good.Headers {
			r.Headers[k] = v
		}
		f(&r)
		return r
	}
	tests := []struct {
		name   string
		req    sdk.WebhookRequest
		status int
	}{
		{"missing_signature", edit(func(r *sdk.WebhookRequest) { delete(r.Headers, twiliotest.SignatureHeader) }), 401},
		{"forged_signature", edit(func(r *sdk.WebhookRequest) {
			r.Headers[twiliotest.SignatureHeader] = []string{twiliotest.Signature("wrong", conn.WebhookURL, form)}
		}), 401},
		{"signature_for_another_url", edit(func(r *sdk.WebhookRequest) {
			r.Headers[twiliotest.SignatureHeader] = []string{twiliotest.Signature(twiliotest.DefaultAuthToken, "https://evil.example/hooks", form)}
		}), 401},
		{"tampered_body", edit(func(r *sdk.WebhookRequest) { r.Body = []byte(strings.Replace(string(r.Body), "Hi", "Yo", 1)) }), 401},
		{"signature_not_base64", edit(func(r *sdk.WebhookRequest) { r.Headers[twiliotest.SignatureHeader] = []string{"%%%"} }), 401},
		{"no_url", edit(func(r *sdk.WebhookRequest) { r.URL = "" }), 401},
		{"malformed_form", edit(func(r *sdk.WebhookRequest) { r.Body = []byte("a=%zz") }), 400},
		{"no_message_sid", whatsapptest.TwilioRequest(fixtureTwilio, conn, url.Values{"Body": {"hi"}}), 400},
		{"oversize", edit(func(r *sdk.WebhookRequest) { r.Body = bytes.Repeat([]byte("a"), whatsapp.MaxWebhookBody+1) }), 413},
		{"get", edit(func(r *sdk.WebhookRequest) { r.Method = "GET" }), 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, events, err := ch.HandleWebhook(ctx(t), conn, tt.req)
			if err != nil {
				t.Fatalf("HandleWebhook: %v", err)
			}
			if resp.Status != tt.status || len(events) != 0 {
				t.Errorf("status = %d (%s) with %d events, want %d and none", resp.Status, resp.Body, len(events), tt.status)
			}
		})
	}
}

// TestWebhookReplay: a replayed request gives the same events, field for field.
func TestWebhookReplay(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	cloud := whatsapptest.CloudConnection(fixtureCloud)
	tw := whatsapptest.TwilioConnection(fixtureTwilio)
	var reqs []struct {
		conn sdk.Connection
		req  sdk.WebhookRequest
	}
	for _, fx := range cloudFixtures {
		reqs = append(reqs, struct {
			conn sdk.Connection
			req  sdk.WebhookRequest
		}{cloud, whatsapptest.CloudRequest(fixtureCloud, cloud, fx.body)})
	}
	for _, fx := range twilioFixtures {
		reqs = append(reqs, struct {
			conn sdk.Connection
			req  sdk.WebhookRequest
		}{tw, whatsapptest.TwilioRequest(fixtureTwilio, tw, fx.form)})
	}
	for i, r := range reqs {
		_, first, err1 := ch.HandleWebhook(ctx(t), r.conn, r.req)
		_, second, err2 := ch.HandleWebhook(ctx(t), r.conn, r.req)
		if err1 != nil || err2 != nil {
			t.Fatalf("request %d: %v, %v", i, err1, err2)
		}
		if a, b := eventsJSON(t, first), eventsJSON(t, second); a != b {
			t.Errorf("request %d parsed twice differently:\n%s\n%s", i, a, b)
		}
	}
}

func TestUnknownEngineWebhook(t *testing.T) {
	t.Parallel()
	resp, events, err := whatsapp.New().HandleWebhook(ctx(t), sdk.Connection{Engine: "sms"}, sdk.WebhookRequest{Method: "POST"})
	if err == nil || resp.Status != 404 || len(events) != 0 {
		t.Errorf("HandleWebhook(engine sms) = %d, %d events, %v; want 404 and an error", resp.Status, len(events), err)
	}
}

// TestFuzzSeeds keeps the committed seed corpora in step with the fixtures; run with
// -update-fuzz-seeds to rewrite them.
func TestFuzzSeeds(t *testing.T) {
	write := func(target, name string, data []byte) {
		path := filepath.Join("testdata", "fuzz", target, name)
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if *updateFuzzSeeds {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is missing or stale; run go test ./plugins/whatsapp -run TestFuzzSeeds -update-fuzz-seeds", path)
		}
	}
	for _, fx := range cloudFixtures {
		write("FuzzCloudWebhook", "seed-"+fx.name, fx.body)
	}
	for _, fx := range twilioFixtures {
		write("FuzzTwilioWebhook", "seed-"+fx.name, []byte(fx.form.Encode()))
	}
}

// TestWebhookConfigAsSaved: a config is saved as typed, and its checks ignore the
// blanks around a value (a secret pasted with a trailing newline works for sends), so
// the webhook checks read it the same way: signatures verify, and the number's own
// events are not dropped as another connection's.
func TestWebhookConfigAsSaved(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	cloud := whatsapptest.CloudConnection(fixtureCloud)
	cfg := whatsapptest.CloudConfig(fixtureCloud)
	cfg.AppSecret += "\n"
	cfg.PhoneNumberID = " " + cfg.PhoneNumberID + " "
	cloud.Config = cfg.JSON()
	body := cloudBody(contact("Ana", "15550100001") + `,"messages":[` + inMsg("wamid.padded", "text", `,"text":{"body":"hi"}`) + `]`)
	resp, events, err := ch.HandleWebhook(ctx(t), cloud, whatsapptest.CloudRequest(fixtureCloud, cloud, body))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("cloud webhook with a padded secret = %d %s, %v", resp.Status, resp.Body, err)
	}
	if len(events) == 0 {
		t.Fatal("the number's own message was dropped")
	}

	tw := whatsapptest.TwilioConnection(fixtureTwilio)
	tcfg := whatsapptest.TwilioConfig(fixtureTwilio)
	tcfg.AuthToken = " " + tcfg.AuthToken + "\n"
	tw.Config = tcfg.JSON()
	form := url.Values{"MessageSid": {"SM00000000000000000000000000000001"}, "MessageStatus": {"delivered"}, "AccountSid": {tcfg.AccountSID}}
	if resp, _, err := ch.HandleWebhook(ctx(t), tw, whatsapptest.TwilioRequest(fixtureTwilio, tw, form)); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("twilio webhook with a padded token = %d %s, %v", resp.Status, resp.Body, err)
	}
}
