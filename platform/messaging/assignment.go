package messaging

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

// How the Team Inbox hands out a ticket that enters its queue: a new customer's, one
// a customer's reply took back to work with no one holding it, one transferred to the
// queue, one its member gave back by leaving or changing role.
const (
	// AssignQueue: it waits until a member accepts it.
	AssignQueue = "queue"
	// AssignRoundRobin: to a member who holds tickets, is online (their own say, and
	// the app open) and under capacity, the least loaded first and, among equals, the
	// one who waited longest for a ticket: in turn. A team's ticket goes to its
	// members only; the general queue's to anyone.
	AssignRoundRobin = "round_robin"
	// AssignMember: every one to one member (an admin's inbox), whatever their load.
	AssignMember = "member"
)

// AssignmentSettings are a workspace's queue rules.
type AssignmentSettings struct {
	bun.BaseModel `bun:"table:assignment_settings,alias:asg"`
	tenants.Owned

	Mode       string  `bun:"mode,notnull" json:"mode" enum:"queue,round_robin,member" doc:"queue: tickets wait for a member to accept them; round_robin: to online members in turn, the least loaded first, within capacity; member: all to assignee_id"`
	AssigneeID *string `bun:"assignee_id" json:"assignee_id" doc:"with mode member: the user who gets every ticket that enters the queue"`
	Capacity   int     `bun:"capacity,notnull" json:"capacity" doc:"with round_robin: active tickets a member holds at most, unless their own capacity says otherwise; 0: no limit"`
	// UpdatedAt is zero for a workspace that never set its rules.
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// CapacityOf is how many active tickets the queue lets m hold: their own capacity,
// else the workspace's; 0 is no limit.
func (s AssignmentSettings) CapacityOf(m tenants.Membership) int {
	if m.Capacity != nil {
		return *m.Capacity
	}
	return s.Capacity
}

// A pass hands out at most assignBatch tickets, reading the queue assignPage at a
// time and at most assignScan of them; the next pass (the next change, or the sweep
// a minute later) goes on with the rest.
const (
	assignBatch = 200
	assignPage  = 200
	assignScan  = 2000
)

// Assignment reads the workspace's queue rules: the queue, where none were set.
func Assignment(ctx context.Context, sc tenants.Scoped) (AssignmentSettings, error) {
	var s AssignmentSettings
	err := sc.Select(&s).Scan(ctx)
	if storage.IsNotFound(err) {
		return AssignmentSettings{Mode: AssignQueue}, nil
	}
	if err != nil {
		return s, fmt.Errorf("messaging: assignment settings: %w", err)
	}
	return s, nil
}

// NotAHolder is the refusal, beside its field, of a member whose role may not hold
// tickets.
func NotAHolder(role policies.Role) string {
	return fmt.Sprintf("is a %s, who cannot reply to tickets", role)
}

// MayHold reports whether members of a role may hold tickets: whether the workspace
// lets the role reply (conversations:reply, its overrides included).
type MayHold func(role policies.Role) bool

// SetAssignment stores the workspace's queue rules. The member of mode member must
// be one of the workspace's who may hold tickets.
func SetAssignment(ctx context.Context, sc tenants.Scoped, s AssignmentSettings, mayHold MayHold) (AssignmentSettings, error) {
	bad := failure.Fields{}
	bad.Check(!slices.Contains([]string{AssignQueue, AssignRoundRobin, AssignMember}, s.Mode), "mode", "must be queue, round_robin or member")
	bad.Check(s.Capacity < 0 || s.Capacity > tenants.MaxCapacity, "capacity", fmt.Sprintf("must be from 0 (no limit) to %d", tenants.MaxCapacity))
	switch {
	case s.Mode == AssignMember && s.AssigneeID == nil:
		bad.Check(true, "assignee_id", "is required with mode member")
	case s.Mode != AssignMember && s.AssigneeID != nil:
		bad.Check(true, "assignee_id", "only applies with mode member")
	case s.AssigneeID != nil:
		m, err := tenants.MembershipOf(ctx, sc, *s.AssigneeID)
		switch {
		case errors.Is(err, tenants.ErrMemberNotFound):
			bad.Check(true, "assignee_id", "is not a member of this workspace")
		case err != nil:
			return s, err
		case !mayHold(m.Role):
			bad.Check(true, "assignee_id", NotAHolder(m.Role))
		}
	}
	if err := bad.Err(); err != nil {
		return s, err
	}
	s.UpdatedAt = time.Now().UTC()
	_, err := sc.Insert(&s).On("CONFLICT (workspace_id) DO UPDATE").
		Set("mode = EXCLUDED.mode").Set("assignee_id = EXCLUDED.assignee_id").
		Set("capacity = EXCLUDED.capacity").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		return s, fmt.Errorf("messaging: set assignment settings: %w", err)
	}
	return s, nil
}

// Assigned is a ticket the queue handed to a member, before and after.
type Assigned struct {
	Before, After Conversation
}

// Pass is what a pass of the queue goes by besides the workspace's rules.
type Pass struct {
	MayHold MayHold
	// Online tells which members have the app open; asked by a round-robin pass only.
	Online func(ctx context.Context) (map[string]bool, error)
	// Skip names, by conversation, a member it does not go to in this pass (who just
	// gave it to the queue).
	Skip map[string]string
	Now  time.Time
}

// AssignQueued hands the tickets waiting in the queue, oldest first, to members as
// the workspace's rules say, and reports each one handed out. A member gets only
// tickets of the connections their role's access rule lets them see. Capacity bounds
// what the queue hands out; a member may still accept, or be given, more by hand.
//
// Passes of one workspace run one at a time (the rules' row is locked on PostgreSQL;
// SQLite writes one at a time), so two tickets arriving together cannot both take a
// member's last free place. A member who leaves, or loses the role to reply, while a
// pass runs gets nothing from it: their membership row is updated, on the condition
// of their role, before each ticket is theirs, so either the pass waits for the
// change and passes them over, or the change waits for the pass and hands the ticket
// back to the queue with the rest of theirs.
func AssignQueued(ctx context.Context, sc tenants.Scoped, p Pass) ([]Assigned, error) {
	// Most workspaces keep the queue: one read, no transaction, on the inbound path.
	rules, err := Assignment(ctx, sc)
	if err != nil || rules.Mode == AssignQueue {
		return nil, err
	}
	present := map[string]bool{}
	if rules.Mode == AssignRoundRobin {
		// Asked before the transaction: Redis is not waited on holding the lock.
		if present, err = p.Online(ctx); err != nil {
			return nil, fmt.Errorf("messaging: assign queued tickets: %w", err)
		}
	}
	var holding []policies.Role
	for _, r := range policies.Roles() {
		if p.MayHold(r) {
			holding = append(holding, r)
		}
	}
	var out []Assigned
	err = storage.InTx(ctx, sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		out = nil
		st := sc.With(tx)
		// Read again, locked: the rules as this pass's turn finds them.
		var locked AssignmentSettings
		q := st.Select(&locked)
		if storage.IsPostgres(tx) {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); storage.IsNotFound(err) {
			return nil // the queue
		} else if err != nil {
			return err
		}
		if locked.Mode == AssignQueue || len(holding) == 0 {
			return nil
		}
		holders, err := ticketHolders(ctx, st, locked, p.MayHold, present)
		if err != nil || len(holders) == 0 {
			return err
		}
		// The queue, oldest first, a page at a time, of the tickets someone with room
		// could take: the tickets of a team whose members are away or full must not
		// hold up those behind them.
		var after *Conversation
		for scanned := 0; scanned < assignScan && len(out) < assignBatch; {
			q := st.Select((*Conversation)(nil)).Where("cv.kind = ? AND cv.state = ? AND cv.assignee_id IS NULL", KindTicket, StateQueued)
			teams, every, room := withRoom(holders)
			switch {
			case !room:
				return nil
			case !every && len(teams) == 0:
				q = q.Where("cv.team_id IS NULL")
			case !every:
				q = q.Where("(cv.team_id IS NULL OR cv.team_id IN (?))", bun.List(teams))
			}
			if after != nil {
				q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
					return q.Where("cv.created_at > ?", after.CreatedAt).WhereOr("cv.created_at = ? AND cv.id > ?", after.CreatedAt, after.ID)
				})
			}
			var queued []Conversation
			if err := q.OrderExpr("cv.created_at, cv.id").Limit(assignPage).Scan(ctx, &queued); err != nil {
				return err
			}
			if len(queued) == 0 {
				return nil
			}
			scanned += len(queued)
			after = &queued[len(queued)-1]
			for _, c := range queued {
				if len(out) == assignBatch {
					break
				}
				a, err := handOut(ctx, st, holders, c, p, holding)
				if err != nil {
					return err
				}
				if a != nil {
					out = append(out, *a)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("messaging: assign queued tickets: %w", err)
	}
	return out, nil
}

// handOut gives queued ticket c to the member the pass picks, if any: the ticket is
// theirs only if it is still queued, held by no one, in the team it was read in.
func handOut(ctx context.Context, st tenants.Scoped, holders []*holder, c Conversation, p Pass, holding []policies.Role) (*Assigned, error) {
	h, err := claim(ctx, st, holders, c, p.Skip[c.ID], holding, p.Now)
	if err != nil || h == nil {
		return nil, err
	}
	q := ChangeState(st.Update((*Conversation)(nil)).Set("assignee_id = ?", h.userID), StateActive, p.Now).
		Where("cv.id = ? AND cv.assignee_id IS NULL AND cv.state = ?", c.ID, StateQueued)
	if c.TeamID == nil {
		q = q.Where("cv.team_id IS NULL")
	} else {
		q = q.Where("cv.team_id = ?", *c.TeamID)
	}
	if taken, err := storage.Changed(q.Exec(ctx)); err != nil || !taken {
		return nil, err
	}
	// A ticket handed to someone is new to them.
	if err := MarkRead(ctx, st, c.ID, h.userID, true, p.Now); err != nil {
		return nil, err
	}
	h.load++
	h.lastAssigned = &p.Now
	before := c
	c.AssigneeID, c.State, c.StateChangedAt = &h.userID, StateActive, p.Now
	return &Assigned{Before: before, After: c}, nil
}

// withRoom is what the holders with room can take: the teams they work, or every
// team's (every: the member mode's member); room is false when none has any.
func withRoom(holders []*holder) (teams []string, every, room bool) {
	for _, h := range holders {
		if h.gone || h.capacity > 0 && h.load >= h.capacity {
			continue
		}
		room = true
		every = every || h.allTeams
		for _, t := range h.teams {
			if !slices.Contains(teams, t) {
				teams = append(teams, t)
			}
		}
	}
	return teams, every, room
}

// claim picks the member for c and marks them as given a ticket now, on the
// condition that they are still a member whose role may hold tickets (see
// AssignQueued); one who is not is passed over from then on.
func claim(ctx context.Context, st tenants.Scoped, holders []*holder, c Conversation, notTo string, holding []policies.Role, now time.Time) (*holder, error) {
	for {
		h := pick(holders, c, notTo)
		if h == nil {
			return nil, nil
		}
		still, err := storage.Changed(st.Update((*tenants.Membership)(nil)).Set("last_assigned_at = ?", now).
			Where("m.user_id = ? AND m.role IN (?)", h.userID, bun.List(holding)).Exec(ctx))
		if err != nil {
			return nil, err
		}
		if still {
			return h, nil
		}
		h.gone = true
	}
}

// holder is a member a pass may hand tickets to, with their load as it goes.
type holder struct {
	userID       string
	capacity     int // 0: no limit
	load         int // active tickets
	lastAssigned *time.Time
	access       Access
	gone         bool // left, or lost the role to reply, during the pass
	// teams are the teams whose tickets they take; every team's with mode member,
	// whose one member takes everything.
	teams    []string
	allTeams bool
}

// takes reports whether h takes tickets of c's team: the general queue's, anyone.
func (h *holder) takes(c Conversation) bool {
	return c.TeamID == nil || h.allTeams || slices.Contains(h.teams, *c.TeamID)
}

// ticketHolders are the members the rules let a pass hand tickets to: the one of mode
// member (whatever their availability, presence or load), or, round robin, those
// online by their own say and with the app open (present).
func ticketHolders(ctx context.Context, st tenants.Scoped, rules AssignmentSettings, mayHold MayHold, present map[string]bool) ([]*holder, error) {
	var members []tenants.Membership
	q := st.Select(&members)
	if rules.Mode == AssignMember {
		if rules.AssigneeID == nil {
			return nil, nil // the user was deleted: the rules' reference was cleared
		}
		q = q.Where("m.user_id = ?", *rules.AssigneeID)
	} else {
		q = q.Where("m.availability = ?", tenants.Online)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	members = slices.DeleteFunc(members, func(m tenants.Membership) bool {
		return !mayHold(m.Role) || rules.Mode == AssignRoundRobin && !present[m.UserID]
	})
	if len(members) == 0 {
		return nil, nil
	}
	accessRules, err := AccessRules(ctx, st)
	if err != nil {
		return nil, err
	}
	open, err := openTickets(ctx, st)
	if err != nil {
		return nil, err
	}
	teams, err := teamsOf(ctx, st)
	if err != nil {
		return nil, err
	}
	out := make([]*holder, len(members))
	for i, m := range members {
		h := &holder{userID: m.UserID, capacity: rules.CapacityOf(m), load: open[m.UserID].Active, lastAssigned: m.LastAssignedAt,
			access: Access{Rule: openRule(m.Role), UserID: m.UserID}}
		h.teams = teams[m.UserID]
		if rules.Mode == AssignMember {
			h.capacity, h.allTeams = 0, true // their inbox takes everything
		}
		if j := slices.IndexFunc(accessRules, func(r AccessRule) bool { return r.Role == m.Role }); j >= 0 {
			h.access.Rule = accessRules[j]
		}
		out[i] = h
	}
	return out, nil
}

// openCount is one member's open tickets.
type openCount struct {
	UserID  string `bun:"assignee_id"`
	Active  int    `bun:"active"`
	Pending int    `bun:"pending"`
}

// openTickets counts each member's open tickets (active or pending; an archived one
// is out of sight), by user id: the load the queue weighs and workloads show.
func openTickets(ctx context.Context, sc tenants.Scoped) (map[string]openCount, error) {
	var rows []openCount
	err := sc.Select((*Conversation)(nil)).
		ColumnExpr("cv.assignee_id, SUM(CASE WHEN cv.state = ? THEN 1 ELSE 0 END) AS active, SUM(CASE WHEN cv.state = ? THEN 1 ELSE 0 END) AS pending", StateActive, StatePending).
		Where("cv.kind = ? AND cv.archived = ? AND cv.assignee_id IS NOT NULL AND cv.state IN (?, ?)", KindTicket, false, StateActive, StatePending).
		GroupExpr("cv.assignee_id").Scan(ctx, &rows)
	out := make(map[string]openCount, len(rows))
	for _, r := range rows {
		out[r.UserID] = r
	}
	return out, err
}

// pick chooses the member for c: one who works its team's queue, whose inboxes
// include its connection and who has room, the least loaded first, then the one whose last ticket is oldest (never
// first), then by id so the choice is the same on every engine; never notTo, who
// just gave it back (a later pass may hand it to them again when no one else took it).
func pick(holders []*holder, c Conversation, notTo string) *holder {
	var best *holder
	for _, h := range holders {
		if h.gone || h.userID == notTo || !h.takes(c) || !h.access.AllowsConnection(c.ConnectionID) || h.capacity > 0 && h.load >= h.capacity {
			continue
		}
		if best == nil || before(h, best) {
			best = h
		}
	}
	return best
}

// before orders members for the next ticket.
func before(a, b *holder) bool {
	if a.load != b.load {
		return a.load < b.load
	}
	switch {
	case a.lastAssigned == nil && b.lastAssigned != nil:
		return true
	case a.lastAssigned != nil && b.lastAssigned == nil:
		return false
	case a.lastAssigned != nil && !a.lastAssigned.Equal(*b.lastAssigned):
		return a.lastAssigned.Before(*b.lastAssigned)
	}
	return cmp.Less(a.userID, b.userID)
}

// Workload is a member who holds tickets, with how many they hold and how many the
// queue lets them: what a transfer weighs.
type Workload struct {
	UserID       string `json:"user_id"`
	Active       int    `json:"active"`
	Pending      int    `json:"pending" doc:"waiting on the customer"`
	Capacity     int    `json:"capacity" doc:"active tickets the queue lets them hold at most (theirs, else the workspace's); 0: no limit"`
	Availability string `json:"availability" enum:"online,busy,offline"`
	Online       bool   `json:"online" doc:"has the app open now"`
}

// Workloads lists every member who may hold tickets with their open tickets (active
// or pending, not archived), by user id. online are the members with the app open.
func Workloads(ctx context.Context, sc tenants.Scoped, mayHold MayHold, online map[string]bool) ([]Workload, error) {
	rules, err := Assignment(ctx, sc)
	if err != nil {
		return nil, err
	}
	var members []tenants.Membership
	if err := sc.Select(&members).OrderExpr("m.user_id").Scan(ctx); err != nil {
		return nil, err
	}
	open, err := openTickets(ctx, sc)
	if err != nil {
		return nil, err
	}
	out := []Workload{}
	for _, m := range members {
		if mayHold(m.Role) {
			out = append(out, Workload{UserID: m.UserID, Active: open[m.UserID].Active, Pending: open[m.UserID].Pending,
				Capacity: rules.CapacityOf(m), Availability: m.Availability, Online: online[m.UserID]})
		}
	}
	return out, nil
}
