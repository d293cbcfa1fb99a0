import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import {
  bareJid,
  domainOf,
  fullJid,
  isBareJid,
  jidToString,
  normalizeJid,
  parseJid,
  prepDomainpart,
  prepLocalpart,
  prepResourcepart,
  sameBareJid,
  sameJid,
  tryParseJid,
} from "../../src/core/jid.js";

function expectInvalid(input: string, message?: RegExp): void {
  let caught: unknown;
  try {
    parseJid(input);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${JSON.stringify(input)} to be rejected`).toBeInstanceOf(UsageError);
  if (message) expect((caught as Error).message).toMatch(message);
  expect(tryParseJid(input)).toBeNull();
}

describe("parseJid: structure (RFC 7622 §3.1)", () => {
  it("parses bare, full and domain-only JIDs", () => {
    expect(parseJid("juliet@example.com")).toEqual({ local: "juliet", domain: "example.com", resource: "" });
    expect(parseJid("juliet@example.com/balcony")).toEqual({
      local: "juliet",
      domain: "example.com",
      resource: "balcony",
    });
    expect(parseJid("example.com")).toEqual({ local: "", domain: "example.com", resource: "" });
    expect(parseJid("example.com/foo")).toEqual({ local: "", domain: "example.com", resource: "foo" });
  });

  it("splits the resource at the first '/' and the localpart at the first '@' before it", () => {
    expect(parseJid("a@b/c@d/e")).toEqual({ local: "a", domain: "b", resource: "c@d/e" });
    expect(parseJid("example.com/a@b")).toEqual({ local: "", domain: "example.com", resource: "a@b" });
    expect(parseJid("room@muc.example/nick/with/slashes").resource).toBe("nick/with/slashes");
  });

  it("keeps the resource case-sensitive", () => {
    expect(parseJid("Juliet@Example.COM/Balcony").resource).toBe("Balcony");
    expect(sameJid("juliet@example.com/Balcony", "juliet@example.com/balcony")).toBe(false);
    expect(sameBareJid("juliet@example.com/Balcony", "juliet@example.com/balcony")).toBe(true);
  });
});

describe("localpart (UsernameCaseMapped)", () => {
  it("folds case in localpart and domain", () => {
    expect(normalizeJid("Juliet@Example.COM")).toBe("juliet@example.com");
    expect(sameBareJid("JULIET@example.com", "juliet@EXAMPLE.com")).toBe(true);
  });

  it("maps fullwidth characters to their narrow forms", () => {
    // "ｊｕｌｉｅｔ" in fullwidth Latin, and fullwidth capitals are also case-folded
    expect(parseJid("\uFF4A\uFF55\uFF4C\uFF49\uFF45\uFF54@example.com").local).toBe("juliet");
    expect(parseJid("\uFF2A\uFF35\uFF2C\uFF29\uFF25\uFF34@example.com").local).toBe("juliet");
    // halfwidth katakana ｶ → カ
    expect(prepLocalpart("\uFF76")).toBe("\u30AB");
  });

  it("composes to NFC (e + combining acute == é)", () => {
    const decomposed = "rene\u0301@example.com";
    const composed = "ren\u00E9@example.com";
    expect(normalizeJid(decomposed)).toBe(composed);
    expect(sameBareJid(decomposed, composed)).toBe(true);
    expect(parseJid("RENE\u0301@example.com").local).toBe("ren\u00E9");
  });

  it("accepts non-Latin letters and ASCII punctuation that is not JID-special", () => {
    expect(parseJid("\u0440\u043E\u043C\u0435\u043E@example.com").local).toBe("ромео");
    expect(parseJid("\u5F20\u4E09@example.com").local).toBe("张三");
    expect(parseJid("first.last+tag_x-y!#$%*=?^`{|}~@example.com").local).toBe("first.last+tag_x-y!#$%*=?^`{|}~");
    expect(prepLocalpart("Stra\u00DFe")).toBe("straße");
  });

  it("rejects an empty localpart before '@'", () => {
    expectInvalid("@example.com", /localpart is empty/);
  });

  it("rejects a second '@' (it ends up in the domainpart)", () => {
    expectInvalid("a@@b", /domainpart contains "@"/);
    expectInvalid("a@b@c");
  });

  it("rejects spaces in the localpart", () => {
    expectInvalid("jul iet@example.com", /space/);
    expectInvalid("jul\u00A0iet@example.com", /space/);
    expectInvalid("jul\u3000iet@example.com", /space/); // ideographic space, width-mapped to U+0020
  });

  it("rejects control characters", () => {
    expectInvalid("jul\u0007iet@example.com", /control character U\+0007/);
    expectInvalid("jul\u0085iet@example.com", /control/);
    expectInvalid("juliet@example.com/bal\u0000cony", /control/);
  });

  it("rejects the JID-prohibited characters", () => {
    for (const ch of ['"', "&", "'", ":", "<", ">"]) {
      expectInvalid(`a${ch}b@example.com`, /prohibited character/);
    }
  });

  it("rejects symbols, compatibility characters, default-ignorables and other PRECIS-disallowed code points", () => {
    expectInvalid("i\u2665u@example.com"); // ♥ symbol (FreeformClass only)
    expectInvalid("\uFB01sh@example.com"); // ﬁ ligature (HasCompat)
    expectInvalid("a\u200Db@example.com"); // ZWJ
    expectInvalid("a\u202Eb@example.com"); // RIGHT-TO-LEFT OVERRIDE
    expectInvalid("a\u00ADb@example.com"); // soft hyphen
    expectInvalid("a\uE000b@example.com"); // private use
    expectInvalid("a\uFFFEb@example.com"); // noncharacter
    expectInvalid("a\uD800b@example.com"); // lone surrogate
    expectInvalid("a\u0378b@example.com"); // unassigned
    expectInvalid("a\u0640b@example.com"); // Arabic tatweel (RFC 5892 exception)
    expectInvalid("a\u00B7b@example.com"); // middle dot (CONTEXTO, not evaluated)
  });

  it("rejects a localpart longer than 1023 octets", () => {
    expect(parseJid(`${"a".repeat(1023)}@example.com`).local).toHaveLength(1023);
    expectInvalid(`${"a".repeat(1024)}@example.com`, /longer than 1023 octets/);
    // 512 × "é" = 1024 octets of UTF-8
    expectInvalid(`${"\u00E9".repeat(512)}@example.com`, /longer than 1023 octets/);
  });
});

describe("domainpart", () => {
  it("strips exactly one trailing dot", () => {
    expect(normalizeJid("juliet@example.com.")).toBe("juliet@example.com");
    expect(normalizeJid("example.com./res")).toBe("example.com/res");
    expect(sameBareJid("juliet@example.com.", "juliet@example.com")).toBe(true);
    expect(normalizeJid("juliet@example\u3002com\u3002")).toBe("juliet@example.com");
    expectInvalid("juliet@example.com..", /empty label/);
    expectInvalid("juliet@.", /domainpart is empty/);
  });

  it("keeps IDNs in canonical Unicode form and compares them equal to their punycode", () => {
    expect(parseJid("user@b\u00FCcher.example").domain).toBe("bücher.example");
    expect(parseJid("user@xn--bcher-kva.example").domain).toBe("bücher.example");
    expect(parseJid("user@B\u00DCCHER.Example").domain).toBe("bücher.example");
    expect(parseJid("user@XN--BCHER-KVA.example").domain).toBe("bücher.example");
    expect(sameBareJid("user@b\u00FCcher.example", "user@xn--bcher-kva.example")).toBe(true);
    expect(domainOf("user@xn--bcher-kva.example/r")).toBe("bücher.example");
    // decomposed ü is composed first
    expect(parseJid("bu\u0308cher.example").domain).toBe("bücher.example");
    // fullwidth domain and fullwidth full stop
    expect(parseJid("\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\uFF0Ecom").domain).toBe("example.com");
  });

  it("rejects invalid punycode and malformed labels", () => {
    expectInvalid("user@xn--zz.example", /not a valid/);
    expectInvalid("user@-example.com", /start or end with "-"/);
    expectInvalid("user@exa mple.com", /U\+0020/);
    expectInvalid("user@exa#mple.com", /"#"/);
    expectInvalid("user@exa<mple.com", /"<"/);
    expectInvalid("user@b\u00FCcher#.example", /"#"/);
    expectInvalid("user@foo.123", /numeric top-level/);
    expectInvalid("user@1.2.3.256", /numeric top-level/);
  });

  it("enforces the label (63) and domain (1023) octet limits", () => {
    expect(parseJid(`user@${"a".repeat(63)}.example`).domain).toHaveLength(63 + 8);
    expectInvalid(`user@${"a".repeat(64)}.example`, /label is longer than 63 octets/);
    const label = "a".repeat(63);
    const longDomain = Array.from({ length: 16 }, () => label).join("."); // 16*63 + 15 = 1023
    expect(parseJid(longDomain).domain).toHaveLength(1023);
    expectInvalid(`${longDomain}.b`, /longer than 1023 octets/);
  });

  it("accepts IPv4 and IPv6 literals", () => {
    expect(parseJid("user@192.0.2.1/r").domain).toBe("192.0.2.1");
    expect(parseJid("user@[2001:DB8::1]/r")).toEqual({ local: "user", domain: "[2001:db8::1]", resource: "r" });
    expect(parseJid("[::1]").domain).toBe("[::1]");
    expect(sameBareJid("user@[2001:db8:0:0:0:0:0:1]", "user@[2001:db8::1]")).toBe(true);
    expectInvalid("user@[2001:db8::1", /closing/);
    expectInvalid("user@[not:an:address]", /IPv6/);
    expectInvalid("user@[192.0.2.1]", /IPv6/);
  });

  it("accepts underscores and hyphens inside labels", () => {
    expect(parseJid("user@my_xmpp-server.local").domain).toBe("my_xmpp-server.local");
    expect(parseJid("localhost").domain).toBe("localhost");
  });

  it("rejects an empty domain", () => {
    expectInvalid("", /empty/);
    expectInvalid("user@", /domainpart is empty/);
    expectInvalid("/resource", /domainpart is empty/);
    expectInvalid("user@/resource", /domainpart is empty/);
  });
});

describe("resourcepart (OpaqueString)", () => {
  it("allows spaces, symbols and mixed case, and maps non-ASCII spaces to U+0020", () => {
    expect(parseJid("room@muc.example/The Nurse \u2665").resource).toBe("The Nurse ♥");
    expect(parseJid("room@muc.example/a\u00A0b\u3000c").resource).toBe("a b c");
    // fullwidth characters are NOT width-mapped in OpaqueString
    expect(prepResourcepart("\uFF21")).toBe("\uFF21");
  });

  it("normalises to NFC", () => {
    expect(parseJid("a@b/Rene\u0301").resource).toBe("Ren\u00E9");
    expect(sameJid("a@b/Rene\u0301", "a@b/Ren\u00E9")).toBe(true);
  });

  it("rejects an empty resource after '/'", () => {
    expectInvalid("juliet@example.com/", /resourcepart is empty/);
  });

  it("rejects controls, default-ignorables, noncharacters and private use", () => {
    expectInvalid("a@b/x\ny", /control/);
    expectInvalid("a@b/x\u200By"); // ZERO WIDTH SPACE (default ignorable)
    expectInvalid("a@b/x\u2028y"); // LINE SEPARATOR (Zl)
    expectInvalid("a@b/x\uFFFFy");
    expectInvalid("a@b/x\uE000y");
  });

  it("rejects a resource longer than 1023 octets", () => {
    expect(parseJid(`a@b/${"r".repeat(1023)}`).resource).toHaveLength(1023);
    expectInvalid(`a@b/${"r".repeat(1024)}`, /longer than 1023 octets/);
  });
});

describe("helpers", () => {
  it("formats bare and full JIDs canonically", () => {
    expect(bareJid("Juliet@Example.com/Balcony")).toBe("juliet@example.com");
    expect(fullJid("Juliet@Example.com/Balcony")).toBe("juliet@example.com/Balcony");
    expect(jidToString({ local: "", domain: "Example.COM", resource: "" })).toBe("example.com");
    expect(bareJid({ local: "Juliet", domain: "xn--bcher-kva.example", resource: "x" })).toBe("juliet@bücher.example");
    expect(fullJid(parseJid("a@b/c@d/e"))).toBe("a@b/c@d/e");
    expect(() => bareJid({ local: "a b", domain: "example.com", resource: "" })).toThrow(UsageError);
  });

  it("round-trips: normalizing is idempotent", () => {
    for (const s of ["Juliet@Example.COM/Balcony", "a@b/c@d/e", "user@xn--bcher-kva.example", "[::1]/x"]) {
      const once = normalizeJid(s);
      expect(normalizeJid(once)).toBe(once);
    }
  });

  it("compares JIDs, treating invalid input as unequal", () => {
    expect(sameJid("a@b/r", "A@B/r")).toBe(true);
    expect(sameJid("a@b/r", "a@b")).toBe(false);
    expect(sameBareJid("a@b/r", "a@b")).toBe(true);
    expect(sameBareJid("a b@c", "a b@c")).toBe(false);
    expect(sameBareJid("a@b", "a@c")).toBe(false);
  });

  it("isBareJid", () => {
    expect(isBareJid("a@b")).toBe(true);
    expect(isBareJid("b")).toBe(true);
    expect(isBareJid("a@b/r")).toBe(false);
    expect(isBareJid("a@@b")).toBe(false);
  });

  it("domainOf", () => {
    expect(domainOf("A@Example.COM./r")).toBe("example.com");
    expect(() => domainOf("@x")).toThrow(UsageError);
  });

  it("part preparers throw UsageError naming the part", () => {
    expect(prepDomainpart("EXAMPLE.com.")).toBe("example.com");
    expect(() => prepLocalpart("a b")).toThrow(/invalid JID localpart "a b": contains a space/);
    expect(() => prepResourcepart("")).toThrow(/resourcepart is empty/);
    expect(() => prepDomainpart("")).toThrow(/domainpart is empty/);
  });

  it("error messages quote the input and never throw non-UsageErrors for strings", () => {
    expect(() => parseJid("a<b@example.com")).toThrow(/invalid JID "a<b@example.com": contains the prohibited character "<"/);
  });
});
