/**
 * The roster slice (RFC 6121 §2): actions, a pure reducer, and selectors. Items are keyed by bare
 * JID (normalised). `ver` is the roster version the items correspond to (RFC 6121 §2.6);
 * `loaded` becomes true once the server confirmed the roster for this session (a full result, or
 * an empty result that says the cached one is current).
 */
import type { AccountSlice, RosterItem } from "../types.js";

export type RosterSlice = AccountSlice["roster"];

export type RosterAction =
  /** Items from the on-disk cache, before the server confirmed them (loaded stays false). */
  | { type: "roster/restore"; account: string; items: readonly RosterItem[]; ver?: string }
  /** A full roster from the server: replaces every item. */
  | { type: "roster/loaded"; account: string; items: readonly RosterItem[]; ver?: string }
  /** The server answered a versioned get with an empty result: what we hold is current. */
  | { type: "roster/unchanged"; account: string; ver?: string }
  /** A roster push that adds or updates one item. */
  | { type: "roster/push"; account: string; item: RosterItem; ver?: string }
  /** A roster push with subscription='remove'. */
  | { type: "roster/remove"; account: string; jid: string; ver?: string }
  /** The contact's XEP-0172 nickname (undefined: cleared). Ignored for JIDs not in the roster. */
  | { type: "roster/nick"; account: string; jid: string; nick?: string }
  /** We pre-approved (or withdrew a pre-approval for) the contact's subscription (RFC 6121 §3.4). */
  | { type: "roster/approved"; account: string; jid: string; approved: boolean };

/** Pre-approval only means something while the contact is not subscribed to us. */
function approvalApplies(item: RosterItem): boolean {
  return item.subscription === "none" || item.subscription === "to";
}

/** Merge what the server says about an item with what only we know (nick, pre-approval). */
function mergeItem(prev: RosterItem | undefined, next: RosterItem): RosterItem {
  const out: RosterItem = { ...next, groups: [...next.groups] };
  if (out.nick === undefined && prev?.nick !== undefined) out.nick = prev.nick;
  if (out.approved === undefined && prev?.approved) out.approved = true;
  if (out.approved && !approvalApplies(out)) delete out.approved;
  return out;
}

function withVer(slice: RosterSlice, ver: string | undefined, patch: Partial<RosterSlice>): RosterSlice {
  const next: RosterSlice = { ...slice, ...patch };
  if (ver !== undefined) next.ver = ver;
  return next;
}

export function rosterReducer(slice: RosterSlice, action: { type: string }): RosterSlice {
  const a = action as RosterAction;
  switch (a.type) {
    case "roster/restore": {
      const items: Record<string, RosterItem> = {};
      for (const it of a.items) items[it.jid] = mergeItem(undefined, it);
      const next: RosterSlice = { loaded: false, items };
      if (a.ver !== undefined) next.ver = a.ver;
      return next;
    }
    case "roster/loaded": {
      const items: Record<string, RosterItem> = {};
      for (const it of a.items) items[it.jid] = mergeItem(slice.items[it.jid], it);
      const next: RosterSlice = { loaded: true, items };
      if (a.ver !== undefined) next.ver = a.ver;
      return next;
    }
    case "roster/unchanged":
      if (slice.loaded && (a.ver === undefined || a.ver === slice.ver)) return slice;
      return withVer(slice, a.ver, { loaded: true });
    case "roster/push":
      return withVer(slice, a.ver, { items: { ...slice.items, [a.item.jid]: mergeItem(slice.items[a.item.jid], a.item) } });
    case "roster/remove": {
      if (!(a.jid in slice.items)) return a.ver === undefined || a.ver === slice.ver ? slice : withVer(slice, a.ver, {});
      const { [a.jid]: _gone, ...items } = slice.items;
      return withVer(slice, a.ver, { items });
    }
    case "roster/nick": {
      const prev = slice.items[a.jid];
      if (!prev || prev.nick === a.nick) return slice;
      const item: RosterItem = { ...prev };
      if (a.nick === undefined) delete item.nick;
      else item.nick = a.nick;
      return { ...slice, items: { ...slice.items, [a.jid]: item } };
    }
    case "roster/approved": {
      const prev = slice.items[a.jid];
      if (!prev) return slice;
      const approved = a.approved && approvalApplies(prev);
      if (Boolean(prev.approved) === approved) return slice;
      const item: RosterItem = { ...prev };
      if (approved) item.approved = true;
      else delete item.approved;
      return { ...slice, items: { ...slice.items, [a.jid]: item } };
    }
    default:
      return slice;
  }
}

// ---------------------------------------------------------------------------------------------
// Selectors

/** What to call a contact: the roster name, else the nick they publish (XEP-0172), else the JID. */
export function displayName(item: Pick<RosterItem, "jid" | "name" | "nick">): string {
  if (item.name !== undefined && item.name.trim() !== "") return item.name;
  if (item.nick !== undefined && item.nick.trim() !== "") return item.nick;
  return item.jid;
}

/** Every item, sorted by display name (case-insensitive), then JID. */
const sortedCache = new WeakMap<RosterSlice["items"], RosterItem[]>();

/**
 * The items sorted by display name (then JID). Cached per items object: the slice keeps its
 * identity until the roster changes, so a 5,000-contact roster is sorted once per change, not
 * once per render. Treat the result as read-only.
 */
export function rosterItems(slice: RosterSlice): RosterItem[] {
  let sorted = sortedCache.get(slice.items);
  if (!sorted) {
    const keyed = Object.values(slice.items).map((item) => ({ item, name: displayName(item).toLowerCase() }));
    keyed.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : x.item.jid < y.item.jid ? -1 : x.item.jid > y.item.jid ? 1 : 0));
    sorted = keyed.map((k) => k.item);
    sortedCache.set(slice.items, sorted);
  }
  return sorted;
}

export function rosterItem(slice: RosterSlice, jid: string): RosterItem | undefined {
  return slice.items[jid];
}

/** Every group name in use, sorted. */
export function rosterGroups(slice: RosterSlice): string[] {
  return [...new Set(Object.values(slice.items).flatMap((i) => i.groups))].sort();
}
