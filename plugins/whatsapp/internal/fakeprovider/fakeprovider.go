// Package fakeprovider holds what the WhatsApp provider fakes (cloudapitest and
// twiliotest) share: a token-bucket throttle, the 24-hour customer-service window, and
// a courier that delivers signed webhook requests asynchronously and can be waited
// for. Everything here is safe for concurrent use.
package fakeprovider

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Window24h is how long a customer's message keeps the service window open.
const Window24h = 24 * time.Hour

// Clock returns now, or time.Now when now is nil.
func Clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// Limiter is a token bucket: Rate tokens a second, up to Burst saved. A Rate of 0 or
// less lets everything through.
type Limiter struct {
	now func() time.Time

	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// NewLimiter returns a full bucket. burst below 1 means max(1, rate).
func NewLimiter(rate float64, burst int, now func() time.Time) *Limiter {
	l := &Limiter{now: Clock(now)}
	l.Set(rate, burst)
	return l
}

// Set changes the rate and burst and refills the bucket.
func (l *Limiter) Set(rate float64, burst int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := float64(burst)
	if b < 1 {
		b = max(1, rate)
	}
	l.rate, l.burst, l.tokens, l.last = rate, b, b, l.now()
}

// Allow takes a token if there is one.
func (l *Limiter) Allow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rate <= 0 {
		return true
	}
	now := l.now()
	if elapsed := now.Sub(l.last).Seconds(); elapsed > 0 {
		l.tokens = min(l.burst, l.tokens+elapsed*l.rate)
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// Window remembers each customer's last inbound message, keyed by the digits of the
// number, to enforce the 24-hour customer-service window.
type Window struct {
	now func() time.Time

	mu   sync.Mutex
	last map[string]time.Time
}

// NewWindow returns a window in which every customer is outside.
func NewWindow(now func() time.Time) *Window {
	return &Window{now: Clock(now), last: map[string]time.Time{}}
}

// Record notes a message from number at at.
func (w *Window) Record(number string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := Digits(number)
	if at.After(w.last[key]) {
		w.last[key] = at
	}
}

// Open reports whether number wrote in the last 24 hours.
func (w *Window) Open(number string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.last[Digits(number)]
	return ok && w.now().Sub(last) < Window24h
}

// Digits keeps only the digits of a phone number ("whatsapp:+1 555-0100" → "15550100").
func Digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Delivery is one webhook request a fake made, and what came of it.
type Delivery struct {
	URL     string
	Header  http.Header
	Body    []byte
	Status  int    // the receiver's HTTP status; 0 if the request failed
	Err     string // transport error, if any
	Purpose string // "status", "inbound", …
	At      time.Time
}

// OK reports whether the receiver answered 2xx.
func (d Delivery) OK() bool { return d.Status >= 200 && d.Status < 300 }

// Courier makes webhook requests for a fake: synchronously with Post, or in the
// background with Go; Wait blocks until the background work is done and Close cancels
// it. Every request is recorded.
type Courier struct {
	client *http.Client
	now    func() time.Time
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	pending    int
	idle       chan struct{} // closed while pending == 0
	closed     bool
	deliveries []Delivery
}

// NewCourier returns a courier using client (http.DefaultClient's transport with a
// 10-second timeout when nil).
func NewCourier(client *http.Client, now func() time.Time) *Courier {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx, cancel := context.WithCancel(context.Background())
	idle := make(chan struct{})
	close(idle)
	return &Courier{client: client, now: Clock(now), ctx: ctx, cancel: cancel, idle: idle}
}

// Go runs job in the background with a context that Close cancels. It returns false
// (and does not run job) after Close.
func (c *Courier) Go(job func(ctx context.Context)) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if c.pending == 0 {
		c.idle = make(chan struct{})
	}
	c.pending++
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		defer func() {
			c.mu.Lock()
			c.pending--
			if c.pending == 0 {
				close(c.idle)
			}
			c.mu.Unlock()
		}()
		job(c.ctx)
	}()
	return true
}

// Sleep waits d or until ctx ends; it reports whether the full d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Post sends body to url with header and records the outcome. A nil error means the
// receiver answered 2xx.
func (c *Courier) Post(ctx context.Context, purpose, url string, header http.Header, body []byte) (Delivery, error) {
	d := Delivery{URL: url, Header: header.Clone(), Body: bytes.Clone(body), Purpose: purpose, At: c.now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err == nil {
		req.Header = header.Clone()
		var resp *http.Response
		resp, err = c.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			d.Status = resp.StatusCode
			if !d.OK() {
				err = fmt.Errorf("webhook %s answered %s", url, resp.Status)
			}
		}
	}
	if err != nil {
		d.Err = err.Error()
	}
	c.mu.Lock()
	c.deliveries = append(c.deliveries, d)
	c.mu.Unlock()
	return d, err
}

// Fetched is what a provider downloaded from a media link a message was sent with.
type Fetched struct {
	Link        string
	Status      int // the link's HTTP status; 0 when it did not answer
	ContentType string
	Data        []byte
}

// Fetch downloads a sent message's media from link, as the providers do once they
// took the message, keeping at most limit+1 bytes (more than limit is too large).
// err is set when the link did not answer 200.
func (c *Courier) Fetch(ctx context.Context, link string, limit int64) (Fetched, error) {
	f := Fetched{Link: link}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return f, err
	}
	res, err := c.client.Do(req)
	if err != nil {
		return f, err
	}
	defer res.Body.Close()
	f.Status, f.ContentType = res.StatusCode, res.Header.Get("Content-Type")
	if f.Data, err = io.ReadAll(io.LimitReader(res.Body, limit+1)); err != nil {
		return f, err
	}
	if res.StatusCode != http.StatusOK {
		return f, fmt.Errorf("HTTP %d", res.StatusCode)
	}
	return f, nil
}

// Deliveries returns every request made so far, oldest first.
func (c *Courier) Deliveries() []Delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Delivery(nil), c.deliveries...)
}

// Wait blocks until no background job is running or ctx ends.
func (c *Courier) Wait(ctx context.Context) error {
	for {
		c.mu.Lock()
		idle, pending := c.idle, c.pending
		c.mu.Unlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-idle:
		}
	}
}

// Close cancels background jobs and waits for them to return.
func (c *Courier) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}

// Listener is the HTTP side of a fake provider: a test server on a loopback address
// (or a chosen one, for the demo), safe to read from any goroutine.
type Listener struct {
	mu sync.Mutex
	hs *httptest.Server
}

// Start serves h on addr (a free loopback port when empty). It panics when it cannot
// listen, like httptest; name prefixes the message.
func (l *Listener) Start(name, addr string, h http.Handler) {
	hs := httptest.NewUnstartedServer(h)
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			panic(fmt.Sprintf("%s: listen on %s: %v", name, addr, err))
		}
		hs.Listener.Close()
		hs.Listener = ln
	}
	hs.Start()
	l.mu.Lock()
	l.hs = hs
	l.mu.Unlock()
}

// Close stops the server, if it started.
func (l *Listener) Close() {
	l.mu.Lock()
	hs := l.hs
	l.mu.Unlock()
	if hs != nil {
		hs.Close()
	}
}

// URL is the server's base URL; "" before Start.
func (l *Listener) URL() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hs == nil {
		return ""
	}
	return l.hs.URL
}
