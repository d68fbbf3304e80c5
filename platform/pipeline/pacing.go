package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/platform/jobs"
)

// Pacing keeps each connection's sends within the rate its provider allows (a
// WhatsApp number's 80 a second, an SMS long code's one segment a second). Sending
// faster only buys refusals: a campaign of thousands would spend its retries on them
// and fail, and a provider counts them against the number.
//
// Every connection with a rate has a booking line in Redis, shared by all workers: a
// send books the next free slot and waits for it, if it is near enough; else it goes
// back to its queue, without costing one of its retries, until about when a slot
// will be free. Sends that go back take numbers in a second line, so they return
// spread over the time the rate needs rather than all at once.
//
// A reply (the sends queue) may book further ahead than a campaign's send (bulk,
// scheduled): while a campaign keeps the line about paceBulkAhead long, a reply
// still finds a slot and waits about that long, instead of queueing behind it.
const (
	paceBulkAhead  = time.Second
	paceReplyAhead = 5 * time.Second
	// MaxPacedDelay is how long a send may wait for its connection's rate before it
	// fails: a rate set far too low for the campaign must not hold it for ever.
	MaxPacedDelay = 24 * time.Hour
)

// redisNow is the Lua that sets now (ms) to ARGV[1], or when that is empty to Redis's
// own clock. The lines hold times, and every worker books on them: on the workers'
// clocks, one running a few seconds ahead would book slots the others could not
// reach for those seconds, and one running behind would book slots already past.
const redisNow = `
local now = tonumber(ARGV[1])
if not now then
	local t = redis.call("TIME")
	now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// paceScript books a slot. KEYS: the line, the line of sends told to come back.
// ARGV: now (ms; empty for Redis's clock), the slot's length (ms), how far ahead the
// caller may book (ms), whether a send told to come back takes a number ("1").
// Replies {1, wait ms} when a slot is booked, {0, come back in ms} when not.
var paceScript = redis.NewScript(redisNow + `
local step = tonumber(ARGV[2])
local ahead = tonumber(ARGV[3])
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
if tat < now then tat = now end
if tat - now <= ahead then
	redis.call("SET", KEYS[1], tostring(tat + step), "PX", math.ceil(tat + step - now) + 1000)
	return {1, math.floor(tat - now)}
end
if ARGV[4] ~= "1" then
	return {0, math.ceil(tat - now - ahead)}
end
local back = tonumber(redis.call("GET", KEYS[2]) or "0")
if back < tat then back = tat end
back = back + step
redis.call("SET", KEYS[2], tostring(back), "PX", math.ceil(back - now) + 1000)
return {0, math.ceil(back - now - ahead)}
`)

// holdScript keeps a connection's line closed for a while: no slot starts before it
// ends. KEYS: the line. ARGV: now (ms; empty for Redis's clock), how long (ms).
var holdScript = redis.NewScript(redisNow + `
local hold = now + tonumber(ARGV[2])
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
if tat < hold then
	redis.call("SET", KEYS[1], tostring(hold), "PX", math.ceil(hold - now) + 1000)
end
return 0
`)

// providerHold is how long a connection's sends hold off after its provider refused
// one for its rate limit without saying for how long (a Retry-After).
const providerHold = 2 * time.Second

// hold closes connection's line for d: the provider refused a send for its rate limit,
// so every send on that connection waits, not just the refused one; the others would
// only be refused too.
func (p *Pipeline) hold(ctx context.Context, connectionID string, d time.Duration) error {
	if err := holdScript.Run(ctx, p.Redis, []string{"pace:" + connectionID}, "", d.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("pipeline: hold: %w", err)
	}
	return nil
}

// paced is a send that must wait for its connection's rate: it is retried after
// the wait without counting as a failure (see jobs.Throttled).
type paced struct {
	after time.Duration
	rate  float64 // the connection's, for the reason if the wait runs out
}

func (e *paced) Error() string {
	return fmt.Sprintf("paced: the connection's send rate has no slot for %s", e.after)
}
func (e *paced) RetryAfter() time.Duration { return max(e.after, time.Millisecond) }
func (e *paced) Throttled() bool           { return true }

var _ jobs.Throttled = (*paced)(nil)

// pace books a slot for cost units (messages, or segments) on connection's line at
// rate units a second, and waits for it. It returns *paced when no slot is near
// enough. bulk says the send is a campaign's, which books less far ahead.
func (p *Pipeline) pace(ctx context.Context, connectionID string, rate float64, cost int, bulk bool) error {
	wait, booked, err := p.book(ctx, connectionID, rate, cost, bulk, time.Time{})
	if err != nil {
		return fmt.Errorf("pipeline: pace: %w", err)
	}
	if !booked {
		return &paced{after: wait, rate: rate}
	}
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// book runs paceScript at now, or on Redis's clock when now is zero (as sends do;
// tests give a clock that stands still): the wait for a booked slot, or how long
// until coming back.
func (p *Pipeline) book(ctx context.Context, connectionID string, rate float64, cost int, bulk bool, now time.Time) (time.Duration, bool, error) {
	ahead, back := paceReplyAhead, "0"
	if bulk {
		ahead, back = paceBulkAhead, "1"
	}
	at := ""
	if !now.IsZero() {
		at = strconv.FormatInt(now.UnixMilli(), 10)
	}
	step := float64(max(cost, 1)) * 1000 / rate
	res, err := paceScript.Run(ctx, p.Redis, []string{"pace:" + connectionID, "pace:" + connectionID + ":back"},
		at, step, ahead.Milliseconds(), back).Int64Slice()
	if err != nil {
		return 0, false, err
	}
	if len(res) != 2 {
		return 0, false, fmt.Errorf("pace script answered %v", res)
	}
	return time.Duration(res[1]) * time.Millisecond, res[0] == 1, nil
}
