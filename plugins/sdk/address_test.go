package sdk_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"+1 (555) 078-3881":    "15550783881",
		"15550783881":          "15550783881",
		" +44 7700.900123 ":    "447700900123",
		"Support@Shop.Example": "support@shop.example",
		"1234":                 "1234",
		"page 1029384756":      "page 1029384756",
		"+1555x0783881":        "+1555x0783881",
	} {
		if got := sdk.AddressKey(in); got != want {
			t.Errorf("AddressKey(%q) = %q, want %q", in, got, want)
		}
	}
}
