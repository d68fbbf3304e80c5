package fakeprovider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(0, 0)}
	l := NewLimiter(2, 3, c.now)
	for i := range 3 {
		if !l.Allow() {
			t.Fatalf("token %d of the burst refused", i)
		}
	}
	if l.Allow() {
		t.Fatal("allowed past the burst")
	}
	c.add(500 * time.Millisecond) // one token at 2/s
	if !l.Allow() || l.Allow() {
		t.Fatal("refill: want exactly one token after 0.5 s")
	}
	c.add(time.Hour)
	n := 0
	for l.Allow() {
		n++
	}
	if n != 3 {
		t.Errorf("after an hour %d tokens, want the burst (3)", n)
	}
	l.Set(0, 0)
	for range 100 {
		if !l.Allow() {
			t.Fatal("rate 0 must not limit")
		}
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1000, 0)}
	w := NewWindow(c.now)
	if w.Open("+15550100001") {
		t.Fatal("open before any message")
	}
	w.Record("whatsapp:+1 555 010 0001", c.now())
	if !w.Open("15550100001") {
		t.Fatal("closed right after a message (numbers compare by digits)")
	}
	w.Record("15550100001", c.now().Add(-time.Hour)) // older: ignored
	c.add(Window24h - time.Second)
	if !w.Open("15550100001") {
		t.Fatal("closed before 24 h")
	}
	c.add(time.Second)
	if w.Open("15550100001") {
		t.Fatal("open at 24 h")
	}
}

func TestCourier(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer hs.Close()
	c := NewCourier(nil, nil)
	if err := c.Wait(context.Background()); err != nil {
		t.Fatalf("Wait on an idle courier: %v", err)
	}
	release := make(chan struct{})
	c.Go(func(ctx context.Context) {
		<-release
		_, _ = c.Post(ctx, "status", hs.URL+"/ok", http.Header{"X-A": {"1"}}, []byte("a"))
	})
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Wait(short); err == nil {
		t.Fatal("Wait returned while a job was blocked")
	}
	close(release)
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Post(context.Background(), "inbound", hs.URL+"/bad", nil, nil); err == nil {
		t.Error("a 418 answer must be an error")
	}
	d := c.Deliveries()
	if len(d) != 2 || !d[0].OK() || d[0].Header.Get("X-A") != "1" || d[1].Status != http.StatusTeapot || d[1].Err == "" {
		t.Errorf("deliveries = %+v", d)
	}
	// Close cancels a sleeping job.
	started := make(chan struct{})
	c.Go(func(ctx context.Context) {
		close(started)
		Sleep(ctx, time.Hour)
	})
	<-started
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not cancel a sleeping job")
	}
	if c.Go(func(context.Context) {}) {
		t.Error("Go after Close ran a job")
	}
}
