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
