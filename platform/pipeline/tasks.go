// Package pipeline moves messages: the outbound flow (store → message:send task →
// checks → charge → plugin Send → status) and the inbound flow (webhook events →
// inbound task → contact, routing, statuses), both on Asynq with at-least-once
// delivery made safe by idempotent steps.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/messaging"
)

// Task types.
const (
	TypeMessageSend = "message:send"
	TypeInbound     = "inbound:events"
)

// MessageSendPayload names the message and the send attempt a task is for.
type MessageSendPayload struct {
	WorkspaceID string `json:"workspace_id"`
	MessageID   string `json:"message_id"`
	Attempt     int    `json:"attempt"`
	// Scheduled is a send enqueued to wait for its time: it is not on its
	// workspace's backlog of sends due now (see fairQueues), so it takes nothing off it.
	Scheduled bool `json:"scheduled,omitempty"`
}

// MaxSendRetries is how often a transient send failure is retried (with backoff, or
// the provider's retry-after) before the message fails and its credit is refunded.
const MaxSendRetries = 8

// FairShare is how many sends a workspace may have waiting in the main sends queue,
// and how many of its scheduled sends due in the same minute may wait in the
// scheduled queue; beyond it, its sends go to the bulk queue, so one workspace's
// campaign of 100k messages, sent now or at nine tomorrow, cannot hold up another
// workspace's single reply or reminder.
const FairShare = 100

// Enqueuer puts pipeline tasks on the queues.
type Enqueuer struct {
	// MaxRetry is how often a send task is retried; NewEnqueuer sets MaxSendRetries.
	// Set it before the enqueuer is shared (tests lower it).
	MaxRetry  int
	client    *asynq.Client
	inspector *asynq.Inspector
	rdb       redis.UniversalClient
}

// NewEnqueuer builds an enqueuer on the queue backend's connection.
func NewEnqueuer(conn asynq.RedisConnOpt, rdb redis.UniversalClient) *Enqueuer {
	return &Enqueuer{MaxRetry: MaxSendRetries, client: asynq.NewClient(conn), inspector: asynq.NewInspector(conn), rdb: rdb}
}

// Close releases the client.
func (e *Enqueuer) Close() error {
	e.inspector.Close()
	return e.client.Close()
}

func sendTaskID(m messaging.Message) string { return fmt.Sprintf("send:%s:%d", m.ID, m.Attempt) }

func backlogKey(workspaceID string) string { return "switchboard:backlog:" + workspaceID }

func inboundBacklogKey(workspaceID string) string {
	return "switchboard:inbound-backlog:" + workspaceID
}

// Send enqueues the message's current attempt. The task id is derived from the
// message and attempt, so enqueueing twice is a no-op. A scheduled message waits in
// the scheduled queue until its time.
func (e *Enqueuer) Send(ctx context.Context, m messaging.Message) error {
	return e.SendAll(ctx, []messaging.Message{m})
}

// enqueuers is how many of a SendAll's tasks are put on the queue at once: a
// campaign's thousands are not enqueued one round trip after another.
const enqueuers = 8

// SendAll is Send for several messages, a campaign's copies say: their workspaces'
// shares are counted in one round trip rather than one a message, and the tasks are
// enqueued from a few goroutines. It returns once every task is on its queue, with
// the errors of those that are not (the sweep enqueues them again).
func (e *Enqueuer) SendAll(ctx context.Context, msgs []messaging.Message) error {
	queues := make([]string, len(msgs))
	scheduled := make([]bool, len(msgs))
	shares := map[string]*share{}
	now := time.Now()
	for i, m := range msgs {
		var key string
		if m.Status == messaging.StatusScheduled && m.ScheduledAt != nil && m.ScheduledAt.After(now) {
			scheduled[i] = true
			key = scheduledKey(m.WorkspaceID, *m.ScheduledAt)
		} else {
			key = backlogKey(m.WorkspaceID)
		}
		sh := shares[key]
		if sh == nil {
			sh = &share{queue: jobs.QueueSends, expire: now.Add(time.Hour)}
			if scheduled[i] {
				// Kept until an hour after the minute it counts: a schedule made
				// up to its last moment still finds the count.
				sh.queue, sh.expire = jobs.QueueScheduled, m.ScheduledAt.Truncate(time.Minute).Add(time.Minute+time.Hour)
			}
			shares[key] = sh
		}
		sh.idx = append(sh.idx, i)
	}
	if err := e.fairQueues(ctx, shares, queues); err != nil {
		return err
	}

	errs := make([]error, len(msgs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(enqueuers, len(msgs)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = e.enqueue(ctx, msgs[i], queues[i], scheduled[i])
			}
		})
	}
	for i := range msgs {
		next <- i
	}
	close(next)
	wg.Wait()

	// Nothing new waits for a task that was not enqueued, or was already: take back
	// the count fairQueues added, or every duplicate enqueue would push the
	// workspace towards the bulk queue for good.
	for key, sh := range shares {
		n := 0
		for _, i := range sh.idx {
			if errs[i] != nil {
				n++
			}
		}
		if n > 0 {
			uncount(ctx, e.rdb, key, n)
		}
	}
	for i, err := range errs {
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			errs[i] = nil
		}
	}
	return errors.Join(errs...)
}

// enqueue puts m's send task on queue; a scheduled message's waits for its time.
func (e *Enqueuer) enqueue(ctx context.Context, m messaging.Message, queue string, scheduled bool) error {
	payload, _ := json.Marshal(MessageSendPayload{WorkspaceID: m.WorkspaceID, MessageID: m.ID, Attempt: m.Attempt, Scheduled: scheduled})
	opts := []asynq.Option{asynq.TaskID(sendTaskID(m)), asynq.MaxRetry(e.MaxRetry), asynq.Timeout(2 * time.Minute), asynq.Queue(queue)}
	if scheduled {
		opts = append(opts, asynq.ProcessAt(jobs.WholeSecond(*m.ScheduledAt)))
	}
	if _, err := e.client.EnqueueContext(ctx, asynq.NewTask(TypeMessageSend, payload), opts...); err != nil {
		return fmt.Errorf("pipeline: enqueue message %s: %w", m.ID, err)
	}
	return nil
}

// share is the tasks counted against one fair share: a workspace's sends due now,
// those it scheduled for one minute, or its waiting inbound tasks.
type share struct {
	idx    []int     // the tasks' indexes
	queue  string    // where those within the share wait
	expire time.Time // when the count lapses
}

// scheduledKey counts a workspace's sends scheduled for the minute of at.
func scheduledKey(workspaceID string, at time.Time) string {
	return "switchboard:scheduled:" + workspaceID + ":" + strconv.FormatInt(at.Unix()/60, 10)
}

// fairQueues adds each share's tasks to its count and picks their queues: the
// share's own for those within FairShare, the bulk queue for those beyond. The counts
// expire, so a crashed worker cannot leave a workspace in the bulk queue for ever.
//
// The backlogs of sends due now and of inbound tasks are taken back as they finish
// (Pipeline.done). A minute's scheduled count is taken back only for a send that
// leaves its minute (cancelled, or sent now: Pipeline.offMinute): the sends of one
// minute all finish together, the count only has to separate one workspace's campaign
// from everyone else's few sends of that minute, and it lapses an hour after.
func (e *Enqueuer) fairQueues(ctx context.Context, shares map[string]*share, queues []string) error {
	if len(shares) == 0 {
		return nil
	}
	counts := make(map[string]*redis.IntCmd, len(shares))
	_, err := e.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for key, sh := range shares {
			counts[key] = p.IncrBy(ctx, key, int64(len(sh.idx)))
			p.ExpireAt(ctx, key, sh.expire)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pipeline: fair share: %w", err)
	}
	for key, sh := range shares {
		first := counts[key].Val() - int64(len(sh.idx)) + 1 // the count's position of idx[0]
		for j, i := range sh.idx {
			queues[i] = sh.queue
			if first+int64(j) > FairShare {
				queues[i] = jobs.QueueBulk
			}
		}
	}
	return nil
}

// uncount takes n off a fair-share count, which never goes below zero.
func uncount(ctx context.Context, rdb redis.UniversalClient, key string, n int) {
	if left, err := rdb.DecrBy(ctx, key, int64(n)).Result(); err == nil && left < 0 {
		rdb.Set(ctx, key, 0, time.Hour)
	}
}

// InboundPayload names stored channel events to process.
type InboundPayload struct {
	WorkspaceID  string   `json:"workspace_id"`
	ConnectionID string   `json:"connection_id"`
	EventIDs     []string `json:"event_ids"`
	// Receipts are those of EventIDs the receipt batch may take (see statusBatch);
	// the others, and every event of a task enqueued without them (the sweep's), are
	// applied one by one.
	Receipts []string `json:"receipts,omitempty"`
	// Counted is on its workspace's inbound backlog, to be taken off when done.
	Counted bool `json:"counted,omitempty"`
}

// Inbound enqueues the processing of stored events. Like sends, a workspace's first
// FairShare inbound tasks waiting go to the inbound queue and those beyond to bulk:
// a flood of one workspace's webhooks (its campaign's replies, or their status
// callbacks) cannot hold up another workspace's customer.
func (e *Enqueuer) Inbound(ctx context.Context, p InboundPayload) error {
	key := inboundBacklogKey(p.WorkspaceID)
	queue := make([]string, 1)
	if err := e.fairQueues(ctx, map[string]*share{key: {idx: []int{0}, queue: jobs.QueueInbound, expire: time.Now().Add(time.Hour)}}, queue); err != nil {
		return err
	}
	p.Counted = true
	payload, _ := json.Marshal(p)
	if _, err := e.client.EnqueueContext(ctx, asynq.NewTask(TypeInbound, payload),
		asynq.Queue(queue[0]), asynq.MaxRetry(20), asynq.Timeout(time.Minute)); err != nil {
		uncount(ctx, e.rdb, key, 1)
		return err
	}
	return nil
}

// retryAfter is a transient failure with the provider's wait; the worker's retry delay
// honours it.
type retryAfter struct {
	err   error
	after time.Duration
	// throttled is the provider's rate limit: not a failure (see jobs.Throttled).
	throttled bool
}

func (r *retryAfter) Error() string             { return r.err.Error() }
func (r *retryAfter) Unwrap() error             { return r.err }
func (r *retryAfter) RetryAfter() time.Duration { return r.after }
func (r *retryAfter) Throttled() bool           { return r.throttled }
