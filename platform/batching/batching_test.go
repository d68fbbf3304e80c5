package batching

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait in these tests, so a bug shows up as a failure rather
// than a hang.
const waitLimit = time.Second

// queued reports how many calls wait for key (not counting a batch in flight).
func queued[K comparable, In, Out any](q *Queue[K, In, Out], key K) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting[key])
}

// waitQueued polls until n calls wait for key, failing the test after waitLimit.
func waitQueued[K comparable, In, Out any](t *testing.T, q *Queue[K, In, Out], key K, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		got := queued(q, key)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %d queued calls on %v: have %d", n, key, got)
		}
		time.Sleep(time.Millisecond)
	}
}

// recv takes one value from ch, failing the test after waitLimit.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

type outcome struct {
	in, val int
	err     error
}

// harness is a run func that records every batch and blocks the first one until
// released.
type harness struct {
	results func(ctx context.Context, key string, in []int) []Result[int]

	mu      sync.Mutex
	batches [][]int
	keys    []string

	started     chan struct{} // closed once the first batch is inside run
	release     chan struct{} // the first batch returns once this is closed
	startOnce   sync.Once
	releaseOnce sync.Once
}

func newHarness(t *testing.T, results func(ctx context.Context, key string, in []int) []Result[int]) *harness {
	if results == nil {
		results = double
	}
	h := &harness{results: results, started: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(h.open) // never leave a drain blocked behind a failed test
	return h
}

func (h *harness) open() { h.releaseOnce.Do(func() { close(h.release) }) }

func (h *harness) run(ctx context.Context, key string, in []int) []Result[int] {
	h.mu.Lock()
	h.batches = append(h.batches, slices.Clone(in))
	h.keys = append(h.keys, key)
	first := len(h.batches) == 1
	h.mu.Unlock()
	if first {
		h.startOnce.Do(func() { close(h.started) })
		<-h.release
	}
	return h.results(ctx, key, in)
}

func (h *harness) seen() [][]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.batches)
}

func double(_ context.Context, _ string, in []int) []Result[int] {
	out := make([]Result[int], len(in))
	for i, v := range in {
		out[i].Value = v * 2
	}
	return out
}

// startBlocked makes the call that starts the drain for key and waits until its
// batch is inside run, blocked. Its outcome arrives on the returned channel.
func startBlocked(t *testing.T, q *Queue[string, int, int], h *harness, key string, in int) <-chan outcome {
	t.Helper()
	ch := make(chan outcome, 1)
	go func() {
		v, err := q.Do(context.Background(), key, in)
		ch <- outcome{in, v, err}
	}()
	recv(t, h.started, "the first batch to start")
	return ch
}

// enqueue starts calls for ins one at a time, each after the previous one is
// queued, so their arrival order is that of ins. Outcomes arrive on the channel.
func enqueue(t *testing.T, q *Queue[string, int, int], key string, ins ...int) <-chan outcome {
	t.Helper()
	ch := make(chan outcome, len(ins))
	base := queued(q, key)
	for i, in := range ins {
		go func() {
			v, err := q.Do(context.Background(), key, in)
			ch <- outcome{in, v, err}
		}()
		waitQueued(t, q, key, base+i+1)
	}
	return ch
}

func TestLoneCall(t *testing.T) {
	var batches [][]int
	q := New(8, time.Second, func(ctx context.Context, key string, in []int) []Result[int] {
		batches = append(batches, slices.Clone(in)) // one call: no concurrency
		return double(ctx, key, in)
	})
	v, err := q.Do(context.Background(), "k", 21)
	if err != nil || v != 42 {
		t.Fatalf("Do = %d, %v; want 42, nil", v, err)
	}
	if want := [][]int{{21}}; fmt.Sprint(batches) != fmt.Sprint(want) {
		t.Fatalf("batches = %v, want %v", batches, want)
	}
	if calls, n := q.Stats(); calls != 1 || n != 1 {
		t.Fatalf("Stats = %d calls, %d batches; want 1, 1", calls, n)
	}
	if n := queued(q, "k"); n != 0 {
		t.Fatalf("%d calls left queued", n)
	}
}

func TestCallsDuringBatchFormNextBatch(t *testing.T) {
	const n = 10
	h := newHarness(t, nil)
	q := New(100, time.Second, h.run)
	first := startBlocked(t, q, h, "k", 1000)

	// Concurrent callers, in whatever order they arrive.
	out := make(chan outcome, n)
	for i := 1; i <= n; i++ {
		go func() {
			v, err := q.Do(context.Background(), "k", i)
			out <- outcome{i, v, err}
		}()
	}
	waitQueued(t, q, "k", n)
	if got := len(h.seen()); got != 1 {
		t.Fatalf("%d batches ran while the first was blocked, want 1", got)
	}
	h.open()

	if o := recv(t, first, "the first call"); o.err != nil || o.val != 2000 {
		t.Fatalf("first call = %d, %v; want 2000, nil", o.val, o.err)
	}
	for range n {
		o := recv(t, out, "a queued call")
		if o.err != nil || o.val != o.in*2 {
			t.Errorf("Do(%d) = %d, %v; want %d, nil", o.in, o.val, o.err, o.in*2)
		}
	}
	batches := h.seen()
	if len(batches) != 2 {
		t.Fatalf("batches = %v, want 2", batches)
	}
	second := slices.Sorted(slices.Values(batches[1]))
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(second, want) {
		t.Fatalf("second batch = %v, want all of %v", batches[1], want)
	}
	if calls, nb := q.Stats(); calls != n+1 || nb != 2 {
		t.Fatalf("Stats = %d calls, %d batches; want %d, 2", calls, nb, n+1)
	}
}

func TestArrivalOrderKept(t *testing.T) {
	h := newHarness(t, nil)
	q := New(100, time.Second, h.run)
	first := startBlocked(t, q, h, "k", 0)
	ins := []int{5, 3, 9, 1, 7}
	out := enqueue(t, q, "k", ins...)
	h.open()
	recv(t, first, "the first call")
	for range ins {
		o := recv(t, out, "a queued call")
		if o.err != nil || o.val != o.in*2 {
			t.Errorf("Do(%d) = %d, %v; want %d, nil", o.in, o.val, o.err, o.in*2)
		}
	}
	if batches := h.seen(); len(batches) != 2 || !slices.Equal(batches[1], ins) {
		t.Fatalf("batches = %v, want second batch %v in arrival order", batches, ins)
	}
}

func TestMaxBoundsBatch(t *testing.T) {
	const maxBatch, n = 3, 7
	h := newHarness(t, nil)
	q := New(maxBatch, time.Second, h.run)
	first := startBlocked(t, q, h, "k", 100)
	out := make(chan outcome, n)
	for i := 1; i <= n; i++ {
		go func() {
			v, err := q.Do(context.Background(), "k", i)
			out <- outcome{i, v, err}
		}()
	}
	waitQueued(t, q, "k", n)
	h.open()

	recv(t, first, "the first call")
	for range n {
		o := recv(t, out, "a queued call")
		if o.err != nil || o.val != o.in*2 {
			t.Errorf("Do(%d) = %d, %v; want %d, nil", o.in, o.val, o.err, o.in*2)
		}
	}
	batches := h.seen()
	var sizes []int
	var all []int
	for _, b := range batches {
		if len(b) > maxBatch {
			t.Errorf("batch %v has %d calls, max %d", b, len(b), maxBatch)
		}
		sizes = append(sizes, len(b))
		all = append(all, b...)
	}
	// All 7 were queued before the first batch ended: 3, 3, then 1.
	if want := []int{1, 3, 3, 1}; !slices.Equal(sizes, want) {
		t.Errorf("batch sizes = %v, want %v", sizes, want)
	}
	slices.Sort(all)
	if want := []int{1, 2, 3, 4, 5, 6, 7, 100}; !slices.Equal(all, want) {
		t.Errorf("inputs run = %v, want each of %v once", all, want)
	}
	if calls, nb := q.Stats(); calls != n+1 || nb != int64(len(batches)) {
		t.Errorf("Stats = %d calls, %d batches; want %d, %d", calls, nb, n+1, len(batches))
	}
}

func TestKeysIndependent(t *testing.T) {
	h := newHarness(t, nil)
	q := New(100, time.Second, h.run)
	first := startBlocked(t, q, h, "a", 1)

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	v, err := q.Do(ctx, "b", 2) // must not wait for "a"
	if err != nil || v != 4 {
		t.Fatalf(`Do("b") while "a" is blocked = %d, %v; want 4, nil`, v, err)
	}
	select {
	case o := <-first:
		t.Fatalf(`"a" finished while blocked: %+v`, o)
	default:
	}
	h.open()
	if o := recv(t, first, `the "a" call`); o.err != nil || o.val != 2 {
		t.Fatalf(`Do("a") = %d, %v; want 2, nil`, o.val, o.err)
	}
	h.mu.Lock()
	keys := slices.Clone(h.keys)
	h.mu.Unlock()
	if want := []string{"a", "b"}; !slices.Equal(keys, want) {
		t.Fatalf("batch keys = %v, want %v", keys, want)
	}
}

var errOdd = errors.New("odd")

func TestErrorsRouted(t *testing.T) {
	h := newHarness(t, func(_ context.Context, _ string, in []int) []Result[int] {
		out := make([]Result[int], len(in))
		for i, v := range in {
			if v%2 == 1 {
				out[i].Err = fmt.Errorf("input %d: %w", v, errOdd)
			} else {
				out[i].Value = v * 2
			}
		}
		return out
	})
	q := New(100, time.Second, h.run)
	first := startBlocked(t, q, h, "k", 0)
	const n = 8
	out := make(chan outcome, n)
	for i := 1; i <= n; i++ {
		go func() {
			v, err := q.Do(context.Background(), "k", i)
			out <- outcome{i, v, err}
		}()
	}
	waitQueued(t, q, "k", n)
	h.open()
	recv(t, first, "the first call")
	for range n {
		o := recv(t, out, "a queued call")
		if o.in%2 == 1 {
			if !errors.Is(o.err, errOdd) || o.err.Error() != fmt.Sprintf("input %d: odd", o.in) {
				t.Errorf("Do(%d) err = %v, want its own odd error", o.in, o.err)
			}
			continue
		}
		if o.err != nil || o.val != o.in*2 {
			t.Errorf("Do(%d) = %d, %v; want %d, nil", o.in, o.val, o.err, o.in*2)
		}
	}
	if batches := h.seen(); len(batches) != 2 || len(batches[1]) != n {
		t.Fatalf("batches = %v, want the %d calls in one mixed batch", batches, n)
	}
}

func TestCancelledWaiter(t *testing.T) {
	h := newHarness(t, nil)
	q := New(100, time.Second, h.run)
	first := startBlocked(t, q, h, "k", 1)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := q.Do(ctx, "k", 7)
		errc <- err
	}()
	waitQueued(t, q, "k", 1)
	cancel()
	if err := recv(t, errc, "the cancelled call"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Do err = %v, want context.Canceled", err)
	}

	h.open()
	if o := recv(t, first, "the first call"); o.err != nil || o.val != 2 {
		t.Fatalf("first call = %d, %v; want 2, nil", o.val, o.err)
	}
	// The cancelled call's input still runs, once the drain gets to it.
	deadline := time.Now().Add(waitLimit)
	for {
		batches := h.seen()
		if len(batches) == 2 {
			if !slices.Equal(batches[1], []int{7}) {
				t.Fatalf("second batch = %v, want [7]", batches[1])
			}
			break
		}
		if len(batches) > 2 || time.Now().After(deadline) {
			t.Fatalf("batches = %v, want the cancelled input run as a second batch", batches)
		}
		time.Sleep(time.Millisecond)
	}
	// And the queue keeps working.
	ctx2, cancel2 := context.WithTimeout(context.Background(), waitLimit)
	defer cancel2()
	if v, err := q.Do(ctx2, "k", 4); err != nil || v != 8 {
		t.Fatalf("later Do = %d, %v; want 8, nil", v, err)
	}
}

func TestShortResults(t *testing.T) {
	h := newHarness(t, func(ctx context.Context, key string, in []int) []Result[int] {
		return double(ctx, key, in)[:1] // one result, whatever the batch size
	})
	q := New(100, time.Second, h.run)
	first := startBlocked(t, q, h, "k", 1)
	out := enqueue(t, q, "k", 2, 3, 4)
	h.open()
	if o := recv(t, first, "the first call"); o.err != nil || o.val != 2 {
		t.Fatalf("first call = %d, %v; want 2, nil", o.val, o.err)
	}
	got := map[int]outcome{}
	for range 3 {
		o := recv(t, out, "a call of a short batch")
		got[o.in] = o
	}
	if o := got[2]; o.err != nil || o.val != 4 {
		t.Errorf("Do(2) = %d, %v; want 4, nil", o.val, o.err)
	}
	for _, in := range []int{3, 4} {
		o := got[in]
		if o.err == nil || errors.Is(o.err, context.Canceled) || errors.Is(o.err, context.DeadlineExceeded) {
			t.Errorf("Do(%d) err = %v, want a missing-result error", in, o.err)
		}
	}
}

func TestNoResults(t *testing.T) {
	q := New(4, time.Second, func(context.Context, string, []int) []Result[int] { return nil })
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	_, err := q.Do(ctx, "k", 1)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do err = %v, want a missing-result error", err)
	}
}

type ctxKey struct{}

func TestBatchContext(t *testing.T) {
	const timeout = time.Hour
	type seen struct {
		err         error
		deadline    time.Time
		hasDeadline bool
		value       any
	}
	var (
		mu   sync.Mutex
		seqs []seen
	)
	h := newHarness(t, func(ctx context.Context, _ string, in []int) []Result[int] {
		d, ok := ctx.Deadline()
		mu.Lock()
		seqs = append(seqs, seen{ctx.Err(), d, ok, ctx.Value(ctxKey{})})
		mu.Unlock()
		return double(ctx, "", in)
	})
	q := New(100, timeout, h.run)

	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
	errc := make(chan error, 1)
	before := time.Now()
	go func() {
		_, err := q.Do(ctx, "k", 1)
		errc <- err
	}()
	recv(t, h.started, "the first batch to start")
	later := enqueue(t, q, "k", 2) // a second batch in the same drain
	cancel()                       // the caller that started the drain gives up
	if err := recv(t, errc, "the cancelled call"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Do err = %v, want context.Canceled", err)
	}
	h.open()
	if o := recv(t, later, "the later call"); o.err != nil || o.val != 4 {
		t.Fatalf("later call = %d, %v; want 4, nil", o.val, o.err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(seqs) != 2 {
		t.Fatalf("run saw %d batches, want 2", len(seqs))
	}
	for i, s := range seqs {
		if s.err != nil {
			t.Errorf("batch %d: ctx.Err() = %v, want nil after the starting caller cancelled", i, s.err)
		}
		if !s.hasDeadline {
			t.Errorf("batch %d: ctx has no deadline, want the queue's timeout", i)
		} else if lo, hi := before.Add(timeout), time.Now().Add(timeout); s.deadline.Before(lo) || s.deadline.After(hi) {
			t.Errorf("batch %d: deadline %v, want within [%v, %v]", i, s.deadline, lo, hi)
		}
		if s.value != "v" {
			t.Errorf("batch %d: ctx value = %v, want the starting caller's %q", i, s.value, "v")
		}
	}
}

func TestBatchTimeoutExpires(t *testing.T) {
	q := New(4, 10*time.Millisecond, func(ctx context.Context, _ string, in []int) []Result[int] {
		<-ctx.Done() // a run that honours its context ends with the batch timeout
		return []Result[int]{{Err: ctx.Err()}}
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if _, err := q.Do(ctx, "k", 1); !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Fatalf("Do err = %v (caller ctx %v), want the batch's own deadline exceeded", err, ctx.Err())
	}
}

func TestEach(t *testing.T) {
	boom := errors.New("boom")
	var order []int
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	fn := func(c context.Context, key string, in int) (string, error) {
		if c.Value(ctxKey{}) != "v" {
			t.Errorf("fn(%d) got a different context", in)
		}
		if key != "k" {
			t.Errorf("fn(%d) key = %q, want k", in, key)
		}
		order = append(order, in)
		if in < 0 {
			return "", fmt.Errorf("%d: %w", in, boom)
		}
		return fmt.Sprint("v", in), nil
	}
	ins := []int{3, -1, 5, -2, 0}
	got := Each(ctx, "k", ins, fn)
	if !slices.Equal(order, ins) {
		t.Fatalf("fn called for %v, want %v in order", order, ins)
	}
	if len(got) != len(ins) {
		t.Fatalf("Each returned %d results for %d inputs", len(got), len(ins))
	}
	for i, in := range ins {
		r := got[i]
		if in < 0 {
			if !errors.Is(r.Err, boom) || r.Err.Error() != fmt.Sprintf("%d: boom", in) || r.Value != "" {
				t.Errorf("result %d = %+v, want its own error", i, r)
			}
			continue
		}
		if r.Err != nil || r.Value != fmt.Sprint("v", in) {
			t.Errorf("result %d = %+v, want v%d", i, r, in)
		}
	}
	if got := Each(ctx, "k", nil, fn); len(got) != 0 {
		t.Errorf("Each of no inputs = %v, want empty", got)
	}

	// Each as a queue's run func.
	q := New(4, time.Second, func(ctx context.Context, key string, in []int) []Result[string] {
		return Each(ctx, key, in, fn)
	})
	if v, err := q.Do(ctx, "k", 9); err != nil || v != "v9" {
		t.Errorf("Do via Each = %q, %v; want v9, nil", v, err)
	}
}

func TestNewPanicsOnBadMax(t *testing.T) {
	noop := func(context.Context, string, []int) []Result[int] { return nil }
	for _, bad := range []int{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d, ...) did not panic", bad)
				}
			}()
			New(bad, time.Second, noop)
		}()
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("New(1, ...) panicked: %v", r)
			}
		}()
		New(1, time.Second, noop)
	}()
}
