package billing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// EnvStripe is stripe-mock's HTTP address, set by .ci/services.
const EnvStripe = "SWITCHBOARD_TEST_STRIPE_URL"

const whsec = "whsec_test_switchboard"

// stripeApp is a test app whose billing talks to apiURL (stripe-mock, or a fake) and
// accepts webhooks signed with whsec, and a workspace in it.
func stripeApp(t *testing.T, apiURL string, opts ...testapp.Option) (*testapp.TestApp, *billing.Payments, tenants.Workspace) {
	t.Helper()
	ta := testapp.New(t, append(opts, testapp.WithConfig(func(c *config.Config) {
		c.Billing = config.Billing{StripeSecretKey: "sk_test_123", StripeWebhookSecret: whsec, StripeAPIURL: apiURL}
	}))...)
	return ta, ta.App.Payments, ta.NewWorkspace("Shop").Workspace
}

// stripeMock returns stripe-mock's URL or skips the test.
func stripeMock(t *testing.T) string {
	t.Helper()
	u := os.Getenv(EnvStripe)
	if u == "" {
		t.Skipf("%s is not set: these tests need stripe-mock (eval \"$(.ci/services start)\" starts it)", EnvStripe)
	}
	return u
}

// stripeEvent is a Stripe event envelope around obj.
func stripeEvent(id, typ string, obj any) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": "2023-10-16", "created": time.Now().Unix(),
		"livemode": false, "pending_webhooks": 1, "type": typ, "data": map[string]any{"object": obj},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// deliver signs body like Stripe does at the given time and hands it to HandleWebhook.
func deliver(t *testing.T, ta *testapp.TestApp, p *billing.Payments, body []byte, secret string, at time.Time) error {
	t.Helper()
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
	return p.HandleWebhook(ta.Ctx(), body, sp.Header)
}

func mustDeliver(t *testing.T, ta *testapp.TestApp, p *billing.Payments, body []byte) {
	t.Helper()
	if err := deliver(t, ta, p, body, whsec, time.Now()); err != nil {
		t.Fatalf("webhook: %v", err)
	}
}

func topUpMetadata(ws string, credits int64) map[string]string {
	return map[string]string{"workspace_id": ws, "pack": "starter", "credits": fmt.Sprint(credits)}
}

func checkoutSession(ws, pi, status string, credits int64) map[string]any {
	return map[string]any{"id": "cs_test_" + pi, "object": "checkout.session", "mode": "payment", "payment_status": status,
		"status": "complete", "payment_intent": pi, "client_reference_id": ws, "customer": "cus_test",
		"amount_total": 2000, "currency": "usd", "metadata": topUpMetadata(ws, credits)}
}

func paymentIntent(ws, pi string, credits int64) map[string]any {
	return map[string]any{"id": pi, "object": "payment_intent", "status": "succeeded", "amount": 2000,
		"currency": "usd", "customer": "cus_test", "metadata": topUpMetadata(ws, credits)}
}

func charge(ws, pi string, amount, credits int64, refunds ...map[string]any) map[string]any {
	var refunded int64
	for _, r := range refunds {
		refunded += r["amount"].(int64)
	}
	return map[string]any{"id": "ch_" + pi, "object": "charge", "amount": amount, "amount_refunded": refunded,
		"currency": "usd", "payment_intent": pi, "customer": "cus_test", "refunded": refunded == amount,
		"paid": true, "status": "succeeded",
		"metadata": topUpMetadata(ws, credits),
		"refunds":  map[string]any{"object": "list", "data": refunds, "has_more": false, "url": "/v1/charges/ch_" + pi + "/refunds"}}
}

func refund(id string, amount int64) map[string]any {
	return map[string]any{"id": id, "object": "refund", "amount": amount, "status": "succeeded", "currency": "usd"}
}

func entriesOf(t *testing.T, ta *testapp.TestApp, ws string) []billing.Entry {
	t.Helper()
	var es []billing.Entry
	if err := tenants.Scope(ta.App.DB, ws).Select(&es).Order("le.id").Scan(ta.Ctx()); err != nil {
		t.Fatal(err)
	}
	return es
}

func eventRecorded(t *testing.T, ta *testapp.TestApp, id string) bool {
	t.Helper()
	ok, err := ta.App.DB.NewSelect().Table("stripe_events").Where("id = ?", id).Exists(ta.Ctx())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// ---------------------------------------------------------------- checkout

// stripeRecorder sits between billing and stripe-mock and keeps what was asked.
type stripeRecorder struct {
	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	Method, Path, IdempotencyKey string
	Form                         url.Values
}

func (r *stripeRecorder) count(method, path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.requests {
		if q.Method == method && q.Path == path {
			n++
		}
	}
	return n
}

func (r *stripeRecorder) last(method, path string) recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.requests) - 1; i >= 0; i-- {
		if q := r.requests[i]; q.Method == method && q.Path == path {
			return q
		}
	}
	return recorded{}
}

func recordingProxy(t *testing.T, target string) (*stripeRecorder, string) {
	t.Helper()
	rec := &stripeRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		form, _ := url.ParseQuery(string(body))
		rec.mu.Lock()
		rec.requests = append(rec.requests, recorded{req.Method, req.URL.Path, req.Header.Get("Idempotency-Key"), form})
		rec.mu.Unlock()
		out, err := http.NewRequest(req.Method, target+req.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = req.Header.Clone()
		res, err := http.DefaultClient.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
	}))
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

func TestStartTopUp(t *testing.T) {
	t.Parallel()
	rec, proxy := recordingProxy(t, stripeMock(t))
	ta, p, ws := stripeApp(t, proxy)
	ctx := ta.Ctx()
	if _, err := billing.SavePack(ctx, ta.App.DB, "starter", billing.PackInput{Name: "Starter", Credits: 1000, PriceCents: 2000, Currency: "USD"}); err != nil {
		t.Fatal(err)
	}

	url1, session1, err := p.StartTopUp(ctx, ws, "starter", false, "user-1", "https://app.test/ok", "https://app.test/cancel")
	if err != nil {
		t.Fatalf("top-up: %v", err)
	}
	if !strings.HasPrefix(url1, "https://") || session1 == "" {
		t.Fatalf("checkout url %q, session %q", url1, session1)
	}
	w, err := billing.WalletOf(ctx, tenants.Scope(ta.App.DB, ws.ID))
	if err != nil || w.StripeCustomerID == "" {
		t.Fatalf("no stripe customer stored: %+v %v", w, err)
	}
	if n := rec.count(http.MethodPost, "/v1/customers"); n != 1 {
		t.Fatalf("%d customers created, want 1", n)
	}
	if k := rec.last(http.MethodPost, "/v1/customers").IdempotencyKey; k != "customer:"+ws.ID {
		t.Fatalf("customer idempotency key %q", k)
	}
	cs := rec.last(http.MethodPost, "/v1/checkout/sessions")
	want := map[string]string{
		"mode": "payment", "customer": w.StripeCustomerID, "client_reference_id": ws.ID,
		"success_url": "https://app.test/ok", "cancel_url": "https://app.test/cancel",
		"line_items[0][quantity]": "1", "line_items[0][price_data][currency]": "usd",
		"line_items[0][price_data][unit_amount]": "2000", "line_items[0][price_data][product_data][name]": "Starter",
		"metadata[workspace_id]": ws.ID, "metadata[pack]": "starter", "metadata[credits]": "1000",
		"payment_intent_data[metadata][workspace_id]": ws.ID, "payment_intent_data[metadata][pack]": "starter",
		"payment_intent_data[metadata][credits]": "1000",
	}
	for k, v := range want {
		if got := cs.Form.Get(k); got != v {
			t.Errorf("checkout session %s = %q, want %q", k, got, v)
		}
	}
	if !strings.HasPrefix(cs.IdempotencyKey, "checkout:"+ws.ID+":") {
		t.Errorf("checkout idempotency key %q", cs.IdempotencyKey)
	}

	if cs.Form.Has("payment_intent_data[setup_future_usage]") {
		t.Error("a top-up without save_card asked to keep the card")
	}

	// The second top-up reuses the stored customer, and keeps the card when asked.
	if _, _, err := p.StartTopUp(ctx, ws, "starter", true, "user-1", "https://app.test/ok", "https://app.test/cancel"); err != nil {
		t.Fatal(err)
	}
	if n := rec.count(http.MethodPost, "/v1/customers"); n != 1 {
		t.Fatalf("the second top-up created a customer again (%d in all)", n)
	}
	second := rec.last(http.MethodPost, "/v1/checkout/sessions")
	if second.Form.Get("customer") != w.StripeCustomerID || second.IdempotencyKey == cs.IdempotencyKey {
		t.Fatalf("second session: customer %q (want %q), key %q (first %q)", second.Form.Get("customer"), w.StripeCustomerID, second.IdempotencyKey, cs.IdempotencyKey)
	}
	if got := second.Form.Get("payment_intent_data[setup_future_usage]"); got != "off_session" {
		t.Fatalf("a top-up with save_card: setup_future_usage %q, want off_session", got)
	}

	// A pack that is not on sale is a validation error, not a Stripe call.
	if _, _, err := p.StartTopUp(ctx, ws, "nope", false, "", "https://app.test/ok", "https://app.test/cancel"); failure.KindOf(err) != failure.Invalid {
		t.Fatalf("unknown pack: %v", err)
	}
	if b := audit(t, ta, ws.ID); b != 0 {
		t.Fatalf("starting a checkout credited %d", b)
	}
}

func TestStartTopUpNotConfigured(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t)
	ws := ta.NewWorkspace("Shop").Workspace
	if _, err := billing.SavePack(ta.Ctx(), ta.App.DB, "starter", billing.PackInput{Name: "Starter", Credits: 10, PriceCents: 100, Currency: "eur"}); err != nil {
		t.Fatal(err)
	}
	_, _, err := ta.App.Payments.StartTopUp(ta.Ctx(), ws, "starter", false, "", "https://a.test/ok", "https://a.test/no")
	var f *failure.Error
	if !errors.As(err, &f) || f.Kind != failure.Unavailable || f.Code != "billing_not_configured" || !strings.Contains(f.Message, "operator can grant credits") {
		t.Fatalf("top-up without Stripe: %v", err)
	}
	if err := ta.App.Payments.HandleWebhook(ta.Ctx(), []byte(`{}`), "t=1,v1=00"); !errors.Is(err, billing.ErrNotConfigured) {
		t.Fatalf("webhook without a secret: %v", err)
	}
}

// ---------------------------------------------------------------- webhook: credits

func TestWebhookPaidCheckoutCreditsOnce(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	body := stripeEvent("evt_paid", "checkout.session.completed", checkoutSession(ws.ID, "pi_paid", "paid", 1000))
	for range 4 { // the delivery and three replays
		mustDeliver(t, ta, p, body)
	}
	if b := audit(t, ta, ws.ID); b != 1000 {
		t.Fatalf("balance %d, want 1000", b)
	}
	es := entriesOf(t, ta, ws.ID)
	if len(es) != 1 || es[0].Kind != billing.TopUp || es[0].IdempotencyKey != "stripe:payment:pi_paid" ||
		es[0].Actor != "stripe" || es[0].Reference != "evt_paid" {
		t.Fatalf("entries %+v", es)
	}
	if !eventRecorded(t, ta, "evt_paid") {
		t.Fatal("the event was not recorded")
	}
}

func TestWebhookPaymentEventsCreditOnceInAnyOrder(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			testPaymentEventsCreditOnce(t, engine)
		})
	}
}

func testPaymentEventsCreditOnce(t *testing.T, engine testapp.Engine) {
	ta, p, ws := stripeApp(t, "", testapp.OnEngine(engine))
	orders := [][]string{
		{"checkout.session.completed", "payment_intent.succeeded"},
		{"payment_intent.succeeded", "checkout.session.completed"},
		{"checkout.session.async_payment_succeeded", "payment_intent.succeeded", "checkout.session.completed"},
	}
	var want int64
	for i, order := range orders {
		pi := fmt.Sprintf("pi_order_%d", i)
		credits := int64(100 * (i + 1))
		for j, typ := range order {
			obj := checkoutSession(ws.ID, pi, "paid", credits)
			if typ == "payment_intent.succeeded" {
				obj = paymentIntent(ws.ID, pi, credits)
			}
			mustDeliver(t, ta, p, stripeEvent(fmt.Sprintf("evt_%s_%d", pi, j), typ, obj))
		}
		want += credits
		if b := audit(t, ta, ws.ID); b != want {
			t.Fatalf("order %v: balance %d, want %d", order, b, want)
		}
	}

	// All three events of one payment, each delivered several times, concurrently.
	pi := "pi_concurrent"
	bodies := [][]byte{
		stripeEvent("evt_c1", "checkout.session.completed", checkoutSession(ws.ID, pi, "paid", 500)),
		stripeEvent("evt_c2", "checkout.session.async_payment_succeeded", checkoutSession(ws.ID, pi, "paid", 500)),
		stripeEvent("evt_c3", "payment_intent.succeeded", paymentIntent(ws.ID, pi, 500)),
	}
	var wg sync.WaitGroup
	for i := range 15 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := deliver(t, ta, p, bodies[i%3], whsec, time.Now()); err != nil {
				t.Errorf("concurrent delivery: %v", err)
			}
		}()
	}
	wg.Wait()
	if b := audit(t, ta, ws.ID); b != want+500 {
		t.Fatalf("balance %d after concurrent deliveries, want %d", b, want+500)
	}
}

func TestWebhookUnpaidCheckoutCreditsNothing(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	mustDeliver(t, ta, p, stripeEvent("evt_unpaid", "checkout.session.completed", checkoutSession(ws.ID, "pi_slow", "unpaid", 1000)))
	if b := audit(t, ta, ws.ID); b != 0 {
		t.Fatalf("an unpaid checkout credited %d", b)
	}
	// The bank debit clears later.
	mustDeliver(t, ta, p, stripeEvent("evt_cleared", "checkout.session.async_payment_succeeded", checkoutSession(ws.ID, "pi_slow", "paid", 1000)))
	if b := audit(t, ta, ws.ID); b != 1000 {
		t.Fatalf("balance %d once paid, want 1000", b)
	}
}

func TestWebhookRefusesForgedAndStale(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	body := stripeEvent("evt_forged", "checkout.session.completed", checkoutSession(ws.ID, "pi_forged", "paid", 1000))
	cases := map[string]func() error{
		"wrong secret": func() error { return deliver(t, ta, p, body, "whsec_attacker", time.Now()) },
		"stale":        func() error { return deliver(t, ta, p, body, whsec, time.Now().Add(-6*time.Minute)) },
		"tampered body": func() error {
			sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: whsec})
			return p.HandleWebhook(ta.Ctx(), bytes.Replace(body, []byte(`"1000"`), []byte(`"9999"`), 1), sp.Header)
		},
		"no signature": func() error { return p.HandleWebhook(ta.Ctx(), body, "") },
	}
	for name, call := range cases {
		err := call()
		if !errors.Is(err, billing.ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
	if b := audit(t, ta, ws.ID); b != 0 {
		t.Fatalf("a refused webhook credited %d", b)
	}
	if eventRecorded(t, ta, "evt_forged") {
		t.Fatal("a refused event was recorded")
	}
	// Within the tolerance it is accepted.
	if err := deliver(t, ta, p, body, whsec, time.Now().Add(-4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if b := audit(t, ta, ws.ID); b != 1000 {
		t.Fatalf("balance %d, want 1000", b)
	}
}

func TestWebhookAcknowledgesWhatIsNotOurs(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	bodies := map[string][]byte{
		"evt_ghost":   stripeEvent("evt_ghost", "payment_intent.succeeded", paymentIntent("ws-that-does-not-exist", "pi_ghost", 100)),
		"evt_foreign": stripeEvent("evt_foreign", "payment_intent.succeeded", map[string]any{"id": "pi_x", "object": "payment_intent", "metadata": map[string]string{}}),
		"evt_other":   stripeEvent("evt_other", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}),
		"evt_nocred":  stripeEvent("evt_nocred", "payment_intent.succeeded", map[string]any{"id": "pi_y", "object": "payment_intent", "metadata": map[string]string{"workspace_id": ws.ID}}),
		"evt_foreign_refund": stripeEvent("evt_foreign_refund", "charge.refund.updated", map[string]any{"id": "re_x", "object": "refund", "amount": 100, "status": "failed",
			"charge": map[string]any{"id": "ch_x", "object": "charge", "amount": 100, "paid": true, "metadata": map[string]string{}}}),
		"evt_foreign_won": stripeEvent("evt_foreign_won", "charge.dispute.closed", map[string]any{"id": "dp_x", "object": "dispute", "amount": 100, "status": "won",
			"charge": map[string]any{"id": "ch_x", "object": "charge", "amount": 100, "paid": true, "metadata": map[string]string{}}}),
	}
	for id, body := range bodies {
		mustDeliver(t, ta, p, body)
		if !eventRecorded(t, ta, id) {
			t.Errorf("%s was not recorded", id)
		}
	}
	if b := audit(t, ta, ws.ID); b != 0 {
		t.Fatalf("balance %d, want 0", b)
	}
}

// ---------------------------------------------------------------- webhook: take-backs

// paid credits a top-up of credits paid by pi.
func paid(t *testing.T, ta *testapp.TestApp, p *billing.Payments, ws, pi string, credits int64) {
	t.Helper()
	mustDeliver(t, ta, p, stripeEvent("evt_pay_"+pi, "payment_intent.succeeded", paymentIntent(ws, pi, credits)))
}

func TestWebhookRefunds(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	paid(t, ta, p, ws.ID, "pi_r", 1000) // 1000 credits for 20.00

	// A quarter refunded: 250 credits back, however often the event comes.
	first := stripeEvent("evt_ref1", "charge.refunded", charge(ws.ID, "pi_r", 2000, 1000, refund("re_1", 500)))
	for range 3 {
		mustDeliver(t, ta, p, first)
	}
	if b := audit(t, ta, ws.ID); b != 750 {
		t.Fatalf("balance %d after a quarter refund, want 750", b)
	}
	// The next refund's event lists both refunds: only the new one counts. 333 of
	// 2000 is 166.5 credits, rounded to 167.
	mustDeliver(t, ta, p, stripeEvent("evt_ref2", "charge.refunded",
		charge(ws.ID, "pi_r", 2000, 1000, refund("re_1", 500), refund("re_2", 333))))
	if b := audit(t, ta, ws.ID); b != 583 {
		t.Fatalf("balance %d after the second refund, want 583", b)
	}
	var adj []billing.Entry
	for _, e := range entriesOf(t, ta, ws.ID) {
		if e.Kind == billing.Adjustment {
			adj = append(adj, e)
		}
	}
	if len(adj) != 2 || adj[0].IdempotencyKey != "stripe:refund:re_1" || adj[0].Amount != -250 ||
		adj[1].IdempotencyKey != "stripe:refund:re_2" || adj[1].Amount != -167 || adj[1].Reference != "evt_ref2" {
		t.Fatalf("adjustments %+v", adj)
	}
}

// TestWebhookSplitRefundsTakeThePack: a full refund made in parts takes back the
// pack's credits exactly, whatever the parts: each takes what the refunds through it
// take less what those before it took, not its own rounded share.
func TestWebhookSplitRefundsTakeThePack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		credits int64
		parts   []int64 // cents of a 1,000-cent payment, in refund order
	}{
		{"a tiny part, then the rest", 100, []int64{5, 995}},  // alone: 0.5 → 1, then 99.5 → 100
		{"three near-thirds", 10, []int64{333, 333, 334}},     // alone: 3 + 3 + 3
		{"three halves of a cent", 3, []int64{500, 250, 250}}, // alone: 2 + 1 + 1
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ta, p, ws := stripeApp(t, "")
			paid(t, ta, p, ws.ID, "pi_split", tc.credits)
			var refunds []map[string]any
			for i, cents := range tc.parts {
				refunds = append(refunds, refund(fmt.Sprintf("re_%d", i+1), cents))
				mustDeliver(t, ta, p, stripeEvent(fmt.Sprintf("evt_split_%d", i+1), "charge.refunded",
					charge(ws.ID, "pi_split", 1000, tc.credits, refunds...)))
			}
			if b := audit(t, ta, ws.ID); b != 0 {
				t.Fatalf("balance %d after a full refund in parts of a %d-credit pack, want 0", b, tc.credits)
			}
		})
	}
}

// TestWebhookRefundBeforePayment: Stripe does not promise order. A refund that
// arrives before any of its payment's events credits the payment first, so the late
// payment events replay and the refund still counts.
func TestWebhookRefundBeforePayment(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	if _, err := ta.App.Ledger.Move(ta.Ctx(), ws.ID, billing.Movement{Kind: billing.Grant, Amount: 50, Key: "other", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	mustDeliver(t, ta, p, stripeEvent("evt_early_refund", "charge.refunded", charge(ws.ID, "pi_late", 1000, 400, refund("re_early", 500))))
	if b := audit(t, ta, ws.ID); b != 250 {
		t.Fatalf("balance %d, want 50 + 400 - 200", b)
	}
	paid(t, ta, p, ws.ID, "pi_late", 400)
	mustDeliver(t, ta, p, stripeEvent("evt_late_cs", "checkout.session.completed", checkoutSession(ws.ID, "pi_late", "paid", 400)))
	if b := audit(t, ta, ws.ID); b != 250 {
		t.Fatalf("balance %d after the late payment events, want 250", b)
	}
}

func TestWebhookRefundAfterCreditsSpent(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	paid(t, ta, p, ws.ID, "pi_spent", 100)
	if _, err := ta.App.Ledger.Charge(ta.Ctx(), ws.ID, 90, "msg-1", "message:1"); err != nil {
		t.Fatal(err)
	}
	mustDeliver(t, ta, p, stripeEvent("evt_full_refund", "charge.refunded", charge(ws.ID, "pi_spent", 2000, 100, refund("re_all", 2000))))
	if b := audit(t, ta, ws.ID); b != 0 {
		t.Fatalf("balance %d after refunding spent credits, want 0", b)
	}
	es := entriesOf(t, ta, ws.ID)
	last := es[len(es)-1]
	if last.Kind != billing.Adjustment || last.Amount != -10 || last.BalanceAfter != 0 || !strings.Contains(last.Note, "only 10 of 100") {
		t.Fatalf("partial adjustment %+v", last)
	}
}

func TestWebhookDispute(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	paid(t, ta, p, ws.ID, "pi_d", 1000)
	dispute := map[string]any{"id": "dp_1", "object": "dispute", "amount": 2000, "currency": "usd", "reason": "fraudulent",
		"status": "needs_response", "payment_intent": "pi_d", "charge": charge(ws.ID, "pi_d", 2000, 1000)}
	for range 2 {
		mustDeliver(t, ta, p, stripeEvent("evt_dispute", "charge.dispute.created", dispute))
	}
	if b := audit(t, ta, ws.ID); b != 0 {
		t.Fatalf("balance %d after a full dispute, want 0", b)
	}
	es := entriesOf(t, ta, ws.ID)
	if last := es[len(es)-1]; last.Kind != billing.Adjustment || last.Amount != -1000 || last.IdempotencyKey != "stripe:dispute:dp_1" {
		t.Fatalf("dispute entry %+v", last)
	}
}

// TestWebhookFetchesWhatEventsLeaveOut: real webhooks name a dispute's or a refund's
// charge by id only, and the pinned API version leaves a charge's refunds out; billing
// asks Stripe (here a fake answering with this test's objects) for them.
func TestWebhookFetchesWhatEventsLeaveOut(t *testing.T) {
	t.Parallel()
	var ws string
	var mu sync.Mutex
	var asked []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/charges/ch_pi_f":
			_ = json.NewEncoder(w).Encode(charge(ws, "pi_f", 1000, 400))
		case r.Method == http.MethodGet && r.URL.Path == "/v1/refunds" && r.URL.Query().Get("charge") == "ch_pi_f":
			_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "url": "/v1/refunds", "has_more": false,
				"data": []any{refund("re_f1", 250), map[string]any{"id": "re_failed", "object": "refund", "amount": 750, "status": "failed"}}})
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"no such object"}}`))
		}
	}))
	t.Cleanup(fake.Close)
	ta, p, workspace := stripeApp(t, fake.URL)
	ws = workspace.ID
	paid(t, ta, p, ws, "pi_f", 400) // 400 credits for 10.00

	// charge.refunded without the refunds list: 250 of 1000 refunded → 100 credits.
	ch := charge(ws, "pi_f", 1000, 400)
	delete(ch, "refunds")
	ch["amount_refunded"] = int64(250)
	mustDeliver(t, ta, p, stripeEvent("evt_nolist", "charge.refunded", ch))
	if b := audit(t, ta, ws); b != 300 {
		t.Fatalf("balance %d after the listed refund, want 300", b)
	}
	// A dispute naming its charge by id: half of it disputed → 200 credits.
	mustDeliver(t, ta, p, stripeEvent("evt_dp_id", "charge.dispute.created", map[string]any{
		"id": "dp_f", "object": "dispute", "amount": 500, "currency": "usd", "charge": "ch_pi_f", "payment_intent": "pi_f"}))
	if b := audit(t, ta, ws); b != 100 {
		t.Fatalf("balance %d after the dispute, want 100", b)
	}
	// The refund's failure and the dispute's win name the charge by id too.
	mustDeliver(t, ta, p, stripeEvent("evt_re_failed_id", "charge.refund.updated", map[string]any{
		"id": "re_f1", "object": "refund", "amount": 250, "currency": "usd", "status": "failed", "charge": "ch_pi_f", "payment_intent": "pi_f"}))
	if b := audit(t, ta, ws); b != 200 {
		t.Fatalf("balance %d after the refund failed, want 200", b)
	}
	mustDeliver(t, ta, p, stripeEvent("evt_dp_won_id", "charge.dispute.closed", map[string]any{
		"id": "dp_f", "object": "dispute", "amount": 500, "currency": "usd", "status": "won", "charge": "ch_pi_f", "payment_intent": "pi_f"}))
	if b := audit(t, ta, ws); b != 400 {
		t.Fatalf("balance %d after the dispute was won, want 400", b)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 4 {
		t.Fatalf("asked Stripe %v", asked)
	}
}

func TestLowBalanceHookOnRefund(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	type call struct {
		ws      string
		balance int64
		cause   billing.Kind
	}
	var mu sync.Mutex
	var calls []call
	ta.App.Ledger.OnLowBalance = func(_ context.Context, ws string, balance int64, cause billing.Kind) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{ws, balance, cause})
	}
	paid(t, ta, p, ws.ID, "pi_low", 1000)
	if _, err := tenants.Scope(ta.App.DB, ws.ID).Update((*billing.Wallet)(nil)).Set("low_balance_threshold = 300").Exec(ta.Ctx()); err != nil {
		t.Fatal(err)
	}
	refundEvent := stripeEvent("evt_low", "charge.refunded", charge(ws.ID, "pi_low", 1000, 1000, refund("re_low", 800)))
	mustDeliver(t, ta, p, refundEvent)
	// A redelivery replays the adjustment and must not warn again.
	if _, err := ta.App.Ledger.Move(ta.Ctx(), ws.ID, billing.Movement{Kind: billing.Adjustment, Amount: -800, Key: "stripe:refund:re_low", AllowPartial: true}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Its cause is the adjustment: a refund taken back never starts an auto-recharge.
	if len(calls) != 1 || calls[0] != (call{ws.ID, 200, billing.Adjustment}) {
		t.Fatalf("low-balance calls %+v, want one at 200, caused by the adjustment", calls)
	}
	audit(t, ta, ws.ID)
}

// ---------------------------------------------------------------- webhook: give-backs

func dispute(ws, id, pi, status string, amount, chargeAmount, credits int64) map[string]any {
	return map[string]any{"id": id, "object": "dispute", "amount": amount, "currency": "usd", "reason": "fraudulent",
		"status": status, "payment_intent": pi, "charge": charge(ws, pi, chargeAmount, credits)}
}

// refundNow is the refund as charge.refund.updated, refund.updated and refund.failed
// carry it, with its charge expanded.
func refundNow(ws, pi, id, status string, amount, chargeAmount, credits int64) map[string]any {
	r := refund(id, amount)
	r["status"], r["payment_intent"], r["charge"] = status, pi, charge(ws, pi, chargeAmount, credits)
	return r
}

func withStatus(r map[string]any, status string) map[string]any {
	r["status"] = status
	return r
}

// entryByKey is the workspace's ledger entry with the key, if any.
func entryByKey(t *testing.T, ta *testapp.TestApp, ws, key string) (billing.Entry, bool) {
	t.Helper()
	for _, e := range entriesOf(t, ta, ws) {
		if e.IdempotencyKey == key {
			return e, true
		}
	}
	return billing.Entry{}, false
}

func grant(t *testing.T, ta *testapp.TestApp, ws, key string, credits int64) {
	t.Helper()
	if _, err := ta.App.Ledger.Move(ta.Ctx(), ws, billing.Movement{Kind: billing.Grant, Amount: credits, Key: key, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
}

// TestWebhookDisputeWonGivesBack: a dispute the merchant wins brings the money back,
// and with it the credits its opening took, once, whichever of charge.dispute.closed
// and charge.dispute.funds_reinstated come and however often.
func TestWebhookDisputeWonGivesBack(t *testing.T) {
	t.Parallel()
	for name, events := range map[string][]string{
		"won twice":                  {"charge.dispute.closed", "charge.dispute.closed"},
		"won, then funds reinstated": {"charge.dispute.closed", "charge.dispute.funds_reinstated"},
		"funds reinstated, then won": {"charge.dispute.funds_reinstated", "charge.dispute.closed"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ta, p, ws := stripeApp(t, "")
			grant(t, ta, ws.ID, "other", 50)
			paid(t, ta, p, ws.ID, "pi_won", 1000)
			mustDeliver(t, ta, p, stripeEvent("evt_dp_open", "charge.dispute.created", dispute(ws.ID, "dp_won", "pi_won", "needs_response", 2000, 2000, 1000)))
			if b := audit(t, ta, ws.ID); b != 50 {
				t.Fatalf("balance %d once disputed, want 50", b)
			}
			for i, typ := range events {
				body := stripeEvent(fmt.Sprintf("evt_dp_end_%d", i), typ, dispute(ws.ID, "dp_won", "pi_won", "won", 2000, 2000, 1000))
				mustDeliver(t, ta, p, body)
				mustDeliver(t, ta, p, body) // a redelivery
				if b := audit(t, ta, ws.ID); b != 1050 {
					t.Fatalf("balance %d after %s, want 1050", b, typ)
				}
			}
			e, ok := entryByKey(t, ta, ws.ID, "stripe:dispute-reinstated:dp_won")
			if !ok || e.Kind != billing.Adjustment || e.Amount != 1000 || e.Actor != "stripe" || e.Reference != "evt_dp_end_0" ||
				!strings.Contains(e.Note, "dp_won won") {
				t.Fatalf("give-back entry %+v (found %v)", e, ok)
			}
		})
	}
}

// TestWebhookDisputeNotWonKeepsCredits: a lost dispute keeps what its opening took,
// and funds Stripe reinstates on a dispute that is not won (the refunded part of a
// partially refunded payment) give nothing back either.
// TestWebhookFailedRefundReturnedBeforeTheNext: a full refund that failed, then a
// second full refund whose charge.refunded (listing the first as failed) arrives
// before the first's own failure event. The first's credits come back before the
// second takes its share, so the second is not cut short by the wallet the first
// emptied, and the late failure event gives nothing more: a fully refunded pack ends
// with nothing left of it.
func TestWebhookFailedRefundReturnedBeforeTheNext(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	paid(t, ta, p, ws.ID, "pi_twice", 1000)
	mustDeliver(t, ta, p, stripeEvent("evt_r1", "charge.refunded", charge(ws.ID, "pi_twice", 2000, 1000, refund("re_first", 2000))))
	if b := audit(t, ta, ws.ID); b != 0 {
		t.Fatalf("balance %d after the first full refund, want 0", b)
	}
	mustDeliver(t, ta, p, stripeEvent("evt_r2", "charge.refunded", charge(ws.ID, "pi_twice", 2000, 1000,
		withStatus(refund("re_first", 2000), "failed"), refund("re_second", 2000))))
	mustDeliver(t, ta, p, stripeEvent("evt_r1_failed", "refund.failed", refundNow(ws.ID, "pi_twice", "re_first", "failed", 2000, 2000, 1000)))
	if b := audit(t, ta, ws.ID); b != 0 {
		t.Fatalf("balance %d after a failed full refund made again, want 0", b)
	}
	if e, ok := entryByKey(t, ta, ws.ID, "stripe:refund:re_second"); !ok || e.Amount != -1000 {
		t.Fatalf("the second refund took %+v (%v), want the whole pack", e, ok)
	}
}

// TestWebhookInquiries: an inquiry withholds nothing, so it takes nothing, and one
// closed without a dispute gives nothing back; one that becomes a dispute
// (funds_withdrawn) takes the share then, once, however its events arrive.
func TestWebhookInquiries(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	paid(t, ta, p, ws.ID, "pi_inquiry", 1000)
	mustDeliver(t, ta, p, stripeEvent("evt_inquiry_open", "charge.dispute.created", dispute(ws.ID, "dp_inquiry", "pi_inquiry", "warning_needs_response", 2000, 2000, 1000)))
	if b := audit(t, ta, ws.ID); b != 1000 {
		t.Fatalf("balance %d once the inquiry opened, want 1000", b)
	}
	closed := stripeEvent("evt_inquiry_closed", "charge.dispute.closed", dispute(ws.ID, "dp_inquiry", "pi_inquiry", "warning_closed", 2000, 2000, 1000))
	mustDeliver(t, ta, p, closed)
	mustDeliver(t, ta, p, closed)
	if b := audit(t, ta, ws.ID); b != 1000 {
		t.Fatalf("balance %d after the inquiry closed, want 1000", b)
	}

	paid(t, ta, p, ws.ID, "pi_escalated", 1000)
	mustDeliver(t, ta, p, stripeEvent("evt_esc_open", "charge.dispute.created", dispute(ws.ID, "dp_esc", "pi_escalated", "warning_needs_response", 2000, 2000, 1000)))
	withdrawn := stripeEvent("evt_esc_withdrawn", "charge.dispute.funds_withdrawn", dispute(ws.ID, "dp_esc", "pi_escalated", "needs_response", 2000, 2000, 1000))
	mustDeliver(t, ta, p, withdrawn)
	mustDeliver(t, ta, p, stripeEvent("evt_esc_withdrawn_again", "charge.dispute.funds_withdrawn", dispute(ws.ID, "dp_esc", "pi_escalated", "needs_response", 2000, 2000, 1000)))
	if b := audit(t, ta, ws.ID); b != 1000 {
		t.Fatalf("balance %d once the inquiry became a dispute, want 1000 (the second pack taken back once)", b)
	}
}

func TestWebhookDisputeNotWonKeepsCredits(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	grant(t, ta, ws.ID, "other", 50)
	paid(t, ta, p, ws.ID, "pi_lost", 1000)
	mustDeliver(t, ta, p, stripeEvent("evt_lost_open", "charge.dispute.created", dispute(ws.ID, "dp_lost", "pi_lost", "needs_response", 1000, 2000, 1000)))
	if b := audit(t, ta, ws.ID); b != 550 {
		t.Fatalf("balance %d once half disputed, want 550", b)
	}
	mustDeliver(t, ta, p, stripeEvent("evt_lost_reinstated", "charge.dispute.funds_reinstated", dispute(ws.ID, "dp_lost", "pi_lost", "under_review", 1000, 2000, 1000)))
	mustDeliver(t, ta, p, stripeEvent("evt_lost_closed", "charge.dispute.closed", dispute(ws.ID, "dp_lost", "pi_lost", "lost", 1000, 2000, 1000)))
	if b := audit(t, ta, ws.ID); b != 550 {
		t.Fatalf("balance %d after a lost dispute, want 550", b)
	}
	for _, id := range []string{"evt_lost_reinstated", "evt_lost_closed"} {
		if !eventRecorded(t, ta, id) {
			t.Errorf("%s was not recorded", id)
		}
	}
	if _, ok := entryByKey(t, ta, ws.ID, "stripe:dispute-reinstated:dp_lost"); ok {
		t.Fatal("a lost dispute wrote a give-back")
	}
}

// TestWebhookDisputeWonGivesBackWhatWasTaken: the opening took only what was left of
// the spent credits; winning gives back that, not the disputed share.
func TestWebhookDisputeWonGivesBackWhatWasTaken(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	paid(t, ta, p, ws.ID, "pi_part", 1000)
	if _, err := ta.App.Ledger.Charge(ta.Ctx(), ws.ID, 900, "msg-1", "message:1"); err != nil {
		t.Fatal(err)
	}
	mustDeliver(t, ta, p, stripeEvent("evt_part_open", "charge.dispute.created", dispute(ws.ID, "dp_part", "pi_part", "needs_response", 2000, 2000, 1000)))
	if b := audit(t, ta, ws.ID); b != 0 {
		t.Fatalf("balance %d once disputed, want 0", b)
	}
	grant(t, ta, ws.ID, "later", 500) // the wallet fills up again before the win
	mustDeliver(t, ta, p, stripeEvent("evt_part_won", "charge.dispute.closed", dispute(ws.ID, "dp_part", "pi_part", "won", 2000, 2000, 1000)))
	if b := audit(t, ta, ws.ID); b != 600 {
		t.Fatalf("balance %d after the win, want 500 + the 100 taken", b)
	}
}

// TestWebhookDisputeWonBeforeItsOpening: a win whose opening took nothing (it has not
// been applied: Stripe does not promise order, and retries a failed delivery for
// days) gives nothing back, and the opening arriving afterwards takes nothing.
func TestWebhookDisputeWonBeforeItsOpening(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	paid(t, ta, p, ws.ID, "pi_early", 1000)
	mustDeliver(t, ta, p, stripeEvent("evt_early_won", "charge.dispute.closed", dispute(ws.ID, "dp_early", "pi_early", "won", 2000, 2000, 1000)))
	if b := audit(t, ta, ws.ID); b != 1000 {
		t.Fatalf("balance %d after a win with nothing taken, want 1000", b)
	}
	mustDeliver(t, ta, p, stripeEvent("evt_early_open", "charge.dispute.created", dispute(ws.ID, "dp_early", "pi_early", "needs_response", 2000, 2000, 1000)))
	if b := audit(t, ta, ws.ID); b != 1000 {
		t.Fatalf("balance %d after the late opening of a won dispute, want 1000", b)
	}
	if _, ok := entryByKey(t, ta, ws.ID, "stripe:dispute-reinstated:dp_early"); ok {
		t.Fatal("a win with nothing taken wrote a give-back")
	}
}

// TestWebhookFailedRefundGivesBack: a refund that fails or is canceled leaves the
// money with the merchant; the credits it took come back once, whichever of
// charge.refund.updated, refund.updated and refund.failed come and however often.
func TestWebhookFailedRefundGivesBack(t *testing.T) {
	t.Parallel()
	for _, status := range []string{"failed", "canceled"} {
		t.Run(status, func(t *testing.T) {
			t.Parallel()
			ta, p, ws := stripeApp(t, "")
			grant(t, ta, ws.ID, "other", 50)
			paid(t, ta, p, ws.ID, "pi_rf", 1000)
			mustDeliver(t, ta, p, stripeEvent("evt_rf_refund", "charge.refunded", charge(ws.ID, "pi_rf", 2000, 1000, refund("re_rf", 500))))
			if b := audit(t, ta, ws.ID); b != 800 {
				t.Fatalf("balance %d after a quarter refund, want 800", b)
			}
			// Still pending: nothing changes.
			mustDeliver(t, ta, p, stripeEvent("evt_rf_pending", "charge.refund.updated", refundNow(ws.ID, "pi_rf", "re_rf", "pending", 500, 2000, 1000)))
			if b := audit(t, ta, ws.ID); b != 800 {
				t.Fatalf("balance %d after a pending update, want 800", b)
			}
			for i, typ := range []string{"charge.refund.updated", "charge.refund.updated", "refund.updated", "refund.failed"} {
				body := stripeEvent(fmt.Sprintf("evt_rf_%d", i), typ, refundNow(ws.ID, "pi_rf", "re_rf", status, 500, 2000, 1000))
				mustDeliver(t, ta, p, body)
				mustDeliver(t, ta, p, body)
				if b := audit(t, ta, ws.ID); b != 1050 {
					t.Fatalf("balance %d after %s, want 1050", b, typ)
				}
			}
			e, ok := entryByKey(t, ta, ws.ID, "stripe:refund-failed:re_rf")
			if !ok || e.Kind != billing.Adjustment || e.Amount != 250 || e.Reference != "evt_rf_0" || !strings.Contains(e.Note, "re_rf "+status) {
				t.Fatalf("give-back entry %+v (found %v)", e, ok)
			}
			// A later charge.refunded lists the refund with its new status: still nothing more.
			mustDeliver(t, ta, p, stripeEvent("evt_rf_again", "charge.refunded", charge(ws.ID, "pi_rf", 2000, 1000, withStatus(refund("re_rf", 500), status))))
			if b := audit(t, ta, ws.ID); b != 1050 {
				t.Fatalf("balance %d after a charge.refunded listing the %s refund, want 1050", b, status)
			}
		})
	}
}

// TestWebhookRefundAfterAFailedOne: the charge's refunds after a failed one take
// their share as if it had never been made, so the refunds that stand take the
// pack's share of what they refund, however they follow the failure.
func TestWebhookRefundAfterAFailedOne(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		failed int64   // cents of a 2,000-cent payment for 1,000 credits, refunded then failed
		parts  []int64 // cents refunded after it
		want   []int64 // balance after each part, with 500 credits of a grant
	}{
		{"half failed, then three quarters and the rest", 1000, []int64{1500, 500}, []int64{750, 500}},
		{"a full refund failed, then made again", 2000, []int64{2000}, []int64{500}},
		{"a cent failed, then a cent", 1, []int64{1}, []int64{1499}}, // 0.5 → 1; counted, 1 - 1
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ta, p, ws := stripeApp(t, "")
			grant(t, ta, ws.ID, "other", 500)
			paid(t, ta, p, ws.ID, "pi_af", 1000)
			failed := refund("re_0", tc.failed)
			mustDeliver(t, ta, p, stripeEvent("evt_af_refund", "charge.refunded", charge(ws.ID, "pi_af", 2000, 1000, failed)))
			mustDeliver(t, ta, p, stripeEvent("evt_af_failed", "charge.refund.updated", refundNow(ws.ID, "pi_af", "re_0", "failed", tc.failed, 2000, 1000)))
			if b := audit(t, ta, ws.ID); b != 1500 {
				t.Fatalf("balance %d once the refund failed, want 1500", b)
			}
			refunds := []map[string]any{withStatus(failed, "failed")}
			for i, cents := range tc.parts {
				refunds = append(refunds, refund(fmt.Sprintf("re_%d", i+1), cents))
				ch := charge(ws.ID, "pi_af", 2000, 1000, refunds...)
				ch["amount_refunded"] = ch["amount_refunded"].(int64) - tc.failed // Stripe counts what stands
				mustDeliver(t, ta, p, stripeEvent(fmt.Sprintf("evt_af_%d", i+1), "charge.refunded", ch))
				if b := audit(t, ta, ws.ID); b != tc.want[i] {
					t.Fatalf("balance %d after refunding %d, want %d", b, cents, tc.want[i])
				}
			}
		})
	}
}

// TestWebhookRefundFailingBetweenOthers: a refund that fails after later ones took
// their shares (rounded with it counted) leaves the standing refunds taking, in all,
// the pack's share of what they refund: the difference is settled once, by whichever
// event sees the failure, and a partial take is not taken again.
func TestWebhookRefundFailingBetweenOthers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		a, b, c int64 // cents of a 1,000-cent payment for 10 credits; b fails
		want    int64 // the balance in the end, with 500 credits of a grant
		via     string
	}{
		// Taken 0 + 1 + 1; b's 1 comes back; a and c are 150 cents: 2 credits.
		{"one credit short", 10, 40, 140, 508, "charge.refund.updated"},
		// Taken 0 + 0 + 1; a and c are 40 cents: 0 credits.
		{"one credit over", 10, 10, 30, 510, "charge.refund.updated"},
		{"one credit short, seen in charge.refunded", 10, 40, 140, 508, "charge.refunded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ta, p, ws := stripeApp(t, "")
			grant(t, ta, ws.ID, "other", 500)
			paid(t, ta, p, ws.ID, "pi_bt", 10)
			a, b, c := refund("re_a", tc.a), refund("re_b", tc.b), refund("re_c", tc.c)
			for i, listed := range [][]map[string]any{{a}, {a, b}, {a, b, c}} {
				mustDeliver(t, ta, p, stripeEvent(fmt.Sprintf("evt_bt_%d", i), "charge.refunded", charge(ws.ID, "pi_bt", 1000, 10, listed...)))
			}
			ch := charge(ws.ID, "pi_bt", 1000, 10, a, withStatus(refund("re_b", tc.b), "failed"), c)
			ch["amount_refunded"] = tc.a + tc.c
			var failed []byte
			if tc.via == "charge.refunded" {
				failed = stripeEvent("evt_bt_failed", "charge.refunded", ch)
			} else {
				r := withStatus(refund("re_b", tc.b), "failed")
				r["payment_intent"], r["charge"] = "pi_bt", ch
				failed = stripeEvent("evt_bt_failed", tc.via, r)
			}
			for range 2 {
				mustDeliver(t, ta, p, failed)
				if b := audit(t, ta, ws.ID); b != tc.want {
					t.Fatalf("balance %d once the middle refund failed, want %d", b, tc.want)
				}
			}
			// Later events about the charge change nothing more: one listing it as it is
			// now, and one whose first delivery failed, with the list of its time.
			mustDeliver(t, ta, p, stripeEvent("evt_bt_again", "charge.refunded", ch))
			mustDeliver(t, ta, p, stripeEvent("evt_bt_stale", "charge.refunded", charge(ws.ID, "pi_bt", 1000, 10, a, b)))
			if b := audit(t, ta, ws.ID); b != tc.want {
				t.Fatalf("balance %d after later charge.refunded events, want %d", b, tc.want)
			}
			settled, ok := entryByKey(t, ta, ws.ID, "stripe:refund-rounding:re_b")
			if !ok || settled.Kind != billing.Adjustment || settled.Amount == 0 {
				t.Errorf("rounding settlement %+v (found %v), want one that moved a credit", settled, ok)
			}
		})
	}
}

// TestWebhookRefundAfterSpentCreditsIsNotRetaken: a refund that found the credits
// spent took what was left; a later settlement of the charge's rounding counts it at
// what it asked for and does not take the rest from credits bought since.
func TestWebhookRefundAfterSpentCreditsIsNotRetaken(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	paid(t, ta, p, ws.ID, "pi_sp", 10)
	if _, err := ta.App.Ledger.Charge(ta.Ctx(), ws.ID, 9, "spent", "messages"); err != nil {
		t.Fatal(err)
	}
	a, b, c := refund("re_a", 400), refund("re_b", 200), refund("re_c", 200)
	for i, listed := range [][]map[string]any{{a}, {a, b}, {a, b, c}} {
		mustDeliver(t, ta, p, stripeEvent(fmt.Sprintf("evt_sp_%d", i), "charge.refunded", charge(ws.ID, "pi_sp", 1000, 10, listed...)))
	}
	// a asked 4 and took the 1 left; b and c asked 2 each, with nothing left.
	if b := audit(t, ta, ws.ID); b != 0 {
		t.Fatalf("balance %d after the refunds, want 0", b)
	}
	grant(t, ta, ws.ID, "bought since", 100)
	ch := charge(ws.ID, "pi_sp", 1000, 10, a, withStatus(refund("re_b", 200), "failed"), c)
	ch["amount_refunded"] = int64(600)
	mustDeliver(t, ta, p, stripeEvent("evt_sp_failed", "charge.refunded", ch))
	// b took nothing, so nothing comes back; a and c asked 6, the share of 600 cents:
	// nothing to settle, and the 5 credits they could not take stay.
	if b := audit(t, ta, ws.ID); b != 100 {
		t.Fatalf("balance %d, want the 100 bought since", b)
	}
}

// TestWebhookRefundFailedBeforeItsTakeBack: a refund whose failure arrives before the
// charge.refunded that takes its share (Stripe does not promise order, and that event
// still lists it pending) gives nothing back and takes nothing.
func TestWebhookRefundFailedBeforeItsTakeBack(t *testing.T) {
	t.Parallel()
	ta, p, ws := stripeApp(t, "")
	paid(t, ta, p, ws.ID, "pi_fe", 1000)
	mustDeliver(t, ta, p, stripeEvent("evt_fe_failed", "charge.refund.updated", refundNow(ws.ID, "pi_fe", "re_fe", "failed", 1000, 2000, 1000)))
	if b := audit(t, ta, ws.ID); b != 1000 {
		t.Fatalf("balance %d after a failure with nothing taken, want 1000", b)
	}
	mustDeliver(t, ta, p, stripeEvent("evt_fe_refund", "charge.refunded", charge(ws.ID, "pi_fe", 2000, 1000, withStatus(refund("re_fe", 1000), "pending"))))
	if b := audit(t, ta, ws.ID); b != 1000 {
		t.Fatalf("balance %d after the late charge.refunded of a failed refund, want 1000", b)
	}
	if _, ok := entryByKey(t, ta, ws.ID, "stripe:refund-failed:re_fe"); ok {
		t.Fatal("a failure with nothing taken wrote a give-back")
	}
}
