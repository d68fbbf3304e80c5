package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/platform/queue"
	"github.com/switchboardhq/switchboard/platform/storage"
)

// wait bounds every wait for an event; nothing here should take more than a blink.
const wait = 10 * time.Second

// backend is the test Redis: SWITCHBOARD_TEST_REDIS_URL, else an embedded one.
func backend(t *testing.T) *queue.Backend {
	t.Helper()
	b, err := queue.Open(context.Background(), os.Getenv("SWITCHBOARD_TEST_REDIS_URL"))
	if err != nil {
		t.Fatalf("redis: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// options are the backend's connection settings, for clients of their own.
func options(t *testing.T, b *queue.Backend) *redis.Options {
	t.Helper()
	c, ok := b.Redis.(*redis.Client)
	if !ok {
		t.Fatalf("backend client is a %T", b.Redis)
	}
	return c.Options()
}

// replica is a hub with a Redis connection of its own, like another web process.
func replica(t *testing.T, opt *redis.Options) *Hub {
	t.Helper()
	rdb := redis.NewClient(opt)
	h := NewHub(rdb, nil)
	t.Cleanup(func() {
		h.Close()
		_ = rdb.Close()
	})
	return h
}

func subscribe(t *testing.T, h *Hub, ws string) (<-chan Event, func()) {
	t.Helper()
	ch, stop := h.Subscribe(context.Background(), ws)
	if err := h.Err(ch); err != nil {
		t.Fatalf("subscribe %s: %v", ws, err)
	}
	t.Cleanup(stop)
	return ch, stop
}

func publish(t *testing.T, h *Hub, ev Event) {
	t.Helper()
	if err := h.Publish(context.Background(), ev); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

func next(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("subscription ended")
		}
		return ev
	case <-time.After(wait):
		t.Fatal("no event")
	}
	return Event{}
}

// ended waits until ch is closed, failing on any event.
func ended(t *testing.T, ch <-chan Event) {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			t.Fatalf("got %+v, want the subscription to end", ev)
		case <-timeout:
			t.Fatal("the subscription did not end")
		}
	}
}

func numsub(t *testing.T, b *queue.Backend, ws string) int64 {
	t.Helper()
	n, err := b.Redis.PubSubNumSub(context.Background(), Channel(ws)).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n[Channel(ws)]
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPublishReachesOtherReplicas(t *testing.T) {
	t.Parallel()
	b := backend(t)
	opt := options(t, b)
	web1, web2 := replica(t, opt), replica(t, opt)
	ws := storage.NewID()
	far, _ := subscribe(t, web2, ws)
	near, _ := subscribe(t, web1, ws)

	sent := Event{Type: MessageCreated, WorkspaceID: ws, ConversationID: "conv1", ConversationKind: KindTicket,
		AssigneeID: "user1", Data: json.RawMessage(`{"id":"m1","body":"hi"}`)}
	publish(t, web1, sent)
	for name, ch := range map[string]<-chan Event{"other replica": far, "same replica": near} {
		got := next(t, ch)
		if got.Type != sent.Type || got.WorkspaceID != ws || got.ConversationID != "conv1" || got.ConversationKind != KindTicket ||
			got.AssigneeID != "user1" || string(got.Data) != string(sent.Data) {
			t.Errorf("%s got %+v, want %+v", name, got, sent)
		}
	}

	// What a client is sent: no workspace, no assignee.
	out, err := json.Marshal(next(t, func() <-chan Event { publish(t, web2, sent); return far }()))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"message.created","conversation_id":"conv1","conversation_kind":"ticket","data":{"id":"m1","body":"hi"}}`; string(out) != want {
		t.Errorf("client JSON %s, want %s", out, want)
	}
}

func TestWorkspacesAreIsolated(t *testing.T) {
	t.Parallel()
	b := backend(t)
	opt := options(t, b)
	web1, web2 := replica(t, opt), replica(t, opt)
	wsA, wsB := storage.NewID(), storage.NewID()
	subA, _ := subscribe(t, web2, wsA)
	subB, _ := subscribe(t, web2, wsB)
	subA1, _ := subscribe(t, web1, wsA)

	publish(t, web1, Event{Type: CountsChanged, WorkspaceID: wsB, ConversationKind: KindChat, Data: json.RawMessage(`"B"`)})
	publish(t, web1, Event{Type: CountsChanged, WorkspaceID: wsA, ConversationKind: KindChat, Data: json.RawMessage(`"A"`)})
	// Redis keeps a channel's order, and A's marker went out after B's event: had
	// B's event reached A's subscribers it would come first.
	for _, ch := range []<-chan Event{subA, subA1} {
		if got := next(t, ch); got.WorkspaceID != wsA || string(got.Data) != `"A"` {
			t.Errorf("a subscriber of A got %+v", got)
		}
	}
	if got := next(t, subB); got.WorkspaceID != wsB || string(got.Data) != `"B"` {
		t.Errorf("the subscriber of B got %+v", got)
	}
	select {
	case ev := <-subB:
		t.Errorf("the subscriber of B got A's %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestOneRedisSubscriptionPerWorkspace(t *testing.T) {
	t.Parallel()
	b := backend(t)
	h := replica(t, options(t, b))
	ws, other := storage.NewID(), storage.NewID()
	first, stopFirst := subscribe(t, h, ws)
	second, stopSecond := subscribe(t, h, ws)
	_, stopOther := subscribe(t, h, other)
	if n := h.Subscriptions(); n != 2 {
		t.Fatalf("%d Redis subscriptions for 2 workspaces", n)
	}
	if n := numsub(t, b, ws); n != 1 {
		t.Fatalf("Redis counts %d subscribers of the workspace's channel, want 1 shared by both local subscribers", n)
	}

	stopFirst()
	stopFirst() // twice is fine
	ended(t, first)
	if err := h.Err(first); err != nil {
		t.Errorf("a cancelled subscription reports %v", err)
	}
	publish(t, h, Event{Type: MessageCreated, WorkspaceID: ws})
	if got := next(t, second); got.Type != MessageCreated {
		t.Fatalf("the remaining subscriber got %+v", got)
	}
	if n := numsub(t, b, ws); n != 1 {
		t.Fatalf("one subscriber left: Redis counts %d", n)
	}

	stopSecond()
	eventually(t, "the Redis subscription to end", func() bool { return numsub(t, b, ws) == 0 })
	if n := h.Subscriptions(); n != 1 {
		t.Errorf("%d Redis subscriptions after the last subscriber of one workspace left, want 1", n)
	}
	stopOther()
	eventually(t, "the last Redis subscription to end", func() bool { return numsub(t, b, other) == 0 && h.Subscriptions() == 0 })

	// A new subscriber starts over.
	again, _ := subscribe(t, h, ws)
	publish(t, h, Event{Type: MessageUpdated, WorkspaceID: ws})
	if got := next(t, again); got.Type != MessageUpdated {
		t.Fatalf("resubscribed and got %+v", got)
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	t.Parallel()
	b := backend(t)
	h := replica(t, options(t, b))
	ws := storage.NewID()
	h.buffer = 4 // before any Subscribe, so no goroutine reads it yet
	slow, _ := subscribe(t, h, ws)
	h.buffer = 1000 // the fast one keeps up however the scheduler runs it
	fast, _ := subscribe(t, h, ws)

	const n = 50
	var wg sync.WaitGroup
	wg.Add(1)
	got := make([]string, 0, n)
	go func() {
		defer wg.Done()
		for ev := range fast {
			got = append(got, string(ev.Data))
			if len(got) == n {
				return
			}
		}
	}()
	for i := range n {
		b, _ := json.Marshal(i)
		publish(t, h, Event{Type: MessageCreated, WorkspaceID: ws, Data: b})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("the fast subscriber did not get every event")
	}
	for i, d := range got {
		if want, _ := json.Marshal(i); d != string(want) {
			t.Fatalf("fast subscriber's event %d is %s", i, d)
		}
	}
	ended(t, slow) // dropped, and its backlog discarded: it must resync anyway
	if err := h.Err(slow); !errors.Is(err, ErrSlow) {
		t.Errorf("the slow subscriber ended with %v, want ErrSlow", err)
	}
	if ErrSlow.Error() != "too slow; reconnect and resync" {
		t.Errorf("ErrSlow says %q", ErrSlow)
	}
	if n := numsub(t, b, ws); n != 1 {
		t.Errorf("Redis counts %d subscribers, want the fast one's shared subscription", n)
	}
}

func TestSubscriptionEnds(t *testing.T) {
	t.Parallel()
	b := backend(t)
	opt := options(t, b)

	t.Run("context", func(t *testing.T) {
		h := replica(t, opt)
		ctx, cancel := context.WithCancel(context.Background())
		ch, stop := h.Subscribe(ctx, storage.NewID())
		defer stop()
		cancel()
		ended(t, ch)
		if err := h.Err(ch); !errors.Is(err, context.Canceled) {
			t.Errorf("ended with %v", err)
		}
		eventually(t, "the Redis subscription to end", func() bool { return h.Subscriptions() == 0 })
	})

	t.Run("hub closed", func(t *testing.T) {
		h := replica(t, opt)
		ws := storage.NewID()
		ch, _ := subscribe(t, h, ws)
		h.Close()
		ended(t, ch)
		if err := h.Err(ch); !errors.Is(err, ErrClosed) {
			t.Errorf("ended with %v", err)
		}
		if n := numsub(t, b, ws); n != 0 {
			t.Errorf("Redis still counts %d subscribers", n)
		}
		late, stop := h.Subscribe(context.Background(), ws)
		defer stop()
		ended(t, late)
		if err := h.Err(late); !errors.Is(err, ErrClosed) {
			t.Errorf("subscribing to a closed hub: %v", err)
		}
		if err := h.Publish(context.Background(), Event{Type: MessageCreated, WorkspaceID: ws}); !errors.Is(err, ErrClosed) {
			t.Errorf("publishing on a closed hub: %v", err)
		}
		h.Close() // twice is fine
	})

	t.Run("redis unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		h := replica(t, &redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
		ch, stop := h.Subscribe(context.Background(), storage.NewID())
		defer stop()
		ended(t, ch)
		if err := h.Err(ch); !errors.Is(err, ErrUnavailable) {
			t.Errorf("ended with %v", err)
		}
	})

	t.Run("quiet stream stays up", func(t *testing.T) {
		h := replica(t, opt)
		h.healthInterval = 30 * time.Millisecond // pings Redis, which answers
		ws := storage.NewID()
		ch, _ := subscribe(t, h, ws)
		time.Sleep(300 * time.Millisecond)
		if err := h.Err(ch); err != nil {
			t.Fatalf("a quiet subscription ended: %v", err)
		}
		publish(t, h, Event{Type: MessageCreated, WorkspaceID: ws})
		if got := next(t, ch); got.Type != MessageCreated {
			t.Errorf("got %+v", got)
		}
	})

	t.Run("stream interrupted", func(t *testing.T) {
		p := newProxy(t, opt.Addr)
		popt := *opt
		popt.Addr = p.addr
		h := replica(t, &popt)
		ws := storage.NewID()
		ch, _ := subscribe(t, h, ws)
		p.cut()
		ended(t, ch)
		if err := h.Err(ch); !errors.Is(err, ErrInterrupted) {
			t.Errorf("ended with %v", err)
		}
		eventually(t, "the broken subscription to leave the hub", func() bool { return h.Subscriptions() == 0 })
		// The next subscriber gets a fresh subscription.
		again, _ := subscribe(t, h, ws)
		publish(t, h, Event{Type: CountsChanged, WorkspaceID: ws})
		if got := next(t, again); got.Type != CountsChanged {
			t.Errorf("got %+v", got)
		}
	})
}

func TestPublishChecksEvents(t *testing.T) {
	t.Parallel()
	b := backend(t)
	h := replica(t, options(t, b))
	ws := storage.NewID()
	for _, ev := range []Event{
		{Type: MessageCreated},
		{WorkspaceID: ws},
		{Type: MessageCreated, WorkspaceID: ws, ConversationKind: "secret"},
		{Type: MessageCreated, WorkspaceID: ws, Data: json.RawMessage(`{not json`)},
	} {
		if err := h.Publish(context.Background(), ev); err == nil {
			t.Errorf("published %+v", ev)
		}
	}
	// Junk on the channel is skipped, not delivered and not fatal.
	ch, _ := subscribe(t, h, ws)
	if err := b.Redis.Publish(context.Background(), Channel(ws), "junk").Err(); err != nil {
		t.Fatal(err)
	}
	publish(t, h, Event{Type: ConversationUpdated, WorkspaceID: ws})
	if got := next(t, ch); got.Type != ConversationUpdated {
		t.Errorf("got %+v", got)
	}
}

// proxy forwards TCP to Redis until cut, to break a hub's connection on purpose.
type proxy struct {
	addr  string
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &proxy{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(p.cut)
	return p
}

// cut closes every connection made so far; new ones still go through.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
