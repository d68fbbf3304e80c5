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
}

// MaxSendRetries is how often a transient send failure is retried (with backoff, or
// the provider's retry-after) before the message fails and its credit is refunded.
const MaxSendRetries = 8

// FairShare is how many sends a workspace may have waiting in the main sends queue;
// beyond it, its sends go to the bulk queue, so one workspace's campaign of 100k
// messages cannot hold up another workspace's single reply.
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
// backlogs are counted in one round trip rather than one a message, and the tasks are
// enqueued from a few goroutines. It returns once every task is on its queue, with
// the errors of those that are not (the sweep enqueues them again).
func (e *Enqueuer) SendAll(ctx context.Context, msgs []messaging.Message) error {
	queues := make([]string, len(msgs))
	due := map[string][]int{} // by workspace, the messages that go out now
	for i, m := range msgs {
		if m.Status == messaging.StatusScheduled && m.ScheduledAt != nil && m.ScheduledAt.After(time.Now()) {
			queues[i] = jobs.QueueScheduled
			continue
		}
		due[m.WorkspaceID] = append(due[m.WorkspaceID], i)
	}
	if len(due) > 0 {
		if err := e.fairQueues(ctx, due, queues); err != nil {
			return err
		}
	}

	errs := make([]error, len(msgs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(enqueuers, len(msgs)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = e.enqueue(ctx, msgs[i], queues[i])
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
	uncount := map[string]int{}
	for i, err := range errs {
		if err != nil && queues[i] != jobs.QueueScheduled { // counted by fairQueues
			uncount[msgs[i].WorkspaceID]++
		}
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			errs[i] = nil
		}
	}
	for ws, n := range uncount {
		sendsDone(ctx, e.rdb, ws, n)
	}
	return errors.Join(errs...)
}

// enqueue puts m's send task on queue; a scheduled message's waits for its time.
func (e *Enqueuer) enqueue(ctx context.Context, m messaging.Message, queue string) error {
	payload, _ := json.Marshal(MessageSendPayload{WorkspaceID: m.WorkspaceID, MessageID: m.ID, Attempt: m.Attempt})
	opts := []asynq.Option{asynq.TaskID(sendTaskID(m)), asynq.MaxRetry(e.MaxRetry), asynq.Timeout(2 * time.Minute), asynq.Queue(queue)}
	if queue == jobs.QueueScheduled {
		opts = append(opts, asynq.ProcessAt(jobs.WholeSecond(*m.ScheduledAt)))
	}
	if _, err := e.client.EnqueueContext(ctx, asynq.NewTask(TypeMessageSend, payload), opts...); err != nil {
		return fmt.Errorf("pipeline: enqueue message %s: %w", m.ID, err)
	}
	return nil
}

// fairQueues counts each workspace's waiting sends, adding those of due (message
// indexes by workspace), and picks the main queue for the messages within the
// workspace's fair share, the bulk queue for those beyond. The count expires so a
// crashed worker cannot leave a workspace in the bulk queue for ever.
func (e *Enqueuer) fairQueues(ctx context.Context, due map[string][]int, queues []string) error {
	counts := make(map[string]*redis.IntCmd, len(due))
	_, err := e.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for ws, idx := range due {
			counts[ws] = p.IncrBy(ctx, backlogKey(ws), int64(len(idx)))
			p.Expire(ctx, backlogKey(ws), time.Hour)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pipeline: backlog: %w", err)
	}
	for ws, idx := range due {
		first := counts[ws].Val() - int64(len(idx)) + 1 // the backlog position of idx[0]
		for j, i := range idx {
			queues[i] = jobs.QueueSends
			if first+int64(j) > FairShare {
				queues[i] = jobs.QueueBulk
			}
		}
	}
	return nil
}

// sendsDone takes n finished sends off their workspace's backlog count.
func sendsDone(ctx context.Context, rdb redis.UniversalClient, workspaceID string, n int) {
	if left, err := rdb.DecrBy(ctx, backlogKey(workspaceID), int64(n)).Result(); err == nil && left < 0 {
		rdb.Set(ctx, backlogKey(workspaceID), 0, time.Hour)
	}
}

// InboundPayload names stored channel events to process.
type InboundPayload struct {
	WorkspaceID  string   `json:"workspace_id"`
	ConnectionID string   `json:"connection_id"`
	EventIDs     []string `json:"event_ids"`
}

// Inbound enqueues the processing of stored events.
func (e *Enqueuer) Inbound(ctx context.Context, p InboundPayload) error {
	payload, _ := json.Marshal(p)
	_, err := e.client.EnqueueContext(ctx, asynq.NewTask(TypeInbound, payload),
		asynq.Queue(jobs.QueueInbound), asynq.MaxRetry(20), asynq.Timeout(time.Minute))
	return err
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
