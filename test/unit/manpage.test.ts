import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { expect, test } from "vitest";

import { COMMANDS } from "../../src/core/commands/defs/index.js";
import { ACCOUNT_KEYS } from "../../src/core/config/schema.js";
import { renderManPage } from "../../src/docs/manpage.js";

const root = path.resolve(import.meta.dirname, "../..");
const version = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;

test("the committed man page is the one the declarations generate (run npm run man)", () => {
  expect(fs.readFileSync(path.join(root, "man/jabterm.1"), "utf8")).toBe(renderManPage(version));
});

test("the man page documents every command and account key", () => {
  const page = renderManPage(version);
  for (const c of COMMANDS) expect(page).toContain(`/${c.name}`);
  for (const k of ACCOUNT_KEYS) expect(page).toContain(`.B ${k.key.replace(/-/g, "\\-")}`);
  expect(page).not.toMatch(/\d{4}-\d\d-\d\d/); // deterministic: no build date
});

test("the man page has the sections a man page needs and renders without groff warnings", () => {
  const page = renderManPage(version);
  for (const section of ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SUBCOMMANDS", "COMMANDS", "CONFIGURATION", "FILES", "ENVIRONMENT", "EXIT STATUS"]) {
    expect(page).toContain(`.SH ${section}\n`);
  }
  for (const w of ["jabterm ctl", "jabterm send", "jabterm completion", "XDG_RUNTIME_DIR", "/alias add", "hook_message_in", ".SS Aliases"]) expect(page).toContain(w.replace(/-/g, "\\-"));
  const groff = spawnSync("groff", ["-man", "-Tutf8", "-ww", "-z"], { input: page, encoding: "utf8" });
  if (groff.error) return; // groff not installed: the drift test above still holds
  expect(groff.stderr).toBe("");
});

test("npm install -g installs the man page (package.json man field, file shipped)", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { man?: string[]; files?: string[] };
  expect(pkg.man).toEqual(["./man/jabterm.1"]);
  expect(pkg.files).toContain("man");
  expect(fs.existsSync(path.join(root, "man/jabterm.1"))).toBe(true);
});
