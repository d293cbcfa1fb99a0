import { describe, expect, it, test } from "vitest";
import {
  buildChatState,
  buildMarker,
  buildReceipt,
  checkCarbon,
  DELAY_FUTURE_SKEW_MS,
  isMeAction,
  parseChatState,
  parseDelay,
  parseMessage,
  parsePeerState,
  parseStanzaError,
} from "../../src/core/messaging/stanzas.js";
import { parseIncomingPresence } from "../../src/core/xmpp/features/presence-stanzas.js";
import { xml } from "../../src/core/xmpp/transport/xml.js";

const SID = "urn:xmpp:sid:0";
const DELAY = "urn:xmpp:delay";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const RECEIPTS = "urn:xmpp:receipts";
const MARKERS = "urn:xmpp:chat-markers:0";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const OWN = "me@example.org/laptop";

describe("parseMessage", () => {
  it("parses a chat message's fields", () => {
    const stanza = xml(
      "message",
      { from: "bob@example.org/phone", to: OWN, type: "chat", id: "m1" },
      xml("body", {}, "  hi <there>  "),
      xml("thread", {}, "t-42"),
      xml("subject", {}, "greeting"),
    );
    const msg = parseMessage("work", OWN, stanza);
    expect(msg).toEqual({
      account: "work",
      direction: "in",
      from: "bob@example.org/phone",
      to: OWN,
      id: "m1",
      type: "chat",
      body: "  hi <there>  ",
      subject: "greeting",
      thread: "t-42",
    });
  });

  it("defaults from to our bare JID and to to our full JID", () => {
    const msg = parseMessage("work", OWN, xml("message", { type: "chat", id: "x" }, xml("body", {}, "note to self")));
    expect(msg?.from).toBe("me@example.org");
    expect(msg?.to).toBe(OWN);
  });

  it("returns undefined for an invalid from JID", () => {
    expect(parseMessage("work", OWN, xml("message", { from: "@nope", type: "chat" }, xml("body", {}, "x")))).toBeUndefined();
  });

  it("uses the origin-id as id when present", () => {
    const msg = parseMessage(
      "work",
      OWN,
      xml("message", { from: "bob@example.org", type: "chat", id: "stanza-id" }, xml("body", {}, "x"), xml("origin-id", { xmlns: SID, id: "origin" })),
    );
    expect(msg?.id).toBe("origin");
  });

  it("falls back to the stanza id, then to a fresh UUID", () => {
    const a = parseMessage("work", OWN, xml("message", { from: "bob@example.org", type: "chat", id: "stanza-id" }, xml("body", {}, "x")));
    expect(a?.id).toBe("stanza-id");
    // An origin-id in the wrong namespace does not count.
    const b = parseMessage(
      "work",
      OWN,
      xml("message", { from: "bob@example.org", type: "chat", id: "s2" }, xml("body", {}, "x"), xml("origin-id", { xmlns: "urn:other", id: "fake" })),
    );
    expect(b?.id).toBe("s2");
    const c = parseMessage("work", OWN, xml("message", { from: "bob@example.org", type: "chat" }, xml("body", {}, "x")));
    const d = parseMessage("work", OWN, xml("message", { from: "bob@example.org", type: "chat" }, xml("body", {}, "x")));
    expect(c?.id).toMatch(UUID_RE);
    expect(d?.id).toMatch(UUID_RE);
    expect(c?.id).not.toBe(d?.id);
  });

  it("trusts a stanza-id only when stamped by our own bare JID", () => {
    const mk = (...ids: { by: string; id: string }[]) =>
      xml("message", { from: "bob@example.org", type: "chat", id: "m" }, xml("body", {}, "x"), ...ids.map((s) => xml("stanza-id", { xmlns: SID, ...s })));
    expect(parseMessage("work", OWN, mk({ by: "me@example.org", id: "archive-1" }))?.stanzaId).toBe("archive-1");
    // Compared as bare JIDs, case-insensitively in the localpart and domain.
    expect(parseMessage("work", OWN, mk({ by: "Me@Example.ORG", id: "archive-2" }))?.stanzaId).toBe("archive-2");
    // Someone else's archive: ignored.
    const other = parseMessage("work", OWN, mk({ by: "bob@example.org", id: "bobs" }));
    expect(other).toBeDefined();
    expect(other?.stanzaId).toBeUndefined();
    expect(other && "stanzaId" in other).toBe(false);
    expect(parseMessage("work", OWN, mk({ by: "example.org", id: "server" }))?.stanzaId).toBeUndefined();
    expect(parseMessage("work", OWN, mk({ by: "", id: "empty" }))?.stanzaId).toBeUndefined();
  });

  it("takes the last by=own stanza-id when a forged one precedes the real one", () => {
    const stanza = xml(
      "message",
      { from: "mallory@example.org", type: "chat", id: "m" },
      xml("body", {}, "x"),
      xml("stanza-id", { xmlns: SID, by: "me@example.org", id: "forged" }),
      xml("stanza-id", { xmlns: SID, by: "mallory@example.org", id: "mallorys" }),
      xml("stanza-id", { xmlns: SID, by: "me@example.org", id: "real" }),
    );
    expect(parseMessage("work", OWN, stanza)?.stanzaId).toBe("real");
  });

  it("normalises a delay stamp to ISO and ignores an unparsable one", () => {
    const mk = (stamp: string) =>
      xml("message", { from: "bob@example.org", type: "chat" }, xml("body", {}, "x"), xml("delay", { xmlns: DELAY, stamp, from: "example.org" }));
    expect(parseMessage("work", OWN, mk("2024-03-05T07:08:09Z"))?.delay).toBe("2024-03-05T07:08:09.000Z");
    expect(parseMessage("work", OWN, mk("2024-03-05T09:08:09.5+02:00"))?.delay).toBe("2024-03-05T07:08:09.500Z");
    const bad = parseMessage("work", OWN, mk("yesterday-ish"));
    expect(bad).toBeDefined();
    expect(bad?.delay).toBeUndefined();
    // A delay element in another namespace is not a delay.
    const wrongNs = parseMessage(
      "work",
      OWN,
      xml("message", { from: "bob@example.org", type: "chat" }, xml("body", {}, "x"), xml("delay", { xmlns: "jabber:x:delay", stamp: "2024-03-05T07:08:09Z" })),
    );
    expect(wrongNs?.delay).toBeUndefined();
  });

  it("returns undefined for a message with neither body nor subject (e.g. a chat state)", () => {
    const chatState = xml("message", { from: "bob@example.org/phone", type: "chat" }, xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" }));
    expect(parseMessage("work", OWN, chatState)).toBeUndefined();
    const receipt = xml("message", { from: "bob@example.org/phone", id: "r" }, xml("received", { xmlns: RECEIPTS, id: "m1" }));
    expect(parseMessage("work", OWN, receipt)).toBeUndefined();
  });

  it("keeps a subject-only message (body empty) and an empty body", () => {
    const subj = parseMessage("work", OWN, xml("message", { from: "room@muc.example.org/nick", type: "groupchat" }, xml("subject", {}, "Topic")));
    expect(subj).toMatchObject({ type: "groupchat", subject: "Topic", body: "" });
    const empty = parseMessage("work", OWN, xml("message", { from: "bob@example.org", type: "chat" }, xml("body", {})));
    expect(empty).toMatchObject({ body: "" });
    expect(empty && "subject" in empty).toBe(false);
  });

  it("parses an error message with its condition and text", () => {
    const stanza = xml(
      "message",
      { from: "bob@example.org", type: "error", id: "m7" },
      xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: STANZAS }), xml("text", { xmlns: STANZAS }, "user offline")),
    );
    const msg = parseMessage("work", OWN, stanza);
    expect(msg).toMatchObject({ type: "error", id: "m7", body: "", error: { condition: "service-unavailable", text: "user offline" } });
  });

  it("an error message without a defined condition gets undefined-condition and no text", () => {
    const stanza = xml("message", { from: "bob@example.org", type: "error" }, xml("error", { type: "cancel" }, xml("weird", { xmlns: "urn:app" })));
    const msg = parseMessage("work", OWN, stanza);
    expect(msg?.error).toEqual({ condition: "undefined-condition" });
    const bare = parseMessage("work", OWN, xml("message", { from: "bob@example.org", type: "error" }));
    expect(bare?.error).toEqual({ condition: "undefined-condition" });
  });

  it("maps an unknown or missing type to normal, and keeps known ones", () => {
    const mk = (type: string | undefined) => parseMessage("work", OWN, xml("message", { from: "bob@example.org", type }, xml("body", {}, "x")));
    expect(mk("bogus")?.type).toBe("normal");
    expect(mk(undefined)?.type).toBe("normal");
    for (const t of ["chat", "normal", "headline", "groupchat"]) expect(mk(t)?.type).toBe(t);
  });
});

// The one presence parser (the presence feature's); these are the behaviours the message layer
// also relied on.
describe("parseIncomingPresence", () => {
  const mk = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) => xml("presence", { from: "bob@example.org/phone", ...attrs }, ...children);

  it("parses an available presence with show, status and priority", () => {
    const p = parseIncomingPresence(mk({}, xml("show", {}, "dnd"), xml("status", {}, "busy"), xml("priority", {}, "5")));
    expect(p).toEqual({ from: "bob@example.org/phone", jid: "bob@example.org", resource: "phone", available: true, show: "dnd", status: "busy", priority: 5 });
  });

  it("maps show: missing -> online, bogus -> online, known values kept (trimmed)", () => {
    expect(parseIncomingPresence(mk({}))?.show).toBe("online");
    expect(parseIncomingPresence(mk({}, xml("show", {}, "sleeping")))?.show).toBe("online");
    expect(parseIncomingPresence(mk({}, xml("show", {}, "online")))?.show).toBe("online");
    expect(parseIncomingPresence(mk({}, xml("show", {}, " away ")))?.show).toBe("away");
    for (const s of ["chat", "away", "xa", "dnd"]) expect(parseIncomingPresence(mk({}, xml("show", {}, s)))?.show).toBe(s);
  });

  it("parses unavailable presence as not available, keeping the status", () => {
    const p = parseIncomingPresence(mk({ type: "unavailable" }, xml("show", {}, "chat"), xml("status", {}, "bye")));
    expect(p).toMatchObject({ from: "bob@example.org/phone", available: false, status: "bye", priority: 0 });
  });

  it("parses, clamps and defaults the priority", () => {
    const prio = (text: string | undefined) => parseIncomingPresence(text === undefined ? mk({}) : mk({}, xml("priority", {}, text)))?.priority;
    expect(prio(undefined)).toBe(0);
    expect(prio("-5")).toBe(-5);
    expect(prio(" 7 ")).toBe(7);
    expect(prio("127")).toBe(127);
    expect(prio("128")).toBe(127);
    expect(prio("99999")).toBe(127);
    expect(prio("-128")).toBe(-128);
    expect(prio("-129")).toBe(-128);
    expect(prio("-99999999999999999999")).toBe(-128);
    expect(prio("garbage")).toBe(0);
    expect(prio("")).toBe(0);
  });

  it("returns undefined for subscription types, probes and errors", () => {
    for (const type of ["subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error"]) {
      expect(parseIncomingPresence(mk({ type }))).toBeUndefined();
    }
  });

  it("returns undefined without a valid from", () => {
    expect(parseIncomingPresence(xml("presence", {}))).toBeUndefined();
    expect(parseIncomingPresence(xml("presence", { from: "a@b@c" }))).toBeUndefined();
  });

  it("omits status when absent and keeps an empty one", () => {
    const none = parseIncomingPresence(mk({}));
    expect(none && "status" in none).toBe(false);
    expect(parseIncomingPresence(mk({}, xml("status", {})))?.status).toBe("");
  });
});


describe("parsePeerState", () => {
  it("reads a delivery receipt", () => {
    const s = xml("message", { from: "bob@example.org/phone", id: "r1" }, xml("received", { xmlns: RECEIPTS, id: "m1" }));
    expect(parsePeerState(s)).toEqual({ from: "bob@example.org/phone", id: "m1", state: "delivered" });
  });

  it("reads a displayed marker", () => {
    const s = xml("message", { from: "bob@example.org/phone", type: "chat" }, xml("displayed", { xmlns: MARKERS, id: "m2" }));
    expect(parsePeerState(s)).toEqual({ from: "bob@example.org/phone", id: "m2", state: "displayed" });
  });

  it("reads a received marker as delivered and an acknowledged one as displayed", () => {
    const r = xml("message", { from: "bob@example.org/phone", type: "chat" }, xml("received", { xmlns: MARKERS, id: "m3" }));
    expect(parsePeerState(r)).toEqual({ from: "bob@example.org/phone", id: "m3", state: "delivered" });
    const a = xml("message", { from: "bob@example.org/phone", type: "chat" }, xml("acknowledged", { xmlns: MARKERS, id: "m4" }));
    expect(parsePeerState(a)).toEqual({ from: "bob@example.org/phone", id: "m4", state: "displayed" });
  });

  it("ignores wrong namespaces, missing ids and a missing from", () => {
    const none = [
      xml("message", { from: "bob@example.org" }, xml("displayed", { xmlns: RECEIPTS, id: "m" })),
      xml("message", { from: "bob@example.org" }, xml("acknowledged", { xmlns: RECEIPTS, id: "m" })),
      xml("message", { from: "bob@example.org" }, xml("received", { xmlns: "urn:other", id: "m" })),
      xml("message", { from: "bob@example.org" }, xml("received", { xmlns: RECEIPTS })),
      xml("message", { from: "bob@example.org" }, xml("displayed", { xmlns: MARKERS })),
      xml("message", {}, xml("received", { xmlns: RECEIPTS, id: "m" })),
      // A receipt request is not a receipt.
      xml("message", { from: "bob@example.org" }, xml("request", { xmlns: RECEIPTS })),
    ];
    for (const s of none) expect(parsePeerState(s)).toBeUndefined();
  });
});

test("a stanza carrying both a receipt and a displayed marker counts as displayed", () => {
  const st = xml("message", { from: "bob@example.org/x" }, xml("received", { xmlns: "urn:xmpp:receipts", id: "m1" }), xml("displayed", { xmlns: "urn:xmpp:chat-markers:0", id: "m1" }));
  expect(parsePeerState(st)).toEqual({ from: "bob@example.org/x", id: "m1", state: "displayed" });
});

const CARBONS = "urn:xmpp:carbons:2";
const FORWARD = "urn:xmpp:forward:0";
const CHATSTATES = "http://jabber.org/protocol/chatstates";
const CORRECT = "urn:xmpp:message-correct:0";

describe("parseMessage: chat extensions", () => {
  it("flags /me, markable, receipt requests, chat state and corrections", () => {
    const stanza = xml(
      "message",
      { from: "bob@example.org/phone", to: OWN, type: "chat", id: "wire-1" },
      xml("body", {}, "/me waves"),
      xml("origin-id", { xmlns: SID, id: "origin-1" }),
      xml("markable", { xmlns: MARKERS }),
      xml("request", { xmlns: RECEIPTS }),
      xml("active", { xmlns: CHATSTATES }),
      xml("replace", { xmlns: CORRECT, id: "old-1" }),
    );
    expect(parseMessage("work", OWN, stanza)).toEqual({
      account: "work",
      direction: "in",
      from: "bob@example.org/phone",
      to: OWN,
      id: "origin-1",
      wireId: "wire-1",
      type: "chat",
      body: "/me waves",
      me: true,
      markable: true,
      receiptRequested: true,
      chatState: "active",
      replace: "old-1",
    });
  });

  it("/me needs the space: \"/meow\" and \" /me x\" are not actions", () => {
    expect(isMeAction("/me x")).toBe(true);
    expect(isMeAction("/meow")).toBe(false);
    expect(isMeAction(" /me x")).toBe(false);
    expect(isMeAction("/ME x")).toBe(false);
    const m = parseMessage("work", OWN, xml("message", { from: "bob@example.org", type: "chat" }, xml("body", {}, "/meow")));
    expect(m && "me" in m).toBe(false);
  });

  it("keeps normal and headline messages (they are shown, not dropped)", () => {
    const headline = parseMessage("work", OWN, xml("message", { from: "example.org", type: "headline" }, xml("subject", {}, "MOTD"), xml("body", {}, "maintenance at 5")));
    expect(headline).toMatchObject({ type: "headline", from: "example.org", subject: "MOTD", body: "maintenance at 5" });
    const normal = parseMessage("work", OWN, xml("message", { from: "bob@example.org" }, xml("body", {}, "memo")));
    expect(normal).toMatchObject({ type: "normal", body: "memo" });
  });

  it("a chat state in the wrong namespace or an unknown one is no chat state", () => {
    expect(parseChatState(xml("message", {}, xml("composing", { xmlns: CHATSTATES })))).toBe("composing");
    for (const st of ["active", "paused", "inactive", "gone"]) expect(parseChatState(xml("message", {}, xml(st, { xmlns: CHATSTATES })))).toBe(st);
    expect(parseChatState(xml("message", {}, xml("composing", { xmlns: "urn:other" })))).toBeUndefined();
    expect(parseChatState(xml("message", {}, xml("typing", { xmlns: CHATSTATES })))).toBeUndefined();
    expect(parseChatState(xml("message", {}))).toBeUndefined();
  });
});

describe("parseDelay (XEP-0203)", () => {
  const now = new Date("2025-06-01T12:00:00.000Z");
  const mk = (...delays: { stamp: string; from?: string }[]) =>
    xml("message", { from: "bob@example.org", type: "chat" }, xml("body", {}, "x"), ...delays.map((d) => xml("delay", { xmlns: DELAY, ...d })));

  it("keeps the original time of a sane stamp", () => {
    expect(parseDelay(mk({ stamp: "2025-06-01T11:00:00Z", from: "example.org" }), OWN, now)).toEqual({ delay: "2025-06-01T11:00:00.000Z" });
    expect(parseMessage("work", OWN, mk({ stamp: "2025-05-31T23:59:59.250-01:00" }), now)?.delay).toBe("2025-06-01T00:59:59.250Z");
  });

  it("no delay element: undefined", () => {
    expect(parseDelay(xml("message", {}), OWN, now)).toBeUndefined();
  });

  it("ignores an invalid stamp and flags it (the receive time is used)", () => {
    for (const stamp of ["yesterday-ish", "", "2025-06-01", "2025-06-01 11:00:00Z", "2025-06-01T11:00:00", "1717243200"]) {
      expect(parseDelay(mk({ stamp }), OWN, now)).toEqual({ issue: "invalid" });
    }
    const msg = parseMessage("work", OWN, mk({ stamp: "soon" }), now);
    expect(msg?.delay).toBeUndefined();
    expect(msg?.delayIssue).toBe("invalid");
  });

  it("clamps a stamp in the future (beyond the skew) or before 1990 to the receive time, flagged", () => {
    const skewOk = new Date(now.getTime() + DELAY_FUTURE_SKEW_MS - 1000).toISOString();
    expect(parseDelay(mk({ stamp: skewOk }), OWN, now)).toEqual({ delay: skewOk });
    expect(parseDelay(mk({ stamp: "2025-06-01T13:00:00Z" }), OWN, now)).toEqual({ delay: now.toISOString(), issue: "future" });
    expect(parseDelay(mk({ stamp: "2999-01-01T00:00:00Z" }), OWN, now)).toEqual({ delay: now.toISOString(), issue: "future" });
    expect(parseDelay(mk({ stamp: "1970-01-01T00:00:00Z" }), OWN, now)).toEqual({ delay: now.toISOString(), issue: "too-old" });
    expect(parseDelay(mk({ stamp: "1989-12-31T23:59:59Z" }), OWN, now)).toEqual({ delay: now.toISOString(), issue: "too-old" });
    expect(parseDelay(mk({ stamp: "1990-01-01T00:00:00Z" }), OWN, now)).toEqual({ delay: "1990-01-01T00:00:00.000Z" });
  });

  it("prefers the stamp our own server added over one the sender put in", () => {
    const stanza = mk({ stamp: "2001-01-01T00:00:00Z", from: "bob@example.org" }, { stamp: "2025-06-01T10:00:00Z", from: "example.org" });
    expect(parseDelay(stanza, OWN, now)).toEqual({ delay: "2025-06-01T10:00:00.000Z" });
    // none of ours: the first
    expect(parseDelay(mk({ stamp: "2025-06-01T09:00:00Z", from: "x.org" }, { stamp: "2025-06-01T10:00:00Z" }), OWN, now)).toEqual({ delay: "2025-06-01T09:00:00.000Z" });
  });
});

describe("parseStanzaError", () => {
  it("reads condition, text and type", () => {
    const el = xml("message", { type: "error" }, xml("error", { type: "cancel" }, xml("item-not-found", { xmlns: STANZAS }), xml("text", { xmlns: STANZAS }, "gone")));
    expect(parseStanzaError(el)).toEqual({ condition: "item-not-found", text: "gone", type: "cancel" });
    expect(parseStanzaError(xml("message", { type: "error" }))).toEqual({ condition: "undefined-condition" });
  });
});

describe("checkCarbon (XEP-0280)", () => {
  const wrap = (kind: "received" | "sent", outerFrom: string | undefined, inner: ReturnType<typeof xml> | undefined) =>
    xml("message", { from: outerFrom, to: OWN }, xml(kind, { xmlns: CARBONS }, inner ? xml("forwarded", { xmlns: FORWARD }, inner) : undefined));
  const fromBob = xml("message", { from: "bob@example.org/phone", to: "me@example.org/desktop", type: "chat" }, xml("body", {}, "hi"));
  const toBob = xml("message", { from: "me@example.org/desktop", to: "bob@example.org", type: "chat" }, xml("body", {}, "yo"));

  it("not a carbon: undefined (a <private/> element is no wrapper)", () => {
    expect(checkCarbon(fromBob, OWN)).toBeUndefined();
    expect(checkCarbon(xml("message", { from: "bob@example.org" }, xml("private", { xmlns: CARBONS })), OWN)).toBeUndefined();
    expect(checkCarbon(xml("message", { from: "me@example.org" }, xml("received", { xmlns: RECEIPTS, id: "x" })), OWN)).toBeUndefined();
  });

  it("accepts a received and a sent carbon from our own bare JID (compared normalised)", () => {
    const r = checkCarbon(wrap("received", "me@example.org", fromBob), OWN);
    expect(r?.kind).toBe("received");
    expect(r && "inner" in r && r.inner.getChildText("body")).toBe("hi");
    expect(checkCarbon(wrap("received", "ME@Example.ORG", fromBob), OWN)?.kind).toBe("received");
    const s = checkCarbon(wrap("sent", "me@example.org", toBob), OWN);
    expect(s?.kind).toBe("sent");
    expect(s && "inner" in s && s.inner.getChildText("body")).toBe("yo");
  });

  it("rejects a carbon whose outer from is anyone else: a contact, our full JID, the server, nobody", () => {
    for (const from of ["bob@example.org", "bob@example.org/phone", "me@example.org/desktop", "me@example.org/laptop", "example.org", "me@evil.example", undefined, "@bad"]) {
      const r = checkCarbon(wrap("received", from, fromBob), OWN);
      expect(r?.kind, `from ${from}`).toBe("forged");
      expect(checkCarbon(wrap("sent", from, toBob), OWN)?.kind, `from ${from}`).toBe("forged");
    }
    const r = checkCarbon(wrap("received", "mallory@example.org/x", fromBob), OWN);
    expect(r).toMatchObject({ kind: "forged", from: "mallory@example.org/x" });
    expect(r && "reason" in r && r.reason).toContain("mallory@example.org/x");
  });

  it("rejects a carbon without a forwarded message, a sent carbon not from us, a received one not to us", () => {
    expect(checkCarbon(wrap("received", "me@example.org", undefined), OWN)?.kind).toBe("forged");
    expect(checkCarbon(wrap("sent", "me@example.org", fromBob), OWN)?.kind).toBe("forged");
    const toOther = xml("message", { from: "bob@example.org/phone", to: "carol@example.org", type: "chat" }, xml("body", {}, "hi"));
    expect(checkCarbon(wrap("received", "me@example.org", toOther), OWN)?.kind).toBe("forged");
    const noFrom = xml("message", { to: "me@example.org", type: "chat" }, xml("body", {}, "hi"));
    expect(checkCarbon(wrap("received", "me@example.org", noFrom), OWN)?.kind).toBe("forged");
    const sentNoTo = xml("message", { from: "me@example.org/desktop", type: "chat" }, xml("body", {}, "hi"));
    expect(checkCarbon(wrap("sent", "me@example.org", sentNoTo), OWN)?.kind).toBe("forged");
  });
});

describe("receipt, marker and chat state stanzas", () => {
  it("a receipt names the message id and asks for nothing", () => {
    const r = buildReceipt("bob@example.org/phone", "m1");
    expect(r.attrs.to).toBe("bob@example.org/phone");
    expect(r.getChild("received", RECEIPTS)?.attrs.id).toBe("m1");
    expect(r.getChild("request", RECEIPTS)).toBeUndefined();
    expect(r.getChild("body")).toBeUndefined();
    expect(r.attrs.id).toMatch(UUID_RE);
  });

  it("a displayed marker has the message type and id", () => {
    const m = buildMarker("bob@example.org/phone", "m2", "displayed");
    expect(m.attrs).toMatchObject({ to: "bob@example.org/phone", type: "chat" });
    expect(m.getChild("displayed", MARKERS)?.attrs.id).toBe("m2");
    expect(m.getChild("markable", MARKERS)).toBeUndefined();
    expect(buildMarker("bob@example.org", "m3", "displayed", "normal").attrs.type).toBe("normal");
  });

  it("a chat state is a bodiless chat message that is not stored", () => {
    const c = buildChatState("bob@example.org", "composing");
    expect(c.attrs).toMatchObject({ to: "bob@example.org", type: "chat" });
    expect(c.getChild("composing", CHATSTATES)).toBeDefined();
    expect(c.getChild("no-store", "urn:xmpp:hints")).toBeDefined();
    expect(c.getChild("body")).toBeUndefined();
  });
});
