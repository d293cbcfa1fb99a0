/**
 * Starts a private Prosody 0.12 for integration tests: own temp dir, own ports on
 * 127.0.0.1, a self-signed certificate that is its own trust anchor.
 *
 *   const server = await startProsody({ muc: true });
 *   const { jid, password } = await server.createAccount();
 *   ...
 *   await server.cleanup();
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { X509Certificate, randomBytes } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { LineReader, waitFor, waitForPort, waitForPortClosed } from "./wait-for.js";

export interface ProsodyOptions {
  /** Virtual hosts; default ["localhost"]. The first one is `domain`. */
  domains?: string[];
  /** c2s_require_encryption; default true. */
  requireEncryption?: boolean;
  /** Listen for direct TLS (XEP-0368) on `directTlsPort`; default true. */
  directTls?: boolean;
  /** Load mod_websocket + mod_http on `httpPort` (ws://) and `httpsPort` (wss://); default true. */
  websocket?: boolean;
  /** Add a MUC component conference.<domain> (with muc_mam); default false. */
  muc?: boolean;
  /** More modules for the MUC component (e.g. "muc_moderation" from Debian's prosody-modules). */
  mucModules?: string[];
  /** More modules for modules_enabled. */
  extraModules?: string[];
  /** Modules of the default set to leave out (e.g. ["mam"]: a server without an archive). */
  withoutModules?: string[];
  /** Raw Lua appended to the global section (before the VirtualHost lines). */
  extraConfig?: string;
  /** SCRAM iteration count; default 1024 (fast logins). */
  iterationCount?: number;
  /** smacks_hibernation_time in seconds; default 60. */
  smacksHibernation?: number;
}

export interface ProsodyAccount {
  user: string;
  jid: string;
  password: string;
}

export interface ProsodyServer {
  domain: string;
  /** All virtual hosts. */
  domains: string[];
  /** conference.<domain> when `muc` was asked for. */
  mucDomain?: string;
  host: "127.0.0.1";
  c2sPort: number;
  directTlsPort: number;
  httpPort: number;
  httpsPort: number;
  /** PEM of the self-signed certificate (its own trust anchor). */
  caFile: string;
  /** SHA-256 of the leaf DER, upper-case hex with colons. */
  fingerprint: string;
  dir: string;
  configFile: string;
  /** PID of the current prosody process (changes after stop()/start()). */
  pid: number;
  logFile: string;
  /** Last lines of the log, for error messages. */
  logTail(lines?: number): string;
  createAccount(user?: string, password?: string): Promise<ProsodyAccount>;
  /** SIGTERM, wait for exit (SIGKILL after 5 s) and for the ports to close. */
  stop(): Promise<void>;
  /** Start again after stop() with the same ports, certificate and data. */
  start(): Promise<void>;
  /** stop() and remove the temp dir. */
  cleanup(): Promise<void>;
}

const MODULES = [
  "roster",
  "saslauth",
  "tls",
  "disco",
  "carbons",
  "pep",
  "private",
  "blocklist",
  "vcard4",
  "vcard_legacy",
  "version",
  "ping",
  "register",
  "mam",
  "smacks",
  "offline",
  "time",
];

// ---------------------------------------------------------------------------
// availability

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

let available: boolean | undefined;
/** True when prosody, prosodyctl and openssl are installed (scripts/install-deps.sh). */
export function prosodyAvailable(): boolean {
  available ??= onPath("prosody") && onPath("prosodyctl") && onPath("openssl");
  return available;
}

// ---------------------------------------------------------------------------
// processes and directories left behind
//
// Vitest ends its workers without running process 'exit' handlers, so a server whose
// test forgot cleanup() must not depend on them:
//  - prosody runs under a small bash watchdog that holds a pipe from this process on
//    its stdin; when that pipe closes (this process is gone), it stops prosody
//    (SIGTERM, SIGKILL after 5 s);
//  - every temp dir records its owner's PID; startProsody() removes dirs whose owner
//    is dead.
// The 'exit' handler below still helps plain node scripts.

const running = new Set<number>();
const tempDirs = new Set<string>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on("exit", () => {
    for (const pid of running) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (!process.env.JABTERM_TEST_PROSODY_KEEP) {
      for (const dir of tempDirs) {
        try {
          fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
        } catch {
          // best effort
        }
      }
    }
  });
}

const DIR_PREFIX = "jabterm-prosody-";
const OWNER_FILE = "owner.pid";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes temp dirs (and kills their prosody) left by test processes that no longer exist. */
async function sweepStaleDirs(): Promise<void> {
  if (process.env.JABTERM_TEST_PROSODY_KEEP) return;
  let entries: string[];
  try {
    entries = await fsp.readdir(os.tmpdir());
  } catch {
    return;
  }
  for (const name of entries) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const owner = Number((await fsp.readFile(path.join(dir, OWNER_FILE), "utf8")).trim());
      if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
      const pid = Number((await fsp.readFile(path.join(dir, "prosody.pid"), "utf8").catch(() => "")).trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        const cmdline = await fsp.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
        if (cmdline.includes(dir)) process.kill(pid, "SIGKILL");
      }
      await fsp.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    } catch {
      // no owner file (being created right now) or already removed: leave it
    }
  }
}

/**
 * Runs prosody in the foreground under a watchdog: prints "prosody-pid N" on stdout,
 * stops prosody when its own stdin reaches EOF, exits with prosody's status.
 */
const WATCHDOG = `
set -u
exec 3<&0
prosody -F --config "$1" </dev/null >&2 &
pid=$!
echo "prosody-pid $pid"
(
  while read -r _; do :; done
  kill -TERM "$pid" 2>/dev/null || exit 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null
) <&3 >/dev/null 2>&1 &
watcher=$!
exec 3<&-
wait "$pid"
rc=$?
kill "$watcher" 2>/dev/null
exit "$rc"
`;

// ---------------------------------------------------------------------------
// certificate (one per process and set of names)

interface CertData {
  certPem: string;
  keyPem: string;
  fingerprint: string;
}

const certCache = new Map<string, Promise<CertData>>();

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, timeout: 30_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stdout}\n${stderr}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

function certNames(domains: string[]): string[] {
  const names = new Set<string>(["localhost", "conference.localhost", "upload.localhost", "example.test"]);
  for (const d of domains) {
    names.add(d);
    names.add(`conference.${d}`);
    names.add(`upload.${d}`);
  }
  return [...names].sort();
}

function getCertificate(domains: string[]): Promise<CertData> {
  const names = certNames(domains);
  const key = names.join(",");
  let cert = certCache.get(key);
  if (!cert) {
    cert = makeCertificate(names);
    certCache.set(key, cert);
    // A failed generation should not poison later attempts.
    cert.catch(() => certCache.delete(key));
  }
  return cert;
}

/** Self-signed EC P-256 certificate (CA:TRUE, so it is its own trust anchor). */
async function makeCertificate(names: string[]): Promise<CertData> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "jabterm-cert-"));
  try {
    const certFile = path.join(dir, "cert.pem");
    const keyFile = path.join(dir, "key.pem");
    const san = [...names.map((n) => `DNS:${n}`), "IP:127.0.0.1"].join(",");
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "3650",
      "-subj",
      "/CN=localhost",
      "-addext",
      `subjectAltName=${san}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
    ]);
    const certPem = await fsp.readFile(certFile, "utf8");
    const keyPem = await fsp.readFile(keyFile, "utf8");
    return { certPem, keyPem, fingerprint: new X509Certificate(certPem).fingerprint256 };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
}

// ---------------------------------------------------------------------------
// ports

/** Picks `count` distinct free ports on 127.0.0.1 (bind to 0, read, close). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
      const addr = server.address();
      if (!addr || typeof addr === "string") throw new Error("freePorts: no address");
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

// ---------------------------------------------------------------------------
// config

function lua(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function luaList(items: (string | number)[]): string {
  return `{ ${items.map((i) => (typeof i === "number" ? String(i) : lua(i))).join(", ")} }`;
}

interface ConfigInput {
  dir: string;
  dataDir: string;
  logFile: string;
  pidFile: string;
  certsDir: string;
  certFile: string;
  keyFile: string;
  domains: string[];
  mucDomain: string | undefined;
  mucModules: string[];
  requireEncryption: boolean;
  directTls: boolean;
  websocket: boolean;
  extraModules: string[];
  withoutModules: string[];
  extraConfig: string;
  iterationCount: number;
  smacksHibernation: number;
  c2sPort: number;
  directTlsPort: number;
  httpPort: number;
  httpsPort: number;
}

function buildConfig(c: ConfigInput): string {
  const modules = MODULES.filter((m) => !c.withoutModules.includes(m));
  if (c.websocket) modules.push("websocket", "http");
  for (const m of c.extraModules) if (!modules.includes(m)) modules.push(m);
  const level = process.env.JABTERM_TEST_PROSODY_DEBUG ? "debug" : "info";
  const lines = [
    "-- generated by test/helpers/prosody.ts",
    "run_as_root = true",
    `data_path = ${lua(c.dataDir)}`,
    `pidfile = ${lua(c.pidFile)}`,
    `log = { ${level} = ${lua(c.logFile)} }`,
    "",
    'interfaces = { "127.0.0.1" }',
    'local_interfaces = { "127.0.0.1" }',
    `c2s_ports = ${luaList([c.c2sPort])}`,
    `c2s_direct_tls_ports = ${luaList(c.directTls ? [c.directTlsPort] : [])}`,
    "legacy_ssl_ports = { }",
    "s2s_ports = { }",
    // Always pin the HTTP ports, so a module that pulls in mod_http never binds 5280/5281.
    `http_ports = ${luaList([c.httpPort])}`,
    `https_ports = ${luaList([c.httpsPort])}`,
    'http_interfaces = { "127.0.0.1" }',
    'https_interfaces = { "127.0.0.1" }',
    `http_default_host = ${lua(c.domains[0]!)}`,
    "",
    // One certificate for everything: the global `ssl` is the fallback of every
    // port-specific (c2s_direct_tls_ssl, https_ssl) and host-specific TLS context.
    `certificates = ${lua(c.certsDir)}`,
    `ssl = { certificate = ${lua(c.certFile)}, key = ${lua(c.keyFile)} }`,
    "",
    `modules_enabled = ${luaList(modules)}`,
    'modules_disabled = { "s2s" }',
    'authentication = "internal_hashed"',
    'storage = "internal"',
    `default_iteration_count = ${c.iterationCount}`,
    `c2s_require_encryption = ${c.requireEncryption}`,
    "allow_registration = false",
    "consider_websocket_secure = true",
    `smacks_hibernation_time = ${c.smacksHibernation}`,
    'archive_expires_after = "1w"',
    "default_archive_policy = true",
    "",
    c.extraConfig,
    "",
  ];
  for (const d of c.domains) lines.push(`VirtualHost ${lua(d)}`);
  if (c.mucDomain) {
    lines.push(
      "",
      `Component ${lua(c.mucDomain)} "muc"`,
      `  modules_enabled = ${luaList(["muc_mam", ...c.mucModules])}`,
      "  restrict_room_creation = false",
    );
  }
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------

/** Resolves true when the server answers a client stream header with stream features. */
function streamResponds(port: number, domain: string, timeout = 3_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let data = "";
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeout);
    socket.setEncoding("utf8");
    socket.on("connect", () =>
      socket.write(
        `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
      ),
    );
    socket.on("data", (d: string) => {
      data += d;
      if (data.includes("stream:features")) done(true);
    });
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
  });
}

let accountCounter = 0;

function tail(text: string, n: number): string {
  return text.split("\n").slice(-n).join("\n");
}

export async function startProsody(opts: ProsodyOptions = {}): Promise<ProsodyServer> {
  if (!prosodyAvailable()) {
    throw new Error("prosody/prosodyctl/openssl not found on PATH: run scripts/install-deps.sh");
  }
  installExitHandler();
  await sweepStaleDirs();
  const domains = opts.domains && opts.domains.length > 0 ? [...opts.domains] : ["localhost"];
  const domain = domains[0]!;
  const requireEncryption = opts.requireEncryption ?? true;
  const directTls = opts.directTls ?? true;
  const websocket = opts.websocket ?? true;
  const mucDomain = opts.muc ? `conference.${domain}` : undefined;

  const cert = await getCertificate(domains);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), DIR_PREFIX));
  tempDirs.add(dir);
  await fsp.writeFile(path.join(dir, OWNER_FILE), `${process.pid}\n`);
  const dataDir = path.join(dir, "data");
  const certsDir = path.join(dir, "certs"); // empty: silences "error indexing certificate directory"
  await fsp.mkdir(dataDir, { recursive: true });
  await fsp.mkdir(certsDir, { recursive: true });
  const caFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  await fsp.writeFile(caFile, cert.certPem);
  await fsp.writeFile(keyFile, cert.keyPem, { mode: 0o600 });
  const logFile = path.join(dir, "prosody.log");
  const pidFile = path.join(dir, "prosody.pid");
  const configFile = path.join(dir, "prosody.cfg.lua");

  const [c2sPort, directTlsPort, httpPort, httpsPort] = (await freePorts(4)) as [number, number, number, number];
  await fsp.writeFile(
    configFile,
    buildConfig({
      dir,
      dataDir,
      logFile,
      pidFile,
      certsDir,
      certFile: caFile,
      keyFile,
      domains,
      mucDomain,
      mucModules: opts.mucModules ?? [],
      requireEncryption,
      directTls,
      websocket,
      extraModules: opts.extraModules ?? [],
      withoutModules: opts.withoutModules ?? [],
      extraConfig: opts.extraConfig ?? "",
      iterationCount: opts.iterationCount ?? 1024,
      smacksHibernation: opts.smacksHibernation ?? 60,
      c2sPort,
      directTlsPort,
      httpPort,
      httpsPort,
    }),
  );

  const ports = [c2sPort];
  if (directTls) ports.push(directTlsPort);
  if (websocket) ports.push(httpPort, httpsPort);

  let child: ChildProcess | undefined;
  /** PID of the prosody process under the current watchdog, once it printed it. */
  let prosodyPid: number | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = "";

  const readLog = (): string => {
    try {
      return fs.readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };

  const server: ProsodyServer = {
    domain,
    domains,
    ...(mucDomain ? { mucDomain } : {}),
    host: "127.0.0.1",
    c2sPort,
    directTlsPort,
    httpPort,
    httpsPort,
    caFile,
    fingerprint: cert.fingerprint,
    dir,
    configFile,
    pid: 0,
    logFile,

    logTail(lines = 30): string {
      const out = output.trim() ? `\n--- prosody stdout/stderr ---\n${tail(output.trim(), lines)}` : "";
      return `--- ${logFile} ---\n${tail(readLog().trimEnd(), lines)}${out}`;
    },

    async start(): Promise<void> {
      if (child) throw new Error("prosody is already running");
      output = "";
      const proc = spawn("bash", ["-c", WATCHDOG, "jabterm-prosody", configFile], {
        cwd: dir,
        // stdin: the watchdog's lifeline (EOF = this process is gone); stdout: "prosody-pid N";
        // stderr: prosody's own console output.
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, LANG: "C.UTF-8" },
      });
      child = proc;
      proc.stdin!.on("error", () => undefined);
      proc.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
      const pidLine = new LineReader(proc.stdout!);
      let exitInfo: string | undefined;
      prosodyPid = undefined;
      exited = new Promise<void>((resolve) => {
        proc.once("exit", (code, signal) => {
          exitInfo = signal ? `signal ${signal}` : `code ${code}`;
          if (child === proc) {
            if (prosodyPid !== undefined) running.delete(prosodyPid);
            child = undefined;
          }
          resolve();
        });
        proc.once("error", (err) => {
          exitInfo = `spawn error: ${err.message}`;
          if (child === proc) child = undefined;
          resolve();
        });
      });
      // Don't let a forgotten server keep the test process alive; the watchdog stops it.
      proc.unref();
      (proc.stdin as unknown as { unref?: () => void }).unref?.();
      (proc.stdout as unknown as { unref?: () => void }).unref?.();
      (proc.stderr as unknown as { unref?: () => void }).unref?.();

      const earlyExit = exited.then(() => {
        throw new Error(`prosody exited early (${exitInfo ?? "?"})\n${server.logTail(40)}`);
      });
      // Exit after a successful start is reported by later operations, not here.
      earlyExit.catch(() => undefined);
      try {
        const line = await Promise.race([pidLine.next(/^prosody-pid \d+$/, 10_000), earlyExit]);
        prosodyPid = Number(line.split(" ")[1]);
        running.add(prosodyPid);
        server.pid = prosodyPid;
        await Promise.race([Promise.all(ports.map((p) => waitForPort(p, "127.0.0.1", 15_000))), earlyExit]);
        // Listening sockets exist before startup has finished (components, signal handlers:
        // a SIGTERM before then kills prosody without a clean shutdown). Prosody serves
        // connections only from its event loop, after startup, so one stream round-trip
        // proves it is fully up.
        await Promise.race([
          waitFor(() => streamResponds(c2sPort, domain), {
            timeout: 15_000,
            message: `prosody on port ${c2sPort} to answer a stream header`,
          }),
          earlyExit,
        ]);
      } catch (err) {
        if (child === proc) await server.stop().catch(() => undefined);
        if (err instanceof Error && err.message.startsWith("prosody exited early")) throw err;
        throw new Error(`${err instanceof Error ? err.message : String(err)}\n${server.logTail(40)}`);
      }
    },

    async stop(): Promise<void> {
      const proc = child;
      if (proc) {
        const pid = prosodyPid;
        const signal = (sig: NodeJS.Signals): void => {
          try {
            // prosody itself when its PID is known, else the watchdog (EOF on stdin stops prosody).
            if (pid !== undefined) process.kill(pid, sig);
            else proc.stdin!.end();
          } catch {
            // already gone
          }
        };
        signal("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const killed = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            signal("SIGKILL");
            resolve();
          }, 5_000);
        });
        await Promise.race([exited, killed]);
        await exited;
        clearTimeout(timer);
        proc.stdin!.destroy();
      }
      await Promise.all(ports.map((p) => waitForPortClosed(p, "127.0.0.1", 10_000)));
    },

    async cleanup(): Promise<void> {
      await server.stop();
      await fsp.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      tempDirs.delete(dir);
    },

    async createAccount(user?: string, password?: string): Promise<ProsodyAccount> {
      // "name@otherdomain" registers on another of the configured virtual hosts.
      let name = user ?? `u${Date.now().toString(36)}${(accountCounter++).toString(36)}${randomBytes(3).toString("hex")}`;
      let host = domain;
      const at = name.indexOf("@");
      if (at >= 0) {
        host = name.slice(at + 1);
        name = name.slice(0, at);
      }
      const pass = password ?? randomBytes(12).toString("hex");
      await run("prosodyctl", ["--config", configFile, "register", name, host, pass], { cwd: dir });
      return { user: name, jid: `${name}@${host}`, password: pass };
    },
  };

  try {
    await server.start();
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }).catch(() => undefined);
    tempDirs.delete(dir);
    throw err;
  }
  return server;
}
