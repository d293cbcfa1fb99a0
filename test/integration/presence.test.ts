/**
 * Presence against a real Prosody, with slixmpp (test/helpers/presence_peer.py) as the third-party
 * client on the other side: priorities and bare-JID routing, per-show priorities, auto-away,
 * our own resources, directed presence, version/time/last activity answers, and caps.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { bareJid, sameBareJid } from "../../src/core/jid.js";
import { CAPS_NODE } from "../../src/core/xmpp/features/disco.js";
import { packageVersion } from "../../src/core/xmpp/features/info.js";
import { xml } from "../../src/core/xmpp/transport/xml.js";
import { serverKeys, tempClient, type TestAccount } from "../helpers/engine.js";
import { PEER_PYTHON, peerAvailable } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyAccount, type ProsodyServer } from "../helpers/prosody.js";
import { LineReader, waitFor } from "../helpers/wait-for.js";

const SCRIPT = path.join(import.meta.dirname, "..", "helpers", "presence_peer.py");
const run = prosodyAvailable() && peerAvailable() ? describe : describe.skip;

type Ev = { event: string } & Record<string, any>;

interface InfoPeer {
  /** Full JID. */
  jid: string;
  events: Ev[];
  /** The first event at index >= after matching pred (waits). */
  waitEvent(pred: (e: Ev) => boolean, after?: number, timeout?: number): Promise<Ev>;
  cmd(obj: Record<string, unknown>): void;
  query(kind: "version" | "time" | "last" | "disco", to: string, extra?: Record<string, unknown>): Promise<Ev>;
  presence(p: { show?: string; status?: string; priority?: number }): Promise<void>;
  send(to: string, body: string): Promise<void>;
  stop(): Promise<void>;
}

const live: InfoPeer[] = [];

async function startInfoPeer(server: ProsodyServer, acct: ProsodyAccount, opts: { resource?: string; name?: string; idle?: number; priority?: number } = {}): Promise<InfoPeer> {
  const args = ["-u", SCRIPT, `--jid=${acct.jid}${opts.resource ? `/${opts.resource}` : ""}`, `--password=${acct.password}`, `--port=${server.c2sPort}`, `--ca=${server.caFile}`];
  if (opts.name) args.push(`--name=${opts.name}`);
  if (opts.idle !== undefined) args.push(`--idle=${opts.idle}`);
  if (opts.priority !== undefined) args.push(`--priority=${opts.priority}`);
  const child: ChildProcess = spawn(PEER_PYTHON, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin!.on("error", () => undefined);
  const reader = new LineReader(child.stdout!);
  const events: Ev[] = [];
  child.stdout!.on("data", () => {
    while (events.length < reader.lines.length) {
      const line = reader.lines[events.length]!;
      try {
        events.push(JSON.parse(line) as Ev);
      } catch {
        events.push({ event: "raw", line });
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const waitEvent = (pred: (e: Ev) => boolean, after = 0, timeout = 15_000) =>
    waitFor(() => events.slice(after).find(pred), { timeout, message: `peer ${acct.jid} event; last: ${JSON.stringify(events.slice(-4))}; stderr: ${stderr.slice(-500)}` });
  const online = await waitEvent((e) => e.event === "online" || e.event === "error" || e.event === "disconnected");
  if (online.event !== "online") {
    child.kill("SIGKILL");
    throw new Error(`peer ${acct.jid} did not come online: ${JSON.stringify(online)} ${stderr}`);
  }
  const cmd = (obj: Record<string, unknown>) => void child.stdin!.write(JSON.stringify(obj) + "\n");
  const peer: InfoPeer = {
    jid: String(online.jid),
    events,
    waitEvent,
    cmd,
    async query(kind, to, extra = {}) {
      const after = events.length;
      cmd({ cmd: kind, to, ...extra });
      return waitEvent((e) => e.event === "result" && e.query === kind && e.to === to, after);
    },
    async presence(p) {
      const after = events.length;
      cmd({ cmd: "presence", ...p });
      await waitEvent((e) => e.event === "presence_sent", after);
    },
    async send(to, body) {
      const after = events.length;
      cmd({ cmd: "send", to, body });
      await waitEvent((e) => e.event === "sent", after);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        cmd({ cmd: "quit" });
        child.stdin!.end();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  live.push(peer);
  return peer;
}

type Client = ReturnType<typeof tempClient>;

/** Mutual presence subscription between a jabterm account and a slixmpp peer (which auto-approves). */
async function subscribeBoth(t: Client, account: string, peer: InfoPeer): Promise<void> {
  const acct = t.engine.get(account);
  const peerBare = bareJid(peer.jid);
  let asked = false;
  const onStanza = ({ account: a, stanza }: { account: string; stanza: ReturnType<typeof xml> }) => {
    if (a === account && stanza.name === "presence" && stanza.attrs.type === "subscribe" && stanza.attrs.from && sameBareJid(stanza.attrs.from, peerBare)) asked = true;
  };
  t.engine.on("stanza", onStanza);
  try {
    await acct.send(xml("presence", { to: peerBare, type: "subscribe" }));
    await waitFor(() => asked, { message: `subscribe from ${peerBare}` });
    await acct.send(xml("presence", { to: peerBare, type: "subscribed" }));
    const ours = acct.state.boundJid!;
    await waitFor(() => t.store.account(account).presence[peerBare]?.[peer.jid.slice(peerBare.length + 1)], { message: `${peer.jid} presence in the store` });
    await peer.waitEvent((e) => e.event === "presence" && e.from === ours && e.type !== "unavailable");
  } finally {
    t.engine.off("stanza", onStanza);
  }
}

function presenceFrom(from: string, pred: (e: Ev) => boolean = () => true) {
  return (e: Ev) => e.event === "presence" && e.from === from && pred(e);
}

run("presence against Prosody with slixmpp peers", () => {
  let server: ProsodyServer;
  const clients: Client[] = [];
  beforeAll(async () => {
    server = await startProsody({ websocket: false, directTls: false });
  });
  afterAll(async () => {
    await Promise.all(live.splice(0).map((p) => p.stop()));
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.cleanup();
  });

  async function client(accounts: { acct: ProsodyAccount; name: string; set?: TestAccount["set"] }[], settings: Record<string, string | number | boolean> = {}) {
    const t = tempClient(
      accounts.map((a) => ({ jid: a.acct.jid, name: a.name, set: { ...serverKeys(server, a.acct.password), ...a.set } })),
      settings,
    );
    clients.push(t);
    await t.connectAll();
    // the session-start hooks ran through initial presence (order 100) on every account
    for (const a of accounts) await t.waitEvent((e) => e.event === "own_presence" && e.account === a.name);
    return t;
  }

  test("two resources of a contact: the bare-JID message reaches the higher priority; /info lists both and the best", async () => {
    const [a, c] = await Promise.all([server.createAccount(), server.createAccount()]);
    const high = await startInfoPeer(server, c, { resource: "high", priority: 10, name: "TwinBot", idle: 120 });
    const low = await startInfoPeer(server, c, { resource: "low", priority: 1, name: "TwinBot" });
    const t = await client([{ acct: a, name: "w" }]);
    await subscribeBoth(t, "w", high);
    await waitFor(() => t.store.account("w").presence[c.jid]?.low, { message: "low resource" });
    expect(t.store.account("w").presence[c.jid]).toMatchObject({ high: { priority: 10, show: "online" }, low: { priority: 1 } });

    const sent = await t.command(`/msg -a w ${c.jid} to the bare JID`);
    expect(sent.ok).toBe(true);
    await high.waitEvent((e) => e.event === "message" && e.body === "to the bare JID");
    await t.command(`/msg -a w ${c.jid}/low marker`);
    await low.waitEvent((e) => e.event === "message" && e.body === "marker");
    expect(low.events.some((e) => e.event === "message" && e.body === "to the bare JID")).toBe(false);

    const info = await t.command(`/info -a w ${c.jid}`);
    expect(info.ok, JSON.stringify(info.error)).toBe(true);
    expect(info.data).toMatchObject({
      jid: c.jid,
      best: "high",
      resources: [
        { resource: "high", priority: 10, best: true, version: { name: "TwinBot", version: "9.8.7", os: "PeerOS" }, idle_seconds: expect.any(Number) },
        { resource: "low", priority: 1, best: false, version: { name: "TwinBot" }, last_error: "service-unavailable" },
      ],
    });
    const text = info.output.join("\n");
    expect(info.output[0]).toBe(`${c.jid}: 2 resources, best: high`);
    expect(text).toMatch(/^\* high: online, priority 10 {2}\[best\]$/m);
    expect(text).toMatch(/^ {2}low: online, priority 1$/m);
    expect(text).toMatch(/client: TwinBot 9\.8\.7 on PeerOS/);
    expect(text).toMatch(/idle: 2m0\ds/);
    expect(text).toMatch(/idle: unknown \(last activity query failed: service-unavailable\)/);

    // the low one raises its priority above: it becomes best, and bare-JID messages follow
    const before = t.events.length;
    await low.presence({ priority: 20 });
    await t.waitEvent((e) => e.event === "presence" && e.from === low.jid && e.priority === 20, { after: before });
    await waitFor(() => t.store.account("w").presence[c.jid]?.low?.priority === 20);
    const info2 = await t.command(`/info -a w ${c.jid}`);
    expect(info2.data).toMatchObject({ best: "low" });
    await t.command(`/msg -a w ${c.jid} second`);
    await low.waitEvent((e) => e.event === "message" && e.body === "second");

    // unavailable removes the resource
    await high.stop();
    await waitFor(() => !t.store.account("w").presence[c.jid]?.high, { message: "high gone" });
    expect(Object.keys(t.store.account("w").presence[c.jid] ?? {})).toEqual(["low"]);
    expect(t.events.some((e) => e.event === "presence" && e.from === high.jid && e.available === false && e.show === "offline")).toBe(true);
  });

  test("per-show priority: /status away sends the away priority; /priority changes only what it names", async () => {
    const [a, p] = await Promise.all([server.createAccount(), server.createAccount()]);
    const peer = await startInfoPeer(server, p);
    const t = await client([{ acct: a, name: "w", set: { priority: 5, priority_away: 2 } }]);
    await subscribeBoth(t, "w", peer);
    const me = t.engine.get("w").state.boundJid!;
    // initial presence carried priority 5
    expect(peer.events.find(presenceFrom(me))?.priority).toBe(5);

    let mark = peer.events.length;
    const r = await t.command("/status -a w away lunch");
    expect(r.ok).toBe(true);
    const away = await peer.waitEvent(presenceFrom(me, (e) => e.show === "away"), mark);
    expect(away).toMatchObject({ priority: 2, status: "lunch" });
    expect(t.events.filter((e) => e.event === "own_presence").at(-1)).toMatchObject({ account: "w", show: "away", status: "lunch", priority: 2, auto: false });

    // the current show's key, re-sent because it is the one in effect
    mark = peer.events.length;
    await t.command("/priority -a w 7");
    expect(t.config.storedAccount("w")).toMatchObject({ priority: 5, priority_away: 7 });
    expect(await peer.waitEvent(presenceFrom(me), mark)).toMatchObject({ show: "away", priority: 7, status: "lunch" });

    // another show's key: saved, nothing sent
    mark = peer.events.length;
    const dnd = await t.command("/priority -a w 9 dnd");
    expect(dnd.data).toMatchObject({ keys: ["priority_dnd"], before: 7, after: 7, resent: false });
    expect(t.config.storedAccount("w")).toMatchObject({ priority: 5, priority_away: 7, priority_dnd: 9 });
    expect(t.config.storedAccount("w")).not.toHaveProperty("priority_chat");
    expect(t.config.storedAccount("w")).not.toHaveProperty("priority_xa");
    await t.command("/status -a w dnd");
    const next = await peer.waitEvent(presenceFrom(me), mark);
    expect(next).toMatchObject({ show: "dnd", priority: 9, status: null });
    // the dnd one is the first presence since /priority 9 dnd
    expect(peer.events.slice(mark).filter(presenceFrom(me))).toHaveLength(1);

    mark = peer.events.length;
    await t.command("/status -a w online");
    expect(await peer.waitEvent(presenceFrom(me), mark)).toMatchObject({ show: null, priority: 5 });
  });

  test("auto-away: away then xa with their priorities and idle time, back on activity; dnd by hand stays", async () => {
    const [a, b, p] = await Promise.all([server.createAccount(), server.createAccount(), server.createAccount()]);
    const peer = await startInfoPeer(server, p);
    const t = await client(
      [
        { acct: a, name: "w", set: { priority: 5, priority_away: 2, priority_xa: -1 } },
        { acct: b, name: "d", set: { priority: 3 } },
      ],
      { auto_away_status: "gone idle" },
    );
    await t.command("/status -a w chat working");
    await t.command("/status -a d dnd by hand");
    // (subscribe first: requests are not delivered to a resource whose priority is negative)
    await subscribeBoth(t, "w", peer);
    const me = t.engine.get("w").state.boundJid!;

    // settings are live: they apply from the next activity on
    t.config.setSetting("auto_away", "600");
    t.config.setSetting("auto_xa", "1500");
    const mark = peer.events.length;
    const evMark = t.events.length;
    t.client.noteActivity();
    const away = await peer.waitEvent(presenceFrom(me, (e) => e.show === "away"), mark);
    expect(away).toMatchObject({ priority: 2, status: "gone idle", idle_since: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    const xa = await peer.waitEvent(presenceFrom(me, (e) => e.show === "xa"), mark);
    expect(xa).toMatchObject({ priority: -1, status: "gone idle", idle_since: away.idle_since });
    expect(t.store.account("w").own).toMatchObject({ show: "xa", priority: -1, auto: { level: "xa", restoreShow: "chat", restoreStatus: "working" } });
    // the account set to dnd by hand was left alone
    expect(t.store.account("d").own).toEqual({ show: "dnd", status: "by hand", priority: 3 });
    expect(t.events.slice(evMark).filter((e) => e.event === "own_presence" && e.account === "d" && (e.show !== "dnd" || e.auto))).toEqual([]);
    expect(t.events.slice(evMark).filter((e) => e.event === "own_presence" && e.account === "w").map((e) => [e.show, e.priority, e.auto])).toEqual(
      expect.arrayContaining([
        ["away", 2, true],
        ["xa", -1, true],
      ]),
    );

    const back = peer.events.length;
    t.client.noteActivity();
    const online = await peer.waitEvent(presenceFrom(me, (e) => e.show === "chat"), back);
    expect(online).toMatchObject({ priority: 5, status: "working", idle_since: null });
    expect(t.store.account("w").own).toEqual({ show: "chat", status: "working", priority: 5 });
    expect(t.events.filter((e) => e.event === "own_presence" && e.account === "w").at(-1)).toMatchObject({ show: "chat", priority: 5, auto: false });
  });

  test("auto-away: xa falling due while the away presence is still being sent follows at once", async () => {
    const [a, p] = await Promise.all([server.createAccount(), server.createAccount()]);
    const peer = await startInfoPeer(server, p);
    const t = await client([{ acct: a, name: "w", set: { priority: 5, priority_away: 2, priority_xa: 1 } }]);
    await subscribeBoth(t, "w", peer);
    const me = t.engine.get("w").state.boundJid!;
    // A slow link: sending the away presence takes longer than the gap between away and xa.
    const acct = t.engine.get("w");
    const send = acct.send.bind(acct);
    acct.send = async (stanza) => {
      if (stanza.name === "presence" && stanza.getChildText("show") === "away") await new Promise((r) => setTimeout(r, 1200));
      return send(stanza);
    };
    t.config.setSetting("auto_away", "600");
    t.config.setSetting("auto_xa", "1500");
    const mark = peer.events.length;
    t.client.noteActivity();
    await peer.waitEvent(presenceFrom(me, (e) => e.show === "away"), mark);
    // Due at 1.5 s of idleness, while "away" was on its way (until 1.8 s): not RECHECK_MS (30 s) later.
    const xa = await peer.waitEvent(presenceFrom(me, (e) => e.show === "xa"), mark, 5000);
    expect(xa).toMatchObject({ priority: 1 });
    expect(t.store.account("w").own).toMatchObject({ show: "xa", auto: { level: "xa" } });
  });

  test("server pings (XEP-0199): the lag is measured at once and every ping_interval, and forgotten offline", async () => {
    const a = await server.createAccount();
    const t = await client([{ acct: a, name: "w" }], { ping_interval: 300 });
    const seen: (number | undefined)[] = [];
    t.client.on("lag", (e) => e.account === "w" && seen.push(e.ms));
    await waitFor(() => t.client.lag("w") !== undefined, { message: "the first lag" });
    const first = t.client.lag("w")!;
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(5000);
    // And again, every ping_interval (counted on the wire: the lag is told only when it changes).
    let pings = 0;
    t.client.on("xml", (x) => x.account === "w" && x.direction === "out" && x.text.includes("urn:xmpp:ping") && pings++);
    await waitFor(() => pings >= 2, { timeout: 10_000, message: "two more pings" });
    await t.client.engine.get("w").disconnect();
    await waitFor(() => t.client.lag("w") === undefined, { message: "the lag forgotten offline" });
    expect(seen.at(-1)).toBeUndefined();
  });

  test("an account connecting while idle starts auto-away, with XEP-0319 idle unless send_idle is off", async () => {
    const [a, p] = await Promise.all([server.createAccount(), server.createAccount()]);
    const peer = await startInfoPeer(server, p);
    const t = await client([{ acct: a, name: "w", set: { priority: 4, priority_away: 1 } }], { auto_away: 1, auto_xa: 0 });
    expect(t.events.find((e) => e.event === "own_presence" && e.account === "w")).toMatchObject({ show: "away", priority: 1, auto: true, status: "Idle" });
    await subscribeBoth(t, "w", peer);
    const me = t.engine.get("w").state.boundJid!;
    const seen = peer.events.filter(presenceFrom(me)).at(-1)!;
    expect(seen).toMatchObject({ show: "away", priority: 1, status: "Idle", idle_since: expect.stringMatching(/Z$/) });

    t.config.setSetting("send_idle", "false");
    const mark = peer.events.length;
    await t.command("/priority -a w 2 away");
    expect(await peer.waitEvent(presenceFrom(me), mark)).toMatchObject({ show: "away", priority: 2, idle_since: null });
  });

  test("own resources: two jabterm accounts of one JID, and which one wins bare-JID messages", async () => {
    const [a, p] = await Promise.all([server.createAccount(), server.createAccount()]);
    const peer = await startInfoPeer(server, p);
    const t = await client([
      { acct: a, name: "one", set: { resource: "r1", priority: 5 } },
      { acct: a, name: "two", set: { resource: "r2", priority: 3 } },
    ]);
    for (const name of ["one", "two"]) await waitFor(() => Object.keys(t.store.account(name).presence[a.jid] ?? {}).length === 2, { message: `${name} sees both resources` });
    const res = await t.command("/resources -a one");
    expect(res.data).toMatchObject({ jid: a.jid, self: `${a.jid}/r1`, winners: ["r1"], resources: [{ resource: "r1", priority: 5 }, { resource: "r2", priority: 3 }] });
    expect(res.output[0]).toBe(`${a.jid} on one: 2 resources online; messages to ${a.jid} go to r1`);
    expect(res.output[1]).toMatch(/^\* r1: online, priority 5, jabterm .*\[this one, gets bare-JID messages\]$/);

    // messages delivered to each account as such (a carbon copy has no body of its own)
    const direct: { account: string; body: string }[] = [];
    t.engine.on("stanza", ({ account, stanza }) => {
      const body = stanza.name === "message" ? stanza.getChildText("body") : null;
      if (body !== null) direct.push({ account, body });
    });
    const got = (account: string, body: string) => waitFor(() => direct.find((m) => m.account === account && m.body === body), { message: `${body} on ${account}` });
    await peer.send(a.jid, "first");
    await got("one", "first");

    // r2 raises its priority: it wins, as both accounts see, and Prosody agrees
    await t.command("/priority -a two 8");
    for (const name of ["one", "two"]) await waitFor(() => t.store.account(name).presence[a.jid]?.r2?.priority === 8, { message: `${name} sees r2 at 8` });
    expect((await t.command("/resources -a one")).data).toMatchObject({ winners: ["r2"] });
    await peer.send(a.jid, "second");
    await got("two", "second");
    await peer.send(`${a.jid}/r1`, "direct to r1");
    await got("one", "direct to r1");
    expect(direct.filter((m) => m.body === "first" || m.body === "second")).toEqual([
      { account: "one", body: "first" },
      { account: "two", body: "second" },
    ]);

    // a tie: both get it
    await t.command("/priority -a one 8");
    await waitFor(() => t.store.account("two").presence[a.jid]?.r1?.priority === 8);
    expect((await t.command("/resources -a two")).data).toMatchObject({ winners: ["r1", "r2"] });

    // all negative: nobody
    await t.command("/priority -a one -1");
    await t.command("/priority -a two -2");
    await waitFor(() => t.store.account("one").presence[a.jid]?.r2?.priority === -2 && t.store.account("one").presence[a.jid]?.r1?.priority === -1);
    const none = await t.command("/resources -a one");
    expect(none.data).toMatchObject({ winners: [] });
    expect(none.output[0]).toMatch(/reach none of them \(all priorities negative\)/);
  });

  test("directed presence reaches only its target and leaves our own presence alone", async () => {
    const [a, p1, p2] = await Promise.all([server.createAccount(), server.createAccount(), server.createAccount()]);
    const [peer1, peer2] = await Promise.all([startInfoPeer(server, p1), startInfoPeer(server, p2)]);
    const t = await client([{ acct: a, name: "w", set: { priority_dnd: 4 } }]);
    await subscribeBoth(t, "w", peer1);
    await subscribeBoth(t, "w", peer2);
    const me = t.engine.get("w").state.boundJid!;
    const m1 = peer1.events.length;
    const m2 = peer2.events.length;
    const ev = t.events.length;

    const r = await t.command(`/status -a w --to ${peer1.jid} dnd only for you`);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(await peer1.waitEvent(presenceFrom(me), m1)).toMatchObject({ show: "dnd", status: "only for you", priority: 4 });
    await t.command(`/status -a w --to ${peer2.jid} xa marker`);
    await peer2.waitEvent(presenceFrom(me, (e) => e.status === "marker"), m2);
    expect(peer2.events.slice(m2).filter(presenceFrom(me))).toHaveLength(1);
    expect(t.store.account("w").own.show).toBe("online");
    expect(t.events.slice(ev).some((e) => e.event === "own_presence")).toBe(false);

    await t.command(`/status -a w --to ${peer1.jid} unavailable`);
    await peer1.waitEvent(presenceFrom(me, (e) => e.type === "unavailable"), m1);
  });

  test("version, time, last activity and disco#info answered to slixmpp; the privacy switches turn them off", async () => {
    const [a, p] = await Promise.all([server.createAccount(), server.createAccount()]);
    const peer = await startInfoPeer(server, p);
    const t = await client([{ acct: a, name: "w" }]);
    const me = t.engine.get("w").state.boundJid!;

    expect(await peer.query("version", me)).toMatchObject({ ok: true, name: "jabterm", version: packageVersion(), os: null });
    t.config.setSetting("version_reveals_os", "true");
    expect((await peer.query("version", me)).os).toMatch(/\S/);

    const time = await peer.query("time", me);
    expect(time).toMatchObject({ ok: true, tzo: expect.stringMatching(/^[+-]\d\d:\d\d$/) });
    expect(Math.abs(Date.parse(time.utc) - Date.now())).toBeLessThan(60_000);

    t.client.noteActivity();
    const last = await peer.query("last", me);
    expect(last).toMatchObject({ ok: true });
    expect(last.seconds).toBeGreaterThanOrEqual(0);
    expect(last.seconds).toBeLessThan(30);

    const ver = t.client.disco.ver;
    const disco = await peer.query("disco", me, { node: `${CAPS_NODE}#${ver}` });
    expect(disco).toMatchObject({ ok: true, identities: [["client", "console", "jabterm"]] });
    expect(disco.features).toEqual(expect.arrayContaining(["jabber:iq:version", "urn:xmpp:time", "jabber:iq:last", "urn:xmpp:idle:1", "http://jabber.org/protocol/caps"]));

    t.config.setSetting("answer_version", "false");
    expect(await peer.query("version", me)).toMatchObject({ ok: false, condition: "service-unavailable" });
    t.config.setSetting("answer_last_activity", "false");
    expect(await peer.query("last", me)).toMatchObject({ ok: false, condition: "service-unavailable" });
    // time has no switch
    expect(await peer.query("time", me)).toMatchObject({ ok: true });
  });

  test("caps: the client name from a verified disco#info, cached by ver; a ver that does not verify is not", async () => {
    const [a, c] = await Promise.all([server.createAccount(), server.createAccount()]);
    const first = await startInfoPeer(server, c, { resource: "one", name: "CapsBot" });
    const t = await client([{ acct: a, name: "w" }]);
    await subscribeBoth(t, "w", first);
    // the round trip: jabterm asks for node#ver, verifies, then tells the hosts
    await first.waitEvent((e) => e.event === "disco_answered" && e.to === t.engine.get("w").state.boundJid && String(e.node).includes("#"));
    const ev = await t.waitEvent((e) => e.event === "presence" && e.from === first.jid && (e.client as { name?: string } | undefined)?.name === "CapsBot");
    expect(ev).toMatchObject({ account: "w", available: true });
    const stored = t.store.account("w").presence[c.jid]!.one!;
    expect(stored).toMatchObject({ client: { name: "CapsBot" }, clientSource: "caps", caps: { hash: "sha-1" } });
    const cacheFile = path.join(t.paths.dataDir, "caps.json");
    await waitFor(() => fs.existsSync(cacheFile));
    expect(fs.readFileSync(cacheFile, "utf8")).toContain(stored.caps!.ver);

    // the same software on another resource: known at once from the cache
    const mark = t.events.length;
    const second = await startInfoPeer(server, c, { resource: "two", name: "CapsBot" });
    const firstEvent = await t.waitEvent((e) => e.event === "presence" && e.from === second.jid, { after: mark });
    expect(firstEvent.client).toEqual({ name: "CapsBot" });
    expect(second.events.some((e) => e.event === "disco_answered")).toBe(false);

    // caps that do not hash to their ver: queried, refused, not cached, no client name
    const m2 = second.events.length;
    second.cmd({ cmd: "fake_caps", ver: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", node: "https://example.invalid/fake" });
    await second.waitEvent((e) => e.event === "disco_answered" && String(e.node).endsWith("#AAAAAAAAAAAAAAAAAAAAAAAAAAA="), m2);
    // anything the peer sends after its answer arrives after it: the verification is done then
    await second.send(a.jid, "after the answer");
    await t.waitEvent((e) => e.event === "message" && e.body === "after the answer");
    const faked = t.store.account("w").presence[c.jid]!.two!;
    expect(faked.caps?.ver).toBe("AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    expect(faked.client).toBeUndefined();
    expect(fs.readFileSync(cacheFile, "utf8")).not.toContain("AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  });
});
