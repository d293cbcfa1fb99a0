/**
 * The composition root: config + engine + store + outbox + protocol features, wired once. Every
 * host (headless mode, the TUI, the control socket, tests) builds the core through `createClient`
 * and listens to its events; none of them touches stanzas.
 */
import { EventEmitter } from "node:events";

import type { ConfigStore } from "./config/config.js";
import { EncryptionRegistry } from "./crypto/encryption.js";
import type { Settings } from "./config/schema.js";
import { Engine } from "./engine.js";
import { errorInfo } from "./errors.js";
import { afterCommit } from "./group-commit.js";
import { History } from "./history/history.js";
import { nullLogger, redactXml, type Logger } from "./logger.js";
import { Outbox, type OutboxStorage, type OutgoingMessage } from "./messaging/outbox.js";
import { createStore, type Store } from "./store/store.js";
import { accountStateView, type Account, type CredentialRequest } from "./xmpp/account.js";
import { DiscoRegistry } from "./xmpp/features/disco.js";
import { outboxAccountOf, sendChat } from "./xmpp/features/chat-send.js";
import { installFeatures } from "./xmpp/features/index.js";
import type { OnlineInfo } from "./xmpp/transport/session.js";
import type { XmlElement } from "./xmpp/transport/xml.js";

/** One piece of XML traffic of an account (a stanza or nonza), credentials redacted. */
export interface XmlTraffic {
  account: string;
  direction: "in" | "out";
  text: string;
}

/** An event for hosts: headless mode writes each one as an NDJSON line. */
export type PublishedEvent = { event: string } & Record<string, unknown>;

export interface ClientEvents {
  event: [PublishedEvent];
  /** The core needs a password it does not have; answer with client.answerCredential(). */
  credential: [CredentialRequest];
  /** The person at the keyboard did something (a key, a command): auto-away listens. */
  activity: [];
  /** A session is ready: online and its start hooks (roster, presence, ...) have run. */
  session: [{ account: string; resumed: boolean }];
  /**
   * XML traffic, credentials redacted (the XML console). Emitted only while at least one listener
   * is attached: without one the accounts are not even tapped.
   */
  xml: [XmlTraffic];
  /** An account's lag changed: the round trip of its last server ping, ms (undefined: unknown). */
  lag: [{ account: string; ms: number | undefined }];
}

export interface ClientOptions {
  config: ConfigStore;
  logger?: Logger;
  outboxStorage?: OutboxStorage;
  /** Per-step network timeout, ms. */
  timeout?: number;
  /** Where features may keep caches (roster versions, caps); none: nothing is persisted. */
  dataDir?: string;
  /** How the store tells subscribers (the interface: at most once per frame). */
  storeNotify?: "sync" | "coalesce" | "frame";
  /** Whether auto-away applies (default true; headless bots have no keyboard to be idle at). */
  autoAway?: boolean;
  /**
   * Keep the message history (and the outbox) in `<dataDir>/history/history.db`. Default: when
   * there is a data dir and the `history` setting is on. A damaged or locked database throws.
   */
  history?: boolean;
}

type StartHook = { order: number; name: string; run: (account: Account, info: OnlineInfo) => Promise<void> | void };

/** Outgoing message as published in `message` events. */
export function outgoingView(m: OutgoingMessage, from: string) {
  return { account: m.account, direction: "out" as const, from, to: m.to, id: m.id, type: m.type, body: m.body, state: m.state, replaces: m.replaces, me: m.body.startsWith("/me ") || undefined, encryption: m.encryption };
}

/** Adds to an outgoing presence before it is sent (a signature, ...); never throws. */
export type PresenceDecorator = (account: Account, presence: XmlElement) => Promise<void>;

export class JabtermClient extends EventEmitter<ClientEvents> {
  readonly config: ConfigStore;
  readonly engine: Engine;
  readonly outbox: Outbox;
  readonly store: Store;
  /** The persistent message store, when there is one. */
  readonly history: History | undefined;
  readonly disco = new DiscoRegistry();
  /** End-to-end encryption schemes and the per-conversation policy. */
  readonly encryption = new EncryptionRegistry();
  readonly log: Logger;
  readonly dataDir: string | undefined;
  readonly autoAway: boolean;
  /** Keyed by account and kind ("name\0password", "name\0pgp_passphrase"). */
  readonly #pendingCredentials = new Map<string, { resolve(p: string): void; reject(e: unknown): void }>();
  readonly #presenceDecorators: PresenceDecorator[] = [];
  readonly #startHooks: StartHook[] = [];
  readonly #shutdownHooks: (() => void | Promise<void>)[] = [];

  constructor(opts: ClientOptions) {
    super();
    this.config = opts.config;
    this.log = opts.logger ?? nullLogger();
    this.dataDir = opts.dataDir;
    this.autoAway = opts.autoAway ?? true;
    this.store = createStore(undefined, { notify: opts.storeNotify });
    this.engine = new Engine({
      config: opts.config,
      logger: this.log,
      timeout: opts.timeout,
      credentials: (req) => this.requestCredential(req),
    });
    const useHistory = opts.history ?? (opts.dataDir !== undefined && opts.config.settings().history);
    if (useHistory && opts.dataDir === undefined) throw new Error("history needs a data dir");
    this.history = useHistory
      ? History.open(opts.dataDir!, {
          config: opts.config,
          log: this.log,
          ownJid: (a) => this.ownJid(a),
          publish: (e, f) => this.publish(e, f),
          // One commit per socket read: only where the store tells the interface in a later turn.
          groupCommit: opts.storeNotify === "frame" || opts.storeNotify === "coalesce",
        })
      : undefined;
    this.history?.startRetention();
    this.outbox = new Outbox(opts.outboxStorage ?? this.history?.outboxStorage());
    const { engine, outbox } = this;

    engine.on("account", (s) => this.publish("account", accountStateView(s)));
    engine.on("accounts", () => {
      const names = new Set(engine.accounts().map((a) => a.name));
      for (const name of Object.keys(this.store.getState().accounts)) if (!names.has(name)) this.store.dispatch({ type: "account/remove", account: name });
    });
    engine.on("online", ({ account, info }) => void this.#sessionStarted(account, info));
    engine.on("ack", ({ account, stanza }) => outbox.onAck(account, stanza));
    engine.on("fail", ({ account, stanza }) => outbox.onFail(account, stanza));
    outbox.on("message", (m) => this.publish("message", outgoingView(m, this.ownJid(m.account))));
    outbox.on("state", (m) => this.publish("message_state", { account: m.account, id: m.id, to: m.to, state: m.state, error: m.error }));

    installFeatures(this);

    // Tap the accounts' traffic only while someone listens to `xml`.
    const events = this as EventEmitter;
    events.on("newListener", (name: string | symbol) => {
      if (name === "xml" && this.listenerCount("xml") === 0) engine.setTrafficTap((account, direction, text) => this.emit("xml", { account, direction, text: redactXml(text) }));
    });
    events.on("removeListener", (name: string | symbol) => {
      if (name === "xml" && this.listenerCount("xml") === 0) engine.setTrafficTap(undefined);
    });
  }

  /** Hand an event to the hosts. */
  publish(event: string, fields: Record<string, unknown> = {}): void {
    const e = { event, ...fields };
    // While the history holds messages of a socket read not committed yet, events wait for the
    // commit, in order (group-commit.ts): nothing shows a message that is not stored.
    if (afterCommit(() => this.#publishLate(e))) return;
    this.emit("event", e);
  }

  #publishLate(e: PublishedEvent): void {
    try {
      this.emit("event", e);
    } catch (err) {
      this.log.error(`a listener of the ${e.event} event failed: ${(err as Error).message}`);
    }
  }

  /** Hosts call this on user input (keys, commands); auto-away returns on it. */
  noteActivity(): void {
    this.emit("activity");
  }

  settings(): Settings {
    return this.config.settings();
  }

  /**
   * Run `run` on every fresh session (not on a resumed one), in `order`: roster before initial
   * presence, and so on. The outbox is flushed after the hooks.
   */
  onSessionStart(order: number, name: string, run: StartHook["run"]): void {
    this.#startHooks.push({ order, name, run });
    this.#startHooks.sort((a, b) => a.order - b.order);
  }

  /** Run `fn` when the client shuts down (features stop their timers here). */
  readonly #lags = new Map<string, number>();

  /** The round trip of the account's last server ping (XEP-0199), ms; undefined when unknown. */
  lag(account: string): number | undefined {
    return this.#lags.get(account);
  }

  /** For the ping feature: record an account's lag and tell listeners when it changed. */
  setLag(account: string, ms: number | undefined): void {
    if (this.#lags.get(account) === ms) return;
    if (ms === undefined) this.#lags.delete(account);
    else this.#lags.set(account, ms);
    this.emit("lag", { account, ms });
  }

  onShutdown(fn: () => void | Promise<void>): void {
    this.#shutdownHooks.push(fn);
  }

  async #sessionStarted(account: string, info: OnlineInfo): Promise<void> {
    const acct = this.engine.find(account);
    if (!acct) return;
    if (!info.resumed) {
      for (const hook of this.#startHooks) {
        if (!acct.online) return;
        try {
          await hook.run(acct, info);
        } catch (err) {
          this.log.warn(`account ${account}: ${hook.name} at session start failed: ${(err as Error).message}`);
          this.publish("error", { account, ...errorInfo(err), during: hook.name });
        }
      }
    }
    void this.outbox.flush(outboxAccountOf(acct));
    this.emit("session", { account, resumed: info.resumed });
    this.publish("session", { account, resumed: info.resumed });
  }

  /** The account's own full JID when bound, else its bare JID. */
  ownJid(account: string): string {
    const a = this.engine.find(account);
    return a?.state.boundJid ?? a?.settings.jid ?? account;
  }

  /**
   * Queue a chat message for `to` on `account` (sent now if online, else when it comes online),
   * honouring the conversation's resource lock and the chat-state setting.
   */
  sendMessage(account: Account, to: string, body: string, type: "chat" | "normal" = "chat"): Promise<OutgoingMessage> {
    return sendChat(this, account, to, body, { type });
  }

  /**
   * Ask the user for a secret (a `credential` event; answered with answerCredential). One request
   * per account and kind: a new one supersedes the old.
   */
  requestCredential(req: CredentialRequest): Promise<string> {
    const kind = req.kind ?? "password";
    const key = `${req.account}\0${kind}`;
    return new Promise<string>((resolve, reject) => {
      this.#pendingCredentials.get(key)?.reject(new Error("superseded"));
      this.#pendingCredentials.set(key, { resolve, reject });
      this.emit("credential", { ...req, kind });
      const what = kind === "password" ? "password" : "passphrase";
      this.publish("credential", { account: req.account, jid: req.jid, reason: req.reason, kind, answer_with: `/password ${req.account} <${what}>` });
    });
  }

  /**
   * Answer a pending credential request (used for this run only, not saved): the account's
   * password request when there is one, else its OpenPGP passphrase request.
   */
  answerCredential(account: string, secret: string): boolean {
    for (const kind of ["password", "pgp_passphrase"]) {
      const key = `${account}\0${kind}`;
      const pending = this.#pendingCredentials.get(key);
      if (!pending) continue;
      this.#pendingCredentials.delete(key);
      this.log.addSecret(secret);
      pending.resolve(secret);
      return true;
    }
    return false;
  }

  /** What the account's pending credential request asks for (the one answerCredential answers). */
  pendingCredentialKind(account: string): "password" | "pgp_passphrase" | undefined {
    for (const kind of ["password", "pgp_passphrase"] as const) if (this.#pendingCredentials.has(`${account}\0${kind}`)) return kind;
    return undefined;
  }

  /** Accounts with a pending credential request. */
  pendingCredentials(): string[] {
    return [...new Set([...this.#pendingCredentials.keys()].map((k) => k.split("\0")[0]!))];
  }

  /** Features add to outgoing presence here (XEP-0027 signs the status). */
  decoratePresence(fn: PresenceDecorator): void {
    this.#presenceDecorators.push(fn);
  }

  /** Run the presence decorators on a presence about to be sent. */
  async decoratedPresence(account: Account, presence: XmlElement): Promise<XmlElement> {
    for (const fn of this.#presenceDecorators) {
      try {
        await fn(account, presence);
      } catch (err) {
        this.log.warn(`account ${account.name}: presence decorator failed: ${(err as Error).message}`);
      }
    }
    return presence;
  }

  /** Wait until no message is waiting for the server (or the timeout passes); returns what is left. */
  async drain(timeout: number): Promise<OutgoingMessage[]> {
    const deadline = Date.now() + timeout;
    while (this.outbox.pending().length > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.outbox.off("state", done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
        this.outbox.on("state", done);
      });
    }
    return this.outbox.pending();
  }

  async shutdown(): Promise<void> {
    for (const fn of this.#shutdownHooks) await fn();
    for (const [, p] of this.#pendingCredentials) p.reject(new Error("shutting down"));
    this.#pendingCredentials.clear();
    await this.engine.shutdown();
    this.history?.close();
  }
}

export function createClient(opts: ClientOptions): JabtermClient {
  return new JabtermClient(opts);
}
