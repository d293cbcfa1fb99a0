/**
 * Files of commands (/source, per-account startup scripts): one command per line, blank lines and
 * lines starting with # skipped, run in order; the first failing line stops the file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import type { CommandContext } from "../commands/context.js";
import { runCommandLine, resultOutput } from "../commands/execute.js";
import { JabtermError, toJabtermError, UsageError } from "../errors.js";
import type { CommandResult } from "../commands/types.js";
import { nested } from "./aliases.js";

export const MAX_SCRIPT_BYTES = 1024 * 1024;

export interface ScriptRun {
  file: string;
  /** Commands run (including the one that failed). */
  ran: number;
  lines: string[];
  results: { line: number; input: string; output: string[]; data?: unknown }[];
  /** A /quit in the file: the caller decides. */
  quit?: CommandResult;
}

export function expandHome(file: string): string {
  if (file === "~") return os.homedir();
  if (file.startsWith("~/")) return path.join(os.homedir(), file.slice(2));
  return path.resolve(file);
}

export function readScript(file: string): string[] {
  const abs = expandHome(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (err) {
    throw new UsageError(`cannot read ${abs}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`, { file: abs });
  }
  if (!st.isFile()) throw new UsageError(`${abs} is not a file`, { file: abs });
  if (st.size > MAX_SCRIPT_BYTES) throw new UsageError(`${abs} is larger than ${MAX_SCRIPT_BYTES} bytes`, { file: abs });
  return fs.readFileSync(abs, "utf8").split(/\r?\n/);
}

/**
 * Run a file of commands. Throws the failing command's error, its message prefixed with
 * `file:line:` (the detail carries `file`, `line`, `ran`).
 */
export async function runScript(ctx: CommandContext, file: string): Promise<ScriptRun> {
  const abs = expandHome(file);
  const inner = nested(ctx, `source ${abs}`);
  const lines = readScript(abs);
  const run: ScriptRun = { file: abs, ran: 0, lines: [], results: [] };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    run.ran++;
    try {
      const { redacted, result } = await runCommandLine(inner, line);
      const { output, data } = resultOutput(result);
      run.results.push({ line: i + 1, input: redacted, output, data });
      run.lines.push(`» ${redacted}`, ...output);
      if (result.type === "quit") {
        run.quit = result;
        break;
      }
    } catch (err) {
      const e = toJabtermError(err);
      throw new JabtermError(e.code, `${abs}:${i + 1}: ${e.message}`, { ...e.detail, file: abs, line: i + 1, ran: run.ran });
    }
  }
  return run;
}

/**
 * Paths that complete `prefix` (for `/source <Tab>`): entries of its directory starting with its
 * last part, directories with a trailing "/", hidden ones only when asked for with a leading dot;
 * `~/` stays as typed. At most 200.
 */
export function completeFiles(prefix: string): string[] {
  const slash = prefix.lastIndexOf("/");
  const dirPart = slash >= 0 ? prefix.slice(0, slash + 1) : "";
  const base = slash >= 0 ? prefix.slice(slash + 1) : prefix;
  const dir = dirPart === "" ? "." : dirPart.startsWith("~/") || dirPart === "~/" ? path.join(os.homedir(), dirPart.slice(2)) : dirPart;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.name.startsWith(base) && (base.startsWith(".") || !e.name.startsWith(".")))
    .slice(0, 200)
    .map((e) => `${dirPart}${e.name}${e.isDirectory() ? "/" : ""}`);
}
