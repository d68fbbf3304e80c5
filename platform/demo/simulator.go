package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/platform/app"
	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
	"github.com/switchboardhq/switchboard/tenants"
)

// The demo WhatsApp connection.
const (
	PluginID          = "whatsapp"
	Engine            = "cloud"
	ConnectionName    = "Demo WhatsApp"
	ConnectionAddress = "+15550000000"
	// WelcomeCredits are granted to the demo wallet once, under WelcomeKey.
	WelcomeCredits = 1000
	WelcomeKey     = "demo:welcome"
)

// Human-visible pacing of the fake's webhooks: sent after ~0.5 s, delivered ~1.5 s,
// read ~3 s, and the customer's answer ~2 s after that.
var (
	demoStatuses = []cloudapitest.Step{
		{Status: cloudapitest.Sent, Delay: 500 * time.Millisecond},
		{Status: cloudapitest.Delivered, Delay: time.Second},
		{Status: cloudapitest.Read, Delay: 1500 * time.Millisecond},
	}
	replyDelay = 2 * time.Second
)

// Contacts are the demo customers; each gets an open Chat conversation whose last
// message is Greeting, from the customer.
var Contacts = []struct {
	Name, Phone, Greeting string
}{
	{"Maya Patel", "+15550100101", "Hi! Is my order #1042 on its way?"},
	{"Tom Becker", "+15550100102", "Hello, do you have the blue jacket in size M?"},
	{"Lina Okafor", "+15550100103", "Thanks for the quick help yesterday 🙏"},
}

// WalkIn is a customer the business has not talked to yet: their first message opened
// a ticket in the Team Inbox, waiting for someone to accept it.
var WalkIn = struct {
	Name, Phone, Greeting string
}{"Sam Rivera", "+15550100104", "Hi, I think I was charged twice for order #1077. Can someone check?"}

// ErrNoWhatsAppPlugin is returned by StartSimulator when the whatsapp channel plugin
// is not installed (the plugins dir has no binary: run `make plugins`).
var ErrNoWhatsAppPlugin = errors.New("demo: the whatsapp channel plugin is not installed (run `make plugins`)")

// Simulator is the local WhatsApp Cloud API the demo workspace is connected to: a
// cloudapitest fake on loopback with a scripted customer.
type Simulator struct {
	Fake       *cloudapitest.Server
	Connection connections.Connection
	WebhookURL string
}

// Close stops the fake.
func (s *Simulator) Close() {
	if s != nil && s.Fake != nil {
		s.Fake.Close()
	}
}

// StartSimulator starts the Cloud API fake on a free loopback port and connects
// workspace "demo" to it: the "Demo WhatsApp" connection is created if missing and
// pointed at the fake (new port, new credentials) on every start; the workspace's
// WhatsApp engine becomes cloud; its wallet gets the welcome credits once; the demo
// contacts and their conversations are created once. The fake posts its signed
// webhooks to webhookBase + "/hooks/<public id>" (the app's public URL when
// webhookBase is ""): the server must be listening there by the time a message is
// sent. Seed must have run first.
func StartSimulator(ctx context.Context, a *app.App, webhookBase string) (*Simulator, error) {
	desc, ok := a.Plugins.Describe(PluginID)
	if !ok || !slices.Contains(desc.Engines, Engine) {
		return nil, ErrNoWhatsAppPlugin
	}
	ws, err := tenants.ByRef(ctx, a.DB, WorkspaceSlug)
	if err != nil {
		return nil, fmt.Errorf("demo: workspace %q (seed it first): %w", WorkspaceSlug, err)
	}
	sc := tenants.Scope(a.DB, ws.ID)

	// Fresh credentials each start: the fake only lives as long as the process.
	fake := cloudapitest.New(cloudapitest.Options{
		Addr:               "127.0.0.1:0",
		DisplayPhoneNumber: strings.TrimPrefix(ConnectionAddress, "+"),
		VerifiedName:       "Demo Company",
		AccessToken:        "EAAdemo" + token(24),
		AppSecret:          token(24),
		Statuses:           demoStatuses,
		ReplyDelay:         replyDelay,
		// As Meta does: a photo a member sends is downloaded from its link (this
		// server's signed one), and a link that does not give it fails the message.
		FetchLinks: true,
	}).Start()
	sim := &Simulator{Fake: fake}
	ok = false
	defer func() {
		if !ok {
			fake.Close()
		}
	}()
	fake.AddTemplate("order_update", "en_US", cloudapitest.CategoryUtility, 2,
		cloudapitest.WithBody("Hi {{1}}, your order {{2}} is on its way."))
	fake.AddTemplate("spring_sale", "en_US", cloudapitest.CategoryMarketing, 1,
		cloudapitest.WithBody("Hi {{1}}, our spring sale starts today: 20% off everything."))
	fake.AddTemplate("delivery_slot", "en_US", cloudapitest.CategoryUtility, 1,
		cloudapitest.WithTextHeader("Order {{1}}"),
		cloudapitest.WithBody("Hi {{1}}, your delivery arrives tomorrow between 9:00 and 12:00."))
	fake.AddTemplate("login_code", "en_US", cloudapitest.CategoryAuthentication, 1,
		cloudapitest.WithBody("{{1}} is your verification code."), cloudapitest.WithCopyCodeButton())
	for _, c := range Contacts {
		fake.SetProfileName(c.Phone, c.Name)
		fake.OpenWindow(c.Phone)
	}
	fake.SetProfileName(WalkIn.Phone, WalkIn.Name)
	fake.OpenWindow(WalkIn.Phone)
	fake.OnMessage(newCustomer().answer)

	if sim.Connection, err = upsertConnection(ctx, a, sc, fake); err != nil {
		return nil, err
	}
	if webhookBase == "" {
		sim.WebhookURL = a.Connections.WebhookURL(sim.Connection)
	} else {
		sim.WebhookURL = strings.TrimRight(webhookBase, "/") + "/hooks/" + sim.Connection.PublicID
	}
	fake.SetWebhookURL(sim.WebhookURL)

	if ws.WhatsAppEngine == nil || *ws.WhatsAppEngine != tenants.EngineCloud {
		engine := tenants.EngineCloud
		if _, err := tenants.UpdateWorkspace(ctx, a.DB, ws, tenants.WorkspaceUpdate{WhatsAppEngine: &engine}); err != nil {
			return nil, fmt.Errorf("demo: whatsapp engine: %w", err)
		}
	}
	if _, err := a.Ledger.Move(ctx, ws.ID, billing.Movement{Kind: billing.Grant, Amount: WelcomeCredits, Key: WelcomeKey,
		Actor: "system:demo", Note: "Welcome credits of the demo workspace"}); err != nil {
		return nil, fmt.Errorf("demo: welcome credits: %w", err)
	}
	if err := seedConversations(ctx, sc, sim.Connection); err != nil {
		return nil, err
	}
	if err := seedTicket(ctx, sc, sim.Connection); err != nil {
		return nil, err
	}
	if err := seedGroup(ctx, sc, sim.Connection); err != nil {
		return nil, err
	}
	ok = true
	return sim, nil
}

// cloudConfig is the connection config that points the plugin at the fake.
func cloudConfig(fake *cloudapitest.Server, verifyToken string) json.RawMessage {
	o := fake.Options()
	raw, _ := json.Marshal(map[string]string{
		"phone_number_id": o.PhoneNumberID,
		"waba_id":         o.WABAID,
		"access_token":    o.AccessToken,
		"app_secret":      o.AppSecret,
		"verify_token":    verifyToken,
		"api_base_url":    fake.URL(),
		"api_version":     "v21.0",
	})
	return raw
}

// upsertConnection creates the demo connection, or points the existing one at the
// fake. Either way the plugin checks the config (and the credentials, against the
// fake).
func upsertConnection(ctx context.Context, a *app.App, sc tenants.Scoped, fake *cloudapitest.Server) (connections.Connection, error) {
	find := func() (connections.Connection, bool, error) {
		var c connections.Connection
		err := sc.Select(&c).Where("c.plugin_id = ? AND c.address = ?", PluginID, ConnectionAddress).Limit(1).Scan(ctx)
		if storage.IsNotFound(err) {
			return c, false, nil
		}
		return c, err == nil, err
	}
	c, found, err := find()
	if err != nil {
		return c, fmt.Errorf("demo: connection: %w", err)
	}
	cfg := cloudConfig(fake, token(16))
	if !found {
		c, err = a.Connections.Create(ctx, sc, connections.NewConnection{PluginID: PluginID, Engine: Engine,
			DisplayName: ConnectionName, Address: ConnectionAddress, Config: cfg})
		if !errors.Is(err, connections.ErrAddressTaken) {
			if err != nil {
				return c, fmt.Errorf("demo: create connection: %w", err)
			}
			return c, nil
		}
		// Another process created it just now: update that one.
		if c, _, err = find(); err != nil {
			return c, fmt.Errorf("demo: connection: %w", err)
		}
	}
	c, err = a.Connections.Update(ctx, sc, c.ID, connections.Update{Config: cfg})
	if err != nil {
		return c, fmt.Errorf("demo: point the connection at the simulator: %w", err)
	}
	if c.Status == connections.StatusDisabled {
		a.Log.Warn("the demo WhatsApp connection is disabled; enable it to use the simulated customer", "connection", c.ID)
	}
	return c, nil
}

// seedConversations creates each demo contact (with WhatsApp consent) and an open Chat
// conversation whose last message is the customer's greeting, once; a conversation
// whose 24-hour window has closed since (the demo was off for a day) gets a fresh
// message from the customer, so replies can be sent without a template.
func seedConversations(ctx context.Context, sc tenants.Scoped, conn connections.Connection) error {
	now := time.Now().UTC()
	for i, dc := range Contacts {
		contact, err := messaging.ContactByAddress(ctx, sc, conn.Kind, dc.Phone, dc.Name)
		if err != nil {
			return fmt.Errorf("demo: contact %s: %w", dc.Name, err)
		}
		if !contact.WhatsAppConsent {
			if _, err := sc.Update((*messaging.Contact)(nil)).Set("whatsapp_consent = ?", true).Set("updated_at = ?", now).
				Where("ct.id = ?", contact.ID).Exec(ctx); err != nil {
				return err
			}
		}
		var conv messaging.Conversation
		err = sc.Select(&conv).Where("cv.connection_id = ? AND cv.contact_id = ? AND cv.kind = ? AND cv.recipients = 1", conn.ID, contact.ID, messaging.KindChat).
			OrderExpr("cv.last_activity_at DESC").Limit(1).Scan(ctx)
		text := dc.Greeting
		switch {
		case storage.IsNotFound(err):
			if conv, err = messaging.NewConversation(ctx, sc, messaging.KindChat, conn.ID, contact, dc.Name); err != nil {
				return err
			}
		case err != nil:
			return err
		case conv.WindowOpen(now):
			continue
		default:
			text = "Hi again! Are you there? 🙂"
		}
		// Staggered a few minutes into the past, so the list has an order.
		at := now.Add(-time.Duration(len(Contacts)-i) * 7 * time.Minute)
		if err := customerSays(ctx, sc, conn, contact, conv, text, at); err != nil {
			return fmt.Errorf("demo: conversation with %s: %w", dc.Name, err)
		}
	}
	return nil
}

// GroupName is the demo's contact group: its Chat customers, to try a send to several.
const GroupName = "Demo customers"

// seedGroup puts the demo's Chat customers in a group when the workspace has none of
// that name: a group someone changed is left as it is.
func seedGroup(ctx context.Context, sc tenants.Scoped, conn connections.Connection) error {
	g, err := messaging.CreateGroup(ctx, sc, GroupName)
	if errors.Is(err, messaging.ErrGroupNameTaken) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo: group: %w", err)
	}
	ids := make([]string, 0, len(Contacts))
	for _, dc := range Contacts {
		c, err := messaging.ContactByAddress(ctx, sc, conn.Kind, dc.Phone, dc.Name)
		if err != nil {
			return err
		}
		ids = append(ids, c.ID)
	}
	return messaging.AddToGroup(ctx, sc, g.ID, ids)
}

// seedTicket opens the walk-in customer's ticket, once: after that it is the team's,
// to accept, answer and resolve.
func seedTicket(ctx context.Context, sc tenants.Scoped, conn connections.Connection) error {
	contact, err := messaging.ContactByAddress(ctx, sc, conn.Kind, WalkIn.Phone, WalkIn.Name)
	if err != nil {
		return fmt.Errorf("demo: contact %s: %w", WalkIn.Name, err)
	}
	exists, err := sc.Select((*messaging.Conversation)(nil)).
		Where("cv.contact_id = ? AND cv.kind = ?", contact.ID, messaging.KindTicket).Exists(ctx)
	if err != nil || exists {
		return err
	}
	conv, err := messaging.NewConversation(ctx, sc, messaging.KindTicket, conn.ID, contact, "")
	if err != nil {
		return err
	}
	// The customer's message starts the ticket's SLA clocks.
	if err := customerSays(ctx, sc, conn, contact, conv, WalkIn.Greeting, time.Now().UTC().Add(-3*time.Minute)); err != nil {
		return fmt.Errorf("demo: ticket of %s: %w", WalkIn.Name, err)
	}
	return nil
}

// customerSays stores a message from the customer in conv, and routes it as the
// inbound flow would (reopening, unread, the 24-hour window, SLA clocks).
func customerSays(ctx context.Context, sc tenants.Scoped, conn connections.Connection, contact messaging.Contact, conv messaging.Conversation, text string, at time.Time) error {
	pid := "wamid.demo" + token(12)
	m := messaging.Message{ConversationID: conv.ID, ConnectionID: conn.ID, Direction: messaging.DirectionIn, Type: "text",
		Body: text, Status: messaging.StatusReceived, ProviderMessageID: &pid}
	if err := messaging.Insert(ctx, sc, &m, "provider"); err != nil {
		return err
	}
	_, _, err := messaging.RouteInbound(ctx, sc, conn.ID, contact, at, text)
	return err
}

// customer is the scripted customer: it answers every question, and every second
// message otherwise, with a short friendly reply.
type customer struct {
	mu   sync.Mutex
	seen map[string]int // messages received, by number
}

func newCustomer() *customer { return &customer{seen: map[string]int{}} }

var (
	answers = []string{
		"Yes, that works for me, thanks!",
		"Good question, let me check and get back to you 🙂",
		"Sure! Tomorrow afternoon would be perfect.",
		"Hmm, I'm not sure. What would you recommend?",
	}
	acks = []string{
		"Great, thank you! 👍",
		"Perfect, thanks for letting me know.",
		"Got it 🙏",
		"Awesome, have a nice day!",
	}
)

func (c *customer) answer(m cloudapitest.Message) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.seen[m.WaID]
	c.seen[m.WaID] = n + 1
	switch {
	case strings.Contains(m.Text, "?"):
		return answers[n%len(answers)], true
	case n%2 == 1:
		return acks[(n/2)%len(acks)], true
	}
	return "", false
}

func token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
