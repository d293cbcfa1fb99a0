/**
 * Condition-based waiting helpers for tests. Never sleep for a fixed time to
 * synchronise: poll a condition (with a deadline) or wait for an event.
 */
import net from "node:net";
import type { Readable } from "node:stream";

export interface WaitForOptions {
  /** Give up after this many milliseconds (default 10000). */
  timeout?: number;
  /** Poll interval in milliseconds (default 20). */
  interval?: number;
  /** Describes what is being waited for; included in the timeout error. */
  message?: string;
}

/**
 * Polls `check` until it returns (or resolves to) a truthy value and returns that value.
 * Exceptions thrown by `check` count as "not yet" (the last one is reported on timeout).
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeout = opts.timeout ?? 10_000;
  const interval = opts.interval ?? 20;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = opts.message ?? "condition";
      const cause =
        lastError === undefined
          ? ""
          : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`waitFor: timed out after ${timeout} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Resolves true if a TCP connection to host:port succeeds, false otherwise. */
export function canConnect(port: number, host = "127.0.0.1", timeout = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeout, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Waits until something accepts TCP connections on host:port. */
export async function waitForPort(port: number, host = "127.0.0.1", timeout = 10_000): Promise<void> {
  await waitFor(() => canConnect(port, host), {
    timeout,
    interval: 25,
    message: `port ${host}:${port} to accept connections`,
  });
}

/** Waits until nothing accepts TCP connections on host:port any more. */
export async function waitForPortClosed(port: number, host = "127.0.0.1", timeout = 10_000): Promise<void> {
  await waitFor(async () => !(await canConnect(port, host)), {
    timeout,
    interval: 25,
    message: `port ${host}:${port} to be closed`,
  });
}

interface LineWaiter {
  predicate: (line: string) => boolean;
  resolve: (line: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Collects the lines of a Readable (for example a child's stdout). `next()` returns the
 * first not yet consumed line matching a predicate, waiting for it if needed. Every line
 * stays in `lines` for assertions.
 */
export class LineReader {
  /** Every complete line seen so far, in order. */
  readonly lines: string[] = [];
  private readonly consumed = new Set<number>();
  private waiters: LineWaiter[] = [];
  private partial = "";
  private ended = false;

  constructor(readonly stream: Readable) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => this.push(chunk));
    stream.on("end", () => this.finish());
    stream.on("close", () => this.finish());
  }

  /** Everything read so far, joined (for error messages). */
  text(): string {
    return this.lines.join("\n") + (this.partial ? `\n${this.partial}` : "");
  }

  /**
   * Resolves with the first unconsumed line matching `predicate` (a function, a RegExp,
   * or a substring; default: any line) and marks it consumed.
   */
  next(
    predicate: ((line: string) => boolean) | RegExp | string = () => true,
    timeout = 10_000,
  ): Promise<string> {
    const test = toPredicate(predicate);
    const found = this.take(test);
    if (found !== undefined) return Promise.resolve(found);
    if (this.ended) {
      return Promise.reject(new Error(`LineReader: stream ended without a matching line. Output:\n${this.text()}`));
    }
    return new Promise<string>((resolve, reject) => {
      const waiter: LineWaiter = {
        predicate: test,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new Error(
              `LineReader: timed out after ${timeout} ms waiting for a line matching ${describe(predicate)}. Output so far:\n${this.text()}`,
            ),
          );
        }, timeout),
      };
      this.waiters.push(waiter);
    });
  }

  private take(test: (line: string) => boolean): string | undefined {
    for (let i = 0; i < this.lines.length; i++) {
      if (this.consumed.has(i)) continue;
      const line = this.lines[i]!;
      if (test(line)) {
        this.consumed.add(i);
        return line;
      }
    }
    return undefined;
  }

  private push(chunk: string): void {
    this.partial += chunk;
    let idx: number;
    while ((idx = this.partial.indexOf("\n")) >= 0) {
      const line = this.partial.slice(0, idx).replace(/\r$/, "");
      this.partial = this.partial.slice(idx + 1);
      this.addLine(line);
    }
  }

  private addLine(line: string): void {
    const index = this.lines.length;
    this.lines.push(line);
    for (const waiter of this.waiters) {
      let matches = false;
      try {
        matches = waiter.predicate(line);
      } catch {
        matches = false;
      }
      if (matches) {
        this.consumed.add(index);
        clearTimeout(waiter.timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(line);
        return;
      }
    }
  }

  private finish(): void {
    if (this.ended) return;
    if (this.partial) {
      const rest = this.partial;
      this.partial = "";
      this.addLine(rest);
    }
    this.ended = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`LineReader: stream ended without a matching line. Output:\n${this.text()}`));
    }
  }
}

function toPredicate(p: ((line: string) => boolean) | RegExp | string): (line: string) => boolean {
  if (typeof p === "function") return p;
  if (typeof p === "string") return (line) => line.includes(p);
  return (line) => {
    p.lastIndex = 0;
    return p.test(line);
  };
}

function describe(p: ((line: string) => boolean) | RegExp | string): string {
  if (typeof p === "function") return p.name ? `predicate ${p.name}` : "predicate";
  return typeof p === "string" ? JSON.stringify(p) : String(p);
}
