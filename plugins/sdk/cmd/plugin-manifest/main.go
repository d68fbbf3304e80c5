// Command plugin-manifest writes a channel plugin's plugin.json beside its binary:
// the plugin's manifest.json template (id, version, kind, engines, capabilities,
// config schema, min platform version) plus the protocol version and the binary's
// path and sha256 for one GOOS-GOARCH (sdk.WriteManifest). Builds for other platforms
// already listed in an existing plugin.json of the same id and version are kept.
//
//	go run ./plugins/sdk/cmd/plugin-manifest -dir bin/plugins/loopback -binary loopback-linux-amd64
//
// The template defaults to plugins/<base of -dir>/manifest.json; -dir's base name must
// be the plugin id (<plugins-dir>/<id>/plugin.json). The file is rewritten only when
// its content changes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plugin-manifest:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("plugin-manifest", flag.ContinueOnError)
	dir := fs.String("dir", "", "plugin directory to write plugin.json into, named after the plugin id (required)")
	binary := fs.String("binary", "", "the plugin executable's file name inside -dir (required)")
	template := fs.String("template", "", "the plugin's manifest.json template (default plugins/<base of -dir>/manifest.json)")
	goos := fs.String("goos", runtime.GOOS, "GOOS the binary was built for")
	goarch := fs.String("goarch", runtime.GOARCH, "GOARCH the binary was built for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *binary == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("-dir and -binary are required, and nothing else")
	}
	if *template == "" {
		*template = filepath.Join("plugins", filepath.Base(filepath.Clean(*dir)), "manifest.json")
	}
	data, err := os.ReadFile(*template)
	if err != nil {
		return err
	}
	tmpl, err := sdk.ParseManifest(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *template, err)
	}
	m, written, err := sdk.WriteManifest(tmpl, *dir, *binary, *goos, *goarch)
	if err != nil {
		return fmt.Errorf("%s: %w", *template, err)
	}
	out := filepath.Join(*dir, sdk.ManifestFile)
	platform := *goos + "-" + *goarch
	if !written {
		fmt.Fprintf(stdout, "%s: up to date (%s %s, %s)\n", out, m.ID, m.Version, platform)
		return nil
	}
	fmt.Fprintf(stdout, "%s: wrote %s %s for %s (sha256 %.12s…)\n", out, m.ID, m.Version, platform, m.Executables[platform].SHA256)
	return nil
}
