/**
 * Every configuration key, declared once as data.
 *
 * `ACCOUNT_KEYS` (per account) and `SETTINGS` (global) drive: parsing what the user types
 * (`/account set a port 5222`, `/set log_level debug`), validation of the config file (with
 * messages naming the offending path), the JSON schema handed to `conf`, completion and the
 * man page. Add a key here and everything else follows.
 */

import os from "node:os";
import path from "node:path";
import { UsageError } from "../errors.js";
import { LOG_LEVELS, type LogLevel } from "../logger.js";

export type ValueType = "string" | "int" | "boolean" | "enum";

/** Extra syntax/semantics of a string value. */
export type StringFormat =
  | "jid" // bare JID local@domain
  | "name" // account name: no whitespace, does not start with "-"
  | "host" // host name or IP address
  | "ws-url" // ws:// or wss:// URL
  | "path" // a file path (typed values: ~ expanded and made absolute)
  | "command" // a program and its arguments, split like a shell would but never run by one
  | "fingerprint" // SHA-256 fingerprint, normalised to AA:BB:...
  | "resource" // XMPP resourcepart
  | "text"; // any non-empty text (passwords)

export type ConfigValue = string | number | boolean;

export interface KeyDef {
  readonly key: string;
  readonly type: ValueType;
  readonly description: string;
  /** Default value (absent: no default, the key is simply unset). */
  readonly default?: ConfigValue;
  /** How to describe a computed default in docs, e.g. "the bare JID". */
  readonly defaultText?: string;
  /** For enums. */
  readonly values?: readonly string[];
  /** For ints (inclusive). */
  readonly min?: number;
  readonly max?: number;
  /** For ints: the unit; typed values may use a suffix (ms: 500ms, 10s, 5m, 1h; bytes: 64k, 1m). */
  readonly unit?: "ms" | "bytes";
  /** For strings. */
  readonly format?: StringFormat;
  /** Never display the value (show "***"); a warning is given when it is stored. */
  readonly secret?: boolean;
  /** Must be present (and cannot be unset). */
  readonly required?: boolean;
  /** When a change takes effect (settings): absent = at once; "connect" = the next connection; "restart". */
  readonly applies?: "connect" | "restart";
}

export const TRANSPORTS = ["starttls", "tls", "websocket"] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const ACCOUNT_KEYS = [
  {
    key: "jid",
    type: "string",
    format: "jid",
    required: true,
    description: "The account's bare JID (local@domain).",
  },
  {
    key: "name",
    type: "string",
    format: "name",
    defaultText: "the bare JID",
    description: "Short name used to refer to the account in commands; unique, no whitespace.",
  },
  {
    key: "password",
    type: "string",
    format: "text",
    secret: true,
    description:
      "The password, stored in plain text in the config file (a warning is shown); prefer password_command.",
  },
  {
    key: "password_command",
    type: "string",
    format: "command",
    description:
      "A program and its arguments that prints the password on its standard output (first line used). " +
      "Split into words like a shell would (quotes, backslashes) but run without a shell: no variables, globs or pipes.",
  },
  {
    key: "host",
    type: "string",
    format: "host",
    description: "Server host to connect to instead of resolving the JID's domain via DNS SRV.",
  },
  {
    key: "port",
    type: "int",
    min: 1,
    max: 65535,
    description: "Server port (default: from DNS SRV, else 5222 for starttls and 5223 for tls).",
  },
  {
    key: "transport",
    type: "enum",
    values: TRANSPORTS,
    default: "starttls",
    description:
      "How to connect: starttls (TCP, upgraded with STARTTLS), tls (direct TLS, XEP-0368) or websocket (RFC 7395, needs url).",
  },
  {
    key: "url",
    type: "string",
    format: "ws-url",
    description: "WebSocket endpoint (ws:// or wss://) for transport websocket.",
  },
  {
    key: "ca_file",
    type: "string",
    format: "path",
    description: "PEM file of CA certificates to trust instead of the system store.",
  },
  {
    key: "fingerprint",
    type: "string",
    format: "fingerprint",
    description:
      "Pin the server certificate: SHA-256 of the leaf certificate (DER), 64 hex digits with or without colons.",
  },
  {
    key: "resource",
    type: "string",
    format: "resource",
    default: "jabterm",
    description: "Resource to request when binding.",
  },
  {
    key: "priority",
    type: "int",
    min: -128,
    max: 127,
    default: 0,
    description: "Presence priority (-128..127); negative means never receive messages sent to the bare JID.",
  },
  {
    key: "priority_chat",
    type: "int",
    min: -128,
    max: 127,
    defaultText: "priority",
    description: "Presence priority while free for chat; unset means the same as priority.",
  },
  {
    key: "priority_away",
    type: "int",
    min: -128,
    max: 127,
    defaultText: "priority",
    description: "Presence priority while away (also used by auto-away); unset means the same as priority.",
  },
  {
    key: "priority_xa",
    type: "int",
    min: -128,
    max: 127,
    defaultText: "priority",
    description: "Presence priority while extended away (also used by auto-xa); unset means the same as priority.",
  },
  {
    key: "priority_dnd",
    type: "int",
    min: -128,
    max: 127,
    defaultText: "priority",
    description: "Presence priority while do not disturb; unset means the same as priority.",
  },
  {
    key: "allow_plaintext",
    type: "boolean",
    default: false,
    description: "Allow authenticating over an unencrypted connection (only ever for testing).",
  },
  {
    key: "enabled",
    type: "boolean",
    default: true,
    description: "Connect this account at start-up.",
  },
  {
    key: "startup_script",
    type: "string",
    format: "path",
    description: "A file of slash commands run (like /source) each time the account starts a fresh session; commands act for this account.",
  },
  {
    key: "pgp_passphrase_command",
    type: "string",
    format: "command",
    description:
      "A program and its arguments that prints the passphrase of the account's OpenPGP secret key (run like password_command). " +
      "Without it jabterm asks (a credential request, answered with /password).",
  },
  {
    key: "history_retention_days",
    type: "int",
    min: 0,
    max: 36_500,
    defaultText: "history_retention_days",
    description: "Days this account's messages are kept in the local history; unset means the global setting, 0 forever.",
  },
] as const satisfies readonly KeyDef[];

export const SETTINGS = [
  {
    key: "log_level",
    type: "enum",
    values: LOG_LEVELS,
    default: "warn",
    description: "Minimum level written to the log file.",
  },
  {
    key: "xml_log",
    type: "boolean",
    default: false,
    description: "Log the XML traffic (credentials redacted) to the log file.",
  },
  {
    key: "reconnect_min_delay",
    applies: "restart",
    type: "int",
    unit: "ms",
    min: 0,
    max: 86_400_000,
    default: 1000,
    description: "First delay before reconnecting after a connection loss, in milliseconds.",
  },
  {
    key: "reconnect_max_delay",
    applies: "restart",
    type: "int",
    unit: "ms",
    min: 0,
    max: 86_400_000,
    default: 300_000,
    description: "Upper bound of the exponential reconnect back-off, in milliseconds.",
  },
  {
    key: "drain_timeout",
    type: "int",
    unit: "ms",
    min: 0,
    max: 86_400_000,
    default: 10_000,
    description: "How long headless mode waits at end of input for queued messages to be sent, in milliseconds.",
  },
  {
    key: "max_stanza_size",
    applies: "restart",
    type: "int",
    unit: "bytes",
    min: 65_536,
    max: 1_073_741_824,
    default: 1_048_576,
    description: "Largest incoming stanza accepted, in bytes; a bigger one closes the stream.",
  },
  {
    key: "auto_away",
    type: "int",
    unit: "ms",
    min: 0,
    max: 86_400_000,
    default: 600_000,
    description: "Idle time after which online accounts go away (with their away priority); 0 turns auto-away off.",
  },
  {
    key: "ping_interval",
    type: "int",
    unit: "ms",
    min: 0,
    max: 3_600_000,
    default: 60_000,
    description: "How often each online account pings its server (XEP-0199): keeps an idle connection alive, and the round trip is the lag in the status bar; 0 turns it off. Applies from the next ping or session.",
  },
  {
    key: "auto_xa",
    type: "int",
    unit: "ms",
    min: 0,
    max: 86_400_000,
    default: 1_800_000,
    description: "Idle time after which auto-away accounts go extended away (xa priority); 0 turns it off.",
  },
  {
    key: "auto_away_status",
    type: "string",
    format: "text",
    default: "Idle",
    description: "Status text set by auto-away (the previous status comes back on input).",
  },
  {
    key: "carbons",
    applies: "connect",
    type: "boolean",
    default: true,
    description: "Enable message carbons (XEP-0280): see what your other devices send and receive.",
  },
  {
    key: "send_receipts",
    type: "boolean",
    default: true,
    description: "Answer delivery receipt requests (XEP-0184).",
  },
  {
    key: "send_markers",
    type: "boolean",
    default: true,
    description: "Send displayed chat markers (XEP-0333) when you read a conversation.",
  },
  {
    key: "send_chat_states",
    type: "boolean",
    default: true,
    description: "Send typing notifications (XEP-0085: composing, paused, active, inactive).",
  },
  {
    key: "answer_version",
    type: "boolean",
    default: true,
    description: "Answer software version queries (XEP-0092).",
  },
  {
    key: "version_reveals_os",
    type: "boolean",
    default: false,
    description: "Include the operating system in software version answers.",
  },
  {
    key: "answer_last_activity",
    type: "boolean",
    default: true,
    description: "Answer last activity queries (XEP-0012) with your idle time.",
  },
  {
    key: "send_idle",
    type: "boolean",
    default: true,
    description: "Publish when you went idle (XEP-0319) in auto-away presence.",
  },
  {
    key: "pgp_unlock_time",
    type: "int",
    unit: "ms",
    min: 0,
    max: 86_400_000,
    default: 600_000,
    description: "How long an unlocked OpenPGP secret key stays in memory, in milliseconds (0: asked for every use).",
  },
  {
    key: "time_format",
    type: "string",
    format: "text",
    default: "HH:mm",
    description: "How the interface shows times of messages and console lines: HH (00-23), H (0-23), mm (minutes), ss (seconds); anything else is kept as is.",
  },
  {
    key: "date_format",
    type: "string",
    format: "text",
    default: "YYYY-MM-DD",
    description: "How the interface shows dates in day separators: YYYY, YY, MM, M, DD, D; anything else is kept as is.",
  },
  {
    key: "hook_message_in",
    type: "string",
    format: "command",
    description: "A program (and arguments, no shell) run for each incoming chat message, with the event as JSON on its standard input.",
  },
  {
    key: "hook_message_out",
    type: "string",
    format: "command",
    description: "A program run for each message you send, with the event as JSON on its standard input.",
  },
  {
    key: "hook_highlight",
    type: "string",
    format: "command",
    description: "A program run for each highlight (a chat message with one of highlight_words, a room message with your nick or one of them), with the event as JSON on its standard input.",
  },
  {
    key: "hook_presence",
    type: "string",
    format: "command",
    description: "A program run when a contact named in hook_presence_contacts (all contacts when unset) changes presence, with the event as JSON on its standard input.",
  },
  {
    key: "hook_presence_contacts",
    type: "string",
    format: "text",
    description: "The bare JIDs whose presence runs hook_presence, separated by spaces or commas; unset: every contact.",
  },
  {
    key: "hook_subscription",
    type: "string",
    format: "command",
    description: "A program run when someone asks to see your presence, with the event as JSON on its standard input.",
  },
  {
    key: "hook_timeout",
    type: "int",
    unit: "ms",
    min: 100,
    max: 3_600_000,
    default: 10_000,
    description: "How long a hook may run before it is killed, in milliseconds.",
  },
  {
    key: "hook_concurrency",
    type: "int",
    min: 1,
    max: 64,
    default: 4,
    description: "How many hooks may run at once; further events wait (at most 1000, then they are dropped and reported).",
  },
  {
    key: "highlight_words",
    type: "string",
    format: "text",
    description: "Words that make an incoming message a highlight, in chats and rooms (your nick in a room always does): whole words, case-insensitive, separated by spaces or commas.",
  },
  {
    key: "exec_timeout",
    type: "int",
    unit: "ms",
    min: 100,
    max: 3_600_000,
    default: 30_000,
    description: "How long a program started by /exec may run before it is killed, in milliseconds.",
  },
  {
    key: "url_opener",
    type: "string",
    format: "command",
    description: "The program /open runs (no shell): its words, then --, then the URL as one argument. It must accept -- (firefox, chromium do; xdg-open does not, wrap it in a script).",
  },
  {
    key: "history",
    type: "boolean",
    default: true,
    description: "Keep every message in the local history database (<data dir>/history/history.db), which also makes the outbox survive crashes. Read at start-up.",
  },
  {
    key: "history_store_decrypted",
    type: "boolean",
    default: false,
    description: "Store the decrypted text of encrypted messages in the history; off: they are stored as \"[encrypted message]\".",
  },
  {
    key: "history_retention_days",
    type: "int",
    min: 0,
    max: 36_500,
    default: 0,
    description: "Days messages are kept in the local history (older ones are deleted at start-up and each day); 0 keeps them forever.",
  },
  {
    key: "mam",
    type: "boolean",
    default: true,
    description: "Use the server's message archive (XEP-0313): catch up on every new session and fetch older pages on demand.",
  },
  {
    key: "muc_notify",
    type: "string",
    format: "text",
    description: "Per-room attention (set with /room notify): comma-separated room=mode, mode all (every message highlights), highlight (your nick and highlight_words; the default) or none.",
  },
  {
    key: "muc_show_joins",
    type: "boolean",
    default: true,
    description: "Show the lines for occupants joining and leaving rooms (the interface; nick changes, kicks and topics always show).",
  },
  {
    key: "chat_bell",
    type: "boolean",
    default: true,
    description: "Ring the terminal bell when a chat message arrives (the interface; heard over SSH too; not for archive catch-up; at most once a second).",
  },
  {
    key: "muc_bell",
    type: "boolean",
    default: true,
    description: "Ring the terminal bell when a room message highlights you (the interface; heard over SSH too).",
  },
  {
    key: "muc_self_ping",
    type: "int",
    unit: "ms",
    min: 0,
    default: 300000,
    description: "How often to check that you are still in your rooms (XEP-0410 self-ping) and rejoin where you were dropped; 0 turns it off.",
  },
] as const satisfies readonly KeyDef[];

export type AccountKey = (typeof ACCOUNT_KEYS)[number]["key"];
export type SettingKey = (typeof SETTINGS)[number]["key"];

/** An account with defaults applied (as returned by ConfigStore). */
export interface AccountConfig {
  jid: string;
  name: string;
  password?: string;
  password_command?: string;
  host?: string;
  port?: number;
  transport: Transport;
  url?: string;
  ca_file?: string;
  fingerprint?: string;
  resource: string;
  priority: number;
  priority_chat?: number;
  priority_away?: number;
  priority_xa?: number;
  priority_dnd?: number;
  allow_plaintext: boolean;
  enabled: boolean;
  startup_script?: string;
  pgp_passphrase_command?: string;
  history_retention_days?: number;
}

/** An account as stored in the file: only the keys that were set. */
export type StoredAccount = { jid: string } & Partial<Omit<AccountConfig, "jid">>;

export interface Settings {
  log_level: LogLevel;
  xml_log: boolean;
  reconnect_min_delay: number;
  reconnect_max_delay: number;
  drain_timeout: number;
  max_stanza_size: number;
  auto_away: number;
  auto_xa: number;
  ping_interval: number;
  auto_away_status: string;
  carbons: boolean;
  send_receipts: boolean;
  send_markers: boolean;
  send_chat_states: boolean;
  answer_version: boolean;
  version_reveals_os: boolean;
  answer_last_activity: boolean;
  send_idle: boolean;
  pgp_unlock_time: number;
  time_format: string;
  date_format: string;
  hook_message_in?: string;
  hook_message_out?: string;
  hook_highlight?: string;
  hook_presence?: string;
  hook_presence_contacts?: string;
  hook_subscription?: string;
  hook_timeout: number;
  hook_concurrency: number;
  highlight_words?: string;
  exec_timeout: number;
  url_opener?: string;
  history: boolean;
  history_store_decrypted: boolean;
  history_retention_days: number;
  mam: boolean;
  muc_notify?: string;
  muc_show_joins: boolean;
  chat_bell: boolean;
  muc_bell: boolean;
  muc_self_ping: number;
}

// Compile-time check that the types above and the tables declare the same keys.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _accountKeysMatch: Same<keyof AccountConfig, AccountKey> = true;
const _settingKeysMatch: Same<keyof Settings, SettingKey> = true;
void _accountKeysMatch;
void _settingKeysMatch;

export const CONFIG_VERSION = 1;

export type ConfigData = {
  version?: number;
  accounts?: StoredAccount[];
  settings?: Partial<Settings>;
  /** User command aliases (/alias add): name -> expansion. */
  aliases?: Record<string, string>;
  /**
   * Key bindings over the interface's keymap: "[input:|roster:|global:]<key>" -> action name or
   * "none". Only their shape is checked here; the interface checks the keys and actions.
   */
  keys?: Record<string, string>;
};

/** What an alias may be called (like a command name). */
export const ALIAS_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A problem with an alias name or expansion, or undefined. */
export function aliasProblem(name: string, expansion: unknown): string | undefined {
  if (!ALIAS_NAME_RE.test(name) || name.length > 64) return `alias name "${name}" must be letters, digits, _ . - (at most 64, not starting with a sign)`;
  if (typeof expansion !== "string" || !expansion.startsWith("/") || expansion.startsWith("//")) return `alias ${name} must expand to a command (starting with /)`;
  if (/[\r\n]/.test(expansion)) return `alias ${name} must be one line`;
  if (expansion.length > 4096) return `alias ${name} is longer than 4096 characters`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Lookup

const ACCOUNT_BY_KEY = new Map<string, KeyDef>(ACCOUNT_KEYS.map((d) => [d.key, d]));
const SETTING_BY_KEY = new Map<string, KeyDef>(SETTINGS.map((d) => [d.key, d]));

export function findAccountKey(key: string): KeyDef | undefined {
  return ACCOUNT_BY_KEY.get(key);
}

export function findSetting(key: string): KeyDef | undefined {
  return SETTING_BY_KEY.get(key);
}

export function isAccountKey(key: string): key is AccountKey {
  return ACCOUNT_BY_KEY.has(key);
}

export function isSettingKey(key: string): key is SettingKey {
  return SETTING_BY_KEY.has(key);
}

export const ACCOUNT_KEY_NAMES: readonly AccountKey[] = ACCOUNT_KEYS.map((d) => d.key);
export const SETTING_NAMES: readonly SettingKey[] = SETTINGS.map((d) => d.key);

/** Account defaults (keys that have one). `name` has a computed default (the jid). */
export function accountDefaults(): Pick<AccountConfig, "transport" | "resource" | "priority" | "allow_plaintext" | "enabled"> {
  const out: Record<string, ConfigValue> = {};
  for (const d of ACCOUNT_KEYS as readonly KeyDef[]) if (d.default !== undefined) out[d.key] = d.default;
  return out as unknown as ReturnType<typeof accountDefaults>;
}

export function settingDefaults(): Settings {
  const out: Record<string, ConfigValue> = {};
  for (const d of SETTINGS as readonly KeyDef[]) if (d.default !== undefined) out[d.key] = d.default;
  return out as unknown as Settings;
}

// ---------------------------------------------------------------------------------------------
// Formats

/** Characters RFC 7622 / XEP-0106 forbid in a localpart, plus whitespace. */
const JID_RE = /^[^@/\s"&':<>]+@(?:[^@/\s:[\]]+|\[[0-9A-Fa-f:.]+\])$/u;
const NAME_RE = /^[^\s\p{Cc}-][^\s\p{Cc}]*$/u;
const HOST_RE = /^[^\s/@\p{Cc}]+$/u;
const FINGERPRINT_RE = /^(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/u;
const RESOURCE_RE = /^[^\p{Cc}]+$/u;
const TEXT_RE = /^[\s\S]+$/u;

interface FormatSpec {
  /** JSON-schema pattern (also enforced by our own checks). */
  pattern?: RegExp;
  /** What a valid value looks like, for messages: "<key> must be <expect>". */
  expect: string;
  maxLength?: number;
  /** Extra semantic check on an (already normalised or stored) value; returns a problem or undefined. */
  check?(v: string): string | undefined;
  /** Normalise a value the user typed (after trimming, except for text). */
  normalise?(raw: string): string;
}

function checkWsUrl(v: string): string | undefined {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return "must be a ws:// or wss:// URL";
  }
  if (u.protocol !== "ws:" && u.protocol !== "wss:") return "must be a ws:// or wss:// URL";
  if (!u.hostname) return "must be a ws:// or wss:// URL with a host";
  return undefined;
}

function expandPath(raw: string): string {
  let p = raw;
  if (p === "~") p = os.homedir();
  else if (p.startsWith("~/")) p = path.join(os.homedir(), p.slice(2));
  return path.resolve(p);
}

const FORMATS: Record<StringFormat, FormatSpec> = {
  jid: {
    pattern: JID_RE,
    expect: "a bare JID like user@example.org (no resource)",
    maxLength: 3071,
    normalise: (raw) => {
      const at = raw.lastIndexOf("@");
      return at < 0 ? raw : raw.slice(0, at) + "@" + raw.slice(at + 1).toLowerCase();
    },
  },
  name: {
    pattern: NAME_RE,
    expect: "a name without whitespace that does not start with \"-\"",
    maxLength: 256,
  },
  host: { pattern: HOST_RE, expect: "a host name or IP address", maxLength: 255 },
  "ws-url": {
    pattern: /^wss?:\/\/\S+$/u,
    expect: "a ws:// or wss:// URL",
    check: checkWsUrl,
    normalise: (raw) => raw.replace(/^[A-Za-z]+:/, (s) => s.toLowerCase()),
  },
  path: { pattern: TEXT_RE, expect: "a file path", normalise: expandPath },
  command: {
    pattern: TEXT_RE,
    expect: "a program and its arguments",
    check: (v) => {
      try {
        if (splitCommandLine(v).length === 0) return "must be a program and its arguments";
      } catch (err) {
        return `must be a program and its arguments (${(err as Error).message})`;
      }
      return undefined;
    },
  },
  fingerprint: {
    pattern: FINGERPRINT_RE,
    expect: "a SHA-256 fingerprint: 64 hex digits, with or without colons",
    normalise: (raw) => normaliseFingerprint(raw) ?? raw,
  },
  resource: { pattern: RESOURCE_RE, expect: "a resource without control characters", maxLength: 1023 },
  text: { pattern: TEXT_RE, expect: "non-empty" },
};

/**
 * Normalise a SHA-256 fingerprint to upper-case colon-separated form ("AA:BB:..."), or
 * undefined if it is not 32 bytes of hex. Accepts colons, spaces and a leading "sha256",
 * "SHA256 Fingerprint=" (as printed by openssl) etc.
 */
export function normaliseFingerprint(raw: string): string | undefined {
  const s = raw
    .trim()
    .replace(/^sha-?256\s*(?:fingerprint)?\s*[=:]?\s*/i, "")
    .replace(/[\s:]/g, "");
  if (!/^[0-9A-Fa-f]{64}$/.test(s)) return undefined;
  return s.toUpperCase().match(/../g)!.join(":");
}

/**
 * Split a command line into words like a POSIX shell would (whitespace separates words;
 * '...' is literal; "..." allows \" \\ \$ \` escapes; a backslash outside quotes escapes the
 * next character) — but with no expansion of any kind. Throws on an unterminated quote.
 */
export function splitCommandLine(s: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated single quote");
      cur += s.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const d = s[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === "\\" && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) {
          cur += s[i + 1];
          i += 2;
          continue;
        }
        cur += d;
        i++;
      }
      if (!closed) throw new Error("unterminated double quote");
      inWord = true;
    } else if (c === "\\") {
      if (i + 1 >= s.length) throw new Error("trailing backslash");
      cur += s[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

// ---------------------------------------------------------------------------------------------
// Describing and checking values

/** Short type description for help, completion and the man page, e.g. "integer 1..65535". */
export function typeText(def: KeyDef): string {
  switch (def.type) {
    case "boolean":
      return "boolean";
    case "enum":
      return (def.values ?? []).join("|");
    case "int": {
      const unit = def.unit === "ms" ? " (ms)" : def.unit === "bytes" ? " (bytes)" : "";
      if (def.min !== undefined && def.max !== undefined) return `integer ${def.min}..${def.max}${unit}`;
      if (def.min !== undefined) return `integer >= ${def.min}${unit}`;
      if (def.max !== undefined) return `integer <= ${def.max}${unit}`;
      return `integer${unit}`;
    }
    case "string":
      return def.secret ? "secret string" : def.format && def.format !== "text" ? def.format : "string";
  }
}

/** Render a value for display (secrets become "***"). */
export function formatValue(def: KeyDef, value: ConfigValue | undefined): string {
  if (value === undefined) return "";
  if (def.secret) return "***";
  return String(value);
}

function intProblem(def: KeyDef): string {
  const what = def.unit === "ms" ? "a number of milliseconds" : def.unit === "bytes" ? "a number of bytes" : "an integer";
  if (def.min !== undefined && def.max !== undefined) return `must be ${what} between ${def.min} and ${def.max}`;
  if (def.min !== undefined) return `must be ${what} >= ${def.min}`;
  if (def.max !== undefined) return `must be ${what} <= ${def.max}`;
  return `must be ${what}`;
}

/**
 * Check a typed value (from the file, or after parsing) against a key's declaration.
 * Returns a problem phrase ("must be ...") or undefined.
 */
export function checkValue(def: KeyDef, value: unknown): string | undefined {
  switch (def.type) {
    case "boolean":
      return typeof value === "boolean" ? undefined : "must be true or false";
    case "enum":
      return typeof value === "string" && (def.values ?? []).includes(value)
        ? undefined
        : `must be one of: ${(def.values ?? []).join(", ")}`;
    case "int":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) return intProblem(def);
      if (def.min !== undefined && value < def.min) return intProblem(def);
      if (def.max !== undefined && value > def.max) return intProblem(def);
      return undefined;
    case "string": {
      const spec = FORMATS[def.format ?? "text"];
      if (typeof value !== "string" || value.length === 0) return `must be ${spec.expect}`;
      if (spec.maxLength !== undefined && value.length > spec.maxLength) {
        return `must be at most ${spec.maxLength} characters`;
      }
      if (spec.pattern && !spec.pattern.test(value)) return `must be ${spec.expect}`;
      return spec.check?.(value);
    }
  }
}

const BOOL_WORDS: Record<string, boolean> = {
  true: true,
  yes: true,
  on: true,
  "1": true,
  false: false,
  no: false,
  off: false,
  "0": false,
};

const UNIT_FACTORS: Record<string, Record<string, number>> = {
  ms: { "": 1, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 },
  bytes: { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 * 1024, mb: 1024 * 1024, mib: 1024 * 1024 },
};

/** Parse a string the user typed into the key's typed value; throws UsageError("<key> must be ..."). */
export function parseValue(def: KeyDef, raw: string): ConfigValue {
  const fail = (problem: string): never => {
    throw new UsageError(`${def.key} ${problem}`, { key: def.key });
  };
  const t = raw.trim();
  let value: ConfigValue;
  switch (def.type) {
    case "boolean": {
      const b = BOOL_WORDS[t.toLowerCase()];
      if (b === undefined) return fail("must be true or false");
      value = b;
      break;
    }
    case "enum": {
      const v = (def.values ?? []).find((x) => x === t.toLowerCase());
      if (v === undefined) return fail(`must be one of: ${(def.values ?? []).join(", ")}`);
      value = v;
      break;
    }
    case "int": {
      const m = /^([+-]?\d+)\s*([A-Za-z]*)$/.exec(t);
      const factor = m ? (def.unit ? UNIT_FACTORS[def.unit]?.[m[2]!.toLowerCase()] : m[2] === "" ? 1 : undefined) : undefined;
      if (!m || factor === undefined) return fail(intProblem(def));
      value = Number(m[1]) * factor;
      if (!Number.isSafeInteger(value)) return fail(intProblem(def));
      break;
    }
    case "string": {
      const spec = FORMATS[def.format ?? "text"];
      const s = def.format === "text" ? raw : t;
      if (s.length === 0) return fail(`must not be empty${def.required ? "" : " (use unset to remove it)"}`);
      value = spec.normalise ? spec.normalise(s) : s;
      break;
    }
  }
  const problem = checkValue(def, value);
  if (problem) fail(problem);
  return value;
}

export function validateAccountValue<K extends AccountKey>(key: K, raw: string): NonNullable<AccountConfig[K]>;
export function validateAccountValue(key: string, raw: string): ConfigValue;
export function validateAccountValue(key: string, raw: string): ConfigValue {
  const def = findAccountKey(key);
  if (!def) {
    throw new UsageError(`unknown account key "${key}"; known keys: ${ACCOUNT_KEY_NAMES.join(", ")}`, { key });
  }
  return parseValue(def, raw);
}

export function validateSetting<K extends SettingKey>(key: K, raw: string): Settings[K];
export function validateSetting(key: string, raw: string): ConfigValue;
export function validateSetting(key: string, raw: string): ConfigValue {
  const def = findSetting(key);
  if (!def) throw new UsageError(`unknown setting "${key}"; known settings: ${SETTING_NAMES.join(", ")}`, { key });
  return parseValue(def, raw);
}

// ---------------------------------------------------------------------------------------------
// Whole-file validation (our own, so that messages name the offending path precisely)

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Check parsed config-file data; returns a list of problems such as
 * `accounts[0].port must be an integer between 1 and 65535` (empty when valid).
 */
export function checkConfigData(data: unknown): string[] {
  const problems: string[] = [];
  if (!isPlainObject(data)) return ["the top level must be a JSON object"];
  for (const k of Object.keys(data)) {
    if (k !== "version" && k !== "accounts" && k !== "settings" && k !== "aliases" && k !== "keys") {
      problems.push(`unknown top-level key "${k}" (expected version, accounts, settings, aliases, keys)`);
    }
  }
  if (data.version !== undefined) {
    if (data.version !== CONFIG_VERSION) {
      problems.push(
        typeof data.version === "number" && data.version > CONFIG_VERSION
          ? `version ${data.version} is newer than this jabterm understands (${CONFIG_VERSION})`
          : `version must be ${CONFIG_VERSION}`,
      );
    }
  }
  if (data.accounts !== undefined) {
    if (!Array.isArray(data.accounts)) {
      problems.push("accounts must be an array");
    } else {
      const names = new Map<string, number>();
      data.accounts.forEach((acc: unknown, i: number) => {
        const where = `accounts[${i}]`;
        if (!isPlainObject(acc)) {
          problems.push(`${where} must be an object`);
          return;
        }
        for (const [k, v] of Object.entries(acc)) {
          const def = findAccountKey(k);
          if (!def) {
            problems.push(`${where}: unknown key "${k}"`);
            continue;
          }
          const p = checkValue(def, v);
          if (p) problems.push(`${where}.${k} ${p}`);
        }
        for (const def of ACCOUNT_KEYS as readonly KeyDef[]) {
          if (def.required && acc[def.key] === undefined) problems.push(`${where}.${def.key} is required`);
        }
        const name = typeof acc.name === "string" ? acc.name : typeof acc.jid === "string" ? acc.jid : undefined;
        if (name !== undefined) {
          const prev = names.get(name);
          if (prev !== undefined) problems.push(`${where}: name "${name}" is already used by accounts[${prev}]`);
          else names.set(name, i);
        }
      });
    }
  }
  if (data.settings !== undefined) {
    if (!isPlainObject(data.settings)) {
      problems.push("settings must be an object");
    } else {
      for (const [k, v] of Object.entries(data.settings)) {
        const def = findSetting(k);
        if (!def) {
          problems.push(`settings: unknown setting "${k}"`);
          continue;
        }
        const p = checkValue(def, v);
        if (p) problems.push(`settings.${k} ${p}`);
      }
    }
  }
  if (data.aliases !== undefined) {
    if (!isPlainObject(data.aliases)) problems.push("aliases must be an object");
    else for (const [k, v] of Object.entries(data.aliases)) {
      const p = aliasProblem(k, v);
      if (p) problems.push(`aliases: ${p}`);
    }
  }
  if (data.keys !== undefined) {
    if (!isPlainObject(data.keys)) problems.push("keys must be an object of key -> action name");
    else for (const [k, v] of Object.entries(data.keys)) {
      if (typeof v !== "string" || !v || !k) problems.push(`keys: "${k}" must name an action (a string), or "none"`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// JSON schema for conf, derived from the tables

export type JsonSchema = Record<string, unknown>;

export function keyJsonSchema(def: KeyDef): JsonSchema {
  const s: JsonSchema = { description: def.description };
  switch (def.type) {
    case "boolean":
      s.type = "boolean";
      break;
    case "enum":
      s.type = "string";
      s.enum = [...(def.values ?? [])];
      break;
    case "int":
      s.type = "integer";
      if (def.min !== undefined) s.minimum = def.min;
      if (def.max !== undefined) s.maximum = def.max;
      break;
    case "string": {
      const spec = FORMATS[def.format ?? "text"];
      s.type = "string";
      s.minLength = 1;
      if (spec.maxLength !== undefined) s.maxLength = spec.maxLength;
      if (spec.pattern && spec.pattern !== TEXT_RE) s.pattern = spec.pattern.source;
      break;
    }
  }
  // Annotation only: conf is configured not to inject defaults into the stored data.
  if (def.default !== undefined) s.default = def.default;
  return s;
}

function objectSchema(defs: readonly KeyDef[]): JsonSchema {
  const required = defs.filter((d) => d.required).map((d) => d.key);
  return {
    type: "object",
    additionalProperties: false,
    ...(required.length ? { required } : {}),
    properties: Object.fromEntries(defs.map((d) => [d.key, keyJsonSchema(d)])),
  };
}

/** The `properties` of the config file's root object, for conf's `schema` option. */
export function confSchema(): { version: JsonSchema; accounts: JsonSchema; settings: JsonSchema; aliases: JsonSchema; keys: JsonSchema } {
  return {
    version: { type: "integer", const: CONFIG_VERSION, description: "Config file format version." },
    accounts: {
      type: "array",
      description: "Accounts, in configuration order.",
      items: objectSchema(ACCOUNT_KEYS),
    },
    settings: { ...objectSchema(SETTINGS), description: "Global settings." },
    aliases: { type: "object", description: "Command aliases: name -> expansion.", additionalProperties: { type: "string", minLength: 1 } },
    keys: { type: "object", description: "Key bindings: [input:|roster:|global:]<key> -> action name, or none.", additionalProperties: { type: "string", minLength: 1 } },
  };
}

/** conf's `rootSchema`: no unknown top-level keys. */
export const CONF_ROOT_SCHEMA = { additionalProperties: false } as const;
