/**
 * The control socket against a real client (no network): where it lives and who may use it,
 * the line protocol on each connection (own seq numbers, events for everyone), stale sockets,
 * and refusing a directory that is not private.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { Writable } from "node:stream";

import { afterEach, describe, expect, test } from "vitest";

import { runCtl } from "../../src/cli/ctl.js";
import { ControlServer, ensureSocketDir, instanceName, socketDir, socketPath } from "../../src/cli/control-socket.js";
import { tempClient } from "../helpers/engine.js";
import { LineReader } from "../helpers/wait-for.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-sock-"));
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }));
  return d;
}

async function connect(file: string) {
  const s = net.connect(file);
  s.on("error", () => {}); // the server ending first is part of some tests
  await new Promise((r) => s.once("connect", r));
  cleanup.push(() => void s.destroy());
  const lines = new LineReader(s);
  const json = async (pred: (e: Record<string, any>) => boolean) => JSON.parse(await lines.next((l) => pred(JSON.parse(l)))) as Record<string, any>;
  return { s, lines, json };
}

describe("where the socket lives", () => {
  test("the instance name follows the config and data directories; XDG_RUNTIME_DIR or a per-user temp dir", () => {
    const a = instanceName({ configDir: "/x/c", dataDir: "/x/d" });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(instanceName({ configDir: "/x/c/", dataDir: "/x/d" })).toBe(a);
    expect(instanceName({ configDir: "/x/c", dataDir: "/x/e" })).not.toBe(a);
    expect(socketPath({ configDir: "/x/c", dataDir: "/x/d" }, { XDG_RUNTIME_DIR: "/run/user/7" })).toBe(`/run/user/7/jabterm/${a}.sock`);
    expect(socketDir({})).toBe(path.join(os.tmpdir(), `jabterm-${process.getuid!()}`));
    expect(socketDir({ XDG_RUNTIME_DIR: "relative/dir" })).toBe(path.join(os.tmpdir(), `jabterm-${process.getuid!()}`));
  });

  test("a directory others can enter, or a symlink, is refused", () => {
    const d = tmp();
    const open = path.join(d, "open");
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    expect(() => ensureSocketDir(open)).toThrow(/accessible by other users/);
    const link = path.join(d, "link");
    fs.mkdirSync(path.join(d, "target"), { mode: 0o700 });
    fs.symlinkSync(path.join(d, "target"), link);
    expect(() => ensureSocketDir(link)).toThrow(/not a directory/);
    const fresh = path.join(d, "a", "jabterm");
    ensureSocketDir(fresh);
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o700);
  });
});

describe("the line protocol over the socket", () => {
  test("each connection gets ready, its own seq numbers and everyone's events; /quit asks the host to quit", async () => {
    const t = tempClient([]);
    cleanup.push(() => t.close());
    const file = path.join(tmp(), "run", "jabterm", "x.sock");
    let quits = 0;
    const server = await ControlServer.listen({ client: t.client, file, version: "9.9", onQuit: () => quits++ });
    cleanup.push(() => server.close());
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const a = await connect(file);
    const b = await connect(file);
    expect(await a.json((e) => e.event === "ready")).toMatchObject({ v: 1, version: "9.9", instance: "x" });
    await b.json((e) => e.event === "ready");
    a.s.write("/alias add hh /help\n/nonsense\n");
    b.s.write("/alias list\n");
    expect(await a.json((e) => e.event === "command" && e.seq === 1)).toMatchObject({ source: "ctl", ok: true, input: "/alias add hh /help" });
    expect(await a.json((e) => e.event === "command" && e.seq === 2)).toMatchObject({ ok: false, error: { code: "usage" } });
    expect((await b.json((e) => e.event === "command" && e.seq === 1)).ok).toBe(true);
    t.client.publish("presence", { account: "x", from: "bob@x/r", show: "away" });
    await a.json((e) => e.event === "presence");
    await b.json((e) => e.event === "presence");
    a.s.write("/quit\n");
    await a.json((e) => e.event === "command" && e.seq === 3);
    expect(quits).toBe(1);

    // A client that half-closes gets its answers, then the end of the stream.
    const c = await connect(file);
    c.s.end("/alias list\n");
    expect((await c.json((e) => e.event === "command" && e.seq === 1)).output).toEqual(["/hh → /help"]);
    await new Promise((r) => c.s.once("end", r));

    // Closing tells the clients and removes the socket.
    const exitSeen = a.json((e) => e.event === "exit");
    await server.close({ code: 0 });
    expect(await exitSeen).toMatchObject({ code: 0 });
    expect(fs.existsSync(file)).toBe(false);
  });

  test("a second server on a live socket is refused; a file that is not a socket is left alone", async () => {
    const t = tempClient([]);
    cleanup.push(() => t.close());
    const dir = path.join(tmp(), "run");
    const file = path.join(dir, "y.sock");
    const first = await ControlServer.listen({ client: t.client, file, version: "1" });
    cleanup.push(() => first.close());
    await expect(ControlServer.listen({ client: t.client, file, version: "1" })).rejects.toThrow(/another jabterm is listening/);
    const plain = path.join(dir, "z.sock");
    fs.writeFileSync(plain, "not a socket");
    await expect(ControlServer.listen({ client: t.client, file: plain, version: "1" })).rejects.toThrow(/not a socket/);
    expect(fs.readFileSync(plain, "utf8")).toBe("not a socket");
  });
});

describe("jabterm ctl", () => {
  test("runs commands in order, stops at the first failure with its exit code; --follow ends quietly when its reader goes away", async () => {
    const t = tempClient([]);
    cleanup.push(() => t.close());
    const file = path.join(tmp(), "run", "c.sock");
    const server = await ControlServer.listen({ client: t.client, file, version: "1" });
    cleanup.push(() => server.close());
    const sink = () => {
      let text = "";
      return { w: new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }), text: () => text };
    };
    const out = sink();
    const err = sink();
    const code = await runCtl({ file, commands: ["/alias add x1 /help", "/alias add msg /help", "/alias add x2 /help"], follow: false, events: [], json: false, stdout: out.w, stderr: err.w });
    expect(code).toBe(2);
    expect(out.text()).toBe("/x1 → /help\n");
    expect(err.text()).toMatch(/\/alias add msg \/help: \/msg is a command/);
    expect(Object.keys(t.config.aliases())).toEqual(["x1"]); // the third never ran

    // A reader that closes after the first line (| head -1): EPIPE ends the follower with 0.
    let writes = 0;
    const closing = new Writable({
      write: (_c, _e, cb) => (++writes === 1 ? cb() : cb(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }))),
    });
    const following = runCtl({ file, commands: [], follow: true, events: ["presence"], json: false, stdout: closing, stderr: err.w });
    await waitForConnections(server, 1);
    for (let i = 0; i < 3; i++) t.client.publish("presence", { account: "a", from: `p${i}@x` });
    expect(await following).toBe(0);
  });
});

async function waitForConnections(server: ControlServer, n: number) {
  const { waitFor } = await import("../helpers/wait-for.js");
  await waitFor(() => server.connections >= n);
}
