/**
 * XEP-0313 Message Archive Management (urn:xmpp:mam:2) with XEP-0059 Result Set Management:
 * pure builders and parsers. What to trust is decided here too: a result belongs to a query only
 * with that query's id, from the archive that was asked (our own archive: no `from`, or our bare
 * JID), while the query is open (before its <fin/>).
 */
import { randomUUID } from "node:crypto";

import { sameJid, tryParseJid, bareJid } from "../jid.js";
import { NS } from "../xmpp/ns.js";
import { xml, type XmlElement } from "../xmpp/transport/xml.js";
import type { OpenedMessage } from "../crypto/encryption.js";

export const NS_MAM = "urn:xmpp:mam:2";
export const NS_RSM = "http://jabber.org/protocol/rsm";
export const NS_DATA = "jabber:x:data";

export interface MamQuery {
  queryid: string;
  /** Only messages with this JID (XEP-0313 `with`). */
  with?: string;
  /** ISO times (XEP-0313 `start` / `end`). */
  start?: string;
  end?: string;
  /** RSM: page size. */
  max: number;
  /** RSM: the page after this archive id (forward paging). */
  after?: string;
  /** RSM: the page before this archive id; "" = the last page. */
  before?: string;
}

export function newQueryId(): string {
  return randomUUID();
}

function field(name: string, value: string, type?: string): XmlElement {
  return xml("field", type ? { var: name, type } : { var: name }, xml("value", {}, value));
}

/** The <query/> payload of an IQ set. */
export function buildMamQuery(q: MamQuery): XmlElement {
  const fields = [field("FORM_TYPE", NS_MAM, "hidden")];
  if (q.with) fields.push(field("with", q.with));
  if (q.start) fields.push(field("start", q.start));
  if (q.end) fields.push(field("end", q.end));
  const set = xml("set", { xmlns: NS_RSM }, xml("max", {}, String(q.max)));
  if (q.after !== undefined) set.append(xml("after", {}, q.after));
  if (q.before !== undefined) set.append(q.before === "" ? xml("before") : xml("before", {}, q.before));
  return xml("query", { xmlns: NS_MAM, queryid: q.queryid }, xml("x", { xmlns: NS_DATA, type: "submit" }, ...fields), set);
}

export interface MamFin {
  complete: boolean;
  first?: string;
  last?: string;
  count?: number;
}

/** The <fin/> of an IQ result. */
export function parseFin(iq: XmlElement): MamFin | undefined {
  const fin = iq.getChild("fin", NS_MAM);
  if (!fin) return undefined;
  const set = fin.getChild("set", NS_RSM);
  const out: MamFin = { complete: fin.attrs.complete === "true" || fin.attrs.complete === "1" };
  const first = set?.getChildText("first");
  const last = set?.getChildText("last");
  const count = set?.getChildText("count");
  if (first) out.first = first;
  if (last) out.last = last;
  if (count && /^\d+$/.test(count)) out.count = Number(count);
  return out;
}

export interface MamResult {
  queryid: string;
  /** The archive's id for the message (its stanza-id). */
  id: string;
  /** When the archive received it (the forwarded delay). */
  stamp?: string;
  /** The archived message. */
  message: XmlElement;
  /** An encrypted message, opened by its strategy (never its plaintext fallback body). */
  opened?: OpenedMessage;
}

/** A <message/> carrying a MAM <result/>, unwrapped (no checks: see `acceptResult`). */
export function parseResult(stanza: XmlElement): MamResult | undefined {
  if (stanza.name !== "message") return undefined;
  const result = stanza.getChild("result", NS_MAM);
  if (!result) return undefined;
  const fwd = result.getChild("forwarded", NS.forward);
  const message = fwd?.getChild("message");
  if (!result.attrs.queryid || !result.attrs.id || !message) return { queryid: result.attrs.queryid ?? "", id: result.attrs.id ?? "", message: message ?? xml("message") };
  const out: MamResult = { queryid: result.attrs.queryid, id: result.attrs.id, message };
  const stamp = fwd!.getChild("delay", NS.delay)?.attrs.stamp;
  if (stamp && !Number.isNaN(Date.parse(stamp))) out.stamp = new Date(Date.parse(stamp)).toISOString();
  return out;
}

/**
 * Whether a result stanza comes from the archive we asked: our own archive answers without a
 * `from` or from our bare JID; a room's archive from the room's bare JID.
 */
export function fromArchive(stanzaFrom: string | undefined, archive: string, ownJid: string): boolean {
  const own = tryParseJid(ownJid) ? bareJid(ownJid) : undefined;
  if (stanzaFrom === undefined) return own !== undefined && sameJid(archive, own);
  return tryParseJid(stanzaFrom) !== null && sameJid(stanzaFrom, archive);
}

// -- preferences ----------------------------------------------------------------------------------

export const MAM_DEFAULTS = ["always", "never", "roster"] as const;
export type MamDefault = (typeof MAM_DEFAULTS)[number];

export interface MamPrefs {
  default: MamDefault;
  always: string[];
  never: string[];
}

export function buildPrefsGet(): XmlElement {
  return xml("prefs", { xmlns: NS_MAM });
}

export function buildPrefsSet(p: MamPrefs): XmlElement {
  return xml(
    "prefs",
    { xmlns: NS_MAM, default: p.default },
    xml("always", {}, ...p.always.map((j) => xml("jid", {}, j))),
    xml("never", {}, ...p.never.map((j) => xml("jid", {}, j))),
  );
}

export function parsePrefs(iq: XmlElement): MamPrefs | undefined {
  const prefs = iq.getChild("prefs", NS_MAM);
  if (!prefs) return undefined;
  const d = prefs.attrs.default;
  const list = (name: string) => (prefs.getChild(name)?.getChildren("jid") ?? []).map((j) => j.text()).filter((t) => t.length > 0);
  return { default: (MAM_DEFAULTS as readonly string[]).includes(d ?? "") ? (d as MamDefault) : "roster", always: list("always"), never: list("never") };
}
