/**
 * A scripted slixmpp peer (a Python script in test/helpers) that takes JSON commands on stdin and
 * writes one JSON event per line on stdout: chat_peer.py, pgp_peer.py, muc_peer.py. Start it, run commands
 * (each answered by a "sent" or "error" line), wait for events, stop it; a test that dies leaves
 * no peer running.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { PEER_PYTHON } from "./peer.js";
import type { ProsodyServer } from "./prosody.js";
import { LineReader } from "./wait-for.js";

export interface PeerLine {
  event: string;
  [k: string]: unknown;
}

export interface JsonPeer {
  /** The full JID the peer is online as. */
  jid: string;
  /** Every line so far, parsed. */
  readonly lines: PeerLine[];
  /** Run a command; resolves with its acknowledgement (a "sent" line unless the peer says otherwise). */
  cmd(obj: Record<string, unknown>, ack?: string): Promise<PeerLine>;
  /** The first not yet taken line matching. */
  next(pred: (e: PeerLine) => boolean, timeout?: number): Promise<PeerLine>;
  /** Whether any message line so far has this body. */
  got(body: string): boolean;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

function parseLine(line: string): PeerLine | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return v && typeof v === "object" && "event" in v ? (v as PeerLine) : undefined;
  } catch {
    return undefined;
  }
}

export interface JsonPeerOptions {
  /** The event that acknowledges a command (default "sent"). */
  ack?: (cmd: Record<string, unknown>) => string;
  /** Whether a line says a command failed (default: any "error" line). */
  failed?: (e: PeerLine) => boolean;
}

/** Start `script` (a file name in test/helpers) as `jid` against the server; resolves once online. */
export async function startJsonPeer(script: string, server: ProsodyServer, jid: string, password: string, opts: JsonPeerOptions = {}): Promise<JsonPeer> {
  const ackOf = opts.ack ?? (() => "sent");
  const failed = opts.failed ?? ((e: PeerLine) => e.event === "error");
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), script);
  const name = path.basename(script, ".py").replace(/_/g, " ");
  const child = spawn(PEER_PYTHON, ["-u", file, `--jid=${jid}`, `--password=${password}`, `--port=${server.c2sPort}`, `--ca=${server.caFile}`], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  children.add(child);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin!.on("error", () => undefined);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => children.delete(child));
  const reader = new LineReader(child.stdout!);
  const next = async (pred: (e: PeerLine) => boolean, timeout = 10_000): Promise<PeerLine> => {
    try {
      return parseLine(
        await reader.next((l) => {
          const e = parseLine(l);
          return e !== undefined && pred(e);
        }, timeout),
      )!;
    } catch (err) {
      throw new Error(`${name} ${jid}: ${(err as Error).message}\nstderr:\n${stderr}`);
    }
  };
  const online = await next((e) => e.event === "online" || e.event === "error", 15_000);
  if (online.event !== "online") {
    child.kill("SIGKILL");
    throw new Error(`${name} ${jid} did not come online: ${JSON.stringify(online)}\n${stderr}`);
  }
  const peer: JsonPeer = {
    jid: String(online.jid ?? jid),
    get lines() {
      return reader.lines.map(parseLine).filter((e): e is PeerLine => e !== undefined);
    },
    async cmd(obj, ack = ackOf(obj)) {
      child.stdin!.write(JSON.stringify(obj) + "\n");
      const r = await next((e) => e.event === ack || failed(e));
      if (r.event !== ack) throw new Error(`${name} command failed: ${JSON.stringify(r)}`);
      return r;
    },
    next,
    got: (body) => peer.lines.some((e) => e.event === "message" && e.body === body),
    async stop() {
      if (child.exitCode !== null) return;
      try {
        child.stdin!.write(JSON.stringify({ cmd: "quit" }) + "\n");
        child.stdin!.end();
      } catch {
        // gone
      }
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return peer;
}
