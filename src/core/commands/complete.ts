/**
 * Tab completion driven by the declarations: command names and aliases, subcommands, option names,
 * option and argument values by kind. There is no per-command completion code.
 */
import { findSetting } from "../config/schema.js";
import { classifyInput, readToken, skipSpace, type Token } from "./parse.js";
import { findSubcommand, standardOptions, subcommandWords, type CommandRegistry } from "./registry.js";
import type { ArgDef, ArgKind, CommandDef, OptionDef } from "./types.js";

/** Where completion candidates come from; the host provides them. */
export interface CompletionSources {
  accounts(): string[];
  /** Contacts (bare JIDs) of one account, or of all accounts when undefined. */
  contacts(account?: string): string[];
  /** Joined/bookmarked rooms of one account, or of all accounts when undefined. */
  rooms(account?: string): string[];
  /** Nicks in the current room. */
  nicks?(): string[];
  settings(): string[];
  accountKeys(): string[];
  /** Paths starting with `prefix`. */
  files?(prefix: string): string[];
}

export interface Completion {
  /** Replace `line.slice(from, to)` with one of the candidates. */
  from: number;
  to: number;
  /** Sorted, de-duplicated, already filtered by the typed prefix (and quoted where needed). */
  candidates: string[];
}

const WS = /\s/;

/** Kinds whose completion matches the typed prefix case-insensitively. */
const CASE_INSENSITIVE = new Set<ArgKind | "command">(["account", "jid", "contact", "room", "nick", "command"]);

function wordEnd(line: string, pos: number): number {
  while (pos < line.length && !WS.test(line[pos]!)) pos++;
  return pos;
}

function finish(from: number, to: number, list: readonly string[], prefix: string, caseInsensitive: boolean, quote = false): Completion {
  const p = caseInsensitive ? prefix.toLowerCase() : prefix;
  const matched = list.filter((c) => (caseInsensitive ? c.toLowerCase() : c).startsWith(p));
  const candidates = [...new Set(quote ? matched.map(quoteWord) : matched)].sort();
  return { from, to, candidates };
}

/** Quote a word for a non-rest position when it would not survive tokenising as is. */
export function quoteWord(w: string): string {
  if (w !== "" && !/[\s"'\\]/.test(w) && !w.startsWith("-")) return w;
  return `"${w.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * Completion at `cursor` in `line`. Command names complete without the "/" (from = 1).
 * Secret and free-text positions (text, word, int, secret, any arg with `secretWhen`) never
 * complete. Lines that are not commands give no candidates.
 */
export function completeCommandLine<Ctx>(
  registry: CommandRegistry<Ctx>,
  line: string,
  cursor: number,
  sources: CompletionSources,
): Completion {
  cursor = Math.max(0, Math.min(cursor, line.length));
  const nothing: Completion = { from: cursor, to: cursor, candidates: [] };
  try {
    return complete(registry, line, cursor, sources) ?? nothing;
  } catch {
    return nothing; // a throwing source must not break the input line
  }
}

function complete<Ctx>(
  registry: CommandRegistry<Ctx>,
  line: string,
  cursor: number,
  sources: CompletionSources,
): Completion | undefined {
  if (cursor === 0 || classifyInput(line).kind !== "command") return undefined;

  // The command name itself.
  const nameEnd = wordEnd(line, 1);
  if (cursor <= nameEnd) return finish(1, nameEnd, registry.words(), line.slice(1, cursor), true);
  let def: CommandDef<Ctx> | undefined = registry.get(line.slice(1, nameEnd));
  if (!def) return undefined;

  /** The word under the cursor: its span and its (unquoted) text up to the cursor. */
  const current = (start: number): { from: number; to: number; prefix: string; tok?: Token } => {
    if (start > cursor || start >= line.length) return { from: cursor, to: cursor, prefix: "" };
    const tok = readToken(line, start, true);
    return { from: start, to: tok.end, prefix: readToken(line.slice(0, cursor), start, true).value, tok };
  };

  // Subcommands.
  let pos = nameEnd;
  while (def.subcommands?.length) {
    const p = skipSpace(line, pos);
    const tok = p < line.length ? readToken(line, p, true) : undefined;
    if (!tok || p > cursor || tok.end >= cursor) {
      const cur = current(p);
      return finish(cur.from, cur.to, subcommandWords(def), cur.prefix, true);
    }
    const sub: CommandDef<Ctx> | undefined = tok.quoted ? undefined : findSubcommand(def, tok.value);
    if (!sub) return undefined;
    def = sub;
    pos = tok.end;
  }
  const leaf: CommandDef<Ctx> = def;

  const opts = standardOptions(leaf);
  const argDefs = leaf.args ?? [];
  const args: Record<string, string | undefined> = {};
  const given = new Map<string, string | true>();
  let optionsAllowed = true;
  let pending: OptionDef | undefined;
  let argIndex = 0;

  const account = (): string | undefined => {
    const a = given.get("account");
    if (typeof a === "string") return a;
    const acctArg = argDefs.find((x) => x.kind === "account" && args[x.name] !== undefined);
    return acctArg ? args[acctArg.name] : undefined;
  };
  const values = (kind: ArgKind | "flag", enumValues: readonly string[] | undefined, prefix: string): string[] => {
    switch (kind) {
      case "account":
        return sources.accounts();
      case "contact":
        return sources.contacts(account());
      case "room":
        return sources.rooms(account());
      case "jid":
        return [...sources.contacts(account()), ...sources.rooms(account())];
      case "nick":
        return sources.nicks?.() ?? [];
      case "setting":
        return sources.settings();
      case "account-key":
        return sources.accountKeys();
      case "setting-value": {
        // The values of the setting named by the preceding `setting` argument.
        const keyArg = argDefs.find((x) => x.kind === "setting" && args[x.name] !== undefined);
        const def = keyArg ? findSetting(args[keyArg.name]!) : undefined;
        if (def?.type === "boolean") return ["true", "false"];
        if (def?.type === "enum") return [...(def.values ?? [])];
        return [];
      }
      case "enum":
        return [...(enumValues ?? [])];
      case "file":
        return sources.files?.(prefix) ?? [];
      case "command":
        return registry.words();
      default:
        return []; // secret, text, word, int, flag
    }
  };
  const completeValue = (kind: ArgKind | "flag", enumValues: readonly string[] | undefined, from: number, to: number, prefix: string) =>
    finish(from, to, values(kind, enumValues, prefix), prefix, CASE_INSENSITIVE.has(kind as ArgKind), true);

  /** Option-shaped like the parser sees it; a lone "-" under the cursor also asks for option names. */
  const isOptionWord = (p: number, tok: Token, atCursor: boolean) => {
    if (!optionsAllowed || opts.length === 0 || line[p] !== "-" || tok.quoted) return false;
    const word = line.slice(p, tok.end);
    return word === "-" ? atCursor : !/^-[^-A-Za-z]/.test(word);
  };
  const findOption = (word: string): { o?: OptionDef; inline?: number } => {
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      return { o: opts.find((x) => x.name === name), inline: eq < 0 ? undefined : eq + 1 };
    }
    return { o: word.length === 2 ? opts.find((x) => x.short === word[1]) : undefined };
  };

  for (;;) {
    const p = skipSpace(line, pos);
    const atCursor = p > cursor || p >= line.length || readToken(line, p, true).end >= cursor;

    if (pending) {
      if (atCursor) {
        const cur = current(p);
        return completeValue(pending.kind, pending.values, cur.from, cur.to, cur.prefix);
      }
      const tok = readToken(line, p, true);
      given.set(pending.name, tok.value);
      pending = undefined;
      pos = tok.end;
      continue;
    }

    const tok = p < line.length && p <= cursor ? readToken(line, p, true) : undefined;
    if (tok && optionsAllowed && line.slice(p, tok.end) === "--" && tok.end < cursor) {
      optionsAllowed = false;
      pos = tok.end;
      continue;
    }
    if (tok && isOptionWord(p, tok, atCursor)) {
      const word = line.slice(p, tok.end);
      const { o, inline } = findOption(word);
      if (atCursor) {
        if (o && inline !== undefined) {
          const from = p + inline;
          return completeValue(o.kind, o.values, from, tok.end, readToken(line.slice(0, cursor), from, true).value);
        }
        const names = opts
          .filter((x) => x.repeatable || !given.has(x.name))
          .flatMap((x) => [`--${x.name}`, ...(x.short ? [`-${x.short}`] : [])]);
        return finish(p, tok.end, names, line.slice(p, cursor), false);
      }
      pos = tok.end;
      if (o && o.kind !== "flag" && inline === undefined) pending = o;
      else if (o) given.set(o.name, inline === undefined ? true : word.slice(inline));
      continue;
    }

    // Positional.
    const a: ArgDef | undefined = argDefs[argIndex];
    if (!a) return undefined;
    if (a.rest) {
      const start = atCursor && p > cursor ? cursor : p;
      return completeRest(registry, a, line, start, cursor, values);
    }
    if (atCursor) {
      if (a.secretWhen) return undefined;
      const cur = current(p);
      return completeValue(a.kind, a.values, cur.from, cur.to, cur.prefix);
    }
    optionsAllowed = false;
    if (!a.variadic) {
      args[a.name] = tok?.value;
      argIndex++;
    }
    pos = tok ? tok.end : line.length;
  }
}

/** A rest arg: its value is the raw remainder, so candidates are never quoted. */
function completeRest(
  registry: CommandRegistry<any>,
  a: ArgDef,
  line: string,
  start: number,
  cursor: number,
  values: (kind: ArgKind | "flag", enumValues: readonly string[] | undefined, prefix: string) => string[],
): Completion | undefined {
  if (a.secretWhen) return undefined;
  const typed = line.slice(start, cursor);
  if (a.kind === "command") {
    // "/help account se" completes subcommands of the command path typed so far.
    const words = typed.split(/\s+/);
    const last = words[words.length - 1] ?? "";
    const from = cursor - last.length;
    const to = wordEnd(line, cursor);
    if (words.length === 1) return finish(from, to, registry.words(), last, true);
    const r = registry.resolve(words.slice(0, -1));
    if (!r || r.consumed !== words.length - 1 || !r.def.subcommands?.length) return undefined;
    return finish(from, to, subcommandWords(r.def), last, true);
  }
  return finish(start, line.length, values(a.kind, a.values, typed), typed, CASE_INSENSITIVE.has(a.kind));
}
