/**
 * The line protocol that headless mode and the control socket both speak: slash commands in, one
 * per line; NDJSON out: every event the client publishes, and one `command` event per input line
 * carrying its `seq` (the line's number on this stream), `source`, the input (secrets redacted),
 * `ok`, `output` (sanitised lines for people), `data` (for machines) and `error`.
 *
 * Commands of one stream run one at a time, in order.
 */
import type { Writable } from "node:stream";

import type { JabtermClient, PublishedEvent } from "../core/client.js";
import type { CommandContext } from "../core/commands/context.js";
import { executeLine, type Execution } from "../core/commands/execute.js";
import { sanitize } from "../core/text/sanitize.js";
import { NDJSON_VERSION, NdjsonWriter } from "./ndjson.js";

export interface LineStreamOptions {
  ctx: CommandContext;
  out: Writable;
  /** Called after each command with its execution (hosts act on quit). */
  onResult?: (r: Execution) => void;
}

export class LineStream {
  readonly writer: NdjsonWriter;
  #seq = 0;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: LineStreamOptions) {
    this.writer = new NdjsonWriter(opts.out);
  }

  get client(): JabtermClient {
    return this.opts.ctx.client;
  }

  /** Write every published event to the stream until close(). */
  forwardEvents(): void {
    const onEvent = ({ event, ...fields }: PublishedEvent) => {
      if (!this.#closed) this.writer.write(event, fields);
    };
    this.client.on("event", onEvent);
    this.#unsubscribe = () => this.client.off("event", onEvent);
  }

  /** The `ready` event that opens a stream. */
  ready(version: string, extra: Record<string, unknown> = {}): void {
    this.writer.write("ready", { v: NDJSON_VERSION, version, accounts: this.client.engine.accounts().map((a) => a.name), ...extra });
  }

  /** Queue one input line; blank lines are numbered but produce nothing. */
  run(line: string, source: string, activity = false): Promise<void> {
    const n = ++this.#seq;
    this.#chain = this.#chain.then(async () => {
      if (this.#closed || this.#stopped) return;
      const trimmed = line.replace(/\r$/, "");
      if (trimmed.trim() === "") return;
      if (activity) this.client.noteActivity();
      const r = await executeLine(this.opts.ctx, trimmed);
      if (this.#closed) return;
      // `output` is for people (and `jq -r` prints it to a terminal): remote text in it is sanitised
      // here, one line per entry; `data` keeps the raw text for machines.
      this.writer.write("command", { seq: n, source, input: r.input, ok: r.ok, output: r.output.map((l) => sanitize(l)), data: r.data, error: r.error });
      this.opts.onResult?.(r);
    });
    return this.#chain;
  }

  /** Resolves when every queued line has run. */
  idle(): Promise<void> {
    return this.#chain.catch(() => {});
  }

  /** Run no more commands (queued lines that have not started are dropped); events still flow. */
  stop(): void {
    this.#stopped = true;
  }

  /** Stop writing anything (and running commands). */
  close(): void {
    this.#closed = true;
    this.#unsubscribe?.();
  }
}
