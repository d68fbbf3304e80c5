// Package conformance checks that a channel plugin keeps the contract of package sdk,
// the way Switchboard will use it. A plugin's author runs it with `go test`:
//
//	func TestConformance(t *testing.T) {
//		dir, err := conformance.Build("./cmd/mychannel", "manifest.json", t.TempDir())
//		if err != nil {
//			t.Fatal(err)
//		}
//		conformance.Run(t, conformance.Kit{Dir: dir, Connection: ..., Trigger: ..., ...})
//	}
//
// Run launches the binary through go-plugin exactly as the host does (handshake, gRPC
// only, automatic mTLS, sha256 checked against plugin.json); RunInProcess serves an
// implementation over an in-process gRPC connection, for fast tests of the same checks.
package conformance

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// Kit is what the checks need to know about a plugin.
type Kit struct {
	// Dir is the installed plugin directory (plugin.json and its executables, as
	// Build or `make plugins` lay it out). Run launches the binary from it, and
	// Describe must agree with its manifest.
	Dir string
	// Manifest, if set, is what Describe must agree with instead of Dir/plugin.json;
	// with RunInProcess it can be the plugin's manifest.json template.
	Manifest *sdk.Manifest

	// Connection is a connection whose Config is valid. Engine defaults to the
	// manifest's first engine, ID to "conformance-connection".
	Connection sdk.Connection
	// InvalidConfigs must each be refused with a field error naming Field.
	InvalidConfigs []InvalidConfig

	// Message is a message Send accepts on Connection. Defaults to a text to
	// +15550100001.
	Message sdk.OutboundMessage
	// Trigger returns a message that makes Send fail, on Connection, with class.
	Trigger func(class sdk.ErrorClass) sdk.OutboundMessage
	// Untriggerable lists the error classes Trigger cannot produce; they are skipped.
	// Every other class is checked.
	Untriggerable []sdk.ErrorClass

	// SignedWebhook returns a request for conn, validly signed, carrying at least one
	// event.
	SignedWebhook func(conn sdk.Connection) sdk.WebhookRequest
	// ForgedWebhook returns a request for conn with a missing or wrong signature.
	ForgedWebhook func(conn sdk.Connection) sdk.WebhookRequest

	// Sessions says the plugin supports sessions (and declares sdk.CapSessions).
	Sessions bool
	// ProvokeSessionEvent makes the plugin emit a session event for conn, whose
	// session is open. Defaults to sending Message.
	ProvokeSessionEvent func(ctx context.Context, ch sdk.Channel, conn sdk.Connection) error

	// Timeout bounds each check's calls. Defaults to 10 s.
	Timeout time.Duration
}

// InvalidConfig is a config the plugin must refuse, and the field it must name.
type InvalidConfig struct {
	Name   string // subtest name; defaults to Field
	Config json.RawMessage
	Field  string
}

// ErrorClasses are the classes every plugin must be able to report.
var ErrorClasses = []sdk.ErrorClass{sdk.Transient, sdk.RateLimited, sdk.Permanent, sdk.AuthFailed}

// TB is what the checks report to: *testing.T through T, or a recorder in the kit's
// own tests. As with testing.T, Run runs f on a new goroutine and waits for it, and
// Fatalf ends the calling goroutine (runtime.Goexit) after recording the failure.
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Run(name string, f func(TB)) bool
}

// T adapts a *testing.T to TB.
func T(t *testing.T) TB { return testingT{t} }

type testingT struct{ *testing.T }

func (t testingT) Run(name string, f func(TB)) bool {
	return t.T.Run(name, func(t *testing.T) { f(testingT{t}) })
}

// Run launches the plugin installed in k.Dir as the host would (see Launch) and runs
// every check against it.
func Run(t *testing.T, k Kit) {
	t.Helper()
	ch := Launch(t, k.Dir)
	Check(T(t), ch, k)
}

// RunInProcess runs every check against impl, served over an in-process gRPC
// connection (plugin.TestPluginGRPCConn): the same adapters as a real plugin, without
// a process.
func RunInProcess(t *testing.T, impl sdk.Channel, k Kit) {
	t.Helper()
	ch := Connect(t, impl)
	Check(T(t), ch, k)
}
