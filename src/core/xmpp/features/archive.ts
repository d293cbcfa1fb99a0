/**
 * The server archive (XEP-0313 MAM v2, paged with XEP-0059 RSM), feeding the history store:
 * - catch-up on every fresh session (not a resumed one: nothing was missed), forward from the last
 *   archive id we hold, page by page until the archive says complete; messages that arrive live
 *   meanwhile are merged (the history store recognises the archive's copy by its stanza-id);
 * - older pages on demand (`loadOlder`): first from the local store, then from the archive;
 * - archive preferences (`prefs`);
 * - results are accepted only for a query we have open, from the archive we asked, before its
 *   <fin/>: anything else is dropped with a `warning` event (forged_archive_result).
 * A server without MAM (an error reply to the query) ends catch-up quietly: local history still works.
 */
import { JabtermError, StanzaError, errorInfo } from "../../errors.js";
import { bareJid, sameBareJid, tryParseJid } from "../../jid.js";
import { toChatMessage as storedToChat } from "../../history/history.js";
import {
  buildMamQuery,
  buildPrefsGet,
  buildPrefsSet,
  fromArchive,
  newQueryId,
  parseFin,
  parsePrefs,
  parseResult,
  type MamFin,
  type MamPrefs,
  type MamQuery,
  type MamResult,
} from "../../history/mam.js";
import type { StoredMessage } from "../../history/db.js";
import { parseMessage } from "../../messaging/stanzas.js";
import { getConversation } from "../../store/slices/conversations.js";
import type { ChatMessage } from "../../store/types.js";
import type { Account } from "../account.js";
import type { XmlElement } from "../transport/xml.js";
import { idKindOf, messageView, toChatMessage } from "./chat.js";
import { NS } from "../ns.js";
import type { FeatureContext } from "./types.js";

/** Page size asked of the archive (servers may send fewer: Prosody's default cap is 50). */
export const MAM_PAGE = 100;
/** Messages fetched on a first catch-up (no archive position yet): the last page, kept as history. */
export const FIRST_PAGE = 50;
/** Pages one catch-up fetches at most (a runaway or hostile archive cannot keep us busy forever). */
export const MAX_CATCHUP_PAGES = 1000;

const UNSUPPORTED = new Set(["feature-not-implemented", "service-unavailable", "not-allowed", "bad-request"]);

interface OpenQuery {
  account: string;
  archive: string;
  results: MamResult[];
}

export interface CatchUpResult {
  account: string;
  /** Messages new to the store. */
  messages: number;
  pages: number;
  ms: number;
  /** false: the server has no archive (or refused); nothing was fetched. */
  available: boolean;
}

export interface OlderResult {
  account: string;
  peer: string;
  /** Messages added to the conversation, from the local store and from the archive. */
  local: number;
  archive: number;
  /** The archive has nothing older (or there is no archive). */
  complete: boolean;
}

/** Rooms whose archives we read (MUC MAM): set by the room feature. */
export interface RoomArchives {
  /** Whether `peer` is a room whose archive we read. */
  has(account: string, peer: string): boolean;
  /** Store an older result of the room's archive (not shown: paging back shows stored rows); whether it was new. */
  storeOlder(account: string, room: string, r: MamResult, now: Date): boolean;
}

export class Archive {
  readonly #ctx: FeatureContext;
  /** Room archives (the room feature sets this): paging back in a room reads the room's archive. */
  rooms: RoomArchives | undefined;
  readonly #open = new Map<string, OpenQuery>();
  /** Accounts whose catch-up finished in the current session: live archive ids move the position on. */
  readonly #caughtUp = new Set<string>();
  readonly #generation = new Map<string, number>();
  #stopped = false;

  constructor(ctx: FeatureContext) {
    this.#ctx = ctx;
  }

  /** The client is shutting down: running catch-ups end quietly, the database is about to close. */
  stop(): void {
    this.#stopped = true;
  }

  get #history() {
    return this.#ctx.history!;
  }

  /** A message stanza that is a MAM result: taken when it answers an open query, else dropped. Returns whether it was one. */
  onStanza(account: string, stanza: XmlElement): boolean {
    const r = parseResult(stanza);
    if (!r) return false;
    const q = this.#open.get(r.queryid);
    const own = this.#ctx.ownJid(account);
    if (!q || q.account !== account || !fromArchive(stanza.attrs.from, q.archive, own) || !r.id) {
      const reason = !q || q.account !== account ? "no such query is open" : !r.id ? "no archive id" : `not from the archive asked (${q.archive})`;
      this.#ctx.log.warn(`account ${account}: dropped an archive result from ${stanza.attrs.from ?? "(no from)"}: ${reason}`);
      this.#ctx.publish("warning", { account, code: "forged_archive_result", text: `dropped an archive result from ${stanza.attrs.from ?? "(no from)"}: ${reason}`, from: stanza.attrs.from ?? null });
      return true;
    }
    q.results.push(r);
    return true;
  }

  /** One query: the results it got (accepted ones only) and its <fin/>. */
  async query(acct: Account, archive: string, q: Omit<MamQuery, "queryid">): Promise<{ results: MamResult[]; fin: MamFin }> {
    const queryid = newQueryId();
    const open: OpenQuery = { account: acct.name, archive, results: [] };
    this.#open.set(queryid, open);
    try {
      const own = bareJid(this.#ctx.ownJid(acct.name));
      const iq = await acct.request("set", buildMamQuery({ ...q, queryid }), sameBareJid(archive, own) ? undefined : archive, 30_000);
      const fin = parseFin(iq) ?? { complete: true };
      await this.#openEncrypted(acct.name, open.results);
      return { results: open.results, fin };
    } finally {
      // Closed at its end: a result after the <fin/> is not ours any more.
      this.#open.delete(queryid);
    }
  }

  /** A live message with the archive's id: once caught up, the archive position follows it. */
  noteLive(account: string, stanzaId: string): void {
    if (!this.#caughtUp.has(account)) return;
    // One statement, no read first: this runs for every live message.
    this.#history.db.setArchiveLastId(account, bareJid(this.#ctx.ownJid(account)), stanzaId);
  }

  /**
   * Encrypted archived messages are opened as live ones are (chat.ts): the strategy decides what
   * they say and how far they are verified; their plaintext fallback body is never taken as text.
   */
  async #openEncrypted(account: string, results: MamResult[]): Promise<void> {
    const own = this.#ctx.ownJid(account);
    for (const r of results) {
      const el = r.message;
      const strategy = el.attrs.type === "error" || el.attrs.type === "groupchat" ? undefined : this.#ctx.encryption.detect(el);
      if (!strategy) continue;
      const from = el.attrs.from ?? bareJid(own);
      // Ours (sent from any device) was addressed to the peer, not to us.
      const recipient = sameBareJid(from, own) && el.attrs.to ? el.attrs.to : own;
      r.opened = await strategy.decrypt(account, el, { from, own: recipient, id: el.getChild("origin-id", NS.sid)?.attrs.id ?? el.attrs.id, delay: r.stamp });
    }
  }

  /** Store one archive result; returns the message when it is new (not already stored). */
  #store(account: string, r: MamResult, now: Date, placement: "append" | "prepend" = "append"): { peer: string; message: ChatMessage; inserted: boolean } | undefined {
    const own = this.#ctx.ownJid(account);
    const el = r.message;
    const msg = parseMessage(account, own, el, now, r.opened ? (r.opened.body ?? "") : undefined);
    if (!msg || msg.type === "error" || msg.type === "groupchat" || !tryParseJid(msg.from)) return undefined;
    const direction = sameBareJid(msg.from, own) ? "out" : "in";
    const peerJid = direction === "out" ? msg.to : msg.from;
    if (!tryParseJid(peerJid)) return undefined;
    const peer = bareJid(peerJid);
    const message = toChatMessage(msg, direction, undefined, now, r.opened);
    // The archive's id is the stanza-id; its stamp is when the message was sent.
    message.stanzaId = r.id;
    if (r.stamp) {
      message.time = r.stamp;
      message.delay ??= r.stamp;
    }
    if (msg.replace) {
      const applied = this.#history.db.correct(account, peer, msg.replace, this.#history.storedBody(message));
      if (applied) return undefined;
    }
    const rec = this.#history.db.record(this.#history.toRow(account, peer, message, idKindOf(el), "mam"), placement);
    return { peer, message, inserted: rec.inserted };
  }

  /**
   * Catch up with the account's own archive (a fresh session). New messages are stored and shown
   * (`message` events with `archived: true`); at the end an `archive_catchup` event.
   */
  async catchUp(acct: Account): Promise<CatchUpResult> {
    const started = Date.now();
    const account = acct.name;
    const gen = (this.#generation.get(account) ?? 0) + 1;
    this.#generation.set(account, gen);
    this.#caughtUp.delete(account);
    const db = this.#history.db;
    const archive = bareJid(this.#ctx.ownJid(account));
    const out: CatchUpResult = { account, messages: 0, pages: 0, ms: 0, available: true };
    let state = db.archiveState(account, archive);
    try {
      if (!state) {
        // First time: the last page only, kept as history (not shown as news).
        const { results, fin } = await this.query(acct, archive, { max: FIRST_PAGE, before: "" });
        if (this.#stopped) return { ...out, ms: Date.now() - started };
        out.pages++;
        const now = new Date();
        db.transaction(() => {
          for (const r of results) this.#store(account, r, now);
        });
        state = { seeded: now.toISOString() };
        if (fin.last ?? results.at(-1)?.id) state.lastId = fin.last ?? results.at(-1)!.id;
        db.setArchiveState(account, archive, state);
      } else {
        let after = state.lastId;
        let start = after ? undefined : (state.seeded ?? db.newestTime(account));
        for (let page = 0; page < MAX_CATCHUP_PAGES; page++) {
          if (this.#stopped || this.#generation.get(account) !== gen || !acct.online) return { ...out, ms: Date.now() - started };
          let res: { results: MamResult[]; fin: MamFin };
          try {
            res = await this.query(acct, archive, after ? { max: MAM_PAGE, after } : { max: MAM_PAGE, start });
            if (this.#stopped) return { ...out, ms: Date.now() - started };
          } catch (err) {
            // Our position expired from the archive: go by time from our newest message.
            if (err instanceof StanzaError && err.condition === "item-not-found" && after) {
              after = undefined;
              start = db.newestTime(account) ?? state.seeded;
              continue;
            }
            throw err;
          }
          out.pages++;
          const now = new Date();
          const fresh: { peer: string; message: ChatMessage }[] = [];
          db.transaction(() => {
            for (const r of res.results) {
              const s = this.#store(account, r, now);
              if (s?.inserted) fresh.push(s);
            }
          });
          const last = res.fin.last ?? res.results.at(-1)?.id;
          if (last) {
            after = last;
            state = { ...state, lastId: last };
            db.setArchiveState(account, archive, state);
          }
          this.#show(account, fresh);
          out.messages += fresh.length;
          if (res.fin.complete || res.results.length === 0 || !last) break;
        }
      }
    } catch (err) {
      if (this.#stopped) return { ...out, ms: Date.now() - started };
      if (err instanceof StanzaError && UNSUPPORTED.has(err.condition)) {
        out.available = false;
        this.#ctx.log.info(`account ${account}: no message archive: ${err.message}`);
      } else {
        this.#ctx.publish("error", { account, ...errorInfo(err), during: "archive catch-up" });
        return { ...out, ms: Date.now() - started };
      }
    }
    if (this.#generation.get(account) === gen) this.#caughtUp.add(account);
    out.ms = Date.now() - started;
    this.#ctx.publish("archive_catchup", { account, messages: out.messages, pages: out.pages, ms: out.ms, available: out.available });
    return out;
  }

  /** A page of new messages: one batch into the store (subscribers hear once), then one event each. */
  #show(account: string, fresh: { peer: string; message: ChatMessage }[]): void {
    if (fresh.length === 0) return;
    this.#ctx.store.batch(fresh.map(({ peer, message }) => ({ type: "conversations/message" as const, account, peer, message })));
    for (const { peer, message } of fresh) {
      this.#ctx.publish("message", { ...messageView(account, message, getConversation(this.#ctx.store.account(account), peer)?.lock), archived: true });
    }
  }

  /**
   * Older messages of a conversation, before the oldest one shown: from the local store first,
   * then (when the store has fewer than `limit`) from the archive (a room's own archive for a
   * room that has one). They go to the front of the conversation.
   */
  async loadOlder(account: string, peer: string, limit = 50, opts: { archive?: boolean } = {}): Promise<OlderResult> {
    const db = this.#history.db;
    const conv = getConversation(this.#ctx.store.account(account), peer);
    // Notices (a room's join and leave lines) are not stored: the oldest message that is.
    const oldest = conv?.messages.find((m) => !m.notice);
    const before = oldest ? db.position(account, peer, oldest.id) : undefined;
    const local = () => (before || !oldest ? db.page(account, peer, limit, before) : []);
    let rows: StoredMessage[] = local();
    let fetched = 0;
    let complete = false;
    const acct = this.#ctx.engine.find(account);
    if (rows.length < limit && opts.archive !== false) {
      if (acct?.online && this.#ctx.settings().mam) {
        // Continue before the oldest archive id we hold; without one, before the oldest message's time.
        const beforeId = db.oldestArchiveId(account, peer);
        const end = rows[0]?.delay ?? rows[0]?.time ?? (oldest ? (oldest.delay ?? oldest.time) : undefined);
        try {
          const rooms = this.rooms?.has(account, peer) ? this.rooms : undefined;
          // A room's archive holds only that room: no `with`.
          const archive = rooms ? peer : bareJid(this.#ctx.ownJid(account));
          const w = rooms ? {} : { with: peer };
          const q: Omit<MamQuery, "queryid"> = beforeId ? { ...w, max: limit, before: beforeId } : end ? { ...w, end, max: limit, before: "" } : { ...w, max: limit, before: "" };
          const { results, fin } = await this.query(acct, archive, q);
          if (this.#stopped) return { account, peer, local: 0, archive: 0, complete: false };
          const now = new Date();
          db.transaction(() => {
            // Newest first, each before everything stored: the page keeps its order within a second.
            for (const r of [...results].reverse()) if (rooms ? rooms.storeOlder(account, peer, r, now) : this.#store(account, r, now, "prepend")?.inserted) fetched++;
          });
          complete = fin.complete;
        } catch (err) {
          if (!(err instanceof StanzaError && UNSUPPORTED.has(err.condition))) throw err;
          complete = true;
        }
        rows = local();
      } else complete = true;
    }
    const messages = rows.map(storedToChat);
    const before2 = getConversation(this.#ctx.store.account(account), peer)?.messages.length ?? 0;
    this.#ctx.store.dispatch({ type: "conversations/older", account, peer, messages });
    const added = (getConversation(this.#ctx.store.account(account), peer)?.messages.length ?? 0) - before2;
    const out: OlderResult = { account, peer, local: Math.max(0, added - fetched), archive: Math.min(fetched, added), complete };
    this.#ctx.publish("history_older", { ...out, added });
    return out;
  }

  /** Read (no change) or set the archive preferences. */
  async prefs(acct: Account, change?: Partial<MamPrefs>): Promise<MamPrefs> {
    const current = parsePrefs(await acct.request("get", buildPrefsGet()));
    if (!current) throw new JabtermError("stanza", "the server's archive preferences could not be read");
    if (!change) return current;
    const next: MamPrefs = { ...current, ...change };
    const reply = await acct.request("set", buildPrefsSet(next));
    return parsePrefs(reply) ?? next;
  }
}

export function installArchive(ctx: FeatureContext): void {
  const history = ctx.history;
  if (!history) return;
  const archive = new Archive(ctx);
  history.archive = archive;
  ctx.onShutdown(() => archive.stop());

  ctx.engine.on("stanza", ({ account, stanza }) => {
    if (stanza.name !== "message") return;
    try {
      archive.onStanza(account, stanza);
    } catch (err) {
      ctx.log.warn(`account ${account}: archive: ${(err as Error).message}`);
    }
  });

  // After initial presence (offline messages come then): both paths meet in the store.
  ctx.onSessionStart(110, "archive catch-up", (account) => {
    if (!ctx.settings().mam) return;
    void archive.catchUp(account).catch((err: unknown) => ctx.publish("error", { account: account.name, ...errorInfo(err), during: "archive catch-up" }));
  });
}
