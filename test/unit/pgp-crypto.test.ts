/** OpenPGP round trips and the XEP-0027 / OX framing, with real OpenPGP.js keys (no network). */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { describe, expect, test } from "vitest";

import * as pgp from "../../src/core/crypto/openpgp/pgp.js";
import { buildSigncrypt, checkOxContent, restoreArmor, stripArmor } from "../../src/core/crypto/stanzas.js";
import { Keyring } from "../../src/core/crypto/openpgp/keyring.js";

describe("OpenPGP primitives", async () => {
  const alice = await pgp.generateKey("alice@example.org", "alice pass");
  const bob = await pgp.generateKey("bob@example.org", "bob pass");

  test("keys are v4 ECC, bound to xmpp:<jid>, protected", () => {
    expect(alice.info.version).toBe(4);
    expect(alice.info.userIds).toEqual(["xmpp:alice@example.org"]);
    expect(alice.info.protected).toBe(true);
    expect(alice.secretArmored).toContain("BEGIN PGP PRIVATE KEY BLOCK");
    expect(pgp.formatFingerprint(alice.info.fingerprint)).toMatch(/^([0-9A-F]{4} ){9}[0-9A-F]{4}$/);
  });

  test("a wrong passphrase is refused", async () => {
    await expect(pgp.unlockKey(alice.secretArmored, "nope")).rejects.toThrow(/wrong passphrase/);
  });

  test("XEP-0027: encrypt+sign, strip the armor, restore, decrypt and verify", async () => {
    const a = await pgp.unlockKey(alice.secretArmored, "alice pass");
    const b = await pgp.unlockKey(bob.secretArmored, "bob pass");
    const armored = await pgp.encryptArmored("hello bob", [bob.info.publicArmored, alice.info.publicArmored], a);
    const stripped = stripArmor(armored);
    expect(stripped).not.toContain("BEGIN");
    expect(stripped).not.toContain("END PGP");
    const r = await pgp.decryptArmored(restoreArmor(stripped, "MESSAGE"), b, [alice.info.publicArmored]);
    expect(r.data).toBe("hello bob");
    expect(r.signature).toEqual({ status: "good", fingerprint: alice.info.fingerprint });
    // The sender can read its own message (encrypted to its key too).
    expect((await pgp.decryptArmored(armored, a, [])).data).toBe("hello bob");
    // Checked against the wrong key: the signer is unknown.
    expect((await pgp.decryptArmored(armored, b, [bob.info.publicArmored])).signature.status).toBe("unknown-key");
  });

  test("detached signatures over the status text", async () => {
    const a = await pgp.unlockKey(alice.secretArmored, "alice pass");
    const sig = stripArmor(await pgp.signDetached("Online", a));
    expect((await pgp.verifyDetached("Online", restoreArmor(sig, "SIGNATURE"), [alice.info.publicArmored])).status).toBe("good");
    expect((await pgp.verifyDetached("Offline", restoreArmor(sig, "SIGNATURE"), [alice.info.publicArmored])).status).toBe("bad");
  });

  test("OX signcrypt content round trip and checks", async () => {
    const a = await pgp.unlockKey(alice.secretArmored, "alice pass");
    const b = await pgp.unlockKey(bob.secretArmored, "bob pass");
    const content = buildSigncrypt("bob@example.org/phone", "hi <there> & co");
    const bytes = await pgp.encryptBinary(new TextEncoder().encode(content), [bob.info.publicArmored], a);
    const r = await pgp.openBinary(bytes, b, [alice.info.publicArmored]);
    expect(r.encrypted).toBe(true);
    expect(r.signature.status).toBe("good");
    const c = checkOxContent(new TextDecoder().decode(r.data), "bob@example.org/x", { maxSize: 65536 });
    expect(c).toMatchObject({ ok: true, kind: "signcrypt", body: "hi <there> & co" });
    expect(checkOxContent(content, "carol@example.org", { maxSize: 65536 })).toMatchObject({ ok: false });
    const old = buildSigncrypt("bob@example.org", "x", new Date(Date.now() - 3 * 86400_000));
    expect(checkOxContent(old, "bob@example.org", { maxSize: 65536 })).toMatchObject({ ok: true, problem: expect.stringMatching(/older/) });
    expect(checkOxContent("<signcrypt xmlns='urn:xmpp:openpgp:0'>&xxe;</signcrypt>", "bob@example.org", { maxSize: 65536 })).toMatchObject({ ok: false });
  });

  test("a sign-only OX message verifies without decryption", async () => {
    const a = await pgp.unlockKey(alice.secretArmored, "alice pass");
    const signed = await pgp.signBinary(new TextEncoder().encode("<sign xmlns='urn:xmpp:openpgp:0'/>"), a);
    const r = await pgp.openBinary(signed, undefined, [alice.info.publicArmored]);
    expect(r.encrypted).toBe(false);
    expect(r.signature.status).toBe("good");
  });

  test("an unprotected secret key is protected on import; a v4 key is required", async () => {
    const open = await pgp.unlockKey(alice.secretArmored, "alice pass");
    const armoredOpen = open.key.armor();
    const r = await pgp.protectSecretKey(armoredOpen, "new pass");
    expect(r.info.protected).toBe(true);
    await expect(pgp.unlockKey(r.secretArmored, "new pass")).resolves.toMatchObject({ fingerprint: alice.info.fingerprint });
    await expect(pgp.protectSecretKey(alice.secretArmored, "other")).rejects.toThrow(/wrong passphrase/);
  });
});

describe("keyring at rest", () => {
  test("0600 files in a 0700 directory; the secret stays protected", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jt-keyring-"));
    const ring = new Keyring(dir, "alice@example.org");
    ring.setSecret("-----BEGIN PGP PRIVATE KEY BLOCK-----\n...");
    ring.setPolicy("bob@example.org", "on");
    const st = fs.statSync(ring.dir!);
    expect(st.mode & 0o777).toBe(0o700);
    for (const f of fs.readdirSync(ring.dir!)) expect(fs.statSync(path.join(ring.dir!, f)).mode & 0o777).toBe(0o600);
    expect(new Keyring(dir, "alice@example.org").policy("bob@example.org")).toBe("on");
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  });
});
