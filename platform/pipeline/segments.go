package pipeline

import "unicode/utf16"

// gsm7 is the GSM 03.38 basic character set; gsm7Ext are the characters that need an
// escape and so count twice.
const (
	gsm7    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

var gsm7Set, gsm7ExtSet = runeSet(gsm7), runeSet(gsm7Ext)

func runeSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

// Segments is how many SMS parts text is billed as: GSM-7 fits 160 characters in one
// part and 153 per part when split (extension characters count twice); any other
// character makes the whole text UCS-2, 70 in one part and 67 per part, counted in
// UTF-16 units so an emoji outside the BMP takes two.
func Segments(text string) int {
	units, gsm := 0, true
	for _, r := range text {
		switch {
		case gsm7Set[r]:
			units++
		case gsm7ExtSet[r]:
			units += 2
		default:
			gsm = false
		}
	}
	single, multi := 160, 153
	if !gsm {
		units = len(utf16.Encode([]rune(text)))
		single, multi = 70, 67
	}
	switch {
	case units == 0:
		return 1
	case units <= single:
		return 1
	}
	return (units + multi - 1) / multi
}
