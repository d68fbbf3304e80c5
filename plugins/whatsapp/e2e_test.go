package whatsapp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/whatsapp"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/twiliotest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/whatsapptest"
)

// receiver is the host's webhook endpoint in miniature: it hands each request to the
// plugin's HandleWebhook and keeps the events.
type receiver struct {
	ch   *whatsapp.Channel
	conn sdk.Connection
	url  string

	mu       sync.Mutex
	events   []sdk.Event
	statuses []int
}

func newReceiver(t *testing.T, ch *whatsapp.Channel, conn sdk.Connection) *receiver {
	t.Helper()
	rc := &receiver{ch: ch}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := sdk.WebhookRequest{Method: r.Method, URL: "http://" + r.Host + r.URL.RequestURI(), Headers: r.Header, Body: body}
		resp, events, err := rc.ch.HandleWebhook(r.Context(), rc.conn, req)
		if err != nil {
			t.Errorf("HandleWebhook: %v", err)
		}
		rc.mu.Lock()
		rc.events = append(rc.events, events...)
		rc.statuses = append(rc.statuses, resp.Status)
		rc.mu.Unlock()
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.Status)
		_, _ = w.Write(resp.Body)
	}))
	t.Cleanup(hs.Close)
	conn.WebhookURL = hs.URL + "/hooks/whatsapp/" + conn.ID + "?v=1"
	rc.conn, rc.url = conn, conn.WebhookURL
	return rc
}

// waitFor polls until ok holds for the events received so far.
func (rc *receiver) waitFor(t *testing.T, what string, ok func([]sdk.Event) bool) []sdk.Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rc.mu.Lock()
		events := append([]sdk.Event(nil), rc.events...)
		rc.mu.Unlock()
		if ok(events) {
			return events
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; events so far:\n%s", what, eventsJSON(t, stripRaw(events)))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (rc *receiver) allOK(t *testing.T) {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i, s := range rc.statuses {
		if s != http.StatusOK {
			t.Errorf("webhook request %d answered %d", i, s)
		}
	}
}

func statusesOf(events []sdk.Event, id string) []string {
	var out []string
	for _, e := range events {
		if e.Type == sdk.EventStatus && e.Status.ProviderMessageID == id {
			out = append(out, e.Status.Status)
		}
	}
	return out
}

func findMessage(events []sdk.Event, match func(*sdk.InboundMessage) bool) *sdk.InboundMessage {
	for _, e := range events {
		if e.Type == sdk.EventMessage && match(e.Message) {
			return e.Message
		}
	}
	return nil
}

// fakeClock is a settable clock for the 24-hour window.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCloudEndToEnd(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	srv, conn := cloudSetup(t, cloudapitest.Options{StatusDelay: time.Millisecond})
	rc := newReceiver(t, ch, conn)
	srv.SetWebhookURL(rc.url)
	srv.SetProfileName(customer, "Ada")

	// A customer writes: a contact and a message event, signed and verified.
	inID, err := srv.InjectInbound(customer, "Hello?")
	if err != nil {
		t.Fatalf("InjectInbound: %v", err)
	}
	events := rc.waitFor(t, "the inbound message", func(es []sdk.Event) bool {
		return findMessage(es, func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == inID }) != nil
	})
	if m := findMessage(events, func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == inID }); m.Text != "Hello?" || m.From != customer || m.Timestamp.IsZero() {
		t.Errorf("inbound = %+v", m)
	}
	if events[0].Type != sdk.EventContact || events[0].Contact.Name != "Ada" {
		t.Errorf("first event = %+v, want Ada's contact", events[0])
	}

	// The scripted customer answers every text.
	srv.OnMessage(func(m cloudapitest.Message) (string, bool) {
		return "Thanks for: " + m.Text, m.Type == "text"
	})
	res, err := ch.Send(ctx(t), rc.conn, sdk.OutboundMessage{To: customer, Text: "Your order shipped"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	events = rc.waitFor(t, "sent, delivered, read and the reply", func(es []sdk.Event) bool {
		return len(statusesOf(es, res.ProviderMessageID)) == 3 &&
			findMessage(es, func(m *sdk.InboundMessage) bool { return m.ReplyTo == res.ProviderMessageID }) != nil
	})
	if got := strings.Join(statusesOf(events, res.ProviderMessageID), ","); got != "sent,delivered,read" {
		t.Errorf("statuses = %s, want sent,delivered,read", got)
	}
	if m := findMessage(events, func(m *sdk.InboundMessage) bool { return m.ReplyTo == res.ProviderMessageID }); m.Text != "Thanks for: Your order shipped" {
		t.Errorf("reply = %+v", m)
	}

	// A number that is not on WhatsApp: accepted, then failed with 131026.
	srv.MarkUndeliverable("+15550100009")
	res, err = ch.Send(ctx(t), rc.conn, sdk.OutboundMessage{To: "+15550100009", Text: "hello?"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	events = rc.waitFor(t, "the failed status", func(es []sdk.Event) bool { return len(statusesOf(es, res.ProviderMessageID)) == 1 })
	for _, e := range events {
		if e.Type == sdk.EventStatus && e.Status.ProviderMessageID == res.ProviderMessageID {
			if e.Status.Status != "failed" || e.Status.ErrorCode != "131026" || e.Status.ErrorReason != whatsapp.ReasonUndeliverable {
				t.Errorf("failed status = %+v", e.Status)
			}
		}
	}
	if err := srv.Wait(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for _, d := range srv.Deliveries() {
		if !d.OK() || d.Header.Get(cloudapitest.SignatureHeader) == "" {
			t.Errorf("delivery %s %s: status %d %s", d.Purpose, d.URL, d.Status, d.Err)
		}
	}
	rc.allOK(t)
}

// TestCloudCanonicalRecipient: Meta answers a send with the recipient's wa_id, which
// for a Mexican number sent to as +52 and 10 digits is +521 and the same 10 digits;
// the send result carries it for the host, and the customer's reply comes from it.
// A number that is its own wa_id, or a Twilio send, carries none.
func TestCloudCanonicalRecipient(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	srv, conn := cloudSetup(t, cloudapitest.Options{StatusDelay: time.Millisecond})
	rc := newReceiver(t, ch, conn)
	srv.SetWebhookURL(rc.url)
	srv.SetWaID("+55 11 98765-4321", "551187654321") // registered before the ninth digit
	srv.OnMessage(func(m cloudapitest.Message) (string, bool) { return "¡Gracias!", m.Text == "Hola" })

	res, err := ch.Send(ctx(t), rc.conn, sdk.OutboundMessage{To: "+52 55 1234 5678", Text: "Hola"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.RecipientAddress != "+5215512345678" {
		t.Errorf("RecipientAddress = %q, want the wa_id +5215512345678", res.RecipientAddress)
	}
	if sent := srv.Sent(); len(sent) != 1 || sent[0].Request.To != "525512345678" || sent[0].WaID != "5215512345678" {
		t.Errorf("fake recorded %+v, want to 525512345678, wa_id 5215512345678", sent)
	}
	events := rc.waitFor(t, "the reply", func(es []sdk.Event) bool {
		return findMessage(es, func(m *sdk.InboundMessage) bool { return m.ReplyTo == res.ProviderMessageID }) != nil
	})
	if m := findMessage(events, func(m *sdk.InboundMessage) bool { return m.ReplyTo == res.ProviderMessageID }); m.From != res.RecipientAddress {
		t.Errorf("the reply comes from %q, want the send result's %q", m.From, res.RecipientAddress)
	}

	for _, tc := range []struct{ to, want string }{
		{"+5215512345678", ""}, // sent to the wa_id: nothing to tell
		{customer, ""},
		{"+55 11 98765-4321", "+551187654321"},
	} {
		res, err := ch.Send(ctx(t), rc.conn, sdk.OutboundMessage{To: tc.to, Text: "again"})
		if err != nil || res.RecipientAddress != tc.want {
			t.Errorf("send to %s: RecipientAddress %q (%v), want %q", tc.to, res.RecipientAddress, err, tc.want)
		}
	}

	// Twilio does not say: its sends carry no canonical address.
	_, twConn, _ := twilioSetup(t, twiliotest.Options{})
	res, err = ch.Send(ctx(t), twConn, sdk.OutboundMessage{To: "+52 55 1234 5678", Text: "Hola"})
	if err != nil || res.RecipientAddress != "" {
		t.Errorf("Twilio send: RecipientAddress %q (%v), want none", res.RecipientAddress, err)
	}
}

func TestCloudWindow24h(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	srv, conn := cloudSetup(t, cloudapitest.Options{Enforce24h: true, Now: clock.Now, Statuses: []cloudapitest.Step{}})
	text := sdk.OutboundMessage{To: customer, Text: "Are you there?"}
	template := sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", Language: "en_US", Body: []string{"Ada", "#1"}}}

	_, err := ch.Send(ctx(t), conn, text)
	wantError(t, err, sdk.Permanent, "131047", whatsapp.ReasonOutsideWindow)
	if _, err := ch.Send(ctx(t), conn, template); err != nil {
		t.Errorf("template outside the window: %v; templates are allowed", err)
	}
	if _, err := srv.InjectInbound(customer, "hi"); err != cloudapitest.ErrNoWebhookURL {
		t.Errorf("InjectInbound without a webhook URL = %v", err)
	}
	if _, err := ch.Send(ctx(t), conn, text); err != nil {
		t.Errorf("text inside the window: %v", err)
	}
	clock.Advance(23 * time.Hour)
	if _, err := ch.Send(ctx(t), conn, text); err != nil {
		t.Errorf("text 23 h after the customer wrote: %v", err)
	}
	clock.Advance(2 * time.Hour)
	_, err = ch.Send(ctx(t), conn, text)
	wantError(t, err, sdk.Permanent, "131047", whatsapp.ReasonOutsideWindow)
	if n := len(srv.Sent()); n != 3 {
		t.Errorf("fake accepted %d messages, want 3", n)
	}

	t.Run("async", func(t *testing.T) {
		t.Parallel()
		srv, conn := cloudSetup(t, cloudapitest.Options{Enforce24h: true, WindowErrorAsync: true})
		rc := newReceiver(t, ch, conn)
		srv.SetWebhookURL(rc.url)
		res, err := ch.Send(ctx(t), rc.conn, text)
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		events := rc.waitFor(t, "the failed status", func(es []sdk.Event) bool { return len(statusesOf(es, res.ProviderMessageID)) == 1 })
		if e := events[0].Status; e.Status != "failed" || e.ErrorCode != "131047" || e.ErrorReason != whatsapp.ReasonOutsideWindow {
			t.Errorf("status = %+v", e)
		}
	})
}

func TestCloudThrottle(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	srv, conn := cloudSetup(t, cloudapitest.Options{RateLimit: 0.5, Burst: 2, Statuses: []cloudapitest.Step{}})
	for i := range 2 {
		if _, err := ch.Send(ctx(t), conn, sdk.OutboundMessage{To: customer, Text: fmt.Sprint(i)}); err != nil {
			t.Fatalf("send %d within the burst: %v", i, err)
		}
	}
	_, err := ch.Send(ctx(t), conn, sdk.OutboundMessage{To: customer, Text: "one too many"})
	e := wantError(t, err, sdk.RateLimited, "130429", "throughput")
	if e.RetryAfter < time.Second || e.RetryAfter > time.Minute {
		t.Errorf("retry after %v, want 1s–60s", e.RetryAfter)
	}
	if n := len(srv.Sent()); n != 2 {
		t.Errorf("fake accepted %d, want 2", n)
	}
}

func TestTwilioEndToEnd(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	srv, conn, _ := twilioSetup(t, twiliotest.Options{StatusDelay: time.Millisecond})
	rc := newReceiver(t, ch, conn)
	srv.SetInboundURL(rc.url)
	srv.SetProfileName(customer, "Ada")

	inID, err := srv.InjectInbound(customer, "Hello?")
	if err != nil {
		t.Fatalf("InjectInbound: %v", err)
	}
	events := rc.waitFor(t, "the inbound message", func(es []sdk.Event) bool {
		return findMessage(es, func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == inID }) != nil
	})
	if m := findMessage(events, func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == inID }); m.Text != "Hello?" || m.From != customer || m.To != "+14155238886" {
		t.Errorf("inbound = %+v", m)
	}
	if events[0].Type != sdk.EventContact || events[0].Contact.Name != "Ada" {
		t.Errorf("first event = %+v, want Ada's contact", events[0])
	}

	srv.OnMessage(func(m twiliotest.Message) (string, bool) { return "Got it", true })
	res, err := ch.Send(ctx(t), rc.conn, sdk.OutboundMessage{To: customer, Text: "Your order shipped"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	events = rc.waitFor(t, "sent, delivered, read and the reply", func(es []sdk.Event) bool {
		return len(statusesOf(es, res.ProviderMessageID)) == 3 &&
			findMessage(es, func(m *sdk.InboundMessage) bool { return m.ReplyTo == res.ProviderMessageID }) != nil
	})
	if got := strings.Join(statusesOf(events, res.ProviderMessageID), ","); got != "sent,delivered,read" {
		t.Errorf("statuses = %s, want sent,delivered,read", got)
	}

	srv.MarkUndeliverable("+15550100009")
	srv.OpenWindow("+15550100009")
	res, err = ch.Send(ctx(t), rc.conn, sdk.OutboundMessage{To: "+15550100009", Text: "hello?"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	events = rc.waitFor(t, "the failed status", func(es []sdk.Event) bool { return len(statusesOf(es, res.ProviderMessageID)) == 1 })
	for _, e := range events {
		if e.Type == sdk.EventStatus && e.Status.ProviderMessageID == res.ProviderMessageID {
			if e.Status.Status != "failed" || e.Status.ErrorCode != "63003" || e.Status.ErrorReason != whatsapp.ReasonUndeliverable {
				t.Errorf("failed status = %+v", e.Status)
			}
		}
	}
	if err := srv.Wait(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for _, d := range srv.Deliveries() {
		if !d.OK() || d.Header.Get(twiliotest.SignatureHeader) == "" {
			t.Errorf("delivery %s %s: status %d %s", d.Purpose, d.URL, d.Status, d.Err)
		}
	}
	rc.allOK(t)
}

func TestTwilioWindow24h(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	srv, conn, _ := twilioSetup(t, twiliotest.Options{Enforce24h: true, Now: clock.Now, Statuses: []twiliotest.Step{}})
	text := sdk.OutboundMessage{To: customer, Text: "Are you there?"}
	_, err := ch.Send(ctx(t), conn, text)
	wantError(t, err, sdk.Permanent, "63016", whatsapp.ReasonOutsideWindow)
	template := sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", Language: "en", Body: []string{"Ada", "#1"}}}
	if _, err := ch.Send(ctx(t), conn, template); err != nil {
		t.Errorf("template outside the window: %v", err)
	}
	srv.OpenWindow(customer)
	if _, err := ch.Send(ctx(t), conn, text); err != nil {
		t.Errorf("text inside the window: %v", err)
	}
	clock.Advance(25 * time.Hour)
	_, err = ch.Send(ctx(t), conn, text)
	wantError(t, err, sdk.Permanent, "63016", whatsapp.ReasonOutsideWindow)
}

func TestTwilioThrottle(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	srv, conn, _ := twilioSetup(t, twiliotest.Options{RateLimit: 0.5, Burst: 1, Statuses: []twiliotest.Step{}})
	if _, err := ch.Send(ctx(t), conn, sdk.OutboundMessage{To: customer, Text: "first"}); err != nil {
		t.Fatalf("first send: %v", err)
	}
	_, err := ch.Send(ctx(t), conn, sdk.OutboundMessage{To: customer, Text: "second"})
	e := wantError(t, err, sdk.RateLimited, "20429", "too many requests")
	if e.RetryAfter < time.Second {
		t.Errorf("retry after %v, want at least 1s", e.RetryAfter)
	}
	if n := len(srv.Sent()); n != 1 {
		t.Errorf("fake accepted %d, want 1", n)
	}
}

// TestConcurrentSends: many sends at once, through one plugin and one fake per
// engine, every one accepted once with a distinct id (run with -race).
func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	csrv, cconn := cloudSetup(t, cloudapitest.Options{StatusDelay: time.Millisecond})
	tsrv, tconn, _ := twilioSetup(t, twiliotest.Options{StatusDelay: time.Millisecond})
	crc, trc := newReceiver(t, ch, cconn), newReceiver(t, ch, tconn)
	csrv.SetWebhookURL(crc.url)
	const n = 40
	var wg sync.WaitGroup
	ids := make(chan string, 2*n)
	for i := range n {
		for _, conn := range []sdk.Connection{crc.conn, trc.conn} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := ch.Send(context.Background(), conn, sdk.OutboundMessage{To: fmt.Sprintf("+1555020%04d", i), Text: "hi"})
				if err != nil {
					t.Errorf("send %d on %s: %v", i, conn.Engine, err)
					return
				}
				ids <- res.ProviderMessageID
			}()
		}
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("duplicate id %s", id)
		}
		seen[id] = true
	}
	if len(seen) != 2*n || len(csrv.Sent()) != n || len(tsrv.Sent()) != n {
		t.Errorf("ids %d, cloud sent %d, twilio sent %d; want %d, %d, %d", len(seen), len(csrv.Sent()), len(tsrv.Sent()), 2*n, n, n)
	}
	crc.waitFor(t, "every cloud status", func(es []sdk.Event) bool { return len(es) == 3*n })
	trc.waitFor(t, "every twilio status", func(es []sdk.Event) bool { return len(es) == 3*n })
	crc.allOK(t)
	trc.allOK(t)
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()

	t.Run("unknown_engine", func(t *testing.T) {
		_, err := ch.ValidateConfig(ctx(t), "unofficial", nil)
		wantError(t, err, sdk.Permanent, whatsapp.CodeUnknownEngine, "no engine")
	})
	t.Run("not_an_object", func(t *testing.T) {
		fes, err := ch.ValidateConfig(ctx(t), whatsapp.EngineCloud, []byte(`[1]`))
		if err != nil || len(fes) != 1 || fes[0].Field != "" {
			t.Errorf("ValidateConfig([1]) = %v, %v", fes, err)
		}
	})
	t.Run("cloud_provider_down", func(t *testing.T) {
		srv := cloudapitest.NewTest(t, cloudapitest.Options{})
		cfg := whatsapptest.CloudConfig(srv)
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"message":"down","code":2}}`, http.StatusServiceUnavailable)
		}))
		defer hs.Close()
		cfg.APIBaseURL = hs.URL
		fes, err := ch.ValidateConfig(ctx(t), whatsapp.EngineCloud, cfg.JSON())
		if len(fes) != 0 {
			t.Errorf("field errors %v when the provider is down", fes)
		}
		wantError(t, err, sdk.Transient, "2", "unavailable")
	})
	t.Run("cloud_defaults", func(t *testing.T) {
		srv := cloudapitest.NewTest(t, cloudapitest.Options{})
		cfg := whatsapptest.CloudConfig(srv)
		cfg.APIVersion = "v19.0"
		if fes, err := ch.ValidateConfig(ctx(t), whatsapp.EngineCloud, cfg.JSON()); err != nil || len(fes) != 0 {
			t.Errorf("ValidateConfig(v19.0) = %v, %v", fes, err)
		}
	})
	t.Run("twilio_suspended", func(t *testing.T) {
		srv := twiliotest.NewTest(t, twiliotest.Options{AccountStatus: "suspended"})
		fes, err := ch.ValidateConfig(ctx(t), whatsapp.EngineTwilio, whatsapptest.TwilioConfig(srv).JSON())
		if err != nil || len(fes) != 1 || fes[0].Field != "account_sid" || !strings.Contains(fes[0].Message, "suspended") {
			t.Errorf("ValidateConfig(suspended) = %v, %v", fes, err)
		}
	})
	t.Run("twilio_unknown_account", func(t *testing.T) {
		srv := twiliotest.NewTest(t, twiliotest.Options{})
		cfg := whatsapptest.TwilioConfig(srv)
		cfg.AccountSID = "AC" + strings.Repeat("f", 32)
		fes, err := ch.ValidateConfig(ctx(t), whatsapp.EngineTwilio, cfg.JSON())
		if err != nil || len(fes) != 1 || fes[0].Field != "auth_token" || !strings.Contains(fes[0].Message, "was rejected") {
			t.Errorf("ValidateConfig(unknown account) = %v, %v", fes, err)
		}
	})
	t.Run("cloud_token_rejected", func(t *testing.T) {
		srv := cloudapitest.NewTest(t, cloudapitest.Options{})
		cfg := whatsapptest.CloudConfig(srv)
		cfg.AccessToken = "EAAold"
		fes, err := ch.ValidateConfig(ctx(t), whatsapp.EngineCloud, cfg.JSON())
		if err != nil || len(fes) != 1 || fes[0].Field != "access_token" || !strings.Contains(fes[0].Message, "was rejected") {
			t.Errorf("ValidateConfig(bad token) = %v, %v", fes, err)
		}
	})
	t.Run("engine_fields_only", func(t *testing.T) {
		// A cloud config does not need Twilio's fields, and the reverse.
		fes, _ := ch.ValidateConfig(ctx(t), whatsapp.EngineTwilio, []byte(`{}`))
		for _, fe := range fes {
			if fe.Field == "access_token" || fe.Field == "phone_number_id" {
				t.Errorf("twilio config asked for cloud field %s", fe.Field)
			}
		}
		var names []string
		for _, fe := range fes {
			names = append(names, fe.Field)
		}
		if strings.Join(names, ",") != "account_sid,auth_token,sender" {
			t.Errorf("twilio required fields = %v", names)
		}
	})
}
