/** Message text helpers, at the bottom of the house so every layer can quote a value the same way. */

/**
 * A user's value quoted in a message, cut to `max` characters: a message names what was wrong,
 * it does not echo a 10,000-character value (or a file's contents) back.
 */
export function quoteValue(value: string, max = 60): string {
  const q = JSON.stringify(value.length > max ? value.slice(0, max) : value);
  return value.length > max ? `${q.slice(0, -1)}…" (${value.length} characters)` : q;
}
