// How many SMS parts a text is billed as: the server's count (platform/pipeline,
// Segments), shown while typing so the cost is known before sending.

const GSM7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXT = "^{}\\[~]|€\f";
const gsm7 = new Set(GSM7);
const gsm7Ext = new Set(GSM7_EXT);

/** Septets a character takes in GSM-7, or 0 when it has no GSM-7 form. */
function gsm7Width(ch: string): number {
  if (gsm7.has(ch)) return 1;
  if (gsm7Ext.has(ch)) return 2;
  return 0;
}

/**
 * GSM-7 fits 160 characters in one part and 153 a part when split (extension
 * characters count twice); anything else makes the text UCS-2: 70, then 67 a part, in
 * UTF-16 units. A character is never cut between parts, as carriers pack them.
 */
export function smsParts(text: string): number {
  const chars = Array.from(text);
  const gsm = chars.every((ch) => gsm7Width(ch) > 0);
  const width = (ch: string) => (gsm ? gsm7Width(ch) : ch.length);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  const total = chars.reduce((n, ch) => n + width(ch), 0);
  if (total <= single) return 1;
  let parts = 1;
  let used = 0;
  for (const ch of chars) {
    const w = width(ch);
    if (used + w > multi) {
      parts++;
      used = 0;
    }
    used += w;
  }
  return parts;
}
