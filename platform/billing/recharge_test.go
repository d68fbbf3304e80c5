package billing_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/tenants"
)

// rechargeTasks lists the workspace's auto-recharge tasks waiting in the queue.
func rechargeTasks(t *testing.T, insp *asynq.Inspector, ws string) []*asynq.TaskInfo {
	t.Helper()
	all, err := insp.ListPendingTasks(jobs.QueueMaintenance, asynq.PageSize(1000))
	if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		t.Fatal(err)
	}
	var out []*asynq.TaskInfo
	for _, ti := range all {
		var pl billing.AutoRechargePayload
		if ti.Type == billing.TypeAutoRecharge && json.Unmarshal(ti.Payload, &pl) == nil && pl.WorkspaceID == ws {
			out = append(out, ti)
		}
	}
	return out
}

func fieldOf(err error, field string) string {
	var fe *failure.Error
	if !errors.As(err, &fe) {
		return ""
	}
	return fe.Fields[field]
}

// TestAutoRecharge: a card is saved by a top-up bought with save_card; auto-recharge
// then queues one payment a low spell, pays off-session with that card under the
// spell's idempotency key, and pauses with the reason when the card is not charged,
// until it is turned on again. Credits come once, by the payment's key.
func TestAutoRecharge(t *testing.T) {
	t.Parallel()
	rec, proxy := recordingProxy(t, stripeMock(t))
	ta, p, ws := stripeApp(t, proxy)
	ctx, sc := ta.Ctx(), tenants.Scope(ta.App.DB, ws.ID)
	insp := asynq.NewInspector(ta.App.Queue.Conn)
	defer insp.Close()
	if _, err := billing.SavePack(ctx, ta.App.DB, "refill", billing.PackInput{Name: "Refill", Credits: 500, PriceCents: 1000, Currency: "usd"}); err != nil {
		t.Fatal(err)
	}
	wallet := func() billing.Wallet {
		t.Helper()
		w, err := billing.WalletOf(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	charges := 0
	spend := func(n int64) {
		t.Helper()
		charges++
		if _, err := ta.App.Ledger.Charge(ctx, ws.ID, n, fmt.Sprint("send-", charges), ""); err != nil {
			t.Fatal(err)
		}
	}

	// No card yet: refused by field, nothing stored.
	if _, err := p.SetAutoRecharge(ctx, ws.ID, "refill"); fieldOf(err, "auto_recharge_pack") == "" {
		t.Fatalf("auto-recharge without a saved card: %v, want a field error", err)
	}
	// A top-up bought with save_card: credited, and its card saved (the label is
	// fetched, the event names the card by id only).
	saved := paymentIntent(ws.ID, "pi_saved", 100)
	saved["setup_future_usage"], saved["payment_method"], saved["created"] = "off_session", "pm_card_saved", time.Now().Unix()
	mustDeliver(t, ta, p, stripeEvent("evt_saved", "payment_intent.succeeded", saved))
	if w := wallet(); w.StripePaymentMethodID != "pm_card_saved" || w.CardLabel != "visa •••• 4242" || w.Balance != 100 {
		t.Fatalf("after a top-up that saves the card: %+v", w)
	}
	// A late event of an older payment that saved another card leaves the newer one.
	older := paymentIntent(ws.ID, "pi_older", 100)
	older["setup_future_usage"], older["payment_method"], older["created"] = "off_session", "pm_card_older", time.Now().Add(-time.Hour).Unix()
	mustDeliver(t, ta, p, stripeEvent("evt_older", "payment_intent.succeeded", older))
	if w := wallet(); w.StripePaymentMethodID != "pm_card_saved" || w.Balance != 200 {
		t.Fatalf("after an older payment's late event: card %q, balance %d; want the newer card kept, 200", w.StripePaymentMethodID, w.Balance)
	}
	spend(100) // back to 100
	// Still refused without a threshold (nothing would start it), or with a pack
	// not on sale.
	if _, err := p.SetAutoRecharge(ctx, ws.ID, "refill"); fieldOf(err, "low_balance_threshold") == "" {
		t.Fatalf("auto-recharge without a threshold: %v, want a field error", err)
	}
	if _, err := ta.App.Ledger.SetLowBalanceThreshold(ctx, ws.ID, 50); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SetAutoRecharge(ctx, ws.ID, "gold"); fieldOf(err, "auto_recharge_pack") == "" {
		t.Fatalf("auto-recharge with a pack not on sale: %v, want a field error", err)
	}
	if w, err := p.SetAutoRecharge(ctx, ws.ID, "refill"); err != nil || w.AutoRechargePack != "refill" {
		t.Fatalf("turn auto-recharge on: %+v (%v)", w, err)
	}
	if got := rechargeTasks(t, insp, ws.ID); len(got) != 0 {
		t.Fatalf("%d payments queued while the balance is above the threshold", len(got))
	}

	// Falling to the threshold queues one payment; hovering there queues no other.
	spend(50) // 100 → 50
	spend(1)
	mustDeliver(t, ta, p, stripeEvent("evt_small_grant", "payment_intent.succeeded", paymentIntent(ws.ID, "pi_small", 2)))
	spend(2)
	tasks := rechargeTasks(t, insp, ws.ID)
	if len(tasks) != 1 {
		t.Fatalf("%d payments queued for one low spell, want 1", len(tasks))
	}
	// The payment: off-session with the saved card, keyed by the spell. stripe-mock
	// answers requires_payment_method (not charged): auto-recharge pauses, no credit.
	task := asynq.NewTask(tasks[0].Type, tasks[0].Payload)
	if err := p.HandleAutoRechargeTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	pi := rec.last(http.MethodPost, "/v1/payment_intents")
	want := map[string]string{"amount": "1000", "currency": "usd", "customer": wallet().StripeCustomerID, "payment_method": "pm_card_saved",
		"off_session": "true", "confirm": "true", "metadata[workspace_id]": ws.ID, "metadata[pack]": "refill",
		"metadata[credits]": "500", "metadata[auto_recharge]": "true"}
	for k, v := range want {
		if got := pi.Form.Get(k); got != v {
			t.Errorf("payment intent %s = %q, want %q", k, got, v)
		}
	}
	if pi.IdempotencyKey != tasks[0].ID || !strings.HasPrefix(pi.IdempotencyKey, "auto-recharge:"+ws.ID+":") {
		t.Errorf("payment idempotency key %q, want the task's id %q", pi.IdempotencyKey, tasks[0].ID)
	}
	w := wallet()
	if !strings.Contains(w.AutoRechargeError, "not charged") || w.Balance != 49 {
		t.Fatalf("after a payment that was not charged: paused %q, balance %d; want paused and 49", w.AutoRechargeError, w.Balance)
	}
	// Paused: the task again (a redelivery) makes no second payment.
	before := rec.count(http.MethodPost, "/v1/payment_intents")
	if err := p.HandleAutoRechargeTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if n := rec.count(http.MethodPost, "/v1/payment_intents"); n != before {
		t.Fatalf("a paused auto-recharge paid again (%d payments, was %d)", n, before)
	}

	// Turned on again while low: a payment is queued at once.
	if _, err := p.SetAutoRecharge(ctx, ws.ID, "refill"); err != nil {
		t.Fatal(err)
	}
	if w := wallet(); w.AutoRechargeError != "" {
		t.Fatalf("turning auto-recharge on again left it paused: %q", w.AutoRechargeError)
	}
	// A new spell, so a payment of its own: not the first spell's, whose key Stripe
	// answered already.
	resumed := rechargeTasks(t, insp, ws.ID)
	if len(resumed) != 2 || resumed[0].ID == resumed[1].ID {
		t.Fatalf("payments queued after resuming while low: %d, want the first spell's and a new one", len(resumed))
	}
	// Stripe's webhook says an auto-recharge payment succeeded: credited once.
	paidAuto := paymentIntent(ws.ID, "pi_auto", 500)
	paidAuto["metadata"].(map[string]string)["auto_recharge"] = "true"
	mustDeliver(t, ta, p, stripeEvent("evt_auto_paid", "payment_intent.succeeded", paidAuto))
	mustDeliver(t, ta, p, stripeEvent("evt_auto_paid_again", "payment_intent.succeeded", paidAuto))
	if w := wallet(); w.Balance != 549 || w.LowBalanceAlertedAt != nil {
		t.Fatalf("after the auto-recharge was paid: balance %d, alerted %v; want 549 and armed again", w.Balance, w.LowBalanceAlertedAt)
	}
	if e, ok := entryByKey(t, ta, ws.ID, billing.PaymentKey("pi_auto")); !ok || e.Note != "auto-recharge pack starter" {
		t.Fatalf("auto-recharge entry %+v (%v)", e, ok)
	}
	// Not low any more: the queued task makes no payment.
	before = rec.count(http.MethodPost, "/v1/payment_intents")
	if err := p.HandleAutoRechargeTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if n := rec.count(http.MethodPost, "/v1/payment_intents"); n != before {
		t.Fatal("a task for a spell that ended paid anyway")
	}
	// A later failure reported by webhook pauses it with the bank's reason; a
	// Checkout payment's failure does not.
	failed := paymentIntent(ws.ID, "pi_checkout_failed", 500)
	failed["status"] = "requires_payment_method"
	mustDeliver(t, ta, p, stripeEvent("evt_checkout_failed", "payment_intent.payment_failed", failed))
	if w := wallet(); w.AutoRechargeError != "" {
		t.Fatalf("a Checkout payment's failure paused auto-recharge: %q", w.AutoRechargeError)
	}
	// A failure reported for a spell that is over (paid since) pauses nothing.
	stale := paymentIntent(ws.ID, "pi_auto_stale", 500)
	stale["status"] = "requires_payment_method"
	stale["metadata"].(map[string]string)["auto_recharge"] = "true"
	stale["metadata"].(map[string]string)["spell"] = "1733500000000000"
	mustDeliver(t, ta, p, stripeEvent("evt_auto_stale", "payment_intent.payment_failed", stale))
	if w := wallet(); w.AutoRechargeError != "" {
		t.Fatalf("a past spell's failure paused auto-recharge: %q", w.AutoRechargeError)
	}
	failedAuto := paymentIntent(ws.ID, "pi_auto_failed", 500)
	failedAuto["status"], failedAuto["last_payment_error"] = "requires_payment_method", map[string]any{"type": "card_error", "message": "Your card was declined."}
	failedAuto["metadata"].(map[string]string)["auto_recharge"] = "true"
	mustDeliver(t, ta, p, stripeEvent("evt_auto_failed", "payment_intent.payment_failed", failedAuto))
	if w := wallet(); w.AutoRechargeError != "the card was not charged: Your card was declined." {
		t.Fatalf("after an auto-recharge failed by webhook: paused %q", w.AutoRechargeError)
	}
	// Resumed; sends take the wallet low again; the pack bought is too small to lift
	// it clear, so the next spell starts at once and pays again.
	autoMeta := func(pi string, credits int64) map[string]any {
		m := paymentIntent(ws.ID, pi, credits)
		m["metadata"].(map[string]string)["auto_recharge"] = "true"
		return m
	}
	if _, err := p.SetAutoRecharge(ctx, ws.ID, "refill"); err != nil {
		t.Fatal(err)
	}
	spend(549) // 549 → 0
	queued := len(rechargeTasks(t, insp, ws.ID))
	mustDeliver(t, ta, p, stripeEvent("evt_auto_small", "payment_intent.succeeded", autoMeta("pi_auto_small", 3)))
	if got := len(rechargeTasks(t, insp, ws.ID)); got != queued+1 {
		t.Fatalf("payments queued after a pack that left the wallet low: %d, want %d", got, queued+1)
	}
	// Credits Stripe takes back (a refund's, a dispute's) start no payment.
	if err := p.LowBalance(ctx, ws.ID, billing.Adjustment); err != nil {
		t.Fatal(err)
	}
	if got := len(rechargeTasks(t, insp, ws.ID)); got != queued+1 {
		t.Fatalf("a low spell begun by an adjustment queued a payment (%d queued)", got)
	}
	// A disputed payment pauses it: charging the card again would add to the dispute.
	mustDeliver(t, ta, p, stripeEvent("evt_auto_disputed", "charge.dispute.created", dispute(ws.ID, "dp_auto", "pi_auto", "needs_response", 2000, 2000, 500)))
	if w := wallet(); !strings.Contains(w.AutoRechargeError, "dp_auto") {
		t.Fatalf("after a dispute: paused %q, want the dispute named", w.AutoRechargeError)
	}
	// At most maxAutoRechargesPerDay packs in 24 hours: two bought so far, eight more.
	for i := range 8 {
		if _, err := ta.App.Ledger.Move(ctx, ws.ID, billing.Movement{Kind: billing.TopUp, Amount: 1, Key: fmt.Sprint("stripe:payment:pi_day_", i),
			Actor: "stripe", Note: "auto-recharge pack refill"}); err != nil {
			t.Fatal(err)
		}
	}
	spend(wallet().Balance)
	if _, err := p.SetAutoRecharge(ctx, ws.ID, "refill"); err != nil {
		t.Fatal(err)
	}
	before = rec.count(http.MethodPost, "/v1/payment_intents")
	last := rechargeTasks(t, insp, ws.ID)
	if err := p.HandleAutoRechargeTask(ctx, asynq.NewTask(last[len(last)-1].Type, last[len(last)-1].Payload)); err != nil {
		t.Fatal(err)
	}
	if w := wallet(); !strings.Contains(w.AutoRechargeError, "bought 10 packs in the last 24 hours") || rec.count(http.MethodPost, "/v1/payment_intents") != before {
		t.Fatalf("the eleventh pack in a day: paused %q, %d payments made (was %d); want paused, none made", w.AutoRechargeError,
			rec.count(http.MethodPost, "/v1/payment_intents"), before)
	}
	// Off: no pack, nothing checked.
	if w, err := p.SetAutoRecharge(ctx, ws.ID, ""); err != nil || w.AutoRechargePack != "" {
		t.Fatalf("turn auto-recharge off: %+v (%v)", w, err)
	}
	audit(t, ta, ws.ID)
}
