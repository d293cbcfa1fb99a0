/**
 * Where jabterm keeps its files.
 *
 * Each directory is chosen by, in order of precedence:
 *   1. the explicit option (command line `--config-dir`, `--data-dir`, `--state-dir`);
 *   2. the environment variable JABTERM_CONFIG_DIR / JABTERM_DATA_DIR / JABTERM_STATE_DIR;
 *   3. `$XDG_CONFIG_HOME/jabterm`, `$XDG_DATA_HOME/jabterm`, `$XDG_STATE_HOME/jabterm`
 *      (a value that is not an absolute path is ignored, as the XDG Base Directory spec requires);
 *   4. `~/.config/jabterm`, `~/.local/share/jabterm`, `~/.local/state/jabterm`.
 *
 * Relative explicit / JABTERM_* values are resolved against the current directory.
 */

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "../errors.js";

export interface PathOptions {
  configDir?: string;
  dataDir?: string;
  stateDir?: string;
  /** Environment to read (default: process.env). HOME in it is honoured for `~`. */
  env?: NodeJS.ProcessEnv;
}

export interface Paths {
  configDir: string;
  dataDir: string;
  stateDir: string;
  /** configDir/config.json */
  configFile: string;
  /** dataDir/jabterm.lock */
  lockFile: string;
  /** stateDir/jabterm.log */
  logFile: string;
}

export const APP_DIR_NAME = "jabterm";

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v !== "" ? v : undefined;
}

function xdg(v: string | undefined): string | undefined {
  // XDG spec: "If an implementation encounters a relative path in any of these variables it
  // should consider the path invalid and ignore it."
  return v !== undefined && path.isAbsolute(v) ? v : undefined;
}

function homeDir(env: NodeJS.ProcessEnv): string {
  const h = env.HOME;
  return h && path.isAbsolute(h) ? h : os.homedir();
}

function pick(
  explicit: string | undefined,
  envVar: string | undefined,
  xdgBase: string | undefined,
  fallbackBase: string,
): string {
  const chosen = nonEmpty(explicit) ?? nonEmpty(envVar);
  if (chosen !== undefined) return path.resolve(chosen);
  return path.join(xdg(xdgBase) ?? fallbackBase, APP_DIR_NAME);
}

export function resolvePaths(opts: PathOptions = {}): Paths {
  const env = opts.env ?? process.env;
  const home = homeDir(env);
  const configDir = pick(opts.configDir, env.JABTERM_CONFIG_DIR, env.XDG_CONFIG_HOME, path.join(home, ".config"));
  const dataDir = pick(opts.dataDir, env.JABTERM_DATA_DIR, env.XDG_DATA_HOME, path.join(home, ".local", "share"));
  const stateDir = pick(opts.stateDir, env.JABTERM_STATE_DIR, env.XDG_STATE_HOME, path.join(home, ".local", "state"));
  return {
    configDir,
    dataDir,
    stateDir,
    configFile: path.join(configDir, "config.json"),
    lockFile: path.join(dataDir, "jabterm.lock"),
    logFile: path.join(stateDir, "jabterm.log"),
  };
}

export interface EnsureDirResult {
  path: string;
  /** The directory did not exist and was created (with any missing parents) mode 0700. */
  created: boolean;
  /** An existing directory we own was group/world accessible and was chmod'ed to 0700. */
  chmodded: boolean;
  /** Permission bits before the chmod (only when chmodded or when it could not be fixed). */
  previousMode?: number;
  /** A human-readable note for the user when something was fixed or could not be fixed. */
  warning?: string;
}

function octal(mode: number): string {
  return "0" + (mode & 0o777).toString(8).padStart(3, "0");
}

/**
 * `mkdir -p dir` with mode 0700; an existing directory that we own and that is group/world
 * accessible is chmod'ed to 0700. Throws ConfigError if the path exists and is not a directory
 * or cannot be created.
 */
export function ensurePrivateDir(dir: string): EnsureDirResult {
  const abs = path.resolve(dir);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new ConfigError(`${abs}: ${(err as Error).message}`, { path: abs }, { cause: err });
    }
  }
  if (st === undefined) {
    try {
      fs.mkdirSync(abs, { recursive: true, mode: 0o700 });
      // The umask can only remove bits from 0700, but be exact about the leaf.
      fs.chmodSync(abs, 0o700);
    } catch (err) {
      throw new ConfigError(`cannot create directory ${abs}: ${(err as Error).message}`, { path: abs }, { cause: err });
    }
    return { path: abs, created: true, chmodded: false };
  }
  if (!st.isDirectory()) {
    throw new ConfigError(`${abs} exists but is not a directory`, { path: abs });
  }
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0) return { path: abs, created: false, chmodded: false };
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (uid !== undefined && st.uid !== uid) {
    return {
      path: abs,
      created: false,
      chmodded: false,
      previousMode: mode,
      warning: `${abs} is accessible by other users (mode ${octal(mode)}) and is not ours to fix`,
    };
  }
  try {
    fs.chmodSync(abs, 0o700);
  } catch (err) {
    return {
      path: abs,
      created: false,
      chmodded: false,
      previousMode: mode,
      warning: `${abs} is accessible by other users (mode ${octal(mode)}) and could not be fixed: ${(err as Error).message}`,
    };
  }
  return {
    path: abs,
    created: false,
    chmodded: true,
    previousMode: mode,
    warning: `${abs} was accessible by other users (mode ${octal(mode)}); changed to 0700`,
  };
}

/** Make an existing file we own private (0600) if group/world can access it; returns a warning if anything was done. */
export function ensurePrivateFile(file: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (uid !== undefined && st.uid !== uid) {
    return `${file} is readable by other users (mode ${octal(mode)}) and is not ours to fix`;
  }
  try {
    fs.chmodSync(file, 0o600);
  } catch (err) {
    return `${file} is readable by other users (mode ${octal(mode)}) and could not be fixed: ${(err as Error).message}`;
  }
  return `${file} was readable by other users (mode ${octal(mode)}); changed to 0600`;
}
