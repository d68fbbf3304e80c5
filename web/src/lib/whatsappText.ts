// WhatsApp's text formatting, read the way WhatsApp reads it, so the thread shows a
// message as the customer sees it: *bold*, _italic_, ~strikethrough~, ```monospace```
// and `inline code`. The composer's bold (Ctrl+B) writes the same stars.
//
// WhatsApp's rules, which keep "2*3*4", snake_case and "5 * 3 * 2" as typed:
//   - a marker opens only at the start of the text or after a space or punctuation,
//     and closes only before a space, punctuation or the end;
//   - what it wraps may not start or end with a space, and may not be empty;
//   - bold, italic and strikethrough stay on one line; a ``` block may take several;
//   - nothing is formatted inside code, and a marker that does not close stays as typed.
// Bold, italic and strikethrough nest (*_both_*); the same one does not nest in itself.

/** How a run of a message's text is shown. mono is ```a block```, code is `inline code`. */
export type Style = "bold" | "italic" | "strike" | "mono" | "code";

/** A run of formatted text: code holds its text as typed, the others may nest. */
export interface Styled {
  style: Style;
  children: Piece[];
}

/** A message's text in runs: plain text as typed, or formatted. */
export type Piece = string | Styled;

const EMPHASIS: Partial<Record<string, Style>> = { "*": "bold", _: "italic", "~": "strike" };
const WORD = /[\p{L}\p{N}\p{M}]/u;
const SPACE = /\s/u;
const FENCE = "```";

/** A message's text in runs, formatted as WhatsApp shows it. */
export function parseWhatsAppText(text: string): Piece[] {
  return new Reader(text).read(0, text.length, new Set());
}

/** One message's text, read once from the start; what a search learns is kept for the ones after it. */
class Reader {
  /** Where the code opened at a backtick ends (after its closing backticks), or -1: asked once per backtick, however often a search passes it. */
  private readonly codeEnds = new Map<number, number>();
  /** Inline code opened between these (on the line searched last) does not close. */
  private inlineUnclosed = { from: -1, to: -1 };
  /** A ``` block opened after this does not close. */
  private fenceUnclosedAfter = Infinity;

  constructor(private readonly text: string) {}

  /** The runs of text[start, end), inside the styles already open. */
  read(start: number, end: number, open: ReadonlySet<Style>): Piece[] {
    const t = this.text;
    const out: Piece[] = [];
    let plain = start;
    let i = start;
    // Where a marker's search for its close gave up (a line break, the end): another
    // of the same before there would search the same text and give up too, so a line
    // full of stars is read once, not once a star.
    const closeless = new Map<string, number>();
    const take = (to: number) => {
      if (to > plain) out.push(t.slice(plain, to));
    };
    while (i < end) {
      if (t[i] === "`") {
        const close = this.codeEnd(i, end);
        if (close === -1) {
          i = this.pastBackticks(i, end);
          continue;
        }
        take(i);
        const fence = t.startsWith(FENCE, i);
        const n = fence ? FENCE.length : 1;
        out.push({ style: fence ? "mono" : "code", children: [t.slice(i + n, close - n)] });
        i = plain = close;
        continue;
      }
      const mark = t[i];
      const style = EMPHASIS[mark];
      if (style && !open.has(style) && this.opens(i, end) && i >= (closeless.get(mark) ?? 0)) {
        const found = this.emphasisClose(i, end);
        if (found.close !== undefined) {
          take(i);
          out.push({ style, children: this.read(i + 1, found.close, new Set([...open, style])) });
          i = plain = found.close + 1;
          continue;
        }
        closeless.set(mark, found.stop);
      }
      i++;
    }
    take(end);
    return out;
  }

  /** Whether the *, _ or ~ at i may open: after a space or punctuation, before something other than a space or itself. */
  private opens(i: number, end: number): boolean {
    const t = this.text;
    return this.boundaryBefore(i) && i + 1 < end && t[i + 1] !== t[i] && !SPACE.test(t[i + 1]);
  }

  /**
   * Where the *, _ or ~ at i closes (before end, on its line), or where the search
   * gave up. Code on the way is passed over whole: a marker inside it is not one.
   */
  private emphasisClose(i: number, end: number): { close: number; stop?: undefined } | { close?: undefined; stop: number } {
    const t = this.text;
    const mark = t[i];
    let k = i + 1;
    while (k < end) {
      const c = t[k];
      if (c === "\n") return { stop: k };
      if (c === "`") {
        const close = this.codeEnd(k, end);
        if (close === -1) {
          k = this.pastBackticks(k, end);
          continue;
        }
        const nl = t.indexOf("\n", k);
        if (nl !== -1 && nl < close) return { stop: k };
        k = close;
        continue;
      }
      if (c === mark && k > i + 1 && !SPACE.test(t[k - 1]) && this.boundaryAfter(k + 1)) return { close: k };
      k++;
    }
    return { stop: end };
  }

  /** Where the code opened at the backtick i ends (at most end), or -1. */
  private codeEnd(i: number, end: number): number {
    let close = this.codeEnds.get(i);
    if (close === undefined) {
      close = this.findCodeEnd(i);
      this.codeEnds.set(i, close);
    }
    // A code span is the same wherever the text is read from: one that ends past
    // end (the close of the bold around it) is not inside it.
    return close <= end ? close : -1;
  }

  private findCodeEnd(i: number): number {
    const t = this.text;
    if (!this.boundaryBefore(i)) return -1;
    if (t.startsWith(FENCE, i)) {
      const s = i + FENCE.length;
      // A block may start on a new line, not with a space.
      if (s >= t.length || (SPACE.test(t[s]) && t[s] !== "\n" && t[s] !== "\r") || i > this.fenceUnclosedAfter) return -1;
      for (let j = t.indexOf(FENCE, s + 1); j !== -1; j = t.indexOf(FENCE, j + 1)) {
        const last = t[j - 1];
        if (this.boundaryAfter(j + FENCE.length) && (!SPACE.test(last) || last === "\n" || last === "\r") && /\S/u.test(t.slice(s, j))) return j + FENCE.length;
      }
      // No ``` after here closes this block: none closes one opened later either, as
      // it would look at the same ones with less (or the same) between.
      this.fenceUnclosedAfter = Math.min(this.fenceUnclosedAfter, i);
      return -1;
    }
    // Inline code opens with one backtick before something other than a space; two
    // backticks are neither a fence nor inline code, and stay as typed.
    if (i + 1 >= t.length || t[i + 1] === "`" || SPACE.test(t[i + 1]) || (i > this.inlineUnclosed.from && i < this.inlineUnclosed.to)) return -1;
    let j = i + 2;
    while (j < t.length && t[j] !== "\n") {
      if (t[j] !== "`") {
        j++;
        continue;
      }
      if (t[j + 1] === "`") {
        j = this.pastBackticks(j, t.length);
        continue;
      }
      if (this.boundaryAfter(j + 1) && !SPACE.test(t[j - 1])) return j + 1;
      j++;
    }
    // Nothing on the rest of this line closes inline code: a backtick later on it
    // would look at the same ones.
    this.inlineUnclosed = { from: i, to: j };
    return -1;
  }

  /** A run of backticks that opens nothing stays as typed, whole: ``` is not ` then ``. */
  private pastBackticks(i: number, end: number): number {
    while (i < end && this.text[i] === "`") i++;
    return i;
  }

  /** Whether a marker at i may open: at the start, or after a space or punctuation. */
  private boundaryBefore(i: number): boolean {
    if (i === 0) return true;
    // The character before, whole where it is two UTF-16 units.
    const before = Array.from(this.text.slice(Math.max(0, i - 2), i)).pop() ?? "";
    return !WORD.test(before);
  }

  /** Whether a marker ending just before i may close: at the end, or before a space or punctuation. */
  private boundaryAfter(i: number): boolean {
    if (i >= this.text.length) return true;
    return !WORD.test(String.fromCodePoint(this.text.codePointAt(i)!));
  }
}
