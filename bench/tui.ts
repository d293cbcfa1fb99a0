/**
 * `npm run bench`: the full-screen interface in a real terminal, under load.
 *
 * - A throwaway Prosody on loopback. The user's roster holds 5,000 contacts (written into
 *   Prosody's storage before anyone logs in; 30 of them log in and are online, the rest offline);
 *   a second account (the peer) is one of them.
 * - jabterm's interface (bench/tui-app.ts: the real interactive host, built code from dist/) runs
 *   in a pseudo-terminal (util-linux `script`), with a conversation of 100,000 messages with the
 *   peer in its history database (written before it starts; it shows the last page from there). What it writes is fed to a headless xterm.js
 *   (@xterm/headless), which is the screen this bench reads.
 * - Measured: start to interactive (process start until the conversation is drawn, and until a
 *   typed key shows); keystroke-to-echo latency (the key's write to the pty until the chunk that
 *   puts it on the emulated screen arrives), idle and during a flood; while the peer (another
 *   process, jabterm's core Account) sends 10,000 messages as fast as Prosody delivers them: CPU
 *   seconds, peak RSS, bytes written to the terminal, event-loop delay, and whether every message
 *   reached the conversation (core events, the store, and the last one on screen).
 *
 * Then, while keys are typed, the online contacts change show and status CHURN_RATE times a
 * second in all for CHURN_SECONDS (a big roster's presence traffic, sped up): echo latency, CPU,
 * and whether every change reached the core.
 *
 * Environment: CONTACTS (5000), ONLINE (30), PRELOAD (100000), FLOOD (10000), KEYS (200 idle
 * keystrokes), CHURN_RATE (100; 0: no churn), CHURN_SECONDS (5), COLS/ROWS (120x40), FLOOD_RECEIPTS=1 (the flood asks for XEP-0184 receipts),
 * JSON=1 (also print the figures as JSON), PROFILE=<dir> (write a V8 CPU profile of the app there:
 * open it in Chrome DevTools, or sum self time per function), HEAPSNAP=<dir> (write V8 heap
 * snapshots of the app there: idle.heapsnapshot before the flood, flood.heapsnapshot half-way
 * through it; taking one stops the app for seconds, so the timings of such a run mean nothing),
 * HEAPPROFILE=<dir> (V8's sampling heap profiles of the app there, of the objects that reached
 * V8's old space: start.heapprofile from start to the flood, flood.heapprofile during it; open
 * them in Chrome DevTools' Memory tab, or sum them by function), TRACE=<file> (a timeline of the
 * flood: each key typed and its echo, and the app's event-loop callbacks, GCs, terminal reads and
 * writes; `npx tsx bench/trace-report.ts <file>` shows where the slowest echoes waited),
 * APP_NODE_FLAGS (node/V8 flags for the app instead of those bin/jabterm.js starts node with,
 * src/cli/runtime.ts: e.g. "--max-semi-space-size=4"; "" for none).
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

import headless from "@xterm/headless";
import ts from "typescript";

import { NODE_START_FLAGS } from "../src/cli/runtime.js";
import { ConfigStore } from "../src/core/config/config.js";
import { resolvePaths } from "../src/core/config/paths.js";
import { HistoryDb } from "../src/core/history/db.js";
import { prosodyAvailable, startProsody } from "../test/helpers/prosody.js";
import type { AppConfig, AppStats, StoredRosterItem } from "./tui-shared.js";
import { controlClient, echoProbe, writeRoster } from "./tui-shared.js";

const { Terminal } = headless;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt);
  return Number.isFinite(v) && v >= 0 ? Math.floor(v) : dflt;
};
const CONTACTS = Math.max(2, num("CONTACTS", 5000));
const ONLINE = Math.min(CONTACTS - 1, num("ONLINE", 30));
const PRELOAD = num("PRELOAD", 100_000);
const FLOOD = Math.max(1, num("FLOOD", 10_000));
const KEYS = Math.max(10, num("KEYS", 200));
const COLS = num("COLS", 120);
const ROWS = num("ROWS", 40);
const FLOOD_PREFIX = "flood ";
const CHURN_RATE = num("CHURN_RATE", 100);
const CHURN_SECONDS = num("CHURN_SECONDS", 5);
const TRACE = process.env.TRACE ? path.resolve(process.env.TRACE) : undefined;
/** With TRACE: when each key was typed during the flood (Unix ms) and how long its echo took. */
const keyTrace: string[] = [];

if (!prosodyAvailable()) {
  process.stderr.write("bench: prosody is not installed; run: sudo bash scripts/install-deps.sh\n");
  process.exit(1);
}
if (!fs.existsSync(path.join(root, "dist/cli/interactive.js"))) {
  process.stderr.write("bench: build first: npm run build\n");
  process.exit(1);
}

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)); // pacing only, never to synchronise

// ---------------------------------------------------------------------------------------------
// server, accounts, rosters

const server = await startProsody();
const work = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-bench-tui-"));
let app: ChildProcess | undefined;
let flooder: ChildProcess | undefined;
const cleanup = async () => {
  app?.kill("SIGKILL");
  flooder?.kill("SIGKILL");
  await server.cleanup().catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
};
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

try {
  const me = await server.createAccount("benchme", "bench-pass");
  const peer = await server.createAccount("benchpeer", "peer-pass");
  const online = [peer];
  for (let i = 1; i < ONLINE; i++) online.push(await server.createAccount(`buddy${String(i).padStart(2, "0")}`, `buddy-pass-${i}`));
  const items: StoredRosterItem[] = [{ jid: peer.jid, name: "Peer (flood)", groups: ["Online"], subscription: "both" }];
  for (const b of online.slice(1)) items.push({ jid: b.jid, name: `Buddy ${b.user.slice(5)}`, groups: ["Online"], subscription: "both" });
  for (let i = items.length; i < CONTACTS; i++) items.push({ jid: `contact${String(i).padStart(5, "0")}@${server.domain}`, name: `Contact ${String(i).padStart(5, "0")}`, groups: [`Group ${String(i % 50).padStart(2, "0")}`], subscription: "none" });
  const dataDir = path.join(server.dir, "data");
  writeRoster(dataDir, server.domain, me.user, items);
  for (const b of online) writeRoster(dataDir, server.domain, b.user, [{ jid: me.jid, name: "Bench user", subscription: "both" }]);
  log(`Prosody on 127.0.0.1:${server.c2sPort}; ${items.length} contacts for ${me.jid} (${online.length} online)`);

  // The peer and the online contacts, in their own process.
  flooder = fork(path.join(root, "bench/tui-flood.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const fromFlooder = (pred: (m: Record<string, unknown>) => boolean, timeout = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the flooder did not answer")), timeout);
      const on = (m: unknown) => {
        const r = m as Record<string, unknown>;
        if (r.error) {
          clearTimeout(timer);
          flooder!.off("message", on);
          reject(new Error(`flooder: ${String(r.error)}`));
        } else if (pred(r)) {
          clearTimeout(timer);
          flooder!.off("message", on);
          resolve(r);
        }
      };
      flooder!.on("message", on);
    });
  flooder.send({ cmd: "connect", accounts: online.map((a) => ({ jid: a.jid, password: a.password, resource: "bench" })), host: "127.0.0.1", port: server.c2sPort, caFile: server.caFile });
  await fromFlooder((m) => m.ready !== undefined);

  // jabterm's configuration for the user.
  const configDir = path.join(work, "config");
  const appData = path.join(work, "data");
  const config = ConfigStore.open(resolvePaths({ configDir, dataDir: appData, env: {} }));
  config.addAccount(me.jid, { name: "me" });
  for (const [k, v] of Object.entries({ host: "127.0.0.1", port: String(server.c2sPort), ca_file: server.caFile, password: me.password })) config.setAccountKey("me", k, v);

  // The conversation's history, written into the history database before the app starts (as a
  // long-time user's would be); the app shows its last page from there.
  const tPreload = performance.now();
  const db = HistoryDb.open(appData);
  const WORDS = "the quick brown fox jumps over a lazy dog while seven wizards box jackdaws near quiet hills and rivers".split(" ");
  const body = (i: number) => {
    const words: string[] = [];
    for (let k = 0; k < 3 + ((i * 7919) % 17); k++) words.push(WORDS[(i + k * 13) % WORDS.length]!);
    return `history ${i}: ${words.join(" ")}`;
  };
  const since = Date.now() - PRELOAD * 60_000; // one a minute: day separators too
  db.transaction(() => {
    for (let i = 0; i < PRELOAD; i++) {
      const out = i % 3 === 0;
      const time = new Date(since + i * 60_000).toISOString();
      const common = { account: "me", peer: peer.jid, id: `h${i}`, idKind: "origin" as const, type: "chat", body: body(i), time, source: "live" as const };
      db.record(out ? { ...common, direction: "out", from: `${me.jid}/jabterm`, to: peer.jid, state: "displayed" } : { ...common, direction: "in", from: `${peer.jid}/phone`, to: me.jid });
    }
  });
  db.close();
  log(`${PRELOAD} messages written to the history database in ${((performance.now() - tPreload) / 1000).toFixed(1)} s`);

  // The app, transpiled on its own so that plain node runs it.
  const source = fs.readFileSync(path.join(root, "bench/tui-app.ts"), "utf8");
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const appFile = path.join(work, "tui-app.mjs");
  fs.writeFileSync(appFile, js);
  const control = path.join(work, "control.sock");
  const appConfig: AppConfig = {
    dist: path.join(root, "dist"),
    configDir,
    dataDir: appData,
    logFile: path.join(work, "jabterm.log"),
    account: "me",
    jid: me.jid,
    peer: peer.jid,
    preload: PRELOAD,
    control,
    floodPrefix: FLOOD_PREFIX,
    floodCount: FLOOD,
    heapProfile: process.env.HEAPPROFILE ? true : undefined,
  };

  // -------------------------------------------------------------------------------------------
  // the terminal: a pty (script) and a headless xterm.js fed with everything the app writes

  const term = new Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true, scrollback: 0 });
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color", JABTERM_BENCH: JSON.stringify(appConfig) };
  // Ink draws no live frames, and chalk no colours, when a CI variable is set: a person's terminal has none.
  for (const k of Object.keys(env)) if (k === "CI" || k === "CONTINUOUS_INTEGRATION" || k.startsWith("CI_")) delete env[k];
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const t0 = performance.now();
  const profile = process.env.PROFILE ? `--cpu-prof --cpu-prof-dir=${quote(path.resolve(process.env.PROFILE))} ` : "";
  const flags = (process.env.APP_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? NODE_START_FLAGS).map((f) => `${quote(f)} `).join("");
  app = spawn("script", ["-qfec", `stty cols ${COLS} rows ${ROWS} && exec ${quote(process.execPath)} ${flags}${profile}${quote(appFile)}`, "/dev/null"], { stdio: ["pipe", "pipe", "inherit"], env });
  const appExit = new Promise<number>((resolve) => app!.once("exit", (c) => resolve(c ?? -1)));

  let termBytes = 0;
  const waiters = new Set<{ pred: () => boolean; resolve: (t: number) => void }>();
  const check = (arrived: number) => {
    for (const w of [...waiters]) {
      if (w.pred()) {
        waiters.delete(w);
        w.resolve(arrived);
      }
    }
  };
  app.stdout!.on("data", (chunk: Buffer) => {
    const arrived = performance.now();
    termBytes += chunk.length;
    term.write(chunk, () => check(arrived));
  });
  /** Resolves with the arrival time of the output chunk after which `pred` holds on the screen. */
  const waitScreen = (pred: () => boolean, timeout = 30_000, what = "screen condition") =>
    new Promise<number>((resolve, reject) => {
      if (pred()) return resolve(performance.now());
      const w = {
        pred,
        resolve: (t: number) => {
          clearTimeout(timer);
          resolve(t);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out waiting for ${what}; screen:\n${screen()}`));
      }, timeout);
      waiters.add(w);
    });
  const row = (y: number) => term.buffer.active.getLine(y)?.translateToString(true) ?? "";
  const screen = () => Array.from({ length: ROWS }, (_, y) => row(y)).join("\n");
  const screenHas = (s: string) => {
    for (let y = 0; y < ROWS; y++) if (row(y).includes(s)) return true;
    return false;
  };
  /** The command line: the bottom rows (it may grow to a few). */
  const inputHas = (s: string) => {
    for (let y = ROWS - 1; y >= ROWS - 3; y--) if (row(y).includes(s)) return true;
    return false;
  };
  const inputEmpty = () => {
    for (let y = ROWS - 1; y >= ROWS - 3; y--) if (/^\s*›\s*$/.test(row(y))) return true;
    return false;
  };
  const keys = (s: string) => app!.stdin!.write(s);

  // The control socket (the app opens it at start).
  const ask = controlClient<AppStats>(control);
  const stats = (cmd: "stats" | "reset" = "stats") => ask(cmd);

  // -------------------------------------------------------------------------------------------
  // start to interactive

  const lastPreloaded = PRELOAD > 0 ? `history ${PRELOAD - 1}:` : "No messages yet";
  const tConversation = (await waitScreen(() => screenHas(lastPreloaded), 60_000, "the preloaded conversation")) - t0;
  const tPrompt = (await waitScreen(() => inputEmpty(), 30_000, "the chat prompt")) - t0;
  const tFirstKeyAt = performance.now();
  keys("x");
  const tInteractive = (await waitScreen(() => inputHas("› x"), 30_000, "the first key's echo")) - t0;
  const firstKeyEcho = tInteractive + t0 - tFirstKeyAt;
  keys("\x15"); // Ctrl-U
  await waitScreen(() => inputEmpty(), 10_000, "the cleared line");
  let s = await stats();
  while (!(s.online && s.roster.loaded && s.roster.items >= CONTACTS)) {
    if (performance.now() - t0 > 60_000) throw new Error(`the account did not come online with its roster: ${JSON.stringify(s)}`);
    await sleep(20);
    s = await stats();
  }
  const tRoster = performance.now() - t0;
  await waitScreen(() => screenHas("Buddy"), 30_000, "online contacts in the roster pane").catch(() => undefined);
  log(`conversation drawn after ${tConversation.toFixed(0)} ms, interactive after ${tInteractive.toFixed(0)} ms, online with ${s.roster.items} contacts after ${tRoster.toFixed(0)} ms`);
  await sleep(1500); // let the login burst (presences, caps queries) settle before timing keys
  const idleStart = await stats("reset");

  // -------------------------------------------------------------------------------------------
  // keystroke to echo

  /** One key: ms from its write to the chunk that shows it, or Infinity on timeout. */
  const { echo: echoOnce, clear: clearLine, lastKeyAt } = echoProbe({ keys, waitScreen, inputHas, inputEmpty });

  const idle: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    idle.push(await echoOnce());
    await sleep(15 + (i % 7)); // a fast typist, not in phase with the frame clock
  }
  const idleEnd = await stats();
  const heapsnap = process.env.HEAPSNAP ? path.resolve(process.env.HEAPSNAP) : undefined;
  const heapprof = process.env.HEAPPROFILE ? path.resolve(process.env.HEAPPROFILE) : undefined;
  const heapProfile = async (name: string) => {
    fs.mkdirSync(heapprof!, { recursive: true });
    const r = await ask(`heapprofile ${path.join(heapprof!, `${name}.heapprofile`)}`);
    log(`heap profile ${r.snapshot}`);
  };
  const snapshot = async (name: string) => {
    fs.mkdirSync(heapsnap!, { recursive: true });
    const r = await ask(`heapsnapshot ${path.join(heapsnap!, `${name}.heapsnapshot`)}`);
    log(`heap snapshot ${r.snapshot} (rss ${(r.rss / 1048576).toFixed(1)} MB, heap used ${(r.heapUsed / 1048576).toFixed(1)} MB)`);
  };

  // -------------------------------------------------------------------------------------------
  // the flood

  await clearLine();
  const before = await stats("reset");
  if (heapsnap) await snapshot("idle");
  if (heapprof) await heapProfile("start");
  const bytesBefore = termBytes;
  const tFlood = performance.now();
  flooder.send({ cmd: "flood", to: me.jid, count: FLOOD, prefix: FLOOD_PREFIX, receipts: process.env.FLOOD_RECEIPTS === "1" });
  const sentP = fromFlooder((m) => m.sent !== undefined, 300_000);

  const during: number[] = [];
  let peakRss = before.rss;
  let atPeak = before; // the sample with the highest RSS
  let last = before;
  let floodDone = false;
  const deadline = tFlood + 180_000;
  // Sample the app in the background: a stats request waits while the app is blocked, and that
  // wait must not stop keys from being typed (and timed) meanwhile.
  let snappedFlood = !heapsnap;
  const poller = (async () => {
    while (!floodDone) {
      last = await stats();
      if (last.rss > peakRss) atPeak = last;
      peakRss = Math.max(peakRss, last.rss);
      if (!snappedFlood && last.flood.events >= FLOOD / 2) {
        snappedFlood = true;
        await snapshot("flood");
      }
      if (last.flood.events >= FLOOD || performance.now() > deadline) floodDone = true;
      else await sleep(100);
    }
  })();
  while (!floodDone) {
    // A generous timeout: a key held up for seconds is a figure to report, not a failure.
    const ms = await echoOnce(120_000);
    during.push(ms);
    if (TRACE) keyTrace.push(`KEY ${(performance.timeOrigin + lastKeyAt()).toFixed(1)} ${ms.toFixed(1)}`);
    await sleep(10);
  }
  await poller;
  const sent = await sentP;
  // Every message in: wait until the last one is on screen.
  const lastBody = `${FLOOD_PREFIX}${FLOOD - 1} `;
  let tLastVisible = Number.NaN;
  try {
    tLastVisible = (await waitScreen(() => screenHas(lastBody), 60_000, "the last flood message")) - tFlood;
  } catch (err) {
    log((err as Error).message);
  }
  const after = await stats();
  if (heapprof) await heapProfile("flood");
  peakRss = Math.max(peakRss, after.rss);
  const floodBytes = termBytes - bytesBefore;

  // -------------------------------------------------------------------------------------------
  // presence churn: the online contacts change show and status, CHURN_RATE times a second in all

  const duringChurn: number[] = [];
  let churned = 0;
  let churnBefore = after;
  let churnAfter = after;
  let churnBytes = 0;
  if (CHURN_RATE > 0 && CHURN_SECONDS > 0) {
    await clearLine();
    churnBefore = await stats("reset");
    const bytes0 = termBytes;
    let churnDone = false;
    flooder.send({ cmd: "churn", rate: CHURN_RATE, seconds: CHURN_SECONDS });
    const churnedP = fromFlooder((m) => m.churned !== undefined, CHURN_SECONDS * 1000 + 60_000).finally(() => (churnDone = true));
    while (!churnDone) {
      duringChurn.push(await echoOnce(120_000));
      await sleep(10);
    }
    churned = Number((await churnedP).churned);
    // Every change in: the core published them all (or 30 s passed).
    churnAfter = await stats();
    const until = performance.now() + 30_000;
    while (churnAfter.churn < churned && performance.now() < until) {
      await sleep(50);
      churnAfter = await stats();
    }
    churnBytes = termBytes - bytes0;
  }

  // -------------------------------------------------------------------------------------------
  // quit (Ctrl-C twice), then report

  keys("\x15");
  await waitScreen(() => inputEmpty(), 5000, "the cleared line").catch(() => undefined);
  keys("\x03");
  await waitScreen(() => screenHas("again to quit"), 5000, "the quit question").catch(() => undefined);
  keys("\x03");
  const exitCode = await Promise.race([appExit, sleep(10_000).then(() => "timeout" as const)]);
  if (TRACE) fs.appendFileSync(TRACE, `${keyTrace.join("\n")}\n`); // after the app's part (written at its exit)

  const pct = (xs: number[], p: number) => {
    const v = [...xs].sort((a, b) => a - b);
    return v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))] ?? Number.NaN;
  };
  const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : "timeout");
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
  const cpuS = (a: AppStats, b: AppStats) => (b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 1e6;
  const floodSpan = after.flood.first !== undefined && after.flood.last !== undefined ? after.flood.last - after.flood.first : Number.NaN;
  const missed = (xs: number[]) => xs.filter((x) => !Number.isFinite(x)).length;

  const rowsOut: [string, string, string, string][] = [
    [`start: process start to the ${PRELOAD}-message conversation drawn`, fmt(tConversation), "", ""],
    ["start: to the first key echoed (interactive)", fmt(tInteractive), "", `first key ${fmt(firstKeyEcho)}`],
    [`start: to online with ${s.roster.items} contacts loaded`, fmt(tRoster), "", ""],
    [`echo idle, median (n=${idle.length})`, fmt(pct(idle, 50)), "", ""],
    ["echo idle, p99", fmt(pct(idle, 99)), "< 16 ms", pct(idle, 99) < 16 ? "ok" : "MISSED"],
    [`echo during flood, median (n=${during.length})`, fmt(pct(during, 50)), "", missed(during) ? `${missed(during)} keys not echoed in 120 s` : ""],
    ["echo during flood, p99", fmt(pct(during, 99)), "< 30 ms", pct(during, 99) < 30 ? "ok" : "MISSED"],
    ["echo during flood, max", fmt(Math.max(...during)), "", ""],
    [`flood: ${FLOOD} messages received by the core`, `${after.flood.events}`, `${FLOOD}`, after.flood.events === FLOOD ? "ok" : "MISSING"],
    ["flood: of those, appended to the conversation (store)", `${after.flood.stored}`, `${FLOOD}`, after.flood.stored === FLOOD ? "ok" : "MISSING"],
    ["flood: last message on screen", Number.isFinite(tLastVisible) ? `after ${(tLastVisible / 1000).toFixed(2)} s` : "NO", "yes", Number.isFinite(tLastVisible) ? "ok" : "MISSING"],
    ["flood: conversation length in the store after", `${after.conversation.messages}`, "", `${PRELOAD} in the history database`],
    ["flood: first to last message in the core", `${(floodSpan / 1000).toFixed(2)} s`, "", `${(FLOOD / (floodSpan / 1000)).toFixed(0)} msg/s; peer sent in ${(Number(sent.ms) / 1000).toFixed(2)} s`],
    ["flood: CPU (user+sys) until the last one shows", `${cpuS(before, after).toFixed(2)} s`, "< 4 s", cpuS(before, after) < 4 ? "ok" : "MISSED"],
    ["RSS before the flood (preloaded, idle)", mb(before.rss), "", `heap used ${mb(before.heapUsed)} of ${mb(before.heapTotal)}, external ${mb(before.external)} (array buffers ${mb(before.arrayBuffers)})`],
    ["flood: peak RSS (sampled every 100 ms)", mb(peakRss), "< 200 MB", peakRss < 200 * 1048576 ? "ok" : "MISSED"],
    ["flood: the sample at peak RSS", mb(atPeak.rss), "", `heap used ${mb(atPeak.heapUsed)} of ${mb(atPeak.heapTotal)}, external ${mb(atPeak.external)} (array buffers ${mb(atPeak.arrayBuffers)})`],
    ["process peak RSS (whole run, getrusage)", mb(after.maxRss), "", ""],
    ["RSS after the flood", mb(after.rss), "", `heap used ${mb(after.heapUsed)} of ${mb(after.heapTotal)}, external ${mb(after.external)} (array buffers ${mb(after.arrayBuffers)})`],
    ["flood: bytes written to the terminal", mb(floodBytes), "", `${(floodBytes / FLOOD).toFixed(0)} B/msg; ${after.writes - before.writes} writes`],
    ["flood: event-loop delay p99 / max", `${after.loopDelay.p99.toFixed(1)} / ${after.loopDelay.max.toFixed(1)} ms`, "", ""],
    ["idle: CPU over the idle typing", `${cpuS(idleStart, idleEnd).toFixed(2)} s`, "", `event-loop delay max ${idleEnd.loopDelay.max.toFixed(1)} ms`],
    ...(churned > 0
      ? ([
          [`churn: ${CHURN_RATE} presence changes/s for ${CHURN_SECONDS} s, echo median (n=${duringChurn.length})`, fmt(pct(duringChurn, 50)), "", missed(duringChurn) ? `${missed(duringChurn)} keys not echoed in 120 s` : ""],
          ["churn: echo p99 / max", `${fmt(pct(duringChurn, 99))} / ${fmt(Math.max(...duringChurn))}`, "", ""],
          ["churn: changes that reached the core", `${churnAfter.churn - churnBefore.churn}`, `${churned}`, churnAfter.churn - churnBefore.churn >= churned ? "ok" : "MISSED"],
          ["churn: CPU (user+sys)", `${cpuS(churnBefore, churnAfter).toFixed(2)} s`, "", `${((cpuS(churnBefore, churnAfter) / CHURN_SECONDS) * 100).toFixed(0)}% of one core`],
          ["churn: bytes written to the terminal / event-loop delay p99, max", `${(churnBytes / 1024).toFixed(0)} KB`, "", `${churnAfter.loopDelay.p99.toFixed(1)} / ${churnAfter.loopDelay.max.toFixed(1)} ms`],
        ] as [string, string, string, string][])
      : []),
    ["quit", exitCode === "timeout" ? "no exit in 10 s" : `exit ${exitCode}`, "", ""],
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rowsOut.map((r) => r[i]!.length), ["measure", "value", "target", ""][i]!.length));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  process.stdout.write(
    [
      "",
      `jabterm interface benchmark: ${COLS}x${ROWS} pty + headless xterm.js, ${CONTACTS} contacts (${ONLINE} online), ${PRELOAD} preloaded messages, flood of ${FLOOD}${process.env.FLOOD_RECEIPTS === "1" ? " with receipts" : ""}; node ${process.version}, ${os.cpus().length} cores`,
      line(["measure", "value", "target", ""]),
      line(widths.map((w) => "-".repeat(w))),
      ...rowsOut.map(line),
      "",
    ].join("\n"),
  );
  // Where the resident memory is: V8's spaces, the rest anonymous (malloc: SQLite, Node, WASM...), files (code, libraries).
  const split = (label: string, x: AppStats) => {
    const heap = Object.values(x.heapPhysical).reduce((a, b) => a + b, 0);
    const spaces = Object.entries(x.heapPhysical).filter(([, v]) => v > 1048576).map(([k, v]) => `${k.replace(/_space$/, "")} ${mb(v)}`).join(", ");
    process.stdout.write(`${label}: rss ${mb(x.rss)} = V8 heap ${mb(heap)} (${spaces}) + other anonymous ${mb((x.rssKinds.RssAnon ?? 0) - heap)} + file ${mb(x.rssKinds.RssFile ?? 0)} + shmem ${mb(x.rssKinds.RssShmem ?? 0)}; heap used ${mb(x.heapUsed)}, external ${mb(x.external)}\n`);
  };
  split("memory before the flood", before);
  split("memory at the flood's peak sample", atPeak);
  split("memory after the flood", after);
  process.stdout.write(`garbage collections during the flood: ${after.gc.minor - before.gc.minor} minor, ${after.gc.major - before.gc.major} major, ${after.gc.incremental - before.gc.incremental} incremental marking steps, ${after.gc.ms - before.gc.ms} ms\n`);
  if (process.env.JSON === "1") process.stdout.write(`${JSON.stringify({ tConversation, tInteractive, tRoster, idle, during, before, after, floodBytes, tLastVisible, sent })}\n`);
  flooder.send({ cmd: "stop" });
} finally {
  await cleanup();
}
process.exit(0);
