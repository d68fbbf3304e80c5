package demo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/demo"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
	"github.com/switchboardhq/switchboard/tenants"
)

// simulatorRedisDB is this test's Redis database on the shared test server: its worker
// consumes every queue, so it must not take other packages' tasks (the jobs tests use
// 15, the sweep test 12).
const simulatorRedisDB = "13"

func simulatorRedisURL(t *testing.T) string {
	t.Helper()
	raw := os.Getenv(testapp.EnvRedis)
	if raw == "" {
		return "" // embedded, private to the app
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + simulatorRedisDB
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return u.String()
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSimulator runs the demo end to end with the real whatsapp plugin binary: the
// simulator connects workspace demo to the Cloud API fake, a message posted into a
// demo conversation goes sent → delivered → read through the fake's signed webhooks,
// and the scripted customer's answer arrives in the same conversation.
func TestSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whatsapp plugin")
	}
	plugins := t.TempDir()
	if _, err := conformance.Build("github.com/switchboardhq/switchboard/plugins/whatsapp/cmd/whatsapp", "../../plugins/whatsapp/manifest.json", plugins); err != nil {
		t.Fatal(err)
	}
	redisURL := simulatorRedisURL(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ta := testapp.New(t, testapp.WithConfig(func(c *config.Config) {
		c.PluginsDir = plugins
		c.RedisURL = redisURL
		c.PublicURL = "http://" + ln.Addr().String()
	}))
	a := ta.App
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	worked := make(chan error, 1)
	defer func() {
		cancel()
		<-served
		<-worked
	}()
	if err := a.StartPlugins(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { served <- ta.Server.Serve(ctx, ln) }()

	// Without a demo workspace there is nothing to connect.
	if _, err := demo.StartSimulator(ctx, a, ""); err == nil || errors.Is(err, demo.ErrNoWhatsAppPlugin) {
		t.Fatalf("simulator before the seed: %v", err)
	}
	res, err := demo.Seed(ctx, a.DB, a.Accounts, "demo-password-123")
	if err != nil {
		t.Fatal(err)
	}
	sc := tenants.Scope(a.DB, res.Workspace.ID)

	// A restart: the second start reuses the connection, points it at its own fake and
	// grants nothing more.
	first, err := demo.StartSimulator(ctx, a, "")
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	sim, err := demo.StartSimulator(ctx, a, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if sim.Connection.ID != first.Connection.ID {
		t.Fatalf("restart made a new connection: %s, was %s", sim.Connection.ID, first.Connection.ID)
	}
	count := func(model any, where string, args ...any) int {
		t.Helper()
		n, err := sc.Select(model).Where(where, args...).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count((*connections.Connection)(nil), "c.plugin_id = ?", demo.PluginID); n != 1 {
		t.Fatalf("%d whatsapp connections, want 1", n)
	}
	// One demo group after two starts, with the Chat customers in it.
	groups, _, err := messaging.Groups(ctx, sc, storage.Page{})
	if err != nil || len(groups) != 1 || groups[0].Name != demo.GroupName || groups[0].Members != len(demo.Contacts) {
		t.Fatalf("demo groups %+v, %v", groups, err)
	}
	cfg, err := a.Connections.Config(sim.Connection)
	if err != nil {
		t.Fatal(err)
	}
	if cfg["api_base_url"] != sim.Fake.URL() || sim.Connection.Status != connections.StatusActive || sim.Connection.Engine != demo.Engine {
		t.Fatalf("connection %+v with config base URL %v, want active, pointed at %s", sim.Connection, cfg["api_base_url"], sim.Fake.URL())
	}
	if n := count((*billing.Entry)(nil), "le.idempotency_key = ?", demo.WelcomeKey); n != 1 {
		t.Fatalf("%d welcome grants, want 1", n)
	}
	wallet, err := billing.WalletOf(ctx, sc)
	if err != nil || wallet.Balance != demo.WelcomeCredits {
		t.Fatalf("wallet %+v, %v; want %d credits", wallet, err, demo.WelcomeCredits)
	}
	ws, err := tenants.ByRef(ctx, a.DB, demo.WorkspaceSlug)
	if err != nil || ws.WhatsAppEngine == nil || *ws.WhatsAppEngine != tenants.EngineCloud {
		t.Fatalf("workspace engine: %+v, %v", ws.WhatsAppEngine, err)
	}
	if n := count((*messaging.Conversation)(nil), "cv.kind = ?", messaging.KindChat); n != len(demo.Contacts) {
		t.Fatalf("%d chat conversations, want %d", n, len(demo.Contacts))
	}
	if n := count((*messaging.Message)(nil), "m.direction = ?", messaging.DirectionIn); n != len(demo.Contacts)+1 {
		t.Fatalf("%d inbound messages after two starts, want %d (the contacts' and the walk-in's)", n, len(demo.Contacts)+1)
	}
	// The walk-in customer's ticket waits in the Team Inbox, unassigned.
	var ticket messaging.Conversation
	if err := sc.Select(&ticket).Where("cv.kind = ?", messaging.KindTicket).Scan(ctx); err != nil {
		t.Fatalf("the walk-in ticket: %v", err)
	}
	if ticket.Title != demo.WalkIn.Name || ticket.AssigneeID != nil || ticket.State != messaging.StateQueued || !ticket.WindowOpen(time.Now()) {
		t.Fatalf("walk-in ticket %+v", ticket)
	}
	// Its customer's message started its SLA clocks (the demo's policy).
	if ticket.FirstResponseDueAt == nil || ticket.ResolutionDueAt == nil {
		t.Fatalf("walk-in ticket's SLA targets %v, %v; want both set", ticket.FirstResponseDueAt, ticket.ResolutionDueAt)
	}

	w, err := a.Worker(4)
	if err != nil {
		t.Fatal(err)
	}
	go func() { worked <- w.Run(ctx) }()

	contact, err := messaging.ContactByAddress(ctx, sc, "whatsapp", demo.Contacts[0].Phone, "")
	if err != nil {
		t.Fatal(err)
	}
	if !contact.WhatsAppConsent || contact.Name != demo.Contacts[0].Name {
		t.Fatalf("demo contact %+v", contact)
	}
	var conv messaging.Conversation
	if err := sc.Select(&conv).Where("cv.contact_id = ?", contact.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if !conv.WindowOpen(time.Now()) || conv.Kind != messaging.KindChat || conv.ConnectionID != sim.Connection.ID {
		t.Fatalf("demo conversation %+v", conv)
	}
	posted, err := a.Pipeline.Post(ctx, sc, conv, pipeline.Draft{Type: "text", Text: "Your order ships today. Anything else I can help with?"})
	if err != nil {
		t.Fatal(err)
	}

	var seen []string
	eventually(t, 15*time.Second, "the message to be read", func() bool {
		m, err := messaging.GetMessage(ctx, sc, posted.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) == 0 || seen[len(seen)-1] != m.Status {
			seen = append(seen, m.Status)
		}
		if m.Status == messaging.StatusFailed {
			t.Fatalf("message failed: %s", m.Reason)
		}
		return m.Status == messaging.StatusRead
	})
	timeline, err := messaging.Timeline(ctx, sc, posted.ID)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, e := range timeline {
		statuses = append(statuses, e.Status)
	}
	want := []string{messaging.StatusPending, messaging.StatusQueued, messaging.StatusSent, messaging.StatusDelivered, messaging.StatusRead}
	if !slices.Equal(statuses, want) {
		t.Fatalf("timeline %v, want %v (polled %v)", statuses, want, seen)
	}
	for _, e := range timeline[2:] {
		if e.Source != "provider" && e.Status != messaging.StatusSent {
			t.Errorf("%s came from %s, want the provider's webhook", e.Status, e.Source)
		}
	}

	var reply messaging.Message
	eventually(t, 15*time.Second, "the scripted customer's reply", func() bool {
		err := sc.Select(&reply).Where("m.conversation_id = ? AND m.direction = ? AND m.id > ?", conv.ID, messaging.DirectionIn, posted.ID).
			OrderExpr("m.id").Limit(1).Scan(ctx)
		return err == nil
	})
	if reply.Body == "" || reply.Status != messaging.StatusReceived {
		t.Fatalf("reply %+v", reply)
	}
	if n := count((*messaging.Conversation)(nil), "cv.contact_id = ?", contact.ID); n != 1 {
		t.Fatalf("the reply opened another conversation: %d for the contact", n)
	}
	t.Logf("statuses polled %v; customer replied %q", seen, reply.Body)

	// A customer's photo: the API fetches it from the provider with the connection's
	// token and streams it to a member who may see the conversation.
	photo := bytes.Repeat([]byte("\xff\xd8\xff\xe0 a photo of the damaged box "), 2000)
	mediaID := sim.Fake.AddMedia("image/jpeg", photo)
	if _, err := sim.Fake.Inject(ctx, cloudapitest.Inbound{From: demo.Contacts[0].Phone, Type: "image",
		Fields: map[string]any{"image": sim.Fake.MediaObject(mediaID, "the box")}}); err != nil {
		t.Fatal(err)
	}
	var pic messaging.Message
	eventually(t, 15*time.Second, "the customer's photo", func() bool {
		err := sc.Select(&pic).Where("m.conversation_id = ? AND m.direction = ? AND m.type = ?", conv.ID, messaging.DirectionIn, "image").
			Limit(1).Scan(ctx)
		return err == nil
	})
	if pic.Content.Media == nil || strings.Contains(pic.Content.Media.URL, "access_token") {
		t.Fatalf("photo message content %+v", pic.Content)
	}
	admin, err := auth.UserByEmail(ctx, a.DB, demo.Users[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	_, session, err := a.Accounts.StartSession(ctx, admin.ID, "10.9.8.7", "simulator-test")
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: session})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	mediaPath := func(m messaging.Message) string {
		return "/api/v1/workspaces/" + demo.WorkspaceSlug + "/conversations/" + m.ConversationID + "/messages/" + m.ID + "/media"
	}
	got := get(mediaPath(pic))
	body, _ := io.ReadAll(got.Body)
	if got.StatusCode != http.StatusOK || !bytes.Equal(body, photo) {
		t.Fatalf("media: %d, %d bytes (want 200 and the %d bytes the customer sent): %.200s", got.StatusCode, len(body), len(photo), body)
	}
	if ct, cd, nosniff := got.Header.Get("Content-Type"), got.Header.Get("Content-Disposition"), got.Header.Get("X-Content-Type-Options"); ct != "image/jpeg" || !strings.HasPrefix(cd, "inline") || nosniff != "nosniff" {
		t.Fatalf("media headers: type %q, disposition %q, nosniff %q", ct, cd, nosniff)
	}
	// A video player seeking asks for a part: it gets that part.
	req, err := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+mediaPath(pic), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: session})
	req.Header.Set("Range", "bytes=100-199")
	part, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	partBody, _ := io.ReadAll(part.Body)
	part.Body.Close()
	if part.StatusCode != http.StatusPartialContent || !bytes.Equal(partBody, photo[100:200]) ||
		part.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(photo)) {
		t.Fatalf("a range of the media: %d, %d bytes, Content-Range %q", part.StatusCode, len(partBody), part.Header.Get("Content-Range"))
	}
	// A range outside the media: 416, as a player expects.
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-", len(photo)+10))
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("a range outside the media: %v %v, want 416", res, err)
	} else {
		res.Body.Close()
	}
	// In production a provider URL that leads inside the network is refused: the
	// fake lives on loopback.
	a.Connections.AllowPrivateMedia(false)
	if res := get(mediaPath(pic)); res.StatusCode != http.StatusServiceUnavailable {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("media on loopback in production: %d %s, want 503", res.StatusCode, body)
	} else if body, _ := io.ReadAll(res.Body); !strings.Contains(string(body), "could not be fetched from 127.0.0.1") {
		t.Fatalf("media on loopback in production: %s, want it not fetched", body)
	}
	a.Connections.AllowPrivateMedia(true)
	// Ours carry the agent's link, which the browser opens itself; once WhatsApp no
	// longer keeps the customer's, the API says so.
	if res := get(mediaPath(posted)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("media of an outbound text: %d, want 404", res.StatusCode)
	}
	// A member's photo: uploaded, sent by file id, fetched by the provider (the fake,
	// as Meta does) through the signed link the plugin was given, and shown in the
	// thread from the server.
	label := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte(" the return label "), 40_000)...) // 720 KB: two parts
	file, err := media.Save(ctx, sc, media.Upload{Filename: "return label.jpg", Body: bytes.NewReader(label)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sentPhoto, err := a.Pipeline.Post(ctx, sc, conv, pipeline.Draft{Type: "media", MediaFile: file.ID, Media: &sdk.Media{Caption: "Your label"}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the member's photo to be delivered", func() bool {
		m, err := messaging.GetMessage(ctx, sc, sentPhoto.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == messaging.StatusFailed {
			t.Fatalf("photo failed: %s", m.Reason)
		}
		sentPhoto = m
		return m.Status == messaging.StatusDelivered || m.Status == messaging.StatusRead
	})
	fetched, ok := sim.Fake.Fetched(*sentPhoto.ProviderMessageID)
	if !ok || fetched.Status != http.StatusOK || !bytes.Equal(fetched.Data, label) || fetched.ContentType != "image/jpeg" {
		t.Fatalf("the provider fetched %d, %d bytes, %q (%v); want the %d bytes uploaded", fetched.Status, len(fetched.Data), fetched.ContentType, ok, len(label))
	}
	if u, err := url.Parse(fetched.Link); err != nil || u.Host != ln.Addr().String() || u.Query().Get("signature") == "" {
		t.Fatalf("the provider was given %q, want a signed link to this server", fetched.Link)
	}
	if res := get(mediaPath(sentPhoto)); res.StatusCode != http.StatusOK {
		t.Fatalf("the member's photo in the thread: %d", res.StatusCode)
	} else if body, _ := io.ReadAll(res.Body); !bytes.Equal(body, label) {
		t.Fatalf("the member's photo in the thread: %d bytes, want %d", len(body), len(label))
	}

	// WhatsApp carries no GIF: refused when it is written, not by the provider later.
	gif, err := media.Save(ctx, sc, media.Upload{Filename: "dance.gif", Body: strings.NewReader("GIF89a dance")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Pipeline.Post(ctx, sc, conv, pipeline.Draft{Type: "media", MediaFile: gif.ID})
	var refused *failure.Error
	if !errors.As(err, &refused) || !strings.Contains(refused.Fields["media.file_id"], "carries no image/gif files") {
		t.Fatalf("a GIF to WhatsApp: %v, want media.file_id refused", err)
	}
	_, err = a.Pipeline.Post(ctx, sc, conv, pipeline.Draft{Type: "media", Media: &sdk.Media{URL: "https://cdn.example.test/dance.gif"}})
	if !errors.As(err, &refused) || !strings.Contains(refused.Fields["media.url"], "carries no image/gif files") {
		t.Fatalf("a GIF link to WhatsApp: %v, want media.url refused", err)
	}

	// Forwarded to another customer: the photo is fetched from the provider with the
	// connection's credentials, kept as a file of the workspace, and sent by a link
	// to this server, which the provider fetches.
	second, err := messaging.ContactByAddress(ctx, sc, "whatsapp", demo.Contacts[1].Phone, "")
	if err != nil {
		t.Fatal(err)
	}
	var secondConv messaging.Conversation
	if err := sc.Select(&secondConv).Where("cv.contact_id = ?", second.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	fwd, err := a.Pipeline.Forward(ctx, sc, pic, secondConv, "")
	if err != nil {
		t.Fatal(err)
	}
	if fwd.Type != "media" || fwd.Content.MediaFile == "" || fwd.Content.Media.Filename != "media.jpg" || fwd.Content.Media.Caption != "the box" {
		t.Fatalf("forwarded photo %+v %+v", fwd.Content, fwd.Content.Media)
	}
	eventually(t, 15*time.Second, "the forwarded photo to be delivered", func() bool {
		m, err := messaging.GetMessage(ctx, sc, fwd.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == messaging.StatusFailed {
			t.Fatalf("forwarded photo failed: %s", m.Reason)
		}
		fwd = m
		return m.Status == messaging.StatusDelivered || m.Status == messaging.StatusRead
	})
	if got, ok := sim.Fake.Fetched(*fwd.ProviderMessageID); !ok || !bytes.Equal(got.Data, photo) {
		t.Fatalf("the provider fetched %d bytes of the forwarded photo (%v), want the customer's %d", len(got.Data), ok, len(photo))
	}

	// A voice note (audio/ogg) is a type not every channel carries: not forwarded,
	// and nothing is fetched or kept for it.
	voiceID := sim.Fake.AddMedia("audio/ogg", []byte("OggS voice note"))
	if _, err := sim.Fake.Inject(ctx, cloudapitest.Inbound{From: demo.Contacts[0].Phone, Type: "audio",
		Fields: map[string]any{"audio": sim.Fake.MediaObject(voiceID, "")}}); err != nil {
		t.Fatal(err)
	}
	var voice messaging.Message
	eventually(t, 15*time.Second, "the customer's voice note", func() bool {
		err := sc.Select(&voice).Where("m.conversation_id = ? AND m.direction = ? AND m.type = ?", conv.ID, messaging.DirectionIn, "audio").
			Limit(1).Scan(ctx)
		return err == nil
	})
	files := count((*media.File)(nil), "1 = 1")
	if _, err := a.Pipeline.Forward(ctx, sc, voice, secondConv, ""); !errors.Is(err, pipeline.ErrForwardUnsupported) || !strings.Contains(err.Error(), "audio/ogg") {
		t.Fatalf("forwarding a voice note: %v, want forward_unsupported naming audio/ogg", err)
	}
	if n := count((*media.File)(nil), "1 = 1"); n != files {
		t.Fatalf("%d files after the refused forward, want %d", n, files)
	}

	sim.Fake.ExpireMedia(mediaID)
	if res := get(mediaPath(pic)); res.StatusCode != http.StatusGone {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("expired media: %d %s, want 410", res.StatusCode, body)
	}
	if _, err := a.Pipeline.Forward(ctx, sc, pic, secondConv, ""); !errors.Is(err, connections.ErrMediaGone) {
		t.Fatalf("forwarding media WhatsApp no longer keeps: %v, want ErrMediaGone", err)
	}
}
