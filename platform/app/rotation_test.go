package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"testing"

	"github.com/switchboardhq/switchboard/platform/app"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/platform/secretbox"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/tenants"
)

// TestSecretKeyRotation: credentials sealed with the old key keep working once it is
// retired, resealing moves them to the new key, and then the old key can go.
func TestSecretKeyRotation(t *testing.T) {
	lb := connections.StaticPlugins{"loopback": loopback.New()}
	ta := testapp.New(t, testapp.WithPlugins(lb))
	ws := ta.NewWorkspace("Rotate").Workspace
	sc := tenants.Scope(ta.App.DB, ws.ID)
	c, err := ta.App.Connections.Create(ta.Ctx(), sc, connections.NewConnection{PluginID: "loopback", Engine: loopback.Engine,
		DisplayName: "Line", Address: "+15551230000", Config: loopback.Config{WebhookSecret: "s3cret"}.JSON()})
	if err != nil {
		t.Fatal(err)
	}
	oldKey := ta.App.Config.SecretKey
	newKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))

	reopen := func(current, retired string) *app.App {
		cfg := ta.App.Config
		cfg.SecretKey, cfg.RetiredSecretKeys = current, retired
		a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
		a.Connections = connections.NewService(a.Box, lb, cfg.BaseURL())
		return a
	}
	rotated := reopen(newKey, oldKey)
	got, err := rotated.Connections.Get(ta.Ctx(), tenants.Scope(rotated.DB, ws.ID), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := rotated.Connections.Config(got); err != nil || cfg["webhook_secret"] != "s3cret" {
		t.Fatalf("old credentials under the retired key: %v %v", cfg, err)
	}
	n, err := rotated.Connections.Reseal(ta.Ctx(), tenants.Scope(rotated.DB, ws.ID))
	if err != nil || n != 1 {
		t.Fatalf("resealed %d, %v; want 1", n, err)
	}
	if n, _ := rotated.Connections.Reseal(ta.Ctx(), tenants.Scope(rotated.DB, ws.ID)); n != 0 {
		t.Fatalf("a second reseal changed %d connections", n)
	}
	onlyNew := reopen(newKey, "")
	got, err = onlyNew.Connections.Get(ta.Ctx(), tenants.Scope(onlyNew.DB, ws.ID), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if secretbox.SealedKeyID(got.ConfigSealed) != onlyNew.Box.CurrentKeyID() {
		t.Fatal("the connection is not sealed with the new key")
	}
	if cfg, err := onlyNew.Connections.Config(got); err != nil || cfg["webhook_secret"] != "s3cret" {
		t.Fatalf("credentials after dropping the old key: %v %v", cfg, err)
	}
}
