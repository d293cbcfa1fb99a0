/**
 * The interface under benchmark, started by bench/tui.ts inside a pseudo-terminal. It builds the
 * client the way src/cli/main.ts does (config, logger, createClient; the conversation's `preload`
 * messages are already in the history database), then runs the same interactive host as
 * `jabterm` (src/cli/interactive.tsx), opening that conversation with `--exec`-style "/chat". Bench-only instrumentation, none of it in src/:
 * - process.stdout.write is counted (calls and bytes: what Ink writes);
 * - a control socket answers "stats" (CPU, memory, event-loop delay, store and flood counts) and
 *   "reset" (restarts the event-loop delay histogram), "heapsnapshot <file>" (writes a V8 heap
 *   snapshot there; bench/tui.ts sends it when HEAPSNAP is set) and, with `heapProfile` set,
 *   "heapprofile <file>" (writes V8's sampling heap profile since the start or the last one there,
 *   and starts another; bench/tui.ts sends it when HEAPPROFILE is set).
 *
 * bench/tui.ts transpiles this file alone and runs it with plain node (no loader, so start-up is
 * the real binary's): it imports nothing at run time but node built-ins and, by path, the built
 * code in dist/.
 */
import fs from "node:fs";
import { Session } from "node:inspector";
import { createHook } from "node:async_hooks";
import net from "node:net";
import path from "node:path";
import { constants as perfConstants, monitorEventLoopDelay, performance, PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";

import type { AppConfig, AppStats } from "./tui-shared.js";

const cfg = JSON.parse(process.env.JABTERM_BENCH ?? "null") as AppConfig | null;
if (!cfg) {
  process.stderr.write("tui-app: run me through npm run bench (JABTERM_BENCH is not set)\n");
  process.exit(2);
}
// The sampling heap profiler, from the start. It keeps the samples of objects still alive and of
// those a full collection freed (garbage that was promoted to the old space, plus whatever young
// garbage a full collection happened to sweep), and drops those a scavenge freed: short-lived
// garbage never costs old-space memory.
const inspector = cfg.heapProfile ? new Session() : undefined;
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) => inspector!.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
const startSampling = () => post("HeapProfiler.startSampling", { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
if (inspector) {
  inspector.connect();
  await startSampling();
}
const load = <T>(rel: string): Promise<T> => import(pathToFileURL(path.join(cfg.dist, rel)).href) as Promise<T>;

// TRACE=<file>: a timeline of the app for bench/trace-report.ts, kept in memory and written to the
// file at exit (bench/tui.ts adds its keystrokes after that). One line each, times in Unix ms:
//   CB <start> <ms> <main thread on a CPU, ms> <runnable but waiting for a CPU, ms> <kind>
//      every event-loop callback over 0.5 ms (kind: TLSWRAP a socket read, TTYWRAP or TickObject
//      the terminal, Timeout, Immediate ...; the CPU figures are the kernel's, where it has them)
//   GC <start> <ms> <kind>     IN <t>: the terminal was read     OUT <t>: the terminal was written
const TRACE = process.env.TRACE;
const trace: string[] = [];
const unixMs = (t = performance.now()) => (performance.timeOrigin + t).toFixed(1);

// Count what the interface writes to the terminal, from its first byte on.
let writes = 0;
let bytes = 0;
const rawWrite = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  writes++;
  if (TRACE) trace.push(`OUT ${unixMs()}`);
  bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
  return rawWrite(chunk, ...rest);
}) as typeof process.stdout.write;

// As bin/jabterm.js does: React's production build unless asked otherwise (before React loads),
// and the garbage collector's settings (src/cli/runtime.ts).
process.env.NODE_ENV ??= "production";
(await load<typeof import("../src/cli/runtime.js")>("cli/runtime.js")).tuneRuntime();
const [{ runInteractive }, { createClient }, { ConfigStore }, { resolvePaths, ensurePrivateDir }, { createLogger }] = await Promise.all([
  load<typeof import("../src/cli/interactive.js")>("cli/interactive.js"),
  load<typeof import("../src/core/client.js")>("core/client.js"),
  load<typeof import("../src/core/config/config.js")>("core/config/config.js"),
  load<typeof import("../src/core/config/paths.js")>("core/config/paths.js"),
  load<typeof import("../src/core/logger.js")>("core/logger.js"),
]);

const paths = resolvePaths({ configDir: cfg.configDir, dataDir: cfg.dataDir });
const config = ConfigStore.open(paths);
ensurePrivateDir(paths.dataDir);
const logger = createLogger({ file: cfg.logFile, level: "info" });
// As src/cli/main.ts builds it for the interface.
const client = createClient({ config, logger, dataDir: paths.dataDir, storeNotify: "frame" });

// The preloaded conversation is in the history database (bench/tui.ts wrote it before this
// process started): the interface shows its last page from there, as it does for a real user.

// -- flood accounting ---------------------------------------------------------------------------

const seenEvent = new Uint8Array(cfg.floodCount);
const seenStored = new Uint8Array(cfg.floodCount);
const flood: AppStats["flood"] = { events: 0, stored: 0 };
const floodIndex = (text: unknown): number => {
  if (typeof text !== "string" || !text.startsWith(cfg.floodPrefix)) return -1;
  const n = Number.parseInt(text.slice(cfg.floodPrefix.length), 10);
  return Number.isInteger(n) && n >= 0 && n < cfg.floodCount ? n : -1;
};
let churn = 0;
client.on("event", (e) => {
  if (e.event === "presence" && typeof e.status === "string" && e.status.startsWith("churn ")) churn++;
  if (e.event !== "message" || e.direction !== "in") return;
  const n = floodIndex(e.body);
  if (n < 0 || seenEvent[n]) return;
  seenEvent[n] = 1;
  flood.events++;
  const now = performance.timeOrigin + performance.now();
  flood.first ??= now;
  flood.last = now;
});
// Every dispatch that appends a flood message to the conversation is counted as it happens (the
// store keeps the last 1,000 messages and tells subscribers at most 30 times a second: a
// subscriber would miss the ones that came and went between two notifications).
const store = client.store;
const dispatch = store.dispatch.bind(store);
store.dispatch = (action) => {
  const conv = action.type === "conversations/message" && action.peer === cfg.peer ? store.getState().accounts[cfg.account]?.conversations[cfg.peer] : undefined;
  dispatch(action);
  if (action.type !== "conversations/message" || action.peer !== cfg.peer) return;
  if (store.getState().accounts[cfg.account]?.conversations[cfg.peer] === conv) return; // a duplicate: not appended
  const n = floodIndex(action.message.body);
  if (n < 0 || seenStored[n]) return;
  seenStored[n] = 1;
  flood.stored++;
};

// -- control socket -----------------------------------------------------------------------------

// Garbage collections: how many of each kind and how long they took.
const gc = { minor: 0, major: 0, incremental: 0, weak: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    gc.ms += e.duration;
    if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) gc.minor++;
    else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
    else if (kind === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL) gc.incremental++;
    else gc.weak++;
    if (TRACE) trace.push(`GC ${unixMs(e.startTime)} ${e.duration.toFixed(1)} ${kind}`);
  }
}).observe({ entryTypes: ["gc"] });

if (TRACE) {
  process.on("exit", () => fs.appendFileSync(TRACE, trace.join("\n") + "\n"));
  /** The main thread's time on a CPU and waiting for one (ns), from the kernel. */
  const sched = (): [number, number] => {
    try {
      const [run, wait] = fs.readFileSync("/proc/thread-self/schedstat", "utf8").split(" ");
      return [Number(run), Number(wait)];
    } catch {
      return [Number.NaN, Number.NaN];
    }
  };
  const kinds = new Map<number, string>();
  const started = new Map<number, [number, [number, number]]>();
  const stdinId = (process.stdin as unknown as { _handle?: { getAsyncId?(): number } })._handle?.getAsyncId?.();
  createHook({
    init(id, type) {
      kinds.set(id, type);
    },
    before(id) {
      if (id === stdinId) trace.push(`IN ${unixMs()}`);
      started.set(id, [performance.now(), sched()]);
    },
    after(id) {
      const start = started.get(id);
      if (start === undefined) return;
      started.delete(id);
      const [t0, s0] = start;
      const ms = performance.now() - t0;
      if (ms < 0.5) return;
      const s1 = sched();
      trace.push(`CB ${unixMs(t0)} ${ms.toFixed(1)} ${((s1[0] - s0[0]) / 1e6).toFixed(1)} ${((s1[1] - s0[1]) / 1e6).toFixed(1)} ${kinds.get(id) ?? "?"}`);
    },
    destroy(id) {
      kinds.delete(id);
    },
  }).enable();
}

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
/** RssAnon, RssFile and RssShmem from /proc/self/status (bytes), where there is one. */
function rssKinds(): Record<string, number> {
  try {
    const out: Record<string, number> = {};
    for (const m of fs.readFileSync("/proc/self/status", "utf8").matchAll(/^(Rss\w+):\s+(\d+) kB/gm)) out[m[1]!] = Number(m[2]) * 1024;
    return out;
  } catch {
    return {};
  }
}
function stats(): AppStats {
  const slice = client.store.getState().accounts[cfg!.account];
  const conv = slice?.conversations[cfg!.peer];
  const ns = (x: number) => Math.round(x / 1e4) / 100;
  return {
    pid: process.pid,
    cpu: process.cpuUsage(),
    maxRss: process.resourceUsage().maxRSS * 1024,
    rss: process.memoryUsage.rss(),
    ...(({ heapUsed, heapTotal, external, arrayBuffers }) => ({ heapUsed, heapTotal, external, arrayBuffers }))(process.memoryUsage()),
    heapPhysical: Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.physical_space_size])),
    rssKinds: rssKinds(),
    gc: { ...gc, ms: Math.round(gc.ms) },
    writes,
    bytes,
    loopDelay: { p50: ns(loop.percentile(50)), p99: ns(loop.percentile(99)), max: ns(loop.max) },
    online: client.engine.find(cfg!.account)?.online ?? false,
    roster: { items: Object.keys(slice?.roster.items ?? {}).length, loaded: slice?.roster.loaded ?? false },
    conversation: { messages: conv?.messages.length ?? 0, last: conv?.messages.at(-1)?.body },
    flood: { ...flood },
    churn,
  };
}
const control = net.createServer((socket) => {
  let buf = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => {
    buf += d;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const cmd = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (cmd === "reset") loop.reset();
      if (cmd.startsWith("heapprofile ") && inspector) {
        const file = cmd.slice("heapprofile ".length);
        void post("HeapProfiler.stopSampling")
          .then((res) => fs.writeFileSync(file, JSON.stringify((res as { profile: unknown }).profile)))
          .then(startSampling)
          .then(
            () => socket.write(`${JSON.stringify({ ...stats(), snapshot: file })}\n`),
            (err: Error) => socket.write(`${JSON.stringify({ ...stats(), error: err.message })}\n`),
          );
        continue;
      }
      if (cmd.startsWith("heapsnapshot ")) {
        const file = v8.writeHeapSnapshot(cmd.slice("heapsnapshot ".length));
        socket.write(`${JSON.stringify({ ...stats(), snapshot: file })}\n`);
        continue;
      }
      socket.write(`${JSON.stringify(cmd === "stats" || cmd === "reset" ? stats() : { error: `unknown command ${cmd}` })}\n`);
    }
  });
  socket.on("error", () => undefined);
});
control.listen(cfg.control);
control.unref();

const code = await runInteractive({ client, version: "bench", exec: [`/chat -a ${cfg.account} ${cfg.peer}`], dataDir: paths.dataDir });
logger.close();
control.close();
process.exit(code);
