package pipeline

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	cases := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 1},
		{"160 GSM", strings.Repeat("a", 160), 1},
		{"161 GSM", strings.Repeat("a", 161), 2},
		{"306 GSM", strings.Repeat("a", 306), 2},
		{"307 GSM", strings.Repeat("a", 307), 3},
		{"extension chars count twice", strings.Repeat("€", 80), 1},
		{"81 euro signs", strings.Repeat("€", 81), 2},
		{"70 UCS-2", strings.Repeat("ж", 70), 1},
		{"71 UCS-2", strings.Repeat("ж", 71), 2},
		{"one emoji makes it UCS-2", strings.Repeat("a", 69) + "😀", 2},
		{"35 emoji are 70 units", strings.Repeat("😀", 35), 1},
		{"134 UCS-2 units", strings.Repeat("ж", 134), 2},
		{"135 UCS-2 units", strings.Repeat("ж", 135), 3},
	}
	for _, tc := range cases {
		if got := Segments(tc.text); got != tc.want {
			t.Errorf("%s: %d segments, want %d", tc.name, got, tc.want)
		}
	}
}
