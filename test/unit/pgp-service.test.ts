/**
 * The OpenPGP service without a network: passphrase prompts (asked once, answered, cached, a
 * wrong answer asks again), secrets kept out of the log, key changes announced and a confirmed
 * key never replaced by a learned one, and the keys at rest staying protected.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, describe, expect, test } from "vitest";

import { OpenPgp, type OpenPgpDeps } from "../../src/core/crypto/openpgp/service.js";
import * as pgp from "../../src/core/crypto/openpgp/pgp.js";
import { stripArmor } from "../../src/core/crypto/stanzas.js";
import { HistoryDb } from "../../src/core/history/db.js";
import { createLogger } from "../../src/core/logger.js";
import { xml } from "../../src/core/xmpp/transport/xml.js";
import { waitFor } from "../helpers/wait-for.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

function setup(over: Partial<OpenPgpDeps> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jt-pgpsvc-"));
  dirs.push(dir);
  const logFile = path.join(dir, "log");
  const announced: { code: string; text: string }[] = [];
  const prompts: { account: string; reason: string; answer(p: string): void }[] = [];
  const deps: OpenPgpDeps = {
    dataDir: dir,
    log: createLogger({ level: "debug", file: logFile }),
    jidOf: () => "alice@example.org",
    passphraseCommand: async () => undefined,
    prompt: (account, reason) => new Promise((resolve) => prompts.push({ account, reason, answer: resolve })),
    unlockTime: () => 60_000,
    maxXmlSize: () => 65536,
    fetchOxKeys: async () => [],
    announce: (_a, code, text) => announced.push({ code, text }),
    ...over,
  };
  return { dir, logFile, deps, svc: new OpenPgp(deps), announced, prompts };
}

describe("OpenPGP service", () => {
  test("a locked key asks once; the answer unlocks and is cached; a wrong one asks again", async () => {
    const { svc, prompts, announced, deps, logFile } = setup();
    await svc.generate("a", "right horse battery");
    svc.lock("a");
    await expect(svc.unlock("a", "nowait")).rejects.toThrow(/locked: answer with \/password a <passphrase>/);
    await expect(svc.unlock("a", "nowait")).rejects.toThrow(/locked/);
    expect(prompts.length).toBe(1); // one question, not one per attempt
    expect(prompts[0]!.reason).toBe("needed");
    prompts[0]!.answer("wrong");
    await waitFor(() => announced.find((x) => x.code === "pgp_passphrase"));
    await expect(svc.unlock("a", "nowait")).rejects.toThrow(/locked/);
    expect(prompts.length).toBe(2);
    expect(prompts[1]!.reason).toBe("rejected");
    prompts[1]!.answer("right horse battery");
    await waitFor(() => svc.isUnlocked("a") || undefined);
    await expect(svc.unlock("a", "nowait")).resolves.toBeDefined();
    expect(prompts.length).toBe(2);
    // The passphrase never reaches the log, even when something logs it.
    deps.log.warn("oops: right horse battery");
    deps.log.close?.();
    await waitFor(() => (fs.existsSync(logFile) && fs.readFileSync(logFile, "utf8").includes("oops")) || undefined);
    expect(fs.readFileSync(logFile, "utf8")).not.toContain("right horse battery");
  });

  test("a passphrase command unlocks without asking; pgp_unlock_time 0 keeps nothing", async () => {
    const { svc, prompts } = setup({ passphraseCommand: async () => "cmd pass", unlockTime: () => 0 });
    await svc.generate("a", "cmd pass");
    await expect(svc.unlock("a", "nowait")).resolves.toBeDefined();
    expect(svc.isUnlocked("a")).toBe(false);
    expect(prompts).toEqual([]);
  });

  test("the secret key at rest is protected, 0600 in a 0700 dir", async () => {
    const { svc, dir } = setup();
    const info = await svc.generate("a", "pw");
    const ring = svc.keyring("a");
    const file = path.join(ring.dir!, "secret.asc");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(ring.dir!).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, "pgp")).mode & 0o777).toBe(0o700);
    expect((await pgp.keyInfo(fs.readFileSync(file, "utf8"))).protected).toBe(true);
    // A new service over the same dir finds the key.
    expect((await new OpenPgp(setup({ dataDir: dir }).deps).ownKey("a"))?.fingerprint).toBe(info.fingerprint);
  });

  test("key changes are announced; a learned key never replaces a confirmed one", async () => {
    const { svc, announced } = setup();
    const k1 = await pgp.generateKey("bob@example.org", "x");
    const k2 = await pgp.generateKey("bob@example.org", "y");
    svc.setContactKey("a", "bob@example.org", k1.info.publicArmored, k1.info.fingerprint, "ox", false, true);
    expect(announced.at(-1)?.code).toBe("pgp_key_learned");
    svc.trust("a", "bob@example.org", pgp.formatFingerprint(k1.info.fingerprint));
    expect(svc.contact("a", "bob@example.org")).toMatchObject({ fingerprint: k1.info.fingerprint, trusted: true });
    svc.setContactKey("a", "bob@example.org", k2.info.publicArmored, k2.info.fingerprint, "ox", false, true);
    expect(announced.at(-1)).toMatchObject({ code: "pgp_key_changed", text: expect.stringMatching(/CHANGED.*confirmed key stays/) });
    expect(svc.contact("a", "bob@example.org")?.fingerprint).toBe(k1.info.fingerprint);
    expect(() => svc.trust("a", "bob@example.org", "not a fingerprint")).toThrow(/40 hex digits/);
  });

  test("a replayed ciphertext is recognised after a restart too (the history database remembers it)", async () => {
    const first = setup({ passphraseCommand: async () => "pass" });
    const db = HistoryDb.open(first.dir);
    try {
      const replayMemory = { seen: (h: string) => db.ciphertextSeen(h), note: (h: string, id: string) => db.noteCiphertext(h, id) };
      const svc1 = new OpenPgp({ ...first.deps, replayMemory });
      await svc1.generate("a", "pass");
      const armored = await pgp.encryptArmored("meet at noon", [await svc1.exportKey("a", false)]);
      const stanza = (id: string) => xml("message", { from: "bob@example.org/phone", to: "alice@example.org/r", id, type: "chat" }, xml("body", {}, "fallback"), xml("x", { xmlns: "jabber:x:encrypted" }, stripArmor(armored)));
      const info = (id: string) => ({ from: "bob@example.org/phone", own: "alice@example.org/r", id });
      const once = await svc1.pgp.decrypt("a", stanza("m1"), info("m1"));
      expect(once.body).toBe("meet at noon");
      expect(once.note ?? "").not.toMatch(/REPLAYED/);
      // A new run (a new service: its memory is empty) on the same data dir and database.
      const svc2 = new OpenPgp({ ...first.deps, replayMemory });
      const again = await svc2.pgp.decrypt("a", stanza("m1"), info("m1"));
      expect(again.note ?? "").not.toMatch(/REPLAYED/); // the same message again (an archive copy)
      const replay = await svc2.pgp.decrypt("a", stanza("m2"), info("m2"));
      expect(replay.note).toMatch(/REPLAYED/);
      expect(replay.verified).not.toBe("verified");
    } finally {
      db.close();
    }
  });
});
