/**
 * The command registry: validates the declarations once at start-up and answers look-ups
 * (by name or alias, walking subcommands) for the parser, completion and help.
 */
import { JabtermError } from "../errors.js";
import type { CommandDef, OptionDef } from "./types.js";

/** The standard option added by `accountScoped`. */
export const ACCOUNT_OPTION: OptionDef = {
  name: "account",
  short: "a",
  kind: "account",
  description: "the account to use (default: the current account)",
};

/** The standard option added by `conversationScoped`. */
export const TO_OPTION: OptionDef = {
  name: "to",
  kind: "jid",
  description: "the conversation to act on (default: the current conversation)",
};

/** The effective options of a command: standard ones first (-a/--account, --to), then declared ones. */
export function standardOptions(def: CommandDef<any>): OptionDef[] {
  const out: OptionDef[] = [];
  if (def.accountScoped) out.push(ACCOUNT_OPTION);
  if (def.conversationScoped) out.push(TO_OPTION);
  out.push(...(def.options ?? []));
  return out;
}

/** Find a subcommand of `def` by name or alias (case-insensitive). */
export function findSubcommand<Ctx>(def: CommandDef<Ctx>, word: string): CommandDef<Ctx> | undefined {
  const w = word.toLowerCase();
  return def.subcommands?.find(
    (s) => s.name.toLowerCase() === w || (s.aliases ?? []).some((a) => a.toLowerCase() === w),
  );
}

/** Names and aliases of the visible subcommands of `def`. */
export function subcommandWords(def: CommandDef<any>): string[] {
  return (def.subcommands ?? []).filter((s) => !s.hidden).flatMap((s) => [s.name, ...(s.aliases ?? [])]);
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push(new Array<number>(b.length + 1).fill(0));
    d[i]![0] = i;
  }
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The closest candidate within edit distance 2 (and closer than the word's own length, so one
 * letter does not "match" everything); ties go to the alphabetically first.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of [...candidates].sort()) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= 2 && bestD < w.length ? best : undefined;
}

export interface Resolved<Ctx> {
  /** The deepest command reached. */
  def: CommandDef<Ctx>;
  /** Canonical names of the commands walked, e.g. ["account", "set"]. */
  path: string[];
  /** How many of the words were used. */
  consumed: number;
}

const NAME_RE = /^[A-Za-z0-9?][A-Za-z0-9_.?-]*$/;

function declError(where: string, message: string): JabtermError {
  return new JabtermError("internal", `invalid command declaration ${where}: ${message}`);
}

export class CommandRegistry<Ctx = unknown> {
  readonly #defs: readonly CommandDef<Ctx>[];
  readonly #byWord = new Map<string, CommandDef<Ctx>>();
  /** Commands that come and go at run time (user aliases); never shadow a declared command. */
  #extra: () => readonly CommandDef<Ctx>[] = () => [];

  constructor(defs: readonly CommandDef<Ctx>[]) {
    this.#defs = [...defs];
    for (const def of defs) {
      validateDef(def, [def.name]);
      for (const w of [def.name, ...(def.aliases ?? [])]) {
        const key = w.toLowerCase();
        const other = this.#byWord.get(key);
        if (other) {
          const what = other.name.toLowerCase() === key ? "the name" : "an alias";
          throw declError(`/${def.name}`, `"${w}" is already ${what} of /${other.name}`);
        }
        this.#byWord.set(key, def);
      }
    }
  }

  /** Supply run-time commands (user aliases), read at every look-up. */
  setExtra(fn: () => readonly CommandDef<Ctx>[]): void {
    this.#extra = fn;
  }

  #extras(): CommandDef<Ctx>[] {
    try {
      return this.#extra().filter((d) => !this.#byWord.has(d.name.toLowerCase()));
    } catch {
      return []; // a broken source (config file) must not break the declared commands
    }
  }

  /** Whether a word is a declared command name or alias (not a run-time one). */
  isDeclared(word: string): boolean {
    return this.#byWord.has(word.toLowerCase());
  }

  /** A top-level command by name or alias (case-insensitive; a leading "/" is ignored). */
  get(nameOrAlias: string): CommandDef<Ctx> | undefined {
    const w = (nameOrAlias.startsWith("/") ? nameOrAlias.slice(1) : nameOrAlias).toLowerCase();
    return this.#byWord.get(w) ?? this.#extras().find((d) => d.name.toLowerCase() === w);
  }

  /**
   * Walk `words` (command name first, no "/") down the subcommand tree as far as they match.
   * Does NOT apply `defaultSubcommand` (so `["account"]` resolves to the parent, as help needs).
   * Undefined when the first word is not a command.
   */
  resolve(words: readonly string[]): Resolved<Ctx> | undefined {
    const first = words[0];
    if (first === undefined) return undefined;
    let def = this.get(first);
    if (!def) return undefined;
    const path = [def.name];
    let consumed = 1;
    while (def.subcommands && consumed < words.length) {
      const sub: CommandDef<Ctx> | undefined = findSubcommand(def, words[consumed]!);
      if (!sub) break;
      def = sub;
      path.push(sub.name);
      consumed++;
    }
    return { def, path, consumed };
  }

  /** Visible top-level commands, sorted by group then name. */
  list(): CommandDef<Ctx>[] {
    return sortDefs([...this.#defs, ...this.#extras()].filter((d) => !d.hidden));
  }

  /** All top-level commands including hidden ones, sorted by group then name. */
  all(): CommandDef<Ctx>[] {
    return sortDefs([...this.#defs, ...this.#extras()]);
  }

  /** Only the declared commands (what the man page and shell completion describe). */
  declared(): CommandDef<Ctx>[] {
    return sortDefs(this.#defs.filter((d) => !d.hidden));
  }

  /** Names and aliases of the visible top-level commands. */
  words(): string[] {
    return this.list().flatMap((d) => [d.name, ...(d.aliases ?? [])]);
  }

  /** The closest visible command name or alias to a mistyped one (edit distance ≤ 2). */
  suggest(word: string): string | undefined {
    return closestMatch(word, this.words());
  }
}

function sortDefs<T extends CommandDef<any>>(defs: readonly T[]): T[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...defs].sort((a, b) => cmp(a.group, b.group) || cmp(a.name, b.name));
}

function validateDef(def: CommandDef<any>, path: string[]): void {
  const where = `/${path.join(" ")}`;
  for (const w of [def.name, ...(def.aliases ?? [])]) {
    if (!NAME_RE.test(w)) throw declError(where, `bad command name or alias "${w}"`);
  }

  // Arguments.
  const args = def.args ?? [];
  const argNames = new Set<string>();
  let sawOptional = false;
  args.forEach((a, i) => {
    if (!a.name) throw declError(where, "an argument has no name");
    if (argNames.has(a.name)) throw declError(where, `duplicate argument <${a.name}>`);
    argNames.add(a.name);
    const last = i === args.length - 1;
    if (a.rest && a.variadic) throw declError(where, `argument <${a.name}> cannot be both rest and variadic`);
    if ((a.rest || a.variadic) && !last) {
      throw declError(where, `argument <${a.name}> is ${a.rest ? "rest" : "variadic"} but not the last argument`);
    }
    if (a.optional) sawOptional = true;
    else if (sawOptional) throw declError(where, `required argument <${a.name}> follows an optional one`);
    if (a.kind === "enum" && !a.values?.length) throw declError(where, `enum argument <${a.name}> has no values`);
  });

  // Options (the standard ones included).
  const longs = new Map<string, string>(); // long name -> who declared it
  const shorts = new Map<string, string>();
  const label = (o: OptionDef) =>
    o === ACCOUNT_OPTION ? "the standard -a/--account" : o === TO_OPTION ? "the standard --to" : `option --${o.name}`;
  for (const o of standardOptions(def)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(o.name)) throw declError(where, `bad option name "${o.name}"`);
    const otherLong = longs.get(o.name);
    if (otherLong !== undefined) throw declError(where, `option --${o.name} clashes with ${otherLong}`);
    longs.set(o.name, label(o));
    if (o.short !== undefined) {
      if (!/^[A-Za-z]$/.test(o.short)) throw declError(where, `option --${o.name}: short name must be one letter`);
      const otherShort = shorts.get(o.short);
      if (otherShort !== undefined) throw declError(where, `option -${o.short} (--${o.name}) clashes with ${otherShort}`);
      shorts.set(o.short, label(o));
    }
    if (o.kind === "enum" && !o.values?.length) throw declError(where, `enum option --${o.name} has no values`);
  }

  // Subcommands.
  if (def.defaultSubcommand !== undefined && !def.subcommands?.length) {
    throw declError(where, "defaultSubcommand without subcommands");
  }
  if (def.subcommands?.length) {
    if (args.length) throw declError(where, "a command with subcommands cannot have arguments of its own");
    if (def.run) throw declError(where, "a command with subcommands cannot have a run of its own");
    const seen = new Map<string, string>();
    for (const sub of def.subcommands) {
      validateDef(sub, [...path, sub.name]);
      for (const w of [sub.name, ...(sub.aliases ?? [])]) {
        const key = w.toLowerCase();
        const other = seen.get(key);
        if (other !== undefined) throw declError(where, `subcommand word "${w}" is used by both ${other} and ${sub.name}`);
        seen.set(key, sub.name);
      }
    }
    if (def.defaultSubcommand !== undefined && !findSubcommand(def, def.defaultSubcommand)) {
      throw declError(where, `defaultSubcommand "${def.defaultSubcommand}" is not a subcommand`);
    }
  }
}
