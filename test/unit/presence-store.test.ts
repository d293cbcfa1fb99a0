/** The presence and own slices: reducers, best resource, bare-JID routing, priorities per show, auto-away. */
import { describe, expect, test } from "vitest";

import { createStore } from "../../src/core/store/store.js";
import {
  autoAwayEligible,
  autoAwayStep,
  idleLevel,
  msUntilNextLevel,
  ownReducer,
  priorityFor,
  priorityKey,
  type OwnAction,
} from "../../src/core/store/slices/own.js";
import { bestResource, compareResources, presenceReducer, routingWinners, selectResources, type PresenceAction } from "../../src/core/store/slices/presence.js";
import type { OwnPresence, ResourcePresence, Show } from "../../src/core/store/types.js";

const A = "work";

function avail(resource: string, priority: number, show: Show = "online", updated = "2026-01-01T00:00:00.000Z", extra: Partial<Extract<PresenceAction, { type: "presence/available" }>> = {}): PresenceAction {
  return { type: "presence/available", account: A, jid: "bob@example.org", resource, full: `bob@example.org/${resource}`, show, priority, updated, ...extra };
}

function res(resource: string, priority: number, show: Show = "online", updated = "2026-01-01T00:00:00.000Z"): ResourcePresence {
  return { resource, full: `bob@example.org/${resource}`, show, priority, updated };
}

function byName(list: ResourcePresence[]): string[] {
  return list.map((r) => r.resource);
}

describe("presence reducer", () => {
  test("stores resources by bare JID, replaces on update, removes on unavailable", () => {
    let s = presenceReducer({}, avail("phone", 5, "away"));
    s = presenceReducer(s, avail("laptop", 1));
    expect(Object.keys(s["bob@example.org"]!)).toEqual(["phone", "laptop"]);
    s = presenceReducer(s, avail("phone", 7, "dnd"));
    expect(s["bob@example.org"]!.phone).toMatchObject({ show: "dnd", priority: 7 });
    s = presenceReducer(s, { type: "presence/unavailable", account: A, jid: "bob@example.org", resource: "phone" });
    expect(Object.keys(s["bob@example.org"]!)).toEqual(["laptop"]);
    s = presenceReducer(s, { type: "presence/unavailable", account: A, jid: "bob@example.org", resource: "laptop" });
    expect(s).toEqual({});
  });

  test("unavailable from the bare JID removes every resource; unknown ones change nothing", () => {
    let s = presenceReducer(presenceReducer({}, avail("a", 1)), avail("b", 2));
    const same = presenceReducer(s, { type: "presence/unavailable", account: A, jid: "bob@example.org", resource: "zzz" });
    expect(same).toBe(s);
    s = presenceReducer(s, { type: "presence/unavailable", account: A, jid: "bob@example.org", resource: "" });
    expect(s).toEqual({});
  });

  test("status, caps and idle come and go with each presence", () => {
    let s = presenceReducer({}, avail("a", 1, "online", undefined, { status: "hi", idleSince: "2026-01-01T00:00:00.000Z", caps: { node: "n", ver: "v1", hash: "sha-1" } }));
    expect(s["bob@example.org"]!.a).toMatchObject({ status: "hi", idleSince: "2026-01-01T00:00:00.000Z", caps: { ver: "v1" } });
    s = presenceReducer(s, avail("a", 1));
    expect(s["bob@example.org"]!.a!.status).toBeUndefined();
    expect(s["bob@example.org"]!.a!.idleSince).toBeUndefined();
    expect(s["bob@example.org"]!.a!.caps).toBeUndefined();
  });

  test("client info survives presence updates with the same caps, and goes when the caps change", () => {
    const caps = { node: "n", ver: "v1", hash: "sha-1" };
    let s = presenceReducer({}, avail("a", 1, "online", undefined, { caps }));
    s = presenceReducer(s, { type: "presence/caps-client", account: A, ver: "v1", client: { name: "Psi" } });
    expect(s["bob@example.org"]!.a!.client).toEqual({ name: "Psi" });
    s = presenceReducer(s, { type: "presence/client", account: A, jid: "bob@example.org", resource: "a", client: { name: "Psi", version: "1.5", os: "Linux" }, source: "version" });
    // a later caps-derived name never overwrites a version answer
    s = presenceReducer(s, { type: "presence/caps-client", account: A, ver: "v1", client: { name: "Other" } });
    s = presenceReducer(s, avail("a", 3, "away", undefined, { caps, client: { name: "Other" } }));
    expect(s["bob@example.org"]!.a).toMatchObject({ priority: 3, client: { name: "Psi", version: "1.5" }, clientSource: "version" });
    s = presenceReducer(s, avail("a", 3, "away", undefined, { caps: { ...caps, ver: "v2" } }));
    expect(s["bob@example.org"]!.a!.client).toBeUndefined();
  });

  test("idle from a last-activity answer; clear forgets everything", () => {
    let s = presenceReducer({}, avail("a", 1));
    s = presenceReducer(s, { type: "presence/idle", account: A, jid: "bob@example.org", resource: "a", idleSince: "2026-01-01T00:00:00.000Z" });
    expect(s["bob@example.org"]!.a!.idleSince).toBe("2026-01-01T00:00:00.000Z");
    expect(presenceReducer(s, { type: "presence/idle", account: A, jid: "nobody@x", resource: "a" })).toBe(s);
    expect(presenceReducer(s, { type: "presence/clear", account: A })).toEqual({});
    expect(presenceReducer({}, { type: "presence/clear", account: A })).toEqual({});
  });

  test("through the store: actions reach only their account", () => {
    const store = createStore();
    store.dispatch(avail("a", 1));
    store.dispatch({ ...avail("b", 1), account: "home" } as PresenceAction);
    expect(byName(selectResources(store.account(A), "bob@example.org"))).toEqual(["a"]);
    expect(byName(selectResources(store.account("home"), "bob@example.org"))).toEqual(["b"]);
  });
});

describe("best resource", () => {
  test("highest priority first", () => {
    expect(bestResource({ a: res("a", 1, "chat"), b: res("b", 5, "dnd") })?.resource).toBe("b");
  });

  test("same priority: chat > online > away > xa > dnd", () => {
    const all = { d: res("d", 0, "dnd"), x: res("x", 0, "xa"), w: res("w", 0, "away"), o: res("o", 0, "online"), c: res("c", 0, "chat") };
    expect(byName(Object.values(all).sort(compareResources))).toEqual(["c", "o", "w", "x", "d"]);
  });

  test("same priority and show: the most recent presence", () => {
    const old = res("old", 2, "online", "2026-01-01T00:00:00.000Z");
    const recent = res("recent", 2, "online", "2026-01-01T00:05:00.000Z");
    expect(bestResource({ old, recent })?.resource).toBe("recent");
  });

  test("negative priorities still have a best resource; none without resources", () => {
    expect(bestResource({ a: res("a", -5), b: res("b", -1) })?.resource).toBe("b");
    expect(bestResource(undefined)).toBeUndefined();
    expect(bestResource({})).toBeUndefined();
  });
});

describe("bare-JID routing winner (RFC 6121 §8.5.2.1.1, Prosody)", () => {
  test("the highest non-negative priority wins", () => {
    expect(byName(routingWinners({ a: res("a", 1), b: res("b", 10, "dnd"), c: res("c", 0, "chat") }))).toEqual(["b"]);
  });

  test("ties: all of them get it", () => {
    expect(byName(routingWinners({ a: res("a", 3, "away"), b: res("b", 3, "online"), c: res("c", 1) }))).toEqual(["b", "a"]);
  });

  test("zero counts; all negative: nobody", () => {
    expect(byName(routingWinners({ a: res("a", 0), b: res("b", -1) }))).toEqual(["a"]);
    expect(routingWinners({ a: res("a", -1), b: res("b", -128) })).toEqual([]);
    expect(routingWinners({})).toEqual([]);
  });
});

describe("priority per show", () => {
  const cfg = { priority: 5, priority_chat: undefined, priority_away: 2, priority_xa: -1, priority_dnd: undefined };

  test("keys: priority for online, priority_<show> otherwise", () => {
    expect(priorityKey("online")).toBe("priority");
    expect(priorityKey("chat")).toBe("priority_chat");
    expect(priorityKey("away")).toBe("priority_away");
    expect(priorityKey("xa")).toBe("priority_xa");
    expect(priorityKey("dnd")).toBe("priority_dnd");
  });

  test("a set per-show key wins; an unset one follows priority", () => {
    expect(priorityFor(cfg, "online")).toBe(5);
    expect(priorityFor(cfg, "chat")).toBe(5);
    expect(priorityFor(cfg, "away")).toBe(2);
    expect(priorityFor(cfg, "xa")).toBe(-1);
    expect(priorityFor(cfg, "dnd")).toBe(5);
    expect(priorityFor({ ...cfg, priority: 0 }, "chat")).toBe(0);
  });
});

describe("own reducer", () => {
  const online: OwnPresence = { show: "online" };

  test("own/set replaces show and status, keeps the priority unless given, ends auto-away", () => {
    let s = ownReducer(online, { type: "own/set", account: A, show: "dnd", status: "busy", priority: 3 } satisfies OwnAction);
    expect(s).toEqual({ show: "dnd", status: "busy", priority: 3 });
    s = ownReducer(s, { type: "own/set", account: A, show: "away" });
    expect(s).toEqual({ show: "away", priority: 3 });
    const held = ownReducer(online, { type: "own/auto", account: A, level: "away", since: "t", status: "Idle" });
    expect(ownReducer(held, { type: "own/set", account: A, show: "online" }).auto).toBeUndefined();
    expect(ownReducer(s, { type: "own/set", account: A, show: "away", priority: 3 })).toBe(s);
  });

  test("auto-away remembers the first show/status and gives them back", () => {
    const start: OwnPresence = { show: "chat", status: "talk to me", priority: 5 };
    const away = ownReducer(start, { type: "own/auto", account: A, level: "away", since: "t0", status: "Idle", priority: 1 });
    expect(away).toEqual({ show: "away", status: "Idle", priority: 1, auto: { level: "away", since: "t0", restoreShow: "chat", restoreStatus: "talk to me" } });
    const xa = ownReducer(away, { type: "own/auto", account: A, level: "xa", since: "t1", status: "Idle" });
    expect(xa.auto).toEqual({ level: "xa", since: "t0", restoreShow: "chat", restoreStatus: "talk to me" });
    expect(xa.show).toBe("xa");
    expect(ownReducer(xa, { type: "own/auto", account: A, level: "xa", since: "t2", status: "Idle" })).toBe(xa);
    const back = ownReducer(xa, { type: "own/restore", account: A, priority: 5 });
    expect(back).toEqual({ show: "chat", status: "talk to me", priority: 5 });
    expect(ownReducer(back, { type: "own/restore", account: A })).toBe(back);
  });

  test("own/priority", () => {
    const s = ownReducer(online, { type: "own/priority", account: A, priority: 9 });
    expect(s.priority).toBe(9);
    expect(ownReducer(s, { type: "own/priority", account: A, priority: 9 })).toBe(s);
  });
});

describe("auto-away", () => {
  const t = { autoAway: 1000, autoXa: 5000 };

  test("idle levels", () => {
    expect(idleLevel(0, t)).toBe("active");
    expect(idleLevel(999, t)).toBe("active");
    expect(idleLevel(1000, t)).toBe("away");
    expect(idleLevel(4999, t)).toBe("away");
    expect(idleLevel(5000, t)).toBe("xa");
    // off
    expect(idleLevel(10_000_000, { autoAway: 0, autoXa: 5000 })).toBe("active");
    expect(idleLevel(10_000_000, { autoAway: 1000, autoXa: 0 })).toBe("away");
    // xa set below away: xa only once away would hold
    expect(idleLevel(600, { autoAway: 1000, autoXa: 500 })).toBe("active");
    expect(idleLevel(1000, { autoAway: 1000, autoXa: 500 })).toBe("xa");
  });

  test("time to the next level", () => {
    expect(msUntilNextLevel(200, t)).toBe(800);
    expect(msUntilNextLevel(1000, t)).toBe(4000);
    expect(msUntilNextLevel(6000, t)).toBeUndefined();
    expect(msUntilNextLevel(0, { autoAway: 0, autoXa: 10 })).toBeUndefined();
    expect(msUntilNextLevel(2000, { autoAway: 1000, autoXa: 0 })).toBeUndefined();
  });

  const opts = { since: "t0", status: "Idle" };

  test("online and chat accounts go away, then xa, and come back on activity", () => {
    expect(autoAwayEligible({ show: "online" })).toBe(true);
    expect(autoAwayEligible({ show: "chat" })).toBe(true);
    let own: OwnPresence = { show: "online", status: "here" };
    const step1 = autoAwayStep(A, own, "away", opts);
    expect(step1).toEqual({ type: "own/auto", account: A, level: "away", since: "t0", status: "Idle" });
    own = ownReducer(own, step1!);
    expect(autoAwayStep(A, own, "away", opts)).toBeUndefined();
    const step2 = autoAwayStep(A, own, "xa", opts);
    expect(step2).toMatchObject({ type: "own/auto", level: "xa" });
    own = ownReducer(own, step2!);
    expect(autoAwayStep(A, own, "xa", opts)).toBeUndefined();
    // never back down from xa to away without activity
    expect(autoAwayStep(A, own, "away", opts)).toBeUndefined();
    const step3 = autoAwayStep(A, own, "active", opts);
    expect(step3).toEqual({ type: "own/restore", account: A });
    expect(ownReducer(own, step3!)).toEqual({ show: "online", status: "here" });
  });

  test("an account idle past xa at once goes straight to xa", () => {
    expect(autoAwayStep(A, { show: "chat" }, "xa", opts)).toMatchObject({ type: "own/auto", level: "xa" });
  });

  test("away, xa and dnd set by hand are left alone, at every level", () => {
    for (const show of ["away", "xa", "dnd"] as const) {
      expect(autoAwayEligible({ show })).toBe(false);
      for (const level of ["active", "away", "xa"] as const) expect(autoAwayStep(A, { show, status: "by hand" }, level, opts)).toBeUndefined();
    }
  });
});
