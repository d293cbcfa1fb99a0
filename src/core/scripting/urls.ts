/**
 * URLs in conversation text for /open: found, numbered, and checked against an allowlist of
 * schemes before anything is handed to the opener.
 */
import type { ChatMessage } from "../store/types.js";

export const URL_SCHEMES = ["https", "http", "xmpp", "mailto", "gemini", "geo", "tel"] as const;

// A scheme we allow, then anything up to whitespace or a character that cannot be in a URL.
const URL_RE = /\b(?:https?:\/\/|xmpp:|mailto:|gemini:\/\/|geo:|tel:)[^\s<>"'`\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069]+/giu;

/** The URLs in a text, trailing punctuation that usually ends a sentence removed. */
export function findUrls(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(URL_RE)) {
    let u = m[0];
    // A closing bracket belongs to the URL only if it opened inside it.
    for (;;) {
      const last = u[u.length - 1]!;
      if (/[.,;:!?]/.test(last)) u = u.slice(0, -1);
      else if (last === ")" && (u.match(/\(/g)?.length ?? 0) < (u.match(/\)/g)?.length ?? 0)) u = u.slice(0, -1);
      else break;
    }
    out.push(u);
  }
  return out;
}

/**
 * The URL if it may be opened: an allowlisted scheme, parseable, no whitespace or control
 * characters, not starting with "-"; otherwise a reason.
 */
export function checkUrl(raw: string): { ok: true; url: string } | { ok: false; reason: string } {
  if (raw.length > 8192) return { ok: false, reason: "the URL is too long" };
  if (/[\s\u0000-\u001f\u007f-\u009f]/u.test(raw)) return { ok: false, reason: "the URL contains spaces or control characters" };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, reason: "not a URL" };
  }
  const scheme = u.protocol.replace(/:$/, "").toLowerCase();
  if (!(URL_SCHEMES as readonly string[]).includes(scheme)) return { ok: false, reason: `the scheme ${scheme}: is not allowed (allowed: ${URL_SCHEMES.join(", ")})` };
  if ((scheme === "http" || scheme === "https") && !u.hostname) return { ok: false, reason: "the URL has no host" };
  return { ok: true, url: raw };
}

/** The URLs of a conversation, newest first, numbered from 1, without repeats. */
export function conversationUrls(messages: readonly ChatMessage[], limit = 50): { n: number; url: string; from: string; time: string }[] {
  const seen = new Set<string>();
  const out: { n: number; url: string; from: string; time: string }[] = [];
  for (let i = messages.length - 1; i >= 0 && out.length < limit; i--) {
    const m = messages[i]!;
    for (const url of findUrls(m.body).reverse()) {
      if (seen.has(url)) continue;
      seen.add(url);
      out.push({ n: out.length + 1, url, from: m.from, time: m.time });
      if (out.length >= limit) break;
    }
  }
  return out;
}
