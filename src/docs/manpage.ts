/**
 * Renders man/jabterm.1 from the declarations: command-line flags, the command registry, the
 * account keys and the settings schema. Deterministic (the package version, never today's date);
 * a unit test fails when the committed page drifts from what this renders.
 */
import { FLAGS, flagUsage, SUBCOMMANDS } from "../cli/flags.js";
import { createRegistry } from "../core/commands/defs/index.js";
import { synopsis } from "../core/commands/help.js";
import { standardOptions } from "../core/commands/registry.js";
import type { CommandDef } from "../core/commands/types.js";
import { ACCOUNT_KEYS, SETTINGS, typeText, type KeyDef } from "../core/config/schema.js";
import { actionName, KEYMAP } from "../ui/input/keymap.js";

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
    ".B jabterm",
    "[\\fIoptions\\fR]",
    ".br",
    ".B jabterm \\-\\-headless",
    "[\\fIoptions\\fR]",
    ...SUBCOMMANDS.flatMap((c) => [".br", `.B ${roff(c.synopsis)}`]),
    ".SH DESCRIPTION",
    roff(
      "jabterm connects any number of XMPP accounts at once, each with its own server, resource, priority, transport (STARTTLS, direct TLS or WebSocket) and TLS trust (system roots, an extra CA file, or a pinned certificate fingerprint). " +
        "Certificates are always verified; a server that does not offer encryption is refused before any password is sent.",
    ),
    ".PP",
    roff(
      "The full-screen interface rewrites only the screen rows that change, draws the command line on every key without waiting for a screen update, and sets the window title to jabterm with the number of unread messages (the previous title is restored on exit where the terminal keeps a title stack).",
    ),
    ".PP",
    roff(
      "In headless mode jabterm reads slash commands from standard input, one per line, and writes one JSON object per line to standard output: events such as ready, account, message, message_state, presence, credential, command and exit, each with event and ts (ISO 8601 UTC with milliseconds). See README.md for the event format.",
    ),
    ".PP",
    roff(
      "Every running jabterm (the full-screen interface or headless mode) listens on a control socket that speaks the same protocol: slash commands in, the same JSON lines out, matched to their command by seq, for as long as the client stays connected. jabterm ctl and jabterm send use it.",
    ),
    ".SH OPTIONS",
    ...FLAGS.flatMap((f) => [".TP", `.B ${roff(flagUsage(f).trim())}`, roff(f.description)]),
    ".SH SUBCOMMANDS",
    ...SUBCOMMANDS.flatMap((c) => [".TP", `.B ${roff(c.synopsis)}`, roff(c.description), ...c.examples.flatMap((e) => [".br", roff(`Example: ${e}`)])]),
    ".SH COMMANDS",
    roff("Options come before positional arguments; -- ends them. A final text argument takes the rest of the line exactly as typed. Secrets are shown as *** in every echo."),
    ...registry.declared().flatMap((def) => commandSection(def, [def.name])),
    ".SH CONFIGURATION",
    roff(
      "The config file is JSON: {\"version\": 1, \"accounts\": [...], \"settings\": {...}, \"aliases\": {...}, \"keys\": {...}}. Only what was set is stored; everything else has the default below. Change it with the commands rather than by hand: /account, /set, /alias. A broken file is reported with its path and the problem and never overwritten.",
    ),
    ".SS Account keys",
    roff("Set with /account set <account> <key> <value>; reset with /account unset. Changes apply at the next connection."),
    ...keySection(ACCOUNT_KEYS),
    ".SS Settings",
    roff("Show and change with /set <key> [value]; /set alone lists what differs from the defaults; /set --reset <key> restores one. A change takes effect at once unless its entry says otherwise."),
    ...keySection(SETTINGS),
    ".SS Aliases",
    roff(
      "/alias add <name> <expansion> saves an alias: /name then runs the expansion with $1..$9 replaced by the words given, $2- by the words from the second on as typed, $@ by everything given and $$ by a dollar sign (without placeholders, what is given is appended). Aliases complete and are listed by /help like commands; they cannot take a command's name, and one that reaches itself again stops with an error.",
    ),
    ".SS Hooks",
    roff(
      "The hook_* settings name programs (split into words like a shell would, but run without one) that run on events: hook_message_in, hook_message_out, hook_highlight (an incoming message with one of highlight_words), hook_presence (contacts in hook_presence_contacts) and hook_subscription. The event is one line of JSON on the program's standard input (the same fields as the headless event, plus hook); nothing received is ever put in its arguments. At most hook_concurrency run at once, each killed after hook_timeout; a failure is reported in the console (a hook event).",
    ),
    ".SS Keys",
    roff(
      "The interface's keys are listed below, each with the name of its action. The config file's \"keys\" object changes them (by hand; read at start): \"[input:|roster:|global:]<key>\": \"<action>\" binds a key, \"none\" unbinds it. Without a prefix a line edit is bound on the command line (input), anything else everywhere (global), and \"none\" unbinds the key everywhere; a focus's own bindings win over global ones. Keys are written C- (Ctrl), M- (Alt), S- (Shift), then a name (enter, tab, backspace, delete, escape, space, up, down, left, right, home, end, pageup, pagedown, f1..f12) or one character. Actions are the names below, and tab-1..tab-9. What cannot apply is said on the console tab; the rest applies.",
    ),
    ...KEYMAP.flatMap((b) => [".TP", `.B ${roff(b.keys.join(", "))}`, roff(`${actionName(b.action)} (${b.focus === "global" ? "everywhere" : b.focus === "input" ? "command line" : "roster"}): ${b.help}`)]),
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
    ".TP",
    ".I $XDG_RUNTIME_DIR/jabterm/<instance>.sock",
    roff(
      "The control socket of a running jabterm (mode 0600 in a 0700 directory that must be yours, or it is not created). <instance> is derived from the config and data directories. Without XDG_RUNTIME_DIR (under cron, for instance) the directory is jabterm-<uid> in the system temporary directory. A socket left by a killed jabterm is replaced.",
    ),
    ".SH EXIT STATUS",
    roff("0 success; 1 a program run by /exec or /open failed (or an internal error); 2 usage error; 3 configuration error (including another jabterm using the data directory); 4 authentication failure; 5 connection or TLS failure (jabterm ctl: no running jabterm for these directories); 6 messages left undelivered at exit (jabterm send: not acknowledged by the server within drain_timeout); 7 encryption failure. jabterm ctl exits with the status of the first command that failed."),
    ".SH ENVIRONMENT",
    ...(
      [
        ["XDG_CONFIG_HOME", "Base of the config directory (default ~/.config)."],
        ["XDG_DATA_HOME", "Base of the data directory (default ~/.local/share)."],
        ["XDG_STATE_HOME", "Base of the log directory (default ~/.local/state)."],
        ["XDG_RUNTIME_DIR", "Where the control socket lives (see FILES)."],
        ["JABTERM_CONFIG_DIR", "The config directory (--config-dir wins)."],
        ["JABTERM_DATA_DIR", "The data directory (--data-dir wins)."],
        ["JABTERM_STATE_DIR", "The log directory."],
        ["NO_COLOR", "Set and not empty: the interface uses no colours (bold, dim, underline and reverse video stay). How many colours the terminal has is read from TERM and COLORTERM (FORCE_COLOR=0..3 overrides it)."],
      ] as const
    ).flatMap(([k, v]) => [".TP", `.B ${roff(k)}`, roff(v)]),
    ".TP",
    ".B NODE_TLS_REJECT_UNAUTHORIZED", // documents that we refuse to start with it set to 0
    roff("If set to 0, jabterm refuses to start: it would switch off certificate checks for the whole process."),
    "",
  ];
  return lines.join("\n");
}
