package billing

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// ErrPackNotFound is reported for a pack code that names no (active) pack.
var ErrPackNotFound = failure.New(failure.NotFound, "pack_not_found", "no such top-up pack")

// Pack is a top-up the operator sells: a number of credits for a price. Packs belong
// to the installation, not to a workspace.
type Pack struct {
	bun.BaseModel `bun:"table:top_up_packs,alias:tp"`

	ID         string    `bun:"id,pk" json:"id"`
	Code       string    `bun:"code,notnull" json:"code"`
	Name       string    `bun:"name,notnull" json:"name"`
	Credits    int64     `bun:"credits,notnull" json:"credits"`
	PriceCents int64     `bun:"price_cents,notnull" json:"price_cents" doc:"price in the currency's smallest unit"`
	Currency   string    `bun:"currency,notnull" json:"currency" doc:"ISO 4217 code, lowercase"`
	Active     bool      `bun:"active,notnull" json:"active" doc:"only active packs are offered to workspaces"`
	CreatedAt  time.Time `bun:"created_at,notnull" json:"created_at"`
}

// PackInput creates or replaces a pack.
type PackInput struct {
	Name       string `json:"name"`
	Credits    int64  `json:"credits"`
	PriceCents int64  `json:"price_cents" doc:"price in the currency's smallest unit, e.g. 1000 for 10.00 USD"`
	Currency   string `json:"currency" doc:"ISO 4217 code, e.g. usd"`
	Active     *bool  `json:"active,omitempty" doc:"default true"`
}

var currencyPattern = regexp.MustCompile(`^[a-z]{3}$`)

// Packs lists packs by price; activeOnly leaves out the ones no longer sold.
func Packs(ctx context.Context, db bun.IDB, activeOnly bool) ([]Pack, error) {
	var out []Pack
	q := db.NewSelect().Model(&out).Order("tp.currency", "tp.price_cents", "tp.code")
	if activeOnly {
		q = q.Where("tp.active = ?", true)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("billing: packs: %w", err)
	}
	return out, nil
}

// PackByCode loads a pack; activeOnly refuses one that is no longer sold.
func PackByCode(ctx context.Context, db bun.IDB, code string, activeOnly bool) (Pack, error) {
	var p Pack
	q := db.NewSelect().Model(&p).Where("tp.code = ?", code)
	if activeOnly {
		q = q.Where("tp.active = ?", true)
	}
	err := q.Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return p, ErrPackNotFound
	}
	return p, err
}

// SavePack creates the pack with code or replaces the one with that code.
func SavePack(ctx context.Context, db bun.IDB, code string, in PackInput) (Pack, error) {
	code = strings.TrimSpace(code)
	in.Name = strings.TrimSpace(in.Name)
	in.Currency = strings.ToLower(strings.TrimSpace(in.Currency))
	fields := failure.Fields{}
	fields.Check(tenants.ValidSlug(code) != "", "code", "must be 1–40 lowercase letters, digits or dashes")
	fields.Check(in.Name == "", "name", "is required")
	fields.Check(len(in.Name) > 100, "name", "must be at most 100 characters")
	fields.Check(in.Credits <= 0, "credits", "must be more than 0")
	fields.Check(in.PriceCents <= 0, "price_cents", "must be more than 0")
	fields.Check(!currencyPattern.MatchString(in.Currency), "currency", "must be a three-letter ISO 4217 code such as usd")
	if err := fields.Err(); err != nil {
		return Pack{}, err
	}
	active := in.Active == nil || *in.Active
	p := Pack{ID: storage.NewID(), Code: code, Name: in.Name, Credits: in.Credits, PriceCents: in.PriceCents,
		Currency: in.Currency, Active: active, CreatedAt: time.Now().UTC()}
	_, err := db.NewInsert().Model(&p).
		On("CONFLICT (code) DO UPDATE").
		Set("name = EXCLUDED.name, credits = EXCLUDED.credits, price_cents = EXCLUDED.price_cents").
		Set("currency = EXCLUDED.currency, active = EXCLUDED.active").
		Exec(ctx)
	if err != nil {
		return Pack{}, fmt.Errorf("billing: save pack: %w", err)
	}
	return PackByCode(ctx, db, code, false)
}
