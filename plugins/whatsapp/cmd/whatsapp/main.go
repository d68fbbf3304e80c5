// Command whatsapp is the WhatsApp channel plugin binary (engines cloud and twilio);
// Switchboard launches it.
package main

import (
	"github.com/switchboardhq/switchboard/plugins/sdk"
	"github.com/switchboardhq/switchboard/plugins/whatsapp"
)

func main() {
	sdk.Serve(whatsapp.New())
}
