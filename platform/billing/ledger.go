// Package billing keeps each workspace's wallet of message credits: an append-only
// ledger whose entries move the balance in the same transaction, so the balance always
// equals the ledger's sum and never goes below zero; and the Stripe top-ups that fill it.
package billing

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/batching"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// Kind is what a ledger entry records.
type Kind string

// Entry kinds. Amounts are positive for credits in (top-up, grant, refund) and
// negative for credits out (charge, expiry); adjustments go either way.
const (
	TopUp      Kind = "top_up"
	Charge     Kind = "charge"
	Refund     Kind = "refund"
	Grant      Kind = "grant"
	Adjustment Kind = "adjustment"
	Expiry     Kind = "expiry"
)

// Kinds lists every kind (filters, validation).
func Kinds() []Kind { return []Kind{TopUp, Charge, Refund, Grant, Adjustment, Expiry} }

// Errors of the ledger.
var (
	ErrInsufficientCredits = failure.New(failure.Forbidden, "out_of_credits", "Out of message credits")
	ErrNoSuchCharge        = failure.New(failure.NotFound, "charge_not_found", "no charge with this key to refund")
	ErrKeyReused           = failure.New(failure.Conflict, "idempotency_key_reused", "this idempotency key was used for a different movement")
)

// Wallet is a workspace's balance of message credits.
type Wallet struct {
	bun.BaseModel `bun:"table:wallets,alias:wl"`
	tenants.Owned

	Balance             int64 `bun:"balance,notnull" json:"balance"`
	LowBalanceThreshold int64 `bun:"low_balance_threshold,notnull" json:"low_balance_threshold"`
	// LowBalanceAlertedAt is when the current low spell was alerted; nil when the
	// balance is clear of the threshold (or has not been low since it was set).
	LowBalanceAlertedAt *time.Time `bun:"low_balance_alerted_at" json:"low_balance_alerted_at"`
	StripeCustomerID    string     `bun:"stripe_customer_id,notnull" json:"-"`
	// Auto-recharge (see recharge.go): the pack it buys ("" off), the saved card it
	// pays with, and why it is paused ("" when it is not).
	AutoRechargePack      string `bun:"auto_recharge_pack,notnull" json:"auto_recharge_pack"`
	StripePaymentMethodID string `bun:"stripe_payment_method_id,notnull" json:"-"`
	CardLabel             string `bun:"card_label,notnull" json:"card_label"`
	// CardSavedAt is when the payment that saved the card was made.
	CardSavedAt       *time.Time `bun:"card_saved_at" json:"-"`
	AutoRechargeError string     `bun:"auto_recharge_error,notnull" json:"auto_recharge_error"`
	UpdatedAt         time.Time  `bun:"updated_at,notnull" json:"updated_at"`
}

// Entry is one ledger row. Entries are never changed once written.
type Entry struct {
	bun.BaseModel `bun:"table:ledger_entries,alias:le"`
	tenants.Owned

	ID             string    `bun:"id,pk" json:"id"`
	Kind           Kind      `bun:"kind,notnull" json:"kind" enum:"top_up,charge,refund,grant,adjustment,expiry"`
	Amount         int64     `bun:"amount,notnull" json:"amount" doc:"credits in (positive) or out (negative)"`
	BalanceAfter   int64     `bun:"balance_after,notnull" json:"balance_after"`
	IdempotencyKey string    `bun:"idempotency_key,notnull" json:"idempotency_key"`
	Actor          string    `bun:"actor,notnull" json:"actor" doc:"who moved the credits: a user id, system:…, stripe"`
	Reference      string    `bun:"reference,notnull" json:"reference" doc:"what it is about: a message id, a Stripe event id…"`
	RefundOf       *string   `bun:"refund_of" json:"refund_of,omitempty"`
	Note           string    `bun:"note,notnull" json:"note"`
	CreatedAt      time.Time `bun:"created_at,notnull" json:"created_at"`
	// Requested is what a partial take asked for, when the balance held less than
	// that (see Movement.AllowPartial); nil when the entry moved what was asked.
	Requested *int64 `bun:"requested" json:"-"`
}

// Asked is the amount the entry's movement asked for: its amount, or more for a
// partial take.
func (e Entry) Asked() int64 {
	if e.Requested != nil {
		return *e.Requested
	}
	return e.Amount
}

// Movement describes a change of balance.
type Movement struct {
	Kind   Kind
	Amount int64 // signed
	Key    string
	Actor  string
	Ref    string
	Note   string
	// AllowPartial lets a debit take only what the balance holds (a Stripe refund after
	// the credits were spent); the entry records what was actually taken.
	AllowPartial bool
	refundOf     *string
}

// Result is the entry a movement wrote (or, for a repeated key, the one it wrote the
// first time) and whether the balance just fell to or below the low-balance threshold.
type Result struct {
	Entry           Entry
	Replayed        bool
	CrossedLowLevel bool
}

// Ledger moves credits.
type Ledger struct {
	db *bun.DB
	// charges merges concurrent charges of one wallet (PostgreSQL only); batched
	// counts the charges applied as part of a multi-charge statement.
	charges *batching.Queue[string, Movement, Result]
	batched atomic.Int64

	// OnLowBalance, when set, is called when a movement takes the balance from above
	// the workspace's low-balance threshold to or below it, once a low spell (see
	// lowBalance; never for a replayed key), and when a threshold is set at or above
	// the balance. cause is the kind of the movement (Charge for a send), or "" for a
	// threshold set. It runs after the transaction committed, on the caller's goroutine
	// or, for a batch of charges, on the one applying the batch: keep it quick. The
	// app counts it and tells the workspace's browsers. Set it before the ledger is
	// shared.
	OnLowBalance func(ctx context.Context, workspaceID string, balance int64, cause Kind)
}

// NewLedger returns the ledger on db.
func NewLedger(db *bun.DB) *Ledger {
	l := &Ledger{db: db}
	l.charges = batching.New(maxChargeBatch, chargeTimeout, l.applyCharges)
	return l
}

// EnsureWallet creates the workspace's wallet if it has none.
func EnsureWallet(ctx context.Context, db bun.IDB, workspaceID string) error {
	w := Wallet{UpdatedAt: time.Now().UTC()}
	_, err := tenants.Scope(db, workspaceID).Insert(&w).On("CONFLICT (workspace_id) DO NOTHING").Exec(ctx)
	return err
}

// WalletOf returns the workspace's wallet (a zero wallet when it has none yet).
func WalletOf(ctx context.Context, sc tenants.Scoped) (Wallet, error) {
	var w Wallet
	err := sc.Select(&w).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		w.WorkspaceID = sc.WorkspaceID()
		return w, nil
	}
	return w, err
}

// Charge takes n credits for the thing named by key (the message id on the send
// path). It fails with ErrInsufficientCredits and takes nothing when the balance is
// short. Charging the same key again returns the first charge and takes nothing more,
// which is what makes at-least-once task delivery safe.
func (l *Ledger) Charge(ctx context.Context, workspaceID string, n int64, key, ref string) (Result, error) {
	if n <= 0 {
		return Result{}, fmt.Errorf("billing: charge of %d credits", n)
	}
	m := Movement{Kind: Charge, Amount: -n, Key: key, Actor: "system:send", Ref: ref}
	if storage.IsPostgres(l.db) {
		return l.charges.Do(ctx, workspaceID, m)
	}
	return l.Move(ctx, workspaceID, m)
}

// chargeOne is a charge on its own: the one-statement debit, else the general path.
func (l *Ledger) chargeOne(ctx context.Context, workspaceID string, m Movement) (Result, error) {
	res, done, err := l.debit(ctx, workspaceID, m)
	if errors.Is(err, errDuplicate) {
		return l.replay(ctx, workspaceID, m)
	}
	if done || err != nil {
		return res, err
	}
	return l.Move(ctx, workspaceID, m)
}

// debit is a charge's common case on PostgreSQL in one statement: the conditional
// balance update and the entry insert share a CTE, so the wallet row is locked for
// one round trip instead of a transaction's five. A bulk send from one workspace
// charges one wallet thousands of times a second; that lock is its ceiling. The
// statement is atomic: when the key was used before, the insert's unique violation
// undoes the update too. done is false when no row was debited (no wallet yet, or
// not enough credits) and the caller takes the general path, which knows why.
func (l *Ledger) debit(ctx context.Context, workspaceID string, m Movement) (Result, bool, error) {
	now := time.Now().UTC()
	e := Entry{ID: storage.NewID(), Kind: m.Kind, Amount: m.Amount, IdempotencyKey: m.Key, Actor: m.Actor,
		Reference: m.Ref, Note: m.Note, CreatedAt: now}
	e.WorkspaceID = workspaceID
	// Prepared (see tenants.Prepared): it runs once for every message sent.
	ps := tenants.Scope(l.db, workspaceID).Prepared()
	update := ps.Update((*Wallet)(nil)).
		Set("balance = balance + ?", tenants.Arg(2)).Set("updated_at = ?", tenants.Arg(3)).
		Where("balance + ? >= 0", tenants.Arg(2)).
		Returning("balance, low_balance_threshold")
	var rows []struct {
		BalanceAfter int64 `bun:"balance_after"`
		Threshold    int64 `bun:"low_balance_threshold"`
	}
	q := l.db.NewRaw(`WITH debit AS (?), entry AS (
			INSERT INTO ledger_entries (id, workspace_id, kind, amount, balance_after, idempotency_key, actor, reference, note, created_at)
			SELECT ?, ?, ?, $2, debit.balance, ?, ?, ?, ?, $3 FROM debit
			RETURNING balance_after
		)
		SELECT entry.balance_after, debit.low_balance_threshold FROM entry, debit`,
		update, tenants.Arg(4), ps.Workspace(), tenants.Arg(5), tenants.Arg(6), tenants.Arg(7), tenants.Arg(8), tenants.Arg(9))
	err := ps.ScanInto(ctx, q, &rows, e.Amount, e.CreatedAt, e.ID, e.Kind, e.IdempotencyKey, e.Actor, e.Reference, e.Note)
	if storage.IsUniqueViolation(err) {
		return Result{}, false, errDuplicate
	}
	if err != nil && !storage.IsNotFound(err) {
		return Result{}, false, fmt.Errorf("billing: debit: %w", err)
	}
	if len(rows) == 0 {
		return Result{}, false, nil
	}
	e.BalanceAfter = rows[0].BalanceAfter
	before, threshold := e.BalanceAfter-e.Amount, rows[0].Threshold
	res := Result{Entry: e, CrossedLowLevel: threshold > 0 && before > threshold && e.BalanceAfter <= threshold}
	if res.CrossedLowLevel {
		l.lowBalance(ctx, workspaceID, e.BalanceAfter, Charge)
	}
	return res, true, nil
}

// RefundKey is the idempotency key of the refund of the charge with key.
func RefundKey(chargeKey string) string { return "refund:" + chargeKey }

// Refund gives back, once, exactly what the charge with chargeKey took. Refunding
// again returns the first refund; refunding a key that was never charged is
// ErrNoSuchCharge.
func (l *Ledger) Refund(ctx context.Context, workspaceID, chargeKey, reason string) (Result, error) {
	var charge Entry
	err := tenants.Scope(l.db, workspaceID).Select(&charge).
		Where("le.idempotency_key = ? AND le.kind = ?", chargeKey, Charge).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return Result{}, ErrNoSuchCharge
	}
	if err != nil {
		return Result{}, err
	}
	return l.Move(ctx, workspaceID, Movement{Kind: Refund, Amount: -charge.Amount, Key: RefundKey(chargeKey),
		Actor: "system:send", Ref: charge.Reference, Note: reason, refundOf: &charge.ID})
}

// Move applies any movement in its own transaction.
func (l *Ledger) Move(ctx context.Context, workspaceID string, m Movement) (Result, error) {
	var res Result
	err := l.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		res, err = move(ctx, tenants.Scope(tx, workspaceID), m)
		return err
	})
	if errors.Is(err, errDuplicate) {
		// A concurrent call with the same key won the insert; its entry is the result.
		return l.replay(ctx, workspaceID, m)
	}
	if err == nil && res.CrossedLowLevel && !res.Replayed {
		l.lowBalance(ctx, workspaceID, res.Entry.BalanceAfter, m.Kind)
	}
	return res, err
}

// rearmLevel is the balance above which a wallet's low-balance alert is armed again:
// clear of the threshold by more than a tenth of it. A balance that hovers at the
// threshold (a charge, a refund, a charge) alerts once, not on every dip, while a
// top-up, a grant or the refunds of a failed campaign lift it clear and arm it.
const rearmLevel = "low_balance_threshold + low_balance_threshold / 10"

// lowBalance tells OnLowBalance that the wallet fell to or below its threshold, once
// a low spell: the wallet keeps when it alerted until credits lift the balance above
// rearmLevel (see move), the threshold is set again, or an auto-recharge is paid.
// The flag is set only while the wallet is still low: a top-up that landed since the
// debit ended the spell before it was marked.
func (l *Ledger) lowBalance(ctx context.Context, workspaceID string, balance int64, cause Kind) {
	res, err := tenants.Scope(l.db, workspaceID).Update((*Wallet)(nil)).
		Set("low_balance_alerted_at = ?", time.Now().UTC().Truncate(time.Microsecond)).
		Where("low_balance_alerted_at IS NULL AND low_balance_threshold > 0 AND balance <= low_balance_threshold").Exec(ctx)
	if err == nil {
		if n, rerr := res.RowsAffected(); rerr == nil && n == 0 {
			return // alerted already this spell, or it is over
		}
	}
	// When the alert cannot be remembered it goes out anyway: twice beats never.
	if l.OnLowBalance != nil {
		l.OnLowBalance(ctx, workspaceID, balance, cause)
	}
}

// SetLowBalanceThreshold sets the workspace's low-balance threshold (0 turns the alert
// off). A new value arms the alert again, and a wallet already at or below it is low
// now and alerts at once; the same value again changes nothing (saving a form twice
// must not alert, or pay an auto-recharge, twice).
func (l *Ledger) SetLowBalanceThreshold(ctx context.Context, workspaceID string, threshold int64) (Wallet, error) {
	if threshold < 0 {
		return Wallet{}, failure.Field("low_balance_threshold", "must be 0 or more")
	}
	sc := tenants.Scope(l.db, workspaceID)
	if err := EnsureWallet(ctx, sc.DB(), workspaceID); err != nil {
		return Wallet{}, err
	}
	before, err := WalletOf(ctx, sc)
	if err != nil {
		return Wallet{}, err
	}
	if before.LowBalanceThreshold == threshold {
		return before, nil
	}
	var w Wallet
	if err := sc.Update(&w).Set("low_balance_threshold = ?", threshold).Set("low_balance_alerted_at = NULL").
		Set("updated_at = ?", time.Now().UTC()).Returning("*").Scan(ctx); err != nil {
		return Wallet{}, fmt.Errorf("billing: set low-balance threshold: %w", err)
	}
	if threshold > 0 && w.Balance <= threshold {
		l.lowBalance(ctx, workspaceID, w.Balance, "")
		return WalletOf(ctx, sc)
	}
	return w, nil
}

var errDuplicate = errors.New("billing: duplicate idempotency key")

func (l *Ledger) replay(ctx context.Context, workspaceID string, m Movement) (Result, error) {
	e, found, err := entryByKey(ctx, tenants.Scope(l.db, workspaceID), m.Key)
	if err != nil {
		return Result{}, err
	}
	if !found {
		return Result{}, fmt.Errorf("billing: entry for key %q vanished", m.Key)
	}
	return replayed(e, m)
}

// Entries returns the workspace's entries under the keys, by key; keys without
// one are absent.
func (l *Ledger) Entries(ctx context.Context, workspaceID string, keys []string) (map[string]Entry, error) {
	var es []Entry
	if len(keys) > 0 {
		err := tenants.Scope(l.db, workspaceID).Select(&es).Where("le.idempotency_key IN (?)", bun.List(keys)).Scan(ctx)
		if err != nil {
			return nil, err
		}
	}
	out := make(map[string]Entry, len(es))
	for _, e := range es {
		out[e.IdempotencyKey] = e
	}
	return out, nil
}

func entryByKey(ctx context.Context, sc tenants.Scoped, key string) (Entry, bool, error) {
	var e Entry
	err := sc.Select(&e).Where("le.idempotency_key = ?", key).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return e, false, nil
	}
	return e, err == nil, err
}

// replayed returns the first entry for a key, refusing a key reused for another kind of
// movement (a bug in the caller, which must not be papered over).
func replayed(e Entry, m Movement) (Result, error) {
	if e.Kind != m.Kind {
		return Result{}, ErrKeyReused
	}
	return Result{Entry: e, Replayed: true}, nil
}

// move writes one entry and moves the balance by its amount inside the caller's
// transaction. Debits are conditional (balance + amount >= 0), which is safe under
// concurrency: on PostgreSQL the UPDATE locks the wallet row, on SQLite the
// transaction holds the database's write lock from its start.
func move(ctx context.Context, sc tenants.Scoped, m Movement) (Result, error) {
	if m.Key == "" {
		return Result{}, fmt.Errorf("billing: a movement needs an idempotency key")
	}
	// Lock the wallet first (PostgreSQL; SQLite's immediate transaction already holds
	// the write lock) so the key check, the balance read and the update see one state.
	// A workspace's first movement creates its wallet.
	var before Wallet
	lock := func() error {
		q := sc.Select(&before).Limit(1)
		if storage.IsPostgres(sc.DB()) {
			q = q.For("UPDATE")
		}
		return q.Scan(ctx)
	}
	err := lock()
	if storage.IsNotFound(err) {
		if err := EnsureWallet(ctx, sc.DB(), sc.WorkspaceID()); err != nil {
			return Result{}, err
		}
		err = lock()
	}
	if err != nil {
		return Result{}, err
	}
	if e, found, err := entryByKey(ctx, sc, m.Key); err != nil {
		return Result{}, err
	} else if found {
		return replayed(e, m)
	}
	now := time.Now().UTC()
	amount := m.Amount
	var requested *int64
	if m.AllowPartial && amount < 0 && before.Balance+amount < 0 {
		m.Note = fmt.Sprintf("%s (only %d of %d credits were left)", m.Note, before.Balance, -amount)
		requested, amount = &m.Amount, -before.Balance
	}
	var after []int64
	q := sc.Update((*Wallet)(nil)).
		Set("balance = balance + ?", amount).Set("updated_at = ?", now).
		Returning("balance")
	if amount < 0 {
		q = q.Where("balance + ? >= 0", amount)
	} else {
		// SET reads the row as it was, so balance here is the balance before.
		q = q.Set("low_balance_alerted_at = CASE WHEN balance + ? > "+rearmLevel+" THEN NULL ELSE low_balance_alerted_at END", amount)
	}
	if err := q.Scan(ctx, &after); err != nil && !storage.IsNotFound(err) {
		return Result{}, fmt.Errorf("billing: move balance: %w", err)
	}
	if len(after) == 0 {
		return Result{}, ErrInsufficientCredits
	}
	e := Entry{ID: storage.NewID(), Kind: m.Kind, Amount: amount, BalanceAfter: after[0], IdempotencyKey: m.Key,
		Actor: m.Actor, Reference: m.Ref, RefundOf: m.refundOf, Note: m.Note, CreatedAt: now, Requested: requested}
	if _, err := sc.Insert(&e).Exec(ctx); err != nil {
		if storage.IsUniqueViolation(err) {
			return Result{}, errDuplicate
		}
		return Result{}, fmt.Errorf("billing: write entry: %w", err)
	}
	crossed := before.LowBalanceThreshold > 0 && before.Balance > before.LowBalanceThreshold && e.BalanceAfter <= before.LowBalanceThreshold
	return Result{Entry: e, CrossedLowLevel: crossed}, nil
}
