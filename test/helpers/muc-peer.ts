/**
 * slixmpp as a room occupant (test/helpers/muc_peer.py): JSON commands in, JSON events out.
 *
 *   const p = await startMucPeer(server, account);
 *   await p.cmd({ cmd: "join", room, nick: "carol" }, "join_sent");
 *   await p.next((e) => e.event === "presence" && e.codes?.includes(110));
 */
import { startJsonPeer, type PeerLine } from "./json-peer.js";
import type { ProsodyAccount, ProsodyServer } from "./prosody.js";

export type MucPeerLine = PeerLine;

export interface MucPeer {
  jid: string;
  lines(): MucPeerLine[];
  /** Run a command and wait for its acknowledgement (`ack`: the event name, "sent" for send). */
  cmd(obj: Record<string, unknown>, ack?: string): Promise<MucPeerLine>;
  next(pred: (e: MucPeerLine) => boolean, timeout?: number): Promise<MucPeerLine>;
  stop(): Promise<void>;
}

export async function startMucPeer(server: ProsodyServer, account: ProsodyAccount): Promise<MucPeer> {
  const p = await startJsonPeer("muc_peer.py", server, account.jid, account.password, {
    ack: (obj) => (obj.cmd === "send" ? "sent" : `${String(obj.cmd)}_sent`),
    failed: (e) => e.event === "error" && e.error === "command_failed",
  });
  return { jid: p.jid, lines: () => p.lines, cmd: (obj, ack) => p.cmd(obj, ack), next: p.next, stop: p.stop };
}
