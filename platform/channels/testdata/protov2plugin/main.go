// Command protov2plugin is a channel plugin for the host's tests built against a
// future protocol: its handshake announces protocol 2, which this host does not speak.
package main

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/go-plugin"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  2,
			MagicCookieKey:   sdk.Handshake.MagicCookieKey,
			MagicCookieValue: sdk.Handshake.MagicCookieValue,
		},
		VersionedPlugins: map[int]plugin.PluginSet{2: {sdk.PluginName: &sdk.ChannelPlugin{Impl: v2{}}}},
		GRPCServer:       plugin.DefaultGRPCServer,
	})
}

type v2 struct{}

func (v2) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{
		ID: "future", Version: "2.0.0", Kind: "test", Engines: []string{"future"},
		ConfigSchema: json.RawMessage(`{"type":"object"}`),
	}, nil
}

func (v2) ValidateConfig(context.Context, string, json.RawMessage) ([]sdk.FieldError, error) {
	return nil, nil
}

func (v2) Send(context.Context, sdk.Connection, sdk.OutboundMessage) (sdk.SendResult, error) {
	return sdk.SendResult{ProviderMessageID: "v2"}, nil
}

func (v2) HandleWebhook(context.Context, sdk.Connection, sdk.WebhookRequest) (sdk.WebhookResponse, []sdk.Event, error) {
	return sdk.WebhookResponse{Status: 200}, nil, nil
}

func (v2) OpenSession(context.Context, sdk.Connection) error { return nil }

func (v2) CloseSession(context.Context, string) error { return nil }

func (v2) Events(ctx context.Context, _ func(sdk.Event) error) error {
	<-ctx.Done()
	return nil
}

func (v2) Action(context.Context, sdk.Connection, string, json.RawMessage) (json.RawMessage, error) {
	return nil, nil
}
