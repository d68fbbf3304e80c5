package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	channelpb "github.com/switchboardhq/switchboard/plugins/sdk/proto"
)

// fake is a Channel that records what it receives and answers with canned values.
type fake struct {
	mu   sync.Mutex
	got  []any // arguments received, in call order
	desc Description
	fes  []FieldError
	res  SendResult
	resp WebhookResponse
	evs  []Event
	act  json.RawMessage
	err  error // returned by every call when set

	stream    []Event
	streamErr error // returned by Events after stream, instead of waiting for ctx
}

func (f *fake) record(args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, args...)
}

func (f *fake) received() []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got
}

func (f *fake) Describe(context.Context) (Description, error) { return f.desc, f.err }

func (f *fake) ValidateConfig(_ context.Context, engine string, config json.RawMessage) ([]FieldError, error) {
	f.record(engine, config)
	return f.fes, f.err
}

func (f *fake) Send(_ context.Context, conn Connection, msg OutboundMessage) (SendResult, error) {
	f.record(conn, msg)
	return f.res, f.err
}

func (f *fake) HandleWebhook(_ context.Context, conn Connection, req WebhookRequest) (WebhookResponse, []Event, error) {
	f.record(conn, req)
	return f.resp, f.evs, f.err
}

func (f *fake) OpenSession(_ context.Context, conn Connection) error {
	f.record(conn)
	return f.err
}

func (f *fake) CloseSession(_ context.Context, id string) error {
	f.record(id)
	return f.err
}

func (f *fake) Events(ctx context.Context, emit func(Event) error) error {
	for _, e := range f.stream {
		if err := emit(e); err != nil {
			return err
		}
	}
	if f.streamErr != nil {
		return f.streamErr
	}
	<-ctx.Done()
	return ctx.Err()
}

func (f *fake) Action(_ context.Context, conn Connection, name string, args json.RawMessage) (json.RawMessage, error) {
	f.record(conn, name, args)
	return f.act, f.err
}

// connect serves impl in-process through the adapters and returns the host's side.
func connect(t *testing.T, impl Channel) Channel {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, VersionedPlugins(impl)[ProtocolVersion])
	t.Cleanup(func() { _ = client.Close() })
	ch, err := Dispense(client)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

var at = time.Date(2025, 3, 1, 12, 30, 15, 123456789, time.UTC)

var conn = Connection{
	ID: "c1", WorkspaceID: "w1", Engine: "cloud", Address: "+15550000000",
	Config: json.RawMessage(`{"token":"t"}`), WebhookURL: "https://x.test/hooks/wa/c1",
}

func events() []Event {
	return []Event{
		{Type: EventMessage, ConnectionID: "c1", Raw: json.RawMessage(`{"m":1}`), Message: &InboundMessage{
			ProviderMessageID: "in-1", From: "+1555", To: "+1666", Type: "image", Text: "look", Subject: "s",
			Media:    &Media{URL: "https://m.test/a.jpg", MIMEType: "image/jpeg", Filename: "a.jpg", Caption: "cap"},
			Location: &Location{Latitude: 52.5, Longitude: 13.4, Name: "n", Address: "a"},
			ReplyTo:  "out-1", Timestamp: at,
		}},
		{Type: EventStatus, Status: &StatusUpdate{
			ProviderMessageID: "out-1", Status: "failed", Timestamp: at, ErrorCode: "131047", ErrorReason: "window", Recipient: "+1555",
		}},
		{Type: EventContact, Contact: &Contact{Address: "+1555", Name: "Ada"}},
		{Type: EventOptOut, Contact: &Contact{Address: "+1555"}},
		{Type: EventMessage, Message: &InboundMessage{ProviderMessageID: "in-2", From: "+1555", Type: "unsupported"}}, // zero time
	}
}

// TestMediaClass: a file's class is its MIME type's top-level type; the rest are
// documents. A channel's limit holds below the platform's ceiling only.
func TestMediaClass(t *testing.T) {
	for mime, want := range map[string]string{"image/png": MediaImage, "Video/MP4": MediaVideo, "audio/ogg; codecs=opus": MediaAudio,
		"application/pdf": MediaDocument, "text/plain": MediaDocument, "": MediaDocument} {
		if got := MediaClass(mime); got != want {
			t.Errorf("MediaClass(%q) = %q, want %q", mime, got, want)
		}
	}
	if d := (Description{MediaTypes: []string{"image/jpeg"}}); !d.CarriesMedia("Image/JPEG") || d.CarriesMedia("image/gif") || !(Description{}).CarriesMedia("image/gif") {
		t.Error("CarriesMedia: a channel carries the types it lists, and every type when it lists none")
	}
	d := Description{MediaLimits: map[string]int64{MediaImage: 5, MediaVideo: 500}}
	for mime, want := range map[string]int64{"image/gif": 5, "video/webm": 100, "application/pdf": 100} {
		if got := d.MediaLimit(mime, 100); got != want {
			t.Errorf("MediaLimit(%q, 100) = %d, want %d", mime, got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	f := &fake{
		desc: Description{
			ID: "wa", Version: "1.2.3", Kind: "whatsapp", Engines: []string{"cloud", "onprem"},
			Capabilities: []Capability{CapTemplates, CapWindow24h}, ConfigSchema: json.RawMessage(`{"type":"object"}`),
			SendRates: map[string]float64{"cloud": 80}, MediaLimits: map[string]int64{MediaImage: 5 << 20}, MediaTypes: []string{"image/jpeg"},
		},
		fes: []FieldError{{Field: "token", Message: "is required"}, {Field: "phone_id", Message: "bad"}},
		res: SendResult{ProviderMessageID: "wamid.1", Segments: 3, RecipientAddress: "+5215512345678"},
		resp: WebhookResponse{
			Status: 200, Headers: map[string]string{"Content-Type": "text/plain"}, Body: []byte("ok"),
			OtherAddresses: []string{"+15550783882", "+447700900123"},
		},
		evs: events(),
		act: json.RawMessage(`{"templates":[]}`),
	}
	ch := connect(t, f)
	ctx := context.Background()

	d, err := ch.Describe(ctx)
	if err != nil || !reflect.DeepEqual(d, f.desc) {
		t.Errorf("Describe = %+v, %v; want %+v", d, err, f.desc)
	}

	fes, err := ch.ValidateConfig(ctx, "cloud", conn.Config)
	if err != nil || !reflect.DeepEqual(fes, f.fes) {
		t.Errorf("ValidateConfig = %v, %v; want %v", fes, err, f.fes)
	}

	msg := OutboundMessage{
		ID: "m1", To: "+1555", Type: TypeTemplate, Text: "t", Subject: "subj",
		Media:    &Media{URL: "https://m.test/doc.pdf", MIMEType: "application/pdf", Filename: "doc.pdf", Caption: "c"},
		Location: &Location{Latitude: -33.9, Longitude: 18.4, Name: "Cape Town", Address: "x"},
		Template: &Template{
			Name: "order", Language: "en", Body: []string{"1", "2"}, Named: map[string]string{"first_name": "Ada"},
			HeaderURL: "https://m.test/h.png", HeaderText: "A-17", HeaderParam: "order", ButtonURLs: []string{"abc"}, CopyCode: "CODE",
		},
		Reaction: &Reaction{ProviderMessageID: "wamid.0", Emoji: "👍"},
		Pin:      &Pin{ProviderMessageID: "wamid.0", Pinned: true},
		ReplyTo:  "wamid.0",
	}
	res, err := ch.Send(ctx, conn, msg)
	if err != nil || res != f.res {
		t.Errorf("Send = %+v, %v; want %+v", res, err, f.res)
	}

	req := WebhookRequest{
		Method: "POST", URL: "https://x.test/hooks/wa/c1?a=b",
		Headers: map[string][]string{"X-Hub-Signature-256": {"sha256=00"}, "Accept": {"a", "b"}},
		Body:    []byte(`{"entry":[]}`),
	}
	resp, evs, err := ch.HandleWebhook(ctx, conn, req)
	if err != nil || !reflect.DeepEqual(resp, f.resp) || !reflect.DeepEqual(evs, f.evs) {
		t.Errorf("HandleWebhook = %+v, %+v, %v;\nwant %+v, %+v", resp, evs, err, f.resp, f.evs)
	}

	if err := ch.OpenSession(ctx, conn); err != nil {
		t.Errorf("OpenSession: %v", err)
	}
	if err := ch.CloseSession(ctx, "c1"); err != nil {
		t.Errorf("CloseSession: %v", err)
	}

	args := json.RawMessage(`{"provider_message_id":"wamid.0"}`)
	out, err := ch.Action(ctx, conn, "sync_templates", args)
	if err != nil || string(out) != string(f.act) {
		t.Errorf("Action = %s, %v; want %s", out, err, f.act)
	}

	want := []any{"cloud", conn.Config, conn, msg, conn, req, conn, "c1", conn, "sync_templates", args}
	if got := f.received(); !reflect.DeepEqual(got, want) {
		t.Errorf("the plugin received\n%#v\nwant\n%#v", got, want)
	}
}

func TestRoundTripEmpty(t *testing.T) {
	t.Parallel()
	f := &fake{}
	ch := connect(t, f)
	ctx := context.Background()
	if d, err := ch.Describe(ctx); err != nil || !reflect.DeepEqual(d, Description{}) {
		t.Errorf("Describe = %+v, %v", d, err)
	}
	if _, err := ch.Send(ctx, Connection{}, OutboundMessage{}); err != nil {
		t.Errorf("Send: %v", err)
	}
	resp, evs, err := ch.HandleWebhook(ctx, Connection{}, WebhookRequest{})
	if err != nil || !reflect.DeepEqual(resp, WebhookResponse{}) || evs != nil {
		t.Errorf("HandleWebhook = %+v, %+v, %v", resp, evs, err)
	}
	if out, err := ch.Action(ctx, Connection{}, "x", nil); err != nil || out != nil {
		t.Errorf("Action = %s, %v", out, err)
	}
	want := []any{Connection{}, OutboundMessage{}, Connection{}, WebhookRequest{}, Connection{}, "x", json.RawMessage(nil)}
	if got := f.received(); !reflect.DeepEqual(got, want) {
		t.Errorf("the plugin received\n%#v\nwant\n%#v", got, want)
	}
}

func TestErrorClassesCrossTheWire(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want *Error
	}{
		{"transient", Errorf(Transient, "503", "try later"), &Error{Class: Transient, Code: "503", Reason: "try later"}},
		{"rate_limited", &Error{Class: RateLimited, Code: "130429", Reason: "slow down", RetryAfter: 1500 * time.Millisecond},
			&Error{Class: RateLimited, Code: "130429", Reason: "slow down", RetryAfter: 1500 * time.Millisecond}},
		{"retry_after_rounds_up", &Error{Class: RateLimited, Reason: "r", RetryAfter: 10 * time.Microsecond},
			&Error{Class: RateLimited, Reason: "r", RetryAfter: time.Millisecond}},
		{"permanent", Errorf(Permanent, "131047", "outside the 24-hour window"), &Error{Class: Permanent, Code: "131047", Reason: "outside the 24-hour window"}},
		{"auth", Errorf(AuthFailed, "190", "token expired"), &Error{Class: AuthFailed, Code: "190", Reason: "token expired"}},
		{"wrapped", fmt.Errorf("calling provider: %w", Errorf(Permanent, "x", "no")), &Error{Class: Permanent, Code: "x", Reason: "no"}},
		{"plain", errors.New("connection reset"), &Error{Class: Transient, Reason: "connection reset"}},
		{"no_class", &Error{Reason: "?"}, &Error{Class: Transient, Reason: "?"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ch := connect(t, &fake{err: tc.err, streamErr: tc.err})
			ctx := context.Background()
			check := func(method string, err error) {
				t.Helper()
				var e *Error
				if !errors.As(err, &e) || !reflect.DeepEqual(e, tc.want) {
					t.Errorf("%s error = %#v; want %#v", method, err, tc.want)
				}
			}
			_, err := ch.Describe(ctx)
			check("Describe", err)
			_, err = ch.ValidateConfig(ctx, "e", nil)
			check("ValidateConfig", err)
			_, err = ch.Send(ctx, conn, OutboundMessage{})
			check("Send", err)
			_, _, err = ch.HandleWebhook(ctx, conn, WebhookRequest{})
			check("HandleWebhook", err)
			check("OpenSession", ch.OpenSession(ctx, conn))
			check("CloseSession", ch.CloseSession(ctx, "c1"))
			check("Events", ch.Events(ctx, func(Event) error { return nil }))
			_, err = ch.Action(ctx, conn, "a", nil)
			check("Action", err)
		})
	}
}

func TestUnknownClassIsTransient(t *testing.T) {
	t.Parallel()
	err := errorFromProto(&channelpb.Error{Class: "cosmic_rays", Code: "c", Reason: "r", RetryAfterMs: 5})
	want := &Error{Class: Transient, Code: "c", Reason: "r", RetryAfter: 5 * time.Millisecond}
	if !reflect.DeepEqual(err, want) {
		t.Errorf("errorFromProto = %#v; want %#v", err, want)
	}
}

func TestCallFailureIsTransient(t *testing.T) {
	t.Parallel()
	f := &fake{res: SendResult{ProviderMessageID: "x"}}
	client, _ := plugin.TestPluginGRPCConn(t, false, VersionedPlugins(f)[ProtocolVersion])
	ch, err := Dispense(client)
	if err != nil {
		t.Fatal(err)
	}
	_ = client.Close() // the plugin is gone
	_, err = ch.Send(context.Background(), conn, OutboundMessage{})
	var e *Error
	if !errors.As(err, &e) || e.Class != Transient || e.Reason == "" {
		t.Errorf("Send to a closed plugin = %#v; want a Transient *Error", err)
	}
}

func TestEventsStream(t *testing.T) {
	t.Parallel()
	want := events()
	ch := connect(t, &fake{stream: want})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []Event
	err := ch.Events(ctx, func(e Event) error {
		got = append(got, e)
		if len(got) == len(want) {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Events after cancel = %v; want context.Canceled", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Events emitted\n%+v\nwant\n%+v", got, want)
	}
}

func TestEventsEmitErrorStopsStream(t *testing.T) {
	t.Parallel()
	ch := connect(t, &fake{stream: events()})
	stop := errors.New("host is full")
	n := 0
	err := ch.Events(context.Background(), func(Event) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("Events = %v after %d events; want the emit error after 2", err, n)
	}
}

func TestEventsPluginEndsStream(t *testing.T) {
	t.Parallel()
	ch := connect(t, &fake{stream: events()[:1], streamErr: Errorf(AuthFailed, "LB401", "session logged out")})
	n := 0
	err := ch.Events(context.Background(), func(Event) error { n++; return nil })
	var e *Error
	if !errors.As(err, &e) || e.Class != AuthFailed || e.Code != "LB401" || n != 1 {
		t.Errorf("Events = %#v after %d events; want the plugin's auth error after 1", err, n)
	}
}
