/**
 * The room benchmark: jabterm's interface (bench/muc-app.ts) in a pseudo-terminal (util-linux
 * `script`) showing a room of OCCUPANTS occupants (default 500) while RATE messages a second
 * (default 50) arrive for DURATION seconds (default 60); what it writes goes to a headless xterm.js,
 * the screen this bench reads. Figures: keystroke-to-echo latency idle and during the flood
 * (the key's write to the pty until the output chunk after which the key shows), CPU seconds of
 * the app during the flood, event-loop delay, messages fed and shown.
 *
 * The room's stanzas are fed to the engine's stanza event inside the app (see muc-app.ts): no
 * server and no XML parsing are measured, only the MUC feature, the store and the interface.
 *
 *   npm run bench:muc                 # OCCUPANTS=500 RATE=50 DURATION=60 (seconds) COLS=120 ROWS=40 PROFILE=<dir>
 */
import { type ChildProcess, spawn } from "node:child_process";
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
import { controlClient, echoProbe } from "./tui-shared.js";

const { Terminal } = headless;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
};
const OCCUPANTS = Math.max(2, num("OCCUPANTS", 500));
const RATE = num("RATE", 50);
const SECONDS = num("DURATION", 60);
const COLS = num("COLS", 120);
const ROWS = num("ROWS", 40);
const ROOM = "bench@conference.bench.example";
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)); // pacing only, never to synchronise

if (!fs.existsSync(path.join(root, "dist/cli/interactive.js"))) {
  process.stderr.write("bench: build first: npm run build\n");
  process.exit(1);
}

interface Stats {
  cpu: { user: number; system: number };
  rss: number;
  loopDelay: { p50: number; p99: number; max: number };
  fed: number;
  stored: number;
  occupants: number;
  messages: number;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-bench-muc-"));
let app: ChildProcess | undefined;
try {
  const configDir = path.join(work, "config");
  const dataDir = path.join(work, "data");
  const config = ConfigStore.open(resolvePaths({ configDir, dataDir, env: {} }));
  config.addAccount("me@bench.example", { name: "me" });
  config.setAccountKey("me", "enabled", "false");

  const source = fs.readFileSync(path.join(root, "bench/muc-app.ts"), "utf8");
  const appFile = path.join(work, "muc-app.mjs");
  fs.writeFileSync(appFile, ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
  const control = path.join(work, "control.sock");
  const appConfig = { dist: path.join(root, "dist"), configDir, dataDir, logFile: path.join(work, "jabterm.log"), control, room: ROOM, occupants: OCCUPANTS };

  const term = new Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true, scrollback: 0 });
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color", JABTERM_BENCH: JSON.stringify(appConfig) };
  for (const k of Object.keys(env)) if (k === "CI" || k === "CONTINUOUS_INTEGRATION" || k.startsWith("CI_")) delete env[k];
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const t0 = performance.now();
  // PROFILE=<dir>: a V8 CPU profile of the app (open it in Chrome DevTools).
  const profile = process.env.PROFILE ? `--cpu-prof --cpu-prof-dir=${quote(path.resolve(process.env.PROFILE))} ` : "";
  app = spawn("script", ["-qfec", `stty cols ${COLS} rows ${ROWS} && exec ${quote(process.execPath)} ${NODE_START_FLAGS.map((f) => `${quote(f)} `).join("")}${profile}${quote(appFile)}`, "/dev/null"], { stdio: ["pipe", "pipe", "inherit"], env });
  const appExit = new Promise<number>((resolve) => app!.once("exit", (c) => resolve(c ?? -1)));

  let termBytes = 0;
  const waiters = new Set<{ pred: () => boolean; resolve: (t: number) => void }>();
  app.stdout!.on("data", (chunk: Buffer) => {
    const arrived = performance.now();
    termBytes += chunk.length;
    term.write(chunk, () => {
      for (const w of [...waiters]) if (w.pred()) (waiters.delete(w), w.resolve(arrived));
    });
  });
  const row = (y: number) => term.buffer.active.getLine(y)?.translateToString(true) ?? "";
  const screen = () => Array.from({ length: ROWS }, (_, y) => row(y)).join("\n");
  const screenHas = (s: string) => Array.from({ length: ROWS }, (_, y) => y).some((y) => row(y).includes(s));
  const waitScreen = (pred: () => boolean, timeout = 30_000, what = "screen condition") =>
    new Promise<number>((resolve, reject) => {
      if (pred()) return resolve(performance.now());
      const w = { pred, resolve: (t: number) => (clearTimeout(timer), resolve(t)) };
      const timer = setTimeout(() => (waiters.delete(w), reject(new Error(`timed out waiting for ${what}; screen:\n${screen()}`))), timeout);
      waiters.add(w);
    });
  const inputHas = (s: string) => [ROWS - 1, ROWS - 2, ROWS - 3].some((y) => row(y).includes(s));
  const inputEmpty = () => [ROWS - 1, ROWS - 2, ROWS - 3].some((y) => /^\s*›\s*$/.test(row(y)));
  const keys = (s: string) => app!.stdin!.write(s);

  const ask = controlClient<Stats>(control);

  const tRoom = (await waitScreen(() => screenHas(`${OCCUPANTS} here`), 60_000, "the room's occupant pane")) - t0;
  await waitScreen(() => inputEmpty(), 30_000, "the prompt");
  log(`room of ${OCCUPANTS} drawn after ${tRoom.toFixed(0)} ms`);

  /** One key: ms from its write to the chunk that shows it, or Infinity on timeout. */
  const { echo: echoOnce, clear: clearLine } = echoProbe({ keys, waitScreen, inputHas, inputEmpty });

  const idle: number[] = [];
  for (let i = 0; i < 100; i++) {
    idle.push(await echoOnce());
    await sleep(15 + (i % 7));
  }

  await clearLine();
  const before = await ask("reset");
  const tFlood = performance.now();
  await ask(`flood ${RATE} ${SECONDS}`);
  const during: number[] = [];
  let peakRss = before.rss;
  while (performance.now() - tFlood < SECONDS * 1000) {
    during.push(await echoOnce(30_000));
    await sleep(30 + (during.length % 11));
  }
  let after = await ask("stats");
  while (after.fed < RATE * SECONDS && performance.now() - tFlood < SECONDS * 1000 + 30_000) {
    await sleep(100);
    after = await ask("stats");
  }
  peakRss = Math.max(peakRss, after.rss);
  const floodBytes = termBytes;
  keys("\x15");
  await waitScreen(() => inputEmpty(), 5000, "the cleared line").catch(() => undefined);
  keys("\x03");
  await waitScreen(() => screenHas("again to quit"), 5000, "the quit question").catch(() => undefined);
  keys("\x03");
  await Promise.race([appExit, sleep(10_000)]);

  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;
  const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : "timeout");
  const cpu = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1e6;
  const rows: [string, string][] = [
    [`room of ${OCCUPANTS} occupants drawn after start`, fmt(tRoom)],
    [`echo idle, median / p99 (n=${idle.length})`, `${fmt(pct(idle, 50))} / ${fmt(pct(idle, 99))}`],
    [`echo during ${RATE} msg/s for ${SECONDS} s, median / p99 / max (n=${during.length})`, `${fmt(pct(during, 50))} / ${fmt(pct(during, 99))} / ${fmt(Math.max(...during))}`],
    [`CPU during the flood (user+system)`, `${cpu.toFixed(2)} s of ${SECONDS} s (${((cpu / SECONDS) * 100).toFixed(0)}% of one core)`],
    ["event-loop delay during the flood, p99 / max", `${after.loopDelay.p99.toFixed(1)} / ${after.loopDelay.max.toFixed(1)} ms`],
    ["messages fed / published / kept in the room", `${after.fed} / ${after.stored} / ${after.messages} (the store keeps 1000)`],
    ["peak RSS", `${(peakRss / 1048576).toFixed(0)} MB`],
    ["bytes written to the terminal (whole run)", `${(floodBytes / 1048576).toFixed(1)} MB`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`jabterm room benchmark: ${COLS}x${ROWS} pty + headless xterm.js, node ${process.version}, ${os.cpus().length} cores\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
} finally {
  app?.kill("SIGKILL");
  fs.rmSync(work, { recursive: true, force: true });
}
