package messaging_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// BenchmarkConversationSearch: a workspace of 2,000 conversations of 10 messages
// each, on PostgreSQL. Times the first page of the conversation list, as the
// baseline, and the same page searched for words only one conversation's oldest
// message holds (the search's worst case: every conversation's recipients and
// messages are read before the page is known to hold one), and reports both and
// their ratio (search/list).
func BenchmarkConversationSearch(b *testing.B) {
	if os.Getenv(testapp.EnvPostgres) == "" {
		b.Skipf("needs PostgreSQL (%s; `make bench` starts it)", testapp.EnvPostgres)
	}
	const conversations, perConversation = 2000, 10
	ta := testapp.New(b, testapp.OnEngine(testapp.Postgres))
	ctx := ta.Ctx()
	ws := ta.NewWorkspace("Search")
	sc := tenants.Scope(ta.App.DB, ws.Workspace.ID)
	conn := addConnection(b, ctx, sc, "+15550100")
	now := time.Now().UTC()
	for i := range conversations {
		ct, err := messaging.ContactByAddress(ctx, sc, "sms", fmt.Sprintf("+1555%07d", i), fmt.Sprintf("Customer %d", i))
		if err != nil {
			b.Fatal(err)
		}
		conv, err := messaging.NewConversation(ctx, sc, messaging.KindTicket, conn.ID, ct, "")
		if err != nil {
			b.Fatal(err)
		}
		msgs := make([]messaging.Message, perConversation)
		for j := range msgs {
			body := fmt.Sprintf("message %d about order %d", j, i)
			if i == conversations/2 && j == 0 {
				body = "the blue bicycle"
			}
			msgs[j] = messaging.Message{Owned: tenants.Owned{WorkspaceID: ws.Workspace.ID}, ID: storage.NewID(), ConversationID: conv.ID,
				ConnectionID: conn.ID, Direction: messaging.DirectionIn, Type: "text", Body: body, Status: messaging.StatusReceived,
				Attempt: 1, ContactID: &ct.ID, CreatedAt: now, UpdatedAt: now}
		}
		// A fixture: one statement for the conversation's messages, their workspace set above.
		if _, err := ta.App.DB.NewInsert().Model(&msgs).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := ta.App.DB.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	page := storage.Page{Limit: 50}
	timed := func(f messaging.ConversationFilter, want int) time.Duration {
		start := time.Now()
		for range b.N {
			rows, _, err := messaging.ListConversations(ctx, sc, f, page)
			if err != nil || len(rows) != want {
				b.Fatalf("%+v: %d rows (%v), want %d", f, len(rows), err, want)
			}
		}
		return time.Since(start) / time.Duration(b.N)
	}
	b.ResetTimer()
	list := timed(messaging.ConversationFilter{}, 50)
	search := timed(messaging.ConversationFilter{Query: "Blue Bicycle"}, 1)
	b.StopTimer()
	b.ReportMetric(float64(list.Microseconds())/1000, "list_ms")
	b.ReportMetric(float64(search.Microseconds())/1000, "search_ms")
	b.ReportMetric(float64(search)/float64(list), "search/list")
}
