package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// ErrSessionInvalid covers a missing, expired or revoked session.
var ErrSessionInvalid = failure.New(failure.Unauthenticated, "unauthenticated", "sign in to continue")

// touchEvery limits how often a session's last-seen time is written: once a minute is
// precise enough for sliding expiry and spares a write on every request.
const touchEvery = time.Minute

// Session is a signed-in browser. The cookie carries the token; the database keeps
// only its hash, plus the CSRF token the browser must echo on unsafe requests.
type Session struct {
	bun.BaseModel `bun:"table:sessions,alias:s"`

	ID         string    `bun:"id,pk"`
	UserID     string    `bun:"user_id,notnull"`
	TokenHash  string    `bun:"token_hash,notnull"`
	CSRFToken  string    `bun:"csrf_token,notnull"`
	IP         string    `bun:"ip,notnull"`
	UserAgent  string    `bun:"user_agent,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	LastSeenAt time.Time `bun:"last_seen_at,notnull"`
	ExpiresAt  time.Time `bun:"expires_at,notnull"`

	User *User `bun:"rel:belongs-to,join:user_id=id"`
}

// CheckCSRF compares the header value with the session's token in constant time.
func (s Session) CheckCSRF(header string) bool {
	return header != "" && subtle.ConstantTimeCompare([]byte(header), []byte(s.CSRFToken)) == 1
}

// StartSession creates a session for userID and returns it with the cookie token.
func (a *Accounts) StartSession(ctx context.Context, userID, ip, userAgent string) (Session, string, error) {
	token := tenants.NewToken("sbs_")
	now := time.Now().UTC()
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	s := Session{
		ID: storage.NewID(), UserID: userID, TokenHash: tenants.HashToken(token), CSRFToken: tenants.NewToken(""),
		IP: ip, UserAgent: userAgent, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(a.cfg.SessionTTL),
	}
	if _, err := a.db.NewInsert().Model(&s).Exec(ctx); err != nil {
		return Session{}, "", fmt.Errorf("auth: start session: %w", err)
	}
	return s, token, nil
}

// SessionUser finds the live session for a cookie token and its user, sliding the
// session's expiry forward.
func (a *Accounts) SessionUser(ctx context.Context, token string) (Session, User, error) {
	return a.sessionUser(ctx, token, true)
}

// CheckSession is SessionUser without counting as use: an open realtime connection
// checking that its session still holds must not keep it from idling out.
func (a *Accounts) CheckSession(ctx context.Context, token string) (Session, User, error) {
	return a.sessionUser(ctx, token, false)
}

func (a *Accounts) sessionUser(ctx context.Context, token string, touch bool) (Session, User, error) {
	var row Session
	err := a.db.NewSelect().Model(&row).Relation("User").
		Where("s.token_hash = ?", tenants.HashToken(token)).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return Session{}, User{}, ErrSessionInvalid
	}
	if err != nil {
		return Session{}, User{}, err
	}
	now := time.Now().UTC()
	if !now.Before(row.ExpiresAt) || row.User == nil {
		return Session{}, User{}, ErrSessionInvalid
	}
	if touch && now.Sub(row.LastSeenAt) > touchEvery {
		row.LastSeenAt, row.ExpiresAt = now, now.Add(a.cfg.SessionTTL)
		if _, err := a.db.NewUpdate().Model(&row).Column("last_seen_at", "expires_at").WherePK().Exec(ctx); err != nil {
			return Session{}, User{}, err
		}
	}
	user := *row.User
	row.User = nil
	return row, user, nil
}

// EndSession signs a browser out.
func (a *Accounts) EndSession(ctx context.Context, sessionID string) error {
	_, err := a.db.NewDelete().Model((*Session)(nil)).Where("id = ?", sessionID).Exec(ctx)
	return err
}

// PurgeExpiredSessions deletes sessions past their expiry; a periodic task calls it.
func (a *Accounts) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	res, err := a.db.NewDelete().Model((*Session)(nil)).Where("expires_at < ?", time.Now().UTC()).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
