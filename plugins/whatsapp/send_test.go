package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/whatsapp"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/twiliotest"
	"github.com/switchboardhq/switchboard/plugins/whatsapp/whatsapptest"
)

const customer = "+15550100001"

var (
	wamidPattern = regexp.MustCompile(`^wamid\.[A-Za-z0-9+/]+$`)
	smPattern    = regexp.MustCompile(`^SM[0-9a-f]{32}$`)
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantError checks that err is an *sdk.Error of class whose code and reason contain
// the given strings.
func wantError(t *testing.T, err error, class sdk.ErrorClass, code, reason string) *sdk.Error {
	t.Helper()
	var e *sdk.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *sdk.Error %s", err, err, class)
	}
	if e.Class != class {
		t.Errorf("class = %q (%v), want %q", e.Class, e, class)
	}
	if code != "" && e.Code != code {
		t.Errorf("code = %q (%v), want %q", e.Code, e, code)
	}
	if !strings.Contains(e.Reason, reason) {
		t.Errorf("reason = %q, want it to contain %q", e.Reason, reason)
	}
	return e
}

// cloudSetup is a fake with the templates the send tests use, and a connection to it.
func cloudSetup(t *testing.T, opts cloudapitest.Options) (*cloudapitest.Server, sdk.Connection) {
	t.Helper()
	srv := cloudapitest.NewTest(t, opts)
	srv.AddTemplate("order_shipped", "en_US", cloudapitest.CategoryUtility, 2)
	srv.AddTemplate("welcome", "en", cloudapitest.CategoryMarketing, 0, cloudapitest.WithNamedParams("first_name", "shop"))
	srv.AddTemplate("promo", "en_US", cloudapitest.CategoryMarketing, 1,
		cloudapitest.WithHeader("IMAGE"), cloudapitest.WithURLButton(true), cloudapitest.WithCopyCodeButton())
	srv.AddTemplate("delivery", "en_US", cloudapitest.CategoryUtility, 1, cloudapitest.WithTextHeader("Order {{1}} is on its way"))
	srv.AddTemplate("delivery_named", "en_US", cloudapitest.CategoryUtility, 0,
		cloudapitest.WithNamedParams("first_name"), cloudapitest.WithTextHeader("Order {{order}} is on its way"))
	return srv, whatsapptest.CloudConnection(srv)
}

func TestCloudSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		msg   sdk.OutboundMessage
		check func(t *testing.T, m cloudapitest.Message)
	}{
		{
			name: "text",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeText, Text: "Hello https://example.com"},
			check: func(t *testing.T, m cloudapitest.Message) {
				r := m.Request
				if r.Type != "text" || r.Text.Body != "Hello https://example.com" || !r.Text.PreviewURL {
					t.Errorf("text = %+v, want body with preview_url", r.Text)
				}
				if r.To != "15550100001" || r.RecipientType != "individual" {
					t.Errorf("to = %q recipient_type = %q", r.To, r.RecipientType)
				}
				if r.Context != nil {
					t.Errorf("context = %+v, want none", r.Context)
				}
			},
		},
		{
			name: "text_reply",
			msg:  sdk.OutboundMessage{To: "whatsapp:+1 555 010 0001", Text: "Yes", ReplyTo: "wamid.ORIG"},
			check: func(t *testing.T, m cloudapitest.Message) {
				if m.Request.Context == nil || m.Request.Context.MessageID != "wamid.ORIG" {
					t.Errorf("context = %+v, want message_id wamid.ORIG", m.Request.Context)
				}
				if m.Request.Text.PreviewURL {
					t.Errorf("preview_url set on a text without links")
				}
			},
		},
		{
			name: "image",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeMedia, Media: &sdk.Media{URL: "https://cdn.example.com/x", MIMEType: "image/jpeg", Caption: "Look"}},
			check: func(t *testing.T, m cloudapitest.Message) {
				if m.Type != "image" || m.Request.Image.Link != "https://cdn.example.com/x" || m.Request.Image.Caption != "Look" {
					t.Errorf("image = %+v", m.Request.Image)
				}
			},
		},
		{
			name: "document_by_extension",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeMedia, Media: &sdk.Media{URL: "https://cdn.example.com/invoice.pdf", Filename: "invoice.pdf"}},
			check: func(t *testing.T, m cloudapitest.Message) {
				if m.Type != "document" || m.Request.Document.Filename != "invoice.pdf" {
					t.Errorf("type %q document = %+v", m.Type, m.Request.Document)
				}
			},
		},
		{
			name: "video_by_extension",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeMedia, Media: &sdk.Media{URL: "https://cdn.example.com/clip.mp4"}},
			check: func(t *testing.T, m cloudapitest.Message) {
				if m.Type != "video" || m.Request.Video.Link == "" {
					t.Errorf("type %q video = %+v", m.Type, m.Request.Video)
				}
			},
		},
		{
			name: "audio",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeMedia, Media: &sdk.Media{URL: "https://cdn.example.com/v", MIMEType: "audio/ogg; codecs=opus"}},
			check: func(t *testing.T, m cloudapitest.Message) {
				if m.Type != "audio" || m.Request.Audio.Link == "" {
					t.Errorf("type %q audio = %+v", m.Type, m.Request.Audio)
				}
			},
		},
		{
			name: "sticker",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeMedia, Media: &sdk.Media{URL: "https://cdn.example.com/s.webp"}},
			check: func(t *testing.T, m cloudapitest.Message) {
				if m.Type != "sticker" || m.Request.Sticker.Link == "" {
					t.Errorf("type %q sticker = %+v", m.Type, m.Request.Sticker)
				}
			},
		},
		{
			name: "location",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeLocation, Location: &sdk.Location{Latitude: 52.52, Longitude: 13.405, Name: "Office", Address: "Unter den Linden 1"}},
			check: func(t *testing.T, m cloudapitest.Message) {
				l := m.Request.Location
				if l == nil || *l.Latitude != 52.52 || *l.Longitude != 13.405 || l.Name != "Office" || l.Address != "Unter den Linden 1" {
					t.Errorf("location = %+v", l)
				}
			},
		},
		{
			name: "template_numbered",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", Language: "en_US", Body: []string{"Ada", "#1234"}}},
			check: func(t *testing.T, m cloudapitest.Message) {
				tp := m.Request.Template
				if tp.Name != "order_shipped" || tp.Language.Code != "en_US" || len(tp.Components) != 1 {
					t.Fatalf("template = %+v", tp)
				}
				ps := tp.Components[0].Parameters
				if tp.Components[0].Type != "body" || len(ps) != 2 || ps[0].Text != "Ada" || ps[1].Text != "#1234" {
					t.Errorf("body = %+v", tp.Components[0])
				}
			},
		},
		{
			name: "template_named",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "welcome", Language: "en", Named: map[string]string{"shop": "Acme", "first_name": "Ada"}}},
			check: func(t *testing.T, m cloudapitest.Message) {
				ps := m.Request.Template.Components[0].Parameters
				if len(ps) != 2 || ps[0].ParameterName != "first_name" || ps[0].Text != "Ada" || ps[1].ParameterName != "shop" {
					t.Errorf("named parameters = %+v, want sorted by name", ps)
				}
			},
		},
		{
			name: "template_header_buttons",
			msg: sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{
				Name: "promo", Language: "en_US", Body: []string{"20%"},
				HeaderURL: "https://cdn.example.com/banner.png", ButtonURLs: []string{"summer"}, CopyCode: "SAVE20",
			}},
			check: func(t *testing.T, m cloudapitest.Message) {
				cs := m.Request.Template.Components
				if len(cs) != 4 {
					t.Fatalf("components = %+v, want header, body, url button, copy-code button", cs)
				}
				if cs[0].Type != "header" || cs[0].Parameters[0].Image == nil || cs[0].Parameters[0].Image.Link != "https://cdn.example.com/banner.png" {
					t.Errorf("header = %+v", cs[0])
				}
				if cs[2].SubType != "url" || cs[2].Parameters[0].Text != "summer" {
					t.Errorf("url button = %+v", cs[2])
				}
				if cs[3].SubType != "copy_code" || cs[3].Parameters[0].CouponCode != "SAVE20" {
					t.Errorf("copy-code button = %+v", cs[3])
				}
			},
		},
		{
			name: "template_text_header",
			msg: sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{
				Name: "delivery", Language: "en_US", Body: []string{"Ada"}, HeaderText: "A-17"}},
			check: func(t *testing.T, m cloudapitest.Message) {
				cs := m.Request.Template.Components
				if len(cs) != 2 || cs[0].Type != "header" || len(cs[0].Parameters) != 1 ||
					cs[0].Parameters[0].Type != "text" || cs[0].Parameters[0].Text != "A-17" || cs[0].Parameters[0].ParameterName != "" {
					t.Errorf("components = %+v, want a text header parameter, then the body", cs)
				}
			},
		},
		{
			name: "template_text_header_named",
			msg: sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{
				Name: "delivery_named", Language: "en_US", Named: map[string]string{"first_name": "Ada"}, HeaderText: "A-17", HeaderParam: "order"}},
			check: func(t *testing.T, m cloudapitest.Message) {
				cs := m.Request.Template.Components
				if len(cs) != 2 || cs[0].Type != "header" || len(cs[0].Parameters) != 1 ||
					cs[0].Parameters[0].ParameterName != "order" || cs[0].Parameters[0].Text != "A-17" {
					t.Errorf("components = %+v, want the header's named parameter", cs)
				}
			},
		},
		{
			name: "reaction",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeReaction, Reaction: &sdk.Reaction{ProviderMessageID: "wamid.X", Emoji: "👍"}},
			check: func(t *testing.T, m cloudapitest.Message) {
				if r := m.Request.Reaction; r == nil || r.MessageID != "wamid.X" || r.Emoji != "👍" {
					t.Errorf("reaction = %+v", r)
				}
			},
		},
		{
			name: "reaction_removed",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeReaction, Reaction: &sdk.Reaction{ProviderMessageID: "wamid.X"}},
			check: func(t *testing.T, m cloudapitest.Message) {
				if !strings.Contains(string(m.Payload), `"emoji":""`) {
					t.Errorf("payload %s: a removal sends an empty emoji", m.Payload)
				}
			},
		},
	}
	ch := whatsapp.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, conn := cloudSetup(t, cloudapitest.Options{Statuses: []cloudapitest.Step{}})
			res, err := ch.Send(ctx(t), conn, tt.msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if !wamidPattern.MatchString(res.ProviderMessageID) {
				t.Errorf("provider id %q is not a wamid", res.ProviderMessageID)
			}
			if res.RecipientAddress != "" {
				t.Errorf("RecipientAddress = %q for a number that is its own wa_id, want none", res.RecipientAddress)
			}
			sent := srv.Sent()
			if len(sent) != 1 || sent[0].ID != res.ProviderMessageID {
				t.Fatalf("fake recorded %+v, want the one message %s", sent, res.ProviderMessageID)
			}
			if sent[0].Request.MessagingProduct != "whatsapp" {
				t.Errorf("messaging_product = %q", sent[0].Request.MessagingProduct)
			}
			tt.check(t, sent[0])
		})
	}
}

func TestCloudSendRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		msg    sdk.OutboundMessage
		class  sdk.ErrorClass
		code   string
		reason string
	}{
		{"no_recipient", sdk.OutboundMessage{Type: sdk.TypeText, Text: "hi"}, sdk.Permanent, whatsapp.CodeInvalidMessage, "no recipient"},
		{"empty_text", sdk.OutboundMessage{To: customer, Type: sdk.TypeText}, sdk.Permanent, whatsapp.CodeInvalidMessage, "no text"},
		{"unknown_type", sdk.OutboundMessage{To: customer, Type: "poll", Text: "?"}, sdk.Permanent, whatsapp.CodeInvalidMessage, "unknown message type"},
		{"audio_caption", sdk.OutboundMessage{To: customer, Type: sdk.TypeMedia, Media: &sdk.Media{URL: "https://x.example/a.mp3", Caption: "hi"}}, sdk.Permanent, whatsapp.CodeInvalidMessage, "cannot have a caption"},
		{"text_too_long", sdk.OutboundMessage{To: customer, Text: strings.Repeat("a", 4097)}, sdk.Permanent, "100", "4096"},
		{"invalid_number", sdk.OutboundMessage{To: "+12", Text: "hi"}, sdk.Permanent, "131026", whatsapp.ReasonUndeliverable},
		{"template_missing", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "nope", Language: "en_US"}}, sdk.Permanent, "132001", whatsapp.ReasonTemplateMissing},
		{"template_wrong_language", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", Language: "de", Body: []string{"a", "b"}}}, sdk.Permanent, "132001", whatsapp.ReasonTemplateMissing},
		{"template_param_count", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", Language: "en_US", Body: []string{"a"}}}, sdk.Permanent, "132000", whatsapp.ReasonTemplateParams},
		{"template_named_mismatch", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "welcome", Language: "en", Named: map[string]string{"name": "Ada", "shop": "x"}}}, sdk.Permanent, "132000", whatsapp.ReasonTemplateParams},
		{"template_missing_header", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "promo", Language: "en_US", Body: []string{"x"}, ButtonURLs: []string{"a"}, CopyCode: "C"}}, sdk.Permanent, "132000", whatsapp.ReasonTemplateParams},
		{"template_missing_header_text", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "delivery", Language: "en_US", Body: []string{"Ada"}}}, sdk.Permanent, "132000", whatsapp.ReasonTemplateParams},
		{"template_header_text_unexpected", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", Language: "en_US", Body: []string{"a", "b"}, HeaderText: "A-17"}}, sdk.Permanent, "132000", whatsapp.ReasonTemplateParams},
		{"template_header_param_name", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "delivery_named", Language: "en_US", Named: map[string]string{"first_name": "Ada"}, HeaderText: "A-17", HeaderParam: "number"}}, sdk.Permanent, "132000", whatsapp.ReasonTemplateParams},
		{"template_header_media_and_text", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "delivery", Language: "en_US", Body: []string{"Ada"}, HeaderURL: "https://x.example/a.png", HeaderText: "A-17"}}, sdk.Permanent, whatsapp.CodeInvalidMessage, "media or text"},
	}
	ch := whatsapp.New()
	srv, conn := cloudSetup(t, cloudapitest.Options{Statuses: []cloudapitest.Step{}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ch.Send(ctx(t), conn, tt.msg)
			wantError(t, err, tt.class, tt.code, tt.reason)
		})
	}
	t.Cleanup(func() {
		if n := len(srv.Sent()); n != 0 {
			t.Errorf("the fake accepted %d refused messages", n)
		}
	})
}

func TestCloudActions(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	srv, conn := cloudSetup(t, cloudapitest.Options{TemplatePageSize: 2})
	srv.AddTemplate("draft", "en_US", cloudapitest.CategoryUtility, 0, cloudapitest.WithStatus(cloudapitest.StatusPending))
	srv.AddTemplate("otp", "en_US", cloudapitest.CategoryAuthentication, 1, cloudapitest.WithCopyCodeButton())

	t.Run("mark_read", func(t *testing.T) {
		out, err := ch.Action(ctx(t), conn, "mark_read", json.RawMessage(`{"provider_message_id":"wamid.IN1"}`))
		if err != nil {
			t.Fatalf("mark_read: %v", err)
		}
		if string(out) != `{"ok":true}` {
			t.Errorf("mark_read = %s", out)
		}
		if reads := srv.Reads(); len(reads) != 1 || reads[0] != "wamid.IN1" {
			t.Errorf("fake reads = %v", reads)
		}
		_, err = ch.Action(ctx(t), conn, "mark_read", json.RawMessage(`{}`))
		wantError(t, err, sdk.Permanent, whatsapp.CodeInvalidMessage, "provider_message_id")
	})
	t.Run("react", func(t *testing.T) {
		out, err := ch.Action(ctx(t), conn, "react", json.RawMessage(`{"to":"+15550100001","provider_message_id":"wamid.IN1","emoji":"❤️"}`))
		if err != nil {
			t.Fatalf("react: %v", err)
		}
		var res struct {
			ProviderMessageID string `json:"provider_message_id"`
		}
		if err := json.Unmarshal(out, &res); err != nil || !wamidPattern.MatchString(res.ProviderMessageID) {
			t.Errorf("react = %s", out)
		}
	})
	t.Run("sync_templates", func(t *testing.T) {
		out, err := ch.Action(ctx(t), conn, "sync_templates", nil)
		if err != nil {
			t.Fatalf("sync_templates: %v", err)
		}
		var res struct {
			Templates []whatsapp.TemplateInfo `json:"templates"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("sync_templates = %s: %v", out, err)
		}
		var names []string
		for _, tp := range res.Templates {
			names = append(names, tp.Name+"/"+tp.Language+"/"+tp.Category+"/"+tp.Status)
			if len(tp.Components) == 0 || tp.Body == "" {
				t.Errorf("template %s has no components or body: %+v", tp.Name, tp)
			}
		}
		want := []string{
			"order_shipped/en_US/utility/approved", "welcome/en/marketing/approved",
			"promo/en_US/marketing/approved", "delivery/en_US/utility/approved",
			"delivery_named/en_US/utility/approved", "otp/en_US/authentication/approved",
		}
		if strings.Join(names, ",") != strings.Join(want, ",") {
			t.Errorf("templates = %v, want %v (approved only, every page)", names, want)
		}
		if !strings.Contains(string(res.Templates[2].Components), `"COPY_CODE"`) {
			t.Errorf("promo components = %s, want its buttons", res.Templates[2].Components)
		}
		if c := string(res.Templates[3].Components); !strings.Contains(c, `"text":"Order {{1}} is on its way"`) || !strings.Contains(c, `"header_text"`) {
			t.Errorf("delivery components = %s, want its text header with an example", c)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		_, err := ch.Action(ctx(t), conn, "pin", nil)
		wantError(t, err, sdk.Permanent, whatsapp.CodeUnknownAction, "unknown action")
	})
	t.Run("bad_token", func(t *testing.T) {
		bad := conn
		cfg := whatsapptest.CloudConfig(srv)
		cfg.AccessToken = "EAAexpired"
		bad.Config = cfg.JSON()
		_, err := ch.Action(ctx(t), bad, "sync_templates", nil)
		wantError(t, err, sdk.AuthFailed, "190", "access token")
	})
}

// twilioSetup is a fake with two Content templates and a connection mapping them.
func twilioSetup(t *testing.T, opts twiliotest.Options) (*twiliotest.Server, sdk.Connection, map[string]twiliotest.Template) {
	t.Helper()
	srv := twiliotest.NewTest(t, opts)
	tpls := map[string]twiliotest.Template{
		"order_shipped":    srv.AddTemplate("order_shipped", "en", "UTILITY", 2),
		"order_shipped:de": srv.AddTemplate("order_shipped", "de", "UTILITY", 2),
		"welcome":          srv.AddTemplate("welcome", "en", "MARKETING", 0, twiliotest.WithNamedVariables("first_name")),
	}
	cfg := whatsapptest.TwilioConfig(srv)
	cfg.ContentSIDs = map[string]string{}
	for k, tp := range tpls {
		cfg.ContentSIDs[k] = tp.SID
	}
	conn := whatsapptest.TwilioConnection(srv)
	conn.Config = cfg.JSON()
	return srv, conn, tpls
}

func TestTwilioSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		msg   sdk.OutboundMessage
		check func(t *testing.T, m twiliotest.Message, tpls map[string]twiliotest.Template)
	}{
		{
			name: "text",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeText, Text: "Hello", ReplyTo: "SMold"},
			check: func(t *testing.T, m twiliotest.Message, _ map[string]twiliotest.Template) {
				if m.Type() != "text" || m.Body != "Hello" || m.To != "whatsapp:+15550100001" || m.From != twiliotest.DefaultSender {
					t.Errorf("message = %+v", m)
				}
				if m.StatusCallback != "https://switchboard.invalid/hooks/whatsapp/wa-twilio" {
					t.Errorf("StatusCallback = %q, want the connection's webhook URL", m.StatusCallback)
				}
			},
		},
		{
			name: "media",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeMedia, Media: &sdk.Media{URL: "https://cdn.example.com/a.jpg", Caption: "Look"}},
			check: func(t *testing.T, m twiliotest.Message, _ map[string]twiliotest.Template) {
				if m.Type() != "media" || len(m.MediaURLs) != 1 || m.MediaURLs[0] != "https://cdn.example.com/a.jpg" || m.Body != "Look" {
					t.Errorf("message = %+v", m)
				}
			},
		},
		{
			name: "location",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeLocation, Location: &sdk.Location{Latitude: 37.78789, Longitude: -122.391664, Name: "Beale St"}},
			check: func(t *testing.T, m twiliotest.Message, _ map[string]twiliotest.Template) {
				if m.Type() != "location" || m.PersistentAction[0] != "geo:37.78789,-122.391664|Beale St" || m.Body != "Beale St" {
					t.Errorf("message = %+v", m)
				}
			},
		},
		{
			name: "template_numbered",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", Language: "en", Body: []string{"Ada", "#1234"}}},
			check: func(t *testing.T, m twiliotest.Message, tpls map[string]twiliotest.Template) {
				if m.ContentSID != tpls["order_shipped"].SID || m.ContentVariables["1"] != "Ada" || m.ContentVariables["2"] != "#1234" {
					t.Errorf("message = %+v", m)
				}
				if got := m.Form.Get("ContentVariables"); got != `{"1":"Ada","2":"#1234"}` {
					t.Errorf("ContentVariables = %s", got)
				}
			},
		},
		{
			name: "template_language_mapping",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", Language: "de", Body: []string{"Ada", "#1"}}},
			check: func(t *testing.T, m twiliotest.Message, tpls map[string]twiliotest.Template) {
				if m.ContentSID != tpls["order_shipped:de"].SID {
					t.Errorf("ContentSid = %s, want the name:language mapping %s", m.ContentSID, tpls["order_shipped:de"].SID)
				}
			},
		},
		{
			name: "template_named",
			msg:  sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "welcome", Language: "en", Named: map[string]string{"first_name": "Ada"}}},
			check: func(t *testing.T, m twiliotest.Message, tpls map[string]twiliotest.Template) {
				if m.ContentSID != tpls["welcome"].SID || m.ContentVariables["first_name"] != "Ada" {
					t.Errorf("message = %+v", m)
				}
			},
		},
	}
	ch := whatsapp.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, conn, tpls := twilioSetup(t, twiliotest.Options{Statuses: []twiliotest.Step{}})
			res, err := ch.Send(ctx(t), conn, tt.msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if !smPattern.MatchString(res.ProviderMessageID) {
				t.Errorf("provider id %q is not SM + 32 hex", res.ProviderMessageID)
			}
			sent := srv.Sent()
			if len(sent) != 1 || sent[0].SID != res.ProviderMessageID {
				t.Fatalf("fake recorded %+v, want the one message %s", sent, res.ProviderMessageID)
			}
			tt.check(t, sent[0], tpls)
		})
	}

	t.Run("messaging_service", func(t *testing.T) {
		t.Parallel()
		srv := twiliotest.NewTest(t, twiliotest.Options{Statuses: []twiliotest.Step{}})
		cfg := whatsapptest.TwilioConfig(srv)
		cfg.Sender = twiliotest.DefaultMessagingServiceSID
		conn := whatsapptest.TwilioConnection(srv)
		conn.Config = cfg.JSON()
		if _, err := ch.Send(ctx(t), conn, sdk.OutboundMessage{To: customer, Text: "hi"}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		m := srv.Sent()[0]
		if m.MessagingServiceSID != twiliotest.DefaultMessagingServiceSID || m.Form.Get("From") != "" || m.From != twiliotest.DefaultSender {
			t.Errorf("message = %+v, want MessagingServiceSid and no From", m)
		}
	})
}

func TestTwilioSendRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		msg    sdk.OutboundMessage
		class  sdk.ErrorClass
		code   string
		reason string
	}{
		{"template_unmapped", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "promo", Language: "en"}}, sdk.Permanent, whatsapp.CodeInvalidMessage, "template not mapped to a Twilio Content SID"},
		{"template_header", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", HeaderURL: "https://x.example/a.png"}}, sdk.Permanent, whatsapp.CodeInvalidMessage, "Content variables"},
		{"template_header_text", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", HeaderText: "A-17"}}, sdk.Permanent, whatsapp.CodeInvalidMessage, "Content variables"},
		{"template_variables", sdk.OutboundMessage{To: customer, Type: sdk.TypeTemplate, Template: &sdk.Template{Name: "order_shipped", Language: "en", Body: []string{"one"}}}, sdk.Permanent, "21656", whatsapp.ReasonTemplateParams},
		{"reaction", sdk.OutboundMessage{To: customer, Type: sdk.TypeReaction, Reaction: &sdk.Reaction{ProviderMessageID: "SM1", Emoji: "👍"}}, sdk.Permanent, whatsapp.CodeInvalidMessage, "not supported by the Twilio engine"},
		{"invalid_number", sdk.OutboundMessage{To: "+0123", Text: "hi"}, sdk.Permanent, "21211", whatsapp.ReasonInvalidNumber},
		{"body_too_long", sdk.OutboundMessage{To: customer, Text: strings.Repeat("a", 1601)}, sdk.Permanent, "21617", "1600"},
	}
	ch := whatsapp.New()
	srv, conn, _ := twilioSetup(t, twiliotest.Options{Statuses: []twiliotest.Step{}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ch.Send(ctx(t), conn, tt.msg)
			wantError(t, err, tt.class, tt.code, tt.reason)
		})
	}
	t.Run("actions", func(t *testing.T) {
		t.Parallel()
		for _, a := range []string{"mark_read", "react", "sync_templates"} {
			_, err := ch.Action(ctx(t), conn, a, json.RawMessage(`{"provider_message_id":"SM1"}`))
			wantError(t, err, sdk.Permanent, whatsapp.CodeInvalidMessage, "not supported by the twilio engine")
		}
	})
	t.Cleanup(func() {
		if n := len(srv.Sent()); n != 0 {
			t.Errorf("the fake accepted %d refused messages", n)
		}
	})
}

func TestSendInvalidConnection(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	_, err := ch.Send(ctx(t), sdk.Connection{Engine: "unofficial", Config: json.RawMessage(`{}`)}, sdk.OutboundMessage{To: customer, Text: "hi"})
	wantError(t, err, sdk.Permanent, whatsapp.CodeUnknownEngine, "no engine")
	_, err = ch.Send(ctx(t), sdk.Connection{Engine: whatsapp.EngineCloud, Config: json.RawMessage(`{"access_token":"x"}`)}, sdk.OutboundMessage{To: customer, Text: "hi"})
	wantError(t, err, sdk.AuthFailed, whatsapp.CodeInvalidConfig, "invalid connection config")
}

func TestSendTransportFailure(t *testing.T) {
	t.Parallel()
	ch := whatsapp.New()
	srv := cloudapitest.New(cloudapitest.Options{}).Start()
	conn := whatsapptest.CloudConnection(srv)
	srv.Close() // nothing listens at its URL any more
	_, err := ch.Send(ctx(t), conn, sdk.OutboundMessage{To: customer, Text: "hi"})
	wantError(t, err, sdk.Transient, "", "unreachable")
}

// TestTemplatePagingKeepsTheTokenOut: Meta writes the access token into paging.next.
// The next page is asked for with the token in its header only, and when that call
// fails the reason (which reaches logs and the templates API) does not carry it.
func TestTemplatePagingKeepsTheTokenOut(t *testing.T) {
	t.Parallel()
	const secret = "EAAG-very-secret-token"
	var srv *httptest.Server
	queried := make(chan string, 1)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("after") == "" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"data":[],"paging":{"next":%q}}`, srv.URL+r.URL.Path+"?after=p2&access_token="+secret)
			return
		}
		queried <- r.URL.RawQuery
		// The second page's connection breaks: a transport error.
		hj, _ := w.(http.Hijacker)
		c, _, _ := hj.Hijack()
		c.Close()
	}))
	defer srv.Close()
	conn := whatsapptest.CloudConnection(fixtureCloud)
	cfg := whatsapptest.CloudConfig(fixtureCloud)
	cfg.APIBaseURL, cfg.AccessToken = srv.URL, secret
	conn.Config = cfg.JSON()
	_, err := whatsapp.New().Action(ctx(t), conn, "sync_templates", nil)
	if err == nil {
		t.Fatal("sync_templates succeeded over a broken connection")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("the error carries the access token: %v", err)
	}
	if q := <-queried; strings.Contains(q, secret) {
		t.Fatalf("the next page was asked for with the token in its query: %s", q)
	}
}

// TestRedirectsNotFollowed: a provider URL that answers with a redirect is not
// followed elsewhere: the call fails on the answer it got.
func TestRedirectsNotFollowed(t *testing.T) {
	t.Parallel()
	inside := make(chan struct{}, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inside <- struct{}{} }))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/latest/meta-data/", http.StatusFound)
	}))
	defer redirector.Close()
	conn := whatsapptest.CloudConnection(fixtureCloud)
	cfg := whatsapptest.CloudConfig(fixtureCloud)
	cfg.APIBaseURL = redirector.URL
	conn.Config = cfg.JSON()
	if _, err := whatsapp.New().Action(ctx(t), conn, "sync_templates", nil); err == nil {
		t.Fatal("sync_templates succeeded on a redirect")
	}
	select {
	case <-inside:
		t.Fatal("the redirect was followed to another host")
	default:
	}
}
