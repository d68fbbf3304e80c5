package billing_test

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

func TestGrantPlanCredits(t *testing.T) {
	// Batches of 2 so five workspaces take three batches, one of them partial.
	t.Cleanup(billing.SetPlanCreditsBatch(2))
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine))
			ctx := ta.Ctx()
			business, err := tenants.PlanByCode(ctx, ta.App.DB, "business")
			if err != nil {
				t.Fatal(err)
			}
			business.Features.MonthlyCredits = 300
			if _, err := tenants.SavePlan(ctx, ta.App.DB, "business", business.Name, business.Features); err != nil {
				t.Fatal(err)
			}
			var paid []string // testapp workspaces are on the business plan
			for range 4 {
				paid = append(paid, ta.NewWorkspace("Paid").Workspace.ID)
			}
			free, err := tenants.CreateWorkspace(ctx, ta.App.DB, tenants.NewWorkspace{Name: "Free", PlanCode: "free"})
			if err != nil {
				t.Fatal(err)
			}
			if err := tenants.SetSuspended(ctx, ta.App.DB, paid[3], true); err != nil {
				t.Fatal(err)
			}

			nov := time.Date(2026, 11, 1, 0, 30, 0, 0, time.UTC)
			expect := func(now time.Time, want int, balances ...int64) {
				t.Helper()
				n, err := billing.GrantPlanCredits(ctx, ta.App.DB, now)
				if err != nil || n != want {
					t.Fatalf("%s: granted %d (%v), want %d", now, n, err, want)
				}
				for i, ws := range paid {
					if b := audit(t, ta, ws); b != balances[i] {
						t.Fatalf("%s: workspace %d has %d credits, want %d", now, i, b, balances[i])
					}
				}
				if b := audit(t, ta, free.ID); b != 0 {
					t.Fatalf("the free plan (no monthly credits) got %d", b)
				}
			}
			expect(nov, 3, 300, 300, 300, 0)
			expect(nov.Add(29*24*time.Hour), 0, 300, 300, 300, 0) // later the same month
			// Reinstated mid-month: the next run grants the month's credits.
			if err := tenants.SetSuspended(ctx, ta.App.DB, paid[3], false); err != nil {
				t.Fatal(err)
			}
			expect(nov.Add(48*time.Hour), 1, 300, 300, 300, 300)
			// A new month (in UTC, whatever the local zone says).
			dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).In(time.FixedZone("UTC-5", -5*3600))
			expect(dec, 4, 600, 600, 600, 600)
			expect(dec, 0, 600, 600, 600, 600)

			var e billing.Entry
			if err := tenants.Scope(ta.App.DB, paid[0]).Select(&e).Where("le.idempotency_key = ?", "plan:2026-12").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if e.Kind != billing.Grant || e.Amount != 300 || e.Actor != "system:plan" {
				t.Fatalf("december grant %+v", e)
			}
		})
	}
}
