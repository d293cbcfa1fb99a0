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

export const NOTIFY_MODES = ["all", "highlight", "none"] as const;
export type NotifyMode = (typeof NOTIFY_MODES)[number];

/** The per-room modes of the muc_notify setting ("room=mode,room=mode"); bad entries are skipped. */
export function parseNotify(value: string | undefined): Map<string, NotifyMode> {
  const out = new Map<string, NotifyMode>();
  for (const part of (value ?? "").split(",")) {
    const eq = part.lastIndexOf("=");
    if (eq <= 0) continue;
    const mode = part.slice(eq + 1).trim() as NotifyMode;
    if ((NOTIFY_MODES as readonly string[]).includes(mode)) out.set(part.slice(0, eq).trim().toLowerCase(), mode);
  }
  return out;
}

/** The setting with `room` set to `mode` (highlight, the default, is not written). */
export function formatNotify(current: string | undefined, room: string, mode: NotifyMode): string {
  const m = parseNotify(current);
  if (mode === "highlight") m.delete(room.toLowerCase());
  else m.set(room.toLowerCase(), mode);
  return [...m].map(([r, v]) => `${r}=${v}`).join(",");
}
