/** The roster, requests and blocklist slices: pure reducers and selectors, alone and through the store. */
import { describe, expect, it } from "vitest";

import { createStore } from "../../src/core/store/store.js";
import { blocklistReducer, isBlocked } from "../../src/core/store/slices/blocklist.js";
import { pendingRequests, requestsReducer } from "../../src/core/store/slices/requests.js";
import { displayName, rosterGroups, rosterItems, rosterReducer, type RosterSlice } from "../../src/core/store/slices/roster.js";
import type { RosterItem } from "../../src/core/store/types.js";

const A = "work";
const bob: RosterItem = { jid: "bob@example.org", name: "Bob", groups: ["Friends"], subscription: "both" };
const carol: RosterItem = { jid: "carol@example.org", groups: [], subscription: "none", ask: "subscribe" };
const empty = (): RosterSlice => ({ loaded: false, items: {} });

describe("roster reducer", () => {
  it("a full result replaces every item, sets ver and loaded", () => {
    let s = rosterReducer(empty(), { type: "roster/restore", account: A, items: [bob], ver: "3" } as never);
    expect(s).toEqual({ loaded: false, ver: "3", items: { [bob.jid]: bob } });
    s = rosterReducer(s, { type: "roster/loaded", account: A, items: [carol], ver: "7" } as never);
    expect(s).toEqual({ loaded: true, ver: "7", items: { [carol.jid]: carol } });
  });

  it("an empty (unchanged) result keeps the cached items and marks them loaded", () => {
    const restored = rosterReducer(empty(), { type: "roster/restore", account: A, items: [bob, carol], ver: "3" } as never);
    const s = rosterReducer(restored, { type: "roster/unchanged", account: A } as never);
    expect(s.loaded).toBe(true);
    expect(s.ver).toBe("3");
    expect(Object.keys(s.items).sort()).toEqual([bob.jid, carol.jid]);
    expect(s.items).toBe(restored.items);
    // unchanged again: identity kept
    expect(rosterReducer(s, { type: "roster/unchanged", account: A } as never)).toBe(s);
  });

  it("a push adds or replaces one item (groups included) and moves ver", () => {
    let s = rosterReducer(empty(), { type: "roster/loaded", account: A, items: [bob], ver: "1" } as never);
    s = rosterReducer(s, { type: "roster/push", account: A, item: carol, ver: "2" } as never);
    expect(s.items[carol.jid]).toEqual(carol);
    expect(s.ver).toBe("2");
    // the push carries the whole item: groups are replaced, not merged; a missing name is no name
    s = rosterReducer(s, { type: "roster/push", account: A, item: { jid: bob.jid, groups: ["Work", "Chess"], subscription: "from" }, ver: "3" } as never);
    expect(s.items[bob.jid]).toEqual({ jid: bob.jid, groups: ["Work", "Chess"], subscription: "from" });
    expect(s.ver).toBe("3");
    // a push without ver keeps the last one
    s = rosterReducer(s, { type: "roster/push", account: A, item: { ...carol, ask: undefined, subscription: "to" } } as never);
    expect(s.ver).toBe("3");
    expect(s.items[carol.jid]?.subscription).toBe("to");
  });

  it("a remove push deletes the item and moves ver; removing an unknown JID changes only ver", () => {
    let s = rosterReducer(empty(), { type: "roster/loaded", account: A, items: [bob, carol], ver: "1" } as never);
    s = rosterReducer(s, { type: "roster/remove", account: A, jid: bob.jid, ver: "2" } as never);
    expect(Object.keys(s.items)).toEqual([carol.jid]);
    expect(s.ver).toBe("2");
    const same = rosterReducer(s, { type: "roster/remove", account: A, jid: "nobody@example.org", ver: "2" } as never);
    expect(same).toBe(s);
    const moved = rosterReducer(s, { type: "roster/remove", account: A, jid: "nobody@example.org", ver: "9" } as never);
    expect(moved.ver).toBe("9");
    expect(moved.items).toBe(s.items);
  });

  it("keeps the contact's nick across pushes and full results; sets and clears it", () => {
    let s = rosterReducer(empty(), { type: "roster/loaded", account: A, items: [carol], ver: "1" } as never);
    s = rosterReducer(s, { type: "roster/nick", account: A, jid: carol.jid, nick: "Caro" } as never);
    expect(s.items[carol.jid]?.nick).toBe("Caro");
    s = rosterReducer(s, { type: "roster/push", account: A, item: { ...carol, subscription: "to", ask: undefined }, ver: "2" } as never);
    expect(s.items[carol.jid]?.nick).toBe("Caro");
    s = rosterReducer(s, { type: "roster/loaded", account: A, items: [{ ...carol, subscription: "both" }], ver: "3" } as never);
    expect(s.items[carol.jid]?.nick).toBe("Caro");
    const before = s;
    expect(rosterReducer(s, { type: "roster/nick", account: A, jid: carol.jid, nick: "Caro" } as never)).toBe(before);
    s = rosterReducer(s, { type: "roster/nick", account: A, jid: carol.jid } as never);
    expect(s.items[carol.jid]).not.toHaveProperty("nick");
    // a nick for a JID not in the roster changes nothing
    expect(rosterReducer(s, { type: "roster/nick", account: A, jid: "x@example.org", nick: "X" } as never)).toBe(s);
  });

  it("pre-approval holds while the contact is not subscribed to us, and is dropped once they are", () => {
    let s = rosterReducer(empty(), { type: "roster/loaded", account: A, items: [carol], ver: "1" } as never);
    s = rosterReducer(s, { type: "roster/approved", account: A, jid: carol.jid, approved: true } as never);
    expect(s.items[carol.jid]?.approved).toBe(true);
    // a push that does not mention approval keeps ours (servers such as Prosody never send it)
    s = rosterReducer(s, { type: "roster/push", account: A, item: { jid: carol.jid, groups: [], subscription: "to" } } as never);
    expect(s.items[carol.jid]?.approved).toBe(true);
    // they subscribed: approval is spent
    s = rosterReducer(s, { type: "roster/push", account: A, item: { jid: carol.jid, groups: [], subscription: "both" } } as never);
    expect(s.items[carol.jid]).not.toHaveProperty("approved");
    // cannot pre-approve someone already subscribed
    expect(rosterReducer(s, { type: "roster/approved", account: A, jid: carol.jid, approved: true } as never)).toBe(s);
  });

  it("ignores other slices' actions (identity kept)", () => {
    const s = empty();
    expect(rosterReducer(s, { type: "presence/update" })).toBe(s);
  });

  it("selectors: display name, sorted items, groups", () => {
    expect(displayName({ jid: "a@x", name: "Alice", nick: "Al" })).toBe("Alice");
    expect(displayName({ jid: "a@x", name: "  ", nick: "Al" })).toBe("Al");
    expect(displayName({ jid: "a@x" })).toBe("a@x");
    const s = rosterReducer(empty(), {
      type: "roster/loaded",
      account: A,
      items: [
        { jid: "zed@x", name: "alpha", groups: ["B"], subscription: "both" },
        { jid: "amy@x", groups: ["A", "B"], subscription: "none" },
        { jid: "bob@x", nick: "Beta", groups: [], subscription: "to" },
      ],
    } as never);
    expect(rosterItems(s).map((i) => i.jid)).toEqual(["zed@x", "amy@x", "bob@x"]);
    expect(rosterGroups(s)).toEqual(["A", "B"]);
  });
});

describe("requests reducer", () => {
  const req = (jid: string, extra: object = {}) => ({ jid, received: "2024-01-01T00:00:00.000Z", ...extra });

  it("collects one request per JID, keeps a nick given earlier, removes and clears", () => {
    let s = requestsReducer({}, { type: "requests/add", account: A, request: req("bob@x", { nick: "Bobby", status: "hi" }) } as never);
    s = requestsReducer(s, { type: "requests/add", account: A, request: req("carol@x", { received: "2024-01-02T00:00:00.000Z" }) } as never);
    expect(pendingRequests(s).map((r) => r.jid)).toEqual(["bob@x", "carol@x"]);
    // the same JID again: one entry, nick kept when the repeat has none
    s = requestsReducer(s, { type: "requests/add", account: A, request: req("bob@x", { status: "again", received: "2024-01-03T00:00:00.000Z" }) } as never);
    expect(Object.keys(s)).toHaveLength(2);
    expect(s["bob@x"]).toMatchObject({ nick: "Bobby", status: "again" });
    // identical repeat: identity kept
    expect(requestsReducer(s, { type: "requests/add", account: A, request: req("bob@x", { status: "again" }) } as never)).toBe(s);
    s = requestsReducer(s, { type: "requests/remove", account: A, jid: "bob@x" } as never);
    expect(Object.keys(s)).toEqual(["carol@x"]);
    expect(requestsReducer(s, { type: "requests/remove", account: A, jid: "bob@x" } as never)).toBe(s);
    s = requestsReducer(s, { type: "requests/clear", account: A } as never);
    expect(s).toEqual({});
    expect(requestsReducer(s, { type: "requests/clear", account: A } as never)).toBe(s);
  });
});

describe("blocklist reducer", () => {
  it("sets, blocks and unblocks (sorted, unique); an empty unblock clears everything", () => {
    let s = blocklistReducer([], { type: "blocklist/set", account: A, jids: ["z@x", "a@x", "a@x"] } as never);
    expect(s).toEqual(["a@x", "z@x"]);
    s = blocklistReducer(s, { type: "blocklist/block", account: A, jids: ["m@x", "a@x"] } as never);
    expect(s).toEqual(["a@x", "m@x", "z@x"]);
    expect(blocklistReducer(s, { type: "blocklist/block", account: A, jids: ["m@x"] } as never)).toBe(s);
    s = blocklistReducer(s, { type: "blocklist/unblock", account: A, jids: ["m@x", "nobody@x"] } as never);
    expect(s).toEqual(["a@x", "z@x"]);
    expect(blocklistReducer(s, { type: "blocklist/unblock", account: A, jids: ["nobody@x"] } as never)).toBe(s);
    s = blocklistReducer(s, { type: "blocklist/unblock", account: A, jids: [] } as never);
    expect(s).toEqual([]);
  });

  it("matches JIDs as XEP-0191 does", () => {
    const list = ["spam.example", "bob@x", "carol@y/phone", "z.example/res"];
    expect(isBlocked(list, "bob@x")).toBe(true);
    expect(isBlocked(list, "bob@x/laptop")).toBe(true);
    expect(isBlocked(list, "anyone@spam.example/r")).toBe(true);
    expect(isBlocked(list, "carol@y/phone")).toBe(true);
    expect(isBlocked(list, "carol@y/laptop")).toBe(false);
    expect(isBlocked(list, "carol@y")).toBe(false);
    expect(isBlocked(list, "u@z.example/res")).toBe(true);
    expect(isBlocked(list, "u@z.example/other")).toBe(false);
  });
});

describe("the slices through the store", () => {
  it("route by account; a batch of a big roster notifies once", () => {
    const store = createStore();
    let notified = 0;
    store.subscribe(() => notified++);
    const items: RosterItem[] = Array.from({ length: 5000 }, (_, i) => ({ jid: `u${i}@example.org`, groups: [`g${i % 7}`], subscription: "both" }));
    store.batch([
      { type: "roster/loaded", account: "work", items, ver: "42" },
      { type: "blocklist/set", account: "work", jids: ["spam@example.org"] },
      { type: "requests/add", account: "home", request: { jid: "x@y", received: "2024-01-01T00:00:00.000Z" } },
    ]);
    expect(notified).toBe(1);
    expect(Object.keys(store.account("work").roster.items)).toHaveLength(5000);
    expect(store.account("work").roster).toMatchObject({ loaded: true, ver: "42" });
    expect(store.account("work").blocked).toEqual(["spam@example.org"]);
    expect(store.account("home").roster.items).toEqual({});
    expect(Object.keys(store.account("home").requests)).toEqual(["x@y"]);
    // an action that changes nothing does not notify
    store.dispatch({ type: "blocklist/block", account: "work", jids: ["spam@example.org"] });
    expect(notified).toBe(1);
  });
});
