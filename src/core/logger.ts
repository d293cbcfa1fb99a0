/**
 * A small file logger. Never writes to stdout or stderr (stdout belongs to the UI / NDJSON).
 *
 * Format: JSON Lines, one object per line, keys in this order:
 *   {"time":"2024-05-01T12:00:00.000Z","level":"info","msg":"connected", ...fields}
 * XML traffic (only when xml logging is on, independent of the level) is written as
 *   {"time":...,"level":"xml","dir":"in"|"out","account":"work","xml":"<message .../>", ...fields}
 * with credentials always removed by `redactXml` first. Every string value (message, fields,
 * XML) also goes through `redactSecrets` with the secrets registered via the `secrets` option /
 * `addSecret()`.
 *
 * The file is created mode 0600 (an existing group/world-readable one is fixed) in a 0700
 * directory. Without a file the logger is a no-op. Write failures are swallowed: logging must
 * never take the client down.
 */

import fs from "node:fs";
import path from "node:path";
import { ensurePrivateDir, ensurePrivateFile } from "./config/paths.js";

export const LOG_LEVELS = ["error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  trace(msg: string, fields?: LogFields): void;
  /** Log XML traffic (only when xml logging is on); the text is always passed through redactXml. */
  xml(direction: "in" | "out", account: string, xml: string): void;
  /** A logger adding `fields` to every line; shares the file, level and secrets with its parent. */
  child(fields: LogFields): Logger;
  /** Would a message at this level be written? (To skip building expensive messages.) */
  enabled(level: LogLevel): boolean;
  setLevel(level: LogLevel): void;
  setXml(on: boolean): void;
  /** Whether xml() would write anything (so callers can skip serialising stanzas). */
  xmlEnabled(): boolean;
  /** Register a secret (e.g. a password once known) to be replaced by *** in every line. */
  addSecret(secret: string): void;
  /** Close the file (on the root or any child: they share it). Further calls are no-ops. */
  close(): void;
  /** Warnings from opening the log file (e.g. permissions fixed), for the caller to show. */
  readonly warnings: readonly string[];
}

export interface LoggerOptions {
  /** Log file; absent → a no-op logger. */
  file?: string;
  level: LogLevel;
  /** Log XML traffic (default false). */
  xml?: boolean;
  /** Literal secrets to redact from every line. */
  secrets?: string[];
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

interface Sink {
  fd: number | undefined;
  rank: number;
  xml: boolean;
  secrets: string[];
}

function serialiseField(v: unknown): unknown {
  if (v instanceof Error) {
    const o: Record<string, unknown> = { name: v.name, message: v.message };
    const code = (v as { code?: unknown }).code;
    if (code !== undefined) o.code = code;
    return o;
  }
  if (typeof v === "bigint") return v.toString();
  return v;
}

/** JSON-encode a log record; secrets are redacted from every string value (so the line stays valid JSON). */
function safeStringify(obj: Record<string, unknown>, secrets: readonly string[]): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(obj, (_k, v: unknown) => {
    const s = serialiseField(v);
    if (typeof s === "string") return secrets.length ? redactSecrets(s, secrets) : s;
    if (typeof s === "object" && s !== null) {
      if (seen.has(s)) return "[circular]";
      seen.add(s);
    }
    return s;
  });
}

function openSink(opts: LoggerOptions, warnings: string[]): Sink {
  const sink: Sink = {
    fd: undefined,
    rank: RANK[opts.level] ?? RANK.warn,
    xml: opts.xml ?? false,
    secrets: [...(opts.secrets ?? [])].filter((s) => s.length > 0),
  };
  if (!opts.file) return sink;
  try {
    const dir = ensurePrivateDir(path.dirname(opts.file));
    if (dir.warning) warnings.push(dir.warning);
    sink.fd = fs.openSync(opts.file, "a", 0o600);
    const w = ensurePrivateFile(opts.file);
    if (w) warnings.push(w);
  } catch (err) {
    warnings.push(`cannot open log file ${opts.file}: ${(err as Error).message}`);
    sink.fd = undefined;
  }
  return sink;
}

function makeLogger(sink: Sink, base: LogFields, warnings: readonly string[]): Logger {
  const write = (obj: Record<string, unknown>): void => {
    if (sink.fd === undefined) return;
    try {
      fs.writeSync(sink.fd, safeStringify(obj, sink.secrets) + "\n");
    } catch {
      // Logging must never take the client down.
    }
  };
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (sink.fd === undefined || RANK[level] > sink.rank) return;
      write({ time: new Date().toISOString(), level, msg, ...base, ...fields });
    };
  return {
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    trace: at("trace"),
    xml(direction, account, xml) {
      if (sink.fd === undefined || !sink.xml) return;
      write({ time: new Date().toISOString(), level: "xml", dir: direction, account, xml: redactXml(xml), ...base });
    },
    child(fields) {
      return makeLogger(sink, { ...base, ...fields }, warnings);
    },
    enabled(level) {
      return sink.fd !== undefined && RANK[level] <= sink.rank;
    },
    setLevel(level) {
      const r = RANK[level];
      if (r !== undefined) sink.rank = r;
    },
    setXml(on) {
      sink.xml = on;
    },
    xmlEnabled() {
      return sink.fd !== undefined && sink.xml;
    },
    addSecret(secret) {
      if (secret.length > 0 && !sink.secrets.includes(secret)) sink.secrets.push(secret);
    },
    close() {
      if (sink.fd === undefined) return;
      const fd = sink.fd;
      sink.fd = undefined;
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    },
    warnings,
  };
}

export function createLogger(opts: LoggerOptions): Logger {
  const warnings: string[] = [];
  const sink = openSink(opts, warnings);
  return makeLogger(sink, {}, warnings);
}

/** A logger that drops everything. */
export function nullLogger(): Logger {
  return createLogger({ level: "error" });
}

// ---------------------------------------------------------------------------------------------
// Redaction

export const REDACTED = "***";

const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_SASL2 = "urn:xmpp:sasl:2";
const NS_IQ_AUTH = "jabber:iq:auth";
const NS_FAST = "urn:xmpp:fast:0";

interface Frame {
  name: string; // qualified name as written
  local: string;
  ns: string | undefined; // undefined: unknown (fragment without context)
  nsDecls: Map<string, string | undefined>; // prefix ("" = default) → ns
  attrs: Map<string, string>;
}

type Token =
  | { kind: "text"; raw: string }
  | { kind: "open"; raw: string; name: string; attrs: Map<string, string>; selfClosing: boolean }
  | { kind: "close"; raw: string; name: string }
  | { kind: "other"; raw: string }; // comment, CDATA, processing instruction, doctype

const isWs = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";

/**
 * A lenient, linear-time XML lexer: every step advances, malformed or truncated markup never
 * causes rescanning (so hostile input cannot make logging slow). An unterminated construct
 * extends to the end of the text.
 */
function* lexXml(s: string, from: number): Generator<Token> {
  let i = from;
  const n = s.length;
  const until = (marker: string, start: number): number => {
    const k = s.indexOf(marker, start);
    return k < 0 ? n : k + marker.length;
  };
  while (i < n) {
    const lt = s.indexOf("<", i);
    if (lt < 0) {
      yield { kind: "text", raw: s.slice(i) };
      return;
    }
    if (lt > i) yield { kind: "text", raw: s.slice(i, lt) };
    i = lt;
    if (s.startsWith("<!--", i)) {
      const e = until("-->", i + 4);
      yield { kind: "other", raw: s.slice(i, e) };
      i = e;
    } else if (s.startsWith("<![CDATA[", i)) {
      const e = until("]]>", i + 9);
      yield { kind: "other", raw: s.slice(i, e) };
      i = e;
    } else if (s.startsWith("<?", i)) {
      const e = until("?>", i + 2);
      yield { kind: "other", raw: s.slice(i, e) };
      i = e;
    } else if (s.startsWith("<!", i)) {
      const e = until(">", i + 2);
      yield { kind: "other", raw: s.slice(i, e) };
      i = e;
    } else if (s.startsWith("</", i)) {
      const e = until(">", i + 2);
      const name = s.slice(i + 2, e).replace(/>$/, "").trim();
      yield { kind: "close", raw: s.slice(i, e), name };
      i = e;
    } else {
      let j = i + 1;
      while (j < n && !isWs(s[j]) && s[j] !== ">" && s[j] !== "/" && s[j] !== "<") j++;
      const name = s.slice(i + 1, j);
      if (name === "") {
        yield { kind: "text", raw: "<" };
        i++;
        continue;
      }
      const attrs = new Map<string, string>();
      let selfClosing = false;
      let end = n;
      while (j < n) {
        const c = s[j]!;
        if (isWs(c)) {
          j++;
        } else if (c === ">") {
          end = j + 1;
          break;
        } else if (c === "/") {
          if (s[j + 1] === ">") {
            selfClosing = true;
            end = j + 2;
            break;
          }
          j++;
        } else {
          const a0 = j;
          while (j < n && !isWs(s[j]) && s[j] !== "=" && s[j] !== ">" && s[j] !== "/") j++;
          const an = s.slice(a0, j);
          if (an === "") {
            j++; // stray character
            continue;
          }
          while (isWs(s[j])) j++;
          if (s[j] !== "=") {
            attrs.set(an, "");
            continue;
          }
          j++;
          while (isWs(s[j])) j++;
          const q = s[j];
          if (q === '"' || q === "'") {
            const k = s.indexOf(q, j + 1);
            attrs.set(an, s.slice(j + 1, k < 0 ? n : k));
            j = k < 0 ? n : k + 1;
          } else {
            const v0 = j;
            while (j < n && !isWs(s[j]) && s[j] !== ">" && !(s[j] === "/" && s[j + 1] === ">")) j++;
            attrs.set(an, s.slice(v0, j));
          }
        }
      }
      yield { kind: "open", raw: s.slice(i, end), name, attrs, selfClosing };
      i = end;
    }
  }
}

function splitName(q: string): { prefix: string; local: string } {
  const i = q.indexOf(":");
  return i < 0 ? { prefix: "", local: q } : { prefix: q.slice(0, i), local: q.slice(i + 1) };
}

function lookupNs(stack: Frame[], decls: Map<string, string | undefined>, prefix: string): string | undefined {
  if (decls.has(prefix)) return decls.get(prefix);
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i]!;
    if (f.nsDecls.has(prefix)) return f.nsDecls.get(prefix);
  }
  return undefined;
}

/** Is this element's whole content a credential? `ns` undefined = unknown, treated as possibly sensitive. */
function sensitiveContent(local: string, ns: string | undefined, parent: Frame | undefined): boolean {
  const maybe = (...nss: string[]): boolean => ns === undefined || nss.includes(ns);
  switch (local) {
    case "auth":
    case "response":
    case "challenge":
    case "success":
      return maybe(NS_SASL, NS_SASL2);
    case "initial-response":
    case "additional-data":
      return maybe(NS_SASL2);
    case "password":
      return true; // XEP-0077 jabber:iq:register, XEP-0078, MUC <password>, ...
    case "digest":
      return maybe(NS_IQ_AUTH);
    case "value":
      // Data forms: <field type="text-private"><value>secret</value></field>
      return parent !== undefined && parent.local === "field" && parent.attrs.get("type") === "text-private";
    default:
      return false;
  }
}

const SENSITIVE_CLOSERS = /<\/\s*(?:[^\s>:]+:)?(auth|response|challenge|success|initial-response|additional-data|password|digest)\s*>/;

/**
 * Remove credentials from XML text for logging: the content of SASL `<auth>`, `<response>`,
 * `<challenge>`, `<success>` (urn:ietf:params:xml:ns:xmpp-sasl, and SASL2 urn:xmpp:sasl:2,
 * whose `<initial-response>` and `<additional-data>` too), any `<password>`, jabber:iq:auth
 * `<digest>`, data-form `text-private` values and FAST `token` attributes become `***`.
 * Works on fragments and chunk boundaries: an element whose namespace cannot be determined is
 * treated as sensitive, an unterminated one is redacted to the end of the text, and text ending
 * with a sensitive closing tag that was never opened is redacted from the start.
 */
export function redactXml(xml: string): string {
  let out = "";
  let start = 0;
  const stack: Frame[] = [];
  // When redacting: depth of nesting inside the sensitive element (0 = not redacting).
  let redactDepth = 0;
  let redactedSomething = false;

  // A chunk that starts inside a sensitive element ("...secret</auth>"): if a sensitive closing
  // tag comes before any opening tag, everything before it is redacted.
  const closer = SENSITIVE_CLOSERS.exec(xml);
  if (closer && xml.slice(0, closer.index).trim() !== "" && !/<[^\s/>!?]/.test(xml.slice(0, closer.index))) {
    out = REDACTED;
    start = closer.index;
  }

  for (const tok of lexXml(xml, start)) {
    if (redactDepth > 0) {
      // Inside a sensitive element: swallow everything until its closing tag.
      if (tok.kind === "open" && !tok.selfClosing) redactDepth++;
      else if (tok.kind === "close") redactDepth--;
      if (redactDepth === 0) {
        stack.pop();
        out += (redactedSomething ? REDACTED : "") + tok.raw;
      } else {
        redactedSomething = true;
      }
      continue;
    }
    if (tok.kind === "open") {
      const decls = new Map<string, string | undefined>();
      for (const [k, v] of tok.attrs) {
        if (k === "xmlns") decls.set("", v);
        else if (k.startsWith("xmlns:")) decls.set(k.slice(6), v);
      }
      const { prefix, local } = splitName(tok.name);
      const ns = lookupNs(stack, decls, prefix);
      const parent = stack[stack.length - 1];
      let tag = tok.raw;
      if (local === "token" && (ns === undefined || ns === NS_FAST) && tok.attrs.has("token")) {
        tag = tag.replace(/(\stoken\s*=\s*)(?:"[^"]*"|'[^']*'|[^\s>/]+)/, `$1"${REDACTED}"`);
      }
      out += tag;
      if (!tok.selfClosing) {
        stack.push({ name: tok.name, local, ns, nsDecls: decls, attrs: tok.attrs });
        if (sensitiveContent(local, ns, parent)) {
          redactDepth = 1;
          redactedSomething = false;
        }
      }
    } else if (tok.kind === "close") {
      const top = stack[stack.length - 1];
      if (top && top.name === tok.name) stack.pop();
      out += tok.raw;
    } else {
      out += tok.raw;
    }
  }
  if (redactDepth > 0) {
    // Unterminated sensitive element (truncated chunk): redact to the end.
    return out + (redactedSomething ? REDACTED : "");
  }
  return out;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Replace literal occurrences of known secrets with `***`. Also catches their XML-escaped
 * form (a password containing "&" appears as "&amp;" in XML) and, with `json: true`, their
 * JSON-string-escaped form (as they appear inside a JSON log line).
 */
export function redactSecrets(text: string, secrets: readonly string[], opts: { json?: boolean } = {}): string {
  const variants = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    variants.add(s);
    variants.add(xmlEscape(s));
    if (opts.json) {
      variants.add(JSON.stringify(s).slice(1, -1));
      variants.add(JSON.stringify(xmlEscape(s)).slice(1, -1));
    }
  }
  if (variants.size === 0) return text;
  const sorted = [...variants].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
  const re = new RegExp(sorted.map(escapeRegExp).join("|"), "g");
  return text.replace(re, REDACTED);
}
