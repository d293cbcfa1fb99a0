/**
 * The composition root: config + engine + outbox + messaging, wired once. Every host (headless
 * mode, the TUI, the control socket, tests) builds the core through `createClient` and listens to
 * its events; none of them touches stanzas.
 */
import { EventEmitter } from "node:events";

import type { ConfigStore } from "./config/config.js";
import { Engine } from "./engine.js";
import { errorInfo } from "./errors.js";
import { nullLogger, type Logger } from "./logger.js";
import { Outbox, type OutboxStorage, type OutgoingMessage } from "./messaging/outbox.js";
import { parseMessage, parsePeerState, parsePresence, type IncomingMessage, type PresenceUpdate } from "./messaging/stanzas.js";
import type { Account, AccountState, CredentialRequest } from "./xmpp/account.js";
import { xml } from "./xmpp/transport/xml.js";

export interface ClientEvents {
  account: [AccountState];
  message: [IncomingMessage | (OutgoingMessage & { direction: "out"; from: string })];
  message_state: [OutgoingMessage];
  presence: [PresenceUpdate];
  /** The core needs a password it does not have; answer with client.answerCredential(). */
  credential: [CredentialRequest];
  error: [ReturnType<typeof errorInfo> & { account?: string }];
}

export interface ClientOptions {
  config: ConfigStore;
  logger?: Logger;
  outboxStorage?: OutboxStorage;
  /** Per-step network timeout, ms. */
  timeout?: number;
}

export class JabtermClient extends EventEmitter<ClientEvents> {
  readonly config: ConfigStore;
  readonly engine: Engine;
  readonly outbox: Outbox;
  readonly log: Logger;
  readonly #pendingCredentials = new Map<string, { resolve(p: string): void; reject(e: unknown): void }>();

  constructor(opts: ClientOptions) {
    super();
    this.config = opts.config;
    this.log = opts.logger ?? nullLogger();
    this.engine = new Engine({
      config: opts.config,
      logger: this.log,
      timeout: opts.timeout,
      credentials: (req) =>
        new Promise<string>((resolve, reject) => {
          this.#pendingCredentials.get(req.account)?.reject(new Error("superseded"));
          this.#pendingCredentials.set(req.account, { resolve, reject });
          this.emit("credential", req);
        }),
    });
    this.outbox = new Outbox(opts.outboxStorage);
    const { engine, outbox } = this;

    engine.on("account", (s) => this.emit("account", s));
    engine.on("online", ({ account, info }) => {
      const acct = engine.find(account);
      if (!acct) return;
      if (!info.resumed) {
        // Initial presence (RFC 6121 §4.2) carrying the account's priority.
        acct.send(xml("presence", {}, xml("priority", {}, String(acct.settings.priority)))).catch((err) => this.log.warn(`initial presence: ${(err as Error).message}`));
      }
      void outbox.flush(this.#outboxAccount(acct));
    });
    engine.on("ack", ({ account, stanza }) => outbox.onAck(account, stanza));
    engine.on("fail", ({ account, stanza }) => outbox.onFail(account, stanza));
    engine.on("stanza", ({ account, stanza }) => {
      const acct = engine.find(account);
      const own = acct?.state.boundJid ?? acct?.settings.jid ?? "";
      if (stanza.name === "message") {
        const peer = parsePeerState(stanza);
        if (peer) outbox.onPeerState(account, peer.from, peer.id, peer.state);
        const msg = parseMessage(account, own, stanza);
        if (msg) this.emit("message", msg);
      } else if (stanza.name === "presence") {
        const p = parsePresence(account, stanza);
        if (p) this.emit("presence", p);
      }
    });
    outbox.on("message", (m) => this.emit("message", { ...m, direction: "out", from: this.#ownJid(m.account) }));
    outbox.on("state", (m) => this.emit("message_state", m));
  }

  #ownJid(account: string): string {
    const a = this.engine.find(account);
    return a?.state.boundJid ?? a?.settings.jid ?? account;
  }

  #outboxAccount(acct: Account) {
    return {
      name: acct.name,
      get online() {
        return acct.online;
      },
      get streamManagement() {
        return acct.session?.streamManagementQueued ?? false;
      },
      send: (stanza: Parameters<Account["send"]>[0]) => acct.send(stanza),
    };
  }

  /** Queue a chat message for `to` on `account` (sent now if online, else when it comes online). */
  sendMessage(account: Account, to: string, body: string, type: OutgoingMessage["type"] = "chat"): OutgoingMessage {
    return this.outbox.enqueue(this.#outboxAccount(account), to, body, type);
  }

  /** Answer a pending credential request (the password is used for this run only, not saved). */
  answerCredential(account: string, password: string): boolean {
    const pending = this.#pendingCredentials.get(account);
    if (!pending) return false;
    this.#pendingCredentials.delete(account);
    this.log.addSecret(password);
    pending.resolve(password);
    return true;
  }

  pendingCredentials(): string[] {
    return [...this.#pendingCredentials.keys()];
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
    for (const [, p] of this.#pendingCredentials) p.reject(new Error("shutting down"));
    this.#pendingCredentials.clear();
    await this.engine.shutdown();
  }
}

export function createClient(opts: ClientOptions): JabtermClient {
  return new JabtermClient(opts);
}
