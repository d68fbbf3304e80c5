package loopback_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/loopback/loopbacktest"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
)

func connWith(cfg loopback.Config) sdk.Connection {
	c := loopbacktest.Connection()
	c.Config = cfg.JSON()
	return c
}

func text(s string) sdk.OutboundMessage {
	return sdk.OutboundMessage{ID: "m", To: "+15550100001", Type: sdk.TypeText, Text: s}
}

func classOf(err error) *sdk.Error {
	var e *sdk.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

func TestDescribeMatchesManifest(t *testing.T) {
	t.Parallel()
	m, err := sdk.ParseManifest(loopback.ManifestJSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ValidateTemplate(); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	d, err := loopback.New().Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Agrees(d); err != nil {
		t.Error(err)
	}
	for _, c := range []sdk.Capability{sdk.CapMedia, sdk.CapMediaDownload, sdk.CapLocation, sdk.CapReactions, sdk.CapReadReceipts, sdk.CapSessions, sdk.CapTemplates} {
		if !d.Has(c) {
			t.Errorf("loopback does not declare %s", c)
		}
	}
	if d.Kind != "loopback" || !slices.Equal(d.Engines, []string{"loopback"}) {
		t.Errorf("kind %q engines %v", d.Kind, d.Engines)
	}
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	ctx := context.Background()
	good := `{"webhook_secret":"s","auto_reply":"hi","fail_with":"rate_limited","fail_rate":0.5,"delay_ms":10,"statuses":["sent","failed"],"canonical_addresses":{"+525512345678":"+5215512345678"}}`
	if fes, err := lb.ValidateConfig(ctx, "loopback", json.RawMessage(good)); err != nil || len(fes) != 0 {
		t.Errorf("ValidateConfig(%s) = %v, %v; want none", good, fes, err)
	}
	cases := map[string]string{
		`{}`:                                     "webhook_secret",
		`{"webhook_secret":""}`:                  "webhook_secret",
		`{"webhook_secret":5}`:                   "webhook_secret",
		`{"webhook_secret":"s","fail_with":"x"}`: "fail_with",
		`{"webhook_secret":"s","fail_rate":2}`:   "fail_rate",
		`{"webhook_secret":"s","fail_rate":"a"}`: "fail_rate",
		`{"webhook_secret":"s","delay_ms":1.5}`:  "delay_ms",
		`{"webhook_secret":"s","statuses":"x"}`:  "statuses",
		`{"webhook_secret":"s","extra":true}`:    "extra",
		`[1,2]`:                                  "",

		`{"webhook_secret":"s","canonical_addresses":["+1"]}`:       "canonical_addresses",
		`{"webhook_secret":"s","canonical_addresses":{"+1555":""}}`: "canonical_addresses",
	}
	for cfg, field := range cases {
		fes, err := lb.ValidateConfig(ctx, "loopback", json.RawMessage(cfg))
		if err != nil || !slices.ContainsFunc(fes, func(fe sdk.FieldError) bool { return fe.Field == field }) {
			t.Errorf("ValidateConfig(%s) = %v, %v; want a field error on %q", cfg, fes, err, field)
		}
	}
	if _, err := lb.ValidateConfig(ctx, "carrier-pigeon", json.RawMessage(good)); classOf(err) == nil || classOf(err).Class != sdk.Permanent {
		t.Errorf("ValidateConfig(unknown engine) = %v; want a permanent error", err)
	}
}

func TestSendIDs(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	conn := loopbacktest.Connection()
	for i, want := range []string{"lb-1", "lb-2"} {
		res, err := lb.Send(context.Background(), conn, text("hi"))
		if err != nil || res.ProviderMessageID != want {
			t.Errorf("send %d = %+v, %v; want %s", i, res, err, want)
		}
	}
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	ctx := context.Background()
	conn := loopbacktest.Connection()
	cases := []struct {
		text  string
		class sdk.ErrorClass
		code  string
	}{
		{"FAIL:transient", sdk.Transient, loopback.CodeUnavailable},
		{"FAIL:rate_limited please", sdk.RateLimited, loopback.CodeRateLimited},
		{"FAIL:permanent", sdk.Permanent, loopback.CodeRejected},
		{"FAIL:auth", sdk.AuthFailed, loopback.CodeAuth},
		{"FAIL:gremlins", sdk.Permanent, loopback.CodeInvalidMessage},
	}
	for _, tc := range cases {
		_, err := lb.Send(ctx, conn, text(tc.text))
		e := classOf(err)
		if e == nil || e.Class != tc.class || e.Code != tc.code {
			t.Errorf("Send(%q) = %v; want %s %s", tc.text, err, tc.class, tc.code)
			continue
		}
		if tc.class == sdk.RateLimited && e.RetryAfter != time.Second {
			t.Errorf("rate limited retry-after = %v; want 1s", e.RetryAfter)
		}
		if tc.class == sdk.Permanent && tc.code == loopback.CodeRejected && e.Reason != "recipient rejected" {
			t.Errorf("permanent reason = %q", e.Reason)
		}
	}
	if got := lb.TakeWebhooks(conn.ID); len(got) != 0 {
		t.Errorf("failed sends produced %d webhooks; want none", len(got))
	}

	for _, class := range []sdk.ErrorClass{sdk.Transient, sdk.RateLimited, sdk.Permanent, sdk.AuthFailed} {
		_, err := lb.Send(ctx, connWith(loopback.Config{WebhookSecret: "s", FailWith: class}), text("hi"))
		if e := classOf(err); e == nil || e.Class != class {
			t.Errorf("fail_with %s: Send = %v", class, err)
		}
	}

	always := connWith(loopback.Config{WebhookSecret: "s", FailRate: 1})
	never := connWith(loopback.Config{WebhookSecret: "s", FailRate: 0})
	for range 20 {
		if _, err := lb.Send(ctx, always, text("hi")); classOf(err) == nil || classOf(err).Class != sdk.Transient {
			t.Fatalf("fail_rate 1: Send = %v; want transient", err)
		}
		if _, err := lb.Send(ctx, never, text("hi")); err != nil {
			t.Fatalf("fail_rate 0: Send = %v", err)
		}
	}

	bad := []sdk.OutboundMessage{
		{To: "+1", Type: sdk.TypeText},
		{Type: sdk.TypeText, Text: "no recipient"},
		{To: "+1", Type: sdk.TypeMedia},
		{To: "+1", Type: sdk.TypeLocation},
		{To: "+1", Type: sdk.TypeTemplate, Template: &sdk.Template{}},
		{To: "+1", Type: sdk.TypeReaction, Reaction: &sdk.Reaction{Emoji: "x"}},
		{To: "+1", Type: sdk.TypePin},
		{To: "+1", Type: sdk.TypePin, Pin: &sdk.Pin{Pinned: true}},
		{To: "+1", Type: "hologram"},
	}
	for _, msg := range bad {
		if _, err := lb.Send(ctx, conn, msg); classOf(err) == nil || classOf(err).Code != loopback.CodeInvalidMessage {
			t.Errorf("Send(%+v) = %v; want %s", msg, err, loopback.CodeInvalidMessage)
		}
	}
	if res, err := lb.Send(ctx, conn, sdk.OutboundMessage{To: "+1", Type: sdk.TypePin, Pin: &sdk.Pin{ProviderMessageID: "lb-1", Pinned: true}}); err != nil || res.ProviderMessageID == "" {
		t.Errorf("pin: Send = %+v, %v", res, err)
	}
	if _, err := lb.Send(ctx, connWith(loopback.Config{}), text("hi")); classOf(err) == nil || classOf(err).Class != sdk.AuthFailed {
		t.Errorf("Send with an invalid config = %v; want auth", err)
	}
}

func TestSendDelay(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	conn := connWith(loopback.Config{WebhookSecret: "s", DelayMS: 50})
	start := time.Now()
	if _, err := lb.Send(context.Background(), conn, text("hi")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("Send with delay_ms 50 took %v", d)
	}
	slow := connWith(loopback.Config{WebhookSecret: "s", DelayMS: 60_000})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := lb.Send(ctx, slow, text("hi")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send past its deadline = %v; want the context's error", err)
	}
}

// TestWebhooksRoundTrip: what the provider would post comes back through HandleWebhook
// as the statuses and reply of the sent message, twice the same.
func TestWebhooksRoundTrip(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	ctx := context.Background()
	conn := connWith(loopback.Config{WebhookSecret: "s3cret", AutoReply: "thanks", Statuses: []string{"sent", "delivered", "failed", "read"}})
	res, err := lb.Send(ctx, conn, text("hello"))
	if err != nil {
		t.Fatal(err)
	}
	reqs := lb.TakeWebhooks(conn.ID)
	if len(reqs) != 4 { // sent, delivered, failed (ends the sequence), reply
		t.Fatalf("%d webhooks; want 4", len(reqs))
	}
	if again := lb.TakeWebhooks(conn.ID); len(again) != 0 {
		t.Errorf("TakeWebhooks twice returned %d the second time", len(again))
	}
	var got []string
	for _, req := range reqs {
		resp, events, err := lb.HandleWebhook(ctx, conn, req)
		if err != nil || resp.Status != http.StatusOK || len(events) != 1 {
			t.Fatalf("HandleWebhook = %+v, %d events, %v", resp, len(events), err)
		}
		_, events2, _ := lb.HandleWebhook(ctx, conn, req)
		if !reflect.DeepEqual(events, events2) {
			t.Errorf("parsing twice differs:\n%+v\n%+v", events, events2)
		}
		e := events[0]
		switch e.Type {
		case sdk.EventStatus:
			if e.Status.ProviderMessageID != res.ProviderMessageID {
				t.Errorf("status for %q; want %q", e.Status.ProviderMessageID, res.ProviderMessageID)
			}
			if e.Status.Status == "failed" && e.Status.ErrorCode != loopback.CodeUndeliverable {
				t.Errorf("failed status without its code: %+v", e.Status)
			}
			got = append(got, e.Status.Status)
		case sdk.EventMessage:
			if e.Message.Text != "thanks" || e.Message.ReplyTo != res.ProviderMessageID || e.Message.From != "+15550100001" {
				t.Errorf("reply = %+v", e.Message)
			}
			got = append(got, "reply")
		}
		if len(e.Raw) == 0 {
			t.Error("event without its raw payload")
		}
	}
	if want := []string{"sent", "delivered", "failed", "reply"}; !slices.Equal(got, want) {
		t.Errorf("events %v; want %v", got, want)
	}
}

// TestCanonicalAddress: a send to an address canonical_addresses maps answers with the
// provider's own address of the recipient, which its statuses and the reply carry; a
// send to any other answers with none.
func TestCanonicalAddress(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	ctx := context.Background()
	conn := connWith(loopback.Config{WebhookSecret: "s3cret", AutoReply: "gracias", Statuses: []string{"sent"},
		CanonicalAddresses: map[string]string{"+525512345678": "+5215512345678"}})
	msg := text("hola")
	msg.To = "+525512345678"
	res, err := lb.Send(ctx, conn, msg)
	if err != nil || res.RecipientAddress != "+5215512345678" {
		t.Fatalf("Send = %+v, %v; want RecipientAddress +5215512345678", res, err)
	}
	var from []string
	for _, req := range lb.TakeWebhooks(conn.ID) {
		_, events, err := lb.HandleWebhook(ctx, conn, req)
		if err != nil || len(events) != 1 {
			t.Fatalf("HandleWebhook = %+v, %v", events, err)
		}
		if m := events[0].Message; m != nil {
			from = append(from, m.From)
		}
	}
	if !slices.Equal(from, []string{"+5215512345678"}) {
		t.Errorf("replies from %v; want one from +5215512345678", from)
	}
	if res, err := lb.Send(ctx, conn, text("hi")); err != nil || res.RecipientAddress != "" {
		t.Errorf("Send to an unmapped address = %+v, %v; want no RecipientAddress", res, err)
	}
}

// TestWebhooksKeepTheNewest: a connection keeps its newest 256 webhooks, however many
// sends came before, and each is signed like any other.
func TestWebhooksKeepTheNewest(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	ctx := context.Background()
	conn := connWith(loopback.Config{WebhookSecret: "s3cret", Statuses: []string{"sent"}})
	var last string
	for range 700 {
		res, err := lb.Send(ctx, conn, text("hello"))
		if err != nil {
			t.Fatal(err)
		}
		last = res.ProviderMessageID
	}
	reqs := lb.TakeWebhooks(conn.ID)
	if len(reqs) != 256 {
		t.Fatalf("%d webhooks kept; want the newest 256", len(reqs))
	}
	var ids []string
	for _, req := range []sdk.WebhookRequest{reqs[0], reqs[len(reqs)-1]} {
		resp, events, err := lb.HandleWebhook(ctx, conn, req)
		if err != nil || resp.Status != http.StatusOK || len(events) != 1 {
			t.Fatalf("HandleWebhook = %+v, %d events, %v", resp, len(events), err)
		}
		ids = append(ids, events[0].Status.ProviderMessageID)
	}
	if want := []string{"lb-445", last}; last != "lb-700" || !slices.Equal(ids, want) {
		t.Errorf("oldest and newest kept %v (last sent %s); want %v", ids, last, want)
	}
}

func TestHandleWebhookRefuses(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	ctx := context.Background()
	conn := loopbacktest.Connection()
	good := loopbacktest.SignedWebhook(conn)

	noSig := loopbacktest.SignedWebhook(conn)
	delete(noSig.Headers, loopback.SignatureHeader)
	tampered := loopbacktest.SignedWebhook(conn)
	tampered.Body = []byte(strings.Replace(string(tampered.Body), "lb-1000", "lb-9999", 1))
	garbage := loopbacktest.SignedWebhook(conn)
	garbage.Headers[loopback.SignatureHeader] = []string{"sha256=zz"}
	get := loopbacktest.SignedWebhook(conn)
	get.Method = http.MethodGet
	notJSON := loopback.SignedRequest(conn, []byte("hello"))
	lower := loopbacktest.SignedWebhook(conn)
	lower.Headers = map[string][]string{strings.ToLower(loopback.SignatureHeader): lower.Headers[loopback.SignatureHeader]}
	noSecret := conn
	noSecret.Config = json.RawMessage(`{}`)

	cases := []struct {
		name   string
		conn   sdk.Connection
		req    sdk.WebhookRequest
		status int
	}{
		{"good", conn, good, 200},
		{"lowercase header", conn, lower, 200},
		{"no signature", conn, noSig, 401},
		{"forged", conn, loopbacktest.ForgedWebhook(conn), 401},
		{"tampered body", conn, tampered, 401},
		{"garbage signature", conn, garbage, 401},
		{"no secret configured", noSecret, good, 401},
		{"GET", conn, get, 405},
		{"not JSON", conn, notJSON, 400},
	}
	for _, tc := range cases {
		resp, events, err := lb.HandleWebhook(ctx, tc.conn, tc.req)
		if err != nil || resp.Status != tc.status {
			t.Errorf("%s: HandleWebhook = %d, %v; want %d", tc.name, resp.Status, err, tc.status)
		}
		if wantEvents := tc.status == 200; (len(events) > 0) != wantEvents {
			t.Errorf("%s: %d events", tc.name, len(events))
		}
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn := connWith(loopback.Config{WebhookSecret: "s", AutoReply: "pong"})

	// Closed: nothing on Events.
	if _, err := lb.Send(ctx, conn, text("ping")); err != nil {
		t.Fatal(err)
	}
	if err := lb.OpenSession(ctx, conn); err != nil {
		t.Fatal(err)
	}
	res, err := lb.Send(ctx, conn, text("ping"))
	if err != nil {
		t.Fatal(err)
	}
	if err := lb.CloseSession(ctx, conn.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := lb.Send(ctx, conn, text("ping")); err != nil {
		t.Fatal(err)
	}

	streamCtx, stop := context.WithTimeout(ctx, 200*time.Millisecond)
	defer stop()
	var got []sdk.Event
	err = lb.Events(streamCtx, func(e sdk.Event) error { got = append(got, e); return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Events = %v; want its context's error", err)
	}
	var kinds []string
	for _, e := range got {
		if e.ConnectionID != conn.ID {
			t.Errorf("session event for %q", e.ConnectionID)
		}
		switch {
		case e.Status != nil && e.Status.ProviderMessageID == res.ProviderMessageID:
			kinds = append(kinds, e.Status.Status)
		case e.Message != nil && e.Message.ReplyTo == res.ProviderMessageID:
			kinds = append(kinds, "reply:"+e.Message.Text)
		default:
			t.Errorf("event not from the send while the session was open: %+v", e)
		}
	}
	if want := []string{"sent", "delivered", "read", "reply:pong"}; !slices.Equal(kinds, want) {
		t.Errorf("session events %v; want %v", kinds, want)
	}
	if err := lb.OpenSession(ctx, connWith(loopback.Config{})); classOf(err) == nil {
		t.Errorf("OpenSession with an invalid config = %v; want an error", err)
	}
}

func TestActions(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	ctx := context.Background()
	conn := loopbacktest.Connection()
	for _, name := range []string{"react", "mark_read"} {
		out, err := lb.Action(ctx, conn, name, json.RawMessage(`{"provider_message_id":"lb-1","emoji":"👍"}`))
		if err != nil || string(out) != `{"ok":true}` {
			t.Errorf("%s = %s, %v", name, out, err)
		}
		if _, err := lb.Action(ctx, conn, name, nil); classOf(err) == nil || classOf(err).Class != sdk.Permanent {
			t.Errorf("%s without a message id = %v; want permanent", name, err)
		}
	}
	out, err := lb.Action(ctx, conn, "sync_templates", nil)
	var tpl struct {
		Templates []struct{ Name, Status string }
	}
	if err != nil || json.Unmarshal(out, &tpl) != nil || len(tpl.Templates) != 2 ||
		tpl.Templates[0].Status != "approved" || tpl.Templates[1].Status != "approved" {
		t.Errorf("sync_templates = %s, %v; want two approved templates", out, err)
	}
	if _, err := lb.Action(ctx, conn, "pin", nil); classOf(err) == nil || classOf(err).Class != sdk.Permanent || classOf(err).Code != loopback.CodeUnknownAction {
		t.Errorf("unknown action = %v; want permanent %s", err, loopback.CodeUnknownAction)
	}

	if _, err := lb.Send(ctx, conn, text("hi")); err != nil {
		t.Fatal(err)
	}
	out, err = lb.Action(ctx, conn, "take_webhooks", nil)
	var taken struct{ Requests []sdk.WebhookRequest }
	if err != nil || json.Unmarshal(out, &taken) != nil || len(taken.Requests) != 4 {
		t.Fatalf("take_webhooks = %s, %v; want 4 requests", out, err)
	}
	if resp, events, err := lb.HandleWebhook(ctx, conn, taken.Requests[0]); err != nil || resp.Status != 200 || len(events) != 1 {
		t.Errorf("replaying a taken webhook: %d, %d events, %v", resp.Status, len(events), err)
	}
}

// TestResolveMedia: loopback's media are plain links, fetched as they are.
func TestResolveMedia(t *testing.T) {
	t.Parallel()
	lb := loopback.New()
	ctx := context.Background()
	conn := loopbacktest.Connection()
	for name, ch := range map[string]sdk.Channel{"in_process": lb, "out_of_process": conformance.Connect(t, lb)} {
		for _, u := range []string{"https://cdn.example.com/photo.jpg?v=2", "http://127.0.0.1:8080/a.pdf"} {
			out, err := ch.Action(ctx, conn, sdk.ActionResolveMedia, json.RawMessage(`{"url":"`+u+`"}`))
			var src sdk.MediaSource
			if err != nil || json.Unmarshal(out, &src) != nil || src.URL != u || len(src.Headers) != 0 || src.MIMEType != "" || src.Size != 0 {
				t.Errorf("%s: resolve_media %s = %s, %v; want the URL as it is, no headers", name, u, out, err)
			}
			if strings.Contains(string(out), `"headers"`) {
				t.Errorf("%s: resolve_media = %s, want no headers member", name, out)
			}
		}
		for _, args := range []string{`{"url":"ftp://example.com/a"}`, `{"url":"/media/1"}`, `{"url":""}`, `{}`, `{"url":"https://"}`} {
			_, err := ch.Action(ctx, conn, sdk.ActionResolveMedia, json.RawMessage(args))
			if e := classOf(err); e == nil || e.Class != sdk.Permanent || e.Code != loopback.CodeInvalidMessage {
				t.Errorf("%s: resolve_media %s = %v; want permanent %s", name, args, err, loopback.CodeInvalidMessage)
			}
		}
	}
}
