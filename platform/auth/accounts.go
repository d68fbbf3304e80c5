package auth

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/tenants"
)

// Accounts is the sign-in service: it owns password hashing, sessions, API tokens
// and throttling.
type Accounts struct {
	db       *bun.DB
	hasher   Hasher
	cfg      config.Auth
	throttle *Throttle
}

// NewAccounts builds the service. rdb backs the sign-in throttle so that limits hold
// across every replica of the web process.
func NewAccounts(db *bun.DB, rdb redis.UniversalClient, cfg config.Auth) *Accounts {
	return &Accounts{db: db, hasher: NewHasher(cfg), cfg: cfg, throttle: NewThrottle(rdb, cfg.LoginWindow)}
}

// Hasher exposes the password hasher (the admin CLI and the demo seed use it).
func (a *Accounts) Hasher() Hasher { return a.hasher }

// ErrThrottled reports too many failed sign-ins; RetryAfter says when to try again.
type ErrThrottled struct{ RetryAfter time.Duration }

func (e ErrThrottled) Error() string { return "too many failed sign-in attempts; try again later" }

// Unwrap lets the HTTP edge see a TooManyRequests failure.
func (e ErrThrottled) Unwrap() error {
	return failure.New(failure.TooManyRequests, "too_many_attempts", e.Error())
}

// Login checks an email and password. Failed attempts count against both the client
// IP and the account; past either limit it answers ErrThrottled without checking the
// password at all.
func (a *Accounts) Login(ctx context.Context, email, password, ip string) (User, error) {
	email, _ = tenants.NormalizeEmail(email)
	keys := []ThrottleKey{{Name: "login:ip:" + ip, Limit: a.cfg.LoginIPLimit}, {Name: "login:account:" + email, Limit: a.cfg.LoginUserLimit}}
	if wait, err := a.throttle.Blocked(ctx, keys...); err != nil {
		return User{}, err
	} else if wait > 0 {
		return User{}, ErrThrottled{RetryAfter: wait}
	}
	u, err := UserByEmail(ctx, a.db, email)
	if err != nil && err != ErrUserNotFound {
		return User{}, err
	}
	hash := u.PasswordHash
	if err == ErrUserNotFound {
		hash = a.hasher.dummyHash()
	}
	if !a.hasher.Verify(hash, password) || err == ErrUserNotFound {
		if ferr := a.throttle.Fail(ctx, keys...); ferr != nil {
			return User{}, ferr
		}
		return User{}, ErrInvalidCredentials
	}
	// A success clears the account's count, not the IP's: an attacker who owns one
	// account must not reset the limit for guessing others from the same address.
	if err := a.throttle.Reset(ctx, keys[1]); err != nil {
		return User{}, err
	}
	return u, nil
}
