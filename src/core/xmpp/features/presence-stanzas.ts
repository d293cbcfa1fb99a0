/**
 * Pure parsing and building of presence stanzas (RFC 6121 §4) with the extensions jabterm reads
 * and writes: entity capabilities (XEP-0115) and idle time (XEP-0319). Text stays exactly as
 * received.
 */
import { tryParseJid } from "../../jid.js";
import { SHOWS, type Show } from "../../store/types.js";
import { xml, type XmlElement } from "../transport/xml.js";
import { NS_CAPS } from "./disco.js";

export const NS_IDLE = "urn:xmpp:idle:1";
export const NS_MUC_USER = "http://jabber.org/protocol/muc#user";

export interface IncomingPresence {
  /** Full JID as sent (canonical). */
  from: string;
  /** Bare JID, canonical. */
  jid: string;
  /** "" when the presence came from a bare JID. */
  resource: string;
  available: boolean;
  show: Show;
  status?: string;
  /** -128..127 (RFC 6121 §4.7.2.3); absent = 0. */
  priority: number;
  caps?: { node: string; ver: string; hash: string };
  /** XEP-0319 (ISO). */
  idleSince?: string;
}

const SHOW_SET = new Set<string>(SHOWS.filter((s) => s !== "online"));

export function clampPriority(n: number): number {
  return Math.max(-128, Math.min(127, Math.trunc(n)));
}

/** An ISO-8601 instant, or undefined when the text is not one (XEP-0082 DateTime). */
function isoInstant(text: string | undefined): string | undefined {
  if (!text || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/**
 * An available or unavailable presence from a contact or one of our resources. Undefined for
 * everything else: subscription management, probes and errors (RFC 6121 §3, handled by the
 * roster), a missing or invalid `from`, and MUC occupant presence (a room's, not a contact's).
 */
export function parseIncomingPresence(stanza: XmlElement): IncomingPresence | undefined {
  if (stanza.name !== "presence") return undefined;
  const type = stanza.attrs.type;
  if (type !== undefined && type !== "unavailable") return undefined;
  const j = stanza.attrs.from ? tryParseJid(stanza.attrs.from) : null;
  if (!j) return undefined;
  if (stanza.getChild("x", NS_MUC_USER)) return undefined;
  const jid = j.local ? `${j.local}@${j.domain}` : j.domain;
  const from = j.resource ? `${jid}/${j.resource}` : jid;
  const available = type !== "unavailable";
  const showText = stanza.getChildText("show")?.trim() ?? "";
  const show: Show = SHOW_SET.has(showText) ? (showText as Show) : "online";
  const prioText = stanza.getChildText("priority")?.trim();
  const prio = prioText && /^[+-]?\d+$/.test(prioText) ? clampPriority(Number(prioText)) : 0;
  const p: IncomingPresence = { from, jid, resource: j.resource, available, show, priority: prio };
  const status = stanza.getChildText("status");
  if (status !== null) p.status = status;
  const c = stanza.getChild("c", NS_CAPS);
  // Legacy caps (no hash attribute) name no verifiable ver: ignored.
  if (c?.attrs.node && c.attrs.ver && c.attrs.hash) p.caps = { node: c.attrs.node, ver: c.attrs.ver, hash: c.attrs.hash };
  const idle = isoInstant(stanza.getChild("idle", NS_IDLE)?.attrs.since);
  if (idle) p.idleSince = idle;
  return p;
}

export interface OutgoingPresence {
  show: Show;
  status?: string;
  priority: number;
  caps?: XmlElement;
  /** XEP-0319 idle since (ISO). */
  idleSince?: string;
  /** Directed presence. */
  to?: string;
}

/** A broadcast or directed available presence. */
export function buildPresence(p: OutgoingPresence): XmlElement {
  return xml(
    "presence",
    { to: p.to },
    p.show !== "online" ? xml("show", {}, p.show) : undefined,
    p.status ? xml("status", {}, p.status) : undefined,
    xml("priority", {}, String(clampPriority(p.priority))),
    p.caps,
    p.idleSince ? xml("idle", { xmlns: NS_IDLE, since: p.idleSince }) : undefined,
  );
}

/** Directed unavailable presence (RFC 6121 §4.6). */
export function buildUnavailable(to: string | undefined, status?: string): XmlElement {
  return xml("presence", { to, type: "unavailable" }, status ? xml("status", {}, status) : undefined);
}
