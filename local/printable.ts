/**
 * Characters a terminal acts on instead of showing: C0 controls but the newline (carriage return, backspace,
 * escape sequences that move the cursor, recolour, retitle the window or write to the clipboard), DEL, C1
 * controls (8-bit CSI), and the Unicode bidirectional overrides and isolates that reorder what is shown.
 */
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every terminal control character removed and tabs made spaces; newlines stay. For anything printed
 * that came from outside the program (a notification, an instance's log line, an AWS error message).
 */
export function printable(text: string): string {
  return text.replace(/\t/g, ' ').replace(TERMINAL_CONTROLS, '');
}

/** `text` as one printable line: controls removed, whitespace runs (newlines too) made one space, at most `max` characters. */
export function printableLine(text: string, max = Number.POSITIVE_INFINITY): string {
  const flat = printable(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
