package tenants

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
)

// DefaultPlanCode is the plan a new workspace starts on.
const DefaultPlanCode = "free"

// ErrPlanNotFound is reported for an unknown plan code or id.
var ErrPlanNotFound = failure.New(failure.NotFound, "plan_not_found", "plan not found")

// Features are what a plan allows. Zero limits mean "none"; a limit of -1 means
// unlimited.
type Features struct {
	MultiDevice    bool `json:"multi_device"`
	AIAssist       bool `json:"ai_assist"`
	MaxConnections int  `json:"max_connections"`
	MaxSeats       int  `json:"max_seats"`
	// Channels lists the plugin ids the plan includes; empty means every installed one.
	Channels []string `json:"channels,omitempty"`
	// MonthlyCredits are granted to each workspace on the plan once per calendar month
	// (UTC) by the billing:plan_credits task; 0 grants nothing.
	MonthlyCredits int64 `json:"monthly_credits"`
}

// Plan is an operator-managed bundle of features.
type Plan struct {
	bun.BaseModel `bun:"table:plans,alias:p"`

	ID        string    `bun:"id,pk" json:"id"`
	Code      string    `bun:"code,notnull" json:"code"`
	Name      string    `bun:"name,notnull" json:"name"`
	Features  Features  `bun:"features,notnull" json:"features"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// Allows reports whether n items fit under limit (-1 is unlimited).
func Allows(limit, n int) bool { return limit < 0 || n <= limit }

// defaultPlans exist on every installation; the operator may change their features.
var defaultPlans = []Plan{
	{Code: DefaultPlanCode, Name: "Free", Features: Features{MaxConnections: 1, MaxSeats: 5}},
	{Code: "business", Name: "Business", Features: Features{MultiDevice: true, AIAssist: true, MaxConnections: 10, MaxSeats: 50}},
}

// EnsureDefaultPlans creates the built-in plans that do not exist yet. It never
// overwrites an operator's changes.
func EnsureDefaultPlans(ctx context.Context, db bun.IDB) error {
	for _, p := range defaultPlans {
		now := time.Now().UTC()
		p.ID, p.CreatedAt, p.UpdatedAt = storage.NewID(), now, now
		if _, err := db.NewInsert().Model(&p).On("CONFLICT (code) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("tenants: default plans: %w", err)
		}
	}
	return nil
}

// PlanByCode loads a plan; an empty code means the default plan.
func PlanByCode(ctx context.Context, db bun.IDB, code string) (Plan, error) {
	if code == "" {
		code = DefaultPlanCode
	}
	var p Plan
	err := db.NewSelect().Model(&p).Where("code = ?", code).Scan(ctx)
	if storage.IsNotFound(err) {
		return p, ErrPlanNotFound.WithField("plan", "no plan with code "+code)
	}
	return p, err
}

// PlanByID loads a plan by id.
func PlanByID(ctx context.Context, db bun.IDB, id string) (Plan, error) {
	var p Plan
	err := db.NewSelect().Model(&p).Where("id = ?", id).Scan(ctx)
	if storage.IsNotFound(err) {
		return p, ErrPlanNotFound
	}
	return p, err
}

// Plans lists every plan by code.
func Plans(ctx context.Context, db bun.IDB) ([]Plan, error) {
	var out []Plan
	err := db.NewSelect().Model(&out).Order("code").Scan(ctx)
	return out, err
}

// SavePlan creates a plan or updates the one with the same code.
func SavePlan(ctx context.Context, db bun.IDB, code, name string, f Features) (Plan, error) {
	fields := failure.Fields{}
	code = strings.TrimSpace(code)
	if why := ValidSlug(code); code == "" || why != "" {
		fields.Add("code", "must be lowercase letters, digits or dashes")
	}
	fields.Check(strings.TrimSpace(name) == "", "name", "is required")
	fields.Check(f.MaxConnections < -1, "features.max_connections", "must be -1 (unlimited) or more")
	fields.Check(f.MaxSeats < -1 || f.MaxSeats == 0, "features.max_seats", "must be -1 (unlimited) or at least 1")
	fields.Check(f.MonthlyCredits < 0, "features.monthly_credits", "must be 0 or more")
	if err := fields.Err(); err != nil {
		return Plan{}, err
	}
	now := time.Now().UTC()
	p := Plan{ID: storage.NewID(), Code: code, Name: strings.TrimSpace(name), Features: f, CreatedAt: now, UpdatedAt: now}
	_, err := db.NewInsert().Model(&p).
		On("CONFLICT (code) DO UPDATE").
		Set("name = EXCLUDED.name, features = EXCLUDED.features, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return Plan{}, fmt.Errorf("tenants: save plan: %w", err)
	}
	return PlanByCode(ctx, db, code)
}

// SetWorkspacePlan moves a workspace to another plan (operator only).
func SetWorkspacePlan(ctx context.Context, db bun.IDB, workspaceID, planCode string) error {
	p, err := PlanByCode(ctx, db, planCode)
	if err != nil {
		return err
	}
	res, err := db.NewUpdate().Model((*Workspace)(nil)).
		Set("plan_id = ?", p.ID).Set("updated_at = ?", time.Now().UTC()).
		Where("id = ?", workspaceID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrWorkspaceNotFound
	}
	return nil
}

// SetSuspended suspends or reinstates a workspace (operator only).
func SetSuspended(ctx context.Context, db bun.IDB, workspaceID string, suspended bool) error {
	var at *time.Time
	if suspended {
		now := time.Now().UTC()
		at = &now
	}
	res, err := db.NewUpdate().Model((*Workspace)(nil)).
		Set("suspended_at = ?", at).Set("updated_at = ?", time.Now().UTC()).
		Where("id = ?", workspaceID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrWorkspaceNotFound
	}
	return nil
}
