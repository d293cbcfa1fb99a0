import { EventEmitter } from "node:events";

import { describe, expect, test } from "vitest";

import { JabConnection } from "../../src/core/xmpp/transport/connection.js";
import { createParserClass, StreamParseError } from "../../src/core/xmpp/transport/parser.js";
import type { XmlElement } from "../../src/core/xmpp/transport/xml.js";
import { waitFor } from "../helpers/wait-for.js";

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='x' version='1.0'>";

function parse(chunks: string[], limits = { maxStanzaSize: 4096, maxDepth: 16 }, framed = false) {
  const Parser = createParserClass(limits, framed);
  const p = new Parser();
  const elements: XmlElement[] = [];
  const errors: StreamParseError[] = [];
  p.on("element", (el: XmlElement) => elements.push(el));
  p.on("error", (err: StreamParseError) => errors.push(err));
  for (const c of chunks) p.write(c);
  return { elements, errors };
}

describe("hardened stream parser", () => {
  test("parses stanzas split across writes", () => {
    const { elements, errors } = parse([HEADER, "<message to='a@b'><bo", "dy>hi &amp; bye</body></mes", "sage>"]);
    expect(errors).toEqual([]);
    expect(elements).toHaveLength(1);
    expect(elements[0]!.getChildText("body")).toBe("hi & bye");
  });

  test("an illegal character reference is a stream error, not an exception", () => {
    const { elements, errors } = parse([HEADER, "<message><body>&#27;[31m</body></message>"]);
    expect(elements).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.condition).toBe("not-well-formed");
  });

  test("an unknown entity is a stream error", () => {
    const { errors } = parse([HEADER, "<message><body>&nbsp;</body></message>"]);
    expect(errors[0]?.condition).toBe("not-well-formed");
  });

  test("a raw control character is refused", () => {
    const { errors } = parse([HEADER, "<message><body>\u001b[2J</body></message>"]);
    expect(errors[0]?.condition).toBe("not-well-formed");
  });

  test("DOCTYPE, comments and processing instructions are restricted XML", () => {
    expect(parse([HEADER, "<!DOCTYPE x [<!ENTITY a 'b'>]>"]).errors[0]?.condition).toBe("restricted-xml");
    expect(parse([HEADER, "<!-- hi -->"]).errors[0]?.condition).toBe("restricted-xml");
    expect(parse([HEADER, "<?php ?>"]).errors[0]?.condition).toBe("restricted-xml");
    // split across writes too
    expect(parse([HEADER, "<", "!-- x -->"]).errors[0]?.condition).toBe("restricted-xml");
  });

  test("CDATA sections and the XML declaration are fine", () => {
    const { elements, errors } = parse([HEADER, "<message><body><![CDATA[<b>]]></body></message>"]);
    expect(errors).toEqual([]);
    expect(elements[0]!.getChildText("body")).toBe("<b>");
  });

  test("stanza size is capped, and the counter resets between stanzas", () => {
    const body = "x".repeat(3000);
    const ok = parse([HEADER, `<message><body>${body}</body></message>`, `<message><body>${body}</body></message>`]);
    expect(ok.errors).toEqual([]);
    expect(ok.elements).toHaveLength(2);
    const big = parse([HEADER, `<message><body>${body}`, body, "</body></message>"]);
    expect(big.errors[0]?.condition).toBe("policy-violation");
    expect(big.elements).toEqual([]);
    // text without any markup cannot grow the buffer without bound either
    expect(parse([HEADER, "y".repeat(5000)]).errors[0]?.condition).toBe("policy-violation");
  });

  test("nesting depth is capped", () => {
    const deep = "<a>".repeat(20) + "</a>".repeat(20);
    const { errors } = parse([HEADER, `<message>${deep}</message>`]);
    expect(errors[0]?.condition).toBe("policy-violation");
  });

  test("only the first error is reported, later input is ignored", () => {
    const { errors, elements } = parse([HEADER, "&#0;", "<message/>", "&#1;"]);
    expect(errors).toHaveLength(1);
    expect(elements).toEqual([]);
  });

  test("framed (WebSocket) parser emits each message as an element", () => {
    const { elements, errors } = parse(["<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='x' version='1.0'/>", "<message xmlns='jabber:client'><body>a</body></message>"], undefined, true);
    expect(errors).toEqual([]);
    expect(elements.map((e) => e.name)).toEqual(["message"]);
  });
});

describe("connection input decoding", () => {
  /** `turnBudgetMs`: Infinity parses every read at once; 0 parses one slice a turn. */
  function connectionWithParser(turnBudgetMs = Number.POSITIVE_INFINITY) {
    const conn = new JabConnection({ domain: "localhost", tls: { servername: "localhost" }, limits: { maxStanzaSize: 65536, maxDepth: 16 }, timeout: 1000, turnBudgetMs });
    conn.on("error", () => {});
    const socket = Object.assign(new EventEmitter(), { paused: 0, resumed: 0, pause: () => socket.paused++, resume: () => socket.resumed++ });
    conn._attachSocket(socket);
    const Parser = createParserClass({ maxStanzaSize: 65536, maxDepth: 16 });
    const parser = new Parser();
    const elements: XmlElement[] = [];
    const errors: unknown[] = [];
    parser.on("element", (el: XmlElement) => elements.push(el));
    parser.on("error", (e: unknown) => errors.push(e));
    conn.parser = parser;
    return { conn, elements, errors, socket };
  }

  const burst = (from: number, n: number) => Array.from({ length: n }, (_, i) => `<message id='m${from + i}'><body>message number ${from + i} of a flood</body></message>`).join("");

  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  test("a big read is parsed a slice per turn of the event loop, in order, the socket paused meanwhile", async () => {
    const { conn, elements, errors, socket } = connectionWithParser(0);
    conn._onData(Buffer.from(HEADER));
    await nextTurn();
    conn._onData(Buffer.from(burst(0, 3000))); // ~240 KB in one read
    conn._onData(Buffer.from(burst(3000, 10))); // a later read waits its turn behind it
    const parsedAtOnce = elements.length;
    let parsedWhenOtherWorkRan = -1;
    setImmediate(() => (parsedWhenOtherWorkRan = elements.length));
    expect(parsedAtOnce).toBeGreaterThan(0);
    expect(parsedAtOnce).toBeLessThan(100); // one slice: 4 KB
    expect(socket.paused).toBeGreaterThan(0);
    await waitFor(() => elements.length === 3010);
    expect(errors).toEqual([]);
    expect(parsedWhenOtherWorkRan).toBeGreaterThan(parsedAtOnce);
    expect(parsedWhenOtherWorkRan).toBeLessThan(200); // a second slice, not the rest
    expect(elements.map((e) => e.attrs.id)).toEqual(Array.from({ length: 3010 }, (_, i) => `m${i}`));
    expect(socket.resumed).toBeGreaterThan(0);
  });

  test("many small reads in one turn share its budget: the rest waits for later turns", async () => {
    // What libuv does with a busy TLS socket: one record after another, each small, all before it
    // looks at the terminal again.
    const { conn, elements, errors, socket } = connectionWithParser(0);
    conn._onData(Buffer.from(HEADER));
    await nextTurn();
    for (let r = 0; r < 100; r++) conn._onData(Buffer.from(burst(r * 40, 40))); // 100 reads of ~3 KB
    expect(elements).toHaveLength(40); // the turn's first read; its budget is spent
    expect(socket.paused).toBeGreaterThan(0);
    await nextTurn();
    expect(elements).toHaveLength(80); // a read a turn: the terminal gets its turn in between
    await waitFor(() => elements.length === 4000);
    expect(errors).toEqual([]);
    expect(elements.map((e) => e.attrs.id)).toEqual(Array.from({ length: 4000 }, (_, i) => `m${i}`));
    expect(socket.resumed).toBeGreaterThan(0);
  });

  test("a budget of some ms parses reads at once until it is spent", () => {
    const { conn, elements } = connectionWithParser(10_000);
    conn._onData(Buffer.from(HEADER));
    for (let r = 0; r < 10; r++) conn._onData(Buffer.from(burst(r * 40, 40)));
    expect(elements).toHaveLength(400);
  });

  test("a close with stanzas still queued parses them all before the close is handled", () => {
    const { conn, elements, socket } = connectionWithParser(0);
    conn._onData(Buffer.from(HEADER + burst(0, 1000)));
    expect(elements.length).toBeLessThan(1000);
    socket.emit("close", false);
    expect(elements).toHaveLength(1000);
  });

  test("a UTF-8 character split across TCP reads stays whole", () => {
    const { conn, elements, errors } = connectionWithParser();
    const bytes = Buffer.from(`${HEADER}<message><body>héllo 😀 世界</body></message>`, "utf8");
    const emoji = bytes.indexOf(Buffer.from("😀", "utf8"));
    conn._onData(bytes.subarray(0, emoji + 2));
    conn._onData(bytes.subarray(emoji + 2));
    expect(errors).toEqual([]);
    expect(elements[0]!.getChildText("body")).toBe("héllo 😀 世界");
  });

  test("invalid UTF-8 is a stream error", () => {
    const { conn, errors } = connectionWithParser();
    conn._onData(Buffer.from(HEADER));
    conn._onData(Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e]));
    expect(errors).toHaveLength(1);
  });

  test("data after the parser was detached is dropped, not thrown", () => {
    const { conn } = connectionWithParser();
    conn.parser = null;
    expect(() => conn._onData(Buffer.from("<message/>"))).not.toThrow();
  });
});

describe("connection output", () => {
  test("characters XML cannot carry are replaced before they reach the socket", async () => {
    const conn = new JabConnection({ domain: "localhost", tls: { servername: "localhost" }, limits: { maxStanzaSize: 65536, maxDepth: 16 }, timeout: 1000 });
    conn.on("error", () => {});
    const written: string[] = [];
    const sock = Object.assign(new EventEmitter(), { write: (d: string, cb: (e?: Error | null) => void) => (written.push(d), cb(null)), end() {}, destroy() {}, secure: true });
    conn._attachSocket(sock);
    await conn.write("<message><body>a\u0001b\u001bc\ud800d\ufffee\u0009f\u000ag😀</body></message>");
    expect(written[0]).toBe("<message><body>a\ufffdb\ufffdc\ufffdd\ufffde\u0009f\u000ag😀</body></message>");
  });
});
