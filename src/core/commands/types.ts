/**
 * The declaration language for jabterm's commands. Every command is declared ONCE as a
 * `CommandDef`; the parser, tab completion, `/help`, headless mode, the control socket and the
 * man page generator all read the same declaration.
 */

/**
 * What an argument or option value is. The kind drives validation (`int`, `enum`, `jid` are checked
 * at parse time; the rest are free text resolved by the host), completion (accounts, contacts,
 * rooms, nicks, settings, account keys, files, enum values, command names) and redaction (`secret`).
 */
export type ArgKind =
  | "account"
  | "jid"
  | "contact"
  | "room"
  | "nick"
  | "setting"
  | "account-key"
  | "setting-value"
  | "enum"
  | "secret"
  | "text"
  | "word"
  | "int"
  | "file"
  | "command";

export interface ArgDef {
  name: string;
  kind: ArgKind;
  description: string;
  /** Optional args may only follow required ones. */
  optional?: boolean;
  /** For `kind: "enum"`: the allowed values (case-sensitive). */
  values?: readonly string[];
  /** Last arg only: takes the RAW rest of the line, quotes/dashes/spacing untouched. */
  rest?: boolean;
  /** Last arg only: all remaining words (collected in `ParsedCall.rest`). */
  variadic?: boolean;
  /**
   * The value is a secret (redacted in `ParsedCall.redacted`, never echoed, never completed) when
   * this returns true for the other parsed args, e.g. `/account set <account> <key> <value>` when
   * key is "password".
   */
  secretWhen?: (args: Readonly<Record<string, string | undefined>>) => boolean;
}

export interface OptionDef {
  /** Long name, e.g. "name" → `--name`. */
  name: string;
  /** One letter: `-n`. */
  short?: string;
  kind: ArgKind | "flag";
  description: string;
  /** For `kind: "enum"`. */
  values?: readonly string[];
  /** May be given several times; the parsed value is then a `string[]`. */
  repeatable?: boolean;
}

export interface CommandDef<Ctx = unknown> {
  name: string;
  aliases?: readonly string[];
  group: string;
  summary: string;
  help: string;
  examples?: readonly { input: string; description: string }[];
  args?: readonly ArgDef[];
  options?: readonly OptionDef[];
  /**
   * `/account add ...`. A command with subcommands has no args and no run of its own; without a
   * subcommand word it runs `defaultSubcommand` if set, otherwise it is a usage error.
   */
  subcommands?: readonly CommandDef<Ctx>[];
  /** e.g. `/account` alone = `/account list`. */
  defaultSubcommand?: string;
  /** Adds the standard option `-a/--account <account>`. Not inherited by subcommands. */
  accountScoped?: boolean;
  /** Adds the standard option `--to <jid>` (headless: the conversation; UI: the current tab). */
  conversationScoped?: boolean;
  hidden?: boolean;
  run?: (ctx: Ctx, call: ParsedCall) => CommandResult | Promise<CommandResult>;
}

export interface ParsedCall {
  /** Canonical names, e.g. ["account", "set"] (aliases resolved, default subcommand applied). */
  path: string[];
  /** Positional args by name; absent optional args are undefined. A variadic arg holds its words joined by one space. */
  args: Record<string, string | undefined>;
  /** The values of a variadic arg (empty when there is none). */
  rest: string[];
  /**
   * Options by LONG name. Flags not given are `false`, repeatable options not given are `[]`,
   * other options not given are absent (undefined).
   */
  options: Record<string, string | boolean | string[] | undefined>;
  raw: string;
  /** `raw` with every secret token replaced by `***`, everything else byte-identical. */
  redacted: string;
}

export type CommandResult =
  /** `lines` for people; `data` for machines (headless `command` event). */
  | { type: "output"; lines: string[]; data?: unknown }
  /** Open/focus a conversation window. */
  | { type: "open"; account: string; jid: string; lines?: string[] }
  | { type: "quit"; code?: number }
  /** Select (by number, or a JID's conversation) or close a window of the interactive UI. */
  | { type: "window"; action: "select" | "close"; target?: string }
  | { type: "none" };

export function output(...lines: string[]): CommandResult {
  return { type: "output", lines };
}

export function none(): CommandResult {
  return { type: "none" };
}
