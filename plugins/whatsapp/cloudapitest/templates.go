package cloudapitest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Template statuses and categories as the Graph API spells them.
const (
	StatusApproved = "APPROVED"
	StatusPending  = "PENDING"
	StatusRejected = "REJECTED"

	CategoryMarketing      = "MARKETING"
	CategoryUtility        = "UTILITY"
	CategoryAuthentication = "AUTHENTICATION"
)

// Button types of a template.
const (
	ButtonURL        = "URL"
	ButtonCopyCode   = "COPY_CODE"
	ButtonQuickReply = "QUICK_REPLY"
)

// Template is a message template registered with the fake.
type Template struct {
	ID       string
	Name     string
	Language string // e.g. en_US
	Category string // MARKETING | UTILITY | AUTHENTICATION
	Status   string // APPROVED unless WithStatus says otherwise
	Body     string // body text with {{1}}… or {{name}}… placeholders
	// BodyParams is the number of positional body parameters; NamedParams, when set,
	// makes the template NAMED and replaces it.
	BodyParams   int
	NamedParams  []string
	HeaderFormat string // "" (none), TEXT, IMAGE, VIDEO or DOCUMENT
	// HeaderText is a TEXT header's text; it may hold one placeholder ({{1}}, or a
	// name in a NAMED template), which every send must fill.
	HeaderText string
	Buttons    []Button
}

// Button is one button of a template, in order (its index is its position).
type Button struct {
	Type string // URL | COPY_CODE | QUICK_REPLY
	Text string
	// Dynamic is true for a URL button whose URL ends in {{1}}: a send must give the
	// suffix.
	Dynamic bool
}

// TemplateOption adjusts a template in AddTemplate.
type TemplateOption func(*Template)

// WithNamedParams makes the body take named parameters ({{first_name}}) instead of
// positional ones.
func WithNamedParams(names ...string) TemplateOption {
	return func(t *Template) { t.NamedParams = append([]string(nil), names...) }
}

// WithHeader gives the template a header of format TEXT, IMAGE, VIDEO or DOCUMENT;
// media headers need a parameter on every send.
func WithHeader(format string) TemplateOption {
	return func(t *Template) { t.HeaderFormat = strings.ToUpper(format) }
}

// WithTextHeader gives the template a TEXT header with this text, which may hold one
// placeholder.
func WithTextHeader(text string) TemplateOption {
	return func(t *Template) { t.HeaderFormat, t.HeaderText = "TEXT", text }
}

// headerParam is the placeholder of the TEXT header ("1", or a name), or "".
func (t Template) headerParam() string {
	if t.HeaderFormat != "TEXT" {
		return ""
	}
	if m := placeholder.FindStringSubmatch(t.HeaderText); m != nil {
		return m[1]
	}
	return ""
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// WithURLButton adds a URL button; dynamic ones need a URL suffix on every send.
func WithURLButton(dynamic bool) TemplateOption {
	return func(t *Template) {
		t.Buttons = append(t.Buttons, Button{Type: ButtonURL, Text: "Open", Dynamic: dynamic})
	}
}

// WithCopyCodeButton adds a copy-code button (its code is given on every send).
func WithCopyCodeButton() TemplateOption {
	return func(t *Template) { t.Buttons = append(t.Buttons, Button{Type: ButtonCopyCode, Text: "Copy code"}) }
}

// WithQuickReplyButton adds a quick-reply button.
func WithQuickReplyButton(text string) TemplateOption {
	return func(t *Template) { t.Buttons = append(t.Buttons, Button{Type: ButtonQuickReply, Text: text}) }
}

// WithStatus sets the review status (APPROVED by default).
func WithStatus(status string) TemplateOption {
	return func(t *Template) { t.Status = strings.ToUpper(status) }
}

// WithBody sets the body text.
func WithBody(text string) TemplateOption {
	return func(t *Template) { t.Body = text }
}

func (t *Template) defaults() {
	if t.Status == "" {
		t.Status = StatusApproved
	}
	if t.Category == "" {
		t.Category = CategoryUtility
	}
	t.Category = strings.ToUpper(t.Category)
	if t.Body == "" {
		var b strings.Builder
		b.WriteString("Template " + t.Name)
		if len(t.NamedParams) > 0 {
			for _, n := range t.NamedParams {
				b.WriteString(" {{" + n + "}}")
			}
		} else {
			for i := 1; i <= t.BodyParams; i++ {
				fmt.Fprintf(&b, " {{%d}}", i)
			}
		}
		t.Body = b.String()
	}
}

// components is the template's components as GET message_templates lists them.
func (t Template) components() []map[string]any {
	var out []map[string]any
	switch t.HeaderFormat {
	case "":
	case "TEXT":
		text := t.HeaderText
		if text == "" {
			text = t.Name
		}
		h := map[string]any{"type": "HEADER", "format": "TEXT", "text": text}
		switch p := t.headerParam(); {
		case p == "":
		case len(t.NamedParams) > 0:
			h["example"] = map[string]any{"header_text_named_params": []map[string]string{{"param_name": p, "example": "example " + p}}}
		default:
			h["example"] = map[string]any{"header_text": []string{"example header"}}
		}
		out = append(out, h)
	default:
		out = append(out, map[string]any{"type": "HEADER", "format": t.HeaderFormat,
			"example": map[string]any{"header_handle": []string{"https://scontent.whatsapp.net/example"}}})
	}
	body := map[string]any{"type": "BODY", "text": t.Body}
	if len(t.NamedParams) > 0 {
		var ex []map[string]string
		for _, n := range t.NamedParams {
			ex = append(ex, map[string]string{"param_name": n, "example": "example " + n})
		}
		body["example"] = map[string]any{"body_text_named_params": ex}
	} else if t.BodyParams > 0 {
		ex := make([]string, t.BodyParams)
		for i := range ex {
			ex[i] = "example " + strconv.Itoa(i+1)
		}
		body["example"] = map[string]any{"body_text": [][]string{ex}}
	}
	out = append(out, body)
	if len(t.Buttons) > 0 {
		var buttons []map[string]any
		for _, b := range t.Buttons {
			m := map[string]any{"type": b.Type, "text": b.Text}
			switch b.Type {
			case ButtonURL:
				m["url"] = "https://example.com/"
				if b.Dynamic {
					m["url"] = "https://example.com/{{1}}"
					m["example"] = []string{"https://example.com/abc"}
				}
			case ButtonCopyCode:
				m["example"] = "CODE123"
			}
			buttons = append(buttons, m)
		}
		out = append(out, map[string]any{"type": "BUTTONS", "buttons": buttons})
	}
	return out
}

func (t Template) listing() map[string]any {
	format := "POSITIONAL"
	if len(t.NamedParams) > 0 {
		format = "NAMED"
	}
	return map[string]any{
		"id":               t.ID,
		"name":             t.Name,
		"language":         t.Language,
		"status":           t.Status,
		"category":         t.Category,
		"parameter_format": format,
		"components":       t.components(),
	}
}

// TemplateObject is the template of a send request.
type TemplateObject struct {
	Name     string `json:"name"`
	Language struct {
		Code   string `json:"code"`
		Policy string `json:"policy,omitempty"`
	} `json:"language"`
	Components []ComponentObject `json:"components,omitempty"`
}

// ComponentObject is one component of a template send.
type ComponentObject struct {
	Type       string            `json:"type"`
	SubType    string            `json:"sub_type,omitempty"`
	Index      flexibleIndex     `json:"index,omitempty"`
	Parameters []ParameterObject `json:"parameters,omitempty"`
}

// ParameterObject is one parameter of a template component.
type ParameterObject struct {
	Type          string       `json:"type"`
	ParameterName string       `json:"parameter_name,omitempty"`
	Text          string       `json:"text,omitempty"`
	Image         *MediaObject `json:"image,omitempty"`
	Video         *MediaObject `json:"video,omitempty"`
	Document      *MediaObject `json:"document,omitempty"`
	CouponCode    string       `json:"coupon_code,omitempty"`
	Payload       string       `json:"payload,omitempty"`
}

// flexibleIndex accepts a button index as "0" or 0, as the API does.
type flexibleIndex string

func (f *flexibleIndex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexibleIndex(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("index must be a string or a number")
	}
	*f = flexibleIndex(n.String())
	return nil
}

// checkTemplate validates a template send against the registered templates the way
// the API does, returning nil when it may go out.
func checkTemplate(templates []*Template, to *TemplateObject) *Error {
	if to.Name == "" {
		e := Failure(CodeInvalidParameter).WithDetails("The parameter template['name'] is required.")
		return &e
	}
	if to.Language.Code == "" {
		e := Failure(CodeInvalidParameter).WithDetails("The parameter template['language']['code'] is required.")
		return &e
	}
	var t *Template
	for _, c := range templates {
		if c.Name == to.Name && c.Language == to.Language.Code {
			t = c
			break
		}
	}
	if t == nil || t.Status != StatusApproved {
		e := Failure(CodeTemplateMissing).WithDetails("template name (%s) does not exist in %s", to.Name, to.Language.Code)
		return &e
	}
	paramErr := func(format string, args ...any) *Error {
		e := Failure(CodeTemplateParams).WithDetails(format, args...)
		return &e
	}
	var header, body []ParameterObject
	var headers, bodies int
	buttons := map[int]ComponentObject{}
	for _, c := range to.Components {
		switch strings.ToLower(c.Type) {
		case "header":
			headers++
			header = c.Parameters
		case "body":
			bodies++
			body = c.Parameters
		case "button":
			i, err := strconv.Atoi(string(c.Index))
			if err != nil || i < 0 || i >= len(t.Buttons) {
				e := Failure(CodeParameterValue).WithDetails("button at index %q does not exist in template %s", c.Index, t.Name)
				return &e
			}
			if strings.ToUpper(c.SubType) != t.Buttons[i].Type {
				e := Failure(CodeParameterValue).WithDetails("button at index %d is %s, not %s", i, t.Buttons[i].Type, c.SubType)
				return &e
			}
			buttons[i] = c
		default:
			e := Failure(CodeInvalidParameter).WithDetails("Unknown component type %q", c.Type)
			return &e
		}
	}
	if headers > 1 || bodies > 1 {
		e := Failure(CodeInvalidParameter).WithDetails("a template has at most one header and one body component")
		return &e
	}

	switch t.HeaderFormat {
	case "IMAGE", "VIDEO", "DOCUMENT":
		if len(header) != 1 {
			return paramErr("header: number of localizable_params (%d) does not match the expected number of params (1)", len(header))
		}
		p := header[0]
		media := map[string]*MediaObject{"image": p.Image, "video": p.Video, "document": p.Document}[strings.ToLower(t.HeaderFormat)]
		if !strings.EqualFold(p.Type, t.HeaderFormat) || media == nil || (media.Link == "" && media.ID == "") {
			e := Failure(CodeTemplateFormat).WithDetails("header: expected a %s parameter", strings.ToLower(t.HeaderFormat))
			return &e
		}
	default:
		want := t.headerParam()
		if want == "" {
			if len(header) != 0 {
				return paramErr("header: number of localizable_params (%d) does not match the expected number of params (0)", len(header))
			}
			break
		}
		if len(header) != 1 {
			return paramErr("header: number of localizable_params (%d) does not match the expected number of params (1)", len(header))
		}
		switch p := header[0]; {
		case p.Type != "text":
			e := Failure(CodeTemplateFormat).WithDetails("header: expected a text parameter")
			return &e
		case p.Text == "":
			e := Failure(CodeParameterValue).WithDetails("header: a text parameter is empty")
			return &e
		case len(t.NamedParams) > 0 && p.ParameterName != want:
			return paramErr("header: named parameter %q does not match the expected param %q", p.ParameterName, want)
		}
	}

	if len(t.NamedParams) > 0 {
		var got []string
		for _, p := range body {
			got = append(got, p.ParameterName)
		}
		want := slices.Clone(t.NamedParams)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return paramErr("body: named parameters %v do not match the expected params %v", got, want)
		}
	} else if len(body) != t.BodyParams {
		return paramErr("body: number of localizable_params (%d) does not match the expected number of params (%d)", len(body), t.BodyParams)
	}
	for _, p := range body {
		if p.Type == "text" && p.Text == "" {
			e := Failure(CodeParameterValue).WithDetails("body: a text parameter is empty")
			return &e
		}
	}

	for i, b := range t.Buttons {
		c, given := buttons[i]
		switch {
		case b.Type == ButtonURL && b.Dynamic:
			if !given || len(c.Parameters) != 1 || c.Parameters[0].Type != "text" || c.Parameters[0].Text == "" {
				return paramErr("button %d: a URL suffix (one text parameter) is required", i)
			}
		case b.Type == ButtonCopyCode:
			if !given || len(c.Parameters) != 1 || c.Parameters[0].Type != "coupon_code" || c.Parameters[0].CouponCode == "" {
				return paramErr("button %d: a coupon_code parameter is required", i)
			}
		case given && len(c.Parameters) > 0 && b.Type == ButtonURL:
			return paramErr("button %d: a static URL button takes no parameters", i)
		}
	}
	return nil
}
