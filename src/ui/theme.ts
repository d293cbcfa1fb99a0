/** Colours and glyphs in one place. */
import type { Show } from "../core/store/types.js";

export const PRESENCE_GLYPH: Record<Show | "offline", string> = { chat: "◉", online: "●", away: "◐", xa: "○", dnd: "⊘", offline: "·" };
export const PRESENCE_COLOR: Record<Show | "offline", string> = { chat: "greenBright", online: "green", away: "yellow", xa: "yellowBright", dnd: "red", offline: "gray" };
export const STATE_MARK: Record<string, string> = { queued: "…", sent: "→", acked: "✓", delivered: "✓✓", displayed: "👁", failed: "✗" };

const ACCOUNT_COLORS = ["cyan", "magenta", "blue", "green", "yellow", "redBright", "cyanBright", "magentaBright"];

/** A stable colour per account name. */
export function accountColor(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.codePointAt(0)!) >>> 0;
  return ACCOUNT_COLORS[h % ACCOUNT_COLORS.length]!;
}

/** End-to-end encryption marks: the verification of an incoming encrypted message. */
export const CRYPTO_GLYPH: Record<"verified" | "unverified" | "unsigned" | "bad", string> = { verified: "✓", unverified: "?", unsigned: "~", bad: "✗" };
export const CRYPTO_COLOR: Record<"verified" | "unverified" | "unsigned" | "bad" | "none", string> = { verified: "green", unverified: "yellow", unsigned: "yellow", bad: "red", none: "cyan" };
