/**
 * XEP-0045 (Multi-User Chat) and XEP-0249 (direct invitations): pure parsing and building of the
 * stanzas the room feature exchanges. No state here; muc.ts wires these to the store.
 */
import { randomUUID } from "node:crypto";

import { bareJid, tryParseJid } from "../../jid.js";
import { parseStanzaError } from "../../messaging/stanzas.js";
import type { Show } from "../../store/types.js";
import { NS } from "../ns.js";
import { xml, type XmlElement } from "../transport/xml.js";

export const ROLES = ["moderator", "participant", "visitor", "none"] as const;
export type Role = (typeof ROLES)[number];
export const AFFILIATIONS = ["owner", "admin", "member", "outcast", "none"] as const;
export type Affiliation = (typeof AFFILIATIONS)[number];

/** Status codes we act on (XEP-0045 §15.6.2). */
export const STATUS = {
  nonAnonymous: 100,
  self: 110,
  configChanged: 104,
  created: 201,
  nickAssigned: 210,
  banned: 301,
  nickChanged: 303,
  kicked: 307,
  affiliationChange: 321,
  membersOnly: 322,
  shutdown: 332,
  errorRemoved: 333,
} as const;

export interface MucPresence {
  /** The room's bare JID. */
  room: string;
  /** The occupant's nick (the resource of `from`). */
  nick: string;
  available: boolean;
  show: Show;
  status?: string;
  role: Role;
  affiliation: Affiliation;
  /** The occupant's real full JID, when the room shows it to us. */
  jid?: string;
  /** 303: the occupant's new nick. */
  newNick?: string;
  codes: number[];
  /** Who kicked/banned, and why. */
  actor?: string;
  reason?: string;
  /** The room was destroyed: where to go instead, and why. */
  destroyed?: { jid?: string; reason?: string };
}

const SHOWS_IN = new Set(["chat", "away", "xa", "dnd"]);

function asRole(v: string | undefined): Role {
  return (ROLES as readonly string[]).includes(v ?? "") ? (v as Role) : "none";
}
function asAffiliation(v: string | undefined): Affiliation {
  return (AFFILIATIONS as readonly string[]).includes(v ?? "") ? (v as Affiliation) : "none";
}

/** Status codes of a muc#user <x/>. */
export function statusCodes(x: XmlElement | undefined): number[] {
  if (!x) return [];
  return x.getChildren("status").flatMap((s) => {
    const n = Number(s.attrs.code);
    return Number.isInteger(n) ? [n] : [];
  });
}

/** An occupant's presence from a room (one with a muc#user <x/>), else undefined. Errors are not parsed here. */
export function parseMucPresence(stanza: XmlElement): MucPresence | undefined {
  if (stanza.name !== "presence") return undefined;
  const type = stanza.attrs.type;
  if (type !== undefined && type !== "unavailable") return undefined;
  const x = stanza.getChild("x", NS.mucUser);
  const from = stanza.attrs.from ? tryParseJid(stanza.attrs.from) : null;
  if (!x || !from?.resource) return undefined;
  const item = x.getChild("item");
  const showText = stanza.getChildText("show");
  const p: MucPresence = {
    room: bareJid(from),
    nick: from.resource,
    available: type === undefined,
    show: showText && SHOWS_IN.has(showText) ? (showText as Show) : "online",
    role: asRole(item?.attrs.role),
    affiliation: asAffiliation(item?.attrs.affiliation),
    codes: statusCodes(x),
  };
  const status = stanza.getChildText("status");
  if (status) p.status = status;
  if (item?.attrs.jid && tryParseJid(item.attrs.jid)) p.jid = item.attrs.jid;
  if (item?.attrs.nick) p.newNick = item.attrs.nick;
  const actor = item?.getChild("actor");
  if (actor) p.actor = actor.attrs.nick ?? actor.attrs.jid;
  const reason = item?.getChildText("reason");
  if (reason) p.reason = reason;
  const destroy = x.getChild("destroy");
  if (destroy) p.destroyed = { jid: destroy.attrs.jid, reason: destroy.getChildText("reason") ?? undefined };
  return p;
}

/** Whether an error presence is the answer to a join: its `from` is room/nick. */
export function parseMucPresenceError(stanza: XmlElement): { room: string; nick: string; condition: string; text?: string } | undefined {
  if (stanza.name !== "presence" || stanza.attrs.type !== "error" || !stanza.attrs.from) return undefined;
  const from = tryParseJid(stanza.attrs.from);
  if (!from) return undefined;
  const e = parseStanzaError(stanza);
  return { room: bareJid(from), nick: from.resource ?? "", condition: e.condition, text: e.text };
}

/** Join text for people: what a join error means. */
export function joinErrorText(condition: string, room: string): string {
  switch (condition) {
    case "not-authorized":
      return `${room} needs a password (or the one given is wrong): /join ${room} <password>`;
    case "registration-required":
      return `${room} is members-only and you are not a member`;
    case "forbidden":
      return `you are banned from ${room}`;
    case "conflict":
      return `that nick is already in use in ${room}: try /join ${room}/<another nick>`;
    case "service-unavailable":
      return `${room} is full (or the service refused)`;
    case "item-not-found":
      return `${room} does not exist, or is locked while its owner configures it`;
    case "not-allowed":
      return `you may not create ${room}`;
    case "jid-malformed":
      return `no nick given for ${room}`;
    case "not-acceptable":
      return `${room} requires a reserved nick`;
    default:
      return `could not join ${room}: ${condition}`;
  }
}

export function buildJoin(room: string, nick: string, opts: { password?: string; maxStanzas?: number; since?: string; show?: Show; status?: string } = {}): XmlElement {
  const history = opts.since ? xml("history", { since: opts.since }) : opts.maxStanzas !== undefined ? xml("history", { maxstanzas: opts.maxStanzas }) : undefined;
  return xml(
    "presence",
    { to: `${room}/${nick}`, id: randomUUID() },
    opts.show && opts.show !== "online" ? xml("show", {}, opts.show) : undefined,
    opts.status ? xml("status", {}, opts.status) : undefined,
    xml("x", { xmlns: NS.muc }, opts.password ? xml("password", {}, opts.password) : undefined, history),
  );
}

export function buildLeave(room: string, nick: string, reason?: string): XmlElement {
  return xml("presence", { to: `${room}/${nick}`, type: "unavailable" }, reason ? xml("status", {}, reason) : undefined);
}

/** A nick change is a presence to the new occupant JID (no <x/>). */
export function buildNickChange(room: string, nick: string): XmlElement {
  return xml("presence", { to: `${room}/${nick}`, id: randomUUID() });
}

export function buildSubject(room: string, subject: string): XmlElement {
  return xml("message", { to: room, type: "groupchat", id: randomUUID() }, xml("subject", {}, subject));
}

/** muc#admin item changes: role by nick, affiliation by bare JID. */
export function buildAdminItem(item: { nick?: string; jid?: string; role?: Role; affiliation?: Affiliation; reason?: string }): XmlElement {
  const attrs: Record<string, string> = {};
  if (item.nick) attrs.nick = item.nick;
  if (item.jid) attrs.jid = item.jid;
  if (item.role) attrs.role = item.role;
  if (item.affiliation) attrs.affiliation = item.affiliation;
  return xml("query", { xmlns: NS.mucAdmin }, xml("item", attrs, item.reason ? xml("reason", {}, item.reason) : undefined));
}

/** The muc#admin query listing one affiliation. */
export function buildAffiliationList(affiliation: Affiliation): XmlElement {
  return xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation }));
}

export function parseAffiliationList(query: XmlElement | undefined): { jid: string; affiliation: Affiliation; nick?: string }[] {
  return (query?.getChildren("item") ?? []).flatMap((i) => (i.attrs.jid ? [{ jid: i.attrs.jid, affiliation: asAffiliation(i.attrs.affiliation), ...(i.attrs.nick ? { nick: i.attrs.nick } : {}) }] : []));
}

/** XEP-0045 §10.1.2: accept the default configuration (an instant room). */
export function buildInstantRoom(): XmlElement {
  return xml("query", { xmlns: NS.mucOwner }, xml("x", { xmlns: NS.data, type: "submit" }));
}

export function buildDestroy(reason?: string, alternate?: string): XmlElement {
  return xml("query", { xmlns: NS.mucOwner }, xml("destroy", alternate ? { jid: alternate } : {}, reason ? xml("reason", {}, reason) : undefined));
}

/** XEP-0045 §7.8.2: a mediated invitation, sent through the room. */
export function buildMediatedInvite(room: string, to: string, reason?: string): XmlElement {
  return xml("message", { to: room, id: randomUUID() }, xml("x", { xmlns: NS.mucUser }, xml("invite", { to }, reason ? xml("reason", {}, reason) : undefined)));
}

/** XEP-0249: a direct invitation, sent to the invitee. */
export function buildDirectInvite(to: string, room: string, opts: { reason?: string; password?: string } = {}): XmlElement {
  const attrs: Record<string, string> = { jid: room };
  if (opts.reason) attrs.reason = opts.reason;
  if (opts.password) attrs.password = opts.password;
  return xml("message", { to, id: randomUUID() }, xml("x", { xmlns: NS.conference, ...attrs }));
}

/** XEP-0045 §7.8.2: decline a mediated invitation (through the room). */
export function buildDecline(room: string, to: string, reason?: string): XmlElement {
  return xml("message", { to: room, id: randomUUID() }, xml("x", { xmlns: NS.mucUser }, xml("decline", { to }, reason ? xml("reason", {}, reason) : undefined)));
}

export interface Invitation {
  room: string;
  /** Who invites (a real JID). */
  from: string;
  reason?: string;
  password?: string;
  kind: "mediated" | "direct";
}

/** An invitation in a message, mediated (from the room) or direct (XEP-0249), else undefined. */
export function parseInvitation(stanza: XmlElement): Invitation | undefined {
  if (stanza.name !== "message" || stanza.attrs.type === "error" || !stanza.attrs.from) return undefined;
  // Mediated first: a room's mediated invitation may carry a XEP-0249 element as well.
  const x = stanza.getChild("x", NS.mucUser);
  const invite = x?.getChild("invite");
  if (x && invite?.attrs.from && tryParseJid(invite.attrs.from) && tryParseJid(stanza.attrs.from)) {
    const inv: Invitation = { room: bareJid(stanza.attrs.from), from: invite.attrs.from, kind: "mediated" };
    const reason = invite.getChildText("reason");
    if (reason) inv.reason = reason;
    const password = x.getChildText("password");
    if (password) inv.password = password;
    return inv;
  }
  const direct = stanza.getChild("x", NS.conference);
  if (direct?.attrs.jid && tryParseJid(direct.attrs.jid)) {
    const inv: Invitation = { room: bareJid(direct.attrs.jid), from: stanza.attrs.from, kind: "direct" };
    if (direct.attrs.reason) inv.reason = direct.attrs.reason;
    if (direct.attrs.password) inv.password = direct.attrs.password;
    return inv;
  }
  return undefined;
}

/** A declined invitation reported by the room. */
export function parseDecline(stanza: XmlElement): { room: string; from: string; reason?: string } | undefined {
  const decline = stanza.getChild("x", NS.mucUser)?.getChild("decline");
  if (!decline?.attrs.from || !stanza.attrs.from) return undefined;
  return { room: bareJid(stanza.attrs.from), from: decline.attrs.from, reason: decline.getChildText("reason") ?? undefined };
}

/** The room's stanza-id (XEP-0359, by the room) of a groupchat message: what de-duplicates history. */
export function roomStanzaId(stanza: XmlElement, room: string): string | undefined {
  const ids = stanza.getChildren("stanza-id", NS.sid).filter((s) => s.attrs.by && s.attrs.by.toLowerCase() === room.toLowerCase());
  return ids.length ? ids[ids.length - 1]!.attrs.id : undefined;
}

export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";

/** A disco#info query (XEP-0030), as sent to a room to learn its features. */
export function buildDiscoInfo(): XmlElement {
  return xml("query", { xmlns: NS_DISCO_INFO });
}

/** The features a disco#info answer lists. */
export function parseDiscoFeatures(iq: XmlElement): Set<string> {
  const q = iq.getChild("query", NS_DISCO_INFO);
  return new Set((q?.getChildren("feature") ?? []).map((f) => f.attrs.var).filter((v): v is string => !!v));
}

/** XEP-0410: the self-ping IQ (a ping to our own occupant JID). */
export function buildSelfPing(): XmlElement {
  return xml("ping", { xmlns: NS.ping });
}

/**
 * XEP-0410 §3.2: what a self-ping's answer means. A result, or an error that only says the
 * ping itself is not supported by the client answering (or that our nick just changed), means we
 * are still joined; an unreachable service or a timeout is unknown (try later); any other error
 * (not-acceptable above all) means we are not.
 */
export function selfPingVerdict(outcome: { ok: true } | { ok: false; condition?: string; timeout?: boolean }): "joined" | "gone" | "unknown" {
  if (outcome.ok) return "joined";
  if (outcome.timeout) return "unknown";
  switch (outcome.condition) {
    case "service-unavailable":
    case "feature-not-implemented":
      return "joined";
    case "item-not-found":
      // The occupant (us) just changed nick, from another client.
      return "joined";
    case "remote-server-not-found":
    case "remote-server-timeout":
      return "unknown";
    default:
      return "gone";
  }
}

export const NS_RETRACT = "urn:xmpp:message-retract:1";
const NS_RETRACT_0 = "urn:xmpp:message-retract:0";
const NS_MODERATE = "urn:xmpp:message-moderate:1";
const NS_MODERATE_0 = "urn:xmpp:message-moderate:0";
const NS_FASTEN = "urn:xmpp:fasten:0";

/**
 * XEP-0424 retraction / XEP-0425 moderation in a room message: which message (the room's
 * stanza-id, or the sender's id for a retraction), and for a moderation who did it and why.
 * Both the current (retract:1 / moderate:1) and the earlier fasten-based (moderate:0) forms.
 */
export function parseRetraction(stanza: XmlElement): { id: string; moderated: boolean; by?: string; reason?: string } | undefined {
  const r = stanza.getChild("retract", NS_RETRACT);
  if (r?.attrs.id) {
    const mod = r.getChild("moderated", NS_MODERATE);
    const out: { id: string; moderated: boolean; by?: string; reason?: string } = { id: r.attrs.id, moderated: mod !== undefined };
    if (mod?.attrs.by) out.by = mod.attrs.by;
    const reason = r.getChildText("reason");
    if (reason) out.reason = reason;
    return out;
  }
  const apply = stanza.getChild("apply-to", NS_FASTEN);
  if (apply?.attrs.id) {
    const mod = apply.getChild("moderated", NS_MODERATE_0);
    if (mod?.getChild("retract", NS_RETRACT_0)) {
      const out: { id: string; moderated: boolean; by?: string; reason?: string } = { id: apply.attrs.id, moderated: true };
      if (mod.attrs.by) out.by = mod.attrs.by;
      const reason = mod.getChildText("reason");
      if (reason) out.reason = reason;
      return out;
    }
    if (apply.getChild("retract", NS_RETRACT_0)) return { id: apply.attrs.id, moderated: false };
  }
  return undefined;
}

/** XEP-0425 (the fasten-based form mod_muc_moderation answers): remove message `stanzaId` from the room. */
export function buildModerate(stanzaId: string, reason?: string): XmlElement {
  return xml("apply-to", { xmlns: NS_FASTEN, id: stanzaId }, xml("moderate", { xmlns: NS_MODERATE_0 }, xml("retract", { xmlns: NS_RETRACT_0 }), reason ? xml("reason", {}, reason) : undefined));
}

/** XEP-0424: retract our message `id` (in a room: the room's stanza-id) with a fallback body. */
export function buildRetract(to: string, id: string, type: "groupchat" | "chat" = "groupchat"): XmlElement {
  return xml(
    "message",
    { to, type, id: randomUUID() },
    xml("retract", { xmlns: NS_RETRACT, id }),
    xml("fallback", { xmlns: "urn:xmpp:fallback:0", for: NS_RETRACT }),
    xml("body", {}, "This person attempted to retract a previous message, but it's unsupported by your client."),
    xml("store", { xmlns: NS.hints }),
  );
}
