/**
 * Scripting against a real Prosody and a real slixmpp peer, through the real binary: a headless
 * instance driven over its control socket by `jabterm ctl`, its events streamed by
 * `jabterm ctl --follow`, `jabterm send` with and without a running instance, an event hook that
 * receives the event as JSON on stdin, a per-account startup script, and hostile text (a URL, a
 * message body) that never reaches a shell.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { ConfigStore } from "../../src/core/config/config.js";
import { resolvePaths } from "../../src/core/config/paths.js";
import { BIN, runBinary, startHeadless, tempDirs } from "../helpers/headless.js";
import { peerAvailable, startPeer, type Peer } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";
import { LineReader, waitFor } from "../helpers/wait-for.js";

const run = prosodyAvailable() && peerAvailable() ? describe : describe.skip;

type Dirs = ReturnType<typeof tempDirs>;

/** A program that records its arguments (one per line) and its stdin, each run in its own files. */
function recorder(dir: string, name: string): { program: string; runs: () => { args: string[]; stdin: string }[] } {
  const out = path.join(dir, `${name}-runs`);
  fs.mkdirSync(out, { recursive: true });
  const program = path.join(dir, `${name}.sh`);
  fs.writeFileSync(program, `#!/bin/sh\nf="${out}/$$"\nfor a in "$@"; do printf '%s\\n' "$a"; done > "$f.args"\ncat > "$f.stdin"\nmv "$f.args" "$f.done"\n`, { mode: 0o755 });
  return {
    program,
    runs: () =>
      fs
        .readdirSync(out)
        .filter((f) => f.endsWith(".done"))
        .map((f) => {
          const base = path.join(out, f.replace(/\.done$/, ""));
          return { args: fs.readFileSync(`${base}.done`, "utf8").split("\n").slice(0, -1), stdin: fs.readFileSync(`${base}.stdin`, "utf8") };
        }),
  };
}

run("scripting: control socket, ctl, send, hooks, /open", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  function configure(dirs: Dirs, me: { jid: string; password: string }, settings: Record<string, string> = {}, keys: Record<string, string> = {}) {
    const cfg = ConfigStore.open(resolvePaths({ configDir: dirs.configDir, dataDir: dirs.dataDir, env: {} }));
    cfg.addAccount(me.jid, { name: "work" });
    for (const [k, v] of Object.entries({ host: "127.0.0.1", port: String(server.c2sPort), ca_file: server.caFile, password: me.password, ...keys })) cfg.setAccountKey("work", k, v);
    for (const [k, v] of Object.entries(settings)) cfg.setSetting(k, v);
    return cfg;
  }
  const cli = (dirs: Dirs, args: string[], input = "") => runBinary([...args, "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "--log-file", dirs.logFile], input, { XDG_RUNTIME_DIR: dirs.runtimeDir });

  test("a headless instance driven by jabterm ctl and send, its events followed, hooks and the opener run without a shell", async () => {
    const [me, bob] = await Promise.all([server.createAccount(), server.createAccount()]);
    const dirs = tempDirs("jabterm-script-");
    fs.mkdirSync(dirs.dir, { recursive: true });
    const hook = recorder(dirs.dir, "hook");
    const opener = recorder(dirs.dir, "opener");
    const script = path.join(dirs.dir, "startup.jab");
    fs.writeFileSync(script, `# run at each fresh session\n\n/msg ${bob.jid} hello from the startup script\n`);
    const marker = path.join(dirs.dir, "PWNED");
    configure(
      dirs,
      me,
      { hook_message_in: `${hook.program} message-in-arg`, hook_subscription: `${hook.program} subscription-arg`, url_opener: `${opener.program} --new-tab`, highlight_words: "deploy" },
      { startup_script: script },
    );
    const peer: Peer = await startPeer({ jid: bob.jid, password: bob.password, port: server.c2sPort, caFile: server.caFile });
    const h = startHeadless({ dirs });
    let follower: ReturnType<typeof spawn> | undefined;
    try {
      const online = await h.next((e) => e.event === "account" && e.status === "online");
      // the startup script ran for the fresh session
      expect((await peer.nextMessage((m) => m.body === "hello from the startup script")).from).toBe(online.bound);
      await h.next((e) => e.event === "script" && e.ok === true && e.ran === 1);

      // The socket: in XDG_RUNTIME_DIR/jabterm, directory 0700, socket 0600.
      const sockDir = path.join(dirs.runtimeDir, "jabterm");
      const [sock] = fs.readdirSync(sockDir);
      expect(sock).toMatch(/^[0-9a-f]{16}\.sock$/);
      expect(fs.statSync(sockDir).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(sockDir, sock!)).mode & 0o777).toBe(0o600);

      // A follower streaming only message events (and the ready event that opens its stream).
      follower = spawn(process.execPath, [BIN, "ctl", "--follow", "--event", "message,ready", "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir], { env: { ...process.env, XDG_RUNTIME_DIR: dirs.runtimeDir }, stdio: ["ignore", "pipe", "pipe"] });
      const followed = new LineReader(follower.stdout!);
      const followerExit = new Promise<number>((r) => follower!.once("exit", (c) => r(c ?? -1)));
      expect(JSON.parse(await followed.next((l) => l.includes('"event":"ready"')))).toMatchObject({ v: 1, accounts: ["work"] });
      // ctl: commands run in the instance, output printed, exit 0.
      const sent = await cli(dirs, ["ctl", `/msg ${bob.jid} hello via ctl`, "/alias add tell /msg $1 $2-"]);
      expect(sent.stderr).toBe("");
      expect(sent.code).toBe(0);
      expect(sent.stdout).toMatch(/message to .* from work/);
      expect((await peer.nextMessage((m) => m.body === "hello via ctl")).from).toBe(online.bound);
      const followedOut = JSON.parse(await followed.next((l) => l.includes("hello via ctl"))) as Record<string, unknown>;
      expect(followedOut).toMatchObject({ event: "message", direction: "out", body: "hello via ctl" });
      await waitFor(() => h.all().some((e) => e.event === "message_state" && e.state === "acked"));

      // The alias expands in the instance; /exec -o sends a program's output to the conversation.
      expect((await cli(dirs, ["ctl", `/tell ${bob.jid} "said" through   an alias`])).code).toBe(0);
      await peer.nextMessage((m) => m.body === '"said" through   an alias');
      const exec = await cli(dirs, ["ctl", `/exec -o --to ${bob.jid} printf "%s\\n" "exec output" "second line"`]);
      expect(exec.code, exec.stderr).toBe(0);
      await peer.nextMessage((m) => m.body === "exec output\nsecond line");

      // A failing command: its message on stderr, the usage exit code, later commands not run.
      const bad = await cli(dirs, ["ctl", "/msg", "/alias add never /help"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/usage: \/msg/);
      expect((await cli(dirs, ["ctl", "/alias list"])).stdout).not.toContain("never");

      // Hostile text from the network: followed raw (escaped), handed to the hook on stdin only.
      const hostile = `deploy $(touch ${marker}) \`touch ${marker}\`; see https://evil.example/a;$(touch${"\u0020"}${marker})|x and file:///etc/passwd`;
      await peer.send(online.bound, hostile);
      const inbound = JSON.parse(await followed.next((l) => l.includes('"direction":"in"'))) as Record<string, unknown>;
      expect(inbound.body).toBe(hostile);
      const hookRun = await waitFor(() => hook.runs().find((r) => r.args[0] === "message-in-arg"));
      expect(hookRun.args).toEqual(["message-in-arg"]); // exactly the configured argv
      const hookEvent = JSON.parse(hookRun.stdin) as Record<string, unknown>;
      expect(hookEvent).toMatchObject({ hook: "message_in", event: "message", direction: "in", body: hostile, account: "work" });

      // /open lists the URLs of the conversation and opens one: the opener gets -- and the URL as one argument.
      const list = await cli(dirs, ["ctl", `/open --to ${bob.jid}`]);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain("1. https://evil.example/a;$(touch");
      expect(list.stdout).not.toContain("file:");
      const opened = await cli(dirs, ["ctl", `/open --to ${bob.jid} 1`]);
      expect(opened.code).toBe(0);
      const openRun = await waitFor(() => opener.runs()[0]);
      expect(openRun.args).toEqual(["--new-tab", "--", "https://evil.example/a;$(touch"]);
      // schemes outside the allowlist are refused before anything runs
      for (const url of ["file:///etc/passwd", "javascript:alert(1)", "-oProxyCommand=touch"]) {
        const refused = await cli(dirs, ["ctl", `/open ${url}`]);
        expect(refused.code, url).toBe(2);
      }
      expect(opener.runs()).toHaveLength(1);

      // A subscription request with a hostile nick (XEP-0172) runs its hook: the nick is in the JSON on stdin, nowhere else.
      const nick = `$(touch ${marker})\`touch ${marker}\`;touch ${marker}`;
      await peer.subscribe(me.jid, nick);
      const subRun = await waitFor(() => hook.runs().find((r) => r.args[0] === "subscription-arg"));
      expect(subRun.args).toEqual(["subscription-arg"]);
      expect(JSON.parse(subRun.stdin)).toMatchObject({ hook: "subscription", event: "subscription_request", jid: bob.jid, nick });

      // jabterm send through the running instance: from the argument, and several lines from stdin.
      const viaArg = await cli(dirs, ["send", bob.jid, "sent", "by", "jabterm", "send"]);
      expect(viaArg.code, viaArg.stderr).toBe(0);
      expect(viaArg.stderr).toContain("through the running jabterm");
      expect((await peer.nextMessage((m) => m.body === "sent by jabterm send")).from).toBe(online.bound);
      const viaStdin = await cli(dirs, ["send", bob.jid], "first line\nsecond \\n line\n");
      expect(viaStdin.code, viaStdin.stderr).toBe(0);
      await peer.nextMessage((m) => m.body === "first line\nsecond \\n line");

      // No shell ever ran any of it.
      expect(fs.existsSync(marker)).toBe(false);

      // The instance quits on /quit from ctl; the follower sees the exit and ends with 0.
      expect((await cli(dirs, ["ctl", "/quit"])).code).toBe(0);
      expect(await h.exited).toBe(0);
      expect(await followerExit).toBe(0);
      // only what --event asked for
      expect(new Set(followed.lines.map((l) => (JSON.parse(l) as { event: string }).event))).toEqual(new Set(["ready", "message"]));
      expect(fs.existsSync(path.join(sockDir, sock!))).toBe(false);
    } finally {
      follower?.kill("SIGKILL");
      h.kill();
      await peer.stop();
    }
  });

  test("jabterm send without a running instance connects, waits for the server's ack and exits 0; ctl says no instance runs", async () => {
    const [me, bob] = await Promise.all([server.createAccount(), server.createAccount()]);
    const dirs = tempDirs("jabterm-send-");
    configure(dirs, me);
    const peer: Peer = await startPeer({ jid: bob.jid, password: bob.password, port: server.c2sPort, caFile: server.caFile });
    try {
      const r = await cli(dirs, ["send", bob.jid, "one shot"]);
      expect(r.code, r.stderr).toBe(0);
      const got = await peer.nextMessage((m) => m.body === "one shot");
      expect(got.from.startsWith(me.jid)).toBe(true);
      expect(fs.existsSync(path.join(dirs.dataDir, "jabterm.lock"))).toBe(false);

      const none = await cli(dirs, ["ctl", "/roster"]);
      expect(none.code).toBe(5);
      expect(none.stderr).toMatch(/no jabterm is running for this configuration/);

      const wrong = await cli(dirs, ["send", "-a", "nobody", bob.jid, "x"]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/no account "nobody"/);

      // No password and nobody to type one: a clear authentication error instead of waiting forever.
      const bare = tempDirs("jabterm-send-nopw-");
      const cfg = ConfigStore.open(resolvePaths({ configDir: bare.configDir, dataDir: bare.dataDir, env: {} }));
      cfg.addAccount(me.jid, { name: "work" });
      for (const [k, v] of Object.entries({ host: "127.0.0.1", port: String(server.c2sPort), ca_file: server.caFile })) cfg.setAccountKey("work", k, v);
      const nopw = await cli(bare, ["send", bob.jid, "x"]);
      expect(nopw.code).toBe(4);
      expect(nopw.stderr).toMatch(/work has no password/);
    } finally {
      await peer.stop();
    }
  });
});
