/**
 * Rooms without a network: the pure parts (stanzas, highlights, data forms, the rooms slice) and
 * the MUC feature wired into a real client with stanzas injected as the engine delivers them.
 */
import { afterEach, describe, expect, it } from "vitest";

import { createStore } from "../../src/core/store/store.js";
import { conversationKey } from "../../src/core/store/slices/rooms.js";
import { buildSubmit, coerceValues, formLines, parseForm } from "../../src/core/xmpp/features/data-forms.js";
import { findHighlight } from "../../src/core/xmpp/features/muc-highlight.js";
import { joinErrorText, parseInvitation, parseMucPresence, selfPingVerdict } from "../../src/core/xmpp/features/muc-stanzas.js";
import { xml } from "../../src/core/xmpp/transport/xml.js";
import { tempClient } from "../helpers/engine.js";

const MUC_USER = "http://jabber.org/protocol/muc#user";
const ROOM = "ops@conference.example.org";

const occupant = (nick: string, attrs: Record<string, string> = {}, codes: number[] = [], type?: string) =>
  xml("presence", { from: `${ROOM}/${nick}`, to: "me@example.org/t", type }, xml("x", { xmlns: MUC_USER }, xml("item", { affiliation: "member", role: "participant", ...attrs }), codes.map((c) => xml("status", { code: c }))));

describe("muc stanzas", () => {
  it("parses occupant presence: role, affiliation, real JID, status codes, nick changes", () => {
    const p = parseMucPresence(occupant("bob", { jid: "bob@example.org/x" }, [110, 201]))!;
    expect(p).toMatchObject({ room: ROOM, nick: "bob", available: true, role: "participant", affiliation: "member", jid: "bob@example.org/x", codes: [110, 201] });
    const n = parseMucPresence(occupant("bob", { nick: "robert" }, [303], "unavailable"))!;
    expect(n).toMatchObject({ available: false, newNick: "robert", codes: [303] });
    expect(parseMucPresence(xml("presence", { from: `${ROOM}/x` }))).toBeUndefined();
  });

  it("says what a join error means", () => {
    expect(joinErrorText("not-authorized", ROOM)).toContain("password");
    expect(joinErrorText("registration-required", ROOM)).toContain("members-only");
    expect(joinErrorText("forbidden", ROOM)).toContain("banned");
    expect(joinErrorText("conflict", ROOM)).toContain("already in use");
  });

  it("reads mediated invitations before the XEP-0249 element a room may add", () => {
    const both = xml("message", { from: ROOM }, xml("x", { xmlns: MUC_USER }, xml("invite", { from: "eve@example.org" }, xml("reason", {}, "come")), xml("password", {}, "pw")), xml("x", { xmlns: "jabber:x:conference", jid: ROOM }));
    expect(parseInvitation(both)).toEqual({ room: ROOM, from: "eve@example.org", kind: "mediated", reason: "come", password: "pw" });
    const direct = xml("message", { from: "eve@example.org/x" }, xml("x", { xmlns: "jabber:x:conference", jid: ROOM, reason: "hi" }));
    expect(parseInvitation(direct)).toEqual({ room: ROOM, from: "eve@example.org/x", kind: "direct", reason: "hi" });
  });

  it("interprets self-ping answers as XEP-0410 says", () => {
    expect(selfPingVerdict({ ok: true })).toBe("joined");
    expect(selfPingVerdict({ ok: false, condition: "service-unavailable" })).toBe("joined");
    expect(selfPingVerdict({ ok: false, condition: "feature-not-implemented" })).toBe("joined");
    expect(selfPingVerdict({ ok: false, condition: "item-not-found" })).toBe("joined");
    expect(selfPingVerdict({ ok: false, condition: "not-acceptable" })).toBe("gone");
    expect(selfPingVerdict({ ok: false, condition: "remote-server-timeout" })).toBe("unknown");
    expect(selfPingVerdict({ ok: false, timeout: true })).toBe("unknown");
  });
});

describe("highlights", () => {
  it("match the nick or a word as a whole word, any case", () => {
    expect(findHighlight("alice: ping", "alice")).toBe("alice");
    expect(findHighlight("hey ALICE!", "alice")).toBe("alice");
    expect(findHighlight("malice aforethought", "alice")).toBeUndefined();
    expect(findHighlight("the deploy broke", "alice", ["deploy"])).toBe("deploy");
    expect(findHighlight("redeployed", "alice", ["deploy"])).toBeUndefined();
    expect(findHighlight("a.b (x)", "a.b")).toBe("a.b");
  });
});

describe("data forms (XEP-0004)", () => {
  const form = parseForm(
    xml(
      "x",
      { xmlns: "jabber:x:data", type: "form" },
      xml("title", {}, "Config"),
      xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, "http://jabber.org/protocol/muc#roomconfig")),
      xml("field", { var: "muc#roomconfig_membersonly", type: "boolean", label: "Members only" }, xml("value", {}, "0")),
      xml("field", { var: "muc#roomconfig_whois", type: "list-single" }, xml("value", {}, "moderators"), xml("option", {}, xml("value", {}, "moderators")), xml("option", {}, xml("value", {}, "anyone"))),
    ),
  )!;
  it("lists fields for people", () => {
    expect(formLines(form)).toEqual(["Config", "muc#roomconfig_membersonly = 0  (Members only; 1 or 0)", "muc#roomconfig_whois = moderators  (list-single; one of: moderators, anyone)"]);
  });
  it("checks values and keeps the other fields in the submission", () => {
    expect(coerceValues(form.fields[1]!, ["yes"])).toEqual(["1"]);
    expect(() => coerceValues(form.fields[1]!, ["maybe"])).toThrow(/1 or 0/);
    expect(() => coerceValues(form.fields[2]!, ["nobody"])).toThrow(/one of/);
    const out = buildSubmit(form, { "muc#roomconfig_membersonly": ["1"] }).toString();
    expect(out).toContain("type=\"submit\"");
    expect(out).toContain('<field var="muc#roomconfig_membersonly"><value>1</value></field>');
    expect(out).toContain('<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roomconfig</value></field>');
  });
});

describe("rooms slice", () => {
  it("keys occupants' private conversations by full JID only for known rooms", () => {
    const store = createStore();
    store.dispatch({ type: "rooms/joining", account: "a", room: ROOM, nick: "me" });
    expect(conversationKey(store.account("a"), `${ROOM}/bob`)).toBe(`${ROOM}/bob`);
    expect(conversationKey(store.account("a"), ROOM)).toBe(ROOM);
    expect(conversationKey(store.account("a"), "bob@example.org/phone")).toBe("bob@example.org");
  });
  it("renames, counts highlights until read, and forgets occupants on a new session", () => {
    const store = createStore();
    store.dispatch({ type: "rooms/joining", account: "a", room: ROOM, nick: "me" });
    store.dispatch({ type: "rooms/joined", account: "a", room: ROOM, nick: "me" });
    store.dispatch({ type: "rooms/occupant", account: "a", room: ROOM, occupant: { nick: "bob", role: "participant", affiliation: "none", show: "online" } });
    store.dispatch({ type: "rooms/renamed", account: "a", room: ROOM, from: "bob", to: "rob" });
    expect(Object.keys(store.account("a").rooms[ROOM]!.occupants)).toEqual(["rob"]);
    store.dispatch({ type: "rooms/highlight", account: "a", room: ROOM });
    expect(store.account("a").rooms[ROOM]!.highlights).toBe(1);
    store.dispatch({ type: "conversations/read", account: "a", peer: ROOM });
    expect(store.account("a").rooms[ROOM]!.highlights).toBe(0);
    store.dispatch({ type: "rooms/session", account: "a" });
    expect(store.account("a").rooms[ROOM]).toMatchObject({ state: "left", occupants: {}, leftReason: "disconnected" });
  });
});

describe("muc feature (injected stanzas)", () => {
  let t: ReturnType<typeof tempClient>;
  afterEach(async () => {
    await t?.close();
  });

  it("occupants and messages of a joined room; join lines only after our own presence; notices are not unread", () => {
    t = tempClient([{ jid: "me@example.org", name: "work" }]);
    const inject = (stanza: ReturnType<typeof xml>) => t.engine.emit("stanza", { account: "work", stanza });
    t.store.dispatch({ type: "rooms/joining", account: "work", room: ROOM, nick: "me" });
    inject(occupant("bob"));
    inject(occupant("me", {}, [110]));
    inject(occupant("carol"));
    const conv = () => t.store.account("work").conversations[ROOM]!;
    expect(Object.keys(t.store.account("work").rooms[ROOM]!.occupants).sort()).toEqual(["bob", "carol", "me"]);
    expect(t.events.filter((e) => e.event === "occupant").map((e) => e.nick)).toEqual(["carol"]);
    expect(conv().messages.map((m) => m.notice)).toEqual(["join", "join"]);
    expect(conv().unread).toBe(0);
    inject(xml("message", { from: `${ROOM}/bob`, type: "groupchat", id: "m1" }, xml("body", {}, "me: look")));
    expect(conv().unread).toBe(1);
    expect(t.events.find((e) => e.event === "highlight")).toMatchObject({ account: "work", room: ROOM, nick: "bob", body: "me: look" });
    // The same id from another occupant is another message.
    inject(xml("message", { from: `${ROOM}/carol`, type: "groupchat", id: "m1" }, xml("body", {}, "same id")));
    inject(xml("message", { from: `${ROOM}/bob`, type: "groupchat", id: "m1" }, xml("body", {}, "me: look")));
    expect(conv().messages.filter((m) => !m.notice).map((m) => m.body)).toEqual(["me: look", "same id"]);
  });
});

describe("retraction (XEP-0424) and moderation (XEP-0425) in rooms", () => {
  let t: ReturnType<typeof tempClient>;
  afterEach(async () => {
    await t?.close();
  });
  const SID = "urn:xmpp:sid:0";
  const msg = (nick: string, id: string, sid: string, body: string) =>
    xml("message", { from: `${ROOM}/${nick}`, type: "groupchat", id }, xml("body", {}, body), xml("stanza-id", { xmlns: SID, by: ROOM, id: sid }));

  it("the sender may retract its own message; others may not; the room's moderation removes any (both forms)", () => {
    t = tempClient([{ jid: "me@example.org", name: "work" }]);
    const inject = (stanza: ReturnType<typeof xml>) => t.engine.emit("stanza", { account: "work", stanza });
    t.store.dispatch({ type: "rooms/joining", account: "work", room: ROOM, nick: "me" });
    inject(occupant("me", {}, [110]));
    inject(msg("bob", "b1", "s1", "oops"));
    inject(msg("bob", "b2", "s2", "spam"));
    inject(msg("carol", "c1", "s3", "also spam"));
    const byId = (id: string) => t.store.account("work").conversations[ROOM]!.messages.find((m) => m.id === id)!;

    // carol cannot retract bob's message
    inject(xml("message", { from: `${ROOM}/carol`, type: "groupchat", id: "x1" }, xml("retract", { xmlns: "urn:xmpp:message-retract:1", id: "s1" })));
    expect(byId("b1").body).toBe("oops");
    expect(t.events.find((e) => e.event === "warning")).toMatchObject({ code: "forged_retraction" });
    // bob can (by the room's stanza-id)
    inject(xml("message", { from: `${ROOM}/bob`, type: "groupchat", id: "x2" }, xml("retract", { xmlns: "urn:xmpp:message-retract:1", id: "s1" }), xml("body", {}, "fallback text")));
    expect(byId("b1")).toMatchObject({ body: "", retracted: { by: "bob" } });
    // a moderation announced by the room (XEP-0425 v0.3) ...
    inject(
      xml("message", { from: ROOM, type: "groupchat", id: "x3" }, xml("retract", { xmlns: "urn:xmpp:message-retract:1", id: "s2" }, xml("moderated", { xmlns: "urn:xmpp:message-moderate:1", by: `${ROOM}/mod` }), xml("reason", {}, "spam"))),
    );
    expect(byId("b2")).toMatchObject({ body: "", retracted: { by: `${ROOM}/mod`, reason: "spam" } });
    // ... and in the earlier fasten-based form (mod_muc_moderation)
    inject(
      xml(
        "message",
        { from: ROOM, type: "groupchat", id: "x4" },
        xml("apply-to", { xmlns: "urn:xmpp:fasten:0", id: "s3" }, xml("moderated", { xmlns: "urn:xmpp:message-moderate:0", by: `${ROOM}/mod` }, xml("retract", { xmlns: "urn:xmpp:message-retract:0" }), xml("reason", {}, "no"))),
      ),
    );
    expect(byId("c1")).toMatchObject({ body: "", retracted: { reason: "no" } });
    // an occupant cannot fake a moderation
    inject(msg("bob", "b3", "s4", "keep me"));
    inject(xml("message", { from: `${ROOM}/bob`, type: "groupchat", id: "x5" }, xml("retract", { xmlns: "urn:xmpp:message-retract:1", id: "s4" }, xml("moderated", { xmlns: "urn:xmpp:message-moderate:1", by: `${ROOM}/bob` }))));
    expect(byId("b3").body).toBe("keep me");
    expect(t.events.filter((e) => e.event === "message_retracted")).toHaveLength(3);
    // the fallback body of a retraction is not a message
    expect(t.store.account("work").conversations[ROOM]!.messages.some((m) => m.body === "fallback text")).toBe(false);
  });
});

describe("per-room notification (muc_notify, /room notify)", () => {
  let t: ReturnType<typeof tempClient>;
  afterEach(async () => {
    await t?.close();
  });

  it("parses and writes the setting; highlight is the default and is not written", async () => {
    const { parseNotify, formatNotify } = await import("../../src/core/xmpp/features/muc-highlight.js");
    expect([...parseNotify("a@x=none, b@x=all,bad,c@x=loud")]).toEqual([["a@x", "none"], ["b@x", "all"]]);
    expect(formatNotify("a@x=none", "b@x", "all")).toBe("a@x=none,b@x=all");
    expect(formatNotify("a@x=none", "a@x", "highlight")).toBe("");
  });

  it("none: mentions do not highlight; all: every message does; saved in the config", async () => {
    t = tempClient([{ jid: "me@example.org", name: "work" }]);
    const inject = (stanza: ReturnType<typeof xml>) => t.engine.emit("stanza", { account: "work", stanza });
    t.store.dispatch({ type: "rooms/joining", account: "work", room: ROOM, nick: "me" });
    inject(occupant("me", {}, [110]));
    const say = (id: string, body: string) => inject(xml("message", { from: `${ROOM}/bob`, type: "groupchat", id }, xml("body", {}, body)));
    const highlights = () => t.events.filter((e) => e.event === "highlight").map((e) => e.body);

    const none = await t.command(`/room notify -a work --to ${ROOM} none`);
    expect(none.ok).toBe(true);
    expect(t.config.settings().muc_notify).toBe(`${ROOM}=none`);
    say("1", "me: hello");
    expect(highlights()).toEqual([]);
    await t.command(`/room notify -a work --to ${ROOM} all`);
    say("2", "just chatter");
    expect(highlights()).toEqual(["just chatter"]);
    await t.command(`/room notify -a work --to ${ROOM} highlight`);
    expect(t.config.settings().muc_notify).toBeUndefined();
    say("3", "more chatter");
    say("4", "me: you there?");
    expect(highlights()).toEqual(["just chatter", "me: you there?"]);
    const shown = await t.command(`/room notify -a work --to ${ROOM}`);
    expect(shown.data).toEqual({ room: ROOM, notify: "highlight" });
  });
});
