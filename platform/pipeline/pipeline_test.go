package pipeline_test

// End-to-end tests of both flows: a test app (PostgreSQL and SQLite) with in-process
// channel plugins, a real jobs.Worker on a Redis database of this package's own, and
// the loopback provider's signed webhooks fed back through /hooks/:connection.
//
// Redis: asynq workers take tasks from every queue of the Redis database they use, so
// this package keeps to its own databases of SWITCHBOARD_TEST_REDIS_URL's server:
// 14 for PostgreSQL, 15 for SQLite (PIPELINE_TEST_REDIS_DB moves the pair), flushed
// when a harness starts. Without SWITCHBOARD_TEST_REDIS_URL each app gets the embedded
// backend, which is private to it anyway.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/realtime"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// ---------------------------------------------------------------- harness

// redisDB is the Redis database number this package uses for engine's apps.
func redisDB(engine testapp.Engine) int {
	base := 14
	if v, err := strconv.Atoi(os.Getenv("PIPELINE_TEST_REDIS_DB")); err == nil && v >= 0 {
		base = v
	}
	if engine == testapp.SQLite {
		return base + 1
	}
	return base
}

// redisURL is SWITCHBOARD_TEST_REDIS_URL with its database replaced by db, or "" (the
// embedded backend) when it is not set.
func redisURL(t testing.TB, db int) string {
	base := os.Getenv(testapp.EnvRedis)
	if base == "" {
		return ""
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", testapp.EnvRedis, err)
	}
	u.Path = fmt.Sprintf("/%d", db)
	return u.String()
}

// channel wraps loopback to script what the tests need: a different kind and
// capabilities (a WhatsApp-like channel with the 24-hour window), failures on the
// first calls for each message, a gate that holds sends, and a count of Send calls.
type channel struct {
	*loopback.Loopback
	kind       string
	caps       []sdk.Capability
	failFirst  int           // transient failures before a message's send succeeds
	permFirst  int           // permanent failures before a message's send succeeds
	limitFirst int           // rate-limit refusals before a message's send succeeds
	limitBare  bool          // the refusals say no Retry-After
	gate       chan struct{} // when set, Send waits for it to close
	idPrefix   string        // when set, provider ids are idPrefix + message id
	noPush     bool          // leaves out loopback's reactions and pins capabilities
	// onSend, when set, runs at every Send call before its answer (a test changing
	// the world while the provider has the message).
	onSend func(msg sdk.OutboundMessage)

	mu        sync.Mutex
	calls     map[string]int    // Send calls by message id
	reactions map[string]string // the last reaction pushed, by provider message id
	pins      map[string]bool   // the last pin pushed, by provider message id
}

func (c *channel) Describe(ctx context.Context) (sdk.Description, error) {
	d, err := c.Loopback.Describe(ctx)
	if c.kind != "" {
		d.Kind = c.kind
	}
	d.Capabilities = append(append([]sdk.Capability(nil), d.Capabilities...), c.caps...)
	if c.noPush {
		d.Capabilities = slices.DeleteFunc(d.Capabilities, func(c sdk.Capability) bool { return c == sdk.CapReactions || c == sdk.CapPins })
	}
	return d, err
}

func (c *channel) Send(ctx context.Context, conn sdk.Connection, msg sdk.OutboundMessage) (sdk.SendResult, error) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[msg.ID]++
	n := c.calls[msg.ID]
	if c.onSend != nil {
		c.onSend(msg)
	}
	if msg.Reaction != nil {
		if c.reactions == nil {
			c.reactions = map[string]string{}
		}
		c.reactions[msg.Reaction.ProviderMessageID] = msg.Reaction.Emoji
	}
	if msg.Pin != nil {
		if c.pins == nil {
			c.pins = map[string]bool{}
		}
		c.pins[msg.Pin.ProviderMessageID] = msg.Pin.Pinned
	}
	c.mu.Unlock()
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return sdk.SendResult{}, ctx.Err()
		}
	}
	if n <= c.failFirst {
		return sdk.SendResult{}, sdk.Errorf(sdk.Transient, loopback.CodeUnavailable, "flaky provider (call %d)", n)
	}
	if n <= c.limitFirst {
		e := sdk.Errorf(sdk.RateLimited, loopback.CodeRateLimited, "slow down (call %d)", n)
		if !c.limitBare {
			e.RetryAfter = time.Millisecond
		}
		return sdk.SendResult{}, e
	}
	if n <= c.permFirst {
		return sdk.SendResult{}, sdk.Errorf(sdk.Permanent, loopback.CodeRejected, "rejected on call %d", n)
	}
	res, err := c.Loopback.Send(ctx, conn, msg)
	if err == nil && c.idPrefix != "" {
		res.ProviderMessageID = c.idPrefix + msg.ID
	}
	return res, err
}

// reaction is the last reaction pushed on the provider's message id, and whether any was.
func (c *channel) reaction(providerID string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.reactions[providerID]
	return r, ok
}

// pin is the last pin pushed on the provider's message id, and whether any was.
func (c *channel) pin(providerID string) (pinned, pushed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pinned, pushed = c.pins[providerID]
	return pinned, pushed
}

// pushes counts the pushes made for the message (a reaction's, a pin's: their ids
// start with the message's).
func (c *channel) pushes(messageID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for id, calls := range c.calls {
		if strings.HasPrefix(id, messageID+":") {
			n += calls
		}
	}
	return n
}

func (c *channel) sends(messageID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[messageID]
}

// env is one app with a running worker.
type env struct {
	t       testing.TB
	ta      *testapp.TestApp
	p       *pipeline.Pipeline
	lb      *loopback.Loopback
	plugins connections.StaticPlugins
	insp    *asynq.Inspector

	stopWorker func()
}

// envOptions shape newEnv.
type envOptions struct {
	engine      testapp.Engine
	concurrency int
	maxRetry    int
	// kick moves failed tasks waiting for their retry back to pending every interval
	// (0: never), so tests do not wait out Asynq's 15 s+ backoff; the retry itself,
	// its count and the handler's decision are Asynq's and the pipeline's.
	kick    time.Duration
	plugins connections.StaticPlugins // added to loopback
	config  func(*config.Config)
	// hostPlugins keeps the app's plugin host (binaries from config.PluginsDir)
	// instead of the in-process registry; beforeWorker runs before the worker starts.
	hostPlugins  bool
	beforeWorker func(*env)
	noWorker     bool
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.concurrency == 0 {
		o.concurrency = 8
	}
	lb := loopback.New()
	plugins := connections.StaticPlugins{"loopback": lb}
	for k, v := range o.plugins {
		plugins[k] = v
	}
	rurl := redisURL(t, redisDB(o.engine))
	opts := []testapp.Option{testapp.OnEngine(o.engine), testapp.WithConfig(func(c *config.Config) {
		c.RedisURL = rurl
		if o.config != nil {
			o.config(c)
		}
	})}
	if !o.hostPlugins {
		opts = append(opts, testapp.WithPlugins(plugins))
	}
	ta := testapp.New(t, opts...)
	e := &env{t: t, ta: ta, p: ta.App.Pipeline, lb: lb, plugins: plugins}
	if rurl != "" {
		// Ours alone; what an earlier run left behind must not be processed here.
		if err := ta.App.Queue.Redis.FlushDB(context.Background()).Err(); err != nil {
			t.Fatalf("flush redis db: %v", err)
		}
	}
	if o.maxRetry > 0 {
		e.p.Enqueuer.MaxRetry = o.maxRetry
	}
	if rurl != "" {
		// Leave nothing behind (a fairness run's unsent backlog) for the next run.
		t.Cleanup(func() { ta.App.Queue.Redis.FlushDB(context.Background()) })
	}
	e.insp = asynq.NewInspector(ta.App.Queue.Conn)
	t.Cleanup(func() { e.insp.Close() })
	if o.beforeWorker != nil {
		o.beforeWorker(e)
	}
	e.stopWorker = func() {}
	if !o.noWorker {
		e.startWorker(o.concurrency)
	}
	t.Cleanup(func() { e.stopWorker() })
	if o.kick > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(o.kick)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					e.kickRetries()
				}
			}
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	return e
}

// startWorker runs the app's worker (every handler registered) until stopWorker.
func (e *env) startWorker(concurrency int) {
	e.t.Helper()
	w, err := e.ta.App.Worker(concurrency)
	if err != nil {
		e.t.Fatalf("worker: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	e.stopWorker = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.t.Errorf("worker: %v", err)
			}
		})
	}
}

// kickRetries runs every task waiting for a retry now.
func (e *env) kickRetries() {
	for _, q := range []string{jobs.QueueSends, jobs.QueueBulk, jobs.QueueInbound, jobs.QueueScheduled} {
		tasks, err := e.insp.ListRetryTasks(q, asynq.PageSize(500))
		if err != nil {
			continue
		}
		for _, ti := range tasks {
			_ = e.insp.RunTask(q, ti.ID)
		}
	}
}

// tenant is a workspace with credits, a connection, a contact and a conversation.
type tenant struct {
	e       *env
	ws      tenants.Workspace
	sc      tenants.Scoped
	conn    connections.Connection
	contact messaging.Contact
	conv    messaging.Conversation
	credits int64 // the balance after the fixture's grant
}

var phoneSeq atomic.Int64

func (e *env) tenant(t testing.TB, plugin string, cfg loopback.Config, credits int64) *tenant {
	t.Helper()
	ctx := context.Background()
	db := e.ta.App.DB
	ws, err := tenants.CreateWorkspace(ctx, db, tenants.NewWorkspace{Name: e.ta.Unique("pipeline"), PlanCode: "business"})
	if err != nil {
		t.Fatalf("workspace: %v", err)
	}
	sc := tenants.Scope(db, ws.ID)
	tn := &tenant{e: e, ws: ws, sc: sc}
	// Whatever the plan gave it, the wallet holds exactly credits.
	w, err := billing.WalletOf(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if d := credits - w.Balance; d != 0 {
		kind := billing.Grant
		if d < 0 {
			kind = billing.Adjustment
		}
		if _, err := e.ta.App.Ledger.Move(ctx, ws.ID, billing.Movement{Kind: kind, Amount: d, Key: "fixture-grant", Actor: "test"}); err != nil {
			t.Fatalf("grant: %v", err)
		}
	}
	tn.credits = credits
	if cfg.WebhookSecret == "" {
		cfg.WebhookSecret = "hook-secret"
	}
	n := phoneSeq.Add(1)
	tn.conn, err = e.ta.App.Connections.Create(ctx, sc, connections.NewConnection{PluginID: plugin, Engine: loopback.Engine,
		DisplayName: "Line", Address: fmt.Sprintf("+1555%07d", n), Config: cfg.JSON()})
	if err != nil {
		t.Fatalf("connection: %v", err)
	}
	tn.contact, err = messaging.ContactByAddress(ctx, sc, tn.conn.Kind, fmt.Sprintf("+4470%08d", n), "Alice")
	if err != nil {
		t.Fatalf("contact: %v", err)
	}
	tn.conv, err = messaging.NewConversation(ctx, sc, messaging.KindChat, tn.conn.ID, tn.contact, "")
	if err != nil {
		t.Fatalf("conversation: %v", err)
	}
	return tn
}

// customerWrote records the customer's last message at at, as inbound routing does:
// the 24-hour window is the recipient's.
func (tn *tenant) customerWrote(t testing.TB, at time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := tn.sc.Update((*messaging.Recipient)(nil)).Set("last_inbound_at = ?", at).
		Where("cr.conversation_id = ? AND cr.contact_id = ?", tn.conv.ID, tn.contact.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.sc.Update((*messaging.Conversation)(nil)).Set("last_inbound_at = ?", at).Where("cv.id = ?", tn.conv.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func (tn *tenant) post(t testing.TB, d pipeline.Draft) messaging.Message {
	t.Helper()
	if d.Type == "" {
		d.Type = "text"
	}
	m, err := tn.e.p.Post(context.Background(), tn.sc, tn.conv, d)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	return m
}

func (tn *tenant) text(t testing.TB, text string) messaging.Message {
	t.Helper()
	return tn.post(t, pipeline.Draft{Type: "text", Text: text})
}

func (tn *tenant) msg(t testing.TB, id string) messaging.Message {
	t.Helper()
	m, err := messaging.GetMessage(context.Background(), tn.sc, id)
	if err != nil {
		t.Fatalf("message %s: %v", id, err)
	}
	return m
}

// wait polls until the message satisfies ok, failing after timeout.
func (tn *tenant) wait(t testing.TB, id string, timeout time.Duration, what string, ok func(messaging.Message) bool) messaging.Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := tn.msg(t, id)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s: not %s after %s: status %q reason %q", id, what, timeout, m.Status, m.Reason)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// failedRefunded waits up to timeout for the message to fail with reason, charged
// once and refunded once, the tenant's balance whole again.
func (tn *tenant) failedRefunded(t testing.TB, id string, timeout time.Duration, reason string) {
	t.Helper()
	m := tn.wait(t, id, timeout, "failed", func(m messaging.Message) bool { return m.Status == messaging.StatusFailed })
	if m.Reason != reason {
		t.Fatalf("reason %q, want %q", m.Reason, reason)
	}
	tn.expectLedger(t, id, 1, 1)
	if b := tn.balance(t); b != tn.credits {
		t.Fatalf("balance %d, want %d", b, tn.credits)
	}
}

func (tn *tenant) waitStatus(t testing.TB, id, status string) messaging.Message {
	t.Helper()
	return tn.wait(t, id, 20*time.Second, status, func(m messaging.Message) bool { return m.Status == status })
}

func (tn *tenant) timeline(t testing.TB, id string) []string {
	t.Helper()
	evs, err := messaging.Timeline(context.Background(), tn.sc, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Status)
	}
	return out
}

// ledger counts the message's ledger entries by kind.
func (tn *tenant) ledger(t testing.TB, messageID string) map[billing.Kind]int {
	t.Helper()
	var es []billing.Entry
	if err := tn.sc.Select(&es).Where("le.reference = ?", "message:"+messageID).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := map[billing.Kind]int{}
	for _, e := range es {
		out[e.Kind]++
	}
	return out
}

func (tn *tenant) balance(t testing.TB) int64 {
	t.Helper()
	w, err := billing.WalletOf(context.Background(), tn.sc)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	if err := tn.sc.Select((*billing.Entry)(nil)).ColumnExpr("COALESCE(SUM(le.amount), 0)").Scan(context.Background(), &sum); err != nil {
		t.Fatal(err)
	}
	if sum != w.Balance {
		t.Fatalf("wallet balance %d but the ledger sums to %d", w.Balance, sum)
	}
	return w.Balance
}

// expectPill waits (briefly: the roll-up follows the status change) for the pill.
func (tn *tenant) expectPill(t testing.TB, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := tn.pill(t)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversation pill %q, want %q", got, want)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (tn *tenant) pill(t testing.TB) string {
	t.Helper()
	c, err := messaging.GetConversation(context.Background(), tn.sc, tn.conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c.Pill
}

// hook sends a webhook request the way the provider would: to /hooks/:connection.
func (tn *tenant) hook(t testing.TB, req sdk.WebhookRequest) {
	t.Helper()
	h := map[string]string{}
	for k, v := range req.Headers {
		h[k] = v[0]
	}
	tn.e.ta.Anonymous().Send(testapp.Request{Method: http.MethodPost, Path: "/hooks/" + tn.conn.PublicID,
		ContentType: "application/json", Body: req.Body, Header: h}).Expect(http.StatusOK)
}

// webhooks takes the signed status webhooks loopback would have sent, by status.
func (tn *tenant) webhooks(t testing.TB) map[string]sdk.WebhookRequest {
	t.Helper()
	out := map[string]sdk.WebhookRequest{}
	for _, r := range tn.e.lb.TakeWebhooks(tn.conn.PublicID) {
		var body struct {
			Events []loopback.WebhookEvent `json:"events"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Events) != 1 {
			t.Fatalf("webhook body %s: %v", r.Body, err)
		}
		key := body.Events[0].Status
		if body.Events[0].Type == loopback.WebhookMessage {
			key = "message:" + body.Events[0].ID
		}
		out[key] = r
	}
	return out
}

// signed is a loopback webhook for the tenant's connection.
func (tn *tenant) signed(t testing.TB, events ...loopback.WebhookEvent) sdk.WebhookRequest {
	t.Helper()
	pc, err := tn.e.ta.App.Connections.ForPlugin(tn.conn)
	if err != nil {
		t.Fatal(err)
	}
	return loopback.Webhook(pc, events...)
}

// settled waits until every stored channel event of the connection is processed.
func (tn *tenant) settled(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := tn.sc.Select((*connections.StoredEvent)(nil)).Where("ce.connection_id = ? AND ce.processed_at IS NULL", tn.conn.ID).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d channel events still unprocessed", n)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func eq(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// expectLedger waits (briefly: a refund follows the failure it is for) until the
// message has exactly charges charges and refunds refunds, and nothing else.
func (tn *tenant) expectLedger(t testing.TB, messageID string, charges, refunds int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := tn.ledger(t, messageID)
		if got[billing.Charge] == charges && got[billing.Refund] == refunds && len(got) <= 2 {
			time.Sleep(50 * time.Millisecond)
			if again := tn.ledger(t, messageID); again[billing.Charge] == charges && again[billing.Refund] == refunds && len(again) <= 2 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledger entries %v, want %d charge(s) and %d refund(s)", got, charges, refunds)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// ---------------------------------------------------------------- tests

// TestPipeline runs every case on each engine; the engines run in parallel on their
// own Redis databases, and the cases of one engine share its app and worker (each with
// its own workspace), in parallel too, so Asynq's polling does not add up.
func TestPipeline(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			flaky := &channel{Loopback: loopback.New(), failFirst: 2}
			wa := &channel{Loopback: loopback.New(), kind: "whatsapp", caps: []sdk.Capability{sdk.CapWindow24h}}
			retry := &channel{Loopback: loopback.New(), permFirst: 1}
			counted := &channel{Loopback: loopback.New()}
			mute := &channel{Loopback: loopback.New(), noPush: true}
			gated := &channel{Loopback: loopback.New(), gate: make(chan struct{}), idPrefix: "gated-"}
			held := &channel{Loopback: loopback.New(), gate: make(chan struct{})}
			refuser := &channel{Loopback: loopback.New()}
			var headerSends []sdk.OutboundMessage
			var headerMu sync.Mutex
			headers := &channel{Loopback: loopback.New(), onSend: func(msg sdk.OutboundMessage) {
				headerMu.Lock()
				headerSends = append(headerSends, msg)
				headerMu.Unlock()
			}}
			var personalMu sync.Mutex
			personalSends := map[string]sdk.Template{} // by message id
			personal := &channel{Loopback: loopback.New(), onSend: func(msg sdk.OutboundMessage) {
				personalMu.Lock()
				if msg.Template != nil {
					personalSends[msg.ID] = *msg.Template
				}
				personalMu.Unlock()
			}}
			e := newEnv(t, envOptions{engine: engine, concurrency: 16, maxRetry: 3, kick: 150 * time.Millisecond,
				plugins: connections.StaticPlugins{"flaky": flaky, "wa": wa, "retry": retry, "counted": counted, "gated": gated, "mute": mute, "held": held,
					"refuser": refuser, "headers": headers, "personal": personal}})
			ctx := context.Background()

			t.Run("TextSent", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				m := tn.text(t, "hello")
				m = tn.waitStatus(t, m.ID, messaging.StatusSent)
				if m.ProviderMessageID == nil || !strings.HasPrefix(*m.ProviderMessageID, "lb-") || m.SentAt == nil || m.Credits != 1 {
					t.Fatalf("sent message %+v", m)
				}
				tn.expectLedger(t, m.ID, 1, 0)
				if b := tn.balance(t); b != 9 {
					t.Fatalf("balance %d, want 9", b)
				}
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"pending", "queued", "sent"}) {
					t.Fatalf("timeline %v", tl)
				}
				tn.expectPill(t, messaging.PillSent)

				// Status webhooks, through the HTTP route: delivered, then read.
				hooks := tn.webhooks(t)
				tn.hook(t, hooks["sent"])
				tn.hook(t, hooks["delivered"])
				tn.waitStatus(t, m.ID, messaging.StatusDelivered)
				tn.hook(t, hooks["read"])
				tn.waitStatus(t, m.ID, messaging.StatusRead)
				tn.settled(t)
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"pending", "queued", "sent", "delivered", "read"}) {
					t.Fatalf("timeline %v", tl)
				}
				tn.expectLedger(t, m.ID, 1, 0)
			})

			t.Run("StatusesOutOfOrderAndReplayed", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				m := tn.text(t, "hello")
				m = tn.waitStatus(t, m.ID, messaging.StatusSent)
				hooks := tn.webhooks(t)
				tn.hook(t, hooks["read"])
				tn.waitStatus(t, m.ID, messaging.StatusRead)
				tn.hook(t, hooks["delivered"])
				tn.hook(t, hooks["sent"])
				tn.hook(t, hooks["read"]) // replayed: stored once, applied once
				// The same status again, from the session rather than the webhook.
				if err := (pipeline.InboundSink{P: e.p}).Deliver(ctx, tn.conn, []sdk.Event{{Type: sdk.EventStatus,
					Status: &sdk.StatusUpdate{ProviderMessageID: *m.ProviderMessageID, Status: "read"}}}); err != nil {
					t.Fatal(err)
				}
				tn.settled(t)
				if got := tn.msg(t, m.ID); got.Status != messaging.StatusRead {
					t.Fatalf("status %q after late delivered/sent, want read", got.Status)
				}
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"pending", "queued", "sent", "read"}) {
					t.Fatalf("timeline %v", tl)
				}
				var stored int
				stored, err := tn.sc.Select((*connections.StoredEvent)(nil)).Where("ce.connection_id = ?", tn.conn.ID).Count(ctx)
				if err != nil || stored != 3 {
					t.Fatalf("stored events %d (%v), want 3 (read, delivered, sent)", stored, err)
				}
			})

			// A campaign's receipts arriving together, several to a webhook and
			// several webhooks at once (on PostgreSQL they are applied in batches):
			// each moves its message once and only forward, and a failed one refunds.
			t.Run("ReceiptsTogether", func(t *testing.T) {
				t.Parallel()
				const n = 30
				tn := e.tenant(t, "loopback", loopback.Config{}, n)
				msgs := storeMessages(t, tn, n, func(i int) string { return fmt.Sprintf("receipt %d", i) })
				enqueueAll(t, e, msgs)
				for i := range msgs {
					msgs[i] = tn.waitStatus(t, msgs[i].ID, messaging.StatusSent)
				}
				receipt := func(m messaging.Message, status string) sdk.Event {
					return sdk.Event{Type: sdk.EventStatus, Status: &sdk.StatusUpdate{ProviderMessageID: *m.ProviderMessageID,
						Status: status, Timestamp: time.Now().UTC()}}
				}
				// Five messages to a webhook: each one's delivered and read, read
				// first in every other webhook; the last message fails instead.
				var webhooks [][]sdk.Event
				for i := 0; i < n-1; i += 5 {
					var evs []sdk.Event
					for _, m := range msgs[i:min(i+5, n-1)] {
						first, second := receipt(m, messaging.StatusDelivered), receipt(m, messaging.StatusRead)
						if i%10 == 5 {
							first, second = second, first
						}
						evs = append(evs, first, second)
					}
					webhooks = append(webhooks, evs)
				}
				webhooks = append(webhooks, []sdk.Event{{Type: sdk.EventStatus, Status: &sdk.StatusUpdate{ProviderMessageID: *msgs[n-1].ProviderMessageID,
					Status: messaging.StatusFailed, ErrorReason: "undeliverable", Timestamp: time.Now().UTC()}}})
				var wg sync.WaitGroup
				for _, evs := range webhooks {
					wg.Go(func() {
						if err := (pipeline.InboundSink{P: e.p}).Deliver(ctx, tn.conn, evs); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				tn.settled(t)
				for _, m := range msgs[:n-1] {
					got := tn.msg(t, m.ID)
					tl := tn.timeline(t, m.ID)
					if got.Status != messaging.StatusRead ||
						!eq(tl, []string{"queued", "sent", "delivered", "read"}) && !eq(tl, []string{"queued", "sent", "read"}) {
						// Stored as a campaign stores them, without a pending step.
						t.Errorf("message %s: status %q, timeline %v; want read, each step once and in order", m.ID, got.Status, tl)
					}
				}
				last := tn.msg(t, msgs[n-1].ID)
				if last.Status != messaging.StatusFailed || last.Reason != "undeliverable" {
					t.Errorf("failed receipt left %q (%q)", last.Status, last.Reason)
				}
				tn.expectLedger(t, last.ID, 1, 1)
				if b := tn.balance(t); b != 1 {
					t.Errorf("balance %d, want 1: %d charged, the failed one refunded", b, n)
				}
				tn.expectPill(t, messaging.PillPartial)
			})

			// A conversation deleted while its sends wait for their receipts: a failure
			// the provider reports later still refunds its message; a delivery keeps
			// the charge.
			t.Run("DeletedConversationStillRefunds", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				lost, kept := tn.text(t, "one"), tn.text(t, "two")
				lost, kept = tn.waitStatus(t, lost.ID, messaging.StatusSent), tn.waitStatus(t, kept.ID, messaging.StatusSent)
				tn.expectLedger(t, lost.ID, 1, 0)
				tn.expectLedger(t, kept.ID, 1, 0)
				if err := e.p.DeleteConversation(ctx, tn.sc, tn.conv); err != nil {
					t.Fatal(err)
				}
				if _, err := messaging.GetConversation(ctx, tn.sc, tn.conv.ID); !errors.Is(err, messaging.ErrConversationNotFound) {
					t.Fatalf("the conversation after its delete: %v", err)
				}
				receipt := func(m messaging.Message, status string) sdk.Event {
					return sdk.Event{Type: sdk.EventStatus, Status: &sdk.StatusUpdate{ProviderMessageID: *m.ProviderMessageID,
						Status: status, ErrorReason: "undeliverable", Timestamp: time.Now().UTC()}}
				}
				for range 2 { // and again: refunded once
					if err := (pipeline.InboundSink{P: e.p}).Deliver(ctx, tn.conn, []sdk.Event{receipt(lost, messaging.StatusFailed), receipt(kept, messaging.StatusDelivered)}); err != nil {
						t.Fatal(err)
					}
				}
				tn.settled(t)
				tn.expectLedger(t, lost.ID, 1, 1)
				tn.expectLedger(t, kept.ID, 1, 0)
				if b := tn.balance(t); b != 9 {
					t.Fatalf("balance %d, want 9: two charged, the one that failed refunded", b)
				}
				if n, err := tn.sc.Select((*messaging.DeletedSend)(nil)).Count(ctx); err != nil || n != 0 {
					t.Errorf("%d deleted sends still kept (%v), want none once each was reported", n, err)
				}
			})

			// A template's parameters may name the recipient's fields: each copy of a
			// send to several is filled for its own recipient, with its own code, and
			// "Send again" fills them anew; a recipient lacking one refuses the send.
			t.Run("TemplateFieldsPerRecipient", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "personal", loopback.Config{}, 10)
				var people []messaging.Contact
				for _, name := range []string{"Ada Lovelace", "Grace Hopper", ""} {
					c, err := messaging.ContactByAddress(ctx, tn.sc, tn.conn.Kind, fmt.Sprintf("+4478%08d", phoneSeq.Add(1)), name)
					if err != nil {
						t.Fatal(err)
					}
					people = append(people, c)
				}
				conv, err := messaging.OpenConversation(ctx, tn.sc, messaging.KindChat, tn.conn.ID, people, "Logins")
				if err != nil {
					t.Fatal(err)
				}
				written := &sdk.Template{Name: "login_code", Language: "en", Body: []string{"{{first_name|there}}", "{{code}}"}, CopyCode: "{{code}}"}

				// Without a fallback, the nameless recipient refuses the send: nothing
				// stored, nothing charged.
				_, err = e.p.Post(ctx, tn.sc, conv, pipeline.Draft{Type: "template",
					Template: &sdk.Template{Name: "login_code", Language: "en", Body: []string{"{{first_name}}", "{{code}}"}}})
				var f *failure.Error
				if !errors.As(err, &f) || !strings.Contains(f.Fields["template.body[0]"], "1 of the 3 recipients") {
					t.Fatalf("post without a fallback: %v", err)
				}
				if n, err := tn.sc.Select((*messaging.Message)(nil)).Where("m.conversation_id = ?", conv.ID).Count(ctx); err != nil || n != 0 {
					t.Fatalf("%d messages stored by a refused send (%v)", n, err)
				}

				sendAll := func(first messaging.Message) map[string]sdk.Template {
					t.Helper()
					copies, err := messaging.SendCopies(ctx, tn.sc, *first.SendID, 10)
					if err != nil || len(copies) != 3 {
						t.Fatalf("%d copies, %v", len(copies), err)
					}
					got := map[string]sdk.Template{} // by contact
					for _, c := range copies {
						tn.waitStatus(t, c.ID, messaging.StatusSent)
						personalMu.Lock()
						sent, ok := personalSends[c.ID]
						personalMu.Unlock()
						stored := tn.msg(t, c.ID).Content
						if !ok || stored.Template == nil || !reflect.DeepEqual(sent, *stored.Template) {
							t.Fatalf("copy %s sent %+v, stored %+v: want what was sent stored", c.ID, sent, stored.Template)
						}
						if stored.TemplateAsWritten == nil || !reflect.DeepEqual(*stored.TemplateAsWritten, *written) {
							t.Fatalf("copy %s keeps %+v as written, want %+v", c.ID, stored.TemplateAsWritten, written)
						}
						got[*c.ContactID] = sent
					}
					return got
				}
				m, err := e.p.Post(ctx, tn.sc, conv, pipeline.Draft{Type: "template", Template: written})
				if err != nil {
					t.Fatal(err)
				}
				first := sendAll(m)
				codes := map[string]bool{}
				for i, want := range []string{"Ada", "Grace", "there"} {
					got := first[people[i].ID]
					if got.Body[0] != want || len(got.Body[1]) != 6 || got.CopyCode != got.Body[1] {
						t.Fatalf("%s got %+v, want %q and one 6-digit code in body and button", people[i].Phone, got, want)
					}
					codes[got.Body[1]] = true
				}
				// A fresh code per copy (three draws of a million alike: 3 in a million).
				if len(codes) != 3 {
					t.Fatalf("codes %v: not one per copy", codes)
				}
				again, err := e.p.Resend(ctx, tn.sc, conv, "")
				if err != nil {
					t.Fatal(err)
				}
				for id, got := range sendAll(again) {
					if got.Body[0] != first[id].Body[0] || codes[got.Body[1]] {
						t.Fatalf("sent again %+v after %+v: want the same name and a fresh code", got, first[id])
					}
				}
				if b := tn.balance(t); b != 10-6 {
					t.Fatalf("balance %d, want 4: six copies sent", b)
				}

				// Sent to Ada alone without a fallback, then her name is taken off: sent
				// again, the template cannot be filled, and the refusal says why rather
				// than naming a value the resend's request does not have.
				solo, err := messaging.NewConversation(ctx, tn.sc, messaging.KindChat, tn.conn.ID, people[0], "")
				if err != nil {
					t.Fatal(err)
				}
				bare := &sdk.Template{Name: "welcome", Language: "en", Named: map[string]string{"first_name": "{{first_name}}"}}
				sent, err := e.p.Post(ctx, tn.sc, solo, pipeline.Draft{Type: "template", Template: bare})
				if err != nil || sent.Content.Template.Named["first_name"] != "Ada" {
					t.Fatalf("posted %+v, %v", sent.Content.Template, err)
				}
				blank := ""
				if _, err := messaging.UpdateContact(ctx, tn.sc, people[0], messaging.ContactChange{Name: &blank}); err != nil {
					t.Fatal(err)
				}
				if _, err := e.p.Resend(ctx, tn.sc, solo, ""); !errors.Is(err, pipeline.ErrFieldsRefilled) || !strings.Contains(err.Error(), "template.named.first_name") {
					t.Fatalf("resend without a first name: %v, want template_fields_missing naming the value", err)
				}
			})

			// A template's media header may be a file members uploaded: the plugin gets
			// it as the header's signed link, named so its extension says the type.
			t.Run("TemplateHeaderFile", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "headers", loopback.Config{}, 10)
				banner, err := media.Save(ctx, tn.sc, media.Upload{Filename: "banner.png", Body: strings.NewReader("\x89PNG\r\n\x1a\n banner")}, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				m := tn.post(t, pipeline.Draft{Type: "template", Template: &sdk.Template{Name: "sale", Language: "en"}, MediaFile: banner.ID})
				if m.Content.MediaFile != banner.ID || m.Content.Media == nil || m.Content.Media.MIMEType != "image/png" {
					t.Fatalf("stored content %+v", m.Content)
				}
				tn.waitStatus(t, m.ID, messaging.StatusSent)
				headerMu.Lock()
				sent := headerSends
				headerMu.Unlock()
				if len(sent) != 1 || sent[0].Media != nil || sent[0].Template == nil {
					t.Fatalf("sent %+v, want the template alone", sent)
				}
				u, err := url.Parse(sent[0].Template.HeaderURL)
				if err != nil || !strings.HasSuffix(u.Path, "/"+banner.ID+"/banner.png") ||
					!e.p.MediaLinks.Check(tn.ws.ID, banner.ID, u.Query().Get("expires"), u.Query().Get("signature"), time.Now()) {
					t.Fatalf("header link %q: not a signed link to the file", sent[0].Template.HeaderURL)
				}
				// Only the types a template header takes, and not beside a header_url.
				doc, err := media.Save(ctx, tn.sc, media.Upload{Filename: "terms.doc", Body: strings.NewReader("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 terms")}, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range []pipeline.Draft{
					{Type: "template", Template: &sdk.Template{Name: "sale", Language: "en"}, MediaFile: doc.ID},
					{Type: "template", Template: &sdk.Template{Name: "sale", Language: "en", HeaderURL: "https://cdn.example/b.png"}, MediaFile: banner.ID},
				} {
					var fe *failure.Error
					if _, err := e.p.Post(ctx, tn.sc, tn.conv, d); !errors.As(err, &fe) || fe.Fields["media.file_id"] == "" {
						t.Errorf("template with header file %s: %v, want a media.file_id error", d.MediaFile, err)
					}
				}
			})

			t.Run("PermanentFailure", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				m := tn.text(t, "FAIL:permanent")
				m = tn.waitStatus(t, m.ID, messaging.StatusFailed)
				if m.Reason != "recipient rejected" || m.ProviderMessageID != nil {
					t.Fatalf("failed message %+v", m)
				}
				tn.expectLedger(t, m.ID, 1, 1)
				if b := tn.balance(t); b != 10 {
					t.Fatalf("balance %d, want 10", b)
				}
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"pending", "queued", "failed"}) {
					t.Fatalf("timeline %v", tl)
				}
				tn.expectPill(t, messaging.PillFailed)
				// A second message that goes out: some sent, some failed.
				ok := tn.text(t, "hello")
				tn.waitStatus(t, ok.ID, messaging.StatusSent)
				tn.expectPill(t, messaging.PillPartial)
			})

			t.Run("TransientRetriedThenSent", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "flaky", loopback.Config{}, 10)
				m := tn.text(t, "hello")
				m = tn.waitStatus(t, m.ID, messaging.StatusSent)
				if n := flaky.sends(m.ID); n != 3 {
					t.Fatalf("%d send calls, want 3 (two transient failures, then sent)", n)
				}
				tn.expectLedger(t, m.ID, 1, 0)
				if b := tn.balance(t); b != 9 {
					t.Fatalf("balance %d, want 9", b)
				}
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"pending", "queued", "sent"}) {
					t.Fatalf("timeline %v", tl)
				}
			})

			t.Run("RetriesExhausted", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{FailWith: sdk.Transient}, 10)
				tn.failedRefunded(t, tn.text(t, "hello").ID, 30*time.Second, "Not delivered after 4 attempts: provider temporarily unavailable")
			})

			t.Run("OutOfCredits", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "counted", loopback.Config{}, 0)
				m := tn.text(t, "hello")
				m = tn.waitStatus(t, m.ID, messaging.StatusFailed)
				if m.Reason != pipeline.ReasonOutOfCredits {
					t.Fatalf("reason %q", m.Reason)
				}
				if n := counted.sends(m.ID); n != 0 {
					t.Fatalf("%d send calls for a message nobody paid for", n)
				}
				tn.expectLedger(t, m.ID, 0, 0)
				if b := tn.balance(t); b != 0 {
					t.Fatalf("balance %d", b)
				}
			})

			t.Run("OptedOut", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "counted", loopback.Config{}, 10)
				if err := messaging.SetOptOut(ctx, tn.sc, tn.contact.ID, true); err != nil {
					t.Fatal(err)
				}
				m := tn.text(t, "hello")
				m = tn.waitStatus(t, m.ID, messaging.StatusFailed)
				if m.Reason != pipeline.ReasonOptedOut || counted.sends(m.ID) != 0 {
					t.Fatalf("reason %q, %d sends", m.Reason, counted.sends(m.ID))
				}
				tn.expectLedger(t, m.ID, 0, 0)
				if b := tn.balance(t); b != 10 {
					t.Fatalf("balance %d", b)
				}
			})

			t.Run("Window24h", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "wa", loopback.Config{}, 10)
				if tn.conn.Kind != "whatsapp" {
					t.Fatalf("connection kind %q", tn.conn.Kind)
				}
				// No inbound and no consent: refused before the window is even asked.
				m := tn.text(t, "hello")
				if m = tn.waitStatus(t, m.ID, messaging.StatusFailed); m.Reason != pipeline.ReasonNoConsent {
					t.Fatalf("reason %q, want the consent reason", m.Reason)
				}
				// The customer wrote 25 hours ago: free text is refused, a template goes.
				old := time.Now().UTC().Add(-25 * time.Hour)
				tn.customerWrote(t, old)
				m = tn.text(t, "hello again")
				if m = tn.waitStatus(t, m.ID, messaging.StatusFailed); m.Reason != pipeline.ReasonWindowClosed {
					t.Fatalf("reason %q, want the window reason", m.Reason)
				}
				tn.expectLedger(t, m.ID, 0, 0)
				if wa.sends(m.ID) != 0 {
					t.Fatal("free text outside the window reached the plugin")
				}
				tpl := tn.post(t, pipeline.Draft{Type: "template", Template: &sdk.Template{Name: "order_shipped", Language: "en"}})
				tn.waitStatus(t, tpl.ID, messaging.StatusSent)
				tn.expectLedger(t, tpl.ID, 1, 0)
				// A recent inbound opens the window for free text.
				recent := time.Now().UTC().Add(-time.Hour)
				tn.customerWrote(t, recent)
				m = tn.text(t, "inside the window")
				tn.waitStatus(t, m.ID, messaging.StatusSent)
			})

			t.Run("WindowAcrossConversations", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "wa", loopback.Config{}, 10)
				// The customer writes in; a manager then opens a new conversation with
				// them on the same number: the window they opened is theirs with the
				// number, so free text goes there too.
				tn.hook(t, tn.signed(t, loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: "wamid-hello", From: tn.contact.Phone,
					To: tn.conn.Address, Text: "hello, a question about my order", Timestamp: time.Now().UTC()}))
				waitFor(t, 20*time.Second, "the customer's message stored", func() bool {
					n, err := tn.sc.Select((*messaging.Message)(nil)).Where("m.direction = ?", messaging.DirectionIn).Count(ctx)
					return err == nil && n == 1
				})
				conv, err := messaging.NewConversation(ctx, tn.sc, messaging.KindChat, tn.conn.ID, tn.contact, "")
				if err != nil {
					t.Fatal(err)
				}
				m, err := e.p.Post(ctx, tn.sc, conv, pipeline.Draft{Type: "text", Text: "it ships today"})
				if err != nil {
					t.Fatal(err)
				}
				if m = tn.wait(t, m.ID, 20*time.Second, "sent or failed", func(m messaging.Message) bool {
					return m.Status == messaging.StatusSent || m.Status == messaging.StatusFailed
				}); m.Status != messaging.StatusSent {
					t.Fatalf("free text in a new conversation with a customer who just wrote: %s (%s)", m.Status, m.Reason)
				}
			})

			t.Run("DuplicateEnqueue", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "counted", loopback.Config{}, 10)
				// Stored, then enqueued three times before the worker gets to it.
				m := messaging.Message{ConversationID: tn.conv.ID, ConnectionID: tn.conn.ID, Direction: messaging.DirectionOut,
					Type: "text", Body: "hello", Status: messaging.StatusPending}
				if err := messaging.Insert(ctx, tn.sc, &m, "api"); err != nil {
					t.Fatal(err)
				}
				for range 3 {
					if err := e.p.Enqueuer.Send(ctx, m); err != nil {
						t.Fatalf("enqueue: %v", err)
					}
				}
				tn.waitStatus(t, m.ID, messaging.StatusSent)
				// And once more after it was sent.
				if err := e.p.Enqueuer.Send(ctx, m); err != nil {
					t.Fatal(err)
				}
				waitBacklog(t, e, pipeline.BacklogKey(tn.ws.ID), 0)
				if n := counted.sends(m.ID); n != 1 {
					t.Fatalf("%d send calls, want 1", n)
				}
				tn.expectLedger(t, m.ID, 1, 0)
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"pending", "queued", "sent"}) {
					t.Fatalf("timeline %v", tl)
				}
			})

			t.Run("Redelivery", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "counted", loopback.Config{}, 10)
				m := messaging.Message{ConversationID: tn.conv.ID, ConnectionID: tn.conn.ID, Direction: messaging.DirectionOut,
					Type: "text", Body: "hello", Status: messaging.StatusPending}
				if err := messaging.Insert(ctx, tn.sc, &m, "api"); err != nil {
					t.Fatal(err)
				}
				payload, _ := json.Marshal(pipeline.MessageSendPayload{WorkspaceID: tn.ws.ID, MessageID: m.ID, Attempt: m.Attempt})
				task := asynq.NewTask(pipeline.TypeMessageSend, payload)
				// The same task twice at once (a lease that lapsed), then once more after.
				var wg sync.WaitGroup
				errs := make([]error, 2)
				for i := range errs {
					wg.Add(1)
					go func() { defer wg.Done(); errs[i] = e.p.HandleMessageSendTask(ctx, task) }()
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatalf("handler: %v", err)
				}
				if err := e.p.HandleMessageSendTask(ctx, task); err != nil {
					t.Fatal(err)
				}
				got := tn.msg(t, m.ID)
				if got.Status != messaging.StatusSent || got.ProviderMessageID == nil {
					t.Fatalf("message %+v", got)
				}
				tn.expectLedger(t, m.ID, 1, 0)
				if b := tn.balance(t); b != 9 {
					t.Fatalf("balance %d, want 9", b)
				}
				if n := counted.sends(m.ID); n < 1 || n > 2 {
					t.Fatalf("%d send calls", n)
				}
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"pending", "queued", "sent"}) {
					t.Fatalf("timeline %v", tl)
				}
			})

			t.Run("InboundTicketAssigned", func(t *testing.T) {
				// A new customer's ticket goes straight to the member the rules name,
				// the one that waited with it, and browsers hear both. (Round robin's
				// presence lives in this package's Redis database, which other tests
				// flush as they start: its tests are in packages messaging and api;
				// the sweep's pass is in TestSweep.)
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				agent := e.ta.NewUser("agent")
				if _, err := tenants.AddMember(ctx, tn.sc, agent.ID, policies.Agent); err != nil {
					t.Fatal(err)
				}
				events, stop := e.ta.App.Realtime.Subscribe(ctx, tn.ws.ID)
				defer stop()
				customerTicket := func(id string) messaging.Conversation {
					t.Helper()
					from := fmt.Sprintf("+4479%08d", phoneSeq.Add(1))
					tn.hook(t, tn.signed(t, loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: id, From: from, To: tn.conn.Address, Text: "hello", Timestamp: time.Now().UTC()}))
					tn.settled(t)
					contact, err := messaging.ContactByAddress(ctx, tn.sc, tn.conn.Kind, from, "")
					if err != nil {
						t.Fatal(err)
					}
					var conv messaging.Conversation
					if err := tn.sc.Select(&conv).Where("cv.contact_id = ?", contact.ID).Scan(ctx); err != nil {
						t.Fatal(err)
					}
					return conv
				}
				waiting := customerTicket("assign-1")
				if waiting.AssigneeID != nil || waiting.State != messaging.StateQueued {
					t.Fatalf("under the queue the ticket is %s, held by %v; want queued", waiting.State, waiting.AssigneeID)
				}
				// Stored directly, so no pass runs: the next one is the inbound task's.
				if _, err := messaging.SetAssignment(ctx, tn.sc, messaging.AssignmentSettings{Mode: messaging.AssignMember, AssigneeID: &agent.ID}, tenants.HoldsTickets); err != nil {
					t.Fatal(err)
				}
				got := customerTicket("assign-2")
				// The pass follows the event's transaction, which settled waits for.
				for deadline := time.Now().Add(10 * time.Second); got.AssigneeID == nil && time.Now().Before(deadline); {
					time.Sleep(10 * time.Millisecond)
					got, _ = messaging.GetConversation(ctx, tn.sc, got.ID)
				}
				if got.AssigneeID == nil || *got.AssigneeID != agent.ID || got.State != messaging.StateActive {
					t.Fatalf("a new customer's ticket: %s, held by %v; want active, the agent's", got.State, got.AssigneeID)
				}
				// The pass took the oldest first: the one that waited is the agent's too.
				before, _ := messaging.GetConversation(ctx, tn.sc, waiting.ID)
				if before.AssigneeID == nil || *before.AssigneeID != agent.ID {
					t.Fatalf("the ticket that waited is held by %v, want the agent", before.AssigneeID)
				}
				heard := map[string]bool{}
				for deadline := time.After(10 * time.Second); !heard[got.ID] || !heard[waiting.ID]; {
					select {
					case ev := <-events:
						if ev.Type == realtime.ConversationUpdated && ev.AssigneeID == agent.ID && ev.Reassigned {
							heard[ev.ConversationID] = true
						}
					case <-deadline:
						t.Fatalf("assignments heard: %v, want both tickets handed to the agent", heard)
					}
				}
			})

			t.Run("Inbound", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				from := fmt.Sprintf("+4479%08d", phoneSeq.Add(1))
				in := func(id, text string) loopback.WebhookEvent {
					return loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: id, From: from, To: tn.conn.Address, Text: text, Timestamp: time.Now().UTC()}
				}
				first := tn.signed(t, in("in-1", "hi there"))
				tn.hook(t, first)
				tn.hook(t, first) // the provider delivers again
				tn.settled(t)
				contact, err := messaging.ContactByAddress(ctx, tn.sc, tn.conn.Kind, from, "")
				if err != nil {
					t.Fatal(err)
				}
				var convs []messaging.Conversation
				if err := tn.sc.Select(&convs).Where("cv.contact_id = ?", contact.ID).Scan(ctx); err != nil {
					t.Fatal(err)
				}
				if len(convs) != 1 || convs[0].Kind != messaging.KindTicket || !convs[0].Unread || convs[0].LastInboundAt == nil {
					t.Fatalf("conversations %+v", convs)
				}
				conv := convs[0]
				count := func() int {
					n, err := tn.sc.Select((*messaging.Message)(nil)).Where("m.conversation_id = ?", conv.ID).Count(ctx)
					if err != nil {
						t.Fatal(err)
					}
					return n
				}
				if n := count(); n != 1 {
					t.Fatalf("%d messages after a webhook delivered twice, want 1", n)
				}
				// The same event straight to the sink (session and webhook both report it).
				var ev sdk.Event
				ev.Type, ev.Message = sdk.EventMessage, &sdk.InboundMessage{ProviderMessageID: "in-1", From: from, To: tn.conn.Address, Type: "text", Text: "hi there"}
				if err := (pipeline.InboundSink{P: e.p}).Deliver(ctx, tn.conn, []sdk.Event{ev}); err != nil {
					t.Fatal(err)
				}

				tn.hook(t, tn.signed(t, in("in-2", "anyone?")))
				tn.settled(t)
				if n := count(); n != 2 {
					t.Fatalf("%d messages, want 2 in the same conversation", n)
				}
				// Resolved, then the customer writes again: reopened and unread.
				if _, err := tn.sc.Update((*messaging.Conversation)(nil)).Set("state = ?", messaging.StateResolved).Set("unread = FALSE").
					Where("cv.id = ?", conv.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				tn.hook(t, tn.signed(t, in("in-3", "back again")))
				tn.settled(t)
				reopened, _ := messaging.GetConversation(ctx, tn.sc, conv.ID)
				if reopened.State == messaging.StateResolved || !reopened.Unread || count() != 3 {
					t.Fatalf("after a reply to a resolved conversation: %+v, %d messages", reopened, count())
				}
				// STOP opts out, START back in.
				tn.hook(t, tn.signed(t, in("in-4", " stop ")))
				tn.settled(t)
				if c, _ := messaging.ContactByAddress(ctx, tn.sc, tn.conn.Kind, from, ""); !c.OptedOut {
					t.Fatal("STOP did not opt the contact out")
				}
				tn.hook(t, tn.signed(t, in("in-5", "START")))
				tn.settled(t)
				if c, _ := messaging.ContactByAddress(ctx, tn.sc, tn.conn.Kind, from, ""); c.OptedOut {
					t.Fatal("START did not opt the contact back in")
				}
				var convCount int
				if convCount, err = tn.sc.Select((*messaging.Conversation)(nil)).Where("cv.contact_id = ?", contact.ID).Count(ctx); err != nil || convCount != 1 {
					t.Fatalf("%d conversations (%v), want 1", convCount, err)
				}
			})

			t.Run("StatusBeforeProviderID", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "gated", loopback.Config{}, 10)
				m := tn.text(t, "hello")
				// The send is held inside the plugin, charged but with its status not
				// written yet; the provider's callback overtakes it.
				tn.wait(t, m.ID, 20*time.Second, "in the plugin", func(m messaging.Message) bool { return gated.sends(m.ID) == 1 })
				if got := tn.msg(t, m.ID); got.Status != messaging.StatusPending {
					t.Fatalf("during the provider call the message is %q, want pending", got.Status)
				}
				if got := tn.ledger(t, m.ID); got[billing.Charge] != 1 {
					t.Fatalf("during the provider call the ledger holds %v, want its charge", got)
				}
				tn.hook(t, tn.signed(t, loopback.WebhookEvent{Type: loopback.WebhookStatus, ID: "gated-" + m.ID, Status: "delivered", Timestamp: time.Now().UTC()}))
				// The inbound task fails (status early) and waits for a retry: not dropped.
				deadline := time.Now().Add(20 * time.Second)
				for {
					n, err := tn.sc.Select((*connections.StoredEvent)(nil)).Where("ce.connection_id = ? AND ce.processed_at IS NULL", tn.conn.ID).Count(ctx)
					if err != nil {
						t.Fatal(err)
					}
					retried := false
					if tasks, err := e.insp.ListRetryTasks(jobs.QueueInbound, asynq.PageSize(100)); err == nil {
						for _, ti := range tasks {
							if strings.Contains(ti.LastErr, "not recorded yet") {
								retried = true
								// Soon: the send is most likely being recorded.
								if wait := time.Until(ti.NextProcessAt); wait > 3*time.Second {
									t.Errorf("the early status is retried in %v, want within a couple of seconds", wait)
								}
							}
						}
					}
					if n != 1 {
						t.Fatalf("%d unprocessed events, want the early status kept", n)
					}
					if retried || time.Now().After(deadline) {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				close(gated.gate)
				tn.waitStatus(t, m.ID, messaging.StatusDelivered)
				tn.settled(t)
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"pending", "queued", "sent", "delivered"}) {
					t.Fatalf("timeline %v", tl)
				}
			})

			t.Run("Scheduled", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "counted", loopback.Config{}, 10)
				// Post refuses a schedule under a minute away, so these are stored the way
				// Post stores them and enqueued the way Post enqueues them.
				at := time.Now().UTC().Add(2 * time.Second)
				schedule := func() messaging.Message {
					m := messaging.Message{ConversationID: tn.conv.ID, ConnectionID: tn.conn.ID, Direction: messaging.DirectionOut,
						Type: "text", Body: "later", Status: messaging.StatusScheduled, ScheduledAt: &at}
					if err := messaging.Insert(ctx, tn.sc, &m, "api"); err != nil {
						t.Fatal(err)
					}
					if err := e.p.Enqueuer.Send(ctx, m); err != nil {
						t.Fatal(err)
					}
					return m
				}
				fires, cancelled := schedule(), schedule()
				if _, _, err := messaging.RollUp(ctx, tn.sc, tn.conv.ID); err != nil {
					t.Fatal(err)
				}
				tn.expectPill(t, messaging.PillScheduled)
				if _, err := e.p.Cancel(ctx, tn.sc, cancelled.ID); err != nil {
					t.Fatal(err)
				}
				if got := tn.msg(t, fires.ID); got.Status != messaging.StatusScheduled || len(tn.ledger(t, fires.ID)) != 0 {
					t.Fatalf("before its time: %q, ledger %v", got.Status, tn.ledger(t, fires.ID))
				}
				m := tn.waitStatus(t, fires.ID, messaging.StatusSent)
				if m.SentAt.Before(at) {
					t.Fatalf("sent at %s, before its time %s", m.SentAt, at)
				}
				tn.expectLedger(t, fires.ID, 1, 0)
				time.Sleep(time.Second) // the cancelled one was due at the same moment
				if got := tn.msg(t, cancelled.ID); got.Status != messaging.StatusCancelled || counted.sends(cancelled.ID) != 0 {
					t.Fatalf("cancelled message: %q, %d sends", got.Status, counted.sends(cancelled.ID))
				}
				tn.expectLedger(t, cancelled.ID, 0, 0)
				if b := tn.balance(t); b != 9 {
					t.Fatalf("balance %d, want 9", b)
				}
			})

			t.Run("CancelTooLate", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "held", loopback.Config{}, 10)
				at := time.Now().UTC().Add(time.Second)
				m := messaging.Message{ConversationID: tn.conv.ID, ConnectionID: tn.conn.ID, Direction: messaging.DirectionOut,
					Type: "text", Body: "see you at nine", Status: messaging.StatusScheduled, ScheduledAt: &at}
				if err := messaging.Insert(ctx, tn.sc, &m, "api"); err != nil {
					t.Fatal(err)
				}
				if err := e.p.Enqueuer.Send(ctx, m); err != nil {
					t.Fatal(err)
				}
				// Due, charged and held inside the provider call: too late to call off.
				tn.wait(t, m.ID, 20*time.Second, "in the plugin", func(messaging.Message) bool { return held.sends(m.ID) == 1 })
				if _, err := e.p.Cancel(ctx, tn.sc, m.ID); !errors.Is(err, messaging.ErrNotScheduled) {
					t.Fatalf("cancel of a send inside the provider call: %v, want ErrNotScheduled", err)
				}
				if _, err := e.p.Delete(ctx, tn.sc, tn.msg(t, m.ID), ""); err == nil {
					t.Fatal("a send inside the provider call was deleted")
				}
				close(held.gate)
				tn.waitStatus(t, m.ID, messaging.StatusSent)
				tn.expectLedger(t, m.ID, 1, 0)
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"scheduled", "pending", "queued", "sent"}) {
					t.Fatalf("timeline %v", tl)
				}
			})

			t.Run("SendNowAndCancel", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				later := time.Now().Add(time.Hour)
				m := tn.post(t, pipeline.Draft{Type: "text", Text: "in an hour", ScheduleAt: &later})
				if m.Status != messaging.StatusScheduled || tn.pill(t) != messaging.PillScheduled {
					t.Fatalf("scheduled: %q, pill %q", m.Status, tn.pill(t))
				}
				if _, err := e.insp.GetTaskInfo(jobs.QueueScheduled, fmt.Sprintf("send:%s:%d", m.ID, m.Attempt)); err != nil {
					t.Fatalf("scheduled task: %v", err)
				}
				tn.expectLedger(t, m.ID, 0, 0) // scheduled sends charge when they fire
				start := time.Now()
				if _, err := e.p.SendNow(ctx, tn.sc, m.ID); err != nil {
					t.Fatal(err)
				}
				tn.waitStatus(t, m.ID, messaging.StatusSent)
				if d := time.Since(start); d > 10*time.Second {
					t.Fatalf("sent %s after SendNow", d)
				}
				tn.expectLedger(t, m.ID, 1, 0)
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"scheduled", "pending", "queued", "sent"}) {
					t.Fatalf("timeline %v, want the step sent now in it", tl)
				}
				if _, err := e.p.SendNow(ctx, tn.sc, m.ID); !errors.Is(err, messaging.ErrNotScheduled) {
					t.Fatalf("SendNow of a sent message: %v", err)
				}

				c := tn.post(t, pipeline.Draft{Type: "text", Text: "never", ScheduleAt: &later})
				if _, err := e.p.Cancel(ctx, tn.sc, c.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := e.insp.GetTaskInfo(jobs.QueueScheduled, fmt.Sprintf("send:%s:%d", c.ID, c.Attempt)); !errors.Is(err, asynq.ErrTaskNotFound) {
					t.Fatalf("the cancelled message's task is still queued: %v", err)
				}
				if got := tn.msg(t, c.ID); got.Status != messaging.StatusCancelled {
					t.Fatalf("status %q", got.Status)
				}
				if _, err := e.p.SendNow(ctx, tn.sc, c.ID); !errors.Is(err, messaging.ErrNotScheduled) {
					t.Fatalf("SendNow of a cancelled message: %v", err)
				}
				tn.expectLedger(t, c.ID, 0, 0)
				if b := tn.balance(t); b != 9 {
					t.Fatalf("balance %d, want 9", b)
				}
				tn.expectPill(t, messaging.PillSent)
			})

			t.Run("ScheduledAnswer", func(t *testing.T) {
				// A scheduled reply answers the ticket's customer when it goes, not
				// when it was written; one cancelled never does.
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				ticket, err := messaging.NewConversation(ctx, tn.sc, messaging.KindTicket, tn.conn.ID, tn.contact, "")
				if err != nil {
					t.Fatal(err)
				}
				tn.conv = ticket
				answered := func() *time.Time {
					t.Helper()
					c, err := messaging.GetConversation(ctx, tn.sc, ticket.ID)
					if err != nil {
						t.Fatal(err)
					}
					return c.FirstResponseAt
				}
				later := time.Now().Add(time.Hour)
				never := tn.post(t, pipeline.Draft{Type: "text", Text: "never", ScheduleAt: &later})
				if _, err := e.p.Cancel(ctx, tn.sc, never.ID); err != nil {
					t.Fatal(err)
				}
				if at := answered(); at != nil {
					t.Fatalf("a scheduled reply, cancelled, answered the ticket at %v", at)
				}
				soon := tn.post(t, pipeline.Draft{Type: "text", Text: "soon", ScheduleAt: &later})
				if at := answered(); at != nil {
					t.Fatalf("a reply scheduled for later answered the ticket at %v, before it went", at)
				}
				sentAt := time.Now()
				if _, err := e.p.SendNow(ctx, tn.sc, soon.ID); err != nil {
					t.Fatal(err)
				}
				tn.waitStatus(t, soon.ID, messaging.StatusSent)
				// Recorded just after the send's own record.
				waitFor(t, 10*time.Second, "the answer recorded", func() bool { return answered() != nil })
				if at := answered(); at.Before(sentAt.Add(-time.Second)) || at.After(time.Now()) {
					t.Fatalf("the reply sent now answered the ticket at %v, want when it went (after %v)", at, sentAt)
				}
			})

			t.Run("ReactionsPushed", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "counted", loopback.Config{}, 10)
				m := tn.waitStatus(t, tn.text(t, "your order shipped").ID, messaging.StatusSent)
				pushed := func(want string) {
					t.Helper()
					waitFor(t, 10*time.Second, fmt.Sprintf("the reaction %q pushed", want), func() bool {
						got, ok := counted.reaction(*m.ProviderMessageID)
						return ok && got == want
					})
				}
				r, err := e.p.React(ctx, tn.sc, m, "👍")
				if err != nil || r.Reaction != "👍" {
					t.Fatalf("react: %+v, %v", r, err)
				}
				pushed("👍")
				// Taking it off pushes the empty reaction, which removes it at the provider.
				if r, err = e.p.React(ctx, tn.sc, r, ""); err != nil || r.Reaction != "" {
					t.Fatalf("unreact: %+v, %v", r, err)
				}
				pushed("")
				if got := tn.msg(t, m.ID); got.Reaction != "" || got.Status != messaging.StatusSent {
					t.Fatalf("after unreacting: reaction %q status %q", got.Reaction, got.Status)
				}
				// Reactions cost nothing: the one charge is the message's.
				tn.expectLedger(t, m.ID, 1, 0)
				if _, err := e.p.React(ctx, tn.sc, m, "ok"); err == nil {
					t.Fatal("a word taken as a reaction")
				}

				// A channel without reactions keeps the reaction here and pushes nothing.
				mt := e.tenant(t, "mute", loopback.Config{}, 10)
				mm := mt.waitStatus(t, mt.text(t, "hi").ID, messaging.StatusSent)
				if r, err := e.p.React(ctx, mt.sc, mm, "❤️"); err != nil || r.Reaction != "❤️" {
					t.Fatalf("react on a channel without reactions: %+v, %v", r, err)
				}
				if got := mt.msg(t, mm.ID); got.Reaction != "❤️" {
					t.Fatalf("stored reaction %q", got.Reaction)
				}
				// A push queued after it has run: a push for the mute channel would have too.
				if _, err := e.p.React(ctx, tn.sc, r, "🎉"); err != nil {
					t.Fatal(err)
				}
				pushed("🎉")
				if r, pushed := mute.reaction(*mm.ProviderMessageID); pushed {
					t.Fatalf("reaction %q pushed to a channel without reactions", r)
				}
			})

			t.Run("PinsPushed", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "counted", loopback.Config{}, 10)
				m := tn.waitStatus(t, tn.text(t, "your table is booked for 8").ID, messaging.StatusSent)
				pushed := func(want bool) {
					t.Helper()
					waitFor(t, 10*time.Second, fmt.Sprintf("pinned = %v pushed", want), func() bool {
						got, ok := counted.pin(*m.ProviderMessageID)
						return ok && got == want
					})
				}
				p, err := e.p.Pin(ctx, tn.sc, m, true, "")
				if err != nil || p.PinnedAt == nil {
					t.Fatalf("pin: %+v, %v", p, err)
				}
				pushed(true)
				if p, err = e.p.Pin(ctx, tn.sc, p, false, ""); err != nil || p.PinnedAt != nil {
					t.Fatalf("unpin: %+v, %v", p, err)
				}
				pushed(false)
				if got := tn.msg(t, m.ID); got.PinnedAt != nil || got.Status != messaging.StatusSent {
					t.Fatalf("after unpinning: pinned %v, status %q", got.PinnedAt, got.Status)
				}
				tn.expectLedger(t, m.ID, 1, 0) // pins cost nothing

				// An internal note is pinned for the team only: the provider never had it.
				note := tn.post(t, pipeline.Draft{Type: "note", Text: "call back after 6"})
				if n, err := e.p.Pin(ctx, tn.sc, note, true, ""); err != nil || n.PinnedAt == nil {
					t.Fatalf("pin a note: %+v, %v", n, err)
				}

				// A channel without pins keeps the pin here and pushes nothing.
				mt := e.tenant(t, "mute", loopback.Config{}, 10)
				mm := mt.waitStatus(t, mt.text(t, "hi").ID, messaging.StatusSent)
				if r, err := e.p.Pin(ctx, mt.sc, mm, true, ""); err != nil || r.PinnedAt == nil {
					t.Fatalf("pin on a channel without pins: %+v, %v", r, err)
				}
				if got := mt.msg(t, mm.ID); got.PinnedAt == nil {
					t.Fatal("the pin was not stored")
				}
				// A push queued after it has run: a push for the mute channel would have too.
				if _, err := e.p.Pin(ctx, tn.sc, p, true, ""); err != nil {
					t.Fatal(err)
				}
				pushed(true)
				if _, pushed := mute.pin(*mm.ProviderMessageID); pushed {
					t.Fatal("a pin pushed to a channel without pins")
				}
				if n := counted.pushes(note.ID); n != 0 {
					t.Fatalf("the note's pin pushed %d times", n)
				}
			})

			t.Run("ForwardAndDelete", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				m := tn.waitStatus(t, tn.text(t, "the address is 1 Main St").ID, messaging.StatusSent)
				other, err := messaging.ContactByAddress(ctx, tn.sc, tn.conn.Kind, "+447000000999", "Bob")
				if err != nil {
					t.Fatal(err)
				}
				to, err := messaging.NewConversation(ctx, tn.sc, messaging.KindChat, tn.conn.ID, other, "")
				if err != nil {
					t.Fatal(err)
				}
				fwd, err := e.p.Forward(ctx, tn.sc, m, to, "")
				if err != nil {
					t.Fatal(err)
				}
				if fwd.ConversationID != to.ID || fwd.Body != m.Body || fwd.ForwardedFrom == nil || *fwd.ForwardedFrom != m.ID {
					t.Fatalf("forwarded %+v", fwd)
				}
				tn.waitStatus(t, fwd.ID, messaging.StatusSent)
				tn.expectLedger(t, fwd.ID, 1, 0) // a forward is a send: charged once
				if b := tn.balance(t); b != 8 {
					t.Fatalf("balance %d, want 8", b)
				}

				// A forward that fails is refunded like any send.
				rt := e.tenant(t, "retry", loopback.Config{}, 10)
				rto, err := messaging.NewConversation(ctx, rt.sc, messaging.KindChat, rt.conn.ID, rt.contact, "forwarded")
				if err != nil {
					t.Fatal(err)
				}
				src := rt.post(t, pipeline.Draft{Type: "note", Text: "internal"})
				if _, err := e.p.Forward(ctx, rt.sc, src, rto, ""); !errors.Is(err, pipeline.ErrForwardNote) {
					t.Fatalf("forwarding a note: %v", err)
				}
				in := messaging.Message{ConversationID: rt.conv.ID, ConnectionID: rt.conn.ID, Direction: messaging.DirectionIn,
					Type: "text", Body: "please pass this on", Status: messaging.StatusReceived}
				if err := messaging.Insert(ctx, rt.sc, &in, "provider"); err != nil {
					t.Fatal(err)
				}
				bad, err := e.p.Forward(ctx, rt.sc, in, rto, "")
				if err != nil {
					t.Fatal(err)
				}
				bad = rt.waitStatus(t, bad.ID, messaging.StatusFailed)
				rt.expectLedger(t, bad.ID, 1, 1)
				if b := rt.balance(t); b != 10 {
					t.Fatalf("balance after a failed forward %d, want 10", b)
				}

				// Delete: the row stays with its content; the thread shows neither.
				d, err := e.p.Delete(ctx, tn.sc, m, "")
				if err != nil || d.DeletedAt == nil || d.Body != "" {
					t.Fatalf("deleted %+v, %v", d, err)
				}
				if got := tn.msg(t, m.ID); got.Body != m.Body || got.DeletedAt == nil || got.Status != messaging.StatusSent {
					t.Fatalf("stored after delete: %+v", got)
				}
				if cv, err := messaging.GetConversation(ctx, tn.sc, tn.conv.ID); err != nil || cv.LastMessagePreview != messaging.DeletedPreview {
					t.Fatalf("the list still previews the deleted message: %q, %v", cv.LastMessagePreview, err)
				}
				if _, err := e.p.Forward(ctx, tn.sc, tn.msg(t, m.ID), to, ""); !errors.Is(err, messaging.ErrMessageDeleted) {
					t.Fatalf("forwarding a deleted message: %v", err)
				}
				// A scheduled message is cancelled, then deleted: it never goes out.
				later := time.Now().Add(time.Hour)
				sch := tn.post(t, pipeline.Draft{Type: "text", Text: "later", ScheduleAt: &later})
				if d, err = e.p.Delete(ctx, tn.sc, sch, ""); err != nil || d.Status != messaging.StatusCancelled || d.DeletedAt == nil {
					t.Fatalf("deleting a scheduled message: %+v, %v", d, err)
				}
				if _, err := e.insp.GetTaskInfo(jobs.QueueScheduled, fmt.Sprintf("send:%s:%d", sch.ID, sch.Attempt)); !errors.Is(err, asynq.ErrTaskNotFound) {
					t.Fatalf("the deleted message's task is still queued: %v", err)
				}
				tn.expectLedger(t, sch.ID, 0, 0)
			})

			// A conversation may send from several numbers (a multi-device plan): its
			// recipients are split between them in turn, each copy goes from its
			// recipient's number, and a reply comes back to it on that number only.
			t.Run("SeveralNumbers", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				second, err := e.ta.App.Connections.Create(ctx, tn.sc, connections.NewConnection{PluginID: "loopback", Engine: loopback.Engine,
					DisplayName: "Line 2", Address: fmt.Sprintf("+1555%07d", phoneSeq.Add(1)), Config: loopback.Config{WebhookSecret: "hook-secret"}.JSON()})
				if err != nil {
					t.Fatal(err)
				}
				onSecond := *tn
				onSecond.conn = second
				var people []messaging.Contact
				for range 4 {
					c, err := messaging.ContactByAddress(ctx, tn.sc, tn.conn.Kind, fmt.Sprintf("+4478%08d", phoneSeq.Add(1)), "")
					if err != nil {
						t.Fatal(err)
					}
					people = append(people, c)
				}
				conv, err := messaging.OpenConversationFrom(ctx, tn.sc, messaging.KindChat, []string{tn.conn.ID, second.ID}, people, "Two lines")
				if err != nil || conv.ConnectionID != tn.conn.ID {
					t.Fatalf("opened %+v, %v", conv, err)
				}
				// Browsers hear of every copy under the conversation's number, which
				// their access rules go by, whichever number sent it.
				lctx, stopListening := context.WithCancel(ctx)
				events, stop := e.ta.App.Realtime.Subscribe(lctx, tn.ws.ID)
				var heardMu sync.Mutex
				var heardFrom []string // the connection of each message event of the conversation
				listened := make(chan struct{})
				go func() {
					defer close(listened)
					for ev := range events {
						if ev.ConversationID == conv.ID && ev.Type == realtime.MessageUpdated {
							heardMu.Lock()
							heardFrom = append(heardFrom, ev.ConnectionID)
							heardMu.Unlock()
						}
					}
				}()
				defer func() { stop(); stopListening(); <-listened }()
				m, err := e.p.Post(ctx, tn.sc, conv, pipeline.Draft{Type: "text", Text: "doors open at 9"})
				if err != nil {
					t.Fatal(err)
				}
				copies, err := messaging.SendCopies(ctx, tn.sc, *m.SendID, 10)
				if err != nil || len(copies) != 4 {
					t.Fatalf("%d copies, %v", len(copies), err)
				}
				want := map[string]string{people[0].ID: tn.conn.ID, people[1].ID: second.ID, people[2].ID: tn.conn.ID, people[3].ID: second.ID}
				for _, c := range copies {
					if c.ConnectionID != want[*c.ContactID] {
						t.Fatalf("copy to %s from %s, want %s", *c.ContactID, c.ConnectionID, want[*c.ContactID])
					}
					if sent := tn.waitStatus(t, c.ID, messaging.StatusSent); sent.ConnectionID != want[*c.ContactID] {
						t.Fatalf("sent from %s", sent.ConnectionID)
					}
				}
				waitFor(t, 10*time.Second, "an event for each copy", func() bool {
					heardMu.Lock()
					defer heardMu.Unlock()
					return len(heardFrom) >= 4
				})
				heardMu.Lock()
				for _, from := range heardFrom {
					if from != tn.conn.ID {
						t.Errorf("a copy's event under %s, want the conversation's number %s", from, tn.conn.ID)
					}
				}
				heardMu.Unlock()
				// The second recipient answers on the second number: back to this
				// conversation, their window open there; a resend to them alone goes
				// from their number too.
				onSecond.hook(t, onSecond.signed(t, loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: "two-lines-in", From: people[1].Phone,
					To: second.Address, Text: "see you there", Timestamp: time.Now().UTC()}))
				onSecond.settled(t)
				var in messaging.Message
				if err := tn.sc.Select(&in).Where("m.provider_message_id = ?", "two-lines-in").Scan(ctx); err != nil {
					t.Fatal(err)
				}
				if in.ConversationID != conv.ID || in.ConnectionID != second.ID {
					t.Fatalf("the reply went to %s on %s, want %s on %s", in.ConversationID, in.ConnectionID, conv.ID, second.ID)
				}
				reply, err := e.p.Post(ctx, tn.sc, conv, pipeline.Draft{Type: "text", Text: "great", ReplyTo: in.ID})
				if err != nil || reply.ConnectionID != second.ID || *reply.ContactID != people[1].ID {
					t.Fatalf("reply %+v, %v: want it to %s from %s", reply, err, people[1].ID, second.ID)
				}
				tn.waitStatus(t, reply.ID, messaging.StatusSent)
				// The first recipient writes to the second number, which never wrote to
				// them: a new ticket, not this conversation.
				onSecond.hook(t, onSecond.signed(t, loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: "wrong-line-in", From: people[0].Phone,
					To: second.Address, Text: "is this the same shop?", Timestamp: time.Now().UTC()}))
				onSecond.settled(t)
				if err := tn.sc.Select(&in).Where("m.provider_message_id = ?", "wrong-line-in").Scan(ctx); err != nil {
					t.Fatal(err)
				}
				if in.ConversationID == conv.ID {
					t.Fatal("a reply on a number that never wrote to the customer landed in the conversation")
				}
				// Listed under either number.
				for _, id := range []string{tn.conn.ID, second.ID} {
					convs, _, err := messaging.ListConversations(ctx, tn.sc, messaging.ConversationFilter{Kind: messaging.KindChat, ConnectionID: id}, storage.Page{Limit: 50})
					if err != nil || !slices.ContainsFunc(convs, func(c messaging.Conversation) bool { return c.ID == conv.ID }) {
						t.Fatalf("listing by %s: %d conversations without it (%v)", id, len(convs), err)
					}
				}
			})

			t.Run("SeveralRecipients", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "wa", loopback.Config{}, 10)
				contact := func(name string, consent bool) messaging.Contact {
					t.Helper()
					c, err := messaging.ContactByAddress(ctx, tn.sc, tn.conn.Kind, fmt.Sprintf("+4478%08d", phoneSeq.Add(1)), name)
					if err != nil {
						t.Fatal(err)
					}
					if consent {
						if c, err = messaging.RecordWhatsAppConsent(ctx, tn.sc, c); err != nil {
							t.Fatal(err)
						}
					}
					return c
				}
				wrote, silent, optedOut := contact("Wrote", false), contact("Silent", true), contact("Opted out", true)
				if err := messaging.SetOptOut(ctx, tn.sc, optedOut.ID, true); err != nil {
					t.Fatal(err)
				}
				conv, err := messaging.OpenConversation(ctx, tn.sc, messaging.KindChat, tn.conn.ID, []messaging.Contact{silent, wrote, optedOut}, "Launch list")
				if err != nil || conv.Recipients != 3 {
					t.Fatalf("opened %+v, %v", conv, err)
				}
				// One of them (not the first) writes in: the reply lands in this
				// conversation, not a new ticket, and opens that customer's window only.
				tn.hook(t, tn.signed(t, loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: "multi-in-1", From: wrote.Phone,
					To: tn.conn.Address, Text: "count me in", Timestamp: time.Now().UTC()}))
				tn.settled(t)
				var in messaging.Message
				if err := tn.sc.Select(&in).Where("m.provider_message_id = ?", "multi-in-1").Scan(ctx); err != nil {
					t.Fatal(err)
				}
				if in.ConversationID != conv.ID || in.ContactID == nil || *in.ContactID != wrote.ID {
					t.Fatalf("the reply went to %s from %v, want %s from %s", in.ConversationID, in.ContactID, conv.ID, wrote.ID)
				}

				// Free text to all three: a copy each, each checked on its own.
				m, err := e.p.Post(ctx, tn.sc, conv, pipeline.Draft{Type: "text", Text: "doors open at 9"})
				if err != nil || m.SendID == nil || *m.SendID != m.ID {
					t.Fatalf("posted %+v, %v", m, err)
				}
				copies, err := messaging.SendCopies(ctx, tn.sc, *m.SendID, 10)
				if err != nil || len(copies) != 3 {
					t.Fatalf("%d copies, %v", len(copies), err)
				}
				want := map[string]string{wrote.ID: "", silent.ID: pipeline.ReasonWindowClosed, optedOut.ID: pipeline.ReasonOptedOut}
				for _, c := range copies {
					reason, ok := want[*c.ContactID]
					if !ok {
						t.Fatalf("a copy to %s, who is no recipient", *c.ContactID)
					}
					if reason == "" {
						tn.waitStatus(t, c.ID, messaging.StatusSent)
						tn.expectLedger(t, c.ID, 1, 0)
						continue
					}
					if got := tn.waitStatus(t, c.ID, messaging.StatusFailed); got.Reason != reason {
						t.Fatalf("copy to %s failed with %q, want %q", *c.ContactID, got.Reason, reason)
					}
					tn.expectLedger(t, c.ID, 0, 0)
				}
				if b := tn.balance(t); b != 9 {
					t.Fatalf("balance %d, want 9: one copy went out", b)
				}
				if cv, err := messaging.GetConversation(ctx, tn.sc, conv.ID); err != nil || cv.Pill != messaging.PillPartial {
					t.Fatalf("pill %q (%v), want partial", cv.Pill, err)
				}
				// Deleting the failed copies clears them from the pill.
				for _, c := range copies {
					if want[*c.ContactID] != "" {
						if _, err := e.p.Delete(ctx, tn.sc, tn.msg(t, c.ID), ""); err != nil {
							t.Fatal(err)
						}
					}
				}
				if cv, err := messaging.GetConversation(ctx, tn.sc, conv.ID); err != nil || cv.Pill != messaging.PillSent {
					t.Fatalf("pill %q (%v) with the failed copies deleted, want sent", cv.Pill, err)
				}

				// A reply to the one who wrote goes to them only.
				r, err := e.p.Post(ctx, tn.sc, conv, pipeline.Draft{Type: "text", Text: "see you there", ReplyTo: in.ID})
				if err != nil || r.SendID != nil || r.ContactID == nil || *r.ContactID != wrote.ID {
					t.Fatalf("reply %+v, %v", r, err)
				}
				tn.waitStatus(t, r.ID, messaging.StatusSent)
				if _, err := e.p.Post(ctx, tn.sc, conv, pipeline.Draft{Type: "text", Text: "x", ReplyTo: m.ID + "nope"}); !errors.Is(err, messaging.ErrNotARecipient) {
					t.Fatalf("a reply to no message: %v", err)
				}
				// Send again repeats the reply to its one recipient, not to everyone.
				again, err := e.p.Resend(ctx, tn.sc, conv, "")
				if err != nil || again.ContactID == nil || *again.ContactID != wrote.ID || again.SendID != nil {
					t.Fatalf("resent %+v, %v", again, err)
				}
				// A scheduled send is called off whole: every recipient's copy.
				later := time.Now().Add(time.Hour)
				sch, err := e.p.Post(ctx, tn.sc, conv, pipeline.Draft{Type: "template", Template: &sdk.Template{Name: "event_reminder", Language: "en"}, ScheduleAt: &later})
				if err != nil {
					t.Fatal(err)
				}
				if c, err := e.p.Cancel(ctx, tn.sc, sch.ID); err != nil || c.Status != messaging.StatusCancelled {
					t.Fatalf("cancel the send: %+v, %v", c, err)
				}
				schCopies, err := messaging.SendCopies(ctx, tn.sc, *sch.SendID, 10)
				if err != nil || len(schCopies) != 3 {
					t.Fatalf("%d scheduled copies, %v", len(schCopies), err)
				}
				for _, c := range schCopies {
					if c.Status != messaging.StatusCancelled {
						t.Fatalf("copy to %s is %s after cancelling the send", *c.ContactID, c.Status)
					}
				}
				if _, err := e.p.SendNow(ctx, tn.sc, schCopies[2].ID); !errors.Is(err, messaging.ErrNotScheduled) {
					t.Fatalf("send-now of a cancelled send: %v", err)
				}

			})

			t.Run("RetryAfterFailure", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "retry", loopback.Config{}, 10)
				m := tn.text(t, "hello")
				tn.waitStatus(t, m.ID, messaging.StatusFailed)
				tn.expectPill(t, messaging.PillFailed)
				if _, err := e.p.Retry(ctx, tn.sc, m.ID); err != nil {
					t.Fatal(err)
				}
				got := tn.waitStatus(t, m.ID, messaging.StatusSent)
				if got.Attempt != 2 || got.Reason != "" {
					t.Fatalf("retried message %+v", got)
				}
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"pending", "queued", "failed", "pending", "queued", "sent"}) {
					t.Fatalf("timeline %v, want the retry's step in it", tl)
				}
				var es []billing.Entry
				if err := tn.sc.Select(&es).Where("le.reference = ?", "message:"+m.ID).OrderExpr("le.created_at, le.id").Scan(ctx); err != nil {
					t.Fatal(err)
				}
				keys := []string{}
				for _, e := range es {
					keys = append(keys, string(e.Kind)+" "+e.IdempotencyKey)
				}
				want := []string{"charge message:" + m.ID + ":1", "refund refund:message:" + m.ID + ":1", "charge message:" + m.ID + ":2"}
				if !eq(keys, want) {
					t.Fatalf("ledger %v, want %v", keys, want)
				}
				if b := tn.balance(t); b != 9 {
					t.Fatalf("balance %d, want 9", b)
				}
				tn.expectPill(t, messaging.PillSent)
				if _, err := e.p.Retry(ctx, tn.sc, m.ID); !errors.Is(err, messaging.ErrNotFailed) {
					t.Fatalf("retry of a sent message: %v", err)
				}
			})

			t.Run("GivesUpOnOwnTrouble", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{}, 10)
				// Settings that cannot be opened (sealed with a key since lost): every
				// try is charged, then fails on our side, not the provider's.
				if _, err := tn.sc.Update((*connections.Connection)(nil)).Set("config_sealed = ?", "sealed-with-a-lost-key").
					Where("c.id = ?", tn.conn.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				tn.failedRefunded(t, tn.text(t, "hello").ID, 20*time.Second, "Not sent: it failed on our side 4 times; its credit is back, send it again later")
			})

			t.Run("ChargedThenRefusedRefunded", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "refuser", loopback.Config{FailWith: sdk.Transient}, 10)
				// Charged, refused for now by the provider; meanwhile the customer
				// opts out, so the retry fails the check instead.
				refuser.mu.Lock()
				refuser.onSend = func(sdk.OutboundMessage) {
					if err := messaging.SetOptOut(ctx, tn.sc, tn.contact.ID, true); err != nil {
						t.Error(err)
					}
				}
				refuser.mu.Unlock()
				m := tn.text(t, "hello")
				tn.failedRefunded(t, m.ID, 20*time.Second, pipeline.ReasonOptedOut)
				if n := refuser.sends(m.ID); n != 1 {
					t.Fatalf("%d provider calls, want 1 (the retry stops at the opt-out)", n)
				}
			})

			t.Run("AcceptedNeverRefunded", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "counted", loopback.Config{}, 10)
				// The provider accepts; recording it fails every time (the database
				// refuses this one message's sent).
				const body = "recorded never"
				poison := []string{`CREATE TRIGGER poison_sent BEFORE UPDATE ON messages
					WHEN NEW.status = 'sent' AND NEW.body = '` + body + `' BEGIN SELECT RAISE(ABORT, 'recording refused'); END`}
				if engine == testapp.Postgres {
					poison = []string{`CREATE FUNCTION poison_sent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
						IF NEW.status = 'sent' AND NEW.body = '` + body + `' THEN RAISE EXCEPTION 'recording refused'; END IF;
						RETURN NEW; END $$`,
						`CREATE TRIGGER poison_sent BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION poison_sent()`}
				}
				for _, q := range poison {
					if _, err := e.ta.App.DB.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				m := tn.text(t, body)
				id := fmt.Sprintf("send:%s:%d", m.ID, m.Attempt)
				waitFor(t, 30*time.Second, "the send task archived", func() bool {
					info, err := e.insp.GetTaskInfo(jobs.QueueSends, id)
					return err == nil && info.State == asynq.TaskStateArchived
				})
				// Sent four times (the duplicates at-least-once allows), never given up
				// on as unsent: not failed, not refunded.
				if n := counted.sends(m.ID); n != 4 {
					t.Errorf("%d provider calls, want 4 (one per try)", n)
				}
				if _, failed, err := e.p.SweepWorkspace(ctx, tn.sc, 0); err != nil || failed != 0 {
					t.Fatalf("the sweep failed %d sends (%v), want none", failed, err)
				}
				if got := tn.msg(t, m.ID); got.Status == messaging.StatusFailed {
					t.Fatalf("a message the provider accepted was failed: %q", got.Reason)
				}
				tn.expectLedger(t, m.ID, 1, 0)
			})

			t.Run("DeletedStaysRedacted", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{Statuses: []string{"sent", "delivered"}}, 10)
				const secret = "the door code is 4711"
				m := tn.waitStatus(t, tn.text(t, secret).ID, messaging.StatusSent)
				if _, err := e.p.Delete(ctx, tn.sc, m, ""); err != nil {
					t.Fatal(err)
				}
				lctx, cancel := context.WithCancel(ctx)
				defer cancel()
				events, stop := e.ta.App.Realtime.Subscribe(lctx, tn.ws.ID)
				defer stop()
				tn.hook(t, tn.webhooks(t)["delivered"]) // a receipt for the deleted message
				tn.waitStatus(t, m.ID, messaging.StatusDelivered)
				for {
					select {
					case ev := <-events:
						// The sent's own event may still be on its way when the delete
						// lands (published after its write): only what says deleted counts.
						if strings.Contains(string(ev.Data), `"deleted_at"`) && strings.Contains(string(ev.Data), "door code") {
							t.Fatalf("%s after the delete carries the deleted text: %s", ev.Type, ev.Data)
						}
						if ev.Type == realtime.MessageUpdated && strings.Contains(string(ev.Data), `"status":"delivered"`) {
							return // the receipt's own event, without the text
						}
					case <-time.After(10 * time.Second):
						t.Fatal("no event told browsers the deleted message was delivered")
					}
				}
			})

			t.Run("FailedAfterDeliveredChangesNothing", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{Statuses: []string{"sent", "delivered", "failed"}}, 10)
				m := tn.text(t, "hello")
				tn.waitStatus(t, m.ID, messaging.StatusSent)
				hooks := tn.webhooks(t)
				tn.hook(t, hooks["delivered"])
				tn.waitStatus(t, m.ID, messaging.StatusDelivered)
				tn.hook(t, hooks["failed"]) // on the customer's phone already: it went out
				tn.settled(t)
				if got := tn.msg(t, m.ID); got.Status != messaging.StatusDelivered || got.Reason != "" {
					t.Fatalf("after a late failed: %s %q, want delivered", got.Status, got.Reason)
				}
				tn.expectLedger(t, m.ID, 1, 0)
				if tl := tn.timeline(t, m.ID); !eq(tl, []string{"pending", "queued", "sent", "delivered"}) {
					t.Fatalf("timeline %v", tl)
				}
			})

			t.Run("ProviderReportsFailedAfterSent", func(t *testing.T) {
				t.Parallel()
				tn := e.tenant(t, "loopback", loopback.Config{Statuses: []string{"sent", "failed"}}, 10)
				m := tn.text(t, "hello")
				tn.waitStatus(t, m.ID, messaging.StatusSent)
				hooks := tn.webhooks(t)
				tn.hook(t, hooks["failed"])
				tn.hook(t, hooks["failed"])
				got := tn.waitStatus(t, m.ID, messaging.StatusFailed)
				if got.Reason != "undeliverable" {
					t.Fatalf("reason %q", got.Reason)
				}
				tn.settled(t)
				tn.expectLedger(t, m.ID, 1, 1)
				if b := tn.balance(t); b != 10 {
					t.Fatalf("balance %d", b)
				}
			})
		})
	}
}

// waitBacklog waits until a workspace's count of waiting tasks at key (BacklogKey,
// InboundBacklogKey) is want.
func waitBacklog(t testing.TB, e *env, key string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := e.ta.App.Queue.Redis.Get(context.Background(), key).Int()
		if err != nil && err.Error() != "redis: nil" {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog %s is %d, want %d", key, n, want)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestSendNowWhileDue: "Send now" on a scheduled message whose task is already due
// (waiting for a worker, or running) leaves that task to send it: a second task in
// another queue would send it twice.
func TestSendNowWhileDue(t *testing.T) {
	counted := &channel{Loopback: loopback.New()}
	e := newEnv(t, envOptions{engine: testapp.DefaultEngine(), noWorker: true, plugins: connections.StaticPlugins{"counted": counted}})
	tn := e.tenant(t, "counted", loopback.Config{}, 10)
	ctx := context.Background()
	at := time.Now().UTC().Add(time.Hour)
	m := schedule(t, tn, 1, at, func(int) string { return "see you at nine" })[0]
	enqueueAll(t, e, []messaging.Message{m})
	id := fmt.Sprintf("send:%s:%d", m.ID, m.Attempt)
	// Its time came: the task waits for a worker.
	if err := e.insp.RunTask(jobs.QueueScheduled, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.SendNow(ctx, tn.sc, m.ID); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{jobs.QueueSends, jobs.QueueBulk} {
		if _, err := e.insp.GetTaskInfo(q, id); !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatalf("send-now queued a second task in %s (%v) beside the one due", q, err)
		}
	}
	e.startWorker(4)
	tn.waitStatus(t, m.ID, messaging.StatusSent)
	tn.settled(t)
	if n := counted.sends(m.ID); n != 1 {
		t.Fatalf("%d send calls, want 1", n)
	}
	tn.expectLedger(t, m.ID, 1, 0)
}
