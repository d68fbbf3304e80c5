package realtime

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// PresenceTTL is how long a realtime connection counts as the app open after it was
// last seen: its owner refreshes it more often than that while it lives (every ping),
// so a replica that dies without saying goodbye stops counting within it.
const PresenceTTL = 90 * time.Second

// Presence knows which members have the app open in a workspace, on any replica: each
// realtime connection is an entry of a sorted set per workspace in Redis, scored by
// when it lapses.
type Presence struct {
	rdb redis.UniversalClient
}

// NewPresence keeps presence in rdb.
func NewPresence(rdb redis.UniversalClient) *Presence {
	return &Presence{rdb: rdb}
}

func presenceKey(workspaceID string) string { return "switchboard:presence:" + workspaceID }

// Seen records that connection connID of userID lives, for PresenceTTL more. came
// reports whether the user had no other live connection: they just came online.
func (p *Presence) Seen(ctx context.Context, workspaceID, userID, connID string) (came bool, err error) {
	now := time.Now()
	key := presenceKey(workspaceID)
	var live *redis.StringSliceCmd
	_, err = p.rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		tx.ZRemRangeByScore(ctx, key, "-inf", strconv.FormatInt(now.UnixMilli(), 10))
		live = tx.ZRange(ctx, key, 0, -1)
		tx.ZAdd(ctx, key, redis.Z{Score: float64(now.Add(PresenceTTL).UnixMilli()), Member: userID + "/" + connID})
		tx.Expire(ctx, key, PresenceTTL)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("realtime: presence: %w", err)
	}
	for _, m := range live.Val() {
		if strings.HasPrefix(m, userID+"/") {
			return false, nil // this connection again, or another of theirs
		}
	}
	return true, nil
}

// Left records that connection connID of userID closed.
func (p *Presence) Left(ctx context.Context, workspaceID, userID, connID string) error {
	if err := p.rdb.ZRem(ctx, presenceKey(workspaceID), userID+"/"+connID).Err(); err != nil {
		return fmt.Errorf("realtime: presence: %w", err)
	}
	return nil
}

// Online are the users of the workspace with a live connection.
func (p *Presence) Online(ctx context.Context, workspaceID string) (map[string]bool, error) {
	entries, err := p.rdb.ZRangeByScore(ctx, presenceKey(workspaceID), &redis.ZRangeBy{
		Min: strconv.FormatInt(time.Now().UnixMilli(), 10), Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("realtime: presence: %w", err)
	}
	out := make(map[string]bool, len(entries))
	for _, e := range entries {
		user, _, _ := strings.Cut(e, "/")
		out[user] = true
	}
	return out, nil
}
