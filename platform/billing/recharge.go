package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stripe/stripe-go/v76"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// Auto-recharge buys a workspace's chosen pack with its saved card, off-session, when
// sends take its wallet to the low-balance threshold: one payment a low spell (the
// alert's), so a declined card is not charged again and again. A card is saved by a
// top-up bought with save_card (Checkout's setup_future_usage=off_session); the
// credits arrive as a top-up's do, keyed by the PaymentIntent, whether the
// synchronous answer or Stripe's webhook says first that it was paid. A paid
// auto-recharge ends its spell, and one that left the wallet still low starts the
// next, up to maxAutoRechargesPerDay. A failure, or a disputed payment, pauses
// auto-recharge with its reason until an admin turns it on again or saves another
// card, which, if the wallet is low, starts a new spell and pays at once. Credits
// that Stripe takes back (a refund, a dispute) never start one: buying again what
// was just refunded would undo the refund.

// TypeAutoRecharge is the task that makes one auto-recharge payment.
const TypeAutoRecharge = "billing:auto_recharge"

// mdAutoRecharge marks a PaymentIntent made by auto-recharge (its failure events
// pause auto-recharge; a Checkout payment's do not).
const mdAutoRecharge = "auto_recharge"

// mdSpell names, on an auto-recharge's PaymentIntent, the low spell it was made for
// (spellMark): a failure reported late, for a spell that is over, pauses nothing.
const mdSpell = "spell"

// spellMark is how a spell is named in metadata: its start to the microsecond, the
// precision the database keeps.
func spellMark(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// autoRechargeNote begins the ledger note of a pack auto-recharge bought (the daily
// bound counts them).
const autoRechargeNote = "auto-recharge pack "

// maxAutoRechargesPerDay bounds the packs auto-recharge buys in 24 hours, so a pack
// far smaller than what the workspace spends (or a threshold set far above it) cannot
// drain the card one pack at a time: past it auto-recharge pauses and says why.
const maxAutoRechargesPerDay = 10

// autoRechargeRetries bounds the retries of a payment that Stripe could not answer
// (network, 5xx, rate limit). The idempotency key makes each retry the same payment.
const autoRechargeRetries = 5

// Enqueuer puts a task on the queues (an *asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// AutoRechargePayload names the wallet and the low spell a payment is for.
type AutoRechargePayload struct {
	WorkspaceID string    `json:"workspace_id"`
	Spell       time.Time `json:"spell"` // the spell's low_balance_alerted_at
}

// key is the payment's task id and Stripe idempotency key: one payment a spell.
func (pl AutoRechargePayload) key() string {
	return fmt.Sprintf("auto-recharge:%s:%d", pl.WorkspaceID, pl.Spell.UnixNano())
}

// SetAutoRecharge chooses the pack auto-recharge buys ("" turns it off). Turning it
// on needs Stripe, a pack on sale, a saved card and a low-balance threshold (what
// starts it), and clears a pause. A wallet already at or below its threshold is
// recharged at once.
func (p *Payments) SetAutoRecharge(ctx context.Context, workspaceID, packCode string) (Wallet, error) {
	sc := tenants.Scope(p.db, workspaceID)
	if err := EnsureWallet(ctx, p.db, workspaceID); err != nil {
		return Wallet{}, err
	}
	w, err := WalletOf(ctx, sc)
	if err != nil {
		return Wallet{}, err
	}
	if err := p.CheckAutoRecharge(ctx, w, packCode, w.LowBalanceThreshold); err != nil {
		return Wallet{}, err
	}
	if _, err := sc.Update((*Wallet)(nil)).Set("auto_recharge_pack = ?", packCode).Set("auto_recharge_error = ''").
		Set("updated_at = ?", time.Now().UTC()).Exec(ctx); err != nil {
		return Wallet{}, fmt.Errorf("billing: set auto-recharge: %w", err)
	}
	if packCode != "" {
		// Low already: its alert (which starts a payment) went out before, or its
		// payment failed; a new spell pays now.
		p.startSpell(ctx, workspaceID)
	}
	return WalletOf(ctx, sc)
}

// startSpell begins a new low spell for a wallet that is at or below its threshold
// and pays its auto-recharge, if it has one: turned on or resumed while low, a card
// saved while low, or a paid pack that left it low. The payment is queued best effort:
// a queue that is down is logged, and the next spell tries again.
func (p *Payments) startSpell(ctx context.Context, workspaceID string) {
	now := time.Now().UTC().Truncate(time.Microsecond) // as the database keeps it
	var ws []Wallet
	err := tenants.Scope(p.db, workspaceID).Update((*Wallet)(nil)).Set("low_balance_alerted_at = ?", now).
		Where("low_balance_threshold > 0 AND balance <= low_balance_threshold").Returning("*").Scan(ctx, &ws)
	if err != nil && !storage.IsNotFound(err) {
		p.log.Error("auto-recharge: new low spell not started", "workspace_id", workspaceID, "error", err)
		return
	}
	if len(ws) == 0 || !ws[0].autoRecharges() || p.api == nil {
		return // not low, or nothing to pay
	}
	if err := p.enqueueRecharge(ctx, AutoRechargePayload{WorkspaceID: workspaceID, Spell: now}); err != nil {
		p.log.Error("auto-recharge not queued", "workspace_id", workspaceID, "error", err)
	}
}

// CheckAutoRecharge says whether w may auto-recharge with packCode at threshold ("":
// turning it off always may): it needs Stripe, a pack on sale, a saved card and a
// threshold above 0.
func (p *Payments) CheckAutoRecharge(ctx context.Context, w Wallet, packCode string, threshold int64) error {
	if packCode == "" {
		return nil
	}
	if p.api == nil {
		return ErrNotConfigured
	}
	if _, err := PackByCode(ctx, p.db, packCode, true); errors.Is(err, ErrPackNotFound) {
		return failure.Field("auto_recharge_pack", "is not a top-up pack on sale")
	} else if err != nil {
		return err
	}
	f := failure.Fields{}
	f.Check(w.StripePaymentMethodID == "", "auto_recharge_pack", "needs a saved card: buy a pack once with save_card")
	f.Check(threshold <= 0, "low_balance_threshold", "must be above 0 for auto-recharge, which buys when the balance falls to it")
	return f.Err()
}

// LowBalance starts the wallet's auto-recharge, if it has one, for the low spell
// that just began (call it from Ledger.OnLowBalance with its cause). A paused or
// unconfigured auto-recharge does nothing, and so does a spell that an adjustment
// began (Stripe taking back a refund's or a dispute's credits, an operator's
// correction): buying again what was just taken back would undo it.
func (p *Payments) LowBalance(ctx context.Context, workspaceID string, cause Kind) error {
	if cause == Adjustment {
		return nil
	}
	w, err := WalletOf(ctx, tenants.Scope(p.db, workspaceID))
	if err != nil {
		return err
	}
	if !w.autoRecharges() || p.api == nil {
		return nil
	}
	spell := time.Now().UTC()
	if w.LowBalanceAlertedAt != nil {
		spell = *w.LowBalanceAlertedAt
	}
	return p.enqueueRecharge(ctx, AutoRechargePayload{WorkspaceID: workspaceID, Spell: spell})
}

func (w Wallet) autoRecharges() bool {
	return w.AutoRechargePack != "" && w.StripePaymentMethodID != "" && w.AutoRechargeError == ""
}

func (p *Payments) enqueueRecharge(ctx context.Context, pl AutoRechargePayload) error {
	if p.Tasks == nil {
		return errors.New("billing: auto-recharge needs a task queue")
	}
	payload, err := json.Marshal(pl)
	if err != nil {
		return err
	}
	_, err = p.Tasks.EnqueueContext(ctx, asynq.NewTask(TypeAutoRecharge, payload), asynq.TaskID(pl.key()),
		asynq.Queue(jobs.QueueMaintenance), asynq.MaxRetry(autoRechargeRetries), asynq.Retention(24*time.Hour))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil // this spell's payment is queued or made already
	}
	if err != nil {
		return fmt.Errorf("billing: queue auto-recharge: %w", err)
	}
	return nil
}

// HandleAutoRechargeTask makes the payment of one low spell: the pack's price from
// the saved card, off-session. It does nothing when auto-recharge was turned off or
// paused since, or when the balance is no longer low (someone topped up).
func (p *Payments) HandleAutoRechargeTask(ctx context.Context, t *asynq.Task) error {
	var pl AutoRechargePayload
	if err := json.Unmarshal(t.Payload(), &pl); err != nil || pl.WorkspaceID == "" {
		return jobs.SkipRetry(fmt.Errorf("billing: bad auto-recharge payload: %v", err))
	}
	if p.api == nil {
		return jobs.SkipRetry(ErrNotConfigured)
	}
	sc := tenants.Scope(p.db, pl.WorkspaceID)
	w, err := WalletOf(ctx, sc)
	if err != nil {
		return err
	}
	log := p.log.With("workspace_id", pl.WorkspaceID, "pack", w.AutoRechargePack)
	if !w.autoRecharges() || w.LowBalanceThreshold <= 0 || w.Balance > w.LowBalanceThreshold {
		log.Info("auto-recharge not needed", "balance", w.Balance, "threshold", w.LowBalanceThreshold)
		return nil
	}
	recent, err := tenants.Scope(p.db, pl.WorkspaceID).Select((*Entry)(nil)).
		Where("le.kind = ? AND le.actor = ? AND le.note LIKE ? AND le.created_at > ?", TopUp, "stripe", autoRechargeNote+"%",
			time.Now().UTC().Add(-24*time.Hour)).Count(ctx)
	if err != nil {
		return err
	}
	if recent >= maxAutoRechargesPerDay {
		return p.pauseAutoRecharge(ctx, pl.WorkspaceID, fmt.Sprintf(
			"it bought %d packs in the last 24 hours, which is as many as it buys in a day; choose a larger pack, then turn it on again", recent))
	}
	pack, err := PackByCode(ctx, p.db, w.AutoRechargePack, true)
	if errors.Is(err, ErrPackNotFound) {
		return p.pauseAutoRecharge(ctx, pl.WorkspaceID, "the auto-recharge pack is no longer on sale; choose another")
	}
	if err != nil {
		return err
	}
	md := map[string]string{mdWorkspace: pl.WorkspaceID, mdPack: pack.Code,
		mdCredits: strconv.FormatInt(pack.Credits, 10), mdAutoRecharge: "true", mdSpell: spellMark(pl.Spell)}
	params := &stripe.PaymentIntentParams{
		Amount:        stripe.Int64(pack.PriceCents),
		Currency:      stripe.String(pack.Currency),
		Customer:      stripe.String(w.StripeCustomerID),
		PaymentMethod: stripe.String(w.StripePaymentMethodID),
		OffSession:    stripe.Bool(true),
		Confirm:       stripe.Bool(true),
		Description:   stripe.String(fmt.Sprintf("Auto-recharge: %s (%d message credits)", pack.Name, pack.Credits)),
		Metadata:      md,
	}
	params.Context = ctx
	params.SetIdempotencyKey(pl.key())
	pi, err := p.api.PaymentIntents.New(params)
	var se *stripe.Error
	switch {
	case errors.As(err, &se) && se.Type == stripe.ErrorTypeIdempotency:
		// An earlier try of this payment was made with other terms (the pack's price
		// changed in between): its outcome stands, and its webhook tells it.
		log.Warn("auto-recharge payment already made with other terms; its webhook settles it", "error", err)
		return nil
	case errors.As(err, &se) && (se.HTTPStatusCode == 402 || se.HTTPStatusCode == 400):
		// Declined, the holder must authenticate, or the card is gone: asking again
		// changes nothing until someone acts.
		reason := se.Msg
		if reason == "" {
			reason = string(se.Code)
		}
		return p.pauseAutoRecharge(ctx, pl.WorkspaceID, "the card was not charged: "+reason)
	case err != nil:
		log.Warn("auto-recharge payment not answered; retrying", "error", err)
		return err // network, 5xx, rate limit: the key makes the retry the same payment
	}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		_, err := p.credit(ctx, pi.ID, "auto-recharge", pi.ID, md)
		return err
	case stripe.PaymentIntentStatusProcessing:
		log.Info("auto-recharge payment processing; the webhook credits it", "payment_intent", pi.ID)
		return nil
	case stripe.PaymentIntentStatusRequiresAction:
		return p.pauseAutoRecharge(ctx, pl.WorkspaceID, "the card holder must authenticate this payment; buy a pack to go on")
	}
	return p.pauseAutoRecharge(ctx, pl.WorkspaceID, fmt.Sprintf("the card was not charged (the payment is %s)", pi.Status))
}

// paymentFailed pauses auto-recharge when its payment failed after the synchronous
// answer (Stripe retries some methods, or the bank declined later). A Checkout
// payment's failure is the buyer's to see on the page, and changes nothing here.
func (p *Payments) paymentFailed(ctx context.Context, ev stripe.Event, pi *stripe.PaymentIntent) (string, error) {
	workspaceID := pi.Metadata[mdWorkspace]
	if workspaceID == "" || pi.Metadata[mdAutoRecharge] == "" {
		return workspaceID, nil
	}
	if ok, err := p.workspaceExists(ctx, workspaceID); err != nil || !ok {
		return "", err
	}
	if spell := pi.Metadata[mdSpell]; spell != "" {
		w, err := WalletOf(ctx, tenants.Scope(p.db, workspaceID))
		if err != nil {
			return "", err
		}
		if w.LowBalanceAlertedAt == nil || spellMark(*w.LowBalanceAlertedAt) != spell {
			// A spell that ended (paid since, or resumed as a new one): its
			// failure is old news.
			p.log.Info("stripe auto-recharge failure of a past spell; nothing paused", "event_id", ev.ID, "workspace_id", workspaceID, "payment_intent", pi.ID)
			return workspaceID, nil
		}
	}
	reason := "the card was not charged"
	if e := pi.LastPaymentError; e != nil && e.Msg != "" {
		reason += ": " + e.Msg
	}
	p.log.Info("stripe auto-recharge payment failed", "event_id", ev.ID, "workspace_id", workspaceID, "payment_intent", pi.ID)
	// Paused once: the synchronous answer may have paused it already.
	return workspaceID, p.pauseAutoRecharge(ctx, workspaceID, reason)
}

// pauseAutoRecharge pauses a running auto-recharge with reason (a card not charged,
// a disputed payment) and tells OnAutoRechargeFailed; one that is off or paused
// already stays as it is, and is not told twice.
func (p *Payments) pauseAutoRecharge(ctx context.Context, workspaceID, reason string) error {
	res, err := tenants.Scope(p.db, workspaceID).Update((*Wallet)(nil)).Set("auto_recharge_error = ?", reason).
		Set("updated_at = ?", time.Now().UTC()).
		Where("auto_recharge_pack <> '' AND auto_recharge_error = ''").Exec(ctx)
	if err != nil {
		return fmt.Errorf("billing: pause auto-recharge: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		p.log.Warn("auto-recharge paused", "workspace_id", workspaceID, "reason", reason)
		if p.OnAutoRechargeFailed != nil {
			p.OnAutoRechargeFailed(ctx, workspaceID, reason)
		}
	}
	return nil
}

// autoRecharged ends the low spell an auto-recharge was paid for, so the next fall to
// the threshold alerts and pays again even when the pack did not lift the balance
// clear of it; a wallet the pack left low (a campaign outran it) starts the next
// spell at once.
// Best effort: the credit is what matters, and a replayed credit does not come here.
func (p *Payments) autoRecharged(ctx context.Context, workspaceID string) {
	if _, err := tenants.Scope(p.db, workspaceID).Update((*Wallet)(nil)).Set("low_balance_alerted_at = NULL").
		Where("low_balance_alerted_at IS NOT NULL").Exec(ctx); err != nil {
		p.log.Error("auto-recharge: low spell not ended", "workspace_id", workspaceID, "error", err)
		return
	}
	p.startSpell(ctx, workspaceID)
}

// saveCard keeps the card of a payment made to be reused off-session (a top-up
// bought with save_card) as the wallet's card for auto-recharge.
func (p *Payments) saveCard(ctx context.Context, workspaceID string, pi *stripe.PaymentIntent) error {
	if pi.SetupFutureUsage != stripe.PaymentIntentSetupFutureUsageOffSession || pi.PaymentMethod == nil || pi.PaymentMethod.ID == "" {
		return nil
	}
	label := "card"
	pm := pi.PaymentMethod
	if pm.Card == nil && p.api != nil {
		// Events carry the id only; the label is a courtesy, so a failed fetch
		// keeps the plain one.
		params := &stripe.PaymentMethodParams{}
		params.Context = ctx
		if got, err := p.api.PaymentMethods.Get(pm.ID, params); err == nil {
			pm = got
		} else {
			p.log.Warn("stripe payment method not fetched; saved without its label", "workspace_id", workspaceID, "error", err)
		}
	}
	if pm.Card != nil {
		label = fmt.Sprintf("%s •••• %s", pm.Card.Brand, pm.Card.Last4)
	}
	// Stripe does not promise order: a late event of an older payment leaves a card
	// saved by a newer one. A new card is what an admin does about a paused
	// auto-recharge: it resumes.
	made := time.Unix(pi.Created, 0).UTC()
	res, err := tenants.Scope(p.db, workspaceID).Update((*Wallet)(nil)).
		Set("stripe_payment_method_id = ?", pi.PaymentMethod.ID).Set("card_label = ?", label).Set("card_saved_at = ?", made).
		Set("auto_recharge_error = ''").Set("updated_at = ?", time.Now().UTC()).
		Where("card_saved_at IS NULL OR card_saved_at <= ?", made).Exec(ctx)
	if err != nil {
		return fmt.Errorf("billing: save card: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		p.log.Info("stripe card of an older payment; the newer card stays", "workspace_id", workspaceID, "payment_intent", pi.ID)
		return nil
	}
	// A paused auto-recharge resumes with the new card: if the wallet is still low,
	// it pays now.
	p.startSpell(ctx, workspaceID)
	return nil
}
