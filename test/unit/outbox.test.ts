import { describe, expect, it, test, vi } from "vitest";
import {
  buildChatStanza,
  MemoryOutboxStorage,
  Outbox,
  type DeliveryState,
  type OutboxAccount,
  type OutboxStorage,
  type OutgoingMessage,
} from "../../src/core/messaging/outbox.js";
import { xml, type XmlElement } from "../../src/core/xmpp/transport/xml.js";

const SID = "urn:xmpp:sid:0";
const RECEIPTS = "urn:xmpp:receipts";
const MARKERS = "urn:xmpp:chat-markers:0";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface FakeAccount extends OutboxAccount {
  online: boolean;
  streamManagement: boolean;
  sent: XmlElement[];
  /** Replace to make the next writes fail or block. */
  impl: (stanza: XmlElement) => Promise<void>;
}

function fakeAccount(opts: { name?: string; online?: boolean; streamManagement?: boolean } = {}): FakeAccount {
  const acct: FakeAccount = {
    name: opts.name ?? "work",
    online: opts.online ?? false,
    streamManagement: opts.streamManagement ?? true,
    sent: [],
    impl: async () => {},
    async send(stanza: XmlElement) {
      await acct.impl(stanza);
      acct.sent.push(stanza);
    },
  };
  return acct;
}

function recordStates(outbox: Outbox): DeliveryState[] {
  const states: DeliveryState[] = [];
  outbox.on("state", (m) => states.push(m.state));
  return states;
}

/** A promise plus its resolver, to hold a send() open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("buildChatStanza", () => {
  const base: OutgoingMessage = {
    id: "abc-123",
    account: "work",
    to: "bob@example.org",
    type: "chat",
    body: "hello <world> & friends",
    state: "queued",
    created: new Date(0).toISOString(),
    attempts: 0,
  };

  it("carries id == origin-id, body, a receipt request and a markable", () => {
    const el = buildChatStanza(base);
    expect(el.name).toBe("message");
    expect(el.attrs).toMatchObject({ to: "bob@example.org", type: "chat", id: "abc-123" });
    expect(el.getChildText("body")).toBe("hello <world> & friends");
    expect(el.getChild("origin-id", SID)?.attrs.id).toBe("abc-123");
    expect(el.getChild("request", RECEIPTS)).toBeDefined();
    expect(el.getChild("markable", MARKERS)).toBeDefined();
  });

  it("asks for no receipt in a groupchat message but stays markable", () => {
    const el = buildChatStanza({ ...base, type: "groupchat", to: "room@muc.example.org" });
    expect(el.attrs.type).toBe("groupchat");
    expect(el.getChild("request", RECEIPTS)).toBeUndefined();
    expect(el.getChild("markable", MARKERS)).toBeDefined();
  });
});

describe("Outbox: queueing and flushing", () => {
  it("keeps a message queued and sends nothing while offline", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: false });
    const messages: OutgoingMessage[] = [];
    outbox.on("message", (m) => messages.push(m));
    const msg = outbox.enqueue(acct, "bob@example.org", "hi");
    await outbox.flush(acct);
    expect(acct.sent).toHaveLength(0);
    expect(outbox.get(msg.id)?.state).toBe("queued");
    expect(outbox.get(msg.id)?.attempts).toBe(0);
    expect(msg.id).toMatch(UUID_RE);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ id: msg.id, state: "queued", account: "work", to: "bob@example.org", body: "hi", type: "chat" });
    expect(outbox.pending().map((m) => m.id)).toEqual([msg.id]);
  });

  it("sends queued messages in order once online, id == origin-id, with receipt request and markable", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: false });
    const a = outbox.enqueue(acct, "bob@example.org", "one");
    const b = outbox.enqueue(acct, "carol@example.org", "two");
    const c = outbox.enqueue(acct, "bob@example.org", "three", "normal");
    expect(acct.sent).toHaveLength(0);
    acct.online = true;
    await outbox.flush(acct);
    expect(acct.sent.map((s) => s.getChildText("body"))).toEqual(["one", "two", "three"]);
    expect(acct.sent.map((s) => s.attrs.id)).toEqual([a.id, b.id, c.id]);
    for (const s of acct.sent) {
      expect(s.getChild("origin-id", SID)?.attrs.id).toBe(s.attrs.id);
      expect(s.getChild("request", RECEIPTS)).toBeDefined();
      expect(s.getChild("markable", MARKERS)).toBeDefined();
    }
    expect(acct.sent[1]!.attrs.to).toBe("carol@example.org");
    expect(acct.sent[2]!.attrs.type).toBe("normal");
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    for (const m of [a, b, c]) {
      expect(outbox.get(m.id)).toMatchObject({ state: "sent", attempts: 1, awaitingAck: true });
    }
  });

  it("sends at once when enqueued while online", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: true });
    const msg = outbox.enqueue(acct, "bob@example.org", "now");
    await outbox.flush(acct);
    expect(acct.sent).toHaveLength(1);
    expect(acct.sent[0]!.attrs.id).toBe(msg.id);
  });

  it("only flushes the given account's messages", async () => {
    const outbox = new Outbox();
    const work = fakeAccount({ name: "work" });
    const home = fakeAccount({ name: "home" });
    outbox.enqueue(work, "bob@example.org", "w");
    const h = outbox.enqueue(home, "bob@example.org", "h");
    work.online = true;
    await outbox.flush(work);
    expect(work.sent.map((s) => s.getChildText("body"))).toEqual(["w"]);
    expect(home.sent).toHaveLength(0);
    expect(outbox.get(h.id)?.state).toBe("queued");
  });

  it("stops flushing when the account goes offline mid-flush", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount();
    const a = outbox.enqueue(acct, "bob@example.org", "a");
    const b = outbox.enqueue(acct, "bob@example.org", "b");
    acct.online = true;
    acct.impl = async () => {
      acct.online = false;
    };
    await outbox.flush(acct);
    expect(acct.sent).toHaveLength(1);
    expect(outbox.get(a.id)?.state).toBe("sent");
    expect(outbox.get(b.id)?.state).toBe("queued");
  });

  it("a send that throws leaves the message queued with an error, and a later flush sends it", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount();
    const a = outbox.enqueue(acct, "bob@example.org", "a");
    const b = outbox.enqueue(acct, "bob@example.org", "b");
    await outbox.flush(acct); // let the offline flushes started by enqueue() finish
    const states = recordStates(outbox);
    acct.online = true;
    let tries = 0;
    acct.impl = async () => {
      tries++;
      throw new Error("socket closed");
    };
    await outbox.flush(acct);
    expect(tries).toBe(1);
    const failedA = outbox.get(a.id)!;
    expect(failedA.state).toBe("queued");
    expect(failedA.attempts).toBe(1);
    expect(failedA.error).toMatchObject({ text: "socket closed" });
    // The flush stopped at the first failure: b was not even tried.
    expect(outbox.get(b.id)!.attempts).toBe(0);
    expect(states).toEqual([]);
    expect(outbox.pending().map((m) => m.id)).toEqual([a.id, b.id]);

    acct.impl = async () => {};
    await outbox.flush(acct);
    expect(acct.sent.map((s) => s.attrs.id)).toEqual([a.id, b.id]);
    expect(outbox.get(a.id)).toMatchObject({ state: "sent", attempts: 2 });
    expect(outbox.get(a.id)!.error).toBeUndefined();
  });

  it("two concurrent flush() calls never send a message twice", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount();
    outbox.enqueue(acct, "bob@example.org", "a");
    outbox.enqueue(acct, "bob@example.org", "b");
    acct.online = true;
    const g = gate();
    let calls = 0;
    acct.impl = async () => {
      calls++;
      await g.promise;
    };
    const p1 = outbox.flush(acct);
    const p2 = outbox.flush(acct);
    const p3 = outbox.flush(acct);
    g.open();
    await Promise.all([p1, p2, p3]);
    expect(calls).toBe(2);
    expect(acct.sent.map((s) => s.getChildText("body"))).toEqual(["a", "b"]);
    // And a message enqueued while a flush is blocked goes out exactly once too.
    const g2 = gate();
    acct.impl = async () => {
      calls++;
      await g2.promise;
    };
    const c = outbox.enqueue(acct, "bob@example.org", "c"); // starts a flush
    const d = outbox.enqueue(acct, "bob@example.org", "d"); // chains another
    const p4 = outbox.flush(acct);
    g2.open();
    await p4;
    await outbox.flush(acct);
    expect(acct.sent.map((s) => s.getChildText("body"))).toEqual(["a", "b", "c", "d"]);
    expect(acct.sent.slice(2).map((s) => s.attrs.id)).toEqual([c.id, d.id]);
    expect(calls).toBe(4);
  });
});

describe("Outbox: delivery states", () => {
  async function sentMessage(opts: { to?: string; streamManagement?: boolean } = {}) {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: true, streamManagement: opts.streamManagement ?? true });
    const states = recordStates(outbox);
    const msg = outbox.enqueue(acct, opts.to ?? "bob@example.org", "hello");
    await outbox.flush(acct);
    expect(acct.sent).toHaveLength(1);
    return { outbox, acct, states, msg, stanza: acct.sent[0]! };
  }

  it("goes queued -> sent -> acked -> delivered -> displayed", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: false });
    const events: OutgoingMessage[] = [];
    outbox.on("state", (m) => events.push(m));
    const msg = outbox.enqueue(acct, "bob@example.org", "hello");
    expect(outbox.get(msg.id)?.state).toBe("queued");
    acct.online = true;
    await outbox.flush(acct);
    outbox.onAck("work", acct.sent[0]!);
    outbox.onPeerState("work", "bob@example.org/phone", msg.id, "delivered");
    outbox.onPeerState("work", "bob@example.org/laptop", msg.id, "displayed");
    expect(events.map((e) => e.state)).toEqual(["sent", "acked", "delivered", "displayed"]);
    expect(events.every((e) => e.id === msg.id)).toBe(true);
    // Events carry copies, not the live record.
    expect(events[0]!.state).toBe("sent");
    expect(outbox.get(msg.id)?.state).toBe("displayed");
  });

  it("an ack for another account's message is ignored", async () => {
    const { outbox, states, msg, stanza } = await sentMessage();
    outbox.onAck("home", stanza);
    expect(outbox.get(msg.id)?.state).toBe("sent");
    expect(states).toEqual(["sent"]);
  });

  it("an ack for a non-message stanza or one without id is ignored", async () => {
    const { outbox, msg, stanza } = await sentMessage();
    outbox.onAck("work", xml("iq", { id: stanza.attrs.id, type: "set" }));
    outbox.onAck("work", xml("message", { to: stanza.attrs.to, type: "chat" }, xml("body", {}, "hello")));
    expect(outbox.get(msg.id)?.state).toBe("sent");
  });

  it("accepts the receipt from any resource of the recipient, compared case-insensitively", async () => {
    const { outbox, msg } = await sentMessage({ to: "Bob@Example.ORG" });
    outbox.onPeerState("work", "bob@example.org/Phone", msg.id, "delivered");
    expect(outbox.get(msg.id)?.state).toBe("delivered");
  });

  it("accepts the receipt when the message went to a full JID and another resource answers", async () => {
    const { outbox, msg } = await sentMessage({ to: "bob@example.org/laptop" });
    outbox.onPeerState("work", "bob@example.org/phone", msg.id, "displayed");
    expect(outbox.get(msg.id)?.state).toBe("displayed");
  });

  it("ignores a receipt from someone else, or on another account", async () => {
    const { outbox, states, msg } = await sentMessage();
    outbox.onPeerState("work", "mallory@example.org/bob@example.org", msg.id, "delivered");
    outbox.onPeerState("work", "example.org", msg.id, "delivered");
    outbox.onPeerState("work", "bob@evil.example.org", msg.id, "displayed");
    outbox.onPeerState("home", "bob@example.org", msg.id, "delivered");
    outbox.onPeerState("work", "bob@example.org", "unknown-id", "delivered");
    expect(outbox.get(msg.id)?.state).toBe("sent");
    expect(states).toEqual(["sent"]);
  });

  it("never goes backwards", async () => {
    const { outbox, states, msg, stanza } = await sentMessage();
    outbox.onPeerState("work", "bob@example.org", msg.id, "displayed");
    outbox.onPeerState("work", "bob@example.org", msg.id, "delivered");
    outbox.onAck("work", stanza);
    outbox.onFail("work", stanza);
    expect(outbox.get(msg.id)?.state).toBe("displayed");
    expect(states).toEqual(["sent", "displayed"]);
    // Displayed after a receipt stands for delivery too: no further pending work.
    expect(outbox.pending()).toEqual([]);
  });

  it("a receipt clears awaitingAck (the peer got it, so the server did too)", async () => {
    const { outbox, msg } = await sentMessage();
    expect(outbox.pending().map((m) => m.id)).toEqual([msg.id]);
    outbox.onPeerState("work", "bob@example.org", msg.id, "delivered");
    expect(outbox.get(msg.id)?.awaitingAck).toBe(false);
    expect(outbox.pending()).toEqual([]);
  });

  it("onFail puts a sent message back to queued; the next flush re-sends it once with the same id", async () => {
    const { outbox, acct, states, msg, stanza } = await sentMessage();
    acct.online = false;
    outbox.onFail("work", stanza);
    expect(outbox.get(msg.id)).toMatchObject({ state: "queued", awaitingAck: false });
    expect(outbox.pending().map((m) => m.id)).toEqual([msg.id]);
    acct.online = true;
    await Promise.all([outbox.flush(acct), outbox.flush(acct)]);
    await outbox.flush(acct);
    expect(acct.sent).toHaveLength(2);
    expect(acct.sent[1]!.attrs.id).toBe(msg.id);
    expect(acct.sent[1]!.getChild("origin-id", SID)?.attrs.id).toBe(msg.id);
    expect(outbox.get(msg.id)).toMatchObject({ state: "sent", attempts: 2, awaitingAck: true });
    expect(states).toEqual(["sent", "queued", "sent"]);
  });

  it("onFail after the ack does not re-queue (the server has it)", async () => {
    const { outbox, acct, msg, stanza } = await sentMessage();
    outbox.onAck("work", stanza);
    outbox.onFail("work", stanza);
    expect(outbox.get(msg.id)?.state).toBe("acked");
    await outbox.flush(acct);
    expect(acct.sent).toHaveLength(1);
  });

  it("onFail for another account is ignored", async () => {
    const { outbox, msg, stanza } = await sentMessage();
    outbox.onFail("home", stanza);
    expect(outbox.get(msg.id)?.state).toBe("sent");
  });

  // Regression: flush() used to set "sent" after send() resolved, overwriting an ack that was
  // handled while the write was pending (acked -> sent).
  test("an ack that arrives before send() resolves is not undone", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: true });
    const g = gate();
    acct.impl = () => g.promise;
    const msg = outbox.enqueue(acct, "bob@example.org", "hello");
    // The stanza is already on the wire (send was called); the server acks before the write settles.
    outbox.onAck("work", buildChatStanza(outbox.get(msg.id)!));
    g.open();
    await outbox.flush(acct);
    expect(outbox.get(msg.id)?.state).toBe("acked");
  });

  // Regression: an invalid sender JID used to throw out of the stanza listener.
  test("a receipt with an unparsable from is ignored, not thrown", async () => {
    const { outbox, msg } = await sentMessage();
    expect(() => outbox.onPeerState("work", "@bad@", msg.id, "delivered")).not.toThrow();
    expect(outbox.get(msg.id)?.state).toBe("sent");
  });
});

describe("Outbox: pending()", () => {
  it("counts queued, and sent awaiting an ack; not sent without stream management", async () => {
    const outbox = new Outbox();
    const sm = fakeAccount({ name: "sm", online: true, streamManagement: true });
    const nosm = fakeAccount({ name: "nosm", online: true, streamManagement: false });
    const off = fakeAccount({ name: "off", online: false });
    const a = outbox.enqueue(sm, "bob@example.org", "a");
    const b = outbox.enqueue(nosm, "bob@example.org", "b");
    const c = outbox.enqueue(off, "bob@example.org", "c");
    await Promise.all([outbox.flush(sm), outbox.flush(nosm), outbox.flush(off)]);
    expect(outbox.get(a.id)).toMatchObject({ state: "sent", awaitingAck: true });
    expect(outbox.get(b.id)).toMatchObject({ state: "sent", awaitingAck: false });
    expect(outbox.pending().map((m) => m.id).sort()).toEqual([a.id, c.id].sort());
    expect(outbox.pending("sm").map((m) => m.id)).toEqual([a.id]);
    expect(outbox.pending("nosm")).toEqual([]);
    expect(outbox.pending("off").map((m) => m.id)).toEqual([c.id]);
    outbox.onAck("sm", sm.sent[0]!);
    expect(outbox.pending("sm")).toEqual([]);
  });
});

describe("Outbox: fail()", () => {
  it("marks a queued message failed with an undelivered error, and flush skips it", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount();
    const states = recordStates(outbox);
    const msg = outbox.enqueue(acct, "bob@example.org", "x");
    outbox.fail(msg.id, "not delivered within drain_timeout");
    expect(outbox.get(msg.id)?.state).toBe("failed");
    expect(outbox.get(msg.id)?.error).toMatchObject({ code: "undelivered", text: "not delivered within drain_timeout" });
    expect(states).toEqual(["failed"]);
    expect(outbox.pending()).toEqual([]);
    acct.online = true;
    await outbox.flush(acct);
    expect(acct.sent).toHaveLength(0);
  });

  it("marks a sent message failed but leaves acked ones alone", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: true });
    const a = outbox.enqueue(acct, "bob@example.org", "a");
    const b = outbox.enqueue(acct, "bob@example.org", "b");
    await outbox.flush(acct);
    outbox.onAck("work", acct.sent[1]!);
    outbox.fail(a.id, "gave up");
    outbox.fail(b.id, "gave up");
    outbox.fail("no-such-id", "gave up");
    expect(outbox.get(a.id)?.state).toBe("failed");
    expect(outbox.get(b.id)?.state).toBe("acked");
  });
});

describe("Outbox: storage", () => {
  it("writes the entry (state queued) before sending it", async () => {
    const log: string[] = [];
    const inner = new MemoryOutboxStorage();
    const storage: OutboxStorage = {
      load: () => inner.load(),
      put: vi.fn((m: OutgoingMessage) => {
        log.push(`put ${m.id} ${m.state}`);
        inner.put(m);
      }),
    };
    const outbox = new Outbox(storage);
    const acct = fakeAccount({ online: true });
    acct.impl = async (s) => {
      log.push(`send ${s.attrs.id}`);
    };
    const msg = outbox.enqueue(acct, "bob@example.org", "durable");
    await outbox.flush(acct);
    expect(log).toEqual([`put ${msg.id} queued`, `send ${msg.id}`, `put ${msg.id} sent`]);
    expect(storage.put).toHaveBeenCalledTimes(2);
    expect(inner.load()).toEqual([expect.objectContaining({ id: msg.id, state: "sent", awaitingAck: true, attempts: 1 })]);
  });

  it("MemoryOutboxStorage stores and returns copies", () => {
    const s = new MemoryOutboxStorage();
    const m: OutgoingMessage = { id: "1", account: "a", to: "b@c", type: "chat", body: "x", state: "queued", created: "2020-01-01T00:00:00.000Z", attempts: 0 };
    s.put(m);
    m.state = "sent";
    const loaded = s.load();
    expect(loaded).toEqual([{ ...m, state: "queued" }]);
    loaded[0]!.state = "acked";
    expect(s.load()[0]!.state).toBe("queued");
  });

  it("after a crash, a sent message awaiting an ack is queued again and re-sent with the same id", async () => {
    const storage = new MemoryOutboxStorage();
    const base = { account: "work", to: "bob@example.org", type: "chat" as const, created: "2024-01-01T00:00:00.000Z", attempts: 1 };
    storage.put({ ...base, id: "unacked", body: "1", state: "sent", awaitingAck: true });
    storage.put({ ...base, id: "nosm", body: "2", state: "sent", awaitingAck: false });
    storage.put({ ...base, id: "acked", body: "3", state: "acked", awaitingAck: false });
    storage.put({ ...base, id: "queued", body: "4", state: "queued", attempts: 0 });
    const outbox = new Outbox(storage);
    expect(outbox.get("unacked")?.state).toBe("queued");
    expect(outbox.get("nosm")?.state).toBe("sent");
    expect(outbox.get("acked")?.state).toBe("acked");
    expect(outbox.pending().map((m) => m.id).sort()).toEqual(["queued", "unacked"]);
    const acct = fakeAccount({ online: true });
    await outbox.flush(acct);
    expect(acct.sent.map((s) => s.attrs.id).sort()).toEqual(["queued", "unacked"]);
    const resent = acct.sent.find((s) => s.attrs.id === "unacked")!;
    expect(resent.getChild("origin-id", SID)?.attrs.id).toBe("unacked");
    expect(resent.getChildText("body")).toBe("1");
    expect(outbox.get("unacked")).toMatchObject({ state: "sent", attempts: 2 });
  });
});

describe("Outbox: corrections, chat states and error replies", () => {
  const CORRECT = "urn:xmpp:message-correct:0";
  const CHATSTATES = "http://jabber.org/protocol/chatstates";

  it("a correction carries <replace id> and <active/> when asked, and keeps them when re-sent", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: true });
    const plain = outbox.enqueue(acct, "bob@example.org", "helo");
    const fix = outbox.enqueue(acct, "bob@example.org", "hello", "chat", { replaces: plain.id, active: true });
    await outbox.flush(acct);
    expect(acct.sent[0]!.getChild("replace", CORRECT)).toBeUndefined();
    expect(acct.sent[0]!.getChild("active", CHATSTATES)).toBeUndefined();
    const s = acct.sent[1]!;
    expect(s.getChild("replace", CORRECT)?.attrs.id).toBe(plain.id);
    expect(s.getChild("active", CHATSTATES)).toBeDefined();
    // its own new id == origin-id
    expect(s.attrs.id).toBe(fix.id);
    expect(fix.id).not.toBe(plain.id);
    expect(outbox.get(fix.id)).toMatchObject({ replaces: plain.id, active: true });
    outbox.onFail("work", s);
    await outbox.flush(acct);
    expect(acct.sent[2]!.getChild("replace", CORRECT)?.attrs.id).toBe(plain.id);
  });

  it("an error reply from the recipient fails the message with the RFC 6120 condition", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: true });
    const states = recordStates(outbox);
    const msg = outbox.enqueue(acct, "nobody@example.org", "hi");
    await outbox.flush(acct);
    outbox.onAck("work", acct.sent[0]!);
    const hit = outbox.onError("work", "nobody@example.org", msg.id, { condition: "service-unavailable", text: "no such user", type: "cancel" });
    expect(hit?.id).toBe(msg.id);
    expect(outbox.get(msg.id)).toMatchObject({ state: "failed", error: { code: "stanza", condition: "service-unavailable", type: "cancel" } });
    expect(outbox.get(msg.id)?.error?.text).toContain("no such user");
    expect(states).toEqual(["sent", "acked", "failed"]);
    expect(outbox.pending()).toEqual([]);
  });

  it("accepts the error from the recipient's domain, ignores it from anyone else or for another account", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: true });
    const a = outbox.enqueue(acct, "bob@remote.example/phone", "a");
    const b = outbox.enqueue(acct, "carol@remote.example", "b");
    await outbox.flush(acct);
    expect(outbox.onError("work", "mallory@remote.example", a.id, { condition: "service-unavailable" })).toBeUndefined();
    expect(outbox.onError("work", "example.org", a.id, { condition: "service-unavailable" })).toBeUndefined();
    expect(outbox.onError("home", "bob@remote.example", a.id, { condition: "service-unavailable" })).toBeUndefined();
    expect(outbox.onError("work", "@bad", a.id, { condition: "service-unavailable" })).toBeUndefined();
    expect(outbox.onError("work", "bob@remote.example", "nope", { condition: "service-unavailable" })).toBeUndefined();
    expect(outbox.get(a.id)?.state).toBe("sent");
    expect(outbox.onError("work", "bob@remote.example/laptop", a.id, { condition: "recipient-unavailable" })?.state).toBe("failed");
    expect(outbox.onError("work", "remote.example", b.id, { condition: "remote-server-not-found" })?.state).toBe("failed");
  });

  it("an error after a receipt leaves the message delivered (but is still about it)", async () => {
    const outbox = new Outbox();
    const acct = fakeAccount({ online: true });
    const msg = outbox.enqueue(acct, "bob@example.org", "x");
    await outbox.flush(acct);
    outbox.onPeerState("work", "bob@example.org/phone", msg.id, "delivered");
    expect(outbox.onError("work", "bob@example.org", msg.id, { condition: "service-unavailable" })?.id).toBe(msg.id);
    expect(outbox.get(msg.id)?.state).toBe("delivered");
  });
});

// Regression: Prosody sends the error bounce for a message to a nonexistent user before its
// stream-management ack; the ack used to turn "failed" back into "acked".
test("an ack after an error reply does not undo the failure", async () => {
  const outbox = new Outbox();
  const acct = fakeAccount({ online: true });
  const states = recordStates(outbox);
  const msg = outbox.enqueue(acct, "nobody@example.org", "hi");
  await outbox.flush(acct);
  outbox.onError("work", "nobody@example.org", msg.id, { condition: "service-unavailable" });
  outbox.onAck("work", acct.sent[0]!);
  expect(outbox.get(msg.id)).toMatchObject({ state: "failed", awaitingAck: false });
  expect(states).toEqual(["sent", "failed"]);
  expect(outbox.pending()).toEqual([]);
});
