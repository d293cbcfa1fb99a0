/**
 * jabterm's error family. Every error that can reach a user carries a code; each code maps to one
 * documented process exit code (README "Exit codes", man page EXIT STATUS).
 */

export const EXIT = {
  ok: 0,
  usage: 2,
  config: 3,
  auth: 4,
  connection: 5,
  undelivered: 6,
  crypto: 7,
  internal: 1,
} as const;

export type ErrorCode =
  | "usage"
  | "config"
  | "auth"
  | "tls"
  | "connection"
  | "stream"
  | "stanza"
  | "timeout"
  | "undelivered"
  | "crypto"
  | "locked"
  | "program"
  | "internal";

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  usage: EXIT.usage,
  config: EXIT.config,
  locked: EXIT.config,
  auth: EXIT.auth,
  tls: EXIT.connection,
  connection: EXIT.connection,
  stream: EXIT.connection,
  stanza: EXIT.connection,
  timeout: EXIT.connection,
  undelivered: EXIT.undelivered,
  crypto: EXIT.crypto,
  /** A program jabterm ran for you (/exec, /open) failed. */
  program: EXIT.internal,
  internal: EXIT.internal,
};

export class JabtermError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable detail (e.g. the RFC 6120 condition, a fingerprint). */
  readonly detail: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, detail: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JabtermError";
    this.code = code;
    this.detail = detail;
  }

  get exitCode(): number {
    return EXIT_BY_CODE[this.code];
  }
}

export class UsageError extends JabtermError {
  constructor(message: string, detail: Record<string, unknown> = {}) {
    super("usage", message, detail);
    this.name = "UsageError";
  }
}

export class ConfigError extends JabtermError {
  constructor(message: string, detail: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("config", message, detail, options);
    this.name = "ConfigError";
  }
}

/** Wrong credentials or a SASL failure: never retried automatically. */
export class AuthError extends JabtermError {
  constructor(message: string, detail: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("auth", message, detail, options);
    this.name = "AuthError";
  }
}

/** Certificate or TLS-policy failure (including a server that does not offer TLS). */
export class TlsError extends JabtermError {
  constructor(message: string, detail: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("tls", message, detail, options);
    this.name = "TlsError";
  }
}

export class ConnectionError extends JabtermError {
  constructor(message: string, detail: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("connection", message, detail, options);
    this.name = "ConnectionError";
  }
}

/** A stream-level error (RFC 6120 §4.9): ours (bad XML, limits) or the server's. */
export class StreamError extends JabtermError {
  constructor(condition: string, message: string, detail: Record<string, unknown> = {}) {
    super("stream", message, { condition, ...detail });
    this.name = "StreamError";
  }
  get condition(): string {
    return String(this.detail.condition);
  }
}

/** An <error/> reply to one of our stanzas (RFC 6120 §8.3), carrying its defined condition. */
export class StanzaError extends JabtermError {
  constructor(condition: string, text: string | undefined, type: string | undefined) {
    super("stanza", text ? `${condition}: ${text}` : condition, { condition, text, type });
    this.name = "StanzaError";
  }
  get condition(): string {
    return String(this.detail.condition);
  }
}

export class TimeoutError extends JabtermError {
  constructor(message: string, detail: Record<string, unknown> = {}) {
    super("timeout", message, detail);
    this.name = "TimeoutError";
  }
}

export class CryptoError extends JabtermError {
  constructor(message: string, detail: Record<string, unknown> = {}) {
    super("crypto", message, detail);
    this.name = "CryptoError";
  }
}

/** Normalise anything thrown into a JabtermError (unknown errors become "internal"). */
export function toJabtermError(err: unknown): JabtermError {
  if (err instanceof JabtermError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  return new JabtermError("internal", e.message, {}, { cause: e });
}

/** A short, JSON-friendly view of an error for events: `{code, text, ...detail}`. */
export function errorInfo(err: unknown): { code: ErrorCode; text: string } & Record<string, unknown> {
  const e = toJabtermError(err);
  return { ...e.detail, code: e.code, text: e.message };
}
