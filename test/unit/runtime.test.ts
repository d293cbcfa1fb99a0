import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, describe, expect, test } from "vitest";

import { NODE_START_FLAGS } from "../../src/cli/runtime.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(root, "bin/jabterm.js");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("the binary's launcher lines", () => {
  test("start node with the flags runtime.ts names, the script itself and every argument", () => {
    // A `node` first on PATH that writes down how it was started, then runs the real one.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-launcher-"));
    dirs.push(dir);
    const record = path.join(dir, "argv.json");
    fs.writeFileSync(
      path.join(dir, "node"),
      `#!/bin/sh\n${JSON.stringify(process.execPath)} -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))' ${JSON.stringify(record)} "$@"\nexec ${JSON.stringify(process.execPath)} "$@"\n`,
      { mode: 0o755 },
    );
    // Started the way npm's bin link starts it: through a symlink, by its first line.
    const link = path.join(dir, "jabterm");
    fs.symlinkSync(BIN, link);
    const out = execFileSync(link, ["--version", "an argument with spaces"], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: "utf8" });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(JSON.parse(fs.readFileSync(record, "utf8"))).toEqual([...NODE_START_FLAGS, link, "--version", "an argument with spaces"]);
  });

  test("node runs the file directly too (the first lines are a string and a comment to it)", () => {
    const out = execFileSync(process.execPath, [BIN, "--version"], { encoding: "utf8" });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
