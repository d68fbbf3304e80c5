package channels

// In-process tests (layer 1): the host's routing, error contract, deadlines, metrics
// and supervision logic against a Channel served over go-plugin's in-memory gRPC
// connection (plugin.TestPluginGRPCConn), no process involved.

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// fakeChannel answers Send as told and records the deadlines it saw.
type fakeChannel struct {
	sendErr error
	block   chan struct{} // when set, Send waits for it (or ctx)
	entered chan struct{} // when set, Send signals it is running

	mu        sync.Mutex
	deadlines map[string]time.Duration // method → time left at entry; -1 = none
}

func (f *fakeChannel) saw(ctx context.Context, method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deadlines == nil {
		f.deadlines = map[string]time.Duration{}
	}
	if d, ok := ctx.Deadline(); ok {
		f.deadlines[method] = time.Until(d)
	} else {
		f.deadlines[method] = -1
	}
}

func (f *fakeChannel) deadline(method string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deadlines[method]
}

func (f *fakeChannel) Describe(ctx context.Context) (sdk.Description, error) {
	f.saw(ctx, "Describe")
	return sdk.Description{ID: "fake", Version: "1.0.0", Kind: "test", Engines: []string{"fake"},
		ConfigSchema: json.RawMessage(`{"type":"object"}`)}, nil
}

func (f *fakeChannel) ValidateConfig(ctx context.Context, _ string, _ json.RawMessage) ([]sdk.FieldError, error) {
	f.saw(ctx, "ValidateConfig")
	return []sdk.FieldError{{Field: "token", Message: "is required"}}, nil
}

func (f *fakeChannel) Send(ctx context.Context, _ sdk.Connection, msg sdk.OutboundMessage) (sdk.SendResult, error) {
	f.saw(ctx, "Send")
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return sdk.SendResult{}, ctx.Err()
		}
	}
	if f.sendErr != nil {
		return sdk.SendResult{}, f.sendErr
	}
	return sdk.SendResult{ProviderMessageID: "fake-" + msg.ID}, nil
}

func (f *fakeChannel) HandleWebhook(ctx context.Context, _ sdk.Connection, _ sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event, error) {
	f.saw(ctx, "HandleWebhook")
	return sdk.WebhookResponse{Status: 200}, nil, nil
}

func (f *fakeChannel) OpenSession(ctx context.Context, _ sdk.Connection) error {
	f.saw(ctx, "OpenSession")
	return nil
}

func (f *fakeChannel) CloseSession(ctx context.Context, _ string) error {
	f.saw(ctx, "CloseSession")
	return nil
}

func (f *fakeChannel) Events(ctx context.Context, emit func(sdk.Event) error) error {
	f.saw(ctx, "Events")
	return emit(sdk.Event{Type: sdk.EventContact, Contact: &sdk.Contact{Address: "+1", Name: "Ada"}})
}

func (f *fakeChannel) Action(ctx context.Context, _ sdk.Connection, name string, _ json.RawMessage) (json.RawMessage, error) {
	f.saw(ctx, "Action")
	return json.RawMessage(`{"action":"` + name + `"}`), nil
}

// inProcess is a supervisor whose live instance is impl served over an in-memory
// gRPC connection.
type inProcess struct {
	s      *supervisor
	ch     *routedChannel
	reg    *prometheus.Registry
	inst   *instance
	server *plugin.GRPCServer
}

func newInProcess(t *testing.T, impl sdk.Channel, tune func(*tuning)) *inProcess {
	t.Helper()
	client, server := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
		sdk.PluginName: &sdk.ChannelPlugin{Impl: impl},
	})
	t.Cleanup(func() { _ = client.Close() }) // its Shutdown stops the server
	ch, err := sdk.Dispense(client)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	tu := defaultTuning()
	if tune != nil {
		tune(&tu)
	}
	s := newSupervisor("fake", t.TempDir(), testLog(t), m, tu)
	inst := newInstance(nil, client, nil, nil, "1.0.0")
	inst.ch = ch
	s.running(inst)
	return &inProcess{s: s, ch: newRoutedChannel(s, m), reg: reg, inst: inst, server: server}
}

func TestChannelRoutesCallsToTheLivePlugin(t *testing.T) {
	t.Parallel()
	p := newInProcess(t, &fakeChannel{}, nil)
	ctx := context.Background()

	res, err := p.ch.Send(ctx, sdk.Connection{ID: "c"}, sdk.OutboundMessage{ID: "m1", To: "+1", Text: "hi"})
	if err != nil || res.ProviderMessageID != "fake-m1" {
		t.Fatalf("Send = %+v, %v; want provider id fake-m1", res, err)
	}
	fes, err := p.ch.ValidateConfig(ctx, "fake", json.RawMessage(`{}`))
	if err != nil || len(fes) != 1 || fes[0].Field != "token" {
		t.Fatalf("ValidateConfig = %+v, %v; want the token field error", fes, err)
	}
	out, err := p.ch.Action(ctx, sdk.Connection{ID: "c"}, "pin", nil)
	if err != nil || string(out) != `{"action":"pin"}` {
		t.Fatalf("Action = %s, %v", out, err)
	}
	var got []sdk.Event
	if err := p.ch.Events(ctx, func(e sdk.Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatalf("Events: %v", err)
	}
	if len(got) != 1 || got[0].Contact == nil || got[0].Contact.Name != "Ada" {
		t.Fatalf("Events emitted %+v", got)
	}

	if n := metric(t, p.reg, "switchboard_plugin_calls_total", "plugin", "fake", "method", "Send"); n != 1 {
		t.Errorf("calls_total{Send} = %v, want 1", n)
	}
	if n := metric(t, p.reg, "switchboard_plugin_call_duration_seconds", "plugin", "fake", "method", "Send"); n != 1 {
		t.Errorf("call_duration_seconds{Send} count = %v, want 1", n)
	}
	if up := metric(t, p.reg, "switchboard_plugin_up", "plugin", "fake"); up != 1 {
		t.Errorf("up = %v, want 1", up)
	}
}

func TestChannelPassesClassifiedErrorsThrough(t *testing.T) {
	t.Parallel()
	for _, want := range []*sdk.Error{
		{Class: sdk.Permanent, Code: "131047", Reason: "outside the 24-hour window"},
		{Class: sdk.RateLimited, Reason: "slow down", RetryAfter: 3 * time.Second},
		{Class: sdk.AuthFailed, Reason: "token expired"},
	} {
		t.Run(string(want.Class), func(t *testing.T) {
			t.Parallel()
			p := newInProcess(t, &fakeChannel{sendErr: want}, nil)
			_, err := p.ch.Send(context.Background(), sdk.Connection{}, sdk.OutboundMessage{ID: "m"})
			got := asSDKError(t, err, want.Class)
			if got.Reason != want.Reason || got.Code != want.Code || got.RetryAfter != want.RetryAfter {
				t.Errorf("error = %+v, want %+v", got, want)
			}
			if n := metric(t, p.reg, "switchboard_plugin_errors_total", "plugin", "fake", "method", "Send", "class", string(want.Class)); n != 1 {
				t.Errorf("errors_total{class=%s} = %v, want 1", want.Class, n)
			}
		})
	}
}

func TestChannelUnclassifiedErrorIsTransient(t *testing.T) {
	t.Parallel()
	p := newInProcess(t, &fakeChannel{sendErr: errors.New("socket closed")}, nil)
	_, err := p.ch.Send(context.Background(), sdk.Connection{}, sdk.OutboundMessage{ID: "m"})
	se := asSDKError(t, err, sdk.Transient)
	if !strings.Contains(se.Reason, "socket closed") {
		t.Errorf("reason %q does not carry the plugin's message", se.Reason)
	}
}

func TestChannelGivesCallsADefaultDeadline(t *testing.T) {
	t.Parallel()
	f := &fakeChannel{}
	p := newInProcess(t, f, func(tu *tuning) { tu.callTimeout = 7 * time.Second })

	if _, err := p.ch.Send(context.Background(), sdk.Connection{}, sdk.OutboundMessage{ID: "m"}); err != nil {
		t.Fatal(err)
	}
	if d := f.deadline("Send"); d <= 6*time.Second || d > 7*time.Second {
		t.Errorf("Send without a deadline reached the plugin with %v left, want the 7s call timeout", d)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := p.ch.Describe(ctx); err != nil {
		t.Fatal(err)
	}
	if d := f.deadline("Describe"); d <= time.Second || d > 2*time.Second {
		t.Errorf("Describe with the caller's 2s deadline reached the plugin with %v left", d)
	}

	if err := p.ch.Events(context.Background(), func(sdk.Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if d := f.deadline("Events"); d != -1 {
		t.Errorf("Events got a deadline (%v left); it streams until its context ends", d)
	}
}

func TestChannelCallTimesOutOnAHungPlugin(t *testing.T) {
	t.Parallel()
	f := &fakeChannel{block: make(chan struct{})}
	p := newInProcess(t, f, func(tu *tuning) { tu.callTimeout = 200 * time.Millisecond })
	start := time.Now()
	_, err := p.ch.Send(context.Background(), sdk.Connection{}, sdk.OutboundMessage{ID: "m"})
	asSDKError(t, err, sdk.Transient)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Send to a hung plugin returned after %v; the call timeout is 200ms", took)
	}
	close(f.block)
}

func TestChannelWhenThePluginIsDown(t *testing.T) {
	t.Parallel()
	cases := []struct {
		state  State
		last   string
		reason string
	}{
		{StateStarting, "", "channel plugin fake is starting"},
		{StateRestarting, "plugin process exited (signal: killed)", "channel plugin fake is restarting"},
		{StateFailed, "failed to stay running: 3 restarts", "channel plugin fake has failed: failed to stay running: 3 restarts"},
		{StateDisabled, "", "channel plugin fake is disabled"},
		{StateStopped, "", "channel plugin fake is stopped"},
	}
	for _, tc := range cases {
		t.Run(string(tc.state), func(t *testing.T) {
			t.Parallel()
			p := newInProcess(t, &fakeChannel{}, nil)
			p.s.inst.Store(nil)
			p.s.setState(tc.state, tc.last)
			start := time.Now()
			_, err := p.ch.Send(context.Background(), sdk.Connection{}, sdk.OutboundMessage{ID: "m"})
			se := asSDKError(t, err, sdk.Transient)
			if se.Reason != tc.reason {
				t.Errorf("reason = %q, want %q", se.Reason, tc.reason)
			}
			if took := time.Since(start); took > 500*time.Millisecond {
				t.Errorf("a call to a down plugin took %v; it must return at once", took)
			}
			if n := metric(t, p.reg, "switchboard_plugin_errors_total", "plugin", "fake", "method", "Send", "class", "transient"); n != 1 {
				t.Errorf("errors_total{transient} = %v, want 1", n)
			}
		})
	}
}

func TestChannelCallToADeadProcessSaysRestarting(t *testing.T) {
	t.Parallel()
	p := newInProcess(t, &fakeChannel{}, nil)
	p.server.Stop() // the plugin's side of the connection is gone
	_, err := p.ch.Send(context.Background(), sdk.Connection{}, sdk.OutboundMessage{ID: "m"})
	asSDKError(t, err, sdk.Transient)

	// Once the supervisor has retired the instance, calls are refused up front.
	p.inst.retire()
	_, err = p.ch.Send(context.Background(), sdk.Connection{}, sdk.OutboundMessage{ID: "m"})
	if se := asSDKError(t, err, sdk.Transient); se.Reason != "channel plugin fake is restarting" {
		t.Errorf("reason = %q", se.Reason)
	}
}

func TestSupervisorRestartsAfterFailedPings(t *testing.T) {
	t.Parallel()
	p := newInProcess(t, &fakeChannel{}, func(tu *tuning) {
		tu.pingInterval, tu.pingTimeout, tu.pingFailLimit = 10*time.Millisecond, 500*time.Millisecond, 3
	})
	type result struct {
		reason  string
		stopped bool
	}
	done := make(chan result, 1)
	go func() {
		r, s := p.s.watch(context.Background(), p.inst)
		done <- result{r, s}
	}()
	select {
	case r := <-done:
		t.Fatalf("watch returned %+v while the plugin answered pings", r)
	case <-time.After(150 * time.Millisecond): // ~15 healthy pings
	}
	p.server.Stop()
	select {
	case r := <-done:
		if r.stopped || !strings.HasPrefix(r.reason, "ping timeout: 3 consecutive pings failed") {
			t.Fatalf("watch = %+v, want a ping timeout after 3 failures", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not notice that pings fail")
	}
}

func TestSupervisorRestartBudget(t *testing.T) {
	t.Parallel()
	p := newInProcess(t, &fakeChannel{}, func(tu *tuning) {
		tu.restartLimit, tu.restartWindow = 3, time.Hour
		tu.restartBackoff, tu.restartBackoffMax = 100*time.Millisecond, 300*time.Millisecond
	})
	s := p.s
	for i, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond} {
		backoff, ok := s.recordRestart("plugin process exited")
		if !ok || backoff != want {
			t.Fatalf("restart %d: backoff %v, ok %v; want %v, true", i+1, backoff, ok, want)
		}
	}
	if _, ok := s.recordRestart("plugin process exited (exit status 3)"); ok {
		t.Fatal("a 4th restart within the window was allowed")
	}
	pi := s.info()
	if pi.State != StateFailed || pi.Restarts != 3 ||
		pi.LastError != "failed to stay running: 3 restarts within 1h0m0s, last: plugin process exited (exit status 3)" {
		t.Fatalf("after the budget: %+v", pi)
	}
	if n := metric(t, p.reg, "switchboard_plugin_restarts_total", "plugin", "fake"); n != 3 {
		t.Errorf("restarts_total = %v, want 3", n)
	}

	// Restarts older than the window no longer count.
	s.mu.Lock()
	for i := range s.window {
		s.window[i] = s.window[i].Add(-2 * time.Hour)
	}
	s.mu.Unlock()
	if backoff, ok := s.recordRestart("again"); !ok || backoff != 100*time.Millisecond {
		t.Fatalf("after the window passed: backoff %v, ok %v; want 100ms, true", backoff, ok)
	}
}

func TestStopLetsInFlightCallsFinish(t *testing.T) {
	t.Parallel()
	f := &fakeChannel{block: make(chan struct{}), entered: make(chan struct{}, 1)}
	p := newInProcess(t, f, func(tu *tuning) { tu.stopTimeout = 5 * time.Second })
	sent := make(chan error, 1)
	go func() {
		_, err := p.ch.Send(context.Background(), sdk.Connection{}, sdk.OutboundMessage{ID: "m"})
		sent <- err
	}()
	<-f.entered
	stopped := make(chan struct{})
	go func() {
		p.s.inst.Store(nil)
		p.s.stopInstance(p.inst)
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("stop did not wait for the call in flight")
	case <-time.After(100 * time.Millisecond):
	}
	// New calls are refused meanwhile.
	p.s.setState(StateStopped, "")
	if _, err := p.ch.Send(context.Background(), sdk.Connection{}, sdk.OutboundMessage{ID: "m2"}); err == nil {
		t.Fatal("a call was accepted while stopping")
	}
	close(f.block)
	if err := <-sent; err != nil {
		t.Fatalf("the in-flight call failed: %v", err)
	}
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.Fatal("stop did not return once the call finished")
	}
}
