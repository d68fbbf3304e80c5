package whatsapp

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

const twilioProvider = "Twilio"

// twilioAPIPath is the API version's path below the base URL.
const twilioAPIPath = "/2010-04-01"

// twilioError is the body of a Twilio error answer.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func twilioFailure(r apiResponse) (*sdk.Error, twilioError) {
	var te twilioError
	_ = json.Unmarshal(r.body, &te)
	msg := te.Message
	if msg == "" {
		msg = strings.TrimSpace(string(r.body[:min(len(r.body), 200)]))
	}
	return classify(EngineTwilio, r.status, te.Code, msg, r.header), te
}

// twilioCall makes one call below {base}/2010-04-01/Accounts/{sid}; form, when not
// nil, is the POST body. A non-2xx answer is returned classified.
func (c *Channel) twilioCall(ctx context.Context, cfg Config, method, p string, form url.Values) (apiResponse, error) {
	u := cfg.APIBaseURL + twilioAPIPath + "/Accounts/" + url.PathEscape(cfg.AccountSID) + p
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return apiResponse{}, sdk.Errorf(sdk.AuthFailed, CodeInvalidConfig, "bad API URL: %v", err)
	}
	req.SetBasicAuth(cfg.AccountSID, cfg.AuthToken)
	req.Header.Set("Accept", "application/json")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.do(req, twilioProvider)
	if err != nil {
		return resp, err
	}
	if !resp.ok() {
		e, _ := twilioFailure(resp)
		return resp, e
	}
	return resp, nil
}

// validateTwilio fetches the account with the credentials.
func (c *Channel) validateTwilio(ctx context.Context, cfg Config) ([]sdk.FieldError, error) {
	resp, err := c.twilioCall(ctx, cfg, http.MethodGet, ".json", nil)
	if err != nil {
		e, ok := err.(*sdk.Error)
		if !ok || resp.status == 0 || e.Class == sdk.Transient || e.Class == sdk.RateLimited {
			return nil, err
		}
		_, te := twilioFailure(resp)
		switch {
		case te.Code == 20003 || resp.status == http.StatusUnauthorized:
			return []sdk.FieldError{{Field: "auth_token", Message: "was rejected by Twilio (check account_sid too): " + te.Message}}, nil
		case te.Code == 20404 || resp.status == http.StatusNotFound:
			return []sdk.FieldError{{Field: "account_sid", Message: "was not found"}}, nil
		default:
			return []sdk.FieldError{{Field: "account_sid", Message: "was refused by Twilio: " + e.Reason}}, nil
		}
	}
	var acct struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(resp.body, &acct); err != nil {
		return nil, badResponse(twilioProvider, resp.status, err)
	}
	if acct.Status != "" && acct.Status != "active" {
		return []sdk.FieldError{{Field: "account_sid", Message: "the Twilio account is " + acct.Status}}, nil
	}
	return nil, nil
}

func (c *Channel) sendTwilio(ctx context.Context, cfg Config, conn sdk.Connection, msg sdk.OutboundMessage) (sdk.SendResult, error) {
	form, err := twilioForm(cfg, msg)
	if err != nil {
		return sdk.SendResult{}, err
	}
	if conn.WebhookURL != "" {
		form.Set("StatusCallback", conn.WebhookURL)
	}
	resp, err := c.twilioCall(ctx, cfg, http.MethodPost, "/Messages.json", form)
	if err != nil {
		return sdk.SendResult{}, err
	}
	var out struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(resp.body, &out); err != nil || out.SID == "" {
		// Accepted but unreadable: retrying could send the message twice.
		return sdk.SendResult{}, sdk.Errorf(sdk.Permanent, CodeBadResponse, "Twilio accepted the message but returned no sid")
	}
	return sdk.SendResult{ProviderMessageID: out.SID}, nil
}

// twilioForm builds the Messages.json form for msg: text as Body, media as MediaUrl
// with the caption as Body, location as PersistentAction geo:…, templates as
// ContentSid + ContentVariables. Twilio has no parameter to quote a message, so
// ReplyTo is not sent.
func twilioForm(cfg Config, msg sdk.OutboundMessage) (url.Values, error) {
	f := url.Values{"To": {"whatsapp:" + e164(msg.To)}}
	if serviceSIDPattern.MatchString(cfg.Sender) {
		f.Set("MessagingServiceSid", cfg.Sender)
	} else {
		f.Set("From", cfg.Sender)
	}
	switch msg.Type {
	case sdk.TypeText:
		f.Set("Body", msg.Text)
	case sdk.TypeMedia:
		f.Set("MediaUrl", msg.Media.URL)
		caption := msg.Media.Caption
		if caption == "" {
			caption = msg.Text
		}
		if caption != "" {
			f.Set("Body", caption)
		}
	case sdk.TypeLocation:
		l := msg.Location
		action := "geo:" + strconv.FormatFloat(l.Latitude, 'f', -1, 64) + "," + strconv.FormatFloat(l.Longitude, 'f', -1, 64)
		label := l.Name
		if label == "" {
			label = l.Address
		}
		if label != "" {
			action += "|" + label
		}
		f.Set("PersistentAction", action)
		body := strings.TrimSpace(strings.Join([]string{l.Name, l.Address}, "\n"))
		if body == "" {
			body = "Location"
		}
		f.Set("Body", body)
	case sdk.TypeTemplate:
		t := msg.Template
		sid, ok := cfg.contentSID(t.Name, t.Language)
		if !ok {
			return nil, sdk.Errorf(sdk.Permanent, CodeInvalidMessage, "%s: %q", ReasonTemplateUnmapped, t.Name)
		}
		if t.HeaderURL != "" || t.HeaderText != "" || len(t.ButtonURLs) > 0 || t.CopyCode != "" {
			return nil, invalidMessage("the Twilio engine takes a template's header and buttons as Content variables; send them in named parameters")
		}
		vars := map[string]string{}
		for i, v := range t.Body {
			vars[strconv.Itoa(i+1)] = v
		}
		for _, k := range slices.Sorted(maps.Keys(t.Named)) {
			vars[k] = t.Named[k]
		}
		f.Set("ContentSid", sid)
		if len(vars) > 0 {
			b, _ := json.Marshal(vars) // map[string]string: keys sorted, cannot fail
			f.Set("ContentVariables", string(b))
		}
	case sdk.TypeReaction:
		return nil, invalidMessage("reactions are not supported by the Twilio engine")
	}
	return f, nil
}
