/**
 * One-to-one chat against a real Prosody: resource locking (XEP-0296), carbons (XEP-0280) and
 * forged carbons, corrections (XEP-0308) and forged ones, offline delivery with delays
 * (XEP-0203), receipts (XEP-0184), markers (XEP-0333), chat states (XEP-0085), /me (XEP-0245),
 * normal/headline messages and error replies. The third-party client is slixmpp
 * (test/helpers/chat_peer.py).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { PublishedEvent } from "../../src/core/client.js";
import { xml, type XmlElement } from "../../src/core/xmpp/transport/xml.js";
import { serverKeys, tempClient } from "../helpers/engine.js";
import { startJsonPeer, type JsonPeer, type PeerLine } from "../helpers/json-peer.js";
import { peerAvailable } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";
import { waitFor } from "../helpers/wait-for.js";

const CARBONS = "urn:xmpp:carbons:2";
const FORWARD = "urn:xmpp:forward:0";
const CORRECT = "urn:xmpp:message-correct:0";

// the slixmpp chat peer (test/helpers/chat_peer.py)
type ChatPeer = JsonPeer;
const startChatPeer = (server: ProsodyServer, jid: string, password: string) => startJsonPeer("chat_peer.py", server, jid, password);

// ---------------------------------------------------------------------------------------------

const run = prosodyAvailable() ? describe : describe.skip;
const withPeer = prosodyAvailable() && peerAvailable();

run("one-to-one chat against Prosody", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  const isMsg = (account: string, body: string) => (e: PublishedEvent) => e.event === "message" && e.account === account && e.body === body;

  test.runIf(withPeer)("resource locking (XEP-0296) with a two-resource slixmpp peer: lock, move, unlock, by hand", async () => {
    const [me, c] = await Promise.all([server.createAccount(), server.createAccount()]);
    const t = tempClient([{ jid: me.jid, name: "me", set: serverKeys(server, me.password) }]);
    const stanzas: XmlElement[] = [];
    t.engine.on("stanza", ({ stanza }) => stanzas.push(stanza));
    const one = await startChatPeer(server, `${c.jid}/one`, c.password);
    const two = await startChatPeer(server, `${c.jid}/two`, c.password);
    try {
      await t.connectAll();
      await t.waitEvent((e) => e.event === "carbons"); // the session-start hooks have run
      const ours = t.engine.get("me").state.boundJid!;
      const lock = () => t.store.account("me").conversations[c.jid]?.lock;
      const convEvent = (pred: (e: PublishedEvent) => boolean) => t.waitEvent((e) => e.event === "conversation" && e.peer === c.jid && pred(e), { after: t.events.length });
      // We are not subscribed to c: both resources tell us their presence directly.
      await one.cmd({ cmd: "presence", to: ours });
      await two.cmd({ cmd: "presence", to: ours });
      await waitFor(() => stanzas.filter((s) => s.name === "presence" && s.attrs.from?.startsWith(c.jid)).length >= 2);

      // A message from "two" locks onto it: /msg to the bare JID goes to two only.
      let changed = convEvent((e) => e.lock === "two");
      await two.cmd({ cmd: "send", to: ours, body: "from two" });
      expect(await changed).toMatchObject({ lock: "two", lock_manual: false, reason: "message" });
      expect((await t.command(`/msg ${c.jid} m1`)).data).toMatchObject({ to: `${c.jid}/two` });
      expect((await two.next((e) => e.event === "message" && e.body === "m1")).to).toBe(`${c.jid}/two`);
      await t.command(`/msg ${c.jid}/one fence1`); // sent after m1 on our stream: one would have had m1 first
      await one.next((e) => e.event === "message" && e.body === "fence1");
      expect(one.got("m1")).toBe(false);

      // A presence change of the contact unlocks: back to the bare JID, which reaches "one" too.
      changed = convEvent((e) => e.lock === null);
      await one.cmd({ cmd: "presence", to: ours, show: "away" });
      expect(await changed).toMatchObject({ reason: "presence" });
      expect((await t.command(`/msg ${c.jid} m2`)).data).toMatchObject({ to: c.jid });
      await one.next((e) => e.event === "message" && e.body === "m2");

      // A message from "one" locks onto one.
      changed = convEvent((e) => e.lock === "one");
      await one.cmd({ cmd: "send", to: ours, body: "from one" });
      await changed;
      expect((await t.command(`/msg ${c.jid} m3`)).data).toMatchObject({ to: `${c.jid}/one` });
      await one.next((e) => e.event === "message" && e.body === "m3");
      await t.command(`/msg ${c.jid}/two fence2`);
      await two.next((e) => e.event === "message" && e.body === "fence2");
      expect(two.got("m3")).toBe(false);

      // The locked resource goes unavailable: unlocked.
      changed = convEvent((e) => e.lock === null);
      await one.cmd({ cmd: "presence", to: ours, type: "unavailable" });
      expect(await changed).toMatchObject({ reason: "unavailable" });

      // By hand: /resource two holds through messages and presence of "one" ...
      changed = convEvent((e) => e.lock === "two");
      expect((await t.command(`/resource two --to ${c.jid}`)).ok).toBe(true);
      expect(await changed).toMatchObject({ lock_manual: true, reason: "manual" });
      await one.cmd({ cmd: "presence", to: ours });
      await one.cmd({ cmd: "send", to: ours, body: "one again" });
      await t.waitEvent(isMsg("me", "one again"));
      expect(lock()).toBe("two");
      expect((await t.command(`/msg ${c.jid} m4`)).data).toMatchObject({ to: `${c.jid}/two` });
      await two.next((e) => e.event === "message" && e.body === "m4");
      // ... until "two" goes offline (the server tells us: it had sent us directed presence).
      changed = convEvent((e) => e.lock === null);
      await two.stop();
      expect(await changed).toMatchObject({ reason: "unavailable" });
      expect(t.store.account("me").conversations[c.jid]?.lockManual).toBeUndefined();
    } finally {
      await Promise.all([one.stop(), two.stop()]);
      await t.close();
    }
  });

  test("carbons (XEP-0280): two jabterm accounts of one JID see each other's messages, once", async () => {
    const [u, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const t = tempClient([
      { jid: u.jid, name: "laptop", set: { ...serverKeys(server, u.password), resource: "laptop" } },
      { jid: u.jid, name: "phone", set: { ...serverKeys(server, u.password), resource: "phone" } },
      { jid: b.jid, name: "bob", set: serverKeys(server, b.password) },
    ]);
    try {
      await t.connectAll();
      await t.waitEvent((e) => e.event === "carbons" && e.account === "laptop" && e.enabled === true);
      await t.waitEvent((e) => e.event === "carbons" && e.account === "phone" && e.enabled === true);

      // Sent by the laptop: the phone sees it as its own outgoing message from another device.
      const sent = await t.command(`/msg -a laptop ${b.jid} from the laptop`);
      const id = (sent.data as { id: string }).id;
      await t.waitEvent(isMsg("bob", "from the laptop"));
      const atPhone = await t.waitEvent(isMsg("phone", "from the laptop"));
      expect(atPhone).toMatchObject({ direction: "out", carbon: "sent", id, from: `${u.jid}/laptop`, to: b.jid });
      expect(t.store.account("phone").conversations[b.jid]?.messages).toEqual([expect.objectContaining({ id, direction: "out", carbon: "sent" })]);

      // Received by the laptop (sent to its full JID): the phone sees a received carbon.
      await t.command(`/msg -a bob ${u.jid}/laptop to the laptop`);
      expect(await t.waitEvent(isMsg("laptop", "to the laptop"))).toMatchObject({ direction: "in", carbon: undefined });
      expect(await t.waitEvent(isMsg("phone", "to the laptop"))).toMatchObject({ direction: "in", carbon: "received", from: expect.stringMatching(new RegExp(`^${b.jid}/`)) });

      // To the bare JID with equal priorities: each gets it (directly or as a carbon), counted once.
      await t.command(`/msg -a bob ${u.jid} to both`);
      await t.command(`/msg -a bob ${u.jid} fence`);
      for (const acct of ["laptop", "phone"]) await t.waitEvent(isMsg(acct, "fence"));
      for (const acct of ["laptop", "phone"]) {
        expect(t.events.filter(isMsg(acct, "to both"))).toHaveLength(1);
        expect(t.store.account(acct).conversations[b.jid]!.messages.filter((m) => m.body === "to both")).toHaveLength(1);
      }
      // bob's jabterm answered the laptop's receipt request.
      await t.waitEvent((e) => e.event === "message_state" && e.account === "laptop" && e.id === id && e.state === "delivered");
    } finally {
      await t.close();
    }
  });

  test("a forged carbon from another account is dropped, logged and published as a warning", async () => {
    const [me, mal] = await Promise.all([server.createAccount(), server.createAccount()]);
    const t = tempClient([
      { jid: me.jid, name: "me", set: serverKeys(server, me.password) },
      { jid: mal.jid, name: "mallory", set: serverKeys(server, mal.password) },
    ]);
    try {
      await t.connectAll();
      const ours = t.engine.get("me").state.boundJid!;
      const forged = (kind: "received" | "sent", inner: XmlElement) =>
        xml("message", { to: ours, type: "chat", id: `forge-${kind}` }, xml(kind, { xmlns: CARBONS }, xml("forwarded", { xmlns: FORWARD }, inner)));
      await t.engine.get("mallory").send(forged("received", xml("message", { from: "victim-contact@localhost/x", to: ours, type: "chat", id: "in-1" }, xml("body", {}, "forged carbon"))));
      await t.engine.get("mallory").send(forged("sent", xml("message", { from: ours, to: "victim-contact@localhost", type: "chat", id: "in-2" }, xml("body", {}, "forged sent carbon"))));
      const warnings = await waitFor(() => {
        const w = t.events.filter((e) => e.event === "warning" && e.account === "me" && e.code === "forged_carbon");
        return w.length === 2 ? w : undefined;
      });
      for (const w of warnings) expect(w.from).toBe(t.engine.get("mallory").state.boundJid);
      // A message sent after them arrives; the forged ones never did.
      await t.command(`/msg -a mallory ${ours} fence`);
      await t.waitEvent(isMsg("me", "fence"));
      expect(t.events.filter((e) => e.event === "message" && String(e.body).includes("forged"))).toEqual([]);
      expect(t.store.account("me").conversations["victim-contact@localhost"]).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  test("corrections (XEP-0308): a forged one from another account is ignored, the sender's is applied", async () => {
    const [me, b, mal] = await Promise.all([server.createAccount(), server.createAccount(), server.createAccount()]);
    const t = tempClient([
      { jid: me.jid, name: "me", set: serverKeys(server, me.password) },
      { jid: b.jid, name: "bob", set: serverKeys(server, b.password) },
      { jid: mal.jid, name: "mallory", set: serverKeys(server, mal.password) },
    ]);
    try {
      await t.connectAll();
      const ours = t.engine.get("me").state.boundJid!;
      const sent = await t.command(`/msg -a bob ${me.jid} helo world`);
      const id = (sent.data as { id: string }).id;
      await t.waitEvent(isMsg("me", "helo world"));

      await t.engine.get("mallory").send(xml("message", { to: ours, type: "chat", id: "evil-1" }, xml("body", {}, "send money"), xml("replace", { xmlns: CORRECT, id })));
      const w = await t.waitEvent((e) => e.event === "warning" && e.account === "me" && e.code === "forged_correction");
      expect(w).toMatchObject({ id, from: t.engine.get("mallory").state.boundJid });

      expect((await t.command(`/correct -a bob --to ${me.jid} hello world`)).ok).toBe(true);
      const fixed = await t.waitEvent((e) => e.event === "message_corrected" && e.account === "me");
      expect(fixed).toMatchObject({ id, body: "hello world", previous: "helo world", from: t.engine.get("bob").state.boundJid });
      // bob's own view was corrected at once
      expect(t.events.find((e) => e.event === "message_corrected" && e.account === "bob")).toMatchObject({ id, body: "hello world", direction: "out" });
      const conv = t.store.account("me").conversations[b.jid]!;
      expect(conv.messages).toEqual([expect.objectContaining({ id, body: "hello world", corrections: ["helo world"] })]);
      expect(t.events.filter((e) => e.event === "message" && e.body === "send money")).toEqual([]);
      expect(t.store.account("me").conversations[mal.jid]).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  test("offline messages (XEP-0203) arrive after login, in order, with their original time", async () => {
    const [me, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const t = tempClient([
      { jid: me.jid, name: "me", set: serverKeys(server, me.password) },
      { jid: b.jid, name: "bob", set: serverKeys(server, b.password) },
    ]);
    try {
      await t.engine.get("bob").connect();
      const start = Date.now();
      const ids: string[] = [];
      for (const body of ["first", "second", "third"]) ids.push(((await t.command(`/msg -a bob ${me.jid} ${body}`)).data as { id: string }).id);
      // the server has them all (stream management acks) before we log in
      for (const id of ids) await t.waitEvent((e) => e.event === "message_state" && e.id === id && e.state === "acked");
      const loginAt = Date.now();
      await t.engine.get("me").connect();
      const got = await waitFor(() => {
        const m = t.events.filter((e) => e.event === "message" && e.account === "me");
        return m.length >= 3 ? m : undefined;
      });
      expect(got.map((e) => e.body)).toEqual(["first", "second", "third"]);
      for (const e of got) {
        expect(typeof e.delay).toBe("string");
        const d = Date.parse(String(e.delay));
        expect(d).toBeGreaterThanOrEqual(start - 1000); // stamps may be whole seconds
        expect(d).toBeLessThanOrEqual(loginAt);
        expect(e.delay_issue).toBeUndefined();
      }
      const conv = t.store.account("me").conversations[b.jid]!;
      expect(conv.messages.map((m) => m.body)).toEqual(["first", "second", "third"]);
      expect(conv.messages.every((m) => m.delay !== undefined && Date.parse(m.time) >= Date.parse(m.delay))).toBe(true);
      expect(conv.unread).toBe(3);
      expect(conv.lock).toBeUndefined(); // delayed messages do not lock
      // and our receipts reach bob now
      for (const id of ids) await t.waitEvent((e) => e.event === "message_state" && e.account === "bob" && e.id === id && e.state === "delivered");
    } finally {
      await t.close();
    }
  });

  test.runIf(withPeer)("receipts, markers, chat states, /me, corrections, normal and headline with a slixmpp peer, both ways", async () => {
    const [me, p] = await Promise.all([server.createAccount(), server.createAccount()]);
    const t = tempClient([{ jid: me.jid, name: "me", set: serverKeys(server, me.password) }]);
    const peer = await startChatPeer(server, `${p.jid}/slix`, p.password);
    try {
      await t.connectAll();
      await t.waitEvent((e) => e.event === "carbons"); // the session-start hooks have run
      const ours = t.engine.get("me").state.boundJid!;
      const peerMsg = (pred: (e: PeerLine) => boolean) => peer.next((e) => e.event === "message" && pred(e));

      // Ours: a receipt request, markable, <active/>, id == origin-id; slixmpp's receipt makes it delivered.
      const id = ((await t.command(`/msg ${p.jid} hello slix`)).data as { id: string }).id;
      expect(await peerMsg((e) => e.body === "hello slix")).toMatchObject({ id, origin_id: id, receipt_request: true, markable: true, chat_state: "active", from: ours });
      await t.waitEvent((e) => e.event === "message_state" && e.id === id && e.state === "delivered");
      // The peer displays it.
      await peer.cmd({ cmd: "marker", to: ours, id, marker: "displayed" });
      await t.waitEvent((e) => e.event === "message_state" && e.id === id && e.state === "displayed");
      expect(t.store.account("me").conversations[p.jid]!.messages.find((m) => m.id === id)?.state).toBe("displayed");

      // Theirs: we answer the receipt request, and /read sends a displayed marker for it.
      const pid = String((await peer.cmd({ cmd: "send", to: ours, body: "hi jabterm", receipt: true, markable: true, chat_state: "active" })).id);
      await t.waitEvent(isMsg("me", "hi jabterm"));
      expect(await peerMsg((e) => e.receipt === pid)).toMatchObject({ from: ours, body: null });
      const read = await t.command(`/read --to ${p.jid}`);
      expect(read.data).toMatchObject({ unread_before: 1, displayed: pid });
      expect(await peerMsg((e) => e.displayed === pid)).toMatchObject({ from: ours, type: "chat" });
      expect((await t.command(`/read --to ${p.jid}`)).data).toMatchObject({ displayed: null }); // once per message

      // Chat states, both ways.
      await peer.cmd({ cmd: "chatstate", to: ours, state: "composing" });
      expect(await t.waitEvent((e) => e.event === "chatstate" && e.state === "composing")).toMatchObject({ account: "me", from: peer.jid, peer: p.jid });
      expect(t.store.account("me").conversations[p.jid]!.chatState?.state).toBe("composing");
      expect((await t.command(`/chatstate composing --to ${p.jid}`)).data).toMatchObject({ sent: true, to: peer.jid });
      expect(await peerMsg((e) => e.chat_state === "composing")).toMatchObject({ body: null, from: ours });
      await peer.cmd({ cmd: "chatstate", to: ours, state: "paused" });
      await t.waitEvent((e) => e.event === "chatstate" && e.state === "paused");

      // /me both ways.
      await t.command(`/me --to ${p.jid} waves`);
      await peerMsg((e) => e.body === "/me waves");
      await peer.cmd({ cmd: "send", to: ours, body: "/me nods" });
      expect(await t.waitEvent(isMsg("me", "/me nods"))).toMatchObject({ me: true });

      // Corrections both ways.
      const typo = String((await peer.cmd({ cmd: "send", to: ours, body: "teh end" })).id);
      await t.waitEvent(isMsg("me", "teh end"));
      await peer.cmd({ cmd: "send", to: ours, body: "the end", replace: typo });
      expect(await t.waitEvent((e) => e.event === "message_corrected" && e.account === "me")).toMatchObject({ id: typo, body: "the end", previous: "teh end" });
      const mine = ((await t.command(`/msg ${p.jid} see you at 4`)).data as { id: string }).id;
      await t.command(`/correct --to ${p.jid} see you at 5`);
      expect(await peerMsg((e) => e.body === "see you at 5")).toMatchObject({ replace: mine });

      // normal and headline messages are shown, not dropped.
      await peer.cmd({ cmd: "send", to: ours, body: "a memo", type: "normal" });
      await peer.cmd({ cmd: "send", to: ours, body: "news flash", type: "headline" });
      expect(await t.waitEvent(isMsg("me", "a memo"))).toMatchObject({ type: "normal" });
      expect(await t.waitEvent(isMsg("me", "news flash"))).toMatchObject({ type: "headline" });
      expect(t.store.account("me").conversations[p.jid]!.messages.map((m) => m.type)).toEqual(expect.arrayContaining(["normal", "headline"]));
    } finally {
      await peer.stop();
      await t.close();
    }
  });

  test("an error reply (no such user) fails our message with the RFC 6120 condition", async () => {
    const me = await server.createAccount();
    const t = tempClient([{ jid: me.jid, name: "me", set: serverKeys(server, me.password) }]);
    try {
      await t.connectAll();
      const id = ((await t.command(`/msg nobody-${Date.now()}@${server.domain} anyone there?`)).data as { id: string }).id;
      const failed = await t.waitEvent((e) => e.event === "message_state" && e.id === id && e.state === "failed");
      expect(failed.error).toMatchObject({ code: "stanza", condition: "service-unavailable" });
      const conv = Object.values(t.store.account("me").conversations)[0]!;
      expect(conv.messages).toEqual([expect.objectContaining({ id, state: "failed", error: expect.objectContaining({ condition: "service-unavailable" }) })]);
      expect(t.events.filter((e) => e.event === "message" && e.direction === "in")).toEqual([]);
      expect(t.client.outbox.pending()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  test("a server without carbons is not an error", async () => {
    const bare = await startProsody({ extraConfig: 'modules_disabled = { "s2s", "carbons" }', websocket: false, directTls: false });
    const me = await bare.createAccount();
    const t = tempClient([{ jid: me.jid, name: "me", set: serverKeys(bare, me.password) }]);
    try {
      await t.connectAll();
      expect(await t.waitEvent((e) => e.event === "carbons")).toMatchObject({ account: "me", enabled: false });
      expect(t.events.filter((e) => e.event === "error")).toEqual([]);
      expect(t.engine.get("me").online).toBe(true);
    } finally {
      await t.close();
      await bare.cleanup();
    }
  });
});
