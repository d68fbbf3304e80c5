package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/media"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/tenants"
)

// TypeSweep is the periodic maintenance task that picks up work whose task was lost.
const TypeSweep = "maintenance:sweep"

// SweepAge is how long a message may wait pending, or a stored event unprocessed,
// before the sweep queues it again: long enough that the normal path has had its turn.
const SweepAge = time.Minute

// Limits of one sweep, so a huge backlog is worked through over several runs instead
// of in one long task.
const (
	sweepWorkspaceBatch = 200
	sweepRowBatch       = 500
	sweepMaxPerSpace    = 5000 // messages, and events, per workspace and run
	sweepEventsPerTask  = 100
	// Pages of sweepRowBatch archived send tasks read per queue and run: all of
	// them, as Asynq keeps at most 10,000 archived tasks a queue (and 90 days). Tasks
	// that stay archived for an operator are read again each run; an archive that
	// full is an incident, which switchboard_queue_tasks{state="archived"} shows.
	sweepArchivedPages = 20
)

// SweepResult counts what a sweep queued again, and the sends it gave up on.
type SweepResult struct {
	Workspaces int
	Messages   int
	Events     int
	// Failed are sends whose task spent its retries without even its failure being
	// stored: the sweep failed them, their credit back.
	Failed int
	// Refunded are failed sends whose charge was still held when their task's
	// retries ran out (the refund was what kept failing): their credit is back.
	Refunded int
	// Files are uploads no message took within a day, removed.
	Files int
	// Assigned are queued tickets the queue's rules handed out.
	Assigned int
	// Closed are idle tickets the auto-close rules resolved or abandoned.
	Closed int
}

// Sweep re-enqueues, in every workspace, the outbound messages that have been pending
// (or past their scheduled time) for longer than age with no task waiting for them,
// and the stored channel events still unprocessed after age. Both are safe to queue
// twice: a send task is keyed by message and attempt, and an inbound task skips events
// already processed.
func (p *Pipeline) Sweep(ctx context.Context, age time.Duration) (SweepResult, error) {
	var res SweepResult
	refunded, err := p.sweepArchived(ctx)
	res.Refunded = refunded
	if err != nil {
		// Redis or the ledger in trouble: the workspaces' part may still get through.
		p.Log.Error("sweep: archived sends", "error", err)
	}
	cutoff := p.now().Add(-age)
	after := ""
	for {
		var ids []string
		q := p.DB.NewSelect().Table("workspaces").Column("id").OrderExpr("id").Limit(sweepWorkspaceBatch)
		if after != "" {
			q = q.Where("id > ?", after)
		}
		if err := q.Scan(ctx, &ids); err != nil {
			return res, fmt.Errorf("pipeline: sweep: workspaces: %w", err)
		}
		var errs []error
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			sc := tenants.Scope(p.DB, id)
			n, failed, err := p.sweepMessages(ctx, sc, cutoff)
			res.Messages += n
			res.Failed += failed
			if err != nil {
				errs = append(errs, fmt.Errorf("workspace %s: messages: %w", id, err))
			}
			n, err = p.sweepEvents(ctx, sc, cutoff)
			res.Events += n
			if err != nil {
				errs = append(errs, fmt.Errorf("workspace %s: events: %w", id, err))
			}
			n, err = media.SweepUnattached(ctx, sc, p.now(), sweepRowBatch)
			res.Files += n
			if err != nil {
				errs = append(errs, fmt.Errorf("workspace %s: uploads: %w", id, err))
			}
			if _, err := messaging.ForgetDeletedSends(ctx, sc, p.now()); err != nil {
				errs = append(errs, fmt.Errorf("workspace %s: deleted sends: %w", id, err))
			}
			// Idle tickets resolved, then a pass of the queue's rules (for what no
			// change set off: a member whose app closed came back, a pass that
			// failed, the room the resolved freed), then the queued ones no one could
			// take abandoned: a ticket someone can take now is not.
			rules, err := messaging.AutoCloseRules(ctx, sc)
			if err != nil {
				errs = append(errs, fmt.Errorf("workspace %s: auto-close: %w", id, err))
			}
			n, err = p.closeIdle(ctx, sc, rules, messaging.StateResolved)
			res.Closed += n
			if err != nil {
				errs = append(errs, fmt.Errorf("workspace %s: auto-resolve: %w", id, err))
			}
			n, err = p.assignQueued(ctx, sc, nil)
			res.Assigned += n
			if err != nil {
				errs = append(errs, fmt.Errorf("workspace %s: queue: %w", id, err))
			}
			n, err = p.closeIdle(ctx, sc, rules, messaging.StateAbandoned)
			res.Closed += n
			if err != nil {
				errs = append(errs, fmt.Errorf("workspace %s: abandon: %w", id, err))
			}
			res.Workspaces++
		}
		// One workspace's trouble does not stop the others; the task reports it.
		if err := errors.Join(errs...); err != nil {
			p.Log.Error("sweep: some workspaces failed", "error", err)
			if len(ids) < sweepWorkspaceBatch {
				return res, err
			}
		}
		if len(ids) < sweepWorkspaceBatch {
			return res, nil
		}
		after = ids[len(ids)-1]
	}
}

// sweepMessages queues the workspace's stuck outbound messages again, and fails those
// whose task gave up; it reports how many of each.
func (p *Pipeline) sweepMessages(ctx context.Context, sc tenants.Scoped, cutoff time.Time) (queued, failed int, err error) {
	after, seen := "", 0
	for seen < sweepMaxPerSpace {
		var rows []messaging.Message
		q := sc.Select(&rows).
			Where("m.direction = ?", messaging.DirectionOut).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				// pending or queued, perhaps charged, then the task was lost (a Redis
				// that failed over before it persisted). Sending again is safe: the
				// charge is keyed.
				return q.Where("m.status IN (?) AND m.updated_at < ?", bun.List([]string{messaging.StatusPending, messaging.StatusQueued}), cutoff).
					WhereOr("m.status = ? AND m.scheduled_at < ?", messaging.StatusScheduled, cutoff)
			}).
			OrderExpr("m.id").Limit(sweepRowBatch)
		if after != "" {
			q = q.Where("m.id > ?", after)
		}
		if err := q.Scan(ctx); err != nil {
			return queued, failed, err
		}
		var stuck []messaging.Message
		for _, m := range rows {
			task, err := p.sendTask(m)
			if err != nil {
				return queued, failed, err
			}
			switch {
			case task == nil:
				stuck = append(stuck, m)
			case task.State == asynq.TaskStateArchived && strings.HasPrefix(task.LastErr, acceptedMark):
				// The provider had it; only recording that failed. It went out, so it
				// is neither failed nor refunded: someone has to look.
				p.Log.Error("sweep: a send the provider accepted could not be recorded", "workspace", sc.WorkspaceID(), "message", m.ID, "error", task.LastErr)
			case task.State == asynq.TaskStateArchived:
				// Its retries ran out and not even the failure could be stored (see
				// HandleMessageSendTask): the message fails now, its credit back. One
				// that cannot does not stop the rest of the sweep.
				if err := p.fail(ctx, sc, &m, gaveUp(task.Retried+1), nil); err != nil {
					p.Log.Error("sweep: a send whose retries ran out could not be failed", "workspace", sc.WorkspaceID(), "message", m.ID, "error", err)
					continue
				}
				failed++
				p.Log.Warn("sweep: failed a send whose retries ran out", "workspace", sc.WorkspaceID(), "message", m.ID, "error", task.LastErr)
			} // else its task is in a queue, just behind others
		}
		if err := p.Enqueuer.SendAll(ctx, stuck); err != nil {
			return queued, failed, err
		}
		queued += len(stuck)
		seen += len(rows)
		if len(rows) < sweepRowBatch {
			break
		}
		after = rows[len(rows)-1].ID
	}
	if queued > 0 {
		p.Log.Info("sweep: queued stuck messages again", "workspace", sc.WorkspaceID(), "count", queued)
	}
	return queued, failed, nil
}

// sweepArchived settles the send tasks Asynq archived once their retries ran out. A
// message failed by such a task may still hold its charge, when the refund after its
// failure was what failed each time: the credit comes back here (the refund is keyed,
// so one made already is not made twice). A settled task is deleted, so what stays
// archived is what needs an operator: a send the provider accepted that could not be
// recorded, a task that cannot be read, and one whose settling keeps failing. An
// archived task whose message is still unsent is sweepMessages' to fail; the next run
// settles it.
func (p *Pipeline) sweepArchived(ctx context.Context) (refunded int, err error) {
	var errs []error
	for _, queue := range []string{jobs.QueueSends, jobs.QueueBulk, jobs.QueueScheduled} {
		var settled []string
		for page := 1; page <= sweepArchivedPages; page++ {
			tasks, err := p.inspector().ListArchivedTasks(queue, asynq.PageSize(sweepRowBatch), asynq.Page(page))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				break
			}
			if err != nil {
				return refunded, fmt.Errorf("pipeline: sweep: archived %s tasks: %w", queue, err)
			}
			for _, t := range tasks {
				if err := ctx.Err(); err != nil {
					return refunded, err
				}
				done, back, err := p.settleArchived(ctx, t)
				if err != nil {
					errs = append(errs, fmt.Errorf("task %s: %w", t.ID, err))
					continue
				}
				if back {
					refunded++
				}
				if done {
					settled = append(settled, t.ID)
				}
			}
			if len(tasks) < sweepRowBatch {
				break
			}
		}
		// Deleted after the listing, which deleting would otherwise page past.
		for _, id := range settled {
			if err := p.inspector().DeleteTask(queue, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
				errs = append(errs, fmt.Errorf("delete settled task %s: %w", id, err))
			}
		}
	}
	return refunded, errors.Join(errs...)
}

// settleArchived looks at one archived task: done when nothing is left to do for it,
// refunded when this call gave its message's credit back.
func (p *Pipeline) settleArchived(ctx context.Context, t *asynq.TaskInfo) (done, refunded bool, err error) {
	if t.Type != TypeMessageSend || strings.HasPrefix(t.LastErr, acceptedMark) {
		return false, false, nil
	}
	var pl MessageSendPayload
	if err := json.Unmarshal(t.Payload, &pl); err != nil || pl.WorkspaceID == "" || pl.MessageID == "" {
		return false, false, nil
	}
	sc := tenants.Scope(p.DB, pl.WorkspaceID)
	m, err := messaging.GetMessage(ctx, sc, pl.MessageID)
	switch {
	case errors.Is(err, messaging.ErrMessageNotFound):
		return true, false, nil
	case err != nil:
		return false, false, err
	case m.Attempt != pl.Attempt:
		// Retried by a person since: Retry gave this attempt's credit back first.
		return true, false, nil
	case m.Status == messaging.StatusFailed:
		res, err := p.Ledger.Refund(ctx, pl.WorkspaceID, m.ChargeKey(), m.Reason)
		if errors.Is(err, billing.ErrNoSuchCharge) {
			return true, false, nil // failed before it was charged
		}
		if err != nil {
			return false, false, err
		}
		if !res.Replayed {
			p.Log.Warn("sweep: gave back the credit of a failed send whose refund had failed", "workspace", pl.WorkspaceID, "message", m.ID, "error", t.LastErr)
		}
		return true, !res.Replayed, nil
	case messaging.Final(m.Status) || m.ProviderMessageID != nil:
		return true, false, nil // cancelled, or it went out after all
	}
	return false, false, nil
}

// sendTask is the message's current send task, still in a queue (perhaps archived,
// its retries spent), or nil. Checking first keeps Enqueuer.Send (which counts the
// workspace's backlog before it finds the task id taken) from inflating the
// fair-share count on every sweep.
func (p *Pipeline) sendTask(m messaging.Message) (*asynq.TaskInfo, error) {
	var task *asynq.TaskInfo
	_, err := onSendTask(m, []string{jobs.QueueSends, jobs.QueueBulk, jobs.QueueScheduled}, func(queue, id string) error {
		info, err := p.inspector().GetTaskInfo(queue, id)
		task = info
		return err
	})
	return task, err
}

// onSendTask runs do on the message's current send task in the first of queues that
// holds it, and reports whether one did. A task id is unique within a queue only, so
// a task that may wait in several is looked for in each.
func onSendTask(m messaging.Message, queues []string, do func(queue, id string) error) (bool, error) {
	id := sendTaskID(m)
	for _, q := range queues {
		err := do(q, id)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		default:
			return false, err
		}
	}
	return false, nil
}

// sweepEvents queues the workspace's stored events that were never processed.
func (p *Pipeline) sweepEvents(ctx context.Context, sc tenants.Scoped, cutoff time.Time) (int, error) {
	queued, after, seen := 0, "", 0
	for seen < sweepMaxPerSpace {
		var rows []connections.StoredEvent
		q := sc.Select(&rows).Column("ce.id", "ce.connection_id").
			Where("ce.processed_at IS NULL AND ce.received_at < ?", cutoff).
			OrderExpr("ce.id").Limit(sweepRowBatch)
		if after != "" {
			q = q.Where("ce.id > ?", after)
		}
		if err := q.Scan(ctx); err != nil {
			return queued, err
		}
		byConn := map[string][]string{}
		var order []string
		for _, e := range rows {
			if _, ok := byConn[e.ConnectionID]; !ok {
				order = append(order, e.ConnectionID)
			}
			byConn[e.ConnectionID] = append(byConn[e.ConnectionID], e.ID)
		}
		for _, conn := range order {
			ids := byConn[conn]
			for len(ids) > 0 {
				n := min(len(ids), sweepEventsPerTask)
				if err := p.Enqueuer.Inbound(ctx, InboundPayload{WorkspaceID: sc.WorkspaceID(), ConnectionID: conn, EventIDs: ids[:n]}); err != nil {
					return queued, err
				}
				queued += n
				ids = ids[n:]
			}
		}
		seen += len(rows)
		if len(rows) < sweepRowBatch {
			break
		}
		after = rows[len(rows)-1].ID
	}
	if queued > 0 {
		p.Log.Info("sweep: queued unprocessed events again", "workspace", sc.WorkspaceID(), "count", queued)
	}
	return queued, nil
}

// HandleSweepTask runs the sweep (the maintenance:sweep periodic task).
func (p *Pipeline) HandleSweepTask(ctx context.Context, _ *asynq.Task) error {
	res, err := p.Sweep(ctx, SweepAge)
	if res.Messages > 0 || res.Events > 0 || res.Failed > 0 || res.Refunded > 0 || res.Files > 0 || res.Assigned > 0 || res.Closed > 0 {
		p.Log.Info("maintenance sweep", "workspaces", res.Workspaces, "messages", res.Messages, "events", res.Events,
			"failed", res.Failed, "refunded", res.Refunded, "files", res.Files, "assigned", res.Assigned, "closed", res.Closed)
	}
	return err
}
