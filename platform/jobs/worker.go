// Package jobs runs Switchboard's background work on Asynq: the worker process (or
// the in-process worker of `serve`), its queues and their weights, and the periodic
// maintenance tasks.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/platform/queue"
)

// Asynq queues. "Queue" in code means these; Chat's queues and Team Inbox routing
// queues are called conversations and teams.
const (
	QueueSends       = "sends"
	QueueInbound     = "inbound"
	QueueScheduled   = "scheduled"
	QueueBulk        = "bulk" // sends of a workspace beyond its fair share
	QueueMaintenance = "maintenance"
)

// QueueWeights share the worker between queues when all of them have tasks waiting:
// sends and inbound messages first, maintenance last, and no queue ever starved. Bulk
// weighs as much as sends: what keeps a campaign from holding up another workspace's
// reply is that its sends beyond the fair share wait in a queue of their own, not the
// weight. The weights become each queue's share of the worker's dequeuers (see
// dequeueOrders).
var QueueWeights = map[string]int{QueueSends: 6, QueueInbound: 6, QueueScheduled: 3, QueueBulk: 6, QueueMaintenance: 1}

// queuePreference is the order in which a dequeuer tries the queues after its own
// (see dequeueOrders), and breaks ties between equal weights: the two send queues
// first, bulk ahead, as the queue a campaign keeps full for minutes while the others
// empty as fast as they fill.
var queuePreference = []string{QueueBulk, QueueSends, QueueInbound, QueueScheduled, QueueMaintenance}

// How soon an idle worker notices work. Asynq's defaults (look for new tasks every
// second when the queues are empty; move due scheduled tasks and retries every five
// seconds) would hold a reply typed into a quiet workspace for up to a second, and a
// scheduled message or a retry for up to five. Each of a worker's Dequeuers polls on
// its own, at times that drift apart, so a new task waits for the first of them:
// about TaskCheckInterval/(Dequeuers+1) on average, 12 ms at 200 ms over 16. An empty
// check is one Redis script per queue, so a quiet worker makes Dequeuers × queues ×
// 1/TaskCheckInterval small commands a second (400).
const (
	TaskCheckInterval        = 200 * time.Millisecond
	DelayedTaskCheckInterval = time.Second
)

// Worker processes tasks until its context ends.
type Worker struct {
	log       *slog.Logger
	servers   []*asynq.Server
	mux       *asynq.ServeMux
	scheduler *asynq.Scheduler
}

// Dequeuers is how many Asynq servers a worker runs side by side, sharing its
// concurrency. An Asynq server takes tasks off Redis one at a time, a round trip
// each, from a single goroutine; in a busy worker that goroutine waits its turn for
// a CPU like every other, and the task slots behind it sit empty. Sends arriving
// slowly also make small batches (package batching), and small batches cost more
// CPU per message. Measured on the end-to-end send benchmark (2 cores): 4 servers
// made batches of ~4 loads and 1,470–1,790 sends/s; 16 made ~6.5 and 2,000–2,540;
// 32 and 64 added little more. On the embedded backend (one process, an in-process
// Redis running the scripts in Go) one server does.
const Dequeuers = 16

// dequeueOrders gives each of n dequeuers the queues it tries, in order: one queue of
// its own first, then the others in queuePreference order, strictly. A queue is first
// for its weight's share of the dequeuers (at least one each), so while every queue
// has tasks the worker is shared by weight, and a queue with tasks waiting is never
// starved: its own dequeuers take them as soon as a task slot frees up. The dequeuers
// of the other queues (inbound, scheduled, maintenance), idle most of the time, take
// the send queues next, every other one sends before bulk: while both send queues
// have tasks they share the worker about equally, as their weights say, and while a
// campaign's bulk queue alone has tasks a dequeuer finds it at its second try or
// sooner, at its third for a few.
//
// Asynq tries a server's queues one Redis round trip each, and its weighted order,
// drawn afresh for every task, found a campaign's bulk queue at the 2.5th try on
// average: the empty tries were a third of the worker's round trips to Redis.
//
// With fewer dequeuers than queues, a dequeuer cannot have a queue of its own for each
// queue; nil then means every dequeuer uses Asynq's weighted order.
func dequeueOrders(n int) [][]string {
	if n < len(queuePreference) {
		return nil
	}
	total := 0
	for _, q := range queuePreference {
		total += QueueWeights[q]
	}
	// Largest remainder: each queue's whole share, then the dequeuers left over to the
	// largest fractions, ties in preference order.
	first := make(map[string]int, len(queuePreference))
	left := n
	for _, q := range queuePreference {
		first[q] = max(1, QueueWeights[q]*n/total)
		left -= first[q]
	}
	for ; left > 0; left-- {
		best, bestRest := "", -1
		for _, q := range queuePreference {
			if rest := QueueWeights[q]*n - first[q]*total; rest > bestRest {
				best, bestRest = q, rest
			}
		}
		first[best]++
	}
	orders := make([][]string, 0, n)
	sendsFirst := false // for the next dequeuer of a queue other than the send queues
	for _, own := range queuePreference {
		for range first[own] {
			order := []string{own}
			for _, q := range queuePreference {
				if q != own {
					order = append(order, q)
				}
			}
			if own != QueueBulk && own != QueueSends {
				if sendsFirst {
					order[1], order[2] = order[2], order[1]
				}
				sendsFirst = !sendsFirst
			}
			orders = append(orders, order)
		}
	}
	return orders
}

// Periodic is a task the scheduler enqueues on a cron spec. Every worker process runs
// a scheduler, so each periodic task is enqueued with a uniqueness window: however
// many workers run, one copy per period is processed.
type Periodic struct {
	Spec   string // cron spec, e.g. "@every 15m"
	Type   string
	Unique time.Duration
}

// NewWorker builds a worker on backend with concurrency goroutines.
func NewWorker(backend *queue.Backend, log *slog.Logger, concurrency int) *Worker {
	w := &Worker{log: log, mux: asynq.NewServeMux()}
	n := max(1, min(Dequeuers, concurrency))
	if backend.Kind == "embedded" {
		n = 1
	}
	orders := dequeueOrders(n)
	for i := range n {
		var order []string
		if orders != nil {
			order = orders[i]
		}
		// The concurrency split as evenly as it goes: 10 over 4 is 3, 3, 2, 2.
		w.servers = append(w.servers, newServer(backend, log, concurrency/n+boolInt(i < concurrency%n), order))
	}
	w.scheduler = asynq.NewScheduler(backend.Conn, &asynq.SchedulerOpts{Logger: asynqLogger{log}})
	w.mux.Use(w.logTasks)
	return w
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// newServer builds one dequeuer: it tries the queues in order, strictly, or in
// Asynq's weighted order when order is nil.
func newServer(backend *queue.Backend, log *slog.Logger, concurrency int, order []string) *asynq.Server {
	queues := QueueWeights
	if order != nil {
		// Asynq's strict order is by priority, highest first.
		queues = make(map[string]int, len(order))
		for i, q := range order {
			queues[q] = len(order) - i
		}
	}
	return asynq.NewServer(backend.Conn, asynq.Config{
		Concurrency:              concurrency,
		Queues:                   queues,
		StrictPriority:           order != nil,
		TaskCheckInterval:        TaskCheckInterval,
		DelayedTaskCheckInterval: DelayedTaskCheckInterval,
		ShutdownTimeout:          25 * time.Second,
		Logger:                   asynqLogger{log},
		RetryDelayFunc:           RetryDelay,
		IsFailure:                func(err error) bool { return !IsThrottled(err) },
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			if IsThrottled(err) {
				return // waiting its turn, not failing: a campaign would log every send
			}
			id, _ := asynq.GetTaskID(ctx)
			n, _ := asynq.GetRetryCount(ctx)
			log.Warn("task failed", "task_type", t.Type(), "task_id", id, "retry", n, "error", err)
		}),
	})
}

// Handle routes a task type to its handler.
func (w *Worker) Handle(taskType string, h asynq.HandlerFunc) { w.mux.HandleFunc(taskType, h) }

// Every registers a periodic task.
func (w *Worker) Every(p Periodic) error {
	_, err := w.scheduler.Register(p.Spec, asynq.NewTask(p.Type, nil),
		asynq.Queue(QueueMaintenance), asynq.Unique(p.Unique), asynq.MaxRetry(3))
	if err != nil {
		return fmt.Errorf("jobs: schedule %s: %w", p.Type, err)
	}
	return nil
}

func (w *Worker) logTasks(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if !w.log.Enabled(ctx, slog.LevelDebug) {
			return next.ProcessTask(ctx, t) // not building a line nobody reads, for every send of a campaign
		}
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		id, _ := asynq.GetTaskID(ctx)
		w.log.Debug("task done", "task_type", t.Type(), "task_id", id, "duration_ms", time.Since(start).Milliseconds(), "ok", err == nil)
		return err
	})
}

// Run processes tasks until ctx is cancelled, then stops taking new tasks and waits
// for those in flight (a task still running at the shutdown timeout goes back to its
// queue and is retried).
func (w *Worker) Run(ctx context.Context) error {
	for i, srv := range w.servers {
		if err := srv.Start(w.mux); err != nil {
			w.shutdown(w.servers[:i])
			return fmt.Errorf("jobs: start worker: %w", err)
		}
	}
	if err := w.scheduler.Start(); err != nil {
		w.shutdown(w.servers)
		return fmt.Errorf("jobs: start scheduler: %w", err)
	}
	<-ctx.Done()
	w.log.Info("worker draining")
	w.scheduler.Shutdown()
	w.shutdown(w.servers)
	return nil
}

// shutdown drains the servers at once: each waits up to the shutdown timeout for its
// tasks in flight, so one after another they would take that many times as long.
func (w *Worker) shutdown(servers []*asynq.Server) {
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Go(srv.Shutdown)
	}
	wg.Wait()
}

// RetryDelay waits as long as a failure asks (a provider's retry-after, a send
// rate's turn) when it says, else backs off exponentially.
func RetryDelay(n int, err error, t *asynq.Task) time.Duration {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		// Stretched to a whole second: a task asked to wait 300 ms could otherwise
		// come back at once, be told to wait again, and go round.
		now := time.Now()
		return WholeSecond(now.Add(ra.RetryAfter())).Sub(now)
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// WholeSecond is the first whole second at or after t. Asynq keeps a task's time (a
// retry's, a ProcessAt) in whole seconds, dropping the fraction, which would run it up
// to a second early; a time rounded up here never runs before t, a second late at most.
func WholeSecond(t time.Time) time.Time {
	if whole := t.Truncate(time.Second); whole.Before(t) {
		return whole.Add(time.Second)
	}
	return t
}

// Throttled is a task error that means "not yet": the task waits its turn (a
// connection's send rate) and is retried after RetryAfter without counting against
// its retries.
type Throttled interface {
	error
	RetryAfter() time.Duration
	Throttled() bool
}

// IsThrottled reports whether err is a Throttled wait.
func IsThrottled(err error) bool {
	var t Throttled
	return errors.As(err, &t) && t.Throttled()
}

// SkipRetry marks a task error as final (a payload that cannot be decoded).
func SkipRetry(err error) error { return errors.Join(err, asynq.SkipRetry) }

// asynqLogger sends Asynq's own logs to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
