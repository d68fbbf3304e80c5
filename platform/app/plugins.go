package app

import (
	"context"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/channels"
	"github.com/switchboardhq/switchboard/platform/connections"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

// StartPlugins launches the channel plugins found in the plugins dir.
func (a *App) StartPlugins(ctx context.Context) error {
	if err := a.Host.Start(ctx); err != nil {
		return err
	}
	for _, p := range a.Host.Plugins() {
		a.Log.Info("channel plugin", "plugin", p.ID, "version", p.Version, "state", p.State, "error", p.LastError)
	}
	return nil
}

// hostPlugins is the plugin host as connections and the operator API use it.
type hostPlugins struct{ h *channels.Host }

// Describe reports an installed plugin that is not disabled. A plugin that is
// restarting or failed is still described: its calls answer a transient error, so the
// caller retries instead of losing work.
func (p hostPlugins) Describe(id string) (sdk.Description, bool) {
	info, ok := p.h.Plugin(id)
	if !ok || info.State == channels.StateDisabled || info.Kind == "" {
		return sdk.Description{}, false
	}
	return sdk.Description{ID: info.ID, Version: info.Version, Kind: info.Kind, Engines: info.Engines,
		Capabilities: info.Capabilities, ConfigSchema: info.ConfigSchema, SendRates: info.SendRates,
		MediaLimits: info.MediaLimits, MediaTypes: info.MediaTypes}, true
}

func (p hostPlugins) Channel(id string) (sdk.Channel, error) { return p.h.Channel(id) }

func (p hostPlugins) Installed() []string {
	infos := p.h.Plugins()
	ids := make([]string, len(infos))
	for i, info := range infos {
		ids[i] = info.ID
	}
	return ids
}

func (p hostPlugins) PluginStatuses() []api.PluginStatus {
	infos := p.h.Plugins()
	out := make([]api.PluginStatus, len(infos))
	for i, info := range infos {
		out[i] = api.PluginStatus{ID: info.ID, Version: info.Version, Kind: info.Kind, Engines: info.Engines,
			Capabilities: info.Capabilities, ConfigSchema: info.ConfigSchema, State: string(info.State),
			LastError: info.LastError, Restarts: info.Restarts}
		if !info.StartedAt.IsZero() {
			started := info.StartedAt
			out[i].StartedAt = &started
		}
	}
	return out
}

func (p hostPlugins) SetPluginEnabled(id string, enabled bool) error {
	if enabled {
		return p.h.Enable(id)
	}
	return p.h.Disable(id)
}

// pluginAdmin is the operator's view of plugins when the registry is the host; other
// registries (tests) have no processes to manage.
func pluginAdmin(p connections.Plugins) api.PluginAdmin {
	if admin, ok := p.(api.PluginAdmin); ok {
		return admin
	}
	return staticAdmin{}
}

// staticAdmin lists no plugin processes.
type staticAdmin struct{}

func (staticAdmin) PluginStatuses() []api.PluginStatus { return []api.PluginStatus{} }
func (staticAdmin) SetPluginEnabled(string, bool) error {
	return channels.ErrUnknownPlugin
}
