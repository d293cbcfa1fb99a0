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
import { FLAGS, helpText, kebab } from "./flags.js";
import { runHeadless } from "./headless.js";
import { runInteractive } from "./interactive.js";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function fail(err: unknown): number {
  const e = toJabtermError(err);
  process.stderr.write(`jabterm: ${e.message}\n`);
  return e.exitCode;
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
  if (cli.input.length > 0) {
    const sub = cli.input[0]!;
    const later = ["ctl", "send", "completion"];
    return fail(new UsageError(later.includes(sub) ? `jabterm ${sub} is not available yet` : `unknown subcommand ${sub} (see jabterm --help)`));
  }
  const logLevel = flags.logLevel as string | undefined;
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    return fail(new UsageError(`--${kebab("logLevel")} must be one of ${LOG_LEVELS.join(", ")}`));
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
    const exec = (flags.exec as string[] | undefined) ?? [];
    const code = flags.headless
      ? await runHeadless({ client, stdin: process.stdin, stdout: process.stdout, exec, stay: Boolean(flags.stay), version })
      : await runInteractive({ client, version, exec, dataDir: paths.dataDir });
    logger.close();
    return code;
  } catch (err) {
    if (err instanceof JabtermError) return fail(err);
    return fail(err);
  } finally {
    release?.();
  }
}
