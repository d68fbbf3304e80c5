package api

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// walletArea is a workspace's wallet of message credits, its ledger and Stripe
// top-ups; the operator's packs and grants; and Stripe's webhook.
type walletArea struct{ s *Server }

// WalletView is a workspace's balance.
type WalletView struct {
	Balance             int64 `json:"balance" doc:"message credits available"`
	LowBalanceThreshold int64 `json:"low_balance_threshold" doc:"a low-balance alert goes out when the balance falls to or below this; 0 turns it off"`
	Low                 bool  `json:"low" doc:"the balance is at or below a threshold that is on"`
	// LowBalanceAlertedAt is when this low spell's alert went out; it clears once
	// credits lift the balance above the threshold by more than a tenth of it.
	LowBalanceAlertedAt *time.Time       `json:"low_balance_alerted_at" doc:"when this low spell's alert went out (once a spell); null when none is pending"`
	AutoRecharge        AutoRechargeView `json:"auto_recharge"`
}

// AutoRechargeView is the wallet's auto-recharge: the pack it buys with the saved card
// when the balance falls to the low-balance threshold.
type AutoRechargeView struct {
	Pack   string `json:"pack" doc:"code of the pack it buys; empty when off"`
	Card   string `json:"card" doc:"the saved card it pays with (brand and last four digits); empty when none is saved"`
	Paused string `json:"paused" doc:"why it stopped (a declined card…); empty when it runs. Setting the pack again, or saving a card, resumes it"`
}

// WalletChange sets the low-balance threshold, auto-recharge, or both.
type WalletChange struct {
	AutoRechargePack    *string `json:"auto_recharge_pack" doc:"code of a pack on sale to buy with the saved card when the balance falls to the threshold; empty turns auto-recharge off. Needs a saved card and a threshold above 0; a balance already at or below the threshold is recharged at once"`
	LowBalanceThreshold *int64  `json:"low_balance_threshold" doc:"0 or more; 0 turns the low-balance alert off. Setting it arms the alert again, and a balance already at or below it alerts at once"`
}

// LedgerQuery filters the ledger.
type LedgerQuery struct {
	Limit  int    `query:"limit" doc:"entries per page (default 50, at most 200); ignored with format=csv"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page; ignored with format=csv"`
	Kind   string `query:"kind" enum:"top_up,charge,refund,grant,adjustment,expiry"`
	From   string `query:"from" doc:"entries at or after this instant (RFC 3339) or day (YYYY-MM-DD, UTC)"`
	To     string `query:"to" doc:"entries at or before this instant (RFC 3339) or day (YYYY-MM-DD, UTC, the whole day)"`
	Format string `query:"format" enum:"json,csv" doc:"csv downloads every matching entry as one file"`
}

// TopUpRequest buys a pack.
type TopUpRequest struct {
	Pack string `json:"pack" doc:"code of a pack from GET …/wallet/packs"`
	// SaveCard keeps the card for auto-recharge: Checkout then tells the buyer it will
	// be charged again off-session.
	SaveCard bool `json:"save_card,omitempty" doc:"save the card for auto-recharge (default false)"`
}

// TopUpStarted is where to send the buyer.
type TopUpStarted struct {
	CheckoutURL string `json:"checkout_url" doc:"Stripe Checkout page; the credits arrive with Stripe's webhook once paid"`
	SessionID   string `json:"session_id"`
}

// GrantRequest gives a workspace credits.
type GrantRequest struct {
	Credits        int64  `json:"credits" doc:"more than 0"`
	Note           string `json:"note" doc:"why; shown in the workspace's ledger"`
	IdempotencyKey string `json:"idempotency_key" doc:"required: a retried request with the same key grants once and returns the first entry"`
}

// StripeAck acknowledges a Stripe webhook.
type StripeAck struct {
	Received bool `json:"received"`
}

// Where Stripe Checkout sends the buyer back to (the web app's billing page).
const (
	topUpSuccessPath = "/w/%s/billing?top_up=success&session_id={CHECKOUT_SESSION_ID}"
	topUpCancelPath  = "/w/%s/billing?top_up=cancelled"
)

// maxGrant bounds one operator grant (a typo guard, far above any real pack).
const maxGrant = 1_000_000_000_000

func (a walletArea) Register(r *Router) {
	p := WorkspacePrefix + "/wallet"
	r.Add(Route{Method: http.MethodGet, Path: p, Access: InWorkspace, Permission: policies.BillingRead,
		Summary: "The wallet's balance and low-balance alert", Tag: "billing", Response: WalletView{}}, a.get)
	r.Add(Route{Method: http.MethodPatch, Path: p, Access: InWorkspace, Permission: policies.BillingManage,
		Summary: "Set the low-balance threshold and auto-recharge", Tag: "billing", Request: WalletChange{}, Response: WalletView{}}, a.update)
	r.Add(Route{Method: http.MethodGet, Path: p + "/ledger", Access: InWorkspace, Permission: policies.BillingRead,
		Summary: "Ledger entries, newest first (format=csv: every matching entry as a CSV download)", Tag: "billing",
		Query: LedgerQuery{}, Response: List[billing.Entry]{}}, a.ledger)
	r.Add(Route{Method: http.MethodGet, Path: p + "/packs", Access: InWorkspace, Permission: policies.BillingRead,
		Summary: "Top-up packs on sale", Tag: "billing", Response: List[billing.Pack]{}}, a.packs)
	r.Add(Route{Method: http.MethodPost, Path: p + "/top-ups", Access: InWorkspace, Permission: policies.BillingManage,
		Summary: "Buy a pack: opens a Stripe Checkout session (503 billing_not_configured without Stripe)", Tag: "billing",
		Request: TopUpRequest{}, Response: TopUpStarted{}, Status: http.StatusCreated}, a.topUp)

	r.Add(Route{Method: http.MethodGet, Path: "/api/v1/operator/top-up-packs", Access: Operator, Summary: "Every top-up pack, on sale or not", Tag: "operator",
		Response: List[billing.Pack]{}}, a.allPacks)
	r.Add(Route{Method: http.MethodPut, Path: "/api/v1/operator/top-up-packs/:code", Access: Operator, Summary: "Create or replace a top-up pack", Tag: "operator",
		Request: billing.PackInput{}, Response: billing.Pack{}}, a.savePack)
	r.Add(Route{Method: http.MethodPost, Path: "/api/v1/operator/workspaces/:id/grants", Access: Operator,
		Summary: "Grant a workspace credits (201; 200 with the first entry when the idempotency key was used)", Tag: "operator",
		Request: GrantRequest{}, Response: billing.Entry{}, Status: http.StatusCreated}, a.grant)

	r.Add(Route{Method: http.MethodPost, Path: "/hooks/stripe", Summary: "Stripe webhook (verified by its Stripe-Signature)", Tag: "webhooks",
		Raw: true, Response: StripeAck{}}, a.stripeHook)
}

func (a walletArea) view(ctx context.Context, sc tenants.Scoped) (WalletView, error) {
	w, err := billing.WalletOf(ctx, sc)
	if err != nil {
		return WalletView{}, err
	}
	return walletView(w), nil
}

func walletView(w billing.Wallet) WalletView {
	return WalletView{Balance: w.Balance, LowBalanceThreshold: w.LowBalanceThreshold,
		Low: w.LowBalanceThreshold > 0 && w.Balance <= w.LowBalanceThreshold, LowBalanceAlertedAt: w.LowBalanceAlertedAt,
		AutoRecharge: AutoRechargeView{Pack: w.AutoRechargePack, Card: w.CardLabel, Paused: w.AutoRechargeError}}
}

func (a walletArea) get(c *fiber.Ctx) error {
	v, err := a.view(c.UserContext(), scoped(c, a.s))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (a walletArea) update(c *fiber.Ctx) error {
	var req WalletChange
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.LowBalanceThreshold == nil && req.AutoRechargePack == nil {
		return failure.Field("low_balance_threshold", "is required (or auto_recharge_pack)")
	}
	ctx, ws := c.UserContext(), scoped(c, a.s).WorkspaceID()
	var w billing.Wallet
	// Both are checked before either is stored, so a refused change keeps the other;
	// and a threshold of 0 (no alert, so no recharge) is refused while auto-recharge
	// is on.
	current, err := billing.WalletOf(ctx, scoped(c, a.s))
	if err != nil {
		return err
	}
	pack, threshold := current.AutoRechargePack, current.LowBalanceThreshold
	if req.AutoRechargePack != nil {
		pack = strings.TrimSpace(*req.AutoRechargePack)
	}
	if req.LowBalanceThreshold != nil {
		threshold = *req.LowBalanceThreshold
	}
	switch {
	case req.AutoRechargePack != nil && threshold >= 0:
		if err := a.s.payments.CheckAutoRecharge(ctx, current, pack, threshold); err != nil {
			return err
		}
	case pack != "" && threshold == 0:
		return failure.Field("low_balance_threshold", "must be above 0 while auto-recharge is on, which buys when the balance falls to it; turn auto-recharge off first")
	}
	if req.LowBalanceThreshold != nil {
		if w, err = a.s.ledger.SetLowBalanceThreshold(ctx, ws, *req.LowBalanceThreshold); err != nil {
			return err
		}
	}
	if req.AutoRechargePack != nil {
		if w, err = a.s.payments.SetAutoRecharge(ctx, ws, pack); err != nil {
			return err
		}
	}
	return c.JSON(walletView(w))
}

// ledgerFilter is a validated LedgerQuery.
type ledgerFilter struct {
	kind     billing.Kind
	from     time.Time // inclusive; zero: none
	to       time.Time // zero: none
	toBefore bool      // to is exclusive (the day after a YYYY-MM-DD)
	csv      bool
}

func (f ledgerFilter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	if f.kind != "" {
		q = q.Where("le.kind = ?", f.kind)
	}
	if !f.from.IsZero() {
		q = q.Where("le.created_at >= ?", f.from)
	}
	switch {
	case f.to.IsZero():
	case f.toBefore:
		q = q.Where("le.created_at < ?", f.to)
	default:
		q = q.Where("le.created_at <= ?", f.to)
	}
	return q
}

// parseInstant reads an RFC 3339 instant or a YYYY-MM-DD day (UTC); day reports
// which it was.
func parseInstant(raw string) (t time.Time, day bool, ok bool) {
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		return t.UTC(), false, true
	}
	if t, err := time.Parse(time.DateOnly, raw); err == nil {
		return t, true, true
	}
	return time.Time{}, false, false
}

func parseLedgerFilter(c *fiber.Ctx) (ledgerFilter, error) {
	var f ledgerFilter
	fields := failure.Fields{}
	if k := c.Query("kind"); k != "" {
		known := false
		names := make([]string, 0, len(billing.Kinds()))
		for _, kind := range billing.Kinds() {
			names = append(names, string(kind))
			known = known || string(kind) == k
		}
		fields.Check(!known, "kind", "must be one of "+strings.Join(names, ", "))
		f.kind = billing.Kind(k)
	}
	const when = "must be an RFC 3339 time (2026-11-01T00:00:00Z) or a date (2026-11-01)"
	if raw := c.Query("from"); raw != "" {
		t, _, ok := parseInstant(raw)
		fields.Check(!ok, "from", when)
		f.from = t
	}
	if raw := c.Query("to"); raw != "" {
		t, day, ok := parseInstant(raw)
		fields.Check(!ok, "to", when)
		if day {
			t, f.toBefore = t.AddDate(0, 0, 1), true
		}
		f.to = t
		if ok && !f.from.IsZero() && (t.Before(f.from) || (f.toBefore && t.Equal(f.from))) {
			fields.Add("to", "must not be before from")
		}
	}
	switch c.Query("format") {
	case "", "json":
	case "csv":
		f.csv = true
	default:
		fields.Add("format", "must be json or csv")
	}
	return f, fields.Err()
}

func (a walletArea) ledger(c *fiber.Ctx) error {
	f, err := parseLedgerFilter(c)
	if err != nil {
		return err
	}
	if f.csv {
		return a.ledgerCSV(c, f)
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	var rows []billing.Entry
	q := f.apply(scoped(c, a.s).Select(&rows))
	if err := p.Apply(q, "le.id", true).Scan(c.UserContext()); err != nil {
		return err
	}
	rows, next := storage.NextCursor(rows, p, func(e billing.Entry) string { return e.ID })
	return list(c, rows, next)
}

// csvBatch is how many entries the CSV export reads at a time.
const csvBatch = 500

// ledgerCSV streams every matching entry, newest first, reading the ledger in
// batches so a large export never sits in memory. The first batch is read before the
// answer starts, so a failing database still gets a proper error response.
func (a walletArea) ledgerCSV(c *fiber.Ctx, f ledgerFilter) error {
	ctx, sc := c.UserContext(), scoped(c, a.s)
	ws, _ := tenants.FromContext(ctx)
	batch := func(before string) ([]billing.Entry, error) {
		var rows []billing.Entry
		q := f.apply(sc.Select(&rows))
		if before != "" {
			q = q.Where("le.id < ?", before)
		}
		err := q.OrderExpr("le.id DESC").Limit(csvBatch).Scan(ctx)
		return rows, err
	}
	first, err := batch("")
	if err != nil {
		return err
	}
	name := fmt.Sprintf("ledger-%s-%s.csv", ws.Slug, time.Now().UTC().Format("20060102"))
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	log, reqID := a.s.log, requestID(c)
	// The writer runs after the handler returned: it must not touch c.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"id", "created_at", "kind", "amount", "balance_after", "reference", "note", "actor"})
		rows := first
		for {
			for _, e := range rows {
				_ = cw.Write([]string{e.ID, e.CreatedAt.UTC().Format(time.RFC3339Nano), string(e.Kind),
					strconv.FormatInt(e.Amount, 10), strconv.FormatInt(e.BalanceAfter, 10),
					csvText(e.Reference), csvText(e.Note), csvText(e.Actor)})
			}
			cw.Flush()
			if err := cw.Error(); err != nil {
				return
			}
			if err := w.Flush(); err != nil {
				return // the client went away
			}
			if len(rows) < csvBatch {
				return
			}
			var err error
			if rows, err = batch(rows[len(rows)-1].ID); err != nil {
				// Too late for an error status: the file ends short, and the log says why.
				log.Error("ledger export failed midway", "request_id", reqID, "workspace_id", ws.ID, "error", err)
				return
			}
		}
	})
	return nil
}

// csvText defuses text that a spreadsheet would run as a formula (notes and
// references can hold what a user or a provider wrote).
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (a walletArea) packs(c *fiber.Ctx) error {
	ps, err := billing.Packs(c.UserContext(), a.s.db, true)
	if err != nil {
		return err
	}
	return list(c, ps, "")
}

func (a walletArea) topUp(c *fiber.Ctx) error {
	var req TopUpRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Pack) == "" {
		return failure.Field("pack", "is required")
	}
	ctx := c.UserContext()
	ws, _ := tenants.FromContext(ctx)
	actor := ""
	if p, _ := PrincipalOf(c); p.User != nil {
		actor = p.User.ID
	} else if p.Token != nil {
		actor = "token:" + p.Token.ID
	}
	base := strings.TrimRight(a.s.cfg.BaseURL(), "/")
	url, session, err := a.s.payments.StartTopUp(ctx, ws, req.Pack, req.SaveCard, actor,
		base+fmt.Sprintf(topUpSuccessPath, ws.Slug), base+fmt.Sprintf(topUpCancelPath, ws.Slug))
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(TopUpStarted{CheckoutURL: url, SessionID: session})
}

func (a walletArea) allPacks(c *fiber.Ctx) error {
	ps, err := billing.Packs(c.UserContext(), a.s.db, false)
	if err != nil {
		return err
	}
	return list(c, ps, "")
}

func (a walletArea) savePack(c *fiber.Ctx) error {
	var req billing.PackInput
	if err := decode(c, &req); err != nil {
		return err
	}
	p, err := billing.SavePack(c.UserContext(), a.s.db, c.Params("code"), req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (a walletArea) grant(c *fiber.Ctx) error {
	var req GrantRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	req.IdempotencyKey = strings.TrimSpace(req.IdempotencyKey)
	fields := failure.Fields{}
	fields.Check(req.Credits <= 0, "credits", "must be more than 0")
	fields.Check(req.Credits > maxGrant, "credits", fmt.Sprintf("must be at most %d", int64(maxGrant)))
	fields.Check(req.IdempotencyKey == "", "idempotency_key", "is required, so that a retried request grants once")
	fields.Check(len(req.IdempotencyKey) > 200, "idempotency_key", "must be at most 200 characters")
	fields.Check(len(req.Note) > 500, "note", "must be at most 500 characters")
	if err := fields.Err(); err != nil {
		return err
	}
	ctx := c.UserContext()
	ws, err := tenants.ByRef(ctx, a.s.db, c.Params("id"))
	if err != nil {
		return err
	}
	p, _ := PrincipalOf(c)
	res, err := a.s.ledger.Move(ctx, ws.ID, billing.Movement{Kind: billing.Grant, Amount: req.Credits,
		Key: "grant:" + req.IdempotencyKey, Actor: p.User.ID, Ref: "operator", Note: strings.TrimSpace(req.Note)})
	if err != nil {
		return err
	}
	if res.Replayed {
		if res.Entry.Amount != req.Credits {
			return billing.ErrKeyReused.WithField("idempotency_key", "was used for a grant of a different amount")
		}
		return c.JSON(res.Entry)
	}
	a.s.log.Info("operator granted credits", "workspace_id", ws.ID, "credits", req.Credits, "operator", p.User.ID, "entry", res.Entry.ID)
	return c.Status(http.StatusCreated).JSON(res.Entry)
}

func (a walletArea) stripeHook(c *fiber.Ctx) error {
	err := a.s.payments.HandleWebhook(c.UserContext(), c.Body(), c.Get("Stripe-Signature"))
	if errors.Is(err, billing.ErrBadSignature) {
		return httpError{http.StatusBadRequest, billing.ErrBadSignature}
	}
	if err != nil {
		return err
	}
	return c.JSON(StripeAck{Received: true})
}
