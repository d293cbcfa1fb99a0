/**
 * Pure parsing of incoming message and presence stanzas into jabterm's own records, and the small
 * stanzas one-to-one chat sends besides messages (receipts, markers, chat states). Text stays
 * exactly as received (events carry raw text; only what is printed for people is sanitised).
 */
import { randomUUID } from "node:crypto";

import { bareJid, domainOf, sameBareJid, sameJid, tryParseJid } from "../jid.js";
import { NS } from "../xmpp/ns.js";
import { xml, type XmlElement } from "../xmpp/transport/xml.js";

/** XEP-0085 chat states. */
export const CHAT_STATES = ["active", "composing", "paused", "inactive", "gone"] as const;
export type ChatStateName = (typeof CHAT_STATES)[number];

/** Why a XEP-0203 delay stamp was not taken as is. */
export type DelayIssue = "invalid" | "future" | "too-old";

export interface IncomingMessage {
  account: string;
  direction: "in";
  from: string;
  to: string;
  /** jabterm's stable id: the sender's origin-id, else the stanza id, else a fresh UUID. */
  id: string;
  /** The stanza's own id attribute when it differs from `id` (receipts, markers and corrections refer to it). */
  wireId?: string;
  stanzaId?: string;
  type: "chat" | "normal" | "headline" | "groupchat" | "error";
  body: string;
  subject?: string;
  thread?: string;
  /** XEP-0203 delay stamp (ISO) when the message was delivered late (offline storage). */
  delay?: string;
  /** The stamp was unusable: ignored ("invalid") or clamped to the receive time ("future", "too-old"). */
  delayIssue?: DelayIssue;
  error?: { condition: string; text?: string };
  /** XEP-0245: the body starts with "/me ". */
  me?: true;
  /** XEP-0333: the sender wants chat markers for it. */
  markable?: true;
  /** XEP-0184: the sender asks for a delivery receipt. */
  receiptRequested?: true;
  /** XEP-0085 chat state carried along. */
  chatState?: ChatStateName;
  /** XEP-0308: this corrects the message with this id. */
  replace?: string;
}

export interface PeerStateUpdate {
  from: string;
  id: string;
  state: "delivered" | "displayed";
}


const MESSAGE_TYPES = new Set(["chat", "normal", "headline", "groupchat", "error"]);

/** How far in the future a delay stamp may lie (clock skew) before it is clamped. */
export const DELAY_FUTURE_SKEW_MS = 2 * 60_000;
/** Delay stamps before this are absurd for XMPP (which dates from 1999). */
export const DELAY_EARLIEST_MS = Date.UTC(1990, 0, 1);
/** XEP-0082 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD. */
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Receipts (XEP-0184) and chat markers (XEP-0333) about our own messages: a receipt or a
 * `received` marker means delivered; `displayed` (or `acknowledged`, which implies it) displayed.
 */
export function parsePeerState(stanza: XmlElement): PeerStateUpdate | undefined {
  const from = stanza.attrs.from;
  if (!from) return undefined;
  // A displayed marker says more than a receipt: prefer it when a stanza carries both.
  for (const name of ["displayed", "acknowledged"]) {
    const el = stanza.getChild(name, NS.markers);
    if (el?.attrs.id) return { from, id: el.attrs.id, state: "displayed" };
  }
  const received = stanza.getChild("received", NS.receipts) ?? stanza.getChild("received", NS.markers);
  if (received?.attrs.id) return { from, id: received.attrs.id, state: "delivered" };
  return undefined;
}

/** The XEP-0085 chat state a message carries, if any. */
export function parseChatState(stanza: XmlElement): ChatStateName | undefined {
  for (const child of stanza.getChildElements()) {
    if (child.getNS() === NS.chatstates && (CHAT_STATES as readonly string[]).includes(child.name)) return child.name as ChatStateName;
  }
  return undefined;
}

/** XEP-0245: a body that starts with "/me " is an action. */
export function isMeAction(body: string): boolean {
  return body.startsWith("/me ");
}

/**
 * The XEP-0203 delay of a message: the one our own server (or account) stamped when there are
 * several, else the first. An unparsable stamp is ignored; a stamp in the future (beyond a small
 * clock skew) or before 1990 is clamped to the receive time. Both are flagged.
 */
export function parseDelay(stanza: XmlElement, ownJid: string, now: Date = new Date()): { delay?: string; issue?: DelayIssue } | undefined {
  const delays = stanza.getChildren("delay", NS.delay);
  if (delays.length === 0) return undefined;
  const ownDomain = tryParseJid(ownJid) ? domainOf(ownJid) : undefined;
  const ours = delays.find((d) => d.attrs.from && (sameJid(d.attrs.from, ownDomain ?? "") || sameJid(d.attrs.from, bareJid(ownJid))));
  const stamp = (ours ?? delays[0]!).attrs.stamp ?? "";
  const t = DATETIME_RE.test(stamp) ? Date.parse(stamp) : Number.NaN;
  if (Number.isNaN(t)) return { issue: "invalid" };
  if (t > now.getTime() + DELAY_FUTURE_SKEW_MS) return { delay: now.toISOString(), issue: "future" };
  if (t < DELAY_EARLIEST_MS) return { delay: now.toISOString(), issue: "too-old" };
  return { delay: new Date(t).toISOString() };
}

/** The RFC 6120 error of a stanza of type error. */
export function parseStanzaError(stanza: XmlElement): { condition: string; text?: string; type?: string } {
  const err = stanza.getChild("error");
  const condition = err?.getChildElements().find((c) => c.getNS() === NS.stanzas && c.name !== "text")?.name ?? "undefined-condition";
  const out: { condition: string; text?: string; type?: string } = { condition };
  const text = err?.getChildText("text", NS.stanzas);
  if (text) out.text = text;
  if (err?.attrs.type) out.type = err.attrs.type;
  return out;
}

/**
 * `decrypted`: the body of an end-to-end encrypted message as its scheme opened it (the stanza's
 * own <body/> is then only a fallback for other clients and is ignored).
 */
export function parseMessage(account: string, ownJid: string, stanza: XmlElement, now: Date = new Date(), decrypted?: string): IncomingMessage | undefined {
  const from = stanza.attrs.from ?? bareJid(ownJid);
  if (!tryParseJid(from)) return undefined;
  const rawType = stanza.attrs.type ?? "normal";
  const type = (MESSAGE_TYPES.has(rawType) ? rawType : "normal") as IncomingMessage["type"];
  const body = decrypted ?? stanza.getChildText("body");
  const subject = stanza.getChildText("subject") ?? undefined;
  if (body === null && type !== "error" && subject === undefined) return undefined;
  const origin = stanza.getChild("origin-id", NS.sid)?.attrs.id;
  // Only the archive of our own account may stamp a stanza-id we trust (the last one: a sender can
  // smuggle a forged one in front of the server's).
  const ours = stanza.getChildren("stanza-id", NS.sid).filter((s) => s.attrs.by && sameBareJid(s.attrs.by, ownJid));
  const stanzaId = ours.length ? ours[ours.length - 1]!.attrs.id : undefined;
  const msg: IncomingMessage = {
    account,
    direction: "in",
    from,
    to: stanza.attrs.to ?? ownJid,
    id: origin ?? stanza.attrs.id ?? randomUUID(),
    type,
    body: body ?? "",
  };
  if (stanza.attrs.id && stanza.attrs.id !== msg.id) msg.wireId = stanza.attrs.id;
  if (stanzaId) msg.stanzaId = stanzaId;
  if (subject !== undefined) msg.subject = subject;
  const thread = stanza.getChildText("thread");
  if (thread) msg.thread = thread;
  const delay = parseDelay(stanza, ownJid, now);
  if (delay?.delay) msg.delay = delay.delay;
  if (delay?.issue) msg.delayIssue = delay.issue;
  if (type === "error") {
    const { condition, text } = parseStanzaError(stanza);
    msg.error = text ? { condition, text } : { condition };
  }
  if (isMeAction(msg.body)) msg.me = true;
  if (stanza.getChild("markable", NS.markers)) msg.markable = true;
  if (stanza.getChild("request", NS.receipts)) msg.receiptRequested = true;
  const chatState = parseChatState(stanza);
  if (chatState) msg.chatState = chatState;
  const replace = stanza.getChild("replace", NS.correct)?.attrs.id;
  if (replace) msg.replace = replace;
  return msg;
}

export type CarbonCheck =
  /** A carbon from our own server: the forwarded message, seen by another device of ours. */
  | { kind: "received" | "sent"; inner: XmlElement }
  /** Looks like a carbon but must not be trusted: drop it. */
  | { kind: "forged"; reason: string; from?: string };

/**
 * XEP-0280: unwrap a carbon. Only our own server may send them, on behalf of our bare JID: a
 * wrapper whose outer `from` is anything else is a spoofing attempt (anyone can send us a
 * <received/> wrapping a message "from" someone else). A sent carbon must wrap a message from
 * one of our resources, a received one a message to us. Not a carbon: undefined.
 */
export function checkCarbon(stanza: XmlElement, ownJid: string): CarbonCheck | undefined {
  const wrapper = stanza.getChild("received", NS.carbons) ?? stanza.getChild("sent", NS.carbons);
  if (!wrapper) return undefined;
  const from = stanza.attrs.from;
  const own = tryParseJid(ownJid) ? bareJid(ownJid) : undefined;
  if (!from || !own || !sameJid(from, own)) {
    return { kind: "forged", reason: `a ${wrapper.name} carbon from ${from ?? "(no from)"}, not from our own bare JID`, from };
  }
  const inner = wrapper.getChild("forwarded", NS.forward)?.getChild("message");
  if (!inner) return { kind: "forged", reason: `a ${wrapper.name} carbon without a forwarded message`, from };
  if (wrapper.name === "sent") {
    if (!inner.attrs.from || !sameBareJid(inner.attrs.from, own)) return { kind: "forged", reason: `a sent carbon of a message from ${inner.attrs.from ?? "(no from)"}`, from };
    if (!inner.attrs.to || !tryParseJid(inner.attrs.to)) return { kind: "forged", reason: "a sent carbon without a valid recipient", from };
    return { kind: "sent", inner };
  }
  if (inner.attrs.to && !sameBareJid(inner.attrs.to, own)) return { kind: "forged", reason: `a received carbon of a message to ${inner.attrs.to}`, from };
  if (!inner.attrs.from || !tryParseJid(inner.attrs.from)) return { kind: "forged", reason: "a received carbon without a valid sender", from };
  return { kind: "received", inner };
}


// ---------------------------------------------------------------------------------------------
// What one-to-one chat sends besides messages (none of it goes through the outbox: nothing is
// lost if one of these never arrives).

/** XEP-0184 receipt for the message with stanza id `id`. */
export function buildReceipt(to: string, id: string): XmlElement {
  return xml("message", { to, id: randomUUID() }, xml("received", { xmlns: NS.receipts, id }));
}

/** XEP-0333 chat marker for the message with stanza id `id`. */
export function buildMarker(to: string, id: string, marker: "received" | "displayed" | "acknowledged", type: "chat" | "normal" = "chat"): XmlElement {
  return xml("message", { to, type, id: randomUUID() }, xml(marker, { xmlns: NS.markers, id }), xml("store", { xmlns: NS.hints }));
}

/** A standalone XEP-0085 chat state notification (never stored offline or archived). */
export function buildChatState(to: string, state: ChatStateName): XmlElement {
  return xml("message", { to, type: "chat", id: randomUUID() }, xml(state, { xmlns: NS.chatstates }), xml("no-store", { xmlns: NS.hints }));
}

/** XEP-0280 enable request (the payload of an IQ set). */
export function buildCarbonsEnable(): XmlElement {
  return xml("enable", { xmlns: NS.carbons });
}
