package messaging_test

import (
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/platform/messaging"
)

func TestValidReaction(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{"👍", true},
		{"👍🏽", true},      // skin tone modifier
		{"❤️", true},      // with variation selector
		{"👨‍👩‍👧‍👦", true}, // zero-width-joined family
		{"🇫🇷", true},      // flag
		{"ok", false},
		{"a👍", false},
		{"👍 ", false},
		{"1", false},
		{"\u200d", false}, // a joiner alone is no emoji
		{strings.Repeat("👍", messaging.MaxReactionLength+1), false},
	} {
		if got := messaging.ValidReaction(tc.s); got != tc.want {
			t.Errorf("ValidReaction(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}
