package sdk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	channelpb "github.com/switchboardhq/switchboard/plugins/sdk/proto"
)

// ProtocolVersion is the channel protocol this SDK speaks (proto/channel.proto). It is
// bumped only for a breaking change; additions (new RPCs, new fields) keep it and are
// noted in the .proto with the protocol version that added them.
const ProtocolVersion = 1

// Handshake is the go-plugin handshake shared by the host and every channel binary.
// The magic cookie only stops a channel binary from being run by hand by mistake; it
// is not a security measure (the host checks the binary's sha256 instead).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "SWITCHBOARD_CHANNEL_PLUGIN",
	MagicCookieValue: "afe2d4c0464d5587bddd1a6c3c5cf181e2a13e003cb7ebc4",
}

// PluginName is the name a channel is served and dispensed under.
const PluginName = "channel"

// ChannelPlugin is the go-plugin glue for a Channel, gRPC only. Impl is set in the
// plugin process and nil in the host.
type ChannelPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Channel
}

var _ plugin.GRPCPlugin = (*ChannelPlugin)(nil)

// GRPCServer registers the plugin's implementation on the plugin process's gRPC server.
func (p *ChannelPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return fmt.Errorf("sdk: ChannelPlugin.Impl is nil")
	}
	channelpb.RegisterChannelServer(s, &grpcServer{impl: p.Impl})
	return nil
}

// GRPCClient returns the host's view of the plugin: a Channel whose calls go over conn.
func (p *ChannelPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return Channel(&grpcClient{client: channelpb.NewChannelClient(conn)}), nil
}

// VersionedPlugins is the plugin set for every protocol version this SDK speaks. The
// host passes nil; a plugin passes its implementation.
func VersionedPlugins(impl Channel) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {PluginName: &ChannelPlugin{Impl: impl}},
	}
}

// Serve runs impl as a channel plugin; a channel binary's main calls it and nothing
// else. It returns only when the host ends the plugin.
func Serve(impl Channel) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(impl),
		GRPCServer:       plugin.DefaultGRPCServer,
	})
}

// pluginEnv lists the host environment variables a plugin process inherits. Everything
// else (database URLs, API keys in SWITCHBOARD_* variables) stays in the host: plugins
// may be third-party code.
var pluginEnv = []string{
	"PATH", "TMPDIR", "TZ", "LANG", "LC_ALL",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
}

// ClientConfig is how a host launches the plugin installed in m's directory on this
// platform: the handshake, gRPC only, automatic mTLS, the executable's sha256 checked
// before it runs (SecureConfig), the working directory set to the plugin directory,
// and only a short list of harmless environment variables passed on. The caller adds
// its Logger, StartTimeout, Stderr and so on, then calls plugin.NewClient.
// m must come from LoadManifest.
func ClientConfig(m Manifest) (*plugin.ClientConfig, error) {
	if _, ok := VersionedPlugins(nil)[m.ProtocolVersion]; !ok {
		return nil, fmt.Errorf("plugin %q speaks channel protocol %d; this host speaks %d", m.ID, m.ProtocolVersion, ProtocolVersion)
	}
	path, sum, err := m.Executable(runtime.GOOS, runtime.GOARCH)
	if err != nil {
		return nil, err
	}
	checksum, err := hex.DecodeString(sum)
	if err != nil {
		return nil, fmt.Errorf("plugin %q: executables: sha256: %w", m.ID, err)
	}
	cmd := exec.Command(path)
	cmd.Dir = m.Dir()
	for _, k := range pluginEnv {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	return &plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(nil),
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: checksum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
	}, nil
}

// Dispense returns the Channel served over c, the protocol client of a started plugin
// (plugin.Client.Client).
func Dispense(c plugin.ClientProtocol) (Channel, error) {
	raw, err := c.Dispense(PluginName)
	if err != nil {
		return nil, err
	}
	ch, ok := raw.(Channel)
	if !ok {
		return nil, fmt.Errorf("sdk: plugin dispensed %T, not a Channel", raw)
	}
	return ch, nil
}
