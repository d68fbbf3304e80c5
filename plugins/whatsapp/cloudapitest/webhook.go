package cloudapitest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/plugins/whatsapp/internal/fakeprovider"
)

// SignatureHeader carries "sha256=<lowercase hex HMAC-SHA256(app secret, body)>".
const SignatureHeader = "X-Hub-Signature-256"

// Sign returns the SignatureHeader value for body.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// ErrNoWebhookURL is returned by deliveries when no webhook URL is set.
var ErrNoWebhookURL = errors.New("cloudapitest: no webhook URL set")

// ErrUnknownNumber is returned by InjectFor for a phone number id that is not one of
// the app's numbers.
var ErrUnknownNumber = errors.New("cloudapitest: not one of the app's phone numbers")

// Inbound is a message from a customer for Inject.
type Inbound struct {
	From    string // the customer's number; webhooks give its wa_id (see Server.WaID)
	Name    string // profile name (SetProfileName's or "Customer <last 4 digits>" when empty)
	Type    string // "text" when empty
	Text    string // the text of a text message
	ReplyTo string // context.id: the message it answers
	// Fields is merged into the message object: the type-specific part of anything
	// but text, e.g. {"image": {"id": "…", "mime_type": "image/jpeg"}}.
	Fields map[string]any
}

// InjectInbound delivers a text message from a customer to the webhook URL (signed,
// synchronously) and opens its 24-hour window; it returns the message id.
func (s *Server) InjectInbound(from, text string) (string, error) {
	return s.Inject(context.Background(), Inbound{From: from, Text: text})
}

// Inject delivers in, a message to the app's first number (Options.PhoneNumberID), to
// the webhook URL (signed, synchronously) and opens the sender's 24-hour window, also
// when the delivery fails; it returns the message id.
func (s *Server) Inject(ctx context.Context, in Inbound) (string, error) {
	return s.InjectFor(ctx, s.opts.PhoneNumberID, in)
}

// InjectFor is Inject for a message to the app's number phoneNumberID: the first one
// (Options.PhoneNumberID) or one added with AddNumber. The request goes, signed with
// the app secret, to the app's one webhook URL, whichever connection's hook that is,
// and its value.metadata names that number. An unknown number is ErrUnknownNumber,
// and nothing is delivered.
func (s *Server) InjectFor(ctx context.Context, phoneNumberID string, in Inbound) (string, error) {
	num, ok := s.number(phoneNumberID)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownNumber, phoneNumberID)
	}
	waID := s.WaID(in.From)
	id := newWAMID(waID)
	now := s.now()
	s.window.Record(s.windowKey(num, waID), now)
	body := s.inboundBody(num, id, now, in)
	_, err := s.Deliver(ctx, "inbound", body)
	return id, err
}

// InboundBody is the webhook body for a message from a customer to the app's first
// number.
func (s *Server) InboundBody(id string, at time.Time, in Inbound) []byte {
	return s.inboundBody(s.primary(), id, at, in)
}

// InboundBodyFor is the webhook body for a message from a customer to the app's number
// phoneNumberID (see InjectFor). It panics for an unknown number.
func (s *Server) InboundBodyFor(phoneNumberID, id string, at time.Time, in Inbound) []byte {
	return s.inboundBody(s.mustNumber(phoneNumberID), id, at, in)
}

func (s *Server) inboundBody(num Number, id string, at time.Time, in Inbound) []byte {
	waID := s.WaID(in.From)
	typ := in.Type
	if typ == "" {
		typ = "text"
	}
	m := map[string]any{}
	for k, v := range in.Fields {
		m[k] = v
	}
	m["from"], m["id"], m["timestamp"], m["type"] = waID, id, strconv.FormatInt(at.Unix(), 10), typ
	if typ == "text" {
		m["text"] = map[string]string{"body": in.Text}
	}
	if in.ReplyTo != "" {
		m["context"] = map[string]string{"from": num.DisplayPhoneNumber, "id": in.ReplyTo}
	}
	name := in.Name
	if name == "" {
		name = s.profileName(waID)
	}
	return s.envelope(num, map[string]any{
		"contacts": []map[string]any{{"profile": map[string]string{"name": name}, "wa_id": waID}},
		"messages": []map[string]any{m},
	})
}

// StatusBody is the webhook body reporting step for message id sent to waID from the
// app's first number.
func (s *Server) StatusBody(id, waID string, at time.Time, step Step) []byte {
	return s.statusBody(s.primary(), id, waID, at, step)
}

// StatusBodyFor is StatusBody for a message sent from the app's number phoneNumberID
// (see InjectFor). It panics for an unknown number.
func (s *Server) StatusBodyFor(phoneNumberID, id, waID string, at time.Time, step Step) []byte {
	return s.statusBody(s.mustNumber(phoneNumberID), id, waID, at, step)
}

func (s *Server) statusBody(num Number, id, waID string, at time.Time, step Step) []byte {
	st := map[string]any{
		"id":           id,
		"status":       step.Status,
		"timestamp":    strconv.FormatInt(at.Unix(), 10),
		"recipient_id": waID,
	}
	if step.Status == Failed {
		e := step.Error
		if e.Code == 0 {
			e = Failure(CodeUndeliverable)
		}
		details := e.Details
		if details == "" {
			details = e.Title()
		}
		st["errors"] = []map[string]any{{
			"code":       e.Code,
			"title":      e.Title(),
			"message":    e.Title(),
			"error_data": map[string]string{"details": details},
			"href":       "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
		}}
	} else {
		st["conversation"] = map[string]any{"id": convID(waID), "origin": map[string]string{"type": "service"}}
		st["pricing"] = map[string]any{"billable": true, "pricing_model": "PMP", "category": "service"}
	}
	return s.envelope(num, map[string]any{"statuses": []map[string]any{st}})
}

func convID(waID string) string {
	sum := sha256.Sum256([]byte(waID))
	return hex.EncodeToString(sum[:16])
}

func (s *Server) envelope(num Number, value map[string]any) []byte {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]string{
		"display_phone_number": num.DisplayPhoneNumber,
		"phone_number_id":      num.PhoneNumberID,
	}
	b, err := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []map[string]any{{
			"id":      s.opts.WABAID,
			"changes": []map[string]any{{"value": value, "field": "messages"}},
		}},
	})
	if err != nil {
		panic(err) // plain values only
	}
	return b
}

func (s *Server) profileName(waID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.names[waID]; ok {
		return n
	}
	last := waID
	if len(last) > 4 {
		last = last[len(last)-4:]
	}
	return "Customer " + last
}

// SignedHeader is the header of a webhook request carrying body.
func (s *Server) SignedHeader(body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "facebookexternalua")
	h.Set(SignatureHeader, Sign(s.opts.AppSecret, body))
	return h
}

// Deliver signs body with the app secret and posts it to the webhook URL now; the
// error is non-nil unless the receiver answered 2xx.
func (s *Server) Deliver(ctx context.Context, purpose string, body []byte) (fakeprovider.Delivery, error) {
	s.mu.Lock()
	u := s.webhookURL
	s.mu.Unlock()
	if u == "" {
		return fakeprovider.Delivery{}, ErrNoWebhookURL
	}
	return s.courier.Post(ctx, purpose, u, s.SignedHeader(body), body)
}

// follow reports msg's statuses in the background and then lets the scripted customer
// answer.
func (s *Server) follow(num Number, msg Message, steps []Step) {
	s.courier.Go(func(ctx context.Context) {
		if link := msg.Request.mediaLink(); link != "" && s.opts.FetchLinks {
			if e := s.fetchLink(ctx, msg, link); e != nil {
				steps = []Step{{Status: Failed, Error: *e}}
			}
		}
		for _, st := range steps {
			d := st.Delay
			if d == 0 {
				d = s.opts.StatusDelay
			}
			if !fakeprovider.Sleep(ctx, d) {
				return
			}
			_, _ = s.Deliver(ctx, "status", s.statusBody(num, msg.ID, msg.WaID, s.now(), st))
			if st.Status == Failed {
				return
			}
		}
		s.mu.Lock()
		fn := s.onMessage
		s.mu.Unlock()
		if fn == nil {
			return
		}
		reply, ok := fn(msg)
		if !ok || !fakeprovider.Sleep(ctx, s.opts.ReplyDelay) {
			return
		}
		_, _ = s.InjectFor(ctx, num.PhoneNumberID, Inbound{From: msg.WaID, Text: reply, ReplyTo: msg.ID})
	})
}
