/**
 * Text from events (collection ids, source types, errors) is the sender's, and a terminal obeys escape
 * sequences in it: a title change, a screen clear, a hyperlink, a line that overwrites the one before.
 * Everything shown to a person goes through `visible` first; JSON output does not, so it stays exact.
 */

// C0 controls (newline and tab included: one value must stay on one line of a table), DEL, C1 controls
// (0x9b is a one-byte CSI), the line and paragraph separators, and the bidirectional overrides that can
// make text display in another order than it is stored.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The text with each control character replaced by its escape, as `\u001b`: seen, not obeyed. */
export function visible(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
