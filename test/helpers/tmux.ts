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
  /** Expand a tmux format for the pane (display-message -p), e.g. "#{pane_title}", "#{alternate_on}". */
  format(fmt: string): Promise<string>;
  /** The paste buffers tmux holds (list-buffers output; empty when none). OSC 52 writes land here with set-clipboard on. */
  buffers(): Promise<string>;
  /** The screen with its attributes (capture-pane -e), parsed into cells. */
  styledScreen(): Promise<StyledRow[]>;
  /** Run any tmux command against this terminal's server (the target is not added). */
  tmux(...args: string[]): Promise<string>;
}

export interface StyledCell {
  ch: string;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
}

export interface StyledRow {
  /** The row as plain text (what capture-pane -p gives). */
  text: string;
  cells: StyledCell[];
}

export interface TerminalOptions {
  columns?: number;
  rows?: number;
  env?: Record<string, string>;
  /** set-clipboard on: a program's OSC 52 clipboard write becomes a tmux paste buffer (see buffers()). */
  clipboard?: boolean;
  /** Append every byte the program writes to the terminal to this file (pipe-pane -O), from its start. */
  outputLog?: string;
}

/**
 * Parses capture-pane -e output (SGR sequences only; tmux carries attributes across lines) into
 * cells with the attributes a person would see.
 */
export function parseStyledCapture(captured: string): StyledRow[] {
  const attrs = { bold: false, dim: false, italic: false, underline: false, inverse: false };
  const rows: StyledRow[] = [];
  for (const line of captured.replace(/\n$/, "").split("\n")) {
    const cells: StyledCell[] = [];
    let text = "";
    for (let i = 0; i < line.length; ) {
      if (line[i] === "\x1b") {
        const m = /^\x1b\[([0-9;:]*)([A-Za-z])/.exec(line.slice(i, i + 64));
        if (!m) {
          i++;
          continue;
        }
        i += m[0].length;
        if (m[2] !== "m") continue;
        const params = m[1] === "" ? [0] : m[1]!.split(/[;:]/).map((p) => Number(p || 0));
        for (let k = 0; k < params.length; k++) {
          const p = params[k]!;
          if (p === 0) Object.assign(attrs, { bold: false, dim: false, italic: false, underline: false, inverse: false });
          else if (p === 1) attrs.bold = true;
          else if (p === 2) attrs.dim = true;
          else if (p === 3) attrs.italic = true;
          else if (p === 4) attrs.underline = true;
          else if (p === 7) attrs.inverse = true;
          else if (p === 22) attrs.bold = attrs.dim = false;
          else if (p === 23) attrs.italic = false;
          else if (p === 24) attrs.underline = false;
          else if (p === 27) attrs.inverse = false;
          else if (p === 38 || p === 48 || p === 58) k += params[k + 1] === 5 ? 2 : params[k + 1] === 2 ? 4 : 0;
        }
        continue;
      }
      const ch = String.fromCodePoint(line.codePointAt(i)!);
      i += ch.length;
      text += ch;
      cells.push({ ch, ...attrs });
    }
    rows.push({ text, cells });
  }
  return rows;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

export async function startTerminal(command: string[], opts: TerminalOptions = {}): Promise<Terminal> {
  const socket = `jabterm-test-${randomBytes(6).toString("hex")}`;
  const base = ["-L", socket];
  const env = Object.entries({ TERM: "xterm-256color", ...opts.env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  // Options that must hold before the program writes its first byte go in the same tmux command
  // list as new-session: the server runs them before it reads anything from the new pane.
  const extra: string[] = [];
  if (opts.clipboard) extra.push(";", "set-option", "-s", "set-clipboard", "on");
  if (opts.outputLog) extra.push(";", "pipe-pane", "-O", "-t", "t", `cat >> ${shellQuote(opts.outputLog)}`);
  await run([...base, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", String(opts.columns ?? 100), "-y", String(opts.rows ?? 30), ...env, ...command, ...extra]);
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
    async format(fmt) {
      return (await run([...base, "display-message", "-p", "-t", "t", fmt])).replace(/\n$/, "");
    },
    async buffers() {
      return run([...base, "list-buffers"]);
    },
    async styledScreen() {
      return parseStyledCapture(await run([...base, "capture-pane", "-t", "t", "-p", "-e"]));
    },
    tmux: (...args) => run([...base, ...args]),
  };
  return term;
}
