package loopback_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/loopback/loopbacktest"
	"github.com/switchboardhq/switchboard/plugins/sdk/conformance"
)

// pluginDir is the loopback plugin built for this test run, laid out as in a
// deployment: <tmp>/loopback/{plugin.json,loopback-GOOS-GOARCH}.
var pluginDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		tmp, err := os.MkdirTemp("", "loopback-plugin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmp)
		pluginDir, err = conformance.Build("./cmd/loopback", "manifest.json", tmp)
		if err != nil {
			fmt.Fprintln(os.Stderr, "building the loopback plugin:", err)
			return 1
		}
		return m.Run()
	}())
}

// TestConformanceBinary runs the kit against the compiled plugin, launched as the host
// launches it.
func TestConformanceBinary(t *testing.T) {
	k := loopbacktest.Kit()
	k.Dir = pluginDir
	conformance.Run(t, k)
}

// TestConformanceInProcess runs the same checks over an in-process gRPC connection.
func TestConformanceInProcess(t *testing.T) {
	k := loopbacktest.Kit()
	k.Dir = pluginDir
	conformance.RunInProcess(t, loopback.New(), k)
}

// TestConformanceInProcessTemplate checks the in-process plugin against its source
// manifest.json, without any build.
func TestConformanceInProcessTemplate(t *testing.T) {
	k := loopbacktest.Kit()
	k.Manifest = loopbacktest.Manifest()
	conformance.RunInProcess(t, loopback.New(), k)
}
