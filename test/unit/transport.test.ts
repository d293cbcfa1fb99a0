import { afterEach, describe, expect, it, test, vi } from "vitest";
import { AuthError, ConfigError, StanzaError, TimeoutError, TlsError } from "../../src/core/errors.js";
import { backoffDelay, runPasswordCommand } from "../../src/core/xmpp/account.js";
import { IqTracker, NS_STANZAS } from "../../src/core/xmpp/transport/iq.js";
import { orderSrv, resolveEndpoints } from "../../src/core/xmpp/transport/resolve.js";
import { chooseMechanism } from "../../src/core/xmpp/transport/sasl.js";
import { normalizeFingerprint } from "../../src/core/xmpp/transport/tls.js";
import { xml, type XmlElement } from "../../src/core/xmpp/transport/xml.js";
import { catchErr } from "../helpers/catch-err.js";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;


afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("chooseMechanism", () => {
  const ALL = ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"];

  it("prefers SCRAM-SHA-256 > SCRAM-SHA-1 > PLAIN", () => {
    expect(chooseMechanism(ALL, true)).toBe("SCRAM-SHA-256");
    expect(chooseMechanism(ALL, false)).toBe("SCRAM-SHA-256");
    expect(chooseMechanism(["PLAIN", "SCRAM-SHA-1"], true)).toBe("SCRAM-SHA-1");
    expect(chooseMechanism(["PLAIN", "SCRAM-SHA-1"], false)).toBe("SCRAM-SHA-1");
    expect(chooseMechanism(["DIGEST-MD5", "PLAIN"], true)).toBe("PLAIN");
  });

  it("matches offered names case-insensitively and ignores surrounding whitespace", () => {
    expect(chooseMechanism([" scram-sha-1\n", "plain"], false)).toBe("SCRAM-SHA-1");
  });

  it("does not confuse -PLUS variants with the plain SCRAM mechanisms", () => {
    expect(chooseMechanism(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1"], true)).toBe("SCRAM-SHA-1");
    expect(catchErr(() => chooseMechanism(["SCRAM-SHA-256-PLUS"], true))).toBeInstanceOf(AuthError);
  });

  it("never chooses PLAIN on an insecure stream: TlsError when it is all that is offered", () => {
    const err = catchErr(() => chooseMechanism(["PLAIN"], false));
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).message).toMatch(/PLAIN/);
    const err2 = catchErr(() => chooseMechanism(["PLAIN", "DIGEST-MD5"], false));
    expect(err2).toBeInstanceOf(TlsError);
  });

  it("restricts to the allowed list, in its order", () => {
    expect(chooseMechanism(ALL, true, ["SCRAM-SHA-1"])).toBe("SCRAM-SHA-1");
    expect(chooseMechanism(ALL, true, ["PLAIN", "SCRAM-SHA-256"])).toBe("PLAIN");
    expect(chooseMechanism(ALL, false, ["PLAIN", "SCRAM-SHA-256"])).toBe("SCRAM-SHA-256");
    expect(catchErr(() => chooseMechanism(["SCRAM-SHA-1"], true, ["SCRAM-SHA-256"]))).toBeInstanceOf(AuthError);
  });

  it("nothing supported -> AuthError listing what was offered", () => {
    const err = catchErr(() => chooseMechanism(["DIGEST-MD5", "X-OAUTH2"], true));
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toContain("DIGEST-MD5");
    expect((err as AuthError).message).toContain("X-OAUTH2");
    const none = catchErr(() => chooseMechanism([], true));
    expect(none).toBeInstanceOf(AuthError);
    expect((none as AuthError).message).toContain("none");
  });

  // Regression: this used to claim "the server offers only PLAIN" although it offers SCRAM too.
  test("an allowed list without PLAIN is not reported as a PLAIN-over-cleartext problem", () => {
    const err = catchErr(() => chooseMechanism(["SCRAM-SHA-1", "PLAIN"], false, ["SCRAM-SHA-256"]));
    expect(err).toBeInstanceOf(AuthError);
    expect(err).not.toBeInstanceOf(TlsError);
  });
});

describe("IqTracker", () => {
  const OWN = "me@example.org/laptop";

  function setup(opts: { own?: string | undefined; timeout?: number } = {}) {
    const sent: XmlElement[] = [];
    const own = "own" in opts ? opts.own : OWN;
    const tracker = new IqTracker(
      async (el) => {
        sent.push(el);
      },
      () => own,
      opts.timeout ?? 5000,
    );
    return { tracker, sent };
  }

  function track<T>(p: Promise<T>) {
    const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
    p.then(
      (v) => {
        state.settled = true;
        state.value = v;
      },
      (e) => {
        state.settled = true;
        state.error = e;
      },
    );
    return state;
  }

  const flush = () => new Promise<void>((r) => setImmediate(r));
  const result = (id: string | undefined, from?: string, ...children: XmlElement[]) => xml("iq", { type: "result", id, from }, ...children);
  const ping = () => xml("ping", { xmlns: "urn:xmpp:ping" });

  it("sends requests with unique UUID ids", async () => {
    const { tracker, sent } = setup();
    const a = tracker.request("get", ping(), "example.org");
    const b = tracker.request("set", xml("query", { xmlns: "jabber:iq:roster" }));
    expect(sent).toHaveLength(2);
    expect(sent[0]!.attrs).toMatchObject({ type: "get", to: "example.org" });
    expect(sent[1]!.attrs.type).toBe("set");
    expect(sent[1]!.attrs.to).toBeUndefined();
    expect(sent[0]!.attrs.id).toMatch(UUID_RE);
    expect(sent[1]!.attrs.id).toMatch(UUID_RE);
    expect(sent[0]!.attrs.id).not.toBe(sent[1]!.attrs.id);
    expect(sent[0]!.getChild("ping", "urn:xmpp:ping")).toBeDefined();
    tracker.rejectAll(new Error("done"));
    await expect(a).rejects.toThrow("done");
    await expect(b).rejects.toThrow("done");
  });

  it("resolves with the reply from the addressed JID", async () => {
    const { tracker, sent } = setup();
    const p = tracker.request("get", ping(), "bob@example.org/phone");
    const reply = result(sent[0]!.attrs.id, "bob@example.org/phone");
    expect(await tracker.incoming(reply)).toBe("consumed");
    await expect(p).resolves.toBe(reply);
  });

  it("ignores a reply with the right id from another JID, then takes the real one", async () => {
    const { tracker, sent } = setup();
    const p = tracker.request("get", ping(), "bob@example.org/phone");
    const state = track(p);
    const id = sent[0]!.attrs.id!;
    for (const from of ["mallory@example.org/phone", "bob@example.org", "bob@example.org/laptop", "example.org", undefined]) {
      expect(await tracker.incoming(result(id, from))).toBe("ignored");
    }
    await flush();
    expect(state.settled).toBe(false);
    const real = result(id, "bob@example.org/phone");
    expect(await tracker.incoming(real)).toBe("consumed");
    await expect(p).resolves.toBe(real);
    // Consumed once: a duplicate is ignored.
    expect(await tracker.incoming(result(id, "bob@example.org/phone"))).toBe("ignored");
  });

  it("ignores replies with an unknown id or no id", async () => {
    const { tracker } = setup();
    expect(await tracker.incoming(result("nope", "example.org"))).toBe("ignored");
    expect(await tracker.incoming(result(undefined, "example.org"))).toBe("ignored");
  });

  it.each([
    ["no from", undefined],
    ["own bare JID", "me@example.org"],
    ["own full JID", "me@example.org/laptop"],
    ["own domain", "example.org"],
    ["own bare JID in other case", "ME@EXAMPLE.org"],
  ])("a request without to accepts a reply with %s", async (_label, from) => {
    const { tracker, sent } = setup();
    const p = tracker.request("get", xml("query", { xmlns: "jabber:iq:roster" }));
    const reply = result(sent[0]!.attrs.id, from);
    expect(await tracker.incoming(reply)).toBe("consumed");
    await expect(p).resolves.toBe(reply);
  });

  it.each([
    ["another user", "bob@example.org"],
    ["another resource of ours", "me@example.org/phone"],
    ["another domain", "evil.example"],
    ["a subdomain", "pubsub.example.org"],
    ["our resource in other case (resources are case-sensitive)", "me@example.org/LAPTOP"],
  ])("a request without to ignores a reply from %s", async (_label, from) => {
    const { tracker, sent } = setup();
    const p = tracker.request("get", xml("query", { xmlns: "jabber:iq:roster" }));
    const state = track(p);
    expect(await tracker.incoming(result(sent[0]!.attrs.id, from))).toBe("ignored");
    await flush();
    expect(state.settled).toBe(false);
    tracker.rejectAll(new Error("end"));
    await flush();
    expect(state.error).toBeInstanceOf(Error);
  });

  it("before binding (no own JID), a request without to accepts only a reply without from", async () => {
    const { tracker, sent } = setup({ own: undefined });
    const p = tracker.request("set", xml("bind", { xmlns: "urn:ietf:params:xml:ns:xmpp-bind" }));
    const id = sent[0]!.attrs.id!;
    expect(await tracker.incoming(result(id, "example.org"))).toBe("ignored");
    expect(await tracker.incoming(result(id))).toBe("consumed");
    await expect(p).resolves.toBeDefined();
  });

  it("a request to our own bare JID accepts a reply without from", async () => {
    const { tracker, sent } = setup();
    const p = tracker.request("get", xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub" }), "me@example.org");
    expect(await tracker.incoming(result(sent[0]!.attrs.id))).toBe("consumed");
    await expect(p).resolves.toBeDefined();
  });

  it("a request to someone else does not accept a reply without from", async () => {
    const { tracker, sent } = setup();
    const p = tracker.request("get", ping(), "bob@example.org");
    const state = track(p);
    expect(await tracker.incoming(result(sent[0]!.attrs.id))).toBe("ignored");
    await flush();
    expect(state.settled).toBe(false);
    tracker.rejectAll(new Error("end"));
  });

  it("compares JIDs in normalised form", async () => {
    const { tracker, sent } = setup();
    const p1 = tracker.request("get", ping(), "Bob@Example.ORG/phone");
    expect(await tracker.incoming(result(sent[0]!.attrs.id, "bob@example.org/phone"))).toBe("consumed");
    await expect(p1).resolves.toBeDefined();
    const p2 = tracker.request("get", ping(), "pubsub.example.org");
    expect(await tracker.incoming(result(sent[1]!.attrs.id, "PubSub.Example.org."))).toBe("consumed");
    await expect(p2).resolves.toBeDefined();
  });

  it("get()/set() resolve with the reply's matching child", async () => {
    const { tracker, sent } = setup();
    const p = tracker.get(xml("query", { xmlns: "jabber:iq:roster" }));
    const child = xml("query", { xmlns: "jabber:iq:roster", ver: "7" });
    await tracker.incoming(result(sent[0]!.attrs.id, undefined, child));
    expect((await p).attrs.ver).toBe("7");
  });

  it("rejects an error reply with a StanzaError carrying the condition", async () => {
    const { tracker, sent } = setup();
    const p = tracker.request("get", ping(), "bob@example.org/phone");
    const reply = xml(
      "iq",
      { type: "error", id: sent[0]!.attrs.id, from: "bob@example.org/phone" },
      xml("error", { type: "cancel" }, xml("text", { xmlns: NS_STANZAS }, "no such thing"), xml("item-not-found", { xmlns: NS_STANZAS })),
    );
    expect(await tracker.incoming(reply)).toBe("consumed");
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StanzaError);
    expect((err as StanzaError).condition).toBe("item-not-found");
    expect((err as StanzaError).detail).toMatchObject({ text: "no such thing", type: "cancel" });
  });

  it("an error reply from the wrong JID is ignored too", async () => {
    const { tracker, sent } = setup();
    const p = tracker.request("get", ping(), "bob@example.org/phone");
    const state = track(p);
    const forged = xml("iq", { type: "error", id: sent[0]!.attrs.id, from: "mallory@example.org" }, xml("error", { type: "cancel" }, xml("forbidden", { xmlns: NS_STANZAS })));
    expect(await tracker.incoming(forged)).toBe("ignored");
    await flush();
    expect(state.settled).toBe(false);
    tracker.rejectAll(new Error("end"));
  });

  it("times out with a TimeoutError, and a late reply is then ignored", async () => {
    vi.useFakeTimers();
    const { tracker, sent } = setup({ timeout: 1000 });
    const p = tracker.request("get", ping(), "example.org");
    const state = track(p);
    await vi.advanceTimersByTimeAsync(999);
    expect(state.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.settled).toBe(true);
    expect(state.error).toBeInstanceOf(TimeoutError);
    expect(await tracker.incoming(result(sent[0]!.attrs.id, "example.org"))).toBe("ignored");
  });

  it("honours a per-request timeout and clears the timer on reply", async () => {
    vi.useFakeTimers();
    const { tracker, sent } = setup({ timeout: 60_000 });
    const p = tracker.request("get", ping(), "example.org", 10);
    const state = track(p);
    await vi.advanceTimersByTimeAsync(10);
    expect(state.error).toBeInstanceOf(TimeoutError);
    const q = tracker.request("get", ping(), "example.org");
    expect(vi.getTimerCount()).toBe(1);
    await tracker.incoming(result(sent[1]!.attrs.id, "example.org"));
    await expect(q).resolves.toBeDefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a failing send rejects the request and leaves no timer behind", async () => {
    vi.useFakeTimers();
    const tracker = new IqTracker(() => Promise.reject(new Error("offline")), () => OWN, 1000);
    await expect(tracker.request("get", ping())).rejects.toThrow("offline");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("answers an unhandled get with service-unavailable to the sender, same id", async () => {
    const { tracker } = setup();
    const iq = xml("iq", { type: "get", id: "q1", from: "bob@example.org/phone", to: OWN }, xml("query", { xmlns: "urn:unknown:thing" }));
    const reply = (await tracker.incoming(iq)) as XmlElement;
    expect(reply.name).toBe("iq");
    expect(reply.attrs).toMatchObject({ type: "error", id: "q1", to: "bob@example.org/phone" });
    const error = reply.getChild("error");
    expect(error?.attrs.type).toBe("cancel");
    expect(error?.getChild("service-unavailable", NS_STANZAS)).toBeDefined();
  });

  it("answers a handled get with a result carrying the handler's payload", async () => {
    const { tracker } = setup();
    const handler = vi.fn(() => xml("query", { xmlns: "jabber:iq:version" }, xml("name", {}, "jabterm")));
    tracker.handle("query", "jabber:iq:version", handler);
    const iq = xml("iq", { type: "get", id: "v1", from: "bob@example.org/phone" }, xml("query", { xmlns: "jabber:iq:version" }));
    const reply = (await tracker.incoming(iq)) as XmlElement;
    expect(handler).toHaveBeenCalledTimes(1);
    expect(reply.attrs).toMatchObject({ type: "result", id: "v1", to: "bob@example.org/phone" });
    expect(reply.getChild("query", "jabber:iq:version")?.getChildText("name")).toBe("jabterm");
  });

  it("a handler returning nothing gives an empty result; async handlers work", async () => {
    const { tracker } = setup();
    tracker.handle("ping", "urn:xmpp:ping", async () => null);
    const reply = (await tracker.incoming(xml("iq", { type: "get", id: "p1", from: "example.org" }, ping()))) as XmlElement;
    expect(reply.attrs).toMatchObject({ type: "result", id: "p1", to: "example.org" });
    expect(reply.getChildElements()).toHaveLength(0);
  });

  it("a handler throwing a StanzaError answers with its condition; other errors -> internal-server-error", async () => {
    const { tracker } = setup();
    tracker.handle("query", "urn:a", () => {
      throw new StanzaError("forbidden", "go away", "auth");
    });
    tracker.handle("query", "urn:b", () => {
      throw new Error("boom");
    });
    const a = (await tracker.incoming(xml("iq", { type: "set", id: "a", from: "x@y" }, xml("query", { xmlns: "urn:a" })))) as XmlElement;
    expect(a.attrs).toMatchObject({ type: "error", id: "a" });
    expect(a.getChild("error")?.attrs.type).toBe("auth");
    expect(a.getChild("error")?.getChild("forbidden", NS_STANZAS)).toBeDefined();
    expect(a.getChild("error")?.getChildText("text", NS_STANZAS)).toBe("go away");
    const b = (await tracker.incoming(xml("iq", { type: "set", id: "b", from: "x@y" }, xml("query", { xmlns: "urn:b" })))) as XmlElement;
    expect(b.getChild("error")?.getChild("internal-server-error", NS_STANZAS)).toBeDefined();
    expect(b.toString()).not.toContain("boom");
  });

  it("answers a malformed request (no child, two children, bad type) with bad-request", async () => {
    const { tracker } = setup();
    const cases = [
      xml("iq", { type: "get", id: "0", from: "x@y" }),
      xml("iq", { type: "get", id: "2", from: "x@y" }, ping(), ping()),
      xml("iq", { type: "bogus", id: "t", from: "x@y" }, ping()),
    ];
    for (const iq of cases) {
      const reply = (await tracker.incoming(iq)) as XmlElement;
      expect(reply.attrs).toMatchObject({ type: "error", id: iq.attrs.id });
      expect(reply.getChild("error")?.getChild("bad-request", NS_STANZAS)).toBeDefined();
    }
  });

  it("rejectAll rejects every pending request and clears their timers", async () => {
    vi.useFakeTimers();
    const { tracker, sent } = setup();
    const a = tracker.request("get", ping(), "a.example");
    const b = tracker.request("get", ping());
    const err = new Error("stream closed");
    tracker.rejectAll(err);
    await expect(a).rejects.toBe(err);
    await expect(b).rejects.toBe(err);
    expect(vi.getTimerCount()).toBe(0);
    expect(await tracker.incoming(result(sent[1]!.attrs.id))).toBe("ignored");
  });
});

describe("orderSrv", () => {
  const rec = (name: string, priority: number, weight: number) => ({ name, priority, weight, port: 5222 });

  it("orders by priority ascending", () => {
    const out = orderSrv([rec("c", 30, 5), rec("a", 10, 5), rec("b", 20, 5)], () => 0);
    expect(out.map((r) => r.name)).toEqual(["a", "b", "c"]);
  });

  it("within a priority, picks by weight using the random source", () => {
    const records = [rec("w10", 10, 10), rec("w20", 10, 20), rec("w70", 10, 70), rec("low", 20, 100)];
    // random()*total: 0 -> first weighted; 0.2*100=20 -> running sum passes 20 at w20; 0.5 -> w70.
    expect(orderSrv(records, () => 0).map((r) => r.name)).toEqual(["w10", "w20", "w70", "low"]);
    const seq = [0.5, 0, 0];
    expect(orderSrv(records, () => seq.shift() ?? 0).map((r) => r.name)).toEqual(["w70", "w10", "w20", "low"]);
    const seq2 = [0.2, 0.99, 0];
    expect(orderSrv(records, () => seq2.shift() ?? 0).map((r) => r.name)).toEqual(["w20", "w70", "w10", "low"]);
  });

  it("is a permutation with non-decreasing priority for any random source", () => {
    const records = [rec("a", 5, 0), rec("b", 1, 3), rec("c", 5, 7), rec("d", 1, 0), rec("e", 3, 1), rec("f", 5, 2)];
    for (const r of [0, 0.1, 0.37, 0.5, 0.81, 0.999999]) {
      const out = orderSrv(records, () => r);
      expect(out.map((x) => x.name).sort()).toEqual(["a", "b", "c", "d", "e", "f"]);
      const prios = out.map((x) => x.priority);
      expect(prios).toEqual([...prios].sort((x, y) => x - y));
    }
  });

  it("does not mutate its input", () => {
    const records = [rec("b", 2, 1), rec("a", 1, 1)];
    orderSrv(records, () => 0);
    expect(records.map((r) => r.name)).toEqual(["b", "a"]);
  });
});

describe("orderSrv edge cases (RFC 2782)", () => {
  const rec = (name: string, priority: number, weight: number) => ({ name, port: 5222, priority, weight });
  test("all-zero weights keep their order", () => {
    expect(orderSrv([rec("a", 0, 0), rec("b", 0, 0), rec("c", 0, 0)], () => 0.5).map((r) => r.name)).toEqual(["a", "b", "c"]);
  });
  test("a zero-weight record goes first only when the random number is 0", () => {
    const records = [rec("heavy", 0, 10), rec("zero", 0, 0)];
    expect(orderSrv(records, () => 0)[0]!.name).toBe("zero");
    expect(orderSrv(records, () => 0.01)[0]!.name).toBe("heavy");
  });
});

test("a port without a host applies to the domain fallback, not to SRV targets", async () => {
  const lookup = async () => [{ name: "xmpp.example.org", port: 5269, priority: 0, weight: 0 }];
  expect(await resolveEndpoints({ domain: "example.org", transport: "starttls", port: 5999 }, lookup)).toEqual([{ kind: "tcp", host: "xmpp.example.org", port: 5269 }]);
  const none = async () => {
    throw new Error("ENOTFOUND");
  };
  expect(await resolveEndpoints({ domain: "example.org", transport: "starttls", port: 5999 }, none)).toEqual([{ kind: "tcp", host: "example.org", port: 5999 }]);
});

describe("resolveEndpoints", () => {
  it("an explicit host wins (with the default port per transport) and SRV is not looked up", async () => {
    const lookup = vi.fn(async () => [{ name: "srv.example.org", port: 1, priority: 0, weight: 0 }]);
    expect(await resolveEndpoints({ domain: "example.org", transport: "starttls", host: "xmpp.example.net" }, lookup)).toEqual([
      { kind: "tcp", host: "xmpp.example.net", port: 5222 },
    ]);
    expect(await resolveEndpoints({ domain: "example.org", transport: "tls", host: "xmpp.example.net" }, lookup)).toEqual([
      { kind: "tls", host: "xmpp.example.net", port: 5223 },
    ]);
    expect(await resolveEndpoints({ domain: "example.org", transport: "starttls", host: "127.0.0.1", port: 15222 }, lookup)).toEqual([
      { kind: "tcp", host: "127.0.0.1", port: 15222 },
    ]);
    expect(lookup).not.toHaveBeenCalled();
  });

  it("uses SRV records in priority order, with the right service name", async () => {
    const lookup = vi.fn(async () => [
      { name: "backup.example.org", port: 5269, priority: 20, weight: 0 },
      { name: "main.example.org", port: 5999, priority: 10, weight: 0 },
    ]);
    const eps = await resolveEndpoints({ domain: "example.org", transport: "starttls" }, lookup);
    expect(lookup).toHaveBeenCalledWith("_xmpp-client._tcp.example.org");
    expect(eps).toEqual([
      { kind: "tcp", host: "main.example.org", port: 5999 },
      { kind: "tcp", host: "backup.example.org", port: 5269 },
    ]);
    await resolveEndpoints({ domain: "example.org", transport: "tls" }, lookup);
    expect(lookup).toHaveBeenLastCalledWith("_xmpps-client._tcp.example.org");
  });

  it("weights SRV records with Math.random within a priority", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.9);
    const lookup = async () => [
      { name: "light.example.org", port: 5222, priority: 10, weight: 10 },
      { name: "heavy.example.org", port: 5222, priority: 10, weight: 90 },
    ];
    const eps = await resolveEndpoints({ domain: "example.org", transport: "starttls" }, lookup);
    expect(eps.map((e) => ("host" in e ? e.host : ""))).toEqual(["heavy.example.org", "light.example.org"]);
  });

  it("falls back to the domain on the default port when the SRV lookup fails or is empty", async () => {
    const failing = vi.fn(async () => {
      throw Object.assign(new Error("queryNotFound"), { code: "ENOTFOUND" });
    });
    expect(await resolveEndpoints({ domain: "example.org", transport: "starttls" }, failing)).toEqual([{ kind: "tcp", host: "example.org", port: 5222 }]);
    expect(await resolveEndpoints({ domain: "example.org", transport: "tls" }, failing)).toEqual([{ kind: "tls", host: "example.org", port: 5223 }]);
    expect(await resolveEndpoints({ domain: "example.org", transport: "starttls" }, async () => [])).toEqual([{ kind: "tcp", host: "example.org", port: 5222 }]);
    expect(failing).toHaveBeenCalledTimes(2);
  });

  it("falls back when the SRV lookup times out", async () => {
    vi.useFakeTimers();
    const hanging = () => new Promise<never>(() => {});
    const p = resolveEndpoints({ domain: "example.org", transport: "starttls" }, hanging, 3000);
    let done = false;
    void p.then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(2999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toEqual([{ kind: "tcp", host: "example.org", port: 5222 }]);
  });

  it("a single '.' target means no service: no endpoints", async () => {
    const lookup = async () => [{ name: ".", port: 0, priority: 0, weight: 0 }];
    expect(await resolveEndpoints({ domain: "example.org", transport: "starttls" }, lookup)).toEqual([]);
    expect(await resolveEndpoints({ domain: "example.org", transport: "tls" }, async () => [{ name: "", port: 0, priority: 0, weight: 0 }])).toEqual([]);
  });

  it("websocket: default wss://domain/xmpp-websocket, explicit url kept, no lookup", async () => {
    const lookup = vi.fn(async () => []);
    expect(await resolveEndpoints({ domain: "example.org", transport: "websocket" }, lookup)).toEqual([
      { kind: "websocket", url: "wss://example.org/xmpp-websocket" },
    ]);
    expect(await resolveEndpoints({ domain: "example.org", transport: "websocket", url: "ws://127.0.0.1:5280/ws" }, lookup)).toEqual([
      { kind: "websocket", url: "ws://127.0.0.1:5280/ws" },
    ]);
    expect(await resolveEndpoints({ domain: "example.org", transport: "websocket", host: "chat.example.net", port: 5443 }, lookup)).toEqual([
      { kind: "websocket", url: "wss://chat.example.net:5443/xmpp-websocket" },
    ]);
    expect(lookup).not.toHaveBeenCalled();
  });
});

describe("normalizeFingerprint", () => {
  it("upper-cases and colon-separates hex pairs", () => {
    expect(normalizeFingerprint("ab:cd:ef:01")).toBe("AB:CD:EF:01");
    expect(normalizeFingerprint("abcdef01")).toBe("AB:CD:EF:01");
    expect(normalizeFingerprint(" Ab Cd\tef:01\n")).toBe("AB:CD:EF:01");
    expect(normalizeFingerprint("")).toBe("");
  });

  it("makes differently spelled SHA-256 fingerprints compare equal", () => {
    const hex = "0123456789abcdef".repeat(4);
    const colons = hex.toUpperCase().match(/../g)!.join(":");
    expect(normalizeFingerprint(hex)).toBe(colons);
    expect(normalizeFingerprint(colons.toLowerCase())).toBe(colons);
    expect(normalizeFingerprint(colons).split(":")).toHaveLength(32);
  });
});

describe("backoffDelay", () => {
  const MIN = 1000;
  const MAX = 60_000;

  it("stays within [d/2, d] with d = min(max, min*2^n) for attempts 0..20", () => {
    for (let n = 0; n <= 20; n++) {
      const d = Math.min(MAX, MIN * 2 ** n);
      const lo = backoffDelay(n, MIN, MAX, () => 0);
      const hi = backoffDelay(n, MIN, MAX, () => 1);
      const mid = backoffDelay(n, MIN, MAX, () => 0.5);
      expect(lo).toBe(Math.round(d / 2));
      expect(hi).toBe(d);
      expect(mid).toBeGreaterThanOrEqual(lo);
      expect(mid).toBeLessThanOrEqual(hi);
      expect(hi).toBeLessThanOrEqual(MAX);
    }
  });

  it("grows exponentially from min and is capped at max", () => {
    expect(backoffDelay(0, MIN, MAX, () => 1)).toBe(1000);
    expect(backoffDelay(1, MIN, MAX, () => 1)).toBe(2000);
    expect(backoffDelay(3, MIN, MAX, () => 1)).toBe(8000);
    expect(backoffDelay(6, MIN, MAX, () => 1)).toBe(60_000);
    expect(backoffDelay(6, MIN, MAX, () => 0)).toBe(30_000);
  });

  it("stays finite and capped for huge attempt counts", () => {
    for (const n of [31, 100, 1e6]) {
      const v = backoffDelay(n, MIN, MAX, () => 1);
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBe(MAX);
    }
  });
});

describe("runPasswordCommand", () => {
  it("returns the program's output with the trailing newline trimmed", async () => {
    await expect(runPasswordCommand("/bin/echo hunter2", "work")).resolves.toBe("hunter2");
    await expect(runPasswordCommand("printf 'pw\\r\\n'", "work")).resolves.toBe("pw");
  });

  it("passes quoted arguments without a shell", async () => {
    await expect(runPasswordCommand("printf '%s|%s' 'two words' \"and more\"", "work")).resolves.toBe("two words|and more");
    await expect(runPasswordCommand("/bin/echo $HOME", "work")).resolves.toBe("$HOME");
    await expect(runPasswordCommand("/bin/echo 'a;b' `id` $(id)", "work")).resolves.toBe("a;b `id` $(id)");
  });

  it("empty output is a ConfigError", async () => {
    const err = await runPasswordCommand("printf ''", "work").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("work");
    await expect(runPasswordCommand("/bin/echo", "work")).rejects.toBeInstanceOf(ConfigError);
  });

  it("a non-zero exit is a ConfigError that does not leak the output", async () => {
    const err = await runPasswordCommand("sh -c 'echo topsecret-output; echo stderr-secret >&2; exit 3'", "work").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).not.toContain("topsecret-output");
    expect(msg).not.toContain("stderr-secret");
    expect(msg).toContain("exit status 3");
    expect(JSON.stringify((err as ConfigError).detail)).not.toContain("topsecret");
  });

  it("a missing program is a ConfigError mentioning 'not found'", async () => {
    const err = await runPasswordCommand("/nonexistent/jabterm-no-such-program --flag", "work").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("not found");
  });

  it("an empty command or an unterminated quote is a ConfigError", async () => {
    await expect(runPasswordCommand("", "work")).rejects.toBeInstanceOf(ConfigError);
    await expect(runPasswordCommand("   ", "work")).rejects.toBeInstanceOf(ConfigError);
    await expect(runPasswordCommand("/bin/echo 'oops", "work")).rejects.toBeInstanceOf(ConfigError);
  });

  it("a command that outlives its timeout is killed and reported", async () => {
    const err = await runPasswordCommand("sleep 30", "work", 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("timed out");
  });
});

test("an error reply that arrives before the request's write completes is not an unhandled rejection", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown) => unhandled.push(r);
  process.on("unhandledRejection", onUnhandled);
  try {
    let tracker!: IqTracker;
    // send() delivers the error reply synchronously, then resolves a tick later (like a socket write).
    tracker = new IqTracker(
      async (el) => {
        void tracker.incoming(xml("iq", { type: "error", id: el.attrs.id }, xml("error", { type: "cancel" }, xml("not-allowed", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }))));
        await new Promise((r) => setTimeout(r, 5));
      },
      () => "me@example.org/r",
      1000,
    );
    await expect(tracker.request("set", xml("query", { xmlns: "jabber:iq:roster" }))).rejects.toMatchObject({ condition: "not-allowed" });
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});
