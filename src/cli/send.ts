/**
 * `jabterm send <jid> [text]` (text from stdin when omitted), one-shot like sendxmpp. Through the
 * running instance when there is one (its control socket); otherwise it connects the account,
 * sends, waits for the server's acknowledgement (XEP-0198) and exits. Exit status: 0 acknowledged,
 * 6 not acknowledged within drain_timeout, 2/3/4/5 as usual (usage, config, authentication,
 * connection).
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

import { createClient } from "../core/client.js";
import { ConfigStore } from "../core/config/config.js";
import { ensurePrivateDir, type Paths } from "../core/config/paths.js";
import { EXIT, JabtermError, UsageError, type ErrorCode } from "../core/errors.js";
import { acquireLock } from "../core/lock.js";
import type { Logger } from "../core/logger.js";
import { cleanOutgoing } from "../core/text/sanitize.js";
import { sendChat } from "../core/xmpp/features/chat-send.js";
import { connectControl, NoInstanceError } from "./control-socket-client.js";

export interface SendOptions {
  paths: Paths;
  socket: string;
  jid: string;
  text: string;
  account?: string;
  logger?: Logger;
  /** Progress for people (stderr). */
  note: (line: string) => void;
}

/** Read the whole message text from stdin (one trailing newline dropped). */
export async function readText(stdin: Readable): Promise<string> {
  let text = "";
  stdin.setEncoding("utf8");
  for await (const chunk of stdin) text += chunk as string;
  return text.replace(/\r?\n$/, "");
}

const escapeText = (s: string) => s.replace(/\\/g, "\\\\").replace(/\r\n?/g, "\n").replace(/\n/g, "\\n").replace(/\t/g, "\\t");

/** Whether the outbox state means the server has the message. */
const DONE = new Set(["acked", "delivered", "displayed"]);

export async function runSend(opts: SendOptions): Promise<number> {
  const text = cleanOutgoing(opts.text);
  if (text.trim() === "") throw new UsageError("empty message (give the text as an argument or on stdin)");
  if (/\s/.test(opts.jid) || opts.jid.startsWith("-")) throw new UsageError(`not a JID: ${opts.jid}`);
  let timeout: number;
  try {
    timeout = ConfigStore.open(opts.paths).settings().drain_timeout;
  } catch {
    timeout = 10_000;
  }
  try {
    return await viaInstance(opts, text, timeout);
  } catch (err) {
    if (!(err instanceof NoInstanceError)) throw err;
  }
  return oneShot(opts, text, timeout);
}

async function viaInstance(opts: SendOptions, text: string, timeout: number): Promise<number> {
  const socket = await connectControl(opts.socket);
  socket.setEncoding("utf8");
  const lines = createInterface({ input: socket, crlfDelay: Infinity, terminal: false });
  lines.on("error", () => {}); // the socket's errors end the stream ("close")
  const states = new Map<string, string>();
  let id: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<number>((resolve, reject) => {
      lines.on("line", (line) => {
        let e: Record<string, any>;
        try {
          e = JSON.parse(line) as Record<string, any>;
        } catch {
          return;
        }
        if (e.event === "ready") {
          socket.write(`/msg ${opts.account ? `-a ${opts.account} ` : ""}--escapes ${opts.jid} ${escapeText(text)}\n`);
        } else if (e.event === "command" && e.seq === 1) {
          if (!e.ok) return reject(new JabtermError((e.error?.code as ErrorCode) ?? "internal", String(e.error?.text ?? "failed")));
          id = String(e.data?.id);
          opts.note(`${e.data?.state ?? "queued"} through the running jabterm (${e.data?.account}), waiting for the server`);
          timer = setTimeout(() => resolve(EXIT.undelivered), timeout);
          const seen = states.get(id);
          if (seen && DONE.has(seen)) resolve(EXIT.ok);
          if (seen === "failed") resolve(EXIT.undelivered);
        } else if (e.event === "message_state" && typeof e.id === "string") {
          states.set(e.id, e.state);
          if (e.id === id && DONE.has(e.state)) resolve(EXIT.ok);
          if (e.id === id && e.state === "failed") resolve(EXIT.undelivered);
        }
      });
      lines.on("close", () => resolve(id ? EXIT.undelivered : EXIT.connection));
    });
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

async function oneShot(opts: SendOptions, text: string, timeout: number): Promise<number> {
  const config = ConfigStore.open(opts.paths);
  ensurePrivateDir(opts.paths.dataDir);
  const lock = await acquireLock(opts.paths.lockFile);
  const client = createClient({ config, logger: opts.logger, dataDir: opts.paths.dataDir, storeNotify: "sync", autoAway: false });
  try {
    const accounts = config.accounts();
    const cfg = opts.account ? config.getAccount(opts.account) : (accounts.find((a) => a.enabled) ?? accounts[0]);
    if (!cfg) throw new UsageError(opts.account ? `no account "${opts.account}"` : "no accounts configured: add one with jabterm --headless -e '/account add <jid>'");
    const account = client.engine.get(cfg.name);
    // Nobody is there to type a password: a missing one ends the attempt with a clear error.
    const noPassword = new Promise<never>((_, reject) =>
      client.once("credential", (req) => reject(new JabtermError("auth", `${req.account} has no password: set password_command (or password) with /account set, or start jabterm and answer /password`))),
    );
    noPassword.catch(() => {});
    await Promise.race([account.connect(), noPassword]);
    if (!account.online) {
      const e = account.state.error;
      throw new JabtermError(e?.code ?? "connection", `${cfg.name}: ${e?.text ?? "could not connect"}`);
    }
    const msg = await sendChat(client, account, opts.jid, text);
    const left = await client.drain(timeout);
    if (left.some((m) => m.id === msg.id)) {
      client.outbox.fail(msg.id, `not acknowledged within drain_timeout (${timeout} ms)`);
      opts.note(`not acknowledged by the server within ${timeout} ms`);
      return EXIT.undelivered;
    }
    return EXIT.ok;
  } finally {
    await client.shutdown();
    lock.release();
  }
}
