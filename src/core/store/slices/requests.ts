/**
 * The requests slice: incoming presence subscription requests (RFC 6121 §3.1.3) waiting for the
 * user's answer, one per bare JID. Actions, a pure reducer, and selectors.
 */
import type { AccountSlice, SubscriptionRequest } from "../types.js";

export type RequestsSlice = AccountSlice["requests"];

export type RequestsAction =
  /** A request arrived (a repeat from the same JID replaces the earlier one, keeping its nick). */
  | { type: "requests/add"; account: string; request: SubscriptionRequest }
  /** Answered (allowed or denied) or withdrawn by its sender. */
  | { type: "requests/remove"; account: string; jid: string }
  /** A fresh session: the server re-sends what is still pending. */
  | { type: "requests/clear"; account: string };

export function requestsReducer(slice: RequestsSlice, action: { type: string }): RequestsSlice {
  const a = action as RequestsAction;
  switch (a.type) {
    case "requests/add": {
      const prev = slice[a.request.jid];
      const next: SubscriptionRequest = { ...a.request };
      if (next.nick === undefined && prev?.nick !== undefined) next.nick = prev.nick;
      if (prev && prev.nick === next.nick && prev.status === next.status) return slice;
      return { ...slice, [next.jid]: next };
    }
    case "requests/remove": {
      if (!(a.jid in slice)) return slice;
      const { [a.jid]: _gone, ...rest } = slice;
      return rest;
    }
    case "requests/clear":
      return Object.keys(slice).length === 0 ? slice : {};
    default:
      return slice;
  }
}

/** Pending requests, oldest first. */
export function pendingRequests(slice: RequestsSlice): SubscriptionRequest[] {
  return Object.values(slice).sort((a, b) => (a.received < b.received ? -1 : a.received > b.received ? 1 : a.jid < b.jid ? -1 : 1));
}
