package billing

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// Errors of the Stripe side.
var (
	ErrNotConfigured = failure.New(failure.Unavailable, "billing_not_configured",
		"billing is not configured on this installation; the operator can grant credits")
	// ErrBadSignature is a webhook whose Stripe-Signature does not match its body, or
	// whose timestamp is outside the tolerance: forged, corrupted or replayed late.
	// The HTTP edge answers 400 so Stripe (or whoever sent it) sees a client error.
	ErrBadSignature = failure.New(failure.Invalid, "invalid_signature",
		"the Stripe-Signature header does not match the body or is too old")
	errStripeCall = failure.New(failure.Unavailable, "payment_provider_error",
		"the payment provider could not start the checkout; try again in a moment")
)

// Webhook signature tolerance: Stripe signs each delivery with its send time; older
// signatures are refused so a captured request cannot be replayed later.
const webhookTolerance = 5 * time.Minute

// Metadata keys set on the Checkout Session and its PaymentIntent (Stripe copies the
// PaymentIntent's metadata onto the charge it creates, so refunds carry them too).
const (
	mdWorkspace   = "workspace_id"
	mdPack        = "pack"
	mdCredits     = "credits"
	mdRequestedBy = "requested_by"
)

// eventRefundFailed has no constant in stripe-go v76; its object is the Refund, as in
// refund.updated.
const eventRefundFailed stripe.EventType = "refund.failed"

// PaymentKey is the ledger key of the top-up paid by a PaymentIntent: whichever of
// the webhook events reporting that payment arrives first credits it, the others
// replay.
func PaymentKey(paymentIntentID string) string { return "stripe:payment:" + paymentIntentID }

// Payments sells top-up packs through Stripe Checkout and credits wallets from
// Stripe's webhooks.
type Payments struct {
	db     *bun.DB
	ledger *Ledger
	cfg    config.Billing
	log    *slog.Logger
	api    *client.API // nil without a secret key

	// Tasks queues auto-recharge payments; without it auto-recharge cannot start.
	// OnAutoRechargeFailed, when set, hears that a wallet's auto-recharge paused and
	// why. Set both before the service is shared.
	Tasks                Enqueuer
	OnAutoRechargeFailed func(ctx context.Context, workspaceID, reason string)
}

// NewPayments returns the payments service. Without a Stripe secret key it still
// answers (ErrNotConfigured) so the rest of billing works.
func NewPayments(db *bun.DB, ledger *Ledger, cfg config.Billing, log *slog.Logger) *Payments {
	p := &Payments{db: db, ledger: ledger, cfg: cfg, log: log}
	if cfg.StripeSecretKey != "" {
		p.api = newStripeAPI(cfg, log)
	}
	return p
}

// Configured reports whether top-ups can be sold.
func (p *Payments) Configured() bool { return p.api != nil }

func newStripeAPI(cfg config.Billing, log *slog.Logger) *client.API {
	httpClient := &http.Client{Timeout: 30 * time.Second}
	backend := func(kind stripe.SupportedBackend) stripe.Backend {
		// One config per backend: GetBackendWithConfig fills in the default URL of its
		// kind, so a shared config would send uploads to the API host.
		bc := &stripe.BackendConfig{HTTPClient: httpClient, LeveledLogger: stripeLogger{log}}
		if cfg.StripeAPIURL != "" {
			bc.URL = stripe.String(cfg.StripeAPIURL)
		}
		return stripe.GetBackendWithConfig(kind, bc)
	}
	return client.New(cfg.StripeSecretKey, &stripe.Backends{
		API:     backend(stripe.APIBackend),
		Connect: backend(stripe.ConnectBackend),
		Uploads: backend(stripe.UploadsBackend),
	})
}

// StartTopUp opens a Stripe Checkout Session selling the pack to the workspace and
// returns the URL to send the buyer to. The credits arrive with the webhook once the
// payment succeeds, never here.
func (p *Payments) StartTopUp(ctx context.Context, ws tenants.Workspace, packCode string, saveCard bool, actorUserID, successURL, cancelURL string) (checkoutURL, sessionID string, err error) {
	pack, err := PackByCode(ctx, p.db, packCode, true)
	if errors.Is(err, ErrPackNotFound) {
		return "", "", failure.Field("pack", "is not a top-up pack on sale")
	}
	if err != nil {
		return "", "", err
	}
	if p.api == nil {
		return "", "", ErrNotConfigured
	}
	customer, err := p.customer(ctx, ws.ID)
	if err != nil {
		return "", "", err
	}
	md := map[string]string{
		mdWorkspace: ws.ID,
		mdPack:      pack.Code,
		mdCredits:   strconv.FormatInt(pack.Credits, 10),
	}
	if actorUserID != "" {
		md[mdRequestedBy] = actorUserID
	}
	params := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		Customer:          stripe.String(customer),
		ClientReferenceID: stripe.String(ws.ID),
		SuccessURL:        stripe.String(successURL),
		CancelURL:         stripe.String(cancelURL),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{
			Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:   stripe.String(pack.Currency),
				UnitAmount: stripe.Int64(pack.PriceCents),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{
					Name:        stripe.String(pack.Name),
					Description: stripe.String(fmt.Sprintf("%d message credits", pack.Credits)),
				},
			},
		}},
		Metadata: md,
		// The same metadata on the PaymentIntent: payment_intent.succeeded and the
		// charge's refund and dispute events carry only that object's metadata.
		PaymentIntentData: &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: md},
	}
	if saveCard {
		// Checkout tells the buyer the card is kept for later charges; the
		// payment_intent.succeeded webhook saves it for auto-recharge.
		params.PaymentIntentData.SetupFutureUsage = stripe.String(string(stripe.PaymentIntentSetupFutureUsageOffSession))
	}
	params.Context = ctx
	// A fresh key per top-up: stripe-go resends it on its own network retries, so a
	// timed-out request never opens a second session; a new click is a new top-up.
	params.SetIdempotencyKey("checkout:" + ws.ID + ":" + storage.NewID())
	s, err := p.api.CheckoutSessions.New(params)
	if err != nil {
		p.log.Error("stripe checkout session failed", "workspace_id", ws.ID, "pack", pack.Code, "error", err)
		return "", "", errStripeCall
	}
	p.log.Info("stripe checkout started", "workspace_id", ws.ID, "pack", pack.Code, "session_id", s.ID, "actor", actorUserID)
	return s.URL, s.ID, nil
}

// customer returns the workspace's Stripe customer, creating it on first use. The
// creation carries the idempotency key customer:<workspace id>, so concurrent or
// retried first top-ups get the same customer from Stripe; the conditional update
// keeps whichever id was stored first.
func (p *Payments) customer(ctx context.Context, workspaceID string) (string, error) {
	sc := tenants.Scope(p.db, workspaceID)
	if err := EnsureWallet(ctx, p.db, workspaceID); err != nil {
		return "", err
	}
	w, err := WalletOf(ctx, sc)
	if err != nil {
		return "", err
	}
	if w.StripeCustomerID != "" {
		return w.StripeCustomerID, nil
	}
	// Only values that never change go into the request: Stripe refuses an
	// idempotency key replayed with different parameters.
	params := &stripe.CustomerParams{
		Description: stripe.String("Switchboard workspace " + workspaceID),
		Metadata:    map[string]string{mdWorkspace: workspaceID},
	}
	params.Context = ctx
	params.SetIdempotencyKey("customer:" + workspaceID)
	c, err := p.api.Customers.New(params)
	if err != nil {
		p.log.Error("stripe customer creation failed", "workspace_id", workspaceID, "error", err)
		return "", errStripeCall
	}
	if _, err := sc.Update((*Wallet)(nil)).Set("stripe_customer_id = ?", c.ID).
		Where("stripe_customer_id = ''").Exec(ctx); err != nil {
		return "", fmt.Errorf("billing: store stripe customer: %w", err)
	}
	if w, err = WalletOf(ctx, sc); err != nil {
		return "", err
	}
	return w.StripeCustomerID, nil
}

// stripeEvent records a webhook event that was acted on.
type stripeEvent struct {
	bun.BaseModel `bun:"table:stripe_events,alias:se"`

	ID          string    `bun:"id,pk"`
	Type        string    `bun:"type,notnull"`
	WorkspaceID *string   `bun:"workspace_id"`
	ReceivedAt  time.Time `bun:"received_at,notnull"`
}

// HandleWebhook verifies and applies one Stripe webhook delivery. It credits a paid
// top-up exactly once however many of checkout.session.completed (when paid),
// checkout.session.async_payment_succeeded and payment_intent.succeeded arrive, in any
// order and any number of times: all three credit under the PaymentIntent's ledger
// key. Refunds and disputes take the credits' share back; a refund that fails and a
// dispute that is won give back what they took. Events that are not ours or name an
// unknown workspace are acknowledged (logged), so Stripe stops resending them; a
// returned error that is not ErrBadSignature means "try again later".
func (p *Payments) HandleWebhook(ctx context.Context, body []byte, sigHeader string) error {
	if p.cfg.StripeWebhookSecret == "" {
		return ErrNotConfigured
	}
	ev, err := webhook.ConstructEventWithOptions(body, sigHeader, p.cfg.StripeWebhookSecret, webhook.ConstructEventOptions{
		Tolerance: webhookTolerance,
		// The payload's shape follows the API version of the webhook endpoint, which is
		// set in the Stripe dashboard and may differ from the one stripe-go v76 pins
		// (2023-10-16), e.g. after the account is upgraded. The fields read here (ids,
		// metadata, amounts, payment status, refunds) are the same across versions,
		// while refusing the event would make Stripe retry it for days and then drop
		// it: a paid top-up never credited.
		IgnoreAPIVersionMismatch: true,
	})
	if err != nil {
		p.log.Warn("stripe webhook refused", "error", err)
		return ErrBadSignature
	}
	if done, err := p.recorded(ctx, ev.ID); err != nil || done {
		return err // done: a redelivery of an event already acted on
	}
	workspaceID, err := p.apply(ctx, ev)
	if err != nil {
		return err
	}
	// Recorded only after acting on it: the ledger keys are what make a redelivery
	// safe, and recording first would lose the credit if the process died in between
	// (the redelivery would find the event recorded and skip it).
	row := stripeEvent{ID: ev.ID, Type: string(ev.Type), ReceivedAt: time.Now().UTC()}
	if workspaceID != "" {
		row.WorkspaceID = &workspaceID
	}
	if _, err := p.db.NewInsert().Model(&row).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("billing: record stripe event: %w", err)
	}
	return nil
}

func (p *Payments) recorded(ctx context.Context, eventID string) (bool, error) {
	ok, err := p.db.NewSelect().Model((*stripeEvent)(nil)).Where("se.id = ?", eventID).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("billing: stripe event lookup: %w", err)
	}
	return ok, nil
}

// apply acts on an event and returns the workspace it concerned ("" when none).
func (p *Payments) apply(ctx context.Context, ev stripe.Event) (string, error) {
	if ev.Data == nil {
		return "", nil
	}
	switch ev.Type {
	case stripe.EventTypeCheckoutSessionCompleted, stripe.EventTypeCheckoutSessionAsyncPaymentSucceeded:
		var s stripe.CheckoutSession
		if err := json.Unmarshal(ev.Data.Raw, &s); err != nil {
			return "", p.malformed(ev, err)
		}
		if s.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid {
			// Delayed methods (bank debits) complete the session unpaid; the credit
			// comes with async_payment_succeeded or payment_intent.succeeded.
			p.log.Info("stripe checkout completed unpaid; waiting for the payment", "event_id", ev.ID, "session_id", s.ID, "payment_status", s.PaymentStatus)
			return s.Metadata[mdWorkspace], nil
		}
		return p.credit(ctx, ev.ID, string(ev.Type), idOf(s.PaymentIntent), s.Metadata)
	case stripe.EventTypePaymentIntentSucceeded:
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			return "", p.malformed(ev, err)
		}
		workspaceID, err := p.credit(ctx, ev.ID, string(ev.Type), pi.ID, pi.Metadata)
		if err != nil || workspaceID == "" {
			return workspaceID, err
		}
		return workspaceID, p.saveCard(ctx, workspaceID, &pi)
	case stripe.EventTypePaymentIntentPaymentFailed:
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			return "", p.malformed(ev, err)
		}
		return p.paymentFailed(ctx, ev, &pi)
	case stripe.EventTypeChargeRefunded:
		var ch stripe.Charge
		if err := json.Unmarshal(ev.Data.Raw, &ch); err != nil {
			return "", p.malformed(ev, err)
		}
		return p.refunded(ctx, ev, &ch)
	case stripe.EventTypeChargeDisputeCreated, stripe.EventTypeChargeDisputeFundsWithdrawn:
		var d stripe.Dispute
		if err := json.Unmarshal(ev.Data.Raw, &d); err != nil {
			return "", p.malformed(ev, err)
		}
		return p.disputed(ctx, ev, &d)
	case stripe.EventTypeChargeDisputeClosed, stripe.EventTypeChargeDisputeFundsReinstated:
		var d stripe.Dispute
		if err := json.Unmarshal(ev.Data.Raw, &d); err != nil {
			return "", p.malformed(ev, err)
		}
		return p.disputeWon(ctx, ev, &d)
	case stripe.EventTypeChargeRefundUpdated, stripe.EventTypeRefundUpdated, eventRefundFailed:
		var r stripe.Refund
		if err := json.Unmarshal(ev.Data.Raw, &r); err != nil {
			return "", p.malformed(ev, err)
		}
		return p.refundFailed(ctx, ev, &r)
	}
	return "", nil // not an event billing acts on
}

// malformed acknowledges an event whose object cannot be read: it was signed by
// Stripe, so resending it would not change it.
func (p *Payments) malformed(ev stripe.Event, err error) error {
	p.log.Error("stripe event unreadable; acknowledged without action", "event_id", ev.ID, "type", ev.Type, "error", err)
	return nil
}

func idOf(pi *stripe.PaymentIntent) string {
	if pi == nil {
		return ""
	}
	return pi.ID
}

// credit tops the wallet up with the pack's credits named in the payment's metadata.
// ref is what told us it was paid (a Stripe event id, or the PaymentIntent's own for
// an auto-recharge's answer) and source its kind, for the ledger and the log.
func (p *Payments) credit(ctx context.Context, ref, source, paymentIntentID string, md map[string]string) (string, error) {
	workspaceID := md[mdWorkspace]
	if workspaceID == "" {
		p.log.Debug("stripe payment without a workspace; not a top-up", "ref", ref, "type", source)
		return "", nil
	}
	log := p.log.With("ref", ref, "type", source, "workspace_id", workspaceID, "payment_intent", paymentIntentID)
	credits, err := strconv.ParseInt(md[mdCredits], 10, 64)
	if err != nil || credits <= 0 || paymentIntentID == "" {
		log.Error("stripe top-up without credits or payment intent; acknowledged without crediting", "credits", md[mdCredits])
		return workspaceID, nil
	}
	if ok, err := p.workspaceExists(ctx, workspaceID); err != nil {
		return "", err
	} else if !ok {
		log.Error("stripe top-up for an unknown workspace; acknowledged without crediting", "credits", credits)
		return "", nil
	}
	note := "top-up pack " + md[mdPack]
	if md[mdAutoRecharge] != "" {
		note = autoRechargeNote + md[mdPack]
	}
	res, err := p.ledger.Move(ctx, workspaceID, Movement{Kind: TopUp, Amount: credits, Key: PaymentKey(paymentIntentID),
		Actor: "stripe", Ref: ref, Note: note})
	if err != nil {
		return "", fmt.Errorf("billing: credit top-up: %w", err)
	}
	log.Info("stripe top-up credited", "credits", credits, "balance", res.Entry.BalanceAfter, "replayed", res.Replayed)
	if md[mdAutoRecharge] != "" && !res.Replayed {
		p.autoRecharged(ctx, workspaceID)
	}
	return workspaceID, nil
}

// refunded takes back, for each refund of the charge, the credits' share of the
// refunded amount, keyed by refund so each refund counts once (Stripe sends the
// charge with all its refunds on every refund).
func (p *Payments) refunded(ctx context.Context, ev stripe.Event, ch *stripe.Charge) (string, error) {
	pay, err := p.paymentOf(ctx, ev, ch)
	if err != nil || pay.workspaceID == "" {
		return "", err
	}
	if err := p.creditFirst(ctx, ev, ch); err != nil {
		return "", err
	}
	return pay.workspaceID, p.settleRefunds(ctx, ev, pay, ch)
}

// settleRefunds brings what the charge's refunds took in line with its refunds as
// Stripe lists them now.
//
// Each refund takes what the refunds through it take, less what those before it
// took: rounded one by one, a full refund split in parts could take a credit more or
// less than the pack (5 + 995 cents of 1,000 for 100 credits took 1 + 100). A failed
// or canceled refund returned no money, so it counts in no share: the refunds after
// it take as if it had never been made (a full refund that failed and was made again
// takes the pack, not nothing), and what it took while it was pending comes back.
// What a failed or canceled refund listed here took comes back first, whether or not
// its own event came yet: taken after it, the others could find the wallet emptied by
// it and take less than their share, and its return, arriving later, would then leave
// credits a refunded payment no longer pays for.
//
// A refund that failed after later ones took their shares leaves them rounded with
// it counted: settleRounding then evens the total out.
func (p *Payments) settleRefunds(ctx context.Context, ev stripe.Event, pay payment, ch *stripe.Charge) error {
	refunds, err := p.refundsOf(ctx, ch)
	if err != nil {
		return err
	}
	refunds = slices.Clone(refunds)
	slices.SortFunc(refunds, func(a, b *stripe.Refund) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created), cmp.Compare(a.ID, b.ID))
	})
	var failed, standing []*stripe.Refund
	for _, r := range refunds {
		if r.Status == stripe.RefundStatusFailed || r.Status == stripe.RefundStatusCanceled {
			if err := p.refundReturned(ctx, ev, pay.workspaceID, r); err != nil {
				return err
			}
			failed = append(failed, r)
		} else {
			standing = append(standing, r)
		}
	}
	var before int64
	for _, r := range standing {
		n := share(pay.credits, before+r.Amount, ch.Amount) - share(pay.credits, before, ch.Amount)
		before += r.Amount
		note := fmt.Sprintf("Stripe refund %s of %d/%d %s", r.ID, r.Amount, ch.Amount, ch.Currency)
		if err := p.takeBack(ctx, ev, pay.workspaceID, refundKey(r.ID), n, note); err != nil {
			return err
		}
	}
	return p.settleRounding(ctx, ev, pay, ch, standing, failed)
}

func roundingKey(refundID string) string { return "stripe:refund-rounding:" + refundID }

// settleRounding makes what the charge's standing refunds took, together, the pack's
// share of what they refund, once for each refund that failed. The takes were rounded
// one after another with the refunds standing at the time, so one that failed after
// later ones were taken leaves that chain rounded with it counted (10 credits for
// 1,000 cents, refunds of 10, 40 and 140 cents: 0 + 1 + 1 taken; the 40 fails and
// gives its 1 back, while 150 cents of 1,000 are 2 credits).
//
// Each failed refund gets one settlement, keyed by the refund and written by the first
// event that lists it failed (of 0 credits when there is nothing to settle), so a
// later event, however old its list, settles nothing again. Its amount is what the
// standing refunds' share is short of, less what earlier failures settled. Takes are
// counted at what they asked for: credits already spent when a refund came are not
// taken later; and a settlement gives back at most what was taken past the share.
func (p *Payments) settleRounding(ctx context.Context, ev stripe.Event, pay payment, ch *stripe.Charge, standing, failed []*stripe.Refund) error {
	if len(failed) == 0 {
		return nil
	}
	keys := make([]string, 0, 2*len(standing)+len(failed))
	for _, r := range standing {
		keys = append(keys, refundKey(r.ID), refundFailedKey(r.ID))
	}
	for _, r := range failed {
		keys = append(keys, roundingKey(r.ID))
	}
	for _, f := range failed {
		entries, err := p.ledger.Entries(ctx, pay.workspaceID, keys)
		if err != nil {
			return fmt.Errorf("billing: refunds of %s: %w", ch.ID, err)
		}
		if _, settled := entries[roundingKey(f.ID)]; settled {
			continue
		}
		var refunded, asked, took int64
		for _, r := range standing {
			take, taken := entries[refundKey(r.ID)]
			if _, back := entries[refundFailedKey(r.ID)]; back || (taken && take.Asked() == 0) {
				// Failed, as its own event said, though this list has it pending: its
				// take came back, or its failure came first and took its key.
				continue
			}
			refunded += r.Amount
			asked -= take.Asked()
			took -= take.Amount
		}
		for _, r := range failed {
			asked -= entries[roundingKey(r.ID)].Asked()
			took -= entries[roundingKey(r.ID)].Amount
		}
		target := share(pay.credits, refunded, ch.Amount)
		diff := target - asked
		if diff < 0 {
			diff = -min(-diff, max(took-target, 0))
		}
		note := fmt.Sprintf("Stripe refund %s %s: the %d/%d %s standing rounded to the pack's share", f.ID, f.Status, refunded, ch.Amount, ch.Currency)
		res, err := p.ledger.Move(ctx, pay.workspaceID, Movement{Kind: Adjustment, Amount: -diff, Key: roundingKey(f.ID),
			Actor: "stripe", Ref: ev.ID, Note: note, AllowPartial: diff > 0})
		if err != nil {
			return fmt.Errorf("billing: %s: %w", roundingKey(f.ID), err)
		}
		if !res.Replayed && res.Entry.Amount != 0 {
			p.log.Info("stripe refunds' rounding settled", "event_id", ev.ID, "workspace_id", pay.workspaceID, "charge", ch.ID,
				"refund", f.ID, "credits", -res.Entry.Amount, "balance", res.Entry.BalanceAfter)
		}
	}
	return nil
}

// disputed takes back the credits' share of the disputed amount as soon as the
// dispute opens (charge.dispute.created), or an inquiry becomes one
// (charge.dispute.funds_withdrawn; one key for both): the money is withheld from
// then on. An inquiry withholds nothing, and takes nothing.
func (p *Payments) disputed(ctx context.Context, ev stripe.Event, d *stripe.Dispute) (string, error) {
	if strings.HasPrefix(string(d.Status), "warning_") {
		// An inquiry: Stripe withholds nothing unless it becomes a dispute, which
		// funds_withdrawn then says.
		p.log.Info("stripe inquiry opened; nothing withheld yet", "event_id", ev.ID, "dispute", d.ID, "status", d.Status)
		return "", nil
	}
	ch, pay, err := p.disputedPayment(ctx, ev, d)
	if err != nil || pay.workspaceID == "" {
		return "", err
	}
	if err := p.creditFirst(ctx, ev, ch); err != nil {
		return "", err
	}
	n := share(pay.credits, d.Amount, ch.Amount)
	note := fmt.Sprintf("Stripe dispute %s of %d/%d %s (%s)", d.ID, d.Amount, ch.Amount, ch.Currency, d.Reason)
	if err := p.takeBack(ctx, ev, pay.workspaceID, disputeKey(d.ID), n, note); err != nil {
		return "", err
	}
	// The card holder disputes a payment: charging their card again on our own would
	// only add to it.
	if err := p.pauseAutoRecharge(ctx, pay.workspaceID, fmt.Sprintf("a payment is disputed (Stripe dispute %s)", d.ID)); err != nil {
		return "", err
	}
	return pay.workspaceID, nil
}

// disputeWon gives back what the dispute's opening took once the merchant won it:
// the withheld money came back. charge.dispute.closed with status won is what
// decides; charge.dispute.funds_reinstated of a won dispute gives back under the
// same key, so whichever comes first returns the credits and the other replays.
// Stripe also reinstates funds of disputes that are not won (the refunded part of a
// partially refunded payment), so funds_reinstated alone is no reason to give back.
// An inquiry closed without becoming a dispute (warning_closed) gives back too: the
// money never left. A lost dispute keeps what its opening took.
func (p *Payments) disputeWon(ctx context.Context, ev stripe.Event, d *stripe.Dispute) (string, error) {
	if d.Status != stripe.DisputeStatusWon && d.Status != stripe.DisputeStatusWarningClosed {
		p.log.Info("stripe dispute not won; its credits stay taken", "event_id", ev.ID, "type", ev.Type,
			"dispute", d.ID, "status", d.Status)
		return "", nil
	}
	outcome := "won"
	if d.Status == stripe.DisputeStatusWarningClosed {
		outcome = "closed as an inquiry"
	}
	_, pay, err := p.disputedPayment(ctx, ev, d)
	if err != nil || pay.workspaceID == "" {
		return "", err
	}
	if err := p.giveBack(ctx, ev, pay.workspaceID, disputeKey(d.ID), "stripe:dispute-reinstated:"+d.ID,
		fmt.Sprintf("Stripe dispute %s %s: credits returned", d.ID, outcome),
		fmt.Sprintf("Stripe dispute %s won before its opening was applied: nothing to take back", d.ID)); err != nil {
		return "", err
	}
	return pay.workspaceID, nil
}

func disputeKey(disputeID string) string { return "stripe:dispute:" + disputeID }

// disputedPayment is the dispute's charge and the top-up it paid for; a payment
// without a workspace (nothing of ours, or a dispute naming no charge) is
// acknowledged.
func (p *Payments) disputedPayment(ctx context.Context, ev stripe.Event, d *stripe.Dispute) (*stripe.Charge, payment, error) {
	ch, err := p.disputedCharge(ctx, ev, d)
	if err != nil || ch == nil {
		return nil, payment{}, err
	}
	pay, err := p.paymentOf(ctx, ev, ch)
	return ch, pay, err
}

// disputedCharge returns the dispute's charge with its amount and metadata, or nil
// (acknowledged) when the dispute names none.
func (p *Payments) disputedCharge(ctx context.Context, ev stripe.Event, d *stripe.Dispute) (*stripe.Charge, error) {
	if d.Charge == nil || d.Charge.ID == "" {
		p.log.Error("stripe dispute without a charge; acknowledged", "event_id", ev.ID, "dispute", d.ID)
		return nil, nil
	}
	ch, err := p.fullCharge(ctx, d.Charge)
	if err != nil {
		return nil, fmt.Errorf("billing: fetch disputed charge %s: %w", d.Charge.ID, err)
	}
	if ch.PaymentIntent == nil {
		ch.PaymentIntent = d.PaymentIntent
	}
	return ch, nil
}

// fullCharge returns ch, fetched from Stripe when it is only an id: the webhooks of
// disputes and refunds carry their charge that way, without amount or metadata.
func (p *Payments) fullCharge(ctx context.Context, ch *stripe.Charge) (*stripe.Charge, error) {
	if ch.Amount != 0 {
		return ch, nil
	}
	if p.api == nil {
		return nil, ErrNotConfigured
	}
	params := &stripe.ChargeParams{}
	params.Context = ctx
	return p.api.Charges.Get(ch.ID, params)
}

// refundFailed gives back what a refund took once it fails or is canceled: the money
// stayed with the merchant. Stripe sends charge.refund.updated for some payment
// methods only, and refund.updated and refund.failed for every refund; all give back
// under one key, so whichever the endpoint receives first returns the credits and
// the others replay. The charge's later refunds leave it out of their shares (see
// refunded).
func (p *Payments) refundFailed(ctx context.Context, ev stripe.Event, r *stripe.Refund) (string, error) {
	if r.Status != stripe.RefundStatusFailed && r.Status != stripe.RefundStatusCanceled {
		// Pending, requires_action, succeeded: refunded took the share when it was made.
		return "", nil
	}
	if r.Charge == nil || r.Charge.ID == "" {
		p.log.Error("stripe refund without a charge; acknowledged", "event_id", ev.ID, "refund", r.ID)
		return "", nil
	}
	ch, err := p.fullCharge(ctx, r.Charge)
	if err != nil {
		return "", fmt.Errorf("billing: fetch refunded charge %s: %w", r.Charge.ID, err)
	}
	if ch.PaymentIntent == nil {
		ch.PaymentIntent = r.PaymentIntent
	}
	pay, err := p.paymentOf(ctx, ev, ch)
	if err != nil || pay.workspaceID == "" {
		return "", err
	}
	if err := p.refundReturned(ctx, ev, pay.workspaceID, r); err != nil {
		return "", err
	}
	// The refunds that stand may have been rounded with this one counted.
	if err := p.creditFirst(ctx, ev, ch); err != nil {
		return "", err
	}
	return pay.workspaceID, p.settleRefunds(ctx, ev, pay, ch)
}

// refundReturned gives back what the failed or canceled refund r took. One key for
// failed and canceled: a refund ends as one or the other, never both.
func (p *Payments) refundReturned(ctx context.Context, ev stripe.Event, workspaceID string, r *stripe.Refund) error {
	return p.giveBack(ctx, ev, workspaceID, refundKey(r.ID), refundFailedKey(r.ID),
		fmt.Sprintf("Stripe refund %s %s: credits returned", r.ID, r.Status),
		fmt.Sprintf("Stripe refund %s %s before it was applied: nothing to take back", r.ID, r.Status))
}

func refundKey(refundID string) string { return "stripe:refund:" + refundID }

// refundFailedKey keys the return of what a failed or canceled refund took.
func refundFailedKey(refundID string) string { return "stripe:refund-failed:" + refundID }

// creditFirst credits the top-up a refunded or disputed charge paid for, in case its
// payment events have not arrived yet: Stripe does not promise order, and a refund
// applied before the credit would take from the wallet's other credits and then be
// undone by the late top-up. Under the payment's ledger key this is a replay in the
// usual order.
func (p *Payments) creditFirst(ctx context.Context, ev stripe.Event, ch *stripe.Charge) error {
	if !ch.Paid || ch.Metadata[mdWorkspace] == "" || ch.Metadata[mdCredits] == "" || idOf(ch.PaymentIntent) == "" {
		return nil
	}
	_, err := p.credit(ctx, ev.ID, string(ev.Type), idOf(ch.PaymentIntent), ch.Metadata)
	return err
}

// takeBack debits up to n credits: what was already spent cannot be taken, so the
// adjustment is partial and the balance stops at zero.
func (p *Payments) takeBack(ctx context.Context, ev stripe.Event, workspaceID, key string, n int64, note string) error {
	if n <= 0 {
		return nil
	}
	res, err := p.ledger.Move(ctx, workspaceID, Movement{Kind: Adjustment, Amount: -n, Key: key, Actor: "stripe",
		Ref: ev.ID, Note: note, AllowPartial: true})
	if err != nil {
		return fmt.Errorf("billing: %s: %w", key, err)
	}
	p.log.Info("stripe credits taken back", "event_id", ev.ID, "workspace_id", workspaceID, "key", key,
		"credits", -res.Entry.Amount, "of", n, "balance", res.Entry.BalanceAfter, "replayed", res.Replayed)
	return nil
}

// giveBack credits, once under key, exactly what the take-back under takeKey took:
// that entry records what the balance allowed, which may be less than the share.
// When there is no take-back yet, an entry of zero credits takes its key, so the
// take-back's event, if it comes late (Stripe does not promise order, and a failed
// delivery is retried for days), replays that entry instead of taking credits for
// money that was never lost. A take-back that took nothing gives nothing back.
func (p *Payments) giveBack(ctx context.Context, ev stripe.Event, workspaceID, takeKey, key, note, claimNote string) error {
	taken, err := p.ledger.Move(ctx, workspaceID, Movement{Kind: Adjustment, Amount: 0, Key: takeKey, Actor: "stripe",
		Ref: ev.ID, Note: claimNote})
	if err != nil {
		return fmt.Errorf("billing: %s: %w", takeKey, err)
	}
	log := p.log.With("event_id", ev.ID, "workspace_id", workspaceID, "key", key, "took", takeKey)
	n := -taken.Entry.Amount
	if n <= 0 {
		log.Info("stripe take-back had taken nothing; nothing to give back", "claimed", !taken.Replayed)
		return nil
	}
	res, err := p.ledger.Move(ctx, workspaceID, Movement{Kind: Adjustment, Amount: n, Key: key, Actor: "stripe",
		Ref: ev.ID, Note: note})
	if err != nil {
		return fmt.Errorf("billing: %s: %w", key, err)
	}
	log.Info("stripe credits given back", "credits", res.Entry.Amount, "balance", res.Entry.BalanceAfter,
		"replayed", res.Replayed)
	return nil
}

type payment struct {
	workspaceID string
	credits     int64
}

// paymentOf finds the workspace and the credits a charge paid for: from its metadata
// (copied from the PaymentIntent), else the workspace by the Stripe customer and the
// credits from the top-up entry. A charge that is not a top-up gives an empty
// workspace.
func (p *Payments) paymentOf(ctx context.Context, ev stripe.Event, ch *stripe.Charge) (payment, error) {
	pay := payment{workspaceID: ch.Metadata[mdWorkspace]}
	if pay.workspaceID == "" && ch.Customer != nil && ch.Customer.ID != "" {
		// Webhooks have no tenant yet: the customer id is what names it here.
		var ids []string
		if err := p.db.NewSelect().Model((*Wallet)(nil)).Column("workspace_id").
			Where("stripe_customer_id = ?", ch.Customer.ID).Limit(1).Scan(ctx, &ids); err != nil {
			return payment{}, fmt.Errorf("billing: wallet by stripe customer: %w", err)
		}
		if len(ids) > 0 {
			pay.workspaceID = ids[0]
		}
	}
	log := p.log.With("event_id", ev.ID, "type", ev.Type, "charge", ch.ID, "workspace_id", pay.workspaceID)
	if pay.workspaceID == "" {
		log.Debug("stripe charge without a workspace; not a top-up")
		return payment{}, nil
	}
	if ok, err := p.workspaceExists(ctx, pay.workspaceID); err != nil {
		return payment{}, err
	} else if !ok {
		log.Error("stripe charge for an unknown workspace; acknowledged without action")
		return payment{}, nil
	}
	if c, err := strconv.ParseInt(ch.Metadata[mdCredits], 10, 64); err == nil && c > 0 {
		pay.credits = c
	} else if pi := idOf(ch.PaymentIntent); pi != "" {
		e, found, err := entryByKey(ctx, tenants.Scope(p.db, pay.workspaceID), PaymentKey(pi))
		if err != nil {
			return payment{}, err
		}
		if found {
			pay.credits = e.Amount
		}
	}
	if pay.credits <= 0 || ch.Amount <= 0 {
		log.Error("stripe charge with no credits to take back; acknowledged without action", "amount", ch.Amount)
		return payment{}, nil
	}
	return pay, nil
}

// refundsOf lists the charge's refunds: those the event carries, or, when it carries
// none (API versions from 2022-11-15 leave them out) or only some, Stripe's list.
func (p *Payments) refundsOf(ctx context.Context, ch *stripe.Charge) ([]*stripe.Refund, error) {
	if ch.Refunds != nil && !ch.Refunds.HasMore && (len(ch.Refunds.Data) > 0 || ch.AmountRefunded == 0) {
		return ch.Refunds.Data, nil
	}
	if p.api == nil {
		return nil, ErrNotConfigured
	}
	params := &stripe.RefundListParams{Charge: stripe.String(ch.ID)}
	params.Context = ctx
	var out []*stripe.Refund
	it := p.api.Refunds.List(params)
	for it.Next() {
		out = append(out, it.Refund())
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("billing: list refunds of %s: %w", ch.ID, err)
	}
	return out, nil
}

func (p *Payments) workspaceExists(ctx context.Context, id string) (bool, error) {
	ok, err := p.db.NewSelect().Model((*tenants.Workspace)(nil)).Where("w.id = ?", id).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("billing: workspace lookup: %w", err)
	}
	return ok, nil
}

// share is round(credits × part / whole), half away from zero, capped at credits.
func share(credits, part, whole int64) int64 {
	if whole <= 0 || part <= 0 || credits <= 0 {
		return 0
	}
	if part >= whole {
		return credits
	}
	num := new(big.Int).Mul(big.NewInt(credits), big.NewInt(part))
	num.Mul(num, big.NewInt(2))
	num.Add(num, big.NewInt(whole))
	num.Quo(num, new(big.Int).Mul(big.NewInt(whole), big.NewInt(2)))
	return num.Int64()
}

// stripeLogger sends stripe-go's own logs to slog.
type stripeLogger struct{ l *slog.Logger }

func (s stripeLogger) Debugf(f string, v ...any) {
	s.l.Debug(fmt.Sprintf(f, v...), "component", "stripe")
}
func (s stripeLogger) Infof(f string, v ...any) {
	s.l.Debug(fmt.Sprintf(f, v...), "component", "stripe")
}
func (s stripeLogger) Warnf(f string, v ...any) {
	s.l.Warn(fmt.Sprintf(f, v...), "component", "stripe")
}
func (s stripeLogger) Errorf(f string, v ...any) {
	s.l.Warn(fmt.Sprintf(f, v...), "component", "stripe")
}
