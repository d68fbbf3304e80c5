package twiliotest

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard/plugins/whatsapp/internal/fakeprovider"
)

// SignatureHeader carries base64(HMAC-SHA1(auth token, URL + sorted POST params)).
const SignatureHeader = "X-Twilio-Signature"

// Signature is the SignatureHeader value Twilio sends when it posts params to
// fullURL: the URL (with its query) followed by every POST parameter's name and value,
// sorted by name, keyed with the account's auth token.
func Signature(authToken, fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		for _, v := range params[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ErrNoWebhookURL is returned when the inbound or status URL is not set.
var ErrNoWebhookURL = errors.New("twiliotest: no webhook URL set")

// Inbound is a message from a customer for Inject.
type Inbound struct {
	From       string   // the customer: "+1555…" or "whatsapp:+1555…"
	To         string   // the sender it writes to (the first sender when empty)
	Name       string   // ProfileName ("Customer <last 4 digits>" when empty)
	Text       string   // Body
	MediaURLs  []string // MediaUrl0…
	MediaTypes []string // MediaContentType0…
	ReplyTo    string   // OriginalRepliedMessageSid
	// Media are attachments the fake keeps (Inject stores them, see AddMedia) and
	// lists after MediaURLs, with their types. InboundForm ignores them.
	Media []Media
	// Fields are extra form parameters (Latitude, Longitude, ButtonText, …); they
	// override the computed ones.
	Fields url.Values
}

// InjectInbound posts a text message from a customer to the inbound URL (signed,
// synchronously) and opens its 24-hour window; it returns the message sid.
func (s *Server) InjectInbound(from, text string) (string, error) {
	return s.Inject(context.Background(), Inbound{From: from, Text: text})
}

// Inject posts in to the inbound URL (signed, synchronously) and opens the sender's
// 24-hour window, also when the delivery fails; it returns the message sid.
func (s *Server) Inject(ctx context.Context, in Inbound) (string, error) {
	sid := "SM" + randomHex(16)
	if len(in.Media) > 0 {
		// A message with media is an MM…, its attachments are listed after
		// MediaURLs.
		sid = "MM" + sid[2:]
		urls := append([]string(nil), in.MediaURLs...)
		types := make([]string, len(urls), len(urls)+len(in.Media))
		copy(types, in.MediaTypes)
		for _, m := range in.Media {
			urls = append(urls, s.AddMedia(sid, m.ContentType, m.Data))
			types = append(types, m.ContentType)
		}
		for i := range types {
			if types[i] == "" {
				types[i] = defaultMediaType
			}
		}
		in.MediaURLs, in.MediaTypes = urls, types
	}
	s.window.Record(in.From, s.now())
	s.mu.Lock()
	u := s.inboundURL
	s.mu.Unlock()
	if u == "" {
		return sid, ErrNoWebhookURL
	}
	_, err := s.Deliver(ctx, "inbound", u, s.InboundForm(sid, in))
	return sid, err
}

// InboundForm is the form Twilio posts for a message from a customer.
func (s *Server) InboundForm(sid string, in Inbound) url.Values {
	digits := fakeprovider.Digits(in.From)
	to := in.To
	if to == "" {
		to = s.opts.Senders[0]
	}
	name := in.Name
	if name == "" {
		s.mu.Lock()
		name = s.names[digits]
		s.mu.Unlock()
	}
	if name == "" {
		name = "Customer " + digits[max(0, len(digits)-4):]
	}
	f := url.Values{
		"AccountSid":    {s.opts.AccountSID},
		"ApiVersion":    {APIVersion},
		"MessageSid":    {sid},
		"SmsMessageSid": {sid},
		"SmsSid":        {sid},
		"SmsStatus":     {"received"},
		"From":          {"whatsapp:+" + digits},
		"To":            {to},
		"WaId":          {digits},
		"ProfileName":   {name},
		"Body":          {in.Text},
		"NumSegments":   {"1"},
		"NumMedia":      {fmt.Sprint(len(in.MediaURLs))},
		"MessageType":   {"text"},
	}
	for i, u := range in.MediaURLs {
		f.Set(fmt.Sprintf("MediaUrl%d", i), u)
		typ := defaultMediaType
		if i < len(in.MediaTypes) {
			typ = in.MediaTypes[i]
		}
		f.Set(fmt.Sprintf("MediaContentType%d", i), typ)
		if i == 0 {
			f.Set("MessageType", strings.SplitN(typ, "/", 2)[0])
		}
	}
	if in.ReplyTo != "" {
		f.Set("OriginalRepliedMessageSid", in.ReplyTo)
		f.Set("OriginalRepliedMessageSender", to)
	}
	for k, v := range in.Fields {
		f[k] = v
	}
	return f
}

// StatusForm is the status callback form for m at step.
func (s *Server) StatusForm(m Message, step Step) url.Values {
	f := url.Values{
		"AccountSid":       {s.opts.AccountSID},
		"ApiVersion":       {APIVersion},
		"MessageSid":       {m.SID},
		"SmsSid":           {m.SID},
		"MessageStatus":    {step.Status},
		"SmsStatus":        {step.Status},
		"From":             {m.From},
		"To":               {m.To},
		"ChannelPrefix":    {"whatsapp"},
		"ChannelToAddress": {"+" + fakeprovider.Digits(m.To)},
	}
	if m.MessagingServiceSID != "" {
		f.Set("MessagingServiceSid", m.MessagingServiceSID)
	}
	if step.Status == Failed || step.Status == Undelivered {
		code := step.ErrorCode
		if code == 0 {
			code = CodeMessageUndelivered
		}
		f.Set("ErrorCode", fmt.Sprint(code))
	}
	return f
}

// SignedHeader is the header of a webhook request posting form to u.
func (s *Server) SignedHeader(u string, form url.Values) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	h.Set("User-Agent", "TwilioProxy/1.1")
	h.Set("I-Twilio-Idempotency-Token", randomHex(16))
	h.Set(SignatureHeader, Signature(s.opts.AuthToken, u, form))
	return h
}

// Deliver posts form to u, signed, now; the error is non-nil unless u answered 2xx.
func (s *Server) Deliver(ctx context.Context, purpose, u string, form url.Values) (fakeprovider.Delivery, error) {
	return s.courier.Post(ctx, purpose, u, s.SignedHeader(u, form), []byte(form.Encode()))
}

// follow reports m's statuses in the background and then lets the scripted customer
// answer.
func (s *Server) follow(m Message, steps []Step) {
	s.courier.Go(func(ctx context.Context) {
		if s.opts.FetchLinks && len(m.MediaURLs) > 0 && !s.fetchMedia(ctx, m) {
			steps = []Step{{Status: Failed, ErrorCode: CodeMediaDownload}}
		}
		for _, st := range steps {
			d := st.Delay
			if d == 0 {
				d = s.opts.StatusDelay
			}
			if !fakeprovider.Sleep(ctx, d) {
				return
			}
			s.mu.Lock()
			s.state[m.SID] = st.Status
			u := m.StatusCallback
			if u == "" {
				u = s.statusURL
			}
			s.mu.Unlock()
			if u != "" {
				_, _ = s.Deliver(ctx, "status", u, s.StatusForm(m, st))
			}
			if st.Status == Failed || st.Status == Undelivered {
				return
			}
		}
		s.mu.Lock()
		fn := s.onMessage
		s.mu.Unlock()
		if fn == nil {
			return
		}
		reply, ok := fn(m)
		if !ok || !fakeprovider.Sleep(ctx, s.opts.ReplyDelay) {
			return
		}
		_, _ = s.Inject(ctx, Inbound{From: m.To, To: m.From, Text: reply, ReplyTo: m.SID})
	})
}
