package whatsapp_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"testing"

	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/whatsapp"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/twiliotest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/whatsapptest"
)

// The seed corpora are testdata/fuzz/Fuzz*Webhook (TestFuzzSeeds keeps them in step
// with the fixtures). `make fuzz` runs each target for a bounded time.

// FuzzCloudWebhook: any correctly signed body is answered without a panic, parsed
// the same way twice, and yields well-formed events and other addresses (+digits,
// each once, never the connection's own) only on 200.
func FuzzCloudWebhook(f *testing.F) {
	ch := whatsapp.New()
	conn := whatsapptest.CloudConnection(fixtureCloud)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := whatsapptest.CloudRequest(fixtureCloud, conn, body)
		checkTwice(t, ch, conn, req)
	})
}

// FuzzTwilioWebhook is FuzzCloudWebhook for Twilio's signed form posts.
func FuzzTwilioWebhook(f *testing.F) {
	ch := whatsapp.New()
	conn := whatsapptest.TwilioConnection(fixtureTwilio)
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			form = url.Values{}
		}
		req := whatsapptest.TwilioRequest(fixtureTwilio, conn, form)
		req.Body = body // the bytes as given; the signature covers their parsed params
		req.Headers[twiliotest.SignatureHeader] = []string{twiliotest.Signature(twiliotest.DefaultAuthToken, conn.WebhookURL, form)}
		checkTwice(t, ch, conn, req)
	})
}

func checkTwice(t *testing.T, ch *whatsapp.Channel, conn sdk.Connection, req sdk.WebhookRequest) {
	t.Helper()
	var out [2]string
	var status [2]int
	for i := range out {
		resp, events, err := ch.HandleWebhook(context.Background(), conn, req)
		if err != nil {
			t.Fatalf("HandleWebhook: %v", err)
		}
		if resp.Status != 200 && (len(events) > 0 || len(resp.OtherAddresses) > 0) {
			t.Fatalf("status %d with %d events and other addresses %q", resp.Status, len(events), resp.OtherAddresses)
		}
		seen := map[string]bool{conn.Address: true}
		for _, a := range resp.OtherAddresses {
			if !plusDigits.MatchString(a) || seen[a] {
				t.Fatalf("other addresses %q: %q is not +digits, is repeated or is the connection's own", resp.OtherAddresses, a)
			}
			seen[a] = true
		}
		for _, e := range events {
			if problem := malformed(e); problem != "" {
				t.Fatalf("event %+v: %s", e, problem)
			}
		}
		b, err := json.Marshal(struct {
			Events []sdk.Event
			Others []string
		}{events, resp.OtherAddresses})
		if err != nil {
			t.Fatalf("events do not marshal: %v", err)
		}
		out[i], status[i] = string(b), resp.Status
	}
	if out[0] != out[1] || status[0] != status[1] {
		t.Fatalf("parsed twice differently:\n%d %s\n%d %s", status[0], out[0], status[1], out[1])
	}
}

var plusDigits = regexp.MustCompile(`^\+[0-9]+$`)

func malformed(e sdk.Event) string {
	switch e.Type {
	case sdk.EventMessage:
		if e.Message == nil || e.Message.ProviderMessageID == "" || e.Message.Type == "" {
			return "message event without id or type"
		}
		if len(e.Raw) == 0 || !json.Valid(e.Raw) {
			return "message event without its raw payload"
		}
	case sdk.EventStatus:
		if e.Status == nil || e.Status.ProviderMessageID == "" {
			return "status event without id"
		}
	case sdk.EventContact:
		if e.Contact == nil || e.Contact.Address == "" {
			return "contact event without address"
		}
	default:
		return "unknown event type"
	}
	return ""
}
