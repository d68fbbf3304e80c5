// Package queue builds the Redis connection behind Asynq tasks, the sign-in throttle
// and realtime fan-out: a real Redis from --redis-url, or, when none is given, an
// in-process miniredis so a single `switchboard serve` needs nothing installed.
package queue

import (
	"context"
	"fmt"
	"net"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Backend is the Redis the process talks to.
type Backend struct {
	// Kind is "redis" or "embedded", reported by /readyz.
	Kind string
	// Conn is what asynq clients, servers and inspectors are built from.
	Conn asynq.RedisConnOpt
	// Redis is a general client on the same server.
	Redis redis.UniversalClient

	mini *miniredis.Miniredis
	stop chan struct{}
	wg   sync.WaitGroup
}

// clockTick is how often the embedded Redis's keys age. miniredis only expires keys
// when told how much time passed; without this, asynq's unique locks and leases
// would never lapse. Its clock (TIME, and absolute expiry times) is left on the real
// one, not set at each tick: a clock up to a tick behind would end a connection's
// hold (see package pipeline) up to a tick early.
const clockTick = 250 * time.Millisecond

// Open connects to url, or starts the embedded Redis when url is empty.
//
// url is redis://[:password@]host:port/db, rediss://… for TLS, or
// redis-sentinel://[:password@]host1:port1,host2:port2/db?master=name for a
// Sentinel-managed primary that fails over without a restart. The password
// authenticates on the primary and, unless sentinel_password is given in the query,
// on the sentinels too (the usual setup, where both share one secret).
func Open(ctx context.Context, url string) (*Backend, error) {
	if url == "" {
		return openEmbedded()
	}
	var b *Backend
	if strings.HasPrefix(url, sentinelScheme+"://") {
		opt, err := parseSentinelURL(url)
		if err != nil {
			return nil, fmt.Errorf("queue: redis url: %w", err)
		}
		b = &Backend{Kind: "redis", Conn: opt, Redis: opt.MakeRedisClient().(redis.UniversalClient)}
	} else {
		conn, err := asynq.ParseRedisURI(url)
		if err != nil {
			return nil, fmt.Errorf("queue: redis url: %w", err)
		}
		opt, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("queue: redis url: %w", err)
		}
		b = &Backend{Kind: "redis", Conn: conn, Redis: redis.NewClient(opt)}
	}
	if err := b.Ping(ctx); err != nil {
		b.Redis.Close()
		return nil, err
	}
	return b, nil
}

const sentinelScheme = "redis-sentinel"

// parseSentinelURL reads a redis-sentinel:// URL. asynq.ParseRedisURI accepts the
// scheme too, but it drops the database number and gives the password only to the
// sentinels, so the primary would refuse every command once AUTH is on.
func parseSentinelURL(raw string) (asynq.RedisFailoverClientOpt, error) {
	var opt asynq.RedisFailoverClientOpt
	u, err := neturl.Parse(raw)
	if err != nil {
		return opt, err
	}
	if u.Scheme != sentinelScheme {
		return opt, fmt.Errorf("scheme %q, want %s", u.Scheme, sentinelScheme)
	}
	for _, addr := range strings.Split(u.Host, ",") {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			return opt, fmt.Errorf("sentinel address %q: want host:port", addr)
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return opt, fmt.Errorf("sentinel address %q: bad port", addr)
		}
		opt.SentinelAddrs = append(opt.SentinelAddrs, addr)
	}
	q := u.Query()
	if opt.MasterName = q.Get("master"); opt.MasterName == "" {
		return opt, fmt.Errorf("%s url needs ?master=<name of the monitored primary>", sentinelScheme)
	}
	if u.User != nil {
		opt.Username = u.User.Username()
		opt.Password, _ = u.User.Password()
	}
	opt.SentinelPassword = opt.Password
	if q.Has("sentinel_password") {
		opt.SentinelPassword = q.Get("sentinel_password")
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if opt.DB, err = strconv.Atoi(db); err != nil || opt.DB < 0 {
			return opt, fmt.Errorf("database %q: want a number", db)
		}
	}
	return opt, nil
}

func openEmbedded() (*Backend, error) {
	mini := miniredis.NewMiniRedis()
	if err := mini.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("queue: embedded redis: %w", err)
	}
	b := &Backend{
		Kind:  "embedded",
		Conn:  asynq.RedisClientOpt{Addr: mini.Addr()},
		Redis: redis.NewClient(&redis.Options{Addr: mini.Addr()}),
		mini:  mini,
		stop:  make(chan struct{}),
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(clockTick)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-b.stop:
				return
			case now := <-t.C:
				mini.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	return b, nil
}

// Ping checks that Redis answers.
func (b *Backend) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := b.Redis.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("queue: %s redis: %w", b.Kind, err)
	}
	return nil
}

// Close releases the connection and stops the embedded Redis.
func (b *Backend) Close() error {
	err := b.Redis.Close()
	if b.mini != nil {
		close(b.stop)
		b.wg.Wait()
		b.mini.Close()
	}
	return err
}
