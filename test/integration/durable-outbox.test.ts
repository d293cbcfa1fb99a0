/**
 * The durable outbox with the real binary (headless mode) killed with SIGKILL:
 * - messages queued while offline (never left) arrive exactly once at a third-party client after
 *   the restart;
 * - messages that left but whose stream-management ack never came back (a loopback proxy swallows
 *   what the server sends) are re-sent with the same id after the restart: at least once at a
 *   third-party client, exactly once at a jabterm receiver (which de-duplicates by origin-id).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { ConfigStore } from "../../src/core/config/config.js";
import { resolvePaths } from "../../src/core/config/paths.js";
import { HistoryDb } from "../../src/core/history/db.js";
import { serverKeys, tempClient } from "../helpers/engine.js";
import { startHeadless, tempDirs, type Headless } from "../helpers/headless.js";
import { peerAvailable, startPeer, type Peer } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

const run = prosodyAvailable() && peerAvailable() ? describe : describe.skip;

run("durable outbox: kill -9 and restart (real binary, Prosody)", () => {
  let server: ProsodyServer;
  const cleanups: (() => Promise<unknown> | void)[] = [];
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    await server?.cleanup();
  });

  function configure(jid: string, password: string, port: number) {
    const dirs = tempDirs();
    const cfg = ConfigStore.open(resolvePaths({ configDir: dirs.configDir, dataDir: dirs.dataDir, env: {} }));
    cfg.addAccount(jid, { name: "w" });
    for (const [k, v] of Object.entries({ host: "127.0.0.1", port, ca_file: server.caFile, password })) cfg.setAccountKey("w", k, String(v));
    cfg.setSetting("reconnect_min_delay", "100");
    cfg.setSetting("reconnect_max_delay", "500");
    return dirs;
  }
  function headless(dirs: ReturnType<typeof tempDirs>): Headless {
    const h = startHeadless({ dirs });
    cleanups.push(() => h.kill());
    return h;
  }
  async function peer(jid: string, password: string): Promise<Peer> {
    const p = await startPeer({ jid, password, port: server.c2sPort, caFile: server.caFile });
    cleanups.push(() => p.stop());
    return p;
  }
  const count = (p: Peer, body: string) => p.events.filter((e) => e.event === "message" && e.body === body).length;

  test("queued while offline, killed, restarted: each arrives exactly once", async () => {
    const [a, c] = await Promise.all([server.createAccount(), server.createAccount()]);
    const dirs = configure(a.jid, a.password, server.c2sPort);
    await server.stop();
    const h = headless(dirs);
    await h.next((e) => e.event === "account" && e.account === "w" && e.retry_in !== undefined);
    const q1 = await h.command(`/msg -a w ${c.jid} queued one`);
    const q2 = await h.command(`/msg -a w ${c.jid} queued two`);
    expect([q1.data.state, q2.data.state]).toEqual(["queued", "queued"]);
    h.kill();
    expect(await h.exited).toBe(128);

    await server.start();
    const carol = await peer(c.jid, c.password);
    const h2 = headless(dirs);
    await h2.next((e) => e.event === "message_state" && e.id === q2.data.id && e.state === "acked", 30_000);
    const got1 = await carol.nextMessage((m) => m.body === "queued one");
    expect(got1.origin_id).toBe(q1.data.id);
    await carol.nextMessage((m) => m.body === "queued two");
    const fence = await h2.command(`/msg -a w ${c.jid} fence`);
    expect(fence.ok).toBe(true);
    await carol.nextMessage((m) => m.body === "fence");
    expect([count(carol, "queued one"), count(carol, "queued two")]).toEqual([1, 1]);
    expect(await h2.end()).toBe(0);

    // The sender's history has each once, with its final state; the outbox is empty.
    const db = HistoryDb.open(dirs.dataDir);
    try {
      const rows = db.conversation("w", c.jid);
      expect(rows.map((r) => [r.body, r.id])).toEqual([
        ["queued one", q1.data.id],
        ["queued two", q2.data.id],
        ["fence", fence.data.id],
      ]);
      expect(rows.every((r) => r.state === "acked" || r.state === "delivered")).toBe(true);
      expect(db.outboxLoad().filter((m) => m.state === "queued" || m.state === "sent")).toEqual([]);
    } finally {
      db.close();
    }
  }, 90_000);

  test("sent but never acked, killed, restarted: re-sent with the same id; a jabterm receiver shows it once", async () => {
    const [a, b, c] = await Promise.all([server.createAccount(), server.createAccount(), server.createAccount()]);
    const proxy: TcpProxy = await startTcpProxy(server.c2sPort);
    cleanups.push(() => proxy.close());
    const dirs = configure(a.jid, a.password, proxy.port);
    const carol = await peer(c.jid, c.password);
    const bob = tempClient([{ jid: b.jid, name: "bob", set: serverKeys(server, b.password) }]);
    cleanups.push(() => bob.close());
    await bob.connectAll();

    const h = headless(dirs);
    await h.next((e) => e.event === "session" && e.account === "w", 30_000);
    proxy.holdDownstream();
    const m1 = await h.command(`/msg -a w ${c.jid} unacked to slixmpp`);
    const m2 = await h.command(`/msg -a w ${b.jid} unacked to jabterm`);
    // Both left (the receivers have them) but no ack can come back.
    await carol.nextMessage((m) => m.body === "unacked to slixmpp");
    await bob.waitEvent((e) => e.event === "message" && e.body === "unacked to jabterm");
    await h.next((e) => e.event === "message_state" && e.id === m2.data.id && e.state === "sent");
    expect(h.all().some((e) => e.event === "message_state" && e.state === "acked")).toBe(false);
    h.kill();
    await h.exited;
    proxy.release();

    const h2 = headless(dirs);
    const done = (e: { event: string; id?: unknown; state?: unknown }, id: string) => e.event === "message_state" && e.id === id && (e.state === "acked" || e.state === "delivered");
    await h2.next((e) => done(e, m1.data.id), 30_000);
    await h2.next((e) => done(e, m2.data.id), 30_000);
    // Fences after the re-sends: everything before them has arrived.
    await h2.command(`/msg -a w ${c.jid} fence c`);
    await h2.command(`/msg -a w ${b.jid} fence b`);
    await carol.nextMessage((m) => m.body === "fence c");
    await bob.waitEvent((e) => e.event === "message" && e.body === "fence b");

    const atCarol = carol.events.filter((e) => e.event === "message" && e.body === "unacked to slixmpp");
    expect(atCarol.length).toBeGreaterThanOrEqual(1);
    expect(new Set(atCarol.map((e) => e.origin_id))).toEqual(new Set([m1.data.id]));
    expect(bob.events.filter((e) => e.event === "message" && e.body === "unacked to jabterm").length).toBe(1);
    expect(bob.client.history!.db.conversation("bob", a.jid).filter((r) => r.body === "unacked to jabterm").length).toBe(1);
    expect(await h2.end()).toBe(0);
  }, 90_000);
});
