/**
 * Which archive results are accepted (XEP-0313): only for an open query, from the archive asked,
 * before its <fin/>; and the MAM stanzas themselves. A real client without a network: the
 * "server" is a fake account whose request() delivers result stanzas before answering.
 */
import { afterEach, describe, expect, test } from "vitest";

import { buildMamQuery, buildPrefsSet, fromArchive, parseFin, parsePrefs, parseResult } from "../../src/core/history/mam.js";
import type { Account } from "../../src/core/xmpp/account.js";
import { xml, type XmlElement } from "../../src/core/xmpp/transport/xml.js";
import { tempClient } from "../helpers/engine.js";

const ME = "me@example.org";
let t: ReturnType<typeof tempClient>;
afterEach(async () => {
  await t?.close();
});

function result(queryid: string, id: string, body: string, from?: string): XmlElement {
  return xml(
    "message",
    from ? { from, to: `${ME}/jabterm` } : { to: `${ME}/jabterm` },
    xml(
      "result",
      { xmlns: "urn:xmpp:mam:2", queryid, id },
      xml("forwarded", { xmlns: "urn:xmpp:forward:0" }, xml("delay", { xmlns: "urn:xmpp:delay", stamp: "2026-01-01T10:00:00Z" }), xml("message", { from: "bob@example.org/x", to: ME, type: "chat" }, xml("body", {}, body))),
    ),
  );
}

const fin = (complete: boolean, last?: string) =>
  xml("iq", { type: "result" }, xml("fin", { xmlns: "urn:xmpp:mam:2", complete: String(complete) }, xml("set", { xmlns: "http://jabber.org/protocol/rsm" }, last ? xml("last", {}, last) : undefined, xml("count", {}, "3"))));

describe("archive results", () => {
  test("accepted for the open query from our own archive only, and not after its end", async () => {
    t = tempClient([{ jid: ME, name: "work" }]);
    const archive = t.client.history!.archive!;
    const inject = (stanza: XmlElement) => t.engine.emit("stanza", { account: "work", stanza });
    let queryid = "";
    const acct = {
      name: "work",
      request: async (_type: string, q: XmlElement) => {
        queryid = q.attrs.queryid!;
        inject(result(queryid, "A1", "good, no from"));
        inject(result(queryid, "A2", "good, from our bare JID", ME));
        inject(result(queryid, "F1", "from another account", "mallory@example.org/x"));
        inject(result(queryid, "F2", "from our server", "example.org"));
        inject(result("other-query", "F3", "a query we never opened"));
        return fin(true, "A2");
      },
    } as unknown as Account;
    const { results, fin: f } = await archive.query(acct, ME, { max: 10 });
    expect(results.map((r) => r.id)).toEqual(["A1", "A2"]);
    expect(f).toEqual({ complete: true, last: "A2", count: 3 });
    expect(t.events.filter((e) => e.event === "warning" && e.code === "forged_archive_result").length).toBe(3);
    // After the <fin/>: the query is closed.
    inject(result(queryid, "L1", "late"));
    expect(t.events.filter((e) => e.event === "warning" && e.code === "forged_archive_result").length).toBe(4);
  });

  test("a server without MAM: catch-up ends quietly, nothing is lost locally", async () => {
    t = tempClient([{ jid: ME, name: "work" }]);
    const archive = t.client.history!.archive!;
    const acct = {
      name: "work",
      online: true,
      request: async () => {
        const { StanzaError } = await import("../../src/core/errors.js");
        throw new StanzaError("service-unavailable", undefined, "cancel");
      },
    } as unknown as Account;
    const r = await archive.catchUp(acct);
    expect(r).toMatchObject({ available: false, messages: 0 });
    expect(t.events.find((e) => e.event === "archive_catchup")).toMatchObject({ available: false });
    expect(t.events.some((e) => e.event === "error")).toBe(false);
  });
});

describe("MAM stanzas", () => {
  test("query with form fields and RSM paging", () => {
    const q = buildMamQuery({ queryid: "q1", with: "bob@example.org", start: "2026-01-01T00:00:00.000Z", max: 50, after: "X" });
    expect(q.toString()).toBe(
      '<query xmlns="urn:xmpp:mam:2" queryid="q1"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>urn:xmpp:mam:2</value></field><field var="with"><value>bob@example.org</value></field><field var="start"><value>2026-01-01T00:00:00.000Z</value></field></x><set xmlns="http://jabber.org/protocol/rsm"><max>50</max><after>X</after></set></query>',
    );
    expect(buildMamQuery({ queryid: "q2", max: 5, before: "" }).getChild("set")!.getChild("before")!.text()).toBe("");
  });

  test("result, fin, archive origin, prefs", () => {
    const r = parseResult(result("q", "id1", "hi"))!;
    expect([r.queryid, r.id, r.stamp, r.message.getChildText("body")]).toEqual(["q", "id1", "2026-01-01T10:00:00.000Z", "hi"]);
    expect(parseFin(fin(false, "L"))).toEqual({ complete: false, last: "L", count: 3 });
    expect(fromArchive(undefined, ME, `${ME}/t`)).toBe(true);
    expect(fromArchive(ME, ME, `${ME}/t`)).toBe(true);
    expect(fromArchive(`${ME}/other`, ME, `${ME}/t`)).toBe(false);
    expect(fromArchive("room@muc.example.org", "room@muc.example.org", `${ME}/t`)).toBe(true);
    expect(fromArchive(undefined, "room@muc.example.org", `${ME}/t`)).toBe(false);
    const prefs = { default: "roster" as const, always: ["a@example.org"], never: ["b@example.org"] };
    expect(parsePrefs(xml("iq", {}, buildPrefsSet(prefs)))).toEqual(prefs);
  });
});
