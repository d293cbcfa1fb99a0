/**
 * `jabterm ctl`: talk to a running jabterm over its control socket. Commands given as arguments
 * (or, when there are none and stdin is not a terminal, one per line on stdin) run in order; their
 * output goes to stdout, errors to stderr, and the exit status is the first failing command's
 * (then the rest are not sent). `--follow` then streams the instance's events as NDJSON (only
 * those named with `--event`, when given) until the instance exits.
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

import { EXIT, JabtermError, type ErrorCode } from "../core/errors.js";
import { sanitize } from "../core/text/sanitize.js";
import { connectControl } from "./control-socket-client.js";

export interface CtlOptions {
  file: string;
  commands: string[];
  follow: boolean;
  /** Event names to stream with --follow (empty: all). */
  events: string[];
  /** Print the `command` events as NDJSON instead of their output. */
  json: boolean;
  stdout: Writable;
  stderr: Writable;
}

type Event = { event: string; seq?: number; ok?: boolean; output?: string[]; error?: { code: ErrorCode; text: string }; input?: string; code?: number };

/** Read commands from a non-terminal stdin, one per line. */
export async function readCommands(stdin: Readable): Promise<string[]> {
  const out: string[] = [];
  const rl = createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of rl) if (line.trim() !== "") out.push(line);
  return out;
}

export async function runCtl(opts: CtlOptions): Promise<number> {
  for (const c of opts.commands) {
    if (/[\r\n]/.test(c)) throw new JabtermError("usage", "a command is one line (use /msg --escapes for line breaks in a message)");
  }
  const socket = await connectControl(opts.file);
  socket.setEncoding("utf8");
  const lines = createInterface({ input: socket, crlfDelay: Infinity, terminal: false });
  lines.on("error", () => {}); // the socket's errors end the stream ("close")
  const wanted = new Set(opts.events);
  const show = (e: Event) => wanted.size === 0 || wanted.has(e.event);

  let sent = 0;
  let answered = 0;
  let code: number = EXIT.ok;
  let done = false;
  const sendNext = () => {
    if (sent < opts.commands.length) {
      socket.write(`${opts.commands[sent++]}\n`);
      return true;
    }
    return false;
  };
  const finish = () => {
    done = true;
    socket.end();
  };

  await new Promise<void>((resolve) => {
    let ready = false;
    lines.on("line", (line) => {
      if (done) return;
      let e: Event;
      try {
        e = JSON.parse(line) as Event;
      } catch {
        return;
      }
      if (opts.follow && show(e)) opts.stdout.write(`${line}\n`);
      if (e.event === "ready" && !ready) {
        ready = true;
        if (!sendNext() && !opts.follow) finish();
        return;
      }
      if (e.event === "command" && e.seq !== undefined && e.seq === sent) {
        answered++;
        if (!opts.follow) {
          if (opts.json) opts.stdout.write(`${line}\n`);
          else for (const l of e.output ?? []) opts.stdout.write(`${l}\n`);
        }
        if (!e.ok) {
          const err = new JabtermError(e.error?.code ?? "internal", e.error?.text ?? "failed");
          if (!opts.json || opts.follow) opts.stderr.write(`jabterm: ${sanitize(e.input ?? "")}: ${sanitize(err.message, { multiline: true })}\n`);
          code = err.exitCode;
          return finish();
        }
        if (!sendNext() && !opts.follow) finish();
      }
    });
    lines.on("close", () => resolve());
    // The reader went away (`jabterm ctl --follow | head -1`): stop quietly, like any filter.
    opts.stdout.on("error", () => {
      finish();
      socket.destroy();
      resolve();
    });
    socket.on("error", () => resolve());
    if (opts.follow) {
      const stop = () => finish();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    }
  });
  socket.destroy();
  if (!done && answered < opts.commands.length) {
    opts.stderr.write("jabterm: the instance closed the connection before answering\n");
    return EXIT.connection;
  }
  return code;
}
