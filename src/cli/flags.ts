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
  { name: "help", type: "boolean", shortFlag: "h", description: "show this help" },
  { name: "version", type: "boolean", shortFlag: "v", description: "show the version" },
];

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
    "",
    "Options",
    ...FLAGS.map((f) => `  ${flagUsage(f).padEnd(width)}  ${f.description}`),
    "",
    "Exit status",
    "  0 ok, 2 usage, 3 config, 4 authentication, 5 connection/TLS, 6 messages left undelivered, 7 crypto",
    "",
    "Examples",
    "  jabterm --headless -e '/account add alice@example.org' -e '/account set alice@example.org password_command pass xmpp'",
    "  printf '/connect --wait\\n/msg bob@example.org hi\\n' | jabterm --headless",
  ].join("\n");
}
