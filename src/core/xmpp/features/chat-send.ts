/**
 * One-to-one chat, outgoing side: what commands (and the TUI) call. Messages go through the
 * outbox to the conversation's locked resource (XEP-0296) when there is one; chat states,
 * displayed markers and corrections follow the user's settings.
 */
import { EncryptionRequiredError, type Ciphertext } from "../../crypto/encryption.js";
import { UsageError } from "../../errors.js";
import { bareJid, normalizeJid, parseJid } from "../../jid.js";
import type { EnqueueOptions, OutboxAccount, OutgoingMessage } from "../../messaging/outbox.js";
import { buildChatState, buildMarker, type ChatStateName } from "../../messaging/stanzas.js";
import { getConversation, lastMarkable, lastOutgoing, sendTarget } from "../../store/slices/conversations.js";
import { conversationKey } from "../../store/slices/rooms.js";
import type { ChatMessage } from "../../store/types.js";
import type { Account } from "../account.js";
import type { XmlElement } from "../transport/xml.js";
import type { FeatureContext } from "./types.js";

// Ids of the stanzas we send outside the outbox (receipts, markers, chat states), per client: an
// error bounced for one of them is not a message to show.
const sideIds = new WeakMap<object, Set<string>>();
const SIDE_IDS_KEPT = 256;

/** Send a receipt, marker or chat state, remembering its id. */
export async function sendSide(ctx: FeatureContext, account: Account, stanza: XmlElement): Promise<void> {
  let ids = sideIds.get(ctx);
  if (!ids) sideIds.set(ctx, (ids = new Set()));
  const id = stanza.attrs.id;
  if (id) {
    ids.add(id);
    if (ids.size > SIDE_IDS_KEPT) ids.delete(ids.values().next().value!);
  }
  await account.send(stanza);
}

/** Whether `id` is one of our receipts, markers or chat states. */
export function isSideStanza(ctx: FeatureContext, id: string): boolean {
  return sideIds.get(ctx)?.has(id) ?? false;
}

/** The outbox's view of an account (what the client's own sendMessage uses too). */
export function outboxAccountOf(acct: Account): OutboxAccount {
  return {
    name: acct.name,
    get online() {
      return acct.online;
    },
    get streamManagement() {
      return acct.session?.streamManagementQueued ?? false;
    },
    send: (stanza) => acct.send(stanza),
  };
}

/** The conversation key of a JID: its bare JID, normalised. Throws UsageError when invalid. */
export function peerOf(jid: string): string {
  return bareJid(normalizeJid(jid));
}

/** Where a message for `jid` goes now: a full JID as given, a bare JID to its locked resource. */
export function resolveTarget(ctx: FeatureContext, account: string, jid: string): string {
  const norm = normalizeJid(jid);
  return sendTarget(getConversation(ctx.store.account(account), bareJid(norm)), norm);
}

/** The conversation as hosts see it (`conversation` events, command data). */
export function conversationView(ctx: FeatureContext, account: string, peer: string) {
  const c = getConversation(ctx.store.account(account), peer);
  return {
    account,
    peer,
    lock: c?.lock ?? null,
    lock_manual: c?.lockManual === true,
    unread: c?.unread ?? 0,
    chat_state: c?.chatState?.state ?? null,
    messages: c?.messages.length ?? 0,
  };
}

export function publishConversation(ctx: FeatureContext, account: string, peer: string, reason: string): void {
  ctx.publish("conversation", { ...conversationView(ctx, account, peer), reason });
}

export interface SendOptions {
  type?: "chat" | "normal";
  /** XEP-0308: the id of our message this one corrects. */
  replaces?: string;
}

/**
 * The ciphertext for a message to `peer` under the conversation's encryption policy: undefined
 * for plaintext (policy off, or auto and the contact has no usable key). Policy on and no way to
 * encrypt, or encryption failing, throws: the message is then NOT sent, in plaintext or otherwise.
 */
export async function encryptFor(ctx: FeatureContext, account: Account, peer: string, body: string): Promise<Ciphertext | undefined> {
  const policy = ctx.encryption.policy(account.name, peer);
  if (policy === "off") return undefined;
  const choice = await ctx.encryption.choose(account.name, peer);
  if ("reasons" in choice) {
    if (policy === "auto") return undefined;
    throw new EncryptionRequiredError(`not sent: encryption is on for ${peer} but impossible (${choice.reasons.join("; ")}); /pgp off ${peer} to send in plaintext`, { peer, reasons: choice.reasons });
  }
  try {
    return await choice.strategy.encrypt(account.name, peer, body);
  } catch (err) {
    throw new EncryptionRequiredError(`not sent: ${(err as Error).message}`, { peer, scheme: choice.strategy.scheme });
  }
}

/** The conversation key of `jid` on `account`: a room occupant's full JID, else the bare JID. */
export function conversationOf(ctx: FeatureContext, account: string, jid: string): string {
  return conversationKey(ctx.store.account(account), normalizeJid(jid));
}

/**
 * Queue a message (sent at once when online) to `jid`, honouring the conversation's lock and its
 * encryption policy (see encryptFor: nothing is queued when encryption is required and fails). To
 * a room we know (its bare JID), a groupchat message: only while joined (rooms are not encrypted).
 */
export async function sendChat(ctx: FeatureContext, account: Account, jid: string, body: string, opts: SendOptions = {}): Promise<OutgoingMessage> {
  const room = ctx.store.account(account.name).rooms[normalizeJid(jid)];
  if (room) {
    if (room.state !== "joined") throw new UsageError(`you are not in ${room.jid}: /join ${room.jid}`);
    return ctx.outbox.enqueue(outboxAccountOf(account), room.jid, body, "groupchat", opts.replaces ? { replaces: opts.replaces } : {});
  }
  const type = opts.type ?? "chat";
  const to = resolveTarget(ctx, account.name, jid);
  const encrypted = await encryptFor(ctx, account, bareJid(to), body);
  const extra: EnqueueOptions = {};
  if (encrypted) extra.encrypted = encrypted;
  if (opts.replaces) extra.replaces = opts.replaces;
  if (type === "chat" && ctx.settings().send_chat_states) extra.active = true;
  return ctx.outbox.enqueue(outboxAccountOf(account), to, body, type, extra);
}

/** XEP-0308: replace our last message to `jid` with `body`. */
export async function correctLast(ctx: FeatureContext, account: Account, jid: string, body: string): Promise<{ message: OutgoingMessage; original: ChatMessage }> {
  const peer = conversationOf(ctx, account.name, jid);
  const original = lastOutgoing(getConversation(ctx.store.account(account.name), peer));
  if (!original) throw new UsageError(`nothing to correct: you have sent no message to ${peer}`);
  if (original.body === body) throw new UsageError("the correction is the same as the message");
  const message = await sendChat(ctx, account, jid, body, { replaces: original.wireId ?? original.id, type: original.type === "normal" ? "normal" : "chat" });
  return { message, original };
}

export type ChatStateResult = { sent: true; to: string } | { sent: false; reason: string };

/**
 * Send a chat state notification (XEP-0085), when the user's setting allows and the peer has not
 * shown that it ignores them (it answered a message of ours without any chat state).
 */
export async function sendChatState(ctx: FeatureContext, account: Account, jid: string, state: ChatStateName): Promise<ChatStateResult> {
  if (!ctx.settings().send_chat_states) return { sent: false, reason: "send_chat_states is off" };
  const peer = conversationOf(ctx, account.name, jid);
  if (ctx.store.account(account.name).rooms[peer]) return { sent: false, reason: `${peer} is a room` };
  if (getConversation(ctx.store.account(account.name), peer)?.peerChatStates === false) return { sent: false, reason: `${peer} does not use chat states` };
  if (!account.online) return { sent: false, reason: `account ${account.name} is not online` };
  const to = resolveTarget(ctx, account.name, jid);
  await sendSide(ctx, account, buildChatState(to, state));
  return { sent: true, to };
}

/**
 * The user read the conversation: unread goes to 0 and, when `send_markers` is on, the last
 * markable incoming message gets a displayed marker (XEP-0333), once.
 */
export async function markRead(ctx: FeatureContext, account: Account, jid: string): Promise<{ peer: string; unread: number; displayed?: string }> {
  const peer = conversationOf(ctx, account.name, jid);
  const conv = getConversation(ctx.store.account(account.name), peer);
  const unread = conv?.unread ?? 0;
  let displayed: string | undefined;
  const before = ctx.store.account(account.name).conversations[peer];
  // Unread goes to 0 at once (before any await): a host that reads the conversation in view as
  // messages arrive never shows a count that is about to vanish.
  ctx.store.dispatch({ type: "conversations/read", account: account.name, peer });
  const last = lastMarkable(conv);
  if (last && last.id !== conv?.displayedSent && ctx.settings().send_markers && account.online) {
    await sendSide(ctx, account, buildMarker(last.from, last.wireId ?? last.id, "displayed", last.type === "normal" ? "normal" : "chat"));
    displayed = last.id;
    ctx.store.dispatch({ type: "conversations/read", account: account.name, peer, displayed });
  }
  if (ctx.store.account(account.name).conversations[peer] !== before) publishConversation(ctx, account.name, peer, "read");
  return displayed ? { peer, unread, displayed } : { peer, unread };
}

/** Lock the conversation to one resource by hand, or (undefined) unlock it. */
export function setLock(ctx: FeatureContext, account: string, jid: string, resource: string | undefined): { peer: string; lock: string | null } {
  const peer = peerOf(jid);
  // A valid resourcepart (prepared), or a UsageError.
  const prepared = resource === undefined ? undefined : parseJid(`${peer}/${resource}`).resource;
  if (prepared === "") throw new UsageError("empty resource");
  const before = ctx.store.account(account).conversations[peer];
  ctx.store.dispatch(prepared === undefined ? { type: "conversations/lock", account, peer } : { type: "conversations/lock", account, peer, resource: prepared, manual: true });
  if (ctx.store.account(account).conversations[peer] !== before) publishConversation(ctx, account, peer, "manual");
  return { peer, lock: ctx.store.account(account).conversations[peer]?.lock ?? null };
}
