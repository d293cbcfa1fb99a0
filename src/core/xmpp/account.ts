/**
 * One configured account: its session, its connection state, and its reconnect policy.
 *
 * Reconnects use exponential backoff with jitter (the delay for attempt n is drawn from
 * [d/2, d] where d = min(max, min * 2^n)), re-resolving the server each time, and resume the
 * previous stream (XEP-0198) when the server allows. Wrong credentials, certificate failures and
 * a server without encryption are final: the account goes to `error` and waits for the user.
 */
import { execFile } from "node:child_process";
import { EventEmitter } from "node:events";

import { splitCommandLine } from "../config/schema.js";
import { AuthError, ConfigError, JabtermError, TlsError, errorInfo } from "../errors.js";
import { parseJid } from "../jid.js";
import type { Logger } from "../logger.js";
import type { ParserLimits } from "./transport/parser.js";
import type { Mechanism } from "./transport/sasl.js";
import { XmppSession, type OnlineInfo } from "./transport/session.js";
import type { XmlElement } from "./transport/xml.js";

export type AccountStatus = "offline" | "connecting" | "online" | "error";

export interface AccountSettings {
  name: string;
  jid: string;
  resource: string;
  priority: number;
  transport: "starttls" | "tls" | "websocket";
  host?: string;
  port?: number;
  url?: string;
  caFile?: string;
  fingerprint?: string;
  allowPlaintext: boolean;
  password?: string;
  passwordCommand?: string;
  /** SASL mechanisms allowed, in preference order (default: SCRAM-SHA-256, SCRAM-SHA-1, PLAIN). */
  mechanisms?: Mechanism[];
}

export interface EngineSettings {
  reconnectMinDelay: number;
  reconnectMaxDelay: number;
  limits: ParserLimits;
  timeout: number;
}

export interface AccountState {
  account: string;
  jid: string;
  status: AccountStatus;
  /** The full JID once bound. */
  boundJid?: string;
  error?: ReturnType<typeof errorInfo>;
  /** ms until the next automatic attempt, when one is scheduled. */
  retryIn?: number;
  resumed?: boolean;
  /** The SASL mechanism of the current session. */
  mechanism?: string;
}

/** The account state as hosts publish it (headless `account` events, command data): snake_case. */
export function accountStateView(s: AccountState) {
  return { account: s.account, jid: s.jid, status: s.status, bound: s.boundJid, resumed: s.resumed, mechanism: s.mechanism, error: s.error, retry_in: s.retryIn };
}

export interface CredentialRequest {
  account: string;
  jid: string;
  /** Why we ask: the first time, or because the last password was refused. */
  reason: "needed" | "rejected";
  /** What is asked for: the account's password (default) or its OpenPGP key's passphrase. */
  kind?: "password" | "pgp_passphrase";
}

export type CredentialProvider = (req: CredentialRequest) => Promise<string>;

/** An IQ get/set handler for every account: return the result's child (or null), or throw a StanzaError. */
export type AccountIqHandler = (account: Account, iq: XmlElement, child: XmlElement) => XmlElement | undefined | null | Promise<XmlElement | undefined | null>;

export interface AccountEvents {
  state: [AccountState];
  stanza: [XmlElement];
  online: [OnlineInfo];
  ack: [XmlElement];
  fail: [XmlElement];
}

/** Run the account's password command (no shell, 15 s timeout); its trimmed output is the password. */
export function runPasswordCommand(command: string, account: string, timeout = 15_000): Promise<string> {
  let argv: string[];
  try {
    argv = splitCommandLine(command);
  } catch (err) {
    return Promise.reject(new ConfigError(`account ${account}: password_command: ${(err as Error).message}`));
  }
  if (argv.length === 0) return Promise.reject(new ConfigError(`account ${account}: password_command is empty`));
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout, maxBuffer: 64 * 1024, windowsHide: true }, (err, stdout) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "program not found" : err.killed ? `timed out after ${timeout} ms` : `exit status ${String((err as { code?: unknown }).code)}`;
        reject(new ConfigError(`account ${account}: password_command ${argv[0]} failed (${why})`));
        return;
      }
      const password = stdout.replace(/\r?\n$/, "").trim();
      if (!password) reject(new ConfigError(`account ${account}: password_command ${argv[0]} printed nothing`));
      else resolve(password);
    });
  });
}

export function backoffDelay(attempt: number, min: number, max: number, random: () => number = Math.random): number {
  const d = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return Math.round(d / 2 + random() * (d / 2));
}

function isFinal(err: JabtermError): boolean {
  return err instanceof AuthError || err instanceof TlsError || err instanceof ConfigError || err.code === "auth" || err.code === "tls" || err.code === "config";
}

export class Account extends EventEmitter<AccountEvents> {
  settings: AccountSettings;
  readonly #engine: EngineSettings;
  readonly #credentials: CredentialProvider | undefined;
  readonly #log: Logger | undefined;
  readonly #random: () => number;
  #session: XmppSession | null = null;
  #state: AccountState;
  #wanted = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | null = null;
  #cachedPassword: string | undefined;
  #running: Promise<void> | null = null;

  readonly #iqHandlers: ((name: string, xmlns: string) => AccountIqHandler | undefined) | undefined;

  constructor(
    settings: AccountSettings,
    engine: EngineSettings,
    opts: { credentials?: CredentialProvider; logger?: Logger; random?: () => number; iqHandlers?: (name: string, xmlns: string) => AccountIqHandler | undefined } = {},
  ) {
    super();
    this.settings = settings;
    this.#engine = engine;
    this.#credentials = opts.credentials;
    this.#log = opts.logger;
    this.#random = opts.random ?? Math.random;
    this.#iqHandlers = opts.iqHandlers;
    this.#state = { account: settings.name, jid: settings.jid, status: "offline" };
  }

  get name(): string {
    return this.settings.name;
  }

  get state(): AccountState {
    return this.#state;
  }

  get session(): XmppSession | null {
    return this.#session;
  }

  get online(): boolean {
    return this.#state.status === "online";
  }

  /** Whether an automatic reconnect is pending. */
  get retryScheduled(): boolean {
    return this.#timer !== null;
  }

  /** Replace settings (takes effect at the next connection). */
  update(settings: AccountSettings): void {
    const credsChanged = settings.password !== this.settings.password || settings.passwordCommand !== this.settings.passwordCommand || settings.jid !== this.settings.jid;
    this.settings = settings;
    if (credsChanged) this.#cachedPassword = undefined;
    if (this.#session && !this.online) this.#session = null;
  }

  #setState(patch: Omit<AccountState, "account" | "jid">): void {
    this.#state = { account: this.settings.name, jid: this.settings.jid, ...patch };
    this.emit("state", this.#state);
  }

  async #password(reason: CredentialRequest["reason"]): Promise<string> {
    if (this.#cachedPassword !== undefined) return this.#cachedPassword;
    const { passwordCommand, password, name, jid } = this.settings;
    let value: string;
    if (passwordCommand) value = await runPasswordCommand(passwordCommand, name);
    else if (password) value = password;
    else if (this.#credentials) value = await this.#credentials({ account: name, jid, reason });
    else throw new ConfigError(`account ${name} has no password: set password_command (or password), or run interactively`);
    this.#cachedPassword = value;
    return value;
  }

  #createSession(): XmppSession {
    const s = this.settings;
    const jid = parseJid(s.jid);
    const session = new XmppSession({
      local: jid.local,
      domain: jid.domain,
      resource: s.resource,
      endpoint: { domain: jid.domain, transport: s.transport, host: s.host, port: s.port, url: s.url },
      tls: { servername: jid.domain, caFile: s.caFile, fingerprint: s.fingerprint, account: s.name },
      allowPlaintext: s.allowPlaintext,
      password: () => this.#password(this.#lastAuthFailed ? "rejected" : "needed"),
      mechanisms: s.mechanisms,
      iqHandlers: (name, xmlns) => {
        const h = this.#iqHandlers?.(name, xmlns);
        return h ? (iq, child) => h(this, iq, child) : undefined;
      },
      limits: this.#engine.limits,
      timeout: this.#engine.timeout,
      traffic: (dir, text) => {
        this.#log?.xml(dir, s.name, text);
        this.#tap?.(dir, text);
      },
      wantsTraffic: () => this.#tap !== undefined || this.#log?.xmlEnabled() === true,
    });
    session.on("stanza", (el) => this.emit("stanza", el));
    session.on("ack", (el) => this.emit("ack", el));
    session.on("fail", (el) => this.emit("fail", el));
    session.on("warning", (err) => this.#log?.debug(`account ${s.name}: ${err.message}`, { code: err.code }));
    session.on("disconnect", ({ error }) => {
      if (!this.#wanted || this.#state.status !== "online") return;
      this.#log?.info(`account ${s.name}: disconnected`, { error: error?.message });
      this.#scheduleRetry(error ?? new JabtermError("connection", "connection lost"));
    });
    return session;
  }

  #lastAuthFailed = false;

  /** An extra observer of this account's XML traffic (the client's `xml` event), while set. */
  #tap: ((direction: "in" | "out", text: string) => void) | undefined;

  /** Observe the XML traffic of this account (undefined: stop). Text as sent/received: not redacted. */
  setTrafficTap(tap: ((direction: "in" | "out", text: string) => void) | undefined): void {
    this.#tap = tap;
  }

  /** Connect now (and keep reconnecting until disconnect() or a final error). */
  connect(): Promise<void> {
    this.#wanted = true;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.online) return Promise.resolve();
    this.#running ??= this.#attemptOnce().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #attemptOnce(): Promise<void> {
    this.#session ??= this.#createSession();
    const session = this.#session;
    this.#setState({ status: "connecting" });
    try {
      const info = await session.start();
      if (!this.#wanted) {
        await session.stop();
        return;
      }
      this.#attempt = 0;
      this.#lastAuthFailed = false;
      this.#setState({ status: "online", boundJid: info.jid, resumed: info.resumed, mechanism: info.mechanism ?? this.#state.mechanism });
      this.#log?.info(`account ${this.settings.name}: online as ${info.jid}${info.resumed ? " (resumed)" : ""}`);
      this.emit("online", info);
    } catch (err) {
      const e = err instanceof JabtermError ? err : new JabtermError("internal", String(err));
      if (e instanceof AuthError) {
        this.#cachedPassword = undefined;
        this.#lastAuthFailed = true;
      }
      if (!this.#wanted) {
        this.#setState({ status: "offline" });
        return;
      }
      this.#log?.warn(`account ${this.settings.name}: ${e.message}`, { code: e.code });
      if (isFinal(e)) {
        this.#wanted = false;
        this.#setState({ status: "error", error: errorInfo(e) });
      } else {
        this.#scheduleRetry(e);
      }
    }
  }

  #scheduleRetry(error: JabtermError): void {
    const delay = backoffDelay(this.#attempt++, this.#engine.reconnectMinDelay, this.#engine.reconnectMaxDelay, this.#random);
    this.#setState({ status: "offline", error: errorInfo(error), retryIn: delay });
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#wanted) void this.connect();
    }, delay);
    this.#timer.unref?.();
  }

  /** Go offline cleanly and stop reconnecting. */
  async disconnect(): Promise<void> {
    this.#wanted = false;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const running = this.#running;
    const session = this.#session;
    if (session && session.status !== "offline") await session.stop();
    await running?.catch(() => {});
    if (this.#state.status !== "error" || session) this.#setState({ status: "offline" });
  }

  /** Send now; throws a ConnectionError when offline (the outbox decides what to do then). */
  async send(stanza: XmlElement): Promise<void> {
    if (!this.#session || !this.online) throw new JabtermError("connection", `account ${this.settings.name} is not online`);
    await this.#session.send(stanza);
  }

  request(type: "get" | "set", child: XmlElement, to?: string, timeout?: number): Promise<XmlElement> {
    if (!this.#session || !this.online) return Promise.reject(new JabtermError("connection", `account ${this.settings.name} is not online`));
    return this.#session.request(type, child, to, timeout);
  }

  /** Test/diagnostic hook: cut the socket as a network failure would. */
  dropConnection(): void {
    this.#session?.drop();
  }
}
