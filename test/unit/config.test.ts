import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, UsageError } from "../../src/core/errors.js";
import { ensurePrivateDir, resolvePaths } from "../../src/core/config/paths.js";
import { ConfigStore, locateJsonError, redactAccount } from "../../src/core/config/config.js";
import {
  ACCOUNT_KEYS,
  SETTINGS,
  checkConfigData,
  confSchema,
  normaliseFingerprint,
  splitCommandLine,
  typeText,
  validateAccountValue,
  validateSetting,
} from "../../src/core/config/schema.js";

let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-config-"));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

const mode = (p: string): number => fs.statSync(p).mode & 0o777;

function open(dir = path.join(tmp, "cfg")): ConfigStore {
  return ConfigStore.open({ configDir: dir, configFile: path.join(dir, "config.json") });
}

function writeConfig(text: string, dir = path.join(tmp, "cfg")): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, "config.json");
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function expectThrow(fn: () => unknown, cls: new (...args: never[]) => Error, re: RegExp): Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(cls);
  expect((caught as Error).message).toMatch(re);
  return caught as Error;
}

describe("resolvePaths", () => {
  const home = "/home/alice";

  it("defaults to ~/.config, ~/.local/share, ~/.local/state", () => {
    const p = resolvePaths({ env: { HOME: home } });
    expect(p).toEqual({
      configDir: "/home/alice/.config/jabterm",
      dataDir: "/home/alice/.local/share/jabterm",
      stateDir: "/home/alice/.local/state/jabterm",
      configFile: "/home/alice/.config/jabterm/config.json",
      lockFile: "/home/alice/.local/share/jabterm/jabterm.lock",
      logFile: "/home/alice/.local/state/jabterm/jabterm.log",
    });
  });

  it("uses absolute XDG_* values and ignores relative ones", () => {
    const p = resolvePaths({
      env: { HOME: home, XDG_CONFIG_HOME: "/xdg/config", XDG_DATA_HOME: "relative/data", XDG_STATE_HOME: "/xdg/state" },
    });
    expect(p.configDir).toBe("/xdg/config/jabterm");
    expect(p.dataDir).toBe("/home/alice/.local/share/jabterm");
    expect(p.stateDir).toBe("/xdg/state/jabterm");
  });

  it("JABTERM_*_DIR beats XDG, explicit options beat both", () => {
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: "/xdg/config",
      XDG_DATA_HOME: "/xdg/data",
      XDG_STATE_HOME: "/xdg/state",
      JABTERM_CONFIG_DIR: "/env/config",
      JABTERM_DATA_DIR: "/env/data",
      JABTERM_STATE_DIR: "/env/state",
    };
    const p = resolvePaths({ env });
    expect([p.configDir, p.dataDir, p.stateDir]).toEqual(["/env/config", "/env/data", "/env/state"]);
    const q = resolvePaths({ env, configDir: "/opt/c", dataDir: "/opt/d" });
    expect([q.configDir, q.dataDir, q.stateDir]).toEqual(["/opt/c", "/opt/d", "/env/state"]);
    expect(q.configFile).toBe("/opt/c/config.json");
    expect(q.lockFile).toBe("/opt/d/jabterm.lock");
    expect(q.logFile).toBe("/env/state/jabterm.log");
  });

  it("ignores empty values and resolves relative explicit paths against the cwd", () => {
    const p = resolvePaths({ env: { HOME: home, JABTERM_CONFIG_DIR: "" }, dataDir: "rel/data" });
    expect(p.configDir).toBe("/home/alice/.config/jabterm");
    expect(p.dataDir).toBe(path.resolve("rel/data"));
  });
});

describe("ensurePrivateDir", () => {
  it("creates missing directories mode 0700", () => {
    const d = path.join(tmp, "a", "b");
    const r = ensurePrivateDir(d);
    expect(r.created).toBe(true);
    expect(mode(d)).toBe(0o700);
  });

  it("chmods an existing group/world-accessible directory to 0700 and says so", () => {
    const d = path.join(tmp, "open");
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o755);
    const r = ensurePrivateDir(d);
    expect(r).toMatchObject({ created: false, chmodded: true, previousMode: 0o755 });
    expect(r.warning).toMatch(/0755.*0700/);
    expect(mode(d)).toBe(0o700);
    expect(ensurePrivateDir(d)).toMatchObject({ created: false, chmodded: false });
  });

  it("rejects a path that is a file", () => {
    const f = path.join(tmp, "file");
    fs.writeFileSync(f, "x");
    expectThrow(() => ensurePrivateDir(f), ConfigError, /not a directory/);
  });
});

describe("ConfigStore: files and modes", () => {
  it("opening does not create the file; the directory is created 0700", () => {
    const dir = path.join(tmp, "cfg");
    const store = open(dir);
    expect(mode(dir)).toBe(0o700);
    expect(fs.existsSync(store.file)).toBe(false);
    expect(store.accounts()).toEqual([]);
    expect(store.settings().log_level).toBe("warn");
  });

  it("writes the file 0600 with version, ordered accounts and settings", () => {
    const store = open();
    store.addAccount("alice@example.org");
    store.addAccount("bob@example.org", { name: "bob" });
    expect(mode(store.file)).toBe(0o600);
    const data = JSON.parse(fs.readFileSync(store.file, "utf8"));
    expect(data).toEqual({
      version: 1,
      accounts: [{ jid: "alice@example.org" }, { jid: "bob@example.org", name: "bob" }],
      settings: {},
    });
    // reopen sees the same
    expect(open().accounts().map((a) => a.name)).toEqual(["alice@example.org", "bob"]);
  });

  it("fixes a group/world-readable file to 0600 and warns", () => {
    const file = writeConfig('{"version":1,"accounts":[]}');
    fs.chmodSync(file, 0o644);
    const store = open();
    expect(mode(file)).toBe(0o600);
    expect(store.warnings().some((w) => w.includes(file) && w.includes("0644"))).toBe(true);
  });

  it("a broken JSON file is a ConfigError naming file and line, and is left untouched", () => {
    const text = '{\n  "version": 1,\n  "accounts": [ { "jid": "a@b" }, ]\n}\n';
    const file = writeConfig(text);
    const before = fs.readFileSync(file);
    const err = expectThrow(() => open(), ConfigError, /line 3, column \d+: trailing comma/);
    expect(err.message.startsWith(file + ": ")).toBe(true);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["config.json"]);
  });

  it("an empty file is an error too, and stays empty", () => {
    const file = writeConfig("");
    expectThrow(() => open(), ConfigError, /config\.json: the file is empty/);
    expect(fs.readFileSync(file, "utf8")).toBe("");
  });

  it("a schema violation names the path and is left untouched", () => {
    const text = JSON.stringify({ version: 1, accounts: [{ jid: "a@b", port: 70000, transpor: "tls" }] }, null, 2);
    const file = writeConfig(text);
    const err = expectThrow(() => open(), ConfigError, /accounts\[0\]\.port must be an integer between 1 and 65535/);
    expect(err.message).toContain(file);
    expect(err.message).toContain('accounts[0]: unknown key "transpor"');
    expect(fs.readFileSync(file, "utf8")).toBe(text);
  });

  it("other schema violations: missing jid, bad enum, duplicate names, newer version", () => {
    expect(checkConfigData({ accounts: [{ name: "x" }] })).toEqual(["accounts[0].jid is required"]);
    expect(checkConfigData({ accounts: [{ jid: "a@b", transport: "udp" }] })).toEqual([
      "accounts[0].transport must be one of: starttls, tls, websocket",
    ]);
    expect(checkConfigData({ accounts: [{ jid: "a@b" }, { jid: "c@d", name: "a@b" }] })[0]).toMatch(
      /accounts\[1\]: name "a@b" is already used by accounts\[0\]/,
    );
    expect(checkConfigData({ version: 2 })[0]).toMatch(/newer/);
    expect(checkConfigData({ settings: { max_stanza_size: 10 } })).toEqual([
      "settings.max_stanza_size must be a number of bytes between 65536 and 1073741824",
    ]);
    expect(checkConfigData([])).toEqual(["the top level must be a JSON object"]);
  });

  it("a file broken after opening is reported on the next access and never overwritten", () => {
    const store = open();
    store.addAccount("alice@example.org");
    const broken = '{"version":1,"accounts":[{"jid":"alice@example.org","port":"x"}]}';
    fs.writeFileSync(store.file, broken);
    expectThrow(() => store.setAccountKey("alice@example.org", "port", "5222"), ConfigError, /accounts\[0\]\.port/);
    expect(fs.readFileSync(store.file, "utf8")).toBe(broken);
    fs.writeFileSync(store.file, "{");
    expectThrow(() => store.accounts(), ConfigError, /line 1, column 2/);
    expect(fs.readFileSync(store.file, "utf8")).toBe("{");
  });
});

describe("ConfigStore: accounts", () => {
  it("adds accounts with defaults applied, in order", () => {
    const store = open();
    const a = store.addAccount("Alice@Example.ORG");
    expect(a).toEqual({
      jid: "Alice@example.org",
      name: "Alice@example.org",
      transport: "starttls",
      resource: "jabterm",
      priority: 0,
      allow_plaintext: false,
      enabled: true,
    });
  });

  it("rejects bad JIDs and duplicate names", () => {
    const store = open();
    expectThrow(() => store.addAccount("example.org"), UsageError, /jid must be a bare JID/);
    expectThrow(() => store.addAccount("a@example.org/res"), UsageError, /no resource/);
    expectThrow(() => store.addAccount("a b@example.org"), UsageError, /jid must be/);
    store.addAccount("a@example.org");
    expectThrow(() => store.addAccount("a@example.org"), UsageError, /already exists/);
    store.addAccount("a@example.org", { name: "second" });
    expectThrow(() => store.addAccount("b@example.org", { name: "second" }), UsageError, /"second" already exists/);
    expectThrow(() => store.addAccount("c@example.org", { name: "has space" }), UsageError, /name must be/);
    expect(store.accounts()).toHaveLength(2);
  });

  it("getAccount matches the name first, then the bare JID case-insensitively", () => {
    const store = open();
    store.addAccount("alice@example.org", { name: "work" });
    store.addAccount("bob@example.org");
    store.addAccount("carol@example.org", { name: "alice@example.org" });
    expect(store.getAccount("work")?.jid).toBe("alice@example.org");
    expect(store.getAccount("bob@example.org")?.name).toBe("bob@example.org");
    expect(store.getAccount("BOB@Example.org")?.name).toBe("bob@example.org");
    expect(store.getAccount("bob@example.org/phone")?.name).toBe("bob@example.org");
    // a name equal to another account's JID wins
    expect(store.getAccount("alice@example.org")?.jid).toBe("carol@example.org");
    expect(store.getAccount("ALICE@example.org")?.name).toBe("work");
    expect(store.getAccount("nobody")).toBeUndefined();
  });

  it("sets typed values, unsets back to defaults, and removes", () => {
    const store = open();
    store.addAccount("alice@example.org", { name: "a" });
    expect(store.setAccountKey("a", "port", " 5222 ").port).toBe(5222);
    expect(store.setAccountKey("a", "priority", "-5").priority).toBe(-5);
    expect(store.setAccountKey("a", "transport", "TLS").transport).toBe("tls");
    expect(store.setAccountKey("a", "enabled", "off").enabled).toBe(false);
    expect(store.setAccountKey("a", "allow_plaintext", "yes").allow_plaintext).toBe(true);
    expect(store.setAccountKey("a", "host", "xmpp.example.org").host).toBe("xmpp.example.org");
    expect(store.setAccountKey("a", "resource", "laptop").resource).toBe("laptop");
    const stored = JSON.parse(fs.readFileSync(store.file, "utf8")).accounts[0];
    expect(stored).toEqual({
      jid: "alice@example.org",
      name: "a",
      host: "xmpp.example.org",
      port: 5222,
      transport: "tls",
      resource: "laptop",
      priority: -5,
      allow_plaintext: true,
      enabled: false,
    });
    expect(Object.keys(stored)[0]).toBe("jid");

    expect(store.unsetAccountKey("a", "port").port).toBeUndefined();
    expect(store.unsetAccountKey("a", "transport").transport).toBe("starttls");
    expect(store.unsetAccountKey("a", "name").name).toBe("alice@example.org");
    expect(store.getAccount("a")).toBeUndefined();
    expect(store.removeAccount("alice@example.org").jid).toBe("alice@example.org");
    expect(store.accounts()).toEqual([]);
  });

  it("gives clear errors for bad values and unknown keys/accounts", () => {
    const store = open();
    store.addAccount("alice@example.org", { name: "a" });
    store.addAccount("bob@example.org", { name: "b" });
    expectThrow(() => store.setAccountKey("a", "port", "70000"), UsageError, /^port must be an integer between 1 and 65535$/);
    expectThrow(() => store.setAccountKey("a", "port", "52x"), UsageError, /^port must be an integer between 1 and 65535$/);
    expectThrow(() => store.setAccountKey("a", "priority", "128"), UsageError, /priority must be an integer between -128 and 127/);
    expectThrow(() => store.setAccountKey("a", "transport", "udp"), UsageError, /transport must be one of: starttls, tls, websocket/);
    expectThrow(() => store.setAccountKey("a", "enabled", "maybe"), UsageError, /enabled must be true or false/);
    expectThrow(() => store.setAccountKey("a", "url", "http://x.org/ws"), UsageError, /url must be a ws:\/\/ or wss:\/\/ URL/);
    expectThrow(() => store.setAccountKey("a", "fingerprint", "abcd"), UsageError, /fingerprint must be a SHA-256/);
    expectThrow(() => store.setAccountKey("a", "password_command", "pass 'x"), UsageError, /unterminated single quote/);
    expectThrow(() => store.setAccountKey("a", "prot", "1"), UsageError, /unknown account key "prot"/);
    expectThrow(() => store.setAccountKey("zz", "port", "1"), UsageError, /no account "zz"/);
    expectThrow(() => store.setAccountKey("a", "name", "b"), UsageError, /"b" already exists/);
    expectThrow(() => store.unsetAccountKey("a", "jid"), UsageError, /jid cannot be unset/);
    expectThrow(() => store.removeAccount("zz"), UsageError, /no account "zz"/);
    expect(store.getAccount("a")?.port).toBeUndefined();
  });

  it("renames, including via setAccountKey name", () => {
    const store = open();
    store.addAccount("alice@example.org");
    expect(store.renameAccount("alice@example.org", "work").name).toBe("work");
    expect(store.getAccount("work")?.jid).toBe("alice@example.org");
  });

  it("normalises fingerprints, websocket URLs and ca_file paths", () => {
    const store = open();
    store.addAccount("alice@example.org", { name: "a" });
    const hex = "ab".repeat(32);
    const expected = Array(32).fill("AB").join(":");
    expect(store.setAccountKey("a", "fingerprint", hex).fingerprint).toBe(expected);
    expect(store.setAccountKey("a", "fingerprint", expected.toLowerCase()).fingerprint).toBe(expected);
    expect(normaliseFingerprint(`sha256 Fingerprint=${expected}`)).toBe(expected);
    expect(normaliseFingerprint("AB:CD")).toBeUndefined();
    expect(store.setAccountKey("a", "url", "WSS://xmpp.example.org/ws").url).toBe("wss://xmpp.example.org/ws");
    expect(store.setAccountKey("a", "ca_file", "~/ca.pem").ca_file).toBe(path.join(os.homedir(), "ca.pem"));
    expect(store.setAccountKey("a", "ca_file", "rel/ca.pem").ca_file).toBe(path.resolve("rel/ca.pem"));
  });

  it("resolves a relative ca_file in the file against the config directory", () => {
    writeConfig(JSON.stringify({ version: 1, accounts: [{ jid: "a@b", ca_file: "certs/ca.pem", fingerprint: "cd".repeat(32) }] }));
    const a = open().getAccount("a@b")!;
    expect(a.ca_file).toBe(path.join(tmp, "cfg", "certs", "ca.pem"));
    expect(a.fingerprint).toBe(Array(32).fill("CD").join(":"));
  });

  it("warns about stored passwords and inconsistent settings; redactAccount hides the password", () => {
    const store = open();
    store.addAccount("alice@example.org", { name: "a" });
    expect(store.warnings()).toEqual([]);
    const a = store.setAccountKey("a", "password", " s3cret with spaces ");
    expect(a.password).toBe(" s3cret with spaces ");
    store.setAccountKey("a", "transport", "websocket");
    const w = store.warnings();
    expect(w).toContain('account "a" stores its password in the config file; prefer password_command');
    expect(w).toContain('account "a" uses transport websocket but has no url');
    expect(redactAccount(a).password).toBe("***");
    expect(a.password).toBe(" s3cret with spaces ");
    expect(redactAccount(store.getAccount("a")!)).not.toHaveProperty("password", " s3cret with spaces ");
  });
});

describe("ConfigStore: settings", () => {
  it("gets defaults, sets typed values, unsets", () => {
    const store = open();
    expect(store.getSetting("log_level")).toBe("warn");
    expect(store.getSetting("max_stanza_size")).toBe(1048576);
    expect(store.setSetting("log_level", "DEBUG")).toBe("debug");
    expect(store.setSetting("xml_log", "true")).toBe(true);
    expect(store.setSetting("drain_timeout", "30s")).toBe(30000);
    expect(store.setSetting("reconnect_max_delay", "5m")).toBe(300000);
    expect(store.setSetting("max_stanza_size", "64k")).toBe(65536);
    expect(open().settings()).toMatchObject({ log_level: "debug", xml_log: true, drain_timeout: 30000 });
    expect(store.unsetSetting("log_level")).toBe("warn");
    expect(JSON.parse(fs.readFileSync(store.file, "utf8")).settings).toEqual({
      xml_log: true,
      reconnect_max_delay: 300000,
      drain_timeout: 30000,
      max_stanza_size: 65536,
    });
  });

  it("rejects bad setting values and unknown settings", () => {
    const store = open();
    expectThrow(() => store.setSetting("max_stanza_size", "1000"), UsageError, /max_stanza_size must be a number of bytes between 65536/);
    expectThrow(() => store.setSetting("log_level", "loud"), UsageError, /log_level must be one of: error, warn, info, debug, trace/);
    expectThrow(() => store.setSetting("drain_timeout", "10 parsecs"), UsageError, /drain_timeout must be a number of milliseconds/);
    expectThrow(() => store.setSetting("nope", "1"), UsageError, /unknown setting "nope"/);
    expectThrow(() => store.getSetting("nope"), UsageError, /unknown setting/);
    expect(fs.existsSync(store.file)).toBe(false);
  });

  it("settings are live: a change by another process or an editor is seen at the next read", () => {
    const mine = open();
    const theirs = open(); // another jabterm on the same file
    expect(mine.settings().log_level).toBe("warn");
    theirs.setSetting("log_level", "debug");
    expect(mine.settings().log_level).toBe("debug");
    // An editor rewriting the file in place, to the same size.
    const text = fs.readFileSync(mine.file, "utf8");
    fs.writeFileSync(mine.file, text.replace('"debug"', '"error"'));
    expect(mine.settings().log_level).toBe("error");
    // A broken edit is an error at the next read, not a stale answer.
    fs.writeFileSync(mine.file, "{ nope");
    expectThrow(() => mine.settings(), ConfigError, /config\.json/);
    fs.writeFileSync(mine.file, text);
    expect(mine.settings().log_level).toBe("debug");
    // A file unchanged for a while is not read again; an edit that keeps its size and even its
    // modification time (coarse file times) is still seen: its change time is recent.
    const old = new Date(Date.now() - 3_600_000);
    fs.utimesSync(mine.file, old, old);
    expect(mine.settings().log_level).toBe("debug");
    fs.writeFileSync(mine.file, text.replace('"debug"', '"error"'));
    fs.utimesSync(mine.file, old, old);
    expect(mine.settings().log_level).toBe("error");
    // What a caller does to its copy does not leak into the next read.
    (mine.settings() as { log_level: string }).log_level = "trace";
    expect(mine.settings().log_level).toBe("error");
  });

  it("key bindings: read as written, kept when the file is rewritten; a wrong shape is a clear error", () => {
    writeConfig(JSON.stringify({ version: 1, accounts: [], keys: { "M-n": "next-unread", "input:C-a": "none" } }));
    const store = open();
    expect(store.keyBindings()).toEqual({ "M-n": "next-unread", "input:C-a": "none" });
    store.setSetting("log_level", "debug"); // a rewrite keeps them
    expect(JSON.parse(fs.readFileSync(store.file, "utf8")).keys).toEqual({ "M-n": "next-unread", "input:C-a": "none" });
    writeConfig(JSON.stringify({ version: 1, keys: { "M-n": 3 } }));
    expectThrow(() => open().keyBindings(), ConfigError, /keys/);
  });

  it("warns when the reconnect delays are inverted", () => {
    const store = open();
    store.setSetting("reconnect_min_delay", "10000");
    store.setSetting("reconnect_max_delay", "1000");
    expect(store.warnings().some((w) => w.includes("reconnect_min_delay"))).toBe(true);
  });
});

describe("schema tables", () => {
  it("every key has a description; the conf JSON schema is derived from the tables", () => {
    const s = confSchema();
    const accountProps = (s.accounts.items as { properties: Record<string, unknown> }).properties;
    expect(Object.keys(accountProps)).toEqual(ACCOUNT_KEYS.map((d) => d.key));
    expect(Object.keys((s.settings as { properties: Record<string, unknown> }).properties)).toEqual(SETTINGS.map((d) => d.key));
    expect(accountProps.port).toMatchObject({ type: "integer", minimum: 1, maximum: 65535 });
    expect(accountProps.transport).toMatchObject({ enum: ["starttls", "tls", "websocket"], default: "starttls" });
    for (const d of [...ACCOUNT_KEYS, ...SETTINGS]) expect(d.description.length).toBeGreaterThan(10);
    expect(ACCOUNT_KEYS.find((d) => d.key === "password")).toMatchObject({ secret: true });
    expect(typeText(ACCOUNT_KEYS.find((d) => d.key === "port")!)).toBe("integer 1..65535");
  });

  it("validateAccountValue / validateSetting parse typed values", () => {
    expect(validateAccountValue("port", "5222")).toBe(5222);
    expect(validateAccountValue("allow_plaintext", "1")).toBe(true);
    expect(validateSetting("xml_log", "no")).toBe(false);
    expect(() => validateAccountValue("password", "")).toThrow(/password must not be empty/);
  });

  it("splitCommandLine splits like a shell without one", () => {
    expect(splitCommandLine(`pass show "xmpp/my account" --x='a b' c\\ d`)).toEqual([
      "pass",
      "show",
      "xmpp/my account",
      "--x=a b",
      "c d",
    ]);
    expect(splitCommandLine(`echo "a \\"q\\" $HOME"`)).toEqual(["echo", 'a "q" $HOME']);
    expect(splitCommandLine("  ")).toEqual([]);
    expect(() => splitCommandLine('a "b')).toThrow(/unterminated double quote/);
  });

  it("locateJsonError reports positions", () => {
    expect(locateJsonError('{"a": 1}')).toBeUndefined();
    expect(locateJsonError('{"a": tru}')).toMatchObject({ pos: 6 });
    expect(locateJsonError("{a: 1}")?.message).toMatch(/double-quoted property name/);
    expect(locateJsonError('{"a": 1} x')?.message).toMatch(/after the end/);
    expect(locateJsonError('"abc')?.message).toMatch(/unterminated string/);
  });
});
