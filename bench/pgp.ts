/**
 * OpenPGP latency per message between two jabterm accounts through a local Prosody:
 * - encrypt+send: from the send call (encryption included) until the stanza is written;
 * - receive+decrypt: from the stanza's arrival at the recipient until its `message` event
 *   (decryption, signature check, OX content checks included);
 * - end to end: send call to the recipient's event.
 * For OX (signcrypt, the path /msg takes) and XEP-0027 (encrypted + signed), with plaintext as
 * the baseline (what the server round trip costs without any OpenPGP).
 *   npm run bench:pgp          (RUNS=200 by default; BODY=bytes of text, default 100)
 */
import type { PublishedEvent } from "../src/core/client.js";
import type { EncryptionScheme } from "../src/core/crypto/encryption.js";
import { outboxAccountOf, sendChat } from "../src/core/xmpp/features/chat-send.js";
import { serverKeys, tempClient } from "../test/helpers/engine.js";
import { startProsody } from "../test/helpers/prosody.js";

const RUNS = Number(process.env.RUNS ?? 200);
const BODY = Number(process.env.BODY ?? 100);

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
  return `median ${pct(50).toFixed(1)} ms, p90 ${pct(90).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, min ${s[0]!.toFixed(1)} ms (n=${s.length})`;
}

const server = await startProsody();
const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
const alice = tempClient([{ jid: a.jid, name: "alice", set: { ...serverKeys(server, a.password), pgp_passphrase_command: "echo a" } }]);
const bob = tempClient([{ jid: b.jid, name: "bob", set: { ...serverKeys(server, b.password), pgp_passphrase_command: "echo b" } }]);
await Promise.all([alice.connectAll(), bob.connectAll()]);
for (const [t, n] of [[alice, "alice"], [bob, "bob"]] as const) {
  const r = await t.command(`/pgp generate -a ${n}`);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
}
const exportFile = `${alice.dir}/alice.asc`;
await alice.command(`/pgp export ${exportFile}`);
await bob.command(`/pgp setkey ${a.jid} ${exportFile}`);
await bob.command(`/pgp fetch ${a.jid}`);
const bobFile = `${bob.dir}/bob.asc`;
await bob.command(`/pgp export ${bobFile}`);
await alice.command(`/pgp setkey ${b.jid} ${bobFile}`);
alice.client.encryption.setPolicy("alice", b.jid, "on");

const arrived = new Map<string, number>();
bob.engine.on("stanza", ({ stanza }) => {
  if (stanza.name === "message" && stanza.attrs.id) arrived.set(stanza.attrs.id, performance.now());
});
const acct = alice.engine.get("alice");
const text = "x".repeat(BODY);

async function one(scheme: EncryptionScheme | "plain", i: number) {
  const body = `${i} ${text}`;
  const done = new Promise<PublishedEvent>((resolve) => {
    const on = (e: PublishedEvent) => {
      if (e.event === "message" && e.direction === "in" && e.body === body) {
        bob.client.off("event", on);
        resolve(e);
      }
    };
    bob.client.on("event", on);
  });
  const t0 = performance.now();
  let id: string;
  if (scheme === "plain") {
    id = alice.client.outbox.enqueue(outboxAccountOf(acct), b.jid, body, "chat").id;
  } else if (scheme === "ox") {
    id = (await sendChat(alice.client, acct, b.jid, body)).id;
  } else {
    // XEP-0027 explicitly (the policy would pick OX): the same steps sendChat takes.
    const encrypted = await alice.client.encryption.get("pgp")!.encrypt("alice", b.jid, body);
    id = alice.client.outbox.enqueue(outboxAccountOf(acct), b.jid, body, "chat", { encrypted }).id;
  }
  await alice.client.outbox.flush(outboxAccountOf(acct));
  const sent = performance.now();
  const e = await done;
  const got = performance.now();
  if (scheme !== "plain" && (e.encryption !== scheme || e.verified !== "verified")) throw new Error(`unexpected label ${JSON.stringify(e)}`);
  return { send: sent - t0, receive: got - arrived.get(id)!, total: got - t0 };
}

for (const scheme of ["plain", "ox", "pgp"] as const) {
  for (let i = 0; i < 10; i++) await one(scheme, -i); // warm-up
  const send: number[] = [];
  const receive: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await one(scheme, i);
    send.push(r.send);
    receive.push(r.receive);
    total.push(r.total);
  }
  console.log(`${scheme === "ox" ? "OX signcrypt" : scheme === "pgp" ? "XEP-0027" : "plaintext (baseline)"}, ${BODY}-byte body`);
  console.log(`  encrypt+send     ${stats(send)}`);
  console.log(`  receive+decrypt  ${stats(receive)}`);
  console.log(`  end to end       ${stats(total)}`);
}
await Promise.all([alice.close(), bob.close()]);
await server.cleanup();
process.exit(0);
