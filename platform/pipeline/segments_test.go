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

		// A character is never split between parts; carriers move it whole to the next
		// part, so the count below is what they bill.
		//
		// 158 + 2 = 160 septets: still one part.
		{"extension char ends a single part", strings.Repeat("a", 158) + "€", 1},
		// 152 + 2 + 152 = 306 septets. Part 1: 152 a (the € would make 154 > 153).
		// Part 2: € + 151 b = 153. Part 3: 1 b. Naive 306/153 says 2.
		{"euro straddles the 153 boundary", strings.Repeat("a", 152) + "€" + strings.Repeat("b", 152), 3},
		// Same, with form feed (also an escaped character).
		{"form feed straddles the 153 boundary", strings.Repeat("a", 152) + "\f" + strings.Repeat("b", 152), 3},
		// 151 + 2 + 153 = 306 septets. Part 1: 151 a + € = 153. Part 2: 153 b.
		{"euro fills part 1 exactly", strings.Repeat("a", 151) + "€" + strings.Repeat("b", 153), 2},
		// 153 € = 306 septets. 76 € (152 septets) fit per part: 76 + 76 + 1.
		{"153 euro signs", strings.Repeat("€", 153), 3},
		// 66 + 2 + 66 = 134 units. Part 1: 66 ж (the emoji would make 68 > 67).
		// Part 2: emoji + 65 ж = 67. Part 3: 1 ж. Naive 134/67 says 2.
		{"emoji straddles the 67 boundary", strings.Repeat("ж", 66) + "😀" + strings.Repeat("ж", 66), 3},
		// 65 + 2 + 67 = 134 units. Part 1: 65 ж + emoji = 67. Part 2: 67 ж.
		{"emoji fills part 1 exactly", strings.Repeat("ж", 65) + "😀" + strings.Repeat("ж", 67), 2},
		// 67 emoji = 134 units. 33 emoji (66 units) fit per part: 33 + 33 + 1.
		{"67 emoji", strings.Repeat("😀", 67), 3},
		// 1 + 69 emoji = 139 units, UCS-2 because of the emoji. Part 1: a + 33 emoji = 67.
		// Part 2: 33 emoji = 66. Part 3: 3 emoji. Naive 139/67 says 3 too.
		{"GSM letter then emoji", "a" + strings.Repeat("😀", 69), 3},
	}
	for _, tc := range cases {
		if got := Segments(tc.text); got != tc.want {
			t.Errorf("%s: %d segments, want %d", tc.name, got, tc.want)
		}
	}
}

func TestSegmentsAllocations(t *testing.T) {
	for _, text := range []string{strings.Repeat("a", 152) + "€" + strings.Repeat("b", 152), strings.Repeat("ж", 66) + "😀" + strings.Repeat("ж", 66)} {
		if n := testing.AllocsPerRun(10, func() { Segments(text) }); n != 0 {
			t.Errorf("Segments allocates %v times per call, want 0", n)
		}
	}
}
