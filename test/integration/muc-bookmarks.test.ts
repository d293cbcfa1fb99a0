/**
 * Room bookmarks against Prosody: XEP-0402 in PEP shared by two jabterm clients on one account
 * (two resources): a bookmark added on one arrives live on the other and its room is joined
 * (autojoin); a client that connects later joins at session start; removal is seen live. And
 * the XEP-0048 fallback (private storage) on a server without PEP.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { PublishedEvent } from "../../src/core/client.js";
import { serverKeys, tempClient } from "../helpers/engine.js";
import { prosodyAvailable, startProsody, type ProsodyAccount, type ProsodyServer } from "../helpers/prosody.js";

const run = prosodyAvailable() ? describe : describe.skip;

const ev = (name: string, pred: (e: PublishedEvent) => boolean = () => true) => (e: PublishedEvent) => e.event === name && pred(e);

async function clientOn(server: ProsodyServer, acct: ProsodyAccount, resource: string) {
  const t = tempClient([{ jid: acct.jid, name: "me", set: { ...serverKeys(server, acct.password), resource } }], { muc_self_ping: 0 });
  await t.connectAll();
  return t;
}

async function ok(t: ReturnType<typeof tempClient>, line: string) {
  const r = await t.command(line);
  if (!r.ok) throw new Error(`${line}: ${JSON.stringify(r.error)}`);
  return r;
}

run("bookmarks", () => {
  const clients: ReturnType<typeof tempClient>[] = [];
  const servers: ProsodyServer[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const s of servers) await s.cleanup();
  });

  test("XEP-0402: added on one client, joined live on the other; a later client autojoins; removal is live", async () => {
    const server = await startProsody({ muc: true });
    servers.push(server);
    const acct = await server.createAccount();
    const a = await clientOn(server, acct, "one");
    const b = await clientOn(server, acct, "two");
    clients.push(a, b);
    await a.waitEvent(ev("bookmarks", (e) => e.store === "pep" && e.count === 0));
    const room = `team@${server.mucDomain}`;

    const mark = b.events.length;
    await ok(a, `/bookmark add --autojoin --name Team ${room}/alice`);
    // The other resource hears of it and joins.
    await b.waitEvent(ev("bookmark", (e) => e.room === room && e.change === "set" && e.source === "notification" && e.autojoin === true), { after: mark });
    await b.waitEvent(ev("room", (e) => e.room === room && e.status === "joined" && e.nick === "alice"), { after: mark });
    const list = await ok(b, "/bookmark list");
    expect(list.data).toEqual([{ account: "me", room, name: "Team", nick: "alice", autojoin: true, password: null }]);
    expect(list.output.join("\n")).toContain("PEP (XEP-0402)");

    // A third client on the account joins at session start.
    const c = await clientOn(server, acct, "three");
    clients.push(c);
    await c.waitEvent(ev("room", (e) => e.room === room && e.status === "joined"));
    expect(c.store.account("me").rooms[room]).toMatchObject({ state: "joined", nick: "alice", autojoin: true });

    // Removal, seen live by the others.
    const markC = c.events.length;
    await ok(a, `/bookmark remove ${room}`);
    await c.waitEvent(ev("bookmark", (e) => e.room === room && e.change === "removed" && e.source === "notification"), { after: markC });
    expect((await ok(c, "/bookmark list")).data).toEqual([]);
  });

  test("XEP-0048 fallback: a server without PEP keeps bookmarks in private storage", async () => {
    const server = await startProsody({ muc: true, extraConfig: 'modules_disabled = { "s2s", "pep" }' });
    servers.push(server);
    const acct = await server.createAccount();
    const a = await clientOn(server, acct, "one");
    clients.push(a);
    await a.waitEvent(ev("bookmarks", (e) => e.store === "private"));
    const room = `old@${server.mucDomain}`;
    await ok(a, `/bookmark add --autojoin ${room}/bob`);
    await ok(a, `/bookmark add other@${server.mucDomain}`);
    const b = await clientOn(server, acct, "two");
    clients.push(b);
    await b.waitEvent(ev("room", (e) => e.room === room && e.status === "joined" && e.nick === "bob"));
    const list = await ok(b, "/bookmark list");
    expect((list.data as { room: string }[]).map((x) => x.room)).toEqual([`old@${server.mucDomain}`, `other@${server.mucDomain}`]);
    expect(list.output.join("\n")).toContain("private storage (XEP-0048)");
    expect(b.store.account("me").rooms[`other@${server.mucDomain}`]).toBeUndefined();
    await ok(b, `/bookmark remove other@${server.mucDomain}`);
    const c = await clientOn(server, acct, "three");
    clients.push(c);
    await c.waitEvent(ev("bookmarks", (e) => e.store === "private" && e.count === 1));
  });
});
