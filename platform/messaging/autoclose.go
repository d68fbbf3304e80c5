package messaging

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// MaxAutoCloseMinutes is the longest a ticket may be left idle before the rules close
// it: 90 days.
const MaxAutoCloseMinutes = 90 * 24 * 60

// AutoClose are a workspace's rules for tickets no one touches. A ticket is idle from
// the later of its last message (either way; internal notes aside) and when it
// entered its state, so one just accepted, handed over or reopened starts afresh.
type AutoClose struct {
	bun.BaseModel `bun:"table:auto_close_settings,alias:acs"`
	tenants.Owned

	ResolveAfterMinutes int `bun:"resolve_after_minutes,notnull" json:"resolve_after_minutes" doc:"an active or pending ticket idle this long is resolved (its member keeps it: a reply comes back to them); 0: never"`
	AbandonAfterMinutes int `bun:"abandon_after_minutes,notnull" json:"abandon_after_minutes" doc:"a queued ticket idle this long, taken by no one, is closed as abandoned (a reply puts it back in the queue); 0: never"`
	// UpdatedAt is zero for a workspace that never set its rules.
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// Off reports whether the rules close nothing.
func (r AutoClose) Off() bool { return r.ResolveAfterMinutes == 0 && r.AbandonAfterMinutes == 0 }

// AutoCloseRules reads the workspace's auto-close rules: none, where none were set.
func AutoCloseRules(ctx context.Context, sc tenants.Scoped) (AutoClose, error) {
	var r AutoClose
	err := sc.Select(&r).Scan(ctx)
	if storage.IsNotFound(err) {
		return AutoClose{}, nil
	}
	if err != nil {
		return r, fmt.Errorf("messaging: auto-close rules: %w", err)
	}
	return r, nil
}

// SetAutoClose stores the workspace's auto-close rules.
func SetAutoClose(ctx context.Context, sc tenants.Scoped, r AutoClose) (AutoClose, error) {
	bad := failure.Fields{}
	const between = "must be from 0 (never) to %d (90 days)"
	bad.Check(r.ResolveAfterMinutes < 0 || r.ResolveAfterMinutes > MaxAutoCloseMinutes, "resolve_after_minutes", fmt.Sprintf(between, MaxAutoCloseMinutes))
	bad.Check(r.AbandonAfterMinutes < 0 || r.AbandonAfterMinutes > MaxAutoCloseMinutes, "abandon_after_minutes", fmt.Sprintf(between, MaxAutoCloseMinutes))
	if err := bad.Err(); err != nil {
		return r, err
	}
	r.UpdatedAt = time.Now().UTC()
	_, err := sc.Insert(&r).On("CONFLICT (workspace_id) DO UPDATE").
		Set("resolve_after_minutes = EXCLUDED.resolve_after_minutes").Set("abandon_after_minutes = EXCLUDED.abandon_after_minutes").
		Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		return r, fmt.Errorf("messaging: set auto-close rules: %w", err)
	}
	return r, nil
}

// Closed is a ticket the auto-close rules closed, before and after, and how long it
// had been idle by the rule that closed it.
type Closed struct {
	Before, After Conversation
	IdleFor       time.Duration
}

// closeBatch is how many idle tickets of each kind one run closes at most; the next
// run (a minute later) goes on with the rest.
const closeBatch = 500

// CloseIdle closes the workspace's idle tickets as its rules say, those of one kind:
// to resolved, the active and pending ones; to abandoned, the queued ones no one
// holds. Each ticket is closed on the condition that it is still as it was read, so
// a customer's message or a member's change arriving meanwhile keeps it open.
func CloseIdle(ctx context.Context, sc tenants.Scoped, rules AutoClose, to string, now time.Time) ([]Closed, error) {
	minutes, from, holder := rules.ResolveAfterMinutes, []string{StateActive, StatePending}, ""
	if to == StateAbandoned {
		minutes, from, holder = rules.AbandonAfterMinutes, []string{StateQueued}, " AND cv.assignee_id IS NULL"
	}
	if minutes == 0 {
		return nil, nil
	}
	idleFor := time.Duration(minutes) * time.Minute
	cutoff := now.Add(-idleFor)
	const idle = "cv.kind = ? AND cv.state IN (?) AND cv.last_activity_at < ? AND (cv.state_changed_at IS NULL OR cv.state_changed_at < ?)"
	var tickets []Conversation
	if err := sc.Select(&tickets).Where(idle+holder, KindTicket, bun.List(from), cutoff, cutoff).
		OrderExpr("cv.last_activity_at, cv.id").Limit(closeBatch).Scan(ctx); err != nil {
		return nil, fmt.Errorf("messaging: idle tickets: %w", err)
	}
	var out []Closed
	for _, c := range tickets {
		closed, err := storage.Changed(ChangeState(sc.Update((*Conversation)(nil)), to, now).
			Where("cv.id = ? AND "+idle+holder, c.ID, KindTicket, bun.List(from), cutoff, cutoff).Exec(ctx))
		if err != nil {
			return out, fmt.Errorf("messaging: close idle ticket: %w", err)
		}
		if !closed {
			continue
		}
		after := c
		after.State, after.StateChangedAt = to, now
		out = append(out, Closed{Before: c, After: after, IdleFor: idleFor})
	}
	return out, nil
}
