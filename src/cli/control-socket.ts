/**
 * The control socket: a UNIX socket per running jabterm that speaks the headless line protocol
 * (slash commands in, NDJSON events and `command` results out, for as long as the client stays
 * connected). It lives in $XDG_RUNTIME_DIR/jabterm, or when that is unset (cron) in a private
 * per-user directory under the system temp dir; the directory must be ours and 0700 (it is
 * refused otherwise), the socket is 0600. The instance name comes from the config and data
 * directories, so the same --config-dir/--data-dir that pick an instance's files pick its socket.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

import type { JabtermClient } from "../core/client.js";
import type { CommandContext } from "../core/commands/context.js";
import { createRegistry } from "../core/commands/defs/index.js";
import type { CommandResult } from "../core/commands/types.js";
import type { Paths } from "../core/config/paths.js";
import { ConfigError } from "../core/errors.js";
import { LineStream } from "./line-protocol.js";

/** A follower that lets this much output pile up unread is cut off (it can reconnect). */
export const MAX_BACKLOG = 16 * 1024 * 1024;

/** The instance name: a stable digest of the (absolute) config and data directories. */
export function instanceName(paths: Pick<Paths, "configDir" | "dataDir">): string {
  return createHash("sha256").update(`${path.resolve(paths.configDir)}\0${path.resolve(paths.dataDir)}`).digest("hex").slice(0, 16);
}

/** The directory that holds the sockets. */
export function socketDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, "jabterm");
  const uid = typeof process.getuid === "function" ? process.getuid() : os.userInfo().uid;
  return path.join(os.tmpdir(), `jabterm-${uid}`);
}

export function socketPath(paths: Pick<Paths, "configDir" | "dataDir">, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(socketDir(env), `${instanceName(paths)}.sock`);
}

/** Create the socket directory 0700, or check that the existing one is a directory, ours and private. */
export function ensureSocketDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new ConfigError(`cannot create ${dir}: ${(err as Error).message}`, { path: dir });
  }
  const st = fs.lstatSync(dir);
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (!st.isDirectory()) throw new ConfigError(`${dir} is not a directory: no control socket`, { path: dir });
  if (uid !== undefined && st.uid !== uid) throw new ConfigError(`${dir} belongs to another user: no control socket`, { path: dir });
  if ((st.mode & 0o077) !== 0) throw new ConfigError(`${dir} is accessible by other users (mode 0${(st.mode & 0o777).toString(8)}): no control socket; make it 0700`, { path: dir });
}

/** Whether something listens on a socket path. */
export function probe(file: string, timeout = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(file);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeout);
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

export interface ControlOptions {
  client: JabtermClient;
  file: string;
  version: string;
  /** A client asked the instance to /quit. */
  onQuit?: () => void;
  /** Every successful command's result (the interface opens the conversations /chat asks for). */
  onResult?: (result: CommandResult) => void;
}

export class ControlServer {
  readonly file: string;
  readonly #server: net.Server;
  readonly #streams = new Set<{ stream: LineStream; socket: net.Socket }>();
  #ino = 0;

  private constructor(file: string, server: net.Server) {
    this.file = file;
    this.#server = server;
  }

  static async listen(opts: ControlOptions): Promise<ControlServer> {
    const { client, file } = opts;
    ensureSocketDir(path.dirname(file));
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(file);
    } catch {
      st = undefined;
    }
    if (st) {
      if (!st.isSocket()) throw new ConfigError(`${file} exists and is not a socket: no control socket`, { path: file });
      if (await probe(file)) throw new ConfigError(`another jabterm is listening on ${file}`, { path: file });
      fs.unlinkSync(file); // stale: its process is gone
    }
    const registry = createRegistry(client);
    const ctx: CommandContext = {
      client,
      registry,
      host: "ctl",
      currentAccount: () => client.engine.firstOnline(),
      currentConversation: () => undefined,
    };
    const server = net.createServer({ allowHalfOpen: true });
    const control = new ControlServer(file, server);
    server.on("connection", (socket) => control.#serve(socket, ctx, opts));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(file, () => {
        server.off("error", reject);
        resolve();
      });
    });
    fs.chmodSync(file, 0o600);
    control.#ino = fs.statSync(file).ino;
    return control;
  }

  #serve(socket: net.Socket, ctx: CommandContext, opts: ControlOptions): void {
    socket.setEncoding("utf8");
    const stream = new LineStream({
      ctx,
      out: socket,
      onResult: (r) => {
        // Whoever watches the instance (the console tab, headless output) sees what scripts did.
        opts.client.publish("control", { input: r.input, ok: r.ok, error: r.error?.text });
        if (r.result) opts.onResult?.(r.result);
        if (r.result?.type === "quit") opts.onQuit?.();
      },
    });
    const entry = { stream, socket };
    this.#streams.add(entry);
    const origWrite = socket.write.bind(socket);
    // A reader that stops reading is dropped rather than growing our memory without bound.
    socket.write = ((chunk: string, ...rest: never[]) => {
      if (socket.destroyed) return false;
      if (socket.writableLength > MAX_BACKLOG) {
        socket.destroy();
        return false;
      }
      return origWrite(chunk, ...rest);
    }) as typeof socket.write;
    stream.forwardEvents();
    stream.ready(opts.version, { instance: path.basename(this.file, ".sock") });
    const rl = createInterface({ input: socket, crlfDelay: Infinity, terminal: false });
    rl.on("line", (line) => void stream.run(line, "ctl"));
    rl.on("error", () => {}); // readline re-emits the socket's errors (a client gone): handled by "close"
    const end = () => {
      stream.close();
      this.#streams.delete(entry);
    };
    socket.on("error", end);
    socket.on("close", end);
    // Half-closed by the client (all its commands sent): answer them, then close our side.
    rl.on("close", () => {
      void stream.idle().then(() => {
        if (!socket.destroyed) socket.end();
      });
    });
  }

  /** Connected clients right now. */
  get connections(): number {
    return this.#streams.size;
  }

  /**
   * Stop listening, tell every connected client (an `exit` event with `fields`), close the
   * connections and remove the socket file (if it is still ours).
   */
  async close(fields?: Record<string, unknown>): Promise<void> {
    for (const { stream, socket } of this.#streams) {
      if (fields) stream.writer.write("exit", fields);
      stream.close();
      socket.end();
      // A client that never closes its side must not hold the exit up.
      setTimeout(() => socket.destroy(), 1000).unref();
    }
    this.#streams.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    try {
      if (fs.statSync(this.file).ino === this.#ino) fs.unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}
