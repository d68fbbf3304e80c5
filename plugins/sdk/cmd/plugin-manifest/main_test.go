package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func TestRun(t *testing.T) {
	root := t.TempDir()
	template := filepath.Join(root, "manifest.json")
	if err := os.WriteFile(template, []byte(`{"id":"demo","version":"0.1.0","kind":"sms","engines":["demo"],"capabilities":[],"config_schema":{"type":"object"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "bin", "demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo-linux-arm64"), []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"-dir", dir, "-binary", "demo-linux-arm64", "-template", template, "-goos", "linux", "-goarch", "arm64"}

	var out strings.Builder
	if err := run(args, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "wrote demo 0.1.0 for linux-arm64") {
		t.Errorf("first run said %q", out.String())
	}
	m, err := sdk.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e := m.Executables["linux-arm64"]; e.Path != "demo-linux-arm64" || len(e.SHA256) != 64 || m.ProtocolVersion != sdk.ProtocolVersion {
		t.Errorf("plugin.json = %+v", m)
	}

	out.Reset()
	if err := run(args, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "up to date") {
		t.Errorf("second run said %q; want up to date", out.String())
	}

	if err := run([]string{"-dir", dir}, &out); err == nil {
		t.Error("run without -binary succeeded")
	}
	if err := run([]string{"-dir", dir, "-binary", "missing", "-template", template}, &out); err == nil {
		t.Error("run with a missing binary succeeded")
	}
}
