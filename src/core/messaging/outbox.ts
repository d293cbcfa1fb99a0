/**
 * The outbox: every outgoing message goes through it, and it owns the one delivery-state enum all
 * interfaces show: queued -> sent -> acked (XEP-0198) -> delivered (XEP-0184) -> displayed
 * (XEP-0333), or failed.
 *
 * Rules that keep a message from being lost or sent twice:
 * - A message is stored (OutboxStorage) before it is written anywhere, with a stable id that is
 *   both the stanza id and its origin-id (XEP-0359).
 * - While offline it waits as `queued`; it goes out once when its account comes online.
 * - xmpp.js's stream management re-sends its own unacked queue when a stream is resumed, and emits
 *   `fail` for each stanza it gives up on (resumption refused, or a clean stop). We re-queue only
 *   on `fail` and flush only the `queued` ones on a new session: never both.
 * The storage interface lets the history store make it durable across crashes.
 *
 * A message may carry a XEP-0308 correction (`replaces`) and XEP-0085 <active/>; both are stored
 * with it, so a re-send carries them too. An error reply from the recipient (or its server) fails
 * the message with the RFC 6120 condition, and a later stream-management ack does not undo that.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";

import { JabtermError, StanzaError, errorInfo } from "../errors.js";
import { domainOf, sameBareJid, sameJid, tryParseJid } from "../jid.js";
import { xml, type XmlElement } from "../xmpp/transport/xml.js";
import { NS } from "../xmpp/ns.js";
import type { Ciphertext, EncryptionScheme } from "../crypto/encryption.js";
import { FALLBACK_BODY, encryptedChildren } from "../crypto/stanzas.js";

export const DELIVERY_STATES = ["queued", "sent", "acked", "delivered", "displayed", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

const RANK: Record<DeliveryState, number> = { queued: 0, sent: 1, acked: 2, delivered: 3, displayed: 4, failed: -1 };

export interface OutgoingMessage {
  /** jabterm's stable id: the stanza id and the origin-id. */
  id: string;
  account: string;
  to: string;
  type: "chat" | "normal" | "groupchat";
  body: string;
  state: DeliveryState;
  /** ISO time the user sent it. */
  created: string;
  /** Whether the last write went into a stream-management queue (so an ack will come). */
  awaitingAck?: boolean;
  attempts: number;
  error?: ReturnType<typeof errorInfo>;
  /** XEP-0308: this message corrects our earlier message with this id. */
  replaces?: string;
  /** XEP-0085: carry <active/> (the user's chat-state setting was on). */
  active?: boolean;
  /** End-to-end encrypted: `body` is the plaintext shown here, `ciphertext` what goes on the wire. */
  encryption?: EncryptionScheme;
  ciphertext?: string;
}

/** What a message carries besides its body. */
export interface EnqueueOptions {
  replaces?: string;
  active?: boolean;
  /** Send this ciphertext (and a fallback body) instead of the plaintext body. */
  encrypted?: Ciphertext;
}

/** Where outbox entries live. The default keeps them in memory; the history store persists them. */
export interface OutboxStorage {
  load(): OutgoingMessage[];
  put(msg: OutgoingMessage): void;
}

export class MemoryOutboxStorage implements OutboxStorage {
  readonly #items = new Map<string, OutgoingMessage>();
  load(): OutgoingMessage[] {
    return [...this.#items.values()].map((m) => ({ ...m }));
  }
  put(msg: OutgoingMessage): void {
    this.#items.set(msg.id, { ...msg });
  }
}

/** What the outbox needs from an account (the engine's Account satisfies it). */
export interface OutboxAccount {
  readonly name: string;
  readonly online: boolean;
  readonly streamManagement: boolean;
  send(stanza: XmlElement): Promise<void>;
}

export interface OutboxEvents {
  /** A new outgoing message (state queued). */
  message: [OutgoingMessage];
  /** A message's delivery state changed. */
  state: [OutgoingMessage];
}

export function buildChatStanza(msg: OutgoingMessage): XmlElement {
  const encrypted: Ciphertext | undefined = msg.encryption && msg.ciphertext !== undefined ? { scheme: msg.encryption, data: msg.ciphertext } : undefined;
  return xml(
    "message",
    { to: msg.to, type: msg.type, id: msg.id },
    // An encrypted message carries only a fallback for clients without OpenPGP, never the text.
    xml("body", {}, encrypted ? FALLBACK_BODY[encrypted.scheme] : msg.body),
    encrypted ? encryptedChildren(encrypted) : undefined,
    xml("origin-id", { xmlns: NS.sid, id: msg.id }),
    msg.type !== "groupchat" ? xml("request", { xmlns: NS.receipts }) : undefined,
    xml("markable", { xmlns: NS.markers }),
    msg.active ? xml("active", { xmlns: NS.chatstates }) : undefined,
    msg.replaces ? xml("replace", { xmlns: NS.correct, id: msg.replaces }) : undefined,
  );
}

export class Outbox extends EventEmitter<OutboxEvents> {
  readonly #storage: OutboxStorage;
  readonly #byId = new Map<string, OutgoingMessage>();
  readonly #flushing = new Map<string, Promise<void>>();

  constructor(storage: OutboxStorage = new MemoryOutboxStorage()) {
    super();
    this.#storage = storage;
    for (const m of storage.load()) {
      // After a crash a "sent" message without a server ack may never have arrived: send it again
      // (with the same id, so the peer and the archive can de-duplicate).
      if (m.state === "sent" && m.awaitingAck) m.state = "queued";
      this.#byId.set(m.id, m);
    }
  }

  get(id: string): OutgoingMessage | undefined {
    return this.#byId.get(id);
  }

  all(): OutgoingMessage[] {
    return [...this.#byId.values()];
  }

  /** Messages not yet safely with the server: queued, or written but awaiting the server's ack. */
  pending(account?: string): OutgoingMessage[] {
    return this.all().filter((m) => (!account || m.account === account) && (m.state === "queued" || (m.state === "sent" && m.awaitingAck)));
  }

  /** Queue a message; it is sent at once when the account is online. */
  enqueue(account: OutboxAccount, to: string, body: string, type: OutgoingMessage["type"] = "chat", opts: EnqueueOptions = {}): OutgoingMessage {
    const msg: OutgoingMessage = { id: randomUUID(), account: account.name, to, type, body, state: "queued", created: new Date().toISOString(), attempts: 0 };
    if (opts.replaces) msg.replaces = opts.replaces;
    if (opts.active) msg.active = true;
    if (opts.encrypted) {
      msg.encryption = opts.encrypted.scheme;
      msg.ciphertext = opts.encrypted.data;
    }
    this.#storage.put(msg);
    this.#byId.set(msg.id, msg);
    this.emit("message", { ...msg });
    void this.flush(account);
    return msg;
  }

  #set(msg: OutgoingMessage, patch: Partial<OutgoingMessage>): void {
    const next = { ...msg, ...patch };
    const changed = next.state !== msg.state;
    Object.assign(msg, patch);
    this.#storage.put(msg);
    if (changed) this.emit("state", { ...msg });
  }

  /** Send every queued message of this account, in order (one flush at a time per account). */
  flush(account: OutboxAccount): Promise<void> {
    const running = this.#flushing.get(account.name);
    if (running) return running.then(() => this.flush(account));
    const run = (async () => {
      for (const msg of this.all()) {
        if (msg.account !== account.name || msg.state !== "queued") continue;
        if (!account.online) return;
        try {
          const awaitingAck = account.streamManagement;
          await account.send(buildChatStanza(msg));
          // An ack or receipt may have been handled while the write was pending: never go back.
          if (msg.state === "queued") this.#set(msg, { state: "sent", awaitingAck, attempts: msg.attempts + 1, error: undefined });
        } catch (err) {
          // Offline again, or the socket died mid-write: it stays queued for the next session.
          this.#set(msg, { attempts: msg.attempts + 1, error: errorInfo(err) });
          return;
        }
      }
    })().finally(() => this.#flushing.delete(account.name));
    this.#flushing.set(account.name, run);
    return run;
  }

  /** Stream management acknowledged a stanza. */
  onAck(account: string, stanza: XmlElement): void {
    const msg = this.#match(account, stanza);
    if (!msg) return;
    // The server bounced it (an error reply usually comes before the ack): it stays failed.
    if (msg.state === "failed") this.#set(msg, { awaitingAck: false });
    else if (RANK[msg.state] < RANK.acked) this.#set(msg, { state: "acked", awaitingAck: false });
  }

  /** Stream management gave up on a stanza: queue it again for the next session. */
  onFail(account: string, stanza: XmlElement): void {
    const msg = this.#match(account, stanza);
    if (msg && msg.state === "sent") this.#set(msg, { state: "queued", awaitingAck: false });
  }

  /** A receipt or chat marker from the recipient. */
  onPeerState(account: string, from: string, id: string, state: "delivered" | "displayed"): void {
    const msg = this.#byId.get(id);
    if (!msg || msg.account !== account) return;
    // Only the recipient may confirm (compare bare JIDs: any of its resources).
    if (!sameBareJid(from, msg.to)) return;
    if (RANK[state] > RANK[msg.state]) this.#set(msg, { state, awaitingAck: false });
  }

  /**
   * An error reply (RFC 6120 §8.3) to one of our messages: it failed, with the condition. Only the
   * recipient (any resource), or its domain (a server answering for it), may say so; a message the
   * recipient already confirmed stays as it is. Returns the message when the error was about it.
   */
  onError(account: string, from: string, id: string, error: { condition: string; text?: string; type?: string }): OutgoingMessage | undefined {
    const msg = this.#byId.get(id);
    if (!msg || msg.account !== account || !tryParseJid(from) || !tryParseJid(msg.to)) return undefined;
    if (!sameBareJid(from, msg.to) && !sameJid(from, domainOf(msg.to))) return undefined;
    if (msg.state === "queued" || msg.state === "sent" || msg.state === "acked") {
      this.#set(msg, { state: "failed", awaitingAck: false, error: errorInfo(new StanzaError(error.condition, error.text, error.type)) });
    }
    return msg;
  }

  /** Give up on a message (e.g. at exit): marks it failed. */
  fail(id: string, reason: string): void {
    const msg = this.#byId.get(id);
    if (msg && (msg.state === "queued" || msg.state === "sent")) this.#set(msg, { state: "failed", error: errorInfo(new JabtermError("undelivered", reason)) });
  }

  #match(account: string, stanza: XmlElement): OutgoingMessage | undefined {
    if (stanza.name !== "message" || !stanza.attrs.id) return undefined;
    const msg = this.#byId.get(stanza.attrs.id);
    return msg && msg.account === account ? msg : undefined;
  }
}
