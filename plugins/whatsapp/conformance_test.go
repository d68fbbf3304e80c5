package whatsapp_test

import (
	"testing"

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
}
