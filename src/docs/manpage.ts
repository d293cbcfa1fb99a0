/**
 * Renders man/jabterm.1 from the declarations: command-line flags, the command registry, the
 * account keys and the settings schema. Deterministic (the package version, never today's date);
 * a unit test fails when the committed page drifts from what this renders.
 */
import { FLAGS, flagUsage } from "../cli/flags.js";
import { createRegistry } from "../core/commands/defs/index.js";
import { synopsis } from "../core/commands/help.js";
import { standardOptions } from "../core/commands/registry.js";
import type { CommandDef } from "../core/commands/types.js";
import { ACCOUNT_KEYS, SETTINGS, typeText, type KeyDef } from "../core/config/schema.js";

/** Escape text for roff: backslashes, leading dots/quotes, and hyphens that must stay minus signs. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .split("\n")
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join("\n");
}

function commandSection(def: CommandDef<any>, path: string[]): string[] {
  const out: string[] = [];
  if (def.hidden) return out;
  if (def.subcommands?.length) {
    for (const sub of def.subcommands) out.push(...commandSection(sub, [...path, sub.name]));
    return out;
  }
  out.push(".TP", `.B ${roff(synopsis(def, path))}`, roff(def.summary + "."));
  if (def.help) out.push(".br", roff(def.help));
  if (def.aliases?.length && path.length === 1) out.push(".br", roff(`Aliases: ${def.aliases.map((a) => `/${a}`).join(", ")}.`));
  for (const a of def.args ?? []) out.push(".br", roff(`<${a.name}>: ${a.description}${a.values ? ` (${a.values.join(", ")})` : ""}.`));
  for (const o of standardOptions(def)) out.push(".br", roff(`--${o.name}${o.short ? `, -${o.short}` : ""}: ${o.description}.`));
  for (const e of def.examples ?? []) out.push(".br", roff(`Example: ${e.input}  (${e.description})`));
  return out;
}

function keySection(defs: readonly KeyDef[]): string[] {
  return defs.flatMap((d) => {
    const dflt = d.defaultText ?? (d.default !== undefined ? String(d.default) : undefined);
    return [".TP", `.B ${roff(d.key)}`, roff(`${typeText(d)}${dflt !== undefined ? `, default ${dflt}` : ""}${d.secret ? ", secret" : ""}. ${d.description}`)];
  });
}

export function renderManPage(version: string): string {
  const registry = createRegistry();
  const lines = [
    `.TH JABTERM 1 "" "jabterm ${roff(version)}" "User Commands"`,
    ".SH NAME",
    "jabterm \\- a terminal XMPP (Jabber) client for several accounts at once",
    ".SH SYNOPSIS",
    ".B jabterm \\-\\-headless",
    "[\\fIoptions\\fR]",
    ".SH DESCRIPTION",
    roff(
      "jabterm connects any number of XMPP accounts at once, each with its own server, resource, priority, transport (STARTTLS, direct TLS or WebSocket) and TLS trust (system roots, an extra CA file, or a pinned certificate fingerprint). " +
        "Certificates are always verified; a server that does not offer encryption is refused before any password is sent.",
    ),
    ".PP",
    roff(
      "In headless mode jabterm reads slash commands from standard input, one per line, and writes one JSON object per line to standard output: events such as ready, account, message, message_state, presence, credential, command and exit, each with event and ts (ISO 8601 UTC with milliseconds). See README.md for the event format.",
    ),
    ".SH OPTIONS",
    ...FLAGS.flatMap((f) => [".TP", `.B ${roff(flagUsage(f).trim())}`, roff(f.description)]),
    ".SH COMMANDS",
    roff("Options come before positional arguments; -- ends them. A final text argument takes the rest of the line exactly as typed. Secrets are shown as *** in every echo."),
    ...registry.list().flatMap((def) => commandSection(def, [def.name])),
    ".SH ACCOUNT KEYS",
    roff("Set with /account set <account> <key> <value>; reset with /account unset."),
    ...keySection(ACCOUNT_KEYS),
    ".SH SETTINGS",
    ...keySection(SETTINGS),
    ".SH FILES",
    ".TP",
    ".I $XDG_CONFIG_HOME/jabterm/config.json",
    roff("Accounts and settings (mode 0600). Override the directory with --config-dir or JABTERM_CONFIG_DIR."),
    ".TP",
    ".I $XDG_DATA_HOME/jabterm/",
    roff("Data and the single-instance lock. Override with --data-dir or JABTERM_DATA_DIR."),
    ".TP",
    ".I $XDG_STATE_HOME/jabterm/jabterm.log",
    roff("The log (JSON lines; XML traffic with --xml-log, credentials redacted)."),
    ".SH EXIT STATUS",
    roff("0 success; 2 usage error; 3 configuration error (including another jabterm using the data directory); 4 authentication failure; 5 connection or TLS failure; 6 messages left undelivered at exit; 7 encryption failure."),
    ".SH ENVIRONMENT",
    ".TP",
    ".B NODE_TLS_REJECT_UNAUTHORIZED", // documents that we refuse to start with it set to 0
    roff("If set to 0, jabterm refuses to start: it would switch off certificate checks for the whole process."),
    "",
  ];
  return lines.join("\n");
}
