// A popover under a button, shared by the thread's message menu and the composer's
// tools.
import { useEffect, useRef, useState } from "react";

/**
 * A popover under a button: it closes on Escape (focus back on the button) or on a
 * click anywhere else, and moves focus to its first item when it opens.
 */
export function usePopover(first: string) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    ref.current?.querySelector<HTMLElement>(first)?.focus();
    const away = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const esc = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        trigger.current?.focus();
      }
    };
    document.addEventListener("mousedown", away);
    document.addEventListener("keydown", esc);
    return () => {
      document.removeEventListener("mousedown", away);
      document.removeEventListener("keydown", esc);
    };
  }, [open, first]);
  return { open, setOpen, ref, trigger };
}
