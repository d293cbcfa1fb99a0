/**
 * The layering rules of ../shared/ARCHITECTURE.md, checked on every run:
 * src/core never imports Ink or React, only src/core/xmpp/transport imports @xmpp/*, and only
 * src/core/crypto/openpgp imports openpgp.
 */
import fs from "node:fs";
import path from "node:path";

import { describe, expect, test } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TRANSPORT = path.join("src", "core", "xmpp", "transport");
const OPENPGP = path.join("src", "core", "crypto", "openpgp");

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return /\.(ts|tsx|js|mjs)$/.test(e.name) ? [rel] : [];
  });
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
function imports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const specs: string[] = [];
  for (const re of [/\bfrom\s+["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, /^\s*import\s+["']([^"']+)["']/gm, /\bdeclare module\s+["']([^"']+)["']/g]) {
    for (const m of text.matchAll(re)) specs.push(m[1]!);
  }
  return specs;
}

describe("architecture", () => {
  const files = sources("src");

  test("the scan sees the code base", () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files.some((f) => f.startsWith(TRANSPORT))).toBe(true);
  });

  test("src/core never imports Ink or React", () => {
    const offenders = files
      .filter((f) => f.startsWith(path.join("src", "core")))
      .flatMap((f) => imports(f).filter((s) => /^(ink|react)(\/|$)|^ink-/.test(s)).map((s) => `${f}: ${s}`));
    expect(offenders).toEqual([]);
  });

  test("only the transport folder imports @xmpp/*", () => {
    const offenders = files
      .filter((f) => !f.startsWith(TRANSPORT + path.sep))
      .flatMap((f) => imports(f).filter((s) => s.startsWith("@xmpp/")).map((s) => `${f}: ${s}`));
    expect(offenders).toEqual([]);
    // and the check itself can fail: the transport does import them
    expect(files.filter((f) => f.startsWith(TRANSPORT)).some((f) => imports(f).some((s) => s.startsWith("@xmpp/")))).toBe(true);
  });

  test("only src/core/crypto/openpgp imports openpgp", () => {
    const isOpenpgp = (s: string) => s === "openpgp" || s.startsWith("openpgp/");
    const offenders = files
      .filter((f) => !f.startsWith(OPENPGP + path.sep))
      .flatMap((f) => imports(f).filter(isOpenpgp).map((s) => `${f}: ${s}`));
    expect(offenders).toEqual([]);
    // and the check itself can fail: that folder does import it
    expect(files.filter((f) => f.startsWith(OPENPGP)).some((f) => imports(f).some(isOpenpgp))).toBe(true);
  });

  test("nothing switches TLS verification off process-wide", () => {
    const name = ["NODE", "TLS", "REJECT", "UNAUTHORIZED"].join("_"); // assignments we refuse to allow
    const assigns = new RegExp(`process\\.env(\\.${name}|\\[["']${name}["']\\])\\s*=(?!=)|rejectUnauthorized:\\s*false(?![^\\n]*refuse)`);
    const offenders = files.filter((f) => assigns.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
