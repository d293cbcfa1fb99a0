/**
 * The chat feature wired into a real client, without a network: stanzas are injected as the
 * engine would deliver them, and we look at the published events and the store.
 */
import { afterEach, describe, expect, it } from "vitest";

import { xml, type XmlElement } from "../../src/core/xmpp/transport/xml.js";
import { tempClient } from "../helpers/engine.js";

const ME = "me@example.org";
const BOB = "bob@example.org";
const CARBONS = "urn:xmpp:carbons:2";
const FORWARD = "urn:xmpp:forward:0";
const CHATSTATES = "http://jabber.org/protocol/chatstates";
const CORRECT = "urn:xmpp:message-correct:0";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

let t: ReturnType<typeof tempClient>;
afterEach(async () => {
  await t?.close();
});

function setup() {
  t = tempClient([{ jid: ME, name: "work" }]);
  const inject = (stanza: XmlElement) => t.engine.emit("stanza", { account: "work", stanza });
  const events = (name: string) => t.events.filter((e) => e.event === name);
  const conv = (peer = BOB) => t.store.account("work").conversations[peer];
  return { inject, events, conv };
}

const chat = (from: string, body: string, attrs: Record<string, string> = {}, ...children: XmlElement[]) =>
  xml("message", { from, to: `${ME}/jabterm`, type: "chat", ...attrs }, xml("body", {}, body), ...children);

const carbon = (kind: "received" | "sent", outerFrom: string, inner: XmlElement) =>
  xml("message", { from: outerFrom, to: `${ME}/jabterm` }, xml(kind, { xmlns: CARBONS }, xml("forwarded", { xmlns: FORWARD }, inner)));

describe("chat feature: incoming", () => {
  it("a chat message lands in the conversation, is published with its lock, and locks onto the resource", () => {
    const { inject, events, conv } = setup();
    inject(chat(`${BOB}/phone`, "hi", { id: "m1" }));
    expect(events("message")).toEqual([expect.objectContaining({ account: "work", direction: "in", from: `${BOB}/phone`, id: "m1", body: "hi", type: "chat", lock: "phone" })]);
    expect(conv()).toMatchObject({ unread: 1, lock: "phone", messages: [{ id: "m1", body: "hi" }] });
    expect(events("conversation")).toEqual([expect.objectContaining({ account: "work", peer: BOB, lock: "phone", lock_manual: false, reason: "message" })]);
    // presence from the contact unlocks, visibly
    inject(xml("presence", { from: `${BOB}/laptop` }));
    expect(conv()?.lock).toBeUndefined();
    expect(events("conversation").at(-1)).toMatchObject({ peer: BOB, lock: null, reason: "presence" });
  });

  it("drops a forged carbon with a warning; accepts real ones (received: in, sent: ours from another device)", () => {
    const { inject, events, conv } = setup();
    inject(carbon("received", "mallory@example.org/x", chat("victim-contact@example.org/x", "forged", { id: "f1", to: ME })));
    expect(events("warning")).toEqual([expect.objectContaining({ account: "work", code: "forged_carbon", from: "mallory@example.org/x" })]);
    expect(events("message")).toEqual([]);
    expect(conv("victim-contact@example.org")).toBeUndefined();

    inject(carbon("received", ME, chat(`${BOB}/phone`, "to your phone", { id: "r1", to: `${ME}/phone` })));
    inject(carbon("sent", ME, xml("message", { from: `${ME}/phone`, to: `${BOB}/phone`, type: "chat", id: "s1" }, xml("body", {}, "from my phone"))));
    expect(events("message")).toEqual([
      expect.objectContaining({ direction: "in", carbon: "received", from: `${BOB}/phone`, body: "to your phone" }),
      expect.objectContaining({ direction: "out", carbon: "sent", from: `${ME}/phone`, to: `${BOB}/phone`, body: "from my phone" }),
    ]);
    // we answered from the phone: read there
    expect(conv()).toMatchObject({ unread: 0 });
    expect(conv()!.messages.map((m) => [m.direction, m.carbon])).toEqual([
      ["in", "received"],
      ["out", "sent"],
    ]);
  });

  it("a message that arrives both directly and as a carbon counts once", () => {
    const { inject, events, conv } = setup();
    const m = chat(`${BOB}/phone`, "once", { id: "d1" });
    inject(m);
    inject(carbon("received", ME, chat(`${BOB}/phone`, "once", { id: "d1", to: ME })));
    expect(events("message")).toHaveLength(1);
    expect(conv()).toMatchObject({ unread: 1 });
  });

  it("corrections: applied from the sender, ignored (with a warning) from anyone else", () => {
    const { inject, events, conv } = setup();
    inject(chat(`${BOB}/phone`, "helo", { id: "orig" }));
    inject(chat("mallory@example.org/x", "send money", { id: "evil" }, xml("replace", { xmlns: CORRECT, id: "orig" })));
    expect(events("warning")).toEqual([expect.objectContaining({ code: "forged_correction", from: "mallory@example.org/x", id: "orig" })]);
    expect(conv()!.messages[0]!.body).toBe("helo");
    expect(conv("mallory@example.org")).toBeUndefined();
    inject(chat(`${BOB}/laptop`, "hello", { id: "fix" }, xml("replace", { xmlns: CORRECT, id: "orig" })));
    expect(events("message_corrected")).toEqual([expect.objectContaining({ account: "work", id: "orig", from: `${BOB}/laptop`, body: "hello", previous: "helo" })]);
    expect(conv()!.messages).toHaveLength(1);
    expect(conv()!.messages[0]).toMatchObject({ body: "hello", corrections: ["helo"] });
    // a correction of a message we never saw is shown as a message
    inject(chat(`${BOB}/laptop`, "what?", { id: "fix2" }, xml("replace", { xmlns: CORRECT, id: "unknown" })));
    expect(conv()!.messages.map((m) => m.body)).toEqual(["hello", "what?"]);
  });

  it("keeps delays, flags absurd ones; /me, normal and headline messages are shown", () => {
    const { inject, events, conv } = setup();
    inject(chat(`${BOB}/phone`, "old", { id: "o1" }, xml("delay", { xmlns: "urn:xmpp:delay", from: "example.org", stamp: "2024-01-02T03:04:05Z" })));
    inject(chat(`${BOB}/phone`, "future", { id: "o2" }, xml("delay", { xmlns: "urn:xmpp:delay", stamp: "2999-01-01T00:00:00Z" })));
    inject(chat(`${BOB}/phone`, "/me waves", { id: "o3" }));
    inject(xml("message", { from: BOB, to: ME, type: "normal", id: "o4" }, xml("body", {}, "memo")));
    inject(xml("message", { from: "example.org", to: ME, type: "headline" }, xml("subject", {}, "MOTD"), xml("body", {}, "hello all")));
    const msgs = events("message");
    expect(msgs[0]).toMatchObject({ body: "old", delay: "2024-01-02T03:04:05.000Z" });
    expect(msgs[0]!.delay_issue).toBeUndefined();
    expect(msgs[1]).toMatchObject({ body: "future", delay_issue: "future" });
    expect(Date.parse(String(msgs[1]!.delay))).toBeLessThan(Date.now() + 1000);
    expect(msgs[2]).toMatchObject({ body: "/me waves", me: true });
    expect(msgs[3]).toMatchObject({ type: "normal", body: "memo" });
    expect(msgs[4]).toMatchObject({ type: "headline", from: "example.org", subject: "MOTD", body: "hello all" });
    expect(conv()!.messages.map((m) => m.type)).toEqual(["chat", "chat", "chat", "normal"]);
    expect(conv("example.org")!.messages[0]!.subject).toBe("MOTD");
    // delayed messages do not lock
    expect(events("conversation").filter((e) => e.reason === "message")).toHaveLength(1);
  });

  it("chat states are stored and published; a groupchat message from a room we are not in is dropped", () => {
    const { inject, events, conv } = setup();
    inject(xml("message", { from: `${BOB}/phone`, to: ME, type: "chat" }, xml("composing", { xmlns: CHATSTATES })));
    expect(events("chatstate")).toEqual([expect.objectContaining({ account: "work", from: `${BOB}/phone`, peer: BOB, state: "composing" })]);
    expect(conv()).toMatchObject({ chatState: { state: "composing" }, peerChatStates: true, messages: [] });
    inject(chat(`${BOB}/phone`, "done", { id: "x" }, xml("active", { xmlns: CHATSTATES })));
    expect(events("chatstate").at(-1)).toMatchObject({ state: "active" });
    const before = events("message").length;
    inject(xml("message", { from: "room@conference.example.org/nick", type: "groupchat", id: "g" }, xml("body", {}, "hi all")));
    // Rooms are the MUC feature's: a room we never joined is not a conversation, nor news.
    expect(events("message")).toHaveLength(before);
    expect(conv("room@conference.example.org")).toBeUndefined();
  });
});

describe("chat feature: commands and the outbox (offline)", () => {
  it("/resource locks by hand; /msg to the bare JID then goes to that resource", async () => {
    const { events, conv } = setup();
    const r = await t.command(`/resource -a work phone --to ${BOB}`);
    expect(r.ok).toBe(true);
    expect(events("conversation").at(-1)).toMatchObject({ peer: BOB, lock: "phone", lock_manual: true, reason: "manual" });
    const m = await t.command(`/msg -a work ${BOB} hi there`);
    expect(m.data).toMatchObject({ to: `${BOB}/phone`, state: "queued" });
    expect(conv()!.messages.at(-1)).toMatchObject({ direction: "out", to: `${BOB}/phone`, body: "hi there", state: "queued" });
    // a full JID is used as given
    expect((await t.command(`/msg -a work ${BOB}/laptop psst`)).data).toMatchObject({ to: `${BOB}/laptop` });
    await t.command(`/resource -a work off --to ${BOB}`);
    expect(conv()!.lock).toBeUndefined();
    expect((await t.command(`/msg -a work ${BOB} bare`)).data).toMatchObject({ to: BOB });
    const bad = await t.command(`/resource -a work off --to not@@valid`);
    expect(bad.ok).toBe(false);
  });

  it("/correct replaces our last message, /me sends an action, /read clears unread", async () => {
    const { inject, events, conv } = setup();
    expect((await t.command(`/correct -a work --to ${BOB} nothing yet`)).error?.code).toBe("usage");
    await t.command(`/msg -a work ${BOB} see you at 4`);
    const c = await t.command(`/correct -a work --to ${BOB} see you at 5`);
    expect(c.ok).toBe(true);
    const original = conv()!.messages[0]!;
    expect(c.data).toMatchObject({ replaces: original.id, state: "queued" });
    expect(t.client.outbox.get((c.data as { id: string }).id)).toMatchObject({ replaces: original.id, body: "see you at 5" });
    expect(conv()!.messages).toHaveLength(1);
    expect(original).toMatchObject({ body: "see you at 5", corrections: ["see you at 4"] });
    expect(events("message_corrected")).toEqual([expect.objectContaining({ id: original.id, body: "see you at 5", previous: "see you at 4", direction: "out" })]);

    await t.command(`/me -a work --to ${BOB} waves`);
    expect(conv()!.messages.at(-1)).toMatchObject({ body: "/me waves", me: true });

    inject(chat(`${BOB}/phone`, "ok", { id: "r1" }));
    expect(conv()!.unread).toBe(1);
    const read = await t.command(`/read -a work --to ${BOB}`);
    expect(read.data).toMatchObject({ peer: BOB, unread_before: 1, displayed: null }); // offline: no marker
    expect(conv()!.unread).toBe(0);
    expect(events("conversation").at(-1)).toMatchObject({ peer: BOB, unread: 0, reason: "read" });

    const cs = await t.command(`/chatstate -a work --to ${BOB} composing`);
    expect(cs.data).toMatchObject({ sent: false });
    expect((await t.command(`/chatstate -a work --to ${BOB} typing`)).ok).toBe(false);
  });

  it("an error reply fails the message it answers (not shown as a message of its own)", async () => {
    const { inject, events, conv } = setup();
    const r = await t.command(`/msg -a work nobody@example.org hello?`);
    const id = (r.data as { id: string }).id;
    inject(
      xml(
        "message",
        { from: "nobody@example.org", to: `${ME}/jabterm`, type: "error", id },
        xml("body", {}, "hello?"),
        xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: STANZAS }), xml("text", { xmlns: STANZAS }, "no such user")),
      ),
    );
    expect(events("message_state").at(-1)).toMatchObject({ id, state: "failed", error: { condition: "service-unavailable", code: "stanza" } });
    expect(conv("nobody@example.org")!.messages).toEqual([expect.objectContaining({ id, direction: "out", state: "failed", error: expect.objectContaining({ condition: "service-unavailable" }) })]);
    expect(events("message").filter((e) => e.direction === "in")).toEqual([]);
    // someone else cannot fail it, and an error about nothing of ours is shown
    inject(xml("message", { from: "x@example.org", type: "error", id: "zzz" }, xml("error", { type: "cancel" }, xml("item-not-found", { xmlns: STANZAS }))));
    expect(events("message").at(-1)).toMatchObject({ direction: "in", type: "error", error: { condition: "item-not-found" } });
  });

  it("our outgoing messages enter the conversation when queued, with <active/> and a receipt request", async () => {
    const { conv } = setup();
    await t.command(`/msg -a work ${BOB} queued one`);
    const m = conv()!.messages[0]!;
    expect(m).toMatchObject({ direction: "out", state: "queued", from: ME });
    expect(t.client.outbox.get(m.id)).toMatchObject({ active: true });
    t.config.setSetting("send_chat_states", "false");
    await t.command(`/msg -a work ${BOB} quiet`);
    expect(t.client.outbox.get(conv()!.messages[1]!.id)?.active).toBeUndefined();
  });
});
