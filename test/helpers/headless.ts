/**
 * Drive the real binary in headless mode: write slash commands to its stdin, read its NDJSON.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { LineReader } from "./wait-for.js";

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/jabterm.js");

export type JsonEvent = { event: string; ts: string; [k: string]: any };

export interface Headless {
  proc: ChildProcess;
  dir: string;
  configDir: string;
  dataDir: string;
  logFile: string;
  events: LineReader;
  stderr: () => string;
  /** Every event parsed so far. */
  all(): JsonEvent[];
  /** Raw stdout so far. */
  stdout(): string;
  /** Send a line; resolves with its `command` event. */
  command(line: string, timeout?: number): Promise<JsonEvent>;
  /** The next (unconsumed) event matching. */
  next(pred: (e: JsonEvent) => boolean, timeout?: number): Promise<JsonEvent>;
  /** Close stdin; resolves with the exit code. */
  end(timeout?: number): Promise<number>;
  exited: Promise<number>;
  kill(): void;
}

export function tempDirs(prefix = "jabterm-cli-") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // runtimeDir: XDG_RUNTIME_DIR for the binary, so its control socket lives in the test's own dir.
  return { dir, configDir: path.join(dir, "config"), dataDir: path.join(dir, "data"), logFile: path.join(dir, "state", "jabterm.log"), runtimeDir: path.join(dir, "run") };
}

export function startHeadless(opts: { args?: string[]; env?: NodeJS.ProcessEnv; dirs?: ReturnType<typeof tempDirs> } = {}): Headless {
  const dirs = opts.dirs ?? tempDirs();
  const proc = spawn(
    process.execPath,
    [BIN, "--headless", "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "--log-file", dirs.logFile, "--log-level", "debug", ...(opts.args ?? [])],
    { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, XDG_RUNTIME_DIR: dirs.runtimeDir, ...opts.env } },
  );
  const events = new LineReader(proc.stdout!);
  let err = "";
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (d: string) => (err += d));
  const exited = new Promise<number>((resolve) => proc.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  let lines = 0;
  const parse = (l: string): JsonEvent => JSON.parse(l) as JsonEvent;
  const h: Headless = {
    proc,
    ...dirs,
    events,
    stderr: () => err,
    all: () => events.lines.filter((l) => l.startsWith("{")).map(parse),
    stdout: () => events.lines.join("\n"),
    async command(line, timeout = 20_000) {
      const seq = ++lines;
      proc.stdin!.write(`${line}\n`);
      return parse(await events.next((l) => l.includes('"event":"command"') && parse(l).seq === seq && parse(l).source === "stdin", timeout));
    },
    async next(pred, timeout = 20_000) {
      return parse(
        await events.next((l) => {
          try {
            return pred(parse(l));
          } catch {
            return false;
          }
        }, timeout),
      );
    },
    async end(timeout = 30_000) {
      proc.stdin!.end();
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<number>((_, rej) => (timer = setTimeout(() => rej(new Error(`jabterm did not exit; stderr: ${err}`)), timeout)))]);
      clearTimeout(timer);
      return code;
    },
    exited,
    kill: () => proc.kill("SIGKILL"),
  };
  return h;
}

/** Run the binary to completion with the given stdin; returns code, stdout, stderr. */
export function runBinary(args: string[], input = "", env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    proc.once("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    proc.stdin.end(input);
  });
}
