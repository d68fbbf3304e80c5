package billing_test

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"

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

func reportChargesPerSecond(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "charges/s")
	}
}

// BenchmarkChargeHotWallet: every goroutine charges the same workspace, so charges
// queue on its wallet row lock. This is the ceiling for one very busy workspace.
func BenchmarkChargeHotWallet(b *testing.B) {
	l, ids := benchLedger(b, 1)
	var seq atomic.Int64
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Charge(b.Context(), ids[0], 1, fmt.Sprint("hot-", seq.Add(1)), ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportChargesPerSecond(b)
}

// BenchmarkChargeManyWallets: goroutines charge 1,000 workspaces round-robin, so
// wallets rarely contend and throughput is bound by the database's commits.
func BenchmarkChargeManyWallets(b *testing.B) {
	l, ids := benchLedger(b, 1000)
	var seq atomic.Int64
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			if _, err := l.Charge(b.Context(), ids[n%int64(len(ids))], 1, fmt.Sprint("many-", n), ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportChargesPerSecond(b)
}
