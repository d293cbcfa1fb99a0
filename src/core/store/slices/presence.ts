/**
 * The presence slice: every available resource we know of, by bare JID then resource — contacts'
 * resources and, under our own bare JID, our own resources (this one included, as the server
 * reflects it). Actions, a pure reducer, and selectors (best resource, bare-JID routing winner).
 */
import { type AccountSlice, type ResourcePresence, type Show } from "../types.js";

type PresenceMap = AccountSlice["presence"];

export type PresenceAction =
  /** An available presence from `jid`/`resource` (replaces what we knew of that resource). */
  | {
      type: "presence/available";
      account: string;
      /** Bare JID, normalised. */
      jid: string;
      resource: string;
      full: string;
      show: Show;
      status?: string;
      priority: number;
      updated: string;
      caps?: ResourcePresence["caps"];
      idleSince?: string;
      /** Client info already known for these caps (verified cache). */
      client?: ResourcePresence["client"];
    }
  /** Unavailable: the resource is gone (resource "" = the whole bare JID). */
  | { type: "presence/unavailable"; account: string; jid: string; resource: string }
  /** Client software learned later: from verified caps (for every resource advertising `ver`) or XEP-0092. */
  | { type: "presence/client"; account: string; jid: string; resource: string; client: NonNullable<ResourcePresence["client"]>; source: "caps" | "version" }
  | { type: "presence/caps-client"; account: string; ver: string; client: NonNullable<ResourcePresence["client"]> }
  /** Idle since (ISO) from a XEP-0012 answer; undefined clears it. */
  | { type: "presence/idle"; account: string; jid: string; resource: string; idleSince?: string }
  /** Forget everything (fresh session, account gone offline for good). */
  | { type: "presence/clear"; account: string };

function withResource(map: PresenceMap, jid: string, resource: string, value: ResourcePresence | undefined): PresenceMap {
  const current = map[jid] ?? {};
  if (value === undefined) {
    if (!(resource in current)) return map;
    const { [resource]: _gone, ...rest } = current;
    if (Object.keys(rest).length === 0) {
      const { [jid]: _j, ...others } = map;
      return others;
    }
    return { ...map, [jid]: rest };
  }
  return { ...map, [jid]: { ...current, [resource]: value } };
}

export function presenceReducer(slice: PresenceMap, action: PresenceAction | { type: string }): PresenceMap {
  const a = action as PresenceAction;
  switch (a.type) {
    case "presence/available": {
      const prev = slice[a.jid]?.[a.resource];
      const next: ResourcePresence = { resource: a.resource, full: a.full, show: a.show, priority: a.priority, updated: a.updated };
      if (a.status !== undefined) next.status = a.status;
      if (a.caps) next.caps = a.caps;
      if (a.idleSince) next.idleSince = a.idleSince;
      if (a.client) {
        next.client = a.client;
        next.clientSource = "caps";
      }
      // Same software as before (same caps, or none either time): keep what we learned about it.
      if (prev?.client && prev.caps?.ver === a.caps?.ver && (!a.client || prev.clientSource === "version")) {
        next.client = prev.client;
        next.clientSource = prev.clientSource;
      }
      return withResource(slice, a.jid, a.resource, next);
    }
    case "presence/unavailable": {
      if (a.resource === "") {
        if (!(a.jid in slice)) return slice;
        const { [a.jid]: _gone, ...rest } = slice;
        return rest;
      }
      return withResource(slice, a.jid, a.resource, undefined);
    }
    case "presence/client": {
      const prev = slice[a.jid]?.[a.resource];
      if (!prev) return slice;
      // A XEP-0092 answer is more precise than a caps identity: caps never overwrite it.
      if (a.source === "caps" && prev.clientSource === "version") return slice;
      if (prev.clientSource === a.source && JSON.stringify(prev.client) === JSON.stringify(a.client)) return slice;
      return withResource(slice, a.jid, a.resource, { ...prev, client: a.client, clientSource: a.source });
    }
    case "presence/caps-client": {
      let next = slice;
      for (const [jid, resources] of Object.entries(slice)) {
        for (const r of Object.values(resources)) {
          if (r.caps?.ver !== a.ver || r.clientSource === "version" || JSON.stringify(r.client) === JSON.stringify(a.client)) continue;
          next = withResource(next, jid, r.resource, { ...r, client: a.client, clientSource: "caps" });
        }
      }
      return next;
    }
    case "presence/idle": {
      const prev = slice[a.jid]?.[a.resource];
      if (!prev || prev.idleSince === a.idleSince) return slice;
      const next = { ...prev };
      if (a.idleSince) next.idleSince = a.idleSince;
      else delete next.idleSince;
      return withResource(slice, a.jid, a.resource, next);
    }
    case "presence/clear":
      return Object.keys(slice).length === 0 ? slice : {};
    default:
      return slice;
  }
}

// ---------------------------------------------------------------------------------------------
// Selectors

/** chat > online > away > xa > dnd (how available a resource is). */
export const SHOW_RANK: Record<Show, number> = { chat: 0, online: 1, away: 2, xa: 3, dnd: 4 };

/**
 * Order resources best first: higher priority, then more available show (chat > online > away >
 * xa > dnd), then the most recent presence, then resource name (stable).
 */
export function compareResources(a: ResourcePresence, b: ResourcePresence): number {
  return b.priority - a.priority || SHOW_RANK[a.show] - SHOW_RANK[b.show] || (a.updated < b.updated ? 1 : a.updated > b.updated ? -1 : 0) || (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0);
}

/** A contact's resources, best first. */
export function sortedResources(resources: Record<string, ResourcePresence> | undefined): ResourcePresence[] {
  return Object.values(resources ?? {}).sort(compareResources);
}

/** The resource to show for a contact (and to address when nothing else says where). */
export function bestResource(resources: Record<string, ResourcePresence> | undefined): ResourcePresence | undefined {
  return sortedResources(resources)[0];
}

/**
 * Which resources get a message sent to the bare JID (RFC 6121 §8.5.2.1.1 as Prosody implements
 * it): those with the highest priority, if that priority is non-negative; every one of them on a
 * tie; none when every priority is negative (the server then stores the message offline or
 * bounces it).
 */
export function routingWinners(resources: Record<string, ResourcePresence> | undefined): ResourcePresence[] {
  const all = Object.values(resources ?? {});
  if (all.length === 0) return [];
  const top = Math.max(...all.map((r) => r.priority));
  if (top < 0) return [];
  return all.filter((r) => r.priority === top).sort(compareResources);
}

/** Resources of `jid` (bare, normalised) in an account slice, best first. */
export function selectResources(slice: AccountSlice, jid: string): ResourcePresence[] {
  return sortedResources(slice.presence[jid]);
}

/** Is any resource of `jid` available? */
export function isAvailable(slice: AccountSlice, jid: string): boolean {
  return Object.keys(slice.presence[jid] ?? {}).length > 0;
}
