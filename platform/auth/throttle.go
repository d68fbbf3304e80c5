package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Throttle counts failures per key in fixed windows stored in Redis, so every web
// replica shares the counts.
type Throttle struct {
	rdb    redis.UniversalClient
	window time.Duration
}

// ThrottleKey is one counter and the failures it allows per window.
type ThrottleKey struct {
	Name  string
	Limit int
}

// NewThrottle returns a throttle with the given window.
func NewThrottle(rdb redis.UniversalClient, window time.Duration) *Throttle {
	return &Throttle{rdb: rdb, window: window}
}

func (t *Throttle) key(name string) string { return "switchboard:throttle:" + name }

// Blocked returns how long until the most exhausted key allows another attempt, or 0.
func (t *Throttle) Blocked(ctx context.Context, keys ...ThrottleKey) (time.Duration, error) {
	var wait time.Duration
	for _, k := range keys {
		n, err := t.rdb.Get(ctx, t.key(k.Name)).Int()
		if err == redis.Nil {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("auth: throttle: %w", err)
		}
		if n >= k.Limit {
			ttl, err := t.rdb.PTTL(ctx, t.key(k.Name)).Result()
			if err != nil {
				return 0, fmt.Errorf("auth: throttle: %w", err)
			}
			if ttl <= 0 {
				ttl = time.Second
			}
			wait = max(wait, ttl)
		}
	}
	return wait, nil
}

// Fail counts one failure against every key.
func (t *Throttle) Fail(ctx context.Context, keys ...ThrottleKey) error {
	_, err := t.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Incr(ctx, t.key(k.Name))
			// NX: the window starts at the first failure and is not extended by later ones.
			p.ExpireNX(ctx, t.key(k.Name), t.window)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("auth: throttle: %w", err)
	}
	return nil
}

// Reset forgets the failures counted against keys.
func (t *Throttle) Reset(ctx context.Context, keys ...ThrottleKey) error {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = t.key(k.Name)
	}
	return t.rdb.Del(ctx, names...).Err()
}
