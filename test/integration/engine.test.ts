/**
 * The connection engine against a real Prosody: several accounts at once, every transport, the
 * TLS policy, authentication failures, STARTTLS stripping, backoff and stream resumption.
 */
import net from "node:net";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { Account, backoffDelay } from "../../src/core/xmpp/account.js";
import { chat, serverKeys, tempEngine } from "../helpers/engine.js";
import { peerAvailable, startPeer } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";
import { startStripProxy } from "../helpers/strip-starttls-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

const run = prosodyAvailable() ? describe : describe.skip;

run("connection engine against Prosody", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  test.runIf(peerAvailable())("two accounts online at once exchange messages with a third-party client", async () => {
    const [a, b, c] = await Promise.all([server.createAccount(), server.createAccount(), server.createAccount()]);
    const t = tempEngine([
      { jid: a.jid, name: "work", set: serverKeys(server, a.password) },
      { jid: b.jid, name: "home", set: { ...serverKeys(server, b.password), transport: "tls", port: server.directTlsPort } },
    ]);
    const peer = await startPeer({ jid: c.jid, password: c.password, port: server.c2sPort, caFile: server.caFile });
    try {
      t.engine.connectEnabled();
      await t.waitState("work", (s) => s.status === "online");
      await t.waitState("home", (s) => s.status === "online");
      expect(t.engine.accounts().every((x) => x.online)).toBe(true);

      await t.engine.get("work").send(chat(c.jid, "from work"));
      await t.engine.get("home").send(chat(c.jid, "from home"));
      const m1 = await peer.nextMessage((m) => m.body === "from work");
      const m2 = await peer.nextMessage((m) => m.body === "from home");
      expect(m1.from.startsWith(`${a.jid}/`)).toBe(true);
      expect(m2.from.startsWith(`${b.jid}/`)).toBe(true);

      const [workResource, homeResource] = [t.engine.get("work").state.boundJid!, t.engine.get("home").state.boundJid!];
      await peer.send(workResource, "to work");
      await peer.send(homeResource, "to home");
      const inWork = await t.waitMessage("work", (el) => el.getChildText("body") === "to work");
      const inHome = await t.waitMessage("home", (el) => el.getChildText("body") === "to home");
      expect(inWork.attrs.from?.startsWith(c.jid)).toBe(true);
      expect(inHome.attrs.from?.startsWith(c.jid)).toBe(true);
      // each message reached only the account it was sent to
      expect(t.stanzas.filter((s) => s.stanza.getChildText("body") === "to work").map((s) => s.account)).toEqual(["work"]);
    } finally {
      await peer.stop();
      await t.close();
    }
  });

  // Prosody 0.12 with hashed storage keeps SCRAM-SHA-1 keys only; the SHA-256 case runs against a
  // second server that stores plain passwords and so offers every SCRAM variant.
  for (const [mechanism, plainStore] of [["SCRAM-SHA-1", false], ["PLAIN", false], ["SCRAM-SHA-256", true]] as const) {
    test(`logs in with ${mechanism} (node:crypto SCRAM, server signature verified)`, async () => {
      const srv = plainStore ? await startProsody({ extraConfig: 'authentication = "internal_plain"', websocket: false, directTls: false }) : server;
      const u = await srv.createAccount();
      const acct = new Account(
        { name: "m", jid: u.jid, resource: "m", priority: 0, transport: "starttls", host: "127.0.0.1", port: srv.c2sPort, caFile: srv.caFile, allowPlaintext: false, password: u.password, mechanisms: [mechanism] },
        { reconnectMinDelay: 100, reconnectMaxDelay: 100, limits: { maxStanzaSize: 1 << 20, maxDepth: 64 }, timeout: 5000 },
      );
      try {
        await acct.connect();
        expect(acct.state).toMatchObject({ status: "online", mechanism });
        // and a wrong password with the same mechanism is refused
        const wrong = new Account({ ...acct.settings, password: "wrong", resource: "w" }, { reconnectMinDelay: 100, reconnectMaxDelay: 100, limits: { maxStanzaSize: 1 << 20, maxDepth: 64 }, timeout: 5000 });
        await wrong.connect();
        expect(wrong.state.error?.code).toBe("auth");
      } finally {
        await acct.disconnect();
        if (plainStore) await srv.cleanup();
      }
    });
  }

  test("two resources of one JID are two accounts, online together", async () => {
    const u = await server.createAccount();
    const t = tempEngine([
      { jid: u.jid, name: "laptop", set: { ...serverKeys(server, u.password), resource: "laptop", priority: 5 } },
      { jid: u.jid, name: "phone", set: { ...serverKeys(server, u.password), resource: "phone", priority: -1 } },
    ]);
    try {
      t.engine.connectEnabled();
      const laptop = await t.waitState("laptop", (s) => s.status === "online");
      const phone = await t.waitState("phone", (s) => s.status === "online");
      expect(laptop.boundJid).toBe(`${u.jid}/laptop`);
      expect(phone.boundJid).toBe(`${u.jid}/phone`);
      expect(t.engine.find(u.jid)?.name).toBe("laptop"); // by JID: the first in configuration order
    } finally {
      await t.close();
    }
  });

  test("WebSocket (wss://) login verifies the certificate too", async () => {
    const u = await server.createAccount();
    const url = `wss://localhost:${server.httpsPort}/xmpp-websocket`;
    const t = tempEngine([
      { jid: u.jid, name: "ws", set: { transport: "websocket", url, ca_file: server.caFile, password: u.password } },
      { jid: u.jid, name: "ws-untrusted", set: { transport: "websocket", url, password: u.password, resource: "other" } },
    ]);
    try {
      await t.engine.get("ws").connect();
      expect(t.engine.get("ws").state).toMatchObject({ status: "online", boundJid: `${u.jid}/jabterm` });
      await t.engine.get("ws-untrusted").connect();
      const err = await t.waitState("ws-untrusted", (s) => s.status === "error");
      expect(err.error?.code).toBe("tls");
      expect(err.error?.text).toContain(server.fingerprint);
    } finally {
      await t.close();
    }
  });

  test("a burst over WebSocket arrives whole and in order while parsing is paced (the socket paused between turns)", async () => {
    const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const url = `wss://localhost:${server.httpsPort}/xmpp-websocket`;
    const t = tempEngine([
      { jid: a.jid, name: "ws", set: { transport: "websocket", url, ca_file: server.caFile, password: a.password } },
      { jid: b.jid, name: "tcp", set: { host: "127.0.0.1", port: server.c2sPort, ca_file: server.caFile, password: b.password } },
    ]);
    try {
      await Promise.all([t.engine.get("ws").connect(), t.engine.get("tcp").connect()]);
      const to = t.engine.get("ws").state.boundJid!;
      const N = 3000;
      await Promise.all(Array.from({ length: N }, (_, i) => t.engine.get("tcp").send(chat(to, `burst ${i} ${"x".repeat(100)}`, `b${i}`))));
      const got = () => t.stanzas.filter((s) => s.account === "ws" && s.stanza.name === "message" && s.stanza.attrs.id?.startsWith("b"));
      await waitFor(() => got().length >= N, { timeout: 30_000, message: "the whole burst" });
      expect(got().map((s) => s.stanza.attrs.id)).toEqual(Array.from({ length: N }, (_, i) => `b${i}`));
      expect(t.engine.get("ws").state.status).toBe("online");
    } finally {
      await t.close();
    }
  });

  test("a certificate is refused without its CA, accepted with ca_file, and with the pin alone", async () => {
    const u = await server.createAccount();
    const base = { host: "127.0.0.1", port: server.c2sPort, password: u.password };
    const t = tempEngine([
      { jid: u.jid, name: "nothing", set: { ...base, resource: "r1" } },
      { jid: u.jid, name: "ca", set: { ...base, resource: "r2", ca_file: server.caFile } },
      { jid: u.jid, name: "pin", set: { ...base, resource: "r3", fingerprint: server.fingerprint.replace(/:/g, "").toLowerCase() } },
      { jid: u.jid, name: "wrongpin", set: { ...base, resource: "r4", fingerprint: "AB".repeat(32) } },
    ]);
    try {
      t.engine.connectEnabled();
      const refused = await t.waitState("nothing", (s) => s.status === "error");
      expect(refused.error?.code).toBe("tls");
      expect(refused.error?.text).toContain(server.fingerprint);
      expect(refused.error?.text).toContain(`/account set nothing fingerprint ${server.fingerprint}`);
      expect(refused.retryIn).toBeUndefined();
      await t.waitState("ca", (s) => s.status === "online");
      await t.waitState("pin", (s) => s.status === "online");
      const mismatch = await t.waitState("wrongpin", (s) => s.status === "error");
      expect(mismatch.error?.text).toMatch(/does not match the pinned fingerprint/);
      expect(mismatch.error?.fingerprint).toBe(server.fingerprint);
    } finally {
      await t.close();
    }
  });

  test("a wrong password is a clear error and does not reconnect", async () => {
    const u = await server.createAccount();
    const t = tempEngine([{ jid: u.jid, name: "bad", set: serverKeys(server, "not-the-password") }]);
    try {
      await t.engine.get("bad").connect();
      const s = t.engine.get("bad").state;
      expect(s.status).toBe("error");
      expect(s.error?.code).toBe("auth");
      expect(s.error?.text).toMatch(/wrong password|not-authorized/);
      expect(s.retryIn).toBeUndefined();
      expect(t.engine.get("bad").retryScheduled).toBe(false);
      expect(t.states.filter((x) => x.status === "connecting")).toHaveLength(1);
      expect(JSON.stringify(t.states)).not.toContain("not-the-password");
    } finally {
      await t.close();
    }
  });

  test("a server whose STARTTLS offer was stripped is refused before any authentication", async () => {
    const u = await server.createAccount();
    const proxy = await startStripProxy(server.c2sPort);
    const t = tempEngine([{ jid: u.jid, name: "mitm", set: { ...serverKeys(server, u.password), port: proxy.port } }]);
    try {
      await t.engine.get("mitm").connect();
      const s = t.engine.get("mitm").state;
      expect(s.status).toBe("error");
      expect(s.error?.code).toBe("tls");
      expect(s.error?.text).toMatch(/did not offer STARTTLS/);
      const sent = proxy.sawClientData();
      expect(sent).toContain("<stream:stream");
      expect(sent).not.toContain("<auth");
      expect(sent).not.toContain(Buffer.from(u.password).toString("base64"));
    } finally {
      await t.close();
      await proxy.close();
    }
  });

  test("reconnect delays back off exponentially with bounded jitter", async () => {
    // A port nobody listens on: every attempt is refused at once.
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const u = await server.createAccount();
    const t = tempEngine([{ jid: u.jid, name: "down", set: { ...serverKeys(server, u.password), port: closed } }], { reconnect_min_delay: 40, reconnect_max_delay: 200 });
    try {
      void t.engine.get("down").connect();
      await waitFor(() => t.states.filter((s) => s.retryIn !== undefined).length >= 5, { timeout: 10_000 });
      const delays = t.states.filter((s) => s.retryIn !== undefined).map((s) => s.retryIn!);
      delays.slice(0, 5).forEach((d, n) => {
        const cap = Math.min(200, 40 * 2 ** n);
        expect(d).toBeGreaterThanOrEqual(cap / 2);
        expect(d).toBeLessThanOrEqual(cap);
      });
      const err = t.states.find((s) => s.retryIn !== undefined)!.error!;
      expect(err.code).toBe("connection");
      await t.engine.get("down").disconnect();
      expect(t.engine.get("down").retryScheduled).toBe(false);
      expect(t.engine.get("down").state.status).toBe("offline");
    } finally {
      await t.close();
    }
    expect(backoffDelay(40, 1000, 300_000, () => 1)).toBe(300_000);
  });

  test.runIf(peerAvailable())("a cut socket resumes the stream (XEP-0198) and loses nothing", async () => {
    const [u, p] = await Promise.all([server.createAccount(), server.createAccount()]);
    const t = tempEngine([{ jid: u.jid, name: "sm", set: serverKeys(server, u.password) }]);
    const peer = await startPeer({ jid: p.jid, password: p.password, port: server.c2sPort, caFile: server.caFile });
    try {
      const acct = t.engine.get("sm");
      await acct.connect();
      await waitFor(() => acct.session?.streamManagementEnabled, { message: "stream management enabled" });
      acct.dropConnection();
      const resumed = await t.waitState("sm", (s) => s.status === "online" && s.resumed === true);
      expect(resumed.boundJid).toBe(t.states.find((s) => s.status === "online")!.boundJid);
      await acct.send(chat(p.jid, "after resume"));
      const m = await peer.nextMessage((x) => x.body === "after resume");
      expect(m.from).toBe(resumed.boundJid);
      // and the peer's message to us after resumption arrives once
      await peer.send(resumed.boundJid!, "welcome back");
      await t.waitMessage("sm", (el) => el.getChildText("body") === "welcome back");
      expect(t.stanzas.filter((s) => s.stanza.getChildText("body") === "welcome back")).toHaveLength(1);
    } finally {
      await peer.stop();
      await t.close();
    }
  });
});

describe("hostile servers", () => {
  /** A fake server that opens a stream and then sends `payload`; counts connections. */
  async function fakeServer(payload: string) {
    let connections = 0;
    let received = "";
    const srv = net.createServer((sock) => {
      connections++;
      sock.on("error", () => {});
      sock.on("data", (d) => (received += d.toString()));
      sock.once("data", () => {
        sock.write(
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' from='localhost' version='1.0'>" + payload,
        );
      });
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    return { port: (srv.address() as net.AddressInfo).port, connections: () => connections, received: () => received, close: () => new Promise<void>((r) => srv.close(() => r())) };
  }

  for (const [what, payload, condition] of [
    ["an illegal character reference", "<message><body>&#27;]2;owned&#7;</body></message>", "not-well-formed"],
    ["an unknown entity", "<message><body>&xxe;</body></message>", "not-well-formed"],
    ["a DOCTYPE", "<!DOCTYPE foo [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>", "restricted-xml"],
  ] as const) {
    test(`${what} closes the stream and reconnects instead of crashing`, async () => {
      const fake = await fakeServer(payload);
      const t = tempEngine([{ jid: "x@localhost", name: "h", set: { host: "127.0.0.1", port: fake.port, allow_plaintext: true, password: "p" } }]);
      try {
        void t.engine.get("h").connect();
        const s = await t.waitState("h", (x) => x.retryIn !== undefined);
        expect(s.error).toMatchObject({ code: "stream", condition });
        await waitFor(() => fake.connections() >= 2, { message: "a second connection attempt" });
        // the client closed the stream with a stream error before hanging up
        expect(fake.received()).toMatch(/<stream:error><bad-format xmlns=["']urn:ietf:params:xml:ns:xmpp-streams["']\/><\/stream:error>/);
      } finally {
        await t.close();
        await fake.close();
      }
    });
  }
});
