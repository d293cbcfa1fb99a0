import { describe, expect, it } from "vitest";
import { AuthError, JabtermError } from "../../src/core/errors.js";
import { escapeSaslName, plainMessage, ScramClient, scramMechanismName } from "../../src/core/xmpp/sasl/scram.js";
import { catchErr } from "../helpers/catch-err.js";

const SHA1 = {
  nonce: "fyko+d2lbbFgONRv9qkxdawL",
  serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
  clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
  serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

const SHA256 = {
  nonce: "rOprNGfwEbeRWgbNEkqO",
  serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal:
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

function sha1Client(extra: Partial<ConstructorParameters<typeof ScramClient>[0]> = {}): ScramClient {
  return new ScramClient({ hash: "SHA-1", username: "user", password: "pencil", nonce: SHA1.nonce, ...extra });
}


describe("ScramClient: RFC test vectors", () => {
  it("RFC 5802 §5 SCRAM-SHA-1", () => {
    const c = sha1Client();
    expect(c.mechanism).toBe("SCRAM-SHA-1");
    expect(c.clientFirst()).toBe("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    expect(c.clientFinal(SHA1.serverFirst)).toBe(SHA1.clientFinal);
    expect(() => c.verifyServerFinal(SHA1.serverFinal)).not.toThrow();
  });

  it("RFC 7677 §3 SCRAM-SHA-256", () => {
    const c = new ScramClient({ hash: "SHA-256", username: "user", password: "pencil", nonce: SHA256.nonce });
    expect(c.mechanism).toBe("SCRAM-SHA-256");
    expect(c.clientFirst()).toBe("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    expect(c.clientFinal(SHA256.serverFirst)).toBe(SHA256.clientFinal);
    expect(() => c.verifyServerFinal(SHA256.serverFinal)).not.toThrow();
  });

  it("ignores extensions after i= and after v=", () => {
    const c = sha1Client();
    c.clientFirst();
    expect(c.clientFinal(SHA1.serverFirst)).toBe(SHA1.clientFinal);
    c.verifyServerFinal(`${SHA1.serverFinal},x=future`);
  });

  it("scramMechanismName", () => {
    expect(scramMechanismName("SHA-1")).toBe("SCRAM-SHA-1");
    expect(scramMechanismName("SHA-256")).toBe("SCRAM-SHA-256");
  });

  it("generates a fresh random nonce by default", () => {
    const a = new ScramClient({ hash: "SHA-256", username: "u", password: "p" }).clientFirst();
    const b = new ScramClient({ hash: "SHA-256", username: "u", password: "p" }).clientFirst();
    expect(a).toMatch(/^n,,n=u,r=[A-Za-z0-9+/=]{32}$/);
    expect(a).not.toBe(b);
  });
});

describe("ScramClient: server-final verification", () => {
  it("rejects a wrong server signature", () => {
    const c = sha1Client();
    c.clientFirst();
    c.clientFinal(SHA1.serverFirst);
    const err = catchErr(() => c.verifyServerFinal("v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/server signature mismatch/);
  });

  it("rejects a signature of the wrong length", () => {
    const c = sha1Client();
    c.clientFirst();
    c.clientFinal(SHA1.serverFirst);
    expect(() => c.verifyServerFinal("v=AAAA")).toThrow(/server signature mismatch/);
  });

  it("turns e=... into an AuthError carrying the server error", () => {
    const c = sha1Client();
    c.clientFirst();
    c.clientFinal(SHA1.serverFirst);
    const err = catchErr(() => c.verifyServerFinal("e=invalid-proof"));
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toMatch(/invalid-proof/);
    expect((err as AuthError).detail.condition).toBe("invalid-proof");
    expect((err as AuthError).exitCode).toBe(4);
  });

  it("rejects malformed server-final messages", () => {
    for (const bad of ["", "x=1", "v=not base64!", "v=", "garbage"]) {
      const c = sha1Client();
      c.clientFirst();
      c.clientFinal(SHA1.serverFirst);
      expect(() => c.verifyServerFinal(bad), bad).toThrow(AuthError);
    }
  });
});

describe("ScramClient: server-first validation", () => {
  function finalWith(serverFirst: string, extra: Parameters<typeof sha1Client>[0] = {}): unknown {
    const c = sha1Client(extra);
    c.clientFirst();
    return catchErr(() => c.clientFinal(serverFirst));
  }

  it("rejects a nonce that does not extend ours", () => {
    const err = finalWith("r=somebodyElsesNonce123,s=QSXCR+Q6sek8bf92,i=4096");
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/nonce/);
    // exactly our nonce, with nothing added by the server
    expect(finalWith(`r=${SHA1.nonce},s=QSXCR+Q6sek8bf92,i=4096`)).toBeInstanceOf(AuthError);
  });

  it("rejects iteration counts out of bounds", () => {
    const r = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92";
    expect((finalWith(`${r},i=1023`) as Error).message).toMatch(/iteration count 1023 is outside/);
    expect((finalWith(`${r},i=1000001`) as Error).message).toMatch(/outside/);
    expect((finalWith(`${r},i=4096`, { maxIterations: 4095 }) as Error).message).toMatch(/outside/);
    expect((finalWith(`${r},i=4096`, { minIterations: 5000 }) as Error).message).toMatch(/outside/);
    expect(finalWith(`${r},i=0`)).toBeInstanceOf(AuthError);
    expect(finalWith(`${r},i=-5`)).toBeInstanceOf(AuthError);
    expect(finalWith(`${r},i=4096.5`)).toBeInstanceOf(AuthError);
    expect(finalWith(`${r},i=99999999999999999999`)).toBeInstanceOf(AuthError);
    // the default lower bound of 1024 is accepted
    const c = sha1Client();
    c.clientFirst();
    expect(c.clientFinal(`${r},i=1024`)).toMatch(/^c=biws,r=fyko/);
  });

  it("rejects a mandatory extension", () => {
    const err = finalWith(`m=ext,${SHA1.serverFirst}`);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/mandatory extension/);
  });

  it("rejects malformed messages with AuthError", () => {
    const r = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j";
    for (const bad of [
      "",
      "garbage",
      `${r},i=4096,s=QSXCR+Q6sek8bf92`, // wrong order
      `${r},s=QSXCR+Q6sek8bf92`, // missing i
      `${r},s=not*base64,i=4096`,
      `${r},s=,i=4096`,
      `s=QSXCR+Q6sek8bf92,${r},i=4096`,
    ]) {
      expect(finalWith(bad), bad).toBeInstanceOf(AuthError);
    }
  });

  it("turns an e= in server-first into an AuthError", () => {
    const err = finalWith("e=unknown-user");
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).detail.condition).toBe("unknown-user");
  });

  it("never puts the password in error messages", () => {
    const secret = "hunter2-very-secret";
    for (const bad of ["garbage", "r=x,s=QSXCR+Q6sek8bf92,i=4096", `m=x,${SHA1.serverFirst}`]) {
      const c = sha1Client({ password: secret });
      c.clientFirst();
      const err = catchErr(() => c.clientFinal(bad)) as Error;
      expect(err.message).not.toContain(secret);
      expect(JSON.stringify((err as AuthError).detail)).not.toContain(secret);
    }
  });

  it("enforces call order", () => {
    const c = sha1Client();
    expect(() => c.clientFinal(SHA1.serverFirst)).toThrow(JabtermError);
    expect(() => c.verifyServerFinal(SHA1.serverFinal)).toThrow(JabtermError);
    c.clientFirst();
    expect(() => c.clientFirst()).toThrow(JabtermError);
    c.clientFinal(SHA1.serverFirst);
    expect(() => c.clientFinal(SHA1.serverFirst)).toThrow(JabtermError);
    c.verifyServerFinal(SHA1.serverFinal);
    expect(() => c.verifyServerFinal(SHA1.serverFinal)).toThrow(JabtermError);
  });
});

describe("ScramClient: username/password preparation", () => {
  it("escapes '=' and ',' in the username", () => {
    expect(escapeSaslName("a=b,c")).toBe("a=3Db=2Cc");
    const c = new ScramClient({ hash: "SHA-1", username: "a=b,c", password: "x", nonce: "abc" });
    expect(c.clientFirst()).toBe("n,,n=a=3Db=2Cc,r=abc");
  });

  it("applies SASLprep to the username", () => {
    // U+00A0 NO-BREAK SPACE → space; U+00AD SOFT HYPHEN → nothing; ﬁ ligature → "fi" (NFKC)
    const c = new ScramClient({ hash: "SHA-1", username: "us\u00ADer\u00A0\uFB01", password: "x", nonce: "abc" });
    expect(c.clientFirst()).toBe("n,,n=user fi,r=abc");
  });

  it("maps U+00A0 in the password to a space (same proof as with a plain space)", () => {
    const sf = "r=abcdef,s=QSXCR+Q6sek8bf92,i=4096";
    const run = (password: string): string => {
      const c = new ScramClient({ hash: "SHA-256", username: "user", password, nonce: "abc" });
      c.clientFirst();
      return c.clientFinal(sf);
    };
    expect(run("pen\u00A0cil")).toBe(run("pen cil"));
    expect(run("pen\u00A0cil")).not.toBe(run("pencil"));
  });

  it("rejects prohibited characters with an AuthError that does not echo the input", () => {
    const err = catchErr(
      () => new ScramClient({ hash: "SHA-1", username: "user", password: "bell\u0007secret", nonce: "abc" }),
    );
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/password is not valid under SASLprep/);
    expect((err as Error).message).not.toContain("secret");
    expect(() => new ScramClient({ hash: "SHA-1", username: "us\u0007er", password: "x" })).toThrow(
      /username is not valid under SASLprep/,
    );
  });

  it("rejects empty credentials", () => {
    expect(() => new ScramClient({ hash: "SHA-1", username: "", password: "x" })).toThrow(AuthError);
    expect(() => new ScramClient({ hash: "SHA-1", username: "u", password: "" })).toThrow(AuthError);
    // only characters mapped to nothing
    expect(() => new ScramClient({ hash: "SHA-1", username: "u", password: "\u00AD" })).toThrow(/empty/);
  });

  it("accepts code points unassigned in Unicode 3.2 (query-string SASLprep)", () => {
    // U+1F600 was unassigned in the Unicode version stringprep references
    const c = new ScramClient({ hash: "SHA-256", username: "user", password: "smile\u{1F600}", nonce: "abc" });
    c.clientFirst();
    expect(c.clientFinal("r=abcdef,s=QSXCR+Q6sek8bf92,i=4096")).toMatch(/,p=/);
  });

  it("rejects a bad test nonce", () => {
    expect(() => new ScramClient({ hash: "SHA-1", username: "u", password: "p", nonce: "a,b" })).toThrow(JabtermError);
    expect(() => new ScramClient({ hash: "SHA-1", username: "u", password: "p", nonce: "" })).toThrow(JabtermError);
  });
});

describe("plainMessage", () => {
  it("builds authzid NUL authcid NUL passwd", () => {
    expect(plainMessage("", "user", "pencil")).toBe("\0user\0pencil");
    expect(plainMessage("admin@example.com", "user", "pencil")).toBe("admin@example.com\0user\0pencil");
  });

  it("applies SASLprep to username and password", () => {
    expect(plainMessage("", "I\u00ADX", "pen\u00A0cil")).toBe("\0IX\0pen cil");
    expect(() => plainMessage("", "user", "a\u0007b")).toThrow(AuthError);
    expect(() => plainMessage("", "user", "a\u0000b")).toThrow(AuthError);
    expect(() => plainMessage("a\0b", "user", "pencil")).toThrow(AuthError);
  });
});
