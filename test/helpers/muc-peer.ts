/**
 * slixmpp as a room occupant (test/helpers/muc_peer.py): JSON commands in, JSON events out.
 *
 *   const p = await startMucPeer(server, account);
 *   await p.cmd({ cmd: "join", room, nick: "carol" }, "join_sent");
 *   await p.next((e) => e.event === "presence" && e.codes?.includes(110));
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

import { PEER_PYTHON } from "./peer.js";
import type { ProsodyAccount, ProsodyServer } from "./prosody.js";
import { LineReader } from "./wait-for.js";

const SCRIPT = path.join(import.meta.dirname, "muc_peer.py");

export interface MucPeerLine {
  event: string;
  [k: string]: unknown;
}

export interface MucPeer {
  jid: string;
  lines(): MucPeerLine[];
  /** Run a command and wait for its acknowledgement (`ack`: the event name, "sent" for send). */
  cmd(obj: Record<string, unknown>, ack?: string): Promise<MucPeerLine>;
  next(pred: (e: MucPeerLine) => boolean, timeout?: number): Promise<MucPeerLine>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

function parseLine(line: string): MucPeerLine | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return v && typeof v === "object" && "event" in v ? (v as MucPeerLine) : undefined;
  } catch {
    return undefined;
  }
}

export async function startMucPeer(server: ProsodyServer, account: ProsodyAccount): Promise<MucPeer> {
  const child = spawn(PEER_PYTHON, ["-u", SCRIPT, `--jid=${account.jid}`, `--password=${account.password}`, `--port=${server.c2sPort}`, `--ca=${server.caFile}`], {
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
  const next = async (pred: (e: MucPeerLine) => boolean, timeout = 10_000): Promise<MucPeerLine> => {
    try {
      return parseLine(
        await reader.next((l) => {
          const e = parseLine(l);
          return e !== undefined && pred(e);
        }, timeout),
      )!;
    } catch (err) {
      throw new Error(`muc peer ${account.jid}: ${(err as Error).message}\nstderr:\n${stderr}`);
    }
  };
  const online = await next((e) => e.event === "online" || e.event === "error", 15_000);
  if (online.event !== "online") {
    child.kill("SIGKILL");
    throw new Error(`muc peer ${account.jid} did not come online: ${JSON.stringify(online)}\n${stderr}`);
  }
  return {
    jid: String(online.jid),
    lines: () => reader.lines.map(parseLine).filter((e): e is MucPeerLine => e !== undefined),
    async cmd(obj, ack = obj.cmd === "send" ? "sent" : `${String(obj.cmd)}_sent`) {
      child.stdin!.write(JSON.stringify(obj) + "\n");
      const r = await next((e) => e.event === ack || (e.event === "error" && e.error === "command_failed"));
      if (r.event !== ack) throw new Error(`muc peer command failed: ${JSON.stringify(r)}`);
      return r;
    },
    next,
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
}
