package sdk

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// ManifestFile is the name of a plugin's manifest inside its directory
// (<plugins-dir>/<id>/plugin.json).
const ManifestFile = "plugin.json"

// Manifest describes an installed channel plugin: who it is (this must agree with what
// the binary's Describe says), which protocol it speaks and, per GOOS-GOARCH, which
// executable to run and its sha256 (checked before every launch).
type Manifest struct {
	ID                 string             `json:"id"`
	Version            string             `json:"version"`
	Kind               string             `json:"kind"`
	Engines            []string           `json:"engines"`
	Capabilities       []Capability       `json:"capabilities"`
	ConfigSchema       json.RawMessage    `json:"config_schema"`
	SendRates          map[string]float64 `json:"send_rates,omitempty"`
	MediaLimits        map[string]int64   `json:"media_limits,omitempty"`
	MediaTypes         []string           `json:"media_types,omitempty"`
	MinPlatformVersion string             `json:"min_platform_version,omitempty"`
	ProtocolVersion    int                `json:"protocol_version,omitempty"`
	// Executables is keyed by GOOS-GOARCH, e.g. "linux-amd64".
	Executables map[string]Executable `json:"executables,omitempty"`

	dir string // absolute directory the manifest was loaded from
}

// Executable is one platform's plugin binary, relative to the plugin directory.
type Executable struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

var (
	manifestIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,40}$`)
	namePattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	semverPattern     = regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	platformPattern   = regexp.MustCompile(`^[a-z0-9]+-[a-z0-9]+$`)
	sha256Pattern     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	mimePattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*$`)
)

// ParseManifest decodes a manifest strictly: unknown fields and trailing data are
// refused. It does not validate; plugin.json files are read with LoadManifest, and a
// plugin's source manifest.json template (no protocol_version, no executables) is
// parsed with this.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Manifest{}, errors.New("unexpected data after the manifest object")
	}
	return m, nil
}

// LoadManifest reads and validates dir/plugin.json. The manifest remembers dir, so
// Executable can return absolute paths.
func LoadManifest(dir string) (Manifest, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Manifest{}, err
	}
	file := filepath.Join(abs, ManifestFile)
	data, err := os.ReadFile(file)
	if err != nil {
		return Manifest{}, fmt.Errorf("plugin manifest: %w", err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return Manifest{}, fmt.Errorf("plugin manifest %s: %w", file, err)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, fmt.Errorf("plugin manifest %s: %w", file, err)
	}
	m.dir = abs
	return m, nil
}

// Dir is the directory LoadManifest read the manifest from ("" otherwise).
func (m Manifest) Dir() string { return m.dir }

// Validate checks an installable manifest (plugin.json); errors name the field.
func (m Manifest) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	errs = append(errs, m.validateIdentity()...)
	if m.ProtocolVersion < 1 {
		bad("protocol_version", "must be 1 or more, got %d", m.ProtocolVersion)
	}
	if len(m.Executables) == 0 {
		bad("executables", "at least one GOOS-GOARCH build is required")
	}
	for _, platform := range slices.Sorted(maps.Keys(m.Executables)) {
		e := m.Executables[platform]
		field := "executables." + platform
		if !platformPattern.MatchString(platform) {
			bad(field, "key must be GOOS-GOARCH, e.g. linux-amd64")
		}
		if err := checkExecutablePath(e.Path); err != nil {
			bad(field+".path", "%v", err)
		}
		if !sha256Pattern.MatchString(e.SHA256) {
			bad(field+".sha256", "must be 64 lowercase hex digits")
		}
	}
	return errors.Join(errs...)
}

// ValidateTemplate checks the part of a manifest a plugin's author writes (its
// manifest.json): everything but protocol_version and executables.
func (m Manifest) ValidateTemplate() error {
	return errors.Join(m.validateIdentity()...)
}

// checkList reports, through bad, the items of the list field that do not match
// pattern (saying must) or come twice; it returns the items it saw.
func checkList[T ~string](bad func(field, format string, args ...any), field string, items []T, pattern *regexp.Regexp, must string) map[string]bool {
	seen := map[string]bool{}
	for i, item := range items {
		at := fmt.Sprintf("%s[%d]", field, i)
		if !pattern.MatchString(string(item)) {
			bad(at, "%q "+must, item)
		}
		if seen[string(item)] {
			bad(at, "%q is listed twice", item)
		}
		seen[string(item)] = true
	}
	return seen
}

func (m Manifest) validateIdentity() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !manifestIDPattern.MatchString(m.ID) {
		bad("id", "%q must match %s", m.ID, manifestIDPattern)
	}
	if !semverPattern.MatchString(m.Version) {
		bad("version", "%q is not a semantic version (1.2.3)", m.Version)
	}
	if !namePattern.MatchString(m.Kind) {
		bad("kind", "%q must be set, lowercase letters, digits, _ and -", m.Kind)
	}
	if len(m.Engines) == 0 {
		bad("engines", "at least one engine is required")
	}
	const names = "must be lowercase letters, digits, _ and -"
	seen := checkList(bad, "engines", m.Engines, namePattern, names)
	checkList(bad, "capabilities", m.Capabilities, namePattern, names)
	for _, e := range slices.Sorted(maps.Keys(m.SendRates)) {
		if r := m.SendRates[e]; !seen[e] {
			bad("send_rates."+e, "%q is not one of the engines", e)
		} else if !(r >= MinSendRate) || r > MaxSendRate {
			bad("send_rates."+e, "%v must be from %v to %d messages a second", r, MinSendRate, MaxSendRate)
		}
	}
	for _, class := range slices.Sorted(maps.Keys(m.MediaLimits)) {
		if n := m.MediaLimits[class]; !slices.Contains(MediaClasses, class) {
			bad("media_limits."+class, "%q is not a media class (%s)", class, strings.Join(MediaClasses, ", "))
		} else if n < 1 {
			bad("media_limits."+class, "%d must be a positive number of bytes", n)
		}
	}
	checkList(bad, "media_types", m.MediaTypes, mimePattern, "must be a MIME type in lower case, e.g. image/jpeg")
	var schema map[string]json.RawMessage
	if trimmed := bytes.TrimSpace(m.ConfigSchema); len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &schema) != nil {
		bad("config_schema", "must be a JSON Schema object")
	}
	if m.MinPlatformVersion != "" && !semverPattern.MatchString(m.MinPlatformVersion) {
		bad("min_platform_version", "%q is not a semantic version (1.2.3)", m.MinPlatformVersion)
	}
	return errs
}

// checkExecutablePath accepts a relative, slash-separated path that stays inside the
// plugin directory: no absolute paths, no "..", no backslashes or volume names, nothing
// that cleans to something else.
func checkExecutablePath(p string) error {
	switch {
	case p == "":
		return errors.New("must be set")
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p) || filepath.VolumeName(p) != "":
		return fmt.Errorf("%q must be relative to the plugin directory", p)
	case strings.ContainsAny(p, `\:`):
		return fmt.Errorf("%q must use / as the only separator and no drive or stream names", p)
	case slices.Contains(strings.Split(p, "/"), ".."):
		return fmt.Errorf("%q must not contain \"..\" elements", p)
	case path.Clean(p) != p || p == ".":
		return fmt.Errorf("%q is not a clean path (want %q)", p, path.Clean(p))
	case !filepath.IsLocal(filepath.FromSlash(p)):
		return fmt.Errorf("%q leaves the plugin directory", p)
	}
	return nil
}

// Executable returns the absolute path and expected sha256 (hex) of the plugin binary
// for goos-goarch. The path is resolved through symlinks and must stay inside the
// plugin directory.
func (m Manifest) Executable(goos, goarch string) (path, sha256 string, err error) {
	platform := goos + "-" + goarch
	e, ok := m.Executables[platform]
	if !ok {
		have := slices.Sorted(maps.Keys(m.Executables))
		return "", "", fmt.Errorf("plugin %q %s has no build for %s (it has: %s)", m.ID, m.Version, platform, strings.Join(have, ", "))
	}
	if m.dir == "" {
		return "", "", fmt.Errorf("plugin %q: manifest has no directory; read it with LoadManifest", m.ID)
	}
	if err := checkExecutablePath(e.Path); err != nil {
		return "", "", fmt.Errorf("plugin %q: executables.%s.path: %w", m.ID, platform, err)
	}
	full := filepath.Join(m.dir, filepath.FromSlash(e.Path))
	realDir, err := filepath.EvalSymlinks(m.dir)
	if err != nil {
		return "", "", fmt.Errorf("plugin %q: %w", m.ID, err)
	}
	realFile, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", "", fmt.Errorf("plugin %q: executable for %s: %w", m.ID, platform, err)
	}
	if rel, err := filepath.Rel(realDir, realFile); err != nil || !filepath.IsLocal(rel) {
		return "", "", fmt.Errorf("plugin %q: executable for %s resolves to %s, outside the plugin directory", m.ID, platform, realFile)
	}
	return full, e.SHA256, nil
}

// Description is what a plugin built from this manifest must say about itself. A
// plugin that embeds its manifest.json can answer Describe with it.
func (m Manifest) Description() Description {
	return Description{
		ID:           m.ID,
		Version:      m.Version,
		Kind:         m.Kind,
		Engines:      slices.Clone(m.Engines),
		Capabilities: slices.Clone(m.Capabilities),
		ConfigSchema: slices.Clone(m.ConfigSchema),
		SendRates:    maps.Clone(m.SendRates),
		MediaLimits:  maps.Clone(m.MediaLimits),
		MediaTypes:   slices.Clone(m.MediaTypes),
	}
}

// Agrees reports how d, a running plugin's Describe, disagrees with the manifest: id,
// version, kind, engines, capabilities and media types (as sets), send rates, media limits and the config schema
// (as JSON values) must all match.
func (m Manifest) Agrees(d Description) error {
	var errs []error
	differ := func(field string, manifest, plugin any) {
		errs = append(errs, fmt.Errorf("%s: manifest says %v, plugin says %v", field, manifest, plugin))
	}
	if d.ID != m.ID {
		differ("id", quoted(m.ID), quoted(d.ID))
	}
	if d.Version != m.Version {
		differ("version", quoted(m.Version), quoted(d.Version))
	}
	if d.Kind != m.Kind {
		differ("kind", quoted(m.Kind), quoted(d.Kind))
	}
	if !sameSet(m.Engines, d.Engines) {
		differ("engines", m.Engines, d.Engines)
	}
	if !sameSet(m.Capabilities, d.Capabilities) {
		differ("capabilities", m.Capabilities, d.Capabilities)
	}
	if !maps.Equal(m.SendRates, d.SendRates) {
		differ("send_rates", m.SendRates, d.SendRates)
	}
	if !maps.Equal(m.MediaLimits, d.MediaLimits) {
		differ("media_limits", m.MediaLimits, d.MediaLimits)
	}
	if !sameSet(m.MediaTypes, d.MediaTypes) {
		differ("media_types", m.MediaTypes, d.MediaTypes)
	}
	var ms, ds any
	if json.Unmarshal(m.ConfigSchema, &ms) != nil || json.Unmarshal(d.ConfigSchema, &ds) != nil || !reflect.DeepEqual(ms, ds) {
		differ("config_schema", string(m.ConfigSchema), string(d.ConfigSchema))
	}
	if len(errs) > 0 {
		return fmt.Errorf("plugin %q disagrees with its manifest: %w", m.ID, errors.Join(errs...))
	}
	return nil
}

func quoted(s string) string { return fmt.Sprintf("%q", s) }

func sameSet[T ~string](a, b []T) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// WriteManifest installs a manifest for a freshly built binary: template (a plugin's
// manifest.json, which must not set protocol_version or executables) plus this SDK's
// ProtocolVersion and dir/binary's sha256 for goos-goarch, written to dir/plugin.json.
// dir must be named after the plugin id. Builds for other platforms already listed in
// an existing plugin.json of the same id and version are kept. The file is replaced
// atomically, and only when its content changes (written reports whether it did).
func WriteManifest(template Manifest, dir, binary, goos, goarch string) (m Manifest, written bool, err error) {
	m = template
	if m.ProtocolVersion != 0 || m.Executables != nil {
		return Manifest{}, false, errors.New("manifest template: protocol_version and executables are filled in when the plugin is built; remove them")
	}
	if err := m.ValidateTemplate(); err != nil {
		return Manifest{}, false, fmt.Errorf("manifest template: %w", err)
	}
	if base := filepath.Base(filepath.Clean(dir)); base != m.ID {
		return Manifest{}, false, fmt.Errorf("plugin directory %s must be named after the plugin id %q", dir, m.ID)
	}
	sum, err := fileSHA256(filepath.Join(dir, binary))
	if err != nil {
		return Manifest{}, false, err
	}

	out := filepath.Join(dir, ManifestFile)
	old, _ := os.ReadFile(out)
	m.Executables = map[string]Executable{}
	if prev, err := ParseManifest(old); err == nil && prev.ID == m.ID && prev.Version == m.Version {
		maps.Copy(m.Executables, prev.Executables)
	}
	platform := goos + "-" + goarch
	m.ProtocolVersion = ProtocolVersion
	m.Executables[platform] = Executable{Path: filepath.ToSlash(binary), SHA256: sum}
	if err := m.Validate(); err != nil {
		return Manifest{}, false, fmt.Errorf("%s: %w", out, err)
	}

	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, false, err
	}
	b = append(b, '\n')
	if abs, err := filepath.Abs(dir); err == nil {
		m.dir = abs
	}
	if bytes.Equal(b, old) {
		return m, false, nil
	}
	tmp, err := os.CreateTemp(dir, ".plugin-*.json")
	if err != nil {
		return Manifest{}, false, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		return Manifest{}, false, err
	}
	return m, true, nil
}

func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return "", err
	} else if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", name)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
