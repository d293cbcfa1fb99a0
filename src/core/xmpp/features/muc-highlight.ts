/**
 * Highlights in rooms: does a message mention our nick or one of the user's highlight words?
 * Case-insensitive, whole words only (so "bob" does not fire on "bobcat"), pure.
 */

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The first of `nick` and `words` found in `body` as a whole word, else undefined. */
export function findHighlight(body: string, nick: string, words: readonly string[] = []): string | undefined {
  for (const w of [nick, ...words]) {
    const t = w.trim();
    if (!t) continue;
    const re = new RegExp(`(^|[^\\p{L}\\p{N}_])${escape(t)}($|[^\\p{L}\\p{N}_])`, "iu");
    if (re.test(body)) return t;
  }
  return undefined;
}
