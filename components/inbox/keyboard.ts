/**
 * Single-letter shortcuts must never fire while someone is typing: a reviewer writing "a risk"
 * in a rationale would otherwise approve. Modifier chords belong to the browser.
 */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export function isPlainKey(event: KeyboardEvent): boolean {
  return !event.ctrlKey && !event.metaKey && !event.altKey && !isTypingTarget(event.target);
}

/** Enter on a focused button or link is that control's own action, not the page's shortcut. */
export function isOnControl(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && target.closest("button, a, [role='button']") !== null;
}
