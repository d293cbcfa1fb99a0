/** /status, /priority and /info on a real client with accounts that are not connected (no server needed). */
import { afterEach, describe, expect, test } from "vitest";

import { sanitize } from "../../src/core/text/sanitize.js";
import { tempClient } from "../helpers/engine.js";

type T = ReturnType<typeof tempClient>;
let t: T | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

function client(set: Record<string, string | number> = {}) {
  t = tempClient([{ jid: "alice@example.org", name: "w", set: { password: "x", ...set } }]);
  return t;
}

describe("/priority", () => {
  test("sets exactly the key it names, and nothing else", async () => {
    const c = client({ priority: 5, priority_xa: -3 });
    const r = await c.command("/priority -a w 7 away");
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(c.config.storedAccount("w")).toMatchObject({ priority: 5, priority_away: 7, priority_xa: -3 });
    expect(c.config.storedAccount("w")).not.toHaveProperty("priority_chat");
    expect(c.config.storedAccount("w")).not.toHaveProperty("priority_dnd");

    // default: the key of the current show (online -> priority)
    await c.command("/priority -a w 9");
    expect(c.config.storedAccount("w")).toMatchObject({ priority: 9, priority_away: 7, priority_xa: -3 });
    expect(c.config.storedAccount("w")).not.toHaveProperty("priority_chat");

    // while dnd, the default is priority_dnd
    await c.command("/status -a w dnd");
    await c.command("/priority -a w -1");
    expect(c.config.storedAccount("w")).toMatchObject({ priority: 9, priority_dnd: -1, priority_away: 7 });

    const all = await c.command("/priority -a w 2 all");
    expect(all.ok).toBe(true);
    expect(c.config.storedAccount("w")).toMatchObject({ priority: 2, priority_chat: 2, priority_away: 2, priority_xa: 2, priority_dnd: 2 });
  });

  test("reports the priority in effect; refuses values out of range", async () => {
    const c = client({ priority: 1 });
    const r = await c.command("/priority -a w 4 away");
    expect(r.data).toMatchObject({ keys: ["priority_away"], before: 1, after: 1, resent: false });
    const r2 = await c.command("/priority -a w 6");
    expect(r2.data).toMatchObject({ keys: ["priority"], before: 1, after: 6, resent: false });
    const bad = await c.command("/priority -a w 200");
    expect(bad.ok).toBe(false);
    expect(bad.error?.text).toMatch(/-128 and 127/);
    expect(c.config.storedAccount("w")?.priority).toBe(6);
    const list = await c.command("/priority -a w");
    expect(list.output.join("\n")).toMatch(/away\s+4\s+priority_away/);
    expect(list.output.join("\n")).toMatch(/chat\s+6\s+priority_chat \(unset: follows priority\)/);
  });
});

describe("/status", () => {
  test("changes the store with that show's priority and publishes own_presence", async () => {
    const c = client({ priority: 5, priority_away: 1 });
    const r = await c.command("/status -a w away gone fishing");
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(c.store.account("w").own).toEqual({ show: "away", status: "gone fishing", priority: 1 });
    expect(c.events.at(-1)).toEqual({ event: "own_presence", account: "w", show: "away", status: "gone fishing", priority: 1, auto: false });
    // no text clears the status
    await c.command("/status -a w chat");
    expect(c.store.account("w").own).toEqual({ show: "chat", priority: 5 });
    const shown = await c.command("/status -a w");
    expect(shown.output).toEqual(["w: chat (priority 5)"]);
  });

  test("usage errors: unavailable without --to, -a with --all, --to without a show, an unknown show", async () => {
    const c = client();
    for (const line of ["/status -a w unavailable", "/status -a w --all away", "/status --to bob@example.org", "/status -a w busy"]) {
      const r = await c.command(line);
      expect(r.ok, line).toBe(false);
      expect(r.error?.code, line).toBe("usage");
    }
    // directed presence needs the account online
    const d = await c.command("/status -a w --to bob@example.org dnd");
    expect(d.ok).toBe(false);
    expect(d.error?.code).toBe("connection");
    expect(c.store.account("w").own.show).toBe("online");
  });
});

describe("/info", () => {
  test("own resources when offline: none; an unknown contact: no resources", async () => {
    const c = client();
    const own = await c.command("/resources -a w");
    expect(own.ok).toBe(true);
    expect(own.data).toMatchObject({ account: "w", jid: "alice@example.org", resources: [], winners: [] });
    const bob = await c.command("/info -a w bob@example.org");
    expect(bob.output).toEqual(["bob@example.org: no available resources"]);
  });

  test("lists what the store knows and marks the best resource", async () => {
    const c = client();
    c.store.batch([
      { type: "presence/available", account: "w", jid: "bob@example.org", resource: "low", full: "bob@example.org/low", show: "chat", priority: 1, updated: "2026-01-01T00:00:00.000Z" },
      { type: "presence/available", account: "w", jid: "bob@example.org", resource: "high", full: "bob@example.org/high", show: "dnd", priority: 9, updated: "2026-01-01T00:00:00.000Z", status: "\u001b[31mred\u202e" },
    ]);
    // the account is offline: the queries fail, and /info says so instead of failing
    const r = await c.command("/info -a w bob@example.org");
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.data).toMatchObject({ best: "high", resources: [{ resource: "high", best: true, version_error: expect.stringMatching(/not online/) }, { resource: "low", best: false }] });
    const text = r.output.join("\n");
    expect(r.output[0]).toBe("bob@example.org: 2 resources, best: high");
    // Lines carry remote text raw: each host sanitises what it prints (headless: the output
    // strings; the interface: RemoteText, with the placeholders drawn inert).
    expect(r.output[1]).toBe('* high: dnd, priority 9 "\u001b[31mred\u202e"  [best]');
    expect(sanitize(r.output[1]!)).toBe('* high: dnd, priority 9 "␛[31mred‹RLO›"  [best]');
    expect(text).toMatch(/version query failed: .*not online/);
    expect(text).toMatch(/last activity query failed/);
    // a full JID: that resource only, still knowing which one is best
    const low = await c.command("/info -a w bob@example.org/low");
    expect(low.data).toMatchObject({ best: "high", resources: [{ resource: "low", best: false }] });
    const own = await c.command("/resources -a w");
    expect(own.data).toMatchObject({ resources: [] });
  });
});
