package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// CloudSignatureHeader carries "sha256=<hex HMAC-SHA256(app secret, raw body)>".
const CloudSignatureHeader = "X-Hub-Signature-256"

// Inbound message types as events carry them (Cloud's names); anything else is
// TypeUnsupported.
const (
	TypeUnsupported = "unsupported"
)

var cloudMessageTypes = map[string]bool{
	"text": true, "image": true, "video": true, "audio": true, "document": true, "sticker": true,
	"location": true, "reaction": true, "button": true, "interactive": true, "contacts": true,
}

// handleCloudWebhook answers a Cloud request for the connection whose config is cfg
// and whose own address is self. A signed POST gets the events of the connection's
// own number and, in OtherAddresses, the display numbers of the app's other numbers
// the body carries changes for (see parseCloudWebhook).
func handleCloudWebhook(cfg Config, self string, req sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event) {
	switch req.Method {
	case http.MethodGet:
		return cloudVerify(cfg, req), nil
	case http.MethodPost, "":
	default:
		return reply(http.StatusMethodNotAllowed, "GET or POST only"), nil
	}
	sig, _ := header(req.Headers, CloudSignatureHeader)
	if cfg.AppSecret == "" || !validCloudSignature(cfg.AppSecret, req.Body, sig) {
		return reply(http.StatusUnauthorized, "invalid signature"), nil
	}
	events, others, err := parseCloudWebhook(cfg, self, req.Body)
	if err != nil {
		return reply(http.StatusBadRequest, err.Error()), nil
	}
	resp := reply(http.StatusOK, "")
	resp.OtherAddresses = others
	return resp, events
}

// cloudVerify answers Meta's subscription handshake:
// GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=… → 200 with the challenge
// when the token matches, 403 otherwise.
func cloudVerify(cfg Config, req sdk.WebhookRequest) sdk.WebhookResponse {
	u, err := url.Parse(req.URL)
	if err != nil {
		return reply(http.StatusBadRequest, "bad URL")
	}
	q := u.Query()
	token, challenge := q.Get("hub.verify_token"), q.Get("hub.challenge")
	if q.Get("hub.mode") != "subscribe" || cfg.VerifyToken == "" || challenge == "" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(cfg.VerifyToken)) != 1 {
		return reply(http.StatusForbidden, "verification failed")
	}
	return sdk.WebhookResponse{Status: http.StatusOK, Headers: map[string]string{"Content-Type": "text/plain"}, Body: []byte(challenge)}
}

// validCloudSignature checks "sha256=<hex>" against the body in constant time.
func validCloudSignature(secret string, body []byte, got string) bool {
	hexSig, ok := strings.CutPrefix(got, "sha256=")
	if !ok {
		return false
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(sig, mac.Sum(nil))
}

// cloudWebhook is a Cloud API webhook body. Values stay raw until their field is
// known, so other subscriptions' shapes do not fail the body.
type cloudWebhook struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string          `json:"field"`
			Value json.RawMessage `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type cloudValue struct {
	Metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WaID string `json:"wa_id"`
	} `json:"contacts"`
	Messages []json.RawMessage `json:"messages"`
	Statuses []json.RawMessage `json:"statuses"`
}

// cloudMessageHead is what every inbound message has.
type cloudMessageHead struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
}

// cloudMessageBody is the type-specific part of an inbound message.
type cloudMessageBody struct {
	Context *struct {
		From string `json:"from"`
		ID   string `json:"id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *cloudMedia `json:"image"`
	Video    *cloudMedia `json:"video"`
	Audio    *cloudMedia `json:"audio"`
	Document *cloudMedia `json:"document"`
	Sticker  *cloudMedia `json:"sticker"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	} `json:"location"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Button *struct {
		Text    string `json:"text"`
		Payload string `json:"payload"`
	} `json:"button"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply *struct {
			ID          string `json:"id"`
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"list_reply"`
		NFMReply *struct {
			Name         string `json:"name"`
			Body         string `json:"body"`
			ResponseJSON string `json:"response_json"`
		} `json:"nfm_reply"`
	} `json:"interactive"`
	Contacts []struct {
		Name struct {
			FormattedName string `json:"formatted_name"`
		} `json:"name"`
		Phones []struct {
			Phone string `json:"phone"`
			WaID  string `json:"wa_id"`
		} `json:"phones"`
	} `json:"contacts"`
	Errors []cloudStatusError `json:"errors"`
}

type cloudMedia struct {
	ID       string `json:"id"`
	MIMEType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type cloudStatus struct {
	ID          string             `json:"id"`
	Status      string             `json:"status"`
	Timestamp   string             `json:"timestamp"`
	RecipientID string             `json:"recipient_id"`
	Errors      []cloudStatusError `json:"errors"`
}

type cloudStatusError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// parseCloudWebhook turns a verified body into events: per change, the contacts'
// names, then the messages, then the statuses, in body order. Changes for another
// phone number than the connection's carry no events here: they belong to another
// connection of the same Meta app (one app has one webhook URL for all its numbers),
// so their display numbers, as +digits, come back as others, each once, in body
// order, for the host to offer the request to those numbers' connections. self, the
// connection's own address, is never among them. Other fields than "messages" carry
// no events, for this number or another.
func parseCloudWebhook(cfg Config, self string, body []byte) (events []sdk.Event, others []string, err error) {
	var wh cloudWebhook
	if err := json.Unmarshal(body, &wh); err != nil {
		return nil, nil, fmt.Errorf("body: %v", err)
	}
	if wh.Object != "whatsapp_business_account" {
		return nil, nil, fmt.Errorf("body: object %q is not whatsapp_business_account", wh.Object)
	}
	events = []sdk.Event{}
	seen := map[string]bool{e164(self): true}
	for i, entry := range wh.Entry {
		for j, ch := range entry.Changes {
			if ch.Field != "messages" {
				continue
			}
			where := fmt.Sprintf("entry[%d].changes[%d].value", i, j)
			var v cloudValue
			if err := json.Unmarshal(ch.Value, &v); err != nil {
				return nil, nil, fmt.Errorf("%s: %v", where, err)
			}
			if cfg.PhoneNumberID != "" && v.Metadata.PhoneNumberID != "" && v.Metadata.PhoneNumberID != cfg.PhoneNumberID {
				if addr := e164(v.Metadata.DisplayPhoneNumber); addr != "" && !seen[addr] {
					seen[addr] = true
					others = append(others, addr)
				}
				continue
			}
			to := e164(v.Metadata.DisplayPhoneNumber)
			for _, c := range v.Contacts {
				if addr := e164(c.WaID); addr != "" {
					events = append(events, sdk.Event{Type: sdk.EventContact, Contact: &sdk.Contact{Address: addr, Name: c.Profile.Name}})
				}
			}
			for k, raw := range v.Messages {
				e, err := cloudMessageEvent(cfg, to, raw)
				if err != nil {
					return nil, nil, fmt.Errorf("%s.messages[%d]: %v", where, k, err)
				}
				events = append(events, e)
			}
			for k, raw := range v.Statuses {
				e, err := cloudStatusEvent(raw)
				if err != nil {
					return nil, nil, fmt.Errorf("%s.statuses[%d]: %v", where, k, err)
				}
				events = append(events, e)
			}
		}
	}
	return events, others, nil
}

// unixTime reads Cloud's string of seconds since the epoch; anything else is the zero
// time.
func unixTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

func cloudMessageEvent(cfg Config, to string, raw json.RawMessage) (sdk.Event, error) {
	var head cloudMessageHead
	if err := json.Unmarshal(raw, &head); err != nil {
		return sdk.Event{}, err
	}
	if head.ID == "" {
		return sdk.Event{}, errors.New("id is required")
	}
	m := &sdk.InboundMessage{
		ProviderMessageID: head.ID,
		From:              e164(head.From),
		To:                to,
		Type:              head.Type,
		Timestamp:         unixTime(head.Timestamp),
	}
	e := sdk.Event{Type: sdk.EventMessage, Message: m, Raw: raw}
	var b cloudMessageBody
	if err := json.Unmarshal(raw, &b); err != nil || !cloudMessageTypes[head.Type] {
		// Unknown types, and known ones whose payload does not decode, are kept.
		m.Type = TypeUnsupported
		if len(b.Errors) > 0 {
			m.Text = b.Errors[0].Title
		}
		return e, nil
	}
	if b.Context != nil {
		m.ReplyTo = b.Context.ID
	}
	media := func(x *cloudMedia) {
		if x == nil {
			m.Type = TypeUnsupported
			return
		}
		m.Media = &sdk.Media{
			URL:      cloudMediaURL(cfg, x.ID),
			MIMEType: x.MIMEType,
			Filename: x.Filename,
			Caption:  x.Caption,
		}
		m.Text = x.Caption
	}
	switch head.Type {
	case "text":
		if b.Text != nil {
			m.Text = b.Text.Body
		}
	case "image":
		media(b.Image)
	case "video":
		media(b.Video)
	case "audio":
		media(b.Audio)
	case "document":
		media(b.Document)
	case "sticker":
		media(b.Sticker)
	case "location":
		if l := b.Location; l != nil {
			m.Location = &sdk.Location{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
		} else {
			m.Type = TypeUnsupported
		}
	case "reaction":
		if r := b.Reaction; r != nil {
			m.Text, m.ReplyTo = r.Emoji, r.MessageID
		}
	case "button":
		if b.Button != nil {
			m.Text = b.Button.Text
		}
	case "interactive":
		if it := b.Interactive; it != nil {
			switch {
			case it.ButtonReply != nil:
				m.Text = it.ButtonReply.Title
			case it.ListReply != nil:
				m.Text = it.ListReply.Title
			case it.NFMReply != nil:
				m.Text = it.NFMReply.Body
				if m.Text == "" {
					m.Text = it.NFMReply.ResponseJSON
				}
			}
		}
	case "contacts":
		var lines []string
		for _, c := range b.Contacts {
			line := c.Name.FormattedName
			for _, p := range c.Phones {
				num := p.Phone
				if num == "" {
					num = e164(p.WaID)
				}
				line = strings.TrimSpace(line + " " + num)
			}
			lines = append(lines, line)
		}
		m.Text = strings.Join(lines, "\n")
	}
	return e, nil
}

// cloudMediaURL is where an inbound media object is described: the Graph API URL of
// the media id, which answers (with the connection's access token) the short-lived
// download URL. It depends only on the config and the body.
func cloudMediaURL(cfg Config, id string) string {
	if id == "" {
		return ""
	}
	return cfg.APIBaseURL + "/" + cfg.APIVersion + "/" + url.PathEscape(id)
}

func cloudStatusEvent(raw json.RawMessage) (sdk.Event, error) {
	var st cloudStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return sdk.Event{}, err
	}
	if st.ID == "" {
		return sdk.Event{}, errors.New("id is required")
	}
	u := &sdk.StatusUpdate{
		ProviderMessageID: st.ID,
		Status:            strings.ToLower(st.Status),
		Timestamp:         unixTime(st.Timestamp),
		Recipient:         e164(st.RecipientID),
	}
	if len(st.Errors) > 0 {
		se := st.Errors[0]
		u.ErrorCode = strconv.Itoa(se.Code)
		detail := se.Title
		if d := se.ErrorData.Details; d != "" && d != detail {
			detail = strings.TrimSpace(detail + ": " + d)
		}
		u.ErrorReason = statusReason(cloudRules, se.Code, detail)
	}
	return sdk.Event{Type: sdk.EventStatus, Status: u, Raw: raw}, nil
}
