/**
 * The persistent message store: one SQLite database (better-sqlite3, WAL) per data dir,
 * `<dataDir>/history/history.db`, files 0600 in a 0700 directory. It holds every message of every
 * account (in and out, with its ids, times, type, body, corrections, delivery and encryption
 * state), the durable outbox, the archive (MAM) position per account, and per-conversation
 * retention. Full-text search is an FTS5 index over the bodies.
 *
 * Search: an FTS5 index of the bodies without positions (detail=none: smaller and cheaper to
 * write), written in batches (new messages wait in fts_pending; a search indexes them first); every
 * word typed must occur; results are the newest stored first (rowid order, which is arrival
 * order), the page sorted by time.
 *
 * Rules:
 * - Versioned schema (PRAGMA user_version); a database from a newer jabterm, a corrupt file or a
 *   database another process holds locked is a clear error, never a silent fresh start.
 * - A held transaction (`hold`, group-commit.ts) collects record() and setArchiveLastId() writes
 *   until commitHeld(); every other method commits it first, so nothing else ever sees or builds
 *   on writes that are not committed.
 * - De-duplication (`record`) across every path a message can take: the archive's own stanza-id
 *   (the caller passes only a trusted one: by = our bare JID, the last such element), then the
 *   origin-id (same sender, same conversation, same text or an earlier version of it), then a
 *   conservative fallback: the same stanza id attribute from the same sender with the same text,
 *   unless both carry different archive ids.
 */
import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";

import { ConfigError, JabtermError } from "../errors.js";
import type { OutgoingMessage } from "../messaging/outbox.js";

export const HISTORY_DIR = "history";
export const HISTORY_FILE = "history.db";
/** What an encrypted message's body is stored as when the user did not opt in to decrypted history. */
export const ENCRYPTED_PLACEHOLDER = "[encrypted message]";

export type MessageSource = "live" | "carbon" | "mam" | "offline" | "sent";

/** One message as stored. */
export interface StoredMessage {
  /** Row id: stable, what search results and /history show refer to. Absent before insertion. */
  row?: number;
  account: string;
  /** The conversation: the peer's bare JID (or the room). */
  peer: string;
  direction: "in" | "out";
  from: string;
  to: string;
  /** jabterm's id: the origin-id, else the stanza id attribute, else a fresh UUID. */
  id: string;
  /** How `id` was chosen: only origin-ids and stanza ids de-duplicate. */
  idKind: "origin" | "stanza" | "random";
  wireId?: string;
  /** XEP-0359 stanza-id added by the archive `stanzaIdBy`. */
  stanzaId?: string;
  stanzaIdBy?: string;
  type: string;
  body: string;
  subject?: string;
  thread?: string;
  /** When we received or sent it (ISO). */
  time: string;
  /** XEP-0203 original send time (ISO). */
  delay?: string;
  state?: string;
  error?: { condition: string; text?: string };
  corrections?: string[];
  encryption?: "pgp" | "ox";
  verified?: "verified" | "unverified" | "unsigned" | "bad";
  carbon?: "sent" | "received";
  me?: boolean;
  markable?: boolean;
  source: MessageSource;
}

export interface RecordResult {
  inserted: boolean;
  row: number;
}

export interface SearchQuery {
  text: string;
  account?: string;
  peer?: string;
  /** Sender's bare JID. */
  from?: string;
  since?: string;
  until?: string;
  limit?: number;
}

export interface SearchHit {
  row: number;
  account: string;
  peer: string;
  from: string;
  direction: "in" | "out";
  id: string;
  time: string;
  body: string;
  snippet: string;
}

export interface ArchiveState {
  /** When the first catch-up ran (the archive had nothing yet, or this is where we started). */
  seeded?: string;
  /** The newest archive id we have everything up to. */
  lastId?: string;
  /** The oldest archive id we fetched (paging back goes before it), per conversation key. */
  oldestId?: string;
  /** Paging back reached the start of the archive. */
  complete?: boolean;
}

// ---------------------------------------------------------------------------------------------
// schema

const MIGRATIONS: readonly string[] = [
  // 1: messages, full-text index, outbox, archive positions, retention
  `
  CREATE TABLE messages (
    row INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    peer TEXT NOT NULL,
    direction TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_bare TEXT NOT NULL,
    recipient TEXT NOT NULL,
    id TEXT NOT NULL,
    id_kind TEXT NOT NULL,
    wire_id TEXT,
    stanza_id TEXT,
    stanza_id_by TEXT,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    subject TEXT,
    thread TEXT,
    time TEXT NOT NULL,
    delay TEXT,
    ts TEXT NOT NULL,
    state TEXT,
    error TEXT,
    corrections TEXT,
    encryption TEXT,
    verified TEXT,
    carbon TEXT,
    flags INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    seq INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX messages_stanza_id ON messages(account, stanza_id) WHERE stanza_id IS NOT NULL;
  CREATE INDEX messages_conversation ON messages(account, peer, ts, seq);
  CREATE INDEX messages_id ON messages(account, id);
  CREATE INDEX messages_ts ON messages(ts);
  CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='row', tokenize='unicode61 remove_diacritics 2', detail='none');
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
  CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    state TEXT NOT NULL,
    data TEXT NOT NULL,
    updated TEXT NOT NULL
  );
  CREATE TABLE archive (
    account TEXT NOT NULL,
    archive TEXT NOT NULL,
    last_id TEXT,
    oldest_id TEXT,
    seeded TEXT,
    complete INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, archive)
  );
  CREATE TABLE retention (
    account TEXT NOT NULL,
    peer TEXT NOT NULL,
    days INTEGER NOT NULL,
    PRIMARY KEY (account, peer)
  );
  `,
  // 2: ciphertexts seen (OpenPGP replay detection survives restarts)
  `
  CREATE TABLE seen_ciphertexts (
    hash TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    seen TEXT NOT NULL
  );
  `,
  // 3: the full-text index is written in batches. FTS5 flushes its pending terms to a new index
  // segment at every statement that writes to it (and merges those segments later), so indexing
  // from the insert trigger cost a segment per message: about a quarter of storing a live message.
  // A new message's row goes to fts_pending instead (in the same transaction as the message, so a
  // crash loses neither); indexPending() indexes them with one statement, and search() does that
  // first, so a search still sees every stored message. Deleting or correcting a message that is
  // not indexed yet leaves the index alone.
  `
  CREATE TABLE fts_pending (row INTEGER PRIMARY KEY);
  DROP TRIGGER messages_ai;
  DROP TRIGGER messages_ad;
  DROP TRIGGER messages_au;
  CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO fts_pending (row) VALUES (new.row);
  END;
  CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) SELECT 'delete', old.row, old.body WHERE NOT EXISTS (SELECT 1 FROM fts_pending WHERE row = old.row);
    DELETE FROM fts_pending WHERE row = old.row;
  END;
  CREATE TRIGGER messages_au AFTER UPDATE OF body ON messages WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE row = old.row) BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.row, old.body);
    INSERT INTO messages_fts(rowid, body) VALUES (new.row, new.body);
  END;
  `,
];

/** WAL pages between automatic checkpoints (SQLite's default: 1,000). */
export const WAL_AUTOCHECKPOINT = 4000;

/** Stored messages waiting for the full-text index before record() indexes them (search() always does first). */
export const FTS_BATCH = 500;

/** Ciphertexts remembered for replay detection (the oldest are forgotten beyond this). */
export const SEEN_CIPHERTEXTS_MAX = 100_000;

export const SCHEMA_VERSION = MIGRATIONS.length;

const FLAG_ME = 1;
const FLAG_MARKABLE = 2;

/** Outbox states that are finished: dropped from the outbox table (the message row keeps its state). */
const OUTBOX_DONE = new Set(["delivered", "displayed", "failed"]);

type Row = {
  row: number;
  account: string;
  peer: string;
  direction: string;
  sender: string;
  recipient: string;
  id: string;
  id_kind: string;
  wire_id: string | null;
  stanza_id: string | null;
  stanza_id_by: string | null;
  type: string;
  body: string;
  subject: string | null;
  thread: string | null;
  time: string;
  delay: string | null;
  state: string | null;
  error: string | null;
  corrections: string | null;
  encryption: string | null;
  verified: string | null;
  carbon: string | null;
  flags: number;
  source: string;
  seq: number;
};

function bare(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}

function fromRow(r: Row): StoredMessage {
  const m: StoredMessage = {
    row: r.row,
    account: r.account,
    peer: r.peer,
    direction: r.direction as "in" | "out",
    from: r.sender,
    to: r.recipient,
    id: r.id,
    idKind: r.id_kind as StoredMessage["idKind"],
    type: r.type,
    body: r.body,
    time: r.time,
    source: r.source as MessageSource,
  };
  if (r.wire_id) m.wireId = r.wire_id;
  if (r.stanza_id) m.stanzaId = r.stanza_id;
  if (r.stanza_id_by) m.stanzaIdBy = r.stanza_id_by;
  if (r.subject !== null) m.subject = r.subject;
  if (r.thread) m.thread = r.thread;
  if (r.delay) m.delay = r.delay;
  if (r.state) m.state = r.state;
  if (r.error) m.error = JSON.parse(r.error) as StoredMessage["error"];
  if (r.corrections) m.corrections = JSON.parse(r.corrections) as string[];
  if (r.encryption) m.encryption = r.encryption as StoredMessage["encryption"];
  if (r.verified) m.verified = r.verified as StoredMessage["verified"];
  if (r.carbon) m.carbon = r.carbon as StoredMessage["carbon"];
  if (r.flags & FLAG_ME) m.me = true;
  if (r.flags & FLAG_MARKABLE) m.markable = true;
  return m;
}

/** The words of a text as the index sees them (letters and digits; everything else separates). */
export function searchTokens(text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
}

/** Turn what the user typed into an FTS5 query: every word quoted (FTS syntax is just text), all must match. */
export function ftsQuery(text: string): string {
  return searchTokens(text)
    .map((w) => `"${w}"`)
    .join(" ");
}

const fold = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

/** A window of `body` around the first query word, the word in [brackets]. */
export function snippet(body: string, text: string, width = 80): string {
  const flat = body.replace(/\s+/g, " ");
  const folded = fold(flat);
  let at = -1;
  let len = 0;
  for (const w of searchTokens(text)) {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${fold(w).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "u");
    const m = re.exec(folded);
    if (m && (at < 0 || m.index < at)) (at = m.index), (len = m[0].length);
  }
  if (at < 0 || folded.length !== flat.length) return flat.length > width ? `${flat.slice(0, width)}…` : flat;
  const start = Math.max(0, at - Math.floor((width - len) / 2));
  const end = Math.min(flat.length, start + width);
  return `${start > 0 ? "…" : ""}${flat.slice(start, at)}[${flat.slice(at, at + len)}]${flat.slice(at + len, end)}${end < flat.length ? "…" : ""}`;
}

function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** Map a SQLite failure to jabterm's error family. */
export function historyError(file: string, err: unknown): JabtermError {
  if (err instanceof JabtermError) return err;
  const code = sqliteCode(err) ?? "";
  const msg = (err as Error).message;
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" || code.startsWith("SQLITE_BUSY_")) {
    return new JabtermError("locked", `the history database ${file} is locked by another process (${msg}); stop it or pick another --data-dir`, { path: file, sqlite: code }, { cause: err });
  }
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT" || code.startsWith("SQLITE_CORRUPT_")) {
    return new ConfigError(`the history database ${file} is damaged (${msg}); jabterm will not start a new one over it: move it away to start afresh, or repair it with sqlite3's .recover`, { path: file, sqlite: code }, { cause: err });
  }
  return new ConfigError(`the history database ${file}: ${msg}`, { path: file, sqlite: code || undefined }, { cause: err });
}

export interface OpenOptions {
  /** Wait this long for a lock held by another process before failing (ms). Default 2000. */
  busyTimeout?: number;
}

export class HistoryDb {
  readonly file: string;
  readonly #db: Database.Database;
  readonly #stmts: ReturnType<HistoryDb["prepare"]>;
  #minSeq = 0;
  #maxSeq = 0;
  /** A held transaction is open (hold()). */
  #held = false;
  /** About how many rows wait in fts_pending (a hint for batching: search() checks the table itself). */
  #ftsPending = 0;

  static open(dataDir: string, opts: OpenOptions = {}): HistoryDb {
    const dir = path.join(dataDir, HISTORY_DIR);
    const file = path.join(dir, HISTORY_FILE);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.chmodSync(dir, 0o700);
      // Create the file 0600 ourselves: SQLite gives its -wal and -shm files the database's mode.
      fs.closeSync(fs.openSync(file, "a", 0o600));
      fs.chmodSync(file, 0o600);
    } catch (err) {
      throw new ConfigError(`cannot create the history database ${file}: ${(err as Error).message}`, { path: file }, { cause: err });
    }
    return new HistoryDb(file, opts);
  }

  constructor(file: string, opts: OpenOptions = {}) {
    this.file = file;
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: opts.busyTimeout ?? 2000 });
      // Reading the header first: a file that is not a database fails here, before anything is written.
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new ConfigError(`the history database ${file} has schema version ${version}, newer than this jabterm knows (${SCHEMA_VERSION}): upgrade jabterm`, { path: file, version });
      }
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      // Checkpoint every 4,000 WAL pages (16 MB) instead of SQLite's 1,000: a stored message dirties
      // random leaves of the id indexes, and in a longer WAL the same pages recur, so a checkpoint
      // copies each once instead of once per 1,000 frames (measured: ~8 -> ~4 µs of CPU per live
      // message; fewer, somewhat longer checkpoint pauses). Durability is unchanged.
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT}`);
      this.#db = db;
      this.#migrate(version);
      // Take the write lock once now: a database another process holds fails here, at start-up.
      db.exec("BEGIN IMMEDIATE");
      db.exec("COMMIT");
      // The two scans below read every page, then a whole index: through a 1 MB page cache, or
      // they would fill the 16 MB one better-sqlite3 builds SQLite with from any larger database,
      // and that memory stays with the process. The usual size is back for everything after.
      const cacheSize = db.pragma("cache_size", { simple: true }) as number;
      db.pragma("cache_size = -1000");
      // A damaged page anywhere in the schema shows up here rather than at the first search.
      const check = db.pragma("quick_check(1)", { simple: true });
      if (check !== "ok") throw Object.assign(new Error(String(check)), { code: "SQLITE_CORRUPT" });
      this.#stmts = this.prepare();
      const seqs = db.prepare("SELECT min(seq) AS lo, max(seq) AS hi FROM messages").get() as { lo: number | null; hi: number | null };
      db.pragma(`cache_size = ${cacheSize}`);
      this.#minSeq = seqs.lo ?? 0;
      this.#maxSeq = seqs.hi ?? 0;
      this.#ftsPending = (db.prepare("SELECT count(*) AS n FROM fts_pending").get() as { n: number }).n;
    } catch (err) {
      try {
        db?.close();
      } catch {
        // already failed
      }
      throw historyError(file, err);
    }
    for (const suffix of ["-wal", "-shm"]) {
      try {
        fs.chmodSync(file + suffix, 0o600);
      } catch {
        // not there (yet)
      }
    }
  }

  #migrate(from: number): void {
    for (let v = from; v < MIGRATIONS.length; v++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[v]!);
        this.#db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  get schemaVersion(): number {
    this.#settle();
    return this.#db.pragma("user_version", { simple: true }) as number;
  }

  private prepare() {
    const d = this.#db;
    return {
      byStanzaId: d.prepare<[string, string], Row>("SELECT * FROM messages WHERE account = ? AND stanza_id = ?"),
      byId: d.prepare<[string, string], Row>("SELECT * FROM messages WHERE account = ? AND id = ? ORDER BY row DESC LIMIT 20"),
      insert: d.prepare(
        `INSERT INTO messages (account, peer, direction, sender, sender_bare, recipient, id, id_kind, wire_id, stanza_id, stanza_id_by, type, body, subject, thread, time, delay, ts, state, error, corrections, encryption, verified, carbon, flags, source, seq)
         VALUES (@account, @peer, @direction, @sender, @sender_bare, @recipient, @id, @id_kind, @wire_id, @stanza_id, @stanza_id_by, @type, @body, @subject, @thread, @time, @delay, @ts, @state, @error, @corrections, @encryption, @verified, @carbon, @flags, @source, @seq)`,
      ),
      setStanzaId: d.prepare("UPDATE messages SET stanza_id = ?, stanza_id_by = ? WHERE row = ? AND stanza_id IS NULL"),
      setState: d.prepare("UPDATE messages SET state = ?, error = ? WHERE account = ? AND id = ? AND direction = 'out'"),
      setBody: d.prepare("UPDATE messages SET body = ?, corrections = ?, flags = ? WHERE row = ?"),
      outboxPut: d.prepare("INSERT INTO outbox (id, account, state, data, updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state, data = excluded.data, updated = excluded.updated"),
      outboxDelete: d.prepare("DELETE FROM outbox WHERE id = ?"),
      outboxAll: d.prepare<[], { data: string }>("SELECT data FROM outbox ORDER BY rowid"),
      archiveGet: d.prepare<[string, string], { last_id: string | null; oldest_id: string | null; seeded: string | null; complete: number }>("SELECT last_id, oldest_id, seeded, complete FROM archive WHERE account = ? AND archive = ?"),
      archiveLast: d.prepare("INSERT INTO archive (account, archive, last_id) VALUES (?, ?, ?) ON CONFLICT(account, archive) DO UPDATE SET last_id = excluded.last_id"),
      archivePut: d.prepare(
        "INSERT INTO archive (account, archive, last_id, oldest_id, seeded, complete) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(account, archive) DO UPDATE SET last_id = excluded.last_id, oldest_id = excluded.oldest_id, seeded = excluded.seeded, complete = excluded.complete",
      ),
      before: d.prepare<[string, string, string, string, number, number], Row>(
        "SELECT * FROM messages WHERE account = ? AND peer = ? AND (ts < ? OR (ts = ? AND seq < ?)) ORDER BY ts DESC, seq DESC LIMIT ?",
      ),
      latest: d.prepare<[string, string, number], Row>("SELECT * FROM messages WHERE account = ? AND peer = ? ORDER BY ts DESC, seq DESC LIMIT ?"),
      conversation: d.prepare<[string, string], Row>("SELECT * FROM messages WHERE account = ? AND peer = ? ORDER BY ts, seq"),
      get: d.prepare<[number], Row>("SELECT * FROM messages WHERE row = ?"),
      newestTs: d.prepare<[string], { ts: string | null }>("SELECT max(ts) AS ts FROM messages WHERE account = ?"),
      ftsAny: d.prepare<[], { row: number }>("SELECT row FROM fts_pending LIMIT 1"),
      ftsIndex: d.prepare("INSERT INTO messages_fts(rowid, body) SELECT m.row, m.body FROM fts_pending p JOIN messages m ON m.row = p.row"),
      ftsDone: d.prepare("DELETE FROM fts_pending"),
    };
  }

  // -- held transaction (group commit) ----------------------------------------------------------

  /**
   * Open a transaction that the following record() and setArchiveLastId() calls join, until
   * commitHeld() commits it; any other use of the database commits it first. The caller decides
   * when holding is safe (History, during one socket read: see group-commit.ts). Inside another
   * transaction this does nothing (the writes join that one).
   */
  hold(): void {
    // (Held but no transaction any more: a failed write made SQLite roll it back, and was reported.)
    if (this.#db.inTransaction) return;
    this.#db.exec("BEGIN IMMEDIATE");
    this.#held = true;
  }

  /** Commit the held transaction (a failed commit is rolled back and thrown). */
  commitHeld(): void {
    if (!this.#held) return;
    this.#held = false;
    if (!this.#db.inTransaction) throw new Error("a failed write rolled back the messages held since the start of this socket read");
    try {
      this.#db.exec("COMMIT");
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  #settle(): void {
    if (this.#held) this.commitHeld();
  }

  /** Run `fn` in one transaction (a page of archive results, a benchmark batch). */
  transaction<T>(fn: () => T): T {
    this.#settle();
    return this.#db.transaction(fn)();
  }

  /** The stored message this one duplicates, if any (see the rules at the top). */
  findDuplicate(m: StoredMessage): Row | undefined {
    this.#settle();
    return this.#findDuplicate(m);
  }

  #findDuplicate(m: StoredMessage): Row | undefined {
    const s = this.#stmts;
    if (m.stanzaId) {
      const hit = s.byStanzaId.get(m.account, m.stanzaId);
      if (hit) return hit;
    }
    if (m.idKind === "random") return undefined;
    const senderBare = bare(m.from);
    for (const r of s.byId.all(m.account, m.id)) {
      if (r.peer !== m.peer || r.direction !== m.direction || bare(r.sender) !== senderBare) continue;
      // The same text (or an earlier version of it, before a correction): a sender reusing an id
      // for another text still gets both shown.
      if (r.body !== m.body && !(r.corrections && (JSON.parse(r.corrections) as string[]).includes(m.body))) continue;
      // An origin-id is the sender's promise of one message: a resend archived twice is still one.
      if (m.idKind === "origin" && r.id_kind === "origin") return r;
      // A stanza id attribute is weaker: not when the archive says they are two messages.
      if (!(m.stanzaId && r.stanza_id && m.stanzaId !== r.stanza_id)) return r;
    }
    return undefined;
  }

  /**
   * Store a message unless it is already there. A duplicate that brings the archive id we lacked
   * fills it in (so the archive's copy is recognised later). Order within one timestamp (archives
   * stamp whole seconds) is arrival order; `prepend` puts it before everything already stored
   * (older pages fetched backwards: record them newest first).
   */
  record(m: StoredMessage, placement: "append" | "prepend" = "append"): RecordResult {
    const dup = this.#findDuplicate(m);
    if (dup) {
      if (m.stanzaId && !dup.stanza_id) this.#stmts.setStanzaId.run(m.stanzaId, m.stanzaIdBy ?? null, dup.row);
      return { inserted: false, row: dup.row };
    }
    const info = this.#stmts.insert.run({
      account: m.account,
      peer: m.peer,
      direction: m.direction,
      sender: m.from,
      sender_bare: bare(m.from),
      recipient: m.to,
      id: m.id,
      id_kind: m.idKind,
      wire_id: m.wireId ?? null,
      stanza_id: m.stanzaId ?? null,
      stanza_id_by: m.stanzaId ? (m.stanzaIdBy ?? null) : null,
      type: m.type,
      body: m.body,
      subject: m.subject ?? null,
      thread: m.thread ?? null,
      time: m.time,
      delay: m.delay ?? null,
      ts: m.delay ?? m.time,
      state: m.state ?? null,
      error: m.error ? JSON.stringify(m.error) : null,
      corrections: m.corrections?.length ? JSON.stringify(m.corrections) : null,
      encryption: m.encryption ?? null,
      verified: m.verified ?? null,
      carbon: m.carbon ?? null,
      flags: (m.me ? FLAG_ME : 0) | (m.markable ? FLAG_MARKABLE : 0),
      source: m.source,
      seq: placement === "prepend" ? --this.#minSeq : ++this.#maxSeq,
    });
    if (++this.#ftsPending >= FTS_BATCH) this.indexPending();
    return { inserted: true, row: Number(info.lastInsertRowid) };
  }

  /** Put the messages waiting for the full-text index into it: one statement, so one new index segment. */
  indexPending(): void {
    if (!this.#stmts.ftsAny.get()) {
      this.#ftsPending = 0;
      return;
    }
    // Both or neither: a row indexed twice would damage the index. (Inside a held transaction: part of it.)
    this.#db.transaction(() => {
      this.#stmts.ftsIndex.run();
      this.#stmts.ftsDone.run();
    })();
    this.#ftsPending = 0;
  }

  /** XEP-0308: message `id` of the conversation now reads `body` (the old text joins its corrections). */
  correct(account: string, peer: string, id: string, body: string): boolean {
    this.#settle();
    const r = this.#stmts.byId.all(account, id).find((x) => x.peer === peer) ?? this.#byWireId(account, peer, id);
    if (!r || r.body === body) return false;
    const corrections = [...(r.corrections ? (JSON.parse(r.corrections) as string[]) : []), r.body];
    const flags = body.startsWith("/me ") ? r.flags | FLAG_ME : r.flags & ~FLAG_ME;
    this.#stmts.setBody.run(body, JSON.stringify(corrections), flags, r.row);
    return true;
  }

  #byWireId(account: string, peer: string, wireId: string): Row | undefined {
    return this.#db.prepare<[string, string, string], Row>("SELECT * FROM messages WHERE account = ? AND peer = ? AND wire_id = ? ORDER BY row DESC LIMIT 1").get(account, peer, wireId);
  }

  setState(account: string, id: string, state: string, error?: { condition: string; text?: string }): void {
    this.#settle();
    this.#stmts.setState.run(state, error ? JSON.stringify(error) : null, account, id);
  }

  get(row: number): StoredMessage | undefined {
    this.#settle();
    const r = this.#stmts.get.get(row);
    return r ? fromRow(r) : undefined;
  }

  /**
   * Up to `limit` messages of a conversation older than `before` (a stored message; none: the
   * newest), oldest first.
   */
  page(account: string, peer: string, limit: number, before?: { ts: string; seq: number }): StoredMessage[] {
    this.#settle();
    const rows = before ? this.#stmts.before.all(account, peer, before.ts, before.ts, before.seq, limit) : this.#stmts.latest.all(account, peer, limit);
    return rows.reverse().map(fromRow);
  }

  /** Where a message is in a conversation's order (for `page`'s `before`). */
  position(account: string, peer: string, id: string): { ts: string; seq: number } | undefined {
    this.#settle();
    const r = this.#stmts.byId.all(account, id).find((x) => x.peer === peer);
    return r ? { ts: r.delay ?? r.time, seq: r.seq } : undefined;
  }

  /** Where stored message `row` is, for `page`'s `before`; `inclusive`: just after it. */
  positionOfRow(row: number, inclusive = false): { ts: string; seq: number } | undefined {
    this.#settle();
    const r = this.#stmts.get.get(row);
    return r ? { ts: r.delay ?? r.time, seq: r.seq + (inclusive ? 1 : 0) } : undefined;
  }

  /** The archive id of the oldest stored message of a conversation that has one (where paging back continues). */
  oldestArchiveId(account: string, peer: string): string | undefined {
    this.#settle();
    const r = this.#db.prepare<[string, string], { stanza_id: string }>("SELECT stanza_id FROM messages WHERE account = ? AND peer = ? AND stanza_id IS NOT NULL ORDER BY ts, seq LIMIT 1").get(account, peer);
    return r?.stanza_id;
  }

  /** The archive id of the newest stored message of a conversation stamped by `by` (a room's archive: where its catch-up continues). */
  newestArchiveId(account: string, peer: string, by: string): string | undefined {
    this.#settle();
    const r = this.#db.prepare<[string, string, string], { stanza_id: string }>("SELECT stanza_id FROM messages WHERE account = ? AND peer = ? AND stanza_id IS NOT NULL AND stanza_id_by = ? ORDER BY ts DESC, seq DESC LIMIT 1").get(account, peer, by.toLowerCase());
    return r?.stanza_id;
  }

  /** Message `id` of a conversation got its archive id (a room's reflection of ours): stored unless it has one. */
  setArchiveId(account: string, peer: string, id: string, stanzaId: string, by: string): void {
    this.#settle();
    const r = this.#stmts.byId.all(account, id).find((x) => x.peer === peer);
    if (r && !r.stanza_id && !this.#stmts.byStanzaId.get(account, stanzaId)) this.#stmts.setStanzaId.run(stanzaId, by.toLowerCase(), r.row);
  }

  conversation(account: string, peer: string): StoredMessage[] {
    this.#settle();
    return this.#stmts.conversation.all(account, peer).map(fromRow);
  }

  /** Conversations with stored messages: [account, peer, count]. */
  conversations(account?: string): { account: string; peer: string; count: number }[] {
    this.#settle();
    const sql = `SELECT account, peer, count(*) AS count FROM messages ${account ? "WHERE account = ?" : ""} GROUP BY account, peer ORDER BY account, peer`;
    const stmt = this.#db.prepare<unknown[], { account: string; peer: string; count: number }>(sql);
    return account ? stmt.all(account) : stmt.all();
  }

  count(): number {
    this.#settle();
    return (this.#db.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n;
  }

  newestTime(account: string): string | undefined {
    this.#settle();
    return this.#stmts.newestTs.get(account)?.ts ?? undefined;
  }

  /** Full-text search, newest first. */
  search(q: SearchQuery): SearchHit[] {
    this.#settle();
    const match = ftsQuery(q.text);
    if (!match) return [];
    this.indexPending();
    const where = ["messages_fts MATCH @match"];
    const params: Record<string, unknown> = { match, limit: q.limit ?? 50 };
    if (q.account) (where.push("m.account = @account"), (params.account = q.account));
    if (q.peer) (where.push("m.peer = @peer"), (params.peer = q.peer.toLowerCase()));
    if (q.from) (where.push("m.sender_bare = @from"), (params.from = bare(q.from)));
    if (q.since) (where.push("m.ts >= @since"), (params.since = q.since));
    if (q.until) (where.push("m.ts < @until"), (params.until = q.until));
    // Walk the index newest-stored first and stop at the limit (ordering every match by time would
    // cost a sort of all of them: a common word over a million messages); the page is then in time order.
    const sql = `SELECT m.row, m.account, m.peer, m.sender, m.direction, m.id, m.ts, m.seq, m.body
      FROM messages_fts JOIN messages m ON m.row = messages_fts.rowid
      WHERE ${where.join(" AND ")} ORDER BY messages_fts.rowid DESC LIMIT @limit`;
    type Hit = { row: number; account: string; peer: string; sender: string; direction: "in" | "out"; id: string; ts: string; seq: number; body: string };
    try {
      return this.#db
        .prepare<Record<string, unknown>, Hit>(sql)
        .all(params)
        .sort((a, b) => b.ts.localeCompare(a.ts) || b.seq - a.seq)
        .map((h) => ({ row: h.row, account: h.account, peer: h.peer, from: h.sender, direction: h.direction, id: h.id, time: h.ts, body: h.body, snippet: snippet(h.body, q.text) }));
    } catch (err) {
      throw historyError(this.file, err);
    }
  }

  /** Delete a conversation's history (or an account's, or everything). Returns how many messages went. */
  clear(account?: string, peer?: string): number {
    const where: string[] = [];
    const args: string[] = [];
    if (account) (where.push("account = ?"), args.push(account));
    if (peer) (where.push("peer = ?"), args.push(peer));
    const cond = where.length ? `WHERE ${where.join(" AND ")}` : "";
    return this.transaction(() => {
      const n = this.#db.prepare(`DELETE FROM messages ${cond}`).run(...args).changes;
      if (!peer) this.#db.prepare(`DELETE FROM archive ${account ? "WHERE account = ?" : ""}`).run(...(account ? [account] : []));
      return n;
    });
  }

  /** Delete messages older than `cutoff` (ISO) of an account (optionally one conversation, or all but `except`). */
  prune(cutoff: string, account?: string, peer?: string, except: string[] = []): number {
    this.#settle();
    const where = ["ts < ?"];
    const args: string[] = [cutoff];
    if (account) (where.push("account = ?"), args.push(account));
    if (peer) (where.push("peer = ?"), args.push(peer));
    if (except.length) (where.push(`peer NOT IN (${except.map(() => "?").join(",")})`), args.push(...except));
    return this.#db.prepare(`DELETE FROM messages WHERE ${where.join(" AND ")}`).run(...args).changes;
  }

  setRetention(account: string, peer: string, days: number | undefined): void {
    this.#settle();
    if (days === undefined) this.#db.prepare("DELETE FROM retention WHERE account = ? AND peer = ?").run(account, peer);
    else this.#db.prepare("INSERT INTO retention (account, peer, days) VALUES (?, ?, ?) ON CONFLICT(account, peer) DO UPDATE SET days = excluded.days").run(account, peer, days);
  }

  retentions(account?: string): { account: string; peer: string; days: number }[] {
    this.#settle();
    const stmt = this.#db.prepare<unknown[], { account: string; peer: string; days: number }>(`SELECT account, peer, days FROM retention ${account ? "WHERE account = ?" : ""}`);
    return account ? stmt.all(account) : stmt.all();
  }

  // -- archive positions ------------------------------------------------------------------------

  archiveState(account: string, archive: string): ArchiveState | undefined {
    this.#settle();
    const r = this.#stmts.archiveGet.get(account, archive);
    if (!r) return undefined;
    const s: ArchiveState = {};
    if (r.seeded) s.seeded = r.seeded;
    if (r.last_id) s.lastId = r.last_id;
    if (r.oldest_id) s.oldestId = r.oldest_id;
    if (r.complete) s.complete = true;
    return s;
  }

  setArchiveState(account: string, archive: string, s: ArchiveState): void {
    this.#settle();
    this.#stmts.archivePut.run(account, archive, s.lastId ?? null, s.oldestId ?? null, s.seeded ?? null, s.complete ? 1 : 0);
  }

  /** The archive position moved on to `lastId` (a live message with its id): the rest of the state stays. */
  setArchiveLastId(account: string, archive: string, lastId: string): void {
    this.#stmts.archiveLast.run(account, archive, lastId);
  }

  // -- OpenPGP replay memory ----------------------------------------------------------------------

  /** The message id a ciphertext (by hash) first came with, if it came before. */
  ciphertextSeen(hash: string): string | undefined {
    this.#settle();
    const r = this.#db.prepare("SELECT id FROM seen_ciphertexts WHERE hash = ?").get(hash) as { id: string } | undefined;
    return r?.id;
  }

  /** Remember a ciphertext's first id; the oldest beyond SEEN_CIPHERTEXTS_MAX are forgotten. */
  noteCiphertext(hash: string, id: string, now: Date = new Date()): void {
    this.#settle();
    const r = this.#db.prepare("INSERT OR IGNORE INTO seen_ciphertexts (hash, id, seen) VALUES (?, ?, ?)").run(hash, id, now.toISOString());
    if (r.changes && Number(r.lastInsertRowid) % 1000 === 0) {
      this.#db.prepare("DELETE FROM seen_ciphertexts WHERE rowid <= (SELECT max(rowid) FROM seen_ciphertexts) - ?").run(SEEN_CIPHERTEXTS_MAX);
    }
  }

  // -- outbox -----------------------------------------------------------------------------------

  /**
   * The outbox entries to take up again. Acknowledged ones are kept a day (a receipt or marker may
   * still come for them), then leave the outbox table (their message rows stay).
   */
  outboxLoad(now: Date = new Date()): OutgoingMessage[] {
    this.#settle();
    this.#db.prepare("DELETE FROM outbox WHERE state = 'acked' AND updated < ?").run(new Date(now.getTime() - 86_400_000).toISOString());
    return this.#stmts.outboxAll.all().map((r) => JSON.parse(r.data) as OutgoingMessage);
  }

  /** Keep an outbox entry (finished ones leave the outbox table; their message row keeps the state). */
  outboxPut(msg: OutgoingMessage): void {
    this.#settle();
    if (OUTBOX_DONE.has(msg.state)) this.#stmts.outboxDelete.run(msg.id);
    else this.#stmts.outboxPut.run(msg.id, msg.account, msg.state, JSON.stringify(msg), new Date().toISOString());
  }

  /** Size of the database files in bytes (db + WAL). */
  sizeOnDisk(): number {
    this.#settle();
    let n = 0;
    for (const suffix of ["", "-wal"]) {
      try {
        n += fs.statSync(this.file + suffix).size;
      } catch {
        // no WAL
      }
    }
    return n;
  }

  checkpoint(): void {
    this.#settle();
    this.#db.pragma("wal_checkpoint(TRUNCATE)");
  }

  close(): void {
    if (!this.#db.open) return;
    this.#settle();
    try {
      this.indexPending();
    } catch {
      // indexed at the next search instead
    }
    this.#db.close();
  }
}
