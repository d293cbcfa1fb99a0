/**
 * The real binary in headless mode against a real Prosody and real third-party clients (slixmpp).
 */
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { ConfigStore } from "../../src/core/config/config.js";
import { resolvePaths } from "../../src/core/config/paths.js";
import { runBinary, startHeadless, tempDirs, type Headless } from "../helpers/headless.js";
import { peerAvailable, startPeer, type Peer } from "../helpers/peer.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";

const run = prosodyAvailable() && peerAvailable() ? describe : describe.skip;

async function addAccount(h: Headless, server: ProsodyServer, name: string, jid: string, password: string) {
  for (const line of [
    `/account add ${jid} --name ${name}`,
    `/account set ${name} host 127.0.0.1`,
    `/account set ${name} port ${server.c2sPort}`,
    `/account set ${name} ca_file ${server.caFile}`,
    `/account set ${name} password ${password}`,
  ]) {
    const r = await h.command(line);
    expect(r.ok, `${line}: ${JSON.stringify(r.error)}`).toBe(true);
  }
}

run("headless mode", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  test("two accounts added by command, online at once, send to and receive from slixmpp on each", async () => {
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => server.createAccount()));
    const peers: Peer[] = await Promise.all([c, d].map((p) => startPeer({ jid: p!.jid, password: p!.password, port: server.c2sPort, caFile: server.caFile })));
    const h = startHeadless();
    try {
      const ready = await h.next((e) => e.event === "ready");
      expect(ready.v).toBe(1);
      expect(ready.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      await addAccount(h, server, "work", a!.jid, a!.password);
      await addAccount(h, server, "home", b!.jid, b!.password);

      const connected = await h.command("/connect --wait");
      expect(connected.ok).toBe(true);
      const work = await h.next((e) => e.event === "account" && e.account === "work" && e.status === "online");
      const home = await h.next((e) => e.event === "account" && e.account === "home" && e.status === "online");

      // -a picks the account; without it the first online account in configuration order (work).
      const sent1 = await h.command(`/msg -a home ${d!.jid} hello from home`);
      const sent2 = await h.command(`/msg ${c!.jid} it's "here" -- -a`);
      expect(sent1.data.account).toBe("home");
      expect(sent2.data.account).toBe("work");
      const got1 = await peers[1]!.nextMessage((m) => m.body === "hello from home");
      const got2 = await peers[0]!.nextMessage((m) => m.body === `it's "here" -- -a`);
      expect(got1.from).toBe(home.bound);
      expect(got2.from).toBe(work.bound);
      // the id jabterm reports is the id and origin-id on the wire
      expect(got1.id).toBe(sent1.data.id);
      expect(got1.origin_id).toBe(sent1.data.id);
      const out = await h.next((e) => e.event === "message" && e.direction === "out" && e.id === sent1.data.id);
      expect(out).toMatchObject({ account: "home", to: d!.jid, body: "hello from home", type: "chat" });
      await h.next((e) => e.event === "message_state" && e.id === sent1.data.id && e.state === "acked");

      await peers[0]!.send(work.bound, "to work \u202e[31m\u0085");
      await peers[1]!.send(home.bound, "to home");
      const inWork = await h.next((e) => e.event === "message" && e.direction === "in" && e.account === "work");
      const inHome = await h.next((e) => e.event === "message" && e.direction === "in" && e.account === "home");
      expect(inWork.from).toBe(peers[0]!.jid);
      // events carry the raw text received (JSON-escaped), bidi and C1 controls included
      expect(inWork.body).toBe("to work \u202e[31m\u0085");
      expect(h.events.lines.find((l) => l.includes('"account":"work","direction":"in"'))).toContain("\\u202e");
      expect(inHome).toMatchObject({ body: "to home", type: "chat", from: peers[1]!.jid });

      const list = await h.command("/account list");
      expect(list.data.map((r: { name: string; status: string }) => [r.name, r.status])).toEqual([
        ["work", "online"],
        ["home", "online"],
      ]);

      expect(await h.end()).toBe(0);
      // Secrets never appear in output or logs.
      const stdout = h.stdout();
      const log = fs.readFileSync(h.logFile, "utf8");
      for (const secret of [a!.password, b!.password]) {
        expect(stdout).not.toContain(secret);
        expect(log).not.toContain(secret);
        expect(h.stderr()).not.toContain(secret);
      }
      expect(stdout).toContain("/account set work password ***");
      // stdout is pure NDJSON, \n-terminated
      for (const line of stdout.split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      h.kill();
      await Promise.all(peers.map((p) => p.stop()));
    }
  });

  test("a message queued while the server is down is delivered exactly once after it returns", async () => {
    const [a, c] = await Promise.all([server.createAccount(), server.createAccount()]);
    const dirs = tempDirs();
    const cfg = ConfigStore.open(resolvePaths({ configDir: dirs.configDir, dataDir: dirs.dataDir, env: {} }));
    cfg.addAccount(a.jid, { name: "w" });
    for (const [k, v] of Object.entries({ host: "127.0.0.1", port: server.c2sPort, ca_file: server.caFile, password: a.password })) cfg.setAccountKey("w", k, String(v));
    cfg.setSetting("reconnect_min_delay", "100");
    cfg.setSetting("reconnect_max_delay", "500");
    await server.stop();
    const h = startHeadless({ dirs });
    let peer: Peer | undefined;
    try {
      await h.next((e) => e.event === "account" && e.account === "w" && e.retry_in !== undefined);
      const q = await h.command(`/msg -a w ${c.jid} while you were out`);
      expect(q.ok).toBe(true);
      expect(q.data.state).toBe("queued");
      await server.start();
      await h.next((e) => e.event === "account" && e.status === "online", 30_000);
      await h.next((e) => e.event === "message_state" && e.id === q.data.id && (e.state === "sent" || e.state === "acked"));
      peer = await startPeer({ jid: c.jid, password: c.password, port: server.c2sPort, caFile: server.caFile });
      const got = await peer.nextMessage((m) => m.body === "while you were out");
      expect(got.origin_id).toBe(q.data.id);
      // a later marker message proves nothing else is in flight before we count
      await h.command(`/msg -a w ${c.jid} marker`);
      await peer.nextMessage((m) => m.body === "marker");
      expect(peer.events.filter((e) => e.event === "message" && e.body === "while you were out")).toHaveLength(1);
      expect(await h.end()).toBe(0);
    } finally {
      h.kill();
      await peer?.stop();
    }
  });

  test("passwords come from password_command, or from a credential request answered with /password", async () => {
    const [a, b] = await Promise.all([server.createAccount(), server.createAccount()]);
    const dirs = tempDirs();
    fs.mkdirSync(dirs.dir, { recursive: true });
    const script = path.join(dirs.dir, "pw.sh");
    fs.writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' '${a.password}'\n`, { mode: 0o700 });
    const h = startHeadless({ dirs, args: ["--xml-log"] });
    try {
      for (const line of [
        `/account add ${a.jid} --name cmd`,
        `/account set cmd host 127.0.0.1`,
        `/account set cmd port ${server.c2sPort}`,
        `/account set cmd ca_file ${server.caFile}`,
        `/account set cmd password_command "${script}"`,
        `/account add ${b.jid} --name ask`,
        `/account set ask host 127.0.0.1`,
        `/account set ask port ${server.c2sPort}`,
        `/account set ask ca_file ${server.caFile}`,
      ]) {
        expect((await h.command(line)).ok, line).toBe(true);
      }
      await h.command("/connect cmd");
      await h.next((e) => e.event === "account" && e.account === "cmd" && e.status === "online");
      await h.command("/connect ask");
      const req = await h.next((e) => e.event === "credential");
      expect(req).toMatchObject({ account: "ask", jid: b.jid, reason: "needed" });
      const answered = await h.command(`/password ask ${b.password}`);
      expect(answered.ok).toBe(true);
      expect(answered.input).toBe("/password ask ***");
      await h.next((e) => e.event === "account" && e.account === "ask" && e.status === "online");
      expect((await h.command("/password ask again")).ok).toBe(false); // nothing pending any more
      expect(await h.end()).toBe(0);
      const log = fs.readFileSync(h.logFile, "utf8");
      expect(log).toContain('"level":"xml"'); // the traffic log is on ...
      expect(log).toContain("<auth");
      for (const secret of [a.password, b.password]) {
        expect(log).not.toContain(secret); // ... and redacts credentials
        expect(h.stdout()).not.toContain(secret);
      }
      expect(fs.statSync(h.logFile).mode & 0o777).toBe(0o600);
    } finally {
      h.kill();
    }
  });

  test("/connect --wait reports an account that did not come online (wrong password: auth)", async () => {
    const a = await server.createAccount();
    const h = startHeadless();
    try {
      await addAccount(h, server, "bad", a.jid, "wrong-password");
      const r = await h.command("/connect bad --wait");
      expect(r.ok).toBe(false);
      expect(r.error.code).toBe("auth");
      expect(r.error.text).toMatch(/bad: error/);
      expect(await h.end()).toBe(0);
    } finally {
      h.kill();
    }
  });

  test("headless mode has no keyboard to be idle at: no auto-away, even with a tiny auto_away", async () => {
    const a = await server.createAccount();
    const dirs = tempDirs();
    const cfg = ConfigStore.open(resolvePaths({ configDir: dirs.configDir, dataDir: dirs.dataDir, env: {} }));
    cfg.addAccount(a.jid, { name: "bot" });
    for (const [k, v] of Object.entries({ host: "127.0.0.1", port: server.c2sPort, ca_file: server.caFile, password: a.password, priority_away: -1 })) cfg.setAccountKey("bot", k, String(v));
    cfg.setSetting("auto_away", "1");
    const h = startHeadless({ dirs });
    try {
      await h.next((e) => e.event === "session" && e.account === "bot");
      // (an interactive client starts this session away, as the presence tests show)
      const own = h.all().filter((e) => e.event === "own_presence" && e.account === "bot");
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((e) => e.show === "online" && !e.auto)).toBe(true);
      expect(await h.end()).toBe(0);
      expect(h.all().filter((e) => e.event === "own_presence").every((e) => e.show === "online")).toBe(true);
    } finally {
      h.kill();
    }
  });

  test("messages left undelivered at EOF exit with status 6", async () => {
    const dirs = tempDirs();
    const cfg = ConfigStore.open(resolvePaths({ configDir: dirs.configDir, dataDir: dirs.dataDir, env: {} }));
    cfg.addAccount("nobody@localhost", { name: "n" });
    cfg.setAccountKey("n", "enabled", "false");
    cfg.setSetting("drain_timeout", "200");
    const h = startHeadless({ dirs });
    const q = await h.command("/msg -a n someone@localhost never sent");
    expect(q.data.state).toBe("queued");
    expect(await h.end()).toBe(6);
    const exit = h.all().find((e) => e.event === "exit")!;
    expect(exit.undelivered).toEqual([q.data.id]);
    expect(h.all().some((e) => e.event === "message_state" && e.id === q.data.id && e.state === "failed")).toBe(true);
  });
});

describe("command line and exit codes", () => {
  test("--version and --help", async () => {
    const v = await runBinary(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.resolve("package.json"), "utf8")).version);
    const h = await runBinary(["--help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("--headless");
  });

  test("an unknown flag is a usage error (2)", async () => {
    const r = await runBinary(["--headless", "--no-such-flag"]);
    expect(r.code).toBe(2);
  });

  test("a broken config file is a clear config error (3) and is left untouched", async () => {
    const dirs = tempDirs();
    fs.mkdirSync(dirs.configDir, { recursive: true, mode: 0o700 });
    const file = path.join(dirs.configDir, "config.json");
    const broken = '{ "accounts": [ { "jid": "a@b", } ] }';
    fs.writeFileSync(file, broken, { mode: 0o600 });
    const r = await runBinary(["--headless", "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir], "/account list\n");
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(file);
    expect(fs.readFileSync(file, "utf8")).toBe(broken);
  });

  const tlsOff = "NODE_TLS_REJECT_UNAUTHORIZED"; // jabterm must refuse to start when it is "0"
  test(`${tlsOff}=0 is refused (5)`, async () => {
    const r = await runBinary(["--headless"], "", { [tlsOff]: "0" });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`refusing to start: ${tlsOff}=0`);
  });

  test("a second jabterm on the same data dir is refused; a stale lock is taken over", async () => {
    const dirs = tempDirs();
    const first = startHeadless({ dirs, args: ["--stay"] });
    await first.next((e) => e.event === "ready");
    const second = await runBinary(["--headless", "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir], "");
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/another jabterm \(pid \d+\)/);
    first.kill(); // SIGKILL: the lock file stays behind
    await first.exited;
    const third = await runBinary(["--headless", "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir], "/account list\n");
    expect(third.code).toBe(0);
  });

  test("--exec runs commands once ready, before stdin, numbered on the same stream", async () => {
    const dirs = tempDirs();
    const r = await runBinary(["--headless", "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "-e", "/account add e@localhost --name e", "--exec", "/account list"], "/account list\n");
    expect(r.code).toBe(0);
    const cmds = r.stdout.trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.event === "command");
    expect(cmds.map((c) => [c.seq, c.source, c.ok])).toEqual([
      [1, "exec", true],
      [2, "exec", true],
      [3, "stdin", true],
    ]);
    expect(cmds[1].data.map((a: { name: string }) => a.name)).toEqual(["e"]);
  });

  test("a line that is not a command is an error event; secrets are redacted in the echo", async () => {
    const dirs = tempDirs();
    const r = await runBinary(["--headless", "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir], "hello\n/account add x@localhost --name x\n/account set x password hunter2 and more\n/nosuch\n");
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const cmds = events.filter((e) => e.event === "command");
    expect(cmds.map((c) => [c.seq, c.ok])).toEqual([
      [1, false],
      [2, true],
      [3, true],
      [4, false],
    ]);
    expect(cmds[2].input).toBe("/account set x password ***");
    expect(r.stdout).not.toContain("hunter2");
    expect(cmds[3].error.text).toMatch(/unknown command \/nosuch/);
  });
});
