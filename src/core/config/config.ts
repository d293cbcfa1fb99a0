/**
 * The configuration file (`config.json` in the config directory), through `conf`:
 *
 *   { "version": 1, "accounts": [ { "jid": "me@example.org", ... }, ... ], "settings": { ... } }
 *
 * Accounts are an ordered list (configuration order matters: it is the display and connect
 * order). Only keys that were explicitly set are stored; defaults come from schema.ts.
 *
 * A broken file (invalid JSON, schema violation) is a ConfigError naming the file and the
 * problem, and is never overwritten or cleared: every read validates, and a write is only ever
 * made from data that was just read successfully. Writes are atomic (conf → atomically) and
 * create the file mode 0600 in a 0700 directory; a group/world-readable file is fixed on open.
 */

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Conf, { type Options } from "conf";
import { ConfigError, UsageError } from "../errors.js";
import { ensurePrivateDir, ensurePrivateFile, type Paths } from "./paths.js";
import {
  ACCOUNT_KEYS,
  aliasProblem,
  CONF_ROOT_SCHEMA,
  CONFIG_VERSION,
  SETTINGS,
  accountDefaults,
  checkConfigData,
  confSchema,
  findAccountKey,
  findSetting,
  normaliseFingerprint,
  settingDefaults,
  validateAccountValue,
  validateSetting,
  ACCOUNT_KEY_NAMES,
  SETTING_NAMES,
  type AccountConfig,
  type ConfigData,
  type ConfigValue,
  type SettingKey,
  type Settings,
  type StoredAccount,
} from "./schema.js";

export type { AccountConfig, Settings, StoredAccount, ConfigData } from "./schema.js";

// ---------------------------------------------------------------------------------------------
// JSON syntax errors with line and column

interface JsonSyntaxProblem {
  pos: number;
  message: string;
}

/** Find the first JSON syntax error in `text` (undefined if it is valid JSON). */
export function locateJsonError(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw { pos: at, message } satisfies JsonSyntaxProblem;
  };
  const describe = (at: number): string => (at >= text.length ? "end of file" : JSON.stringify(text[at]));
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const str = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail("control character (e.g. a newline) inside a string");
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) fail("invalid \\u escape");
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail("invalid escape in string");
        i += 2;
        continue;
      }
      i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === "}") fail("trailing comma before \"}\" is not allowed in JSON");
        if (text[i] !== '"') fail(`expected a double-quoted property name, found ${describe(i)}`);
        str();
        ws();
        if (text[i] !== ":") fail(`expected ":" after the property name, found ${describe(i)}`);
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail(`expected "," or "}", found ${describe(i)}`);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === "]") fail("trailing comma before \"]\" is not allowed in JSON");
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail(`expected "," or "]", found ${describe(i)}`);
      }
    }
    if (c === '"') return str();
    for (const lit of ["true", "false", "null"]) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    const num = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (num && num[0] !== "-" && num[0].length > 0) {
      i += num[0].length;
      return;
    }
    if (c === "\uFEFF") fail("the file starts with a byte-order mark; save it as UTF-8 without BOM");
    fail(`unexpected ${describe(i)}`);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${describe(i)} after the end of the JSON value`);
    return undefined;
  } catch (err) {
    if (typeof err === "object" && err !== null && "pos" in err) return err as JsonSyntaxProblem;
    throw err;
  }
}

function lineCol(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let k = 0; k < pos && k < text.length; k++) {
    if (text[k] === "\n") {
      line++;
      last = k;
    }
  }
  return { line, column: pos - last };
}

/** Parse and check the config file's text; throws ConfigError naming the file and the problem. */
export function parseConfigText(file: string, text: string): ConfigData {
  if (text.trim() === "") {
    throw new ConfigError(`${file}: the file is empty (expected a JSON object)`, { file });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const p = locateJsonError(text);
    if (p) {
      const { line, column } = lineCol(text, p.pos);
      throw new ConfigError(`${file}: line ${line}, column ${column}: ${p.message}`, { file, line, column }, { cause: err });
    }
    throw new ConfigError(`${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  const problems = checkConfigData(data);
  if (problems.length) {
    throw new ConfigError(`${file}: ${problems.join("; ")}`, { file, problems });
  }
  return data as ConfigData;
}

function readConfigFile(file: string): ConfigData | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  return parseConfigText(file, text);
}

// ---------------------------------------------------------------------------------------------

const ACCOUNT_KEY_ORDER: readonly string[] = ACCOUNT_KEYS.map((d) => d.key);
const SETTING_ORDER: readonly string[] = SETTINGS.map((d) => d.key);

function ordered<T extends Record<string, unknown>>(obj: T, order: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const k of order) if (obj[k] !== undefined) out[k] = obj[k];
  return out as T;
}

function effectiveName(a: StoredAccount): string {
  return a.name ?? a.jid;
}

function bareOf(q: string): string {
  return q.includes("@") ? q.replace(/\/.*$/s, "") : q;
}

/** Index of the account called `q` (by name first, then by bare JID, case-insensitively), or -1. */
function findAccountIndex(accounts: readonly StoredAccount[], q: string): number {
  const byName = accounts.findIndex((a) => effectiveName(a) === q);
  if (byName >= 0) return byName;
  const bare = bareOf(q).toLowerCase();
  return accounts.findIndex((a) => a.jid.toLowerCase() === bare);
}

/** A copy of the account with the password replaced by "***" (for display and logs). */
export function redactAccount<T extends StoredAccount>(a: T): T {
  const copy = { ...a };
  if (copy.password !== undefined) copy.password = "***";
  return copy;
}

function octalMode(m: number): string {
  return "0" + (m & 0o777).toString(8);
}

export class ConfigStore {
  /** Absolute path of the config file. */
  readonly file: string;
  readonly #dir: string;
  readonly #conf: Conf<ConfigData>;
  readonly #openWarnings: string[];

  private constructor(file: string, conf: Conf<ConfigData>, openWarnings: string[]) {
    this.file = file;
    this.#dir = path.dirname(file);
    this.#conf = conf;
    this.#openWarnings = openWarnings;
  }

  /**
   * Open (without creating) the config file. Creates the directory 0700, fixes a
   * group/world-readable file to 0600 (see warnings()), and validates the file: a broken one is
   * a ConfigError and is left untouched.
   */
  static open(paths: Pick<Paths, "configDir" | "configFile">): ConfigStore {
    const warnings: string[] = [];
    const dir = ensurePrivateDir(paths.configDir);
    if (dir.warning) warnings.push(dir.warning);
    const file = path.resolve(paths.configFile);
    if (path.dirname(file) !== path.resolve(paths.configDir)) {
      ensurePrivateDir(path.dirname(file));
    }
    const fixed = ensurePrivateFile(file);
    if (fixed) warnings.push(fixed);
    // Our own check first: precise messages (line/column, accounts[0].port ...).
    readConfigFile(file);
    const ext = path.extname(file);
    const options: Partial<Options<ConfigData>> = {
      cwd: path.dirname(file),
      configName: path.basename(file, ext),
      fileExtension: ext.replace(/^\./, ""),
      projectSuffix: "",
      configFileMode: 0o600,
      clearInvalidConfig: false,
      accessPropertiesByDotNotation: false,
      schema: confSchema() as unknown as Options<ConfigData>["schema"],
      rootSchema: CONF_ROOT_SCHEMA,
      // Defaults live in schema.ts and are applied on read; never inject them into the file.
      ajvOptions: { useDefaults: false, allErrors: true },
    };
    let conf: Conf<ConfigData>;
    try {
      conf = new Conf<ConfigData>(options);
    } catch (err) {
      throw ConfigStore.#wrap(file, err);
    }
    return new ConfigStore(file, conf, warnings);
  }

  static #wrap(file: string, err: unknown): ConfigError {
    if (err instanceof ConfigError) return err;
    // Prefer our own precise diagnosis of the file.
    try {
      readConfigFile(file);
    } catch (ours) {
      if (ours instanceof ConfigError) return ours;
    }
    const msg = err instanceof Error ? err.message : String(err);
    return new ConfigError(`${file}: ${msg}`, { file }, { cause: err });
  }

  /** The file as last read and checked, and the file's identity then (inode, size, times). */
  #cache: { stamp: string; data: ConfigData; settings?: Settings } | null = null;

  /**
   * What identifies this version of the file without reading it ("" when it cannot be told, or
   * when the file changed in the last 2 s: file times are coarse on some file systems, so an edit
   * of the same size in the same tick would look the same; such a file is read every time).
   */
  #stamp(): string {
    try {
      const st = fs.statSync(this.file);
      const now = Date.now();
      if (now - st.mtimeMs < 2000 || now - st.ctimeMs < 2000) return "";
      return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    } catch {
      return "";
    }
  }

  /**
   * The file's content, checked; shared: callers must not change it (#read gives a copy). Settings
   * are read on every use (they are live: another jabterm or an editor may change the file), so
   * the file is read, parsed and validated again only when its inode, size or times changed.
   */
  #readShared(): ConfigData {
    const stamp = this.#stamp();
    if (stamp && this.#cache?.stamp === stamp) return this.#cache.data;
    this.#cache = null;
    let data: ConfigData;
    try {
      data = this.#conf.store;
    } catch (err) {
      throw ConfigStore.#wrap(this.file, err);
    }
    // conf validated against the JSON schema; our check catches what it cannot express (unique names).
    const problems = checkConfigData(data);
    if (problems.length) throw new ConfigError(`${this.file}: ${problems.join("; ")}`, { file: this.file, problems });
    if (stamp && stamp === this.#stamp()) this.#cache = { stamp, data }; // not changed while it was read
    return data;
  }

  #read(): ConfigData {
    return structuredClone(this.#readShared());
  }

  #write(data: ConfigData): void {
    const out: ConfigData = {
      version: CONFIG_VERSION,
      accounts: (data.accounts ?? []).map((a) => ordered(a, ACCOUNT_KEY_ORDER)),
      settings: ordered(data.settings ?? {}, SETTING_ORDER),
      ...(data.aliases && Object.keys(data.aliases).length ? { aliases: Object.fromEntries(Object.entries(data.aliases).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) } : {}),
      ...(data.keys && Object.keys(data.keys).length ? { keys: data.keys } : {}),
    };
    const problems = checkConfigData(out);
    if (problems.length) {
      // Every value went through validateAccountValue/validateSetting, so this is a bug.
      throw new ConfigError(`refusing to write an invalid ${this.file}: ${problems.join("; ")}`, { file: this.file, problems });
    }
    this.#cache = null;
    try {
      this.#conf.store = out;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new ConfigError(`cannot write ${this.file}: ${msg}`, { file: this.file }, { cause: err });
    }
  }

  #mutate<T>(fn: (data: ConfigData) => T): T {
    const data = this.#read();
    const result = fn(data);
    this.#write(data);
    return result;
  }

  /** Defaults applied; `ca_file` made absolute (relative to the config directory, `~/` expanded); fingerprint normalised. */
  #resolve(a: StoredAccount): AccountConfig {
    const r: AccountConfig = { ...accountDefaults(), ...a, name: effectiveName(a) };
    if (r.ca_file !== undefined) {
      let p = r.ca_file;
      if (p === "~" || p.startsWith("~/")) p = path.join(os.homedir(), p.slice(1));
      r.ca_file = path.resolve(this.#dir, p);
    }
    if (r.fingerprint !== undefined) r.fingerprint = normaliseFingerprint(r.fingerprint) ?? r.fingerprint;
    return ordered(r as unknown as Record<string, unknown>, ACCOUNT_KEY_ORDER) as unknown as AccountConfig;
  }

  #indexOrThrow(accounts: readonly StoredAccount[], q: string): number {
    const i = findAccountIndex(accounts, q);
    if (i < 0) {
      const known = accounts.map(effectiveName);
      throw new UsageError(
        `no account "${q}"` + (known.length ? `; accounts: ${known.join(", ")}` : "; add one with /account add"),
        { account: q },
      );
    }
    return i;
  }

  static #checkNameFree(accounts: readonly StoredAccount[], name: string, except: number): void {
    const clash = accounts.findIndex((a, i) => i !== except && effectiveName(a) === name);
    if (clash >= 0) {
      throw new UsageError(`an account named "${name}" already exists; choose another name`, { name });
    }
  }

  /** All accounts in configuration order, defaults applied. */
  accounts(): AccountConfig[] {
    return (this.#read().accounts ?? []).map((a) => this.#resolve(a));
  }

  /** The account called `nameOrJid`: by name first, then by bare JID (case-insensitive; a resource is ignored). */
  getAccount(nameOrJid: string): AccountConfig | undefined {
    const accounts = this.#read().accounts ?? [];
    const i = findAccountIndex(accounts, nameOrJid);
    return i < 0 ? undefined : this.#resolve(accounts[i]!);
  }

  /** Only the keys explicitly set for the account (to show what differs from the defaults). */
  storedAccount(nameOrJid: string): StoredAccount | undefined {
    const accounts = this.#read().accounts ?? [];
    const i = findAccountIndex(accounts, nameOrJid);
    return i < 0 ? undefined : accounts[i];
  }

  /** Append an account. Its name defaults to the bare JID and must be unique. */
  addAccount(jid: string, opts: { name?: string } = {}): AccountConfig {
    const j = validateAccountValue("jid", jid);
    const name = opts.name !== undefined ? validateAccountValue("name", opts.name) : undefined;
    return this.#mutate((data) => {
      const accounts = (data.accounts ??= []);
      const effective = name ?? j;
      if (accounts.some((a) => effectiveName(a) === effective)) {
        throw new UsageError(
          `an account named "${effective}" already exists` +
            (name === undefined ? "; give the new one a different name" : "; choose another name"),
          { name: effective },
        );
      }
      const acc: StoredAccount = name === undefined ? { jid: j } : { jid: j, name };
      accounts.push(acc);
      return this.#resolve(acc);
    });
  }

  /**
   * Set an account key from what the user typed (validated and converted). Changing `name`
   * (or `jid` when the name is the default) must keep names unique.
   */
  setAccountKey(nameOrJid: string, key: string, rawValue: string): AccountConfig {
    const value = validateAccountValue(key, rawValue);
    return this.#mutate((data) => {
      const accounts = (data.accounts ??= []);
      const i = this.#indexOrThrow(accounts, nameOrJid);
      const updated = { ...accounts[i]!, [key]: value } as StoredAccount;
      if (key === "name" || key === "jid") ConfigStore.#checkNameFree(accounts, effectiveName(updated), i);
      accounts[i] = updated;
      return this.#resolve(updated);
    });
  }

  /** Remove an account key (back to its default). `jid` cannot be unset. */
  unsetAccountKey(nameOrJid: string, key: string): AccountConfig {
    const def = findAccountKey(key);
    if (!def) throw new UsageError(`unknown account key "${key}"; known keys: ${ACCOUNT_KEY_NAMES.join(", ")}`, { key });
    if (def.required) throw new UsageError(`${key} cannot be unset`, { key });
    return this.#mutate((data) => {
      const accounts = (data.accounts ??= []);
      const i = this.#indexOrThrow(accounts, nameOrJid);
      const updated = { ...accounts[i]! } as Record<string, unknown>;
      delete updated[key];
      const acc = updated as StoredAccount;
      if (key === "name") ConfigStore.#checkNameFree(accounts, effectiveName(acc), i);
      accounts[i] = acc;
      return this.#resolve(acc);
    });
  }

  /** Rename an account (same as setting its `name`). */
  renameAccount(nameOrJid: string, newName: string): AccountConfig {
    return this.setAccountKey(nameOrJid, "name", newName);
  }

  /** Remove an account; returns it. */
  removeAccount(nameOrJid: string): AccountConfig {
    return this.#mutate((data) => {
      const accounts = (data.accounts ??= []);
      const i = this.#indexOrThrow(accounts, nameOrJid);
      const [removed] = accounts.splice(i, 1);
      return this.#resolve(removed!);
    });
  }

  /** All global settings, defaults applied. */
  settings(): Settings {
    const data = this.#readShared();
    const cache = this.#cache?.data === data ? this.#cache : null;
    const settings = cache?.settings ?? { ...settingDefaults(), ...(data.settings ?? {}) };
    if (cache) cache.settings = settings;
    return { ...settings };
  }

  getSetting<K extends SettingKey>(key: K): Settings[K];
  getSetting(key: string): ConfigValue;
  getSetting(key: string): ConfigValue {
    if (!findSetting(key)) throw new UsageError(`unknown setting "${key}"; known settings: ${SETTING_NAMES.join(", ")}`, { key });
    return (this.settings() as unknown as Record<string, ConfigValue>)[key]!;
  }

  /** Set a global setting from what the user typed; returns the typed value. */
  setSetting<K extends SettingKey>(key: K, raw: string): Settings[K];
  setSetting(key: string, raw: string): ConfigValue;
  setSetting(key: string, raw: string): ConfigValue {
    const value = validateSetting(key, raw);
    this.#mutate((data) => {
      data.settings = { ...(data.settings ?? {}), [key]: value };
    });
    return value;
  }

  /** Back to the default; returns the (default) value now in effect. */
  unsetSetting(key: string): ConfigValue {
    if (!findSetting(key)) throw new UsageError(`unknown setting "${key}"; known settings: ${SETTING_NAMES.join(", ")}`, { key });
    this.#mutate((data) => {
      const s = { ...(data.settings ?? {}) } as Record<string, unknown>;
      delete s[key];
      data.settings = s as Partial<Settings>;
    });
    return this.getSetting(key);
  }

  /** The user's key bindings from the file's "keys" (key -> action name; the interface applies them). */
  keyBindings(): Record<string, string> {
    return { ...(this.#readShared().keys ?? {}) };
  }

  /** The user's command aliases (name -> expansion). */
  aliases(): Record<string, string> {
    return { ...(this.#read().aliases ?? {}) };
  }

  /** Add or replace an alias (the caller checks it does not shadow a command). */
  setAlias(name: string, expansion: string): void {
    const problem = aliasProblem(name, expansion);
    if (problem) throw new UsageError(problem, { alias: name });
    this.#mutate((data) => {
      data.aliases = { ...(data.aliases ?? {}), [name]: expansion };
    });
  }

  /** Remove an alias; false when there was none. */
  removeAlias(name: string): boolean {
    return this.#mutate((data) => {
      if (!data.aliases || !(name in data.aliases)) return false;
      const next = { ...data.aliases };
      delete next[name];
      data.aliases = next;
      return true;
    });
  }

  /**
   * Things the user should know: permissions fixed on open, passwords stored in the file,
   * inconsistent account settings.
   */
  warnings(): string[] {
    const out = [...this.#openWarnings];
    const data = this.#read();
    for (const stored of data.accounts ?? []) {
      const a = this.#resolve(stored);
      const who = `account "${a.name}"`;
      if (a.password !== undefined) {
        out.push(`${who} stores its password in the config file; prefer password_command`);
        if (a.password_command !== undefined) {
          out.push(`${who} sets both password and password_command; remove one`);
        }
      }
      if (a.transport === "websocket" && a.url === undefined) {
        out.push(`${who} uses transport websocket but has no url`);
      }
      if (a.url !== undefined && a.transport !== "websocket") {
        out.push(`${who} has a url, which is only used with transport websocket`);
      }
      if (a.allow_plaintext) {
        out.push(`${who} allows authenticating over an unencrypted connection (allow_plaintext)`);
      }
      if (a.ca_file !== undefined && !fs.existsSync(a.ca_file)) {
        out.push(`${who}: ca_file ${a.ca_file} does not exist`);
      }
    }
    const s = { ...settingDefaults(), ...(data.settings ?? {}) };
    if (s.reconnect_min_delay > s.reconnect_max_delay) {
      out.push(
        `reconnect_min_delay (${s.reconnect_min_delay}) is greater than reconnect_max_delay (${s.reconnect_max_delay})`,
      );
    }
    try {
      const st = fs.statSync(this.file);
      if ((st.mode & 0o077) !== 0 && !out.some((w) => w.startsWith(this.file))) {
        out.push(`${this.file} is readable by other users (mode ${octalMode(st.mode)})`);
      }
    } catch {
      // not created yet
    }
    return out;
  }
}
