/**
 * What bench/tui.ts, the app under test (bench/tui-app.ts) and the flooder (bench/tui-flood.ts)
 * share: their configuration, the control protocol, and the roster written into Prosody's storage.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/** Handed to bench/tui-app.ts in the JABTERM_BENCH environment variable (JSON). */
export interface AppConfig {
  /** The built code (dist/) the app imports: the same modules the real binary runs. */
  dist: string;
  configDir: string;
  dataDir: string;
  logFile: string;
  /** Account name and bare JID of the user. */
  account: string;
  jid: string;
  /** The peer whose conversation is preloaded (and who floods). */
  peer: string;
  /** Messages preloaded into that conversation. */
  preload: number;
  /** Unix socket the app answers stats requests on. */
  control: string;
  /** Flood bodies start with this prefix and their index. */
  floodPrefix: string;
  floodCount: number;
  /** Run V8's sampling heap profiler from the start (the "heapprofile <file>" command). */
  heapProfile?: boolean;
}

/** The app's answer to "stats" on its control socket. */
export interface AppStats {
  pid: number;
  /** process.cpuUsage() (microseconds). */
  cpu: { user: number; system: number };
  /** Peak resident set size of the process so far (bytes). */
  maxRss: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** Memory of C++ objects bound to JS (Buffers, ...); arrayBuffers is the part in ArrayBuffers. */
  external: number;
  arrayBuffers: number;
  /** Resident size of each V8 heap space (v8.getHeapSpaceStatistics().physical_space_size). */
  heapPhysical: Record<string, number>;
  /** RssAnon, RssFile, RssShmem from /proc/self/status (Linux only). */
  rssKinds: Record<string, number>;
  /** Garbage collections so far, by kind, and their total duration (ms). */
  gc: { minor: number; major: number; incremental: number; weak: number; ms: number };
  /** Only in the answer to "heapsnapshot <file>": the file written. */
  snapshot?: string;
  /** Calls of process.stdout.write and bytes passed to it (what Ink writes). */
  writes: number;
  bytes: number;
  /** Event loop delay since the last "reset" (ms). */
  loopDelay: { p50: number; p99: number; max: number };
  online: boolean;
  roster: { items: number; loaded: boolean };
  conversation: { messages: number; last?: string };
  flood: {
    /** Distinct flood messages published as `message` events (parsed and accepted by the core). */
    events: number;
    /** Distinct flood messages appended to the conversation in the store (counted at each dispatch). */
    stored: number;
    /** performance.timeOrigin + now of the first and last flood message event (ms since epoch). */
    first?: number;
    last?: number;
  };
  /** Presence changes of the churn phase (status "churn <n>") published as `presence` events. */
  churn: number;
}

/** A Lua string literal. */
export function lua(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

export interface StoredRosterItem {
  jid: string;
  name?: string;
  groups?: string[];
  subscription: "none" | "to" | "from" | "both";
}

/**
 * Writes a user's roster straight into Prosody's internal storage (data/<host>/roster/<user>.dat),
 * for a user who is not logged in. (Adding 5,000 items through the server takes minutes: Prosody's
 * internal storage rewrites the whole roster file on every change, so it grows quadratically.)
 */
export function writeRoster(dataDir: string, host: string, user: string, items: readonly StoredRosterItem[]): void {
  const enc = (s: string) => s.replace(/[^a-zA-Z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  const dir = path.join(dataDir, enc(host), "roster");
  fs.mkdirSync(dir, { recursive: true });
  const lines = ["return {", '\t[false] = { ["version"] = 1; ["pending"] = {}; };'];
  for (const it of items) {
    const groups = (it.groups ?? []).map((g) => `[${lua(g)}] = true;`).join(" ");
    lines.push(`\t[${lua(it.jid)}] = { ["groups"] = { ${groups} }; ${it.name ? `["name"] = ${lua(it.name)}; ` : ""}["subscription"] = ${lua(it.subscription)}; };`);
  }
  lines.push("};", "");
  fs.writeFileSync(path.join(dir, `${enc(user)}.dat`), lines.join("\n"));
}

/**
 * The benches' side of an app's control socket: a command line out, one JSON line back, in order.
 * Connects on first use, retrying for 30 s while the app starts.
 */
export function controlClient<T>(file: string): (cmd: string) => Promise<T> {
  let ctl: net.Socket | undefined;
  const replies: ((s: T) => void)[] = [];
  return async (cmd) => {
    if (!ctl) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          ctl = await new Promise<net.Socket>((resolve, reject) => {
            const s = net.connect(file, () => resolve(s));
            s.once("error", reject);
          });
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 20)); // the app is still starting: try again
        }
      }
      let buf = "";
      ctl.setEncoding("utf8");
      ctl.on("data", (d: string) => {
        buf += d;
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          replies.shift()?.(JSON.parse(line) as T);
        }
      });
    }
    return new Promise((resolve) => {
      replies.push(resolve);
      ctl!.write(`${cmd}\n`);
    });
  };
}

/** What the benches' keystroke probe needs from the emulated terminal. */
export interface EchoDeps {
  keys(s: string): void;
  /** Resolves with the time (performance.now) the condition held, or rejects after `timeout`. */
  waitScreen(pred: () => boolean, timeout: number, what: string): Promise<number>;
  inputHas(s: string): boolean;
  inputEmpty(): boolean;
}

/**
 * Keystroke-to-echo: `echo()` types one letter and resolves with ms from the write to the chunk
 * that shows it on the input line (Infinity on timeout); the line is cleared every 30 letters, or
 * by `clear()` between phases.
 */
export function echoProbe(d: EchoDeps): { echo(timeout?: number): Promise<number>; clear(): Promise<void>; lastKeyAt(): number } {
  const LETTERS = "abcdefghijklmnopqrstuvwxyz";
  let typed = "";
  let keyAt = Number.NaN;
  const clear = async () => {
    d.keys("\x15");
    typed = "";
    await d.waitScreen(() => d.inputEmpty(), 10_000, "the cleared line");
  };
  const echo = async (timeout = 5000) => {
    if (typed.length >= 30) await clear();
    const ch = LETTERS[(typed.length * 7 + 3) % LETTERS.length]!;
    typed += ch;
    const want = `› ${typed}`;
    const t = performance.now();
    keyAt = t;
    const shown = d.waitScreen(() => d.inputHas(want), timeout, `echo of ${JSON.stringify(want)}`);
    d.keys(ch);
    try {
      return (await shown) - t;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  };
  /** When the last key was written (performance.now()). */
  return { echo, clear, lastKeyAt: () => keyAt };
}
