package realtime

// The hub fans workspace events out to the browser: Publish puts an event on
// the workspace's Redis channel, so every web replica receives it, and each replica's
// Hub delivers it to its own WebSocket clients of that workspace.
//
// A process holds one Redis subscription per workspace, shared by all of its local
// subscribers of that workspace and dropped when the last one leaves. Delivery is best
// effort: a subscriber that falls behind, or any interruption of the Redis stream,
// ends the subscription with a reason (Hub.Err) instead of silently losing events, and
// the client then reconnects and reloads what it shows (resync). Clients resync after
// every "ready" hello, so nothing is lost between a page load and the stream.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/platform/batching"
)

// Conversation kinds an event can concern. Which members may see an event depends on
// its kind (Chat is for managers and admins); "" means no particular kind.
const (
	KindChat     = "chat"
	KindTicket   = "ticket"
	KindCampaign = "campaign"
)

// ChannelPrefix starts the Redis channel of every workspace.
const ChannelPrefix = "switchboard:realtime:"

// Channel is the Redis channel of a workspace's events.
func Channel(workspaceID string) string { return ChannelPrefix + workspaceID }

// wire is an event on Redis: everything but the workspace, which is the channel.
type wire struct {
	Type             string          `json:"type"`
	ConversationID   string          `json:"conversation_id,omitempty"`
	ConversationKind string          `json:"conversation_kind,omitempty"`
	AssigneeID       string          `json:"assignee_id,omitempty"`
	Reassigned       bool            `json:"reassigned,omitempty"`
	FormerAssigneeID string          `json:"former_assignee_id,omitempty"`
	ConnectionID     string          `json:"connection_id,omitempty"`
	Permission       string          `json:"permission,omitempty"`
	Data             json.RawMessage `json:"data,omitempty"`
}

// Why a subscription ended, as Hub.Err reports it.
var (
	// ErrSlow: the subscriber did not keep up and was dropped so it would not hold
	// the others back.
	ErrSlow = errors.New("too slow; reconnect and resync")
	// ErrInterrupted: the Redis stream broke (connection lost, resubscribed); events
	// may have been missed.
	ErrInterrupted = errors.New("event stream interrupted; reconnect and resync")
	// ErrUnavailable: the Redis subscription could not be set up.
	ErrUnavailable = errors.New("realtime events unavailable; reconnect later")
	// ErrClosed: the hub was closed (the process is stopping).
	ErrClosed = errors.New("server shutting down; reconnect")
)

// Defaults of a Hub.
const (
	// DefaultBuffer is how many events a subscriber may have waiting before it is
	// dropped as too slow.
	DefaultBuffer = 64
	// confirmTimeout bounds the wait for Redis to confirm a subscription.
	confirmTimeout = 10 * time.Second
	// healthInterval is how long a subscription may be silent before the hub pings
	// Redis; a ping left unanswered as long again means the connection is dead.
	healthInterval = 30 * time.Second
)

// Hub publishes events and shares one Redis subscription per workspace among the
// process's local subscribers. It is safe for concurrent use.
type Hub struct {
	rdb redis.UniversalClient
	log *slog.Logger

	// Settings, fixed before the first Subscribe (tests shorten them).
	buffer         int
	confirmTimeout time.Duration
	healthInterval time.Duration

	// publishes shares Redis round trips among events published at the same moment
	// (a campaign's sends publish thousands a second).
	publishes *batching.Queue[struct{}, publication, struct{}]

	mu     sync.Mutex
	closed bool
	topics map[string]*topic            // workspace id → its shared subscription
	subs   map[<-chan Event]*subscriber // every subscription not yet cancelled, for Err
	wg     sync.WaitGroup               // topic goroutines
}

// topic is one workspace's Redis subscription and its local subscribers.
type topic struct {
	workspaceID string
	ready       chan struct{} // closed when Redis confirmed the subscription
	dead        chan struct{} // closed when the topic's goroutine has ended

	// Guarded by Hub.mu.
	ps       *redis.PubSub
	subs     map[*subscriber]struct{}
	stopping bool // set once; the topic is then out of Hub.topics
}

type subscriber struct {
	ch chan Event
	t  *topic
	// Guarded by Hub.mu.
	ended bool
	err   error
}

// NewHub returns a hub on rdb. It starts nothing until the first Subscribe.
func NewHub(rdb redis.UniversalClient, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{
		rdb: rdb, log: log,
		buffer: DefaultBuffer, confirmTimeout: confirmTimeout, healthInterval: healthInterval,
		topics: map[string]*topic{}, subs: map[<-chan Event]*subscriber{},
	}
	h.publishes = batching.New(maxPublishBatch, publishTimeout, h.publishBatch)
	return h
}

// Publishing in batches: at most this many events per pipelined round trip, each
// batch bounded in time.
const (
	maxPublishBatch = 200
	publishTimeout  = 5 * time.Second
)

// publication is an event ready for Redis.
type publication struct {
	channel string
	payload []byte
}

func (h *Hub) publishBatch(ctx context.Context, _ struct{}, batch []publication) []batching.Result[struct{}] {
	cmds, _ := h.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, pub := range batch {
			p.Publish(ctx, pub.channel, pub.payload)
		}
		return nil
	})
	out := make([]batching.Result[struct{}], len(batch))
	for i := range out {
		if i < len(cmds) {
			out[i].Err = cmds[i].Err()
		} else {
			out[i].Err = errors.New("realtime: publish: no reply from Redis")
		}
	}
	return out
}

// Publish sends ev to every subscriber of ev.WorkspaceID on every replica. It returns
// once Redis has taken the event; a replica with no subscriber of the workspace drops
// it, so publish after the change is committed and never rely on an event alone.
func (h *Hub) Publish(ctx context.Context, ev Event) error {
	if ev.WorkspaceID == "" {
		return errors.New("realtime: publish: event without a workspace")
	}
	if ev.Type == "" {
		return errors.New("realtime: publish: event without a type")
	}
	switch ev.ConversationKind {
	case "", KindChat, KindTicket, KindCampaign:
	default:
		return fmt.Errorf("realtime: publish: unknown conversation kind %q", ev.ConversationKind)
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return ErrClosed
	}
	b, err := encode(ev)
	if err != nil {
		return fmt.Errorf("realtime: publish: %w", err)
	}
	if _, err := h.publishes.Do(ctx, struct{}{}, publication{Channel(ev.WorkspaceID), b}); err != nil {
		return fmt.Errorf("realtime: publish: %w", err)
	}
	return nil
}

// encode writes ev as it goes on Redis. The data is checked and put in as it is:
// marshalled with the rest, encoding/json would compact it into a new buffer too, and
// on the send path that is a whole message a send, which cost as much as marshalling
// the message in the first place.
func encode(ev Event) ([]byte, error) {
	if len(ev.Data) > 0 && !json.Valid(ev.Data) {
		return nil, errors.New("data is not JSON")
	}
	b, err := json.Marshal(wire{Type: ev.Type, ConversationID: ev.ConversationID, ConversationKind: ev.ConversationKind,
		AssigneeID: ev.AssigneeID, Reassigned: ev.Reassigned, FormerAssigneeID: ev.FormerAssigneeID,
		ConnectionID: ev.ConnectionID, Permission: ev.Permission})
	if err != nil || len(ev.Data) == 0 {
		return b, err
	}
	const key = `,"data":`
	out := make([]byte, 0, len(b)+len(key)+len(ev.Data))
	out = append(out, b[:len(b)-1]...) // all but the closing brace
	out = append(out, key...)
	out = append(out, ev.Data...)
	return append(out, '}'), nil
}

// Subscribe returns the events of a workspace published from now on, and a function
// that ends the subscription (call it when done, like a context's cancel; it may be
// called more than once). It returns once Redis has confirmed the subscription, so an
// event published after Subscribe returns is delivered; ctx bounds that wait and the
// subscription's life.
//
// The channel is closed when the subscription ends for another reason than cancel:
// ctx is done, the subscriber fell DefaultBuffer events behind, the Redis stream broke,
// or the hub closed. Err then says which; an event or more may have been missed, so
// the consumer must resync.
func (h *Hub) Subscribe(ctx context.Context, workspaceID string) (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, h.buffer)}
	h.mu.Lock()
	h.subs[s.ch] = s
	if h.closed || workspaceID == "" {
		s.ended, s.err = true, ErrClosed
		if workspaceID == "" {
			s.err = ErrUnavailable
		}
		close(s.ch)
		h.mu.Unlock()
		return s.ch, func() { h.forget(s) }
	}
	t := h.topics[workspaceID]
	if t == nil {
		t = &topic{workspaceID: workspaceID, ready: make(chan struct{}), dead: make(chan struct{}), subs: map[*subscriber]struct{}{}}
		h.topics[workspaceID] = t
		h.wg.Add(1)
		go h.run(t)
	}
	s.t = t
	t.subs[s] = struct{}{}
	h.mu.Unlock()

	stop := context.AfterFunc(ctx, func() { h.end(s, ctx.Err()) })
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			stop()
			h.end(s, nil)
			h.forget(s)
		})
	}
	select {
	case <-t.ready:
	case <-t.dead: // it failed and ended s with the reason
	case <-ctx.Done():
		h.end(s, ctx.Err())
	}
	return s.ch, cancel
}

// Err reports why the subscription on ch ended: ErrSlow, ErrInterrupted,
// ErrUnavailable, ErrClosed or the context's error. It is nil while the subscription
// lasts, after its cancel function was called, and for a channel it does not know.
func (h *Hub) Err(ch <-chan Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.subs[ch]; s != nil && s.ended {
		return s.err
	}
	return nil
}

// Subscriptions is the number of Redis subscriptions (workspaces) this hub holds.
func (h *Hub) Subscriptions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.topics)
}

// Close ends every subscription with ErrClosed and releases the Redis subscriptions.
// Publish and Subscribe fail afterwards. Close the hub before its Redis client.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	var pss []*redis.PubSub
	for _, t := range h.topics {
		if ps := h.stopLocked(t, ErrClosed); ps != nil {
			pss = append(pss, ps)
		}
	}
	h.mu.Unlock()
	for _, ps := range pss {
		_ = ps.Close()
	}
	h.wg.Wait()
}

// forget drops s from the index Err reads.
func (h *Hub) forget(s *subscriber) {
	h.mu.Lock()
	delete(h.subs, s.ch)
	h.mu.Unlock()
}

// end ends one subscription with reason (nil: cancelled) and releases the topic's
// Redis subscription when it was the last.
func (h *Hub) end(s *subscriber, reason error) {
	h.mu.Lock()
	ps := h.endLocked(s, reason)
	h.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
}

// endLocked ends s; it returns the topic's PubSub to close (outside the lock) when s
// was the topic's last subscriber.
func (h *Hub) endLocked(s *subscriber, reason error) *redis.PubSub {
	if s.ended {
		return nil
	}
	s.ended, s.err = true, reason
	// Events still waiting are of no use to a subscriber that must resync; draining
	// them lets its reader see the end at once.
	for len(s.ch) > 0 {
		<-s.ch
	}
	close(s.ch)
	t := s.t
	delete(t.subs, s)
	if len(t.subs) == 0 && !t.stopping {
		return h.stopLocked(t, nil)
	}
	return nil
}

// stopLocked takes t out of the hub and ends its remaining subscribers with reason. It
// returns t's PubSub for the caller to close outside the lock, which ends t's goroutine.
func (h *Hub) stopLocked(t *topic, reason error) *redis.PubSub {
	if t.stopping {
		return nil
	}
	t.stopping = true
	if h.topics[t.workspaceID] == t {
		delete(h.topics, t.workspaceID)
	}
	for s := range t.subs {
		h.endLocked(s, reason)
	}
	return t.ps
}

// fail stops t because its stream broke; every subscriber must resync.
func (h *Hub) fail(t *topic, reason, cause error) {
	h.mu.Lock()
	stopping := t.stopping
	n := len(t.subs)
	ps := h.stopLocked(t, reason)
	h.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
	if !stopping {
		h.log.Warn("realtime: workspace subscription ended", "workspace_id", t.workspaceID, "subscribers", n, "reason", reason, "error", cause)
	}
}

// run holds t's Redis subscription and fans its messages out until t is stopped or the
// stream breaks.
func (h *Hub) run(t *topic) {
	defer h.wg.Done()
	defer close(t.dead)
	ctx := context.Background()
	ps := h.rdb.Subscribe(ctx, Channel(t.workspaceID))
	h.mu.Lock()
	if t.stopping {
		h.mu.Unlock()
		_ = ps.Close()
		return
	}
	t.ps = ps
	h.mu.Unlock()

	confirmed, pinged := false, false
	for {
		timeout := h.healthInterval
		if !confirmed {
			timeout = h.confirmTimeout
		}
		msg, err := ps.ReceiveTimeout(ctx, timeout)
		if err != nil {
			var ne net.Error
			if confirmed && !pinged && errors.As(err, &ne) && ne.Timeout() && !h.stopped(t) {
				// Silent for a while: make sure the connection is alive.
				if perr := ps.Ping(ctx); perr == nil {
					pinged = true
					continue
				}
			}
			reason := ErrInterrupted
			if !confirmed {
				reason = ErrUnavailable
			}
			h.fail(t, reason, err)
			return
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			if confirmed {
				// go-redis reconnected and subscribed again: whatever was published
				// in between is lost.
				h.fail(t, ErrInterrupted, errors.New("resubscribed after a reconnect"))
				return
			}
			confirmed = true
			close(t.ready)
		case *redis.Message:
			var w wire
			if err := json.Unmarshal([]byte(m.Payload), &w); err != nil || w.Type == "" {
				h.log.Warn("realtime: ignoring a malformed event", "workspace_id", t.workspaceID, "error", err)
				continue
			}
			h.fanOut(t, Event{Type: w.Type, WorkspaceID: t.workspaceID, ConversationID: w.ConversationID,
				ConversationKind: w.ConversationKind, AssigneeID: w.AssigneeID, Reassigned: w.Reassigned, FormerAssigneeID: w.FormerAssigneeID,
				ConnectionID: w.ConnectionID, Permission: w.Permission, Data: w.Data})
		}
	}
}

func (h *Hub) stopped(t *topic) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return t.stopping
}

// fanOut hands ev to every subscriber of t without waiting: one whose buffer is full
// is dropped with ErrSlow.
func (h *Hub) fanOut(t *topic, ev Event) {
	var ps *redis.PubSub
	h.mu.Lock()
	for s := range t.subs {
		select {
		case s.ch <- ev:
		default:
			h.log.Info("realtime: dropping a slow subscriber", "workspace_id", t.workspaceID, "buffer", cap(s.ch))
			if p := h.endLocked(s, ErrSlow); p != nil {
				ps = p
			}
		}
	}
	h.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
}
