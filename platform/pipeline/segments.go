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
//
// A split message is counted by packing it the way carriers do: a character is never
// cut in two, so an extension character or an emoji that would straddle the end of a
// part starts the next one. That can take one part more than the plain division, and
// credits are charged per part, so the count must match what the carrier bills. It
// runs for every SMS sent, so it does not allocate.
func Segments(text string) int {
	septets, units, gsm := 0, 0, true
	for _, r := range text {
		units += utf16.RuneLen(r)
		if gsm {
			w := gsm7Width(r)
			septets += w
			gsm = w > 0
		}
	}
	single, multi := 70, 67
	if gsm {
		units, single, multi = septets, 160, 153
	}
	if units <= single {
		return 1
	}
	parts, used := 1, 0
	for _, r := range text {
		w := utf16.RuneLen(r)
		if gsm {
			w = gsm7Width(r)
		}
		if used+w > multi {
			parts++
			used = 0
		}
		used += w
	}
	return parts
}

// gsm7Width is how many septets r takes in GSM-7, or 0 when it has no GSM-7 form.
func gsm7Width(r rune) int {
	switch {
	case gsm7Set[r]:
		return 1
	case gsm7ExtSet[r]:
		return 2
	}
	return 0
}
