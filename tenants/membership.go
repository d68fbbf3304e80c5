package tenants

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
)

// Errors about members.
var (
	ErrMemberNotFound = failure.New(failure.NotFound, "member_not_found", "member not found")
	ErrAlreadyMember  = failure.New(failure.Conflict, "already_member", "this user is already a member of the workspace")
	ErrLastAdmin      = failure.New(failure.Conflict, "last_admin", "a workspace must keep at least one admin")
	ErrSeatLimit      = failure.New(failure.Forbidden, "seat_limit", "the workspace's plan has no free seats; remove a member or change plan")
)

// Membership is a user's role in one workspace.
type Membership struct {
	bun.BaseModel `bun:"table:memberships,alias:m"`
	Owned

	ID     string        `bun:"id,pk" json:"id"`
	UserID string        `bun:"user_id,notnull" json:"user_id"`
	Role   policies.Role `bun:"role,notnull" json:"role"`
	// Availability is the member's own say whether the queue may hand them tickets.
	Availability string `bun:"availability,notnull" json:"availability" enum:"online,busy,offline" doc:"online: the queue may hand them tickets while they have the app open; busy or offline: it passes them over"`
	// Capacity is how many active tickets the queue lets them hold; nil: the
	// workspace's (see messaging.AssignmentSettings).
	Capacity       *int       `bun:"capacity" json:"capacity" doc:"active tickets the queue lets them hold at most; null: the workspace's capacity"`
	LastAssignedAt *time.Time `bun:"last_assigned_at" json:"-"`
	CreatedAt      time.Time  `bun:"created_at,notnull" json:"created_at"`
}

// A member's availability: whether the Team Inbox queue may hand them tickets.
const (
	Online  = "online"
	Busy    = "busy"
	Offline = "offline"
)

// MaxCapacity bounds a member's (and a workspace's) ticket capacity.
const MaxCapacity = 1000

// Member is a membership with the user's public profile, as listed to the workspace.
type Member struct {
	ID           string        `json:"id"`
	UserID       string        `json:"user_id"`
	Email        string        `json:"email"`
	Name         string        `json:"name"`
	Role         policies.Role `json:"role"`
	Availability string        `json:"availability" enum:"online,busy,offline"`
	Capacity     *int          `json:"capacity" doc:"active tickets the queue lets them hold at most; null: the workspace's capacity"`
	CreatedAt    time.Time     `json:"created_at"`
}

// AddMember makes userID a member with role. Run it inside the caller's transaction
// when it goes with other writes.
func AddMember(ctx context.Context, s Scoped, userID string, role policies.Role) (Membership, error) {
	if !role.Valid() {
		return Membership{}, failure.Field("role", "must be admin, manager, agent or viewer")
	}
	m := Membership{ID: storage.NewID(), UserID: userID, Role: role, Availability: Online, CreatedAt: time.Now().UTC()}
	if _, err := s.Insert(&m).Exec(ctx); err != nil {
		if storage.IsUniqueViolation(err) {
			return Membership{}, ErrAlreadyMember
		}
		return Membership{}, fmt.Errorf("tenants: add member: %w", err)
	}
	return m, nil
}

// Members lists the workspace's members, oldest first, a page at a time.
func Members(ctx context.Context, s Scoped, page storage.Page) ([]Member, string, error) {
	var rows []Member
	q := s.Select((*Membership)(nil)).
		ColumnExpr("m.id, m.user_id, m.role, m.availability, m.capacity, m.created_at, u.email, u.name").
		Join("JOIN users AS u ON u.id = m.user_id")
	q = page.Apply(q, "m.id", false)
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, "", fmt.Errorf("tenants: members: %w", err)
	}
	rows, next := storage.NextCursor(rows, page, func(m Member) string { return m.ID })
	return rows, next, nil
}

// MembershipsOf lists every workspace userID belongs to, with the role in each.
func MembershipsOf(ctx context.Context, db bun.IDB, userID string) ([]WorkspaceRole, error) {
	var out []WorkspaceRole
	err := db.NewSelect().Model((*Membership)(nil)).
		ColumnExpr("w.id AS workspace_id, w.slug, w.name, m.role").
		Join("JOIN workspaces AS w ON w.id = m.workspace_id").
		Where("m.user_id = ?", userID).
		OrderExpr("w.name, w.id").
		Scan(ctx, &out)
	return out, err
}

// WorkspaceRole is one entry of a user's workspace switcher.
type WorkspaceRole struct {
	WorkspaceID string        `bun:"workspace_id" json:"workspace_id"`
	Slug        string        `bun:"slug" json:"slug"`
	Name        string        `bun:"name" json:"name"`
	Role        policies.Role `bun:"role" json:"role"`
}

// ChangeRole sets a member's role, refusing to demote the last admin.
func ChangeRole(ctx context.Context, s Scoped, memberID string, role policies.Role) (Membership, error) {
	if !role.Valid() {
		return Membership{}, failure.Field("role", "must be admin, manager, agent or viewer")
	}
	var m Membership
	err := s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := s.With(tx)
		if err := st.Get(ctx, &m, memberID, ErrMemberNotFound); err != nil {
			return err
		}
		if m.Role == policies.Admin && role != policies.Admin {
			if err := keepAnAdmin(ctx, st, m.ID); err != nil {
				return err
			}
		}
		m.Role = role
		if _, err := st.Update(&m).Column("role").WherePK().Exec(ctx); err != nil {
			return err
		}
		if !HoldsTickets(role) {
			return stopHoldingTickets(ctx, st, m.UserID)
		}
		return nil
	})
	return m, err
}

// RemoveMember takes a member out of the workspace, refusing to remove the last admin.
func RemoveMember(ctx context.Context, s Scoped, memberID string) error {
	return s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := s.With(tx)
		var m Membership
		if err := st.Get(ctx, &m, memberID, ErrMemberNotFound); err != nil {
			return err
		}
		if m.Role == policies.Admin {
			if err := keepAnAdmin(ctx, st, m.ID); err != nil {
				return err
			}
		}
		if _, err := st.Delete((*Membership)(nil)).Where("m.id = ?", m.ID).Exec(ctx); err != nil {
			return err
		}
		return stopHoldingTickets(ctx, st, m.UserID)
	})
}

// stopHoldingTickets is what a member leaving, or losing the role to hold tickets,
// leaves behind: rules that gave them every ticket go back to the queue, their teams
// lose them, and their tickets go back to the queue.
func stopHoldingTickets(ctx context.Context, s Scoped, userID string) error {
	if err := forgetAssignee(ctx, s, userID); err != nil {
		return err
	}
	if _, err := s.Delete((*teamSeat)(nil)).Where("tmm.user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("tenants: take the member out of their teams: %w", err)
	}
	return releaseTickets(ctx, s, userID)
}

// teamSeat is a member's place in a team (messaging.TeamMember), as a member leaving
// gives it up.
type teamSeat struct {
	bun.BaseModel `bun:"table:team_members,alias:tmm"`
	Owned
}

// HoldsTickets reports whether a member with role may be assigned Team Inbox tickets:
// agents and up reply to customers; a viewer only reads.
func HoldsTickets(role policies.Role) bool { return role.AtLeast(policies.Agent) }

// MembershipOf is userID's membership of the workspace.
func MembershipOf(ctx context.Context, s Scoped, userID string) (Membership, error) {
	var m Membership
	err := s.Select(&m).Where("m.user_id = ?", userID).Scan(ctx)
	if storage.IsNotFound(err) {
		return m, ErrMemberNotFound
	}
	return m, err
}

// SetAvailability records userID's own availability in the workspace.
func SetAvailability(ctx context.Context, s Scoped, userID, availability string) (Membership, error) {
	switch availability {
	case Online, Busy, Offline:
	default:
		return Membership{}, failure.Field("availability", "must be online, busy or offline")
	}
	m, err := MembershipOf(ctx, s, userID)
	if err != nil {
		return m, err
	}
	m.Availability = availability
	_, err = s.Update(&m).Column("availability").WherePK().Exec(ctx)
	return m, err
}

// SetCapacity sets how many active tickets the queue lets a member hold; nil gives
// them the workspace's.
func SetCapacity(ctx context.Context, s Scoped, memberID string, capacity *int) (Membership, error) {
	if capacity != nil && (*capacity < 0 || *capacity > MaxCapacity) {
		return Membership{}, failure.Field("capacity", fmt.Sprintf("must be from 0 (no limit) to %d, or null for the workspace's", MaxCapacity))
	}
	var m Membership
	if err := s.Get(ctx, &m, memberID, ErrMemberNotFound); err != nil {
		return m, err
	}
	m.Capacity = capacity
	_, err := s.Update(&m).Column("capacity").WherePK().Exec(ctx)
	return m, err
}

// ticketHolder is the part of a conversation that says who works it, as membership
// changes see it. The conversation itself belongs to the messaging package, which
// builds on this one; the kind and state values below are its ticket kind and its
// Team Inbox states.
type ticketHolder struct {
	bun.BaseModel `bun:"table:conversations,alias:cv"`
	Owned

	ID string `bun:"id,pk"`
}

const (
	ticketKind      = "ticket"
	ticketQueued    = "queued"
	ticketResolved  = "resolved"
	ticketAbandoned = "abandoned"
)

// releaseTickets hands the tickets userID holds in this workspace back to the team:
// someone who has left, or now only reads, cannot answer them. Open tickets go back
// to the queue, as a ticket sent back by a manager does, for another agent to
// accept. Resolved ones stay resolved without an assignee, so a customer's reply
// reopens them in the queue rather than as the tickets of someone who cannot answer.
// assignmentRule is the part of a workspace's queue rules (the messaging package's
// AssignmentSettings) that names a member to give every ticket to.
type assignmentRule struct {
	bun.BaseModel `bun:"table:assignment_settings,alias:asg"`
	Owned
}

// forgetAssignee puts a workspace whose queue gave every ticket to userID, who can no
// longer hold them, back to the queue, where members accept them: otherwise its
// tickets would wait for someone who is not coming.
func forgetAssignee(ctx context.Context, s Scoped, userID string) error {
	_, err := s.Update((*assignmentRule)(nil)).Set("mode = ?", "queue").Set("assignee_id = NULL").
		Where("asg.assignee_id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("tenants: queue rules without the member: %w", err)
	}
	return nil
}

func releaseTickets(ctx context.Context, s Scoped, userID string) error {
	_, err := s.Update((*ticketHolder)(nil)).
		Set("assignee_id = NULL").
		// Closed tickets stay closed (their clocks as they stopped); open ones wait
		// in the queue again. None reopens, so none of messaging.ChangeState's clock
		// keeping applies.
		Set("state = CASE WHEN cv.state IN (?, ?) THEN cv.state ELSE ? END", ticketResolved, ticketAbandoned, ticketQueued).
		Set("state_changed_at = CASE WHEN cv.state IN (?, ?) THEN cv.state_changed_at ELSE ? END", ticketResolved, ticketAbandoned, time.Now().UTC()).
		Where("cv.kind = ? AND cv.assignee_id = ?", ticketKind, userID).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("tenants: return tickets to the queue: %w", err)
	}
	return nil
}

// keepAnAdmin fails unless an admin other than exceptID remains.
func keepAnAdmin(ctx context.Context, s Scoped, exceptID string) error {
	// Two admins demoting each other at once would each still see the other as admin.
	if err := LockWorkspace(ctx, s); err != nil {
		return err
	}
	n, err := s.Select((*Membership)(nil)).Where("m.role = ?", policies.Admin).Where("m.id <> ?", exceptID).Count(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLastAdmin
	}
	return nil
}

// checkSeats fails when adding one more member or pending invitation would exceed the
// plan's seats.
func checkSeats(ctx context.Context, s Scoped, now time.Time) error {
	var ws Workspace
	if err := s.DB().NewSelect().Model(&ws).Where("id = ?", s.WorkspaceID()).Scan(ctx); err != nil {
		return err
	}
	plan, err := PlanByID(ctx, s.DB(), ws.PlanID)
	if err != nil {
		return err
	}
	if plan.Features.MaxSeats < 0 {
		return nil
	}
	members, err := s.Select((*Membership)(nil)).Count(ctx)
	if err != nil {
		return err
	}
	pending, err := s.Select((*Invitation)(nil)).
		Where("i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?", now).Count(ctx)
	if err != nil {
		return err
	}
	if !Allows(plan.Features.MaxSeats, members+pending+1) {
		return ErrSeatLimit
	}
	return nil
}

// LockWorkspace makes changes of one workspace that a check guards take turns, so
// checks such as "another admin remains", "a seat is free" or "the plan allows
// another connection" hold until the change commits. On PostgreSQL it locks the
// workspace row for the rest of the transaction; SQLite's write transactions already
// run one at a time (they begin IMMEDIATE).
func LockWorkspace(ctx context.Context, s Scoped) error {
	if !storage.IsPostgres(s.DB()) {
		return nil
	}
	_, err := s.DB().NewSelect().Model((*Workspace)(nil)).Column("id").
		Where("id = ?", s.WorkspaceID()).For("UPDATE").Exec(ctx)
	return err
}
