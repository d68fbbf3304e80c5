package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

const defaultTimeout = 10 * time.Second

// Check runs every check against ch, the host's view of a plugin (from Launch or
// Connect), as subtests of tb:
//
//   - describe: Describe agrees with the manifest; sessions declared iff k.Sessions
//   - validate_config: the valid config passes; each invalid one is refused naming its field
//   - send: Send accepts k.Message with a provider message id
//   - errors/<class>: Trigger(class) fails with that class (rate_limited with a retry-after)
//   - webhook/forged: 401 and no events
//   - webhook/valid: 2xx and at least one well-formed event
//   - webhook/idempotent: the same request parsed twice gives the same events
//   - sessions: open, an event arrives on Events for the connection, close (or, without
//     sessions, OpenSession is refused)
func Check(tb TB, ch sdk.Channel, k Kit) {
	tb.Helper()
	m, err := k.manifest()
	if err != nil {
		tb.Fatalf("conformance: %v", err)
	}
	k = k.withDefaults(m)
	c := checker{ch: ch, k: k, m: m}
	tb.Run("describe", c.describe)
	tb.Run("validate_config", c.validateConfig)
	tb.Run("send", c.send)
	tb.Run("errors", c.errorClasses)
	tb.Run("webhook", c.webhook)
	tb.Run("sessions", c.sessions)
}

func (k Kit) manifest() (sdk.Manifest, error) {
	switch {
	case k.Manifest != nil:
		return *k.Manifest, nil
	case k.Dir != "":
		return sdk.LoadManifest(k.Dir)
	default:
		return sdk.Manifest{}, errors.New("Kit needs Dir or Manifest")
	}
}

func (k Kit) withDefaults(m sdk.Manifest) Kit {
	if k.Connection.ID == "" {
		k.Connection.ID = "conformance-connection"
	}
	if k.Connection.WorkspaceID == "" {
		k.Connection.WorkspaceID = "conformance-workspace"
	}
	if k.Connection.Engine == "" && len(m.Engines) > 0 {
		k.Connection.Engine = m.Engines[0]
	}
	if k.Connection.WebhookURL == "" {
		k.Connection.WebhookURL = "https://switchboard.invalid/hooks/" + m.ID + "/" + k.Connection.ID
	}
	if k.Message.Type == "" && k.Message.Text == "" {
		k.Message = sdk.OutboundMessage{ID: "conformance-message", To: "+15550100001", Type: sdk.TypeText, Text: "Hello from the conformance kit"}
	}
	if k.Timeout <= 0 {
		k.Timeout = defaultTimeout
	}
	return k
}

type checker struct {
	ch sdk.Channel
	k  Kit
	m  sdk.Manifest
}

func (c checker) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.k.Timeout)
}

func (c checker) describe(t TB) {
	ctx, cancel := c.ctx()
	defer cancel()
	d, err := c.ch.Describe(ctx)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if err := c.m.Agrees(d); err != nil {
		t.Errorf("Describe: %v", err)
	}
	if !slices.Contains(d.Engines, c.k.Connection.Engine) {
		t.Errorf("Describe: engines %v do not include the kit connection's engine %q", d.Engines, c.k.Connection.Engine)
	}
	if d.Has(sdk.CapSessions) != c.k.Sessions {
		t.Errorf("Describe: declares sessions = %v, the kit says Sessions = %v", d.Has(sdk.CapSessions), c.k.Sessions)
	}
}

func (c checker) validateConfig(t TB) {
	t.Run("valid", func(t TB) {
		ctx, cancel := c.ctx()
		defer cancel()
		fes, err := c.ch.ValidateConfig(ctx, c.k.Connection.Engine, c.k.Connection.Config)
		if err != nil {
			t.Fatalf("ValidateConfig(valid config): %v", err)
		}
		if len(fes) > 0 {
			t.Errorf("ValidateConfig(valid config) = %v, want no field errors", fes)
		}
	})
	if len(c.k.InvalidConfigs) == 0 {
		t.Errorf("the kit has no InvalidConfigs: give at least one config the plugin must refuse")
	}
	for _, ic := range c.k.InvalidConfigs {
		name := ic.Name
		if name == "" {
			name = ic.Field
		}
		t.Run("invalid/"+name, func(t TB) {
			ctx, cancel := c.ctx()
			defer cancel()
			fes, err := c.ch.ValidateConfig(ctx, c.k.Connection.Engine, ic.Config)
			if err != nil {
				t.Fatalf("ValidateConfig(%s): %v; want field errors", ic.Config, err)
			}
			if !slices.ContainsFunc(fes, func(fe sdk.FieldError) bool { return fe.Field == ic.Field }) {
				t.Errorf("ValidateConfig(%s) = %v; want a field error on %q", ic.Config, fes, ic.Field)
			}
		})
	}
}

func (c checker) send(t TB) {
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := c.ch.Send(ctx, c.k.Connection, c.k.Message)
	if err != nil {
		t.Fatalf("Send(%+v): %v", c.k.Message, err)
	}
	if res.ProviderMessageID == "" {
		t.Errorf("Send: no provider message id in %+v", res)
	}
}

func (c checker) errorClasses(t TB) {
	for _, class := range ErrorClasses {
		t.Run(string(class), func(t TB) {
			if slices.Contains(c.k.Untriggerable, class) {
				t.Logf("skipped: the kit declares %s untriggerable", class)
				return
			}
			if c.k.Trigger == nil {
				t.Fatalf("the kit has no Trigger; declare the class in Untriggerable if the plugin cannot be made to fail with it")
			}
			ctx, cancel := c.ctx()
			defer cancel()
			msg := c.k.Trigger(class)
			_, err := c.ch.Send(ctx, c.k.Connection, msg)
			if err == nil {
				t.Fatalf("Send(Trigger(%s)) succeeded; want a %s error", class, class)
			}
			var e *sdk.Error
			if !errors.As(err, &e) {
				t.Fatalf("Send(Trigger(%s)) = %T %v; want *sdk.Error", class, err, err)
			}
			if e.Class != class {
				t.Errorf("Send(Trigger(%s)): class %q (%v); want %q", class, e.Class, e, class)
			}
			if e.Reason == "" {
				t.Errorf("Send(Trigger(%s)): empty reason; people read it", class)
			}
			if class == sdk.RateLimited && e.RetryAfter <= 0 {
				t.Errorf("Send(Trigger(rate_limited)): retry-after %v; want > 0", e.RetryAfter)
			}
		})
	}
}

func (c checker) webhook(t TB) {
	conn := c.k.Connection
	t.Run("forged", func(t TB) {
		if c.k.ForgedWebhook == nil {
			t.Fatalf("the kit has no ForgedWebhook")
		}
		ctx, cancel := c.ctx()
		defer cancel()
		resp, events, err := c.ch.HandleWebhook(ctx, conn, c.k.ForgedWebhook(conn))
		if err != nil {
			t.Errorf("HandleWebhook(forged): %v; want a 401 response and no error", err)
		}
		if resp.Status != 401 {
			t.Errorf("HandleWebhook(forged): status %d; want 401", resp.Status)
		}
		if len(events) > 0 {
			t.Errorf("HandleWebhook(forged): %d events; want none", len(events))
		}
		if len(resp.OtherAddresses) > 0 {
			t.Errorf("HandleWebhook(forged): other addresses %q; want none (the host would offer a forged request to their connections)", resp.OtherAddresses)
		}
	})
	t.Run("valid", func(t TB) {
		if c.k.SignedWebhook == nil {
			t.Fatalf("the kit has no SignedWebhook")
		}
		ctx, cancel := c.ctx()
		defer cancel()
		resp, events, err := c.ch.HandleWebhook(ctx, conn, c.k.SignedWebhook(conn))
		if err != nil {
			t.Fatalf("HandleWebhook(signed): %v", err)
		}
		if resp.Status < 200 || resp.Status > 299 {
			t.Errorf("HandleWebhook(signed): status %d (%s); want 2xx", resp.Status, resp.Body)
		}
		if len(events) == 0 {
			t.Errorf("HandleWebhook(signed): no events; want at least one")
		}
		for i, e := range events {
			if err := wellFormed(e); err != nil {
				t.Errorf("HandleWebhook(signed): event %d: %v", i, err)
			}
		}
	})
	t.Run("idempotent", func(t TB) {
		if c.k.SignedWebhook == nil {
			t.Fatalf("the kit has no SignedWebhook")
		}
		ctx, cancel := c.ctx()
		defer cancel()
		req := c.k.SignedWebhook(conn)
		var parsed [2]string
		for i := range parsed {
			_, events, err := c.ch.HandleWebhook(ctx, conn, clone(req))
			if err != nil {
				t.Fatalf("HandleWebhook(signed), parse %d: %v", i+1, err)
			}
			b, err := json.Marshal(events)
			if err != nil {
				t.Fatalf("events: %v", err)
			}
			parsed[i] = string(b)
		}
		if parsed[0] != parsed[1] {
			t.Errorf("the same request parsed twice gave different events; the host deduplicates by provider id, so parsing must be deterministic:\n first: %s\nsecond: %s", parsed[0], parsed[1])
		}
	})
}

func (c checker) sessions(t TB) {
	conn := c.k.Connection
	if !c.k.Sessions {
		ctx, cancel := c.ctx()
		defer cancel()
		if err := c.ch.OpenSession(ctx, conn); err == nil {
			t.Errorf("OpenSession succeeded on a plugin without sessions; want an error")
			_ = c.ch.CloseSession(ctx, conn.ID)
		}
		return
	}

	// The stream runs from before the session opens until the check ends.
	streamCtx, stopStream := context.WithCancel(context.Background())
	got := make(chan sdk.Event, 64)
	streamDone := make(chan error, 1)
	go func() {
		streamDone <- c.ch.Events(streamCtx, func(e sdk.Event) error {
			select {
			case got <- e:
			default:
			}
			return nil
		})
	}()
	defer func() {
		stopStream()
		select {
		case err := <-streamDone:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Events returned %v after its context was canceled; want nil or context.Canceled", err)
			}
		case <-time.After(c.k.Timeout):
			t.Errorf("Events did not return within %v after its context was canceled", c.k.Timeout)
		}
	}()

	ctx, cancel := c.ctx()
	defer cancel()
	if err := c.ch.OpenSession(ctx, conn); err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	defer func() {
		ctx, cancel := c.ctx()
		defer cancel()
		if err := c.ch.CloseSession(ctx, conn.ID); err != nil {
			t.Errorf("CloseSession: %v", err)
		}
	}()
	provoke := c.k.ProvokeSessionEvent
	if provoke == nil {
		provoke = func(ctx context.Context, ch sdk.Channel, conn sdk.Connection) error {
			_, err := ch.Send(ctx, conn, c.k.Message)
			return err
		}
	}
	if err := provoke(ctx, c.ch, conn); err != nil {
		t.Fatalf("provoking a session event: %v", err)
	}
	wait := time.NewTimer(c.k.Timeout)
	defer wait.Stop()
	select {
	case e := <-got:
		if err := wellFormed(e); err != nil {
			t.Errorf("session event: %v", err)
		}
		if e.ConnectionID != conn.ID {
			t.Errorf("session event for connection %q; want %q (session events carry their connection id)", e.ConnectionID, conn.ID)
		}
	case err := <-streamDone:
		streamDone <- err // for the deferred check
		t.Errorf("Events ended before any event arrived: %v", err)
	case <-wait.C:
		t.Errorf("no event on Events within %v of opening the session and provoking one", c.k.Timeout)
	}
}

// wellFormed checks that e has a type, the payload its type calls for and the provider
// id the host deduplicates on.
func wellFormed(e sdk.Event) error {
	var problems []string
	switch e.Type {
	case sdk.EventMessage:
		if e.Message == nil {
			problems = append(problems, "message event without Message")
		} else if e.Message.ProviderMessageID == "" {
			problems = append(problems, "message event without a provider message id")
		}
	case sdk.EventStatus:
		if e.Status == nil {
			problems = append(problems, "status event without Status")
		} else {
			if e.Status.ProviderMessageID == "" {
				problems = append(problems, "status event without a provider message id")
			}
			if e.Status.Status == "" {
				problems = append(problems, "status event without a status")
			}
		}
	case sdk.EventContact, sdk.EventOptOut, sdk.EventOptIn:
		if e.Contact == nil || e.Contact.Address == "" {
			problems = append(problems, fmt.Sprintf("%s event without a contact address", e.Type))
		}
	default:
		problems = append(problems, fmt.Sprintf("unknown event type %q", e.Type))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// clone copies req so a plugin that modifies its argument cannot fake idempotency.
func clone(req sdk.WebhookRequest) sdk.WebhookRequest {
	out := req
	out.Body = slices.Clone(req.Body)
	if req.Headers != nil {
		out.Headers = make(map[string][]string, len(req.Headers))
		for k, v := range req.Headers {
			out.Headers[k] = slices.Clone(v)
		}
	}
	return out
}
