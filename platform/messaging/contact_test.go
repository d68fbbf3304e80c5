package messaging_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/platform/messaging"
)

func TestNormalizePhone(t *testing.T) {
	cases := []struct {
		name, raw, country string
		want               string
		ok                 bool
	}{
		{"international", "+44 7911 123456", "", "+447911123456", true},
		{"00 prefix", "0044 7911 123456", "", "+447911123456", true},
		{"whatsapp address", "whatsapp:+14155550100", "", "+14155550100", true},
		{"national UK drops the trunk 0", "07911 123456", "44", "+447911123456", true},
		{"national DE drops the trunk 0", "030 1234567", "49", "+49301234567", true},
		{"national US", "(415) 555-0100", "1", "+14155550100", true},
		{"country code with +", "07911 123456", "+44", "+447911123456", true},
		{"national without a country", "07911 123456", "", "", false},
		{"letters", "call me", "44", "", false},

		// Italy, San Marino and Vatican City dial the leading 0 of a landline from abroad
		// too: Rome 06 1234 5678 is +39 06 1234 5678.
		{"national IT landline keeps its 0", "06 1234 5678", "39", "+390612345678", true},
		{"national IT landline, country code with +", "06 1234 5678", "+39", "+390612345678", true},
		{"international IT landline", "+39 06 1234 5678", "", "+390612345678", true},
		{"00 IT landline", "0039 06 1234 5678", "", "+390612345678", true},
		{"national IT mobile", "347 123 4567", "39", "+393471234567", true},
		{"national San Marino landline", "0549 123456", "378", "+3780549123456", true},
		{"national Vatican City landline", "06 6988 1234", "379", "+3790669881234", true},
		{"a country where the code belongs", "06 1234 5678", "IT", "", false},
	}
	for _, tc := range cases {
		got, ok := messaging.NormalizePhone(tc.raw, tc.country)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: NormalizePhone(%q, %q) = %q, %v; want %q, %v", tc.name, tc.raw, tc.country, got, ok, tc.want, tc.ok)
		}
	}
}
