package conformance_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/loopback/loopbacktest"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
)

// recorder is a conformance.TB that records failures instead of failing the test, so
// the kit's own verdicts can be asserted.
type recorder struct {
	name     string
	parent   *recorder
	mu       *sync.Mutex
	failures *[]string // "<subtest path>: message", shared by the whole tree
	failed   bool
}

func newRecorder() *recorder {
	return &recorder{mu: &sync.Mutex{}, failures: &[]string{}}
}

func (r *recorder) Helper()                   {}
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Errorf(f string, a ...any) { r.fail(fmt.Sprintf(f, a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.fail(fmt.Sprintf(f, a...)); runtime.Goexit() }

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for x := r; x != nil; x = x.parent {
		x.failed = true
	}
	*r.failures = append(*r.failures, r.name+": "+msg)
}

func (r *recorder) Run(name string, f func(conformance.TB)) bool {
	sub := &recorder{name: r.name + "/" + name, parent: r, mu: r.mu, failures: r.failures}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(sub)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return !sub.failed
}

// check runs the kit against impl in-process and returns the failures it reported.
func check(t *testing.T, impl sdk.Channel) []string {
	t.Helper()
	k := loopbacktest.Kit()
	k.Manifest = loopbacktest.Manifest()
	rec := newRecorder()
	rec.Run("kit", func(tb conformance.TB) { conformance.Check(tb, conformance.Connect(t, impl), k) })
	return *rec.failures
}

// failedOnly asserts that the kit failed, and only under the given subtest paths.
func failedOnly(t *testing.T, failures []string, paths ...string) {
	t.Helper()
	if len(failures) == 0 {
		t.Fatalf("the kit passed a broken plugin; want failures under %v", paths)
	}
	t.Logf("the kit reported, as it should:\n%s", strings.Join(failures, "\n"))
	for _, p := range paths {
		found := false
		for _, f := range failures {
			if strings.HasPrefix(f, "/kit/"+p+":") || strings.HasPrefix(f, "/kit/"+p+"/") {
				found = true
			}
		}
		if !found {
			t.Errorf("no failure reported under %s; got:\n%s", p, strings.Join(failures, "\n"))
		}
	}
	for _, f := range failures {
		ok := false
		for _, p := range paths {
			ok = ok || strings.HasPrefix(f, "/kit/"+p)
		}
		if !ok {
			t.Errorf("unexpected failure: %s", f)
		}
	}
}

func TestKitPassesLoopback(t *testing.T) {
	t.Parallel()
	if failures := check(t, loopback.New()); len(failures) > 0 {
		t.Fatalf("the kit failed the loopback plugin:\n%s", strings.Join(failures, "\n"))
	}
}

// wrongClass reports rate limits as transient errors and auth failures as permanent.
type wrongClass struct{ *loopback.Loopback }

func (w wrongClass) Send(ctx context.Context, conn sdk.Connection, msg sdk.OutboundMessage) (sdk.SendResult, error) {
	res, err := w.Loopback.Send(ctx, conn, msg)
	var e *sdk.Error
	if errors.As(err, &e) {
		switch e.Class {
		case sdk.RateLimited:
			return res, errors.New("429 too many requests") // unclassified: arrives as transient
		case sdk.AuthFailed:
			return res, sdk.Errorf(sdk.Permanent, e.Code, "%s", e.Reason)
		}
	}
	return res, err
}

func TestKitFailsWrongErrorClass(t *testing.T) {
	t.Parallel()
	failedOnly(t, check(t, wrongClass{loopback.New()}), "errors/rate_limited", "errors/auth")
}

// noRetryAfter rate-limits without saying when to come back.
type noRetryAfter struct{ *loopback.Loopback }

func (w noRetryAfter) Send(ctx context.Context, conn sdk.Connection, msg sdk.OutboundMessage) (sdk.SendResult, error) {
	res, err := w.Loopback.Send(ctx, conn, msg)
	var e *sdk.Error
	if errors.As(err, &e) && e.Class == sdk.RateLimited {
		e.RetryAfter = 0
	}
	return res, err
}

func TestKitFailsRateLimitWithoutRetryAfter(t *testing.T) {
	t.Parallel()
	failedOnly(t, check(t, noRetryAfter{loopback.New()}), "errors/rate_limited")
}

// acceptsForged does not check signatures: it re-signs every request before parsing.
type acceptsForged struct{ *loopback.Loopback }

func (w acceptsForged) HandleWebhook(ctx context.Context, conn sdk.Connection, req sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event, error) {
	return w.Loopback.HandleWebhook(ctx, conn, loopback.SignedRequest(conn, req.Body))
}

func TestKitFailsForgedSignatureAccepted(t *testing.T) {
	t.Parallel()
	failedOnly(t, check(t, acceptsForged{loopback.New()}), "webhook/forged")
}

// forgedNamesOthers names other accounts in every answer, also a refused one.
type forgedNamesOthers struct{ *loopback.Loopback }

func (w forgedNamesOthers) HandleWebhook(ctx context.Context, conn sdk.Connection, req sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event, error) {
	resp, events, err := w.Loopback.HandleWebhook(ctx, conn, req)
	resp.OtherAddresses = []string{"+15550783882"}
	return resp, events, err
}

func TestKitFailsForgedNamingOthers(t *testing.T) {
	t.Parallel()
	failedOnly(t, check(t, forgedNamesOthers{loopback.New()}), "webhook/forged")
}

// newIDs gives parsed events fresh random provider ids on every parse.
type newIDs struct{ *loopback.Loopback }

func (w newIDs) HandleWebhook(ctx context.Context, conn sdk.Connection, req sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event, error) {
	resp, events, err := w.Loopback.HandleWebhook(ctx, conn, req)
	for _, e := range events {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := "rnd-" + hex.EncodeToString(b)
		if e.Message != nil {
			e.Message.ProviderMessageID = id
		}
		if e.Status != nil {
			e.Status.ProviderMessageID = id
		}
	}
	return resp, events, err
}

func TestKitFailsNonIdempotentParse(t *testing.T) {
	t.Parallel()
	failedOnly(t, check(t, newIDs{loopback.New()}), "webhook/idempotent")
}

// silentSessions opens sessions but never emits anything.
type silentSessions struct{ *loopback.Loopback }

func (silentSessions) Events(ctx context.Context, _ func(sdk.Event) error) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestKitFailsSilentSessions(t *testing.T) {
	t.Parallel()
	k := loopbacktest.Kit()
	k.Manifest = loopbacktest.Manifest()
	k.Timeout = 300 * time.Millisecond // the check waits this long for an event
	rec := newRecorder()
	rec.Run("kit", func(tb conformance.TB) {
		conformance.Check(tb, conformance.Connect(t, silentSessions{loopback.New()}), k)
	})
	failedOnly(t, *rec.failures, "sessions")
}

// lyingDescription says it is a different version than its manifest.
type lyingDescription struct{ *loopback.Loopback }

func (w lyingDescription) Describe(ctx context.Context) (sdk.Description, error) {
	d, err := w.Loopback.Describe(ctx)
	d.Version = "9.9.9"
	return d, err
}

func TestKitFailsDescriptionDisagreeingWithManifest(t *testing.T) {
	t.Parallel()
	failedOnly(t, check(t, lyingDescription{loopback.New()}), "describe")
}

// acceptsAnyConfig has no config validation.
type acceptsAnyConfig struct{ *loopback.Loopback }

func (acceptsAnyConfig) ValidateConfig(context.Context, string, json.RawMessage) ([]sdk.FieldError, error) {
	return nil, nil
}

func TestKitFailsMissingConfigValidation(t *testing.T) {
	t.Parallel()
	failedOnly(t, check(t, acceptsAnyConfig{loopback.New()}), "validate_config/invalid")
}
