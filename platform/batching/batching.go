// Package batching is group commit for the send path. Every message sent makes the
// same few round trips (load it, record each status, roll its conversation up,
// publish); thousands a second, each its own statement, and the database spends its
// time on per-statement overhead rather than on rows. A Queue lets concurrent callers
// with the same key (a workspace) share one round trip: a call that finds its key
// idle runs at once; calls that arrive while a batch is in flight wait, and the
// caller that ran the batch takes all of them as the next one. Nothing ever waits for
// a batch to fill, so a lone call costs what it did before and batches form only
// under load.
package batching

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one call's outcome in a batch.
type Result[Out any] struct {
	Value Out
	Err   error
}

// Func runs a batch: the inputs of the calls for key, in arrival order. It returns
// one Result per input, in the same order.
type Func[K comparable, In, Out any] func(ctx context.Context, key K, batch []In) []Result[Out]

// Queue batches calls by key. Build one with New; it is safe for concurrent use.
type Queue[K comparable, In, Out any] struct {
	run     Func[K, In, Out]
	max     int
	timeout time.Duration

	mu      sync.Mutex
	waiting map[K][]*call[In, Out] // the entry exists exactly while a drain runs for the key

	calls, batches atomic.Int64
}

// Stats counts the calls run so far and the batches they were run in.
func (q *Queue[K, In, Out]) Stats() (calls, batches int64) { return q.calls.Load(), q.batches.Load() }

type call[In, Out any] struct {
	in   In
	done chan Result[Out]
}

// New returns a queue that runs batches of at most max calls with run, each under
// timeout: a batch runs on behalf of several callers, so no single caller's context
// may cancel it (it keeps the values of the context of the call that started the
// drain).
func New[K comparable, In, Out any](max int, timeout time.Duration, run Func[K, In, Out]) *Queue[K, In, Out] {
	if max < 1 {
		panic(fmt.Sprintf("batching: max %d, want at least 1", max))
	}
	return &Queue[K, In, Out]{run: run, max: max, timeout: timeout, waiting: map[K][]*call[In, Out]{}}
}

// Do queues in under key and waits for its result. A caller whose context ends while
// it waits gets the context's error, though its input may still be applied: what
// goes through a Queue must be safe to apply again (keyed, or conditional).
func (q *Queue[K, In, Out]) Do(ctx context.Context, key K, in In) (Out, error) {
	c := &call[In, Out]{in: in, done: make(chan Result[Out], 1)}
	q.mu.Lock()
	_, draining := q.waiting[key]
	q.waiting[key] = append(q.waiting[key], c)
	q.mu.Unlock()
	if !draining {
		// On a goroutine of its own: under load the drain goes on batch after batch,
		// and this caller must be free to return once its own result is in.
		go q.drain(context.WithoutCancel(ctx), key)
	}
	select {
	case r := <-c.done:
		return r.Value, r.Err
	case <-ctx.Done():
		var zero Out
		return zero, ctx.Err()
	}
}

// drain runs the key's waiting calls, batch after batch, until none is left.
func (q *Queue[K, In, Out]) drain(ctx context.Context, key K) {
	for {
		q.mu.Lock()
		calls := q.waiting[key]
		if len(calls) == 0 {
			delete(q.waiting, key)
			q.mu.Unlock()
			return
		}
		n := min(len(calls), q.max)
		batch := calls[:n:n]
		q.waiting[key] = calls[n:]
		q.mu.Unlock()
		q.runBatch(ctx, key, batch)
	}
}

func (q *Queue[K, In, Out]) runBatch(ctx context.Context, key K, batch []*call[In, Out]) {
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	ins := make([]In, len(batch))
	for i, c := range batch {
		ins[i] = c.in
	}
	results := q.run(ctx, key, ins)
	q.calls.Add(int64(len(batch)))
	q.batches.Add(1)
	for i, c := range batch {
		if i < len(results) {
			c.done <- results[i]
			continue
		}
		c.done <- Result[Out]{Err: fmt.Errorf("batching: a batch of %d returned %d results", len(batch), len(results))}
	}
}

// Each is a Func for a batch that cannot share a round trip after all (an engine
// without the batched statement): fn runs for every input in turn.
func Each[K comparable, In, Out any](ctx context.Context, key K, batch []In, fn func(context.Context, K, In) (Out, error)) []Result[Out] {
	out := make([]Result[Out], len(batch))
	for i, in := range batch {
		out[i].Value, out[i].Err = fn(ctx, key, in)
	}
	return out
}
