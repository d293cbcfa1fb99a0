/**
 * Run a program without a shell: an argv array to execFile, a timeout, bounded output, optional
 * standard input. Nothing here ever goes through /bin/sh.
 */
import { execFile } from "node:child_process";

export interface ProgramResult {
  /** Exit status (null when killed by a signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The program could not be started (ENOENT, EACCES ...). */
  spawnError?: string;
}

export interface ProgramOptions {
  input?: string;
  timeout: number;
  /** Bytes of stdout/stderr kept (default 1 MiB); the program is killed beyond. */
  maxBuffer?: number;
  env?: NodeJS.ProcessEnv;
}

export function runProgram(argv: readonly string[], opts: ProgramOptions): Promise<ProgramResult> {
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    if (!file) return resolve({ code: null, signal: null, stdout: "", stderr: "", timedOut: false, spawnError: "no program given" });
    const child = execFile(
      file,
      args,
      { shell: false, timeout: opts.timeout, killSignal: "SIGKILL", maxBuffer: opts.maxBuffer ?? 1024 * 1024, encoding: "utf8", windowsHide: true, env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals | null; code?: number | string }) | null;
        if (e && typeof e.code === "string" && e.code !== "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") {
          return resolve({ code: null, signal: null, stdout: String(stdout ?? ""), stderr: String(stderr ?? ""), timedOut: false, spawnError: `${file}: ${e.code === "ENOENT" ? "no such program" : e.message}` });
        }
        const timedOut = Boolean(e?.killed) && e?.signal === "SIGKILL" && e.code !== "ERR_CHILD_PROCESS_STDIO_MAXBUFFER";
        resolve({ code: child.exitCode, signal: child.signalCode, stdout: String(stdout ?? ""), stderr: String(stderr ?? ""), timedOut });
      },
    );
    child.stdin?.on("error", () => {}); // a program that does not read its input
    child.stdin?.end(opts.input ?? "");
  });
}

/** A one-line description of how a program ended badly, or undefined when it exited 0. */
export function failureText(r: ProgramResult, timeout: number): string | undefined {
  if (r.spawnError) return r.spawnError;
  if (r.timedOut) return `killed after ${timeout} ms (timeout)`;
  if (r.signal) return `killed by ${r.signal}`;
  if (r.code !== 0) return `exit status ${r.code}`;
  return undefined;
}
