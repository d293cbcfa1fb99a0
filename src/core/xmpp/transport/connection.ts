/**
 * xmpp.js's Client (stream state machine, header/footer per transport) with the parts we must own:
 * endpoint selection with per-account sockets, a streaming UTF-8 decoder, a hardened parser, and
 * writes that fail cleanly instead of throwing out of a dead socket.
 */
import { TextDecoder } from "node:util";

import { Client } from "@xmpp/client-core";
import ConnectionTCP from "@xmpp/tcp/lib/Connection.js";
import ConnectionWebSocket from "@xmpp/websocket/lib/Connection.js";

import { ConnectionError, StreamError } from "../../errors.js";
import { createParserClass, type ParserLimits } from "./parser.js";
import { PlainSocket, TlsSocket, WsSocket, type XmppSocket } from "./sockets.js";
import type { TlsPolicy } from "./tls.js";

// eslint-disable-next-line no-control-regex
const XML_ILLEGAL_SRC = "[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]";
const XML_ILLEGAL = new RegExp(XML_ILLEGAL_SRC);
const XML_ILLEGAL_G = new RegExp(XML_ILLEGAL_SRC, "g");

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
    this.#decoder = new TextDecoder("utf-8", { fatal: true });
    super._attachSocket(socket);
  }

  /** Bytes from TCP/TLS are decoded as a stream (a character split across reads stays whole). */
  override _onData(data: Buffer | string): void {
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
    if (text) parser.write(text);
  }

  /**
   * Write without ever throwing out of a destroyed socket. Characters XML 1.0 cannot carry (C0
   * controls but TAB/LF/CR, U+FFFE/U+FFFF, lone surrogates) become U+FFFD: a pasted control
   * character must not make the server close our stream.
   */
  override async write(raw: string): Promise<void> {
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
