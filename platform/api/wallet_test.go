package api_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/auth"
	"github.com/switchboardhq/switchboard/platform/billing"
	"github.com/switchboardhq/switchboard/platform/config"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
	"github.com/switchboardhq/switchboard/tenants"
)

const wtWebhookSecret = "whsec_wallet_api_test"

// wtStripe configures billing against apiURL with the test webhook secret.
func wtStripe(apiURL string) testapp.Option {
	return testapp.WithConfig(func(c *config.Config) {
		c.Billing = config.Billing{StripeSecretKey: "sk_test_123", StripeWebhookSecret: wtWebhookSecret, StripeAPIURL: apiURL}
	})
}

func wtOperator(t *testing.T, ta *testapp.TestApp) *testapp.Client {
	t.Helper()
	u := ta.NewUser("Operator")
	if err := auth.SetOperator(ta.Ctx(), ta.App.DB, u.ID, true); err != nil {
		t.Fatal(err)
	}
	u.IsOperator = true
	return ta.SessionFor(u)
}

func wtMove(t *testing.T, ta *testapp.TestApp, ws string, m billing.Movement) billing.Entry {
	t.Helper()
	res, err := ta.App.Ledger.Move(ta.Ctx(), ws, m)
	if err != nil {
		t.Fatal(err)
	}
	return res.Entry
}

func wtWallet(t *testing.T, c *testapp.Client) api.WalletView {
	t.Helper()
	var v api.WalletView
	c.Do(http.MethodGet, c.WSPath("/wallet"), nil).Expect(http.StatusOK).Decode(&v)
	return v
}

func wtField(t *testing.T, r *testapp.Response, field string) {
	t.Helper()
	r.Expect(http.StatusUnprocessableEntity)
	if e := r.Error(); e.Fields[field] == "" {
		t.Fatalf("want an error on field %s, got %+v", field, e)
	}
}

func wtPack(t *testing.T, ta *testapp.TestApp, code string, active bool) {
	t.Helper()
	if _, err := billing.SavePack(ta.Ctx(), ta.App.DB, code, billing.PackInput{Name: "Pack " + code, Credits: 1000, PriceCents: 1500, Currency: "usd", Active: &active}); err != nil {
		t.Fatal(err)
	}
}

func TestWalletBalanceAndThreshold(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t)
	admin := ta.NewWorkspace("Wallet")
	if v := wtWallet(t, admin); v != (api.WalletView{}) {
		t.Fatalf("new wallet %+v", v)
	}
	wtMove(t, ta, admin.Workspace.ID, billing.Movement{Kind: billing.Grant, Amount: 40, Key: "g", Actor: "test"})
	var v api.WalletView
	admin.Do(http.MethodPatch, admin.WSPath("/wallet"), map[string]any{"low_balance_threshold": 25}).Expect(http.StatusOK).Decode(&v)
	if v != (api.WalletView{Balance: 40, LowBalanceThreshold: 25}) || wtWallet(t, admin) != v {
		t.Fatalf("after PATCH: %+v", v)
	}
	wtField(t, admin.Do(http.MethodPatch, admin.WSPath("/wallet"), map[string]any{"low_balance_threshold": -1}), "low_balance_threshold")
	wtField(t, admin.Do(http.MethodPatch, admin.WSPath("/wallet"), map[string]any{}), "low_balance_threshold")
	if r := admin.Do(http.MethodPatch, admin.WSPath("/wallet"), map[string]any{"balance": 1e6}); r.Status != http.StatusBadRequest {
		t.Fatalf("the balance is not writable: %d %s", r.Status, r.Body)
	}
	if v := wtWallet(t, admin); v.Balance != 40 || v.LowBalanceThreshold != 25 {
		t.Fatalf("refused changes changed the wallet: %+v", v)
	}
	// A threshold above the balance: low at once, and alerted.
	admin.Do(http.MethodPatch, admin.WSPath("/wallet"), map[string]any{"low_balance_threshold": 50}).Expect(http.StatusOK).Decode(&v)
	if !v.Low || v.LowBalanceAlertedAt == nil || v.Balance != 40 {
		t.Fatalf("threshold above the balance: %+v, want low and alerted", v)
	}
	if v := wtWallet(t, admin); !v.Low || v.LowBalanceAlertedAt == nil {
		t.Fatalf("GET after a threshold above the balance: %+v, want low and alerted", v)
	}
	// Auto-recharge needs Stripe (none here): refused, and the threshold sent with it
	// is not stored either.
	if r := admin.Do(http.MethodPatch, admin.WSPath("/wallet"), map[string]any{"low_balance_threshold": 10, "auto_recharge_pack": "starter"}); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("auto-recharge without Stripe: %d %s, want 503", r.Status, r.Body)
	}
	if v := wtWallet(t, admin); v.LowBalanceThreshold != 50 || v.AutoRecharge.Pack != "" {
		t.Fatalf("a refused auto-recharge changed the wallet: %+v", v)
	}
}

func TestWalletLedgerPagesAndFilters(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine))
			admin := ta.NewWorkspace("Ledger")
			ws := admin.Workspace.ID
			var made []billing.Entry
			made = append(made, wtMove(t, ta, ws, billing.Movement{Kind: billing.Grant, Amount: 100, Key: "g1", Actor: "op"}))
			for i := range 5 {
				res, err := ta.App.Ledger.Charge(ta.Ctx(), ws, 1, fmt.Sprint("m", i), fmt.Sprint("message:", i))
				if err != nil {
					t.Fatal(err)
				}
				made = append(made, res.Entry)
			}
			res, err := ta.App.Ledger.Refund(ta.Ctx(), ws, "m0", "failed")
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, res.Entry)

			// Newest first, three per page.
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatal("pagination does not end")
				}
				var page api.List[billing.Entry]
				admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?limit=3&cursor="+cursor), nil).Expect(http.StatusOK).Decode(&page)
				for _, e := range page.Items {
					got = append(got, e.ID)
				}
				if cursor = page.NextCursor; cursor == "" {
					break
				}
			}
			var want []string
			for i := len(made) - 1; i >= 0; i-- {
				want = append(want, made[i].ID)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("ledger pages\n got %v\nwant %v", got, want)
			}

			count := func(query string) int {
				t.Helper()
				var page api.List[billing.Entry]
				admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?"+query), nil).Expect(http.StatusOK).Decode(&page)
				return len(page.Items)
			}
			today := time.Now().UTC()
			day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
			stamp := func(d time.Duration) string { return url.QueryEscape(today.Add(d).Format(time.RFC3339)) }
			for query, n := range map[string]int{
				"kind=charge":                      5,
				"kind=refund":                      1,
				"kind=expiry":                      0,
				"from=" + day(0):                   7,
				"from=" + day(0) + "&to=" + day(0): 7,
				"from=" + day(1):                   0,
				"to=" + day(-1):                    0,
				"from=" + stamp(-time.Hour):        7,
				"to=" + stamp(-time.Hour):          0,
				"kind=grant&from=" + stamp(-time.Hour) + "&to=" + stamp(time.Hour): 1,
			} {
				if got := count(query); got != n {
					t.Errorf("?%s: %d entries, want %d", query, got, n)
				}
			}
			wtField(t, admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?kind=bonus"), nil), "kind")
			wtField(t, admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?from=yesterday"), nil), "from")
			wtField(t, admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?to=2026-13-01"), nil), "to")
			wtField(t, admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?from="+day(0)+"&to="+day(-1)), nil), "to")
			wtField(t, admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?format=xml"), nil), "format")
			wtField(t, admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?limit=0"), nil), "limit")
		})
	}
}

func TestWalletLedgerCSV(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t)
	admin := ta.NewWorkspace("Export")
	ws := admin.Workspace.ID
	wtMove(t, ta, ws, billing.Movement{Kind: billing.Grant, Amount: 1000, Key: "g1", Actor: "op-1", Note: "=HYPERLINK(\"http://evil.test\")"})
	// More than one export batch (500) and more than the largest page (200).
	const charges = 520
	for i := range charges {
		if _, err := ta.App.Ledger.Charge(ta.Ctx(), ws, 1, fmt.Sprint("m", i), fmt.Sprint("message:", i)); err != nil {
			t.Fatal(err)
		}
	}
	r := admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?format=csv"), nil).Expect(http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="ledger-`+admin.Workspace.Slug) {
		t.Fatalf("content disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "id,created_at,kind,amount,balance_after,reference,note,actor" {
		t.Fatalf("header %v", rows[0])
	}
	rows = rows[1:]
	if len(rows) != charges+1 {
		t.Fatalf("%d rows, want %d", len(rows), charges+1)
	}
	var sum int64
	for i, row := range rows {
		if i > 0 && row[0] >= rows[i-1][0] {
			t.Fatalf("row %d is not older than the one before", i)
		}
		if _, err := time.Parse(time.RFC3339Nano, row[1]); err != nil {
			t.Fatalf("row %d created_at %q", i, row[1])
		}
		n, err := strconv.ParseInt(row[3], 10, 64)
		if err != nil {
			t.Fatalf("row %d amount %q", i, row[3])
		}
		sum += n
	}
	newest, oldest := rows[0], rows[len(rows)-1]
	if newest[2] != "charge" || newest[3] != "-1" || newest[4] != "480" || newest[5] != "message:519" || newest[7] != "system:send" {
		t.Fatalf("newest row %v", newest)
	}
	if oldest[2] != "grant" || oldest[6] != `'=HYPERLINK("http://evil.test")` || oldest[7] != "op-1" {
		t.Fatalf("oldest row %v (a formula must be defused)", oldest)
	}
	if v := wtWallet(t, admin); sum != v.Balance {
		t.Fatalf("the export sums to %d, the balance is %d", sum, v.Balance)
	}
	// Filters apply to the export too.
	r = admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?format=csv&kind=grant"), nil).Expect(http.StatusOK)
	if rows, _ := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll(); len(rows) != 2 {
		t.Fatalf("kind=grant export has %d lines, want header + 1", len(rows))
	}
	wtField(t, admin.Do(http.MethodGet, admin.WSPath("/wallet/ledger?format=csv&kind=nope"), nil), "kind")
}

func TestWalletRoutesAreAdminOnly(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t)
	admin := ta.NewWorkspace("Roles")
	ws := admin.Workspace
	wtPack(t, ta, "starter", true)
	calls := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/wallet", nil},
		{http.MethodPatch, "/wallet", map[string]any{"low_balance_threshold": 5}},
		{http.MethodGet, "/wallet/ledger", nil},
		{http.MethodGet, "/wallet/ledger?format=csv", nil},
		{http.MethodGet, "/wallet/packs", nil},
		{http.MethodPost, "/wallet/top-ups", map[string]any{"pack": "starter"}},
	}
	for _, role := range []policies.Role{policies.Manager, policies.Agent, policies.Viewer} {
		for _, c := range []*testapp.Client{ta.Member(ws, role), ta.Token(ws, role)} {
			for _, call := range calls {
				r := c.Do(call.method, c.WSPath(call.path), call.body)
				if r.Status != http.StatusForbidden || r.Error().Code != "forbidden" {
					t.Errorf("%s %s %s: %d %s, want 403 forbidden", role, call.method, call.path, r.Status, r.Body)
				}
			}
		}
	}
	if v := wtWallet(t, admin); v.LowBalanceThreshold != 0 {
		t.Fatalf("a refused PATCH changed the wallet: %+v", v)
	}
	// An admin token may read the wallet.
	tok := ta.Token(ws, policies.Admin)
	tok.Do(http.MethodGet, tok.WSPath("/wallet"), nil).Expect(http.StatusOK)
}

func TestTopUpWithoutStripe(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t)
	admin := ta.NewWorkspace("NoStripe")
	wtPack(t, ta, "starter", true)
	wtPack(t, ta, "retired", false)
	var packs api.List[billing.Pack]
	admin.Do(http.MethodGet, admin.WSPath("/wallet/packs"), nil).Expect(http.StatusOK).Decode(&packs)
	if len(packs.Items) != 1 || packs.Items[0].Code != "starter" || packs.Items[0].Credits != 1000 {
		t.Fatalf("packs on sale %+v", packs.Items)
	}
	r := admin.Do(http.MethodPost, admin.WSPath("/wallet/top-ups"), map[string]any{"pack": "starter"}).Expect(http.StatusServiceUnavailable)
	if e := r.Error(); e.Code != "billing_not_configured" || !strings.Contains(e.Message, "the operator can grant credits") {
		t.Fatalf("error %+v", e)
	}
	wtField(t, admin.Do(http.MethodPost, admin.WSPath("/wallet/top-ups"), map[string]any{"pack": "retired"}), "pack")
	wtField(t, admin.Do(http.MethodPost, admin.WSPath("/wallet/top-ups"), map[string]any{"pack": ""}), "pack")
}

func TestTopUpWithStripeMock(t *testing.T) {
	t.Parallel()
	mock := os.Getenv("SWITCHBOARD_TEST_STRIPE_URL")
	if mock == "" {
		t.Skip("SWITCHBOARD_TEST_STRIPE_URL is not set: this test needs stripe-mock (eval \"$(.ci/services start)\" starts it)")
	}
	ta := testapp.New(t, wtStripe(mock))
	admin := ta.NewWorkspace("Stripe")
	wtPack(t, ta, "starter", true)
	var got api.TopUpStarted
	admin.Do(http.MethodPost, admin.WSPath("/wallet/top-ups"), map[string]any{"pack": "starter"}).Expect(http.StatusCreated).Decode(&got)
	if !strings.HasPrefix(got.CheckoutURL, "https://") || !strings.HasPrefix(got.SessionID, "cs_") {
		t.Fatalf("top-up %+v", got)
	}
	if v := wtWallet(t, admin); v.Balance != 0 {
		t.Fatalf("starting a checkout credited %d", v.Balance)
	}
}

func TestStripeHookEndToEnd(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t, wtStripe(""))
	admin := ta.NewWorkspace("Hook")
	ws := admin.Workspace.ID
	body, err := json.Marshal(map[string]any{
		"id": "evt_e2e", "object": "event", "api_version": "2023-10-16", "type": "checkout.session.completed",
		"created": time.Now().Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": "cs_e2e", "object": "checkout.session", "payment_status": "paid", "payment_intent": "pi_e2e",
			"client_reference_id": ws, "metadata": map[string]string{"workspace_id": ws, "pack": "starter", "credits": "750"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	hook := func(secret string) *testapp.Response {
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret})
		return ta.Anonymous().Send(testapp.Request{Method: http.MethodPost, Path: "/hooks/stripe", ContentType: "application/json; charset=utf-8",
			Body: body, Header: map[string]string{"Stripe-Signature": sp.Header}})
	}
	forged := hook("whsec_forged").Expect(http.StatusBadRequest)
	if e := forged.Error(); e.Code != "invalid_signature" {
		t.Fatalf("forged: %+v", e)
	}
	if v := wtWallet(t, admin); v.Balance != 0 {
		t.Fatalf("a forged webhook credited %d", v.Balance)
	}
	for range 3 {
		var ack api.StripeAck
		hook(wtWebhookSecret).Expect(http.StatusOK).Decode(&ack)
		if !ack.Received {
			t.Fatal("not acknowledged")
		}
	}
	if v := wtWallet(t, admin); v.Balance != 750 {
		t.Fatalf("balance %d after the webhook (delivered 3 times), want 750", v.Balance)
	}

	// Without a webhook secret the endpoint says billing is off (Stripe retries later).
	bare := testapp.New(t)
	r := bare.Anonymous().Send(testapp.Request{Method: http.MethodPost, Path: "/hooks/stripe", ContentType: "application/json", Body: body,
		Header: map[string]string{"Stripe-Signature": "t=1,v1=00"}})
	if r.Expect(http.StatusServiceUnavailable).Error().Code != "billing_not_configured" {
		t.Fatalf("unconfigured hook: %s", r.Body)
	}
}

func TestOperatorPacksAndGrants(t *testing.T) {
	t.Parallel()
	ta := testapp.New(t)
	op := wtOperator(t, ta)
	admin := ta.NewWorkspace("Granted")

	var p billing.Pack
	op.Do(http.MethodPut, "/api/v1/operator/top-up-packs/starter", billing.PackInput{Name: "Starter", Credits: 500, PriceCents: 900, Currency: "EUR"}).
		Expect(http.StatusOK).Decode(&p)
	if p.Code != "starter" || p.Currency != "eur" || !p.Active || p.Credits != 500 {
		t.Fatalf("pack %+v", p)
	}
	off := false
	op.Do(http.MethodPut, "/api/v1/operator/top-up-packs/starter", billing.PackInput{Name: "Starter", Credits: 600, PriceCents: 900, Currency: "eur", Active: &off}).
		Expect(http.StatusOK).Decode(&p)
	if p.Active || p.Credits != 600 {
		t.Fatalf("replaced pack %+v", p)
	}
	r := op.Do(http.MethodPut, "/api/v1/operator/top-up-packs/Bad_Code", billing.PackInput{Name: "", Credits: 0, PriceCents: -1, Currency: "euro"}).Expect(http.StatusUnprocessableEntity)
	for _, f := range []string{"code", "name", "credits", "price_cents", "currency"} {
		if r.Error().Fields[f] == "" {
			t.Errorf("no error on %s: %s", f, r.Body)
		}
	}
	var packs api.List[billing.Pack]
	op.Do(http.MethodGet, "/api/v1/operator/top-up-packs", nil).Expect(http.StatusOK).Decode(&packs)
	if len(packs.Items) != 1 || packs.Items[0].Active {
		t.Fatalf("operator packs %+v", packs.Items)
	}

	grants := "/api/v1/operator/workspaces/" + admin.Workspace.ID + "/grants"
	req := api.GrantRequest{Credits: 50, Note: "goodwill", IdempotencyKey: "ticket-42"}
	var first, again billing.Entry
	op.Do(http.MethodPost, grants, req).Expect(http.StatusCreated).Decode(&first)
	op.Do(http.MethodPost, grants, req).Expect(http.StatusOK).Decode(&again)
	if first.ID == "" || again.ID != first.ID || first.Kind != billing.Grant || first.Amount != 50 || first.Actor != op.User.ID || first.Note != "goodwill" {
		t.Fatalf("grant %+v, retried %+v", first, again)
	}
	if v := wtWallet(t, admin); v.Balance != 50 {
		t.Fatalf("balance %d after a retried grant, want 50", v.Balance)
	}
	if r := op.Do(http.MethodPost, grants, api.GrantRequest{Credits: 70, IdempotencyKey: "ticket-42"}); r.Status != http.StatusConflict {
		t.Fatalf("same key, other amount: %d %s", r.Status, r.Body)
	}
	wtField(t, op.Do(http.MethodPost, grants, api.GrantRequest{Credits: 5}), "idempotency_key")
	wtField(t, op.Do(http.MethodPost, grants, api.GrantRequest{Credits: 0, IdempotencyKey: "k"}), "credits")
	if r := op.Do(http.MethodPost, "/api/v1/operator/workspaces/nope/grants", api.GrantRequest{Credits: 5, IdempotencyKey: "k"}); r.Status != http.StatusNotFound {
		t.Fatalf("unknown workspace: %d %s", r.Status, r.Body)
	}
	// Workspace admins are not operators.
	for _, c := range []*testapp.Client{admin, ta.Token(admin.Workspace, policies.Admin)} {
		if r := c.Do(http.MethodPost, grants, req); r.Status != http.StatusForbidden {
			t.Fatalf("workspace admin granted: %d %s", r.Status, r.Body)
		}
		if r := c.Do(http.MethodPut, "/api/v1/operator/top-up-packs/free", billing.PackInput{Name: "Free", Credits: 1e6, PriceCents: 1, Currency: "usd"}); r.Status != http.StatusForbidden {
			t.Fatalf("workspace admin made a pack: %d %s", r.Status, r.Body)
		}
	}
	if v := wtWallet(t, admin); v.Balance != 50 {
		t.Fatalf("balance %d, want 50", v.Balance)
	}
	var entries []billing.Entry
	if err := tenants.Scope(ta.App.DB, admin.Workspace.ID).Select(&entries).Scan(ta.Ctx()); err != nil || len(entries) != 1 {
		t.Fatalf("ledger %+v %v", entries, err)
	}
}
