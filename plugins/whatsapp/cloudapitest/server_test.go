package cloudapitest_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/whatsapp/cloudapitest"
)

type graphErr struct {
	Error struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		FBTraceID string `json:"fbtrace_id"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
}

func call(t *testing.T, srv *cloudapitest.Server, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			b, _ = json.Marshal(body)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, srv.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func wantGraphError(t *testing.T, status int, body []byte, wantStatus, wantCode int) graphErr {
	t.Helper()
	var ge graphErr
	if err := json.Unmarshal(body, &ge); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if status != wantStatus || ge.Error.Code != wantCode {
		t.Errorf("got HTTP %d code %d (%s), want HTTP %d code %d", status, ge.Error.Code, body, wantStatus, wantCode)
	}
	if ge.Error.Message == "" || ge.Error.Type == "" || ge.Error.FBTraceID == "" {
		t.Errorf("error %s lacks message, type or fbtrace_id", body)
	}
	return ge
}

const tok = cloudapitest.DefaultAccessToken

var messagesPath = "/v21.0/" + cloudapitest.DefaultPhoneNumberID + "/messages"

func text(to, body string) map[string]any {
	return map[string]any{"messaging_product": "whatsapp", "to": to, "type": "text", "text": map[string]any{"body": body}}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{})
	for _, token := range []string{"", "EAAwrong"} {
		status, body := call(t, srv, "GET", "/v21.0/"+cloudapitest.DefaultPhoneNumberID, token, nil)
		ge := wantGraphError(t, status, body, 401, 190)
		if ge.Error.Type != "OAuthException" {
			t.Errorf("type = %q", ge.Error.Type)
		}
	}
	status, body := call(t, srv, "GET", "/v21.0/"+cloudapitest.DefaultPhoneNumberID+"?access_token="+tok, "", nil)
	if status != 200 || !strings.Contains(string(body), `"verified_name"`) {
		t.Errorf("token in the query: %d %s", status, body)
	}
	status, body = call(t, srv, "GET", "/v21.0/123456", tok, nil)
	ge := wantGraphError(t, status, body, 400, 100)
	if ge.Error.Subcode != 33 {
		t.Errorf("unknown object: subcode %d, want 33", ge.Error.Subcode)
	}
	status, body = call(t, srv, "GET", "/v21.0/"+cloudapitest.DefaultWABAID, tok, nil)
	if status != 200 || !strings.Contains(string(body), cloudapitest.DefaultWABAID) {
		t.Errorf("WABA: %d %s", status, body)
	}
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{Statuses: []cloudapitest.Step{}})
	srv.AddTemplate("order", "en_US", cloudapitest.CategoryUtility, 2)
	srv.AddTemplate("hello", "en", cloudapitest.CategoryMarketing, 0, cloudapitest.WithNamedParams("name"))
	srv.AddTemplate("promo", "en", cloudapitest.CategoryMarketing, 0, cloudapitest.WithHeader("image"), cloudapitest.WithURLButton(true))
	srv.AddTemplate("draft", "en", cloudapitest.CategoryMarketing, 0, cloudapitest.WithStatus(cloudapitest.StatusPending))
	tpl := func(name, lang string, comps ...map[string]any) map[string]any {
		t := map[string]any{"name": name, "language": map[string]string{"code": lang}}
		if comps != nil {
			t["components"] = comps
		}
		return map[string]any{"messaging_product": "whatsapp", "to": "15550100001", "type": "template", "template": t}
	}
	body := func(params ...map[string]any) map[string]any {
		return map[string]any{"type": "body", "parameters": params}
	}
	p := func(s string) map[string]any { return map[string]any{"type": "text", "text": s} }
	named := func(n, s string) map[string]any {
		return map[string]any{"type": "text", "parameter_name": n, "text": s}
	}
	header := func(typ string) map[string]any {
		return map[string]any{"type": "header", "parameters": []map[string]any{{"type": typ, typ: map[string]string{"link": "https://x.example/a"}}}}
	}
	button := func(index any, sub string, params ...map[string]any) map[string]any {
		return map[string]any{"type": "button", "sub_type": sub, "index": index, "parameters": params}
	}

	tests := []struct {
		name   string
		body   any
		status int
		code   int
	}{
		{"not_json", []byte("{"), 400, 100},
		{"no_messaging_product", map[string]any{"to": "15550100001", "type": "text", "text": map[string]string{"body": "x"}}, 400, 100},
		{"missing_to", text("", "hi"), 400, 100},
		{"missing_type", map[string]any{"messaging_product": "whatsapp", "to": "15550100001"}, 400, 100},
		{"unknown_type", map[string]any{"messaging_product": "whatsapp", "to": "15550100001", "type": "poll"}, 400, 100},
		{"empty_text", text("15550100001", ""), 400, 100},
		{"text_4096", text("15550100001", strings.Repeat("é", 4096)), 200, 0},
		{"text_4097", text("15550100001", strings.Repeat("é", 4097)), 400, 100},
		{"invalid_number", text("12ab", "hi"), 400, 131026},
		{"short_number", text("+123", "hi"), 400, 131026},
		{"media_without_link", map[string]any{"messaging_product": "whatsapp", "to": "1555010001", "type": "image", "image": map[string]string{}}, 400, 100},
		{"media_bad_link", map[string]any{"messaging_product": "whatsapp", "to": "1555010001", "type": "image", "image": map[string]string{"link": "ftp://x"}}, 400, 100},
		{"audio_caption", map[string]any{"messaging_product": "whatsapp", "to": "1555010001", "type": "audio", "audio": map[string]string{"link": "https://x.example/a", "caption": "no"}}, 400, 100},
		{"location_missing_longitude", map[string]any{"messaging_product": "whatsapp", "to": "1555010001", "type": "location", "location": map[string]any{"latitude": 1}}, 400, 100},
		{"reaction_without_message", map[string]any{"messaging_product": "whatsapp", "to": "1555010001", "type": "reaction", "reaction": map[string]any{"emoji": "x"}}, 400, 100},
		{"template_ok", tpl("order", "en_US", body(p("a"), p("b"))), 200, 0},
		{"template_unknown", tpl("nope", "en_US"), 404, 132001},
		{"template_language", tpl("order", "fr", body(p("a"), p("b"))), 404, 132001},
		{"template_pending", tpl("draft", "en"), 404, 132001},
		{"template_too_few", tpl("order", "en_US", body(p("a"))), 400, 132000},
		{"template_too_many", tpl("order", "en_US", body(p("a"), p("b"), p("c"))), 400, 132000},
		{"template_named_ok", tpl("hello", "en", body(named("name", "Ada"))), 200, 0},
		{"template_named_wrong", tpl("hello", "en", body(named("first", "Ada"))), 400, 132000},
		{"template_header_button_ok", tpl("promo", "en", header("image"), button("0", "url", p("x"))), 200, 0},
		{"template_header_numeric_index", tpl("promo", "en", header("image"), button(0, "url", p("x"))), 200, 0},
		{"template_header_missing", tpl("promo", "en", button("0", "url", p("x"))), 400, 132000},
		{"template_header_wrong_type", tpl("promo", "en", header("video"), button("0", "url", p("x"))), 400, 132012},
		{"template_button_missing", tpl("promo", "en", header("image")), 400, 132000},
		{"template_button_bad_index", tpl("promo", "en", header("image"), button("3", "url", p("x"))), 400, 131009},
		{"template_button_wrong_kind", tpl("promo", "en", header("image"), button("0", "copy_code", p("x"))), 400, 131009},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, resp := call(t, srv, "POST", messagesPath, tok, tt.body)
			if tt.status == 200 {
				if status != 200 {
					t.Fatalf("HTTP %d %s, want 200", status, resp)
				}
				return
			}
			wantGraphError(t, status, resp, tt.status, tt.code)
		})
	}
}

func TestSendResponse(t *testing.T) {
	t.Parallel()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{Statuses: []cloudapitest.Step{}})
	status, body := call(t, srv, "POST", messagesPath, tok, text("+1 555-010-0001", "hi"))
	var out struct {
		MessagingProduct string `json:"messaging_product"`
		Contacts         []struct {
			Input string `json:"input"`
			WaID  string `json:"wa_id"`
		} `json:"contacts"`
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if status != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("HTTP %d %s", status, body)
	}
	if out.MessagingProduct != "whatsapp" || out.Contacts[0].Input != "+1 555-010-0001" || out.Contacts[0].WaID != "15550100001" {
		t.Errorf("response = %s", body)
	}
	if !regexp.MustCompile(`^wamid\.HBg[A-Za-z0-9+/]{20,}$`).MatchString(out.Messages[0].ID) {
		t.Errorf("id %q is not shaped like a wamid", out.Messages[0].ID)
	}
	sent := srv.Sent()
	if len(sent) != 1 || sent[0].ID != out.Messages[0].ID || sent[0].Text != "hi" || sent[0].WaID != "15550100001" || len(sent[0].Payload) == 0 {
		t.Errorf("Sent() = %+v", sent)
	}

	status, body = call(t, srv, "POST", messagesPath, tok, map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"})
	if status != 200 || string(body) != `{"success":true}` || len(srv.Reads()) != 1 {
		t.Errorf("mark read: %d %s %v", status, body, srv.Reads())
	}
}

// TestCanonicalWaID: as Meta does, a Mexican number sent to as 52 and 10 digits is
// answered with wa_id 521 and the same 10 digits, which its statuses and the
// customer's messages carry; SetWaID sets another number's (Brazil's ninth digit).
func TestCanonicalWaID(t *testing.T) {
	t.Parallel()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{Statuses: []cloudapitest.Step{{Status: cloudapitest.Sent}}})
	var mu sync.Mutex
	var bodies [][]byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	srv.SetWebhookURL(hook.URL)
	srv.SetWaID("+55 11 98765-4321", "551187654321")
	srv.OnMessage(func(cloudapitest.Message) (string, bool) { return "hola", true })
	for _, tc := range []struct{ to, waID string }{
		{"+52 55 1234 5678", "5215512345678"},
		{"5215512345678", "5215512345678"}, // the wa_id itself
		{"+55 11 98765-4321", "551187654321"},
		{"+1 555-010-0001", "15550100001"},
	} {
		status, body := call(t, srv, "POST", messagesPath, tok, text(tc.to, "hi"))
		var out struct {
			Contacts []struct {
				Input string `json:"input"`
				WaID  string `json:"wa_id"`
			} `json:"contacts"`
		}
		if status != 200 || json.Unmarshal(body, &out) != nil || len(out.Contacts) != 1 {
			t.Fatalf("send to %s: HTTP %d %s", tc.to, status, body)
		}
		if out.Contacts[0].Input != tc.to || out.Contacts[0].WaID != tc.waID {
			t.Errorf("send to %s: contacts %+v, want input %s wa_id %s", tc.to, out.Contacts, tc.to, tc.waID)
		}
		if got := srv.WaID(tc.to); got != tc.waID {
			t.Errorf("WaID(%s) = %s, want %s", tc.to, got, tc.waID)
		}
	}
	if err := srv.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The status and the scripted reply to the Mexican number carry its wa_id.
	mu.Lock()
	defer mu.Unlock()
	var recipient, from bool
	for _, b := range bodies {
		recipient = recipient || bytes.Contains(b, []byte(`"recipient_id":"5215512345678"`))
		from = from || bytes.Contains(b, []byte(`"from":"5215512345678"`))
		if bytes.Contains(b, []byte(`"525512345678"`)) {
			t.Errorf("a webhook names the number as sent, not its wa_id: %s", b)
		}
	}
	if !recipient || !from {
		t.Errorf("no status (%v) or reply (%v) from wa_id 5215512345678 in %d webhooks", recipient, from, len(bodies))
	}
	// A message injected from the number as dialled comes from its wa_id.
	if b := srv.InboundBody("wamid.X", time.Now(), cloudapitest.Inbound{From: "+525512345678", Text: "hola"}); !bytes.Contains(b, []byte(`"from":"5215512345678"`)) ||
		!bytes.Contains(b, []byte(`"wa_id":"5215512345678"`)) {
		t.Errorf("inbound body %s: want from and wa_id 5215512345678", b)
	}
}

func TestInjectedFailures(t *testing.T) {
	t.Parallel()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{Statuses: []cloudapitest.Step{}})
	rl := cloudapitest.Failure(cloudapitest.CodeThroughput)
	rl.RetryAfter = 3 * time.Second
	srv.FailNext(cloudapitest.Failure(cloudapitest.CodeGeneric), rl)
	status, body := call(t, srv, "POST", messagesPath, tok, text("15550100001", "1"))
	wantGraphError(t, status, body, 500, 131000)
	req, _ := http.NewRequest("POST", srv.URL()+messagesPath, strings.NewReader(`{"messaging_product":"whatsapp","to":"15550100001","type":"text","text":{"body":"2"}}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("second: HTTP %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if status, _ := call(t, srv, "POST", messagesPath, tok, text("15550100001", "3")); status != 200 {
		t.Errorf("third send: HTTP %d, want 200 (FailNext used up)", status)
	}
	srv.FailTo("15550100002", cloudapitest.Failure(cloudapitest.CodeReEngagement))
	for range 2 {
		status, body := call(t, srv, "POST", messagesPath, tok, text("+15550100002", "x"))
		wantGraphError(t, status, body, 400, 131047)
	}
	srv.ClearFailures()
	if status, _ := call(t, srv, "POST", messagesPath, tok, text("+15550100002", "x")); status != 200 {
		t.Errorf("after ClearFailures: HTTP %d", status)
	}
}

func TestThrottleAndWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := cloudapitest.NewTest(t, cloudapitest.Options{RateLimit: 1, Burst: 1, Enforce24h: true, Now: clock, Statuses: []cloudapitest.Step{}})
	srv.OpenWindow("15550100001")
	if status, body := call(t, srv, "POST", messagesPath, tok, text("15550100001", "a")); status != 200 {
		t.Fatalf("first: %d %s", status, body)
	}
	status, body := call(t, srv, "POST", messagesPath, tok, text("15550100001", "b"))
	wantGraphError(t, status, body, 429, 130429)
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if status, body := call(t, srv, "POST", messagesPath, tok, text("15550100001", "c")); status != 200 {
		t.Fatalf("after a second: %d %s", status, body)
	}
	mu.Lock()
	now = now.Add(24 * time.Hour)
	mu.Unlock()
	status, body = call(t, srv, "POST", messagesPath, tok, text("15550100001", "d"))
	wantGraphError(t, status, body, 400, 131047)
	srv.SetEnforce24h(false)
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if status, body := call(t, srv, "POST", messagesPath, tok, text("15550100001", "e")); status != 200 {
		t.Errorf("with the rule off: %d %s", status, body)
	}
}

func TestTemplatePaging(t *testing.T) {
	t.Parallel()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{})
	for i := range 5 {
		srv.AddTemplate(fmt.Sprintf("t%d", i), "en", cloudapitest.CategoryUtility, i)
	}
	path := "/v21.0/" + cloudapitest.DefaultWABAID + "/message_templates?limit=2"
	var names []string
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		status, body := call(t, srv, "GET", path, tok, nil)
		var page struct {
			Data []struct {
				Name       string            `json:"name"`
				Status     string            `json:"status"`
				Components []json.RawMessage `json:"components"`
			} `json:"data"`
			Paging struct {
				Next string `json:"next"`
			} `json:"paging"`
		}
		if status != 200 || json.Unmarshal(body, &page) != nil {
			t.Fatalf("HTTP %d %s", status, body)
		}
		for _, d := range page.Data {
			names = append(names, d.Name)
			if d.Status != "APPROVED" || len(d.Components) == 0 {
				t.Errorf("template %+v", d)
			}
		}
		path = strings.TrimPrefix(page.Paging.Next, srv.URL())
	}
	if strings.Join(names, ",") != "t0,t1,t2,t3,t4" {
		t.Errorf("names = %v", names)
	}
}

// TestCallbacks: statuses and replies arrive asynchronously, in order, signed with
// the app secret; Wait waits for them.
func TestCallbacks(t *testing.T) {
	t.Parallel()
	type got struct {
		sig  string
		body []byte
	}
	var mu sync.Mutex
	var received []got
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, got{r.Header.Get(cloudapitest.SignatureHeader), b})
		mu.Unlock()
	}))
	defer hook.Close()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{WebhookURL: hook.URL, StatusDelay: 2 * time.Millisecond, AppSecret: "s3cret"})
	srv.SetStatuses("15550100002", cloudapitest.Step{Status: cloudapitest.Sent}, cloudapitest.FailedStep(cloudapitest.CodeUndeliverable), cloudapitest.Step{Status: cloudapitest.Read})
	srv.OnMessage(func(m cloudapitest.Message) (string, bool) { return "re: " + m.Text, true })
	call(t, srv, "POST", messagesPath, tok, text("15550100001", "one"))
	call(t, srv, "POST", messagesPath, tok, text("15550100002", "two"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// one: sent, delivered, read, reply; two: sent, failed (ends the sequence, no reply).
	if len(received) != 6 {
		t.Fatalf("received %d webhooks, want 6", len(received))
	}
	var one, two []string
	for _, r := range received {
		mac := hmac.New(sha256.New, []byte("s3cret"))
		mac.Write(r.body)
		if r.sig != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("bad signature %q", r.sig)
		}
		s := string(r.body)
		tag := regexp.MustCompile(`"status":"(\w+)"`).FindStringSubmatch(s)
		what := "reply"
		if tag != nil {
			what = tag[1]
		}
		if strings.Contains(s, "15550100002") {
			two = append(two, what)
		} else {
			one = append(one, what)
		}
	}
	if strings.Join(one, ",") != "sent,delivered,read,reply" || strings.Join(two, ",") != "sent,failed" {
		t.Errorf("sequences: one %v, two %v", one, two)
	}
	if d := srv.Deliveries(); len(d) != 6 || !d[0].OK() {
		t.Errorf("deliveries %+v", d)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{WebhookURL: hook.URL})
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(3)
		go func() {
			defer wg.Done()
			call(t, srv, "POST", messagesPath, tok, text(fmt.Sprintf("1555030%04d", i), "hi"))
		}()
		go func() {
			defer wg.Done()
			srv.SetStatuses(fmt.Sprintf("1555030%04d", i), cloudapitest.Step{Status: cloudapitest.Delivered})
			srv.AddTemplate(fmt.Sprintf("t%d", i), "en", "UTILITY", 1)
		}()
		go func() {
			defer wg.Done()
			if _, err := srv.InjectInbound(fmt.Sprintf("1555040%04d", i), "hey"); err != nil {
				t.Error(err)
			}
			_ = srv.Sent()
			_ = srv.Deliveries()
		}()
	}
	wg.Wait()
	if n := len(srv.Sent()); n != 30 {
		t.Errorf("sent %d, want 30", n)
	}
	srv.Close() // with deliveries possibly in flight: must not hang or race
}

func TestSign(t *testing.T) {
	t.Parallel()
	// HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
	got := cloudapitest.Sign("key", []byte("The quick brown fox jumps over the lazy dog"))
	if got != "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" {
		t.Errorf("Sign = %s", got)
	}
}

// TestSeveralNumbers: one app (one server) with a second number, as a business with
// several numbers has: the second sends and is described on its own path, and every
// webhook about it (its statuses, its customer's reply, InjectFor's message) goes to
// the app's one webhook URL, signed with the one app secret, its metadata naming it.
// A customer's 24-hour window is per number.
func TestSeveralNumbers(t *testing.T) {
	t.Parallel()
	type got struct {
		path string
		sig  string
		body []byte
	}
	var mu sync.Mutex
	var received []got
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, got{r.URL.Path, r.Header.Get(cloudapitest.SignatureHeader), b})
		mu.Unlock()
	}))
	defer hook.Close()
	const id2, display2 = "106540352242923", "15550783882"
	srv := cloudapitest.NewTest(t, cloudapitest.Options{
		WebhookURL: hook.URL + "/hooks/first", AppSecret: "app-s3cret", StatusDelay: time.Millisecond,
		Enforce24h: true, Statuses: []cloudapitest.Step{{Status: cloudapitest.Sent}},
	})
	srv.AddNumber(id2, "+1 555-078-3882")
	if n := srv.Numbers(); len(n) != 2 || n[0].PhoneNumberID != cloudapitest.DefaultPhoneNumberID ||
		n[1] != (cloudapitest.Number{PhoneNumberID: id2, DisplayPhoneNumber: display2}) {
		t.Errorf("Numbers() = %+v", n)
	}
	status, body := call(t, srv, "GET", "/v21.0/"+id2, tok, nil)
	if status != 200 || !strings.Contains(string(body), `"display_phone_number":"+1 555-078-3882"`) || !strings.Contains(string(body), `"id":"`+id2+`"`) {
		t.Errorf("GET the second number: %d %s", status, body)
	}

	// The customer writes to the second number only: its window is open there, not
	// with the first.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const customer = "15550100001"
	in, err := srv.InjectFor(ctx, id2, cloudapitest.Inbound{From: "+" + customer, Text: "to the second"})
	if err != nil {
		t.Fatalf("InjectFor: %v", err)
	}
	status, body = call(t, srv, "POST", messagesPath, tok, text(customer, "from the first"))
	wantGraphError(t, status, body, 400, cloudapitest.CodeReEngagement)
	srv.OnMessage(func(m cloudapitest.Message) (string, bool) { return "re: " + m.Text, true })
	status, body = call(t, srv, "POST", "/v21.0/"+id2+"/messages", tok, text(customer, "from the second"))
	if status != 200 {
		t.Fatalf("send from the second number: %d %s", status, body)
	}
	if sent := srv.Sent(); len(sent) != 1 || sent[0].PhoneNumberID != id2 {
		t.Errorf("Sent() = %+v, want one message from %s", sent, id2)
	}
	if err := srv.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.InjectFor(ctx, "999", cloudapitest.Inbound{From: customer, Text: "x"}); !errors.Is(err, cloudapitest.ErrUnknownNumber) {
		t.Errorf("InjectFor an unknown number = %v, want ErrUnknownNumber", err)
	}
	if _, err := srv.Inject(ctx, cloudapitest.Inbound{From: customer, Text: "to the first"}); err != nil {
		t.Fatalf("Inject: %v", err)
	}

	type metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	}
	var wh struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Metadata metadata `json:"metadata"`
					Messages []struct {
						ID      string `json:"id"`
						Context struct {
							From string `json:"from"`
						} `json:"context"`
					} `json:"messages"`
					Statuses []struct {
						Status string `json:"status"`
					} `json:"statuses"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	mu.Lock()
	defer mu.Unlock()
	// InjectFor's message, the send's status, the scripted reply, Inject's message.
	if len(received) != 4 {
		t.Fatalf("received %d webhooks, want 4", len(received))
	}
	second := metadata{DisplayPhoneNumber: display2, PhoneNumberID: id2}
	first := metadata{DisplayPhoneNumber: cloudapitest.DefaultDisplayPhoneNumber, PhoneNumberID: cloudapitest.DefaultPhoneNumberID}
	for i, want := range []metadata{second, second, second, first} {
		r := received[i]
		if r.path != "/hooks/first" || r.sig != cloudapitest.Sign("app-s3cret", r.body) {
			t.Errorf("webhook %d went to %s signed %q", i, r.path, r.sig)
		}
		if err := json.Unmarshal(r.body, &wh); err != nil || len(wh.Entry) != 1 || len(wh.Entry[0].Changes) != 1 {
			t.Fatalf("webhook %d: %v %s", i, err, r.body)
		}
		v := wh.Entry[0].Changes[0].Value
		if v.Metadata != want {
			t.Errorf("webhook %d names %+v, want %+v: %s", i, v.Metadata, want, r.body)
		}
		switch i {
		case 0:
			if len(v.Messages) != 1 || v.Messages[0].ID != in {
				t.Errorf("webhook 0 is not InjectFor's message %s: %s", in, r.body)
			}
		case 1:
			if len(v.Statuses) != 1 || v.Statuses[0].Status != cloudapitest.Sent {
				t.Errorf("webhook 1 is not the send's status: %s", r.body)
			}
		case 2:
			if len(v.Messages) != 1 || v.Messages[0].Context.From != display2 {
				t.Errorf("webhook 2 is not the reply to the second number: %s", r.body)
			}
		}
	}
	if b := srv.InboundBodyFor(id2, "wamid.X", time.Now(), cloudapitest.Inbound{From: customer, Text: "x"}); !bytes.Contains(b, []byte(`"phone_number_id":"`+id2+`"`)) {
		t.Errorf("InboundBodyFor: %s", b)
	}
	if b := srv.StatusBodyFor(id2, "wamid.X", customer, time.Now(), cloudapitest.Step{Status: cloudapitest.Read}); !bytes.Contains(b, []byte(`"display_phone_number":"`+display2+`"`)) {
		t.Errorf("StatusBodyFor: %s", b)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("AddNumber of the first number's id did not panic")
			}
		}()
		srv.AddNumber(cloudapitest.DefaultPhoneNumberID, "15550000000")
	}()
}

// TestFetchLinks: with FetchLinks the fake downloads a link's media once it accepted
// the message, as Meta does: media it can take go on to delivered; a link that does
// not answer, or answers with a type the kind does not take, fails the message with
// 131053 in a status webhook (the send itself was accepted).
func TestFetchLinks(t *testing.T) {
	t.Parallel()
	photo := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte("jpeg"), 1000)...)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/photo.jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write(photo)
		case "/page.jpg":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer files.Close()
	var mu sync.Mutex
	statuses := map[string]string{} // by recipient: the last status and its error code
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Entry []struct {
				Changes []struct {
					Value struct {
						Statuses []struct {
							Status      string `json:"status"`
							RecipientID string `json:"recipient_id"`
							Errors      []struct {
								Code int `json:"code"`
							} `json:"errors"`
						} `json:"statuses"`
					} `json:"value"`
				} `json:"changes"`
			} `json:"entry"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		defer mu.Unlock()
		for _, e := range body.Entry {
			for _, c := range e.Changes {
				for _, st := range c.Value.Statuses {
					statuses[st.RecipientID] = st.Status
					if len(st.Errors) > 0 {
						statuses[st.RecipientID] += fmt.Sprintf(" %d", st.Errors[0].Code)
					}
				}
			}
		}
	}))
	defer hook.Close()
	srv := cloudapitest.NewTest(t, cloudapitest.Options{WebhookURL: hook.URL, StatusDelay: time.Millisecond, FetchLinks: true,
		Statuses: []cloudapitest.Step{{Status: cloudapitest.Sent}, {Status: cloudapitest.Delivered}}})
	ids := map[string]string{}
	for to, link := range map[string]string{"15550100001": "/photo.jpg", "15550100002": "/gone.jpg", "15550100003": "/page.jpg"} {
		status, body := call(t, srv, "POST", messagesPath, tok, map[string]any{"messaging_product": "whatsapp", "to": to, "type": "image",
			"image": map[string]string{"link": files.URL + link}})
		var res struct {
			Messages []struct{ ID string } `json:"messages"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &res) != nil || len(res.Messages) != 1 {
			t.Fatalf("send to %s: %d %s, want it accepted", to, status, body)
		}
		ids[to] = res.Messages[0].ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]string{"15550100001": "delivered", "15550100002": "failed 131053", "15550100003": "failed 131053"}
	for to, w := range want {
		if statuses[to] != w {
			t.Errorf("%s: last status %q, want %q", to, statuses[to], w)
		}
	}
	if got, ok := srv.Fetched(ids["15550100001"]); !ok || !bytes.Equal(got.Data, photo) || got.ContentType != "image/jpeg" {
		t.Errorf("fetched %+v (%v), want the photo", got.Status, ok)
	}
	if got, _ := srv.Fetched(ids["15550100002"]); got.Status != http.StatusNotFound {
		t.Errorf("the missing link's fetch: %d, want 404", got.Status)
	}
}
