package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

const cloudProvider = "Meta Graph API"

// graphError is the body of a Graph API error answer.
type graphError struct {
	Error struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		ErrorData    struct {
			Details string `json:"details"`
		} `json:"error_data"`
		FBTraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

// cloudFailure classifies a Graph API error answer.
func cloudFailure(r apiResponse) (*sdk.Error, graphError) {
	var ge graphError
	_ = json.Unmarshal(r.body, &ge)
	msg := ge.Error.Message
	if d := ge.Error.ErrorData.Details; d != "" {
		if msg != "" {
			msg += " — "
		}
		msg += d
	}
	if msg == "" {
		msg = strings.TrimSpace(string(r.body[:min(len(r.body), 200)]))
	}
	return classify(EngineCloud, r.status, ge.Error.Code, msg, r.header), ge
}

// cloudCall makes one Graph API call: path is below {base}/{version}/; body, when not
// nil, is sent as JSON. A non-2xx answer is returned classified.
func (c *Channel) cloudCall(ctx context.Context, cfg Config, method, p string, query url.Values, body any) (apiResponse, error) {
	u := cfg.APIBaseURL + "/" + cfg.APIVersion + "/" + p
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return c.cloudCallURL(ctx, cfg, method, u, body)
}

func (c *Channel) cloudCallURL(ctx context.Context, cfg Config, method, u string, body any) (apiResponse, error) {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiResponse{}, invalidMessage("encoding the request: %v", err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return apiResponse{}, sdk.Errorf(sdk.AuthFailed, CodeInvalidConfig, "bad API URL: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+cfg.AccessToken)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.do(req, cloudProvider)
	if err != nil {
		return resp, err
	}
	if !resp.ok() {
		e, _ := cloudFailure(resp)
		return resp, e
	}
	return resp, nil
}

// validateCloud checks the token against the phone number and the business account.
func (c *Channel) validateCloud(ctx context.Context, cfg Config) ([]sdk.FieldError, error) {
	check := func(field, p string, q url.Values) (*sdk.FieldError, error) {
		resp, err := c.cloudCall(ctx, cfg, http.MethodGet, p, q, nil)
		if err == nil {
			return nil, nil
		}
		e, ok := err.(*sdk.Error)
		if !ok || resp.status == 0 || e.Class == sdk.Transient || e.Class == sdk.RateLimited {
			return nil, err
		}
		_, ge := cloudFailure(resp)
		detail := ge.Error.Message
		switch {
		case ge.Error.Code == 190 || resp.status == http.StatusUnauthorized:
			return &sdk.FieldError{Field: "access_token", Message: "was rejected by Meta: " + detail}, nil
		case e.Class == sdk.AuthFailed:
			return &sdk.FieldError{Field: "access_token", Message: "lacks permission for " + field + ": " + detail}, nil
		case ge.Error.Code == 100 || resp.status == http.StatusNotFound:
			return &sdk.FieldError{Field: field, Message: "was not found, or the access token cannot reach it"}, nil
		default:
			return &sdk.FieldError{Field: field, Message: "was refused by Meta: " + e.Reason}, nil
		}
	}
	fe, err := check("phone_number_id", url.PathEscape(cfg.PhoneNumberID), url.Values{"fields": {"id,display_phone_number,verified_name"}})
	if err != nil || fe != nil {
		return feList(fe), err
	}
	fe, err = check("waba_id", url.PathEscape(cfg.WABAID)+"/message_templates", url.Values{"limit": {"1"}, "fields": {"name"}})
	return feList(fe), err
}

func feList(fe *sdk.FieldError) []sdk.FieldError {
	if fe == nil {
		return nil
	}
	return []sdk.FieldError{*fe}
}

// cloudSendResponse is the answer to POST /{phone_number_id}/messages.
type cloudSendResponse struct {
	// Contacts is the recipient: the number as sent (input) and its WhatsApp id,
	// which for some countries differs from it (a Mexican number sent to as 52 and 10
	// digits is wa_id 521 and the same 10 digits) and is what webhooks carry.
	Contacts []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

// recipientAddress is the recipient's wa_id, as an address like the ones inbound
// messages carry (+digits), when it differs from the number sent to; "" otherwise.
func (r cloudSendResponse) recipientAddress(to string) string {
	if len(r.Contacts) == 0 {
		return ""
	}
	wa := e164(r.Contacts[0].WaID)
	if wa == "" || wa == e164(to) {
		return ""
	}
	return wa
}

func (c *Channel) sendCloud(ctx context.Context, cfg Config, msg sdk.OutboundMessage) (sdk.SendResult, error) {
	payload, err := cloudPayload(msg)
	if err != nil {
		return sdk.SendResult{}, err
	}
	resp, err := c.cloudCall(ctx, cfg, http.MethodPost, url.PathEscape(cfg.PhoneNumberID)+"/messages", nil, payload)
	if err != nil {
		return sdk.SendResult{}, err
	}
	var out cloudSendResponse
	if err := json.Unmarshal(resp.body, &out); err != nil || len(out.Messages) == 0 || out.Messages[0].ID == "" {
		// Accepted but unreadable: retrying could send the message twice.
		return sdk.SendResult{}, sdk.Errorf(sdk.Permanent, CodeBadResponse, "Meta accepted the message but returned no message id")
	}
	return sdk.SendResult{ProviderMessageID: out.Messages[0].ID, RecipientAddress: out.recipientAddress(msg.To)}, nil
}

// cloudPayload builds the Graph API request body for msg.
func cloudPayload(msg sdk.OutboundMessage) (map[string]any, error) {
	p := map[string]any{
		"messaging_product": "whatsapp",
		"recipient_type":    "individual",
		"to":                strings.TrimPrefix(e164(msg.To), "+"),
	}
	if msg.ReplyTo != "" && msg.Type != sdk.TypeReaction {
		p["context"] = map[string]string{"message_id": msg.ReplyTo}
	}
	switch msg.Type {
	case sdk.TypeText:
		p["type"] = "text"
		p["text"] = map[string]any{"body": msg.Text, "preview_url": strings.Contains(msg.Text, "https://") || strings.Contains(msg.Text, "http://")}
	case sdk.TypeMedia:
		kind := mediaKind(msg.Media.MIMEType, msg.Media.URL)
		obj := map[string]any{"link": msg.Media.URL}
		caption := msg.Media.Caption
		if caption == "" {
			caption = msg.Text
		}
		if caption != "" {
			if kind == "audio" || kind == "sticker" {
				return nil, invalidMessage("WhatsApp %s messages cannot have a caption", kind)
			}
			obj["caption"] = caption
		}
		if kind == "document" && msg.Media.Filename != "" {
			obj["filename"] = msg.Media.Filename
		}
		p["type"] = kind
		p[kind] = obj
	case sdk.TypeLocation:
		l := map[string]any{"latitude": msg.Location.Latitude, "longitude": msg.Location.Longitude}
		if msg.Location.Name != "" {
			l["name"] = msg.Location.Name
		}
		if msg.Location.Address != "" {
			l["address"] = msg.Location.Address
		}
		p["type"] = "location"
		p["location"] = l
	case sdk.TypeTemplate:
		p["type"] = "template"
		p["template"] = cloudTemplate(msg.Template)
	case sdk.TypeReaction:
		p["type"] = "reaction"
		p["reaction"] = map[string]string{"message_id": msg.Reaction.ProviderMessageID, "emoji": msg.Reaction.Emoji}
	}
	return p, nil
}

// mediaKind is the WhatsApp media type for a MIME type, or, without one, for the
// URL's file extension: image, video, audio, sticker (WebP images) or document.
func mediaKind(mimeType, link string) string {
	if mimeType == "" {
		if u, err := url.Parse(link); err == nil {
			mimeType = mime.TypeByExtension(strings.ToLower(path.Ext(u.Path)))
		}
	}
	mimeType, _, _ = strings.Cut(strings.ToLower(mimeType), ";")
	switch {
	case mimeType == "image/webp":
		return "sticker"
	case strings.HasPrefix(mimeType, "image/"):
		return "image"
	case strings.HasPrefix(mimeType, "video/"):
		return "video"
	case strings.HasPrefix(mimeType, "audio/"):
		return "audio"
	default:
		return "document"
	}
}

// cloudTemplate is the template object of a send: a header with the media link or
// the text header's parameter (named in a template with named parameters), the body
// parameters (positional in order, or named sorted by name), one URL button per
// suffix (indexes 0…) and a copy-code button after them.
func cloudTemplate(t *sdk.Template) map[string]any {
	lang := t.Language
	if lang == "" {
		lang = "en_US"
	}
	var comps []map[string]any
	if t.HeaderURL != "" {
		kind := mediaKind("", t.HeaderURL)
		if kind != "video" && kind != "image" {
			kind = "document"
		}
		comps = append(comps, map[string]any{
			"type":       "header",
			"parameters": []map[string]any{{"type": kind, kind: map[string]string{"link": t.HeaderURL}}},
		})
	}
	if t.HeaderText != "" {
		p := map[string]any{"type": "text", "text": t.HeaderText}
		if t.HeaderParam != "" {
			p["parameter_name"] = t.HeaderParam
		}
		comps = append(comps, map[string]any{"type": "header", "parameters": []map[string]any{p}})
	}
	var params []map[string]any
	for _, v := range t.Body {
		params = append(params, map[string]any{"type": "text", "text": v})
	}
	for _, k := range slices.Sorted(maps.Keys(t.Named)) {
		params = append(params, map[string]any{"type": "text", "parameter_name": k, "text": t.Named[k]})
	}
	if len(params) > 0 {
		comps = append(comps, map[string]any{"type": "body", "parameters": params})
	}
	for i, suffix := range t.ButtonURLs {
		comps = append(comps, map[string]any{
			"type": "button", "sub_type": "url", "index": strconv.Itoa(i),
			"parameters": []map[string]any{{"type": "text", "text": suffix}},
		})
	}
	if t.CopyCode != "" {
		comps = append(comps, map[string]any{
			"type": "button", "sub_type": "copy_code", "index": strconv.Itoa(len(t.ButtonURLs)),
			"parameters": []map[string]any{{"type": "coupon_code", "coupon_code": t.CopyCode}},
		})
	}
	tpl := map[string]any{"name": t.Name, "language": map[string]string{"code": lang}}
	if len(comps) > 0 {
		tpl["components"] = comps
	}
	return tpl
}

func (c *Channel) markReadCloud(ctx context.Context, cfg Config, id string) error {
	_, err := c.cloudCall(ctx, cfg, http.MethodPost, url.PathEscape(cfg.PhoneNumberID)+"/messages", nil, map[string]string{
		"messaging_product": "whatsapp",
		"status":            "read",
		"message_id":        id,
	})
	return err
}

// TemplateInfo is one approved template, as sync_templates returns it.
type TemplateInfo struct {
	ID              string          `json:"id,omitempty"`
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Category        string          `json:"category"` // marketing | utility | authentication
	Status          string          `json:"status"`   // approved
	ParameterFormat string          `json:"parameter_format,omitempty"`
	Body            string          `json:"body,omitempty"`
	Components      json.RawMessage `json:"components"` // as the provider lists them
}

// maxTemplatePages stops a provider that pages forever.
const maxTemplatePages = 200

// syncTemplatesCloud lists the approved templates of the business account, following
// paging.next (only to the configured API host).
func (c *Channel) syncTemplatesCloud(ctx context.Context, cfg Config) ([]TemplateInfo, error) {
	base, err := url.Parse(cfg.APIBaseURL)
	if err != nil {
		return nil, sdk.Errorf(sdk.AuthFailed, CodeInvalidConfig, "bad api_base_url: %v", err)
	}
	q := url.Values{
		"fields": {"id,name,language,category,status,parameter_format,components"},
		"status": {"APPROVED"},
		"limit":  {"100"},
	}
	next := cfg.APIBaseURL + "/" + cfg.APIVersion + "/" + url.PathEscape(cfg.WABAID) + "/message_templates?" + q.Encode()
	out := []TemplateInfo{}
	for page := 0; next != ""; page++ {
		if page == maxTemplatePages {
			return nil, sdk.Errorf(sdk.Transient, CodeBadResponse, "message_templates: more than %d pages", maxTemplatePages)
		}
		u, err := url.Parse(next)
		if err != nil || u.Scheme != base.Scheme || u.Host != base.Host {
			return nil, sdk.Errorf(sdk.Transient, CodeBadResponse, "message_templates: paging.next leaves %s", base.Host)
		}
		// Meta writes the access token into paging.next; the call sends it in its
		// Authorization header, and a URL that carries it ends up in error messages.
		q := u.Query()
		q.Del("access_token")
		u.RawQuery = q.Encode()
		resp, err := c.cloudCallURL(ctx, cfg, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		var pageBody struct {
			Data []struct {
				TemplateInfo
				Components json.RawMessage `json:"components"`
			} `json:"data"`
			Paging struct {
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := json.Unmarshal(resp.body, &pageBody); err != nil {
			return nil, badResponse(cloudProvider, resp.status, err)
		}
		for _, d := range pageBody.Data {
			t := d.TemplateInfo
			if !strings.EqualFold(t.Status, "APPROVED") {
				continue
			}
			t.Components = d.Components
			if len(t.Components) == 0 {
				t.Components = json.RawMessage("[]")
			}
			t.Category = strings.ToLower(t.Category)
			t.Status = strings.ToLower(t.Status)
			t.ParameterFormat = strings.ToLower(t.ParameterFormat)
			t.Body = bodyText(t.Components)
			out = append(out, t)
		}
		next = pageBody.Paging.Next
	}
	return out, nil
}

// bodyText is the text of a template's BODY component.
func bodyText(components json.RawMessage) string {
	var comps []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(components, &comps) != nil {
		return ""
	}
	for _, c := range comps {
		if strings.EqualFold(c.Type, "BODY") {
			return c.Text
		}
	}
	return ""
}
