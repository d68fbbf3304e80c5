package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/policies"
)

// listingTemplates is loopback counting its template listings, or refusing them as a
// provider that is down does.
type listingTemplates struct {
	*loopback.Loopback
	down, none bool // refusing for now, or for good (an engine without templates)
	lists      atomic.Int64
}

func (l *listingTemplates) Action(ctx context.Context, conn sdk.Connection, name string, args json.RawMessage) (json.RawMessage, error) {
	if name == "sync_templates" {
		l.lists.Add(1)
		if l.down {
			return nil, sdk.Errorf(sdk.Transient, loopback.CodeUnavailable, "provider down")
		}
		if l.none {
			return nil, sdk.Errorf(sdk.Permanent, loopback.CodeUnknownAction, "this engine has no templates")
		}
	}
	return l.Loopback.Action(ctx, conn, name, args)
}

// Chat's left rail counts the approved templates by category: each template once
// however many numbers have it, the lists reused for a while, a provider that does
// not answer named rather than failing the count.
func TestTemplateCounts(t *testing.T) {
	lb := &listingTemplates{Loopback: loopback.New()}
	down := &listingTemplates{Loopback: loopback.New(), down: true}
	none := &listingTemplates{Loopback: loopback.New(), none: true}
	ta := testapp.New(t, testapp.WithPlugins(connections.StaticPlugins{"loopback": lb, "down": down, "none": none}))
	admin := ta.NewWorkspace("Counts")
	connect := func(plugin, name, address string) {
		t.Helper()
		admin.Do(http.MethodPost, admin.WSPath("/connections"), api.CreateConnection{Plugin: plugin, Engine: loopback.Engine, DisplayName: name,
			Address: address, Config: loopback.Config{WebhookSecret: "s"}.JSON()}).Expect(http.StatusCreated)
	}
	connect("loopback", "Line 1", "+15550101")
	connect("loopback", "Line 2", "+15550102")
	viewer := ta.Member(admin.Workspace, policies.Viewer)

	var n connections.TemplateCounts
	viewer.Do(http.MethodGet, admin.WSPath("/template-counts"), nil).Expect(http.StatusOK).Decode(&n)
	if n.Marketing != 1 || n.Utility != 1 || n.Authentication != 0 || len(n.Unavailable) != 0 {
		t.Fatalf("counts %+v: want loopback's two templates once, whatever the numbers", n)
	}
	if got := lb.lists.Load(); got != 2 {
		t.Fatalf("%d listings, want one a number", got)
	}
	viewer.Do(http.MethodGet, admin.WSPath("/template-counts"), nil).Expect(http.StatusOK).Decode(&n)
	if got := lb.lists.Load(); got != 2 {
		t.Fatalf("%d listings after a second count, want the lists reused", got)
	}

	// A provider down is named, and asked again only after a while; an engine without
	// templates has none, and is not named.
	connect("down", "Line 3", "+15550103")
	connect("none", "Line 4", "+15550104")
	for range 2 {
		viewer.Do(http.MethodGet, admin.WSPath("/template-counts"), nil).Expect(http.StatusOK).Decode(&n)
		if n.Marketing != 1 || n.Utility != 1 || len(n.Unavailable) != 1 || n.Unavailable[0] != "Line 3" {
			t.Fatalf("counts with a provider down and an engine without templates %+v", n)
		}
	}
	if d, o := down.lists.Load(), none.lists.Load(); d != 1 || o != 1 {
		t.Fatalf("listings: %d of the provider down, %d of the engine without templates, want one each", d, o)
	}
}
