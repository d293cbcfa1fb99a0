/**
 * The blocklist slice (XEP-0191): the JIDs the server blocks for us, sorted and unique.
 * Actions, a pure reducer, and selectors.
 */
import type { AccountSlice } from "../types.js";

export type BlocklistSlice = AccountSlice["blocked"];

export type BlocklistAction =
  /** The whole list (the session-start fetch). */
  | { type: "blocklist/set"; account: string; jids: readonly string[] }
  | { type: "blocklist/block"; account: string; jids: readonly string[] }
  /** No JIDs: everyone is unblocked (XEP-0191 §3.4). */
  | { type: "blocklist/unblock"; account: string; jids: readonly string[] };

function sortedUnique(jids: Iterable<string>): string[] {
  return [...new Set(jids)].sort();
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function blocklistReducer(slice: BlocklistSlice, action: { type: string }): BlocklistSlice {
  const a = action as BlocklistAction;
  let next: string[];
  switch (a.type) {
    case "blocklist/set":
      next = sortedUnique(a.jids);
      break;
    case "blocklist/block":
      next = sortedUnique([...slice, ...a.jids]);
      break;
    case "blocklist/unblock": {
      if (a.jids.length === 0) next = [];
      else {
        const drop = new Set(a.jids);
        next = slice.filter((j) => !drop.has(j));
      }
      break;
    }
    default:
      return slice;
  }
  return same(slice, next) ? slice : next;
}

/**
 * Whether the list blocks `jid` (canonical), with XEP-0191's matching (that of XEP-0016): an
 * entry blocks itself, a bare-JID entry all its resources, a domain entry everyone there, and a
 * domain/resource entry that resource of the domain.
 */
export function isBlocked(slice: BlocklistSlice, jid: string): boolean {
  const slash = jid.indexOf("/");
  const bare = slash >= 0 ? jid.slice(0, slash) : jid;
  const resource = slash >= 0 ? jid.slice(slash) : "";
  const at = bare.indexOf("@");
  const domain = at >= 0 ? bare.slice(at + 1) : bare;
  const candidates = [jid, bare, domain + resource, domain];
  return candidates.some((c) => slice.includes(c));
}
