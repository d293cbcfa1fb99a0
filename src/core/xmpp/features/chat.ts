/** One-to-one messaging: incoming messages, receipts/markers for the outbox, and more to come. */
import { parseMessage, parsePeerState } from "../../messaging/stanzas.js";
import type { FeatureContext } from "./types.js";

export function installChat(ctx: FeatureContext): void {
  ctx.engine.on("stanza", ({ account, stanza }) => {
    if (stanza.name !== "message") return;
    const peer = parsePeerState(stanza);
    if (peer) ctx.outbox.onPeerState(account, peer.from, peer.id, peer.state);
    const msg = parseMessage(account, ctx.ownJid(account), stanza);
    if (msg) {
      ctx.publish("message", {
        account: msg.account,
        direction: msg.direction,
        from: msg.from,
        to: msg.to,
        id: msg.id,
        stanza_id: msg.stanzaId,
        type: msg.type,
        body: msg.body,
        subject: msg.subject,
        thread: msg.thread,
        delay: msg.delay,
        error: msg.error,
      });
    }
  });
}
