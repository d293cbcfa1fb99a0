/**
 * History figures: the live message path (what storing one incoming chat message costs on a
 * database that already holds LIVE_PRELOAD messages), insert rate (one message per transaction, as live messages are stored, and in
 * batches, as archive pages are), full-text search latency over 1,000,000 stored messages, store
 * size per message, and the time to catch up with 1,000 missed messages from a local Prosody's
 * archive (XEP-0313). Prints figures.
 *   npm run bench:history            (N=1000000 by default; N=... to change)
 *   ONLY=live npm run bench:history  (the live message path only; LIVE_PRELOAD=100000, LIVE=10000
 *                                     messages a round, ROUNDS=5, SLICE=16 stanzas a socket read)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { randomUUID } from "node:crypto";

import { createClient } from "../src/core/client.js";
import { withinRead } from "../src/core/group-commit.js";
import { HistoryDb, type StoredMessage } from "../src/core/history/db.js";
import { parseMessage } from "../src/core/messaging/stanzas.js";
import type { Account } from "../src/core/xmpp/account.js";
import { idKindOf, toChatMessage } from "../src/core/xmpp/features/chat.js";
import { xml, type XmlElement } from "../src/core/xmpp/transport/xml.js";
import { serverKeys, tempClient, tempConfig } from "../test/helpers/engine.js";
import { startPeer } from "../test/helpers/peer.js";
import { startProsody } from "../test/helpers/prosody.js";
import { waitFor } from "../test/helpers/wait-for.js";

const N = Number(process.env.N ?? 1_000_000);
const SINGLE = Number(process.env.SINGLE ?? 20_000);

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
  return `median ${pct(50).toFixed(2)} ms, p90 ${pct(90).toFixed(2)} ms, max ${s.at(-1)!.toFixed(2)} ms (n=${s.length})`;
}

// A deterministic pseudo-random corpus: 5,000 words with a Zipf-like frequency, 4-30 words a message.
let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);
const WORDS = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}${"aeiou"[i % 5]}${"xyz"[i % 3]}`);
WORDS[0] = "the";
WORDS[10] = "meeting";
WORDS[4000] = "invoice";
const word = () => WORDS[Math.min(WORDS.length - 1, Math.floor(Math.pow(rand(), 3) * WORDS.length))]!;
const ACCOUNTS = ["work", "home", "bot"];
const PEERS = Array.from({ length: 300 }, (_, i) => `contact${i}@example.org`);
const T0 = Date.UTC(2020, 0, 1);
let bodyChars = 0;

function message(i: number): StoredMessage {
  const peer = PEERS[i % PEERS.length]!;
  const out = rand() < 0.4;
  const len = 4 + Math.floor(rand() * 26);
  const body = Array.from({ length: len }, word).join(" ");
  bodyChars += body.length;
  const time = new Date(T0 + i * 60_000).toISOString();
  return {
    account: ACCOUNTS[i % ACCOUNTS.length]!,
    peer,
    direction: out ? "out" : "in",
    from: out ? "me@example.org/jabterm" : `${peer}/phone`,
    to: out ? peer : "me@example.org/jabterm",
    id: `${i.toString(36)}-${Math.floor(rand() * 1e9).toString(36)}-origin-id-uuid-like`,
    idKind: "origin",
    stanzaId: `sid-${i.toString(36)}-${Math.floor(rand() * 1e9).toString(36)}`,
    stanzaIdBy: "me@example.org",
    type: "chat",
    body,
    time,
    state: out ? "delivered" : undefined,
    source: "live",
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * 0. The live message path: a client as the interactive host builds it (store notified once a
 * frame), its history preloaded, its archive caught up (so every live archive id moves the
 * position on). Three figures a round, medians over ROUNDS:
 * - History.recordChat, the chat feature's call, one message at a time (a commit each);
 * - History.recordChat, the messages handed over in reads of SLICE as the transport parses a
 *   socket read (group-commit.ts: the interactive client commits once a read);
 * - the chat feature end to end (stanza -> history -> store -> event), the stanzas handed over in
 *   reads of SLICE, as the transport parses a socket read.
 * CPU is this process's (user + system) per message.
 */
async function livePath(): Promise<void> {
  const PRE = Number(process.env.LIVE_PRELOAD ?? 100_000);
  const K = Number(process.env.LIVE ?? 10_000);
  const ROUNDS = Number(process.env.ROUNDS ?? 5);
  const SLICE = Math.max(1, Number(process.env.SLICE ?? 16));
  const ME = "me@example.org";
  const PEER = "peer@example.org";
  const { dir, paths, config } = tempConfig("jabterm-bench-live-", [{ jid: ME, name: "me" }]);
  const client = createClient({ config, timeout: 5000, dataDir: paths.dataDir, storeNotify: "frame" });
  try {
    const history = client.history!;
    const db = history.db;
    let t = performance.now();
    let n = 0;
    const old = (i: number): StoredMessage => {
      const out = i % 3 === 0;
      return {
        account: "me",
        peer: PEER,
        direction: out ? "out" : "in",
        from: out ? `${ME}/jabterm` : `${PEER}/phone`,
        to: out ? PEER : `${ME}/jabterm`,
        id: randomUUID(),
        idKind: "origin",
        stanzaId: randomUUID(),
        stanzaIdBy: ME,
        type: "chat",
        body: `history ${i}: ${Array.from({ length: 4 + (i % 20) }, (_, j) => WORDS[(i * 7 + j * 13) % WORDS.length]).join(" ")}`,
        time: new Date(T0 + i * 60_000).toISOString(),
        source: "live",
      };
    };
    for (; n < PRE; n += 1000) db.transaction(() => {
      for (let i = n; i < Math.min(PRE, n + 1000); i++) db.record(old(i));
    });
    db.setArchiveState("me", ME, { seeded: new Date(T0).toISOString(), lastId: "preloaded" });
    db.checkpoint();
    // Caught up: the archive has nothing newer (from now on live archive ids move the position).
    const fin = xml("iq", { type: "result" }, xml("fin", { xmlns: "urn:xmpp:mam:2", complete: "true" }));
    await history.archive!.catchUp({ name: "me", online: true, request: async () => fin } as unknown as Account);
    console.log(`live message path: ${PRE.toLocaleString("en")} messages preloaded in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // A flood message as Prosody delivers it: the sender's id, our archive's stanza-id.
    let seq = 0;
    let lastSid = "";
    const stanza = (): XmlElement => {
      const i = seq++;
      lastSid = randomUUID();
      return xml(
        "message",
        { from: `${PEER}/bench`, to: `${ME}/jabterm`, type: "chat", id: `f${i}-${randomUUID().slice(0, 8)}` },
        xml("body", {}, `flood ${i} ${WORDS[i % WORDS.length]} ${WORDS[(i * 31) % WORDS.length]} lorem ipsum dolor sit amet`),
        xml("stanza-id", { xmlns: "urn:xmpp:sid:0", by: ME, id: lastSid }),
      );
    };
    const cpu = () => {
      const c = process.cpuUsage();
      return c.user + c.system;
    };
    const record: { rate: number; us: number }[] = [];
    const recordRead: { rate: number; us: number }[] = [];
    const feature: { rate: number; us: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // History.recordChat, one message at a time.
      const now = new Date();
      const msgs = Array.from({ length: K }, () => {
        const el = stanza();
        return { el, m: toChatMessage(parseMessage("me", `${ME}/jabterm`, el, now)!, "in", undefined, now) };
      });
      let c0 = cpu();
      t = performance.now();
      for (const { el, m } of msgs.slice(0, K / 2)) history.recordChat("me", PEER, m, idKindOf(el), "live");
      let ms = performance.now() - t;
      record.push({ rate: K / 2 / (ms / 1000), us: (cpu() - c0) / (K / 2) });
      await new Promise((r) => setImmediate(r));

      // History.recordChat, in reads of SLICE (the interactive client groups their commits).
      c0 = cpu();
      t = performance.now();
      for (let i = K / 2; i < K; i += SLICE) {
        read(() => {
          for (let j = i; j < Math.min(K, i + SLICE); j++) history.recordChat("me", PEER, msgs[j]!.m, idKindOf(msgs[j]!.el), "live");
        });
      }
      ms = performance.now() - t;
      recordRead.push({ rate: K / 2 / (ms / 1000), us: (cpu() - c0) / (K / 2) });
      await new Promise((r) => setImmediate(r));

      // The chat feature, reads of SLICE stanzas.
      const els = Array.from({ length: K }, stanza);
      c0 = cpu();
      t = performance.now();
      for (let i = 0; i < K; i += SLICE) {
        read(() => {
          for (let j = i; j < Math.min(K, i + SLICE); j++) client.engine.emit("stanza", { account: "me", stanza: els[j]! });
        });
        await new Promise((r) => setImmediate(r));
      }
      ms = performance.now() - t;
      feature.push({ rate: K / (ms / 1000), us: (cpu() - c0) / K });
    }
    const fmt = (xs: { rate: number; us: number }[]) =>
      `median ${Math.round(median(xs.map((x) => x.rate))).toLocaleString("en")} messages/s, ${median(xs.map((x) => x.us)).toFixed(1)} µs CPU/message (rounds: ${xs.map((x) => x.us.toFixed(0)).join(", ")} µs)`;
    console.log(`live message path, History.recordChat, a commit each (${(K / 2).toLocaleString("en")} a round): ${fmt(record)}`);
    console.log(`live message path, History.recordChat in reads of ${SLICE} (${(K / 2).toLocaleString("en")} a round): ${fmt(recordRead)}`);
    console.log(`live message path, chat feature (stanza -> history -> store -> event), reads of ${SLICE}: ${fmt(feature)}`);
    const shown = client.store.account("me").conversations[PEER]?.messages.length ?? 0;
    console.log(`live message path: ${db.count().toLocaleString("en")} messages stored, ${shown.toLocaleString("en")} in the store's conversation, archive position ${db.archiveState("me", ME)?.lastId === lastSid ? "at the last live message" : "NOT at the last live message"}`);
  } finally {
    await client.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One socket read's worth of stanzas, handed over as the transport does (connection.ts). */
function read(fn: () => void): void {
  withinRead(fn);
}

await livePath();
if (process.env.ONLY === "live") process.exit(0);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-bench-history-"));
try {
  const db = HistoryDb.open(dir);

  // 1. one message per transaction (live messages, outbox writes)
  let t = performance.now();
  for (let i = 0; i < SINGLE; i++) db.record(message(i));
  let ms = performance.now() - t;
  console.log(`insert, one message per transaction (WAL, synchronous=NORMAL): ${Math.round(SINGLE / (ms / 1000)).toLocaleString("en")} messages/s (${SINGLE.toLocaleString("en")} in ${ms.toFixed(0)} ms)`);

  // 2. batches of 1,000 (archive pages, bulk) up to N
  t = performance.now();
  const BATCH = 1000;
  for (let i = SINGLE; i < N; i += BATCH) {
    db.transaction(() => {
      for (let j = i; j < Math.min(N, i + BATCH); j++) db.record(message(j));
    });
  }
  ms = performance.now() - t;
  console.log(`insert, 1,000 per transaction: ${Math.round((N - SINGLE) / (ms / 1000)).toLocaleString("en")} messages/s (${(N - SINGLE).toLocaleString("en")} in ${(ms / 1000).toFixed(1)} s)`);
  db.checkpoint();
  const size = db.sizeOnDisk();
  console.log(`store size: ${(size / 1e6).toFixed(0)} MB for ${db.count().toLocaleString("en")} messages = ${Math.round(size / db.count())} bytes/message (average body ${Math.round(bodyChars / N)} characters; ids, JIDs, times and the full-text index included)`);

  // 3. search latency over N messages (limit 20, newest first)
  const queries: [string, Parameters<HistoryDb["search"]>[0]][] = [
    ["a common word", { text: "the", limit: 20 }],
    ["a rare word", { text: "invoice", limit: 20 }],
    ["two words", { text: "meeting invoice", limit: 20 }],
    ["a rare word in one conversation", { text: "invoice", peer: PEERS[7], limit: 20 }],
    ["a common word, one account, since a date", { text: "meeting", account: "work", since: "2021-06-01T00:00:00.000Z", limit: 20 }],
    ["no match", { text: "zzzzzz", limit: 20 }],
  ];
  for (const [label, q] of queries) {
    const times: number[] = [];
    let hits = 0;
    for (let r = 0; r < 15; r++) {
      const s = performance.now();
      hits = db.search(q).length;
      times.push(performance.now() - s);
    }
    console.log(`search over ${db.count().toLocaleString("en")} messages, ${label} (${hits} hits): ${stats(times)}`);
  }
  db.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

// 4. catch-up with 1,000 missed messages (Prosody mod_mam; another device of ours online, so the
// archive is the only way they reach us)
{
  const MISSED = Number(process.env.MISSED ?? 1000);
  const server = await startProsody();
  const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
  const A = tempClient([{ jid: a.jid, name: "me", set: serverKeys(server, a.password) }]);
  const B = tempClient([{ jid: b.jid, name: "me", set: serverKeys(server, b.password) }]);
  const other = await startPeer({ jid: `${a.jid}/phone`, password: a.password, port: server.c2sPort, caFile: server.caFile });
  try {
    await A.connectAll();
    await A.waitEvent((e) => e.event === "archive_catchup");
    await A.engine.get("me").disconnect();
    await B.connectAll();
    for (let i = 0; i < MISSED; i++) B.client.sendMessage(B.engine.get("me"), a.jid, `missed message number ${i}`);
    await waitFor(() => B.client.outbox.pending().length === 0, { timeout: 120_000, message: "all sent and acked" });
    const n = A.events.length;
    const t0 = performance.now();
    await A.engine.get("me").connect();
    const done = await A.waitEvent((e) => e.event === "archive_catchup", { after: n, timeout: 120_000 });
    const total = performance.now() - t0;
    const shown = A.store.account("me").conversations[b.jid]?.messages.length ?? 0;
    console.log(`catch-up of ${MISSED} missed messages: ${Number(done.ms).toFixed(0)} ms for ${done.pages} pages (${done.messages} new, ${shown} shown); connect + login + catch-up ${total.toFixed(0)} ms`);
  } finally {
    await other.stop();
    await A.close();
    await B.close();
    await server.cleanup();
  }
}
process.exit(0);
