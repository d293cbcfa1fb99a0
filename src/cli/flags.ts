/** Command-line flags, declared once: meow reads them, and so will the man page generator. */
export interface FlagDef {
  name: string;
  type: "string" | "boolean";
  shortFlag?: string;
  isMultiple?: boolean;
  placeholder?: string;
  description: string;
}

export const FLAGS: readonly FlagDef[] = [
  { name: "headless", type: "boolean", description: "no UI: slash commands on stdin, NDJSON events on stdout" },
  { name: "exec", type: "string", shortFlag: "e", isMultiple: true, placeholder: "command", description: "run a command once ready (repeatable)" },
  { name: "stay", type: "boolean", description: "headless: keep running after stdin ends (for bots)" },
  { name: "configDir", type: "string", placeholder: "dir", description: "config directory (default $XDG_CONFIG_HOME/jabterm; env JABTERM_CONFIG_DIR)" },
  { name: "dataDir", type: "string", placeholder: "dir", description: "data directory (default $XDG_DATA_HOME/jabterm; env JABTERM_DATA_DIR)" },
  { name: "logFile", type: "string", placeholder: "file", description: "log file (default $XDG_STATE_HOME/jabterm/jabterm.log)" },
  { name: "logLevel", type: "string", placeholder: "level", description: "error, warn, info, debug or trace (default: the log_level setting)" },
  { name: "xmlLog", type: "boolean", description: "also log XML traffic, credentials redacted" },
  { name: "follow", type: "boolean", shortFlag: "f", description: "ctl: after the commands, stream the instance's events as NDJSON until it exits" },
  { name: "event", type: "string", isMultiple: true, placeholder: "names", description: "ctl --follow: only these events (comma-separated, repeatable), e.g. message,presence" },
  { name: "json", type: "boolean", description: "ctl: print each command's result as its NDJSON command event" },
  { name: "account", type: "string", shortFlag: "a", placeholder: "account", description: "send: the account to send from (default: the running instance's first online one, else the first enabled one)" },
  { name: "help", type: "boolean", shortFlag: "h", description: "show this help" },
  { name: "version", type: "boolean", shortFlag: "v", description: "show the version" },
];

/** Subcommands of the binary (argv, not slash commands). */
export interface SubcommandDef {
  name: string;
  synopsis: string;
  description: string;
  /** Flags that only mean something with this subcommand. */
  flags: readonly string[];
  examples: readonly string[];
}

export const SUBCOMMANDS: readonly SubcommandDef[] = [
  {
    name: "ctl",
    synopsis: "jabterm ctl [--json] [--follow [--event names]] [\"/command\" ...]",
    description:
      "Send slash commands to the running jabterm (the one using the same config and data directories) over its control socket and print their output; the exit status is the first failing command's. " +
      "Without commands and with stdin not a terminal, the commands are read from stdin, one per line. --follow then streams its events as NDJSON (as headless mode writes them) until it exits.",
    flags: ["follow", "event", "json"],
    examples: ["jabterm ctl '/msg bob@example.org build done'", "jabterm ctl --follow --event message | jq -r 'select(.direction==\"in\") | .body'"],
  },
  {
    name: "send",
    synopsis: "jabterm send [-a account] <jid> [text]",
    description:
      "Send one message, the text from the arguments or, when there is none, from stdin. Through the running jabterm when there is one; otherwise connect the account, send, wait for the server to acknowledge it and exit: 0 when acknowledged, 6 when not within drain_timeout.",
    flags: ["account"],
    examples: ["jabterm send bob@example.org 'backup finished'", "df -h | jabterm send -a work ops@example.org"],
  },
  {
    name: "completion",
    synopsis: "jabterm completion bash|zsh|fish",
    description: "Print a shell completion script for jabterm (options, subcommands, slash command names).",
    flags: [],
    examples: ["jabterm completion bash > ~/.local/share/bash-completion/completions/jabterm", "jabterm completion fish > ~/.config/fish/completions/jabterm.fish"],
  },
];

/** Flags that belong to a subcommand only. */
export const SUBCOMMAND_FLAGS = new Set(SUBCOMMANDS.flatMap((s) => s.flags));

/** The events of the NDJSON stream (headless mode, the control socket, hooks). */
export const EVENT_NAMES = [
  "ready", "account", "message", "message_state", "message_corrected", "conversation", "chatstate", "presence", "own_presence", "roster_loaded", "roster",
  "subscription_request", "subscription", "nick", "blocklist", "carbons", "session", "warning", "error", "credential", "command", "control", "hook", "script", "exit",
] as const;

export const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function flagUsage(f: FlagDef): string {
  const short = f.shortFlag ? `-${f.shortFlag}, ` : "    ";
  return `${short}--${kebab(f.name)}${f.placeholder ? ` <${f.placeholder}>` : ""}`;
}

export function helpText(version: string): string {
  const width = Math.max(...FLAGS.map((f) => flagUsage(f).length));
  return [
    `jabterm ${version} — a terminal XMPP client for several accounts at once`,
    "",
    "Usage",
    "  jabterm [options]                 the full-screen interface",
    "  jabterm --headless [options]      slash commands on stdin, NDJSON events on stdout",
    ...SUBCOMMANDS.map((c) => `  ${c.synopsis}`),
    "",
    "Options",
    ...FLAGS.map((f) => `  ${flagUsage(f).padEnd(width)}  ${f.description}`),
    "",
    "Exit status",
    "  0 ok, 1 a program run by /exec or /open failed (or an internal error), 2 usage, 3 config, 4 authentication,",
    "  5 connection/TLS (also: jabterm ctl finds no running instance), 6 messages left undelivered, 7 crypto",
    "",
    "Examples",
    "  jabterm --headless -e '/account add alice@example.org' -e '/account set alice@example.org password_command pass xmpp'",
    "  printf '/connect --wait\\n/msg bob@example.org hi\\n' | jabterm --headless",
    ...SUBCOMMANDS.flatMap((c) => c.examples.map((e) => `  ${e}`)),
  ].join("\n");
}
