/**
 * The conversations slice: one conversation per peer (bare JID, normalised) per account, with its
 * messages (in and out, the last MAX_MESSAGES), unread count, XEP-0296 resource lock and the peer's
 * XEP-0085 chat state. Actions, a pure reducer, the lock and correction rules, and selectors.
 */
import { sameBareJid, tryParseJid } from "../../jid.js";
import type { AccountSlice, ChatMessage, Conversation } from "../types.js";

/** Messages kept per conversation (older ones drop off the front). */
export const MAX_MESSAGES = 1000;

export type ChatStateValue = NonNullable<Conversation["chatState"]>["state"];
export type MessageDeliveryState = NonNullable<ChatMessage["state"]>;

export type ConversationsAction =
  /** A message in (from the peer, or a received carbon) or out (ours, or a sent carbon). Duplicates are ignored. */
  | { type: "conversations/message"; account: string; peer: string; message: ChatMessage; chatState?: ChatStateValue }
  /** An outgoing message's delivery state changed (the outbox, or a receipt for a sent carbon). */
  | { type: "conversations/state"; account: string; peer: string; id: string; state: MessageDeliveryState; error?: ChatMessage["error"] }
  /** XEP-0308: replace the text of message `id` (the old text goes to `corrections`). */
  | { type: "conversations/correct"; account: string; peer: string; id: string; body: string }
  /** XEP-0424/0425: message `id` was retracted (by its sender) or moderated (by a moderator): its text goes. */
  | { type: "conversations/retract"; account: string; peer: string; id: string; by?: string; reason?: string }
  /** The archive id (XEP-0359 stanza-id) of message `id`, learnt later (a room's reflection of ours). */
  | { type: "conversations/archived"; account: string; peer: string; id: string; stanzaId: string }
  /** Set (resource) or clear (no resource) the lock by hand, or automatically. */
  | { type: "conversations/lock"; account: string; peer: string; resource?: string; manual?: boolean }
  /** A presence from one of the peer's resources (unlock rules). */
  | { type: "conversations/presence"; account: string; peer: string; resource: string; available: boolean }
  /** A standalone chat state notification from the peer. */
  | { type: "conversations/chatstate"; account: string; peer: string; state: ChatStateValue; from: string; at: string }
  /** The user read the conversation; `displayed`: the message a displayed marker went out for. */
  | { type: "conversations/read"; account: string; peer: string; displayed?: string }
  /** A fresh session: automatic locks and chat states are stale. */
  | { type: "conversations/session"; account: string }
  /** Older messages from the history store or the server archive, oldest first: go before the others (no unread, no lock change). */
  | { type: "conversations/older"; account: string; peer: string; messages: ChatMessage[] };

type Conversations = AccountSlice["conversations"];

const RANK: Record<MessageDeliveryState, number> = { queued: 0, sent: 1, acked: 2, delivered: 3, displayed: 4, failed: -1 };

/** Order of delivery states (failed lowest): receipts never move a message backwards. */
export function deliveryRank(state: MessageDeliveryState | undefined): number {
  return state === undefined ? -2 : RANK[state];
}

export function emptyConversation(peer: string): Conversation {
  return { peer, messages: [], unread: 0 };
}

function resourceOf(jid: string): string | undefined {
  return tryParseJid(jid)?.resource || undefined;
}

function isConversationsAction(a: { type: string }): a is ConversationsAction {
  return a.type.startsWith("conversations/");
}

// ---------------------------------------------------------------------------------------------
// rules (pure, exported for tests and for the chat feature)

/**
 * Whether `m` is already in the conversation: the same archive id, or the same id from the same
 * sender with the same text (or an earlier version of it: a copy of a message since corrected).
 * A sender that reuses an id for another text gets both shown (the history store's rule too).
 */
export function isDuplicate(conv: Conversation | undefined, m: ChatMessage): boolean {
  if (!conv) return false;
  // The index answers the common case (an id never seen) without a scan of the conversation.
  const ix = idIndex(conv.messages);
  if (m.stanzaId && ix.stanzaIds.has(m.stanzaId)) return true;
  if (!ix.ids.has(m.id)) return false;
  for (let i = conv.messages.length - 1; i >= 0; i--) {
    const x = conv.messages[i]!;
    if (m.stanzaId && x.stanzaId === m.stanzaId) return true;
    // In a room every occupant shares the room's bare JID: the same id must come from the same occupant.
    if (x.id === m.id && x.direction === m.direction && (m.type === "groupchat" ? x.from === m.from : sameBareJid(x.from, m.from)) && (x.body === m.body || x.corrections?.includes(m.body))) return true;
  }
  return false;
}

/**
 * Which ids and archive ids a conversation's messages carry (counts), per messages array. An
 * append hands the index on to the new array (and the old array loses it: were it asked again, it
 * would be rebuilt); any other change builds a new one when next asked.
 */
interface IdIndex {
  ids: Map<string, number>;
  stanzaIds: Map<string, number>;
}
const ID_INDEX = new WeakMap<readonly ChatMessage[], IdIndex>();
const bump = (map: Map<string, number>, key: string | undefined, by: 1 | -1): void => {
  if (key === undefined) return;
  const n = (map.get(key) ?? 0) + by;
  if (n > 0) map.set(key, n);
  else map.delete(key);
};
function indexAdd(ix: IdIndex, m: ChatMessage, by: 1 | -1): void {
  bump(ix.ids, m.id, by);
  bump(ix.stanzaIds, m.stanzaId, by);
}
function idIndex(messages: readonly ChatMessage[]): IdIndex {
  let ix = ID_INDEX.get(messages);
  if (!ix) {
    ix = { ids: new Map(), stanzaIds: new Map() };
    for (const m of messages) indexAdd(ix, m, 1);
    ID_INDEX.set(messages, ix);
  }
  return ix;
}

/** When a message was written: its delay stamp when it has one (archive, offline storage). */
function sentAt(m: ChatMessage): number {
  return Date.parse(m.delay ?? m.time);
}

/**
 * Where a new message goes: at the end, unless it was written before the last ones (a page of the
 * archive caught up while live messages kept arriving): then among them by time.
 */
function insertionIndex(messages: readonly ChatMessage[], m: ChatMessage): number {
  let at = messages.length;
  if (at === 0 || !m.delay) return at;
  const t = sentAt(m);
  // A stamp in whole seconds (archives stamp so) only says which second: within it, arrival order.
  const latest = t % 1000 === 0 ? t + 999 : t;
  while (at > 0 && sentAt(messages[at - 1]!) > latest) at--;
  return at;
}

/**
 * XEP-0296: the lock after a message. A chat message from a full JID of the peer locks onto that
 * resource (a message from another resource moves the lock); a lock set by hand stays. Delayed
 * messages (offline storage: the resource may be long gone) and our own never lock.
 */
export function lockAfterMessage(conv: Conversation, m: ChatMessage): string | undefined {
  if (m.direction !== "in" || m.type !== "chat" || m.delay || m.delayIssue || conv.lockManual) return conv.lock;
  return resourceOf(m.from) ?? conv.lock;
}

/**
 * XEP-0296 / RFC 6121 §5.1: the lock after a presence from one of the peer's resources. Any
 * presence change of the peer unlocks an automatic lock (the locked resource went away or
 * changed, or another resource appeared); a lock set by hand ends only when its resource goes
 * unavailable.
 */
export function lockAfterPresence(conv: Conversation, resource: string, available: boolean): string | undefined {
  if (conv.lock === undefined) return undefined;
  if (conv.lockManual) return !available && resource === conv.lock ? undefined : conv.lock;
  return undefined;
}

/** Where a message for `jid` goes: a full JID as given; a bare JID to the locked resource, if any. */
export function sendTarget(conv: Conversation | undefined, jid: string): string {
  const j = tryParseJid(jid);
  if (!j || j.resource) return jid;
  return conv?.lock ? `${jid}/${conv.lock}` : jid;
}

export type CorrectionVerdict = "apply" | "forged" | "unknown";

/**
 * XEP-0308: may `correction` replace `original`? Only its own sender may correct a message: for
 * a message from the peer, the same bare JID; for one of ours (a sent carbon from another of our
 * devices), our own bare JID. No original: "unknown" (shown as a new message).
 */
export function correctionVerdict(original: ChatMessage | undefined, correction: { from: string; direction: "in" | "out" }, ownJid: string): CorrectionVerdict {
  if (!original) return "unknown";
  if (original.direction !== correction.direction) return "forged";
  if (correction.direction === "out") return sameBareJid(correction.from, ownJid) && sameBareJid(original.from, ownJid) ? "apply" : "forged";
  return sameBareJid(correction.from, original.from) ? "apply" : "forged";
}

// ---------------------------------------------------------------------------------------------
// selectors

export function getConversation(slice: AccountSlice, peer: string): Conversation | undefined {
  return slice.conversations[peer];
}

/** A message by jabterm id or by its stanza id attribute, newest first. */
export function findMessage(conv: Conversation | undefined, id: string): ChatMessage | undefined {
  if (!conv) return undefined;
  for (let i = conv.messages.length - 1; i >= 0; i--) {
    const m = conv.messages[i]!;
    if (m.id === id || m.wireId === id) return m;
  }
  return undefined;
}

/** The message a correction with `replace id` refers to: in the sender's conversation first, then anywhere. */
export function findOriginal(conversations: Conversations, peer: string, id: string): { peer: string; message: ChatMessage } | undefined {
  const here = findMessage(conversations[peer], id);
  if (here) return { peer, message: here };
  for (const [other, conv] of Object.entries(conversations)) {
    if (other === peer) continue;
    const m = findMessage(conv, id);
    if (m) return { peer: other, message: m };
  }
  return undefined;
}

/** Our last message in the conversation (what /correct replaces). */
export function lastOutgoing(conv: Conversation | undefined): ChatMessage | undefined {
  return conv?.messages.findLast((m) => m.direction === "out" && m.type !== "error" && !m.notice);
}

/** The last incoming message that asked for chat markers (what /read marks displayed). */
export function lastMarkable(conv: Conversation | undefined): ChatMessage | undefined {
  return conv?.messages.findLast((m) => m.direction === "in" && m.markable === true && (m.type === "chat" || m.type === "normal"));
}

// ---------------------------------------------------------------------------------------------
// reducer

function put(slice: Conversations, peer: string, next: Conversation): Conversations {
  return { ...slice, [peer]: next };
}

function replaceMessage(conv: Conversation, id: string, fn: (m: ChatMessage) => ChatMessage | undefined): Conversation | undefined {
  for (let i = conv.messages.length - 1; i >= 0; i--) {
    const m = conv.messages[i]!;
    if (m.id !== id) continue;
    const next = fn(m);
    if (!next || next === m) return undefined;
    const messages = conv.messages.slice();
    messages[i] = next;
    return { ...conv, messages };
  }
  return undefined;
}

function withoutLock(conv: Conversation): Conversation {
  const { lock: _lock, lockManual: _manual, ...rest } = conv;
  return rest;
}

function addMessage(conv: Conversation, m: ChatMessage, chatState: ChatStateValue | undefined): Conversation {
  const at = insertionIndex(conv.messages, m);
  const messages = at === conv.messages.length ? [...conv.messages, m] : [...conv.messages.slice(0, at), m, ...conv.messages.slice(at)];
  const dropped = messages.length > MAX_MESSAGES ? messages.splice(0, messages.length - MAX_MESSAGES) : [];
  const ix = ID_INDEX.get(conv.messages);
  if (ix) {
    ID_INDEX.delete(conv.messages);
    indexAdd(ix, m, 1);
    for (const d of dropped) indexAdd(ix, d, -1);
    ID_INDEX.set(messages, ix);
  }
  let next: Conversation = { ...conv, messages };
  if (m.direction === "in" && m.type !== "error" && !m.notice) next.unread = conv.unread + 1;
  // Another device of ours answered: the conversation was read there.
  if (m.direction === "out" && m.carbon === "sent") next.unread = 0;
  const lock = lockAfterMessage(conv, m);
  if (lock !== conv.lock) next = lock === undefined ? withoutLock(next) : { ...next, lock };
  if (m.direction === "in" && m.type === "chat") {
    next.peerChatStates = chatState !== undefined;
    if (chatState) next.chatState = { state: chatState, from: m.from, at: m.time };
  }
  return next;
}

export function conversationsReducer(slice: Conversations, action: { type: string }): Conversations {
  if (!isConversationsAction(action)) return slice;
  switch (action.type) {
    case "conversations/message": {
      const conv = slice[action.peer];
      if (isDuplicate(conv, action.message)) return slice;
      return put(slice, action.peer, addMessage(conv ?? emptyConversation(action.peer), action.message, action.chatState));
    }
    case "conversations/state": {
      const conv = slice[action.peer];
      if (!conv) return slice;
      const next = replaceMessage(conv, action.id, (m) => {
        if (m.direction !== "out" || (m.state === action.state && !action.error)) return undefined;
        const out: ChatMessage = { ...m, state: action.state };
        if (action.error) out.error = action.error;
        else delete out.error;
        return out;
      });
      return next ? put(slice, action.peer, next) : slice;
    }
    case "conversations/correct": {
      const conv = slice[action.peer];
      if (!conv) return slice;
      const next = replaceMessage(conv, action.id, (m) => {
        if (m.body === action.body) return undefined;
        const out: ChatMessage = { ...m, body: action.body, corrections: [...(m.corrections ?? []), m.body] };
        if (action.body.startsWith("/me ")) out.me = true;
        else delete out.me;
        return out;
      });
      return next ? put(slice, action.peer, next) : slice;
    }
    case "conversations/retract": {
      const conv = slice[action.peer];
      if (!conv) return slice;
      const next = replaceMessage(conv, action.id, (m) => {
        if (m.retracted) return undefined;
        const out: ChatMessage = { ...m, body: "", retracted: {} };
        if (action.by) out.retracted!.by = action.by;
        if (action.reason) out.retracted!.reason = action.reason;
        delete out.corrections;
        return out;
      });
      return next ? put(slice, action.peer, next) : slice;
    }
    case "conversations/archived": {
      const conv = slice[action.peer];
      if (!conv) return slice;
      const next = replaceMessage(conv, action.id, (m) => (m.stanzaId ? undefined : { ...m, stanzaId: action.stanzaId }));
      return next ? put(slice, action.peer, next) : slice;
    }
    case "conversations/lock": {
      const conv = slice[action.peer] ?? emptyConversation(action.peer);
      if (action.resource === undefined) return conv.lock === undefined ? slice : put(slice, action.peer, withoutLock(conv));
      const manual = action.manual === true;
      if (conv.lock === action.resource && (conv.lockManual === true) === manual && slice[action.peer]) return slice;
      const next: Conversation = { ...withoutLock(conv), lock: action.resource };
      if (manual) next.lockManual = true;
      return put(slice, action.peer, next);
    }
    case "conversations/presence": {
      const conv = slice[action.peer];
      if (!conv || conv.lock === undefined) return slice;
      const lock = lockAfterPresence(conv, action.resource, action.available);
      return lock === conv.lock ? slice : put(slice, action.peer, withoutLock(conv));
    }
    case "conversations/chatstate": {
      const conv = slice[action.peer] ?? emptyConversation(action.peer);
      let next: Conversation = { ...conv, peerChatStates: true, chatState: { state: action.state, from: action.from, at: action.at } };
      if (action.state === "gone" && conv.lock !== undefined && !conv.lockManual && resourceOf(action.from) === conv.lock) next = withoutLock(next);
      return put(slice, action.peer, next);
    }
    case "conversations/read": {
      const conv = slice[action.peer];
      if (!conv) return slice;
      if (conv.unread === 0 && (action.displayed === undefined || action.displayed === conv.displayedSent)) return slice;
      const next: Conversation = { ...conv, unread: 0 };
      if (action.displayed !== undefined) next.displayedSent = action.displayed;
      return put(slice, action.peer, next);
    }
    case "conversations/older": {
      const conv = slice[action.peer] ?? emptyConversation(action.peer);
      const fresh = action.messages.filter((m) => !isDuplicate(conv, m));
      if (fresh.length === 0) return slice;
      return put(slice, action.peer, { ...conv, messages: [...fresh, ...conv.messages] });
    }
    case "conversations/session": {
      let out = slice;
      for (const [peer, conv] of Object.entries(slice)) {
        if ((conv.lock === undefined || conv.lockManual) && conv.chatState === undefined) continue;
        const next: Conversation = conv.lockManual ? { ...conv } : withoutLock(conv);
        delete next.chatState;
        if (out === slice) out = { ...slice };
        out[peer] = next;
      }
      return out;
    }
  }
}
