import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JabtermError } from "../../src/core/errors.js";
import { acquireLock } from "../../src/core/lock.js";

let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-lock-"));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

/** The PID of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid!;
  await new Promise<void>((resolve) => child.on("exit", () => resolve()));
  // Make sure it is really gone (reaped) before using it.
  expect(() => process.kill(pid, 0)).toThrow();
  return pid;
}

describe("acquireLock", () => {
  it("creates the lock 0600 with our pid, and release removes it", async () => {
    const file = path.join(tmp, "data", "jabterm.lock");
    const lock = await acquireLock(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const content = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(content.pid).toBe(process.pid);
    expect(typeof content.started).toBe("string");
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    lock.release(); // idempotent
  });

  it("a second acquire fails with a locked error naming pid and directory", async () => {
    const file = path.join(tmp, "jabterm.lock");
    const lock = await acquireLock(file);
    let err: unknown;
    try {
      await acquireLock(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JabtermError);
    expect((err as JabtermError).code).toBe("locked");
    expect((err as JabtermError).exitCode).toBe(3);
    expect((err as Error).message).toBe(
      `another jabterm (pid ${process.pid}) is using ${tmp}; stop it or pick another --data-dir`,
    );
    // the failed attempt did not disturb the held lock
    expect(JSON.parse(fs.readFileSync(file, "utf8")).pid).toBe(process.pid);
    lock.release();
    const again = await acquireLock(file);
    again.release();
  });

  it("reports a lock held by another live process", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      const file = path.join(tmp, "jabterm.lock");
      fs.writeFileSync(file, JSON.stringify({ pid: child.pid, started: new Date().toISOString() }));
      await expect(acquireLock(file)).rejects.toThrow(`another jabterm (pid ${child.pid}) is using ${tmp}`);
    } finally {
      child.kill();
    }
  });

  it("takes over a stale lock whose pid is dead", async () => {
    const file = path.join(tmp, "jabterm.lock");
    const pid = await deadPid();
    fs.writeFileSync(file, JSON.stringify({ pid, started: "2000-01-01T00:00:00.000Z" }));
    const lock = await acquireLock(file);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).pid).toBe(process.pid);
    expect(fs.existsSync(file + ".takeover")).toBe(false);
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
  });

  it("takes over a lock with garbage content", async () => {
    const file = path.join(tmp, "jabterm.lock");
    for (const garbage of ["", "not json", '{"pid":0}', '{"pid":-1}', '{"pid":"12"}']) {
      fs.writeFileSync(file, garbage);
      const lock = await acquireLock(file);
      expect(JSON.parse(fs.readFileSync(file, "utf8")).pid).toBe(process.pid);
      lock.release();
    }
  });

  it("only one of two concurrent takeovers of a stale lock wins", async () => {
    const file = path.join(tmp, "jabterm.lock");
    fs.writeFileSync(file, JSON.stringify({ pid: await deadPid() }));
    const results = await Promise.allSettled([acquireLock(file), acquireLock(file)]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(((lost[0] as PromiseRejectedResult).reason as JabtermError).code).toBe("locked");
    (won[0] as PromiseFulfilledResult<{ release(): void }>).value.release();
    expect(fs.existsSync(file)).toBe(false);
  });

  it("release does not remove a lock that is no longer ours", async () => {
    const file = path.join(tmp, "jabterm.lock");
    const lock = await acquireLock(file);
    fs.writeFileSync(file, JSON.stringify({ pid: 1, started: "x", token: "someone-else" }));
    lock.release();
    expect(fs.existsSync(file)).toBe(true);
  });

  it("a child process holding the lock blocks us and its exit releases it", async () => {
    const file = path.join(tmp, "jabterm.lock");
    const lockModule = path.resolve("src/core/lock.ts");
    const script = `
      const { acquireLock } = await import(${JSON.stringify(lockModule)});
      await acquireLock(${JSON.stringify(file)});
      process.stdout.write("locked\\n");
      process.stdin.on("data", () => process.exit(0));
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
        child.on("exit", (code) => reject(new Error(`child exited ${code}`)));
      });
      await expect(acquireLock(file)).rejects.toThrow(`pid ${child.pid}`);
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      child.stdin!.write("bye\n");
      await exited;
      expect(fs.existsSync(file)).toBe(false); // removed by the 'exit' handler
      const lock = await acquireLock(file);
      lock.release();
    } finally {
      child.kill();
    }
  });
});
