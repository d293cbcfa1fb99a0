/**
 * The real binary refuses a damaged history database with a clear error and exit status 3,
 * leaving the file as it was (never a silent fresh start); the history files get their modes.
 */
import fs from "node:fs";
import path from "node:path";

import { expect, test } from "vitest";

import { runBinary, tempDirs } from "../helpers/headless.js";

test("a damaged history database: exit 3, the path named, the file untouched", async () => {
  const dirs = tempDirs();
  try {
    const dir = path.join(dirs.dataDir, "history");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, "history.db");
    const junk = Buffer.from("this is not a database ".repeat(400));
    fs.writeFileSync(file, junk, { mode: 0o600 });
    const r = await runBinary(["--headless", "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "--log-file", dirs.logFile], "");
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${file} is damaged`);
    expect(fs.readFileSync(file).equals(junk)).toBe(true);
  } finally {
    fs.rmSync(dirs.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
});

test("a first start creates the history 0600 in a 0700 directory", async () => {
  const dirs = tempDirs();
  try {
    const r = await runBinary(["--headless", "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "--log-file", dirs.logFile], "");
    expect(r.code).toBe(0);
    expect(fs.statSync(path.join(dirs.dataDir, "history")).mode & 0o777).toBe(0o700);
    for (const f of fs.readdirSync(path.join(dirs.dataDir, "history"))) expect([f, fs.statSync(path.join(dirs.dataDir, "history", f)).mode & 0o777]).toEqual([f, 0o600]);
  } finally {
    fs.rmSync(dirs.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
});
