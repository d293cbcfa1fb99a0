/**
 * xmpp.js's Client (stream state machine, header/footer per transport) with the parts we must own:
 * endpoint selection with per-account sockets, a streaming UTF-8 decoder, a hardened parser, and
 * writes that fail cleanly instead of throwing out of a dead socket.
 */
import { performance } from "node:perf_hooks";
import { TextDecoder } from "node:util";

import { Client } from "@xmpp/client-core";
import ConnectionTCP from "@xmpp/tcp/lib/Connection.js";
import ConnectionWebSocket from "@xmpp/websocket/lib/Connection.js";

import { ConnectionError, StreamError } from "../../errors.js";
import { settle, withinRead } from "../../group-commit.js";
import { createParserClass, type ParserLimits } from "./parser.js";
import { PlainSocket, TlsSocket, WsSocket, type XmppSocket } from "./sockets.js";
import type { TlsPolicy } from "./tls.js";

// eslint-disable-next-line no-control-regex
const XML_ILLEGAL_SRC = "[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]";
const XML_ILLEGAL = new RegExp(XML_ILLEGAL_SRC);
const XML_ILLEGAL_G = new RegExp(XML_ILLEGAL_SRC, "g");

/** The most bytes parsed at once (about ten small messages). */
const READ_SLICE = 4 * 1024;
/** Parsing stops for the turn of the event loop once it has taken this long (ms). */
const TURN_BUDGET_MS = 4;

export type Endpoint =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "tls"; host: string; port: number }
  | { kind: "websocket"; url: string };

export function describeEndpoint(e: Endpoint): string {
  return e.kind === "websocket" ? e.url : `${e.kind === "tls" ? "xmpps" : "xmpp"}://${e.host}:${e.port}`;
}

export interface ConnectionSettings {
  domain: string;
  tls: TlsPolicy;
  limits: ParserLimits;
  /** Timeout for each step of the stream (open, close, socket connect), ms. */
  timeout: number;
  /**
   * How long parsing may take in one turn of the event loop before the rest waits for the next
   * turn, ms (default TURN_BUDGET_MS). Tests set 0 (every read after a turn's first slice waits)
   * or Infinity (everything at once).
   */
  turnBudgetMs?: number;
}

export class JabConnection extends Client {
  readonly settings: ConnectionSettings;
  #decoder: TextDecoder | null = null;
  #tcpParser: unknown;
  #wsParser: unknown;

  constructor(settings: ConnectionSettings) {
    super({ domain: settings.domain, service: settings.domain, timeout: settings.timeout });
    this.settings = settings;
    this.#tcpParser = createParserClass(settings.limits, false);
    this.#wsParser = createParserClass(settings.limits, true);
  }

  /** Open a socket to one endpoint; resolves once it is connected (and its certificate verified). */
  override async connect(endpoint: Endpoint): Promise<void> {
    const { tls, limits, timeout } = this.settings;
    let socket: XmppSocket;
    let params: unknown;
    if (endpoint.kind === "websocket") {
      this.Transport = ConnectionWebSocket;
      this.Parser = this.#wsParser;
      const host = new URL(endpoint.url).hostname;
      socket = new WsSocket({ policy: { ...tls, servername: host }, maxPayload: limits.maxStanzaSize, handshakeTimeout: timeout });
      params = endpoint.url;
    } else {
      this.Transport = ConnectionTCP;
      this.Parser = this.#tcpParser;
      socket = endpoint.kind === "tls" ? new TlsSocket(tls) : (new PlainSocket() as unknown as XmppSocket);
      params = { host: endpoint.host, port: endpoint.port };
    }
    this.Socket = socket.constructor;
    this._status("connecting", describeEndpoint(endpoint));
    this._attachSocket(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new ConnectionError(`timed out connecting to ${describeEndpoint(endpoint)}`)), timeout);
      const done = (err?: unknown) => {
        clearTimeout(timer);
        socket.off("connect", onConnect);
        socket.off("error", done);
        socket.off("close", onClose);
        if (err) {
          socket.destroy();
          reject(err);
        } else resolve();
      };
      const onConnect = () => done();
      const onClose = () => done(new ConnectionError(`connection to ${describeEndpoint(endpoint)} closed`));
      socket.once("connect", onConnect);
      socket.once("error", done);
      socket.once("close", onClose);
      socket.connect(params);
    });
  }

  override _attachSocket(socket: unknown): void {
    this.#flush();
    this.#decoder = new TextDecoder("utf-8", { fatal: true });
    // Registered before xmpp.js's own listeners: what is still queued is parsed before the close is.
    (socket as XmppSocket).on("close", () => this.#flush());
    super._attachSocket(socket);
  }

  /**
   * A read of many stanzas (a flood, a roster of thousands, an archive page) is parsed a slice at a
   * time, for at most TURN_BUDGET_MS per turn of the event loop; the socket is paused while slices
   * wait, so keystrokes and frames get their turn between them instead of waiting behind thousands
   * of stanzas. The budget counts every read of a turn: libuv hands a busy socket's reads over one
   * after another (a TLS record each) before it looks at the terminal again. Order is kept; nothing
   * is dropped.
   */
  override _onData(data: Buffer | string): void {
    if (this.#pending.length) {
      this.#pending.push(data); // the socket is being paused: what was already read waits its turn
      return;
    }
    this.#feed(data);
  }

  #pending: (Buffer | string)[] = [];
  #drainTimer: NodeJS.Immediate | null = null;
  /** When parsing began in this turn of the event loop (-1: not yet). */
  #turnStart = -1;

  /** Whether this turn's parsing budget is spent (the first call of a turn starts it). */
  #overBudget(): boolean {
    const now = performance.now();
    if (this.#turnStart < 0) {
      this.#turnStart = now;
      setImmediate(() => (this.#turnStart = -1)); // after this turn's reads: the next turn starts afresh
      return false;
    }
    return now - this.#turnStart >= (this.settings.turnBudgetMs ?? TURN_BUDGET_MS);
  }

  /** Parse `data` slice by slice while the budget lasts; the rest waits, first in line. */
  #feed(data: Buffer | string): void {
    const rest = this.#parseSlices(data, true);
    if (rest === undefined) return;
    this.#pending.unshift(rest);
    (this.socket as XmppSocket | null)?.pause?.();
    this.#drainTimer ??= setImmediate(() => this.#drain());
  }

  /**
   * Parse `data` READ_SLICE bytes at a time (the parser's size limit counts each write, and a
   * slice is one group commit); with `budget`, stop once the turn's budget is spent and return
   * what is left.
   */
  #parseSlices(data: Buffer | string, budget: boolean): Buffer | string | undefined {
    let rest: Buffer | string | undefined = data;
    while (rest !== undefined) {
      if (budget && this.#overBudget()) return rest;
      let slice: Buffer | string = rest;
      rest = undefined;
      if (typeof slice !== "string" && slice.length > READ_SLICE) {
        rest = slice.subarray(READ_SLICE);
        slice = slice.subarray(0, READ_SLICE);
      }
      this.#parse(slice);
    }
    return undefined;
  }

  #drain(): void {
    this.#drainTimer = null;
    this.#turnStart = -1;
    while (this.#pending.length && this.#drainTimer === null) this.#feed(this.#pending.shift()!);
    if (!this.#pending.length && this.#drainTimer === null) (this.socket as XmppSocket | null)?.resume?.();
  }

  /** Parse everything still queued now (the socket closed or was replaced). */
  #flush(): void {
    if (this.#drainTimer) clearImmediate(this.#drainTimer);
    this.#drainTimer = null;
    const rest = this.#pending;
    this.#pending = [];
    for (const d of rest) this.#parseSlices(d, false);
  }

  /** Bytes from TCP/TLS are decoded as a stream (a character split across reads stays whole). */
  #parse(data: Buffer | string): void {
    const parser = this.parser as { write(s: string): void; emit(e: string, err: unknown): void } | null;
    if (!parser) return; // the parser was detached after an error: drop the rest of the stream
    let text: string;
    if (typeof data === "string") text = data;
    else {
      try {
        text = this.#decoder!.decode(data, { stream: true });
      } catch {
        parser.emit("error", new StreamError("unsupported-encoding", "invalid UTF-8 in XML stream"));
        return;
      }
    }
    // The messages of one read may be committed together at its end (group-commit.ts).
    if (text) withinRead(() => parser.write(text));
  }

  /**
   * Write without ever throwing out of a destroyed socket. Characters XML 1.0 cannot carry (C0
   * controls but TAB/LF/CR, U+FFFE/U+FFFF, lone surrogates) become U+FFFD: a pasted control
   * character must not make the server close our stream.
   */
  override async write(raw: string): Promise<void> {
    // Nothing goes out (an XEP-0198 <a/> counting a message, a receipt) before the messages it is
    // about are committed.
    settle();
    const data = XML_ILLEGAL.test(raw) ? raw.replace(XML_ILLEGAL_G, "\uFFFD") : raw;
    if (this.status === "closing") throw new ConnectionError("connection is closing");
    const socket = this.socket as XmppSocket | null;
    if (!socket) throw new ConnectionError("not connected");
    await new Promise<void>((resolve, reject) => {
      try {
        socket.write(data, (err) => (err ? reject(new ConnectionError(`write failed: ${err.message}`, {}, { cause: err })) : resolve()));
      } catch (err) {
        reject(new ConnectionError(`write failed: ${(err as Error).message}`, {}, { cause: err }));
      }
    });
  }

  /** Cut the connection without closing the stream (as a network failure would). */
  destroySocket(): void {
    (this.socket as XmppSocket | null)?.destroy();
  }
}
