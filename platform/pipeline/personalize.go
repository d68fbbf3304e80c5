package pipeline

import (
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// A template's parameters may name details of the recipient, filled in for each one
// as their copy of the message is stored: one send to a list greets every customer by
// their own name. The fields:
//
//   - {{name}}, {{first_name}}, {{last_name}}, {{phone}}, {{email}}: the contact's;
//   - {{code}}: a fresh 6-digit code, the same wherever it appears in one message (an
//     authentication template's body and its copy-code button), another in each copy;
//   - any other name: the contact's custom attribute of that name ({{plan}}).
//
// {{first_name|there}} gives the value for a recipient who has none; without it a
// recipient lacking the field refuses the send, naming the parameter, rather than
// sending an empty greeting. A parameter may mix text and fields ("Dear {{name}}").
// Filled values are what the thread shows and what a retry sends again; the template as
// written is kept beside them, so "Send again" and a forward fill the fields anew.

// ErrFieldsRefilled refuses a resend or forward whose template, filled anew, names a
// field a recipient lacks: its request has no template to give a fallback in.
var ErrFieldsRefilled = failure.New(failure.Conflict, "template_fields_missing",
	"the template names a field a recipient lacks; send it as a new message, with a fallback")

// refilled turns personalize's refusal of a template filled anew into
// ErrFieldsRefilled, saying which values lack what.
func refilled(err error) error {
	var f *failure.Error
	if !errors.As(err, &f) || f.Kind != failure.Invalid {
		return err
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(f.Fields)) {
		if !strings.HasPrefix(k, "template.") {
			return err
		}
		parts = append(parts, k+": "+f.Fields[k])
	}
	return ErrFieldsRefilled.WithMessage("The template names a field a recipient lacks; send it as a new message with a fallback (" + strings.Join(parts, "; ") + ")")
}

// ContactFields are the contact details a template parameter can name.
var ContactFields = []string{"name", "first_name", "last_name", "phone", "email"}

// CodeField is the field filled with a fresh one-time code.
const CodeField = "code"

// fieldPattern is one field: {{ name }} or {{ name | fallback }}.
var fieldPattern = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.-]+)\s*(?:\|([^{}]*))?\}\}`)

// hasFields reports whether any parameter of t names a field.
func hasFields(t *sdk.Template) bool {
	found := false
	eachParam(t, func(_ string, v *string) { found = found || strings.Contains(*v, "{{") })
	return found
}

// eachParam calls f with every parameter of t that a send fills, by the field name a
// validation error gives it. f may change the value.
func eachParam(t *sdk.Template, f func(field string, v *string)) {
	for i := range t.Body {
		f(fmt.Sprintf("template.body[%d]", i), &t.Body[i])
	}
	for _, k := range slices.Sorted(maps.Keys(t.Named)) {
		v := t.Named[k]
		f("template.named."+k, &v)
		t.Named[k] = v
	}
	f("template.header_text", &t.HeaderText)
	for i := range t.ButtonURLs {
		f(fmt.Sprintf("template.button_urls[%d]", i), &t.ButtonURLs[i])
	}
	f("template.copy_code", &t.CopyCode)
}

// checkFields refuses a parameter whose "{{" starts no field the pattern reads.
func checkFields(t *sdk.Template) error {
	bad := failure.Fields{}
	eachParam(t, func(field string, v *string) {
		if strings.Contains(fieldPattern.ReplaceAllString(*v, ""), "{{") {
			bad.Add(field, "{{ starts a field of the recipient: {{first_name}}, or {{first_name|fallback}} for one who has none")
		}
	})
	return bad.Err()
}

// personalize fills the fields of t for each contact, in the order of contacts; a
// recipient lacking a field that has no fallback refuses them all, naming the field.
func personalize(t *sdk.Template, contacts []messaging.Contact) ([]*sdk.Template, error) {
	if err := checkFields(t); err != nil {
		return nil, err
	}
	type gap struct {
		field, name string
		missing     int // recipients lacking it
		last        int // the last of them, by index
		first       messaging.Contact
	}
	var gaps []*gap
	gapOf := func(param, name string) *gap {
		for _, g := range gaps {
			if g.field == param && g.name == name {
				return g
			}
		}
		g := &gap{field: param, name: name, last: -1}
		gaps = append(gaps, g)
		return g
	}
	out := make([]*sdk.Template, len(contacts))
	for i, c := range contacts {
		filled, code := copyTemplate(t), ""
		eachParam(filled, func(param string, v *string) {
			*v = fieldPattern.ReplaceAllStringFunc(*v, func(ref string) string {
				sub := fieldPattern.FindStringSubmatch(ref)
				name, fallback := sub[1], strings.TrimSpace(sub[2])
				if name == CodeField {
					if code == "" {
						code = oneTimeCode()
					}
					return code
				}
				if value := fieldOf(c, name); value != "" {
					return value
				}
				if fallback != "" {
					return fallback
				}
				if g := gapOf(param, name); g.last != i {
					if g.missing == 0 {
						g.first = c
					}
					g.missing, g.last = g.missing+1, i
				}
				return ""
			})
		})
		out[i] = filled
	}
	if len(gaps) == 0 {
		return out, nil
	}
	bad := failure.Fields{}
	for _, g := range gaps {
		who := "the recipient has"
		if len(contacts) > 1 {
			who = fmt.Sprintf("%d of the %d recipients (%s first) have", g.missing, len(contacts), label(g.first))
		}
		what := "no " + strings.ReplaceAll(g.name, "_", " ")
		if !slices.Contains(ContactFields, g.name) {
			what = fmt.Sprintf("no attribute %q (the fields are %s, %s, or a contact attribute)", g.name, strings.Join(ContactFields, ", "), CodeField)
		}
		bad.Add(g.field, fmt.Sprintf("%s %s: give a fallback, {{%s|…}}", who, what, g.name))
	}
	return nil, bad.Err()
}

// fieldOf is the contact's value of a field, "" when they have none.
func fieldOf(c messaging.Contact, name string) string {
	words := strings.Fields(c.Name)
	switch name {
	case "name":
		return strings.Join(words, " ")
	case "first_name":
		if len(words) > 0 {
			return words[0]
		}
	case "last_name":
		if len(words) > 1 {
			return words[len(words)-1]
		}
	case "phone":
		return c.Phone
	case "email":
		return c.Email
	default:
		return strings.TrimSpace(c.Attributes[name])
	}
	return ""
}

// label names a contact in an error: by name, else by address.
func label(c messaging.Contact) string {
	for _, s := range []string{c.Name, c.Phone, c.Email, c.MessengerID} {
		if s = strings.Join(strings.Fields(s), " "); s != "" {
			return s
		}
	}
	return c.ID
}

// copyTemplate copies t deeply enough to fill it: its slices and map are its own.
func copyTemplate(t *sdk.Template) *sdk.Template {
	cp := *t
	cp.Body, cp.ButtonURLs, cp.Named = slices.Clone(t.Body), slices.Clone(t.ButtonURLs), maps.Clone(t.Named)
	return &cp
}

// oneTimeCode is six random digits, leading zeros included.
func oneTimeCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(fmt.Sprintf("pipeline: no randomness for a one-time code: %v", err)) // crypto/rand does not fail on Linux
	}
	return fmt.Sprintf("%06d", n.Int64())
}
