// Keyboard shortcuts as the member's keyboard has them: Ctrl, or ⌘ on a Mac.

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

/** What a shortcut reads of a key press, from React's events or the document's. */
interface KeyPress {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** Whether a key press is Ctrl (or ⌘) with the letter alone, on any keyboard layout. */
export function isShortcut(e: KeyPress, letter: string): boolean {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return false;
  // On a layout without Latin letters the key names another letter: its place says which.
  return e.key.toLowerCase() === letter || (e.code === `Key${letter.toUpperCase()}` && !/^[a-z]$/i.test(e.key));
}
