/**
 * Help text generated from the command declarations: synopsis lines, the `/help` listing and
 * per-command help. Pure data (string[]), no terminal codes.
 */
import { UsageError } from "../errors.js";
import { findSubcommand, standardOptions, type CommandRegistry } from "./registry.js";
import type { ArgDef, CommandDef, OptionDef } from "./types.js";

/** `<name>` / `[<name>]` / `<name>...` for one positional argument. */
export function argSynopsis(a: ArgDef): string {
  const core = `<${a.name}>${a.variadic ? "..." : ""}`;
  return a.optional ? `[${core}]` : core;
}

/** `[-a <account>]`, `[--all]`, `[--name <name>]...` for one option (short form preferred). */
export function optionSynopsis(o: OptionDef): string {
  const flag = o.short ? `-${o.short}` : `--${o.name}`;
  const core = o.kind === "flag" ? flag : `${flag} <${o.name}>`;
  return `[${core}]${o.repeatable ? "..." : ""}`;
}

/** Both spellings of an option for help: `-a, --account <account>` / `--all`. */
export function optionForms(o: OptionDef): string {
  const forms = o.short ? `-${o.short}, --${o.name}` : `--${o.name}`;
  return o.kind === "flag" ? forms : `${forms} <${o.name}>`;
}

/**
 * The one-line synopsis, e.g. `/account set [-a <account>] <account> <key> <value>`.
 * `path` is the full command path (canonical names); it defaults to `[def.name]`.
 * A command with subcommands gives e.g. `/account [add|set|list] ...` (brackets when there is a
 * default subcommand, angle brackets otherwise).
 */
export function synopsis(def: CommandDef<any>, path?: readonly string[]): string {
  const parts = [`/${(path ?? [def.name]).join(" ")}`];
  for (const o of standardOptions(def)) parts.push(optionSynopsis(o));
  if (def.subcommands?.length) {
    const subs = def.subcommands.filter((s) => !s.hidden).map((s) => s.name).join("|");
    parts.push(def.defaultSubcommand !== undefined ? `[${subs}]` : `<${subs}>`, "...");
  }
  for (const a of def.args ?? []) parts.push(argSynopsis(a));
  return parts.join(" ");
}

function table(rows: readonly (readonly [string, string])[], indent = "  "): string[] {
  const width = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => (r ? `${indent}${l.padEnd(width)}  ${r}` : `${indent}${l}`).trimEnd());
}

function withValues(description: string, values: readonly string[] | undefined): string {
  return values?.length ? `${description} (one of: ${values.join(", ")})` : description;
}

/**
 * Without a name: every visible command grouped by `group`, with aliases and summaries.
 * With a name (`"msg"`, `"/exit"`, `"account set"`): that command's synopsis, summary, help text,
 * arguments, options, subcommands and examples. Throws `UsageError` for an unknown name.
 */
export function helpLines(registry: CommandRegistry<any>, name?: string): string[] {
  const words = (name ?? "").trim().replace(/^\//, "").split(/\s+/).filter(Boolean);
  if (words.length === 0) return listing(registry);
  if (words[0]!.toLowerCase() === "search" && words.length > 1) {
    const r = registry.resolve(words);
    if (!r || r.consumed < 2) return searchLines(registry, words.slice(1).join(" "));
  }

  const resolved = registry.resolve(words);
  if (!resolved) {
    const hint = registry.suggest(words[0]!);
    throw new UsageError(`no such command /${words[0]}${hint ? `, did you mean /${hint}?` : ""} (try /help)`);
  }
  const { def, path, consumed } = resolved;
  if (consumed < words.length) {
    const base = `/${path.join(" ")}`;
    throw new UsageError(
      def.subcommands?.length ? `${base} has no subcommand "${words[consumed]}"` : `${base} has no subcommands`,
    );
  }
  return commandHelp(def, path);
}

/** Every command (and subcommand) whose name, summary, help or examples contain `text`. */
export function searchHelp(registry: CommandRegistry<any>, text: string): { path: string[]; def: CommandDef<any> }[] {
  const needle = text.toLowerCase();
  const hits: { path: string[]; def: CommandDef<any> }[] = [];
  const visit = (def: CommandDef<any>, path: string[]) => {
    if (def.hidden) return;
    const hay = [path.join(" "), ...(def.aliases ?? []), def.summary, def.help, ...(def.examples ?? []).flatMap((e) => [e.input, e.description]), ...(def.args ?? []).map((a) => a.description), ...standardOptions(def).map((o) => `--${o.name} ${o.description}`)]
      .join("\n")
      .toLowerCase();
    if (def.subcommands?.length) {
      const before = hits.length;
      for (const sub of def.subcommands) visit(sub, [...path, sub.name]);
      if (hits.length === before && hay.includes(needle)) hits.push({ path, def });
      return;
    }
    if (hay.includes(needle)) hits.push({ path, def });
  };
  for (const def of registry.list()) visit(def, [def.name]);
  return hits;
}

function searchLines(registry: CommandRegistry<any>, text: string): string[] {
  const hits = searchHelp(registry, text);
  if (!hits.length) return [`no command mentions "${text}" (/help lists them all)`];
  return [`Commands about "${text}":`, ...table(hits.map((h) => [synopsis(h.def, h.path), h.def.summary] as const)), "", "Type /help <command> for details."];
}

function listing(registry: CommandRegistry<any>): string[] {
  const lines: string[] = [];
  const defs = registry.list();
  const groups = [...new Set(defs.map((d) => d.group))];
  const label = (d: CommandDef<any>) => [d.name, ...(d.aliases ?? [])].map((w) => `/${w}`).join(", ");
  const width = Math.max(0, ...defs.map((d) => label(d).length));
  for (const g of groups) {
    if (lines.length) lines.push("");
    lines.push(`${g}:`);
    for (const d of defs.filter((x) => x.group === g)) lines.push(`  ${label(d).padEnd(width)}  ${d.summary}`.trimEnd());
  }
  lines.push("", "Type /help <command> for details, /help search <word> to find commands.");
  return lines;
}

function commandHelp(def: CommandDef<any>, path: readonly string[]): string[] {
  const lines: string[] = [`usage: ${synopsis(def, path)}`];
  if (def.summary) lines.push(def.summary);
  if (def.help.trim()) lines.push("", ...def.help.trim().split("\n"));
  if (def.aliases?.length) {
    const parent = path.slice(0, -1).join(" ");
    lines.push("", `Aliases: ${def.aliases.map((a) => `/${parent ? `${parent} ` : ""}${a}`).join(", ")}`);
  }

  const args = def.args ?? [];
  if (args.length) {
    lines.push("", "Arguments:");
    lines.push(
      ...table(
        args.map((a) => {
          const notes = [a.optional ? "optional" : "", a.rest ? "rest of the line, taken as typed" : ""].filter(Boolean);
          const desc = withValues(a.description, a.values) + (notes.length ? ` [${notes.join("; ")}]` : "");
          return [`<${a.name}>${a.variadic ? "..." : ""}`, desc] as const;
        }),
      ),
    );
  }

  const opts = standardOptions(def);
  if (opts.length) {
    lines.push("", "Options:");
    lines.push(
      ...table(
        opts.map((o) => [optionForms(o), withValues(o.description, o.values) + (o.repeatable ? " [repeatable]" : "")] as const),
      ),
    );
  }

  const subs = (def.subcommands ?? []).filter((s) => !s.hidden);
  if (subs.length) {
    lines.push("", "Subcommands:");
    lines.push(
      ...table(
        subs.map((s) => {
          const isDefault = def.defaultSubcommand !== undefined && findSubcommand(def, def.defaultSubcommand) === s;
          return [[s.name, ...(s.aliases ?? [])].join(", "), s.summary + (isDefault ? " (default)" : "")] as const;
        }),
      ),
    );
    lines.push("", `Type /help ${path.join(" ")} <subcommand> for details.`);
  }

  if (def.examples?.length) {
    lines.push("", "Examples:");
    for (const ex of def.examples) lines.push(`  ${ex.input}`, `      ${ex.description}`);
  }
  return lines;
}
