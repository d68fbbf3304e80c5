// Command hangplugin is a channel plugin for the host's tests that misbehaves on
// purpose, as hang.json beside its executable says:
//
//	{"mode": "stop", "after_ms": 300}  SIGSTOPs itself: the process stays, pings time out
//	{"mode": "exit", "after_ms": 300}  exits with status 3: a crash
//	{"mode": "wait"}                    only the blocking methods below
//
// Describe answers (as the test's manifest says); every other method blocks until its
// context ends.
package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

type behaviour struct {
	Mode    string `json:"mode"`
	AfterMS int    `json:"after_ms"`
}

func main() {
	var b behaviour
	if exe, err := os.Executable(); err == nil {
		if data, err := os.ReadFile(filepath.Join(filepath.Dir(exe), "hang.json")); err == nil {
			_ = json.Unmarshal(data, &b)
		}
	}
	if b.Mode == "stop" || b.Mode == "exit" {
		go func() {
			time.Sleep(time.Duration(b.AfterMS) * time.Millisecond)
			if b.Mode == "exit" {
				os.Exit(3)
			}
			_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		}()
	}
	sdk.Serve(hang{})
}

type hang struct{}

func (hang) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{
		ID: "hang", Version: "0.1.0", Kind: "test", Engines: []string{"hang"},
		ConfigSchema: json.RawMessage(`{"type":"object"}`),
	}, nil
}

func block(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func (hang) ValidateConfig(ctx context.Context, _ string, _ json.RawMessage) ([]sdk.FieldError, error) {
	return nil, block(ctx)
}

func (hang) Send(ctx context.Context, _ sdk.Connection, _ sdk.OutboundMessage) (sdk.SendResult, error) {
	return sdk.SendResult{}, block(ctx)
}

func (hang) HandleWebhook(ctx context.Context, _ sdk.Connection, _ sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event, error) {
	return sdk.WebhookResponse{}, nil, block(ctx)
}

func (hang) OpenSession(ctx context.Context, _ sdk.Connection) error { return block(ctx) }

func (hang) CloseSession(ctx context.Context, _ string) error { return block(ctx) }

func (hang) Events(ctx context.Context, _ func(sdk.Event) error) error { return block(ctx) }

func (hang) Action(ctx context.Context, _ sdk.Connection, _ string, _ json.RawMessage) (json.RawMessage, error) {
	return nil, block(ctx)
}
