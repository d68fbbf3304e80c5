// Command loopback is the loopback channel plugin binary; Switchboard launches it.
package main

import (
	"github.com/switchboardhq/switchboard/plugins/loopback"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func main() {
	sdk.Serve(loopback.New())
}
