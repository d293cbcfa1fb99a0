import { describe, expect, it } from "vitest";

import {
  conversationsReducer,
  correctionVerdict,
  deliveryRank,
  emptyConversation,
  findOriginal,
  isDuplicate,
  lastMarkable,
  lastOutgoing,
  lockAfterMessage,
  lockAfterPresence,
  MAX_MESSAGES,
  sendTarget,
  type ConversationsAction,
} from "../../src/core/store/slices/conversations.js";
import { createStore } from "../../src/core/store/store.js";
import type { AccountSlice, ChatMessage, Conversation } from "../../src/core/store/types.js";

const A = "work";
const BOB = "bob@example.org";
const OWN = "me@example.org/laptop";

let n = 0;
function msgIn(over: Partial<ChatMessage> = {}): ChatMessage {
  n++;
  return { id: `in-${n}`, direction: "in", from: `${BOB}/phone`, to: OWN, type: "chat", body: `hello ${n}`, time: new Date(1_700_000_000_000 + n).toISOString(), ...over };
}
function msgOut(over: Partial<ChatMessage> = {}): ChatMessage {
  n++;
  return { id: `out-${n}`, direction: "out", from: OWN, to: BOB, type: "chat", body: `reply ${n}`, time: new Date(1_700_000_000_000 + n).toISOString(), state: "queued", ...over };
}

type Slice = AccountSlice["conversations"];
function run(actions: ConversationsAction[], start: Slice = {}): Slice {
  return actions.reduce((s, a) => conversationsReducer(s, a), start);
}
const add = (message: ChatMessage, extra: Partial<Extract<ConversationsAction, { type: "conversations/message" }>> = {}): ConversationsAction => ({
  type: "conversations/message",
  account: A,
  peer: BOB,
  message,
  ...extra,
});
const presence = (resource: string, available: boolean): ConversationsAction => ({ type: "conversations/presence", account: A, peer: BOB, resource, available });

describe("conversations: messages", () => {
  it("ignores other slices' actions and keeps identity", () => {
    const s: Slice = {};
    expect(conversationsReducer(s, { type: "roster/placeholder" })).toBe(s);
  });

  it("adds messages in and out to the peer's conversation; only incoming ones count as unread", () => {
    const s = run([add(msgIn()), add(msgOut()), add(msgIn())]);
    const c = s[BOB]!;
    expect(c.peer).toBe(BOB);
    expect(c.messages.map((m) => m.direction)).toEqual(["in", "out", "in"]);
    expect(c.unread).toBe(2);
  });

  it("error messages are kept but are not unread", () => {
    const s = run([add(msgIn({ type: "error", body: "", error: { condition: "service-unavailable" } }))]);
    expect(s[BOB]!.messages).toHaveLength(1);
    expect(s[BOB]!.unread).toBe(0);
  });

  it("normal and headline messages are conversations too", () => {
    const s = run([add(msgIn({ type: "normal" })), add(msgIn({ type: "headline" }))]);
    expect(s[BOB]!.messages.map((m) => m.type)).toEqual(["normal", "headline"]);
    expect(s[BOB]!.unread).toBe(2);
  });

  it("drops duplicates: same id from the same sender (any resource), or the same archive id", () => {
    const first = msgIn({ id: "dup", stanzaId: "arch-1" });
    const s1 = run([add(first)]);
    expect(run([add({ ...first, from: `${BOB}/laptop`, carbon: "received" })], s1)).toBe(s1);
    expect(run([add(msgIn({ id: "other", stanzaId: "arch-1" }))], s1)).toBe(s1);
    // same id from someone else is another message
    const s2 = run([add(msgIn({ id: "dup", from: "carol@example.org/x" }))], s1);
    expect(s2[BOB]!.messages).toHaveLength(2);
    // same id in the other direction too
    expect(isDuplicate(s1[BOB], msgOut({ id: "dup" }))).toBe(false);
  });

  it("keeps the last MAX_MESSAGES messages", () => {
    let s: Slice = {};
    for (let i = 0; i < MAX_MESSAGES + 5; i++) s = conversationsReducer(s, add(msgIn({ id: `m${i}` })));
    const c = s[BOB]!;
    expect(c.messages).toHaveLength(MAX_MESSAGES);
    expect(c.messages[0]!.id).toBe("m5");
    expect(c.messages.at(-1)!.id).toBe(`m${MAX_MESSAGES + 4}`);
    expect(c.unread).toBe(MAX_MESSAGES + 5);
  });

  it("duplicates are found through appends, drops off the front and in-place changes (the id index)", () => {
    let s: Slice = {};
    const sent: ChatMessage[] = [];
    for (let i = 0; i < MAX_MESSAGES + 5; i++) {
      const m = msgIn({ id: `x${i}`, stanzaId: `sid${i}` });
      sent.push(m);
      s = conversationsReducer(s, add(m));
      // Asked between appends, as the reducer does: the index follows each new array.
      expect(isDuplicate(s[BOB], m)).toBe(true);
    }
    const last = sent.at(-1)!;
    expect(isDuplicate(s[BOB], { ...last })).toBe(true);
    expect(isDuplicate(s[BOB], { ...sent[MAX_MESSAGES + 5 - 3]!, id: "other" })).toBe(true); // same archive id
    expect(isDuplicate(s[BOB], { ...sent[2]! })).toBe(false); // dropped off the front: no longer there
    expect(isDuplicate(s[BOB], msgIn())).toBe(false);
    // An in-place change (a correction) makes a new array: its index is built afresh.
    const before = s;
    s = run([{ type: "conversations/correct", account: A, peer: BOB, id: last.id, body: "fixed" }], s);
    expect(isDuplicate(s[BOB], { ...last, body: "fixed" })).toBe(true);
    expect(isDuplicate(s[BOB], { ...last })).toBe(true); // an earlier version of it
    // The previous state still answers correctly (its index is rebuilt when asked).
    expect(isDuplicate(before[BOB], { ...last, body: "fixed", stanzaId: undefined })).toBe(false);
    expect(isDuplicate(before[BOB], { ...sent[10]!, stanzaId: undefined })).toBe(true);
  });

  it("a sent carbon (we answered from another device) clears unread", () => {
    const s = run([add(msgIn()), add(msgIn()), add(msgOut({ carbon: "sent", from: "me@example.org/phone" }))]);
    expect(s[BOB]!.unread).toBe(0);
  });

  it("follows the outbox's delivery states (including back to queued and failed with an error)", () => {
    const out = msgOut({ id: "o1" });
    let s = run([add(out)]);
    const st = (state: ChatMessage["state"] & string, error?: ChatMessage["error"]): ConversationsAction => ({ type: "conversations/state", account: A, peer: BOB, id: "o1", state, error });
    s = run([st("sent"), st("queued"), st("sent"), st("acked")], s);
    expect(s[BOB]!.messages[0]!.state).toBe("acked");
    s = run([st("failed", { condition: "service-unavailable", text: "gone" })], s);
    expect(s[BOB]!.messages[0]).toMatchObject({ state: "failed", error: { condition: "service-unavailable", text: "gone" } });
    // unknown id, unknown peer, incoming message: unchanged
    expect(run([{ type: "conversations/state", account: A, peer: BOB, id: "nope", state: "delivered" }], s)).toBe(s);
    expect(run([{ type: "conversations/state", account: A, peer: "x@y", id: "o1", state: "delivered" }], s)).toBe(s);
    const withIn = run([add(msgIn({ id: "i1" }))], s);
    expect(run([{ type: "conversations/state", account: A, peer: BOB, id: "i1", state: "delivered" }], withIn)).toBe(withIn);
    expect(deliveryRank("displayed")).toBeGreaterThan(deliveryRank("delivered"));
    expect(deliveryRank("failed")).toBeLessThan(deliveryRank("queued"));
    expect(deliveryRank(undefined)).toBeLessThan(deliveryRank("failed"));
  });

  it("a correction replaces the text and keeps the earlier ones", () => {
    let s = run([add(msgIn({ id: "c1", body: "helo" }))]);
    const fix = (body: string): ConversationsAction => ({ type: "conversations/correct", account: A, peer: BOB, id: "c1", body });
    s = run([fix("hello"), fix("/me says hello")], s);
    expect(s[BOB]!.messages[0]).toMatchObject({ body: "/me says hello", corrections: ["helo", "hello"], me: true });
    s = run([fix("plain")], s);
    expect(s[BOB]!.messages[0]!.me).toBeUndefined();
    expect(run([fix("plain")], s)).toBe(s); // same text: nothing to do
  });

  it("read clears unread and remembers the displayed marker", () => {
    let s = run([add(msgIn()), add(msgIn())]);
    s = run([{ type: "conversations/read", account: A, peer: BOB, displayed: "in-x" }], s);
    expect(s[BOB]).toMatchObject({ unread: 0, displayedSent: "in-x" });
    expect(run([{ type: "conversations/read", account: A, peer: BOB }], s)).toBe(s);
    expect(run([{ type: "conversations/read", account: A, peer: "nobody@x" }], s)).toBe(s);
  });
});

describe("conversations: resource locking (XEP-0296)", () => {
  const locked = (s: Slice) => s[BOB]?.lock;

  it("a chat message from a full JID locks onto that resource; one from another resource moves the lock", () => {
    let s = run([add(msgIn({ from: `${BOB}/phone` }))]);
    expect(locked(s)).toBe("phone");
    s = run([add(msgIn({ from: `${BOB}/laptop` }))], s);
    expect(locked(s)).toBe("laptop");
  });

  it("our own messages, delayed ones, normal/headline/error ones and a bare sender do not lock", () => {
    for (const m of [
      msgOut(),
      msgOut({ carbon: "sent", from: "me@example.org/phone", to: `${BOB}/phone` }),
      msgIn({ delay: "2024-01-01T00:00:00.000Z" }),
      msgIn({ delayIssue: "invalid" }),
      msgIn({ type: "normal" }),
      msgIn({ type: "headline" }),
      msgIn({ type: "error" }),
      msgIn({ from: BOB }),
    ]) {
      expect(locked(run([add(m)])), JSON.stringify(m)).toBeUndefined();
    }
  });

  it("a received carbon locks too (the contact is active on that resource)", () => {
    expect(locked(run([add(msgIn({ carbon: "received", from: `${BOB}/tablet` }))]))).toBe("tablet");
  });

  it("any presence change of the contact unlocks an automatic lock", () => {
    const s = run([add(msgIn({ from: `${BOB}/phone` }))]);
    expect(locked(run([presence("phone", false)], s))).toBeUndefined();
    expect(locked(run([presence("phone", true)], s))).toBeUndefined();
    expect(locked(run([presence("laptop", true)], s))).toBeUndefined();
    expect(locked(run([presence("laptop", false)], s))).toBeUndefined();
  });

  it("presence without a lock, or for an unknown conversation, changes nothing", () => {
    const s = run([add(msgOut())]);
    expect(run([presence("phone", false)], s)).toBe(s);
    expect(run([{ type: "conversations/presence", account: A, peer: "x@y", resource: "r", available: false }], s)).toBe(s);
  });

  it("a lock set by hand survives messages and presence, and ends when its resource goes offline", () => {
    let s = run([{ type: "conversations/lock", account: A, peer: BOB, resource: "desk", manual: true }]);
    expect(s[BOB]).toMatchObject({ lock: "desk", lockManual: true, messages: [], unread: 0 });
    s = run([add(msgIn({ from: `${BOB}/phone` })), presence("phone", true), presence("phone", false), presence("desk", true)], s);
    expect(s[BOB]).toMatchObject({ lock: "desk", lockManual: true });
    s = run([presence("desk", false)], s);
    expect(s[BOB]!.lock).toBeUndefined();
    expect(s[BOB]!.lockManual).toBeUndefined();
    // back to automatic locking
    expect(locked(run([add(msgIn({ from: `${BOB}/phone` }))], s))).toBe("phone");
  });

  it("unlock by hand; setting the same lock twice is no change", () => {
    const s = run([{ type: "conversations/lock", account: A, peer: BOB, resource: "desk", manual: true }]);
    expect(run([{ type: "conversations/lock", account: A, peer: BOB, resource: "desk", manual: true }], s)).toBe(s);
    const off = run([{ type: "conversations/lock", account: A, peer: BOB }], s);
    expect(off[BOB]!.lock).toBeUndefined();
    expect(off[BOB]!.lockManual).toBeUndefined();
    expect(run([{ type: "conversations/lock", account: A, peer: BOB }], off)).toBe(off);
  });

  it("<gone/> from the locked resource unlocks (an automatic lock only)", () => {
    const s = run([add(msgIn({ from: `${BOB}/phone` }))]);
    const gone = (from: string): ConversationsAction => ({ type: "conversations/chatstate", account: A, peer: BOB, state: "gone", from, at: "2025-01-01T00:00:00.000Z" });
    expect(locked(run([gone(`${BOB}/laptop`)], s))).toBe("phone");
    expect(locked(run([gone(`${BOB}/phone`)], s))).toBeUndefined();
    const manual = run([{ type: "conversations/lock", account: A, peer: BOB, resource: "phone", manual: true }]);
    expect(locked(run([gone(`${BOB}/phone`)], manual))).toBe("phone");
  });

  it("a fresh session drops automatic locks and chat states, keeps manual locks", () => {
    let s = run([add(msgIn({ from: `${BOB}/phone` }), { chatState: "composing" })]);
    s = run([{ type: "conversations/lock", account: A, peer: "carol@example.org", resource: "desk", manual: true }], s);
    const after = run([{ type: "conversations/session", account: A }], s);
    expect(after[BOB]!.lock).toBeUndefined();
    expect(after[BOB]!.chatState).toBeUndefined();
    expect(after["carol@example.org"]).toMatchObject({ lock: "desk", lockManual: true });
    expect(run([{ type: "conversations/session", account: A }], after)).toBe(after);
  });

  it("the pure rules and the send target", () => {
    const c: Conversation = { ...emptyConversation(BOB), lock: "phone" };
    expect(lockAfterMessage(c, msgIn({ from: `${BOB}/tab` }))).toBe("tab");
    expect(lockAfterMessage({ ...c, lockManual: true }, msgIn({ from: `${BOB}/tab` }))).toBe("phone");
    expect(lockAfterPresence(c, "phone", true)).toBeUndefined();
    expect(lockAfterPresence({ ...c, lockManual: true }, "tab", false)).toBe("phone");
    expect(sendTarget(c, BOB)).toBe(`${BOB}/phone`);
    expect(sendTarget(c, `${BOB}/laptop`)).toBe(`${BOB}/laptop`);
    expect(sendTarget(emptyConversation(BOB), BOB)).toBe(BOB);
    expect(sendTarget(undefined, BOB)).toBe(BOB);
  });
});

describe("conversations: chat states (XEP-0085)", () => {
  it("stores the peer's state and learns whether it uses chat states", () => {
    let s = run([add(msgIn(), { chatState: "active" })]);
    expect(s[BOB]).toMatchObject({ peerChatStates: true, chatState: { state: "active", from: `${BOB}/phone` } });
    s = run([{ type: "conversations/chatstate", account: A, peer: BOB, state: "composing", from: `${BOB}/phone`, at: "2025-01-01T00:00:00.000Z" }], s);
    expect(s[BOB]!.chatState).toEqual({ state: "composing", from: `${BOB}/phone`, at: "2025-01-01T00:00:00.000Z" });
    // a reply without any chat state: it does not use them
    s = run([add(msgIn())], s);
    expect(s[BOB]!.peerChatStates).toBe(false);
    // our own messages say nothing about the peer
    expect(run([add(msgOut())], s)[BOB]!.peerChatStates).toBe(false);
  });

  it("a chat state from a stranger opens a conversation", () => {
    const s = run([{ type: "conversations/chatstate", account: A, peer: "eve@example.org", state: "composing", from: "eve@example.org/x", at: "t" }]);
    expect(s["eve@example.org"]).toMatchObject({ messages: [], unread: 0, chatState: { state: "composing" } });
  });
});

describe("corrections (XEP-0308): who may correct what", () => {
  const original = msgIn({ id: "orig", from: `${BOB}/phone` });

  it("the peer may correct its own messages (any of its resources)", () => {
    expect(correctionVerdict(original, { from: `${BOB}/phone`, direction: "in" }, OWN)).toBe("apply");
    expect(correctionVerdict(original, { from: `${BOB}/laptop`, direction: "in" }, OWN)).toBe("apply");
    expect(correctionVerdict(original, { from: "BOB@Example.org/x", direction: "in" }, OWN)).toBe("apply");
  });

  it("nobody else may: another contact, the server, or a message of ours", () => {
    expect(correctionVerdict(original, { from: "mallory@example.org/phone", direction: "in" }, OWN)).toBe("forged");
    expect(correctionVerdict(original, { from: "example.org", direction: "in" }, OWN)).toBe("forged");
    expect(correctionVerdict(original, { from: "me@example.org/phone", direction: "out" }, OWN)).toBe("forged");
    const ours = msgOut({ id: "mine", from: OWN });
    expect(correctionVerdict(ours, { from: `${BOB}/phone`, direction: "in" }, OWN)).toBe("forged");
  });

  it("we may correct ours from another device (a sent carbon)", () => {
    const ours = msgOut({ id: "mine", from: OWN });
    expect(correctionVerdict(ours, { from: "me@example.org/phone", direction: "out" }, OWN)).toBe("apply");
    const notOurs = msgOut({ id: "x", from: "someone@else.org/x" });
    expect(correctionVerdict(notOurs, { from: "me@example.org/phone", direction: "out" }, OWN)).toBe("forged");
  });

  it("no original: unknown (shown as a new message)", () => {
    expect(correctionVerdict(undefined, { from: `${BOB}/phone`, direction: "in" }, OWN)).toBe("unknown");
  });

  it("findOriginal looks in the sender's conversation first, then everywhere (so forgeries are found)", () => {
    const s = run([add(original), { type: "conversations/message", account: A, peer: "mallory@example.org", message: msgIn({ id: "m-own", from: "mallory@example.org/x" }) }]);
    expect(findOriginal(s, "mallory@example.org", "orig")).toMatchObject({ peer: BOB, message: { id: "orig" } });
    expect(findOriginal(s, BOB, "orig")?.peer).toBe(BOB);
    expect(findOriginal(s, BOB, "none")).toBeUndefined();
    // by the stanza id attribute too
    const s2 = run([add(msgIn({ id: "origin-x", wireId: "wire-x" }))]);
    expect(findOriginal(s2, BOB, "wire-x")?.message.id).toBe("origin-x");
  });

  it("lastOutgoing and lastMarkable", () => {
    const s = run([add(msgOut({ id: "o1" })), add(msgIn({ id: "i1", markable: true })), add(msgOut({ id: "o2" })), add(msgIn({ id: "i2" }))]);
    expect(lastOutgoing(s[BOB])?.id).toBe("o2");
    expect(lastMarkable(s[BOB])?.id).toBe("i1");
    expect(lastOutgoing(undefined)).toBeUndefined();
    expect(lastMarkable(emptyConversation(BOB))).toBeUndefined();
  });
});

describe("through the store", () => {
  it("every action names its account; other accounts are untouched", () => {
    const store = createStore();
    store.dispatch({ type: "conversations/message", account: "work", peer: BOB, message: msgIn() });
    store.dispatch({ type: "conversations/message", account: "home", peer: BOB, message: msgOut() });
    expect(store.account("work").conversations[BOB]!.unread).toBe(1);
    expect(store.account("home").conversations[BOB]!.unread).toBe(0);
    const before = store.getState();
    store.dispatch({ type: "conversations/read", account: "home", peer: BOB });
    expect(store.getState()).toBe(before);
  });
});

describe("duplicates by id need the same text; delayed messages go in by time", () => {
  it("a reused id with another text is a distinct message; the same text, or an earlier version of it, is a duplicate", () => {
    const first = msgIn({ id: "dup", body: "one" });
    let s = run([add(first)]);
    expect(isDuplicate(s[BOB], { ...first, time: new Date().toISOString() })).toBe(true);
    expect(isDuplicate(s[BOB], { ...first, body: "two" })).toBe(false);
    s = run([add({ ...first, body: "two" })], s);
    expect(s[BOB]!.messages.map((m) => m.body)).toEqual(["one", "two"]);
    const corrected = run([add(msgIn({ id: "c1", body: "new text", corrections: ["old text"] }))]);
    expect(isDuplicate(corrected[BOB], msgIn({ id: "c1", body: "old text" }))).toBe(true);
  });

  it("an archived (delayed) message written before the last live ones is placed among them by time; live ones append", () => {
    const t = (min: number) => new Date(Date.UTC(2026, 10, 25, 12, min)).toISOString();
    const live1 = msgIn({ body: "live 12:10", time: t(10) });
    const live2 = msgIn({ body: "live 12:20", time: t(20) });
    const archived = msgIn({ body: "archived 12:15", time: t(15), delay: t(15) });
    const late = msgIn({ body: "live 12:05 clock", time: t(5) });
    const s = run([add(live1), add(live2), add(archived), add(late)]);
    expect(s[BOB]!.messages.map((m) => m.body)).toEqual(["live 12:10", "archived 12:15", "live 12:20", "live 12:05 clock"]);
  });

  it("a stamp in whole seconds is not placed before live messages of that same second (arrival order within it)", () => {
    const at = (ms: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, 40) + ms).toISOString();
    const live = msgIn({ body: "live 12:00:40.350", time: at(350) });
    const sameSecond = msgIn({ body: "archived 12:00:40", time: at(0), delay: at(0) });
    const earlier = msgIn({ body: "archived 12:00:39", time: at(-1000), delay: at(-1000) });
    const s = run([add(live), add(sameSecond), add(earlier)]);
    expect(s[BOB]!.messages.map((m) => m.body)).toEqual(["archived 12:00:39", "live 12:00:40.350", "archived 12:00:40"]);
  });
});
