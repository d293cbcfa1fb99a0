/**
 * User command aliases (/alias add): a name that expands to a command line. Placeholders: $1..$9
 * are the words given (quotes removed), $2- is everything from the second word on exactly as typed
 * (any digit), $@ is everything given exactly as typed, $$ is a "$".
 * Without any placeholder, what is given is appended. Aliases are commands of the registry at run
 * time (they complete and show in /help); an alias that reaches itself again stops with an error.
 */
import type { JabtermClient } from "../client.js";
import type { CommandContext } from "../commands/context.js";
import { runCommandLine } from "../commands/execute.js";
import { readToken, skipSpace } from "../commands/parse.js";
import type { CommandDef } from "../commands/types.js";
import { UsageError } from "../errors.js";

/** How deep aliases and sourced files may nest. */
export const MAX_NESTING = 16;

/** Split what was given to an alias into words (quotes group and are removed), with where each starts. */
export function aliasWords(raw: string): { value: string; start: number }[] {
  const words: { value: string; start: number }[] = [];
  let pos = skipSpace(raw, 0);
  while (pos < raw.length) {
    const tok = readToken(raw, pos, true);
    if (tok.unterminated) throw new UsageError("unterminated quote in the alias arguments");
    words.push({ value: tok.value, start: tok.start });
    pos = skipSpace(raw, tok.end);
  }
  return words;
}

/** The command line an alias call stands for. */
export function expandAlias(name: string, expansion: string, rawArgs: string): string {
  const rest = rawArgs.trim();
  let words: { value: string; start: number }[] | undefined; // split only when a word is asked for
  let placeholders = false;
  const line = expansion.replace(/\$([$@]|[1-9]-?)/g, (_m, g: string) => {
    if (g === "$") return "$";
    placeholders = true;
    if (g === "@") return rest;
    const i = Number(g[0]);
    words ??= aliasWords(rest);
    if (i > words.length) throw new UsageError(`/${name} needs at least ${i} argument${i === 1 ? "" : "s"} (it stands for ${expansion})`);
    return g.endsWith("-") ? rest.slice(words[i - 1]!.start) : words[i - 1]!.value;
  });
  return !placeholders && rest ? `${line} ${rest}` : line;
}

/** Enter a nesting level (an alias or a sourced file) or fail on a loop. */
export function nested(ctx: CommandContext, key: string): CommandContext {
  const stack = ctx.stack ?? [];
  if (stack.includes(key)) throw new UsageError(`loop: ${[...stack, key].join(" → ")}`);
  if (stack.length >= MAX_NESTING) throw new UsageError(`aliases and sourced files nest deeper than ${MAX_NESTING}: ${[...stack, key].join(" → ")}`);
  return { ...ctx, stack: [...stack, key] };
}

export function aliasCommand(name: string, expansion: string): CommandDef<CommandContext> {
  return {
    name,
    group: "Aliases",
    summary: `alias for ${expansion}`,
    help: `Your alias (see /alias): runs ${expansion}, with $1..$9 replaced by the words given, $2- by the words from the second on, $@ by everything given; without placeholders the words given are appended.`,
    args: [{ name: "arguments", kind: "text", rest: true, optional: true, description: "what the placeholders stand for" }],
    async run(ctx, call) {
      const inner = nested(ctx, `/${name}`);
      const { result } = await runCommandLine(inner, expandAlias(name, expansion, call.args.arguments ?? ""));
      return result;
    },
  };
}

/** The aliases in the client's config, as commands. */
export function aliasCommands(client: JabtermClient): CommandDef<CommandContext>[] {
  return Object.entries(client.config.aliases()).map(([name, exp]) => aliasCommand(name, exp));
}
