/**
 * Headless mode: slash commands in (stdin lines and --exec), NDJSON events out. Commands run one
 * at a time, in order. At stdin EOF (unless --stay) it waits, bounded by drain_timeout, for the
 * outbox to drain, then exits 0, or 6 when messages were left undelivered.
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

import type { JabtermClient } from "../core/client.js";
import type { CommandContext } from "../core/commands/context.js";
import { createRegistry } from "../core/commands/defs/index.js";
import { EXIT } from "../core/errors.js";
import { LineStream } from "./line-protocol.js";

export interface HeadlessOptions {
  client: JabtermClient;
  stdin: Readable;
  stdout: Writable;
  exec: string[];
  stay: boolean;
  version: string;
  /** Connect enabled accounts at start (default true). */
  autoConnect?: boolean;
  /** Receives a function that asks headless mode to stop (a /quit from the control socket). */
  onQuitRequest?: (quit: () => void) => void;
}

export async function runHeadless(opts: HeadlessOptions): Promise<number> {
  const { client } = opts;
  const registry = createRegistry(client);
  const ctx: CommandContext = {
    client,
    registry,
    host: "headless",
    currentAccount: () => client.engine.firstOnline(),
    currentConversation: () => undefined,
  };

  let quitting = false;
  let resolveQuit!: () => void;
  const quit = new Promise<void>((r) => (resolveQuit = r));
  const stream = new LineStream({
    ctx,
    out: opts.stdout,
    onResult: (r) => {
      if (r.result?.type === "quit" && !quitting) {
        quitting = true;
        stream.stop();
        resolveQuit();
      }
    },
  });
  opts.onQuitRequest?.(() => {
    quitting = true;
    stream.stop();
    resolveQuit();
  });
  stream.forwardEvents();

  stream.ready(opts.version);
  if (opts.autoConnect !== false) client.engine.connectEnabled();
  for (const e of opts.exec) void stream.run(e, "exec");

  const rl = createInterface({ input: opts.stdin, crlfDelay: Infinity, terminal: false });
  rl.on("line", (line) => void stream.run(line, "stdin", true));
  const eof = new Promise<void>((r) => rl.once("close", () => r()));
  const signals = new Promise<void>((r) => {
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(sig, () => r());
  });

  await Promise.race([opts.stay ? new Promise<void>(() => {}) : eof.then(() => stream.idle()), quit, signals]);
  rl.close();
  await stream.idle();

  const drainMs = client.config.settings().drain_timeout;
  const left = await client.drain(drainMs);
  for (const m of left) client.outbox.fail(m.id, `not delivered within drain_timeout (${drainMs} ms)`);
  await client.shutdown();
  stream.writer.write("exit", { code: left.length ? EXIT.undelivered : EXIT.ok, undelivered: left.map((m) => m.id) });
  stream.close();
  return left.length ? EXIT.undelivered : EXIT.ok;
}
