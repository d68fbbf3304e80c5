// Package twiliotest is a fake Twilio Messages API for WhatsApp (whatsapp:+E164
// addresses) on httptest, for the whatsapp plugin's tests, the pipeline's tests and
// benchmarks, and the local demo.
//
// It serves:
//
//	GET  /2010-04-01/Accounts/{AccountSid}.json
//	POST /2010-04-01/Accounts/{AccountSid}/Messages.json
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}.json
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{MediaSid}
//	                                                   307 to the file (see AddMedia)
//	GET  /media-storage/{key}                          the file, without credentials
//
// and behaves like Twilio: HTTP Basic auth checked (401, 20003), form bodies validated
// (missing To 21604, invalid number 21211, missing body 21602, body over 1600
// characters 21617, unknown ContentSid 21655, wrong ContentVariables 21656, From not
// a sender of the account 63007), the 24-hour window enforced when asked (63016),
// sends throttled at a set rate (HTTP 429, 20429), ids shaped like the real ones
// (SM + 32 hex). Accepted messages are recorded (Sent) and followed by status
// callbacks — form POSTs signed with X-Twilio-Signature over the callback URL — to the
// request's StatusCallback (or Options.StatusCallbackURL), in the background:
// sent, delivered, read by default. InjectInbound posts a customer's message to the
// inbound URL, with media it keeps (Inbound.Media, AddMedia) behind Basic auth as
// with "HTTP Basic authentication for media URLs" on; OnMessage scripts a customer
// who answers. Every method is safe for concurrent use.
package twiliotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/plugins/whatsapp/internal/fakeprovider"
)

// Defaults for Options fields left empty.
const (
	DefaultAccountSID          = "AC" + "0123456789abcdef0123456789abcdef"
	DefaultAuthToken           = "test-auth-token-0123456789abcdef"
	DefaultSender              = "whatsapp:+14155238886"
	DefaultMessagingServiceSID = "MG" + "9b1c6c0e6b5d4f2a8e3c7d1f0a2b4c6d"
	APIVersion                 = "2010-04-01"
)

// Limits Twilio enforces.
const (
	MaxBodyLength  = 1600
	maxRequestBody = 1 << 20
)

// Message statuses.
const (
	Queued      = "queued"
	Sent        = "sent"
	Delivered   = "delivered"
	Read        = "read"
	Failed      = "failed"
	Undelivered = "undelivered"
)

// Step is one status callback about an accepted message: after Delay (or
// Options.StatusDelay when Delay is 0), Status; failed and undelivered steps carry
// ErrorCode and end the sequence.
type Step struct {
	Status    string
	Delay     time.Duration
	ErrorCode int
}

// DefaultStatuses is sent, delivered, read.
var DefaultStatuses = []Step{{Status: Sent}, {Status: Delivered}, {Status: Read}}

// Options configure a Server; the zero value works.
type Options struct {
	// Addr is the listen address (default 127.0.0.1:0, a free port).
	Addr string

	AccountSID string
	AuthToken  string
	// AccountStatus is what GET Accounts/{sid}.json reports (default "active").
	AccountStatus string
	// Senders are the account's WhatsApp senders (default DefaultSender);
	// MessagingServiceSID sends from the first.
	Senders             []string
	MessagingServiceSID string

	// InboundURL receives customers' messages (the sender's "a message comes in"
	// webhook); StatusCallbackURL receives statuses of sends without a StatusCallback.
	InboundURL        string
	StatusCallbackURL string
	// Statuses is the sequence for every accepted message (DefaultStatuses when nil).
	Statuses    []Step
	StatusDelay time.Duration
	ReplyDelay  time.Duration

	// Enforce24h refuses free-form messages (not ContentSid templates) to numbers that
	// have not written in the last 24 hours with 63016. WindowErrorAsync accepts them
	// instead and reports a failed status with 63016, as Twilio does.
	Enforce24h       bool
	WindowErrorAsync bool

	// FetchLinks downloads every MediaUrl of a message once it accepted it, as Twilio
	// does: one that does not answer 200 within WhatsApp's 16 MB fails the message
	// with a status of 63019. Off, media URLs are taken as they are.
	FetchLinks bool

	// RateLimit is the send throughput in messages a second (0: unlimited) with Burst
	// (default max(1, RateLimit)); over it sends get HTTP 429 with code 20429.
	RateLimit float64
	Burst     int

	HTTPClient *http.Client
	Now        func() time.Time
}

// Message is a message the fake accepted.
type Message struct {
	SID                 string
	To                  string // whatsapp:+…
	From                string // whatsapp:+… (the sender used, also for a messaging service)
	MessagingServiceSID string
	Body                string
	MediaURLs           []string
	ContentSID          string
	ContentVariables    map[string]string
	PersistentAction    []string
	StatusCallback      string
	Form                url.Values // the raw request
	At                  time.Time
}

// Type is "template", "media", "location" or "text".
func (m Message) Type() string {
	switch {
	case m.ContentSID != "":
		return "template"
	case len(m.MediaURLs) > 0:
		return "media"
	case len(m.PersistentAction) > 0 && strings.HasPrefix(m.PersistentAction[0], "geo:"):
		return "location"
	default:
		return "text"
	}
}

// Template is a Content API template registered with the fake.
type Template struct {
	SID            string // HX + 32 hex
	Name           string
	Language       string
	Category       string
	ApprovalStatus string   // approved unless WithApprovalStatus says otherwise
	Variables      []string // "1", "2", … or the named variables
}

// TemplateOption adjusts a template in AddTemplate.
type TemplateOption func(*Template)

// WithNamedVariables makes the template's variables named instead of numbered.
func WithNamedVariables(names ...string) TemplateOption {
	return func(t *Template) { t.Variables = append([]string(nil), names...) }
}

// WithApprovalStatus sets the WhatsApp approval status (approved by default).
func WithApprovalStatus(status string) TemplateOption {
	return func(t *Template) { t.ApprovalStatus = status }
}

// Server is the fake. Create it with New, then Start it; an unstarted Server still
// builds webhook bodies and signs them.
type Server struct {
	opts    Options
	now     func() time.Time
	http    fakeprovider.Listener
	limiter *fakeprovider.Limiter
	window  *fakeprovider.Window
	courier *fakeprovider.Courier

	mu         sync.Mutex
	inboundURL string
	statusURL  string
	enforce24h bool
	statuses   map[string][]Step // by recipient digits
	failNext   []Error
	failTo     map[string]Error // by recipient digits
	templates  map[string]*Template
	names      map[string]string
	sent       []Message
	fetched    map[string][]fakeprovider.Fetched // by message sid, with Options.FetchLinks
	state      map[string]string                 // message status by sid
	onMessage  func(Message) (string, bool)
	media      map[string]*storedMedia // by the media resource's path
}

// New returns an unstarted fake with opts' empty fields defaulted.
func New(opts Options) *Server {
	if opts.AccountSID == "" {
		opts.AccountSID = DefaultAccountSID
	}
	if opts.AuthToken == "" {
		opts.AuthToken = DefaultAuthToken
	}
	if opts.AccountStatus == "" {
		opts.AccountStatus = "active"
	}
	if len(opts.Senders) == 0 {
		opts.Senders = []string{DefaultSender}
	}
	if opts.MessagingServiceSID == "" {
		opts.MessagingServiceSID = DefaultMessagingServiceSID
	}
	if opts.Statuses == nil {
		opts.Statuses = DefaultStatuses
	}
	now := fakeprovider.Clock(opts.Now)
	s := &Server{
		opts:       opts,
		now:        now,
		limiter:    fakeprovider.NewLimiter(opts.RateLimit, opts.Burst, now),
		window:     fakeprovider.NewWindow(now),
		courier:    fakeprovider.NewCourier(opts.HTTPClient, now),
		inboundURL: opts.InboundURL,
		statusURL:  opts.StatusCallbackURL,
		enforce24h: opts.Enforce24h,
		statuses:   map[string][]Step{},
		failTo:     map[string]Error{},
		templates:  map[string]*Template{},
		names:      map[string]string{},
		state:      map[string]string{},
		fetched:    map[string][]fakeprovider.Fetched{},
		media:      map[string]*storedMedia{},
	}
	return s
}

// Start listens on Options.Addr (a free loopback port by default), starts serving and
// returns s. It panics if it cannot listen, like httptest.
func (s *Server) Start() *Server {
	s.http.Start("twiliotest", s.opts.Addr, http.HandlerFunc(s.serveHTTP))
	return s
}

// TB is the part of testing.TB that NewTest uses.
type TB interface {
	Helper()
	Cleanup(func())
}

// NewTest starts a fake that closes when the test ends.
func NewTest(t TB, opts Options) *Server {
	t.Helper()
	s := New(opts).Start()
	t.Cleanup(s.Close)
	return s
}

// Close stops background deliveries and the server.
func (s *Server) Close() {
	s.courier.Close()
	s.http.Close()
}

// URL is the API base URL (the plugin's api_base_url); "" before Start.
func (s *Server) URL() string { return s.http.URL() }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts
}

// SetInboundURL sets where customers' messages go.
func (s *Server) SetInboundURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inboundURL = u
}

// SetStatusCallbackURL sets where statuses of sends without a StatusCallback go.
func (s *Server) SetStatusCallbackURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statusURL = u
}

// SetStatuses sets the status sequence for messages to number, or for everyone when
// number is "". No steps means no callbacks.
func (s *Server) SetStatuses(number string, steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if steps == nil {
		steps = []Step{}
	}
	if number == "" {
		s.opts.Statuses = steps
		return
	}
	s.statuses[fakeprovider.Digits(number)] = steps
}

// MarkUndeliverable makes messages to these numbers accepted and then undelivered
// with 63003, as for a number that is not on WhatsApp.
func (s *Server) MarkUndeliverable(numbers ...string) {
	for _, n := range numbers {
		s.SetStatuses(n, Step{Status: Undelivered, ErrorCode: CodeUnreachable})
	}
}

// FailNext makes the next sends fail with errs, in order.
func (s *Server) FailNext(errs ...Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, errs...)
}

// FailTo makes every send to number fail with e until ClearFailures.
func (s *Server) FailTo(number string, e Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failTo[fakeprovider.Digits(number)] = e
}

// ClearFailures forgets FailNext and FailTo.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = nil
	s.failTo = map[string]Error{}
}

// SetRateLimit changes the throughput limit (0: unlimited).
func (s *Server) SetRateLimit(perSecond float64, burst int) { s.limiter.Set(perSecond, burst) }

// SetEnforce24h turns the 24-hour window rule on or off.
func (s *Server) SetEnforce24h(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enforce24h = on
}

// OpenWindow records a message from number now without a webhook.
func (s *Server) OpenWindow(number string) { s.window.Record(number, s.now()) }

// SetProfileName sets the ProfileName inbound messages from number carry.
func (s *Server) SetProfileName(number, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[fakeprovider.Digits(number)] = name
}

// AddTemplate registers an approved Content template with bodyParams numbered
// variables ("1"…) and returns it; its SID is what ContentSid must name.
func (s *Server) AddTemplate(name, language, category string, bodyParams int, opts ...TemplateOption) Template {
	t := &Template{SID: "HX" + randomHex(16), Name: name, Language: language, Category: category, ApprovalStatus: "approved"}
	for i := 1; i <= bodyParams; i++ {
		t.Variables = append(t.Variables, fmt.Sprint(i))
	}
	for _, o := range opts {
		o(t)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates[t.SID] = t
	return *t
}

// OnMessage installs a scripted customer: fn sees every accepted message (after its
// status sequence, unless that failed) and, when it returns ok, the recipient answers
// with reply. nil removes it.
func (s *Server) OnMessage(fn func(Message) (reply string, ok bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onMessage = fn
}

// Sent returns every accepted message, oldest first.
func (s *Server) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.sent...)
}

// Deliveries returns every webhook request made, oldest first.
func (s *Server) Deliveries() []fakeprovider.Delivery { return s.courier.Deliveries() }

// Wait blocks until every pending status callback or reply has been delivered.
func (s *Server) Wait(ctx context.Context) error { return s.courier.Wait(ctx) }

// ---------------------------------------------------------------- HTTP

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, StoragePath) {
		s.serveStorage(w, r)
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.opts.AccountSID || pass != s.opts.AuthToken {
		Failure(CodeAuthenticate).write(w)
		return
	}
	prefix := "/" + APIVersion + "/Accounts/"
	rest, found := strings.CutPrefix(r.URL.Path, prefix)
	notFound := Failure(CodeNotFound).WithMessage("The requested resource %s was not found", r.URL.Path)
	if !found {
		notFound.write(w)
		return
	}
	if s.serveMedia(w, r, notFound) {
		return
	}
	switch {
	case r.Method == http.MethodGet && rest == s.opts.AccountSID+".json":
		s.account(w)
	case r.Method == http.MethodPost && rest == s.opts.AccountSID+"/Messages.json":
		s.send(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(rest, s.opts.AccountSID+"/Messages/") && strings.HasSuffix(rest, ".json"):
		sid := strings.TrimSuffix(strings.TrimPrefix(rest, s.opts.AccountSID+"/Messages/"), ".json")
		s.fetch(w, sid, notFound)
	default:
		notFound.write(w)
	}
}

func (s *Server) account(w http.ResponseWriter) {
	created := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC1123Z)
	writeJSON(w, http.StatusOK, map[string]any{
		"sid":               s.opts.AccountSID,
		"owner_account_sid": s.opts.AccountSID,
		"friendly_name":     "Switchboard Test",
		"status":            s.opts.AccountStatus,
		"type":              "Full",
		"date_created":      created,
		"date_updated":      created,
		"uri":               "/" + APIVersion + "/Accounts/" + s.opts.AccountSID + ".json",
	})
}

func (s *Server) fetch(w http.ResponseWriter, sid string, notFound Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.sent {
		if m.SID == sid {
			writeJSON(w, http.StatusOK, s.resource(m, s.state[sid]))
			return
		}
	}
	notFound.write(w)
}

var (
	whatsappAddress = regexp.MustCompile(`^whatsapp:\+[1-9][0-9]{6,14}$`)
	sidPattern      = regexp.MustCompile(`^[A-Z]{2}[0-9a-f]{32}$`)
)

func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(raw) > maxRequestBody {
		Failure(CodeInternal).WithMessage("request body too large").write(w)
		return
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		Failure(CodeInternal).WithMessage("invalid form body").write(w)
		return
	}
	to := form.Get("To")
	digits := fakeprovider.Digits(to)

	s.mu.Lock()
	var injected *Error
	if e, ok := s.failTo[digits]; ok && to != "" {
		injected = &e
	} else if len(s.failNext) > 0 {
		e := s.failNext[0]
		s.failNext = s.failNext[1:]
		injected = &e
	}
	enforce := s.enforce24h
	s.mu.Unlock()
	if injected != nil {
		injected.write(w)
		return
	}
	if !s.limiter.Allow() {
		Failure(CodeTooManyRequests).write(w)
		return
	}

	msg := Message{
		To: to, From: form.Get("From"), MessagingServiceSID: form.Get("MessagingServiceSid"),
		Body: form.Get("Body"), MediaURLs: form["MediaUrl"], ContentSID: form.Get("ContentSid"),
		PersistentAction: form["PersistentAction"], StatusCallback: form.Get("StatusCallback"), Form: form,
	}
	if e := s.check(&msg, form); e != nil {
		e.write(w)
		return
	}

	s.mu.Lock()
	steps := s.opts.Statuses
	if st, ok := s.statuses[digits]; ok {
		steps = st
	}
	s.mu.Unlock()
	if enforce && msg.ContentSID == "" && !s.window.Open(digits) {
		if !s.opts.WindowErrorAsync {
			Failure(CodeOutsideWindow).write(w)
			return
		}
		steps = []Step{{Status: Failed, ErrorCode: CodeOutsideWindow}}
	}

	msg.SID = "SM" + randomHex(16)
	msg.At = s.now()
	s.mu.Lock()
	s.sent = append(s.sent, msg)
	s.state[msg.SID] = Queued
	res := s.resource(msg, Queued)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, res)
	s.follow(msg, steps)
}

// check validates a send like Twilio does and fills msg.From for a messaging service.
func (s *Server) check(msg *Message, form url.Values) *Error {
	fail := func(code int, format string, args ...any) *Error {
		e := Failure(code)
		if format != "" {
			e = e.WithMessage(format, args...)
		}
		return &e
	}
	if msg.To == "" {
		return fail(CodeToRequired, "")
	}
	switch {
	case msg.MessagingServiceSID != "":
		if msg.MessagingServiceSID != s.opts.MessagingServiceSID {
			return fail(CodeInvalidService, "The Messaging Service Sid %s is invalid.", msg.MessagingServiceSID)
		}
		if msg.From == "" {
			msg.From = s.opts.Senders[0]
		}
	case msg.From == "":
		return fail(CodeFromRequired, "")
	}
	if !contains(s.opts.Senders, msg.From) {
		return fail(CodeNoChannelForFrom, "")
	}
	if !strings.HasPrefix(msg.To, "whatsapp:") {
		return fail(CodeChannelMismatch, "")
	}
	if !whatsappAddress.MatchString(msg.To) {
		return fail(CodeInvalidTo, "The 'To' number %s is not a valid phone number.", msg.To)
	}
	for _, u := range msg.MediaURLs {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fail(CodeInvalidMediaURL, "")
		}
	}
	if msg.ContentSID != "" {
		if !sidPattern.MatchString(msg.ContentSID) || !strings.HasPrefix(msg.ContentSID, "HX") {
			return fail(CodeInvalidContentSID, "")
		}
		s.mu.Lock()
		t, ok := s.templates[msg.ContentSID]
		s.mu.Unlock()
		if !ok || t.ApprovalStatus != "approved" {
			return fail(CodeInvalidContentSID, "")
		}
		vars := map[string]string{}
		if v := form.Get("ContentVariables"); v != "" {
			if err := json.Unmarshal([]byte(v), &vars); err != nil {
				return fail(CodeInvalidContentVars, "")
			}
		}
		if len(vars) != len(t.Variables) {
			return fail(CodeInvalidContentVars, "The ContentVariables Parameter is invalid: expected %d variables, got %d", len(t.Variables), len(vars))
		}
		for _, name := range t.Variables {
			if vars[name] == "" {
				return fail(CodeInvalidContentVars, "The ContentVariables Parameter is invalid: variable %q is missing", name)
			}
		}
		msg.ContentVariables = vars
		return nil
	}
	if msg.Body == "" && len(msg.MediaURLs) == 0 {
		return fail(CodeBodyRequired, "")
	}
	if utf8.RuneCountInString(msg.Body) > MaxBodyLength {
		return fail(CodeBodyTooLong, "")
	}
	return nil
}

// resource is the Message resource as the API returns it.
func (s *Server) resource(m Message, status string) map[string]any {
	date := m.At.UTC().Format(time.RFC1123Z)
	uri := "/" + APIVersion + "/Accounts/" + s.opts.AccountSID + "/Messages/" + m.SID + ".json"
	var mss any
	if m.MessagingServiceSID != "" {
		mss = m.MessagingServiceSID
	}
	return map[string]any{
		"sid":                   m.SID,
		"account_sid":           s.opts.AccountSID,
		"api_version":           APIVersion,
		"body":                  m.Body,
		"date_created":          date,
		"date_updated":          date,
		"date_sent":             nil,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  m.From,
		"to":                    m.To,
		"messaging_service_sid": mss,
		"num_media":             fmt.Sprint(len(m.MediaURLs)),
		"num_segments":          "1",
		"price":                 nil,
		"price_unit":            "USD",
		"status":                status,
		"uri":                   uri,
		"subresource_uris":      map[string]string{"media": strings.TrimSuffix(uri, ".json") + "/Media.json"},
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
