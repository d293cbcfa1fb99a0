/**
 * The full-screen interface in tmux serves the control socket: `jabterm ctl "/msg ..."` is
 * delivered to a slixmpp peer through Prosody, `jabterm ctl --follow` streams the instance's
 * events (the peer's reply), a stale socket file is replaced, and `/quit` over the socket ends the
 * interface cleanly.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { socketPath } from "../../src/cli/control-socket.js";
import { ConfigStore } from "../../src/core/config/config.js";
import { resolvePaths } from "../../src/core/config/paths.js";
import { BIN, runBinary, tempDirs } from "../helpers/headless.js";
import { peerAvailable, startPeer, type Peer } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";
import { startTerminal, tmuxAvailable, type Terminal } from "../helpers/tmux.js";
import { LineReader, waitFor } from "../helpers/wait-for.js";

const run = prosodyAvailable() && peerAvailable() && tmuxAvailable() ? describe : describe.skip;

run("the interface driven over its control socket", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  test("jabterm ctl sends through the running interface, ctl --follow streams its events, /quit ends it", async () => {
    const [me, bob] = await Promise.all([server.createAccount(), server.createAccount()]);
    const dirs = tempDirs("jabterm-tuictl-");
    const cfg = ConfigStore.open(resolvePaths({ configDir: dirs.configDir, dataDir: dirs.dataDir, env: {} }));
    cfg.addAccount(me.jid, { name: "work" });
    for (const [k, v] of Object.entries({ host: "127.0.0.1", port: String(server.c2sPort), ca_file: server.caFile, password: me.password })) cfg.setAccountKey("work", k, v);

    // A socket file left by a killed instance (nothing listens on it) is replaced.
    const sock = socketPath(dirs, { XDG_RUNTIME_DIR: dirs.runtimeDir });
    fs.mkdirSync(path.dirname(sock), { recursive: true, mode: 0o700 });
    const killed = spawn(process.execPath, ["-e", "require('node:net').createServer().listen(process.argv[1]); setInterval(() => {}, 1000)", sock], { stdio: "ignore" });
    await waitFor(() => fs.existsSync(sock));
    killed.kill("SIGKILL");
    await new Promise((r) => killed.once("exit", r));
    expect(fs.statSync(sock).isSocket()).toBe(true);

    const peer: Peer = await startPeer({ jid: bob.jid, password: bob.password, port: server.c2sPort, caFile: server.caFile });
    let term: Terminal | undefined;
    let follower: ReturnType<typeof spawn> | undefined;
    const env = { XDG_RUNTIME_DIR: dirs.runtimeDir };
    const ctl = (...args: string[]) => runBinary(["ctl", ...args, "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir], "", env);
    try {
      const cmd = ["node", BIN, "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "--log-file", dirs.logFile].map((x) => `'${x}'`).join(" ");
      term = await startTerminal(["sh", "-c", `${cmd}; echo "JABTERM_EXIT=$?"`], { columns: 110, rows: 30, env: { CI: "false", ...env } });
      await term.waitFor(/work: online as/);

      follower = spawn(process.execPath, [BIN, "ctl", "--follow", "--event", "ready,message", "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      const followed = new LineReader(follower.stdout!);
      const followerExit = new Promise<number>((r) => follower!.once("exit", (c) => r(c ?? -1)));
      await followed.next((l) => l.includes('"event":"ready"'), 15_000);

      const sent = await ctl(`/msg ${bob.jid} hello from ctl`);
      expect(sent.code, sent.stderr).toBe(0);
      const got = await peer.nextMessage((m) => m.body === "hello from ctl");
      expect(got.from.startsWith(`${me.jid}/`)).toBe(true);
      // the person at the interface sees what the script did, in the console tab
      await term.waitFor(`jabterm ctl » /msg ${bob.jid} hello from ctl`);

      await peer.send(got.from, "reply to the interface");
      const reply = JSON.parse(await followed.next((l) => l.includes("reply to the interface"), 15_000)) as Record<string, unknown>;
      expect(reply).toMatchObject({ event: "message", direction: "in", account: "work", body: "reply to the interface" });
      // the interface shows the conversation the socket's command started (a tab for bob)
      await term.waitFor(new RegExp(`work›${bob.jid.replace(/[.]/g, "\\.")}`));

      // /chat over the socket opens the conversation in the interface (without taking the focus)
      const carol = "carol@example.org";
      expect((await ctl(`/chat -a work ${carol}`)).code).toBe(0);
      await term.waitFor(`work›${carol}`);

      // a command that fails: the exit status says so
      expect((await ctl("/win 1")).code).toBe(2); // windows belong to the person at the keyboard

      expect((await ctl("/quit")).code).toBe(0);
      expect(await term.waitFor(/JABTERM_EXIT=\d+/)).toContain("JABTERM_EXIT=0");
      expect(await followerExit).toBe(0);
      expect(fs.existsSync(sock)).toBe(false);
    } finally {
      follower?.kill("SIGKILL");
      await term?.kill();
      await peer.stop();
    }
  });
});
