/**
 * The real binary in a real terminal (tmux), typed at as a person would: log in against Prosody,
 * open a conversation, send and receive, switch tabs, resize, hostile text stays inert, quit.
 */
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { ConfigStore } from "../../src/core/config/config.js";
import { resolvePaths } from "../../src/core/config/paths.js";
import { BIN, tempDirs } from "../helpers/headless.js";
import { peerAvailable, startPeer, type Peer } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";
import { startTerminal, tmuxAvailable, type Terminal } from "../helpers/tmux.js";

const run = prosodyAvailable() && peerAvailable() && tmuxAvailable() ? describe : describe.skip;

run("the full-screen interface in tmux", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  function configure(accounts: { name: string; jid: string; password: string }[]) {
    const dirs = tempDirs("jabterm-tui-");
    const cfg = ConfigStore.open(resolvePaths({ configDir: dirs.configDir, dataDir: dirs.dataDir, env: {} }));
    for (const a of accounts) {
      cfg.addAccount(a.jid, { name: a.name });
      for (const [k, v] of Object.entries({ host: "127.0.0.1", port: String(server.c2sPort), ca_file: server.caFile, password: a.password })) cfg.setAccountKey(a.name, k, v);
    }
    return dirs;
  }

  test("log in, chat with a slixmpp peer, switch tabs, resize, hostile text stays inert, quit cleanly", async () => {
    const [me, other, bob] = await Promise.all([server.createAccount(), server.createAccount(), server.createAccount()]);
    const dirs = configure([
      { name: "work", jid: me.jid, password: me.password },
      { name: "home", jid: other.jid, password: other.password },
    ]);
    const peer: Peer = await startPeer({ jid: bob.jid, password: bob.password, port: server.c2sPort, caFile: server.caFile });
    let term: Terminal | undefined;
    try {
      // The shell prints jabterm's exit status on the normal screen once the interface is gone.
      // The binary starts itself by its first lines, as npm's link does (node with its start flags).
      const cmd = [BIN, "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "--log-file", dirs.logFile].map((x) => `'${x}'`).join(" ");
      term = await startTerminal(["sh", "-c", `${cmd}; echo "JABTERM_EXIT=$?"`], { columns: 110, rows: 30, env: { CI: "true" } }); // a CI variable must not stop live frames (bin/jabterm.js)
      await term.waitFor(/work: online as/);
      await term.waitFor(/home: online as/);

      await term.type(`/chat -a work ${bob.jid}`);
      await term.keys("Enter");
      await term.waitFor(`work›${bob.jid}`);
      await term.type("hello from the terminal");
      await term.keys("Enter");
      const got = await peer.nextMessage((m) => m.body === "hello from the terminal");
      expect(got.from.startsWith(me.jid)).toBe(true);
      await term.waitFor(/me: hello from the terminal/);
      // The status line: the tab's account, online, with its lag (the server ping's round trip).
      await term.waitFor(/\[work: online · lag \d+ ms\]/);

      // A reply with hostile text that Prosody lets through (C1 CSI, bidi override): it shows
      // as inert placeholders and nothing in it acts on the terminal (the screen is not cleared).
      await peer.send(got.from, "reply \u009b2J\u009b31m \u202eevil\u202c done");
      const screen = await term.waitFor(/reply .* done/);
      expect(screen).toContain("‹CSI›2J‹CSI›31m ‹RLO›evil‹PDF› done");
      expect(screen).toContain("me: hello from the terminal");
      expect(screen).not.toMatch(/[\u0080-\u009f\u202a-\u202e]/);

      // Switch tabs with Alt-1 (console) and back with Alt-2.
      await term.keys("M-1");
      await term.waitFor(/» \/chat -a work/);
      await term.keys("M-2");
      await term.waitFor((s) => s.includes("me: hello from the terminal") && !s.includes("» /chat"));

      // Narrow terminal: the roster pane goes, the conversation stays.
      await term.resize(60, 15);
      await term.waitFor((s) => s.includes("hello from the terminal") && !s.includes("│"));
      await term.resize(110, 30);
      await term.waitFor((s) => s.includes("│"));

      await term.keys("C-c");
      await term.waitFor(/Press Ctrl-C again to quit/);
      await term.keys("C-c");
      const after = await term.waitFor(/JABTERM_EXIT=\d+/);
      expect(after).toContain("JABTERM_EXIT=0");
      // the terminal is back to the normal screen: none of the interface is left on it
      expect(after).not.toContain("Press Ctrl-C again");
      expect(after).not.toContain("│");
      // open tabs survive a restart
      expect(fs.readFileSync(path.join(dirs.dataDir, "ui-tabs.json"), "utf8")).toContain(bob.jid);
    } finally {
      await term?.kill();
      await peer.stop();
    }
  });

  test("Ctrl-Z suspends to the normal screen, SIGCONT brings the interface back", async () => {
    const dirs = configure([]);
    const cmd = [BIN, "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "--log-file", dirs.logFile].map((x) => `'${x}'`).join(" ");
    const term = await startTerminal(["sh", "-c", `echo BEFORE-JABTERM; ${cmd}; echo "JABTERM_EXIT=$?"`], { columns: 100, rows: 24, env: { CI: "true" } });
    try {
      await term.waitFor(/No accounts yet/);
      await term.keys("C-z");
      // Suspended: the normal screen is back (what the shell printed before), the interface gone.
      await term.waitFor((scr) => scr.includes("BEFORE-JABTERM") && !scr.includes("No accounts yet"));
      const { pid } = JSON.parse(fs.readFileSync(path.join(dirs.dataDir, "jabterm.lock"), "utf8")) as { pid: number };
      process.kill(pid, "SIGCONT");
      await term.waitFor(/No accounts yet/);
      await term.type("/help");
      await term.keys("Enter");
      await term.waitFor(/Type \/help <command> for details/); // keys work again (raw mode restored)
      await term.keys("C-c");
      await term.keys("C-c");
      expect(await term.waitFor(/JABTERM_EXIT=\d+/)).toContain("JABTERM_EXIT=0");
    } finally {
      await term.kill();
    }
  });

  test("NO_COLOR: attributes but no colours on the screen; without it, colours", async () => {
    const me = await server.createAccount();
    const dirs = configure([{ name: "work", jid: me.jid, password: me.password }]);
    const cmd = [BIN, "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "--log-file", dirs.logFile].map((x) => `'${x}'`).join(" ");
    // A colour in an SGR sequence: 30-37, 40-47, 90-97, 100-107, or an extended 38/48/58 one.
    const COLOUR = /\x1b\[(?:[0-9:]*;)*(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|[345]8)(?:[;:][0-9;:]*)?m/;
    for (const noColor of ["1", ""]) {
      const term = await startTerminal(["sh", "-c", cmd], { columns: 100, rows: 24, env: { CI: "true", NO_COLOR: noColor } });
      try {
        await term.waitFor(/work: online as/);
        // The roster's account row is bold and, with colours, in the account's colour; the
        // command line's cursor cell is in reverse video.
        const raw = await term.tmux("capture-pane", "-t", "t", "-p", "-e");
        expect(raw).toContain("work (online)");
        const styled = await term.styledScreen();
        expect(styled.some((r) => r.cells.some((c) => c.bold))).toBe(true);
        expect(styled.some((r) => r.cells.some((c) => c.inverse))).toBe(true);
        if (noColor) expect(raw).not.toMatch(COLOUR);
        else expect(raw).toMatch(COLOUR);
      } finally {
        await term.kill();
      }
    }
  });

  test("stdin that is not a terminal gets a clear message, not a crash", async () => {
    const { runBinary } = await import("../helpers/headless.js");
    const dirs = tempDirs();
    const r = await runBinary(["--config-dir", dirs.configDir, "--data-dir", dirs.dataDir], "");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--headless/);
  });
});
