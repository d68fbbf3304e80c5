package conformance

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// Launch starts the plugin installed in dir the way the host does: manifest loaded and
// validated, sdk.ClientConfig (handshake, gRPC only, automatic mTLS, sha256 checked
// before launch), and checks the negotiated protocol version. The process is killed
// when t ends; its log is shown if t failed.
func Launch(t testing.TB, dir string) sdk.Channel {
	t.Helper()
	m, err := sdk.LoadManifest(dir)
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	cfg, err := sdk.ClientConfig(m)
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	logs := &syncBuffer{}
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "plugin." + m.ID, Output: logs, Level: hclog.Debug})
	client := plugin.NewClient(cfg)
	t.Cleanup(func() {
		client.Kill()
		if t.Failed() {
			t.Logf("plugin %s log:\n%s", m.ID, logs.String())
		}
	})
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("conformance: starting plugin %s: %v", m.ID, err)
	}
	if v := client.NegotiatedVersion(); v != m.ProtocolVersion {
		t.Fatalf("conformance: plugin %s negotiated protocol %d; its manifest says %d", m.ID, v, m.ProtocolVersion)
	}
	ch, err := sdk.Dispense(rpc)
	if err != nil {
		t.Fatalf("conformance: plugin %s: %v", m.ID, err)
	}
	return ch
}

// Connect serves impl over an in-process gRPC connection through the sdk's adapters
// and returns the host's side. Both ends stop when t ends.
func Connect(t testing.TB, impl sdk.Channel) sdk.Channel {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, sdk.VersionedPlugins(impl)[sdk.ProtocolVersion])
	t.Cleanup(func() { _ = client.Close() }) // Close asks the server to stop, and waits

	ch, err := sdk.Dispense(client)
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	return ch
}

// Build compiles the plugin main package pkg (CGO_ENABLED=0, for this platform) into
// parent/<id>/<id>-GOOS-GOARCH and writes parent/<id>/plugin.json from the manifest
// template, as `make plugins` does (but stripped, to link faster). It returns the plugin directory, ready for Run.
// The go command's build cache makes repeated builds cheap.
func Build(pkg, template, parent string) (dir string, err error) {
	data, err := os.ReadFile(template)
	if err != nil {
		return "", err
	}
	tmpl, err := sdk.ParseManifest(data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", template, err)
	}
	if err := tmpl.ValidateTemplate(); err != nil {
		return "", fmt.Errorf("%s: %w", template, err)
	}
	dir = filepath.Join(parent, tmpl.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	binary := fmt.Sprintf("%s-%s-%s", tmpl.ID, runtime.GOOS, runtime.GOARCH)
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	// No symbol table or DWARF: the link, most of a cached build, takes about half as long.
	cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", filepath.Join(dir, binary), pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	if _, _, err := sdk.WriteManifest(tmpl, dir, binary, runtime.GOOS, runtime.GOARCH); err != nil {
		return "", err
	}
	return dir, nil
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
