/**
 * One-to-one messaging, incoming side, and the wiring of the conversations store:
 * - messages of every type (chat, normal, headline; groupchat is only published) into their
 *   conversation, with XEP-0203 delays, XEP-0245 /me, XEP-0308 corrections (from their own sender
 *   only), XEP-0085 chat states and XEP-0296 resource locks;
 * - XEP-0280 carbons: enabled at session start, accepted only from our own bare JID;
 * - XEP-0184 receipts (answered when `send_receipts` is on) and XEP-0333 markers, which move our
 *   messages' delivery state in the outbox; error replies fail the message they answer;
 * - the outbox's messages and state changes, mirrored into the conversations.
 * Outgoing commands live in chat-send.ts.
 */
import type { OpenedMessage } from "../../crypto/encryption.js";
import { bareJid, sameBareJid, tryParseJid } from "../../jid.js";
import {
  buildCarbonsEnable,
  buildReceipt,
  checkCarbon,
  parseChatState,
  parseDelay,
  parseMessage,
  parsePeerState,
  parseStanzaError,
  type ChatStateName,
  type IncomingMessage,
  type PeerStateUpdate,
} from "../../messaging/stanzas.js";
import { correctionVerdict, deliveryRank, findMessage, findOriginal, getConversation, type ConversationsAction } from "../../store/slices/conversations.js";
import { conversationKey } from "../../store/slices/rooms.js";
import type { ChatMessage } from "../../store/types.js";
import { NS } from "../ns.js";
import type { XmlElement } from "../transport/xml.js";
import { isSideStanza, publishConversation, sendSide } from "./chat-send.js";
import type { FeatureContext } from "./types.js";

type Carbon = "received" | "sent" | undefined;

/** How parseMessage chose a message's id: the sender's origin-id, the stanza id, or a fresh one. */
export function idKindOf(el: XmlElement): "origin" | "stanza" | "random" {
  if (el.getChild("origin-id", NS.sid)?.attrs.id) return "origin";
  return el.attrs.id ? "stanza" : "random";
}

/** A message as published in `message` events (snake_case, absent fields left out). */
export function messageView(account: string, m: ChatMessage, lock: string | undefined) {
  return {
    account,
    direction: m.direction,
    from: m.from,
    to: m.to,
    id: m.id,
    stanza_id: m.stanzaId,
    type: m.type,
    body: m.body,
    subject: m.subject,
    thread: m.thread,
    delay: m.delay,
    delay_issue: m.delayIssue,
    error: m.error,
    me: m.me,
    carbon: m.carbon,
    state: m.state,
    lock: lock ?? null,
    encryption: m.encryption,
    verified: m.verified,
    ox_kind: m.oxKind,
    crypto_note: m.cryptoNote,
  };
}

export function toChatMessage(msg: IncomingMessage, direction: "in" | "out", carbon: Carbon, now: Date, opened?: OpenedMessage): ChatMessage {
  const m: ChatMessage = { id: msg.id, direction, from: msg.from, to: msg.to, type: msg.type, body: msg.body, time: now.toISOString() };
  if (msg.delay) m.delay = msg.delay;
  if (msg.delayIssue) m.delayIssue = msg.delayIssue;
  if (msg.me) m.me = true;
  if (carbon) m.carbon = carbon;
  if (msg.stanzaId) m.stanzaId = msg.stanzaId;
  if (msg.wireId) m.wireId = msg.wireId;
  if (msg.markable) m.markable = true;
  if (msg.subject !== undefined) m.subject = msg.subject;
  if (msg.thread) m.thread = msg.thread;
  if (msg.error) m.error = msg.error;
  if (opened) {
    m.encryption = opened.scheme;
    m.verified = opened.verified;
    if (opened.oxKind) m.oxKind = opened.oxKind;
    if (opened.note) m.cryptoNote = opened.note;
  }
  return m;
}

export function installChat(ctx: FeatureContext): void {
  ctx.disco.add(NS.receipts, NS.markers, NS.chatstates, NS.correct, NS.carbons);

  const conversations = (account: string) => ctx.store.account(account).conversations;

  /** Dispatch; publish a `conversation` event where the lock changed. Returns whether anything changed. */
  const dispatch = (account: string, action: ConversationsAction, reason: string): boolean => {
    const before = conversations(account);
    ctx.store.dispatch(action);
    const after = conversations(account);
    if (after === before) return false;
    const peers = "peer" in action ? [action.peer] : Object.keys(after);
    for (const peer of peers) {
      const [old, now] = [before[peer], after[peer]];
      if (!now || old === now) continue;
      if ((old?.lock ?? null) !== (now.lock ?? null) || (old?.lockManual ?? false) !== (now.lockManual ?? false)) publishConversation(ctx, account, peer, reason);
    }
    return true;
  };

  // -- session start ---------------------------------------------------------------------------

  // A fresh session: the peers' resources we were locked to may be gone (a resumed one keeps them).
  ctx.onSessionStart(25, "resource locks", (account) => {
    dispatch(account.name, { type: "conversations/session", account: account.name }, "session");
  });

  ctx.onSessionStart(30, "carbons", async (account) => {
    if (!ctx.settings().carbons) return;
    try {
      await account.request("set", buildCarbonsEnable());
      ctx.log.info(`account ${account.name}: message carbons enabled`);
      ctx.publish("carbons", { account: account.name, enabled: true });
    } catch (err) {
      // A server without carbons (or one that refuses them) is not an error: we just see less.
      const reason = (err as Error).message;
      ctx.log.info(`account ${account.name}: message carbons not enabled: ${reason}`);
      ctx.publish("carbons", { account: account.name, enabled: false, reason });
    }
  });

  // -- the outbox, mirrored into the conversations ---------------------------------------------

  const applyCorrection = (account: string, peer: string, original: ChatMessage, body: string, from: string, carbon: Carbon) => {
    ctx.history?.correct(account, peer, original.id, body);
    ctx.store.dispatch({ type: "conversations/correct", account, peer, id: original.id, body });
    ctx.publish("message_corrected", { account, id: original.id, from, body, previous: original.body, peer, direction: original.direction, carbon });
  };

  ctx.outbox.on("message", (m) => {
    if (m.type === "groupchat" || !tryParseJid(m.to)) return;
    const peer = conversationKey(ctx.store.account(m.account), m.to);
    const from = ctx.ownJid(m.account);
    if (m.replaces) {
      const original = findMessage(getConversation(ctx.store.account(m.account), peer), m.replaces);
      if (original?.direction === "out") {
        applyCorrection(m.account, peer, original, m.body, from, undefined);
        return;
      }
    }
    const message: ChatMessage = { id: m.id, direction: "out", from, to: m.to, type: m.type, body: m.body, time: m.created, state: m.state };
    if (m.body.startsWith("/me ")) message.me = true;
    if (m.encryption) message.encryption = m.encryption;
    dispatch(m.account, { type: "conversations/message", account: m.account, peer, message }, "message");
  });

  ctx.outbox.on("state", (m) => {
    if (m.type === "groupchat" || m.replaces || !tryParseJid(m.to)) return;
    const error = m.state === "failed" && m.error ? { condition: String(m.error.condition ?? m.error.code), text: m.error.text } : undefined;
    ctx.store.dispatch({ type: "conversations/state", account: m.account, peer: conversationKey(ctx.store.account(m.account), m.to), id: m.id, state: m.state, error });
  });

  // -- incoming ----------------------------------------------------------------------------------

  /** A receipt or marker about one of our messages: this client's (outbox) or another device's (carbon). */
  const onPeerState = (account: string, ps: PeerStateUpdate) => {
    const ours = ctx.outbox.get(ps.id);
    if (ours && ours.account === account) {
      ctx.outbox.onPeerState(account, ps.from, ps.id, ps.state);
      return;
    }
    if (!tryParseJid(ps.from)) return;
    const peer = conversationKey(ctx.store.account(account), ps.from);
    const m = findMessage(getConversation(ctx.store.account(account), peer), ps.id);
    if (!m || m.direction !== "out" || deliveryRank(ps.state) <= deliveryRank(m.state)) return;
    ctx.history?.setState(account, m.id, ps.state);
    ctx.store.dispatch({ type: "conversations/state", account, peer, id: m.id, state: ps.state });
    ctx.publish("message_state", { account, id: m.id, to: m.to, state: ps.state, carbon: m.carbon });
  };

  const onChatState = (account: string, from: string, state: ChatStateName, now: Date, carbon: Carbon) => {
    const peer = conversationKey(ctx.store.account(account), from);
    dispatch(account, { type: "conversations/chatstate", account, peer, state, from, at: now.toISOString() }, "gone");
    ctx.publish("chatstate", { account, from, peer, state, carbon });
  };

  const maybeReceipt = (account: string, el: XmlElement, msg: IncomingMessage, carbon: Carbon) => {
    // Receipts come from the device the message was delivered to, never from a carbon copy; never
    // for groupchat or error messages; the request needs an id to answer.
    if (carbon || !msg.receiptRequested || !el.attrs.id || msg.type === "groupchat" || msg.type === "error") return;
    if (!ctx.settings().send_receipts) return;
    const acct = ctx.engine.find(account);
    if (!acct?.online) return;
    sendSide(ctx, acct, buildReceipt(msg.from, el.attrs.id)).catch((err: Error) => ctx.log.debug(`account ${account}: receipt not sent: ${err.message}`));
  };

  const warn = (account: string, code: string, text: string, fields: Record<string, unknown>) => {
    ctx.log.warn(`account ${account}: ${text}`, fields);
    ctx.publish("warning", { account, code, text, ...fields });
  };

  const handleMessage = (account: string, own: string, el: XmlElement, carbon: Carbon, opened?: OpenedMessage) => {
    const now = new Date();
    const type = el.attrs.type ?? "normal";
    const from = el.attrs.from ?? bareJid(own);
    if (!tryParseJid(from)) return;

    // An error reply about one of our messages fails it (and is shown there, not as a message).
    if (type === "error" && !carbon && el.attrs.id) {
      if (ctx.outbox.onError(account, from, el.attrs.id, parseStanzaError(el))) return;
      if (isSideStanza(ctx, el.attrs.id)) {
        ctx.log.debug(`account ${account}: ${from} bounced a receipt, marker or chat state`, { error: parseStanzaError(el) });
        return;
      }
    }

    // Receipts and markers.
    const ps = type === "error" ? undefined : parsePeerState(el);
    if (ps) {
      if (carbon === "sent") {
        // Another device of ours marked the peer's messages displayed: the conversation was read there.
        const to = el.attrs.to;
        if (ps.state === "displayed" && to && tryParseJid(to) && dispatch(account, { type: "conversations/read", account, peer: bareJid(to) }, "read")) {
          publishConversation(ctx, account, bareJid(to), "read_elsewhere");
        }
      } else onPeerState(account, ps);
    }

    const chatState = parseChatState(el);
    const msg = parseMessage(account, own, el, now, opened ? (opened.body ?? "") : undefined);
    if (!msg) {
      // A standalone chat state (ours from another device are not news).
      if (chatState && carbon !== "sent" && type !== "error" && type !== "groupchat") onChatState(account, from, chatState, now, carbon);
      return;
    }
    // Room messages are the MUC feature's (muc.ts).
    if (msg.type === "groupchat") return;

    const direction = carbon === "sent" ? "out" : "in";
    const peerJid = direction === "out" ? msg.to : msg.from;
    if (!tryParseJid(peerJid)) return;
    // A private message with a room occupant is a conversation of its own (the occupant's full JID).
    const peer = conversationKey(ctx.store.account(account), peerJid);

    if (msg.replace && msg.type !== "error") {
      const found = findOriginal(conversations(account), peer, msg.replace);
      const verdict = correctionVerdict(found?.message, { from: msg.from, direction }, own);
      if (verdict === "forged") {
        warn(account, "forged_correction", `ignored a correction from ${msg.from} of a message it did not send (${msg.replace})`, { from: msg.from, id: msg.replace });
        return;
      }
      if (verdict === "apply" && found) {
        applyCorrection(account, found.peer, found.message, msg.body, msg.from, carbon);
        if (chatState && direction === "in") onChatState(account, msg.from, chatState, now, carbon);
        maybeReceipt(account, el, msg, carbon);
        return;
      }
      // No original here (lost, or before our history): shown as a message of its own.
    }

    const message = toChatMessage(msg, direction, carbon, now, opened);
    // Stored before it is shown; one already stored (another path: carbon, offline, resend,
    // archive) is not shown again.
    if (ctx.history && !ctx.history.recordChat(account, peer, message, idKindOf(el), carbon ? "carbon" : message.delay ? "offline" : "live").inserted) {
      maybeReceipt(account, el, msg, carbon);
      return;
    }
    const statesBefore = getConversation(ctx.store.account(account), peer)?.chatState;
    const added = dispatch(account, { type: "conversations/message", account, peer, message, chatState: direction === "in" ? chatState : undefined }, "message");
    if (added) {
      const conv = getConversation(ctx.store.account(account), peer);
      ctx.publish("message", messageView(account, message, conv?.lock));
      const after = conv?.chatState;
      if (after && after !== statesBefore && after.state !== statesBefore?.state) ctx.publish("chatstate", { account, from: msg.from, peer, state: after.state, carbon });
    }
    // A message delivered twice (say, as a carbon and directly) is counted once but acknowledged again.
    maybeReceipt(account, el, msg, carbon);
  };

  // Encrypted messages are opened asynchronously; while one is being opened, later messages of the
  // same account wait behind it so the conversation keeps the order they arrived in.
  const incoming = new Map<string, { chain: Promise<void>; pending: number }>();

  const onMessage = (account: string, stanza: XmlElement) => {
    const own = ctx.ownJid(account);
    const carbon = checkCarbon(stanza, own);
    if (carbon?.kind === "forged") {
      warn(account, "forged_carbon", `dropped a forged carbon (spoofing?): ${carbon.reason}`, { from: carbon.from ?? null });
      return;
    }
    const el = carbon ? carbon.inner : stanza;
    const strategy = el.attrs.type === "error" || el.attrs.type === "groupchat" ? undefined : ctx.encryption.detect(el);
    const queue = incoming.get(account);
    if (!strategy && !queue) {
      handleMessage(account, own, el, carbon?.kind);
      return;
    }
    const q = queue ?? { chain: Promise.resolve(), pending: 0 };
    incoming.set(account, q);
    q.pending++;
    q.chain = q.chain
      .then(async () => {
        let opened: OpenedMessage | undefined;
        if (strategy) {
          const from = el.attrs.from ?? bareJid(own);
          const delay = parseDelay(el, own)?.delay;
          // A sent carbon (ours, from another device) is addressed to the peer, not to us.
          const recipient = carbon?.kind === "sent" && el.attrs.to ? el.attrs.to : own;
          opened = await strategy.decrypt(account, el, { from, own: recipient, id: el.getChild("origin-id", NS.sid)?.attrs.id ?? el.attrs.id, delay });
        }
        handleMessage(account, ctx.ownJid(account), el, carbon?.kind, opened);
      })
      .catch((err: Error) => ctx.log.warn(`account ${account}: encrypted message: ${err.message}`))
      .finally(() => {
        if (--q.pending === 0 && incoming.get(account) === q) incoming.delete(account);
      });
  };

  // The lock rule needs only who sent an (un)availability and which: the presence feature parses
  // the rest. No second full parse of every presence.
  const onPresence = (account: string, stanza: XmlElement) => {
    const { type, from } = stanza.attrs;
    if (type !== undefined && type !== "unavailable") return;
    const j = from ? tryParseJid(from) : null;
    if (!j?.resource) return;
    const peer = bareJid(j);
    if (sameBareJid(peer, ctx.ownJid(account)) || conversations(account)[peer]?.lock === undefined) return;
    const available = type !== "unavailable";
    dispatch(account, { type: "conversations/presence", account, peer, resource: j.resource, available }, available ? "presence" : "unavailable");
  };

  ctx.engine.on("stanza", ({ account, stanza }) => {
    try {
      if (stanza.name === "message") onMessage(account, stanza);
      else if (stanza.name === "presence") onPresence(account, stanza);
    } catch (err) {
      ctx.log.warn(`account ${account}: chat: ${(err as Error).message}`, { stanza: stanza.name });
    }
  });
}
