/**
 * The roster feature without a server: stanzas go in through the handlers the engine would call,
 * and what the account would send is captured. Covers who may push, versioning with the on-disk
 * cache, subscription presences, PEP nicks and the block list.
 */
import { sanitize } from "../../src/core/text/sanitize.js";
import fs from "node:fs";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { StanzaError } from "../../src/core/errors.js";
import type { Account } from "../../src/core/xmpp/account.js";
import { rosterCachePath } from "../../src/core/xmpp/features/roster-cache.js";
import { NS_BLOCKING, NS_NICK, NS_PUBSUB_EVENT, NS_ROSTER, parseNickEvent, parseRosterItem, parseSubscriptionPresence } from "../../src/core/xmpp/features/roster-stanzas.js";
import { rosterFeature } from "../../src/core/xmpp/features/roster.js";
import { xml, type XmlElement } from "../../src/core/xmpp/transport/xml.js";
import { tempClient } from "../helpers/engine.js";

const ME = "me@example.org";

type Sent = { type?: string; child?: XmlElement; stanza?: XmlElement };

/** A client with one (never connected) account whose request/send are scripted. */
function setup(reply: (type: string, child: XmlElement) => XmlElement | Error = () => xml("iq", { type: "result" })) {
  const t = tempClient([{ jid: ME, name: "work" }]);
  const account = t.engine.get("work");
  const sent: Sent[] = [];
  const fake = account as unknown as { request: Account["request"]; send: Account["send"] };
  fake.request = async (type, child) => {
    sent.push({ type, child });
    const r = reply(type, child);
    if (r instanceof Error) throw r;
    return r;
  };
  fake.send = async (stanza) => {
    sent.push({ stanza });
  };
  cleanups.push(() => t.close());
  return { t, account, sent, feature: rosterFeature(t.client) };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function push(from: string | undefined, ...items: XmlElement[]): [XmlElement, XmlElement] {
  const query = xml("query", { xmlns: NS_ROSTER, ver: "v9" }, ...items);
  return [xml("iq", { type: "set", id: "p1", from }, query), query];
}

const evil = () => xml("item", { jid: "evil@localhost", name: "evil" });

describe("roster pushes", () => {
  it("are applied when they come from our own account (no from, or our bare JID in any case)", () => {
    const { t, account, feature } = setup();
    feature.rosterPush(account, ...push(undefined, xml("item", { jid: "Bob@Example.org", name: "Bob", subscription: "both" }, xml("group", {}, "Friends"))));
    expect(t.store.account("work").roster.items["bob@example.org"]).toEqual({ jid: "bob@example.org", name: "Bob", groups: ["Friends"], subscription: "both" });
    expect(t.store.account("work").roster.ver).toBe("v9");
    feature.rosterPush(account, ...push("ME@example.org", xml("item", { jid: "carol@example.org", ask: "subscribe" })));
    expect(t.store.account("work").roster.items["carol@example.org"]).toMatchObject({ subscription: "none", ask: "subscribe" });
    expect(t.events.filter((e) => e.event === "roster").map((e) => e.jid)).toEqual(["bob@example.org", "carol@example.org"]);
    feature.rosterPush(account, ...push(undefined, xml("item", { jid: "bob@example.org", subscription: "remove" })));
    expect(t.store.account("work").roster.items).not.toHaveProperty("bob@example.org");
    expect(t.events.at(-1)).toMatchObject({ event: "roster", account: "work", jid: "bob@example.org", removed: true });
  });

  for (const from of ["mallory@example.org/x", "mallory@example.org", "example.org", `${ME}/other-resource`, "not a jid"]) {
    it(`are refused with service-unavailable from ${JSON.stringify(from)}, changing nothing`, () => {
      const { t, account, feature } = setup();
      const before = t.store.getState();
      let err: unknown;
      try {
        feature.rosterPush(account, ...push(from, evil()));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StanzaError);
      expect((err as StanzaError).condition).toBe("service-unavailable");
      expect(t.store.getState()).toBe(before);
      expect(t.events.filter((e) => e.event === "roster")).toEqual([]);
    });
  }

  it("with no item, two items or an invalid JID are bad requests", () => {
    const { t, account, feature } = setup();
    for (const items of [[], [evil(), xml("item", { jid: "x@y" })], [xml("item", { jid: "@@" })]]) {
      expect(() => feature.rosterPush(account, ...push(undefined, ...items))).toThrow(/bad-request/);
    }
    expect(t.store.account("work").roster.items).toEqual({});
  });
});

describe("roster fetch and the versioning cache", () => {
  it("sends ver='' without a cache, stores the result and writes the cache (0600 in a 0700 dir)", async () => {
    const { t, account, sent, feature } = setup(() =>
      xml("iq", { type: "result" }, xml("query", { xmlns: NS_ROSTER, ver: "5" }, xml("item", { jid: "bob@example.org", subscription: "to" }), xml("item", { jid: "bad jid@" }))),
    );
    await feature.fetchRoster(account);
    expect(sent[0]?.child?.attrs).toEqual({ xmlns: NS_ROSTER, ver: "" });
    expect(t.store.account("work").roster).toEqual({ loaded: true, ver: "5", items: { "bob@example.org": { jid: "bob@example.org", groups: [], subscription: "to" } } });
    expect(t.events.find((e) => e.event === "roster_loaded")).toMatchObject({ account: "work", count: 1, ver: "5", source: "server" });
    await feature.flushCache();
    const file = rosterCachePath(t.paths.dataDir, "work");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toMatchObject({ jid: ME, ver: "5", items: [{ jid: "bob@example.org" }] });
  });

  it("sends the cached ver; an empty result keeps the cached roster; later pushes update the cache", async () => {
    const first = setup(() => xml("iq", { type: "result" }, xml("query", { xmlns: NS_ROSTER, ver: "5" }, xml("item", { jid: "bob@example.org", name: "Bob", subscription: "both" }))));
    await first.feature.fetchRoster(first.account);
    await first.feature.flushCache();

    const second = setup(() => xml("iq", { type: "result" }));
    const file = rosterCachePath(second.t.paths.dataDir, "work");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(rosterCachePath(first.t.paths.dataDir, "work"), file);
    await second.feature.fetchRoster(second.account);
    expect(second.sent[0]?.child?.attrs.ver).toBe("5");
    expect(second.t.store.account("work").roster).toMatchObject({ loaded: true, ver: "5", items: { "bob@example.org": { name: "Bob" } } });
    expect(second.t.events.find((e) => e.event === "roster_loaded")).toMatchObject({ count: 1, source: "cache", requested_ver: "5" });

    second.feature.rosterPush(second.account, ...push(undefined, xml("item", { jid: "dave@example.org" })));
    await second.feature.flushCache();
    const cached = JSON.parse(fs.readFileSync(file, "utf8")) as { ver: string; items: { jid: string }[] };
    expect(cached.ver).toBe("v9");
    expect(cached.items.map((i) => i.jid).sort()).toEqual(["bob@example.org", "dave@example.org"]);
  });

  it("ignores a cache that belongs to another JID or does not parse", async () => {
    for (const content of [JSON.stringify({ v: 1, jid: "other@example.org", ver: "5", items: [] }), "{not json", JSON.stringify({ v: 1, jid: ME, ver: "5", items: [{ jid: 3 }] })]) {
      const { t, account, sent, feature } = setup(() => xml("iq", { type: "result" }, xml("query", { xmlns: NS_ROSTER, ver: "1" })));
      const file = rosterCachePath(t.paths.dataDir, "work");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      await feature.fetchRoster(account);
      expect(sent[0]?.child?.attrs.ver).toBe("");
    }
  });

  it("a server refusing the fetch is reported with what we were doing", async () => {
    const { account, feature } = setup(() => new StanzaError("internal-server-error", "oops", "wait"));
    await expect(feature.fetchRoster(account)).rejects.toThrow(/could not fetch the roster: the server answered internal-server-error \(oops\)/);
  });
});

describe("subscription presences and nicks", () => {
  it("collects requests (with nick and status), publishes the rest, ignores ourselves and bad senders", () => {
    const { t, feature } = setup();
    const pres = (from: string | undefined, type: string, ...children: XmlElement[]) => feature.onStanza("work", xml("presence", { from, type }, ...children));
    pres("bob@example.org/phone", "subscribe", xml("nick", { xmlns: NS_NICK }, "Bobby"), xml("status", {}, "hi, it's Bob"));
    pres(`${ME}/other`, "subscribe");
    pres(undefined, "subscribe");
    pres("@bad", "subscribe");
    pres("carol@example.org", "subscribe");
    expect(Object.keys(t.store.account("work").requests).sort()).toEqual(["bob@example.org", "carol@example.org"]);
    expect(t.store.account("work").requests["bob@example.org"]).toMatchObject({ nick: "Bobby", status: "hi, it's Bob" });
    expect(t.events.filter((e) => e.event === "subscription_request")).toEqual([
      { event: "subscription_request", account: "work", jid: "bob@example.org", nick: "Bobby", status: "hi, it's Bob" },
      { event: "subscription_request", account: "work", jid: "carol@example.org", nick: undefined, status: undefined },
    ]);
    // carol withdraws her request
    pres("carol@example.org/x", "unsubscribe");
    expect(Object.keys(t.store.account("work").requests)).toEqual(["bob@example.org"]);
    pres("dave@example.org", "subscribed");
    pres("erin@example.org", "unsubscribed");
    expect(t.events.filter((e) => e.event === "subscription").map((e) => [e.jid, e.type])).toEqual([
      ["carol@example.org", "unsubscribe"],
      ["dave@example.org", "subscribed"],
      ["erin@example.org", "unsubscribed"],
    ]);
  });

  it("allow answers a request; the nick of the request lands on the roster item the server then pushes", async () => {
    const { t, account, sent, feature } = setup();
    feature.onStanza("work", xml("presence", { from: "bob@example.org/phone", type: "subscribe" }, xml("nick", { xmlns: NS_NICK }, "Bobby")));
    const { answered } = await feature.sendSubscription(account, "subscribed", "bob@example.org");
    expect(answered).toBe(true);
    expect(sent.at(-1)?.stanza?.attrs).toEqual({ to: "bob@example.org", type: "subscribed" });
    expect(t.store.account("work").requests).toEqual({});
    feature.rosterPush(account, ...push(undefined, xml("item", { jid: "bob@example.org", subscription: "from" })));
    expect(t.store.account("work").roster.items["bob@example.org"]).toMatchObject({ nick: "Bobby", subscription: "from" });
    expect(t.store.account("work").roster.items["bob@example.org"]).not.toHaveProperty("approved");
  });

  it("pre-approval without a request marks the item the server pushes next", async () => {
    const { t, account, feature } = setup();
    const { answered } = await feature.sendSubscription(account, "subscribed", "carol@example.org");
    expect(answered).toBe(false);
    feature.rosterPush(account, ...push(undefined, xml("item", { jid: "carol@example.org", subscription: "none" })));
    expect(t.store.account("work").roster.items["carol@example.org"]?.approved).toBe(true);
    await feature.sendSubscription(account, "unsubscribed", "carol@example.org");
    expect(t.store.account("work").roster.items["carol@example.org"]).not.toHaveProperty("approved");
  });

  it("takes PEP nicks only from a contact's bare JID", () => {
    const { t, account, feature } = setup();
    feature.rosterPush(account, ...push(undefined, xml("item", { jid: "bob@example.org", subscription: "both" })));
    const nickEvent = (from: string, nick: string) =>
      xml("message", { from, type: "headline" }, xml("event", { xmlns: NS_PUBSUB_EVENT }, xml("items", { node: NS_NICK }, xml("item", { id: "current" }, xml("nick", { xmlns: NS_NICK }, nick)))));
    feature.onStanza("work", nickEvent("bob@example.org/phone", "Forged"));
    feature.onStanza("work", nickEvent("mallory@example.org/x", "Forged"));
    expect(t.store.account("work").roster.items["bob@example.org"]).not.toHaveProperty("nick");
    feature.onStanza("work", nickEvent("bob@example.org", "Bobby"));
    expect(t.store.account("work").roster.items["bob@example.org"]?.nick).toBe("Bobby");
    expect(t.events.filter((e) => e.event === "nick")).toEqual([{ event: "nick", account: "work", jid: "bob@example.org", nick: "Bobby" }]);
  });
});

describe("block list", () => {
  it("a server without XEP-0191 gives an empty list, not an error", async () => {
    const { t, account, feature } = setup(() => new StanzaError("service-unavailable", undefined, "cancel"));
    await feature.fetchBlocklist(account);
    expect(t.store.account("work").blocked).toEqual([]);
  });

  it("fetches, and applies block/unblock pushes from our own account only", async () => {
    const { t, account, feature } = setup(() => xml("iq", { type: "result" }, xml("blocklist", { xmlns: NS_BLOCKING }, xml("item", { jid: "spam@example.net" }))));
    await feature.fetchBlocklist(account);
    expect(t.store.account("work").blocked).toEqual(["spam@example.net"]);
    const blockPush = (from: string | undefined, name: string, ...jids: string[]) => {
      const child = xml(name, { xmlns: NS_BLOCKING }, jids.map((jid) => xml("item", { jid })));
      return feature.blockPush(account, xml("iq", { type: "set", from }, child), child);
    };
    expect(() => blockPush("mallory@example.org/x", "unblock")).toThrow(/service-unavailable/);
    expect(t.store.account("work").blocked).toEqual(["spam@example.net"]);
    blockPush(undefined, "block", "troll@example.net");
    expect(t.store.account("work").blocked).toEqual(["spam@example.net", "troll@example.net"]);
    blockPush(ME, "unblock", "spam@example.net");
    expect(t.store.account("work").blocked).toEqual(["troll@example.net"]);
    blockPush(undefined, "unblock");
    expect(t.store.account("work").blocked).toEqual([]);
    expect(t.events.filter((e) => e.event === "blocklist").map((e) => e.change)).toEqual(["loaded", "block", "unblock", "unblock"]);
  });
});

describe("stanza parsing", () => {
  it("roster items: groups deduplicated, empty groups dropped, unknown subscription is none", () => {
    const entry = parseRosterItem(xml("item", { jid: "a@x", subscription: "weird", name: "" }, xml("group", {}, "G"), xml("group", {}, "G"), xml("group", {}, "")));
    expect(entry).toEqual({ kind: "item", item: { jid: "a@x", groups: ["G"], subscription: "none" } });
    expect(parseRosterItem(xml("item", {}))).toBeUndefined();
  });

  it("subscription presences use the bare JID of a full from", () => {
    expect(parseSubscriptionPresence(xml("presence", { from: "Bob@X/r", type: "subscribed" }), ME)).toEqual({ type: "subscribed", jid: "bob@x" });
    expect(parseSubscriptionPresence(xml("presence", { from: "bob@x" }), ME)).toBeUndefined();
    expect(parseSubscriptionPresence(xml("presence", { from: "bob@x", type: "probe" }), ME)).toBeUndefined();
  });

  it("nick events: a retraction or an empty nick clears it", () => {
    const ev = (inner: XmlElement) => xml("message", { from: "bob@x" }, xml("event", { xmlns: NS_PUBSUB_EVENT }, xml("items", { node: NS_NICK }, inner)));
    expect(parseNickEvent(ev(xml("retract", { id: "current" })))).toEqual({ jid: "bob@x", nick: undefined });
    expect(parseNickEvent(ev(xml("item", {}, xml("nick", { xmlns: NS_NICK }, " "))))).toEqual({ jid: "bob@x", nick: undefined });
    expect(parseNickEvent(xml("message", { from: "bob@x" }, xml("body", {}, "hi")))).toBeUndefined();
  });
});

describe("commands that read the store (offline)", () => {
  // Command lines carry remote text raw; each host defuses what it prints (headless sanitises the
  // output strings as below, the interface draws them through RemoteText with inert placeholders).
  it("/roster, /requests and /blocked print remote text defused (as hosts print it) and keep it raw in data", async () => {
    const { t, account, feature } = setup();
    feature.rosterPush(account, ...push(undefined, xml("item", { jid: "bob@example.org", name: "Bob\u202eevil\u001b]0;x\u0007", subscription: "both" }, xml("group", {}, "G\u200b"))));
    feature.onStanza("work", xml("presence", { from: "carol@example.org", type: "subscribe" }, xml("nick", { xmlns: NS_NICK }, "Caro\u0085l"), xml("status", {}, "line1\nline2")));
    const list = await t.command("/roster list -a work");
    expect(list.ok).toBe(true);
    expect(list.output).toHaveLength(1);
    expect(list.output[0]).toContain("Bob\u202eevil");
    expect(sanitize(list.output[0]!)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b\u202e]/);
    expect(list.output[0]).toContain("<bob@example.org>");
    expect(list.data).toMatchObject({ items: [{ jid: "bob@example.org", name: "Bob\u202eevil\u001b]0;x\u0007", groups: ["G\u200b"] }] });
    const requests = await t.command("/requests -a work");
    expect(sanitize(requests.output[0]!)).toMatch(/^carol@example\.org \(Caro.+l\): line1.line2$/);
    expect(sanitize(requests.output[0]!)).not.toMatch(/[\n\u0085]/);
    expect(requests.data).toMatchObject({ requests: [{ jid: "carol@example.org", nick: "Caro\u0085l", status: "line1\nline2" }] });
    expect((await t.command("/blocked -a work")).output).toEqual(["nobody is blocked on work"]);
  });

  it("refuse what cannot work before asking the server", async () => {
    const { t, sent } = setup();
    expect(await t.command("/roster name -a work nobody@example.org X")).toMatchObject({ ok: false, error: { code: "usage", text: "nobody@example.org is not in the roster of work (see /roster)" } });
    expect(await t.command("/roster add -a work bob@example.org/phone")).toMatchObject({ ok: false, error: { code: "usage" } });
    expect(await t.command("/unblock -a work")).toMatchObject({ ok: false, error: { code: "usage", text: "give either a JID or --all" } });
    expect(await t.command("/unblock -a work --all x@y")).toMatchObject({ ok: false, error: { code: "usage" } });
    expect(sent).toEqual([]);
  });

  it("group changes send the whole item; a server refusal names what failed", async () => {
    const { t, account, sent, feature } = setup((type, child) =>
      child.getChild("item")?.attrs.jid === "bob@example.org" && type === "set" && child.getChild("item")?.getChildren("group").length === 0
        ? new StanzaError("not-acceptable", "no", "modify")
        : xml("iq", { type: "result" }),
    );
    feature.rosterPush(account, ...push(undefined, xml("item", { jid: "bob@example.org", name: "Bob", subscription: "both" }, xml("group", {}, "A"), xml("group", {}, "B"))));
    expect((await t.command("/roster group move -a work bob@example.org A Z")).ok).toBe(true);
    const item = sent.at(-1)!.child!.getChild("item")!;
    expect(item.attrs).toEqual({ jid: "bob@example.org", name: "Bob" });
    expect(item.getChildren("group").map((g) => g.text())).toEqual(["Z", "B"]);
    expect((await t.command("/roster group move -a work bob@example.org Q Z")).error).toMatchObject({ code: "usage", text: 'bob@example.org is not in "Q"' });
    // the store still has A and B (no push came); removing A leaves B, removing both is refused by our fake server
    await t.command("/roster group remove -a work bob@example.org A");
    expect(sent.at(-1)!.child!.getChild("item")!.getChildren("group").map((g) => g.text())).toEqual(["B"]);
    feature.rosterPush(account, ...push(undefined, xml("item", { jid: "bob@example.org", name: "Bob", subscription: "both" }, xml("group", {}, "B"))));
    const refused = await t.command("/roster group remove -a work bob@example.org B");
    expect(refused).toMatchObject({ ok: false, error: { code: "stanza", condition: "not-acceptable", text: "could not update bob@example.org in the roster: the server answered not-acceptable (no)" } });
  });
});
