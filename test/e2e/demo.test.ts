/**
 * `npm run demo` as a newcomer meets it, in a real terminal (tmux): alice and bob online with each
 * other and carol in their rosters, carol (scripts/demo-peer.ts) online with two resources and
 * answering; after Ctrl-C twice, nothing is left behind (server stopped, temp dir gone).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, test } from "vitest";

import { prosodyAvailable } from "../helpers/prosody.js";
import { startTerminal, tmuxAvailable, type Terminal } from "../helpers/tmux.js";
import { canConnect, waitFor } from "../helpers/wait-for.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = prosodyAvailable() && tmuxAvailable() && fs.existsSync(path.join(root, "dist/cli/main.js")) ? describe : describe.skip;

/** The temp dirs of Prosody servers whose owner is a process running scripts/demo.ts. */
function demoServerDirs(): string[] {
  return fs
    .readdirSync(os.tmpdir())
    .filter((n) => n.startsWith("jabterm-prosody-"))
    .map((n) => path.join(os.tmpdir(), n))
    .filter((dir) => {
      try {
        const owner = fs.readFileSync(path.join(dir, "owner.pid"), "utf8").trim();
        return fs.readFileSync(`/proc/${owner}/cmdline`, "utf8").includes("scripts/demo.ts");
      } catch {
        return false;
      }
    });
}

run("npm run demo", () => {
  test("contacts with presence and resources, a chat partner who answers, and a clean exit", async () => {
    const before = new Set(demoServerDirs());
    const cmd = `cd '${root}' && env -u CI -u CONTINUOUS_INTEGRATION '${process.execPath}' --import tsx scripts/demo.ts; echo "DEMO_EXIT=$?"`;
    let term: Terminal | undefined;
    try {
      term = await startTerminal(["sh", "-c", cmd], { columns: 120, rows: 32 });
      const hint = await term.waitFor(/Prosody on 127\.0\.0\.1:(\d+)/, 30_000);
      const port = Number(/Prosody on 127\.0\.0\.1:(\d+)/.exec(hint)![1]);
      // This demo's, not another one's running at the same time: its Prosody listens on that port.
      const ours = (d: string) => {
        try {
          return fs.readFileSync(path.join(d, "prosody.cfg.lua"), "utf8").includes(`c2s_ports = { ${port} }`);
        } catch {
          return false;
        }
      };
      const mine = await waitFor(() => demoServerDirs().find((d) => !before.has(d) && ours(d)), { message: "the demo's server dir" });

      // The roster pane: both accounts, each with the other two people, online.
      const rosterPane = (s: string) => s.split("\n").map((l) => (l.includes("│") ? l.slice(0, l.indexOf("│")) : ""));
      const screen = await term.waitFor((s) => {
        const pane = rosterPane(s).join("\n");
        return (pane.match(/Carol/g) ?? []).length >= 2 && pane.includes("Bob") && pane.includes("Alice") && /alice/.test(pane) && /bob/.test(pane);
      }, 30_000);
      const carolRows = rosterPane(screen).filter((l) => l.includes("Carol"));
      expect(carolRows.length).toBeGreaterThanOrEqual(2);
      for (const r of carolRows) expect(r).toMatch(/[●◉◐○⊘]/); // a presence glyph, not offline

      // A chat with carol: she answers (on her laptop, the higher-priority resource).
      await term.type("/chat -a alice carol@localhost");
      await term.keys("Enter");
      await term.waitFor("alice›carol@localhost");
      await term.type("hello carol");
      await term.keys("Enter");
      await term.waitFor("lorac olleh", 15_000);

      // Her two resources.
      await term.type("/info -a alice carol@localhost");
      await term.keys("Enter");
      await term.keys("M-1");
      const info = await term.waitFor(/2 resources/, 15_000);
      expect(info).toMatch(/laptop/);
      expect(info).toMatch(/phone/);

      // Quit: the demo stops carol and the server and removes its temp dir.
      await term.keys("C-c");
      await term.waitFor(/again to quit/);
      await term.keys("C-c");
      const after = await term.waitFor(/DEMO_EXIT=\d+/, 30_000);
      expect(after).toContain("DEMO_EXIT=0");
      expect(fs.existsSync(mine)).toBe(false);
      expect(await canConnect(port)).toBe(false);
    } finally {
      await term?.kill();
    }
  }, 90_000);
});
