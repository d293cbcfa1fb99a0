import { describe, expect, it, test } from "vitest";
import { parseMessage, parsePeerState, parsePresence } from "../../src/core/messaging/stanzas.js";
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

describe("parsePresence", () => {
  const mk = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) => xml("presence", { from: "bob@example.org/phone", ...attrs }, ...children);

  it("parses an available presence with show, status and priority", () => {
    const p = parsePresence("work", mk({}, xml("show", {}, "dnd"), xml("status", {}, "busy"), xml("priority", {}, "5")));
    expect(p).toEqual({ account: "work", from: "bob@example.org/phone", available: true, show: "dnd", status: "busy", priority: 5 });
  });

  it("maps show: missing -> online, bogus -> online, known values kept (trimmed)", () => {
    expect(parsePresence("work", mk({}))?.show).toBe("online");
    expect(parsePresence("work", mk({}, xml("show", {}, "sleeping")))?.show).toBe("online");
    expect(parsePresence("work", mk({}, xml("show", {}, "online")))?.show).toBe("online");
    expect(parsePresence("work", mk({}, xml("show", {}, " away ")))?.show).toBe("away");
    for (const s of ["chat", "away", "xa", "dnd"]) expect(parsePresence("work", mk({}, xml("show", {}, s)))?.show).toBe(s);
  });

  it("parses unavailable presence as offline regardless of show", () => {
    const p = parsePresence("work", mk({ type: "unavailable" }, xml("show", {}, "chat"), xml("status", {}, "bye")));
    expect(p).toEqual({ account: "work", from: "bob@example.org/phone", available: false, type: "unavailable", show: "offline", status: "bye", priority: 0 });
  });

  it("parses, clamps and defaults the priority", () => {
    const prio = (text: string | undefined) =>
      parsePresence("work", text === undefined ? mk({}) : mk({}, xml("priority", {}, text)))?.priority;
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
      expect(parsePresence("work", mk({ type }))).toBeUndefined();
    }
  });

  it("returns undefined without a valid from", () => {
    expect(parsePresence("work", xml("presence", {}))).toBeUndefined();
    expect(parsePresence("work", xml("presence", { from: "a@b@c" }))).toBeUndefined();
  });

  it("omits status when absent and keeps an empty one", () => {
    const none = parsePresence("work", mk({}));
    expect(none && "status" in none).toBe(false);
    expect(none && "type" in none).toBe(false);
    expect(parsePresence("work", mk({}, xml("status", {})))?.status).toBe("");
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

  it("ignores other markers, wrong namespaces, missing ids and a missing from", () => {
    const none = [
      // chat-markers <received/> and <acknowledged/> are not tracked states.
      xml("message", { from: "bob@example.org" }, xml("received", { xmlns: MARKERS, id: "m" })),
      xml("message", { from: "bob@example.org" }, xml("acknowledged", { xmlns: MARKERS, id: "m" })),
      xml("message", { from: "bob@example.org" }, xml("displayed", { xmlns: RECEIPTS, id: "m" })),
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
