/**
 * Roster, subscriptions, nicknames and blocking against a real Prosody, driven through jabterm's
 * commands as a user (or a headless script) would, with slixmpp (test/helpers/roster_peer.py) as
 * the third-party client wherever the behaviour is about interoperability.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { StanzaError } from "../../src/core/errors.js";
import { rosterCachePath } from "../../src/core/xmpp/features/roster-cache.js";
import { rosterFeature } from "../../src/core/xmpp/features/roster.js";
import { xml } from "../../src/core/xmpp/transport/xml.js";
import { serverKeys, tempClient } from "../helpers/engine.js";
import { PEER_PYTHON, peerAvailable } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyAccount, type ProsodyServer } from "../helpers/prosody.js";
import { LineReader, waitFor } from "../helpers/wait-for.js";

const ROSTER_PEER = path.join(path.dirname(fileURLToPath(import.meta.url)), "../helpers/roster_peer.py");

interface PeerEvent {
  event: string;
  [key: string]: unknown;
}

/** slixmpp through roster_peer.py: JSON commands in, JSON events out. */
async function startRosterPeer(server: ProsodyServer, acct: ProsodyAccount, opts: { autoAuthorize?: "true" | "false" | "none"; autoSubscribe?: boolean } = {}) {
  const child: ChildProcess = spawn(
    PEER_PYTHON,
    [
      "-u",
      ROSTER_PEER,
      `--jid=${acct.jid}`,
      `--password=${acct.password}`,
      `--port=${server.c2sPort}`,
      `--ca=${server.caFile}`,
      `--auto-authorize=${opts.autoAuthorize ?? "true"}`,
      `--auto-subscribe=${opts.autoSubscribe === false ? "false" : "true"}`,
    ],
    { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } },
  );
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin!.on("error", () => undefined);
  const reader = new LineReader(child.stdout!);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const parse = (line: string): PeerEvent | undefined => {
    try {
      return JSON.parse(line) as PeerEvent;
    } catch {
      return undefined;
    }
  };
  const next = async (pred: (e: PeerEvent) => boolean, timeout = 10_000): Promise<PeerEvent> => {
    try {
      return parse(await reader.next((line) => {
        const e = parse(line);
        return e !== undefined && pred(e);
      }, timeout))!;
    } catch (err) {
      throw new Error(`roster peer ${acct.jid}: ${(err as Error).message}\nstderr:\n${stderr}`);
    }
  };
  const online = await next((e) => e.event === "online" || e.event === "error", 15_000);
  if (online.event !== "online") {
    child.kill("SIGKILL");
    throw new Error(`roster peer did not come online: ${JSON.stringify(online)}\n${stderr}`);
  }
  const peer = {
    jid: acct.jid,
    next,
    /** Run a command and wait for its "done" (or fail on its error). */
    async run(cmd: Record<string, unknown>): Promise<PeerEvent> {
      child.stdin!.write(JSON.stringify(cmd) + "\n");
      const ev = await next((e) => (e.event === "done" || e.event === "error") && (e.cmd === cmd.cmd || e.event === "error"));
      if (ev.event !== "done") throw new Error(`roster peer command ${JSON.stringify(cmd)} failed: ${JSON.stringify(ev)}`);
      return ev;
    },
    async stop() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return peer;
}

const run = prosodyAvailable() ? describe : describe.skip;
const withPeer = prosodyAvailable() && peerAvailable() ? test : test.skip;

run("roster, subscriptions, nicknames and blocking against Prosody", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody({ websocket: false, directTls: false });
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  /** A jabterm client for one new (or given) account, connected, its roster fetched. */
  async function client(acct?: ProsodyAccount, name = "me", resource?: string) {
    const a = acct ?? (await server.createAccount());
    const t = tempClient([{ jid: a.jid, name, set: { ...serverKeys(server, a.password), ...(resource ? { resource } : {}) } }]);
    // Bodies of every message stanza that reached the account (recorded from the start).
    const bodies: string[] = [];
    t.engine.on("stanza", ({ stanza }) => {
      const body = stanza.name === "message" ? stanza.getChildText("body") : null;
      if (body !== null) bodies.push(body);
    });
    await t.connectAll();
    await t.waitEvent((e) => e.event === "roster_loaded" && e.account === name);
    await t.waitEvent((e) => e.event === "blocklist" && e.account === name && e.change === "loaded");
    return { ...t, acct: a, name, bodies };
  }

  const ok = async (t: { command(line: string): Promise<{ ok: boolean; error?: unknown; output: string[]; data?: unknown }> }, line: string) => {
    const r = await t.command(line);
    if (!r.ok) throw new Error(`${line} failed: ${JSON.stringify(r.error)}`);
    return r;
  };

  test("fetches the roster, and /roster add, name and group add/move/remove come back as pushes (store, events, other devices)", async () => {
    const t = await client();
    const bob = "bob@localhost";
    try {
      expect(t.events.find((e) => e.event === "roster_loaded")).toMatchObject({ account: "me", count: 0, source: "server", requested_ver: "" });
      const added = await ok(t, `/roster add -g Friends ${bob} Bob`);
      expect(added.output).toEqual([`added ${bob} (Bob) in the roster of me`]);
      await waitFor(() => t.store.account("me").roster.items[bob]);
      expect(t.store.account("me").roster.items[bob]).toEqual({ jid: bob, name: "Bob", groups: ["Friends"], subscription: "none" });
      expect(t.events.find((e) => e.event === "roster" && e.jid === bob)).toMatchObject({ account: "me", name: "Bob", groups: ["Friends"], subscription: "none" });

      const mark = t.events.length;
      await ok(t, `/roster name ${bob} Robert "Bob" Smith`);
      await waitFor(() => t.store.account("me").roster.items[bob]?.name === 'Robert "Bob" Smith');
      await ok(t, `/roster group add ${bob} Work mates`);
      await waitFor(() => t.store.account("me").roster.items[bob]?.groups.includes("Work mates"));
      await ok(t, `/roster group move ${bob} Friends Chess club`);
      await waitFor(() => t.store.account("me").roster.items[bob]?.groups.includes("Chess club"));
      expect([...t.store.account("me").roster.items[bob]!.groups].sort()).toEqual(["Chess club", "Work mates"]);
      await ok(t, `/roster group remove ${bob} Work mates`);
      await waitFor(() => t.store.account("me").roster.items[bob]?.groups.length === 1);
      expect(t.store.account("me").roster.items[bob]).toMatchObject({ name: 'Robert "Bob" Smith', groups: ["Chess club"] });
      const pushes = t.events.slice(mark).filter((e) => e.event === "roster" && e.jid === bob);
      expect(pushes.map((e) => [e.name, [...(e.groups as string[])].sort()])).toEqual([
        ['Robert "Bob" Smith', ["Friends"]],
        ['Robert "Bob" Smith', ["Friends", "Work mates"]],
        ['Robert "Bob" Smith', ["Chess club", "Work mates"]],
        ['Robert "Bob" Smith', ["Chess club"]],
      ]);

      const list = await ok(t, "/roster");
      expect(list.output).toEqual([`Robert "Bob" Smith <${bob}>  [Chess club]  none`]);
      expect(list.data).toMatchObject({ account: "me", loaded: true, items: [{ jid: bob, display: 'Robert "Bob" Smith', groups: ["Chess club"], subscription: "none" }] });

      // another device of the account fetches the same roster
      const other = await client(t.acct, "me", "second-device");
      try {
        expect(other.store.account("me").roster.items[bob]).toMatchObject({ name: 'Robert "Bob" Smith', groups: ["Chess club"] });
        await ok(t, `/roster remove ${bob}`);
        await waitFor(() => !(bob in other.store.account("me").roster.items), { message: "the removal pushed to the other device" });
        expect(other.events.find((e) => e.event === "roster" && e.removed)).toMatchObject({ jid: bob, subscription: "remove" });
      } finally {
        await other.close();
      }
      expect(t.store.account("me").roster.items).toEqual({});

      // errors are reported, not thrown: ours (not in the roster) and the server's (own JID)
      const notThere = await t.command(`/roster name nobody@localhost X`);
      expect(notThere).toMatchObject({ ok: false, error: { code: "usage", text: "nobody@localhost is not in the roster of me (see /roster)" } });
      const refused = await t.command(`/roster add ${t.acct.jid}`);
      expect(refused.ok).toBe(false);
      expect(refused.error).toMatchObject({ code: "stanza", condition: "not-allowed" });
      expect((refused.error as { text: string }).text).toMatch(/^could not update .* in the roster: the server answered not-allowed/);
    } finally {
      await t.close();
    }
  });

  test("roster versioning: a second login with the cache sends its ver and gets an empty result; a stale cache gets the full roster", async () => {
    const first = await client();
    let cacheText: string;
    try {
      await ok(first, "/roster add alpha@localhost Alpha");
      await ok(first, "/roster add beta@localhost Beta");
      await waitFor(() => Object.keys(first.store.account("me").roster.items).length === 2);
      await rosterFeature(first.client).flushCache();
      cacheText = fs.readFileSync(rosterCachePath(first.paths.dataDir, "me"), "utf8");
    } finally {
      await first.close();
    }
    const cached = JSON.parse(cacheText) as { jid: string; ver: string; items: { jid: string }[] };
    expect(cached.jid).toBe(first.acct.jid);
    expect(cached.ver).toMatch(/\S/);
    expect(cached.items.map((i) => i.jid).sort()).toEqual(["alpha@localhost", "beta@localhost"]);

    const withCache = (acct: ProsodyAccount) => {
      const t = tempClient([{ jid: acct.jid, name: "me", set: serverKeys(server, acct.password) }]);
      const file = rosterCachePath(t.paths.dataDir, "me");
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, cacheText, { mode: 0o600 });
      return t;
    };

    const second = withCache(first.acct);
    try {
      await second.connectAll();
      const loaded = await second.waitEvent((e) => e.event === "roster_loaded");
      // the server answered our ver with an empty result: the cache is current
      expect(loaded).toMatchObject({ source: "cache", requested_ver: cached.ver, ver: cached.ver, count: 2 });
      expect(second.store.account("me").roster).toMatchObject({ loaded: true, ver: cached.ver });
      expect(second.store.account("me").roster.items["alpha@localhost"]).toMatchObject({ name: "Alpha" });
      expect(second.store.account("me").roster.items["beta@localhost"]).toMatchObject({ name: "Beta" });
      // a change now moves the version on
      await ok(second, "/roster add gamma@localhost Gamma");
      await waitFor(() => second.store.account("me").roster.ver !== cached.ver);
    } finally {
      await second.close();
    }

    // the old cache is now stale: the server sends the whole roster, gamma included
    const third = withCache(first.acct);
    try {
      await third.connectAll();
      const loaded = await third.waitEvent((e) => e.event === "roster_loaded");
      expect(loaded).toMatchObject({ source: "server", requested_ver: cached.ver, count: 3 });
      expect(Object.keys(third.store.account("me").roster.items).sort()).toEqual(["alpha@localhost", "beta@localhost", "gamma@localhost"]);
    } finally {
      await third.close();
    }
  });

  test("a roster push forged by another account is answered with an error and changes nothing", async () => {
    const victim = await client(undefined, "victim");
    const attacker = await client(undefined, "attacker");
    try {
      await ok(victim, "/roster add friend@localhost Friend");
      await waitFor(() => victim.store.account("victim").roster.items["friend@localhost"]);
      const before = victim.store.account("victim").roster;
      const eventsBefore = victim.events.length;
      const forged = xml("query", { xmlns: "jabber:iq:roster" }, xml("item", { jid: "evil@localhost", name: "evil" }));
      const err = await attacker.engine
        .get("attacker")
        .request("set", forged, victim.engine.get("victim").state.boundJid!)
        .then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StanzaError);
      expect((err as StanzaError).condition).toBe("service-unavailable");
      // the same for a forged removal
      const removal = xml("query", { xmlns: "jabber:iq:roster" }, xml("item", { jid: "friend@localhost", subscription: "remove" }));
      await expect(attacker.engine.get("attacker").request("set", removal, victim.engine.get("victim").state.boundJid!)).rejects.toThrow(/service-unavailable/);
      expect(victim.store.account("victim").roster).toBe(before);
      expect(victim.events.slice(eventsBefore).filter((e) => e.event === "roster")).toEqual([]);
      expect(victim.store.account("victim").roster.items).not.toHaveProperty("evil@localhost");
    } finally {
      await attacker.close();
      await victim.close();
    }
  });

  withPeer("slixmpp asks to see our presence: the request (with its XEP-0172 nick) waits in /requests until /sub allow", async () => {
    const t = await client();
    const peerAcct = await server.createAccount();
    const peer = await startRosterPeer(server, peerAcct, { autoAuthorize: "none" });
    try {
      await peer.run({ cmd: "subscribe", to: t.acct.jid, nick: "Pat the Peer", status: "hi, it's Pat" });
      const req = await t.waitEvent((e) => e.event === "subscription_request");
      expect(req).toEqual({ event: "subscription_request", account: "me", jid: peerAcct.jid, nick: "Pat the Peer", status: "hi, it's Pat" });
      const pending = await ok(t, "/requests");
      expect(pending.output).toEqual([`${peerAcct.jid} (Pat the Peer): hi, it's Pat`]);
      expect(pending.data).toMatchObject({ account: "me", requests: [{ jid: peerAcct.jid, nick: "Pat the Peer", status: "hi, it's Pat" }] });

      const allowed = await ok(t, `/sub allow ${peerAcct.jid}`);
      expect(allowed.data).toMatchObject({ answered: true });
      await peer.next((e) => e.event === "presence" && e.type === "subscribed" && String(e.from).startsWith(t.acct.jid));
      // the server pushes the contact with subscription "from"; the request's nick names them
      const item = await waitFor(() => {
        const i = t.store.account("me").roster.items[peerAcct.jid];
        return i?.subscription === "from" ? i : undefined;
      });
      expect(item.nick).toBe("Pat the Peer");
      expect((await ok(t, "/roster")).output).toEqual([`Pat the Peer <${peerAcct.jid}>  from`]);
      expect((await ok(t, "/requests")).data).toMatchObject({ requests: [] });
      expect((await peer.run({ cmd: "roster_item", jid: t.acct.jid })).subscription).toBe("to");

      // and a denied request is gone too
      const other = await startRosterPeer(server, await server.createAccount(), { autoAuthorize: "none" });
      try {
        await other.run({ cmd: "subscribe", to: t.acct.jid });
        await t.waitEvent((e) => e.event === "subscription_request" && e.jid === other.jid);
        await ok(t, `/sub deny ${other.jid}`);
        await other.next((e) => e.event === "presence" && e.type === "unsubscribed");
        expect(t.store.account("me").requests).toEqual({});
      } finally {
        await other.stop();
      }
    } finally {
      await peer.stop();
      await t.close();
    }
  });

  withPeer("our /sub request is approved by slixmpp (its defaults approve and ask back); its PEP nick (XEP-0172) reaches the roster", async () => {
    const t = await client();
    const peerAcct = await server.createAccount();
    const peer = await startRosterPeer(server, peerAcct); // slixmpp defaults: auto_authorize, auto_subscribe
    try {
      await ok(t, `/sub request ${peerAcct.jid} please let me see you`);
      const asked = await peer.next((e) => e.event === "presence" && e.type === "subscribe");
      expect(asked.status).toBe("please let me see you");
      const approved = await t.waitEvent((e) => e.event === "subscription" && e.type === "subscribed");
      expect(approved).toMatchObject({ account: "me", jid: peerAcct.jid });
      // slixmpp asks back; we allow, and both see each other
      await t.waitEvent((e) => e.event === "subscription_request" && e.jid === peerAcct.jid);
      await ok(t, `/sub allow ${peerAcct.jid}`);
      await waitFor(() => t.store.account("me").roster.items[peerAcct.jid]?.subscription === "both", { message: "subscription both" });
      expect(t.store.account("me").roster.items[peerAcct.jid]).not.toHaveProperty("ask");

      await peer.run({ cmd: "publish_nick", nick: "Slick Peer" });
      await waitFor(() => t.store.account("me").roster.items[peerAcct.jid]?.nick === "Slick Peer", { message: "the PEP nick in the roster" });
      expect(t.events.find((e) => e.event === "nick")).toMatchObject({ account: "me", jid: peerAcct.jid, nick: "Slick Peer" });
      const list = await ok(t, "/roster list");
      expect(list.output).toEqual([`Slick Peer <${peerAcct.jid}>  both`]);
      // a roster name wins over the nick
      await ok(t, `/roster name ${peerAcct.jid} My Peer`);
      await waitFor(() => t.store.account("me").roster.items[peerAcct.jid]?.name === "My Peer");
      expect((await ok(t, "/roster")).data).toMatchObject({ items: [{ display: "My Peer", nick: "Slick Peer" }] });

      // unsubscribe / cancel reach slixmpp and come back as roster pushes
      await ok(t, `/sub unsubscribe ${peerAcct.jid}`);
      await peer.next((e) => e.event === "presence" && e.type === "unsubscribe");
      await waitFor(() => t.store.account("me").roster.items[peerAcct.jid]?.subscription === "from");
      await ok(t, `/sub cancel ${peerAcct.jid}`);
      await peer.next((e) => e.event === "presence" && e.type === "unsubscribed");
      await waitFor(() => t.store.account("me").roster.items[peerAcct.jid]?.subscription === "none");
    } finally {
      await peer.stop();
      await t.close();
    }
  });

  withPeer("/sub preapprove: slixmpp's later request is approved by the server without asking us", async () => {
    const t = await client();
    const peerAcct = await server.createAccount();
    const peer = await startRosterPeer(server, peerAcct, { autoAuthorize: "none", autoSubscribe: false });
    try {
      const r = await ok(t, `/sub preapprove ${peerAcct.jid}`);
      expect(r.output).toEqual([`pre-approved ${peerAcct.jid}`]);
      await waitFor(() => t.store.account("me").roster.items[peerAcct.jid]?.approved === true, { message: "the pre-approved roster item" });
      expect((await ok(t, "/roster")).output).toEqual([`${peerAcct.jid}  none (pre-approved)`]);

      await peer.run({ cmd: "subscribe", to: t.acct.jid, nick: "Early Bird" });
      await peer.next((e) => e.event === "presence" && e.type === "subscribed" && String(e.from).startsWith(t.acct.jid));
      expect((await peer.run({ cmd: "roster_item", jid: t.acct.jid })).subscription).toBe("to");
      // a message sent after the request arrives after it would have: none came
      await peer.run({ cmd: "send", to: t.acct.jid, body: "barrier" });
      await waitFor(() => t.bodies.includes("barrier"), { message: "the barrier message" });
      expect(t.events.filter((e) => e.event === "subscription_request")).toEqual([]);
      expect(t.store.account("me").requests).toEqual({});
    } finally {
      await peer.stop();
      await t.close();
    }
  });

  withPeer("/block stops a slixmpp peer's messages at the server; /blocked lists it; /unblock restores them", async () => {
    const t = await client();
    const peerAcct = await server.createAccount();
    const peer = await startRosterPeer(server, peerAcct);
    try {
      const blocked = await ok(t, `/block ${peerAcct.jid}`);
      expect(blocked.output).toEqual([`blocked ${peerAcct.jid} on me`]);
      expect(t.events.filter((e) => e.event === "blocklist" && e.change === "block")).toEqual([{ event: "blocklist", account: "me", change: "block", jids: [peerAcct.jid], all: undefined, count: 1 }]);
      expect((await ok(t, "/blocked")).output).toEqual([peerAcct.jid]);

      await peer.run({ cmd: "send", to: t.acct.jid, body: "while blocked" });
      const bounced = await peer.next((e) => e.event === "message_error");
      expect(bounced.condition).toBe("service-unavailable");
      expect(t.bodies).not.toContain("while blocked");

      // a second device sees the block list and gets the unblock push
      const other = await client(t.acct, "me", "second-device");
      try {
        expect(other.store.account("me").blocked).toEqual([peerAcct.jid]);
        await ok(t, `/unblock ${peerAcct.jid}`);
        await waitFor(() => other.store.account("me").blocked.length === 0, { message: "the unblock push on the other device" });
      } finally {
        await other.close();
      }
      expect((await ok(t, "/blocked")).output).toEqual(["nobody is blocked on me"]);
      await peer.run({ cmd: "send", to: t.acct.jid, body: "after unblock" });
      await waitFor(() => t.bodies.includes("after unblock"), { message: "the message after /unblock" });

      // /unblock --all clears everything; a bare /unblock is a usage error
      await ok(t, "/block spam.example");
      await ok(t, `/block ${peerAcct.jid}`);
      expect(t.store.account("me").blocked).toEqual([peerAcct.jid, "spam.example"].sort());
      expect(await t.command("/unblock")).toMatchObject({ ok: false, error: { code: "usage" } });
      await ok(t, "/unblock --all");
      expect(t.store.account("me").blocked).toEqual([]);
      expect(t.events.at(-1)).toMatchObject({ event: "blocklist", change: "unblock", all: true, count: 0 });
    } finally {
      await peer.stop();
      await t.close();
    }
  });
});
