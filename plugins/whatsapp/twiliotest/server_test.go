package twiliotest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/whatsapp/twiliotest"
)

type twErr struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

var messagesPath = "/2010-04-01/Accounts/" + twiliotest.DefaultAccountSID + "/Messages.json"

func call(t *testing.T, srv *twiliotest.Server, method, path, user, pass string, form url.Values) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func send(t *testing.T, srv *twiliotest.Server, form url.Values) (int, []byte) {
	t.Helper()
	return call(t, srv, "POST", messagesPath, twiliotest.DefaultAccountSID, twiliotest.DefaultAuthToken, form)
}

func wantTwilioError(t *testing.T, status int, body []byte, wantStatus, wantCode int) {
	t.Helper()
	var e twErr
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if status != wantStatus || e.Code != wantCode || e.Status != wantStatus {
		t.Errorf("got HTTP %d %s, want HTTP %d code %d", status, body, wantStatus, wantCode)
	}
	if e.Message == "" || e.MoreInfo != fmt.Sprintf("https://www.twilio.com/docs/errors/%d", wantCode) {
		t.Errorf("error %s lacks message or more_info", body)
	}
}

func msg(to, body string) url.Values {
	return url.Values{"To": {to}, "From": {twiliotest.DefaultSender}, "Body": {body}}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewTest(t, twiliotest.Options{})
	for _, creds := range [][2]string{{"", ""}, {twiliotest.DefaultAccountSID, "wrong"}, {"AC" + strings.Repeat("0", 32), twiliotest.DefaultAuthToken}} {
		status, body := call(t, srv, "GET", "/2010-04-01/Accounts/"+twiliotest.DefaultAccountSID+".json", creds[0], creds[1], nil)
		wantTwilioError(t, status, body, 401, 20003)
	}
	status, body := call(t, srv, "GET", "/2010-04-01/Accounts/"+twiliotest.DefaultAccountSID+".json", twiliotest.DefaultAccountSID, twiliotest.DefaultAuthToken, nil)
	var acct struct{ SID, Status string }
	if status != 200 || json.Unmarshal(body, &acct) != nil || acct.SID != twiliotest.DefaultAccountSID || acct.Status != "active" {
		t.Errorf("account: %d %s", status, body)
	}
	status, body = call(t, srv, "GET", "/2010-04-01/Accounts/AC"+strings.Repeat("1", 32)+".json", twiliotest.DefaultAccountSID, twiliotest.DefaultAuthToken, nil)
	wantTwilioError(t, status, body, 404, 20404)
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewTest(t, twiliotest.Options{Statuses: []twiliotest.Step{}})
	tpl := srv.AddTemplate("order", "en", "UTILITY", 2)
	named := srv.AddTemplate("hello", "en", "MARKETING", 0, twiliotest.WithNamedVariables("name"))
	pending := srv.AddTemplate("draft", "en", "MARKETING", 0, twiliotest.WithApprovalStatus("pending"))
	with := func(f url.Values, kv ...string) url.Values {
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				f.Del(kv[i])
			} else {
				f.Set(kv[i], kv[i+1])
			}
		}
		return f
	}
	to := "whatsapp:+15550100001"
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   int
	}{
		{"ok", msg(to, "hi"), 201, 0},
		{"missing_to", with(msg(to, "hi"), "To", ""), 400, 21604},
		{"missing_from", with(msg(to, "hi"), "From", ""), 400, 21603},
		{"from_not_a_sender", with(msg(to, "hi"), "From", "whatsapp:+15559999999"), 400, 63007},
		{"sms_to", msg("+15550100001", "hi"), 400, 21910},
		{"invalid_to", msg("whatsapp:+0123", "hi"), 400, 21211},
		{"invalid_to_letters", msg("whatsapp:+1555abc", "hi"), 400, 21211},
		{"empty", msg(to, ""), 400, 21602},
		{"body_1600", msg(to, strings.Repeat("a", 1600)), 201, 0},
		{"body_1601", msg(to, strings.Repeat("a", 1601)), 400, 21617},
		{"media_only", with(msg(to, ""), "MediaUrl", "https://x.example/a.jpg"), 201, 0},
		{"media_bad_url", with(msg(to, ""), "MediaUrl", "file:///etc/passwd"), 400, 21620},
		{"messaging_service", with(msg(to, "hi"), "From", "", "MessagingServiceSid", twiliotest.DefaultMessagingServiceSID), 201, 0},
		{"unknown_messaging_service", with(msg(to, "hi"), "From", "", "MessagingServiceSid", "MG"+strings.Repeat("0", 32)), 400, 21705},
		{"content_ok", with(msg(to, ""), "ContentSid", tpl.SID, "ContentVariables", `{"1":"a","2":"b"}`), 201, 0},
		{"content_named_ok", with(msg(to, ""), "ContentSid", named.SID, "ContentVariables", `{"name":"Ada"}`), 201, 0},
		{"content_unknown", with(msg(to, ""), "ContentSid", "HX"+strings.Repeat("0", 32)), 400, 21655},
		{"content_malformed_sid", with(msg(to, ""), "ContentSid", "HX1"), 400, 21655},
		{"content_pending", with(msg(to, ""), "ContentSid", pending.SID), 400, 21655},
		{"content_too_few", with(msg(to, ""), "ContentSid", tpl.SID, "ContentVariables", `{"1":"a"}`), 400, 21656},
		{"content_wrong_names", with(msg(to, ""), "ContentSid", named.SID, "ContentVariables", `{"first":"Ada"}`), 400, 21656},
		{"content_not_json", with(msg(to, ""), "ContentSid", tpl.SID, "ContentVariables", `{1:`), 400, 21656},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := send(t, srv, tt.form)
			if tt.status == 201 {
				if status != 201 {
					t.Fatalf("HTTP %d %s, want 201", status, body)
				}
				return
			}
			wantTwilioError(t, status, body, tt.status, tt.code)
		})
	}
}

func TestSendResponseAndFetch(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewTest(t, twiliotest.Options{Statuses: []twiliotest.Step{{Status: twiliotest.Sent}, {Status: twiliotest.Delivered}}})
	status, body := send(t, srv, msg("whatsapp:+15550100001", "hi"))
	var m struct {
		SID, Status, To, From, Body, AccountSID string
		NumSegments                             string `json:"num_segments"`
		DateCreated                             string `json:"date_created"`
	}
	if status != 201 || json.Unmarshal(body, &m) != nil {
		t.Fatalf("HTTP %d %s", status, body)
	}
	if !regexp.MustCompile(`^SM[0-9a-f]{32}$`).MatchString(m.SID) || m.Status != "queued" || m.To != "whatsapp:+15550100001" || m.NumSegments != "1" {
		t.Errorf("message = %s", body)
	}
	if _, err := time.Parse(time.RFC1123Z, m.DateCreated); err != nil {
		t.Errorf("date_created %q: %v", m.DateCreated, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	status, body = call(t, srv, "GET", "/2010-04-01/Accounts/"+twiliotest.DefaultAccountSID+"/Messages/"+m.SID+".json", twiliotest.DefaultAccountSID, twiliotest.DefaultAuthToken, nil)
	if status != 200 || !strings.Contains(string(body), `"status":"delivered"`) {
		t.Errorf("fetch after the statuses: %d %s", status, body)
	}
	status, body = call(t, srv, "GET", "/2010-04-01/Accounts/"+twiliotest.DefaultAccountSID+"/Messages/SMnope.json", twiliotest.DefaultAccountSID, twiliotest.DefaultAuthToken, nil)
	wantTwilioError(t, status, body, 404, 20404)
}

func TestThrottleWindowAndFailures(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv := twiliotest.NewTest(t, twiliotest.Options{RateLimit: 1, Burst: 1, Enforce24h: true, Now: clock, Statuses: []twiliotest.Step{}})
	to := "whatsapp:+15550100001"

	status, body := send(t, srv, msg(to, "outside"))
	wantTwilioError(t, status, body, 400, 63016)
	advance(time.Second)
	srv.OpenWindow(to)
	if status, body := send(t, srv, msg(to, "inside")); status != 201 {
		t.Fatalf("inside the window: %d %s", status, body)
	}
	status, body = send(t, srv, msg(to, "too fast"))
	wantTwilioError(t, status, body, 429, 20429)
	advance(25 * time.Hour)
	tpl := srv.AddTemplate("order", "en", "UTILITY", 0)
	if status, body := send(t, srv, url.Values{"To": {to}, "From": {twiliotest.DefaultSender}, "ContentSid": {tpl.SID}}); status != 201 {
		t.Errorf("template outside the window: %d %s", status, body)
	}

	advance(time.Second)
	srv.SetEnforce24h(false)
	srv.FailNext(twiliotest.Failure(twiliotest.CodeUnavailable))
	status, body = send(t, srv, msg(to, "x"))
	wantTwilioError(t, status, body, 503, 20503)
	advance(time.Second)
	srv.FailTo("+15550100002", twiliotest.Failure(twiliotest.CodeNotMobile))
	status, body = send(t, srv, msg("whatsapp:+15550100002", "x"))
	wantTwilioError(t, status, body, 400, 21614)
	if n := len(srv.Sent()); n != 2 {
		t.Errorf("sent %d, want 2", n)
	}
}

// TestCallbacks: status callbacks go to the request's StatusCallback (else the
// default), signed over that URL; the scripted customer's reply goes to the inbound URL.
func TestCallbacks(t *testing.T) {
	t.Parallel()
	type got struct {
		url  string
		sig  string
		form url.Values
	}
	var mu sync.Mutex
	var received []got
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		received = append(received, got{"http://" + r.Host + r.URL.RequestURI(), r.Header.Get(twiliotest.SignatureHeader), r.PostForm})
		mu.Unlock()
	}))
	defer hook.Close()
	srv := twiliotest.NewTest(t, twiliotest.Options{
		InboundURL: hook.URL + "/in", StatusCallbackURL: hook.URL + "/default",
		StatusDelay: time.Millisecond, AuthToken: "tok",
	})
	srv.SetStatuses("+15550100002", twiliotest.Step{Status: twiliotest.Sent}, twiliotest.Step{Status: twiliotest.Undelivered, ErrorCode: 63003})
	srv.OnMessage(func(m twiliotest.Message) (string, bool) { return "re: " + m.Body, true })
	one := msg("whatsapp:+15550100001", "one")
	one.Set("StatusCallback", hook.URL+"/status?conn=1")
	req := func(f url.Values) {
		r, _ := http.NewRequest("POST", srv.URL()+messagesPath, strings.NewReader(f.Encode()))
		r.SetBasicAuth(twiliotest.DefaultAccountSID, "tok")
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(r)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("send: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	req(one)
	req(msg("whatsapp:+15550100002", "two"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var seq []string
	for _, r := range received {
		if want := twiliotest.Signature("tok", r.url, r.form); r.sig != want {
			t.Errorf("signature %q over %s, want %q", r.sig, r.url, want)
		}
		what := r.form.Get("MessageStatus")
		if what == "" {
			what = "reply:" + r.form.Get("Body")
		}
		seq = append(seq, strings.TrimPrefix(r.url, hook.URL)+" "+r.form.Get("To")+" "+what+r.form.Get("ErrorCode"))
	}
	joined := strings.Join(seq, "\n")
	for _, want := range []string{
		"/status?conn=1 whatsapp:+15550100001 sent",
		"/status?conn=1 whatsapp:+15550100001 delivered",
		"/status?conn=1 whatsapp:+15550100001 read",
		"/in " + twiliotest.DefaultSender + " reply:re: one",
		"/default whatsapp:+15550100002 sent",
		"/default whatsapp:+15550100002 undelivered63003",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in:\n%s", want, joined)
		}
	}
	if len(received) != 6 {
		t.Errorf("received %d callbacks, want 6:\n%s", len(received), joined)
	}
}

// TestSignatureVector checks Signature against the documented example.
func TestSignatureVector(t *testing.T) {
	t.Parallel()
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	if got := twiliotest.Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Errorf("Signature = %s", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	srv := twiliotest.NewTest(t, twiliotest.Options{InboundURL: hook.URL, StatusCallbackURL: hook.URL})
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			send(t, srv, msg(fmt.Sprintf("whatsapp:+1555030%04d", i), "hi"))
			srv.SetStatuses(fmt.Sprint(i), twiliotest.Step{Status: twiliotest.Delivered})
		}()
		go func() {
			defer wg.Done()
			if _, err := srv.InjectInbound(fmt.Sprintf("+1555040%04d", i), "hey"); err != nil {
				t.Error(err)
			}
			srv.AddTemplate(fmt.Sprint(i), "en", "UTILITY", 1)
			_ = srv.Sent()
		}()
	}
	wg.Wait()
	if n := len(srv.Sent()); n != 30 {
		t.Errorf("sent %d, want 30", n)
	}
}

// TestFetchLinks: with FetchLinks the fake downloads a message's media URLs once it
// accepted it, as Twilio does: one that answers goes on to delivered; one that does
// not fails the message with 63019 in its status callback.
func TestFetchLinks(t *testing.T) {
	t.Parallel()
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/label.pdf" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write([]byte("%PDF-1.4 label"))
	}))
	defer files.Close()
	var mu sync.Mutex
	last := map[string]string{} // by recipient: the last status and its error code
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		last[r.PostForm.Get("To")] = r.PostForm.Get("MessageStatus") + r.PostForm.Get("ErrorCode")
		mu.Unlock()
	}))
	defer hook.Close()
	srv := twiliotest.NewTest(t, twiliotest.Options{StatusCallbackURL: hook.URL, StatusDelay: time.Millisecond, FetchLinks: true,
		Statuses: []twiliotest.Step{{Status: twiliotest.Sent}, {Status: twiliotest.Delivered}}})
	sids := map[string]string{}
	for to, path := range map[string]string{"whatsapp:+15550100001": "/label.pdf", "whatsapp:+15550100002": "/gone.pdf"} {
		form := msg(to, "")
		form.Set("MediaUrl", files.URL+path)
		status, body := send(t, srv, form)
		var res struct {
			SID string `json:"sid"`
		}
		if status != http.StatusCreated || json.Unmarshal(body, &res) != nil {
			t.Fatalf("send to %s: %d %s", to, status, body)
		}
		sids[to] = res.SID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if last["whatsapp:+15550100001"] != "delivered" || last["whatsapp:+15550100002"] != "failed63019" {
		t.Errorf("last statuses %v, want delivered and failed 63019", last)
	}
	if got := srv.Fetched(sids["whatsapp:+15550100001"]); len(got) != 1 || string(got[0].Data) != "%PDF-1.4 label" || got[0].ContentType != "application/pdf" {
		t.Errorf("fetched %+v, want the label", got)
	}
}
