/**
 * The command-line parser: `/name [subcommand...] [options] [args]` → ParsedCall, driven entirely
 * by the declarations.
 *
 * Rules (also what completion and the man page describe):
 * - A command line starts with "/". "//text" is NOT a command: the caller treats it as the literal
 *   text "/text" (see `classifyInput`). Command and subcommand names are case-insensitive.
 * - Words are separated by whitespace. Double quotes group words and allow `\"` and `\\` escapes
 *   (any other backslash is kept as is); single quotes group words with no escapes; quoting can be
 *   adjacent to other text (`a"b c"` is one word `ab c`). Outside quotes a backslash is literal.
 * - Options come before positional args. For a command whose last arg takes free text (rest or
 *   variadic), once the first positional is seen nothing more is parsed as an option (`/msg bob -a`
 *   sends "-a"); for other commands options may follow positionals too (`/account add a@b --name
 *   x`). `--` ends options explicitly (`/msg -- -weird@jid hi`).
 *   A quoted word is never an option. A word starting with "-" that is not option-shaped ("-", "-5")
 *   is positional. For a command without any options, dash words are positional too (but a leading
 *   `--` is still dropped).
 * - Options: `--name value`, `--name=value`, `-n value`, flags `--flag` / `-f` (no bundling, no
 *   `-nvalue`). Repeating an option is allowed only when it is `repeatable` (value: string[]).
 * - An arg with `rest: true` takes the raw remainder of the line, exactly as typed (quotes,
 *   backslashes, dashes, inner and trailing spacing), starting at its first non-whitespace char.
 * - Kinds checked here: `int` (decimal, optional sign), `enum` (case-sensitive), `jid` (RFC 7622).
 *   All other kinds are free text; the host resolves accounts, contacts, etc.
 * - Errors are `UsageError`s whose message is a one-line reason, a newline, and `usage: <synopsis>`
 *   (detail: `{ command, usage }`). Secret values are never echoed in messages.
 */
import { UsageError } from "../errors.js";
import { tryParseJid } from "../jid.js";
import { synopsis } from "./help.js";
import { closestMatch, findSubcommand, standardOptions, subcommandWords, type CommandRegistry } from "./registry.js";
import type { ArgDef, ArgKind, CommandDef, OptionDef, ParsedCall } from "./types.js";

/** The redaction mask that replaces secrets. */
export const REDACTED = "***";

/** How the caller should treat a line of input. "//x" is the literal text "/x". */
export type InputKind = { kind: "command" } | { kind: "text"; text: string };

export function classifyInput(line: string): InputKind {
  if (line.startsWith("//")) return { kind: "text", text: line.slice(1) };
  if (line.startsWith("/")) return { kind: "command" };
  return { kind: "text", text: line };
}

// ---------------------------------------------------------------------------------------------
// Tokenising (lazy, with spans, so a rest arg can take the raw remainder)

export interface Token {
  /** The word after quote/escape processing. */
  value: string;
  /** Span in the line: `line.slice(start, end)` is the word as typed. */
  start: number;
  end: number;
  /** The word contains quoting. */
  quoted: boolean;
  /** An unterminated quote ran to the end of the line (only in tolerant mode). */
  unterminated: boolean;
}

const WS = /\s/;

export function skipSpace(line: string, pos: number): number {
  while (pos < line.length && WS.test(line[pos]!)) pos++;
  return pos;
}

/**
 * Read one word starting at `pos` (which must not be whitespace). In strict mode an unterminated
 * quote throws `Unterminated`; in tolerant mode the word runs to the end of the line.
 */
export function readToken(line: string, pos: number, tolerant = false): Token {
  const start = pos;
  let value = "";
  let quoted = false;
  let i = pos;
  while (i < line.length && !WS.test(line[i]!)) {
    const c = line[i]!;
    if (c === '"' || c === "'") {
      quoted = true;
      i++;
      let closed = false;
      while (i < line.length) {
        const d = line[i]!;
        if (d === c) {
          closed = true;
          i++;
          break;
        }
        if (c === '"' && d === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) {
          value += line[i + 1];
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      if (!closed) {
        if (!tolerant) throw new Unterminated();
        return { value, start, end: line.length, quoted, unterminated: true };
      }
      continue;
    }
    value += c;
    i++;
  }
  return { value, start, end: i, quoted, unterminated: false };
}

class Unterminated extends Error {}

/** The shape of a word in option position. */
type OptionShape =
  | { type: "end" } // "--"
  | { type: "long"; name: string; inlineValue?: { value: string; start: number } }
  | { type: "short"; letter: string }
  | { type: "bad" } // e.g. "-all"
  | { type: "positional" };

function optionShape(line: string, tok: Token): OptionShape {
  if (line[tok.start] !== "-") return { type: "positional" };
  const raw = line.slice(tok.start, tok.end);
  if (raw === "--") return { type: "end" };
  if (raw.startsWith("--")) {
    const eq = raw.indexOf("=");
    if (eq < 0) return { type: "long", name: raw.slice(2) };
    // The value part keeps quote processing: `--name="a b"`. Its span starts after "=".
    const valueTok = readToken(line.slice(0, tok.end), tok.start + eq + 1, true);
    return { type: "long", name: raw.slice(2, eq), inlineValue: { value: valueTok.value, start: tok.start + eq + 1 } };
  }
  if (/^-[A-Za-z]$/.test(raw)) return { type: "short", letter: raw[1]! };
  if (/^-[A-Za-z]/.test(raw)) return { type: "bad" };
  return { type: "positional" };
}

// ---------------------------------------------------------------------------------------------
// Parsing

function usageError(reason: string, def: CommandDef<any>, path: readonly string[]): UsageError {
  const usage = synopsis(def, path);
  return new UsageError(`${reason}\nusage: ${usage}`, { command: path.join(" "), usage });
}

/** Whether `a` may be a secret at all (kind secret, or a `secretWhen`). */
function maybeSecret(a: ArgDef): boolean {
  return a.kind === "secret" || a.secretWhen !== undefined;
}

/** Validate a value against its kind; returns a reason, or undefined when fine. */
function checkKind(kind: ArgKind | "flag", values: readonly string[] | undefined, value: string): string | undefined {
  switch (kind) {
    case "int":
      return /^[+-]?\d+$/.test(value) ? undefined : "expected an integer";
    case "enum":
      return values?.includes(value) ? undefined : `expected one of ${(values ?? []).join(", ")}`;
    case "jid":
      return tryParseJid(value) ? undefined : "not a valid JID";
    default:
      return undefined;
  }
}

/**
 * Parse a command line. Throws `UsageError` for anything wrong (unknown command or option, missing
 * or surplus args, bad values, unterminated quotes); also for a line that is not a command at all
 * (no leading "/", or "//text" — use `classifyInput` first).
 */
export function parseCommandLine<Ctx>(
  registry: CommandRegistry<Ctx>,
  line: string,
): ParsedCall & { def: CommandDef<Ctx> } {
  const cls = classifyInput(line);
  if (cls.kind !== "command") throw new UsageError("not a command (commands start with a single /)");

  // Command name: everything after "/" up to whitespace.
  let pos = 1;
  while (pos < line.length && !WS.test(line[pos]!)) pos++;
  const name = line.slice(1, pos);
  if (!name) throw new UsageError("missing command name after / (try /help)");
  let def = registry.get(name);
  if (!def) {
    const hint = registry.suggest(name);
    throw new UsageError(`unknown command /${name}${hint ? `, did you mean /${hint}?` : ""} (try /help)`, { command: name });
  }
  const path = [def.name];

  // Subcommands.
  while (def.subcommands?.length) {
    const p = skipSpace(line, pos);
    // No subcommand word, or an option next (`/roster -a work`): the default subcommand, if any.
    if (p >= line.length || (line[p] === "-" && def.defaultSubcommand !== undefined)) {
      const dflt = def.defaultSubcommand !== undefined ? findSubcommand(def, def.defaultSubcommand) : undefined;
      if (!dflt) throw usageError("missing subcommand", def, path);
      def = dflt;
      path.push(dflt.name);
      break;
    }
    let tok: Token;
    try {
      tok = readToken(line, p);
    } catch {
      throw usageError("unterminated quote", def, path);
    }
    const sub: CommandDef<Ctx> | undefined = tok.quoted ? undefined : findSubcommand(def, tok.value);
    if (!sub) {
      const word = line.slice(tok.start, tok.end);
      const hint = closestMatch(word, subcommandWords(def));
      throw usageError(
        `unknown subcommand /${path.join(" ")} ${word}${hint ? `, did you mean /${path.join(" ")} ${hint}?` : ""}`,
        def,
        path,
      );
    }
    def = sub;
    path.push(sub.name);
    pos = tok.end;
  }
  const leaf = def;
  const fail = (reason: string) => usageError(reason, leaf, path);

  const opts = standardOptions(leaf);
  const argDefs = leaf.args ?? [];
  const args: Record<string, string | undefined> = {};
  const rest: string[] = [];
  const options: ParsedCall["options"] = {};
  for (const o of opts) {
    if (o.kind === "flag") options[o.name] = false;
    else if (o.repeatable) options[o.name] = [];
  }
  const given = new Set<string>();
  /** Spans to redact: [start, end). */
  const secretSpans: [number, number][] = [];
  /** Spans of args that are secret only when their secretWhen says so. */
  const conditionalSpans: { arg: ArgDef; span: [number, number] }[] = [];

  const setOption = (o: OptionDef, display: string, value: string | true, span?: [number, number]) => {
    if (given.has(o.name) && !o.repeatable) throw fail(`option ${display} given more than once`);
    given.add(o.name);
    if (value !== true) {
      const bad = checkKind(o.kind, o.values, value);
      if (bad) throw fail(`invalid value for ${display}: ${bad}${o.kind === "secret" ? "" : ` (got '${value}')`}`);
      if (o.kind === "secret" && span) secretSpans.push(span);
    }
    if (o.repeatable && value !== true) (options[o.name] as string[]).push(value);
    else options[o.name] = value;
  };

  let optionsAllowed = true;
  const freeTail = argDefs.some((x) => x.rest || x.variadic);
  let argIndex = 0;
  const readWord = (p: number): Token => {
    try {
      return readToken(line, p);
    } catch {
      throw fail("unterminated quote");
    }
  };

  for (;;) {
    pos = skipSpace(line, pos);
    if (pos >= line.length) break;

    if (optionsAllowed && line.startsWith("--", pos) && (pos + 2 === line.length || WS.test(line[pos + 2]!))) {
      optionsAllowed = false;
      pos += 2;
      continue;
    }
    if (optionsAllowed && opts.length > 0 && line[pos] === "-") {
      const tok = readWord(pos);
      const shape = optionShape(line, tok);
      if (shape.type !== "positional" && shape.type !== "end") {
        let o: OptionDef | undefined;
        let display: string;
        if (shape.type === "long") {
          display = `--${shape.name}`;
          o = opts.find((x) => x.name === shape.name);
        } else if (shape.type === "short") {
          display = `-${shape.letter}`;
          o = opts.find((x) => x.short === shape.letter);
        } else {
          display = line.slice(tok.start, tok.end);
        }
        if (!o) {
          const bare = display.replace(/^-+/, "");
          const hint = closestMatch(bare, opts.map((x) => x.name));
          throw fail(`unknown option ${display}${hint ? `, did you mean --${hint}?` : ""}`);
        }
        pos = tok.end;
        if (o.kind === "flag") {
          if (shape.type === "long" && shape.inlineValue) throw fail(`option ${display} takes no value`);
          setOption(o, display, true);
          continue;
        }
        if (shape.type === "long" && shape.inlineValue) {
          setOption(o, display, shape.inlineValue.value, [shape.inlineValue.start, tok.end]);
          continue;
        }
        const vp = skipSpace(line, pos);
        if (vp >= line.length) throw fail(`option ${display} needs a value`);
        const vtok = readWord(vp);
        setOption(o, display, vtok.value, [vtok.start, vtok.end]);
        pos = vtok.end;
        continue;
      }
      // Not an option: fall through to positional handling.
    }

    // Positional.
    const a = argDefs[argIndex];
    if (!a) throw fail("too many arguments");
    // Where the tail is free text (a rest or variadic arg), dash words after the first positional
    // are data (`/msg bob -a`). Otherwise options may also follow positionals
    // (`/account add alice@example.org --name work`).
    if (freeTail) optionsAllowed = false;
    if (a.rest) {
      args[a.name] = line.slice(pos);
      const span: [number, number] = [pos, line.length];
      if (a.kind === "secret") secretSpans.push(span);
      else if (a.secretWhen) conditionalSpans.push({ arg: a, span });
      argIndex++;
      pos = line.length;
      break;
    }
    const tok = readWord(pos);
    const span: [number, number] = [tok.start, tok.end];
    if (a.kind === "secret") secretSpans.push(span);
    else if (a.secretWhen) conditionalSpans.push({ arg: a, span });
    if (a.variadic) {
      rest.push(tok.value);
    } else {
      args[a.name] = tok.value;
      argIndex++;
    }
    pos = tok.end;
  }

  // Missing args.
  for (let i = argIndex; i < argDefs.length; i++) {
    const a = argDefs[i]!;
    if (a.variadic) {
      if (rest.length) args[a.name] = rest.join(" ");
      else if (!a.optional) throw fail(`missing argument <${a.name}>`);
      else args[a.name] = undefined;
    } else if (!a.optional) {
      throw fail(`missing argument <${a.name}>`);
    } else {
      args[a.name] = undefined;
    }
  }

  // Kind validation (secrets are never echoed).
  for (const a of argDefs) {
    const values = a.variadic ? rest : args[a.name] === undefined ? [] : [args[a.name]!];
    for (const v of values) {
      const bad = checkKind(a.kind, a.values, v);
      if (bad) throw fail(`invalid <${a.name}>: ${bad}${maybeSecret(a) ? "" : ` (got '${v}')`}`);
    }
  }

  for (const { arg, span } of conditionalSpans) {
    if (arg.secretWhen?.(args)) secretSpans.push(span);
  }

  return {
    def: leaf,
    path,
    args,
    rest,
    options,
    raw: line,
    redacted: applyRedaction(line, secretSpans),
  };
}

function applyRedaction(line: string, spans: readonly [number, number][]): string {
  if (!spans.length) return line;
  const sorted = [...spans].sort((x, y) => x[0] - y[0]);
  let out = "";
  let at = 0;
  for (const [s, e] of sorted) {
    if (s < at) continue; // overlapping (should not happen)
    out += line.slice(at, s) + REDACTED;
    at = e;
  }
  return out + line.slice(at);
}

// ---------------------------------------------------------------------------------------------
// Redaction that never throws

function defHasSecret(def: CommandDef<any>): boolean {
  return (
    (def.args ?? []).some(maybeSecret) ||
    standardOptions(def).some((o) => o.kind === "secret") ||
    (def.subcommands ?? []).some(defHasSecret)
  );
}

/**
 * The line with secrets replaced by `***`, for logs and history. Never throws. When the line
 * parses, this is `ParsedCall.redacted`. Otherwise, conservatively: for a known command whose
 * declaration has any possible secret position, everything from the earliest place a secret could
 * start to the end of the line becomes `***`; unknown commands and plain text come back as is.
 */
export function redactCommandLine(registry: CommandRegistry<any>, line: string): string {
  try {
    if (classifyInput(line).kind !== "command") return line;
    try {
      return parseCommandLine(registry, line).redacted;
    } catch {
      /* fall through to the conservative path */
    }
    return redactConservatively(registry, line);
  } catch {
    return line;
  }
}

function redactConservatively(registry: CommandRegistry<any>, line: string): string {
  let pos = 1;
  while (pos < line.length && !WS.test(line[pos]!)) pos++;
  let def = registry.get(line.slice(1, pos));
  if (!def || !defHasSecret(def)) return line;
  const mask = (from: number) => {
    const p = skipSpace(line, from);
    return p >= line.length ? line : line.slice(0, p) + REDACTED;
  };

  while (def.subcommands?.length) {
    const p = skipSpace(line, pos);
    if (p >= line.length) return line;
    const tok = readToken(line, p, true);
    const sub: CommandDef<any> | undefined = tok.quoted ? undefined : findSubcommand(def, tok.value);
    if (!sub) return mask(pos);
    def = sub;
    pos = tok.end;
  }
  if (!defHasSecret(def)) return line;
  const opts = standardOptions(def);
  if (opts.some((o) => o.kind === "secret")) return mask(pos);

  // The earliest positional index that could be secret.
  const argDefs = def.args ?? [];
  const k = argDefs.findIndex(maybeSecret);
  if (k < 0) return line;
  let index = 0;
  let optionsAllowed = true;
  for (;;) {
    pos = skipSpace(line, pos);
    if (pos >= line.length) return line;
    if (index >= k) return mask(pos);
    const tok = readToken(line, pos, true);
    if (tok.unterminated) return mask(pos); // the open quote swallows the rest: it may hold the secret
    if (optionsAllowed && opts.length > 0 && line[pos] === "-") {
      const shape = optionShape(line, tok);
      if (shape.type === "end") {
        optionsAllowed = false;
        pos = tok.end;
        continue;
      }
      if (shape.type !== "positional") {
        // Known valued options consume their value; unknown ones are assumed to be flags (the
        // assumption that makes the secret position come earliest).
        const o =
          shape.type === "long"
            ? opts.find((x) => x.name === shape.name)
            : shape.type === "short"
              ? opts.find((x) => x.short === shape.letter)
              : undefined;
        pos = tok.end;
        if (o && o.kind !== "flag" && !(shape.type === "long" && shape.inlineValue)) {
          const vp = skipSpace(line, pos);
          if (vp < line.length) pos = readToken(line, vp, true).end;
        }
        continue;
      }
    }
    optionsAllowed = false;
    index++;
    pos = tok.end;
  }
}
