package channels

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// benchHost runs the loopback binary under a fresh host (and restart budget).
func benchHost(b *testing.B) (*Host, sdk.Channel) {
	b.Helper()
	root := b.TempDir()
	install(b, root, "loopback", bins.loopback, loopbackManifest(), nil)
	w := &testWriter{t: b}
	b.Cleanup(w.close)
	h, err := NewHost(root, slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Stop)
	startHost(b, h)
	ch, err := h.Channel("loopback")
	if err != nil {
		b.Fatal(err)
	}
	// Warm the connection up.
	for i := range 50 {
		if _, err := ch.Send(context.Background(), lbConn, textMsg(i, "warm")); err != nil {
			b.Fatal(err)
		}
	}
	return h, ch
}

// latencies runs send n times, one after the other, and returns the sorted durations.
func latencies(b *testing.B, n int, send func(i int) error) []time.Duration {
	b.Helper()
	lat := make([]time.Duration, n)
	for i := range n {
		start := time.Now()
		if err := send(i); err != nil {
			b.Fatalf("send %d: %v", i, err)
		}
		lat[i] = time.Since(start)
	}
	slices.Sort(lat)
	return lat
}

func pct(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// BenchmarkSend compares Send through the host to the loopback binary (gRPC over a
// Unix socket, AutoMTLS) with the same loopback called in-process. Besides ns/op it
// reports p50 and p99 latency; the plugin run also measures an in-process reference
// of the same size in the same run and reports the p50 ratio.
func BenchmarkSend(b *testing.B) {
	ctx := context.Background()
	inProcess := func(n int) []time.Duration {
		lb := loopback.New()
		return latencies(b, n, func(i int) error {
			_, err := lb.Send(ctx, lbConn, textMsg(i, "bench"))
			return err
		})
	}
	b.Run("inprocess", func(b *testing.B) {
		b.ResetTimer()
		lat := inProcess(b.N)
		b.StopTimer()
		b.ReportMetric(float64(pct(lat, .50).Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(pct(lat, .99).Nanoseconds()), "p99-ns")
	})
	b.Run("plugin", func(b *testing.B) {
		_, ch := benchHost(b)
		ref := inProcess(max(b.N, 1000))
		b.ResetTimer()
		lat := latencies(b, b.N, func(i int) error {
			_, err := ch.Send(ctx, lbConn, textMsg(i, "bench"))
			return err
		})
		b.StopTimer()
		p50 := pct(lat, .50)
		b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(pct(lat, .99).Nanoseconds()), "p99-ns")
		b.ReportMetric(float64(p50)/float64(max(pct(ref, .50), 1)), "ratio-vs-inprocess")
	})
}

// BenchmarkKillRecovery sends b.N messages from 8 goroutines, kill -9s the plugin once
// a quarter of them went through, and retries every Transient failure (as the
// message:send task does) until the message is sent. It reports the time from the kill
// to the first message served by the new process, the Transient failures retried, and
// the messages lost (any that never succeeded, which must be none).
func BenchmarkKillRecovery(b *testing.B) {
	const workers = 8
	const retryPause = 5 * time.Millisecond
	h, ch := benchHost(b)
	ctx := context.Background()

	var (
		next, sent, retried, lost atomic.Int64
		killedAt                  atomic.Int64 // unix ns; 0 before the kill
		recovered                 atomic.Int64 // ns from the kill to the first success of a call started after it
	)
	send := func(i int) {
		giveUp := time.Now().Add(20 * time.Second)
		for {
			start := time.Now()
			_, err := ch.Send(ctx, lbConn, textMsg(i, "load"))
			if err == nil {
				sent.Add(1)
				if k := killedAt.Load(); k != 0 && start.UnixNano() > k {
					recovered.CompareAndSwap(0, time.Now().UnixNano()-k)
				}
				return
			}
			var se *sdk.Error
			if !errors.As(err, &se) || se.Class != sdk.Transient || time.Now().After(giveUp) {
				lost.Add(1)
				b.Errorf("message %d lost: %v", i, err)
				return
			}
			retried.Add(1)
			time.Sleep(retryPause)
		}
	}

	b.ResetTimer()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				send(i)
			}
		})
	}
	for sent.Load() < int64(b.N/4) {
		time.Sleep(time.Millisecond)
	}
	p := pid(b, h, "loopback")
	killedAt.Store(time.Now().UnixNano())
	kill9(b, p)
	// Probe too, so the recovery is measured even when the load is already done.
	for recovered.Load() == 0 {
		if _, err := ch.Send(ctx, lbConn, textMsg(-1, "probe")); err == nil {
			recovered.CompareAndSwap(0, time.Now().UnixNano()-killedAt.Load())
			break
		}
		if time.Since(time.Unix(0, killedAt.Load())) > 20*time.Second {
			b.Fatal("not serving 20s after the kill")
		}
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	b.StopTimer()

	if lost.Load() > 0 || sent.Load() != int64(b.N) {
		b.Errorf("%d of %d messages lost (%d sent)", lost.Load(), b.N, sent.Load())
	}
	if pi := mustPlugin(b, h, "loopback"); pi.Restarts != 1 || pi.State != StateRunning {
		b.Errorf("after the kill: %+v", pi)
	}
	b.ReportMetric(float64(recovered.Load())/1e6, "ms-to-serve-again")
	b.ReportMetric(float64(retried.Load()), "transient-retries")
	b.ReportMetric(float64(lost.Load()), "lost-msgs")
}
