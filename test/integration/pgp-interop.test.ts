/**
 * OpenPGP interop through a real Prosody: real GnuPG 2.2 (what Profanity and mcabber use) makes
 * and reads the XEP-0027 payloads, a third-party client (slixmpp, test/helpers/pgp_peer.py)
 * carries them. Then the hostile cases: unsigned, wrongly signed, replayed, re-sent by someone
 * else, OX `to` mismatch, crypt-only and sign-only OX, a plaintext fallback that differs from the
 * ciphertext, and a compressed-data bomb: each labelled or refused, nothing crashes.
 */
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { PublishedEvent } from "../../src/core/client.js";
import * as pgp from "../../src/core/crypto/openpgp/pgp.js";
import { buildSigncrypt, restoreArmor, stripArmor } from "../../src/core/crypto/stanzas.js";
import { serverKeys, tempClient } from "../helpers/engine.js";
import { Gpg, gpgAvailable } from "../helpers/gpg.js";
import { startJsonPeer, type JsonPeer } from "../helpers/json-peer.js";
import { peerAvailable, startPeer, type Peer } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";

const ENCRYPTED = "jabber:x:encrypted";
const SIGNED = "jabber:x:signed";
const OX = "urn:xmpp:openpgp:0";

type PgpPeer = JsonPeer;
const startPgpPeer = (server: ProsodyServer, jid: string, password: string) => startJsonPeer("pgp_peer.py", server, jid, password);

/**
 * jabterm makes its key; the two sides exchange public keys through files, as a user would
 * (`/pgp export`, gpg --import; gpg --export, `/pgp setkey`).
 */
async function exchangeKeys(t: ReturnType<typeof tempClient>, gpg: Gpg, peerJid: string, peerFp: string): Promise<{ myFp: string; myKeyFile: string }> {
  expect((await t.command("/pgp generate -a me")).ok).toBe(true);
  const myFp = ((await t.command("/pgp keys")).data as { own: { fingerprint: string } }).own.fingerprint;
  const myKeyFile = path.join(t.dir, "me.asc");
  expect((await t.command(`/pgp export ${myKeyFile}`)).ok).toBe(true);
  await gpg.import(fs.readFileSync(myKeyFile, "utf8"));
  const peerKeyFile = path.join(t.dir, "peer.asc");
  fs.writeFileSync(peerKeyFile, await gpg.exportPublic(peerFp));
  const set = await t.command(`/pgp setkey ${peerJid} ${peerKeyFile}`);
  expect(set.ok, JSON.stringify(set.error)).toBe(true);
  return { myFp, myKeyFile };
}

const run = prosodyAvailable() && peerAvailable() && gpgAvailable() ? describe : describe.skip;

run("OpenPGP interop with GnuPG and slixmpp, and hostile payloads", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  test("XEP-0027 both ways with gpg, signed presence both ways, and every negative case", async () => {
    const [me, p, m] = await Promise.all([server.createAccount(), server.createAccount(), server.createAccount()]);
    const t = tempClient([{ jid: me.jid, name: "me", set: { ...serverKeys(server, me.password), pgp_passphrase_command: "echo jabterm-secret" } }]);
    const gpg = new Gpg();
    const other = new Gpg();
    let peer: PgpPeer | undefined;
    let mallory: PgpPeer | undefined;
    try {
      const [peerFp, otherFp] = await Promise.all([gpg.generate(`xmpp:${p.jid}`), other.generate(`xmpp:${p.jid}`)]);
      await t.connectAll();
      const { myFp, myKeyFile } = await exchangeKeys(t, gpg, p.jid, peerFp);

      peer = await startPgpPeer(server, p.jid, p.password);
      mallory = await startPgpPeer(server, m.jid, m.password);
      const inFrom = (who: string, pred: (e: PublishedEvent) => boolean = () => true) => (e: PublishedEvent) => e.event === "message" && e.direction === "in" && String(e.from).startsWith(who) && pred(e);
      let mark = t.events.length;
      const sendX = async (from: PgpPeer, children: [string, string, string][], body = "This message is encrypted.") => {
        mark = t.events.length;
        await from.cmd({ cmd: "send_x", to: me.jid, body, children });
      };

      // 1. gpg encrypts and signs; slixmpp delivers; jabterm decrypts and verifies. The plaintext
      //    fallback says something else and is never shown as the message.
      const armored = await gpg.encrypt("the eagle has landed", [myFp], peerFp);
      await sendX(peer, [[ENCRYPTED, "x", stripArmor(armored)]], "Meet at the docks (plaintext fallback)");
      const got = await t.waitEvent(inFrom(p.jid), { after: mark });
      expect(got).toMatchObject({ body: "the eagle has landed", encryption: "pgp", verified: "verified" });
      expect(JSON.stringify(t.store.account("me").conversations[p.jid]?.messages)).not.toContain("docks");

      // 2. jabterm encrypts (policy on: XEP-0027, the peer publishes no OX key); gpg decrypts and
      //    finds jabterm's good signature.
      const on = await t.command(`/pgp on ${p.jid}`);
      expect((on.data as { scheme: string }).scheme).toBe("pgp");
      expect((await t.command(`/msg ${p.jid} hello from jabterm`)).ok).toBe(true);
      const wire = await peer.next((e) => e.event === "message" && typeof e.encrypted === "string");
      expect(String(wire.xml)).not.toContain("hello from jabterm");
      const opened = await gpg.decrypt(restoreArmor(String(wire.encrypted), "MESSAGE"));
      expect(opened.code).toBe(0);
      expect(opened.text).toBe("hello from jabterm");
      expect(opened.validSig).toBe(myFp);

      // 3. Signed presence, gpg -> jabterm: a detached signature over the exact status.
      mark = t.events.length;
      await peer.cmd({ cmd: "presence_x", to: me.jid, status: "Busy coding", children: [[SIGNED, "x", stripArmor(await gpg.detachSign("Busy coding", peerFp))]] });
      expect(await t.waitEvent((e) => e.event === "pgp_presence" && String(e.from).startsWith(p.jid), { after: mark })).toMatchObject({ verified: "verified" });
      const info = await t.command(`/info ${p.jid}`);
      expect(info.output.join("\n")).toMatch(/presence signed \(XEP-0027\): verified, key [0-9A-F]{16}/);
      // ... and a signature over another status is bad.
      mark = t.events.length;
      await peer.cmd({ cmd: "presence_x", to: me.jid, status: "Away", children: [[SIGNED, "x", stripArmor(await gpg.detachSign("Busy coding", peerFp))]] });
      expect(await t.waitEvent((e) => e.event === "pgp_presence" && String(e.from).startsWith(p.jid), { after: mark })).toMatchObject({ verified: "bad" });

      // 4. Signed presence, jabterm -> gpg.
      const st = await t.command(`/status -a me --to ${p.jid} away Gone fishing`);
      expect(st.ok, JSON.stringify(st.error)).toBe(true);
      const pres = await peer.next((e) => e.event === "presence" && e.status === "Gone fishing" && typeof e.signed === "string");
      const verified = await gpg.verifyDetached("Gone fishing", restoreArmor(String(pres.signed), "SIGNATURE"));
      expect(verified.code).toBe(0);
      expect(verified.validSig).toBe(myFp);

      // 5. Unsigned: encrypted only -> "unsigned", the text shown.
      await sendX(peer, [[ENCRYPTED, "x", stripArmor(await gpg.encrypt("no signature here", [myFp]))]]);
      expect(await t.waitEvent(inFrom(p.jid), { after: mark })).toMatchObject({ body: "no signature here", verified: "unsigned" });

      // 6. Wrongly signed: by a key that is not the peer's (same user ID, other key) -> "bad".
      await other.import(fs.readFileSync(myKeyFile, "utf8"));
      await sendX(peer, [[ENCRYPTED, "x", stripArmor(await other.encrypt("trust me", [myFp], otherFp))]]);
      expect(await t.waitEvent(inFrom(p.jid), { after: mark })).toMatchObject({ body: "trust me", verified: "bad" });

      // 7. Replayed: the first ciphertext again, under a new id -> flagged, not verified.
      await sendX(peer, [[ENCRYPTED, "x", stripArmor(armored)]]);
      const replay = await t.waitEvent(inFrom(p.jid), { after: mark });
      expect(replay.verified).not.toBe("verified");
      expect(String(replay.crypto_note)).toMatch(/REPLAYED/);

      // 8. Re-sent by someone else: mallory forwards the peer's signed ciphertext -> bad.
      await sendX(mallory, [[ENCRYPTED, "x", stripArmor(await gpg.encrypt("from the peer", [myFp], peerFp))]]);
      const resent = await t.waitEvent(inFrom(m.jid), { after: mark });
      expect(resent).toMatchObject({ verified: "bad" });
      expect(String(resent.crypto_note)).toMatch(/re-sent by someone else/);

      // 9. A compressed-data bomb (20 MB of zeros, compressed): refused, labelled, no crash.
      const bomb = await gpg.run(["--armor", "--encrypt", "--recipient", myFp, "--compress-algo", "zlib", "-z", "9"], "\0".repeat(20 * 1024 * 1024));
      expect(bomb.code).toBe(0);
      expect(bomb.stdout.length).toBeLessThan(200_000);
      await sendX(peer, [[ENCRYPTED, "x", stripArmor(bomb.stdout)]]);
      const bombed = await t.waitEvent(inFrom(p.jid), { after: mark });
      expect(bombed.body).toBe("");
      expect(String(bombed.crypto_note)).toMatch(/could not decrypt/);

      // OX from a slixmpp client, crafted: mallory's key, never published.
      const mal = await pgp.generateKey(m.jid, "mallory");
      const malKey = await pgp.unlockKey(mal.secretArmored, "mallory");
      const myPublic = fs.readFileSync(myKeyFile, "utf8");
      const ox = async (content: string, signer?: pgp.UnlockedKey) => Buffer.from(await pgp.encryptBinary(new TextEncoder().encode(content), [myPublic], signer)).toString("base64");

      // 10. `to` mismatch: addressed to someone else -> refused (bad, no text).
      await sendX(mallory, [[OX, "openpgp", await ox(buildSigncrypt(p.jid, "not for you"), malKey)]]);
      const mismatch = await t.waitEvent(inFrom(m.jid), { after: mark });
      expect(mismatch).toMatchObject({ encryption: "ox", verified: "bad", body: "" });
      expect(String(mismatch.crypto_note)).toMatch(/refused: addressed to/);

      // 11. crypt-only: labelled as such, unsigned.
      const crypt = `<crypt xmlns='${OX}'><to jid='${me.jid}'/><time stamp='${new Date().toISOString()}'/><rpad/><payload><body xmlns='jabber:client'>crypt only</body></payload></crypt>`;
      await sendX(mallory, [[OX, "openpgp", await ox(crypt)]]);
      expect(await t.waitEvent(inFrom(m.jid), { after: mark })).toMatchObject({ body: "crypt only", encryption: "ox", ox_kind: "crypt", verified: "unsigned" });

      // 12. sign-only: labelled as not encrypted; mallory's key is unknown -> not verified.
      const sign = `<sign xmlns='${OX}'><to jid='${me.jid}'/><time stamp='${new Date().toISOString()}'/><rpad/><payload><body xmlns='jabber:client'>sign only</body></payload></sign>`;
      await sendX(mallory, [[OX, "openpgp", Buffer.from(await pgp.signBinary(new TextEncoder().encode(sign), malKey)).toString("base64")]]);
      const signed = await t.waitEvent(inFrom(m.jid), { after: mark });
      expect(signed).toMatchObject({ body: "sign only", ox_kind: "sign" });
      expect(signed.verified).not.toBe("verified");
      expect(String(signed.crypto_note)).toMatch(/NOT encrypted/);

      // 13. Garbage in <openpgp/> and in <x/>: labelled, no crash; plain messages still flow.
      await sendX(mallory, [[OX, "openpgp", "!!!not base64!!!"]]);
      expect(String((await t.waitEvent(inFrom(m.jid), { after: mark })).crypto_note)).toMatch(/could not decrypt/);
      await sendX(mallory, [[ENCRYPTED, "x", "aGVsbG8="]]);
      expect(String((await t.waitEvent(inFrom(m.jid), { after: mark })).crypto_note)).toMatch(/could not decrypt/);
      mark = t.events.length;
      await mallory.cmd({ cmd: "send", to: me.jid, body: "plain still works" });
      expect(await t.waitEvent(inFrom(m.jid), { after: mark })).toMatchObject({ body: "plain still works" });

      // 14. A key imported into the pool (no contact named) is bound to the contact whose signed
      //     presence it verifies: learned, announced, shown unverified until confirmed.
      const malGpg = new Gpg();
      try {
        const malFp = await malGpg.generate(`xmpp:${m.jid}`);
        const poolFile = path.join(t.dir, "mallory.asc");
        fs.writeFileSync(poolFile, await malGpg.exportPublic(malFp));
        expect(((await t.command(`/pgp import ${poolFile}`)).data as { as: string }).as).toBe("pool");
        mark = t.events.length;
        await mallory.cmd({ cmd: "presence_x", to: me.jid, status: "hi there", children: [[SIGNED, "x", stripArmor(await malGpg.detachSign("hi there", malFp))]] });
        expect(await t.waitEvent((e) => e.event === "pgp_presence" && String(e.from).startsWith(m.jid), { after: mark })).toMatchObject({ verified: "unverified" });
        expect(t.events.slice(mark).find((e) => e.event === "warning" && e.code === "pgp_key_learned")).toMatchObject({ peer: m.jid, fingerprint: malFp, source: "presence", trusted: false });
        const keys = (await t.command("/pgp keys")).data as { contacts: Record<string, { fingerprint: string; trusted: boolean; source: string }> };
        expect(keys.contacts[m.jid]).toMatchObject({ fingerprint: malFp, trusted: false, source: "presence" });
      } finally {
        malGpg.close();
      }
    } finally {
      await peer?.stop();
      await mallory?.stop();
      gpg.close();
      other.close();
      await t.close();
    }
  }, 120_000);

  test("an encrypted message caught up from the server archive is opened like a live one, never shown as its fallback", async () => {
    const [me, p] = await Promise.all([server.createAccount(), server.createAccount()]);
    const t = tempClient([{ jid: me.jid, name: "me", set: { ...serverKeys(server, me.password), pgp_passphrase_command: "echo jabterm-secret" } }]);
    const gpg = new Gpg();
    let peer: PgpPeer | undefined;
    let phone: Peer | undefined;
    try {
      const peerFp = await gpg.generate(`xmpp:${p.jid}`);
      await t.connectAll();
      await t.waitEvent((e) => e.event === "archive_catchup");
      const { myFp } = await exchangeKeys(t, gpg, p.jid, peerFp);

      // Another device of ours stays online, so only the archive holds the message for jabterm.
      phone = await startPeer({ jid: `${me.jid}/phone`, password: me.password, port: server.c2sPort, caFile: server.caFile });
      await t.engine.get("me").disconnect();
      peer = await startPgpPeer(server, p.jid, p.password);
      await peer.cmd({ cmd: "send_x", to: me.jid, body: "Meet at the docks (plaintext fallback)", children: [[ENCRYPTED, "x", stripArmor(await gpg.encrypt("sent while you were away", [myFp], peerFp))]] });
      await phone.nextMessage((m) => m.from.startsWith(p.jid));

      const mark = t.events.length;
      await t.engine.get("me").connect();
      expect(await t.waitEvent((e) => e.event === "archive_catchup", { after: mark })).toMatchObject({ messages: 1 });
      const got = t.events.slice(mark).find((e) => e.event === "message" && e.archived === true);
      expect(got).toMatchObject({ body: "sent while you were away", encryption: "pgp", verified: "verified" });
      expect(JSON.stringify(t.store.account("me").conversations[p.jid]?.messages)).not.toContain("docks");
      // Stored as "[encrypted message]" (history_store_decrypted is off), never as the fallback.
      expect(JSON.stringify(t.client.history!.db.conversation("me", p.jid))).not.toContain("docks");
    } finally {
      await peer?.stop();
      await phone?.stop();
      gpg.close();
      await t.close();
    }
  }, 90_000);

  test("a secret key exported by gpg (--export-secret-keys --armor) is imported with its passphrase", async () => {
    const gpg = new Gpg("gpg side passphrase");
    const t = tempClient([{ jid: "me@localhost", name: "me", set: { host: "127.0.0.1", port: server.c2sPort, enabled: false } }]);
    try {
      const fp = await gpg.generate("xmpp:me@localhost");
      const exported = await gpg.run(["--armor", "--export-secret-keys", fp]);
      expect(exported.stdout).toContain("BEGIN PGP PRIVATE KEY BLOCK");
      const file = `${t.dir}/secret.asc`;
      fs.writeFileSync(file, exported.stdout, { mode: 0o600 });
      const wrong = await t.command(`/pgp import -a me ${file} not the passphrase`);
      expect(wrong.ok).toBe(false);
      expect(wrong.error?.text).toMatch(/wrong passphrase/);
      expect(wrong.input).not.toContain("not the passphrase");
      const r = await t.command(`/pgp import -a me ${file} gpg side passphrase`);
      expect(r.ok, JSON.stringify(r.error)).toBe(true);
      expect(r.data).toMatchObject({ fingerprint: fp, as: "own" });
      expect(((await t.command("/pgp keys -a me")).data as { own: { fingerprint: string } }).own.fingerprint).toBe(fp);
    } finally {
      gpg.close();
      await t.close();
    }
  }, 60_000);
});
