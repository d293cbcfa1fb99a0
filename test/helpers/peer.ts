/**
 * A real third-party XMPP client (slixmpp, test/helpers/peer.py) as a test peer.
 *
 *   const peer = await startPeer({ jid, password, port: server.c2sPort, caFile: server.caFile });
 *   await peer.send("alice@localhost", "hi");
 *   const msg = await peer.nextMessage((m) => m.body === "hello");
 *   await peer.stop();
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LineReader } from "./wait-for.js";

/** Debian's python, which has python3-slixmpp (the `python3` on PATH may not). */
export const PEER_PYTHON = process.env.JABTERM_TEST_PYTHON ?? "/usr/bin/python3";
export const PEER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "peer.py");

export interface PeerOptions {
  jid: string;
  password: string;
  port: number;
  caFile: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** How long to wait for "online" (default 15000 ms). */
  timeout?: number;
  /** slixmpp debug logging to the child's stderr (kept in `stderr()`). */
  debug?: boolean;
}

export interface PeerEvent {
  event: string;
  [key: string]: unknown;
}

export interface PeerMessage extends PeerEvent {
  event: "message";
  from: string;
  to: string;
  type: string;
  body: string | null;
  id: string | null;
  origin_id: string | null;
}

export interface PeerPresence extends PeerEvent {
  event: "presence";
  from: string;
  to: string;
  type: string;
  show: string | null;
  status: string | null;
  priority: number | null;
}

export interface Peer {
  /** Full JID the peer is bound to. */
  jid: string;
  /** All events printed so far, in order. */
  events: PeerEvent[];
  /** Sends a message; resolves with its id (also used as origin-id). */
  send(to: string, body: string, type?: string): Promise<string>;
  /** Sends presence (show: away/chat/dnd/xa, or omitted for available). */
  presence(opts?: { show?: string; status?: string; priority?: number }): Promise<void>;
  /** Sends a presence subscription request. */
  subscribe(to: string, nick?: string): Promise<void>;
  /** First message event not yet taken that matches (default: any with a body). */
  nextMessage(predicate?: (m: PeerMessage) => boolean, timeout?: number): Promise<PeerMessage>;
  /** First event not yet taken that matches. */
  nextEvent(predicate: (e: PeerEvent) => boolean, timeout?: number): Promise<PeerEvent>;
  /** Sends quit, waits for exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** The child's stderr so far. */
  stderr(): string;
  process: ChildProcess;
}

let available: boolean | undefined;
/** True when /usr/bin/python3 can import slixmpp (Debian python3-slixmpp). */
export function peerAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync(PEER_PYTHON, ["-c", "import slixmpp"], { stdio: "ignore", timeout: 20_000 });
    available = r.status === 0;
  }
  return available;
}

const live = new Set<ChildProcess>();
let exitHandlerInstalled = false;

function parse(line: string): PeerEvent | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (value && typeof value === "object" && "event" in value) return value as PeerEvent;
  } catch {
    // not JSON
  }
  return undefined;
}

export async function startPeer(opts: PeerOptions): Promise<Peer> {
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.on("exit", () => {
      for (const child of live) child.kill("SIGKILL");
    });
  }
  const args = [
    "-u",
    PEER_SCRIPT,
    // --opt=value: a value starting with "-" must not look like an option to argparse.
    `--jid=${opts.jid}`,
    `--password=${opts.password}`,
    `--host=${opts.host ?? "127.0.0.1"}`,
    `--port=${opts.port}`,
    `--ca=${opts.caFile}`,
  ];
  if (opts.debug) args.push("--debug");
  const child = spawn(PEER_PYTHON, args, {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  live.add(child);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  // EPIPE when the child is gone is reported by the exit checks, not as a crash.
  child.stdin!.on("error", () => undefined);

  const reader = new LineReader(child.stdout!);
  const events: PeerEvent[] = [];
  // Lines and events stay in step: every event comes from exactly one line.
  child.stdout!.on("data", () => {
    while (events.length < reader.lines.length) {
      const ev = parse(reader.lines[events.length]!);
      events.push(ev ?? { event: "raw", line: reader.lines[events.length]! });
    }
  });
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      live.delete(child);
      resolve();
    });
    child.once("error", () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });

  const lineOf = (pred: (e: PeerEvent) => boolean) => (line: string) => {
    const ev = parse(line);
    return ev !== undefined && pred(ev);
  };

  const write = (obj: unknown): void => {
    if (exited) throw new Error(`peer ${opts.jid} has exited. stderr:\n${stderr}`);
    child.stdin!.write(JSON.stringify(obj) + "\n");
  };

  const nextEvent = async (pred: (e: PeerEvent) => boolean, timeout = 10_000): Promise<PeerEvent> => {
    try {
      return parse(await reader.next(lineOf(pred), timeout))!;
    } catch (err) {
      throw new Error(`peer ${opts.jid}: ${err instanceof Error ? err.message : String(err)}\nstderr:\n${stderr}`);
    }
  };

  let online: PeerEvent;
  try {
    online = await nextEvent((e) => e.event === "online" || e.event === "error" || e.event === "disconnected", opts.timeout ?? 15_000);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  if (online.event !== "online") {
    child.kill("SIGKILL");
    throw new Error(`peer ${opts.jid} did not come online: ${JSON.stringify(online)}\nstderr:\n${stderr}`);
  }

  const peer: Peer = {
    jid: String(online.jid),
    events,
    process: child,
    stderr: () => stderr,
    async send(to, body, type = "chat") {
      write({ cmd: "send", to, body, type });
      const ev = await nextEvent((e) => e.event === "sent" || e.event === "error");
      if (ev.event !== "sent") throw new Error(`peer send failed: ${JSON.stringify(ev)}`);
      return String(ev.id);
    },
    async presence(p = {}) {
      write({ cmd: "presence", ...p });
      await nextEvent((e) => e.event === "presence_sent");
    },
    async subscribe(to, nick) {
      write({ cmd: "subscribe", to, nick });
      await nextEvent((e) => e.event === "subscribe_sent");
    },
    async nextMessage(predicate = (m) => m.body !== null, timeout = 10_000) {
      return (await nextEvent(
        (e) => e.event === "message" && predicate(e as PeerMessage),
        timeout,
      )) as PeerMessage;
    },
    nextEvent,
    async stop() {
      if (!exited) {
        try {
          write({ cmd: "quit" });
          child.stdin!.end();
        } catch {
          // already gone
        }
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exitPromise;
        clearTimeout(timer);
      }
    },
  };
  return peer;
}
