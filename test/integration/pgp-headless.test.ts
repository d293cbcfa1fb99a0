/**
 * OpenPGP through the real binary in headless mode: keys made by command, OX between two accounts
 * of one process, a locked key asking for its passphrase (a `credential` event of kind
 * pgp_passphrase) while a message waits to be decrypted, and NDJSON `message` events carrying
 * `encryption` and `verified`. Passphrases never appear in the output or the log.
 */
import fs from "node:fs";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { startHeadless } from "../helpers/headless.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";

const run = prosodyAvailable() ? describe : describe.skip;

run("OpenPGP in headless mode", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  test("OX between two accounts; the recipient's passphrase is asked for and answered with /password", async () => {
    const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const h = startHeadless();
    try {
      await h.next((e) => e.event === "ready");
      for (const [name, acct] of [["a", a], ["b", b]] as const) {
        for (const line of [`/account add ${acct.jid} --name ${name}`, `/account set ${name} host 127.0.0.1`, `/account set ${name} port ${server.c2sPort}`, `/account set ${name} ca_file ${server.caFile}`, `/account set ${name} password ${acct.password}`]) {
          const r = await h.command(line);
          expect(r.ok, `${line}: ${JSON.stringify(r.error)}`).toBe(true);
        }
      }
      expect((await h.command("/account set a pgp_passphrase_command printf %s%s pass-for- a-7731")).ok).toBe(true);
      expect((await h.command("/connect --wait")).ok).toBe(true);
      expect((await h.command("/pgp generate -a a")).ok).toBe(true);
      const genB = await h.command("/pgp generate -a b typed-secret-for-b-9912");
      expect(genB.ok, JSON.stringify(genB.error)).toBe(true);
      expect(genB.input).toBe("/pgp generate -a b ***");

      const on = await h.command(`/pgp on -a a ${b.jid}`);
      expect(on.data).toMatchObject({ policy: "on", scheme: "ox" });
      const sent = await h.command(`/msg -a a ${b.jid} hello b, privately`);
      expect(sent.ok, JSON.stringify(sent.error)).toBe(true);
      expect(sent.data.encryption).toBe("ox");
      expect(await h.next((e) => e.event === "message" && e.direction === "out" && e.id === sent.data.id)).toMatchObject({ encryption: "ox", body: "hello b, privately" });

      // b's key is locked (generated with a typed passphrase, no command): decrypting asks.
      const cred = await h.next((e) => e.event === "credential" && e.account === "b");
      expect(cred).toMatchObject({ kind: "pgp_passphrase", answer_with: "/password b <passphrase>" });
      const answered = await h.command("/password b typed-secret-for-b-9912");
      expect(answered.ok).toBe(true);
      expect(answered.input).toBe("/password b ***");
      const got = await h.next((e) => e.event === "message" && e.direction === "in" && e.account === "b");
      expect(got).toMatchObject({ body: "hello b, privately", encryption: "ox", verified: "unverified", ox_kind: "signcrypt" });

      expect(await h.end()).toBe(0);
      // (the command's output, not its text, is the secret: printf joins the two words)
      for (const secret of ["pass-for-a-7731", "typed-secret-for-b-9912"]) {
        expect(h.stdout()).not.toContain(secret);
        expect(fs.readFileSync(h.logFile, "utf8")).not.toContain(secret);
      }
    } finally {
      h.kill();
    }
  }, 60_000);
});
