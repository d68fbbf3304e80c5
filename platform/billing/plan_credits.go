package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/tenants"
)

// TypePlanCredits is the periodic task granting plans' monthly credits.
const TypePlanCredits = "billing:plan_credits"

// planCreditsBatch is how many workspaces GrantPlanCredits reads at a time (a
// variable so tests can make batches small).
var planCreditsBatch = 500

// PlanCreditsKey is the ledger key of a month's plan credits ("plan:2026-11"): one
// grant per workspace and calendar month (UTC), however often the task runs.
func PlanCreditsKey(now time.Time) string { return "plan:" + now.UTC().Format("2006-01") }

// GrantPlanCredits grants every workspace its plan's monthly credits for the month of
// now, once: a workspace already granted this month is skipped, and the ledger key
// makes a concurrent or repeated run harmless. It walks the workspaces in id order, a
// batch at a time, so memory stays flat however many there are. Suspended workspaces
// are skipped; once reinstated, the next run (hourly) grants them the month's credits.
// granted counts the grants made by this call.
func GrantPlanCredits(ctx context.Context, db *bun.DB, now time.Time) (granted int, err error) {
	key := PlanCreditsKey(now)
	month := now.UTC().Format("January 2006")
	ledger := NewLedger(db)
	after := ""
	for {
		var batch []struct {
			ID       string           `bun:"id"`
			PlanCode string           `bun:"plan_code"`
			Features tenants.Features `bun:"features"`
		}
		err := db.NewSelect().TableExpr("workspaces AS w").
			ColumnExpr("w.id, p.code AS plan_code, p.features").
			Join("JOIN plans AS p ON p.id = w.plan_id").
			Where("w.id > ?", after).Where("w.suspended_at IS NULL").
			OrderExpr("w.id ASC").Limit(planCreditsBatch).Scan(ctx, &batch)
		if err != nil {
			return granted, fmt.Errorf("billing: plan credits: workspaces: %w", err)
		}
		if len(batch) == 0 {
			return granted, nil
		}
		after = batch[len(batch)-1].ID

		for _, w := range batch {
			// Move is idempotent on the month's key: a workspace granted earlier this
			// month replays its first grant and gets nothing more.
			if w.Features.MonthlyCredits <= 0 {
				continue
			}
			res, err := ledger.Move(ctx, w.ID, Movement{Kind: Grant, Amount: w.Features.MonthlyCredits, Key: key,
				Actor: "system:plan", Ref: "plan:" + w.PlanCode, Note: "monthly credits of plan " + w.PlanCode + ", " + month})
			if err != nil {
				return granted, fmt.Errorf("billing: plan credits for %s: %w", w.ID, err)
			}
			if !res.Replayed {
				granted++
			}
		}
		if len(batch) < planCreditsBatch {
			return granted, nil
		}
	}
}
