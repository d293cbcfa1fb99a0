/**
 * One XMPP client session, composed from xmpp.js packages the way @xmpp/client composes them, with
 * our own STARTTLS (per-account TLS policy), TLS-or-nothing guard, SASL, IQ tracking and parser.
 * Stream management (XEP-0198) is xmpp.js's; `start()` resumes a session when one can be resumed.
 *
 * The session never reconnects by itself: the account (../account.ts) decides when to call
 * `start()` again, with backoff. Everything here returns, throws or emits; nothing prints.
 */
import { EventEmitter } from "node:events";

import _middleware from "@xmpp/middleware";
import _resourceBinding from "@xmpp/resource-binding";
import _streamFeatures from "@xmpp/stream-features";
import _streamManagement from "@xmpp/stream-management";

import { AuthError, ConnectionError, JabtermError, StreamError, TimeoutError, TlsError, toJabtermError } from "../../errors.js";
import { JabConnection, describeEndpoint } from "./connection.js";
import { IqTracker, type IqHandler } from "./iq.js";
import { nextNonza } from "./nonza.js";
import { StreamParseError, type ParserLimits } from "./parser.js";
import { resolveEndpoints, type EndpointSpec } from "./resolve.js";
import { authenticate, NS_SASL, type Mechanism } from "./sasl.js";
import { TlsSocket } from "./sockets.js";
import type { TlsPolicy } from "./tls.js";
import { xml, type XmlElement } from "./xml.js";

const NS_STREAM = "http://etherx.jabber.org/streams";
const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_SM = "urn:xmpp:sm:3";

export interface SessionOptions {
  local: string;
  domain: string;
  resource: string;
  endpoint: EndpointSpec;
  tls: TlsPolicy;
  allowPlaintext: boolean;
  password: () => Promise<string>;
  mechanisms?: Mechanism[];
  limits: ParserLimits;
  /** Per-step timeout (socket connect, stream open, each SASL step, IQs), ms. */
  timeout: number;
  /** XML traffic (for the debug log, which redacts credentials, and the XML console). */
  traffic?: (direction: "in" | "out", text: string) => void;
  /** Whether anyone wants the traffic now: stanzas are serialised for `traffic` only then. */
  wantsTraffic?: () => boolean;
  /** IQ get/set handlers shared by every session of the engine (features). */
  iqHandlers?: (name: string, xmlns: string) => IqHandler | undefined;
  /** Test hook: SRV lookup. */
  srvLookup?: Parameters<typeof resolveEndpoints>[1];
}

export interface OnlineInfo {
  /** The full JID the server bound. */
  jid: string;
  /** True when XEP-0198 resumed the previous session (nothing was lost, nothing is re-sent by us). */
  resumed: boolean;
  /** Whether stream management is enabled on this session. */
  streamManagement: boolean;
  /** The SASL mechanism used (absent on a resumed stream, which needs no new authentication). */
  mechanism?: Mechanism;
}

export interface SessionEvents {
  stanza: [XmlElement];
  online: [OnlineInfo];
  /** The socket closed (error: why, when it was not our own stop()). */
  disconnect: [{ error?: JabtermError; clean: boolean }];
  /** A stanza the server acknowledged (XEP-0198 <a/>). */
  ack: [XmlElement];
  /** A stanza that may not have reached the server (queue dropped on a fresh session or stop). */
  fail: [XmlElement];
  /** Non-fatal trouble worth logging. */
  warning: [JabtermError];
}

/** Map whatever xmpp.js or node threw into our error family. */
export function sessionError(err: unknown): JabtermError {
  if (err instanceof JabtermError) return err;
  if (err instanceof StreamParseError) return new StreamError(err.condition, `bad XML from the server: ${err.message}`);
  const e = err as { name?: string; condition?: string; text?: string; message?: string; code?: string };
  if (e?.name === "StreamError" && e.condition) {
    return new StreamError(e.condition, `the server closed the stream: ${e.condition}${e.text ? ` (${e.text})` : ""}`);
  }
  if (e?.name === "SASLError") return new AuthError(`authentication failed: ${e.condition ?? e.message}`);
  if (e?.name === "TimeoutError") return new TimeoutError(e.message ?? "timeout");
  if (e?.code && /^(E[A-Z]+|ERR_)/.test(e.code)) {
    return new ConnectionError(`${e.message ?? e.code}`, { syscode: e.code }, { cause: err });
  }
  return toJabtermError(err);
}

export class XmppSession extends EventEmitter<SessionEvents> {
  readonly options: SessionOptions;
  readonly entity: JabConnection;
  readonly iq: IqTracker;
  readonly #sm: any;
  #lastError: JabtermError | undefined;
  #stopping = false;
  #mechanism: Mechanism | undefined;
  /** Whether the last stream features offered XEP-0198 (so <enable/> follows resource binding). */
  #smOffered = false;

  constructor(options: SessionOptions) {
    super();
    this.options = options;
    const entity = new JabConnection({ domain: options.domain, tls: options.tls, limits: options.limits, timeout: options.timeout });
    this.entity = entity;
    entity.jid = null;
    // Following see-other-host to wherever a server points is a redirect we do not take silently.
    entity._onSeeOtherHost = (error: { element: XmlElement }) => {
      entity.emit("error", new StreamError("see-other-host", `the server redirects to ${error.element.getChildText("see-other-host", "urn:ietf:params:xml:ns:xmpp-streams") ?? "?"}; set the account's host to follow it`));
    };
    entity.on("error", (err: unknown) => {
      const e = sessionError(err);
      this.#lastError = e;
      this.emit("warning", e);
    });
    entity.on("disconnect", ({ clean }: { clean: boolean }) => {
      const error = this.#stopping ? undefined : (this.#lastError ?? new ConnectionError("connection lost"));
      this.iq.rejectAll(new ConnectionError("connection lost before the reply"));
      this.emit("disconnect", { error, clean: clean && !error });
    });
    if (options.traffic) {
      const traffic = options.traffic;
      const wanted = options.wantsTraffic ?? (() => true);
      entity.on("element", (el: XmlElement) => wanted() && traffic("in", el.toString()));
      entity.on("send", (el: XmlElement) => wanted() && traffic("out", el.toString()));
    }

    this.iq = new IqTracker((el) => this.#sendRaw(el), () => (entity.jid ? entity.jid.toString() : undefined), options.timeout, options.iqHandlers);
    this.iq.handle("ping", "urn:xmpp:ping", () => null);

    const middleware = _middleware({ entity });
    const streamFeatures = _streamFeatures({ middleware });

    // TLS or nothing: never go past stream features on an unencrypted stream without STARTTLS.
    middleware.use((ctx: { stanza: XmlElement; entity: JabConnection }, next) => {
      const { stanza } = ctx;
      if (stanza.is("features", NS_STREAM)) this.#smOffered = Boolean(stanza.getChild("sm", NS_SM));
      if (stanza.is("features", NS_STREAM) && !entity.isSecure() && !options.allowPlaintext && !stanza.getChild("starttls", NS_TLS)) {
        throw new TlsError(
          `${options.domain} did not offer STARTTLS (it may have been stripped on the way); refusing to continue without encryption. ` +
            `Use transport tls (direct TLS) or, only on a network you trust, allow_plaintext`,
          { reason: "no-starttls" },
        );
      }
      return next();
    });

    streamFeatures.use("starttls", NS_TLS, async (_ctx, next) => {
      if (entity.isSecure()) return next();
      const proceed = nextNonza(entity, (el) => el.getNS() === NS_TLS, options.timeout, "STARTTLS");
      await entity.send(xml("starttls", { xmlns: NS_TLS }));
      const answer = await proceed;
      if (!answer.is("proceed", NS_TLS)) throw new TlsError(`${options.domain} refused STARTTLS`, { reason: "starttls-failure" });
      const plain = entity.socket;
      const secure = new TlsSocket(options.tls);
      await new Promise<void>((resolve, reject) => {
        secure.once("connect", () => resolve());
        secure.once("error", reject);
        secure.connect({ socket: plain });
      });
      entity._attachSocket(secure);
      await entity.restart();
    });

    streamFeatures.use("mechanisms", NS_SASL, async (_ctx, _next, feature: XmlElement) => {
      this.#mechanism = await authenticate(entity, feature, {
        username: options.local,
        password: options.password,
        mechanisms: options.mechanisms,
        timeout: options.timeout,
      });
      await entity.restart();
    });

    this.#sm = _streamManagement({ streamFeatures, entity, middleware });
    this.#sm.on("ack", (el: XmlElement) => this.emit("ack", el));
    this.#sm.on("fail", (el: XmlElement) => this.emit("fail", el));

    _resourceBinding({ streamFeatures, iqCaller: this.iq }, options.resource);

    middleware.use(async (ctx: { stanza: XmlElement }, next) => {
      const { stanza } = ctx;
      if (stanza.name === "iq") {
        const outcome = await this.iq.incoming(stanza);
        if (typeof outcome === "object" && outcome) await this.#sendRaw(outcome).catch(() => {});
        return;
      }
      if (stanza.name === "message" || stanza.name === "presence") this.emit("stanza", stanza);
      return next();
    });
  }

  get status(): string {
    return this.entity.status;
  }

  get online(): boolean {
    return this.entity.status === "online";
  }

  /** The full JID bound to this session, once online. */
  get jid(): string | undefined {
    return this.entity.jid ? this.entity.jid.toString() : undefined;
  }

  get streamManagementEnabled(): boolean {
    return Boolean(this.#sm.enabled);
  }

  /** Whether stanzas written now go into stream management's queue (so an ack or a fail will come). */
  get streamManagementQueued(): boolean {
    return Boolean(this.#sm.enabled || this.#sm.enableSent);
  }

  /** Whether a previous stream can be resumed by the next start(). */
  get resumable(): boolean {
    return Boolean(this.#sm.id);
  }

  /** Connect (resolving endpoints afresh), negotiate, and resolve once online or resumed. */
  async start(): Promise<OnlineInfo> {
    if (this.online) return { jid: this.jid!, resumed: false, streamManagement: this.streamManagementEnabled };
    this.#stopping = false;
    this.#lastError = undefined;
    this.#mechanism = undefined;
    const endpoints = await resolveEndpoints(this.options.endpoint, this.options.srvLookup);
    if (endpoints.length === 0) throw new ConnectionError(`${this.options.domain} publishes no XMPP client service (SRV ".")`);
    let lastErr: unknown;
    let connected = false;
    for (const endpoint of endpoints) {
      try {
        await this.entity.connect(endpoint);
        connected = true;
        break;
      } catch (err) {
        lastErr = err;
        if (err instanceof TlsError) break; // a certificate problem is not solved by another address
      }
    }
    if (!connected) {
      this.#cleanupSocket();
      const e = sessionError(lastErr);
      throw e instanceof TlsError ? e : new ConnectionError(`cannot connect to ${endpoints.map(describeEndpoint).join(", ")}: ${e.message}`, { ...e.detail }, { cause: e });
    }

    const online = new Promise<OnlineInfo>((resolve, reject) => {
      const cleanup = () => {
        this.entity.off("online", onOnline);
        this.#sm.off("resumed", onResumed);
        this.entity.off("error", onError);
        this.entity.off("disconnect", onDisconnect);
        clearTimeout(timer);
      };
      const onOnline = () => {
        cleanup();
        // Stream management is enabled right after binding. Hold "online" until the server has
        // answered <enable/>: stanzas exchanged while it is in flight made xmpp.js's counter
        // disagree with the server's ("client acknowledged more stanzas than sent").
        const settled = this.#smOffered
          ? nextNonza(this.entity, (el) => el.getNS() === NS_SM && (el.name === "enabled" || el.name === "failed"), this.options.timeout, "stream management").then(
              (el) => el.name === "enabled",
              () => false,
            )
          : Promise.resolve(false);
        void settled.then((sm) =>
          this.online
            ? resolve({ jid: this.jid!, resumed: false, streamManagement: sm, mechanism: this.#mechanism })
            : reject(this.#lastError ?? new ConnectionError("the connection was lost during login")),
        );
      };
      const onResumed = () => {
        cleanup();
        resolve({ jid: this.jid!, resumed: true, streamManagement: true });
      };
      const onError = (err: unknown) => {
        const e = sessionError(err);
        // Transient socket noise during negotiation is followed by a disconnect; fail on the real thing.
        cleanup();
        reject(e);
      };
      const onDisconnect = () => {
        cleanup();
        reject(this.#lastError ?? new ConnectionError("the server closed the connection during login"));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new TimeoutError(`login to ${this.options.domain} did not complete within ${this.options.timeout * 4} ms`));
      }, this.options.timeout * 4);
      this.entity.on("online", onOnline);
      this.#sm.on("resumed", onResumed);
      this.entity.on("error", onError);
      this.entity.on("disconnect", onDisconnect);
    });
    try {
      await this.entity.open({ domain: this.options.domain, lang: "en" });
      const info = await online;
      return info;
    } catch (err) {
      online.catch(() => {});
      this.#cleanupSocket();
      throw sessionError(err);
    }
  }

  #cleanupSocket(): void {
    this.#stopping = true;
    try {
      this.entity.destroySocket();
    } catch {
      // already gone
    }
  }

  /** Close the stream cleanly and forget stream-management state (unacked stanzas emit `fail`). */
  async stop(): Promise<void> {
    this.#stopping = true;
    try {
      await this.entity.stop();
    } catch {
      // a dead socket is as stopped as it gets
    }
    if (this.entity.status !== "offline") this.entity._status("offline");
  }

  /** Cut the socket as a network failure would (the stream stays resumable). */
  drop(): void {
    this.entity.destroySocket();
  }

  /** Send a stanza; throws a ConnectionError (never a socket exception) when not connected. */
  async send(stanza: XmlElement): Promise<void> {
    if (!this.online) throw new ConnectionError("not connected");
    await this.#sendRaw(stanza);
  }

  async #sendRaw(stanza: XmlElement): Promise<void> {
    try {
      await this.entity.send(stanza);
    } catch (err) {
      throw sessionError(err);
    }
  }

  request(type: "get" | "set", child: XmlElement, to?: string, timeout?: number): Promise<XmlElement> {
    if (!this.online) return Promise.reject(new ConnectionError("not connected"));
    return this.iq.request(type, child, to, timeout);
  }

  handleIq(name: string, xmlns: string, handler: IqHandler): void {
    this.iq.handle(name, xmlns, handler);
  }
}

export type { XmlElement };
