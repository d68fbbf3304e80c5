package messaging

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/hours"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// MaxSLAMinutes is the longest target an SLA policy sets: 30 days.
const MaxSLAMinutes = 30 * 24 * 60

// SLA targets a ticket can miss, as ConversationView's sla_breaches names them.
const (
	SLAFirstResponse = "first_response"
	SLANextResponse  = "next_response"
	SLAResolution    = "resolution"
)

// SLAPolicy is a workspace's targets for its Team Inbox. A ticket's clocks start
// from the customer's message and are set on the ticket when they start, so a new
// policy applies to clocks started after it. Resolving or abandoning a ticket stops
// its clocks where they are; reopening it keeps what they reached (missed stays
// missed) and runs none until the customer writes again.
type SLAPolicy struct {
	bun.BaseModel `bun:"table:sla_policies,alias:sla"`
	tenants.Owned

	FirstResponseMinutes int  `bun:"first_response_minutes,notnull" json:"first_response_minutes" doc:"a new ticket is answered within this many minutes of the customer's first message; 0: no target"`
	NextResponseMinutes  int  `bun:"next_response_minutes,notnull" json:"next_response_minutes" doc:"after the first answer, each customer message is answered within this many minutes; 0: no target"`
	ResolutionMinutes    int  `bun:"resolution_minutes,notnull" json:"resolution_minutes" doc:"a ticket is resolved within this many minutes of its first message (or of the message that reopened it); 0: no target"`
	BusinessHours        bool `bun:"business_hours,notnull" json:"business_hours" doc:"count only the workspace's business hours (when they are on) towards the targets"`
	// UpdatedAt is zero for a workspace that never set its policy.
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// Off reports whether the policy sets no target.
func (p SLAPolicy) Off() bool {
	return p.FirstResponseMinutes == 0 && p.NextResponseMinutes == 0 && p.ResolutionMinutes == 0
}

// SLA reads the workspace's SLA policy: no targets, where none was set.
func SLA(ctx context.Context, sc tenants.Scoped) (SLAPolicy, error) {
	var p SLAPolicy
	err := sc.Select(&p).Scan(ctx)
	if storage.IsNotFound(err) {
		return SLAPolicy{}, nil
	}
	if err != nil {
		return p, fmt.Errorf("messaging: SLA policy: %w", err)
	}
	return p, nil
}

// SetSLA stores the workspace's SLA policy.
func SetSLA(ctx context.Context, sc tenants.Scoped, p SLAPolicy) (SLAPolicy, error) {
	bad := failure.Fields{}
	between := fmt.Sprintf("must be from 0 (no target) to %d (30 days)", MaxSLAMinutes)
	for field, v := range map[string]int{"first_response_minutes": p.FirstResponseMinutes,
		"next_response_minutes": p.NextResponseMinutes, "resolution_minutes": p.ResolutionMinutes} {
		bad.Check(v < 0 || v > MaxSLAMinutes, field, between)
	}
	if err := bad.Err(); err != nil {
		return p, err
	}
	p.UpdatedAt = time.Now().UTC()
	_, err := sc.Insert(&p).On("CONFLICT (workspace_id) DO UPDATE").
		Set("first_response_minutes = EXCLUDED.first_response_minutes").Set("next_response_minutes = EXCLUDED.next_response_minutes").
		Set("resolution_minutes = EXCLUDED.resolution_minutes").Set("business_hours = EXCLUDED.business_hours").
		Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		return p, fmt.Errorf("messaging: set SLA policy: %w", err)
	}
	return p, nil
}

// slaClock turns a policy's minutes into moments: in open time when the policy
// counts business hours, else in plain time.
type slaClock struct {
	policy SLAPolicy
	hours  hours.Schedule
	loc    *time.Location
}

// clockOf is the clock of policy p: read in the workspace's business hours (and its
// time zone) when p counts them.
func clockOf(ctx context.Context, sc tenants.Scoped, p SLAPolicy) (slaClock, error) {
	if p.Off() || !p.BusinessHours {
		return slaClock{policy: p, loc: time.UTC}, nil
	}
	sched, err := hours.Get(ctx, sc)
	if err != nil {
		return slaClock{}, err
	}
	ws, err := tenants.ByRef(ctx, sc.DB(), sc.WorkspaceID())
	if err != nil {
		return slaClock{}, err
	}
	return slaClock{policy: p, hours: sched, loc: ws.Location()}, nil
}

// due is the moment a target of minutes started at start falls due; nil for no
// target (or business hours that never open).
func (k slaClock) due(start time.Time, minutes int) *time.Time {
	if minutes == 0 {
		return nil
	}
	at, ok := k.hours.AddOpen(start, time.Duration(minutes)*time.Minute, k.loc)
	if !ok {
		return nil
	}
	at = at.UTC()
	return &at
}

// startClocks starts the clocks a customer's message at starts on open ticket c, as
// policy says (nil: the workspace has none): the first response while the team has
// never answered, the next response once it has, and the resolution; each only if
// none is running. A ticket reopened starts with none running (see ChangeState).
func startClocks(ctx context.Context, sc tenants.Scoped, c *Conversation, policy *SLAPolicy, at time.Time) error {
	if policy == nil || policy.Off() {
		return nil
	}
	answered := c.FirstResponseAt != nil
	// Only a target the policy sets, whose clock is not running, needs the clock
	// (which may read the business hours).
	needed := !answered && c.FirstResponseDueAt == nil && policy.FirstResponseMinutes > 0 ||
		answered && c.NextResponseDueAt == nil && policy.NextResponseMinutes > 0 ||
		c.ResolutionDueAt == nil && policy.ResolutionMinutes > 0
	if !needed {
		return nil
	}
	k, err := clockOf(ctx, sc, *policy)
	if err != nil {
		return err
	}
	if !answered && c.FirstResponseDueAt == nil {
		c.FirstResponseDueAt = k.due(at, policy.FirstResponseMinutes)
	}
	if answered && c.NextResponseDueAt == nil {
		c.NextResponseDueAt = k.due(at, policy.NextResponseMinutes)
	}
	if c.ResolutionDueAt == nil {
		c.ResolutionDueAt = k.due(at, policy.ResolutionMinutes)
	}
	return nil
}

// slaColumns are the columns startClocks sets.
var slaColumns = []string{"first_response_due_at", "next_response_due_at", "resolution_due_at"}

// SLABreaches names the targets the ticket has missed by now: a verdict kept from an
// earlier cycle (the *_missed flags), or a clock past its target. A clock runs while
// the ticket is open and stops when it is resolved or abandoned, at state_changed_at;
// an answer written after that does not count for the cycle.
func (c Conversation) SLABreaches(now time.Time) []string {
	stopped := now
	if !c.Open() {
		stopped = c.StateChangedAt
	}
	out := []string{}
	if c.FirstResponseMissed || c.FirstResponseDueAt != nil && stopped.After(*c.FirstResponseDueAt) &&
		(c.FirstResponseAt == nil || c.FirstResponseAt.After(*c.FirstResponseDueAt)) {
		out = append(out, SLAFirstResponse)
	}
	if c.NextResponseMissed || c.NextResponseDueAt != nil && stopped.After(*c.NextResponseDueAt) {
		out = append(out, SLANextResponse)
	}
	if c.ResolutionMissed || c.ResolutionDueAt != nil && stopped.After(*c.ResolutionDueAt) {
		out = append(out, SLAResolution)
	}
	return out
}

// missedAt are the SQL verdicts of a ticket's clocks as of the moment the SQL
// expression at names, as SLABreaches reads them without the kept flags: first
// response, next response, resolution. Each holds at once (so its arguments go once
// for each); a clock not running is not missed.
func missedAt(at string) (first, next, resolution string) {
	return "COALESCE(" + at + " > cv.first_response_due_at AND COALESCE(cv.first_response_at > cv.first_response_due_at, TRUE), FALSE)",
		"COALESCE(" + at + " > cv.next_response_due_at, FALSE)",
		"COALESCE(" + at + " > cv.resolution_due_at, FALSE)"
}

// Open reports whether a ticket is still being worked: queued, active or pending.
func (c Conversation) Open() bool { return slices.Contains(openStates, c.State) }

// slaBreached restricts q to conversations that missed a target by now, as
// SLABreaches reads them.
func slaBreached(q *bun.SelectQuery, now time.Time) *bun.SelectQuery {
	first, next, resolution := missedAt("(CASE WHEN cv.state IN (?) THEN ? ELSE cv.state_changed_at END)")
	stopped := []any{bun.List(openStates), now}
	args := append(append(append([]any{}, stopped...), stopped...), stopped...)
	return q.Where("(cv.first_response_missed OR cv.next_response_missed OR cv.resolution_missed OR "+first+" OR "+next+" OR "+resolution+")", args...)
}

// stopClocks adds to q, an update of conversations that may reopen closed tickets,
// what a reopening does to their clocks: the verdicts they reached when the ticket
// closed are kept in the *_missed flags, and none runs until the customer's next
// message starts them. SET reads the row as it was: cv.state is the old state, and
// cv.state_changed_at when it closed.
func stopClocks(q *bun.UpdateQuery) *bun.UpdateQuery {
	first, next, resolution := missedAt("cv.state_changed_at")
	const closed = "cv.state IN (?)"
	for _, clock := range [][2]string{{"first_response", first}, {"next_response", next}, {"resolution", resolution}} {
		col, verdict := clock[0], clock[1]
		q = q.Set(col+"_missed = CASE WHEN "+closed+" THEN (cv."+col+"_missed OR "+verdict+") ELSE cv."+col+"_missed END", bun.List(closedStates)).
			Set(col+"_due_at = CASE WHEN "+closed+" THEN NULL ELSE cv."+col+"_due_at END", bun.List(closedStates))
	}
	return q
}
