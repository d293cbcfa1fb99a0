/**
 * History against a real Prosody with mod_mam: catch-up after being offline while a peer sent
 * messages (delivered elsewhere, so only the archive has them), paging back beyond local history,
 * de-duplication when the same message comes live, as a carbon, as a resend and from the archive,
 * a forged archive result from another account dropped, and the connection cut over and over
 * (a loopback proxy) while both sides send: nothing lost, nothing doubled. The third-party sender
 * is slixmpp.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { PublishedEvent } from "../../src/core/client.js";
import { xml } from "../../src/core/xmpp/transport/xml.js";
import { serverKeys, tempClient } from "../helpers/engine.js";
import { peerAvailable, startPeer, type Peer } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

const run = prosodyAvailable() && peerAvailable() ? describe : describe.skip;

run("history and the server archive (Prosody mod_mam)", () => {
  let server: ProsodyServer;
  const peers: Peer[] = [];
  const clients: ReturnType<typeof tempClient>[] = [];
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    for (const p of peers) await p.stop().catch(() => {});
    for (const c of clients) await c.close().catch(() => {});
    await server?.cleanup();
  });

  const peer = async (jid: string, password: string) => {
    const p = await startPeer({ jid, password, port: server.c2sPort, caFile: server.caFile });
    peers.push(p);
    return p;
  };
  const client = (jid: string, password: string) => {
    const c = tempClient([{ jid, name: "me", set: serverKeys(server, password) }]);
    clients.push(c);
    return c;
  };
  const catchUp = (c: ReturnType<typeof tempClient>, after = 0) => c.waitEvent((e) => e.event === "archive_catchup", { after });
  const bodies = (c: ReturnType<typeof tempClient>, peerJid: string) => (c.store.account("me").conversations[peerJid]?.messages ?? []).map((m) => m.body);
  const shown = (c: ReturnType<typeof tempClient>, body: string) => c.events.filter((e) => e.event === "message" && e.body === body).length;

  test("catch-up after being offline: messages that went to another device come from the archive, once, in order", async () => {
    const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const t = client(a.jid, a.password);
    await t.connectAll();
    expect(await catchUp(t)).toMatchObject({ messages: 0, available: true });
    // Another device of ours stays online, so the server delivers there (no offline storage).
    await peer(`${a.jid}/phone`, a.password);
    const bob = await peer(b.jid, b.password);
    await t.engine.get("me").disconnect();

    for (let i = 0; i < 5; i++) await bob.send(a.jid, `missed ${i}`);
    const n = t.events.length;
    await t.engine.get("me").connect();
    const done = await catchUp(t, n);
    expect(done).toMatchObject({ account: "me", messages: 5, available: true });
    expect(bodies(t, b.jid)).toEqual(["missed 0", "missed 1", "missed 2", "missed 3", "missed 4"]);
    for (let i = 0; i < 5; i++) expect(shown(t, `missed ${i}`)).toBe(1);
    expect(t.client.history!.db.conversation("me", b.jid).map((m) => [m.body, m.source])).toEqual([0, 1, 2, 3, 4].map((i) => [`missed ${i}`, "mam"]));

    // Live during the session, then a new session: nothing new, nothing shown twice.
    await bob.send(a.jid, "live one");
    await t.waitEvent((e) => e.event === "message" && e.body === "live one");
    const m = t.events.length;
    await t.engine.get("me").disconnect();
    await t.engine.get("me").connect();
    expect(await catchUp(t, m)).toMatchObject({ messages: 0 });
    expect(shown(t, "live one")).toBe(1);
    expect(t.client.history!.db.conversation("me", b.jid).length).toBe(6);
  }, 60_000);

  test("paging back beyond local history: the local store first, then older pages from the archive", async () => {
    const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    await peer(`${a.jid}/phone`, a.password);
    const bob = await peer(b.jid, b.password);
    for (let i = 0; i < 70; i++) await bob.send(a.jid, `page ${String(i).padStart(2, "0")}`);
    const t = client(a.jid, a.password);
    await t.connectAll();
    // First session with this store: the last page is kept as history, not shown as news.
    await catchUp(t);
    expect(bodies(t, b.jid)).toEqual([]);
    const db = t.client.history!.db;
    await waitFor(() => db.conversation("me", b.jid).length === 50);

    const first = await t.client.history!.loadOlder("me", b.jid, 40);
    expect(first).toMatchObject({ local: 40, archive: 0 });
    expect(bodies(t, b.jid)).toEqual(Array.from({ length: 40 }, (_, i) => `page ${String(i + 30).padStart(2, "0")}`));
    const second = await t.client.history!.loadOlder("me", b.jid, 40);
    expect(second.local + second.archive).toBe(30);
    expect(second.archive).toBeGreaterThanOrEqual(20);
    const third = await t.client.history!.loadOlder("me", b.jid, 40);
    expect(third).toMatchObject({ local: 0, archive: 0, complete: true });
    const all = bodies(t, b.jid);
    expect(all).toEqual(Array.from({ length: 70 }, (_, i) => `page ${String(i).padStart(2, "0")}`));
    expect(db.conversation("me", b.jid).length).toBe(70);

    // The same through the command.
    const r = await t.command(`/history older --to ${b.jid}`);
    expect(r).toMatchObject({ ok: true });
  }, 90_000);

  test("one message, many paths (live, carbon, resend with the same id, archive): stored and shown once each", async () => {
    const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const t = client(a.jid, a.password);
    await t.connectAll();
    await catchUp(t);
    const other = await peer(`${a.jid}/phone`, a.password);
    const bob = await peer(b.jid, b.password);
    const r = tempClient([{ jid: b.jid, name: "bob", set: serverKeys(server, b.password) }]);
    clients.push(r);
    await r.connectAll();

    // To the other device's full JID: we see it as a carbon.
    await bob.send(other.jid, "carbon copy");
    await t.waitEvent((e) => e.event === "message" && e.body === "carbon copy" && e.carbon === "received");
    // To the bare JID: it reaches us directly (equal priorities).
    await bob.send(a.jid, "direct");
    await t.waitEvent((e) => e.event === "message" && e.body === "direct");
    // The same message twice with one id (what a stream-management resend looks like to us).
    const resent = () => xml("message", { to: a.jid, type: "chat", id: "resend-1" }, xml("body", {}, "resent"), xml("origin-id", { xmlns: "urn:xmpp:sid:0", id: "resend-1" }));
    await r.engine.get("bob").send(resent());
    await r.engine.get("bob").send(resent());
    await bob.send(a.jid, "fence");
    await t.waitEvent((e) => e.event === "message" && e.body === "fence");

    // Forget the archive position (as after a crash before it was saved): the archive sends all again.
    const db = t.client.history!.db;
    const own = a.jid;
    const state = db.archiveState("me", own)!;
    db.setArchiveState("me", own, { seeded: state.seeded! });
    const n = t.events.length;
    await t.engine.get("me").disconnect();
    await t.engine.get("me").connect();
    expect(await catchUp(t, n)).toMatchObject({ messages: 0 });

    for (const body of ["carbon copy", "direct", "resent", "fence"]) {
      expect(shown(t, body)).toBe(1);
      expect(db.conversation("me", b.jid).filter((m) => m.body === body).length).toBe(1);
    }
    expect(bodies(t, b.jid).filter((x) => x === "resent").length).toBe(1);
    // The stored rows carry the archive's id now (the archive copy was recognised by it).
    expect(db.conversation("me", b.jid).every((m) => m.stanzaId && m.stanzaIdBy === own)).toBe(true);
  }, 60_000);

  test("a forged archive result from another account is dropped: not stored, not shown", async () => {
    const [a, b, c] = await Promise.all([server.createAccount(), server.createAccount(), server.createAccount()]);
    const t = client(a.jid, a.password);
    await t.connectAll();
    await catchUp(t);
    const mallory = tempClient([{ jid: c.jid, name: "mallory", set: serverKeys(server, c.password) }]);
    clients.push(mallory);
    await mallory.connectAll();
    const forged = xml(
      "message",
      { to: t.engine.get("me").state.boundJid! },
      xml(
        "result",
        { xmlns: "urn:xmpp:mam:2", queryid: "guess", id: "forged-1" },
        xml("forwarded", { xmlns: "urn:xmpp:forward:0" }, xml("delay", { xmlns: "urn:xmpp:delay", stamp: "2020-01-01T00:00:00Z" }), xml("message", { from: `${b.jid}/x`, to: a.jid, type: "chat" }, xml("body", {}, "forged archive"))),
      ),
    );
    await mallory.engine.get("mallory").send(forged);
    const warning = await t.waitEvent((e) => e.event === "warning" && e.code === "forged_archive_result");
    expect(String(warning.from)).toContain(c.jid);
    expect(t.events.some((e: PublishedEvent) => e.event === "message" && e.body === "forged archive")).toBe(false);
    expect(t.client.history!.db.search({ text: "forged" })).toEqual([]);
  }, 30_000);

  test("/mam prefs reads and sets what the server archives", async () => {
    const [a] = await Promise.all([server.createAccount()]);
    const t = client(a.jid, a.password);
    await t.connectAll();
    const before = await t.command("/mam prefs");
    expect(before).toMatchObject({ ok: true, data: { account: "me", default: "always" } });
    const set = await t.command("/mam prefs roster");
    expect(set).toMatchObject({ ok: true, data: { default: "roster" } });
    expect((await t.command("/mam prefs")).data).toMatchObject({ default: "roster" });
    expect((await t.command("/mam prefs sometimes")).error).toMatchObject({ code: "usage" });
  }, 30_000);

  test("the connection cut repeatedly while both sides send: 0 lost, 0 duplicated", async () => {
    const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const proxy = await startTcpProxy(server.c2sPort);
    try {
      const A = tempClient([{ jid: a.jid, name: "me", set: { ...serverKeys(server, a.password), port: proxy.port } }]);
      const B = tempClient([{ jid: b.jid, name: "me", set: serverKeys(server, b.password) }]);
      clients.push(A, B);
      await Promise.all([A.connectAll(), B.connectAll()]);
      const ROUNDS = 8;
      const PER = 5;
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < PER; i++) {
          A.client.sendMessage(A.engine.get("me"), b.jid, `a${r}-${i}`);
          B.client.sendMessage(B.engine.get("me"), a.jid, `b${r}-${i}`);
        }
        // Cut while those are in flight; wait for the next connection to be up.
        const before = proxy.connections();
        proxy.cut();
        await waitFor(() => proxy.connections() > before && A.engine.get("me").online, { timeout: 20_000, message: `reconnect after cut ${r}` });
      }
      const expectA = Array.from({ length: ROUNDS * PER }, (_, k) => `a${Math.floor(k / PER)}-${k % PER}`);
      const expectB = Array.from({ length: ROUNDS * PER }, (_, k) => `b${Math.floor(k / PER)}-${k % PER}`);
      await waitFor(() => expectA.every((body) => shown(B, body) > 0) && expectB.every((body) => shown(A, body) > 0), { timeout: 45_000, message: "every message at the other side" }).catch((err: Error) => {
        throw new Error(`${err.message}; missing at B: ${expectA.filter((x) => shown(B, x) === 0).join(",")}; at A: ${expectB.filter((x) => shown(A, x) === 0).join(",")}`);
      });
      await waitFor(() => A.client.outbox.pending().length === 0 && B.client.outbox.pending().length === 0, { timeout: 20_000 });
      // Fences after everything: whatever was still on its way has arrived.
      A.client.sendMessage(A.engine.get("me"), b.jid, "fence a");
      B.client.sendMessage(B.engine.get("me"), a.jid, "fence b");
      await B.waitEvent((e) => e.event === "message" && e.body === "fence a", { timeout: 20_000 });
      await A.waitEvent((e) => e.event === "message" && e.body === "fence b", { timeout: 20_000 });
      expect(expectA.filter((x) => shown(B, x) !== 1)).toEqual([]);
      expect(expectB.filter((x) => shown(A, x) !== 1)).toEqual([]);
      expect(bodies(B, a.jid).filter((x) => x.startsWith("a")).sort()).toEqual([...expectA].sort());
      expect(bodies(A, b.jid).filter((x) => x.startsWith("b")).sort()).toEqual([...expectB].sort());
      expect(A.client.history!.db.conversation("me", b.jid).length).toBe(2 * ROUNDS * PER + 2);
      expect(B.client.history!.db.conversation("me", a.jid).length).toBe(2 * ROUNDS * PER + 2);
      expect(proxy.connections()).toBeGreaterThan(ROUNDS);
    } finally {
      await proxy.close();
    }
  }, 120_000);
});

run("history with a server that has no archive", () => {
  let server: ProsodyServer;
  const clients: ReturnType<typeof tempClient>[] = [];
  beforeAll(async () => {
    server = await startProsody({ withoutModules: ["mam"] });
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await server?.cleanup();
  });

  test("catch-up says there is no archive; messages are still stored, searched and paged locally", async () => {
    const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const A = tempClient([{ jid: a.jid, name: "me", set: serverKeys(server, a.password) }]);
    const B = tempClient([{ jid: b.jid, name: "me", set: serverKeys(server, b.password) }]);
    clients.push(A, B);
    await Promise.all([A.connectAll(), B.connectAll()]);
    expect(await A.waitEvent((e) => e.event === "archive_catchup")).toMatchObject({ available: false, messages: 0 });
    expect(A.events.some((e) => e.event === "error")).toBe(false);
    B.client.sendMessage(B.engine.get("me"), a.jid, "no archive here");
    await A.waitEvent((e) => e.event === "message" && e.body === "no archive here");
    expect(((await A.command("/search archive")).data as { results: unknown[] }).results.length).toBe(1);
    // Nothing older anywhere: the local history has only what is shown, the server has no archive.
    expect(await A.client.history!.loadOlder("me", b.jid)).toMatchObject({ local: 0, archive: 0, complete: true });
    expect((await A.command("/mam prefs")).ok).toBe(false);
  }, 30_000);
});
