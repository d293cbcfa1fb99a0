/**
 * Drive a program in a real terminal: tmux runs it, send-keys types, capture-pane reads what a
 * person would see. Each session has its own tmux server socket, so tests never share state.
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

import { waitFor } from "./wait-for.js";

export function tmuxAvailable(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("tmux", args, { maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

export interface Terminal {
  /** What the screen shows now (plain text, one string per row). */
  screen(): Promise<string>;
  /** Type keys (tmux key names like "Enter", "C-c", "M-1", or literal text with `literal`). */
  keys(...keys: string[]): Promise<void>;
  type(text: string): Promise<void>;
  /** Wait until the screen matches. */
  waitFor(match: string | RegExp | ((screen: string) => boolean), timeout?: number): Promise<string>;
  resize(columns: number, rows: number): Promise<void>;
  kill(): Promise<void>;
}

export async function startTerminal(command: string[], opts: { columns?: number; rows?: number; env?: Record<string, string> } = {}): Promise<Terminal> {
  const socket = `jabterm-test-${randomBytes(6).toString("hex")}`;
  const base = ["-L", socket];
  const env = Object.entries({ TERM: "xterm-256color", ...opts.env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  await run([...base, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", String(opts.columns ?? 100), "-y", String(opts.rows ?? 30), ...env, ...command]);
  // Keep the pane (and what is on it) after the program exits.
  await run([...base, "set-option", "-t", "t", "remain-on-exit", "on"]);
  const term: Terminal = {
    screen: () => run([...base, "capture-pane", "-t", "t", "-p"]),
    async keys(...keys) {
      await run([...base, "send-keys", "-t", "t", ...keys]);
    },
    async type(text) {
      await run([...base, "send-keys", "-t", "t", "-l", text]);
    },
    async waitFor(match, timeout = 15_000) {
      const test = typeof match === "function" ? match : (s: string) => (typeof match === "string" ? s.includes(match) : match.test(s));
      let last = "";
      try {
        return await waitFor(
          async () => {
            last = await term.screen();
            return test(last) ? last : undefined;
          },
          { timeout, interval: 25, message: `screen matching ${String(match)}` },
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- screen ---\n${last}`);
      }
    },
    async resize(columns, rows) {
      await run([...base, "resize-window", "-t", "t", "-x", String(columns), "-y", String(rows)]);
    },
    async kill() {
      await run([...base, "kill-server"]).catch(() => {});
    },
  };
  return term;
}
