package pipeline

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func TestPersonalize(t *testing.T) {
	ada := messaging.Contact{ID: "c1", Name: " Ada  King Lovelace ", Phone: "+447700900001", Email: "ada@example.com",
		Attributes: map[string]string{"plan": "Gold"}}
	bo := messaging.Contact{ID: "c2", Name: "Bo", Phone: "+447700900002"}
	nameless := messaging.Contact{ID: "c3", Phone: "+447700900003"}

	t.Run("FilledForEachRecipient", func(t *testing.T) {
		tmpl := &sdk.Template{Name: "welcome", Language: "en",
			Body:       []string{"{{first_name|there}}", "Dear {{ name | customer }}, your {{plan|Basic}} plan", "{{phone}}"},
			Named:      map[string]string{"mail": "{{email|no email}}", "last": "{{last_name|-}}", "fixed": "June"},
			HeaderText: "For {{first_name|you}}", ButtonURLs: []string{"u/{{phone}}"}}
		got, err := personalize(tmpl, []messaging.Contact{ada, bo, nameless})
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"Ada", "Dear Ada King Lovelace, your Gold plan", "+447700900001", "ada@example.com", "Lovelace", "June", "For Ada", "u/+447700900001"},
			{"Bo", "Dear Bo, your Basic plan", "+447700900002", "no email", "-", "June", "For Bo", "u/+447700900002"},
			{"there", "Dear customer, your Basic plan", "+447700900003", "no email", "-", "June", "For you", "u/+447700900003"},
		}
		for i, g := range got {
			have := []string{g.Body[0], g.Body[1], g.Body[2], g.Named["mail"], g.Named["last"], g.Named["fixed"], g.HeaderText, g.ButtonURLs[0]}
			if strings.Join(have, "|") != strings.Join(want[i], "|") {
				t.Errorf("recipient %d got\n%q\nwant\n%q", i, have, want[i])
			}
		}
		if tmpl.Body[0] != "{{first_name|there}}" || tmpl.Named["mail"] != "{{email|no email}}" || tmpl.ButtonURLs[0] != "u/{{phone}}" {
			t.Errorf("the template as written changed: %+v", tmpl)
		}
	})

	t.Run("MissingWithoutFallbackNamesTheParameter", func(t *testing.T) {
		// The nameless recipient has no name for "Dear {{name}}": refused, naming the
		// parameter, how many lack it and who first.
		_, err := personalize(&sdk.Template{Body: []string{"{{first_name|there}}", "Dear {{name}} {{name}}"}, Named: map[string]string{"tier": "{{tier}}"}},
			[]messaging.Contact{ada, nameless, {ID: "c4", Email: "x@example.com"}})
		var f *failure.Error
		if !errors.As(err, &f) || f.Kind != failure.Invalid {
			t.Fatalf("error %v, want a validation error", err)
		}
		if got := f.Fields["template.body[1]"]; !strings.Contains(got, "2 of the 3 recipients (+447700900003 first) have no name") || !strings.Contains(got, "{{name|…}}") {
			t.Errorf("template.body[1]: %q", got)
		}
		if got := f.Fields["template.named.tier"]; !strings.Contains(got, `3 of the 3 recipients (Ada King Lovelace first) have no attribute "tier"`) {
			t.Errorf("template.named.tier: %q", got)
		}
		if _, ok := f.Fields["template.body[0]"]; ok || len(f.Fields) != 2 {
			t.Errorf("fields %v, want body[1] and named.tier only", f.Fields)
		}
		// One recipient: said so.
		_, err = personalize(&sdk.Template{Body: []string{"{{email}}"}}, []messaging.Contact{bo})
		if !errors.As(err, &f) || !strings.HasPrefix(f.Fields["template.body[0]"], "the recipient has no email") {
			t.Errorf("one recipient: %v", err)
		}
	})

	t.Run("BrokenField", func(t *testing.T) {
		for _, v := range []string{"{{first name}}", "{{name", "{{}}", "Hi {{na{me}}"} {
			_, err := personalize(&sdk.Template{Named: map[string]string{"greeting": v}}, []messaging.Contact{ada})
			var f *failure.Error
			if !errors.As(err, &f) || !strings.Contains(f.Fields["template.named.greeting"], "starts a field") {
				t.Errorf("%q: %v, want template.named.greeting refused", v, err)
			}
		}
		// Braces that start no field ("{x}") are text.
		got, err := personalize(&sdk.Template{Body: []string{"{x} {{name}}"}}, []messaging.Contact{bo})
		if err != nil || got[0].Body[0] != "{x} Bo" {
			t.Errorf("got %+v, %v", got, err)
		}
	})

	t.Run("CodeIsFreshForEachCopySameWithinOne", func(t *testing.T) {
		tmpl := &sdk.Template{Name: "login_code", Body: []string{"{{code}}"}, CopyCode: "{{ code }}"}
		contacts := make([]messaging.Contact, 50)
		for i := range contacts {
			contacts[i] = bo
		}
		got, err := personalize(tmpl, contacts)
		if err != nil {
			t.Fatal(err)
		}
		six := regexp.MustCompile(`^[0-9]{6}$`)
		seen := map[string]bool{}
		for _, g := range got {
			if !six.MatchString(g.Body[0]) || g.CopyCode != g.Body[0] {
				t.Fatalf("body %q, copy code %q: want the same 6 digits", g.Body[0], g.CopyCode)
			}
			seen[g.Body[0]] = true
		}
		// 50 draws of a million: a repeat has odds of about 1 in 800; more than two
		// repeats would mean the codes are not drawn per copy.
		if len(seen) < 48 {
			t.Errorf("%d distinct codes in 50 copies", len(seen))
		}
	})

	t.Run("NoFieldsNoChange", func(t *testing.T) {
		tmpl := &sdk.Template{Name: "sale", Body: []string{"20%"}}
		if hasFields(tmpl) {
			t.Error("a template without fields has some")
		}
		if !hasFields(&sdk.Template{CopyCode: "{{code}}"}) {
			t.Error("a copy code's field not seen")
		}
	})
}

// BenchmarkPersonalize: a template with a name, an attribute and a code filled for a
// send to 1,000 recipients, against copying the template for each (what a send to
// several costs without fields), measured in the same run: fill/copy.
func BenchmarkPersonalize(b *testing.B) {
	contacts := make([]messaging.Contact, 1000)
	for i := range contacts {
		contacts[i] = messaging.Contact{ID: fmt.Sprint(i), Name: fmt.Sprintf("Customer %d Smith", i), Phone: fmt.Sprintf("+4477009%05d", i),
			Attributes: map[string]string{"plan": "Gold"}}
	}
	tmpl := &sdk.Template{Name: "welcome", Language: "en", Body: []string{"{{first_name|there}}", "your {{plan|Basic}} plan", "{{code}}"}, CopyCode: "{{code}}"}
	var fill, copying time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := personalize(tmpl, contacts); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		for range contacts {
			_ = copyTemplate(tmpl)
		}
		fill, copying = fill+t1.Sub(t0), copying+time.Since(t1)
	}
	b.ReportMetric(float64(fill.Nanoseconds())/float64(b.N*len(contacts)), "ns/recipient")
	b.ReportMetric(float64(fill)/float64(copying), "fill/copy")
}
