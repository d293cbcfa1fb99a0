/**
 * The history database: files and modes, migrations, clear errors for damaged and locked files,
 * de-duplication rules, full-text search, corrections, the durable outbox, retention.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import { afterEach, describe, expect, test } from "vitest";

import { JabtermError } from "../../src/core/errors.js";
import { ENCRYPTED_PLACEHOLDER, FTS_BATCH, HistoryDb, SCHEMA_VERSION, ftsQuery, snippet, type StoredMessage } from "../../src/core/history/db.js";
import { History } from "../../src/core/history/history.js";
import { nullLogger } from "../../src/core/logger.js";
import type { OutgoingMessage } from "../../src/core/messaging/outbox.js";
import { tempConfig } from "../helpers/engine.js";

const dirs: string[] = [];
const dbs: HistoryDb[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-hist-"));
  dirs.push(d);
  return d;
}
function open(dir = tmp()): HistoryDb {
  const db = HistoryDb.open(dir);
  dbs.push(db);
  return db;
}
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

let seq = 0;
function msg(over: Partial<StoredMessage> = {}): StoredMessage {
  seq++;
  return {
    account: "a",
    peer: "bob@example.org",
    direction: "in",
    from: "bob@example.org/phone",
    to: "alice@example.org/term",
    id: `id-${seq}`,
    idKind: "origin",
    type: "chat",
    body: `hello ${seq}`,
    time: new Date(Date.UTC(2026, 0, 1, 12, 0, seq)).toISOString(),
    source: "live",
    ...over,
  };
}

describe("files, schema and errors", () => {
  test("a 0700 directory and 0600 files (database, WAL, shared memory), schema at the current version", () => {
    const dir = tmp();
    const db = open(dir);
    db.record(msg());
    expect(fs.statSync(path.join(dir, "history")).mode & 0o777).toBe(0o700);
    for (const f of ["history.db", "history.db-wal", "history.db-shm"]) expect(fs.statSync(path.join(dir, "history", f)).mode & 0o777).toBe(0o600);
    expect(db.schemaVersion).toBe(SCHEMA_VERSION);
  });

  test("messages survive closing and opening again", () => {
    const dir = tmp();
    const db = open(dir);
    db.record(msg({ body: "kept" }));
    db.close();
    const again = open(dir);
    expect(again.conversation("a", "bob@example.org").map((m) => m.body)).toEqual(["kept"]);
  });

  test("a damaged file is a config error naming it, and the file is left as it was", () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, "history"), { mode: 0o700 });
    const file = path.join(dir, "history", "history.db");
    const junk = Buffer.alloc(8192, 0x41);
    fs.writeFileSync(file, junk, { mode: 0o600 });
    let err: unknown;
    try {
      HistoryDb.open(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JabtermError);
    expect((err as JabtermError).code).toBe("config");
    expect((err as JabtermError).message).toMatch(/history\.db is damaged/);
    expect(fs.readFileSync(file).equals(junk)).toBe(true);
  });

  test("a database from a newer jabterm is refused", () => {
    const dir = tmp();
    open(dir).close();
    const raw = new Database(path.join(dir, "history", "history.db"));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => HistoryDb.open(dir)).toThrow(/newer than this jabterm knows/);
  });

  test("a database another process holds locked is a 'locked' error, not a fresh start", () => {
    const dir = tmp();
    const db = open(dir);
    db.record(msg({ body: "old" }));
    db.close();
    const other = new Database(path.join(dir, "history", "history.db"));
    other.exec("BEGIN EXCLUSIVE");
    try {
      let err: unknown;
      try {
        new HistoryDb(path.join(dir, "history", "history.db"), { busyTimeout: 50 });
      } catch (e) {
        err = e;
      }
      expect((err as JabtermError).code).toBe("locked");
      expect((err as JabtermError).message).toMatch(/locked by another process/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect(open(dir).conversation("a", "bob@example.org").map((m) => m.body)).toEqual(["old"]);
  });
});

describe("de-duplication", () => {
  test("the same archive id is one message, whatever path it came by", () => {
    const db = open();
    expect(db.record(msg({ id: "x1", idKind: "stanza", stanzaId: "S1" })).inserted).toBe(true);
    expect(db.record(msg({ id: "other", idKind: "random", stanzaId: "S1", source: "mam" })).inserted).toBe(false);
    expect(db.count()).toBe(1);
  });

  test("the same origin-id from the same sender is one message even with two archive ids (a resend archived twice)", () => {
    const db = open();
    db.record(msg({ id: "o1", stanzaId: "S1", body: "once" }));
    expect(db.record(msg({ id: "o1", stanzaId: "S2", body: "once" })).inserted).toBe(false);
    // a sender reusing its origin-id for another text: both are kept (no distinct message hidden)
    expect(db.record(msg({ id: "o1", body: "another text" })).inserted).toBe(true);
    // after a correction, the archive's copy of the original text is still the same message
    db.record(msg({ id: "o2", body: "helo" }));
    db.correct("a", "bob@example.org", "o2", "hello");
    expect(db.record(msg({ id: "o2", body: "helo", stanzaId: "S3", source: "mam" })).inserted).toBe(false);
    // but not from somebody else
    expect(db.record(msg({ id: "o1", from: "mallory@example.org/x", peer: "mallory@example.org" })).inserted).toBe(true);
  });

  test("a reused stanza id is a duplicate only with the same text and no conflicting archive id", () => {
    const db = open();
    db.record(msg({ id: "m1", idKind: "stanza", body: "one" }));
    expect(db.record(msg({ id: "m1", idKind: "stanza", body: "two" })).inserted).toBe(true);
    expect(db.record(msg({ id: "m1", idKind: "stanza", body: "one" })).inserted).toBe(false);
    db.record(msg({ id: "m2", idKind: "stanza", body: "same", stanzaId: "A" }));
    expect(db.record(msg({ id: "m2", idKind: "stanza", body: "same", stanzaId: "B" })).inserted).toBe(true);
  });

  test("messages without any id are never merged", () => {
    const db = open();
    db.record(msg({ id: "r1", idKind: "random", body: "hi" }));
    expect(db.record(msg({ id: "r1", idKind: "random", body: "hi" })).inserted).toBe(true);
  });

  test("a duplicate that brings the archive id fills it in, so the archive copy is recognised later", () => {
    const db = open();
    db.record(msg({ id: "mine", direction: "out", from: "alice@example.org/term", body: "mine", source: "sent" }));
    expect(db.record(msg({ id: "mine", direction: "out", from: "alice@example.org/other", body: "mine", stanzaId: "S9", source: "mam" })).inserted).toBe(false);
    expect(db.record(msg({ id: "zzz", idKind: "random", stanzaId: "S9", source: "mam" })).inserted).toBe(false);
    expect(db.conversation("a", "bob@example.org")[0]!.stanzaId).toBe("S9");
  });
});

describe("search", () => {
  test("full-text with filters, newest first, with a snippet", () => {
    const db = open();
    db.record(msg({ body: "the quick brown fox", time: "2026-01-01T10:00:00.000Z" }));
    db.record(msg({ body: "a quick reply", time: "2026-02-01T10:00:00.000Z", account: "b" }));
    db.record(msg({ body: "slow but Quick", time: "2026-03-01T10:00:00.000Z", peer: "carol@example.org", from: "carol@example.org/x" }));
    db.record(msg({ body: "nothing here" }));
    expect(db.search({ text: "quick" }).map((h) => h.body)).toEqual(["slow but Quick", "a quick reply", "the quick brown fox"]);
    expect(db.search({ text: "quick", account: "b" }).map((h) => h.body)).toEqual(["a quick reply"]);
    expect(db.search({ text: "quick", peer: "carol@example.org" }).map((h) => h.body)).toEqual(["slow but Quick"]);
    expect(db.search({ text: "quick", from: "bob@example.org" }).map((h) => h.body)).toEqual(["a quick reply", "the quick brown fox"]);
    expect(db.search({ text: "quick", since: "2026-01-15", until: "2026-02-15" }).map((h) => h.body)).toEqual(["a quick reply"]);
    expect(db.search({ text: "quick brown" }).map((h) => h.body)).toEqual(["the quick brown fox"]);
    expect(db.search({ text: "fox" })[0]!.snippet).toBe("the quick brown [fox]");
    expect(snippet(`${"x ".repeat(100)}Café au lait ${"y ".repeat(100)}`, "cafe", 30)).toBe("… x x x x x x [Café] au lait y y …");
  });

  test("FTS syntax in what the user typed is just text", () => {
    const db = open();
    db.record(msg({ body: 'he said "NEAR(a b)" OR * -x' }));
    expect(ftsQuery('a "b')).toBe('"a" "b"');
    expect(ftsQuery("e-mail OR *")).toBe('"e" "mail" "OR"');
    for (const q of ['"', "OR", "*", "NEAR(a", "-x", "a AND", "col:x"]) expect(() => db.search({ text: q })).not.toThrow();
    expect(db.search({ text: '"NEAR(a' }).length).toBe(1);
  });

  test("a correction keeps the old text in corrections and search finds the new one", () => {
    const db = open();
    db.record(msg({ id: "c1", body: "helo wrold" }));
    expect(db.correct("a", "bob@example.org", "c1", "hello world")).toBe(true);
    const [m] = db.conversation("a", "bob@example.org");
    expect(m!.body).toBe("hello world");
    expect(m!.corrections).toEqual(["helo wrold"]);
    expect(db.search({ text: "wrold" })).toEqual([]);
    expect(db.search({ text: "world" }).length).toBe(1);
  });
});

describe("search index written in batches", () => {
  const file = (dir: string) => path.join(dir, "history", "history.db");
  /** FTS5's own check of the index against the messages: throws when they differ. */
  const ftsCheck = (dir: string) => {
    const raw = new Database(file(dir));
    try {
      raw.exec("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)");
    } finally {
      raw.close();
    }
  };
  const waiting = (dir: string) => {
    const raw = new Database(file(dir), { readonly: true });
    try {
      return (raw.prepare("SELECT count(*) AS n FROM fts_pending").get() as { n: number }).n;
    } finally {
      raw.close();
    }
  };

  test("a search sees messages not indexed yet; deleting and correcting indexed and waiting ones keeps the index exact", () => {
    const dir = tmp();
    const db = open(dir);
    db.record(msg({ id: "i1", body: "alpha indexed one" }));
    db.record(msg({ id: "i2", body: "alpha indexed two", peer: "carol@example.org", from: "carol@example.org/x" }));
    db.indexPending();
    db.record(msg({ id: "w1", body: "alpha waiting one" }));
    db.record(msg({ id: "w2", body: "alpha waiting two", peer: "carol@example.org", from: "carol@example.org/x" }));
    expect(waiting(dir)).toBe(2);
    expect(db.correct("a", "bob@example.org", "i1", "beta indexed one")).toBe(true);
    expect(db.correct("a", "bob@example.org", "w1", "beta waiting one")).toBe(true);
    expect(db.clear("a", "carol@example.org")).toBe(2);
    expect(waiting(dir)).toBe(1);
    expect(db.search({ text: "alpha" })).toEqual([]);
    expect(db.search({ text: "beta" }).map((h) => h.body)).toEqual(["beta waiting one", "beta indexed one"]);
    expect(waiting(dir)).toBe(0);
    ftsCheck(dir);
    // The check can fail: a row indexed twice is caught.
    const raw = new Database(file(dir));
    raw.prepare("INSERT INTO messages_fts(rowid, body) SELECT row, body FROM messages LIMIT 1").run();
    raw.close();
    expect(() => ftsCheck(dir)).toThrow();
  });

  test(`every ${FTS_BATCH} messages are indexed as they are stored; waiting ones survive a crash and a search finds them`, () => {
    const dir = tmp();
    const db = open(dir);
    db.transaction(() => {
      for (let i = 0; i < FTS_BATCH - 1; i++) db.record(msg({ body: `bulk ${i}` }));
    });
    expect(waiting(dir)).toBe(FTS_BATCH - 1);
    db.record(msg({ body: "bulk last" }));
    expect(waiting(dir)).toBe(0);
    db.record(msg({ body: "gamma before the crash" }));
    expect(waiting(dir)).toBe(1);
    // A second process after a crash (this one never closed): the waiting row is still there.
    const after = new HistoryDb(file(dir));
    dbs.push(after);
    expect(after.search({ text: "gamma" }).map((h) => h.body)).toEqual(["gamma before the crash"]);
    expect(after.search({ text: "bulk" }).length).toBe(50);
    ftsCheck(dir);
  });

  test("a version 2 database (indexed by its insert trigger) is upgraded and stays searchable", () => {
    const dir = tmp();
    open(dir).close();
    // Back to version 2: no fts_pending, the index written by the triggers.
    const raw = new Database(file(dir));
    raw.exec(`
      DROP TRIGGER messages_ai; DROP TRIGGER messages_ad; DROP TRIGGER messages_au; DROP TABLE fts_pending;
      CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, body) VALUES (new.row, new.body);
      END;
      CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.row, old.body);
      END;
      CREATE TRIGGER messages_au AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.row, old.body);
        INSERT INTO messages_fts(rowid, body) VALUES (new.row, new.body);
      END;
      PRAGMA user_version = 2;
      INSERT INTO messages (account, peer, direction, sender, sender_bare, recipient, id, id_kind, type, body, time, ts, source, seq)
        VALUES ('a', 'bob@example.org', 'in', 'bob@example.org/x', 'bob@example.org', 'alice@example.org', 'old', 'origin', 'chat', 'delta from version two', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'live', 1);
    `);
    raw.close();
    const db = open(dir);
    expect(db.schemaVersion).toBe(SCHEMA_VERSION);
    db.record(msg({ id: "new", body: "delta from now" }));
    expect(db.search({ text: "delta" }).map((h) => h.body)).toEqual(["delta from now", "delta from version two"]);
    db.correct("a", "bob@example.org", "old", "epsilon");
    expect(db.search({ text: "epsilon" }).length).toBe(1);
    ftsCheck(dir);
  });
});

describe("outbox, paging, retention", () => {
  const out = (over: Partial<OutgoingMessage> = {}): OutgoingMessage => ({ id: "o-1", account: "a", to: "bob@example.org", type: "chat", body: "hi", state: "queued", created: "2026-01-01T00:00:00.000Z", attempts: 0, ...over });

  test("outbox entries persist until delivered, displayed or failed", () => {
    const dir = tmp();
    const db = open(dir);
    db.outboxPut(out());
    db.outboxPut(out({ id: "o-2" }));
    db.outboxPut(out({ state: "sent", awaitingAck: true, attempts: 1 }));
    db.outboxPut(out({ id: "o-2", state: "delivered" }));
    db.close();
    const again = open(dir);
    expect(again.outboxLoad()).toEqual([out({ state: "sent", awaitingAck: true, attempts: 1 })]);
    // Acknowledged: kept a day for late receipts, then gone from the outbox.
    again.outboxPut(out({ state: "acked", attempts: 1 }));
    expect(again.outboxLoad().map((m) => m.state)).toEqual(["acked"]);
    expect(again.outboxLoad(new Date(Date.now() + 2 * 86_400_000))).toEqual([]);
  });

  test("pages go back in time order, oldest first within a page", () => {
    const db = open();
    for (let i = 0; i < 5; i++) db.record(msg({ body: `m${i}`, time: `2026-01-01T00:00:0${i}.000Z` }));
    const last = db.page("a", "bob@example.org", 2);
    expect(last.map((m) => m.body)).toEqual(["m3", "m4"]);
    const before = db.position("a", "bob@example.org", last[0]!.id)!;
    expect(db.page("a", "bob@example.org", 2, before).map((m) => m.body)).toEqual(["m1", "m2"]);
  });

  test("retention: per conversation, per account, global; clear", () => {
    const dir = tmp();
    const { config, dir: cdir } = tempConfig("jabterm-hist-cfg-", [{ jid: "a@example.org", name: "a" }, { jid: "b@example.org", name: "b", set: { history_retention_days: 30 } }], { history_retention_days: 365 });
    dirs.push(cdir);
    const history = new History(open(dir), { config, log: nullLogger(), ownJid: (a) => `${a}@example.org`, publish: () => {} });
    const now = new Date("2026-06-01T00:00:00Z");
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
    const db = history.db;
    db.record(msg({ account: "a", body: "a-400", time: daysAgo(400) }));
    db.record(msg({ account: "a", body: "a-100", time: daysAgo(100) }));
    db.record(msg({ account: "a", peer: "carol@example.org", from: "carol@example.org", body: "carol-100", time: daysAgo(100) }));
    db.record(msg({ account: "b", body: "b-100", time: daysAgo(100) }));
    db.record(msg({ account: "b", body: "b-10", time: daysAgo(10) }));
    db.setRetention("a", "carol@example.org", 50);
    expect(history.applyRetention(now)).toBe(3);
    expect(db.conversations()).toEqual([
      { account: "a", peer: "bob@example.org", count: 1 },
      { account: "b", peer: "bob@example.org", count: 1 },
    ]);
    expect(db.clear("b")).toBe(1);
    expect(db.count()).toBe(1);
  });

  test("encrypted messages are stored as a placeholder unless the user opted in", () => {
    const { config, dir: cdir } = tempConfig("jabterm-hist-cfg-", []);
    dirs.push(cdir);
    const history = new History(open(), { config, log: nullLogger(), ownJid: () => "alice@example.org", publish: () => {} });
    const m = { id: "e1", direction: "in" as const, from: "bob@example.org/x", to: "alice@example.org", type: "chat" as const, body: "secret", time: new Date().toISOString(), encryption: "ox" as const, verified: "verified" as const };
    history.recordChat("a", "bob@example.org", m, "origin", "live");
    config.setSetting("history_store_decrypted", "true");
    history.recordChat("a", "bob@example.org", { ...m, id: "e2" }, "origin", "live");
    const rows = history.db.conversation("a", "bob@example.org");
    expect(rows.map((r) => [r.body, r.encryption, r.verified])).toEqual([
      [ENCRYPTED_PLACEHOLDER, "ox", "verified"],
      ["secret", "ox", "verified"],
    ]);
  });
});

describe("archive positions", () => {
  test("a live archive id moves the position on and keeps the rest of the state; with no state yet it starts one", () => {
    const db = open();
    db.setArchiveState("a", "alice@example.org", { seeded: "2026-01-01T00:00:00.000Z", lastId: "L1", oldestId: "O1", complete: true });
    db.setArchiveLastId("a", "alice@example.org", "L2");
    expect(db.archiveState("a", "alice@example.org")).toEqual({ seeded: "2026-01-01T00:00:00.000Z", lastId: "L2", oldestId: "O1", complete: true });
    db.setArchiveLastId("b", "bob@example.org", "B1");
    expect(db.archiveState("b", "bob@example.org")).toEqual({ lastId: "B1" });
    expect(db.archiveState("a", "bob@example.org")).toBeUndefined();
  });
});

describe("room archive ids (MUC MAM)", () => {
  test("the newest room archive id of a room is by that room; our own message learns its room id later", () => {
    const db = open();
    const room = "dev@conference.example.org";
    db.record(msg({ peer: room, type: "groupchat", from: `${room}/carol`, stanzaId: "r1", stanzaIdBy: room }));
    db.record(msg({ peer: room, type: "groupchat", from: `${room}/carol`, stanzaId: "own-1", stanzaIdBy: "alice@example.org" }));
    db.record(msg({ peer: room, type: "groupchat", direction: "out", from: "alice@example.org/term", id: "mine", source: "sent" }));
    expect(db.newestArchiveId("a", room, room)).toBe("r1");
    db.setArchiveId("a", room, "mine", "r2", room);
    expect(db.newestArchiveId("a", room, room)).toBe("r2");
    // Not twice, and not over an id it has.
    db.setArchiveId("a", room, "mine", "r3", room);
    expect(db.conversation("a", room).find((m) => m.id === "mine")).toMatchObject({ stanzaId: "r2", stanzaIdBy: room });
    // The archive's copy of ours is recognised by it.
    expect(db.record(msg({ peer: room, type: "groupchat", direction: "out", from: `${room}/alice`, id: "mine", stanzaId: "r2", stanzaIdBy: room, source: "mam" })).inserted).toBe(false);
    expect(db.newestArchiveId("a", "other@conference.example.org", "other@conference.example.org")).toBeUndefined();
  });
});
