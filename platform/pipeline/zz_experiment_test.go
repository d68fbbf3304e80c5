package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/messaging"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
)

func TestZZExplain(t *testing.T) {
	e := newEnv(t, envOptions{engine: testapp.Postgres, concurrency: 20})
	tn := e.tenant(t, "loopback", loopback.Config{Statuses: []string{"sent"}}, 10000)
	msgs := storeMessages(t, tn, 8000, func(i int) string { return fmt.Sprintf("x %d", i) })
	enqueueAll(t, e, msgs)
	db := e.ta.App.DB
	q := fmt.Sprintf(`EXPLAIN (ANALYZE, BUFFERS) SELECT cv.*, EXISTS (SELECT 1 FROM "messages" AS "m" WHERE ("m".workspace_id = '%[1]s') AND (m.conversation_id = '%[2]s' AND m.direction = 'out') AND (m.status IN ('sent','delivered','read')) LIMIT 1) AS reached, EXISTS (SELECT 1 FROM "messages" AS "m" WHERE ("m".workspace_id = '%[1]s') AND (m.conversation_id = '%[2]s' AND m.direction = 'out') AND (m.status = 'failed') LIMIT 1) AS failed, EXISTS (SELECT 1 FROM "messages" AS "m" WHERE ("m".workspace_id = '%[1]s') AND (m.conversation_id = '%[2]s' AND m.direction = 'out') AND (m.status <> 'cancelled') LIMIT 1) AS present, EXISTS (SELECT 1 FROM "messages" AS "m" WHERE ("m".workspace_id = '%[1]s') AND (m.conversation_id = '%[2]s' AND m.direction = 'out') AND (m.status NOT IN ('failed','cancelled')) LIMIT 1) AS not_failed, EXISTS (SELECT 1 FROM "messages" AS "m" WHERE ("m".workspace_id = '%[1]s') AND (m.conversation_id = '%[2]s' AND m.direction = 'out') AND (m.status NOT IN ('scheduled','cancelled')) LIMIT 1) AS not_scheduled FROM "conversations" AS "cv" WHERE ("cv".workspace_id = '%[1]s') AND (cv.id = '%[2]s')`, tn.ws.ID, tn.conv.ID)
	for i := 0; i < 3; i++ {
		time.Sleep(4 * time.Second)
		var lines []string
		if err := db.NewRaw(q).Scan(context.Background(), &lines); err != nil {
			t.Fatal(err)
		}
		t.Log("sent:", countStatus(t, tn, messaging.StatusSent), "\n"+strings.Join(lines, "\n"))
	}
}
