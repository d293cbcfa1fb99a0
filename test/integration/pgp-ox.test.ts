/**
 * OX (XEP-0373/0374) end to end between two jabterm accounts through a real Prosody (mod_pep):
 * key generation and PEP publication, discovery, signcrypt, honest verification labels, trust,
 * the wire carrying no plaintext, and "encryption on" refusing to send when it cannot encrypt.
 */
import fs from "node:fs";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { PublishedEvent } from "../../src/core/client.js";
import type { XmlElement } from "../../src/core/xmpp/transport/xml.js";
import { serverKeys, tempClient } from "../helpers/engine.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";

const run = prosodyAvailable() ? describe : describe.skip;

run("OX between two jabterm accounts", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  test("publish, discover, signcrypt, verify after trust; on + impossible = not sent", async () => {
    const [a, b, c] = await Promise.all([server.createAccount(), server.createAccount(), server.createAccount()]);
    const alice = tempClient([{ jid: a.jid, name: "alice", set: { ...serverKeys(server, a.password), pgp_passphrase_command: "echo alice-secret" } }]);
    const bob = tempClient([{ jid: b.jid, name: "bob", set: { ...serverKeys(server, b.password), pgp_passphrase_command: "echo bob-secret" } }]);
    const bobWire: XmlElement[] = [];
    bob.engine.on("stanza", ({ stanza }) => bobWire.push(stanza));
    try {
      await Promise.all([alice.connectAll(), bob.connectAll()]);
      for (const [t, name] of [[alice, "alice"], [bob, "bob"]] as const) {
        const r = await t.command(`/pgp generate -a ${name}`);
        expect(r.ok, JSON.stringify(r.error)).toBe(true);
        expect(r.output.join("\n")).toContain("published through PEP (OX)");
      }
      const aliceFp = ((await alice.command("/pgp keys")).data as { own: { fingerprint: string } }).own.fingerprint;

      // Encryption on for bob: OX, since bob publishes a key.
      const on = await alice.command(`/pgp on ${b.jid}`);
      expect(on.ok).toBe(true);
      expect((on.data as { scheme: string }).scheme).toBe("ox");

      const sent = await alice.command(`/msg ${b.jid} meet me at the usual place`);
      expect(sent.ok, JSON.stringify(sent.error)).toBe(true);
      expect((sent.data as { encryption: string }).encryption).toBe("ox");
      const isIn = (body: string) => (e: PublishedEvent) => e.event === "message" && e.direction === "in" && e.body === body;
      const got = await bob.waitEvent(isIn("meet me at the usual place"));
      // Bob learned alice's key from her PEP but never confirmed it: signed, yet unverified.
      expect(got).toMatchObject({ encryption: "ox", verified: "unverified", ox_kind: "signcrypt" });
      // What crossed the server: a fallback body and <openpgp/>, never the text.
      const raw = bobWire.find((s) => s.name === "message" && s.getChild("openpgp", "urn:xmpp:openpgp:0"));
      expect(raw).toBeDefined();
      expect(raw!.toString()).not.toContain("usual place");
      expect(raw!.getChildText("body")).toMatch(/encrypted/);

      // Bob confirms the fingerprint: the next message is verified.
      expect((await bob.command(`/pgp trust ${a.jid} ${aliceFp}`)).ok).toBe(true);
      expect((await alice.command(`/msg ${b.jid} second`)).ok).toBe(true);
      expect(await bob.waitEvent(isIn("second"))).toMatchObject({ encryption: "ox", verified: "verified" });
      expect(bob.store.account("bob").conversations[a.jid]?.messages.at(-1)).toMatchObject({ body: "second", encryption: "ox", verified: "verified" });

      // Bob answers with auto: alice publishes a key, so it is encrypted too.
      expect((await bob.command(`/pgp auto ${a.jid}`)).ok).toBe(true);
      expect((await bob.command(`/msg ${a.jid} ok`)).ok).toBe(true);
      expect(await alice.waitEvent(isIn("ok"))).toMatchObject({ encryption: "ox", verified: "unverified" });

      // Encryption on for carol, who has no key: refused, nothing queued, nothing sent.
      expect((await alice.command(`/pgp on ${c.jid}`)).ok).toBe(true);
      const before = alice.client.outbox.all().length;
      const refused = await alice.command(`/msg ${c.jid} secret plans`);
      expect(refused.ok).toBe(false);
      expect(refused.error?.text).toMatch(/not sent: encryption is on .* but impossible/);
      expect(alice.client.outbox.all().length).toBe(before);
      expect(alice.client.outbox.all().some((m) => m.body === "secret plans")).toBe(false);
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  }, 60_000);

  test("a locked key: the send is refused with a credential request, /password unlocks, the retry goes out", async () => {
    const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const alice = tempClient([{ jid: a.jid, name: "alice", set: serverKeys(server, a.password) }], { pgp_unlock_time: 0 });
    const bob = tempClient([{ jid: b.jid, name: "bob", set: { ...serverKeys(server, b.password), pgp_passphrase_command: "echo bob" } }]);
    try {
      await Promise.all([alice.connectAll(), bob.connectAll()]);
      const gen = await alice.command("/pgp generate -a alice correct horse");
      expect(gen.ok, JSON.stringify(gen.error)).toBe(true);
      expect(gen.input).not.toContain("correct horse"); // the passphrase is never echoed
      expect((await bob.command("/pgp generate -a bob")).ok).toBe(true);
      expect((await alice.command(`/pgp on ${b.jid}`)).ok).toBe(true);
      // pgp_unlock_time 0: nothing is kept, so signing asks for the passphrase.
      const mark = alice.events.length;
      const refused = await alice.command(`/msg ${b.jid} locked out`);
      expect(refused.ok).toBe(false);
      expect(refused.error?.text).toMatch(/locked: answer with \/password alice <passphrase>/);
      expect(await alice.waitEvent((e) => e.event === "credential", { after: mark })).toMatchObject({ account: "alice", kind: "pgp_passphrase" });
      expect(alice.client.outbox.all()).toEqual([]);
      const answered = await alice.command("/password alice correct horse");
      expect(answered.output.join()).toContain("passphrase for the OpenPGP key of alice given");
      expect(answered.input).not.toContain("correct horse");
      // The answer serves the retry (once: pgp_unlock_time is 0) ...
      const retry = await alice.command(`/msg ${b.jid} locked out`);
      expect(retry.ok, JSON.stringify(retry.error)).toBe(true);
      expect(await bob.waitEvent((e) => e.event === "message" && e.direction === "in" && e.body === "locked out")).toMatchObject({ encryption: "ox" });
      // ... and the next message asks again.
      expect((await alice.command(`/msg ${b.jid} again`)).error?.text).toMatch(/locked/);
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  }, 60_000);

  test("our own encrypted message seen on another device (a sent carbon) is decrypted with our key", async () => {
    const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const phone = tempClient([{ jid: a.jid, name: "alice", set: { ...serverKeys(server, a.password), resource: "phone", pgp_passphrase_command: "echo alice" } }]);
    const laptop = tempClient([{ jid: a.jid, name: "alice", set: { ...serverKeys(server, a.password), resource: "laptop", pgp_passphrase_command: "echo alice" } }]);
    const bob = tempClient([{ jid: b.jid, name: "bob", set: { ...serverKeys(server, b.password), pgp_passphrase_command: "echo bob" } }]);
    try {
      await Promise.all([phone.connectAll(), laptop.connectAll(), bob.connectAll()]);
      expect((await bob.command("/pgp generate -a bob")).ok).toBe(true);
      expect((await phone.command("/pgp generate -a alice")).ok).toBe(true);
      // The same key on the laptop, moved as a protected file.
      const file = `${phone.dir}/alice-secret.asc`;
      expect((await phone.command(`/pgp export --secret ${file}`)).ok).toBe(true);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(file, "utf8")).toContain("BEGIN PGP PRIVATE KEY BLOCK");
      const imported = await laptop.command(`/pgp import ${file}`);
      expect(imported.ok, JSON.stringify(imported.error)).toBe(true);
      expect((imported.data as { as: string }).as).toBe("own");

      expect((await phone.command(`/pgp on ${b.jid}`)).ok).toBe(true);
      expect((await phone.command(`/msg ${b.jid} sent from my phone`)).ok).toBe(true);
      const carbon = await laptop.waitEvent((e) => e.event === "message" && e.carbon === "sent" && e.body === "sent from my phone");
      expect(carbon).toMatchObject({ direction: "out", encryption: "ox", verified: "verified", ox_kind: "signcrypt" });
      expect(await bob.waitEvent((e) => e.event === "message" && e.body === "sent from my phone")).toMatchObject({ encryption: "ox" });
    } finally {
      await Promise.all([phone.close(), laptop.close(), bob.close()]);
    }
  }, 60_000);
});
