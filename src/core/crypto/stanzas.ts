/**
 * The XML of OpenPGP in XMPP, pure (no crypto here): XEP-0027's armor framing and <x/> elements,
 * XEP-0373/0374's <openpgp/> element, its signcrypt/sign/crypt content and the checks a received
 * one must pass, and the PEP items that publish a public key.
 */
import { randomBytes } from "node:crypto";

import { bareJid, sameBareJid, tryParseJid } from "../jid.js";
import { parseUntrustedElement } from "../xmpp/transport/parser.js";
import { xml, type XmlElement } from "../xmpp/transport/xml.js";
import type { Ciphertext, OxKind } from "./encryption.js";

export const NS_PGP_ENCRYPTED = "jabber:x:encrypted";
export const NS_PGP_SIGNED = "jabber:x:signed";
export const NS_OX = "urn:xmpp:openpgp:0";
export const NS_OX_PUBKEYS = "urn:xmpp:openpgp:0:public-keys";
export const NS_EME = "urn:xmpp:eme:0";
export const NS_HINTS = "urn:xmpp:hints";

/** What clients without OpenPGP show instead of the message. Never shown as the decrypted text. */
export const FALLBACK_BODY: Record<Ciphertext["scheme"], string> = {
  pgp: "This message is encrypted (OpenPGP, XEP-0027).",
  ox: "This message is encrypted with OpenPGP for XMPP (XEP-0373).",
};

// -- XEP-0027 armor framing -------------------------------------------------------------------

/**
 * The text XEP-0027 carries: the armor minus its BEGIN line, armor headers, the blank line and the
 * END line (the base64 lines and the =CRC line stay).
 */
export function stripArmor(armored: string): string {
  const lines = armored.replace(/\r\n?/g, "\n").split("\n").map((l) => l.trim());
  const begin = lines.findIndex((l) => /^-----BEGIN PGP [A-Z ]+-----$/.test(l));
  const end = lines.findIndex((l, i) => i > begin && /^-----END PGP [A-Z ]+-----$/.test(l));
  if (begin < 0 || end < 0) throw new Error("not an ASCII-armored OpenPGP block");
  let i = begin + 1;
  // Armor headers ("Key: value") up to the blank line; a block without headers starts with the blank line.
  const blank = lines.indexOf("", i);
  if (blank >= 0 && blank < end && lines.slice(i, blank).every((l) => /^[A-Za-z][A-Za-z0-9-]*: /.test(l))) i = blank + 1;
  return lines.slice(i, end).filter((l) => l.length > 0).join("\n");
}

/** Rebuild an armor block from XEP-0027 element text (lenient about whitespace). */
export function restoreArmor(text: string, kind: "MESSAGE" | "SIGNATURE"): string {
  const body = text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join("\n");
  return `-----BEGIN PGP ${kind}-----\n\n${body}\n-----END PGP ${kind}-----\n`;
}

// -- elements ---------------------------------------------------------------------------------

/** The children a message carries for an encrypted body (besides the fallback <body/>). */
export function encryptedChildren(c: Ciphertext): XmlElement[] {
  if (c.scheme === "pgp") return [xml("x", { xmlns: NS_PGP_ENCRYPTED }, c.data), xml("encryption", { xmlns: NS_EME, namespace: NS_PGP_ENCRYPTED })];
  return [xml("openpgp", { xmlns: NS_OX }, c.data), xml("encryption", { xmlns: NS_EME, namespace: NS_OX }), xml("store", { xmlns: NS_HINTS })];
}

export function pgpEncryptedText(stanza: XmlElement): string | undefined {
  const x = stanza.getChild("x", NS_PGP_ENCRYPTED);
  return x ? x.getText() : undefined;
}

export function oxText(stanza: XmlElement): string | undefined {
  const el = stanza.getChild("openpgp", NS_OX);
  return el ? el.getText() : undefined;
}

// -- OX content (XEP-0373 §3, XEP-0374) -------------------------------------------------------

/** Random-length padding (XEP-0373 §3.1: hides the length of short messages). */
function rpad(): string {
  const n = randomBytes(1)[0]! % 200;
  return randomBytes(n).toString("base64").slice(0, n);
}

/** <signcrypt/> for a chat message to `to` (bare JID) with `body`. */
export function buildSigncrypt(to: string, body: string, now: Date = new Date()): string {
  return xml(
    "signcrypt",
    { xmlns: NS_OX },
    xml("to", { jid: bareJid(to) }),
    xml("time", { stamp: now.toISOString().replace(/\.\d{3}Z$/, "Z") }),
    xml("rpad", {}, rpad()),
    xml("payload", {}, xml("body", { xmlns: "jabber:client" }, body)),
  ).toString();
}

/** How far an OX timestamp may lie in the future (clock skew). */
export const OX_FUTURE_SKEW_MS = 10 * 60_000;
/** How much older than its delivery (or delay stamp) an OX timestamp may be. */
export const OX_MAX_AGE_MS = 24 * 3600_000;

export type OxContent =
  | { ok: true; kind: OxKind; body?: string; time?: string; problem?: string }
  /** Refused: the content does not say what it must (wrong `to`, not OX at all, unparsable). */
  | { ok: false; reason: string };

/**
 * Parse and check decrypted OX content (untrusted XML). `signcrypt` and `sign` must name our bare
 * JID in a <to/>; the <time/> must be plausible (not in the future, not much older than the
 * delivery). A problem that does not refuse the message is returned in `problem`.
 */
export function checkOxContent(text: string, own: string, opts: { now?: Date; delay?: string; maxSize: number }): OxContent {
  let el: XmlElement;
  try {
    el = parseUntrustedElement(text, { maxStanzaSize: opts.maxSize, maxDepth: 16 });
  } catch (err) {
    return { ok: false, reason: `unreadable OX content: ${(err as Error).message}` };
  }
  if (el.getNS() !== NS_OX || !["signcrypt", "sign", "crypt"].includes(el.name)) return { ok: false, reason: `not OX content (<${el.name}/>)` };
  const kind = el.name as OxKind;
  const tos = el.getChildren("to").map((t) => t.attrs.jid ?? "");
  if (kind !== "crypt" || tos.length > 0) {
    if (!tos.some((j) => tryParseJid(j) && sameBareJid(j, own))) {
      return { ok: false, reason: `addressed to ${tos.length ? tos.join(", ") : "nobody"}, not to ${bareJid(own)} (forwarded by someone else?)` };
    }
  }
  const payload = el.getChild("payload");
  const body = payload?.getChildText("body") ?? undefined;
  const stamp = el.getChild("time")?.attrs.stamp;
  const now = opts.now ?? new Date();
  let problem: string | undefined;
  const t = stamp ? Date.parse(stamp) : Number.NaN;
  if (Number.isNaN(t)) problem = stamp ? "its timestamp is unreadable" : "it has no timestamp";
  else {
    const reference = opts.delay ? Date.parse(opts.delay) : now.getTime();
    if (t > now.getTime() + OX_FUTURE_SKEW_MS) problem = "its timestamp is in the future";
    else if (t < reference - OX_MAX_AGE_MS) problem = "its timestamp is much older than its delivery (replayed?)";
  }
  const out: OxContent = { ok: true, kind };
  if (body !== undefined) out.body = body;
  if (stamp) out.time = stamp;
  if (problem) out.problem = problem;
  return out;
}

// -- OX key publication (XEP-0373 §4) ---------------------------------------------------------

export function oxDataNode(fingerprint: string): string {
  return `${NS_OX_PUBKEYS}:${fingerprint.toUpperCase()}`;
}

/** The data node's item (its id is the key's date, XEP-0373 0.7: no date attribute any more). */
export function buildPubkeyItem(base64Key: string): XmlElement {
  return xml("pubkey", { xmlns: NS_OX }, xml("data", {}, base64Key));
}

export function buildPubkeyList(keys: { fingerprint: string; date: string }[]): XmlElement {
  return xml("public-keys-list", { xmlns: NS_OX }, keys.map((k) => xml("pubkey-metadata", { "v4-fingerprint": k.fingerprint.toUpperCase(), date: k.date })));
}

/** The fingerprints in a <public-keys-list/> (well-formed ones only). */
export function parsePubkeyList(el: XmlElement | undefined): string[] {
  if (!el || !el.is("public-keys-list", NS_OX)) return [];
  return el
    .getChildren("pubkey-metadata")
    .map((m) => (m.attrs["v4-fingerprint"] ?? "").toUpperCase())
    .filter((fp) => /^[0-9A-F]{40}$/.test(fp));
}
