package api_test

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/policies"
)

// refusedQuery checks that c asking for path gets status, and, when field is not
// empty, that the answer names field.
func refusedQuery(t *testing.T, c *testapp.Client, path string, status int, field string) {
	t.Helper()
	r := c.Do(http.MethodGet, path, nil)
	if r.Status != status {
		t.Errorf("%s %s: status %d, want %d; body: %s", c.Role, path, r.Status, status, r.Body)
		return
	}
	if field == "" {
		return
	}
	if e := r.Error(); e.Fields[field] == "" {
		t.Errorf("%s %s: fields %v do not name %s", c.Role, path, e.Fields, field)
	}
}

// answered checks that c asking for path gets 200.
func answered(t *testing.T, c *testapp.Client, path string) {
	t.Helper()
	if r := c.Do(http.MethodGet, path, nil); r.Status != http.StatusOK {
		t.Errorf("%s %s: status %d, want 200; body: %s", c.Role, path, r.Status, r.Body)
	}
}

// TestConversationListFilterValues: a filter naming something that is not there is
// refused, rather than quietly answering with an empty list.
func TestConversationListFilterValues(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			other := convFixtureOn(t, f.ta) // another workspace on the same database
			list := f.path("")

			t.Run("assignee", func(t *testing.T) {
				for _, ok := range []string{"me", "unassigned", f.agent.User.ID, f.viewer.User.ID, f.admin.User.ID} {
					answered(t, f.manager, list+"?assignee="+url.QueryEscape(ok))
				}
				// Someone of another workspace is as unknown here as a made-up id.
				for _, bad := range []string{"nobody", "none", "ME", other.agent.User.ID, other.admin.User.ID} {
					refusedQuery(t, f.manager, list+"?assignee="+url.QueryEscape(bad), http.StatusUnprocessableEntity, "assignee")
				}
				// Every problem is named at once.
				r := f.manager.Do(http.MethodGet, list+"?assignee=nobody&state=closed", nil)
				if r.Status != http.StatusUnprocessableEntity {
					t.Fatalf("two bad filters: status %d", r.Status)
				}
				if e := r.Error(); e.Fields["assignee"] == "" || e.Fields["state"] == "" {
					t.Errorf("two bad filters: fields %v", e.Fields)
				}
			})

			t.Run("connection", func(t *testing.T) {
				answered(t, f.manager, list+"?connection="+f.conn.ID)
				answered(t, f.agent, list+"?connection="+f.conn.ID)
				// Like contacts?group= with an unknown group: not found, and another
				// workspace's connection is not found the same way.
				for _, bad := range []string{"other", other.conn.ID} {
					for _, c := range []*testapp.Client{f.manager, f.agent} {
						refusedQuery(t, c, list+"?connection="+url.QueryEscape(bad), http.StatusNotFound, "connection")
					}
				}
			})

			t.Run("chat is for managers and admins", func(t *testing.T) {
				for _, c := range []*testapp.Client{f.agent, f.viewer} {
					refusedQuery(t, c, list+"?kind=chat", http.StatusForbidden, "")
					refusedQuery(t, c, f.path("/counts?kind=chat"), http.StatusForbidden, "")
					answered(t, c, list+"?kind=ticket")
					answered(t, c, list)
				}
				for _, c := range []*testapp.Client{f.manager, f.admin} {
					answered(t, c, list+"?kind=chat")
				}
				token := f.ta.Token(f.admin.Workspace, policies.Agent)
				refusedQuery(t, token, list+"?kind=chat", http.StatusForbidden, "")
			})
		})
	}
}

// TestThreadFlagValues: pinned and starred take a yes or no, not any word.
func TestThreadFlagValues(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			conv := f.ticket("Flag")
			f.stored(conv, messaging.Message{Direction: messaging.DirectionIn, Body: "Hello", Status: messaging.StatusReceived})
			msgs := f.path("/" + conv.ID + "/messages")
			for _, field := range []string{"pinned", "starred"} {
				for _, ok := range []string{"", "true", "false", "1", "0"} {
					answered(t, f.agent, msgs+"?"+field+"="+ok)
				}
				for _, bad := range []string{"yes", "maybe", "on", "2", "truee"} {
					refusedQuery(t, f.agent, msgs+"?"+field+"="+bad, http.StatusUnprocessableEntity, field)
				}
			}
			// false really means no filter: the same thread as without it.
			var all, unpinned api.List[any]
			f.agent.Do(http.MethodGet, msgs, nil).Expect(http.StatusOK).Decode(&all)
			f.agent.Do(http.MethodGet, msgs+"?pinned=0&starred=false", nil).Expect(http.StatusOK).Decode(&unpinned)
			if len(all.Items) != 1 || len(unpinned.Items) != 1 {
				t.Errorf("pinned=0&starred=false lists %d messages, the thread has %d", len(unpinned.Items), len(all.Items))
			}
		})
	}
}

// TestConversationSearch: q finds a conversation by its title, a recipient's name,
// number (however it is written) or email, or any message of its thread, not a
// deleted one's, and never another workspace's.
func TestConversationSearch(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			other := convFixtureOn(t, f.ta)
			ines := f.ticket("Ines") // +15550002001
			ct, err := messaging.ContactByAddress(f.ta.Ctx(), f.sc, "email", "zoe.quinn@example.test", "Zoe Quinn")
			if err != nil {
				t.Fatal(err)
			}
			order, err := messaging.NewConversation(f.ta.Ctx(), f.sc, messaging.KindTicket, f.conn.ID, ct, "Order 42")
			if err != nil {
				t.Fatal(err)
			}
			note := func(fx *convFixture, conv messaging.Conversation, text string) messaging.Message {
				var m messaging.Message
				fx.agent.Do(http.MethodPost, fx.path("/"+conv.ID+"/messages"), api.MessageRequest{Type: "note", Text: text}).
					Expect(http.StatusCreated).Decode(&m)
				return m
			}
			bike := note(f, ines, "She asked about the blue Bicycle")
			note(f, ines, "Thanks, noted")
			note(other, other.ticket("Ines"), "the blue bicycle again")

			search := func(q string) []string { return f.listIDs(f.agent, "q="+url.QueryEscape(q)) }
			for q, want := range map[string][]string{
				"ines":                 {ines.ID},
				"order 4":              {order.ID},
				"zoe":                  {order.ID},
				"QUINN@example":        {order.ID},
				"(555) 000-2001":       {ines.ID},
				"+1 555 0002001":       {ines.ID},
				"bicycle":              {ines.ID},
				"100%":                 nil,
				"nobody by that na":    nil,
				" " + order.ID:         {order.ID},
				other.ticket("Ann").ID: nil, // another workspace's id finds nothing here
			} {
				if got := search(q); strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("q=%q: %v, want %v", q, got, want)
				}
			}
			f.agent.Do(http.MethodDelete, f.path("/"+ines.ID+"/messages/"+bike.ID), nil).Expect(http.StatusOK)
			if got := search("bicycle"); len(got) != 0 {
				t.Errorf("q=bicycle after the message was deleted: %v, want none", got)
			}
		})
	}
}

// TestConversationSorts: every order pages through the whole list, each conversation
// once, in the order it names, however small the pages; a cursor is for its order.
func TestConversationSorts(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			titles := map[string]string{}
			for _, name := range []string{"bravo", "Alpha", "charlie", "Delta", "echo", "_x", "Foxtrot", "golf", "alpha"} {
				c := f.ticket(name)
				titles[c.ID] = name
			}
			pages := func(sort string) []string {
				var all []string
				cursor := ""
				for range 10 {
					var l api.List[api.ConversationView]
					f.agent.Do(http.MethodGet, f.path("?limit=3&sort="+sort+"&cursor="+url.QueryEscape(cursor)), nil).Expect(http.StatusOK).Decode(&l)
					for _, v := range l.Items {
						all = append(all, v.ID)
					}
					if cursor = l.NextCursor; cursor == "" {
						return all
					}
				}
				t.Fatalf("sort=%s: more than 10 pages", sort)
				return nil
			}
			newest, oldest := pages("newest"), pages("oldest")
			if len(newest) != len(titles) || strings.Join(newest, ",") != strings.Join(f.listIDs(f.agent, "limit=100"), ",") {
				t.Fatalf("newest in pages of 3: %v", newest)
			}
			slices.Reverse(oldest)
			if strings.Join(oldest, ",") != strings.Join(newest, ",") {
				t.Errorf("oldest is not newest reversed: %v", oldest)
			}
			byTitle := slices.Clone(newest)
			slices.SortFunc(byTitle, func(a, b string) int {
				return cmp.Or(cmp.Compare(strings.ToLower(titles[a]), strings.ToLower(titles[b])), cmp.Compare(a, b))
			})
			if got := pages("az"); strings.Join(got, ",") != strings.Join(byTitle, ",") {
				t.Errorf("az: %v, want %v", names(got, titles), names(byTitle, titles))
			}
			slices.Reverse(byTitle)
			if got := pages("za"); strings.Join(got, ",") != strings.Join(byTitle, ",") {
				t.Errorf("za: %v, want %v", names(got, titles), names(byTitle, titles))
			}
			var first api.List[api.ConversationView]
			f.agent.Do(http.MethodGet, f.path("?limit=3&sort=az"), nil).Expect(http.StatusOK).Decode(&first)
			refusedQuery(t, f.agent, f.path("?sort=newest&cursor="+url.QueryEscape(first.NextCursor)), http.StatusUnprocessableEntity, "cursor")
			refusedQuery(t, f.agent, f.path("?sort=random"), http.StatusUnprocessableEntity, "sort")
		})
	}
}

func names(ids []string, titles map[string]string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = titles[id]
	}
	return out
}

// TestConversationDateRange: from and to keep the conversations last active within
// them, as instants or as whole days in the workspace's time zone; a bound that is
// neither, or a range that ends before it starts, is refused naming the field.
func TestConversationDateRange(t *testing.T) {
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			f := newConvFixture(t, engine)
			ctx := f.ta.Ctx()
			// Tokyo: 7 December there runs from 6 December 15:00 to 7 December 15:00 UTC.
			if _, err := f.sc.DB().NewUpdate().Table("workspaces").Set("time_zone = ?", "Asia/Tokyo").
				Where("id = ?", f.admin.Workspace.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			at := map[string]time.Time{
				"before": time.Date(2026, 12, 6, 14, 59, 0, 0, time.UTC), // 6 December, 23:59 in Tokyo
				"start":  time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC),  // 7 December, 00:00
				"late":   time.Date(2026, 12, 7, 14, 59, 0, 0, time.UTC), // 7 December, 23:59
				"after":  time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC),  // 8 December, 00:00
			}
			ids := map[string]string{}
			for name, when := range at {
				c := f.ticket(name)
				if _, err := f.sc.Update((*messaging.Conversation)(nil)).Set("last_activity_at = ?", when).Where("cv.id = ?", c.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				ids[name] = c.ID
			}
			expect := func(query string, want ...string) {
				t.Helper()
				got := f.listIDs(f.agent, "kind=ticket&"+query)
				var wantIDs []string
				for _, w := range want {
					wantIDs = append(wantIDs, ids[w])
				}
				slices.Sort(got)
				slices.Sort(wantIDs)
				if !slices.Equal(got, wantIDs) {
					t.Errorf("%s: %v, want %v", query, got, want)
				}
			}
			expect("from=2026-12-07&to=2026-12-07", "start", "late")
			expect("from=2026-12-07", "start", "late", "after")
			expect("to=2026-12-06", "before")
			expect("from="+url.QueryEscape("2026-12-07T00:00:00+09:00")+"&to="+url.QueryEscape("2026-12-07T14:59:00Z"), "start")
			list := f.path("")
			refusedQuery(t, f.agent, list+"?from=yesterday", http.StatusUnprocessableEntity, "from")
			refusedQuery(t, f.agent, list+"?to=2026-13-01", http.StatusUnprocessableEntity, "to")
			refusedQuery(t, f.agent, list+"?from=2026-12-08&to=2026-12-07", http.StatusUnprocessableEntity, "to")
		})
	}
}
