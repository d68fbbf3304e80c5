package billing_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// audit checks the ledger's invariants for a workspace: the balance equals the sum of
// the entries, is never negative, every entry's balance_after chains from the one
// before, and every refund matches exactly one charge.
func audit(t *testing.T, ta *testapp.TestApp, workspaceID string) (balance int64) {
	t.Helper()
	sc := tenants.Scope(ta.App.DB, workspaceID)
	w, err := billing.WalletOf(ta.Ctx(), sc)
	if err != nil {
		t.Fatal(err)
	}
	var entries []billing.Entry
	if err := sc.Select(&entries).Order("le.created_at", "le.id").Scan(ta.Ctx()); err != nil {
		t.Fatal(err)
	}
	var sum int64
	charges := map[string]billing.Entry{}
	for _, e := range entries {
		if e.Kind == billing.Charge {
			charges[e.ID] = e
		}
	}
	refunded := map[string]bool{}
	for _, e := range entries {
		sum += e.Amount
		if e.BalanceAfter < 0 {
			t.Fatalf("entry %s left a negative balance %d", e.ID, e.BalanceAfter)
		}
		if e.Kind == billing.Refund {
			if e.RefundOf == nil {
				t.Fatalf("refund %s names no charge", e.ID)
			}
			c, ok := charges[*e.RefundOf]
			if !ok || c.Amount != -e.Amount || refunded[*e.RefundOf] {
				t.Fatalf("refund %s (%d) does not match exactly one charge (%+v, already refunded %v)", e.ID, e.Amount, c, refunded[*e.RefundOf])
			}
			refunded[*e.RefundOf] = true
		}
	}
	if w.Balance != sum || w.Balance < 0 {
		t.Fatalf("balance %d, ledger sum %d", w.Balance, sum)
	}
	return w.Balance
}

func newWallet(t *testing.T, engine testapp.Engine, credits int64) (*testapp.TestApp, *billing.Ledger, string) {
	ta := testapp.New(t, testapp.OnEngine(engine))
	ws := ta.NewWorkspace("Wallet").Workspace.ID
	l := billing.NewLedger(ta.App.DB)
	if credits > 0 {
		if _, err := l.Move(ta.Ctx(), ws, billing.Movement{Kind: billing.Grant, Amount: credits, Key: "seed", Actor: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	return ta, l, ws
}

func TestConcurrentChargesNeverOverdraw(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta, l, ws := newWallet(t, engine, 100)
			var ok, short atomic.Int64
			var wg sync.WaitGroup
			for i := range 200 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := l.Charge(ta.Ctx(), ws, 1, fmt.Sprintf("msg-%d", i), "")
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, billing.ErrInsufficientCredits):
						short.Add(1)
					default:
						t.Errorf("charge %d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			if ok.Load() != 100 || short.Load() != 100 {
				t.Fatalf("%d charges succeeded and %d were refused, want 100 and 100", ok.Load(), short.Load())
			}
			if b := audit(t, ta, ws); b != 0 {
				t.Fatalf("balance %d, want 0", b)
			}
		})
	}
}

func TestSameKeyChargedConcurrentlyOnce(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta, l, ws := newWallet(t, engine, 50)
			var wg sync.WaitGroup
			ids := make([]string, 20)
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := l.Charge(ta.Ctx(), ws, 3, "msg-42", "message:42")
					if err != nil {
						t.Errorf("charge: %v", err)
						return
					}
					ids[i] = res.Entry.ID
				}()
			}
			wg.Wait()
			for _, id := range ids {
				if id != ids[0] {
					t.Fatalf("the same key produced different entries: %v", ids)
				}
			}
			if b := audit(t, ta, ws); b != 47 {
				t.Fatalf("balance %d, want 47 (one charge of 3)", b)
			}
		})
	}
}

func TestRefund(t *testing.T) {
	ta, l, ws := newWallet(t, testapp.DefaultEngine(), 10)
	ctx := ta.Ctx()
	if _, err := l.Refund(ctx, ws, "never-charged", "x"); !errors.Is(err, billing.ErrNoSuchCharge) {
		t.Fatalf("refund of nothing: %v", err)
	}
	if _, err := l.Charge(ctx, ws, 4, "m1", "message:m1"); err != nil {
		t.Fatal(err)
	}
	first, err := l.Refund(ctx, ws, "m1", "provider rejected")
	if err != nil || first.Entry.Amount != 4 || first.Replayed {
		t.Fatalf("refund: %+v %v", first, err)
	}
	again, err := l.Refund(ctx, ws, "m1", "provider rejected")
	if err != nil || !again.Replayed || again.Entry.ID != first.Entry.ID {
		t.Fatalf("second refund must replay the first: %+v %v", again, err)
	}
	// Charging the same message again after its refund is still the first charge.
	if res, err := l.Charge(ctx, ws, 4, "m1", ""); err != nil || !res.Replayed {
		t.Fatalf("re-charge of a refunded key: %+v %v", res, err)
	}
	// A key may not change kind.
	if _, err := l.Move(ctx, ws, billing.Movement{Kind: billing.Grant, Amount: 5, Key: "m1"}); !errors.Is(err, billing.ErrKeyReused) {
		t.Fatalf("reusing a charge key for a grant: %v", err)
	}
	if b := audit(t, ta, ws); b != 10 {
		t.Fatalf("balance %d, want 10", b)
	}
}

func TestOutOfCreditsTakesNothing(t *testing.T) {
	ta, l, ws := newWallet(t, testapp.DefaultEngine(), 2)
	if _, err := l.Charge(ta.Ctx(), ws, 3, "big", ""); !errors.Is(err, billing.ErrInsufficientCredits) {
		t.Fatalf("charge beyond balance: %v", err)
	}
	if b := audit(t, ta, ws); b != 2 {
		t.Fatalf("balance %d after a refused charge, want 2", b)
	}
	// A partial adjustment (a Stripe refund after credits were spent) takes what is left.
	res, err := l.Move(ta.Ctx(), ws, billing.Movement{Kind: billing.Adjustment, Amount: -5, Key: "chargeback", AllowPartial: true})
	if err != nil || res.Entry.Amount != -2 || res.Entry.BalanceAfter != 0 {
		t.Fatalf("partial adjustment: %+v %v", res.Entry, err)
	}
	audit(t, ta, ws)
}

func TestLowBalanceCrossing(t *testing.T) {
	ta, l, ws := newWallet(t, testapp.DefaultEngine(), 12)
	if _, err := tenants.Scope(ta.App.DB, ws).Update((*billing.Wallet)(nil)).Set("low_balance_threshold = 10").Exec(ta.Ctx()); err != nil {
		t.Fatal(err)
	}
	crossed := []bool{}
	for i := range 4 {
		res, err := l.Charge(ta.Ctx(), ws, 1, fmt.Sprint("c", i), "")
		if err != nil {
			t.Fatal(err)
		}
		crossed = append(crossed, res.CrossedLowLevel)
	}
	// 12→11 no, 11→10 crosses, 10→9 already below, 9→8 no.
	if fmt.Sprint(crossed) != "[false true false false]" {
		t.Fatalf("low-balance crossings %v", crossed)
	}
}

// TestLowBalanceAlertsOncePerSpell: the alert goes out once while the balance hovers
// at the threshold, again only after credits lift it clear (by more than a tenth),
// and at once when a threshold is set at or above the balance.
func TestLowBalanceAlertsOncePerSpell(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ta, l, ws := newWallet(t, engine, 120)
			ctx := ta.Ctx()
			var alerts []int64
			var mu sync.Mutex
			l.OnLowBalance = func(_ context.Context, workspaceID string, balance int64, _ billing.Kind) {
				mu.Lock()
				defer mu.Unlock()
				if workspaceID == ws {
					alerts = append(alerts, balance)
				}
			}
			alerted := func() string {
				mu.Lock()
				defer mu.Unlock()
				return fmt.Sprint(alerts)
			}
			if _, err := l.SetLowBalanceThreshold(ctx, ws, 100); err != nil {
				t.Fatal(err)
			}
			key := 0
			charge := func(n int64) {
				t.Helper()
				key++
				if _, err := l.Charge(ctx, ws, n, fmt.Sprint("c", key), ""); err != nil {
					t.Fatal(err)
				}
			}
			move := func(kind billing.Kind, n int64) {
				t.Helper()
				key++
				if _, err := l.Move(ctx, ws, billing.Movement{Kind: kind, Amount: n, Key: fmt.Sprint("m", key), Actor: "test"}); err != nil {
					t.Fatal(err)
				}
			}
			alertedAt := func() *time.Time {
				t.Helper()
				w, err := billing.WalletOf(ctx, tenants.Scope(ta.App.DB, ws))
				if err != nil {
					t.Fatal(err)
				}
				return w.LowBalanceAlertedAt
			}
			if got := alerted(); got != "[]" {
				t.Fatalf("alerts after setting a threshold below the balance: %s, want none", got)
			}
			charge(20) // 120 → 100: low
			if got := alerted(); got != "[100]" || alertedAt() == nil {
				t.Fatalf("alerts after falling to the threshold: %s (alerted at %v), want [100]", got, alertedAt())
			}
			// Hovering: 100 → 110 (not clear: the threshold and a tenth) → 100.
			move(billing.Adjustment, 10)
			charge(10)
			move(billing.Adjustment, 1)
			charge(1)
			if got := alerted(); got != "[100]" {
				t.Fatalf("alerts while hovering at the threshold: %s, want one", got)
			}
			// The same threshold saved again while low: nothing.
			if _, err := l.SetLowBalanceThreshold(ctx, ws, 100); err != nil {
				t.Fatal(err)
			}
			if got := alerted(); got != "[100]" {
				t.Fatalf("alerts after saving the same threshold: %s, want one", got)
			}
			// Clear of it (111 > 110): armed again, and the next fall alerts.
			move(billing.Grant, 11)
			if alertedAt() != nil {
				t.Fatal("a balance lifted clear of the threshold still counts as alerted")
			}
			charge(11)
			if got := alerted(); got != "[100 100]" {
				t.Fatalf("alerts after a fresh fall: %s, want two", got)
			}
			// A threshold set above the balance: low now.
			if w, err := l.SetLowBalanceThreshold(ctx, ws, 150); err != nil || w.LowBalanceAlertedAt == nil {
				t.Fatalf("raise the threshold above the balance: %+v (%v), want alerted", w, err)
			}
			if got := alerted(); got != "[100 100 100]" {
				t.Fatalf("alerts after raising the threshold above the balance: %s, want three", got)
			}
			// Lowered under the balance: armed, nothing said.
			if w, err := l.SetLowBalanceThreshold(ctx, ws, 50); err != nil || w.LowBalanceAlertedAt != nil {
				t.Fatalf("lower the threshold under the balance: %+v (%v), want armed", w, err)
			}
			var fe *failure.Error
			if _, err := l.SetLowBalanceThreshold(ctx, ws, -1); !errors.As(err, &fe) || fe.Fields["low_balance_threshold"] == "" {
				t.Fatalf("negative threshold: %v, want a field error", err)
			}
			if got := alerted(); got != "[100 100 100]" {
				t.Fatalf("alerts after lowering the threshold: %s, want still three", got)
			}
			audit(t, ta, ws)
		})
	}
}

// TestLedgerProperties runs random sequences of charges, refunds, top-ups and grants
// with repeated keys and checks the invariants after each sequence.
func TestLedgerProperties(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(8) {
				ta, l, ws := newWallet(t, engine, 0)
				r := rand.New(rand.NewPCG(seed, 99))
				ctx := ta.Ctx()
				var model int64
				charged := map[string]int64{}
				refunded := map[string]bool{}
				for step := range 60 {
					key := fmt.Sprintf("k%d", r.IntN(15)) // few keys: repeats are common
					switch r.IntN(4) {
					case 0:
						n := int64(r.IntN(5) + 1)
						res, err := l.Charge(ctx, ws, n, "charge:"+key, "")
						switch {
						case errors.Is(err, billing.ErrInsufficientCredits):
							if model >= n {
								t.Fatalf("seed %d step %d: refused %d with %d in the model", seed, step, n, model)
							}
						case err != nil:
							t.Fatal(err)
						case !res.Replayed:
							charged["charge:"+key] = n
							model -= n
						}
					case 1:
						res, err := l.Refund(ctx, ws, "charge:"+key, "test")
						if _, was := charged["charge:"+key]; !was {
							if !errors.Is(err, billing.ErrNoSuchCharge) {
								t.Fatalf("refund of uncharged key: %v", err)
							}
							continue
						}
						if err != nil {
							t.Fatal(err)
						}
						if !res.Replayed {
							if refunded["charge:"+key] {
								t.Fatal("a charge was refunded twice")
							}
							refunded["charge:"+key] = true
							model += charged["charge:"+key]
						}
					case 2, 3:
						kind := billing.TopUp
						if r.IntN(2) == 0 {
							kind = billing.Grant
						}
						n := int64(r.IntN(7) + 1)
						res, err := l.Move(ctx, ws, billing.Movement{Kind: kind, Amount: n, Key: string(kind) + ":" + key})
						if errors.Is(err, billing.ErrKeyReused) {
							continue
						}
						if err != nil {
							t.Fatal(err)
						}
						if !res.Replayed {
							model += n
						}
					}
				}
				if b := audit(t, ta, ws); b != model {
					t.Fatalf("seed %d: balance %d, model %d", seed, b, model)
				}
			}
		})
	}
}

// TestBatchedChargesChain: many concurrent charges of one wallet, some of them repeats
// of the same key, with enough credits for all. Each distinct key is charged once,
// the balance moves by exactly their sum, and the entries' balance_after values chain:
// ordered from the highest, each is the previous one plus its own amount, as if the
// charges had been applied one at a time.
func TestBatchedChargesChain(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			const seed = 100000
			ta, l, ws := newWallet(t, engine, seed)
			const n = 600
			amounts := map[string]int64{}
			keys := make([]string, n)
			for i := range keys {
				keys[i] = fmt.Sprintf("msg-%d", i%450) // 150 repeats
				amounts[keys[i]] = int64(i%450%3 + 1)
			}
			entryOf := make([]string, n)
			var wg sync.WaitGroup
			for i, key := range keys {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := l.Charge(ta.Ctx(), ws, amounts[key], key, "message:"+key)
					if err != nil {
						t.Errorf("charge %s: %v", key, err)
						return
					}
					if res.Entry.Amount != -amounts[key] || res.Entry.IdempotencyKey != key {
						t.Errorf("charge %s returned %+v", key, res.Entry)
					}
					entryOf[i] = res.Entry.ID
				}()
			}
			wg.Wait()
			byKey := map[string]string{}
			for i, key := range keys {
				if prev, ok := byKey[key]; ok && prev != entryOf[i] {
					t.Fatalf("key %s produced entries %s and %s", key, prev, entryOf[i])
				}
				byKey[key] = entryOf[i]
			}
			var want int64 = seed
			for _, a := range amounts {
				want -= a
			}
			if b := audit(t, ta, ws); b != want {
				t.Fatalf("balance %d, want %d", b, want)
			}
			var entries []billing.Entry
			if err := tenants.Scope(ta.App.DB, ws).Select(&entries).Where("le.kind = ?", billing.Charge).
				Order("le.balance_after DESC").Scan(ta.Ctx()); err != nil {
				t.Fatal(err)
			}
			if len(entries) != len(amounts) {
				t.Fatalf("%d charge entries, want %d", len(entries), len(amounts))
			}
			if engine == testapp.Postgres && l.BatchedCharges() == 0 {
				t.Error("no charge was applied in a batch: the test did not exercise batching")
			}
			t.Logf("%d of %d charges applied in batches", l.BatchedCharges(), n)
			prev := int64(seed)
			for _, e := range entries {
				if e.BalanceAfter != prev+e.Amount {
					t.Fatalf("entry %s: balance_after %d after %d with amount %d: the chain is broken", e.ID, e.BalanceAfter, prev, e.Amount)
				}
				prev = e.BalanceAfter
			}
		})
	}
}
