/**
 * The multi-account engine: every configured account as an `Account`, in configuration order, any
 * subset of them connected at once. Hosts (headless mode, the TUI, tests) subscribe to its events;
 * it never prints.
 */
import { EventEmitter } from "node:events";

import type { ConfigStore } from "./config/config.js";
import type { AccountConfig, Settings } from "./config/schema.js";
import { UsageError } from "./errors.js";
import { normalizeJid, tryParseJid } from "./jid.js";
import { nullLogger, type Logger } from "./logger.js";
import { Account, type AccountIqHandler, type AccountSettings, type AccountState, type CredentialProvider, type EngineSettings } from "./xmpp/account.js";
import type { OnlineInfo } from "./xmpp/transport/session.js";
import type { XmlElement } from "./xmpp/transport/xml.js";

export interface EngineEvents {
  account: [AccountState];
  online: [{ account: string; info: OnlineInfo }];
  stanza: [{ account: string; stanza: XmlElement }];
  ack: [{ account: string; stanza: XmlElement }];
  fail: [{ account: string; stanza: XmlElement }];
  /** The account list changed (added, removed, renamed). */
  accounts: [];
}

export function accountSettings(a: AccountConfig): AccountSettings {
  return {
    name: a.name,
    jid: a.jid,
    resource: a.resource,
    priority: a.priority,
    transport: a.transport,
    host: a.host,
    port: a.port,
    url: a.url,
    caFile: a.ca_file,
    fingerprint: a.fingerprint,
    allowPlaintext: a.allow_plaintext,
    password: a.password,
    passwordCommand: a.password_command,
  };
}

export function engineSettings(s: Settings, timeout = 15_000): EngineSettings {
  return {
    reconnectMinDelay: s.reconnect_min_delay,
    reconnectMaxDelay: s.reconnect_max_delay,
    limits: { maxStanzaSize: s.max_stanza_size, maxDepth: 64 },
    timeout,
  };
}

export interface EngineOptions {
  config: ConfigStore;
  logger?: Logger;
  credentials?: CredentialProvider;
  /** Per-step network timeout, ms (default 15 s). */
  timeout?: number;
}

export class Engine extends EventEmitter<EngineEvents> {
  readonly config: ConfigStore;
  readonly log: Logger;
  readonly #credentials: CredentialProvider | undefined;
  readonly #timeout: number;
  #accounts = new Map<string, Account>();
  readonly #iqHandlers = new Map<string, AccountIqHandler>();
  #trafficTap: ((account: string, direction: "in" | "out", text: string) => void) | undefined;

  constructor(opts: EngineOptions) {
    super();
    this.config = opts.config;
    this.log = opts.logger ?? nullLogger();
    this.#credentials = opts.credentials;
    this.#timeout = opts.timeout ?? 15_000;
    this.sync();
  }

  /** Bring the account objects in line with the configuration (after /account add|set|remove). */
  sync(): void {
    const configured = this.config.accounts();
    const settings = engineSettings(this.config.settings(), this.#timeout);
    const next = new Map<string, Account>();
    for (const cfg of configured) {
      const wanted = accountSettings(cfg);
      let acct = this.#accounts.get(cfg.name);
      if (acct) acct.update(wanted);
      else {
        acct = new Account(wanted, settings, { credentials: this.#credentials, logger: this.log, iqHandlers: (name, xmlns) => this.#iqHandlers.get(`${xmlns} ${name}`) });
        const name = () => acct!.name;
        acct.on("state", (s) => this.emit("account", s));
        acct.on("online", (info) => this.emit("online", { account: name(), info }));
        acct.on("stanza", (stanza) => this.emit("stanza", { account: name(), stanza }));
        acct.on("ack", (stanza) => this.emit("ack", { account: name(), stanza }));
        acct.on("fail", (stanza) => this.emit("fail", { account: name(), stanza }));
        this.#tapAccount(acct);
      }
      next.set(cfg.name, acct);
    }
    for (const [name, acct] of this.#accounts) {
      if (!next.has(name)) void acct.disconnect();
    }
    const changed = [...next.keys()].join("\n") !== [...this.#accounts.keys()].join("\n");
    this.#accounts = next;
    if (changed) this.emit("accounts");
  }

  /**
   * Observe every account's XML traffic, present and future (undefined: stop). The client sets
   * this only while someone listens to its `xml` event.
   */
  setTrafficTap(tap: ((account: string, direction: "in" | "out", text: string) => void) | undefined): void {
    this.#trafficTap = tap;
    for (const acct of this.#accounts.values()) this.#tapAccount(acct);
  }

  #tapAccount(acct: Account): void {
    const tap = this.#trafficTap;
    acct.setTrafficTap(tap ? (direction, text) => tap(acct.name, direction, text) : undefined);
  }

  /** Answer IQ get/set requests for <name xmlns=...> on every account (features register here). */
  handleIq(name: string, xmlns: string, handler: AccountIqHandler): void {
    this.#iqHandlers.set(`${xmlns} ${name}`, handler);
  }

  /** Accounts in configuration order. */
  accounts(): Account[] {
    return [...this.#accounts.values()];
  }

  /** Find an account by name, else by bare JID (normalised). */
  find(nameOrJid: string): Account | undefined {
    const byName = this.#accounts.get(nameOrJid);
    if (byName) return byName;
    if (!tryParseJid(nameOrJid)) return undefined;
    const want = normalizeJid(nameOrJid);
    return this.accounts().find((a) => tryParseJid(a.settings.jid) && normalizeJid(a.settings.jid) === want);
  }

  get(nameOrJid: string): Account {
    const a = this.find(nameOrJid);
    if (!a) throw new UsageError(`no account named ${nameOrJid} (see /account list)`);
    return a;
  }

  /** The first account, in configuration order, that is online. */
  firstOnline(): Account | undefined {
    return this.accounts().find((a) => a.online);
  }

  /** Connect every enabled account (without waiting for them to come online). */
  connectEnabled(): void {
    for (const cfg of this.config.accounts()) {
      if (cfg.enabled) void this.get(cfg.name).connect();
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.accounts().map((a) => a.disconnect().catch(() => {})));
  }
}
