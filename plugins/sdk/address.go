package sdk

import "strings"

// AddressKey is what a provider address is matched by: the digits of a phone number
// however it is written ("+1 (555) 078-3881", "15550783881"), any other address
// (an email address, a page id) in lower case. The host matches a webhook's
// WebhookResponse.OtherAddresses with its connections' addresses by it.
func AddressKey(address string) string {
	address = strings.TrimSpace(address)
	digits := make([]byte, 0, len(address))
	for i := 0; i < len(address); i++ {
		switch c := address[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == '+' && i == 0, c == ' ', c == '-', c == '(', c == ')', c == '.':
		default:
			return strings.ToLower(address)
		}
	}
	if len(digits) < 5 {
		return strings.ToLower(address)
	}
	return string(digits)
}
