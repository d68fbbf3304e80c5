package channels

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// Supervision defaults, after Mattermost's plugin supervisor (30 s health checks, 3
// failures, 3 restarts an hour, then "failed to stay running"). A ping is a local gRPC
// health check of ~0.1 ms and sends are customer-facing, so the host pings every 5 s
// rather than every 30 s. Options change them (tests shorten them).
const (
	// StartTimeout bounds launching a plugin: the go-plugin handshake, then Describe.
	StartTimeout = 10 * time.Second
	// PingInterval is how often a running plugin's gRPC health service is checked.
	PingInterval = 5 * time.Second
	// PingTimeout is how long one ping may take before it counts as failed. A stopped
	// (hung) process keeps its socket open, so without it a ping would wait forever.
	PingTimeout = 2 * time.Second
	// PingFailLimit consecutive failed pings restart the plugin ("ping timeout").
	PingFailLimit = 3
	// RestartLimit restarts within RestartWindow are allowed; the next crash leaves the
	// plugin failed ("failed to stay running") until an operator enables it again.
	RestartLimit  = 3
	RestartWindow = 60 * time.Minute
	// RestartBackoff is the pause before the first restart in the window; it doubles
	// with each further restart, up to RestartBackoffMax.
	RestartBackoff    = 100 * time.Millisecond
	RestartBackoffMax = 5 * time.Second
	// CallTimeout is the deadline given to a call whose context has none (all methods
	// but Events, which streams until its context ends).
	CallTimeout = 30 * time.Second
	// StopTimeout bounds a graceful stop: in-flight calls drain, then go-plugin's Kill
	// asks the plugin to exit; a plugin still there after StopTimeout is SIGKILLed.
	StopTimeout = 5 * time.Second

	// exitPollInterval is how often the supervisor looks whether the process exited:
	// a crash is noticed within it, not at the next ping.
	exitPollInterval = 50 * time.Millisecond
	// stderrTail is how much of a launch's stderr is kept for the failure reason.
	stderrTail = 2 << 10
)

// tuning is the supervision settings of one host.
type tuning struct {
	startTimeout      time.Duration
	pingInterval      time.Duration
	pingTimeout       time.Duration
	pingFailLimit     int
	restartLimit      int
	restartWindow     time.Duration
	restartBackoff    time.Duration
	restartBackoffMax time.Duration
	callTimeout       time.Duration
	stopTimeout       time.Duration
}

func defaultTuning() tuning {
	return tuning{
		startTimeout:      StartTimeout,
		pingInterval:      PingInterval,
		pingTimeout:       PingTimeout,
		pingFailLimit:     PingFailLimit,
		restartLimit:      RestartLimit,
		restartWindow:     RestartWindow,
		restartBackoff:    RestartBackoff,
		restartBackoffMax: RestartBackoffMax,
		callTimeout:       CallTimeout,
		stopTimeout:       StopTimeout,
	}
}

// A setupError is a problem no restart can fix (bad manifest, wrong checksum,
// protocol mismatch, a binary that disagrees with its manifest): the plugin goes
// straight to failed.
type setupError struct{ reason string }

func (e *setupError) Error() string { return e.reason }

func setupErrorf(format string, args ...any) error {
	return &setupError{reason: fmt.Sprintf(format, args...)}
}

// target is what a supervisor launches: the checked manifest and executable.
type target struct {
	manifest sdk.Manifest
	path     string // absolute
}

// supervisor runs one plugin: launches it, watches it (process exit, pings), restarts
// it with backoff within the restart budget, and hands its live client to callers.
type supervisor struct {
	id  string
	dir string
	log *slog.Logger // with plugin=<id>
	m   *metrics
	t   tuning

	inst atomic.Pointer[instance] // the live plugin, nil while down
	op   sync.Mutex               // serializes operator actions (Enable, Disable, Stop)

	mu        sync.Mutex
	man       sdk.Manifest // as far as it could be read, for the operator's view
	tgt       *target      // nil when the plugin cannot run
	state     State
	lastErr   string
	restarts  int
	startedAt time.Time
	window    []time.Time // restarts within the restart window
	cancel    context.CancelFunc
	done      chan struct{} // closed when the loop goroutine returns
}

func newSupervisor(id, dir string, log *slog.Logger, m *metrics, t tuning) *supervisor {
	s := &supervisor{id: id, dir: dir, log: log.With("plugin", id), m: m, t: t, state: StateStarting}
	m.up.WithLabelValues(id).Set(0)
	m.restarts.WithLabelValues(id) // export 0 from the start
	return s
}

// info is the operator's view of the plugin.
func (s *supervisor) info() PluginInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := PluginInfo{ID: s.id, State: s.state, LastError: s.lastErr, Restarts: s.restarts, Path: s.dir}
	if s.state == StateRunning {
		pi.StartedAt = s.startedAt
	}
	man := s.man
	pi.Version = man.Version
	pi.Kind = man.Kind
	pi.Engines = slices.Clone(man.Engines)
	pi.Capabilities = slices.Clone(man.Capabilities)
	pi.ConfigSchema = slices.Clone(man.ConfigSchema)
	pi.SendRates = maps.Clone(man.SendRates)
	pi.MediaLimits = maps.Clone(man.MediaLimits)
	pi.MediaTypes = slices.Clone(man.MediaTypes)
	if s.tgt != nil {
		pi.Path = s.tgt.path
	}
	return pi
}

func (s *supervisor) setState(st State, reason string) {
	s.mu.Lock()
	s.state = st
	if reason != "" {
		s.lastErr = reason
	}
	s.mu.Unlock()
	if st != StateRunning {
		s.m.up.WithLabelValues(s.id).Set(0)
	}
}

// fail leaves the plugin failed with reason, logged for the operator.
func (s *supervisor) fail(reason string) {
	s.setState(StateFailed, reason)
	s.log.Error("channel plugin failed", "reason", reason)
}

// ready reports whether the plugin passed its checks and can be launched.
func (s *supervisor) ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tgt != nil
}

func (s *supervisor) setTarget(man sdk.Manifest, tgt *target) {
	s.mu.Lock()
	s.man, s.tgt = man, tgt
	s.mu.Unlock()
}

// supervised reports whether the supervision loop is running.
func (s *supervisor) supervised() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.supervisedLocked()
}

func (s *supervisor) supervisedLocked() bool {
	if s.done == nil {
		return false
	}
	select {
	case <-s.done: // the loop gave up (failed)
		return false
	default:
		return true
	}
}

// start runs the supervision loop with a fresh restart budget; the returned channel
// is closed once the first launch attempt has an outcome (running, failed, or waiting
// to restart).
func (s *supervisor) start() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := make(chan struct{})
	if s.supervisedLocked() {
		close(first)
		return first
	}
	if s.cancel != nil {
		s.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	s.state = StateStarting
	s.window = nil
	go s.loop(ctx, s.done, first)
	return first
}

// halt stops the loop, stopping the plugin gracefully, and leaves the plugin in st
// (a failed plugin stays failed when the host stops).
func (s *supervisor) halt(st State) {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done = nil, nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	s.mu.Lock()
	if st != StateStopped || s.state != StateFailed {
		s.state = st
	}
	s.mu.Unlock()
	s.m.up.WithLabelValues(s.id).Set(0)
}

// unavailable is the error of a call made while the plugin is down: Transient, so the
// caller retries, with the reason in words.
func (s *supervisor) unavailable() *sdk.Error {
	s.mu.Lock()
	st, last := s.state, s.lastErr
	s.mu.Unlock()
	var reason string
	switch st {
	case StateFailed:
		reason = fmt.Sprintf("channel plugin %s has failed: %s", s.id, last)
	case StateDisabled:
		reason = fmt.Sprintf("channel plugin %s is disabled", s.id)
	case StateStopped:
		reason = fmt.Sprintf("channel plugin %s is stopped", s.id)
	case StateStarting:
		reason = fmt.Sprintf("channel plugin %s is starting", s.id)
	default: // restarting, or running but the process just went away
		reason = s.restartingReason()
	}
	return &sdk.Error{Class: sdk.Transient, Reason: reason}
}

func (s *supervisor) restartingReason() string {
	return fmt.Sprintf("channel plugin %s is restarting", s.id)
}

func (s *supervisor) loop(ctx context.Context, done, first chan struct{}) {
	defer close(done)
	firstOnce := sync.OnceFunc(func() { close(first) })
	defer firstOnce()
	for {
		inst, err := s.launch(ctx)
		if ctx.Err() != nil {
			if inst != nil {
				s.stopInstance(inst)
			}
			return
		}
		var reason string
		if err != nil {
			var se *setupError
			if errors.As(err, &se) {
				s.fail(se.reason)
				return
			}
			reason = err.Error()
			s.log.Warn("channel plugin did not start", "error", reason)
		} else {
			s.running(inst)
			firstOnce()
			var stopped bool
			reason, stopped = s.watch(ctx, inst)
			s.inst.Store(nil)
			if stopped {
				s.stopInstance(inst)
				return
			}
			s.setState(StateRestarting, reason)
			s.log.Warn("channel plugin down, restarting", "reason", reason, "pid", inst.pid,
				"uptime", time.Since(inst.started).Round(time.Millisecond).String())
			inst.retire()
			inst.kill()
		}
		backoff, ok := s.recordRestart(reason)
		firstOnce()
		if !ok {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// running publishes a freshly launched plugin to callers.
func (s *supervisor) running(inst *instance) {
	s.mu.Lock()
	s.state = StateRunning
	s.startedAt = inst.started
	s.mu.Unlock()
	s.inst.Store(inst)
	s.m.up.WithLabelValues(s.id).Set(1)
	s.log.Info("channel plugin running", "pid", inst.pid, "version", inst.version)
}

// recordRestart spends one restart of the budget, or fails the plugin when the budget
// of the window is spent. It returns the pause before the restart.
func (s *supervisor) recordRestart(reason string) (time.Duration, bool) {
	now := time.Now()
	s.mu.Lock()
	kept := s.window[:0]
	for _, at := range s.window {
		if now.Sub(at) < s.t.restartWindow {
			kept = append(kept, at)
		}
	}
	s.window = kept
	if len(s.window) >= s.t.restartLimit {
		s.mu.Unlock()
		s.fail(fmt.Sprintf("failed to stay running: %d restarts within %s, last: %s",
			len(kept), s.t.restartWindow, reason))
		return 0, false
	}
	s.window = append(s.window, now)
	s.restarts++
	s.state = StateRestarting
	s.lastErr = reason
	n := len(s.window)
	s.mu.Unlock()
	s.m.restarts.WithLabelValues(s.id).Inc()
	s.m.up.WithLabelValues(s.id).Set(0)

	backoff := s.t.restartBackoff
	for i := 1; i < n && backoff < s.t.restartBackoffMax; i++ {
		backoff *= 2
	}
	return min(backoff, s.t.restartBackoffMax), true
}

// watch returns when the plugin must be restarted (why) or ctx ends (stopped).
func (s *supervisor) watch(ctx context.Context, inst *instance) (reason string, stopped bool) {
	exits := time.NewTicker(exitPollInterval)
	defer exits.Stop()
	pings := time.NewTicker(s.t.pingInterval)
	defer pings.Stop()
	results := make(chan error, 1)
	pinging := false
	fails := 0
	for {
		select {
		case <-ctx.Done():
			return "", true
		case <-exits.C:
			if inst.exited() {
				return inst.exitReason(), false
			}
		case <-pings.C:
			if !pinging {
				pinging = true
				go func() { results <- inst.ping(s.t.pingTimeout) }()
			}
		case err := <-results:
			pinging = false
			if err == nil {
				fails = 0
				continue
			}
			if inst.exited() {
				return inst.exitReason(), false
			}
			fails++
			s.log.Warn("channel plugin ping failed", "error", err, "consecutive", fails, "limit", s.t.pingFailLimit)
			if fails >= s.t.pingFailLimit {
				return fmt.Sprintf("ping timeout: %d consecutive pings failed (last: %v)", fails, err), false
			}
		}
	}
}

// launch starts the plugin process, completes the go-plugin handshake and checks that
// the plugin describes itself as its manifest does.
func (s *supervisor) launch(ctx context.Context) (*instance, error) {
	s.mu.Lock()
	tgt := s.tgt
	s.mu.Unlock()
	if tgt == nil {
		return nil, setupErrorf("plugin is not set up")
	}
	if _, err := os.Stat(tgt.path); err != nil {
		return nil, setupErrorf("executable not found: %s", tgt.path)
	}

	// sdk.ClientConfig is the launch contract: handshake, gRPC only, AutoMTLS, the
	// manifest's sha256 enforced by SecureConfig before exec, the plugin directory as
	// working directory and a short allow-list of environment variables.
	cfg, err := sdk.ClientConfig(tgt.manifest)
	if err != nil {
		return nil, setupErrorf("%v", err)
	}
	tail := &tailBuffer{max: stderrTail}
	cfg.Managed = false // the supervisor kills its plugins
	cfg.StartTimeout = s.t.startTimeout
	cfg.Logger = newHCLogger(s.log)
	cfg.Stderr = tail
	cfg.SyncStdout = newLineLogger(s.log, slog.LevelInfo, "plugin stdout")
	cfg.SyncStderr = newLineLogger(s.log, slog.LevelWarn, "plugin stderr")
	// The process is bound to a context: cancelling it SIGKILLs the plugin from any
	// goroutine without touching go-plugin's locks (a hung plugin can block
	// client.Client, which holds them, and client.Kill, which waits on them).
	procCtx, killProc := context.WithCancel(context.Background())
	cmd := exec.CommandContext(procCtx, cfg.Cmd.Path)
	cmd.Args, cmd.Dir, cmd.Env = cfg.Cmd.Args, cfg.Cmd.Dir, cfg.Cmd.Env
	cfg.Cmd = cmd
	client := plugin.NewClient(cfg)
	rpc, err := s.connect(ctx, client, killProc)
	if err != nil {
		return nil, startError(err, tail.String())
	}
	inst := newInstance(client, rpc, cmd, killProc, tgt.manifest.Version)
	ch, err := sdk.Dispense(rpc)
	if err != nil {
		inst.kill()
		return nil, setupErrorf("%v", err)
	}
	inst.ch = ch

	dctx, cancel := context.WithTimeout(ctx, s.t.startTimeout)
	desc, err := ch.Describe(dctx)
	cancel()
	if err != nil {
		inst.kill()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("describe: %w", err)
	}
	if err := tgt.manifest.Agrees(desc); err != nil {
		inst.kill()
		return nil, setupErrorf("%v", err) // "plugin "x" disagrees with its manifest: version: …"
	}
	return inst, nil
}

// connect starts the plugin and connects to it within the start timeout. go-plugin
// bounds only the handshake by StartTimeout: opening its stdio stream to a plugin that
// stopped answering right after the handshake would wait for as long as the process
// lives, so the whole of client.Client is bounded here and the process killed when it
// runs over.
func (s *supervisor) connect(ctx context.Context, client *plugin.Client, killProc context.CancelFunc) (plugin.ClientProtocol, error) {
	type result struct {
		rpc plugin.ClientProtocol
		err error
	}
	done := make(chan result, 1)
	go func() {
		rpc, err := client.Client()
		done <- result{rpc, err}
	}()
	timer := time.NewTimer(s.t.startTimeout)
	defer timer.Stop()
	var r result
	select {
	case r = <-done:
	case <-timer.C:
		killProc()
		<-done
		r = result{err: fmt.Errorf("no answer within the start timeout (%s)", s.t.startTimeout)}
	case <-ctx.Done():
		killProc()
		<-done
		r = result{err: ctx.Err()}
	}
	if r.err != nil {
		killProc()
		client.Kill()
		return nil, r.err
	}
	return r.rpc, nil
}

// pluginVersionRE reads the plugin's protocol out of go-plugin's handshake error.
var pluginVersionRE = regexp.MustCompile(`Plugin version: (\d+)`)

// startError turns go-plugin's launch error into an operator's reason; errors no
// restart can fix become setup errors.
func startError(err error, stderr string) error {
	msg := err.Error()
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return setupErrorf("checksum mismatch: the executable's sha256 differs from the manifest's; refusing to run it")
	case strings.Contains(msg, "incompatible API version"):
		v := "?"
		if m := pluginVersionRE.FindStringSubmatch(msg); m != nil {
			v = m[1]
		}
		return setupErrorf("protocol mismatch: the plugin speaks protocol %s, this host speaks %s",
			v, supportedProtocols())
	case strings.Contains(msg, "incompatible core API version"), strings.Contains(msg, "unsupported plugin protocol"):
		return setupErrorf("protocol mismatch: %s", firstLine(msg))
	}
	if stderr != "" {
		return fmt.Errorf("start: %s (stderr: %s)", firstLine(msg), stderr)
	}
	return fmt.Errorf("start: %s", firstLine(msg))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// stopInstance stops a plugin gracefully: new calls are refused, in-flight calls get
// up to StopTimeout to finish, then go-plugin's Kill asks the plugin to exit (and
// kills it if it does not); a plugin that does not even answer that is SIGKILLed.
func (s *supervisor) stopInstance(inst *instance) {
	inst.retire()
	deadline := time.NewTimer(s.t.stopTimeout)
	defer deadline.Stop()
	select {
	case <-inst.drained:
	case <-deadline.C:
		s.log.Warn("channel plugin calls still in flight at stop", "timeout", s.t.stopTimeout)
	}
	killed := make(chan struct{})
	go func() {
		if inst.client != nil {
			inst.client.Kill()
		}
		close(killed)
	}()
	select {
	case <-killed:
	case <-time.After(s.t.stopTimeout):
		s.log.Warn("channel plugin did not exit, killing it", "pid", inst.pid)
		inst.killProc()
		<-killed
	}
	inst.killProc() // releases the process context; a no-op once the process is gone
	s.log.Info("channel plugin stopped", "pid", inst.pid)
}

// instance is one launched plugin process and its client.
type instance struct {
	client   *plugin.Client
	rpc      plugin.ClientProtocol
	ch       sdk.Channel
	cmd      *exec.Cmd
	killProc context.CancelFunc // SIGKILLs the process (exec.CommandContext)
	pid      int
	started  time.Time
	version  string

	mu       sync.Mutex
	inflight int
	retired  bool
	drained  chan struct{} // closed once retired with no call in flight
}

func newInstance(client *plugin.Client, rpc plugin.ClientProtocol, cmd *exec.Cmd, killProc context.CancelFunc, version string) *instance {
	i := &instance{client: client, rpc: rpc, cmd: cmd, killProc: killProc, started: time.Now(), version: version,
		drained: make(chan struct{})}
	if i.killProc == nil {
		i.killProc = func() {}
	}
	if client != nil {
		if rc := client.ReattachConfig(); rc != nil {
			i.pid = rc.Pid
		}
	}
	return i
}

// acquire registers a call; false once the instance is retired.
func (i *instance) acquire() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.retired {
		return false
	}
	i.inflight++
	return true
}

func (i *instance) release() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.inflight--
	if i.retired && i.inflight == 0 {
		close(i.drained)
	}
}

// retire refuses new calls; drained closes when the last in-flight call returns.
func (i *instance) retire() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.retired {
		return
	}
	i.retired = true
	if i.inflight == 0 {
		close(i.drained)
	}
}

// gone reports whether the instance is no longer the one to call.
func (i *instance) gone() bool {
	i.mu.Lock()
	retired := i.retired
	i.mu.Unlock()
	return retired || i.exited()
}

// exited reports whether the plugin process has exited (and been reaped).
func (i *instance) exited() bool { return i.client != nil && i.client.Exited() }

// kill ends a crashed or hung plugin at once: SIGKILL (a stopped process would never
// answer go-plugin's graceful shutdown), then go-plugin's Kill to clean up.
func (i *instance) kill() {
	i.killProc()
	if i.client != nil {
		i.client.Kill()
	}
}

// exitReason says how the process ended. Call it once client.Exited() is true: the
// exit status is then written (go-plugin sets exited after cmd.Wait, under its lock).
func (i *instance) exitReason() string {
	if i.cmd != nil && i.cmd.ProcessState != nil {
		return "plugin process exited (" + i.cmd.ProcessState.String() + ")"
	}
	return "plugin process exited"
}

// ping checks the plugin's gRPC health service (what go-plugin's Ping calls) with a
// deadline: go-plugin's Ping has none and would wait forever on a hung process.
func (i *instance) ping(timeout time.Duration) error {
	if gc, ok := i.rpc.(*plugin.GRPCClient); ok {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_, err := grpc_health_v1.NewHealthClient(gc.Conn).Check(ctx,
			&grpc_health_v1.HealthCheckRequest{Service: plugin.GRPCServiceName})
		return err
	}
	res := make(chan error, 1)
	go func() { res <- i.rpc.Ping() }()
	select {
	case err := <-res:
		return err
	case <-time.After(timeout):
		return context.DeadlineExceeded
	}
}
