/**
 * Pure parse/build for the roster (RFC 6121 §2), presence subscriptions (RFC 6121 §3), user
 * nicknames (XEP-0172) and blocking (XEP-0191). No I/O, no store: roster.ts wires these.
 */
import { bareJid, normalizeJid, tryParseJid } from "../../jid.js";
import type { RosterItem, Subscription } from "../../store/types.js";
import { xml, type XmlElement } from "../transport/xml.js";

export const NS_ROSTER = "jabber:iq:roster";
export const NS_BLOCKING = "urn:xmpp:blocking";
export const NS_NICK = "http://jabber.org/protocol/nick";
export const NS_PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";

const SUBSCRIPTIONS = new Set<string>(["none", "to", "from", "both"]);

/** One <item/> of a roster result or push: an item to store, or a removal. */
export type RosterEntry = { kind: "item"; item: RosterItem } | { kind: "remove"; jid: string };

/** Canonical JID, or undefined when the text is not a JID. */
export function canonicalJid(text: string | undefined): string | undefined {
  if (!text) return undefined;
  return tryParseJid(text) ? normalizeJid(text) : undefined;
}

/** Canonical bare JID, or undefined when the text is not a JID. */
export function canonicalBare(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const j = tryParseJid(text);
  return j ? bareJid(j) : undefined;
}

/** Parse one roster <item/>; undefined when its JID is missing or invalid. */
export function parseRosterItem(el: XmlElement): RosterEntry | undefined {
  const jid = canonicalJid(el.attrs.jid);
  if (!jid) return undefined;
  const sub = el.attrs.subscription ?? "none";
  if (sub === "remove") return { kind: "remove", jid };
  const groups: string[] = [];
  for (const g of el.getChildren("group")) {
    const name = g.text();
    // RFC 6121 §2.1.2.4: an empty group name is not a group; duplicates are one group.
    if (name !== "" && !groups.includes(name)) groups.push(name);
  }
  const item: RosterItem = {
    jid,
    groups,
    subscription: (SUBSCRIPTIONS.has(sub) ? sub : "none") as Subscription,
  };
  const name = el.attrs.name;
  if (name !== undefined && name !== "") item.name = name;
  if (el.attrs.ask === "subscribe") item.ask = "subscribe";
  if (el.attrs.approved === "true" || el.attrs.approved === "1") item.approved = true;
  return { kind: "item", item };
}

/**
 * A roster get result: the full roster with its version, or "unchanged" when the server answered
 * a versioned request with an empty result (RFC 6121 §2.6.3: pushes for any changes follow).
 */
export function parseRosterResult(iq: XmlElement): { items: RosterItem[]; ver: string | undefined; skipped: number } | "unchanged" {
  const query = iq.getChild("query", NS_ROSTER);
  if (!query) return "unchanged";
  const items: RosterItem[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  for (const el of query.getChildren("item")) {
    const entry = parseRosterItem(el);
    if (!entry || entry.kind !== "item" || seen.has(entry.item.jid)) {
      skipped++;
      continue;
    }
    seen.add(entry.item.jid);
    items.push(entry.item);
  }
  return { items, ver: query.attrs.ver, skipped };
}

/** <query xmlns='jabber:iq:roster' ver=.../> for a roster get. */
export function rosterGet(ver: string | undefined): XmlElement {
  return xml("query", { xmlns: NS_ROSTER, ver });
}

/** A roster set that adds or updates an item (the whole item: name and every group). */
export function rosterSet(item: { jid: string; name?: string; groups: readonly string[] }): XmlElement {
  return xml(
    "query",
    { xmlns: NS_ROSTER },
    xml(
      "item",
      { jid: item.jid, name: item.name },
      item.groups.map((g) => xml("group", {}, g)),
    ),
  );
}

/** A roster set that removes an item (the server also cancels both subscriptions). */
export function rosterRemove(jid: string): XmlElement {
  return xml("query", { xmlns: NS_ROSTER }, xml("item", { jid, subscription: "remove" }));
}

export type SubscriptionType = "subscribe" | "subscribed" | "unsubscribe" | "unsubscribed";
const SUBSCRIPTION_TYPES = new Set<string>(["subscribe", "subscribed", "unsubscribe", "unsubscribed"]);

export interface SubscriptionPresence {
  type: SubscriptionType;
  /** Bare JID of the sender. */
  jid: string;
  nick?: string;
  status?: string;
}

/**
 * A subscription presence from someone else, or undefined (not one, no or invalid `from`, or from
 * our own bare JID). A full `from` counts as its bare JID.
 */
export function parseSubscriptionPresence(stanza: XmlElement, ownBare: string): SubscriptionPresence | undefined {
  if (stanza.name !== "presence") return undefined;
  const type = stanza.attrs.type;
  if (!type || !SUBSCRIPTION_TYPES.has(type)) return undefined;
  const jid = canonicalBare(stanza.attrs.from);
  if (!jid || jid === ownBare) return undefined;
  const out: SubscriptionPresence = { type: type as SubscriptionType, jid };
  const nick = stanza.getChild("nick", NS_NICK)?.text();
  if (nick) out.nick = nick;
  const status = stanza.getChildText("status");
  if (status !== null && status !== "") out.status = status;
  return out;
}

export function subscriptionPresence(type: SubscriptionType, to: string, status?: string): XmlElement {
  return xml("presence", { to, type }, status ? xml("status", {}, status) : undefined);
}

/**
 * A XEP-0172 nick published through PEP (XEP-0163): `from` must be a bare JID (the publisher's
 * account; a user's own stanzas always carry a full JID, so only the server's PEP service can send
 * this). `nick` undefined means the nick was retracted or published empty.
 */
export function parseNickEvent(stanza: XmlElement): { jid: string; nick: string | undefined } | undefined {
  if (stanza.name !== "message") return undefined;
  const items = stanza.getChild("event", NS_PUBSUB_EVENT)?.getChildren("items").find((i) => i.attrs.node === NS_NICK);
  if (!items) return undefined;
  const from = stanza.attrs.from ? tryParseJid(stanza.attrs.from) : null;
  if (!from || from.resource !== "" || from.local === "") return undefined;
  const jid = bareJid(from);
  const published = items.getChildren("item");
  const last = published[published.length - 1];
  if (last) {
    const nick = last.getChild("nick", NS_NICK)?.text() ?? "";
    return { jid, nick: nick.trim() === "" ? undefined : nick };
  }
  if (items.getChild("retract")) return { jid, nick: undefined };
  return undefined;
}

/** The JIDs of a XEP-0191 <blocklist/>, <block/> or <unblock/> (invalid ones dropped). */
export function parseBlockItems(el: XmlElement): { jids: string[]; invalid: number } {
  const jids: string[] = [];
  let invalid = 0;
  for (const item of el.getChildren("item")) {
    const jid = canonicalJid(item.attrs.jid);
    if (!jid) invalid++;
    else if (!jids.includes(jid)) jids.push(jid);
  }
  return { jids, invalid };
}

export function blocklistGet(): XmlElement {
  return xml("blocklist", { xmlns: NS_BLOCKING });
}

/** <block/> or <unblock/> with items; an <unblock/> without items unblocks everyone. */
export function blockingSet(op: "block" | "unblock", jids: readonly string[]): XmlElement {
  return xml(
    op,
    { xmlns: NS_BLOCKING },
    jids.map((jid) => xml("item", { jid })),
  );
}
