import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger, redactSecrets, redactXml } from "../../src/core/logger.js";

let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-log-"));
});

afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

function lines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

describe("createLogger", () => {
  it("writes JSON lines at or above the level, to a 0600 file in a 0700 dir", () => {
    const file = path.join(tmp, "state", "jabterm.log");
    const log = createLogger({ file, level: "info" });
    log.error("boom", { account: "work", err: new Error("bad") });
    log.warn("careful");
    log.info("hello", { n: 1 });
    log.debug("hidden");
    log.trace("hidden too");
    log.close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const ls = lines(file);
    expect(ls.map((l) => l.level)).toEqual(["error", "warn", "info"]);
    expect(ls[0]).toMatchObject({ msg: "boom", account: "work", err: { name: "Error", message: "bad" } });
    expect(ls[2]).toMatchObject({ msg: "hello", n: 1 });
    expect(new Date(ls[0]!.time as string).toISOString()).toBe(ls[0]!.time);
    log.error("after close is a no-op");
    expect(lines(file)).toHaveLength(3);
  });

  it("never writes to stdout or stderr", () => {
    const out = vi.spyOn(process.stdout, "write");
    const err = vi.spyOn(process.stderr, "write");
    const log = createLogger({ file: path.join(tmp, "x.log"), level: "trace", xml: true });
    log.error("e");
    log.trace("t");
    log.xml("in", "a", "<presence/>");
    log.close();
    const noFile = createLogger({ level: "trace", xml: true });
    noFile.error("nowhere");
    noFile.xml("out", "a", "<x/>");
    noFile.close();
    expect(out).not.toHaveBeenCalled();
    expect(err).not.toHaveBeenCalled();
  });

  it("child loggers add fields and share level and file", () => {
    const file = path.join(tmp, "x.log");
    const log = createLogger({ file, level: "warn" });
    const child = log.child({ account: "work" }).child({ conn: 2 });
    child.info("dropped");
    log.setLevel("debug");
    child.debug("kept", { extra: true });
    expect(child.enabled("debug")).toBe(true);
    expect(child.enabled("trace")).toBe(false);
    child.close();
    expect(lines(file)).toEqual([expect.objectContaining({ level: "debug", msg: "kept", account: "work", conn: 2, extra: true })]);
  });

  it("fixes an existing world-readable log file to 0600", () => {
    const file = path.join(tmp, "x.log");
    fs.writeFileSync(file, "");
    fs.chmodSync(file, 0o644);
    const log = createLogger({ file, level: "info" });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(log.warnings.join()).toMatch(/0644/);
    log.close();
  });

  it("xml() logs only when xml logging is on, always redacted", () => {
    const file = path.join(tmp, "x.log");
    const log = createLogger({ file, level: "error" });
    log.xml("out", "work", `<auth xmlns="${SASL}" mechanism="PLAIN">AGFsaWNlAHNlY3JldA==</auth>`);
    log.setXml(true);
    log.xml("out", "work", `<auth xmlns="${SASL}" mechanism="PLAIN">AGFsaWNlAHNlY3JldA==</auth>`);
    log.xml("in", "work", "<message><body>hi</body></message>");
    log.close();
    const ls = lines(file);
    expect(ls).toHaveLength(2);
    expect(ls[0]).toMatchObject({ level: "xml", dir: "out", account: "work", xml: `<auth xmlns="${SASL}" mechanism="PLAIN">***</auth>` });
    expect(ls[1]).toMatchObject({ dir: "in", xml: "<message><body>hi</body></message>" });
    expect(fs.readFileSync(file, "utf8")).not.toContain("AGFsaWNl");
  });

  it("redacts registered secrets from every line, including JSON-escaped forms", () => {
    const file = path.join(tmp, "x.log");
    const log = createLogger({ file, level: "info", secrets: ["hunter2"] });
    log.addSecret('p"w\\d');
    log.info("password is hunter2", { cmd: 'p"w\\d' });
    log.close();
    const text = fs.readFileSync(file, "utf8");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain('p\\"w');
    expect(lines(file)[0]).toMatchObject({ msg: "password is ***", cmd: "***" });
  });

  it("a logger without a file is a no-op, and an unwritable file only yields a warning", () => {
    const log = createLogger({ level: "trace" });
    expect(log.enabled("error")).toBe(false);
    log.info("x");
    const blocker = path.join(tmp, "file");
    fs.writeFileSync(blocker, "");
    const bad = createLogger({ file: path.join(blocker, "sub", "x.log"), level: "info" });
    bad.info("x");
    expect(bad.warnings.length).toBeGreaterThan(0);
  });
});

describe("redactXml", () => {
  it("redacts SASL auth, response, challenge and success regardless of attribute order", () => {
    expect(redactXml(`<auth mechanism='SCRAM-SHA-1' xmlns='${SASL}'>biwsbj1h</auth>`)).toBe(
      `<auth mechanism='SCRAM-SHA-1' xmlns='${SASL}'>***</auth>`,
    );
    expect(redactXml(`<challenge xmlns="${SASL}">cj1meWtv</challenge>`)).toBe(`<challenge xmlns="${SASL}">***</challenge>`);
    expect(redactXml(`<response xmlns="${SASL}">Yz1iaXdz</response>`)).toBe(`<response xmlns="${SASL}">***</response>`);
    expect(redactXml(`<success xmlns="${SASL}">dj1ybUY5</success>`)).toBe(`<success xmlns="${SASL}">***</success>`);
    expect(redactXml(`<success xmlns="${SASL}"/>`)).toBe(`<success xmlns="${SASL}"/>`);
    expect(redactXml(`<response xmlns="${SASL}" />`)).toBe(`<response xmlns="${SASL}" />`);
    expect(redactXml(`<auth xmlns="${SASL}" mechanism="EXTERNAL"></auth>`)).toBe(`<auth xmlns="${SASL}" mechanism="EXTERNAL"></auth>`);
  });

  it("handles prefixes, inherited namespaces and attribute values containing >", () => {
    expect(redactXml(`<s:auth xmlns:s="${SASL}" mechanism="a>b">c2VjcmV0</s:auth>`)).toBe(
      `<s:auth xmlns:s="${SASL}" mechanism="a>b">***</s:auth>`,
    );
    // Not SASL: left alone.
    expect(redactXml(`<iq><response xmlns="urn:example">visible</response></iq>`)).toBe(
      `<iq><response xmlns="urn:example">visible</response></iq>`,
    );
  });

  it("redacts SASL2 initial-response and additional-data", () => {
    const x =
      `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-256'>` +
      `<initial-response>biwsbj11c2VyLHI9</initial-response><user-agent id='x'><software>jabterm</software></user-agent>` +
      `</authenticate>`;
    expect(redactXml(x)).toBe(
      `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-256'>` +
        `<initial-response>***</initial-response><user-agent id='x'><software>jabterm</software></user-agent>` +
        `</authenticate>`,
    );
    expect(redactXml(`<success xmlns='urn:xmpp:sasl:2'><additional-data>dj1w</additional-data></success>`)).toBe(
      `<success xmlns='urn:xmpp:sasl:2'>***</success>`,
    );
  });

  it("redacts passwords (register, MUC), text-private form values and FAST tokens", () => {
    const reg = `<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>bill</username><password>Calliope</password></query></iq>`;
    expect(redactXml(reg)).toBe(
      `<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>bill</username><password>***</password></query></iq>`,
    );
    const muc = `<presence to='room@muc/nick'><x xmlns='http://jabber.org/protocol/muc'><password>cauldronburn</password></x></presence>`;
    expect(redactXml(muc)).not.toContain("cauldronburn");
    expect(redactXml(muc)).toContain("<password>***</password>");
    const form = `<x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomsecret' type='text-private'><value>s3</value></field><field var='t'><value>open</value></field></x>`;
    expect(redactXml(form)).toBe(
      `<x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomsecret' type='text-private'><value>***</value></field><field var='t'><value>open</value></field></x>`,
    );
    expect(redactXml(`<token xmlns='urn:xmpp:fast:0' expiry='2030' token='WXYZ'/>`)).toBe(
      `<token xmlns='urn:xmpp:fast:0' expiry='2030' token="***"/>`,
    );
  });

  it("is safe on fragments: unterminated elements and chunks starting mid-element", () => {
    expect(redactXml(`<auth xmlns="${SASL}" mechanism="PLAIN">AGFsaWNl`)).toBe(`<auth xmlns="${SASL}" mechanism="PLAIN">***`);
    expect(redactXml(`AHNlY3JldA==</auth><presence/>`)).toBe(`***</auth><presence/>`);
    expect(redactXml(`<password>a<![CDATA[</password>]]>b</password>`)).toBe(`<password>***</password>`);
    expect(redactXml("<message><body>plain & simple</body></message>")).toBe("<message><body>plain & simple</body></message>");
  });

  it("stays fast on hostile, malformed input", () => {
    const t0 = Date.now();
    redactXml("<a" + " b='<x'".repeat(100_000));
    redactXml('<a b="'.repeat(100_000));
    redactXml("<".repeat(100_000) + "</auth>");
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe("redactSecrets", () => {
  it("replaces literal and XML-escaped occurrences", () => {
    expect(redactSecrets("pw=a&b; xml=a&amp;b; other", ["a&b"])).toBe("pw=***; xml=***; other");
    expect(redactSecrets("x.y x+y", ["x.y"])).toBe("*** x+y");
    expect(redactSecrets("nothing", ["", "zzz"])).toBe("nothing");
    expect(redactSecrets("abcd", ["abc", "abcd"])).toBe("***");
  });
});
