/**
 * JIDs (Jabber IDs) per RFC 7622, pure TypeScript (no @xmpp/* dependency).
 *
 * A JID is `[localpart "@"] domainpart ["/" resourcepart]`. Every JID that leaves this module is in
 * canonical form, so two JIDs are equal exactly when their canonical strings are equal:
 *
 * - localpart: PRECIS UsernameCaseMapped profile (RFC 8265 §3.3) on the IdentifierClass (RFC 8264).
 * - domainpart: one trailing dot stripped, IDNA2008/UTS-46 mapped through node's WHATWG
 *   `url.domainToASCII`/`domainToUnicode`, lowercased. The canonical form is the *Unicode* form
 *   (U-labels: `bücher.example`, never `xn--bcher-kva.example`), because that is what users type and
 *   read; A-labels given as input are converted to it, so both spellings compare equal.
 * - resourcepart: PRECIS OpaqueString profile (RFC 8265 §4.2) on the FreeformClass; case-sensitive.
 *
 * PRECIS approximations (the full derived-property tables need Unicode data that JS regexes do not
 * expose, and an exact table would be a large dependency for little practical gain):
 * - Categories come from JS `\p{...}` properties of the running engine's Unicode version, not from
 *   the IANA PRECIS registry's version. Unassigned code points (Cn) are rejected either way.
 * - Width mapping = NFKC applied only to U+3000 and the Halfwidth/Fullwidth Forms block
 *   (U+FF01..U+FFEE), which is where all <wide>/<narrow> decompositions live.
 * - Contextual rules (CONTEXTJ: ZWJ/ZWNJ after a virama; CONTEXTO: middle dot, Greek keraia, Hebrew
 *   geresh, katakana middle dot, Arabic-Indic digits) are not evaluated: ZWJ/ZWNJ and non-ASCII
 *   punctuation are simply rejected in localparts; Arabic-Indic digits (Nd) are accepted.
 * - The Bidi Rule (RFC 5893) for localparts is not applied (JS exposes no Bidi_Class); explicit
 *   bidi controls are rejected everywhere because they are default-ignorable.
 * - Domain labels may contain "_" (not LDH, but used by e.g. container host names) and numeric-only
 *   top-level labels are only accepted as part of a dotted-quad IPv4 literal.
 */

import { isIPv6 } from "node:net";
import { domainToASCII, domainToUnicode } from "node:url";
import { UsageError } from "./errors.js";

export interface Jid {
  /** Canonical localpart, "" when absent. */
  local: string;
  /** Canonical domainpart (Unicode form, lowercased; IP literals as given, IPv6 in brackets). */
  domain: string;
  /** Canonical resourcepart, "" when absent. Case-sensitive. */
  resource: string;
}

/** RFC 7622: each part is at most 1023 octets of UTF-8. */
const MAX_PART_OCTETS = 1023;
/** RFC 1035/5890: one DNS label (A-label form) is at most 63 octets. */
const MAX_LABEL_OCTETS = 63;

/** RFC 7622 §3.3.1: characters a localpart may not contain (besides what PRECIS disallows). */
const LOCAL_PROHIBITED = new Set(['"', "&", "'", "/", ":", "<", ">", "@"]);

/** Label separators that RFC 7622 §3.2 / UTS-46 treat as a full stop. */
const LABEL_SEPARATORS = /[.\u3002\uFF0E\uFF61]/;

// RFC 5892 §2.6 exceptions that override the general-category derivation.
const PVALID_EXCEPTIONS = new Set([0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007]);
const DISALLOWED_EXCEPTIONS = new Set([
  0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b,
]);

const RE_LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
const RE_FREEFORM_BASE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u;
const RE_IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]$/u;

function isOldHangulJamo(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xd7b0 && cp <= 0xd7ff);
}

function isLoneSurrogate(cp: number): boolean {
  return cp >= 0xd800 && cp <= 0xdfff;
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

function describeCodePoint(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  return cp > 0x20 && cp < 0x7f ? `"${ch}"` : hex;
}

function showInput(input: string): string {
  const shown = input.length > 80 ? `${input.slice(0, 77)}...` : input;
  return JSON.stringify(shown);
}

class PartError extends Error {}

/** The PRECIS width mapping: fullwidth/halfwidth characters to their decompositions. */
function widthMap(s: string): string {
  return s.replace(/[\u3000\uFF01-\uFFEE]/g, (ch) => ch.normalize("NFKC"));
}

/** HasCompat (RFC 8264 §9.17): the code point changes under NFKC. */
function hasCompat(ch: string): boolean {
  return ch.normalize("NFKC") !== ch;
}

/** IdentifierClass check (RFC 8264 §4.2) plus the JID-specific prohibitions. Throws PartError. */
function checkIdentifierChar(ch: string): void {
  const cp = ch.codePointAt(0) ?? 0;
  if (LOCAL_PROHIBITED.has(ch)) throw new PartError(`contains the prohibited character ${describeCodePoint(ch)}`);
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) throw new PartError(`contains the control character ${describeCodePoint(ch)}`);
  if (cp === 0x20 || /^\p{Z}$/u.test(ch)) throw new PartError(`contains a space (${describeCodePoint(ch)})`);
  if (cp < 0x7f) return; // ASCII7: printable ASCII is PVALID
  if (PVALID_EXCEPTIONS.has(cp)) return;
  if (isLoneSurrogate(cp)) throw new PartError("contains an unpaired surrogate");
  if (DISALLOWED_EXCEPTIONS.has(cp) || isOldHangulJamo(cp) || RE_IGNORABLE.test(ch)) {
    throw new PartError(`contains the disallowed character ${describeCodePoint(ch)}`);
  }
  if (/^\p{Cn}$/u.test(ch)) throw new PartError(`contains the unassigned code point ${describeCodePoint(ch)}`);
  if (!RE_LETTER_DIGITS.test(ch) || hasCompat(ch)) {
    throw new PartError(`contains the disallowed character ${describeCodePoint(ch)}`);
  }
}

/** FreeformClass check (RFC 8264 §4.3). Throws PartError. */
function checkFreeformChar(ch: string): void {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) throw new PartError(`contains the control character ${describeCodePoint(ch)}`);
  if (cp < 0x7f) return; // ASCII7 and U+0020
  if (PVALID_EXCEPTIONS.has(cp)) return;
  if (isLoneSurrogate(cp)) throw new PartError("contains an unpaired surrogate");
  if (DISALLOWED_EXCEPTIONS.has(cp) || isOldHangulJamo(cp) || RE_IGNORABLE.test(ch)) {
    throw new PartError(`contains the disallowed character ${describeCodePoint(ch)}`);
  }
  if (/^\p{Cn}$/u.test(ch)) throw new PartError(`contains the unassigned code point ${describeCodePoint(ch)}`);
  // Letters, marks, numbers, punctuation, symbols and spaces are valid; Cf/Co/Cs/Zl/Zp are not.
  if (!RE_FREEFORM_BASE.test(ch)) throw new PartError(`contains the disallowed character ${describeCodePoint(ch)}`);
}

function checkLength(s: string, what: string): void {
  if (s.length === 0) throw new PartError(`${what} is empty`);
  if (utf8Length(s) > MAX_PART_OCTETS) throw new PartError(`${what} is longer than ${MAX_PART_OCTETS} octets`);
}

/**
 * Prepare and enforce a localpart (PRECIS UsernameCaseMapped): width mapping, toLowerCase, NFC,
 * then the IdentifierClass. Throws UsageError.
 */
export function prepLocalpart(input: string): string {
  try {
    return enforceLocal(input);
  } catch (err) {
    if (err instanceof PartError) throw new UsageError(`invalid JID localpart ${showInput(input)}: ${err.message}`);
    throw err;
  }
}

function enforceLocal(input: string): string {
  if (input.length === 0) throw new PartError("localpart is empty");
  const out = widthMap(input).toLowerCase().normalize("NFC");
  for (const ch of out) checkIdentifierChar(ch);
  checkLength(out, "localpart");
  return out;
}

/**
 * Prepare and enforce a resourcepart (PRECIS OpaqueString): non-ASCII spaces to U+0020, NFC, then
 * the FreeformClass. No case mapping. Throws UsageError.
 */
export function prepResourcepart(input: string): string {
  try {
    return enforceResource(input);
  } catch (err) {
    if (err instanceof PartError) throw new UsageError(`invalid JID resourcepart ${showInput(input)}: ${err.message}`);
    throw err;
  }
}

function enforceResource(input: string): string {
  if (input.length === 0) throw new PartError("resourcepart is empty");
  const out = input.replace(/\p{Zs}/gu, " ").normalize("NFC");
  for (const ch of out) checkFreeformChar(ch);
  checkLength(out, "resourcepart");
  return out;
}

const RE_IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** An ASCII label after mapping: letters, digits, hyphen (not at either end), and "_". */
const RE_ASCII_LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** Prepare and enforce a domainpart; returns the canonical (Unicode, lowercase) form. Throws UsageError. */
export function prepDomainpart(input: string): string {
  try {
    return enforceDomain(input);
  } catch (err) {
    if (err instanceof PartError) throw new UsageError(`invalid JID domainpart ${showInput(input)}: ${err.message}`);
    throw err;
  }
}

function enforceDomain(input: string): string {
  let d = input;
  // RFC 7622 §3.2: strip one trailing label separator before anything else.
  const last = d.slice(-1);
  if (last !== "" && LABEL_SEPARATORS.test(last)) d = d.slice(0, -1);
  if (d.length === 0) throw new PartError("domainpart is empty");

  if (d.startsWith("[")) {
    if (!d.endsWith("]")) throw new PartError("IPv6 literal is missing its closing ']'");
    const inner = d.slice(1, -1);
    if (!isIPv6(inner) || inner.includes("%")) throw new PartError("not a valid IPv6 address literal");
    // WHATWG URL parsing yields the canonical (compressed, lowercase) text form.
    return new URL(`http://[${inner}]/`).hostname;
  }
  if (RE_IPV4.test(d)) return d;

  const labels = d.split(LABEL_SEPARATORS);
  const out: string[] = [];
  let octets = 0;
  for (const raw of labels) {
    if (raw.length === 0) throw new PartError("contains an empty label");
    const label = widthMap(raw).toLowerCase().normalize("NFC");
    let ascii: string;
    if (/^[\x00-\x7f]*$/.test(label)) {
      ascii = label;
    } else {
      for (const ch of label) {
        const cp = ch.codePointAt(0) ?? 0;
        if (cp < 0x80 && !/[a-z0-9_-]/.test(ch)) {
          throw new PartError(`contains the disallowed character ${describeCodePoint(ch)}`);
        }
      }
      // Per-label UTS-46 ToASCII (whole-host parsing would apply WHATWG's IPv4 quirks).
      ascii = domainToASCII(label);
      if (ascii === "" || ascii.includes(".")) throw new PartError(`label ${JSON.stringify(raw)} is not a valid IDN label`);
    }
    if (!RE_ASCII_LABEL.test(ascii)) {
      const bad = [...ascii].find((ch) => !/[a-z0-9_-]/.test(ch));
      if (bad !== undefined) throw new PartError(`contains the disallowed character ${describeCodePoint(bad)}`);
      throw new PartError(`label ${JSON.stringify(raw)} must not start or end with "-"`);
    }
    if (ascii.length > MAX_LABEL_OCTETS) throw new PartError(`label is longer than ${MAX_LABEL_OCTETS} octets`);
    let unicode = ascii;
    if (ascii.startsWith("xn--")) {
      // Validates the Punycode and gives the U-label; round-trip must be stable.
      unicode = domainToUnicode(ascii);
      if (unicode === "" || unicode.includes(".") || domainToASCII(unicode) !== ascii) {
        throw new PartError(`label ${JSON.stringify(raw)} is not a valid A-label`);
      }
    }
    octets += utf8Length(unicode) + (out.length > 0 ? 1 : 0);
    out.push(unicode);
  }
  if (/^\d+$/.test(out[out.length - 1] ?? "")) {
    throw new PartError("is neither a valid IPv4 address nor a domain name (numeric top-level label)");
  }
  if (octets > MAX_PART_OCTETS) throw new PartError(`domainpart is longer than ${MAX_PART_OCTETS} octets`);
  return out.join(".");
}

function parseOrThrow(input: string): Jid {
  if (typeof input !== "string") throw new UsageError("invalid JID: not a string");
  if (input.length === 0) throw new UsageError("invalid JID: empty string");
  try {
    // RFC 7622 §3.1: the resourcepart is everything after the first "/", then the localpart is
    // everything before the first "@" of what remains.
    let rest = input;
    let resource = "";
    const slash = rest.indexOf("/");
    if (slash >= 0) {
      const r = rest.slice(slash + 1);
      rest = rest.slice(0, slash);
      if (r.length === 0) throw new PartError('resourcepart is empty (remove the trailing "/")');
      resource = enforceResource(r);
    }
    let local = "";
    const at = rest.indexOf("@");
    if (at >= 0) {
      const l = rest.slice(0, at);
      rest = rest.slice(at + 1);
      if (l.length === 0) throw new PartError('localpart is empty (nothing before "@")');
      local = enforceLocal(l);
    }
    if (rest.length === 0) throw new PartError("domainpart is empty");
    if (rest.includes("@")) throw new PartError('domainpart contains "@"');
    const domain = enforceDomain(rest);
    return { local, domain, resource };
  } catch (err) {
    if (err instanceof PartError) throw new UsageError(`invalid JID ${showInput(input)}: ${err.message}`, { input });
    throw err;
  }
}

/**
 * Valid JIDs seen lately, parsed (frozen: shared by every caller). A flood of messages from one
 * peer parses the same few JIDs thousands of times; PRECIS enforcement is not cheap.
 */
const PARSED = new Map<string, Jid>();
const PARSED_MAX = 4096;

function parseCached(input: string): Jid {
  const hit = PARSED.get(input);
  if (hit) return hit;
  const j = Object.freeze(parseOrThrow(input));
  if (PARSED.size >= PARSED_MAX) PARSED.clear();
  PARSED.set(input, j);
  return j;
}

/** Parse and canonicalise a JID. Throws UsageError naming the problem. */
export function parseJid(input: string): Jid {
  return parseCached(input);
}

/** Like parseJid, but returns null for invalid input. */
export function tryParseJid(input: string): Jid | null {
  try {
    return parseCached(input);
  } catch (err) {
    if (err instanceof UsageError) return null;
    throw err;
  }
}

function format(j: Jid, withResource: boolean): string {
  let s = j.local ? `${j.local}@${j.domain}` : j.domain;
  if (withResource && j.resource) s += `/${j.resource}`;
  return s;
}

/** Canonicalise a string or a (possibly hand-built) Jid object. */
function coerce(j: Jid | string): Jid {
  if (typeof j === "string") return parseCached(j);
  return parseCached(format(j, true));
}

/** `local@domain` (or `domain`), canonical. */
export function bareJid(j: Jid | string): string {
  return format(coerce(j), false);
}

/** `local@domain/resource` with absent parts omitted, canonical. */
export function fullJid(j: Jid | string): string {
  return format(coerce(j), true);
}

/** The canonical string form of a JID (same as fullJid). */
export function jidToString(j: Jid | string): string {
  return format(coerce(j), true);
}

/** The canonical string form of a JID given as text. Throws UsageError on invalid input. */
export function normalizeJid(input: string): string {
  return format(parseCached(input), true);
}

/** Same account/contact (resources ignored). Invalid JIDs are never equal to anything. */
export function sameBareJid(a: Jid | string, b: Jid | string): boolean {
  const ja = tryCoerce(a);
  const jb = tryCoerce(b);
  return ja !== null && jb !== null && format(ja, false) === format(jb, false);
}

/** Same full JID (resource compared case-sensitively). Invalid JIDs are never equal to anything. */
export function sameJid(a: Jid | string, b: Jid | string): boolean {
  const ja = tryCoerce(a);
  const jb = tryCoerce(b);
  return ja !== null && jb !== null && format(ja, true) === format(jb, true);
}

function tryCoerce(j: Jid | string): Jid | null {
  try {
    return coerce(j);
  } catch (err) {
    if (err instanceof UsageError) return null;
    throw err;
  }
}

/** True when `s` is a valid JID without a resourcepart. */
export function isBareJid(s: string): boolean {
  const j = tryParseJid(s);
  return j !== null && j.resource === "";
}

/** The canonical domainpart of a JID. Throws UsageError on invalid input. */
export function domainOf(s: Jid | string): string {
  return coerce(s).domain;
}
