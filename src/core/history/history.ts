/**
 * The history service: the database plus the rules around it that need the client's settings
 * and accounts. It backs the outbox (durable across crashes), records every message before it is
 * shown (chat.ts asks it first; a duplicate is not shown again), stores encrypted messages as a
 * placeholder unless the user opted in, applies retention, and turns stored rows back into the
 * store's ChatMessage.
 */
import type { ConfigStore } from "../config/config.js";
import { errorInfo } from "../errors.js";
import { holdCommit, inRead } from "../group-commit.js";
import type { Logger } from "../logger.js";
import type { OutboxStorage, OutgoingMessage } from "../messaging/outbox.js";
import type { ChatMessage } from "../store/types.js";
import type { Archive, OlderResult } from "../xmpp/features/archive.js";
import { ENCRYPTED_PLACEHOLDER, HistoryDb, type MessageSource, type RecordResult, type StoredMessage } from "./db.js";

export interface HistoryDeps {
  config: ConfigStore;
  log: Logger;
  /** The account's own JID (full when bound). */
  ownJid(account: string): string;
  publish(event: string, fields: Record<string, unknown>): void;
  /**
   * Commit the messages of one socket read together (group-commit.ts). Only safe when the store
   * tells its subscribers in a later turn (notify "frame" or "coalesce"); default off.
   */
  groupCommit?: boolean;
}

const DAY_MS = 86_400_000;

function bare(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}

/** A stored row as the store shows it. */
export function toChatMessage(m: StoredMessage): ChatMessage {
  const c: ChatMessage = { id: m.id, direction: m.direction, from: m.from, to: m.to, type: m.type as ChatMessage["type"], body: m.body, time: m.time };
  if (m.delay) c.delay = m.delay;
  if (m.state) c.state = m.state as ChatMessage["state"];
  if (m.me) c.me = true;
  if (m.corrections?.length) c.corrections = m.corrections;
  if (m.carbon) c.carbon = m.carbon;
  if (m.stanzaId) c.stanzaId = m.stanzaId;
  if (m.wireId) c.wireId = m.wireId;
  if (m.subject !== undefined) c.subject = m.subject;
  if (m.thread) c.thread = m.thread;
  if (m.error) c.error = m.error;
  if (m.encryption) c.encryption = m.encryption;
  if (m.verified) c.verified = m.verified;
  return c;
}

export class History {
  readonly db: HistoryDb;
  /** The server archive (set by the archive feature). */
  archive: Archive | undefined;
  readonly #deps: HistoryDeps;
  #timer: NodeJS.Timeout | undefined;
  readonly #commitHeld = () => {
    try {
      this.db.commitHeld();
    } catch (err) {
      this.#failed("record", err);
    }
  };

  constructor(db: HistoryDb, deps: HistoryDeps) {
    this.db = db;
    this.#deps = deps;
  }

  static open(dataDir: string, deps: HistoryDeps): History {
    return new History(HistoryDb.open(dataDir), deps);
  }

  /** Start the daily retention sweep (and run it once now). */
  startRetention(): void {
    this.applyRetention();
    this.#timer = setInterval(() => this.applyRetention(), DAY_MS);
    this.#timer.unref();
  }

  /** The outbox's storage: every entry written before the message leaves; its message row with it. */
  outboxStorage(): OutboxStorage {
    return {
      load: () => this.db.outboxLoad(),
      put: (m: OutgoingMessage) => {
        this.db.transaction(() => {
          this.db.outboxPut(m);
          if (m.replaces) return; // a correction changes the original's row (chat.ts)
          if (m.state === "queued" && m.attempts === 0) this.db.record(this.#outgoingRow(m));
          else this.db.setState(m.account, m.id, m.state, m.state === "failed" && m.error ? { condition: String(m.error.condition ?? m.error.code), text: m.error.text } : undefined);
        });
      },
    };
  }

  #outgoingRow(m: OutgoingMessage): StoredMessage {
    const row: StoredMessage = {
      account: m.account,
      peer: bare(m.to),
      direction: "out",
      from: this.#deps.ownJid(m.account),
      to: m.to,
      id: m.id,
      idKind: "origin",
      type: m.type,
      body: m.body,
      time: m.created,
      state: m.state,
      source: "sent",
    };
    if (m.body.startsWith("/me ")) row.me = true;
    return row;
  }

  /** The body as stored: encrypted messages only decrypted when the user opted in. */
  storedBody(m: ChatMessage): string {
    return m.encryption && !this.#deps.config.settings().history_store_decrypted ? ENCRYPTED_PLACEHOLDER : m.body;
  }

  /**
   * The row stored for a message. `archive`: whose archive the message's stanza-id is (a room's,
   * MUC MAM); none: our own account's.
   */
  toRow(account: string, peer: string, m: ChatMessage, idKind: StoredMessage["idKind"], source: MessageSource, archive?: string): StoredMessage {
    const row: StoredMessage = { account, peer, direction: m.direction, from: m.from, to: m.to, id: m.id, idKind, type: m.type, body: this.storedBody(m), time: m.time, source };
    if (m.wireId) row.wireId = m.wireId;
    if (m.stanzaId) (row.stanzaId = m.stanzaId), (row.stanzaIdBy = bare(archive ?? this.#deps.ownJid(account)));
    if (m.subject !== undefined) row.subject = m.subject;
    if (m.thread) row.thread = m.thread;
    if (m.delay) row.delay = m.delay;
    if (m.state) row.state = m.state;
    if (m.error) row.error = m.error;
    if (m.corrections?.length) row.corrections = m.corrections;
    if (m.encryption) row.encryption = m.encryption;
    if (m.verified) row.verified = m.verified;
    if (m.carbon) row.carbon = m.carbon;
    if (m.me) row.me = true;
    if (m.markable) row.markable = true;
    return row;
  }

  /**
   * Store a message before it is shown. `inserted: false`: it was already stored (a duplicate
   * from another path): do not show it again. A database failure is reported and the message is
   * shown anyway (losing it from view would be worse). `archive`: the stanza-id is that archive's
   * (a room's), not our own: our own archive position does not follow it. With groupCommit, during
   * a socket read the message (and the archive position it moves) joins the read's transaction,
   * committed before anything can show or acknowledge it (group-commit.ts).
   */
  recordChat(account: string, peer: string, m: ChatMessage, idKind: StoredMessage["idKind"], source: MessageSource, archive?: string): RecordResult {
    try {
      if (this.#deps.groupCommit && inRead()) {
        this.db.hold();
        holdCommit(this.#commitHeld);
      }
      const rec = this.db.record(this.toRow(account, peer, m, idKind, source, archive));
      if (rec.inserted && m.stanzaId && source !== "mam" && archive === undefined) this.archive?.noteLive(account, m.stanzaId);
      return rec;
    } catch (err) {
      this.#failed("record", err);
      return { inserted: true, row: 0 };
    }
  }

  /**
   * Older messages of a conversation before the oldest one shown: the local store first, then the
   * server archive (unless `archive: false`). They go to the front of the conversation in the store.
   */
  async loadOlder(account: string, peer: string, limit = 50, opts: { archive?: boolean } = {}): Promise<OlderResult> {
    if (!this.archive) throw new Error("history is not wired to a client");
    return this.archive.loadOlder(account, peer, limit, opts);
  }

  /** Put the stored messages up to and including `m` (with what came before it) into its conversation. */
  showAround(m: StoredMessage, store: { dispatch(a: { type: "conversations/older"; account: string; peer: string; messages: ChatMessage[] }): void }, context = 30): void {
    const at = this.db.positionOfRow(m.row ?? 0, true);
    const rows = at ? this.db.page(m.account, m.peer, context, at) : [];
    store.dispatch({ type: "conversations/older", account: m.account, peer: m.peer, messages: rows.map(toChatMessage) });
  }

  correct(account: string, peer: string, id: string, body: string): void {
    try {
      this.db.correct(account, peer, id, body);
    } catch (err) {
      this.#failed("correct", err);
    }
  }

  setState(account: string, id: string, state: string): void {
    try {
      this.db.setState(account, id, state);
    } catch (err) {
      this.#failed("state", err);
    }
  }

  #failed(what: string, err: unknown): void {
    this.#deps.log.error(`history: ${what} failed: ${(err as Error).message}`);
    this.#deps.publish("error", { ...errorInfo(err), during: `history ${what}` });
  }

  /** Retention in days for a conversation: its own, else its account's, else the global setting (0: forever). */
  retentionDays(account: string, peer?: string): number {
    if (peer) {
      const own = this.db.retentions(account).find((r) => r.peer === peer);
      if (own) return own.days;
    }
    const acct = this.#deps.config.getAccount(account);
    return acct?.history_retention_days ?? this.#deps.config.settings().history_retention_days;
  }

  /** Delete what is older than its retention. Returns how many messages went. */
  applyRetention(now: Date = new Date()): number {
    let n = 0;
    const cutoff = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
    try {
      const accounts = new Set([...this.#deps.config.accounts().map((a) => a.name), ...this.db.conversations().map((c) => c.account)]);
      for (const account of accounts) {
        const own = this.db.retentions(account);
        for (const r of own) if (r.days > 0) n += this.db.prune(cutoff(r.days), account, r.peer);
        const days = this.retentionDays(account);
        if (days > 0) n += this.db.prune(cutoff(days), account, undefined, own.map((r) => r.peer));
      }
    } catch (err) {
      this.#failed("retention", err);
    }
    if (n > 0) this.#deps.log.info(`history: retention removed ${n} message(s)`);
    return n;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.db.close();
  }
}
