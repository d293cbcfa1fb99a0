/**
 * Nick completion in a room tab: Tab on the first word of a line completes an occupant's nick
 * (case-insensitively) and adds ": ", as IRC and Poezio do. Pure.
 */
import type { Completion } from "../core/commands/complete.js";

export function completeNick(line: string, cursor: number, nicks: readonly string[]): Completion {
  const at = Math.max(0, Math.min(cursor, line.length));
  const prefix = line.slice(0, at);
  const none: Completion = { from: at, to: at, candidates: [] };
  if (/\s/.test(prefix)) return none; // only the first word
  const want = prefix.toLowerCase();
  // Nicks are remote text: one with controls, bidi or invisible characters is never typed for you.
  const candidates = [...new Set(nicks)].filter((n) => !/[\p{C}\u2028\u2029]/u.test(n) && n.toLowerCase().startsWith(want)).sort((a, b) => a.localeCompare(b)).map((n) => `${n}: `);
  return { from: 0, to: at, candidates };
}
