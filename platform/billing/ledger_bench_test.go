package billing_test

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// benchLedger is a PostgreSQL app with n funded workspaces. The benchmarks measure
// the production database: SQLite serializes every write transaction, so its numbers
// would say nothing about contention on one wallet row.
func benchLedger(b *testing.B, n int) (*billing.Ledger, []string) {
	b.Helper()
	if os.Getenv(testapp.EnvPostgres) == "" {
		b.Skipf("%s is not set: the ledger benchmarks measure PostgreSQL (eval \"$(.ci/services start)\" starts one)", testapp.EnvPostgres)
	}
	ta := testapp.New(b, testapp.OnEngine(testapp.Postgres))
	ctx := ta.Ctx()
	l := billing.NewLedger(ta.App.DB)
	ids := make([]string, n)
	for i := range ids {
		ws, err := tenants.CreateWorkspace(ctx, ta.App.DB, tenants.NewWorkspace{Name: fmt.Sprintf("Bench %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = ws.ID
		if _, err := l.Move(ctx, ws.ID, billing.Movement{Kind: billing.Grant, Amount: 1 << 40, Key: "seed", Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	return l, ids
}

// benchParallelism × GOMAXPROCS goroutines charge at once, as many concurrent sends
// would: enough to queue on a hot wallet's row lock even on a small machine.
const benchParallelism = 8

// chargeAll runs n charges from benchParallelism × GOMAXPROCS goroutines, each on the
// workspace pick chooses, through charge, and returns how long they took.
func chargeAll(b *testing.B, n int, pick func(i int64) string, charge func(ws, key string) error) time.Duration {
	b.Helper()
	var seq atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range benchParallelism * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := seq.Add(1)
				if i > int64(n) {
					return
				}
				if err := charge(pick(i), fmt.Sprintf("c-%d", i)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// benchCharges measures Charge against a baseline in the same run: the same charges
// through Move, the general one-transaction path (what SQLite and every other kind
// of movement use), on fresh workspaces.
func benchCharges(b *testing.B, wallets int) {
	baseline, baseIDs := benchLedger(b, wallets)
	l, ids := benchLedger(b, wallets)
	pick := func(ids []string) func(int64) string { return func(i int64) string { return ids[i%int64(len(ids))] } }
	b.ResetTimer()
	moved := chargeAll(b, b.N, pick(baseIDs), func(ws, key string) error {
		_, err := baseline.Move(b.Context(), ws, billing.Movement{Kind: billing.Charge, Amount: -1, Key: key, Actor: "bench"})
		return err
	})
	charged := chargeAll(b, b.N, pick(ids), func(ws, key string) error {
		_, err := l.Charge(b.Context(), ws, 1, key, "")
		return err
	})
	b.StopTimer()
	rate, base := float64(b.N)/charged.Seconds(), float64(b.N)/moved.Seconds()
	b.ReportMetric(rate, "charges/s")
	b.ReportMetric(base, "baseline_moves/s")
	b.ReportMetric(rate/base, "charge/baseline")
}

// BenchmarkChargeHotWallet: every goroutine charges the same workspace, so charges
// queue on its wallet row lock. This is the ceiling for one very busy workspace; the
// baseline takes the row lock once per charge, Charge once per batch.
func BenchmarkChargeHotWallet(b *testing.B) { benchCharges(b, 1) }

// BenchmarkChargeManyWallets: goroutines charge 1,000 workspaces round-robin, so
// wallets rarely contend and throughput is bound by the database's commits.
func BenchmarkChargeManyWallets(b *testing.B) { benchCharges(b, 1000) }
