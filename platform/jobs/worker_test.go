package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/queue"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
)

// workerDB and shareDB are the Redis databases the worker tests use on the shared test
// server. A worker consumes every Switchboard queue, so on a database another worker
// uses, each would take (and fail) the other's tasks. Taken elsewhere: 12 (sweep
// tests), 13 (simulator), 14 and 15 (pipeline, PostgreSQL and SQLite).
const (
	workerDB = "11"
	shareDB  = "10" // TestWorkerSharesByWeight's, which fills every queue
)

// backend is the test Redis (on workerDB), or the embedded one when none is set.
func backend(t *testing.T) *queue.Backend { return backendOn(t, workerDB) }

// backendOn is the test Redis on database db, or the embedded one when none is set.
func backendOn(t *testing.T, db string) *queue.Backend {
	t.Helper()
	raw := os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + db
		raw = u.String()
	}
	b, err := queue.Open(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	t.Logf("queue backend: %s", b.Kind)
	return b
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWorker(t *testing.T) {
	t.Parallel()
	b := backend(t)
	suffix := storage.NewID()
	okType, skipType, failType := "test:jobs:ok:"+suffix, "test:jobs:skip:"+suffix, "test:jobs:fail:"+suffix
	waitType := "test:jobs:wait:" + suffix

	logged := &testapp.Output{}
	w := jobs.NewWorker(b, slog.New(slog.NewTextHandler(logged, &slog.HandlerOptions{Level: slog.LevelDebug})), 2)
	got := make(chan string, 10)
	w.Handle(okType, func(ctx context.Context, task *asynq.Task) error {
		got <- string(task.Payload())
		return nil
	})
	var skipCalls, failCalls atomic.Int32
	w.Handle(skipType, func(context.Context, *asynq.Task) error {
		skipCalls.Add(1)
		return jobs.SkipRetry(errors.New("payload cannot be decoded"))
	})
	w.Handle(failType, func(context.Context, *asynq.Task) error {
		failCalls.Add(1)
		return errors.New("provider is down")
	})

	// Throttled three times, then done: waiting its turn is not a failure.
	var waitCalls atomic.Int32
	waited := make(chan struct{})
	w.Handle(waitType, func(context.Context, *asynq.Task) error {
		if waitCalls.Add(1) <= 3 {
			return notYet{}
		}
		close(waited)
		return nil
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	client := asynq.NewClient(b.Conn)
	defer client.Close()
	inspector := asynq.NewInspector(b.Conn)
	defer inspector.Close()
	var cleanup []*asynq.TaskInfo
	defer func() {
		for _, ti := range cleanup {
			inspector.DeleteTask(ti.Queue, ti.ID) //nolint:errcheck // best effort; already gone when processed
		}
	}()
	enqueue := func(typ, payload, q string) *asynq.TaskInfo {
		t.Helper()
		ti, err := client.Enqueue(asynq.NewTask(typ, []byte(payload)), asynq.Queue(q), asynq.MaxRetry(5))
		if err != nil {
			t.Fatalf("enqueue %s: %v", typ, err)
		}
		cleanup = append(cleanup, ti)
		return ti
	}
	state := func(ti *asynq.TaskInfo) asynq.TaskState {
		info, err := inspector.GetTaskInfo(ti.Queue, ti.ID)
		if err != nil {
			return 0
		}
		return info.State
	}

	t.Run("processes a handled task", func(t *testing.T) {
		enqueue(okType, "hello", jobs.QueueSends)
		select {
		case p := <-got:
			if p != "hello" {
				t.Errorf("handler got payload %q", p)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the task was not processed within 15s")
		}
		// At debug level every task is logged when done.
		waitFor(t, 5*time.Second, "the task's debug line", func() bool { return strings.Contains(logged.String(), `msg="task done" task_type=`+okType) })
	})

	t.Run("SkipRetry archives at once", func(t *testing.T) {
		ti := enqueue(skipType, "x", jobs.QueueMaintenance)
		waitFor(t, 15*time.Second, "the task to be archived", func() bool { return state(ti) == asynq.TaskStateArchived })
		info, err := inspector.GetTaskInfo(ti.Queue, ti.ID)
		if err != nil {
			t.Fatal(err)
		}
		if info.Retried != 0 || skipCalls.Load() != 1 {
			t.Errorf("retried %d times, handler called %d times; want 0 and 1", info.Retried, skipCalls.Load())
		}
		if info.LastErr == "" {
			t.Error("archived task has no last error")
		}
	})

	t.Run("other errors are retried", func(t *testing.T) {
		ti := enqueue(failType, "x", jobs.QueueInbound)
		waitFor(t, 15*time.Second, "the task to be scheduled for retry", func() bool { return state(ti) == asynq.TaskStateRetry })
		info, err := inspector.GetTaskInfo(ti.Queue, ti.ID)
		if err != nil {
			t.Fatal(err)
		}
		if info.Retried != 1 || info.LastErr != "provider is down" {
			t.Errorf("retried %d, last error %q", info.Retried, info.LastErr)
		}
	})

	t.Run("a throttled task waits its turn without spending retries", func(t *testing.T) {
		ti, err := client.Enqueue(asynq.NewTask(waitType, nil), asynq.Queue(jobs.QueueBulk), asynq.MaxRetry(1))
		if err != nil {
			t.Fatal(err)
		}
		cleanup = append(cleanup, ti)
		select {
		case <-waited:
		case <-time.After(20 * time.Second):
			t.Fatalf("not done within 20s: handler called %d times, task %v", waitCalls.Load(), state(ti))
		}
	})

	t.Run("stops when the context ends", func(t *testing.T) {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10s of cancellation")
		}
		// A stopped worker takes no more tasks.
		ti := enqueue(okType, "after stop", jobs.QueueSends)
		time.Sleep(1500 * time.Millisecond)
		select {
		case p := <-got:
			t.Errorf("a stopped worker processed %q", p)
		default:
		}
		if s := state(ti); s != asynq.TaskStatePending {
			t.Errorf("task enqueued after stop is %v, want pending", s)
		}
	})
}

func TestSkipRetry(t *testing.T) {
	t.Parallel()
	cause := errors.New("bad payload")
	err := jobs.SkipRetry(cause)
	if !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, cause) {
		t.Errorf("SkipRetry(%v) = %v: Is SkipRetry %v, Is cause %v", cause, err, errors.Is(err, asynq.SkipRetry), errors.Is(err, cause))
	}
}

func TestEveryRejectsBadSpec(t *testing.T) {
	t.Parallel()
	b, err := queue.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w := jobs.NewWorker(b, slog.New(slog.DiscardHandler), 1)
	if err := w.Every(jobs.Periodic{Spec: "every now and then", Type: "test:periodic", Unique: time.Minute}); err == nil {
		t.Error("Every accepted a bad cron spec")
	}
	if err := w.Every(jobs.Periodic{Spec: "@every 1h", Type: "test:periodic", Unique: time.Minute}); err != nil {
		t.Errorf("Every(@every 1h): %v", err)
	}
}

func TestQueueWeights(t *testing.T) {
	t.Parallel()
	for _, q := range []string{jobs.QueueSends, jobs.QueueInbound, jobs.QueueScheduled, jobs.QueueMaintenance} {
		if jobs.QueueWeights[q] < 1 {
			t.Errorf("queue %s has weight %d", q, jobs.QueueWeights[q])
		}
	}
	if jobs.QueueWeights[jobs.QueueMaintenance] >= jobs.QueueWeights[jobs.QueueSends] {
		t.Error("maintenance should weigh less than sends")
	}
}

// notYet is a Throttled wait, as the send pipeline's pacing returns.
type notYet struct{}

func (notYet) Error() string             { return "not yet" }
func (notYet) RetryAfter() time.Duration { return time.Millisecond }
func (notYet) Throttled() bool           { return true }

var _ jobs.Throttled = notYet{}

// TestDequeueOrders: every dequeuer tries every queue once, each queue is first for
// its weight's share of the dequeuers (never for none), and after its own queue a
// dequeuer tries the two send queues, half of the other queues' dequeuers sends
// first, then the rest in preference order.
func TestDequeueOrders(t *testing.T) {
	t.Parallel()
	total := 0
	for _, q := range jobs.QueuePreference {
		total += jobs.QueueWeights[q]
	}
	if len(jobs.QueuePreference) != len(jobs.QueueWeights) {
		t.Fatalf("preference lists %d queues, weights %d", len(jobs.QueuePreference), len(jobs.QueueWeights))
	}
	isSend := func(q string) bool { return q == jobs.QueueSends || q == jobs.QueueBulk }
	for n := 1; n <= 64; n++ {
		orders := jobs.DequeueOrders(n)
		if n < len(jobs.QueuePreference) {
			if orders != nil {
				t.Errorf("%d dequeuers: got orders %v, want nil (Asynq's weighted order)", n, orders)
			}
			continue
		}
		if len(orders) != n {
			t.Fatalf("%d dequeuers: got %d orders", n, len(orders))
		}
		first := map[string]int{}
		others, sendsBeforeBulk := 0, 0
		for _, order := range orders {
			own := order[0]
			first[own]++
			var rest []string
			for _, q := range jobs.QueuePreference {
				if q != own {
					rest = append(rest, q)
				}
			}
			if !isSend(own) {
				others++
				if order[1] == jobs.QueueSends {
					sendsBeforeBulk++
					rest[0], rest[1] = rest[1], rest[0]
				}
			}
			if got, want := strings.Join(order[1:], ","), strings.Join(rest, ","); got != want {
				t.Errorf("%d dequeuers: after %s the order is %s, want %s", n, own, got, want)
			}
		}
		if d := 2*sendsBeforeBulk - others; d < -1 || d > 1 {
			t.Errorf("%d dequeuers: %d of the %d not of a send queue try sends before bulk, want half", n, sendsBeforeBulk, others)
		}
		for _, q := range jobs.QueuePreference {
			share := float64(jobs.QueueWeights[q]*n) / float64(total)
			if first[q] < 1 || (float64(first[q]) > share+1 && first[q] > 1) || float64(first[q]) < share-1 {
				t.Errorf("%d dequeuers: %s is first for %d, its weight's share is %.2f", n, q, first[q], share)
			}
		}
	}
	// The worker's own: sixteen dequeuers.
	first := map[string]int{}
	for _, order := range jobs.DequeueOrders(jobs.Dequeuers) {
		first[order[0]]++
	}
	want := map[string]int{jobs.QueueBulk: 5, jobs.QueueSends: 4, jobs.QueueInbound: 4, jobs.QueueScheduled: 2, jobs.QueueMaintenance: 1}
	for q, n := range want {
		if first[q] != n {
			t.Errorf("of %d dequeuers, %d put %s first, want %d", jobs.Dequeuers, first[q], q, n)
		}
	}
}

// queueTools gives a client on b, and a func that empties every Switchboard queue of
// its pending and scheduled tasks, which it runs now and when the test ends: what an
// earlier run left on the database would count in the test's numbers.
func queueTools(t *testing.T, b *queue.Backend) (*asynq.Client, func()) {
	t.Helper()
	client, inspector := asynq.NewClient(b.Conn), asynq.NewInspector(b.Conn)
	empty := func() {
		for _, q := range jobs.QueuePreference {
			inspector.DeleteAllPendingTasks(q)   //nolint:errcheck // best effort; a queue not yet made has none
			inspector.DeleteAllScheduledTasks(q) //nolint:errcheck // likewise
		}
	}
	empty()
	t.Cleanup(func() {
		empty()
		inspector.Close()
		client.Close()
	})
	return client, empty
}

// TestWorkerSharesByWeight: with queues full and every task slot busy, each queue with
// tasks is served while the others still have tasks waiting, the lightest too; and
// with the two send queues alone full, they share the worker about equally.
func TestWorkerSharesByWeight(t *testing.T) {
	t.Parallel()
	b := backendOn(t, shareDB)
	if b.Kind == "embedded" {
		t.Skip("the embedded backend runs one dequeuer, in Asynq's weighted order; the split needs the Redis backend")
	}
	client, drain := queueTools(t, b)

	// serve fills queues with perQueue tasks each, runs a worker, and returns how many
	// each queue served between a tenth and two fifths of them done: every queue
	// still has most of its own waiting, and every dequeuer has long started (they
	// start one after another, so the first tasks are the first dequeuers' alone).
	serve := func(t *testing.T, queues []string) map[string]int {
		t.Helper()
		const perQueue = 400
		typ := "test:jobs:share:" + storage.NewID()
		var mu sync.Mutex
		served := map[string]int{}
		var total atomic.Int32
		w := jobs.NewWorker(b, slog.New(slog.DiscardHandler), 32)
		w.Handle(typ, func(ctx context.Context, task *asynq.Task) error {
			q, _ := asynq.GetQueueName(ctx)
			mu.Lock()
			served[q]++
			mu.Unlock()
			total.Add(1)
			time.Sleep(5 * time.Millisecond)
			return nil
		})
		for range perQueue {
			for _, q := range queues {
				if _, err := client.Enqueue(asynq.NewTask(typ, nil), asynq.Queue(q)); err != nil {
					t.Fatal(err)
				}
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		all := int32(perQueue * len(queues))
		until := func(n int32) map[string]int {
			deadline := time.Now().Add(60 * time.Second)
			for total.Load() < n {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d tasks done after 60s", total.Load(), all)
				}
				time.Sleep(time.Millisecond)
			}
			mu.Lock()
			defer mu.Unlock()
			return maps.Clone(served)
		}
		from, to := until(all/10), until(all*2/5)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		drain()
		for q := range to {
			to[q] -= from[q]
		}
		t.Logf("served: %v", to)
		return to
	}

	served := serve(t, jobs.QueuePreference)
	for _, q := range jobs.QueuePreference {
		if served[q] == 0 {
			t.Errorf("queue %s was not served while every queue had tasks; served %v", q, served)
		}
	}
	if served[jobs.QueueSends] <= served[jobs.QueueMaintenance] || served[jobs.QueueBulk] <= served[jobs.QueueMaintenance] {
		t.Errorf("maintenance got at least as much as sends or bulk; served %v", served)
	}

	served = serve(t, []string{jobs.QueueSends, jobs.QueueBulk})
	if sends, all := served[jobs.QueueSends], served[jobs.QueueSends]+served[jobs.QueueBulk]; sends*20 < all*7 || sends*20 > all*13 {
		t.Errorf("with only the send queues full, sends got %d of %d, want 35–65%%", sends, all)
	}
}
