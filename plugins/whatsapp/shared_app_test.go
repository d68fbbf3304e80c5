package whatsapp_test

// One Meta app, several numbers: Meta calls one webhook URL per app, so a request
// reaching one number's connection can carry changes for the app's other numbers.
// The plugin returns only its own number's events and names the others in
// WebhookResponse.OtherAddresses; the host offers the request to their connections.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/whatsapp"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/whatsapptest"
)

// The app's other numbers.
const (
	secondID, secondAddr = "106540352242923", "+15550783882"
	thirdID, thirdAddr   = "106540352242924", "+447700900123"
)

// sharedApp is a fake app with the fixture number and two others.
func sharedApp(opts cloudapitest.Options) *cloudapitest.Server {
	srv := cloudapitest.New(opts)
	srv.AddNumber(secondID, "15550783882")
	srv.AddNumber(thirdID, "447700900123")
	return srv
}

// batch is one webhook body carrying the entries of bodies, in order, as Meta batches
// changes (for one number or several) into one request.
func batch(t *testing.T, bodies ...[]byte) []byte {
	t.Helper()
	entries := []json.RawMessage{}
	for _, b := range bodies {
		var wh struct {
			Entry []json.RawMessage `json:"entry"`
		}
		if err := json.Unmarshal(b, &wh); err != nil {
			t.Fatalf("body %s: %v", b, err)
		}
		entries = append(entries, wh.Entry...)
	}
	out, err := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": entries})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCloudWebhookOtherNumbers: a request signed with the app secret answers the
// connection's own number's events, exactly as before, and the app's other numbers
// the body has changes for, as +digits, once each, in body order; their events are
// not returned. A forged or unsigned request names none.
func TestCloudWebhookOtherNumbers(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	app := sharedApp(cloudapitest.Options{})
	first := whatsapptest.CloudConnection(app)
	second := whatsapptest.CloudConnectionFor(app, secondID)

	ownIn := cloudapitest.Inbound{From: customer, Name: "Ada", Text: "to the first number"}
	secondIn := cloudapitest.Inbound{From: "+15550100002", Name: "Grace", Text: "to the second number"}
	read := cloudapitest.Step{Status: cloudapitest.Read}
	// The third number's status, with its display number written as people write it.
	thirdStatus := `{"object":"whatsapp_business_account","entry":[{"id":"102290129340399","changes":[{"field":"messages","value":{` +
		`"messaging_product":"whatsapp","metadata":{"display_phone_number":"+44 7700 900123","phone_number_id":"` + thirdID + `"},` +
		`"statuses":[{"id":"wamid.THIRD","status":"delivered","timestamp":"` + ts + `","recipient_id":"15550100003"}]}}]}]}`
	mixed := batch(t,
		app.InboundBodyFor(secondID, "wamid.IN2", tsTime, secondIn),
		app.InboundBody("wamid.IN1", tsTime, ownIn),
		[]byte(thirdStatus),
		app.StatusBodyFor(secondID, "wamid.OUT2", "15550100002", tsTime, read),
		app.StatusBody("wamid.OUT1", "15550100001", tsTime, read),
	)
	onlyOther := app.StatusBodyFor(secondID, "wamid.OUT2", "15550100002", tsTime, read)

	ownEvents := []sdk.Event{
		contactEvent(customer, "Ada"),
		msgEvent(sdk.InboundMessage{ProviderMessageID: "wamid.IN1", Type: "text", Text: "to the first number"}),
		statusEvent(sdk.StatusUpdate{ProviderMessageID: "wamid.OUT1", Status: "read", Recipient: customer}),
	}
	secondEvents := []sdk.Event{
		contactEvent("+15550100002", "Grace"),
		{Type: sdk.EventMessage, Message: &sdk.InboundMessage{ProviderMessageID: "wamid.IN2", From: "+15550100002", To: secondAddr,
			Type: "text", Text: "to the second number", Timestamp: tsTime}},
		statusEvent(sdk.StatusUpdate{ProviderMessageID: "wamid.OUT2", Status: "read", Recipient: "+15550100002"}),
	}
	forged := whatsapptest.CloudRequest(app, first, mixed)
	forged.Headers[cloudapitest.SignatureHeader] = []string{cloudapitest.Sign("another-apps-secret", mixed)}
	// A connection whose own address shows under another id never names itself.
	selfAsOther := first
	selfAsOther.Address = "+1 555-078-3882"

	tests := []struct {
		name   string
		conn   sdk.Connection
		req    sdk.WebhookRequest
		status int
		events []sdk.Event
		others []string
	}{
		{"own_and_two_others", first, whatsapptest.CloudRequest(app, first, mixed), 200, ownEvents, []string{secondAddr, thirdAddr}},
		{"the_second_numbers_connection", second, whatsapptest.CloudRequest(app, second, mixed), 200, secondEvents,
			[]string{"+" + cloudapitest.DefaultDisplayPhoneNumber, thirdAddr}},
		{"forged", first, forged, 401, nil, nil},
		{"unsigned", first, sdk.WebhookRequest{Method: http.MethodPost, URL: first.WebhookURL, Body: mixed}, 401, nil, nil},
		{"only_another_numbers_statuses", first, whatsapptest.CloudRequest(app, first, onlyOther), 200, []sdk.Event{}, []string{secondAddr}},
		{"own_only", first, whatsapptest.CloudRequest(app, first, app.InboundBody("wamid.IN1", tsTime, ownIn)), 200, ownEvents[:2], nil},
		{"own_address_never_other", selfAsOther, whatsapptest.CloudRequest(app, selfAsOther, onlyOther), 200, []sdk.Event{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, events, err := ch.HandleWebhook(ctx(t), tt.conn, tt.req)
			if err != nil || resp.Status != tt.status {
				t.Fatalf("HandleWebhook = %d %s, %v; want %d", resp.Status, resp.Body, err, tt.status)
			}
			if got := stripRaw(events); !reflect.DeepEqual(got, tt.events) && (len(got) != 0 || len(tt.events) != 0) {
				t.Errorf("events:\n%s\nwant:\n%s", eventsJSON(t, got), eventsJSON(t, tt.events))
			}
			if !reflect.DeepEqual(resp.OtherAddresses, tt.others) {
				t.Errorf("OtherAddresses = %q, want %q", resp.OtherAddresses, tt.others)
			}
		})
	}
}

// appHost is the host's webhook endpoint in miniature for several connections: a
// request to /hooks/{id} goes to that connection's HandleWebhook, and then, as
// offered, to the connections whose address the answer's OtherAddresses name (once:
// their own answers' other addresses are not followed).
type appHost struct {
	t     *testing.T
	ch    sdk.Channel
	url   string
	conns map[string]sdk.Connection // by ID

	mu       sync.Mutex
	events   map[string][]sdk.Event // by connection ID
	statuses []int
}

func newAppHost(t *testing.T, ch sdk.Channel, conns ...sdk.Connection) *appHost {
	h := &appHost{t: t, ch: ch, conns: map[string]sdk.Connection{}, events: map[string][]sdk.Event{}}
	hs := httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(hs.Close)
	h.url = hs.URL
	for _, c := range conns {
		c.WebhookURL = hs.URL + "/hooks/" + c.ID
		h.conns[c.ID] = c
	}
	return h
}

func (h *appHost) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	conn, ok := h.conns[strings.TrimPrefix(r.URL.Path, "/hooks/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	req := sdk.WebhookRequest{Method: r.Method, URL: conn.WebhookURL, Headers: r.Header, Body: body}
	resp, events, err := h.ch.HandleWebhook(r.Context(), conn, req)
	if err != nil {
		h.t.Errorf("HandleWebhook(%s): %v", conn.ID, err)
	}
	h.mu.Lock()
	h.statuses = append(h.statuses, resp.Status)
	h.events[conn.ID] = append(h.events[conn.ID], events...)
	h.mu.Unlock()
	for _, addr := range resp.OtherAddresses {
		for _, other := range h.conns {
			if other.Address != addr || other.ID == conn.ID {
				continue
			}
			oresp, oevents, err := h.ch.HandleWebhook(r.Context(), other, req)
			if err != nil || oresp.Status != http.StatusOK {
				h.t.Errorf("offered to %s: %d %s, %v", other.ID, oresp.Status, oresp.Body, err)
			}
			h.mu.Lock()
			h.events[other.ID] = append(h.events[other.ID], oevents...)
			h.mu.Unlock()
		}
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func (h *appHost) eventsOf(id string) []sdk.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.Event(nil), h.events[id]...)
}

func (h *appHost) waitFor(t *testing.T, id, what string, ok func([]sdk.Event) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok(h.eventsOf(id)) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s at %s; events so far:\n%s", what, id, eventsJSON(t, stripRaw(h.eventsOf(id))))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCloudSharedAppEndToEnd: two connections, two numbers of one Meta app, the app's
// webhook URL the first connection's hook. A customer's message to the second number,
// the statuses of the second connection's send and the customer's reply to it all
// reach the second connection (through the first's hook and OtherAddresses), and
// none of them the first; the first number's own traffic stays the first's.
func TestCloudSharedAppEndToEnd(t *testing.T) {
	t.Parallel()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{StatusDelay: time.Millisecond})
	srv.AddNumber(secondID, "15550783882")
	first, second := whatsapptest.CloudConnectionFor(srv, cloudapitest.DefaultPhoneNumberID), whatsapptest.CloudConnectionFor(srv, secondID)
	ch := whatsapp.New()
	if fes, err := ch.ValidateConfig(ctx(t), whatsapp.EngineCloud, second.Config); err != nil || len(fes) != 0 {
		t.Fatalf("the second number's config: %v, %v", fes, err)
	}
	host := newAppHost(t, ch, first, second)
	srv.SetWebhookURL(host.conns[first.ID].WebhookURL)
	srv.OnMessage(func(m cloudapitest.Message) (string, bool) { return "thanks, second", true })

	in, err := srv.InjectFor(ctx(t), secondID, cloudapitest.Inbound{From: customer, Text: "hello, second"})
	if err != nil {
		t.Fatalf("InjectFor: %v", err)
	}
	host.waitFor(t, second.ID, "the customer's message", func(evs []sdk.Event) bool {
		return findMessage(evs, func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == in && m.To == secondAddr }) != nil
	})
	res, err := ch.Send(ctx(t), host.conns[second.ID], sdk.OutboundMessage{ID: "m1", To: customer, Type: sdk.TypeText, Text: "hi from the second"})
	if err != nil {
		t.Fatalf("Send from the second number: %v", err)
	}
	host.waitFor(t, second.ID, "the send's statuses and the reply", func(evs []sdk.Event) bool {
		return len(statusesOf(evs, res.ProviderMessageID)) == 3 &&
			findMessage(evs, func(m *sdk.InboundMessage) bool { return m.ReplyTo == res.ProviderMessageID }) != nil
	})
	if evs := host.eventsOf(first.ID); len(evs) != 0 {
		t.Errorf("the first connection got the second number's events:\n%s", eventsJSON(t, stripRaw(evs)))
	}

	own, err := srv.Inject(ctx(t), cloudapitest.Inbound{From: customer, Text: "hello, first"})
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	host.waitFor(t, first.ID, "the first number's message", func(evs []sdk.Event) bool {
		return findMessage(evs, func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == own }) != nil
	})
	if err := srv.Wait(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if m := findMessage(host.eventsOf(second.ID), func(m *sdk.InboundMessage) bool { return m.ProviderMessageID == own }); m != nil {
		t.Errorf("the second connection got the first number's message %+v", m)
	}
	host.mu.Lock()
	defer host.mu.Unlock()
	for i, s := range host.statuses {
		if s != http.StatusOK {
			t.Errorf("webhook request %d answered %d", i, s)
		}
	}
}
