/**
 * Scripting: aliases, files of commands, settings, running programs and opening URLs.
 */
import { spawn } from "node:child_process";

import { findSetting, formatValue, settingDefaults, SETTINGS, splitCommandLine, typeText, type KeyDef } from "../../config/schema.js";
import { JabtermError, UsageError } from "../../errors.js";
import { failureText, runProgram } from "../../scripting/proc.js";
import { runScript } from "../../scripting/source.js";
import { checkUrl, conversationUrls } from "../../scripting/urls.js";
import { cleanOutgoing } from "../../text/sanitize.js";
import { peerOf, sendChat } from "../../xmpp/features/chat-send.js";
import { conversationFor, type CommandContext } from "../context.js";
import type { CommandDef } from "../types.js";

/** Settings that live outside the config reads: applied here when they change. */
function applyLive(ctx: CommandContext, key: string, value: unknown): void {
  if (key === "log_level" && typeof value === "string") ctx.client.log.setLevel(value as Parameters<typeof ctx.client.log.setLevel>[0]);
  if (key === "xml_log" && typeof value === "boolean") ctx.client.log.setXml(value);
}

const applyNote = (d: KeyDef) => (d.applies === "restart" ? " (takes effect after a restart)" : d.applies === "connect" ? " (takes effect at the next connection)" : "");

export const aliasCommand: CommandDef<CommandContext> = {
  name: "alias",
  group: "Scripting",
  summary: "your own commands: add, remove, list aliases",
  help:
    "An alias is a name that stands for a command line. In the expansion, $1..$9 are the words given to the alias (quotes removed), $2- is everything from the second word on exactly as typed (any digit), $@ is everything given, exactly as typed, and $$ is a dollar sign; " +
    "an expansion without placeholders gets what is given appended. Aliases are saved in the config file, complete like commands and are listed by /help. " +
    "An alias cannot take the name of a command; an alias that reaches itself again stops with an error.",
  defaultSubcommand: "list",
  subcommands: [
    {
      name: "add",
      group: "Scripting",
      summary: "add (or replace) an alias",
      help: "Saves the alias; it works at once, in every interface and over the control socket.",
      args: [
        { name: "name", kind: "word", description: "the alias name (letters, digits, _ . -)" },
        { name: "expansion", kind: "text", rest: true, description: "the command line it stands for, starting with /" },
      ],
      examples: [
        { input: "/alias add w /msg -a work $1 $2-", description: "/w bob@x see you at 5 sends the text from the account work" },
        { input: "/alias add tell /msg $@", description: "/tell bob@x see you at 5: everything given goes to /msg" },
        { input: "/alias add away /status away $@", description: "/away back soon" },
      ],
      run(ctx, call) {
        const name = call.args.name!.replace(/^\//, "");
        const expansion = call.args.expansion!.trim();
        if (ctx.registry.isDeclared(name)) throw new UsageError(`/${name} is a command; choose another name for the alias`);
        ctx.client.config.setAlias(name, expansion);
        return { type: "output", lines: [`/${name} → ${expansion}`], data: { name, expansion } };
      },
    },
    {
      name: "remove",
      aliases: ["rm", "del"],
      group: "Scripting",
      summary: "remove an alias",
      help: "Removes a saved alias.",
      args: [{ name: "name", kind: "command", description: "the alias" }],
      run(ctx, call) {
        const name = call.args.name!.replace(/^\//, "");
        if (!ctx.client.config.removeAlias(name)) throw new UsageError(`no alias ${name}`);
        return { type: "output", lines: [`alias /${name} removed`], data: { name } };
      },
    },
    {
      name: "list",
      aliases: ["ls"],
      group: "Scripting",
      summary: "list aliases",
      help: "Lists every alias and what it stands for.",
      run(ctx) {
        const aliases = ctx.client.config.aliases();
        const names = Object.keys(aliases).sort();
        return { type: "output", lines: names.length ? names.map((n) => `/${n} → ${aliases[n]}`) : ["no aliases (add one with /alias add <name> <command>)"], data: aliases };
      },
    },
  ],
};

export const sourceCommand: CommandDef<CommandContext> = {
  name: "source",
  group: "Scripting",
  summary: "run a file of commands",
  help:
    "Runs the commands in a file, one per line, in order; blank lines and lines starting with # are skipped. The first command that fails stops the file " +
    "(the error names the file and line). Windows that commands in the file would open are not opened. A file may source another, but not itself.",
  args: [{ name: "file", kind: "file", rest: true, description: "the file (~ is your home directory)" }],
  examples: [{ input: "/source ~/.config/jabterm/morning.jab", description: "run a prepared set of commands" }],
  async run(ctx, call) {
    const r = await runScript(ctx, call.args.file!.trim());
    if (r.quit) return r.quit;
    return { type: "output", lines: [...r.lines, `${r.file}: ${r.ran} command${r.ran === 1 ? "" : "s"} run`], data: { file: r.file, ran: r.ran, results: r.results } };
  },
};

function describeSetting(ctx: CommandContext, d: KeyDef): string[] {
  const v = ctx.client.config.getSetting(d.key);
  const dflt = d.defaultText ?? (d.default !== undefined ? String(d.default) : "unset");
  return [`${d.key} = ${v === undefined ? "(unset)" : formatValue(d, v)}`, `  ${typeText(d)}, default ${dflt}${applyNote(d)}`, `  ${d.description}`];
}

export const setCommand: CommandDef<CommandContext> = {
  name: "set",
  group: "Scripting",
  summary: "show or change a setting",
  help:
    "Without arguments: the settings that differ from their defaults. With a key: its value, type, default and description. With a key and a value: " +
    "checks the value against the setting's type and saves it; most settings take effect at once, the rest say when they do. --reset puts a setting back to its default. " +
    "Durations take ms, s, m, h suffixes (10s); sizes k, m (64k); booleans true/false, on/off, yes/no.",
  options: [{ name: "reset", short: "r", kind: "flag", description: "put the setting back to its default" }],
  args: [
    { name: "key", kind: "setting", optional: true, description: "the setting" },
    { name: "value", kind: "setting-value", optional: true, rest: true, description: "the new value (the rest of the line)" },
  ],
  examples: [
    { input: "/set", description: "what you changed" },
    { input: "/set hook_timeout 5s", description: "hooks may run 5 seconds" },
    { input: "/set --reset time_format", description: "back to HH:mm" },
  ],
  run(ctx, call) {
    const { config } = ctx.client;
    const key = call.args.key;
    const value = call.args.value;
    if (key === undefined) {
      if (call.options.reset) throw new UsageError("say which setting to reset: /set --reset <key>");
      const current = config.settings() as unknown as Record<string, unknown>;
      const defaults = settingDefaults() as unknown as Record<string, unknown>;
      const changed = (SETTINGS as readonly KeyDef[]).filter((d) => current[d.key] !== undefined && current[d.key] !== defaults[d.key]);
      const data = Object.fromEntries(changed.map((d) => [d.key, d.secret ? "***" : current[d.key]]));
      return { type: "output", lines: changed.length ? changed.map((d) => `${d.key} = ${formatValue(d, current[d.key] as never)}${defaults[d.key] !== undefined ? `  (default ${String(defaults[d.key])})` : ""}`) : ["every setting has its default value (/help set, man jabterm: SETTINGS)"], data };
    }
    const def = findSetting(key);
    if (!def) throw new UsageError(`unknown setting "${key}"; /set <Tab> lists them`, { key });
    if (call.options.reset) {
      if (value !== undefined) throw new UsageError("--reset takes no value");
      const v = config.unsetSetting(key);
      applyLive(ctx, key, v);
      return { type: "output", lines: [`${key} = ${v === undefined ? "(unset)" : formatValue(def, v)} (default)${applyNote(def)}`], data: { key, value: v ?? null } };
    }
    if (value === undefined || value.trim() === "") return { type: "output", lines: describeSetting(ctx, def), data: { key, value: config.getSetting(key) ?? null } };
    const v = config.setSetting(key, value);
    applyLive(ctx, key, v);
    return { type: "output", lines: [`${key} = ${formatValue(def, v)}${applyNote(def)}`], data: { key, value: v } };
  },
};

/** Output lines of a program, for showing (hosts sanitise them like remote text). */
function outputLines(text: string): string[] {
  const t = text.replace(/\n+$/, "");
  return t === "" ? [] : t.split("\n");
}

export const execCommand: CommandDef<CommandContext> = {
  name: "exec",
  group: "Scripting",
  summary: "run a program; show its output or send it",
  help:
    "Runs a program with its arguments, split into words like a shell would (quotes, backslashes) but without a shell: no variables, globs or pipes. " +
    "Its output is shown (control characters made visible, like any text from outside); with -o its standard output is sent as a message to the conversation " +
    "(the current tab, or --to). Killed after exec_timeout. Only ever runs when you type it (or an alias or file of yours does): nothing received from the network runs programs.",
  conversationScoped: true,
  options: [{ name: "output", short: "o", kind: "flag", description: "send the standard output to the conversation instead of showing it" }],
  args: [{ name: "command", kind: "text", rest: true, description: "the program and its arguments" }],
  examples: [
    { input: "/exec uptime", description: "show the machine's uptime" },
    { input: "/exec -o fortune -s", description: "send a fortune to the current conversation" },
  ],
  async run(ctx, call) {
    let argv: string[];
    try {
      argv = splitCommandLine(call.args.command ?? "");
    } catch (err) {
      throw new UsageError(`cannot split the command: ${(err as Error).message}`);
    }
    if (argv.length === 0) throw new UsageError("which program? /exec <program> [args]");
    const target = call.options.output ? conversationFor(ctx, call) : undefined;
    const timeout = ctx.client.settings().exec_timeout;
    const r = await runProgram(argv, { timeout });
    const failure = failureText(r, timeout);
    const stdout = outputLines(r.stdout);
    const stderr = outputLines(r.stderr);
    if (failure) {
      throw new JabtermError("program", `${argv[0]}: ${failure}${stderr.length ? `: ${stderr.slice(-3).join(" / ")}` : ""}`, { program: argv[0], exit_code: r.code, stdout: r.stdout, stderr: r.stderr });
    }
    if (target) {
      const body = cleanOutgoing(r.stdout.replace(/\n+$/, ""));
      if (body.trim() === "") throw new UsageError(`${argv[0]} printed nothing to send`);
      const msg = await sendChat(ctx.client, target.account, target.jid, body);
      return { type: "output", lines: [`sent the output of ${argv[0]} to ${msg.to} (${stdout.length} line${stdout.length === 1 ? "" : "s"})`], data: { id: msg.id, to: msg.to, account: target.account.name, state: msg.state } };
    }
    return { type: "output", lines: [...stdout, ...stderr.map((l) => `stderr: ${l}`)], data: { program: argv[0], exit_code: r.code, stdout: r.stdout, stderr: r.stderr } };
  },
};

/** Start the opener: `<opener words> -- <url>`; fails if it cannot start or exits non-zero within `grace` ms. */
function startOpener(argv: string[], grace: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { shell: false, detached: true, stdio: "ignore" });
    const timer = setTimeout(() => {
      child.unref();
      resolve(undefined); // still running (a browser): fine
    }, grace);
    child.once("error", (err) => {
      clearTimeout(timer);
      resolve(`${argv[0]}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such program" : err.message}`);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : `${argv[0]}: ${signal ? `killed by ${signal}` : `exit status ${code}`}`);
    });
  });
}

export const openCommand: CommandDef<CommandContext> = {
  name: "open",
  group: "Scripting",
  summary: "list the URLs of a conversation, or open one",
  help:
    "Without an argument: the URLs in the conversation (the current tab, or --to), newest first, numbered. With a number: opens that URL; with a URL: opens it. " +
    "Only http, https, xmpp, mailto, gemini, geo and tel URLs are opened, with the program in url_opener, run without a shell as: <url_opener> -- <url>.",
  conversationScoped: true,
  accountScoped: true,
  args: [{ name: "target", kind: "word", optional: true, description: "a number from the list, or a URL" }],
  examples: [
    { input: "/open", description: "list the URLs of this conversation" },
    { input: "/open 1", description: "open the newest one" },
  ],
  async run(ctx, call) {
    const target = call.args.target;
    let url: string;
    if (target === undefined || /^\d+$/.test(target)) {
      const conv = conversationFor(ctx, call);
      const messages = ctx.client.store.getState().accounts[conv.account.name]?.conversations[peerOf(conv.jid)]?.messages ?? [];
      const urls = conversationUrls(messages);
      if (target === undefined) {
        return { type: "output", lines: urls.length ? urls.map((u) => `${u.n}. ${u.url}`) : [`no URLs in the conversation with ${conv.jid}`], data: urls };
      }
      const found = urls.find((u) => u.n === Number(target));
      if (!found) throw new UsageError(urls.length ? `no URL ${target} (there ${urls.length === 1 ? "is 1" : `are ${urls.length}`}; /open lists them)` : `no URLs in the conversation with ${conv.jid}`);
      url = found.url;
    } else {
      url = target;
    }
    const checked = checkUrl(url);
    if (!checked.ok) throw new UsageError(`not opening it: ${checked.reason}`);
    const opener = ctx.client.settings().url_opener;
    if (!opener) throw new UsageError("no url_opener set: /set url_opener <program> (it gets -- and the URL as its arguments)");
    const argv = [...splitCommandLine(opener), "--", checked.url];
    const failure = await startOpener(argv, 1500);
    if (failure) throw new JabtermError("program", failure, { program: argv[0] });
    return { type: "output", lines: [`opening ${checked.url}`], data: { url: checked.url, opener: argv[0] } };
  },
};

export const scriptingCommands: CommandDef<CommandContext>[] = [aliasCommand, sourceCommand, setCommand, execCommand, openCommand];
