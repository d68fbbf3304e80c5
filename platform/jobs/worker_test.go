package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/queue"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
)

// workerDB is the Redis database the worker tests use on the shared test server.
// A worker consumes every Switchboard queue, so on a database another package's worker
// uses, each would take (and fail) the other's tasks. Taken elsewhere: 12 (sweep
// tests), 13 (simulator), 14 and 15 (pipeline, PostgreSQL and SQLite).
const workerDB = "11"

// backend is the test Redis (on workerDB), or the embedded one when none is set.
func backend(t *testing.T) *queue.Backend {
	t.Helper()
	raw := os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + workerDB
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
