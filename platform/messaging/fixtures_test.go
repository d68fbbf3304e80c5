package messaging_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// addConnection stores an active loopback SMS connection of the workspace with the
// address.
func addConnection(t testing.TB, ctx context.Context, sc tenants.Scoped, address string) connections.Connection {
	t.Helper()
	now := time.Now().UTC()
	c := connections.Connection{ID: storage.NewID(), PublicID: tenants.NewToken("wh_"), PluginID: "loopback", Kind: "sms",
		Engine: "loopback", DisplayName: address, Address: address, ConfigPublic: map[string]any{},
		ConfigSealed: "-", Status: connections.StatusActive, CreatedAt: now, UpdatedAt: now}
	if _, err := sc.Insert(&c).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}
