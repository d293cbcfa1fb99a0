/**
 * The sockets xmpp.js's Connection drives (connect/write/end and connect/data/close/error events),
 * re-implemented so that each account's TLS policy reaches tls.connect — @xmpp/tls and
 * @xmpp/websocket take no TLS options at all.
 */
import { EventEmitter } from "node:events";
import net from "node:net";
import tls from "node:tls";

import WebSocket from "ws";

import { ConnectionError } from "../../errors.js";
import { tlsConnectOptions, verifyPeer, type TlsPolicy } from "./tls.js";

export interface XmppSocket extends EventEmitter {
  secure: boolean;
  connect(params?: unknown): void;
  write(data: string, cb?: (err?: Error | null) => void): void;
  end(): void;
  destroy(err?: Error): void;
  /** Stop and restart reading (the connection parses a big read in slices meanwhile). */
  pause?(): void;
  resume?(): void;
}

/** Plain TCP (before STARTTLS). A net.Socket, as @xmpp/starttls-style upgrades expect. */
export class PlainSocket extends net.Socket {
  secure = false;
  constructor(options?: net.SocketConstructorOpts) {
    super(options);
    // XMPP is interactive: no Nagle delay (a stanza larger than one segment, an encrypted
    // message say, otherwise waits for the peer's delayed ACK, ~40 ms).
    this.setNoDelay(true);
  }
}

/** TLS: direct (XEP-0368) with `{host, port}`, or STARTTLS over an existing socket with `{socket}`. */
export class TlsSocket extends EventEmitter implements XmppSocket {
  secure = true;
  socket: tls.TLSSocket | null = null;
  readonly #policy: TlsPolicy;

  constructor(policy: TlsPolicy) {
    super();
    this.#policy = policy;
  }

  connect(params: { host?: string; port?: number; socket?: net.Socket }): void {
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({ ...tlsConnectOptions(this.#policy), ...params });
      socket.setNoDelay(true);
    } catch (err) {
      queueMicrotask(() => this.emit("error", err));
      return;
    }
    this.socket = socket;
    socket.on("secureConnect", () => {
      const refused = verifyPeer(socket, this.#policy);
      if (refused) {
        this.emit("error", refused);
        socket.destroy();
        return;
      }
      this.emit("connect");
    });
    socket.on("data", (data: Buffer) => this.emit("data", data));
    socket.on("error", (err) => this.emit("error", err));
    socket.on("close", (hadError: boolean) => {
      this.socket = null;
      this.emit("close", hadError);
    });
  }

  write(data: string, cb?: (err?: Error | null) => void): void {
    if (!this.socket || this.socket.destroyed) {
      cb?.(new ConnectionError("socket closed"));
      return;
    }
    this.socket.write(data, cb);
  }

  end(): void {
    this.socket?.end();
  }

  destroy(err?: Error): void {
    this.socket?.destroy(err);
  }

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  get peerFingerprint(): string | undefined {
    return this.socket?.getPeerCertificate()?.fingerprint256;
  }
}

export interface WsOptions {
  policy: TlsPolicy;
  maxPayload: number;
  handshakeTimeout: number;
}

/** RFC 7395 over `ws` (Node 20 has no global WebSocket); wss:// verified like any other TLS. */
export class WsSocket extends EventEmitter implements XmppSocket {
  secure = false;
  socket: WebSocket | null = null;
  readonly #options: WsOptions;

  constructor(options: WsOptions) {
    super();
    this.#options = options;
  }

  connect(url: string): void {
    this.secure = url.startsWith("wss:");
    const { policy, maxPayload, handshakeTimeout } = this.#options;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, ["xmpp"], {
        maxPayload,
        handshakeTimeout,
        perMessageDeflate: false,
        followRedirects: false,
        createConnection: this.secure
          ? (opts: tls.ConnectionOptions) => {
              const s = tls.connect({ ...opts, ...tlsConnectOptions(policy) });
              s.once("secureConnect", () => {
                const refused = verifyPeer(s, policy);
                if (refused) s.destroy(refused);
              });
              return s;
            }
          : undefined,
      } as WebSocket.ClientOptions);
    } catch (err) {
      queueMicrotask(() => this.emit("error", err));
      return;
    }
    this.socket = ws;
    ws.on("open", () => {
      if (ws.protocol !== "xmpp") {
        this.emit("error", new ConnectionError(`WebSocket server did not accept the "xmpp" subprotocol`));
        ws.terminate();
        return;
      }
      this.emit("connect");
    });
    ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) {
        this.emit("error", new ConnectionError("binary WebSocket frame refused (RFC 7395 uses text frames)"));
        ws.terminate();
        return;
      }
      this.emit("data", (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer)).toString("utf8"));
    });
    ws.on("error", (err) => this.emit("error", err));
    ws.on("close", (code: number) => {
      this.socket = null;
      this.emit("close", code !== 1000 && code !== 1005);
    });
  }

  /** Stop reading frames while the connection parses what it has (ws stops reading the socket). */
  pause(): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.pause();
  }

  resume(): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.resume();
  }

  write(data: string, cb?: (err?: Error | null) => void): void {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      cb?.(new ConnectionError("socket closed"));
      return;
    }
    this.socket.send(data, (err) => cb?.(err ?? null));
  }

  end(): void {
    this.socket?.close();
  }

  destroy(): void {
    this.socket?.terminate();
  }
}
