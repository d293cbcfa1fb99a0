/**
 * Run one line of input against the registry: parse, run, and report — the same for every host.
 * Errors never escape: they come back as `{ok: false, error}` with the input redacted.
 */
import { errorInfo, JabtermError } from "../errors.js";
import type { CommandContext } from "./context.js";
import { classifyInput, parseCommandLine, redactCommandLine } from "./parse.js";
import type { CommandResult } from "./types.js";

export interface Execution {
  /** The input with every secret replaced by ***. */
  input: string;
  ok: boolean;
  result?: CommandResult;
  output: string[];
  data?: unknown;
  error?: ReturnType<typeof errorInfo>;
}

/**
 * Parse and run one command line, throwing on any error (aliases and /source call this). A line
 * that is not a command is a usage error.
 */
export async function runCommandLine(ctx: CommandContext, line: string): Promise<{ redacted: string; result: CommandResult }> {
  if (classifyInput(line).kind === "text") throw new JabtermError("usage", ctx.host === "tui" ? "not in a conversation" : "not a command (commands start with /; see /help)");
  const call = parseCommandLine(ctx.registry, line);
  const result = call.def.run ? await call.def.run(ctx, call) : ({ type: "none" } as const);
  return { redacted: call.redacted, result };
}

/** The lines for people and the data for machines of a result. */
export function resultOutput(result: CommandResult): { output: string[]; data?: unknown } {
  const output = result.type === "output" ? result.lines : result.type === "open" ? (result.lines ?? []) : [];
  const data = result.type === "output" ? result.data : result.type === "open" ? { account: result.account, jid: result.jid } : undefined;
  return { output, data };
}

export async function executeLine(ctx: CommandContext, line: string): Promise<Execution> {
  const input = redactCommandLine(ctx.registry, line);
  const kind = classifyInput(line);
  if (kind.kind === "text") {
    const error = errorInfo(new JabtermError("usage", ctx.host === "tui" ? "not in a conversation" : "not a command (commands start with /; see /help)"));
    return { input, ok: false, output: [], error };
  }
  try {
    const { redacted, result } = await runCommandLine(ctx, line);
    return { input: redacted, ok: true, result, ...resultOutput(result) };
  } catch (err) {
    return { input, ok: false, output: [], error: errorInfo(err) };
  }
}
