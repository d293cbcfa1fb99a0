/**
 * Rooms (XEP-0045) against Prosody 0.12's MUC component with real occupants: jabterm clients and
 * slixmpp peers (test/helpers/muc_peer.py). Join/create, messages both ways with reflection,
 * topic, nick changes, occupant private messages in their own conversation, highlights,
 * corrections only by the same occupant, join errors (password, members-only, banned, nick
 * conflict), moderation (kick, ban, roles) both ways, invitations (mediated and direct), room
 * configuration through its data form, and self-ping.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { PublishedEvent } from "../../src/core/client.js";
import { serverKeys, tempClient } from "../helpers/engine.js";
import { startHeadless } from "../helpers/headless.js";
import { startMucPeer, type MucPeer } from "../helpers/muc-peer.js";
import { peerAvailable } from "../helpers/peer.js";
import fs from "node:fs";

import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";
import { waitFor } from "../helpers/wait-for.js";

const run = prosodyAvailable() && peerAvailable() ? describe : describe.skip;
// XEP-0425 needs mod_muc_moderation (Debian's prosody-modules).
const moderation = fs.existsSync("/usr/lib/prosody/modules/mod_muc_moderation/mod_muc_moderation.lua");

run("rooms (XEP-0045) against Prosody's MUC", () => {
  let server: ProsodyServer;
  let n = 0;
  const roomName = () => `room${++n}-${Math.random().toString(36).slice(2, 8)}@${server.mucDomain}`;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    server = await startProsody({ muc: true, mucModules: moderation ? ["muc_moderation"] : [] });
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await server?.cleanup();
  });

  async function client(name = "me", settings: Record<string, string | number | boolean> = {}) {
    const acct = await server.createAccount();
    const t = tempClient([{ jid: acct.jid, name, set: serverKeys(server, acct.password) }], { muc_self_ping: 0, ...settings });
    cleanups.push(() => t.close());
    await t.connectAll();
    return { t, acct };
  }
  async function peer(): Promise<MucPeer> {
    const p = await startMucPeer(server, await server.createAccount());
    cleanups.push(() => p.stop());
    return p;
  }
  const ok = async (t: ReturnType<typeof tempClient>, line: string) => {
    const r = await t.command(line);
    if (!r.ok) throw new Error(`${line}: ${JSON.stringify(r.error)}`);
    return r;
  };
  const ev = (name: string, pred: (e: PublishedEvent) => boolean = () => true) => (e: PublishedEvent) => e.event === name && pred(e);
  const instant = (room: string) => `<iq xmlns='jabber:client' type='set' to='${room}' id='cfg'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`;
  const selfJoined = (room: string) => (e: { event: string; [k: string]: unknown }) => e.event === "presence" && String(e.from).startsWith(`${room}/`) && Array.isArray(e.codes) && e.codes.includes(110);

  test("create, talk both ways, topic, nick change, names, private messages, highlight, leave", async () => {
    const { t } = await client();
    const carol = await peer();
    const room = roomName();

    const r = await ok(t, `/join ${room}/alice`);
    expect(r.result).toMatchObject({ type: "open", jid: room });
    await t.waitEvent(ev("room", (e) => e.room === room && e.status === "joined" && e.created === true));
    // Created as an instant room: others can join at once.
    await t.waitEvent(ev("room", (e) => e.room === room && e.status === "configured"));
    expect(t.store.account("me").rooms[room]).toMatchObject({ state: "joined", nick: "alice", occupants: { alice: { role: "moderator", affiliation: "owner" } } });

    await carol.cmd({ cmd: "join", room, nick: "carol" });
    await carol.next(selfJoined(room));
    await t.waitEvent(ev("occupant", (e) => e.room === room && e.change === "join" && e.nick === "carol" && e.role === "participant"));

    // In: a groupchat message event carries the room and the nick.
    await carol.cmd({ cmd: "send", to: room, body: "hello room", type: "groupchat" });
    const inMsg = await t.waitEvent(ev("message", (e) => e.body === "hello room"));
    expect(inMsg).toMatchObject({ account: "me", type: "groupchat", room, nick: "carol", from: `${room}/carol`, direction: "in" });
    expect(t.store.account("me").conversations[room]!.messages.some((m) => m.body === "hello room" && m.nick === "carol")).toBe(true);

    // Out: /msg to the room is a groupchat message; the room's reflection marks it delivered.
    const sent = await ok(t, `/msg ${room} hi carol`);
    const id = (sent.data as { id: string }).id;
    const got = await carol.next((e) => e.event === "message" && e.body === "hi carol");
    expect(got).toMatchObject({ type: "groupchat", from: `${room}/alice` });
    await waitFor(() => t.store.account("me").conversations[room]!.messages.find((m) => m.id === id)?.state === "delivered");
    expect(t.store.account("me").conversations[room]!.messages.filter((m) => m.body === "hi carol")).toHaveLength(1);

    // Our own correction (XEP-0308) in the room: the room sees the replace, our message changes.
    await ok(t, `/correct --to ${room} hi caroL`);
    const fix = await carol.next((e) => e.event === "message" && e.body === "hi caroL");
    expect(String(fix.xml)).toContain(`id="${id}"`);
    await waitFor(() => t.store.account("me").conversations[room]!.messages.find((m) => m.id === id)?.body === "hi caroL");

    // Topic.
    await ok(t, `/topic --to ${room} release on friday`);
    await carol.next((e) => e.event === "message" && e.subject === "release on friday");
    await waitFor(() => t.store.account("me").rooms[room]!.subject === "release on friday");
    const topic = await ok(t, `/topic --to ${room}`);
    expect(topic.output.join("\n")).toContain("release on friday");

    // A nick change (303).
    await carol.cmd({ cmd: "raw", xml: `<presence to='${room}/caroline'/>` }, "raw_sent");
    await t.waitEvent(ev("occupant", (e) => e.change === "nick" && e.nick === "carol" && e.new_nick === "caroline"));
    await waitFor(() => t.store.account("me").rooms[room]!.occupants.caroline !== undefined);
    expect(t.store.account("me").rooms[room]!.occupants.carol).toBeUndefined();
    const names = await ok(t, `/names --to ${room}`);
    expect((names.data as { occupants: { nick: string }[] }).occupants.map((o) => o.nick).sort()).toEqual(["alice", "caroline"]);

    // Our own nick change, waiting for the room's answer.
    const nick = await ok(t, `/nick --to ${room} alice2`);
    expect(nick.output[0]).toContain("alice2");
    expect(t.store.account("me").rooms[room]!.nick).toBe("alice2");

    // A private message from an occupant: its own conversation (the occupant's full JID), not the room.
    await carol.cmd({ cmd: "send", to: `${room}/alice2`, body: "psst", type: "chat" });
    await t.waitEvent(ev("message", (e) => e.body === "psst" && e.type === "chat"));
    expect(t.store.account("me").conversations[`${room}/caroline`]!.messages.map((m) => m.body)).toEqual(["psst"]);
    expect(t.store.account("me").conversations[room]!.messages.some((m) => m.body === "psst")).toBe(false);
    await ok(t, `/msg ${room}/caroline psst back`);
    expect(await carol.next((e) => e.event === "message" && e.body === "psst back")).toMatchObject({ type: "chat", from: `${room}/alice2` });
    expect(t.store.account("me").conversations[`${room}/caroline`]!.messages.map((m) => m.body)).toEqual(["psst", "psst back"]);

    // Highlights: our nick as a whole word, and a configured word; a published `highlight` event.
    await carol.cmd({ cmd: "send", to: room, body: "alice2: ping", type: "groupchat" });
    const hl = await t.waitEvent(ev("highlight", (e) => e.body === "alice2: ping"));
    expect(hl).toMatchObject({ account: "me", room, nick: "caroline" });
    await carol.cmd({ cmd: "send", to: room, body: "the alice2x thing", type: "groupchat" });
    await t.waitEvent(ev("message", (e) => e.body === "the alice2x thing"));
    expect(t.events.some((e) => e.event === "highlight" && e.body === "the alice2x thing")).toBe(false);
    expect(t.store.account("me").rooms[room]!.highlights).toBe(1);

    // Corrections only by the same occupant: carol may correct hers, not ours.
    const orig = await carol.cmd({ cmd: "send", to: room, body: "teh typo", type: "groupchat" });
    await t.waitEvent(ev("message", (e) => e.body === "teh typo"));
    await carol.cmd({ cmd: "raw", xml: `<message to='${room}' type='groupchat' id='c1'><body>the typo</body><replace xmlns='urn:xmpp:message-correct:0' id='${String(orig.id)}'/></message>` }, "raw_sent");
    await t.waitEvent(ev("message_corrected", (e) => e.body === "the typo" && e.room === room));
    await carol.cmd({ cmd: "raw", xml: `<message to='${room}' type='groupchat' id='c2'><body>forged</body><replace xmlns='urn:xmpp:message-correct:0' id='${id}'/></message>` }, "raw_sent");
    await t.waitEvent(ev("warning", (e) => e.code === "forged_correction"));
    expect(t.store.account("me").conversations[room]!.messages.find((m) => m.id === id)!.body).toBe("hi caroL");

    // Carol leaves; then we do.
    await carol.cmd({ cmd: "leave", room, nick: "caroline" });
    await t.waitEvent(ev("occupant", (e) => e.change === "leave" && e.nick === "caroline"));
    await ok(t, `/leave --to ${room} bye`);
    expect(t.store.account("me").rooms[room]!.state).toBe("left");
    const msg = await t.command(`/msg ${room} still here?`);
    expect(msg.ok).toBe(false);
    expect(msg.error?.text).toContain("not in");
  });

  test("join errors: password, members-only, banned, nick conflict; configuration through the form", async () => {
    const { t: owner } = await client("owner");
    const { t: other, acct: otherAcct } = await client("other");
    const room = roomName();
    await ok(owner, `/join ${room}/boss`);
    await owner.waitEvent(ev("room", (e) => e.status === "configured"));

    // The configuration form, listed and changed one field at a time.
    const cfg = await ok(owner, `/room config --to ${room}`);
    expect(cfg.output.join("\n")).toContain("muc#roomconfig_roomsecret");
    await ok(owner, `/room set --to ${room} muc#roomconfig_roomsecret s3cret`);
    const bad = await owner.command(`/room set --to ${room} muc#roomconfig_nosuchfield 1`);
    expect(bad.ok).toBe(false);

    // No password: a clear error.
    const noPw = await other.command(`/join ${room}/guest`);
    expect(noPw.ok).toBe(false);
    expect(noPw.error?.text).toContain("needs a password");
    const withPw = await other.command(`/join ${room}/guest s3cret`);
    expect(withPw.ok).toBe(true);
    expect(withPw.input).not.toContain("s3cret");

    // Nick conflict.
    const { t: third } = await client("third");
    const conflict = await third.command(`/join ${room}/guest s3cret`);
    expect(conflict.ok).toBe(false);
    expect(conflict.error?.text).toContain("already in use");

    // Ban the guest (by nick: we own the room and see real JIDs), then the guest cannot come back.
    await owner.waitEvent(ev("occupant", (e) => e.nick === "guest" && e.change === "join"));
    await waitFor(() => owner.store.account("owner").rooms[room]!.occupants.guest?.jid !== undefined);
    await ok(owner, `/ban --to ${room} guest go away`);
    const banned = await other.waitEvent(ev("room", (e) => e.room === room && e.status === "banned"));
    expect(banned).toMatchObject({ state: "left" });
    const again = await other.command(`/join ${room}/guest s3cret`);
    expect(again.ok).toBe(false);
    expect(again.error?.text).toContain("banned");
    const outcasts = await ok(owner, `/affiliation --to ${room} ${otherAcct.jid} none`);
    expect(outcasts.ok).toBe(true);

    // Members-only.
    await ok(owner, `/room set --to ${room} muc#roomconfig_membersonly 1`);
    const membersOnly = await third.command(`/join ${room}/third s3cret`);
    expect(membersOnly.ok).toBe(false);
    expect(membersOnly.error?.text).toContain("members-only");
  });

  test("moderation both ways: kick and voice a slixmpp occupant; being kicked ourselves", async () => {
    const { t } = await client();
    const dave = await peer();
    const room = roomName();
    await ok(t, `/join ${room}/mod`);
    await t.waitEvent(ev("room", (e) => e.status === "configured"));
    await dave.cmd({ cmd: "join", room, nick: "dave" });
    await dave.next(selfJoined(room));
    await t.waitEvent(ev("occupant", (e) => e.nick === "dave" && e.change === "join"));

    await ok(t, `/role --to ${room} dave visitor quiet please`);
    await dave.next((e) => e.event === "presence" && e.from === `${room}/dave` && e.role === "visitor");
    await t.waitEvent(ev("occupant", (e) => e.nick === "dave" && e.role === "visitor"));
    await ok(t, `/kick --to ${room} dave enough`);
    const kicked = await dave.next((e) => e.event === "presence" && e.from === `${room}/dave` && e.type === "unavailable");
    expect(kicked.codes).toContain(307);
    await t.waitEvent(ev("occupant", (e) => e.nick === "dave" && e.change === "kicked"));
    expect(t.store.account("me").rooms[room]!.occupants.dave).toBeUndefined();

    // Dave owns a room; he kicks us: we are told, and out.
    const room2 = roomName();
    await dave.cmd({ cmd: "join", room: room2, nick: "dave" });
    await dave.next(selfJoined(room2));
    expect(await dave.cmd({ cmd: "iq", xml: instant(room2) })).toMatchObject({ type: "result" });
    await ok(t, `/join ${room2}/victim`);
    await dave.next((e) => e.event === "presence" && e.from === `${room2}/victim`);
    expect(await dave.cmd({ cmd: "iq", xml: `<iq xmlns='jabber:client' type='set' to='${room2}' id='k1'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='victim' role='none'><reason>bye</reason></item></query></iq>` })).toMatchObject({ type: "result" });
    const ours = await t.waitEvent(ev("room", (e) => e.room === room2 && e.status === "kicked"));
    expect(ours).toMatchObject({ state: "left", text_reason: "bye" });
    const lastNotice = t.store.account("me").conversations[room2]!.messages.at(-1)!;
    expect(lastNotice).toMatchObject({ notice: "kick" });
    expect(lastNotice.body).toContain("you were kicked");
  });

  test("invitations: mediated accepted, direct declined; /invite sends both kinds", async () => {
    const { t, acct } = await client();
    const erin = await peer();
    const room = roomName();
    await erin.cmd({ cmd: "join", room, nick: "erin" });
    await erin.next(selfJoined(room));
    expect(await erin.cmd({ cmd: "iq", xml: instant(room) })).toMatchObject({ type: "result" });

    // Mediated, through the room.
    await erin.cmd({ cmd: "raw", xml: `<message to='${room}'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='${acct.jid}'><reason>come in</reason></invite></x></message>` }, "raw_sent");
    const inv = await t.waitEvent(ev("invitation", (e) => e.room === room));
    expect(inv).toMatchObject({ kind: "mediated", reason: "come in" });
    // The inviter: its real JID, or (Prosody in a semi-anonymous room) its occupant JID.
    const from = String(inv.from);
    expect(from === `${room}/erin` || from.startsWith(`${erin.jid.split("/")[0]}`)).toBe(true);
    const list = await ok(t, "/invitation");
    expect(list.output.join("\n")).toContain(room);
    await ok(t, `/invitation accept ${room}`);
    expect(t.store.account("me").rooms[room]!.state).toBe("joined");

    // Direct (XEP-0249), declined.
    const room2 = roomName();
    await erin.cmd({ cmd: "raw", xml: `<message to='${acct.jid}'><x xmlns='jabber:x:conference' jid='${room2}' reason='other room'/></message>` }, "raw_sent");
    await t.waitEvent(ev("invitation", (e) => e.room === room2 && e.kind === "direct"));
    await ok(t, `/invitation decline ${room2}`);
    expect((await t.command(`/invitation accept ${room2}`)).ok).toBe(false);

    // We invite erin: mediated (through the room) and direct.
    await ok(t, `/invite --to ${room} ${erin.jid.split("/")[0]} see this`);
    const med = await erin.next((e) => e.event === "message" && e.invite_from !== null && e.from === room);
    expect(String(med.invite_from)).toContain(acct.jid);
    await ok(t, `/invite --direct --to ${room} ${erin.jid.split("/")[0]}`);
    await erin.next((e) => e.event === "message" && e.direct_invite === room);
  });

  test("self-ping (XEP-0410): still joined, and dropped rooms are joined again", async () => {
    const { t } = await client();
    const keeper = await peer();
    const room = roomName();
    await ok(t, `/join ${room}/pinger`);
    await t.waitEvent(ev("room", (e) => e.status === "configured"));
    // Someone stays, so the room lives on while we are out of it.
    await keeper.cmd({ cmd: "join", room, nick: "keeper" });
    await keeper.next(selfJoined(room));
    const r = await ok(t, "/room selfping");
    expect(r.data).toEqual([{ account: "me", room, verdict: "joined" }]);

    // Leave behind jabterm's back (a raw unavailable presence), then make jabterm believe it is
    // still in: the state a lost stanza or a restarted MUC service leaves behind.
    const acct = t.engine.find("me")!;
    const { xml } = await import("../../src/core/xmpp/transport/xml.js");
    await acct.send(xml("presence", { to: `${room}/pinger`, type: "unavailable" }));
    await waitFor(() => t.store.account("me").rooms[room]!.state === "left");
    await keeper.next((e) => e.event === "presence" && e.from === `${room}/pinger` && e.type === "unavailable");
    t.store.dispatch({ type: "rooms/joined", account: "me", room, nick: "pinger" });
    const mark = t.events.length;
    const again = await ok(t, "/room selfping");
    expect(again.data).toEqual([{ account: "me", room, verdict: "gone" }]);
    await t.waitEvent(ev("room", (e) => e.room === room && e.status === "joined"), { after: mark });
    expect(t.store.account("me").rooms[room]!.state).toBe("joined");
  });

  test("a new session (not a resumed one) joins the rooms we were in again; a room without an archive replays, without duplicates", async () => {
    const { t } = await client();
    const keeper = await peer();
    const room = roomName();
    await ok(t, `/join ${room}/back`);
    await t.waitEvent(ev("room", (e) => e.status === "configured"));
    // No room archive (MUC MAM off for this room): the room's own history replay on join.
    await ok(t, `/room set --to ${room} muc#roomconfig_enablearchiving 0`);
    await keeper.cmd({ cmd: "join", room, nick: "keeper" });
    await keeper.next(selfJoined(room));
    await keeper.cmd({ cmd: "send", to: room, body: "said before", type: "groupchat" });
    await t.waitEvent(ev("message", (e) => e.body === "said before"));
    await ok(t, "/disconnect me");
    const mark = t.events.length;
    let replayed = 0;
    t.engine.on("stanza", ({ stanza }) => {
      if (stanza.name === "message" && stanza.getChildText("body") === "said before" && stanza.getChild("delay", "urn:xmpp:delay")) replayed++;
    });
    await ok(t, "/connect me --wait");
    await t.waitEvent(ev("room", (e) => e.room === room && e.status === "joining" && e.why === "rejoin"), { after: mark });
    await t.waitEvent(ev("room", (e) => e.room === room && e.status === "joined"), { after: mark });
    expect(t.store.account("me").rooms[room]).toMatchObject({ state: "joined", nick: "back" });
    // The room replays its recent history on join; what we have already is not added again.
    await keeper.cmd({ cmd: "send", to: room, body: "said after", type: "groupchat" });
    await t.waitEvent(ev("message", (e) => e.body === "said after"), { after: mark });
    expect(replayed).toBe(1);
    expect(t.events.slice(mark).some((e) => e.event === "room_history")).toBe(false);
    expect(t.store.account("me").conversations[room]!.messages.filter((m) => m.body === "said before")).toHaveLength(1);
    // Stored in the history database before shown, once each, replay or not.
    const stored = t.client.history!.db.conversation("me", room).map((m) => m.body);
    expect(stored.filter((b) => b === "said before")).toHaveLength(1);
    expect(stored.filter((b) => b === "said after")).toHaveLength(1);
  });

  test("room archive (MUC MAM) on rejoin: what we missed arrives once each, in order; what we saw live is not shown again", async () => {
    const { t, acct } = await client();
    const keeper = await peer();
    const room = roomName();
    const db = t.client.history!.db;
    const own = acct.jid.split("/")[0]!.toLowerCase();
    await ok(t, `/join ${room}/back`);
    await t.waitEvent(ev("room", (e) => e.status === "configured"));
    await keeper.cmd({ cmd: "join", room, nick: "keeper" });
    await keeper.next(selfJoined(room));
    await keeper.cmd({ cmd: "send", to: room, body: "seen live 1", type: "groupchat" });
    await t.waitEvent(ev("message", (e) => e.body === "seen live 1"));
    const sent = await ok(t, `/msg ${room} mine, live`);
    const myId = (sent.data as { id: string }).id;
    await waitFor(() => t.store.account("me").conversations[room]!.messages.find((m) => m.id === myId)?.stanzaId);
    await keeper.cmd({ cmd: "send", to: room, body: "seen live 2", type: "groupchat" });
    await t.waitEvent(ev("message", (e) => e.body === "seen live 2"));
    // Live room messages keep the room's stanza-id, by the room; our own archive position never follows them.
    await waitFor(() => db.conversation("me", room).filter((m) => m.stanzaId).length === 3);
    for (const m of db.conversation("me", room)) expect(m.stanzaIdBy).toBe(room);
    const roomIds = new Set(db.conversation("me", room).map((m) => m.stanzaId));
    expect(roomIds.has(db.archiveState("me", own)?.lastId)).toBe(false);

    await ok(t, "/disconnect me");
    for (const body of ["missed 1", "missed 2", "missed 3"]) {
      await keeper.cmd({ cmd: "send", to: room, body, type: "groupchat" });
      await keeper.next((e) => e.event === "message" && e.body === body);
    }
    const mark = t.events.length;
    let replayed = 0;
    t.engine.on("stanza", ({ stanza }) => {
      if (stanza.name === "message" && stanza.attrs.type === "groupchat" && stanza.getChild("delay", "urn:xmpp:delay")) replayed++;
    });
    await ok(t, "/connect me --wait");
    const done = await t.waitEvent(ev("room_history", (e) => e.room === room), { after: mark });
    expect(done).toMatchObject({ account: "me", source: "archive", messages: 3, complete: true });
    // The room did not replay (we asked for none): the archive replaced it.
    expect(replayed).toBe(0);
    const shown = t.events.slice(mark).filter((e) => e.event === "message" && e.room === room);
    expect(shown.map((e) => e.body)).toEqual(["missed 1", "missed 2", "missed 3"]);
    for (const e of shown) expect(e).toMatchObject({ archived: true, type: "groupchat", room, nick: "keeper", direction: "in" });
    expect(t.events.slice(mark).some((e) => e.event === "highlight")).toBe(false);
    const texts = () => t.store.account("me").conversations[room]!.messages.filter((m) => !m.notice).map((m) => m.body);
    expect(texts()).toEqual(["seen live 1", "mine, live", "seen live 2", "missed 1", "missed 2", "missed 3"]);
    // Once each in the database (its order within one second is by stamp: the archive stamps whole seconds).
    const stored = () => db.conversation("me", room);
    expect(stored().map((m) => m.body).sort()).toEqual(["mine, live", "missed 1", "missed 2", "missed 3", "seen live 1", "seen live 2"]);
    for (const m of stored()) expect(m).toMatchObject({ stanzaIdBy: room });
    expect(new Set(stored().map((m) => m.stanzaId)).size).toBe(6);

    // Our position is gone from the room's archive (expired): its last page, all of it known.
    await ok(t, "/disconnect me");
    db.record({ account: "me", peer: room, direction: "in", from: `${room}/ghost`, to: acct.jid, id: "expired", idKind: "random", type: "groupchat", body: "(expired position)", time: new Date(Date.now() + 60_000).toISOString(), source: "mam", stanzaId: "expired-position", stanzaIdBy: room });
    const mark2 = t.events.length;
    await ok(t, "/connect me --wait");
    const again = await t.waitEvent(ev("room_history", (e) => e.room === room), { after: mark2 });
    expect(again).toMatchObject({ messages: 0, complete: true });
    expect(t.events.slice(mark2).some((e) => e.event === "message" && e.room === room)).toBe(false);
    expect(texts()).toEqual(["seen live 1", "mine, live", "seen live 2", "missed 1", "missed 2", "missed 3"]);
    expect(stored().map((m) => m.body).sort()).toEqual(["(expired position)", "mine, live", "missed 1", "missed 2", "missed 3", "seen live 1", "seen live 2"]);
  }, 60_000);

  test("a forged room archive result (another account, a guessed queryid) is dropped: not stored, not shown", async () => {
    const { t } = await client();
    const mallory = await peer();
    const room = roomName();
    await ok(t, `/join ${room}/me`);
    await t.waitEvent(ev("room", (e) => e.status === "configured"));
    const to = t.engine.get("me").state.boundJid!;
    await mallory.cmd(
      {
        cmd: "raw",
        xml: `<message to='${to}'><result xmlns='urn:xmpp:mam:2' queryid='guess' id='forged-1'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:00Z'/><message xmlns='jabber:client' from='${room}/boss' type='groupchat'><body>forged room archive</body></message></forwarded></result></message>`,
      },
      "raw_sent",
    );
    const warning = await t.waitEvent(ev("warning", (e) => e.code === "forged_archive_result"));
    expect(String(warning.from)).toContain(mallory.jid.split("/")[0]);
    expect(t.events.some((e) => e.event === "message" && e.body === "forged room archive")).toBe(false);
    expect(t.store.account("me").conversations[room]!.messages.some((m) => m.body === "forged room archive")).toBe(false);
    expect(t.client.history!.db.search({ text: "forged" })).toEqual([]);
  });

  test("first join of a room with an archive: its last page, not the room's replay; paging back reads the room's archive", async () => {
    const { t } = await client();
    const keeper = await peer();
    const room = roomName();
    await keeper.cmd({ cmd: "join", room, nick: "keeper" });
    await keeper.next(selfJoined(room));
    expect(await keeper.cmd({ cmd: "iq", xml: instant(room) })).toMatchObject({ type: "result" });
    const total = 60;
    for (let i = 1; i <= total; i++) await keeper.cmd({ cmd: "send", to: room, body: `old ${i}`, type: "groupchat" });
    await keeper.next((e) => e.event === "message" && e.body === `old ${total}`);
    const mark = t.events.length;
    await ok(t, `/join ${room}/late`);
    const done = await t.waitEvent(ev("room_history", (e) => e.room === room), { after: mark });
    expect(done).toMatchObject({ messages: 50, pages: 1, complete: true });
    const bodies = () => t.store.account("me").conversations[room]!.messages.filter((m) => !m.notice).map((m) => m.body);
    expect(bodies()).toEqual(Array.from({ length: 50 }, (_, i) => `old ${i + 11}`));
    expect(t.events.slice(mark).filter((e) => e.event === "message" && e.room === room).every((e) => e.archived === true)).toBe(true);
    // Older than what we hold: the room's archive, before the oldest room id we have.
    const older = await t.client.history!.loadOlder("me", room, 10);
    expect(older).toMatchObject({ archive: 10 });
    expect(bodies().slice(0, 11)).toEqual([...Array.from({ length: 10 }, (_, i) => `old ${i + 1}`), "old 11"]);
    expect(t.client.history!.db.conversation("me", room).map((m) => m.body)).toEqual(Array.from({ length: total }, (_, i) => `old ${i + 1}`));
  }, 60_000);

  test("self-ping runs every muc_self_ping ms and rejoins by itself", async () => {
    const { t } = await client("me", { muc_self_ping: 300 });
    const keeper = await peer();
    const room = roomName();
    await ok(t, `/join ${room}/auto`);
    await t.waitEvent(ev("room", (e) => e.status === "configured"));
    await keeper.cmd({ cmd: "join", room, nick: "keeper" });
    await keeper.next(selfJoined(room));
    const { xml } = await import("../../src/core/xmpp/transport/xml.js");
    await t.engine.find("me")!.send(xml("presence", { to: `${room}/auto`, type: "unavailable" }));
    await waitFor(() => t.store.account("me").rooms[room]!.state === "left");
    const mark = t.events.length;
    t.store.dispatch({ type: "rooms/joined", account: "me", room, nick: "auto" });
    await t.waitEvent(ev("room", (e) => e.room === room && e.status === "dropped"), { after: mark });
    await t.waitEvent(ev("room", (e) => e.room === room && e.status === "joined"), { after: mark });
    await keeper.next((e) => e.event === "presence" && e.from === `${room}/auto` && e.type !== "unavailable");
  });

  test("headless mode (the real binary): room events and groupchat messages as NDJSON, hostile text escaped", async () => {
    const acct = await server.createAccount();
    const frank = await peer();
    const room = roomName();
    const h = startHeadless();
    cleanups.push(async () => h.kill());
    await h.next((e) => e.event === "ready");
    for (const line of [`/account add ${acct.jid} --name me`, `/account set me host 127.0.0.1`, `/account set me port ${server.c2sPort}`, `/account set me ca_file ${server.caFile}`, `/account set me password ${acct.password}`]) {
      expect((await h.command(line)).ok).toBe(true);
    }
    expect((await h.command("/connect --wait")).ok).toBe(true);
    const joined = await h.command(`/join ${room}/me`);
    expect(joined.ok).toBe(true);
    // A new room is locked until its instant configuration is accepted: only then can others join.
    await h.next((e) => e.event === "room" && e.room === room && e.status === "configured");
    await frank.cmd({ cmd: "join", room, nick: "frank" });
    await h.next((e) => e.event === "occupant" && e.change === "join" && e.room === room);
    await frank.cmd({ cmd: "send", to: room, body: "hi \u202e\u2028 there", type: "groupchat" });
    const msg = await h.next((e) => e.event === "message" && e.type === "groupchat" && e.direction === "in");
    expect(msg).toMatchObject({ account: "me", room, nick: "frank", from: `${room}/frank`, body: "hi \u202e\u2028 there" });
    // Written escaped: the stream stays safe to print and to split on newlines.
    expect(h.stdout()).toContain("hi \\u202e\\u2028 there");
    expect(h.stdout()).not.toMatch(/[\u202e\u2028]/);
    const names = await h.command(`/names --to ${room}`);
    expect(names.data.occupants.map((o: { nick: string }) => o.nick).sort()).toEqual(["frank", "me"]);
    // A room joined while the session's start hooks still ran is not joined a second time by them.
    expect(h.all().filter((e) => e.event === "room" && e.room === room && e.status === "joining")).toHaveLength(1);
    expect(await h.end()).toBe(0);
  });

  test("registration with a room through its data form (XEP-0045 §7.10)", async () => {
    const { t: owner } = await client("owner");
    const { t: member, acct } = await client("member");
    const room = roomName();
    await ok(owner, `/join ${room}/boss`);
    await owner.waitEvent(ev("room", (e) => e.status === "configured"));
    await ok(owner, `/affiliation --to ${room} ${acct.jid} member`);
    await ok(member, `/join ${room}/mem`);
    const form = await ok(member, `/room register --to ${room}`);
    expect(form.data).toMatchObject({ registered: false });
    expect(form.output.join("\n")).toContain("muc#register_roomnick");
    const bad = await member.command(`/room register --to ${room} --field nosuch=1`);
    expect(bad.ok).toBe(false);
    await ok(member, `/room register --to ${room} memnick`);
    const again = await ok(member, `/room register --to ${room}`);
    expect(again.data).toMatchObject({ registered: true, nick: "memnick" });
  });

  test.runIf(moderation)("moderation (XEP-0425, mod_muc_moderation): a moderator removes an occupant's message for everyone", async () => {
    const { t } = await client();
    const gina = await peer();
    const { t: other } = await client("other");
    const room = roomName();
    await ok(t, `/join ${room}/mod`);
    await t.waitEvent(ev("room", (e) => e.status === "configured"));
    await gina.cmd({ cmd: "join", room, nick: "gina" });
    await gina.next(selfJoined(room));
    await ok(other, `/join ${room}/watcher`);
    await gina.cmd({ cmd: "send", to: room, body: "buy cheap stuff", type: "groupchat" });
    await t.waitEvent(ev("message", (e) => e.body === "buy cheap stuff"));
    await other.waitEvent(ev("message", (e) => e.body === "buy cheap stuff"));
    const r = await ok(t, `/moderate --to ${room} gina spam`);
    const sid = (r.data as { stanza_id: string }).stanza_id;
    // Everyone sees it removed, with who and why.
    const seen = await other.waitEvent(ev("message_retracted", (e) => e.room === room && e.moderated === true));
    expect(seen).toMatchObject({ by: `${room}/mod`, reason: "spam" });
    const msg = other.store.account("other").conversations[room]!.messages.find((m) => m.stanzaId === sid)!;
    expect(msg).toMatchObject({ body: "", retracted: { reason: "spam" } });
    await gina.next((e) => e.event === "message" && String(e.xml).includes("urn:xmpp:message-moderate:0"));
    // Not a moderator: refused.
    const refused = await other.command(`/moderate --to ${room} --id ${sid}`);
    expect(refused.ok).toBe(false);
  });

  test("retracting our last message (XEP-0424): gone for another jabterm in the room, a fallback for slixmpp", async () => {
    const { t } = await client();
    const { t: other } = await client("other");
    const hank = await peer();
    const room = roomName();
    await ok(t, `/join ${room}/me`);
    await t.waitEvent(ev("room", (e) => e.status === "configured"));
    await ok(other, `/join ${room}/other`);
    await hank.cmd({ cmd: "join", room, nick: "hank" });
    await hank.next(selfJoined(room));
    const sent = await ok(t, `/msg ${room} wrong room, sorry`);
    const id = (sent.data as { id: string }).id;
    await other.waitEvent(ev("message", (e) => e.body === "wrong room, sorry"));
    // Our copy learns the room's stanza-id from the reflection; the retraction refers to it.
    await waitFor(() => t.store.account("me").conversations[room]!.messages.find((m) => m.id === id)?.stanzaId);
    const sid = t.store.account("me").conversations[room]!.messages.find((m) => m.id === id)!.stanzaId!;
    const r = await ok(t, `/retract --to ${room}`);
    expect(r.data).toEqual({ room, id: sid });
    expect(t.store.account("me").conversations[room]!.messages.find((m) => m.id === id)).toMatchObject({ body: "", retracted: { by: "me" } });
    await other.waitEvent(ev("message_retracted", (e) => e.room === room && e.moderated === false && e.by === "me"));
    expect(other.store.account("other").conversations[room]!.messages.some((m) => m.body === "wrong room, sorry")).toBe(false);
    const fallback = await hank.next((e) => e.event === "message" && String(e.xml).includes("urn:xmpp:message-retract:1"));
    expect(String(fallback.body)).toContain("attempted to retract");
    expect((await t.command(`/retract --to ${room}`)).ok).toBe(false);
  });
});
