package tenants

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/policies"
)

// Errors about invitations. An unknown, revoked or mistyped token all read as
// ErrInvitationInvalid so tokens cannot be probed.
var (
	ErrInvitationNotFound = failure.New(failure.NotFound, "invitation_not_found", "invitation not found")
	ErrInvitationInvalid  = failure.New(failure.NotFound, "invitation_invalid", "this invitation link is not valid")
	ErrInvitationExpired  = failure.New(failure.Gone, "invitation_expired", "this invitation has expired; ask for a new one")
	ErrInvitationUsed     = failure.New(failure.Gone, "invitation_used", "this invitation has already been accepted")
	ErrInvitationEmail    = failure.New(failure.Forbidden, "invitation_email_mismatch", "this invitation was sent to another email address")
	ErrInvitationPending  = failure.New(failure.Conflict, "invitation_pending", "an invitation to this email is already pending").WithField("email", "already has a pending invitation")
)

// Invitation asks someone, by email, to join a workspace with a role. Only the
// token's hash is stored; the token itself is shown once, to the inviter.
type Invitation struct {
	bun.BaseModel `bun:"table:invitations,alias:i"`
	Owned

	ID         string        `bun:"id,pk" json:"id"`
	Email      string        `bun:"email,notnull" json:"email"`
	Role       policies.Role `bun:"role,notnull" json:"role"`
	TokenHash  string        `bun:"token_hash,notnull" json:"-"`
	InvitedBy  *string       `bun:"invited_by" json:"invited_by"`
	ExpiresAt  time.Time     `bun:"expires_at,notnull" json:"expires_at"`
	AcceptedAt *time.Time    `bun:"accepted_at" json:"accepted_at"`
	RevokedAt  *time.Time    `bun:"revoked_at" json:"revoked_at"`
	CreatedAt  time.Time     `bun:"created_at,notnull" json:"created_at"`
}

// Status is pending, accepted, revoked or expired.
func (i Invitation) Status(now time.Time) string {
	switch {
	case i.AcceptedAt != nil:
		return "accepted"
	case i.RevokedAt != nil:
		return "revoked"
	case !now.Before(i.ExpiresAt):
		return "expired"
	}
	return "pending"
}

// NormalizeEmail lowercases and trims an address and reports whether it is valid.
func NormalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.IndexByte(s, '@')+1:], ".") || len(s) > 254 {
		return s, false
	}
	return s, true
}

// HashToken is how invitation and other bearer tokens are stored: they are long random
// strings, so a fast hash is enough and lookups stay an index probe.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a random URL-safe token with a readable prefix.
func NewToken(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the OS random source does not fail on supported platforms
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// Invite creates an invitation and returns it with its one-time token.
func Invite(ctx context.Context, s Scoped, email string, role policies.Role, invitedBy string, ttl time.Duration) (Invitation, string, error) {
	fields := failure.Fields{}
	email, ok := NormalizeEmail(email)
	fields.Check(!ok, "email", "is not a valid email address")
	fields.Check(!role.Valid(), "role", "must be admin, manager, agent or viewer")
	if err := fields.Err(); err != nil {
		return Invitation{}, "", err
	}
	token := NewToken("inv_")
	now := time.Now().UTC()
	inv := Invitation{ID: storage.NewID(), Email: email, Role: role, TokenHash: HashToken(token), ExpiresAt: now.Add(ttl), CreatedAt: now}
	if invitedBy != "" {
		inv.InvitedBy = &invitedBy
	}
	err := s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := s.With(tx)
		// Seats and "one pending invitation per email" are checked, then written:
		// concurrent invitations must take turns.
		if err := LockWorkspace(ctx, st); err != nil {
			return err
		}
		isMember, err := st.Select((*Membership)(nil)).
			Join("JOIN users AS u ON u.id = m.user_id").Where("u.email = ?", email).Exists(ctx)
		if err != nil {
			return err
		}
		if isMember {
			return ErrAlreadyMember.WithField("email", "is already a member")
		}
		pending, err := st.Select((*Invitation)(nil)).
			Where("i.email = ? AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?", email, now).Exists(ctx)
		if err != nil {
			return err
		}
		if pending {
			return ErrInvitationPending
		}
		if err := checkSeats(ctx, st, now); err != nil {
			return err
		}
		_, err = st.Insert(&inv).Exec(ctx)
		return err
	})
	if err != nil {
		return Invitation{}, "", err
	}
	return inv, token, nil
}

// Invitations lists the workspace's invitations, newest first.
func Invitations(ctx context.Context, s Scoped, page storage.Page) ([]Invitation, string, error) {
	var rows []Invitation
	q := page.Apply(s.Select(&rows), "i.id", true)
	if err := q.Scan(ctx); err != nil {
		return nil, "", fmt.Errorf("tenants: invitations: %w", err)
	}
	rows, next := storage.NextCursor(rows, page, func(i Invitation) string { return i.ID })
	return rows, next, nil
}

// Revoke cancels a pending invitation so its link stops working.
func Revoke(ctx context.Context, s Scoped, id string) (Invitation, error) {
	var inv Invitation
	if err := s.Get(ctx, &inv, id, ErrInvitationNotFound); err != nil {
		return inv, err
	}
	if inv.AcceptedAt != nil {
		return inv, ErrInvitationUsed
	}
	if inv.RevokedAt == nil {
		now := time.Now().UTC()
		inv.RevokedAt = &now
		if _, err := s.Update(&inv).Column("revoked_at").WherePK().Exec(ctx); err != nil {
			return inv, err
		}
	}
	return inv, nil
}

// PendingInvitation looks a token up for the accept page: the invitation and its
// workspace, or why it cannot be used.
func PendingInvitation(ctx context.Context, db bun.IDB, token string) (Invitation, Workspace, error) {
	var inv Invitation
	err := db.NewSelect().Model(&inv).Where("token_hash = ?", HashToken(token)).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return inv, Workspace{}, ErrInvitationInvalid
	}
	if err != nil {
		return inv, Workspace{}, err
	}
	switch inv.Status(time.Now()) {
	case "accepted":
		return inv, Workspace{}, ErrInvitationUsed
	case "revoked":
		return inv, Workspace{}, ErrInvitationInvalid
	case "expired":
		return inv, Workspace{}, ErrInvitationExpired
	}
	var ws Workspace
	if err := db.NewSelect().Model(&ws).Where("id = ?", inv.WorkspaceID).Scan(ctx); err != nil {
		return inv, ws, err
	}
	return inv, ws, nil
}

// Accept turns the invitation named by token into a membership for the user with
// userID and email. The invitation is claimed with a conditional update, so two
// concurrent accepts of one token yield one membership. Run it in a transaction.
func Accept(ctx context.Context, tx bun.Tx, token, userID, email string) (Membership, Workspace, error) {
	inv, ws, err := PendingInvitation(ctx, tx, token)
	if err != nil {
		return Membership{}, ws, err
	}
	if !strings.EqualFold(inv.Email, email) {
		return Membership{}, ws, ErrInvitationEmail
	}
	now := time.Now().UTC()
	s := Scope(tx, inv.WorkspaceID)
	res, err := s.Update((*Invitation)(nil)).Set("accepted_at = ?", now).
		Where("i.id = ? AND i.accepted_at IS NULL AND i.revoked_at IS NULL", inv.ID).Exec(ctx)
	if err != nil {
		return Membership{}, ws, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Membership{}, ws, ErrInvitationUsed
	}
	m, err := AddMember(ctx, s, userID, inv.Role)
	return m, ws, err
}
