/**
 * argv -> mode. Errors become the documented exit codes:
 * 0 ok, 2 usage, 3 config, 4 auth, 5 connection/TLS, 6 messages left undelivered, 7 crypto.
 */
import { readFileSync } from "node:fs";

import meow from "meow";

import { createClient } from "../core/client.js";
import { ConfigStore } from "../core/config/config.js";
import { ensurePrivateDir, resolvePaths } from "../core/config/paths.js";
import { EXIT, JabtermError, toJabtermError, UsageError } from "../core/errors.js";
import { acquireLock } from "../core/lock.js";
import { createLogger, LOG_LEVELS, type LogLevel } from "../core/logger.js";
import type { CommandResult } from "../core/commands/types.js";
import { installScripting } from "../core/scripting/index.js";
import { completionScript, SHELLS } from "./completion.js";
import { ControlServer, socketPath } from "./control-socket.js";
import { readCommands, runCtl } from "./ctl.js";
import { FLAGS, helpText, kebab, SUBCOMMAND_FLAGS, SUBCOMMANDS } from "./flags.js";
import { runHeadless } from "./headless.js";
import { readText, runSend } from "./send.js";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function fail(err: unknown): number {
  const e = toJabtermError(err);
  process.stderr.write(`jabterm: ${e.message}\n`);
  return e.exitCode;
}

async function runSubcommand(name: string, args: string[], flags: Record<string, unknown>, logLevel: LogLevel | undefined): Promise<number> {
  if (name === "completion") {
    const script = args.length === 1 ? completionScript(args[0]!) : undefined;
    if (!script) throw new UsageError(`usage: jabterm completion ${SHELLS.join("|")}`);
    process.stdout.write(script);
    return EXIT.ok;
  }
  const paths = resolvePaths({ configDir: flags.configDir as string | undefined, dataDir: flags.dataDir as string | undefined });
  const file = socketPath(paths);
  if (name === "ctl") {
    const follow = Boolean(flags.follow);
    let commands = args;
    if (commands.length === 0 && !follow) {
      if (process.stdin.isTTY) throw new UsageError('usage: jabterm ctl "/command" ... (or commands on stdin, or --follow)');
      commands = await readCommands(process.stdin);
    }
    const events = ((flags.event as string[] | undefined) ?? []).flatMap((e) => e.split(",")).map((e) => e.trim()).filter(Boolean);
    if (events.length && !follow) throw new UsageError("--event needs --follow");
    return runCtl({ file, commands, follow, events, json: Boolean(flags.json), stdout: process.stdout, stderr: process.stderr });
  }
  // send
  const [jid, ...words] = args;
  if (!jid) throw new UsageError("usage: jabterm send [-a account] <jid> [text]");
  let text = words.join(" ");
  if (words.length === 0) {
    if (process.stdin.isTTY) throw new UsageError("usage: jabterm send <jid> <text> (or the text on stdin)");
    text = await readText(process.stdin);
  }
  const settings = (() => {
    try {
      return ConfigStore.open(paths).settings();
    } catch {
      return undefined;
    }
  })();
  const logFile = (flags.logFile as string | undefined) ?? paths.logFile;
  const logger = createLogger({ file: logFile, level: logLevel ?? settings?.log_level ?? "warn", xml: Boolean(flags.xmlLog) });
  try {
    return await runSend({ paths, socket: file, jid, text, account: flags.account as string | undefined, logger, note: (l) => process.stderr.write(`jabterm: ${l}\n`) });
  } finally {
    logger.close();
  }
}

/**
 * Ink (is-in-ci) and chalk (supports-color) decide when they are imported, from CI and
 * CONTINUOUS_INTEGRATION, to draw no live frames and no colours (even for CI=false). A person at a
 * terminal gets both whatever their shell exports: the two variables are hidden while the
 * interface's code loads, then put back for the programs jabterm starts (hooks, /exec, commands).
 */
async function loadInteractive(): Promise<typeof import("./interactive.js")> {
  const hidden: Record<string, string | undefined> = {};
  for (const key of ["CI", "CONTINUOUS_INTEGRATION"]) {
    if (key in process.env) {
      hidden[key] = process.env[key];
      delete process.env[key];
    }
  }
  try {
    return await import("./interactive.js");
  } finally {
    Object.assign(process.env, hidden);
  }
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const version = packageVersion();
  const tlsOff = "NODE_TLS_REJECT_UNAUTHORIZED"; // we refuse to start when it is "0"
  if (process.env[tlsOff] === "0") {
    process.stderr.write(`jabterm: refusing to start: ${tlsOff}=0 switches off certificate checks for the whole process. Unset it; trust a server per account with ca_file or fingerprint instead.\n`);
    return EXIT.connection;
  }
  const flagSpec = Object.fromEntries(FLAGS.map((f) => [f.name, { type: f.type, shortFlag: f.shortFlag, isMultiple: f.isMultiple }]));
  let cli;
  try {
    cli = meow(helpText(version), {
      importMeta: import.meta,
      argv,
      flags: flagSpec as never,
      allowUnknownFlags: false,
      autoHelp: false,
      autoVersion: false,
      booleanDefault: undefined,
    });
  } catch (err) {
    return fail(new UsageError((err as Error).message));
  }
  const flags = cli.flags as Record<string, unknown>;
  if (flags.help) {
    process.stdout.write(`${helpText(version)}\n`);
    return EXIT.ok;
  }
  if (flags.version) {
    process.stdout.write(`${version}\n`);
    return EXIT.ok;
  }
  const logLevel = flags.logLevel as string | undefined;
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    return fail(new UsageError(`--${kebab("logLevel")} must be one of ${LOG_LEVELS.join(", ")}`));
  }
  const sub = cli.input[0];
  const subDef = SUBCOMMANDS.find((s) => s.name === sub);
  if (sub !== undefined && !subDef) return fail(new UsageError(`unknown subcommand ${sub} (see jabterm --help)`));
  for (const name of SUBCOMMAND_FLAGS) {
    const v = flags[name];
    if (v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0) && !subDef?.flags.includes(name)) {
      const owner = SUBCOMMANDS.find((s) => s.flags.includes(name))!;
      return fail(new UsageError(`--${kebab(name)} belongs to jabterm ${owner.name}`));
    }
  }
  if (subDef) {
    try {
      return await runSubcommand(subDef.name, cli.input.slice(1), flags, logLevel as LogLevel | undefined);
    } catch (err) {
      return fail(err);
    }
  }

  let release: (() => void) | undefined;
  try {
    const paths = resolvePaths({ configDir: flags.configDir as string | undefined, dataDir: flags.dataDir as string | undefined });
    const config = ConfigStore.open(paths);
    ensurePrivateDir(paths.dataDir);
    const lock = await acquireLock(paths.lockFile);
    release = () => lock.release();
    const settings = config.settings();
    const logFile = (flags.logFile as string | undefined) ?? paths.logFile;
    const logger = createLogger({ file: logFile, level: (logLevel as LogLevel | undefined) ?? settings.log_level, xml: Boolean(flags.xmlLog) || settings.xml_log });
    for (const a of config.accounts()) if (a.password) logger.addSecret(a.password);
    for (const w of [...config.warnings(), ...logger.warnings]) process.stderr.write(`jabterm: warning: ${w}\n`);
    const client = createClient({ config, logger, dataDir: paths.dataDir, storeNotify: flags.headless ? "sync" : "frame", autoAway: !flags.headless });
    installScripting(client);
    const exec = (flags.exec as string[] | undefined) ?? [];
    let quitRequest: (() => void) | undefined;
    let onControlResult: ((r: CommandResult) => void) | undefined;
    let control: ControlServer | undefined;
    try {
      control = await ControlServer.listen({ client, file: socketPath(paths), version, onQuit: () => quitRequest?.(), onResult: (r) => onControlResult?.(r) });
    } catch (err) {
      process.stderr.write(`jabterm: warning: ${toJabtermError(err).message}\n`);
    }
    const onQuitRequest = (q: () => void) => (quitRequest = q);
    const code = flags.headless
      ? await runHeadless({ client, stdin: process.stdin, stdout: process.stdout, exec, stay: Boolean(flags.stay), version, onQuitRequest })
      : // Ink and React load only for the interface: ctl, send and headless mode start faster without them.
        await (await loadInteractive()).runInteractive({ client, version, exec, dataDir: paths.dataDir, onQuitRequest, onControlResult: (h) => (onControlResult = h) });
    await control?.close({ code });
    logger.close();
    return code;
  } catch (err) {
    if (err instanceof JabtermError) return fail(err);
    return fail(err);
  } finally {
    release?.();
  }
}
