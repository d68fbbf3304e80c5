package messaging

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// Team is a queue of the Team Inbox with the members who work it: a new customer's
// ticket on one of its connections waits in its queue, round robin hands its tickets
// to its members only, and a ticket can be transferred to it. A ticket of no team is
// in the workspace's general queue, which any member may take from.
type Team struct {
	bun.BaseModel `bun:"table:teams,alias:tm"`
	tenants.Owned

	ID            string    `bun:"id,pk" json:"id"`
	Name          string    `bun:"name,notnull" json:"name"`
	MemberIDs     []string  `bun:"-" json:"member_ids" doc:"the user ids of the members who work its queue"`
	ConnectionIDs []string  `bun:"-" json:"connection_ids" doc:"the connections whose new customers' tickets go to its queue"`
	CreatedAt     time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// TeamMember puts a member in a team.
type TeamMember struct {
	bun.BaseModel `bun:"table:team_members,alias:tmm"`
	tenants.Owned

	TeamID string `bun:"team_id,pk"`
	UserID string `bun:"user_id,pk"`
}

// TeamConnection routes a connection's new tickets to a team.
type TeamConnection struct {
	bun.BaseModel `bun:"table:team_connections,alias:tmc"`
	tenants.Owned

	TeamID       string `bun:"team_id,notnull"`
	ConnectionID string `bun:"connection_id,pk"`
}

// connectionRef is a workspace's connection as teams refer to it.
type connectionRef struct {
	bun.BaseModel `bun:"table:connections,alias:cn"`
	tenants.Owned

	ID string `bun:"id,pk"`
}

// TeamNone stands for no team, the general queue, where a team id may go.
const TeamNone = "none"

// Errors about teams.
var (
	ErrTeamNotFound  = failure.New(failure.NotFound, "team_not_found", "team not found")
	ErrTeamNameTaken = failure.New(failure.Conflict, "team_name_taken", "another team has this name").WithField("name", "is taken by another team")
)

// Limits of teams.
const (
	MaxTeamName  = 60
	MaxTeams     = 100
	MaxTeamSlots = 1000 // members, and connections, of one team
)

// TeamDraft changes a team: each field set replaces it (a new team needs a name).
type TeamDraft struct {
	Name          *string
	MemberIDs     *[]string
	ConnectionIDs *[]string
}

// Teams lists the workspace's teams by name, with their members and connections.
func Teams(ctx context.Context, sc tenants.Scoped) ([]Team, error) {
	var teams []Team
	if err := sc.Select(&teams).OrderExpr("LOWER(tm.name), tm.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("messaging: teams: %w", err)
	}
	return teams, fillTeams(ctx, sc, teams)
}

// GetTeam loads a team with its members and connections.
func GetTeam(ctx context.Context, sc tenants.Scoped, id string) (Team, error) {
	var t Team
	if err := sc.Get(ctx, &t, id, ErrTeamNotFound); err != nil {
		return t, err
	}
	teams := []Team{t}
	err := fillTeams(ctx, sc, teams)
	return teams[0], err
}

// TeamName is the name of team id (ErrTeamNotFound for none of the workspace's):
// one read, without its members and connections.
func TeamName(ctx context.Context, sc tenants.Scoped, id string) (string, error) {
	var t Team
	err := sc.Get(ctx, &t, id, ErrTeamNotFound)
	return t.Name, err
}

// fillTeams reads the teams' members and connections, two queries for all.
func fillTeams(ctx context.Context, sc tenants.Scoped, teams []Team) error {
	if len(teams) == 0 {
		return nil
	}
	ids := make([]string, len(teams))
	for i := range teams {
		ids[i] = teams[i].ID
		teams[i].MemberIDs, teams[i].ConnectionIDs = []string{}, []string{}
	}
	var members []TeamMember
	if err := sc.Select(&members).Where("tmm.team_id IN (?)", bun.List(ids)).OrderExpr("tmm.user_id").Scan(ctx); err != nil {
		return fmt.Errorf("messaging: team members: %w", err)
	}
	var conns []TeamConnection
	if err := sc.Select(&conns).Where("tmc.team_id IN (?)", bun.List(ids)).OrderExpr("tmc.connection_id").Scan(ctx); err != nil {
		return fmt.Errorf("messaging: team connections: %w", err)
	}
	for i := range teams {
		for _, m := range members {
			if m.TeamID == teams[i].ID {
				teams[i].MemberIDs = append(teams[i].MemberIDs, m.UserID)
			}
		}
		for _, c := range conns {
			if c.TeamID == teams[i].ID {
				teams[i].ConnectionIDs = append(teams[i].ConnectionIDs, c.ConnectionID)
			}
		}
	}
	return nil
}

// SaveTeam creates a team (t's id empty) or changes one, as d says. Members must be
// of the workspace and allowed to hold tickets; connections must be the workspace's
// and routed to no other team. Refusals name the field (member_ids[2]); a refused
// draft changes nothing.
func SaveTeam(ctx context.Context, sc tenants.Scoped, t Team, d TeamDraft, mayHold MayHold) (Team, error) {
	bad := failure.Fields{}
	if d.Name != nil || t.ID == "" {
		name := ""
		if d.Name != nil {
			name = strings.TrimSpace(*d.Name)
		}
		bad.Check(name == "", "name", "is required")
		bad.Check(utf8.RuneCountInString(name) > MaxTeamName, "name", fmt.Sprintf("must be at most %d characters", MaxTeamName))
		t.Name = name
	}
	var members, conns []string
	if d.MemberIDs != nil {
		if len(*d.MemberIDs) > MaxTeamSlots {
			return t, failure.Field("member_ids", fmt.Sprintf("must name at most %d members", MaxTeamSlots))
		}
		members = slices.Compact(slices.Sorted(slices.Values(*d.MemberIDs)))
		var known []tenants.Membership
		if err := sc.Select(&known).Where("m.user_id IN (?)", bun.List(append(members, ""))).Scan(ctx); err != nil {
			return t, err
		}
		for i, id := range *d.MemberIDs {
			field := fmt.Sprintf("member_ids[%d]", i)
			j := slices.IndexFunc(known, func(m tenants.Membership) bool { return m.UserID == id })
			switch {
			case j < 0:
				bad.Add(field, "is not a member of this workspace")
			case !mayHold(known[j].Role):
				bad.Add(field, NotAHolder(known[j].Role))
			}
		}
	}
	if d.ConnectionIDs != nil {
		if len(*d.ConnectionIDs) > MaxTeamSlots {
			return t, failure.Field("connection_ids", fmt.Sprintf("must name at most %d connections", MaxTeamSlots))
		}
		conns = slices.Compact(slices.Sorted(slices.Values(*d.ConnectionIDs)))
		var known []connectionRef
		if err := sc.Select(&known).Where("cn.id IN (?)", bun.List(append(conns, ""))).Scan(ctx); err != nil {
			return t, err
		}
		var routed []TeamConnection
		if err := sc.Select(&routed).Where("tmc.connection_id IN (?) AND tmc.team_id <> ?", bun.List(append(conns, "")), t.ID).Scan(ctx); err != nil {
			return t, err
		}
		for i, id := range *d.ConnectionIDs {
			field := fmt.Sprintf("connection_ids[%d]", i)
			if !slices.ContainsFunc(known, func(c connectionRef) bool { return c.ID == id }) {
				bad.Add(field, "is not a connection of this workspace")
			} else if j := slices.IndexFunc(routed, func(r TeamConnection) bool { return r.ConnectionID == id }); j >= 0 {
				other, err := TeamName(ctx, sc, routed[j].TeamID)
				if err != nil {
					return t, err
				}
				bad.Add(field, fmt.Sprintf("goes to the team %q: take it out of that team first", other))
			}
		}
	}
	if err := bad.Err(); err != nil {
		return t, err
	}
	now := time.Now().UTC()
	err := storage.InTx(ctx, sc.DB(), func(ctx context.Context, tx bun.Tx) error {
		st := sc.With(tx)
		if t.ID == "" {
			if n, err := st.Select((*Team)(nil)).Count(ctx); err != nil {
				return err
			} else if n >= MaxTeams {
				return failure.Field("name", fmt.Sprintf("a workspace has at most %d teams", MaxTeams))
			}
			t.ID, t.CreatedAt, t.UpdatedAt = storage.NewID(), now, now
			if _, err := st.Insert(&t).Exec(ctx); err != nil {
				return err
			}
		} else {
			t.UpdatedAt = now
			if _, err := st.Update(&t).Column("name", "updated_at").WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		if d.MemberIDs != nil {
			if _, err := st.Delete((*TeamMember)(nil)).Where("tmm.team_id = ?", t.ID).Exec(ctx); err != nil {
				return err
			}
			rows := make([]TeamMember, len(members))
			for i, id := range members {
				rows[i] = TeamMember{TeamID: t.ID, UserID: id}
			}
			if len(rows) > 0 {
				if _, err := tenants.InsertAll(st, rows).Exec(ctx); err != nil {
					return err
				}
			}
		}
		if d.ConnectionIDs != nil {
			if _, err := st.Delete((*TeamConnection)(nil)).Where("tmc.team_id = ?", t.ID).Exec(ctx); err != nil {
				return err
			}
			rows := make([]TeamConnection, len(conns))
			for i, id := range conns {
				rows[i] = TeamConnection{TeamID: t.ID, ConnectionID: id}
			}
			if len(rows) > 0 {
				if _, err := tenants.InsertAll(st, rows).Exec(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	})
	switch {
	case storage.IsUniqueViolation(err) && strings.Contains(err.Error(), "teams_name_idx"):
		return t, ErrTeamNameTaken
	case storage.IsUniqueViolation(err):
		// Another team took one of the connections meanwhile.
		return t, failure.Field("connection_ids", "one of them went to another team meanwhile: reload and choose again")
	}
	if err != nil {
		return t, fmt.Errorf("messaging: save team: %w", err)
	}
	return GetTeam(ctx, sc, t.ID)
}

// DeleteTeam removes a team; its tickets go to the general queue.
func DeleteTeam(ctx context.Context, sc tenants.Scoped, id string) error {
	ok, err := storage.Changed(sc.Delete((*Team)(nil)).Where("tm.id = ?", id).Exec(ctx))
	if err == nil && !ok {
		return ErrTeamNotFound
	}
	return err
}

// teamOfConnection is the team a connection's new tickets go to; nil for the general
// queue.
func teamOfConnection(ctx context.Context, sc tenants.Scoped, connectionID string) (*string, error) {
	var r TeamConnection
	err := sc.Select(&r).Where("tmc.connection_id = ?", connectionID).Scan(ctx)
	if storage.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("messaging: the connection's team: %w", err)
	}
	return &r.TeamID, nil
}

// teamsOf is, by user id, the teams each member of the workspace is in.
func teamsOf(ctx context.Context, sc tenants.Scoped) (map[string][]string, error) {
	var rows []TeamMember
	if err := sc.Select(&rows).Scan(ctx); err != nil {
		return nil, fmt.Errorf("messaging: team members: %w", err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.UserID] = append(out[r.UserID], r.TeamID)
	}
	return out, nil
}
