package sdk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const manifestTemplate = `{
  "id": "acme-sms",
  "version": "1.4.0",
  "kind": "sms",
  "engines": ["acme"],
  "capabilities": ["segments", "read_receipts"],
  "config_schema": {"type": "object", "required": ["api_key"], "properties": {"api_key": {"type": "string", "x-secret": true}}},
  "min_platform_version": "0.3.0"
}`

// installed writes a plugin directory: the binary and its plugin.json, with edit
// applied to the manifest first.
func installed(t *testing.T, edit func(m map[string]any)) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "acme-sms")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := []byte("#!/bin/sh\necho not really a plugin\n")
	if err := os.WriteFile(filepath.Join(dir, "acme-sms-linux-amd64"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	var m map[string]any
	if err := json.Unmarshal([]byte(manifestTemplate), &m); err != nil {
		t.Fatal(err)
	}
	m["protocol_version"] = ProtocolVersion
	m["executables"] = map[string]any{
		"linux-amd64": map[string]any{"path": "acme-sms-linux-amd64", "sha256": hex.EncodeToString(sum[:])},
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func setExecutable(key, path, sum string) func(map[string]any) {
	return func(m map[string]any) {
		exes := m["executables"].(map[string]any)
		e := exes["linux-amd64"].(map[string]any)
		if path != "" {
			e["path"] = path
		}
		if sum != "" {
			e["sha256"] = sum
		}
		if key != "linux-amd64" {
			delete(exes, "linux-amd64")
			exes[key] = e
		}
	}
}

func TestLoadManifestGood(t *testing.T) {
	t.Parallel()
	dir := installed(t, nil)
	m, err := LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "acme-sms" || m.Version != "1.4.0" || m.Kind != "sms" || m.ProtocolVersion != 1 ||
		len(m.Engines) != 1 || len(m.Capabilities) != 2 || m.MinPlatformVersion != "0.3.0" {
		t.Errorf("LoadManifest = %+v", m)
	}
	if m.Dir() != dir {
		t.Errorf("Dir = %q; want %q", m.Dir(), dir)
	}
	path, sum, err := m.Executable("linux", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "acme-sms-linux-amd64") || !filepath.IsAbs(path) {
		t.Errorf("Executable path = %q", path)
	}
	if sum != m.Executables["linux-amd64"].SHA256 {
		t.Errorf("Executable sha256 = %q", sum)
	}
}

func TestLoadManifestRefuses(t *testing.T) {
	t.Parallel()
	good := strings.Repeat("ab", 32)
	cases := []struct {
		name  string
		edit  func(map[string]any)
		field string // must appear in the error
	}{
		{"dotdot path", setExecutable("linux-amd64", "../other/acme-sms", ""), "executables.linux-amd64.path"},
		{"dotdot inside path", setExecutable("linux-amd64", "bin/../../acme-sms", ""), "executables.linux-amd64.path"},
		{"absolute path", setExecutable("linux-amd64", "/usr/bin/acme-sms", ""), "executables.linux-amd64.path"},
		{"backslash path", setExecutable("linux-amd64", `bin\acme-sms`, ""), "executables.linux-amd64.path"},
		{"unclean path", setExecutable("linux-amd64", "./acme-sms", ""), "executables.linux-amd64.path"},
		{"short sha", setExecutable("linux-amd64", "", "abc123"), "executables.linux-amd64.sha256"},
		{"non-hex sha", setExecutable("linux-amd64", "", strings.Repeat("zz", 32)), "executables.linux-amd64.sha256"},
		{"uppercase sha", setExecutable("linux-amd64", "", strings.ToUpper(good)), "executables.linux-amd64.sha256"},
		{"bad platform key", setExecutable("linux_amd64", "", ""), "executables.linux_amd64"},
		{"unknown field", func(m map[string]any) { m["entrypoint"] = "main" }, `unknown field "entrypoint"`},
		{"bad id", func(m map[string]any) { m["id"] = "Acme SMS" }, "id:"},
		{"one-letter id", func(m map[string]any) { m["id"] = "a" }, "id:"},
		{"bad version", func(m map[string]any) { m["version"] = "1.4" }, "version:"},
		{"bad min platform version", func(m map[string]any) { m["min_platform_version"] = "latest" }, "min_platform_version:"},
		{"no kind", func(m map[string]any) { delete(m, "kind") }, "kind:"},
		{"no engines", func(m map[string]any) { m["engines"] = []string{} }, "engines:"},
		{"duplicate engine", func(m map[string]any) { m["engines"] = []string{"acme", "acme"} }, "engines[1]"},
		{"schema not an object", func(m map[string]any) { m["config_schema"] = []int{1} }, "config_schema:"},
		{"no schema", func(m map[string]any) { delete(m, "config_schema") }, "config_schema:"},
		{"send rate of no engine", func(m map[string]any) { m["send_rates"] = map[string]float64{"other": 5} }, "send_rates.other:"},
		{"zero send rate", func(m map[string]any) { m["send_rates"] = map[string]float64{"acme": 0} }, "send_rates.acme:"},
		{"send rate too high", func(m map[string]any) { m["send_rates"] = map[string]float64{"acme": 1e6} }, "send_rates.acme:"},
		{"media limit of no class", func(m map[string]any) { m["media_limits"] = map[string]int64{"sticker": 100} }, "media_limits.sticker:"},
		{"zero media limit", func(m map[string]any) { m["media_limits"] = map[string]int64{"image": 0} }, "media_limits.image:"},
		{"media type not a MIME type", func(m map[string]any) { m["media_types"] = []string{"jpeg"} }, "media_types[0]:"},
		{"media type twice", func(m map[string]any) { m["media_types"] = []string{"image/png", "image/png"} }, "media_types[1]:"},
		{"no protocol", func(m map[string]any) { delete(m, "protocol_version") }, "protocol_version:"},
		{"no executables", func(m map[string]any) { delete(m, "executables") }, "executables:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadManifest(installed(t, tc.edit))
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("LoadManifest error = %v; want one naming %s", err, tc.field)
			}
		})
	}
}

func TestLoadManifestTrailingData(t *testing.T) {
	t.Parallel()
	dir := installed(t, nil)
	f, err := os.OpenFile(filepath.Join(dir, ManifestFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"id":"other"}`)
	_ = f.Close()
	if _, err := LoadManifest(dir); err == nil {
		t.Error("LoadManifest accepted a second JSON value after the manifest")
	}
}

func TestExecutableMissingPlatform(t *testing.T) {
	t.Parallel()
	m, err := LoadManifest(installed(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = m.Executable("darwin", "arm64")
	if err == nil || !strings.Contains(err.Error(), "no build for darwin-arm64") || !strings.Contains(err.Error(), "linux-amd64") {
		t.Errorf("Executable(darwin, arm64) = %v; want a no-build error listing linux-amd64", err)
	}
}

func TestExecutableSymlinkOutsideRefused(t *testing.T) {
	t.Parallel()
	dir := installed(t, setExecutable("linux-amd64", "link", ""))
	outside := filepath.Join(t.TempDir(), "evil")
	if err := os.WriteFile(outside, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	m, err := LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Executable("linux", "amd64"); err == nil || !strings.Contains(err.Error(), "outside the plugin directory") {
		t.Errorf("Executable through a symlink leaving the directory = %v; want refused", err)
	}
}

func TestExecutableNeedsLoadedManifest(t *testing.T) {
	t.Parallel()
	m, err := ParseManifest([]byte(manifestTemplate))
	if err != nil {
		t.Fatal(err)
	}
	m.Executables = map[string]Executable{"linux-amd64": {Path: "x", SHA256: strings.Repeat("0", 64)}}
	if _, _, err := m.Executable("linux", "amd64"); err == nil {
		t.Error("Executable on a manifest without a directory succeeded")
	}
}

func TestAgrees(t *testing.T) {
	t.Parallel()
	m, err := ParseManifest([]byte(manifestTemplate))
	if err != nil {
		t.Fatal(err)
	}
	d := m.Description()
	// Order of sets and JSON formatting do not matter.
	d.Capabilities = []Capability{CapReadReceipts, CapSegments}
	d.ConfigSchema = json.RawMessage(`{"properties":{"api_key":{"x-secret":true,"type":"string"}},"required":["api_key"],"type":"object"}`)
	if err := m.Agrees(d); err != nil {
		t.Errorf("Agrees(same description) = %v", err)
	}
	cases := []struct {
		field string
		edit  func(*Description)
	}{
		{"id", func(d *Description) { d.ID = "acme" }},
		{"version", func(d *Description) { d.Version = "1.4.1" }},
		{"kind", func(d *Description) { d.Kind = "email" }},
		{"engines", func(d *Description) { d.Engines = append(d.Engines, "acme2") }},
		{"capabilities", func(d *Description) { d.Capabilities = d.Capabilities[:1] }},
		{"config_schema", func(d *Description) { d.ConfigSchema = json.RawMessage(`{"type":"object"}`) }},
		{"send_rates", func(d *Description) { d.SendRates = map[string]float64{"acme": 3} }},
		{"media_limits", func(d *Description) { d.MediaLimits = map[string]int64{"image": 1} }},
		{"media_types", func(d *Description) { d.MediaTypes = []string{"image/png"} }},
	}
	for _, tc := range cases {
		dd := m.Description()
		tc.edit(&dd)
		if err := m.Agrees(dd); err == nil || !strings.Contains(err.Error(), tc.field+":") {
			t.Errorf("Agrees with a different %s = %v; want an error naming it", tc.field, err)
		}
	}
}

func TestWriteManifest(t *testing.T) {
	t.Parallel()
	tmpl, err := ParseManifest([]byte(manifestTemplate))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "acme-sms")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"acme-sms-linux-amd64", "acme-sms-linux-arm64"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	if _, written, err := WriteManifest(tmpl, dir, "acme-sms-linux-amd64", "linux", "amd64"); err != nil || !written {
		t.Fatalf("WriteManifest = %v, %v; want written", written, err)
	}
	if _, written, err := WriteManifest(tmpl, dir, "acme-sms-linux-amd64", "linux", "amd64"); err != nil || written {
		t.Fatalf("WriteManifest again = %v, %v; want unchanged", written, err)
	}
	if _, _, err := WriteManifest(tmpl, dir, "acme-sms-linux-arm64", "linux", "arm64"); err != nil {
		t.Fatal(err)
	}
	m, err := LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Executables) != 2 || m.ProtocolVersion != ProtocolVersion {
		t.Errorf("after two platforms: %+v; want both builds and protocol %d", m.Executables, ProtocolVersion)
	}
	sum := sha256.Sum256([]byte("acme-sms-linux-arm64"))
	if m.Executables["linux-arm64"].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("linux-arm64 sha256 = %s", m.Executables["linux-arm64"].SHA256)
	}
	if err := m.Agrees(tmpl.Description()); err != nil {
		t.Errorf("written manifest disagrees with its template: %v", err)
	}

	// A new version drops the other platform's (now stale) build.
	next := tmpl
	next.Version = "1.5.0"
	if _, _, err := WriteManifest(next, dir, "acme-sms-linux-amd64", "linux", "amd64"); err != nil {
		t.Fatal(err)
	}
	if m, err := LoadManifest(dir); err != nil || len(m.Executables) != 1 {
		t.Errorf("after a version bump: %+v, %v; want only linux-amd64", m.Executables, err)
	}

	if _, _, err := WriteManifest(tmpl, t.TempDir(), "x", "linux", "amd64"); err == nil {
		t.Error("WriteManifest into a directory not named after the id succeeded")
	}
	withExe := tmpl
	withExe.ProtocolVersion = 1
	if _, _, err := WriteManifest(withExe, dir, "acme-sms-linux-amd64", "linux", "amd64"); err == nil {
		t.Error("WriteManifest accepted a template that sets protocol_version")
	}
}
