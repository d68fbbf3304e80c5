package whatsapp

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// TwilioSignatureHeader carries base64(HMAC-SHA1(auth token, URL + sorted params)).
const TwilioSignatureHeader = "X-Twilio-Signature"

// twilioEmptyTwiML answers a webhook without sending anything back.
const twilioEmptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

func handleTwilioWebhook(cfg Config, req sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event) {
	if req.Method != http.MethodPost && req.Method != "" {
		return reply(http.StatusMethodNotAllowed, "POST only"), nil
	}
	sig, ok := header(req.Headers, TwilioSignatureHeader)
	if !ok || sig == "" || cfg.AuthToken == "" || req.URL == "" {
		return reply(http.StatusUnauthorized, "invalid signature"), nil
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return reply(http.StatusBadRequest, "body: "+err.Error()), nil
	}
	if !validTwilioSignature(cfg.AuthToken, req.URL, form, sig) {
		return reply(http.StatusUnauthorized, "invalid signature"), nil
	}
	events, err := parseTwilioWebhook(form)
	if err != nil {
		return reply(http.StatusBadRequest, err.Error()), nil
	}
	return sdk.WebhookResponse{
		Status:  http.StatusOK,
		Headers: map[string]string{"Content-Type": "text/xml"},
		Body:    []byte(twilioEmptyTwiML),
	}, events
}

// twilioSignature computes Twilio's signature of a request to fullURL with params: the
// URL followed by each parameter's name and value, sorted by name.
func twilioSignature(authToken, fullURL string, params url.Values) []byte {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	for _, k := range slices.Sorted(maps.Keys(params)) {
		for _, v := range params[k] {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return mac.Sum(nil)
}

// validTwilioSignature checks got (constant time) against the URL as given and, since
// Twilio signs the URL as it was configured, also with the default port added or
// removed.
func validTwilioSignature(authToken, fullURL string, params url.Values, got string) bool {
	sig, err := base64.StdEncoding.DecodeString(got)
	if err != nil {
		return false
	}
	for _, u := range urlVariants(fullURL) {
		if hmac.Equal(sig, twilioSignature(authToken, u, params)) {
			return true
		}
	}
	return false
}

func urlVariants(s string) []string {
	out := []string{s}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return out
	}
	def := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if def == "" {
		return out
	}
	v := *u
	switch u.Port() {
	case "":
		v.Host = net.JoinHostPort(u.Hostname(), def)
	case def:
		v.Host = u.Hostname()
		if strings.Contains(v.Host, ":") {
			v.Host = "[" + v.Host + "]"
		}
	default:
		return out
	}
	return append(out, v.String())
}

// Twilio MessageStatus values that say nothing yet about delivery; they carry no event.
var twilioInterimStatuses = map[string]bool{
	"queued": true, "sending": true, "accepted": true, "scheduled": true, "receiving": true,
}

// parseTwilioWebhook turns a verified form into events: a status callback (it has a
// MessageStatus) or an inbound message, preceded by the sender's profile name.
func parseTwilioWebhook(form url.Values) ([]sdk.Event, error) {
	sid := form.Get("MessageSid")
	if sid == "" {
		sid = form.Get("SmsMessageSid")
	}
	if sid == "" {
		return nil, fmt.Errorf("body: MessageSid is required")
	}
	raw := twilioRaw(form)
	if status := strings.ToLower(form.Get("MessageStatus")); status != "" && status != "received" {
		return twilioStatusEvents(form, sid, status, raw), nil
	}
	return twilioInboundEvents(form, sid, raw), nil
}

// twilioRaw is the form as a JSON object of first values (keys sorted: deterministic).
func twilioRaw(form url.Values) json.RawMessage {
	m := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) > 0 {
			m[k] = v[0]
		}
	}
	b, _ := json.Marshal(m) // map[string]string cannot fail
	return b
}

func twilioStatusEvents(form url.Values, sid, status string, raw json.RawMessage) []sdk.Event {
	if twilioInterimStatuses[status] {
		return []sdk.Event{}
	}
	switch status {
	case "undelivered", "canceled":
		status = "failed"
	}
	u := &sdk.StatusUpdate{
		ProviderMessageID: sid,
		Status:            status,
		Recipient:         e164(form.Get("To")),
	}
	if code := form.Get("ErrorCode"); code != "" && code != "0" {
		u.ErrorCode = code
		n, _ := strconv.Atoi(code)
		u.ErrorReason = statusReason(twilioRules, n, form.Get("ErrorMessage"))
	}
	return []sdk.Event{{Type: sdk.EventStatus, Status: u, Raw: raw}}
}

var twilioMessageTypes = map[string]bool{
	"text": true, "image": true, "video": true, "audio": true, "document": true, "sticker": true,
	"location": true, "button": true, "interactive": true, "media": true,
}

func twilioInboundEvents(form url.Values, sid string, raw json.RawMessage) []sdk.Event {
	from, to := e164(form.Get("From")), e164(form.Get("To"))
	events := []sdk.Event{}
	if name := form.Get("ProfileName"); name != "" && from != "" {
		events = append(events, sdk.Event{Type: sdk.EventContact, Contact: &sdk.Contact{Address: from, Name: name}})
	}
	m := &sdk.InboundMessage{
		ProviderMessageID: sid,
		From:              from,
		To:                to,
		Text:              form.Get("Body"),
		ReplyTo:           form.Get("OriginalRepliedMessageSid"),
	}
	msgType := strings.ToLower(form.Get("MessageType"))
	numMedia, _ := strconv.Atoi(form.Get("NumMedia"))
	numMedia = min(max(numMedia, 0), 10) // Twilio sends at most 10
	var extra []sdk.Event
	switch {
	case numMedia > 0 && form.Get("MediaUrl0") != "":
		for i := range numMedia {
			u := form.Get("MediaUrl" + strconv.Itoa(i))
			if u == "" {
				continue
			}
			ct := form.Get("MediaContentType" + strconv.Itoa(i))
			media := &sdk.Media{URL: u, MIMEType: ct}
			if i == 0 {
				m.Type, m.Media = mediaKind(ct, u), media
				media.Caption = m.Text
				continue
			}
			// Further attachments become messages of their own, with derived ids.
			extra = append(extra, sdk.Event{Type: sdk.EventMessage, Raw: raw, Message: &sdk.InboundMessage{
				ProviderMessageID: sid + "#" + strconv.Itoa(i),
				From:              from,
				To:                to,
				Type:              mediaKind(ct, u),
				Media:             media,
				ReplyTo:           sid,
			}})
		}
	case form.Get("Latitude") != "" && form.Get("Longitude") != "":
		lat, err1 := strconv.ParseFloat(form.Get("Latitude"), 64)
		lng, err2 := strconv.ParseFloat(form.Get("Longitude"), 64)
		if err1 != nil || err2 != nil {
			m.Type = TypeUnsupported
			break
		}
		m.Type = "location"
		m.Location = &sdk.Location{Latitude: lat, Longitude: lng, Name: form.Get("Label"), Address: form.Get("Address")}
	case form.Get("ButtonText") != "" || form.Get("ButtonPayload") != "":
		m.Type = "button"
		m.Text = form.Get("ButtonText")
	case form.Get("ListTitle") != "" || form.Get("ListId") != "":
		m.Type = "interactive"
		m.Text = form.Get("ListTitle")
	case msgType != "" && msgType != "text" && !twilioMessageTypes[msgType]:
		m.Type = TypeUnsupported
	case m.Text != "":
		m.Type = "text"
	default:
		m.Type = TypeUnsupported
	}
	events = append(events, sdk.Event{Type: sdk.EventMessage, Message: m, Raw: raw})
	return append(events, extra...)
}
