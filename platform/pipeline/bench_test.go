package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/jobs"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/pipeline"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// requireServices skips a benchmark that needs real PostgreSQL and Redis.
func requireServices(b *testing.B) {
	b.Helper()
	if os.Getenv(testapp.EnvPostgres) == "" || os.Getenv(testapp.EnvRedis) == "" {
		b.Skipf("needs PostgreSQL and Redis (%s, %s; `make bench` starts them)", testapp.EnvPostgres, testapp.EnvRedis)
	}
}

// benchConcurrency is the worker's default: both runs process this many tasks at once.
var benchConcurrency = config.Default().Worker.Concurrency

// BenchmarkEndToEndSends: b.N stored messages → enqueue → worker (checks, charge,
// in-process loopback Send, status sent, roll-up) until all are sent; then, as the
// ceilings the queue itself sets, the same number of no-op tasks on the same Redis
// with the same concurrency twice: through a bare Asynq server on a queue of their
// own (noop_tasks/s, send/noop), and through the app's worker, its queues, weights
// and servers, with a handler that does nothing (noop_worker_tasks/s,
// send/noop_worker). Beside the rates, which this box's load moves by a fifth from
// run to run: the sends loaded per statement (loads/batch), and the Redis scripts run
// per send (redis_scripts/send), a count that load does not move.
func BenchmarkEndToEndSends(b *testing.B) {
	requireServices(b)
	e := newEnv(b, envOptions{engine: testapp.Postgres, concurrency: benchConcurrency})
	tn := e.tenant(b, "loopback", loopback.Config{Statuses: []string{"sent"}}, int64(b.N)+10)
	msgs := storeMessages(b, tn, b.N, func(i int) string { return fmt.Sprintf("bench %d", i) })
	b.ResetTimer()
	scripts := redisScripts(b, e)
	start := time.Now()
	enqueueAll(b, e, msgs)
	// Waiting is work for the same database, and it must not slow the sends it waits
	// for. Counting the sent messages reads every one of them (8 ms at 20,000, 8% of
	// the database's CPU over a run when polled); the wallet is one row, and every
	// send is charged before it is sent, so the count is polled only once the wallet
	// says every send was charged. The interval grows with the run (a fiftieth of it,
	// at most 200 ms), so the wait it adds stays within 2 % of the time measured.
	pause := func() { time.Sleep(min(max(time.Since(start)/50, 2*time.Millisecond), 200*time.Millisecond)) }
	for wallet(b, tn).Balance > tn.credits-int64(b.N) {
		pause()
	}
	for countStatus(b, tn, messaging.StatusSent) < b.N {
		pause()
	}
	sends := time.Since(start)
	b.StopTimer()
	scripts = redisScripts(b, e) - scripts
	e.stopWorker()

	bare := noopTasks(b, e, b.N, bareServer)
	worker := noopTasks(b, e, b.N, appWorker)
	sendRate, bareRate, workerRate := float64(b.N)/sends.Seconds(), float64(b.N)/bare.Seconds(), float64(b.N)/worker.Seconds()
	b.ReportMetric(sendRate, "sends/s")
	b.ReportMetric(bareRate, "noop_tasks/s")
	b.ReportMetric(sendRate/bareRate, "send/noop")
	b.ReportMetric(workerRate, "noop_worker_tasks/s")
	b.ReportMetric(sendRate/workerRate, "send/noop_worker")
	b.ReportMetric(e.p.LoadBatchSize(), "loads/batch")
	b.ReportMetric(float64(scripts)/float64(b.N), "redis_scripts/send")
}

// redisScripts is how many scripts the Redis server has run so far (Asynq's enqueue,
// dequeue tries and done, the pacing line): per send, a count no other load on the
// box moves, unlike the rates beside it.
func redisScripts(b *testing.B, e *env) int64 {
	b.Helper()
	info, err := e.ta.App.Queue.Redis.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for line := range strings.Lines(info) {
		for _, cmd := range []string{"cmdstat_evalsha:calls=", "cmdstat_eval:calls="} {
			if rest, ok := strings.CutPrefix(line, cmd); ok {
				calls, _, _ := strings.Cut(rest, ",")
				v, err := strconv.ParseInt(calls, 10, 64)
				if err != nil {
					b.Fatalf("commandstats line %q: %v", line, err)
				}
				n += v
			}
		}
	}
	return n
}

// How no-op tasks are processed: by a bare Asynq server on a queue of their own, or
// by a worker built like the app's (jobs.NewWorker: its queues, weights and servers).
const (
	bareServer = iota
	appWorker
)

// noopTasks enqueues n tasks and processes them with a handler that does nothing.
func noopTasks(b *testing.B, e *env, n, how int) time.Duration {
	b.Helper()
	var left atomic.Int64
	left.Store(int64(n))
	done := make(chan struct{})
	handler := func(context.Context, *asynq.Task) error {
		if left.Add(-1) == 0 {
			close(done)
		}
		return nil
	}
	queue := "bench_noop"
	switch how {
	case bareServer:
		srv := asynq.NewServer(e.ta.App.Queue.Conn, asynq.Config{Concurrency: benchConcurrency, Queues: map[string]int{queue: 1},
			TaskCheckInterval: jobs.TaskCheckInterval,
			Logger:            quiet{}, LogLevel: asynq.FatalLevel})
		mux := asynq.NewServeMux()
		mux.HandleFunc("bench:noop", handler)
		if err := srv.Start(mux); err != nil {
			b.Fatal(err)
		}
		defer srv.Shutdown()
	case appWorker:
		queue = jobs.QueueSends
		w := jobs.NewWorker(e.ta.App.Queue, slog.New(slog.DiscardHandler), benchConcurrency)
		w.Handle("bench:noop", handler)
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan error, 1)
		go func() { stopped <- w.Run(ctx) }()
		defer func() {
			cancel()
			if err := <-stopped; err != nil {
				b.Error(err)
			}
		}()
	}
	client := asynq.NewClient(e.ta.App.Queue.Conn)
	defer client.Close()
	start := time.Now()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				if _, err := client.Enqueue(asynq.NewTask("bench:noop", nil), asynq.Queue(queue)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	<-done
	return time.Since(start)
}

// wallet reads tn's wallet alone (tn.balance also sums the ledger to check it).
func wallet(b *testing.B, tn *tenant) billing.Wallet {
	b.Helper()
	w, err := billing.WalletOf(context.Background(), tn.sc)
	if err != nil {
		b.Fatal(err)
	}
	return w
}

type quiet struct{}

func (quiet) Debug(...any) {}
func (quiet) Info(...any)  {}
func (quiet) Warn(...any)  {}
func (quiet) Error(...any) {}
func (quiet) Fatal(...any) {}

// BenchmarkInboundWebhooks: signed loopback webhooks (one inbound message each)
// through /hooks/:connection from 8 clients, each answered once its event is stored
// and its task enqueued. Reports webhooks/s and the answer's p50/p99.
func BenchmarkInboundWebhooks(b *testing.B) {
	requireServices(b)
	e := newEnv(b, envOptions{engine: testapp.Postgres, noWorker: true})
	tn := e.tenant(b, "loopback", loopback.Config{}, 10)
	reqs := make([][]byte, b.N)
	sigs := make([]string, b.N)
	for i := range reqs {
		r := tn.signed(b, loopback.WebhookEvent{Type: loopback.WebhookMessage, ID: fmt.Sprintf("bench-in-%d", i),
			From: fmt.Sprintf("+4477%08d", i%1000), To: tn.conn.Address, Text: "hello", Timestamp: time.Now().UTC()})
		reqs[i], sigs[i] = r.Body, r.Headers[loopback.SignatureHeader][0]
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	app := e.ta.Server.App()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				req := httptest.NewRequest(http.MethodPost, "/hooks/"+tn.conn.PublicID, bytes.NewReader(reqs[i]))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(loopback.SignatureHeader, sigs[i])
				t0 := time.Now()
				res, err := app.Test(req, -1)
				lat[i] = time.Since(t0)
				if err != nil || res.StatusCode != http.StatusOK {
					b.Errorf("webhook %d: %v %v", i, err, res)
					return
				}
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	n, err := tn.sc.Select((*connections.StoredEvent)(nil)).Where("ce.connection_id = ?", tn.conn.ID).Count(context.Background())
	if err != nil || n != b.N {
		b.Fatalf("%d events stored (%v), want %d", n, err, b.N)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/el.Seconds(), "webhooks/s")
	b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[(b.N*99)/100].Microseconds())/1000, "p99_ms")
}

// BenchmarkInboundApply: what the worker applies of what webhooks stored (P3). b.N
// events are handed to the inbound sink from 8 goroutines, one event each as a
// provider's webhook carries it, while the worker runs; the time is until every one is
// applied. statuses: a delivered receipt for each of b.N sent messages (a campaign's
// receipts, two a send in real life). messages: b.N customers' messages from 1,000
// numbers, so most land in a ticket their sender opened before. Beside each rate, the
// app's worker on the same Redis runs b.N no-op tasks (noop_worker_tasks/s), and the
// ratio is what the queue alone leaves.
func BenchmarkInboundApply(b *testing.B) {
	requireServices(b)
	b.Run("statuses", func(b *testing.B) {
		e := newEnv(b, envOptions{engine: testapp.Postgres, concurrency: benchConcurrency})
		tn := e.tenant(b, "loopback", loopback.Config{}, 10)
		msgs := storeMessages(b, tn, b.N, func(i int) string { return fmt.Sprintf("bench %d", i) })
		if _, err := tn.sc.Update((*messaging.Message)(nil)).Set("status = ?, provider_message_id = 'bench-' || m.id, sent_at = ?", messaging.StatusSent, time.Now().UTC()).
			Where("m.conversation_id = ?", tn.conv.ID).Exec(context.Background()); err != nil {
			b.Fatal(err)
		}
		at := time.Now().UTC()
		inboundApplied(b, e, tn, "statuses/s", func(i int) sdk.Event {
			return sdk.Event{Type: sdk.EventStatus, Status: &sdk.StatusUpdate{ProviderMessageID: "bench-" + msgs[i].ID, Status: messaging.StatusDelivered, Timestamp: at}}
		}, func() int { return countStatus(b, tn, messaging.StatusDelivered) })
	})
	b.Run("messages", func(b *testing.B) {
		e := newEnv(b, envOptions{engine: testapp.Postgres, concurrency: benchConcurrency})
		tn := e.tenant(b, "loopback", loopback.Config{}, 10)
		at := time.Now().UTC()
		inboundApplied(b, e, tn, "messages/s", func(i int) sdk.Event {
			return sdk.Event{Type: sdk.EventMessage, Message: &sdk.InboundMessage{ProviderMessageID: fmt.Sprintf("bench-in-%d", i),
				From: fmt.Sprintf("+4477%08d", i%1000), To: tn.conn.Address, Type: "text", Text: "hello", Timestamp: at}}
		}, func() int {
			n, err := tn.sc.Select((*messaging.Message)(nil)).Where("m.direction = ?", messaging.DirectionIn).Count(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			return n
		})
	})
}

// inboundApplied delivers b.N events made by event to tn's connection and waits until
// applied says all b.N are; it reports the rate as unit, then the no-op baseline.
func inboundApplied(b *testing.B, e *env, tn *tenant, unit string, event func(i int) sdk.Event, applied func() int) {
	b.Helper()
	events := make([]sdk.Event, b.N)
	for i := range events {
		events[i] = event(i)
	}
	sink := pipeline.InboundSink{P: e.p}
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if err := sink.Deliver(context.Background(), tn.conn, events[i:i+1]); err != nil {
					b.Errorf("deliver %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Counting reads every row counted, so it waits until the inbound queue is empty.
	for {
		info, err := e.insp.GetQueueInfo(jobs.QueueInbound)
		if err != nil {
			b.Fatal(err)
		}
		if info.Pending+info.Active+info.Retry+info.Scheduled == 0 && applied() >= b.N {
			break
		}
		time.Sleep(min(max(time.Since(start)/50, 2*time.Millisecond), 200*time.Millisecond))
	}
	el := time.Since(start)
	b.StopTimer()
	e.stopWorker()
	noop := noopTasks(b, e, b.N, appWorker)
	rate, noopRate := float64(b.N)/el.Seconds(), float64(b.N)/noop.Seconds()
	b.ReportMetric(rate, unit)
	b.ReportMetric(noopRate, "noop_worker_tasks/s")
	b.ReportMetric(rate/noopRate, "applied/noop_worker")
}
