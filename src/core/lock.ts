/**
 * Single-instance lock on the data directory: `<dataDir>/jabterm.lock`, created exclusively
 * (O_CREAT|O_EXCL, mode 0600) and holding `{"pid":N,"started":"ISO time","token":"..."}`.
 *
 * If the file exists and its PID is alive (signal 0 succeeds, or fails with EPERM) the data
 * directory is in use → JabtermError("locked"). If the PID is dead, or the content is not a
 * lock (garbage, still garbage after a short wait so that a lock being written is not mistaken
 * for one), the lock is stale and is taken over. Takeover happens under a short-lived mutex
 * file (`jabterm.lock.takeover`, also created exclusively) and re-checks the lock under it, so
 * two processes finding the same stale lock cannot both win.
 *
 * The lock is released by `release()` and, as a fallback, on process 'exit'. It only removes
 * the file if it still holds our token.
 */

import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { JabtermError } from "./errors.js";
import { ensurePrivateDir } from "./config/paths.js";

export interface Lock {
  readonly file: string;
  /** Remove the lock (idempotent). */
  release(): void;
}

type Holder = { kind: "pid"; pid: number } | { kind: "garbage" } | { kind: "gone" };
type Seen = Holder & { text?: string };

const GARBAGE_RECHECK_MS = 100;
const MUTEX_RETRY_MS = 25;
const MAX_ATTEMPTS = 40;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseHolder(text: string): Holder {
  try {
    const o: unknown = JSON.parse(text);
    if (typeof o === "object" && o !== null) {
      const pid = (o as { pid?: unknown }).pid;
      // pid <= 0 would make kill() signal a process group: never trust it.
      if (typeof pid === "number" && Number.isSafeInteger(pid) && pid > 0) return { kind: "pid", pid };
    }
  } catch {
    // fall through
  }
  return { kind: "garbage" };
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

async function readHolder(file: string): Promise<Seen> {
  const first = readText(file);
  if (first === undefined) return { kind: "gone" };
  const h = parseHolder(first);
  if (h.kind !== "garbage") return { ...h, text: first };
  // Possibly a lock that was just created and not yet written: look again shortly.
  await sleep(GARBAGE_RECHECK_MS);
  const second = readText(file);
  if (second === undefined) return { kind: "gone" };
  if (second !== first) return { kind: "gone" }; // it changed: start over
  return { ...parseHolder(second), text: second };
}

/** Create `file` exclusively with `content`; false if it already exists. */
function tryCreate(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    fs.writeSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function unlinkQuiet(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

function lockedError(lockFile: string, pid: number): JabtermError {
  const dataDir = path.dirname(lockFile);
  return new JabtermError(
    "locked",
    `another jabterm (pid ${pid}) is using ${dataDir}; stop it or pick another --data-dir`,
    { pid, lockFile, dataDir },
  );
}

function lockIOError(lockFile: string, err: unknown): JabtermError {
  return new JabtermError(
    "locked",
    `cannot create the lock file ${lockFile}: ${(err as Error).message}`,
    { lockFile },
    { cause: err },
  );
}

/** A takeover mutex left behind by a process that died while holding it (a tiny window). */
function clearDeadMutex(mutex: string): void {
  const text = readText(mutex);
  if (text === undefined) return;
  const h = parseHolder(text);
  if (h.kind === "pid" && isAlive(h.pid)) return;
  if (h.kind === "garbage") {
    try {
      if (Date.now() - fs.statSync(mutex).mtimeMs < 2000) return;
    } catch {
      return;
    }
  }
  unlinkQuiet(mutex);
}

export async function acquireLock(lockFile: string): Promise<Lock> {
  const file = path.resolve(lockFile);
  ensurePrivateDir(path.dirname(file));
  const token = randomUUID();
  const content = JSON.stringify({ pid: process.pid, started: new Date().toISOString(), token }) + "\n";
  const mutex = file + ".takeover";

  const make = (): Lock => {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      process.removeListener("exit", release);
      try {
        const text = readText(file);
        if (text !== undefined && text.includes(token)) fs.unlinkSync(file);
      } catch {
        // best effort
      }
    };
    process.on("exit", release);
    return { file, release };
  };

  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (tryCreate(file, content)) return make();
      const holder = await readHolder(file);
      if (holder.kind === "gone") continue;
      if (holder.kind === "pid" && isAlive(holder.pid)) throw lockedError(file, holder.pid);

      // Stale: take it over under the mutex, re-checking once we hold it.
      if (!tryCreate(mutex, content)) {
        clearDeadMutex(mutex);
        await sleep(MUTEX_RETRY_MS);
        continue;
      }
      try {
        // Only remove exactly the lock we judged stale; if it changed meanwhile, start over.
        const again = readText(file);
        if (again !== undefined) {
          if (again !== holder.text) continue;
          unlinkQuiet(file);
        }
        if (tryCreate(file, content)) return make();
      } finally {
        unlinkQuiet(mutex);
      }
    }
  } catch (err) {
    if (err instanceof JabtermError) throw err;
    throw lockIOError(file, err);
  }
  throw new JabtermError("locked", `could not acquire the lock ${file} (it keeps changing); try again`, { lockFile: file });
}
