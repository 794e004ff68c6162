/** Message text helpers, at the bottom of the house so every layer can quote a value the same way. */

/**
 * A user's value quoted in a message, cut to `max` characters: a message names what was wrong,
 * it does not echo a 10,000-character value (or a file's contents) back.
 */
export function quoteValue(value: string, max = 60): string {
  const q = JSON.stringify(value.length > max ? value.slice(0, max) : value);
  return value.length > max ? `${q.slice(0, -1)}…" (${value.length} characters)` : q;
}

/**
 * Any untrusted value named in a message, briefly and without walking into it: a string quoted
 * and cut (quoteValue), a number or boolean as written, an array or object by its kind and size.
 * Never serializes the value whole (a 5,000-deep array must not overflow the stack, a 5 MB string
 * must not fill a banner).
 */
export function describeValue(value: unknown, max = 60): string {
  if (typeof value === 'string') return quoteValue(value, max);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array (${value.length} item${value.length === 1 ? '' : 's'})`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/** The longest message the product shows or prints whole (a banner, a node, the inspector, the CLI). */
export const MESSAGE_MAX = 400;

/**
 * A message cut to `max` characters, saying how long it was: the last guard between a value that slipped
 * through unquoted and a banner 445,427 px tall. Messages quote values briefly (quoteValue) already.
 */
export function briefText(text: string, max = MESSAGE_MAX): string {
  return text.length > max ? `${text.slice(0, max)}… (message cut: ${text.length} characters)` : text;
}
