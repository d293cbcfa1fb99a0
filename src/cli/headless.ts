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
import { executeLine } from "../core/commands/execute.js";
import { EXIT } from "../core/errors.js";
import { sanitize } from "../core/text/sanitize.js";
import { NDJSON_VERSION, NdjsonWriter } from "./ndjson.js";

export interface HeadlessOptions {
  client: JabtermClient;
  stdin: Readable;
  stdout: Writable;
  exec: string[];
  stay: boolean;
  version: string;
  /** Connect enabled accounts at start (default true). */
  autoConnect?: boolean;
}

export async function runHeadless(opts: HeadlessOptions): Promise<number> {
  const { client } = opts;
  const out = new NdjsonWriter(opts.stdout);
  const registry = createRegistry();
  const ctx: CommandContext = {
    client,
    registry,
    host: "headless",
    currentAccount: () => client.engine.firstOnline(),
    currentConversation: () => undefined,
  };

  client.on("event", ({ event, ...fields }) => out.write(event, fields));

  let seq = 0;
  let quitting = false;
  let chain = Promise.resolve();
  let resolveQuit!: () => void;
  const quit = new Promise<void>((r) => (resolveQuit = r));

  const run = (line: string, source: "stdin" | "exec") => {
    const n = ++seq;
    chain = chain.then(async () => {
      if (quitting) return;
      const trimmed = line.replace(/\r$/, "");
      if (trimmed.trim() === "") return;
      if (source === "stdin") client.noteActivity();
      const r = await executeLine(ctx, trimmed);
      // `output` is for people (and `jq -r` prints it to a terminal): remote text in it is sanitised
      // here, one line per entry; `data` keeps the raw text for machines.
      out.write("command", { seq: n, source, input: r.input, ok: r.ok, output: r.output.map((l) => sanitize(l)), data: r.data, error: r.error });
      if (r.result?.type === "quit") {
        quitting = true;
        resolveQuit();
      }
    });
  };

  out.write("ready", { v: NDJSON_VERSION, version: opts.version, accounts: client.engine.accounts().map((a) => a.name) });
  if (opts.autoConnect !== false) client.engine.connectEnabled();
  for (const e of opts.exec) run(e, "exec");

  const rl = createInterface({ input: opts.stdin, crlfDelay: Infinity, terminal: false });
  rl.on("line", (line) => run(line, "stdin"));
  const eof = new Promise<void>((r) => rl.once("close", () => r()));
  const signals = new Promise<void>((r) => {
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(sig, () => r());
  });

  await Promise.race([opts.stay ? new Promise<void>(() => {}) : eof.then(() => chain), quit, signals]);
  rl.close();
  await chain.catch(() => {});

  const drainMs = client.config.settings().drain_timeout;
  const left = await client.drain(drainMs);
  for (const m of left) client.outbox.fail(m.id, `not delivered within drain_timeout (${drainMs} ms)`);
  await client.shutdown();
  out.write("exit", { code: left.length ? EXIT.undelivered : EXIT.ok, undelivered: left.map((m) => m.id) });
  return left.length ? EXIT.undelivered : EXIT.ok;
}
