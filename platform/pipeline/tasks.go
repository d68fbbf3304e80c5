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
	payload, _ := json.Marshal(MessageSendPayload{WorkspaceID: m.WorkspaceID, MessageID: m.ID, Attempt: m.Attempt})
	opts := []asynq.Option{asynq.TaskID(sendTaskID(m)), asynq.MaxRetry(e.MaxRetry), asynq.Timeout(2 * time.Minute)}
	counted := false
	if m.Status == messaging.StatusScheduled && m.ScheduledAt != nil && m.ScheduledAt.After(time.Now()) {
		// Asynq keeps a task's time in whole seconds, dropping the fraction, which
		// would fire it up to a second early: round up, so it never goes before its time.
		at := m.ScheduledAt.Truncate(time.Second)
		if at.Before(*m.ScheduledAt) {
			at = at.Add(time.Second)
		}
		opts = append(opts, asynq.Queue(jobs.QueueScheduled), asynq.ProcessAt(at))
	} else {
		queue, err := e.fairQueue(ctx, m.WorkspaceID)
		if err != nil {
			return err
		}
		opts = append(opts, asynq.Queue(queue))
		counted = true
	}
	_, err := e.client.EnqueueContext(ctx, asynq.NewTask(TypeMessageSend, payload), opts...)
	if err != nil && counted {
		// Nothing new waits: take back the count fairQueue added, or every duplicate
		// enqueue would push the workspace towards the bulk queue for good.
		sendsDone(ctx, e.rdb, m.WorkspaceID, 1)
	}
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// fairQueue counts the workspace's waiting sends and picks the main queue while it is
// within its fair share, the bulk queue beyond. The count expires so a crashed worker
// cannot leave a workspace in the bulk queue for ever.
func (e *Enqueuer) fairQueue(ctx context.Context, workspaceID string) (string, error) {
	var n *redis.IntCmd
	_, err := e.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, backlogKey(workspaceID))
		p.Expire(ctx, backlogKey(workspaceID), time.Hour)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("pipeline: backlog: %w", err)
	}
	if n.Val() > FairShare {
		return jobs.QueueBulk, nil
	}
	return jobs.QueueSends, nil
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
