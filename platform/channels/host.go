// Package channels is the channel plugin host. It discovers plugin binaries (a
// directory per plugin holding its plugin.json manifest and executables), checks them
// (manifest, protocol version, sha256) before anything runs, launches each one under a
// supervisor that pings it and restarts it when it crashes or hangs, and hands callers
// an sdk.Channel per plugin that always talks to the live process.
//
// Failure contract for callers: a call to a plugin that is down — starting,
// restarting, failed, disabled, or the host stopping — returns at once with an
// *sdk.Error of class Transient whose Reason says why ("channel plugin whatsapp is
// restarting"). Callers (the message:send task) retry Transient errors with backoff,
// so nothing is lost while a plugin restarts, and a failed or disabled plugin holds
// messages back until an operator fixes or enables it rather than failing them. Every
// error a Channel returns is an *sdk.Error: errors that are not (transport errors, a
// context ending) become Transient. No call hangs: a call whose context has no
// deadline gets CallTimeout (Events excepted: it streams until its context ends).
package channels

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/platform/buildinfo"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// State is where a plugin is in its life.
type State string

// Plugin states.
const (
	StateStarting   State = "starting"   // being launched for the first time
	StateRunning    State = "running"    // launched, agrees with its manifest, answering pings
	StateRestarting State = "restarting" // crashed or hung; being restarted after a backoff
	StateFailed     State = "failed"     // will not run until an operator enables it again; LastError says why
	StateDisabled   State = "disabled"   // turned off by an operator
	StateStopped    State = "stopped"    // the host was stopped
)

// PluginInfo is the operator's view of one plugin.
type PluginInfo struct {
	ID           string             `json:"id"`
	Version      string             `json:"version,omitempty"`
	Kind         string             `json:"kind,omitempty"`
	Engines      []string           `json:"engines,omitempty"`
	Capabilities []sdk.Capability   `json:"capabilities,omitempty"`
	ConfigSchema json.RawMessage    `json:"config_schema,omitempty"`
	SendRates    map[string]float64 `json:"send_rates,omitempty"`
	MediaLimits  map[string]int64   `json:"media_limits,omitempty"`
	MediaTypes   []string           `json:"media_types,omitempty"`
	State        State              `json:"state"`
	LastError    string             `json:"last_error,omitempty"`
	Restarts     int                `json:"restarts"`            // since the host started
	StartedAt    time.Time          `json:"started_at,omitzero"` // of the running process
	Path         string             `json:"path"`                // the executable, or the plugin's directory when its manifest is unusable
}

// Errors of the operator operations.
var (
	ErrUnknownPlugin = failure.New(failure.NotFound, "plugin_not_found", "no such channel plugin")
	ErrHostStopped   = failure.New(failure.Unavailable, "plugin_host_stopped", "the channel plugin host is stopped")
)

// Option changes a Host's supervision settings.
type Option func(*Host)

// WithStartTimeout bounds a launch (handshake and Describe); default StartTimeout.
func WithStartTimeout(d time.Duration) Option { return func(h *Host) { h.t.startTimeout = d } }

// WithPing sets how often plugins are pinged, how long a ping may take and how many
// consecutive failures restart a plugin; defaults PingInterval, PingTimeout,
// PingFailLimit.
func WithPing(interval, timeout time.Duration, failLimit int) Option {
	return func(h *Host) { h.t.pingInterval, h.t.pingTimeout, h.t.pingFailLimit = interval, timeout, failLimit }
}

// WithRestarts sets the restart budget (limit restarts within window) and the backoff
// before a restart (backoff, doubling, at most backoffMax); defaults RestartLimit,
// RestartWindow, RestartBackoff, RestartBackoffMax.
func WithRestarts(limit int, window, backoff, backoffMax time.Duration) Option {
	return func(h *Host) {
		h.t.restartLimit, h.t.restartWindow = limit, window
		h.t.restartBackoff, h.t.restartBackoffMax = backoff, backoffMax
	}
}

// WithCallTimeout sets the deadline of calls whose context has none; default
// CallTimeout.
func WithCallTimeout(d time.Duration) Option { return func(h *Host) { h.t.callTimeout = d } }

// WithStopTimeout bounds stopping one plugin; default StopTimeout.
func WithStopTimeout(d time.Duration) Option { return func(h *Host) { h.t.stopTimeout = d } }

// WithPlatformVersion sets the Switchboard version checked against the manifests'
// min_platform_version; default buildinfo.Version. A version that is not semantic
// (a development build) skips the check.
func WithPlatformVersion(v string) Option { return func(h *Host) { h.platformVersion = v } }

// WithDisabled leaves these plugins disabled at Start (an operator's saved choice).
func WithDisabled(ids ...string) Option {
	return func(h *Host) {
		for _, id := range ids {
			h.disabled[id] = true
		}
	}
}

// Host discovers, runs and supervises the channel plugins of one process.
type Host struct {
	dir string
	log *slog.Logger
	m   *metrics
	t   tuning

	platformVersion string

	mu       sync.Mutex
	phase    phase
	disabled map[string]bool
	sups     map[string]*supervisor
	chans    map[string]*routedChannel
}

type phase int

const (
	phaseNew phase = iota
	phaseStarted
	phaseStopped
)

// NewHost discovers the plugins in dir: every subdirectory holding a plugin.json. A
// missing dir means no plugins. A plugin whose manifest, executable, checksum or
// protocol version is wrong is listed as failed with the reason and never run; it
// does not stop the host or the other plugins. Nothing is launched before Start.
// The host's metrics are registered on reg (nil: not registered).
func NewHost(dir string, log *slog.Logger, reg prometheus.Registerer, opts ...Option) (*Host, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Host{
		dir:             dir,
		log:             log.With("component", "plugins"),
		platformVersion: buildinfo.Version,
		t:               defaultTuning(),
		disabled:        map[string]bool{},
		sups:            map[string]*supervisor{},
		chans:           map[string]*routedChannel{},
	}
	for _, o := range opts {
		o(h)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("plugin host metrics: %w", err)
	}
	h.m = m
	if err := h.discover(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Host) discover() error {
	entries, err := os.ReadDir(h.dir)
	if errors.Is(err, fs.ErrNotExist) {
		h.log.Warn("plugin directory does not exist; no channel plugins", "dir", h.dir)
		return nil
	}
	if err != nil {
		return fmt.Errorf("plugin directory: %w", err)
	}
	for _, e := range entries {
		dir := filepath.Join(h.dir, e.Name())
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, sdk.ManifestFile)); err != nil {
			h.log.Debug("not a plugin directory (no "+sdk.ManifestFile+")", "dir", dir)
			continue
		}
		h.add(dir)
	}
	if len(h.sups) == 0 {
		h.log.Warn("no channel plugins found", "dir", h.dir)
	}
	return nil
}

// add sets up the plugin in dir, as failed when it cannot run.
func (h *Host) add(dir string) {
	man, tgt, err := h.prepare(dir)
	id := man.ID
	if id == "" {
		id = filepath.Base(dir)
	}
	if other, dup := h.sups[id]; dup {
		// Two directories claim one id: the first (by name) keeps it.
		tgt, err = nil, setupErrorf("duplicate plugin id %q: %s already provides it", id, other.dir)
		id = filepath.Base(dir)
		if _, taken := h.sups[id]; taken {
			h.log.Error("channel plugin ignored", "dir", dir, "reason", err)
			return
		}
	}
	s := newSupervisor(id, dir, h.log, h.m, h.t)
	h.sups[id] = s
	h.chans[id] = newRoutedChannel(s, h.m)
	s.man, s.tgt = man, tgt
	switch {
	case err != nil:
		s.fail(err.Error())
	case h.disabled[id]:
		s.setState(StateDisabled, "")
		s.log.Info("channel plugin disabled", "path", tgt.path)
	default:
		s.log.Info("channel plugin found", "version", man.Version, "path", tgt.path)
	}
}

// prepare loads and checks the plugin in dir. It returns whatever of the manifest
// could be read (for the operator's view) and, when the plugin can run, its target;
// otherwise the reason it cannot.
func (h *Host) prepare(dir string) (sdk.Manifest, *target, error) {
	man, err := sdk.LoadManifest(dir) // parses strictly and validates; refuses ".." paths
	if err != nil {
		partial, _ := readManifest(dir)
		return partial, nil, setupErrorf("invalid manifest: %v", err)
	}
	if man.MinPlatformVersion != "" {
		if have, ok := parseVersion(h.platformVersion); ok {
			if need, _ := parseVersion(man.MinPlatformVersion); compareVersions(have, need) < 0 {
				return man, nil, setupErrorf("needs Switchboard %s or later, this is %s",
					man.MinPlatformVersion, h.platformVersion)
			}
		}
	}
	if !slices.Contains(protocolVersions(), man.ProtocolVersion) {
		return man, nil, setupErrorf("protocol mismatch: the manifest says protocol %d, this host speaks %s",
			man.ProtocolVersion, supportedProtocols())
	}
	path, sum, err := man.Executable(runtime.GOOS, runtime.GOARCH)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			e := man.Executables[runtime.GOOS+"-"+runtime.GOARCH]
			return man, nil, setupErrorf("executable not found: %s", filepath.Join(man.Dir(), filepath.FromSlash(e.Path)))
		}
		return man, nil, setupErrorf("no usable executable: %v", err)
	}
	// Executable already keeps the path inside the plugin directory; belt and braces.
	if !within(man.Dir(), path) {
		return man, nil, setupErrorf("refused: executable %s is outside the plugin directory", path)
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return man, nil, setupErrorf("executable not found: %s", path)
	}
	got, err := fileSHA256(path)
	if err != nil {
		return man, nil, setupErrorf("executable unreadable: %v", err)
	}
	if got != strings.ToLower(sum) {
		return man, nil, setupErrorf("checksum mismatch: %s has sha256 %s, the manifest says %s; refusing to run it",
			path, got, strings.ToLower(sum))
	}
	return man, &target{manifest: man, path: path}, nil
}

// readManifest reads what it can of a manifest that did not validate, so that the
// operator sees which plugin failed.
func readManifest(dir string) (sdk.Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, sdk.ManifestFile))
	if err != nil {
		return sdk.Manifest{}, err
	}
	var m sdk.Manifest
	err = json.Unmarshal(data, &m)
	return m, err
}

func within(dir, path string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(abs, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// parseVersion reads major.minor.patch from a version such as "v1.2.3",
// "1.2.3-rc.1" or git describe's "v1.2.3-4-gabcdef"; the suffix is ignored.
func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

func compareVersions(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			return cmp.Compare(a[i], b[i])
		}
	}
	return 0
}

// protocolVersions are the plugin protocol versions this host speaks.
func protocolVersions() []int {
	var vs []int
	for v := range sdk.VersionedPlugins(nil) {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	return vs
}

func supportedProtocols() string {
	var s []string
	for _, v := range protocolVersions() {
		s = append(s, strconv.Itoa(v))
	}
	return strings.Join(s, ", ")
}

// Start launches every plugin that can run and is not disabled, each under its
// supervisor, and returns once each has had its first launch attempt (or ctx ends:
// ctx bounds only this wait; plugins run until Stop). Plugins that fail are listed as
// failed; Start's error is only for a host already started or stopped.
func (h *Host) Start(ctx context.Context) error {
	h.mu.Lock()
	if h.phase != phaseNew {
		h.mu.Unlock()
		return fmt.Errorf("plugin host: Start called twice or after Stop")
	}
	h.phase = phaseStarted
	var firsts []<-chan struct{}
	for id, s := range h.sups {
		if h.disabled[id] || !s.ready() {
			continue
		}
		firsts = append(firsts, s.start())
	}
	h.mu.Unlock()
	for _, f := range firsts {
		select {
		case <-f:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// Stop stops every plugin gracefully (in-flight calls drain, then go-plugin's Kill),
// in parallel, and waits. Calls after Stop return Transient errors. Safe to call
// more than once.
func (h *Host) Stop() {
	h.mu.Lock()
	if h.phase == phaseStopped {
		h.mu.Unlock()
		return
	}
	h.phase = phaseStopped
	sups := make([]*supervisor, 0, len(h.sups))
	for _, s := range h.sups {
		sups = append(sups, s)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range sups {
		wg.Go(func() {
			s.op.Lock()
			defer s.op.Unlock()
			s.halt(StateStopped)
		})
	}
	wg.Wait()
	h.log.Info("channel plugins stopped", "count", len(sups))
}

// Plugins lists every discovered plugin, sorted by id.
func (h *Host) Plugins() []PluginInfo {
	h.mu.Lock()
	sups := make([]*supervisor, 0, len(h.sups))
	for _, s := range h.sups {
		sups = append(sups, s)
	}
	h.mu.Unlock()
	out := make([]PluginInfo, 0, len(sups))
	for _, s := range sups {
		out = append(out, s.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Plugin reports one plugin.
func (h *Host) Plugin(id string) (PluginInfo, bool) {
	s := h.supervisor(id)
	if s == nil {
		return PluginInfo{}, false
	}
	return s.info(), true
}

func (h *Host) stopped() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.phase == phaseStopped
}

func (h *Host) supervisor(id string) *supervisor {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sups[id]
}

// Channel returns the plugin's channel. It is valid for the host's whole life: each
// call goes to the plugin's current process, so callers keep it across restarts. A
// call while the plugin is down returns a Transient *sdk.Error (see the package doc).
// The error is ErrUnknownPlugin when no plugin has this id.
func (h *Host) Channel(id string) (sdk.Channel, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.chans[id]
	if !ok {
		return nil, failure.Wrapf(ErrUnknownPlugin, "plugin=%s", id)
	}
	return c, nil
}

// Disable stops a plugin gracefully and keeps it stopped (state disabled) until
// Enable. Calls to it return Transient errors meanwhile.
func (h *Host) Disable(id string) error {
	h.mu.Lock()
	s, ok := h.sups[id]
	if !ok {
		h.mu.Unlock()
		return failure.Wrapf(ErrUnknownPlugin, "plugin=%s", id)
	}
	if h.phase == phaseStopped {
		h.mu.Unlock()
		return ErrHostStopped
	}
	h.disabled[id] = true
	h.mu.Unlock()
	s.op.Lock()
	defer s.op.Unlock()
	if h.stopped() {
		return ErrHostStopped
	}
	s.halt(StateDisabled)
	s.log.Info("channel plugin disabled by an operator")
	return nil
}

// Enable runs a disabled or failed plugin again, with a fresh restart budget. It
// rereads and rechecks the plugin's manifest and executable first, so an operator can
// fix a failed plugin on disk and enable it. After Start it waits for the first launch
// and returns the reason when the plugin fails; a running plugin is left alone.
func (h *Host) Enable(id string) error {
	h.mu.Lock()
	s, ok := h.sups[id]
	if !ok {
		h.mu.Unlock()
		return failure.Wrapf(ErrUnknownPlugin, "plugin=%s", id)
	}
	if h.phase == phaseStopped {
		h.mu.Unlock()
		return ErrHostStopped
	}
	delete(h.disabled, id)
	started := h.phase == phaseStarted
	h.mu.Unlock()
	s.op.Lock()
	defer s.op.Unlock()
	if h.stopped() { // Stop won the race for this plugin; do not start it again
		return ErrHostStopped
	}
	if s.supervised() {
		return nil
	}
	man, tgt, err := h.prepare(s.dir)
	if err == nil && man.ID != id {
		tgt, err = nil, setupErrorf("the manifest's id changed from %q to %q; restart the host to pick it up", id, man.ID)
	}
	s.setTarget(man, tgt)
	if err != nil {
		s.halt(StateFailed)
		s.fail(err.Error())
		return fmt.Errorf("channel plugin %s: %w", id, err)
	}
	if !started {
		s.setState(StateStarting, "")
		return nil
	}
	s.log.Info("channel plugin enabled by an operator")
	<-s.start()
	if pi := s.info(); pi.State == StateFailed {
		return fmt.Errorf("channel plugin %s: %s", id, pi.LastError)
	}
	return nil
}
