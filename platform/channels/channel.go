package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// method indexes the sdk.Channel methods (for their metrics).
type method int

const (
	mDescribe method = iota
	mValidateConfig
	mSend
	mHandleWebhook
	mOpenSession
	mCloseSession
	mEvents
	mAction
	methodCount
)

var methodNames = [methodCount]string{
	mDescribe:       "Describe",
	mValidateConfig: "ValidateConfig",
	mSend:           "Send",
	mHandleWebhook:  "HandleWebhook",
	mOpenSession:    "OpenSession",
	mCloseSession:   "CloseSession",
	mEvents:         "Events",
	mAction:         "Action",
}

// routedChannel is the sdk.Channel Host.Channel hands out: each call goes to the
// supervisor's live plugin process, so callers keep one value across restarts. See
// the package doc for the error contract.
type routedChannel struct {
	s  *supervisor
	mm [methodCount]methodMetrics
}

var _ sdk.Channel = (*routedChannel)(nil)

func newRoutedChannel(s *supervisor, m *metrics) *routedChannel {
	c := &routedChannel{s: s}
	for i := range c.mm {
		c.mm[i] = m.forMethod(s.id, methodNames[i])
	}
	return c
}

// call runs fn against the live plugin and measures it. The error is nil or an
// *sdk.Error.
func (c *routedChannel) call(ctx context.Context, m method, fn func(context.Context, sdk.Channel) error) error {
	start := time.Now()
	serr := c.do(ctx, m, fn)
	mm := &c.mm[m]
	mm.calls.Inc()
	mm.duration.Observe(time.Since(start).Seconds())
	if serr != nil {
		mm.errors.WithLabelValues(string(serr.Class)).Inc()
		return serr
	}
	return nil
}

func (c *routedChannel) do(ctx context.Context, m method, fn func(context.Context, sdk.Channel) error) *sdk.Error {
	inst := c.s.inst.Load()
	if inst == nil || !inst.acquire() {
		return c.s.unavailable()
	}
	defer inst.release()
	if m != mEvents {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.s.t.callTimeout)
			defer cancel()
		}
	}
	err := fn(ctx, inst.ch)
	if err == nil {
		return nil
	}
	return c.classify(inst, m, err)
}

// classify makes every error an *sdk.Error. The plugin's own classified errors pass
// through; a failure of a process that died or is being replaced (the SDK reports
// transport errors as Transient) says the plugin is restarting; anything else is
// Transient with its text (the contract: errors that are not *sdk.Error are
// Transient).
func (c *routedChannel) classify(inst *instance, m method, err error) *sdk.Error {
	var se *sdk.Error
	if errors.As(err, &se) && !(se.Class == sdk.Transient && inst.gone()) {
		if se.Class == "" {
			cp := *se
			cp.Class = sdk.Transient
			return &cp
		}
		return se
	}
	if inst.gone() || status.Code(err) == codes.Unavailable {
		c.s.log.Debug("channel plugin call hit a dead process", "method", methodNames[m], "error", err)
		return &sdk.Error{Class: sdk.Transient, Reason: c.s.restartingReason()}
	}
	return &sdk.Error{Class: sdk.Transient, Reason: fmt.Sprintf("channel plugin %s: %s: %v", c.s.id, methodNames[m], err)}
}

func (c *routedChannel) Describe(ctx context.Context) (d sdk.Description, err error) {
	err = c.call(ctx, mDescribe, func(ctx context.Context, ch sdk.Channel) (err error) {
		d, err = ch.Describe(ctx)
		return err
	})
	return d, err
}

func (c *routedChannel) ValidateConfig(ctx context.Context, engine string, config json.RawMessage) (fe []sdk.FieldError, err error) {
	err = c.call(ctx, mValidateConfig, func(ctx context.Context, ch sdk.Channel) (err error) {
		fe, err = ch.ValidateConfig(ctx, engine, config)
		return err
	})
	return fe, err
}

func (c *routedChannel) Send(ctx context.Context, conn sdk.Connection, msg sdk.OutboundMessage) (r sdk.SendResult, err error) {
	err = c.call(ctx, mSend, func(ctx context.Context, ch sdk.Channel) (err error) {
		r, err = ch.Send(ctx, conn, msg)
		return err
	})
	return r, err
}

func (c *routedChannel) HandleWebhook(ctx context.Context, conn sdk.Connection, req sdk.WebhookRequest) (resp sdk.WebhookResponse, evs []sdk.Event, err error) {
	err = c.call(ctx, mHandleWebhook, func(ctx context.Context, ch sdk.Channel) (err error) {
		resp, evs, err = ch.HandleWebhook(ctx, conn, req)
		return err
	})
	return resp, evs, err
}

func (c *routedChannel) OpenSession(ctx context.Context, conn sdk.Connection) error {
	return c.call(ctx, mOpenSession, func(ctx context.Context, ch sdk.Channel) error {
		return ch.OpenSession(ctx, conn)
	})
}

func (c *routedChannel) CloseSession(ctx context.Context, connectionID string) error {
	return c.call(ctx, mCloseSession, func(ctx context.Context, ch sdk.Channel) error {
		return ch.CloseSession(ctx, connectionID)
	})
}

// Events streams the live plugin's session events until ctx ends. It gets no default
// deadline. When the plugin restarts the stream ends with a Transient error: the
// session owner reopens its sessions and calls Events again.
// An error from emit itself is returned as it is.
func (c *routedChannel) Events(ctx context.Context, emit func(sdk.Event) error) error {
	var (
		mu      sync.Mutex
		emitErr error
	)
	err := c.call(ctx, mEvents, func(ctx context.Context, ch sdk.Channel) error {
		return ch.Events(ctx, func(e sdk.Event) error {
			err := emit(e)
			if err != nil {
				mu.Lock()
				emitErr = err
				mu.Unlock()
			}
			return err
		})
	})
	mu.Lock()
	defer mu.Unlock()
	if emitErr != nil {
		return emitErr
	}
	return err
}

func (c *routedChannel) Action(ctx context.Context, conn sdk.Connection, name string, args json.RawMessage) (out json.RawMessage, err error) {
	err = c.call(ctx, mAction, func(ctx context.Context, ch sdk.Channel) (err error) {
		out, err = ch.Action(ctx, conn, name, args)
		return err
	})
	return out, err
}
