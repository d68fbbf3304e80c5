// Changes the composer makes to what is being written: the text after the change and
// the selection to leave, so the agent carries on typing where they were.

/** A text box's value with its selection (start == end is a caret). */
export interface Edit {
  value: string;
  start: number;
  end: number;
}

/**
 * A text's length as the server counts it against the 4096 limit: in characters
 * (code points), so an emoji made of two UTF-16 units counts once per code point.
 */
export function textLength(s: string): number {
  return Array.from(s).length;
}

/** piece in place of the selection, the caret after it. */
export function insertAt(value: string, start: number, end: number, piece: string): Edit {
  const at = start + piece.length;
  return { value: value.slice(0, start) + piece + value.slice(end), start: at, end: at };
}

const SPACE = /\s/;

/**
 * WhatsApp's bold (*word*) on the selection, or off again when it already is bold.
 * Spaces at the selection's edges stay outside the stars, since WhatsApp shows
 * "*word *" as it is. With nothing selected a pair of stars goes in with the caret
 * between them, to type the bold words; pressed again there, the pair goes.
 */
export function toggleBold(value: string, start: number, end: number): Edit {
  let s = start;
  let e = end;
  while (s < e && SPACE.test(value[s])) s++;
  while (e > s && SPACE.test(value[e - 1])) e--;
  if (s === e) {
    if (value[end - 1] === "*" && value[end] === "*") return { value: value.slice(0, end - 1) + value.slice(end + 1), start: end - 1, end: end - 1 };
    return { value: value.slice(0, end) + "**" + value.slice(end), start: end + 1, end: end + 1 };
  }
  const picked = value.slice(s, e);
  if (picked.length > 2 && picked.startsWith("*") && picked.endsWith("*")) {
    // The stars were selected with the words: the words stay selected without them.
    return { value: value.slice(0, s) + picked.slice(1, -1) + value.slice(e), start: s, end: e - 2 };
  }
  if (value[s - 1] === "*" && value[e] === "*") {
    return { value: value.slice(0, s - 1) + picked + value.slice(e + 1), start: s - 1, end: e - 1 };
  }
  return { value: value.slice(0, s) + "*" + picked + "*" + value.slice(e), start: s + 1, end: e + 1 };
}
