// Keyboard shortcuts as the member's keyboard has them: Ctrl, or ⌘ on a Mac. A few
// that browsers keep to themselves (Ctrl+N, a new window; Ctrl+T, a new tab) have an
// Alt (⌥) twin that reaches the page.

function onMac(): boolean {
  const nav = typeof navigator === "undefined" ? undefined : navigator;
  const platform = (nav as { userAgentData?: { platform?: string } } | undefined)?.userAgentData?.platform || nav?.platform || "";
  return /mac|iphone|ipad|ipod/i.test(platform);
}

/** A shortcut with Ctrl (⌘ on a Mac) as the member's keyboard names it. */
export function withModifier(key: string): string {
  return onMac() ? `⌘${key}` : `Ctrl+${key}`;
}

/** The same shortcut as aria-keyshortcuts writes it, for screen readers. */
export function ariaShortcut(key: string): string {
  return `${onMac() ? "Meta" : "Control"}+${key}`;
}

/** A shortcut with Alt (⌥ on a Mac) as the member's keyboard names it. */
export function withAlt(key: string): string {
  return onMac() ? `⌥${key}` : `Alt+${key}`;
}

/** What a shortcut reads of a key press, from React's events or the document's. */
interface KeyPress {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/**
 * Whether Ctrl is held, or ⌘ on a Mac. On a Mac Ctrl is the text box's own (Ctrl+N is
 * the next line, Ctrl+T swaps two letters), so only ⌘ is a shortcut there.
 */
export function commandKey(e: KeyPress): boolean {
  return onMac() ? e.metaKey && !e.ctrlKey : e.ctrlKey || e.metaKey;
}

/** Whether the key pressed is the letter, on any keyboard layout. */
function isLetter(e: KeyPress, letter: string): boolean {
  // On a layout without Latin letters the key names another letter, and with ⌥ on a
  // Mac a symbol: its place says which.
  return e.key.toLowerCase() === letter || (e.code === `Key${letter.toUpperCase()}` && !/^[a-z]$/i.test(e.key));
}

/** Whether a key press is Ctrl (or ⌘) with the letter alone, on any keyboard layout. */
export function isShortcut(e: KeyPress, letter: string): boolean {
  if (!commandKey(e) || e.altKey || e.shiftKey) return false;
  return isLetter(e, letter);
}

/** Whether a key press is Alt (⌥) with the letter alone; AltGr, which is Ctrl+Alt, is not. */
export function isAltShortcut(e: KeyPress, letter: string): boolean {
  if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return false;
  return isLetter(e, letter);
}
