// Package cloudapitest is a fake WhatsApp Cloud API (Meta Graph API) on httptest, for
// the whatsapp plugin's tests, the pipeline's tests and benchmarks, and the local demo.
//
// It serves, under any version prefix (/v21.0/…):
//
//	GET  /{version}/{phone_number_id}                  the business number
//	GET  /{version}/{waba_id}                          the business account
//	GET  /{version}/{waba_id}/message_templates        templates, paged (limit, after)
//	POST /{version}/{phone_number_id}/messages         send, or mark read
//	GET  /{version}/{media-id}                         a customer's media: its download URL
//	GET  /whatsapp_business/attachments/?mid=…         the download (Meta's lookaside host)
//
// and behaves like the real API: Bearer token checked (401, code 190), bodies
// validated (missing to, text over 4096 characters, unknown template 132001, wrong
// template parameters 132000, invalid number 131026), the 24-hour window enforced when
// asked (131047), sends throttled at a set rate (HTTP 429, 130429), ids shaped like
// the real ones (wamid.…), recipients named by their WhatsApp id (wa_id), which for a
// Mexican number is not the number sent to (see WaID). Accepted messages are recorded
// (Sent) and answered by webhook requests signed with the app secret
// (X-Hub-Signature-256), delivered asynchronously to the webhook URL: a status
// sequence (sent, delivered, read by default) and, with OnMessage, the customer's
// reply. InjectInbound delivers a message from a customer; AddMedia keeps the media
// an inbound image, voice note or document names, and ExpireMedia makes them gone, as
// after Meta's 30 days. Every method is safe for concurrent use.
//
// A Server is one Meta app: one app secret, one access token, one webhook URL. Its
// first business number is Options.PhoneNumberID; AddNumber gives it more, as a
// business (or a reseller serving several) has under one app. Each number sends
// (POST /{its id}/messages) and is described (GET /{its id}) on its own, and every
// webhook request about any of them goes, signed with the one app secret, to the one
// webhook URL, its value.metadata naming the number (phone_number_id,
// display_phone_number): statuses of a number's sends, its customers' replies, and
// InjectFor's messages to it. So a test of two connections (two numbers) under one
// app points both connections' configs at the one server, with their own
// phone_number_id and the same app secret, sets the webhook URL to the first
// connection's hook, and injects for the second number:
//
//	srv := cloudapitest.NewTest(t, cloudapitest.Options{WebhookURL: firstHookURL})
//	srv.AddNumber("106540352242923", "15550783882") // the second connection's number
//	srv.InjectFor(ctx, "106540352242923", cloudapitest.Inbound{From: customer, Text: "hi"})
//
// The request reaches the first connection's hook; the plugin answers it with no
// events and, in OtherAddresses, "+15550783882", whose connection the host then
// offers it to. Recipients' settings (SetStatuses, FailTo, SetWaID, profile names)
// and templates are the app's, shared by its numbers; a customer's 24-hour window is
// per number, as Meta's.
package cloudapitest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/plugins/whatsapp/internal/fakeprovider"
)

// Defaults for Options fields left empty.
const (
	DefaultPhoneNumberID      = "106540352242922"
	DefaultDisplayPhoneNumber = "15550783881"
	DefaultVerifiedName       = "Switchboard Test"
	DefaultWABAID             = "102290129340398"
	DefaultAccessToken        = "EAAJtest0access0token"
	DefaultAppSecret          = "test-app-secret"
	DefaultTemplatePageSize   = 25
)

// Limits the API enforces.
const (
	MaxTextLength    = 4096
	MaxCaptionLength = 1024
	maxRequestBody   = 1 << 20
)

// Status values of a sent message.
const (
	Sent      = "sent"
	Delivered = "delivered"
	Read      = "read"
	Failed    = "failed"
)

// Step is one status webhook the fake sends about an accepted message: after Delay (or
// Options.StatusDelay when Delay is 0), Status; a failed step carries Error and ends
// the sequence.
type Step struct {
	Status string
	Delay  time.Duration
	Error  Error // for Failed: Code and Title() become statuses[].errors[]
}

// FailedStep is a failed status with the API's error for code.
func FailedStep(code int) Step {
	return Step{Status: Failed, Error: Failure(code)}
}

// DefaultStatuses is sent, delivered, read.
var DefaultStatuses = []Step{{Status: Sent}, {Status: Delivered}, {Status: Read}}

// Options configure a Server; the zero value works.
type Options struct {
	// Addr is the listen address (default 127.0.0.1:0, a free port).
	Addr string

	PhoneNumberID      string
	DisplayPhoneNumber string // digits, as webhooks carry it
	VerifiedName       string
	WABAID             string
	AccessToken        string // the only token accepted
	AppSecret          string // signs webhook requests

	// WebhookURL receives statuses and inbound messages; empty means none are sent
	// (SetWebhookURL can set it later).
	WebhookURL string
	// Statuses is the sequence for every accepted message (DefaultStatuses when nil);
	// SetStatuses overrides it per recipient.
	Statuses []Step
	// StatusDelay is the wait before each status webhook whose Step.Delay is 0.
	StatusDelay time.Duration
	// ReplyDelay is the wait between the last status and an OnMessage reply.
	ReplyDelay time.Duration

	// Enforce24h refuses free-form messages (not templates) to numbers that have not
	// written in the last 24 hours with 131047. WindowErrorAsync accepts them instead
	// and reports a failed status with 131047, as the API sometimes does.
	Enforce24h       bool
	WindowErrorAsync bool

	// FetchLinks downloads the media of every message sent by link, as the Cloud API
	// does once it accepted the message: a link that does not answer 200 with a
	// supported type of the message's kind, within the kind's size, fails the message
	// with a status of 131053. Off, links are taken as they are.
	FetchLinks bool

	// RateLimit is the send throughput in messages a second (0: unlimited) with Burst
	// (default max(1, RateLimit)); over it sends get HTTP 429 with code 130429.
	RateLimit float64
	Burst     int

	// TemplatePageSize is the default page size of message_templates (25).
	TemplatePageSize int

	// HTTPClient makes webhook requests (default: 10-second timeout).
	HTTPClient *http.Client
	// Now is the fake's clock (time.Now by default), for the 24-hour window and
	// timestamps.
	Now func() time.Time
}

// Number is one of the app's business phone numbers.
type Number struct {
	PhoneNumberID      string
	DisplayPhoneNumber string // digits, as webhooks carry it
}

// Message is a message the fake accepted.
type Message struct {
	ID            string
	PhoneNumberID string // the app's number it was sent from
	To            string // as the request gave it
	WaID          string // the recipient's WhatsApp id (see Server.WaID)
	Type          string // text | image | video | audio | document | sticker | location | reaction | template | interactive | contacts
	Text          string // text body, media caption, reaction emoji or location name
	Request       SendRequest
	Payload       json.RawMessage // the raw request body
	At            time.Time
}

// SendRequest is the body of POST /{phone_number_id}/messages.
type SendRequest struct {
	MessagingProduct string          `json:"messaging_product"`
	RecipientType    string          `json:"recipient_type,omitempty"`
	To               string          `json:"to,omitempty"`
	Type             string          `json:"type,omitempty"`
	Context          *ContextObject  `json:"context,omitempty"`
	Text             *TextObject     `json:"text,omitempty"`
	Image            *MediaObject    `json:"image,omitempty"`
	Video            *MediaObject    `json:"video,omitempty"`
	Audio            *MediaObject    `json:"audio,omitempty"`
	Document         *MediaObject    `json:"document,omitempty"`
	Sticker          *MediaObject    `json:"sticker,omitempty"`
	Location         *LocationObject `json:"location,omitempty"`
	Reaction         *ReactionObject `json:"reaction,omitempty"`
	Template         *TemplateObject `json:"template,omitempty"`
	Interactive      json.RawMessage `json:"interactive,omitempty"`
	Contacts         json.RawMessage `json:"contacts,omitempty"`
	// Status "read" with MessageID marks an inbound message read.
	Status    string `json:"status,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

// ContextObject quotes an earlier message.
type ContextObject struct {
	MessageID string `json:"message_id"`
}

// TextObject is a text message.
type TextObject struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

// MediaObject is an image, video, audio, document or sticker by id or link.
type MediaObject struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// LocationObject is a location pin.
type LocationObject struct {
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
	Name      string   `json:"name,omitempty"`
	Address   string   `json:"address,omitempty"`
}

// ReactionObject is an emoji on a message (empty emoji removes it).
type ReactionObject struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
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
	webhookURL string
	enforce24h bool
	statuses   map[string][]Step // by recipient wa_id
	failNext   []Error
	failTo     map[string]Error // by recipient wa_id
	templates  []*Template
	names      map[string]string // profile names by wa_id
	waIDs      map[string]string // wa_ids set with SetWaID, by the digits of the number
	sent       []Message
	reads      []string
	onMessage  func(Message) (string, bool)
	seq        int
	media      map[string]*storedMedia // customers' media by id
	mediaKey   []byte                  // signs download URLs
	numbers    []Number                // AddNumber's, in order
	fetched    map[string]FetchedMedia // by message id, with Options.FetchLinks
}

// New returns an unstarted fake with opts' empty fields defaulted.
func New(opts Options) *Server {
	if opts.PhoneNumberID == "" {
		opts.PhoneNumberID = DefaultPhoneNumberID
	}
	if opts.DisplayPhoneNumber == "" {
		opts.DisplayPhoneNumber = DefaultDisplayPhoneNumber
	}
	if opts.VerifiedName == "" {
		opts.VerifiedName = DefaultVerifiedName
	}
	if opts.WABAID == "" {
		opts.WABAID = DefaultWABAID
	}
	if opts.AccessToken == "" {
		opts.AccessToken = DefaultAccessToken
	}
	if opts.AppSecret == "" {
		opts.AppSecret = DefaultAppSecret
	}
	if opts.Statuses == nil {
		opts.Statuses = DefaultStatuses
	}
	if opts.TemplatePageSize <= 0 {
		opts.TemplatePageSize = DefaultTemplatePageSize
	}
	now := fakeprovider.Clock(opts.Now)
	s := &Server{
		opts:       opts,
		now:        now,
		limiter:    fakeprovider.NewLimiter(opts.RateLimit, opts.Burst, now),
		window:     fakeprovider.NewWindow(now),
		courier:    fakeprovider.NewCourier(opts.HTTPClient, now),
		webhookURL: opts.WebhookURL,
		enforce24h: opts.Enforce24h,
		statuses:   map[string][]Step{},
		failTo:     map[string]Error{},
		names:      map[string]string{},
		waIDs:      map[string]string{},
		media:      map[string]*storedMedia{},
		mediaKey:   make([]byte, 32),
		fetched:    map[string]FetchedMedia{},
	}
	_, _ = rand.Read(s.mediaKey)
	return s
}

// Start listens on Options.Addr (a free loopback port by default), starts serving and
// returns s. It panics if it cannot listen, like httptest.
func (s *Server) Start() *Server {
	s.http.Start("cloudapitest", s.opts.Addr, http.HandlerFunc(s.serveHTTP))
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

// AddNumber gives the app another business number, phoneNumberID (digits, not the
// first number's) showing as displayPhoneNumber (digits, as webhooks carry it; a "+"
// or blanks are dropped); adding a number again changes its display number. The
// number then sends and is described like the first, and webhooks about it, to the
// same webhook URL with the same app secret, name it in their metadata (see the
// package comment and InjectFor). It panics for an empty phoneNumberID or
// displayPhoneNumber, or the first number's id.
func (s *Server) AddNumber(phoneNumberID, displayPhoneNumber string) {
	display := fakeprovider.Digits(displayPhoneNumber)
	if phoneNumberID == "" || display == "" || phoneNumberID == s.opts.PhoneNumberID {
		panic(fmt.Sprintf("cloudapitest: AddNumber(%q, %q): want another number's id and display number", phoneNumberID, displayPhoneNumber))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, n := range s.numbers {
		if n.PhoneNumberID == phoneNumberID {
			s.numbers[i].DisplayPhoneNumber = display
			return
		}
	}
	s.numbers = append(s.numbers, Number{PhoneNumberID: phoneNumberID, DisplayPhoneNumber: display})
}

// Numbers returns the app's business numbers: the first (Options') and then
// AddNumber's, in the order added.
func (s *Server) Numbers() []Number {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Number{s.primary()}, s.numbers...)
}

// primary is the app's first number, Options'.
func (s *Server) primary() Number {
	return Number{PhoneNumberID: s.opts.PhoneNumberID, DisplayPhoneNumber: s.opts.DisplayPhoneNumber}
}

// number is the app's number with id, if it has one.
func (s *Server) number(id string) (Number, bool) {
	if id == s.opts.PhoneNumberID {
		return s.primary(), true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.numbers {
		if n.PhoneNumberID == id {
			return n, true
		}
	}
	return Number{}, false
}

func (s *Server) mustNumber(id string) Number {
	n, ok := s.number(id)
	if !ok {
		panic(fmt.Sprintf("cloudapitest: %q is not one of the app's phone numbers (AddNumber it)", id))
	}
	return n
}

// windowKey is what a customer's 24-hour window with num is kept by: their wa_id for
// the first number (OpenWindow's), and number and wa_id for the others.
func (s *Server) windowKey(num Number, waID string) string {
	if num.PhoneNumberID == s.opts.PhoneNumberID {
		return waID
	}
	return num.PhoneNumberID + "/" + waID
}

// SetWebhookURL sets where webhook requests go ("" stops them).
func (s *Server) SetWebhookURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL = u
}

// WaID is the WhatsApp id (wa_id) of number, as Meta gives it in a send's answer and
// webhooks carry it: its digits, except that a Mexican mobile number sent to as 52 and
// 10 digits is 521 and the same 10 digits (the form WhatsApp accounts in Mexico were
// registered with), or what SetWaID set for it. Everything the fake keeps by
// recipient (statuses, failures, windows, profile names) is kept by wa_id, so either
// form of a number reaches the same customer.
func (s *Server) WaID(number string) string {
	d := fakeprovider.Digits(number)
	s.mu.Lock()
	id, ok := s.waIDs[d]
	s.mu.Unlock()
	switch {
	case ok:
		return id
	case len(d) == 12 && strings.HasPrefix(d, "52"):
		return "521" + d[2:]
	}
	return d
}

// SetWaID makes waID the WhatsApp id of number, as Meta does for the numbers it
// canonicalises (a Brazilian mobile registered before the ninth digit: sent to as 55
// 11 9xxxx-xxxx, wa_id 55 11 xxxx-xxxx). Call it before anything else about number.
func (s *Server) SetWaID(number, waID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waIDs[fakeprovider.Digits(number)] = fakeprovider.Digits(waID)
}

// SetStatuses sets the status sequence for messages to number, or for everyone when
// number is "". No steps means no status webhooks.
func (s *Server) SetStatuses(number string, steps ...Step) {
	var waID string
	if number != "" {
		waID = s.WaID(number)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if steps == nil {
		steps = []Step{}
	}
	if number == "" {
		s.opts.Statuses = steps
		return
	}
	s.statuses[waID] = steps
}

// MarkUndeliverable makes messages to these numbers accepted and then failed with
// 131026, as for a number that is not on WhatsApp.
func (s *Server) MarkUndeliverable(numbers ...string) {
	for _, n := range numbers {
		s.SetStatuses(n, Step{Status: Failed, Error: Failure(CodeUndeliverable)})
	}
}

// FailNext makes the next sends (any recipient) fail with errs, in order.
func (s *Server) FailNext(errs ...Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, errs...)
}

// FailTo makes every send to number fail with e until ClearFailures.
func (s *Server) FailTo(number string, e Error) {
	waID := s.WaID(number)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failTo[waID] = e
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

// OpenWindow records a message from number at the fake's now without delivering a
// webhook, opening its 24-hour window.
func (s *Server) OpenWindow(number string) { s.window.Record(s.WaID(number), s.now()) }

// SetProfileName sets the name webhooks give for number (default "Customer <last 4
// digits>").
func (s *Server) SetProfileName(number, name string) {
	waID := s.WaID(number)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[waID] = name
}

// AddTemplate registers a template (APPROVED unless WithStatus says otherwise) with
// bodyParams positional body parameters, and returns it.
func (s *Server) AddTemplate(name, language, category string, bodyParams int, opts ...TemplateOption) Template {
	t := &Template{Name: name, Language: language, Category: category, BodyParams: bodyParams}
	for _, o := range opts {
		o(t)
	}
	t.defaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	t.ID = strconv.Itoa(900000000000000 + s.seq)
	s.templates = append(s.templates, t)
	return *t
}

// Templates returns the registered templates.
func (s *Server) Templates() []Template {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Template, len(s.templates))
	for i, t := range s.templates {
		out[i] = *t
	}
	return out
}

// OnMessage installs a scripted customer: fn sees every accepted message (after its
// status sequence, unless that failed) and, when it returns ok, the recipient answers
// with reply as an inbound message. nil removes it.
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

// Reads returns the ids of messages marked read, oldest first.
func (s *Server) Reads() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reads...)
}

// Deliveries returns every webhook request made, oldest first.
func (s *Server) Deliveries() []fakeprovider.Delivery { return s.courier.Deliveries() }

// Wait blocks until every pending status or reply webhook has been delivered.
func (s *Server) Wait(ctx context.Context) error { return s.courier.Wait(ctx) }

// ---------------------------------------------------------------- HTTP

var versionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		Failure(CodeAccessToken).write(w)
		return
	}
	if r.URL.Path == LookasidePath {
		s.download(w, r)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || !versionPattern.MatchString(parts[0]) {
		Failure(CodeInvalidParameter).WithDetails("Unknown path components: %s", r.URL.Path).write(w)
		return
	}
	id, rest := parts[1], parts[2:]
	media, isMedia := s.liveMedia(id)
	num, isNumber := s.number(id)
	switch {
	case r.Method == http.MethodGet && len(rest) == 0 && isNumber:
		writeJSON(w, http.StatusOK, map[string]any{
			"id":                       num.PhoneNumberID,
			"display_phone_number":     displayNumber(num.DisplayPhoneNumber),
			"verified_name":            s.opts.VerifiedName,
			"code_verification_status": "VERIFIED",
			"quality_rating":           "GREEN",
			"platform_type":            "CLOUD_API",
			"throughput":               map[string]string{"level": "STANDARD"},
		})
	case r.Method == http.MethodGet && len(rest) == 0 && id == s.opts.WABAID:
		writeJSON(w, http.StatusOK, map[string]any{
			"id": s.opts.WABAID, "name": s.opts.VerifiedName, "currency": "USD",
			"timezone_id": "1", "message_template_namespace": "c8ae5f90_307a_ca4c_b8f6_d1e2a2573574",
		})
	case r.Method == http.MethodGet && len(rest) == 1 && rest[0] == "message_templates" && id == s.opts.WABAID:
		s.listTemplates(w, r)
	case r.Method == http.MethodPost && len(rest) == 1 && rest[0] == "messages" && isNumber:
		s.send(w, r, num)
	case r.Method == http.MethodGet && len(rest) == 0 && isMedia:
		s.describeMedia(w, id, media)
	default:
		e := Failure(CodeInvalidParameter)
		e.Subcode, e.Type = SubcodeNoSuchObject, "GraphMethodException"
		e.Message = fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", strings.ToLower(r.Method), id)
		e.write(w)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	token := r.URL.Query().Get("access_token")
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, t, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return false
		}
		token = strings.TrimSpace(t)
	}
	return token != "" && token == s.opts.AccessToken
}

func displayNumber(digits string) string {
	if len(digits) == 11 && digits[0] == '1' {
		return fmt.Sprintf("+1 %s-%s-%s", digits[1:4], digits[4:7], digits[7:])
	}
	return "+" + digits
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := s.opts.TemplatePageSize
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = v
	}
	start := 0
	if after := q.Get("after"); after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			Failure(CodeInvalidParameter).WithDetails("invalid after cursor").write(w)
			return
		}
		start = n
	}
	var statuses []string
	if v := q.Get("status"); v != "" {
		statuses = strings.Split(strings.ToUpper(v), ",")
	}
	s.mu.Lock()
	var all []Template
	for _, t := range s.templates {
		if name := q.Get("name"); name != "" && !strings.Contains(t.Name, name) {
			continue
		}
		if statuses != nil && !contains(statuses, t.Status) {
			continue
		}
		all = append(all, *t)
	}
	s.mu.Unlock()

	data := []map[string]any{}
	end := min(start+limit, len(all))
	for i := start; i < end; i++ {
		data = append(data, all[i].listing())
	}
	cursor := func(n int) string { return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(n))) }
	resp := map[string]any{"data": data}
	if len(data) > 0 {
		paging := map[string]any{"cursors": map[string]string{"before": cursor(start), "after": cursor(end)}}
		if end < len(all) {
			nq := r.URL.Query()
			nq.Set("after", cursor(end))
			nq.Set("limit", strconv.Itoa(limit))
			// As Meta does: the next page's link carries the access token, whichever
			// way the request was authenticated.
			nq.Set("access_token", strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			paging["next"] = s.URL() + r.URL.Path + "?" + nq.Encode()
		}
		resp["paging"] = paging
	}
	writeJSON(w, http.StatusOK, resp)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}

var phonePattern = regexp.MustCompile(`^\+?[0-9]{7,15}$`)

func (s *Server) send(w http.ResponseWriter, r *http.Request, num Number) {
	payload, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(payload) > maxRequestBody {
		Failure(CodeInvalidParameter).WithDetails("request body too large").write(w)
		return
	}
	var req SendRequest
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&req); err != nil {
		Failure(CodeInvalidParameter).WithDetails("Invalid JSON: %v", err).write(w)
		return
	}
	if req.MessagingProduct != "whatsapp" {
		Failure(CodeInvalidParameter).WithDetails("The parameter messaging_product is required and must be whatsapp.").write(w)
		return
	}
	if req.Status != "" {
		s.markRead(w, req)
		return
	}
	if req.To == "" {
		Failure(CodeInvalidParameter).WithDetails("The parameter to is required.").write(w)
		return
	}
	waID := s.WaID(req.To)

	s.mu.Lock()
	var injected *Error
	if e, ok := s.failTo[waID]; ok {
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
		Failure(CodeThroughput).write(w)
		return
	}

	msg := Message{PhoneNumberID: num.PhoneNumberID, To: req.To, WaID: waID, Type: req.Type, Request: req, Payload: payload}
	if e := checkMessage(&req, &msg); e != nil {
		e.write(w)
		return
	}
	if req.Type == "template" {
		s.mu.Lock()
		e := checkTemplate(s.templates, req.Template)
		s.mu.Unlock()
		if e != nil {
			e.write(w)
			return
		}
	}
	if !phonePattern.MatchString(strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(req.To)) {
		Failure(CodeUndeliverable).WithDetails("The recipient phone number %q is not a valid phone number.", req.To).write(w)
		return
	}

	s.mu.Lock()
	steps := s.opts.Statuses
	if st, ok := s.statuses[waID]; ok {
		steps = st
	}
	s.mu.Unlock()
	if enforce && req.Type != "template" && !s.window.Open(s.windowKey(num, waID)) {
		if !s.opts.WindowErrorAsync {
			Failure(CodeReEngagement).write(w)
			return
		}
		steps = []Step{{Status: Failed, Error: Failure(CodeReEngagement)}}
	}

	msg.ID = newWAMID(waID)
	msg.At = s.now()
	s.mu.Lock()
	s.sent = append(s.sent, msg)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []map[string]string{{"input": req.To, "wa_id": waID}},
		"messages":          []map[string]string{{"id": msg.ID, "message_status": "accepted"}},
	})
	s.follow(num, msg, steps)
}

// checkMessage validates the type-specific part of a send and fills msg.Text.
func checkMessage(req *SendRequest, msg *Message) *Error {
	bad := func(format string, args ...any) *Error {
		e := Failure(CodeInvalidParameter).WithDetails(format, args...)
		return &e
	}
	media := func(m *MediaObject, captions bool) *Error {
		if m == nil {
			return bad("The parameter %s is required.", req.Type)
		}
		if (m.ID == "") == (m.Link == "") {
			return bad("Param %s must have exactly one of id or link.", req.Type)
		}
		if m.Link != "" {
			if u, err := url.Parse(m.Link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return bad("Param %s['link'] is not a valid URI.", req.Type)
			}
		}
		if m.Caption != "" && !captions {
			return bad("Param %s['caption'] is not supported for this media type.", req.Type)
		}
		if utf8.RuneCountInString(m.Caption) > MaxCaptionLength {
			return bad("Param %s['caption'] must be at most %d characters long.", req.Type, MaxCaptionLength)
		}
		msg.Text = m.Caption
		return nil
	}
	switch req.Type {
	case "text":
		if req.Text == nil || req.Text.Body == "" {
			return bad("The parameter text['body'] is required.")
		}
		if utf8.RuneCountInString(req.Text.Body) > MaxTextLength {
			return bad("Param text['body'] must be at most %d characters long.", MaxTextLength)
		}
		msg.Text = req.Text.Body
	case "image":
		return media(req.Image, true)
	case "video":
		return media(req.Video, true)
	case "document":
		return media(req.Document, true)
	case "audio":
		return media(req.Audio, false)
	case "sticker":
		return media(req.Sticker, false)
	case "location":
		l := req.Location
		if l == nil || l.Latitude == nil || l.Longitude == nil {
			return bad("The parameters location['latitude'] and location['longitude'] are required.")
		}
		if *l.Latitude < -90 || *l.Latitude > 90 || *l.Longitude < -180 || *l.Longitude > 180 {
			return bad("Param location latitude/longitude out of range.")
		}
		msg.Text = l.Name
	case "reaction":
		if req.Reaction == nil || req.Reaction.MessageID == "" {
			return bad("The parameter reaction['message_id'] is required.")
		}
		msg.Text = req.Reaction.Emoji
	case "template":
		if req.Template == nil {
			return bad("The parameter template is required.")
		}
	case "interactive", "contacts":
		if len(req.Interactive) == 0 && len(req.Contacts) == 0 {
			return bad("The parameter %s is required.", req.Type)
		}
	case "":
		return bad("The parameter type is required.")
	default:
		return bad("Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO} - got %q.", req.Type)
	}
	return nil
}

func (s *Server) markRead(w http.ResponseWriter, req SendRequest) {
	if req.Status != "read" {
		Failure(CodeInvalidParameter).WithDetails("Param status must be read.").write(w)
		return
	}
	if req.MessageID == "" {
		Failure(CodeInvalidParameter).WithDetails("The parameter message_id is required.").write(w)
		return
	}
	s.mu.Lock()
	s.reads = append(s.reads, req.MessageID)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// newWAMID returns an id shaped like the API's: "wamid." and base64 of a
// protobuf-like record holding the recipient and a random hex id.
func newWAMID(waID string) string {
	r := make([]byte, 9)
	_, _ = rand.Read(r)
	var b bytes.Buffer
	b.Write([]byte{0x1c, 0x18, byte(len(waID))})
	b.WriteString(waID)
	b.Write([]byte{0x15, 0x02, 0x00, 0x11, 0x18, 0x12})
	b.WriteString(strings.ToUpper(hex.EncodeToString(r)))
	b.WriteByte(0)
	return "wamid." + base64.RawStdEncoding.EncodeToString(b.Bytes())
}
