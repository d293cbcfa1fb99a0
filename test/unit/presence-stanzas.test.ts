/** Presence stanzas (RFC 6121, XEP-0115, XEP-0319) and caps verification (XEP-0115 §5). */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { describe, expect, test } from "vitest";

import { CAPS_NODE, DiscoRegistry, NS_CAPS } from "../../src/core/xmpp/features/disco.js";
import { tzo, xmppDateTime } from "../../src/core/xmpp/features/info.js";
import { CapsCache, capsVer, clientFromInfo, parseDiscoInfo, verifyCaps } from "../../src/core/xmpp/features/presence-caps.js";
import { buildPresence, buildUnavailable, NS_IDLE, parseIncomingPresence } from "../../src/core/xmpp/features/presence-stanzas.js";
import { xml, type XmlElement } from "../../src/core/xmpp/transport/xml.js";

const DISCO = "http://jabber.org/protocol/disco#info";

describe("parseIncomingPresence", () => {
  test("available presence with show, status, priority, caps and idle", () => {
    const p = parseIncomingPresence(
      xml(
        "presence",
        { from: "Bob@Example.ORG/phone" },
        xml("show", {}, "dnd"),
        xml("status", {}, " in a meeting "),
        xml("priority", {}, "7"),
        xml("c", { xmlns: NS_CAPS, node: "https://psi-im.org", ver: "abc=", hash: "sha-1" }),
        xml("idle", { xmlns: NS_IDLE, since: "2026-01-02T03:04:05Z" }),
      ),
    );
    expect(p).toEqual({
      from: "bob@example.org/phone",
      jid: "bob@example.org",
      resource: "phone",
      available: true,
      show: "dnd",
      status: " in a meeting ",
      priority: 7,
      caps: { node: "https://psi-im.org", ver: "abc=", hash: "sha-1" },
      idleSince: "2026-01-02T03:04:05.000Z",
    });
  });

  test("defaults: no show is online, no priority is 0; out-of-range priorities are clamped, junk is 0", () => {
    expect(parseIncomingPresence(xml("presence", { from: "a@b/c" }))).toMatchObject({ show: "online", priority: 0, available: true });
    expect(parseIncomingPresence(xml("presence", { from: "a@b/c" }, xml("show", {}, "bogus")))?.show).toBe("online");
    expect(parseIncomingPresence(xml("presence", { from: "a@b/c" }, xml("priority", {}, "500")))?.priority).toBe(127);
    expect(parseIncomingPresence(xml("presence", { from: "a@b/c" }, xml("priority", {}, "-500")))?.priority).toBe(-128);
    expect(parseIncomingPresence(xml("presence", { from: "a@b/c" }, xml("priority", {}, "1e3")))?.priority).toBe(0);
  });

  test("unavailable, from a bare JID", () => {
    expect(parseIncomingPresence(xml("presence", { from: "a@b", type: "unavailable" }, xml("status", {}, "bye")))).toMatchObject({ available: false, jid: "a@b", resource: "", status: "bye" });
  });

  test("ignores subscriptions, probes, errors, MUC occupants, a missing or invalid from, legacy caps and bad idle stamps", () => {
    for (const type of ["subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error"]) {
      expect(parseIncomingPresence(xml("presence", { from: "a@b/c", type }))).toBeUndefined();
    }
    expect(parseIncomingPresence(xml("presence", {}))).toBeUndefined();
    expect(parseIncomingPresence(xml("presence", { from: "a@@b" }))).toBeUndefined();
    expect(parseIncomingPresence(xml("presence", { from: "room@muc/nick" }, xml("x", { xmlns: "http://jabber.org/protocol/muc#user" })))).toBeUndefined();
    const legacy = parseIncomingPresence(xml("presence", { from: "a@b/c" }, xml("c", { xmlns: NS_CAPS, node: "n", ver: "1.0", ext: "x" })));
    expect(legacy?.caps).toBeUndefined();
    const badIdle = parseIncomingPresence(xml("presence", { from: "a@b/c" }, xml("idle", { xmlns: NS_IDLE, since: "yesterday" })));
    expect(badIdle?.idleSince).toBeUndefined();
  });
});

describe("building presence", () => {
  test("broadcast presence: show only when not online, status, priority, caps, idle", () => {
    const caps = new DiscoRegistry().capsElement();
    const el = buildPresence({ show: "away", status: "lunch", priority: 3, caps, idleSince: "2026-01-01T00:00:00Z" });
    expect(el.attrs.to).toBeUndefined();
    expect(el.getChildText("show")).toBe("away");
    expect(el.getChildText("status")).toBe("lunch");
    expect(el.getChildText("priority")).toBe("3");
    expect(el.getChild("c", NS_CAPS)?.attrs.node).toBe(CAPS_NODE);
    expect(el.getChild("idle", NS_IDLE)?.attrs.since).toBe("2026-01-01T00:00:00Z");
    const plain = buildPresence({ show: "online", priority: -1 });
    expect(plain.getChild("show")).toBeUndefined();
    expect(plain.getChild("status")).toBeUndefined();
    expect(plain.getChild("idle", NS_IDLE)).toBeUndefined();
    expect(plain.getChildText("priority")).toBe("-1");
  });

  test("directed and unavailable presence", () => {
    expect(buildPresence({ show: "dnd", priority: 0, to: "bob@x/y" }).attrs.to).toBe("bob@x/y");
    const u = buildUnavailable("bob@x", "gone");
    expect(u.attrs).toMatchObject({ to: "bob@x", type: "unavailable" });
    expect(u.getChildText("status")).toBe("gone");
  });

  test("XEP-0082 formats for time and idle", () => {
    expect(xmppDateTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe("2026-01-02T03:04:05Z");
    expect(tzo()).toMatch(/^[+-]\d\d:\d\d$/);
  });
});

function info(identities: [string, string, string, string][], features: string[], forms: XmlElement[] = []): XmlElement {
  return xml(
    "query",
    { xmlns: DISCO },
    identities.map(([category, type, lang, name]) => xml("identity", { category, type, "xml:lang": lang || undefined, name: name || undefined })),
    features.map((f) => xml("feature", { var: f })),
    forms,
  );
}

function form(fields: Record<string, string[]>, formTypeType: string | undefined = "hidden"): XmlElement {
  return xml(
    "x",
    { xmlns: "jabber:x:data", type: "result" },
    Object.entries(fields).map(([v, values]) => xml("field", { var: v, type: v === "FORM_TYPE" ? formTypeType : undefined }, values.map((x) => xml("value", {}, x)))),
  );
}

const BASE_FEATURES = ["http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", "http://jabber.org/protocol/muc"];

describe("entity capabilities verification (XEP-0115 §5)", () => {
  test("the simple example of §5.2", () => {
    const q = info([["client", "pc", "", "Exodus 0.9.1"]], [...BASE_FEATURES].reverse());
    expect(verifyCaps(q, "sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=")).toMatchObject({ ok: true });
  });

  test("the complex example of §5.3 (two identities, an extended form)", () => {
    const q = info(
      [
        ["client", "pc", "en", "Psi 0.11"],
        ["client", "pc", "el", "Ψ 0.11"],
      ],
      BASE_FEATURES,
      [form({ FORM_TYPE: ["urn:xmpp:dataforms:softwareinfo"], ip_version: ["ipv6", "ipv4"], os: ["Mac"], os_version: ["10.5.1"], software: ["Psi"], software_version: ["0.11"] })],
    );
    const v = verifyCaps(q, "sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w=");
    expect(v).toMatchObject({ ok: true });
    if (!v.ok) return;
    expect(clientFromInfo(v.info)).toEqual({ name: "Psi", version: "0.11", os: "Mac 10.5.1" });
  });

  test("a wrong ver, duplicates and a multi-valued FORM_TYPE are refused", () => {
    const good = info([["client", "pc", "", "Exodus 0.9.1"]], BASE_FEATURES);
    expect(verifyCaps(good, "sha-1", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")).toMatchObject({ ok: false, reason: expect.stringMatching(/mismatch/) });
    expect(verifyCaps(info([["client", "pc", "", "X"], ["client", "pc", "", "X"]], []), "sha-1", "x")).toMatchObject({ ok: false, reason: expect.stringMatching(/duplicate identity/) });
    expect(verifyCaps(info([["client", "pc", "", "X"]], ["a", "a"]), "sha-1", "x")).toMatchObject({ ok: false, reason: expect.stringMatching(/duplicate feature/) });
    expect(verifyCaps(info([], [], [form({ FORM_TYPE: ["a"] }), form({ FORM_TYPE: ["a"] })]), "sha-1", "x")).toMatchObject({ ok: false, reason: expect.stringMatching(/two forms/) });
    expect(verifyCaps(info([], [], [form({ FORM_TYPE: ["a", "b"] })]), "sha-1", "x")).toMatchObject({ ok: false });
    expect(verifyCaps(good, "sha-9", "x")).toMatchObject({ ok: false, reason: expect.stringMatching(/unsupported/) });
  });

  test("forms without a hidden FORM_TYPE are left out of the hash", () => {
    const plain = info([["client", "pc", "", "Exodus 0.9.1"]], BASE_FEATURES);
    const withJunk = info([["client", "pc", "", "Exodus 0.9.1"]], BASE_FEATURES, [form({ FORM_TYPE: ["x"] }, "text-single"), form({ other: ["y"] })]);
    const p = parseDiscoInfo(withJunk);
    expect(p.ok && p.info.forms).toEqual([]);
    expect(verifyCaps(withJunk, "sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=")).toMatchObject({ ok: true });
    expect(verifyCaps(plain, "sha-256", capsVer({ identities: [{ category: "client", type: "pc", lang: "", name: "Exodus 0.9.1" }], features: BASE_FEATURES, forms: [] }, "sha-256"))).toMatchObject({ ok: true });
  });

  test("our own caps hash verifies the way others check it", () => {
    const reg = new DiscoRegistry();
    reg.add("jabber:iq:version", "urn:xmpp:time", "jabber:iq:last");
    const answer = reg.infoResult(`${CAPS_NODE}#${reg.ver}`)!;
    expect(verifyCaps(answer, "sha-1", reg.ver)).toMatchObject({ ok: true });
  });

  test("client name: a client identity's name, else any named identity", () => {
    expect(clientFromInfo({ identities: [{ category: "account", type: "registered", lang: "", name: "acct" }, { category: "client", type: "pc", lang: "", name: "Gajim" }], features: [], forms: [] })).toEqual({ name: "Gajim" });
    expect(clientFromInfo({ identities: [{ category: "client", type: "bot", lang: "", name: "" }], features: [], forms: [] })).toBeUndefined();
  });
});

describe("caps cache", () => {
  test("keeps verified entries in memory and in caps.json, per hash and ver", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-caps-"));
    try {
      const file = path.join(dir, "data", "caps.json");
      const cache = new CapsCache({ file });
      expect(cache.get("sha-1", "v")).toBeUndefined();
      cache.set("v", { hash: "sha-1", identities: [{ category: "client", type: "pc", lang: "", name: "Psi" }], features: ["f"], client: { name: "Psi" }, verified: "2026-01-01T00:00:00.000Z" });
      expect(cache.get("SHA-1", "v")?.client).toEqual({ name: "Psi" });
      expect(cache.get("sha-256", "v")).toBeUndefined();
      expect((fs.statSync(file).mode & 0o777).toString(8)).toBe("600");
      const again = new CapsCache({ file });
      expect(again.get("sha-1", "v")?.client).toEqual({ name: "Psi" });
      fs.writeFileSync(file, "{not json");
      expect(new CapsCache({ file }).get("sha-1", "v")).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    }
  });

  test("bounded: the oldest entries go first", () => {
    const cache = new CapsCache({ max: 2 });
    for (const v of ["a", "b", "c"]) cache.set(v, { hash: "sha-1", identities: [], features: [], verified: "t" });
    expect(cache.size).toBe(2);
    expect(cache.get("sha-1", "a")).toBeUndefined();
    expect(cache.get("sha-1", "c")).toBeDefined();
  });
});
