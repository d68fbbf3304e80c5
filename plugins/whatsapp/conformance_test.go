package whatsapp_test

import (
	"reflect"
	"testing"

	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
	"github.com/switchboardhq/switchboard/plugins/whatsapp"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/twiliotest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/whatsapptest"
)

func TestConformanceCloud(t *testing.T) {
	t.Parallel()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{})
	conformance.RunInProcess(t, whatsapp.New(), whatsapptest.CloudKit(srv))
}

func TestConformanceTwilio(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewTest(t, twiliotest.Options{})
	conformance.RunInProcess(t, whatsapp.New(), whatsapptest.TwilioKit(srv))
}

// TestConformanceBinary runs the kits against the compiled plugin, launched as the
// host launches it (handshake, gRPC, mTLS, checksum).
func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	t.Parallel()
	dir, err := conformance.Build("./cmd/whatsapp", "manifest.json", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("cloud", func(t *testing.T) {
		kit := whatsapptest.CloudKit(cloudapitest.NewTest(t, cloudapitest.Options{}))
		kit.Dir, kit.Manifest = dir, nil
		conformance.Run(t, kit)
	})
	t.Run("twilio", func(t *testing.T) {
		kit := whatsapptest.TwilioKit(twiliotest.NewTest(t, twiliotest.Options{}))
		kit.Dir, kit.Manifest = dir, nil
		conformance.Run(t, kit)
	})
	// A customer's photo, resolved by the plugin as the host launches it and fetched
	// from the fake with the headers it gave.
	t.Run("resolve_media", func(t *testing.T) {
		srv := cloudapitest.NewTest(t, cloudapitest.Options{})
		conn, mediaURL, _ := inboundCloudImage(t, whatsapp.New(), srv, whatsapptest.CloudConnection(srv), photo)
		checkCloudMedia(t, conformance.Launch(t, dir), srv, conn, mediaURL, photo)
	})
	// A request for the app's numbers, answered by the plugin as the host launches it:
	// the connection's own events, and the other numbers in OtherAddresses across
	// the wire; a forged one neither.
	t.Run("other_numbers", func(t *testing.T) {
		ch := conformance.Launch(t, dir)
		app := sharedApp(cloudapitest.Options{})
		conn := whatsapptest.CloudConnection(app)
		body := batch(t,
			app.InboundBodyFor(thirdID, "wamid.IN3", tsTime, cloudapitest.Inbound{From: customer, Text: "third"}),
			app.InboundBody("wamid.IN1", tsTime, cloudapitest.Inbound{From: customer, Text: "first"}),
			app.StatusBodyFor(secondID, "wamid.OUT2", customer, tsTime, cloudapitest.Step{Status: cloudapitest.Delivered}),
		)
		resp, events, err := ch.HandleWebhook(ctx(t), conn, whatsapptest.CloudRequest(app, conn, body))
		if err != nil || resp.Status != 200 {
			t.Fatalf("HandleWebhook = %d %s, %v", resp.Status, resp.Body, err)
		}
		if m := findMessage(events, func(m *sdk.InboundMessage) bool { return true }); len(events) != 2 || m == nil || m.ProviderMessageID != "wamid.IN1" {
			t.Errorf("events:\n%s\nwant the first number's contact and message", eventsJSON(t, stripRaw(events)))
		}
		if want := []string{thirdAddr, secondAddr}; !reflect.DeepEqual(resp.OtherAddresses, want) {
			t.Errorf("OtherAddresses = %q, want %q", resp.OtherAddresses, want)
		}
		forged := whatsapptest.CloudRequest(app, conn, body)
		forged.Headers[cloudapitest.SignatureHeader] = []string{cloudapitest.Sign("another-apps-secret", body)}
		resp, events, err = ch.HandleWebhook(ctx(t), conn, forged)
		if err != nil || resp.Status != 401 || len(events) != 0 || resp.OtherAddresses != nil {
			t.Errorf("forged: %d, %d events, others %q, %v; want 401 and nothing", resp.Status, len(events), resp.OtherAddresses, err)
		}
	})
}
