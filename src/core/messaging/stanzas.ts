/**
 * Pure parsing of incoming message and presence stanzas into jabterm's own records. Text stays
 * exactly as received (events carry raw text; only what is printed for people is sanitised).
 */
import { randomUUID } from "node:crypto";

import { bareJid, sameBareJid, tryParseJid } from "../jid.js";
import { NS } from "../xmpp/ns.js";
import type { XmlElement } from "../xmpp/transport/xml.js";

export interface IncomingMessage {
  account: string;
  direction: "in";
  from: string;
  to: string;
  /** jabterm's stable id: the sender's origin-id, else the stanza id, else a fresh UUID. */
  id: string;
  stanzaId?: string;
  type: "chat" | "normal" | "headline" | "groupchat" | "error";
  body: string;
  subject?: string;
  thread?: string;
  /** XEP-0203 delay stamp (ISO) when the message was delivered late (offline storage). */
  delay?: string;
  error?: { condition: string; text?: string };
}

export interface PeerStateUpdate {
  from: string;
  id: string;
  state: "delivered" | "displayed";
}

export interface PresenceUpdate {
  account: string;
  from: string;
  available: boolean;
  type?: string;
  show: "online" | "chat" | "away" | "xa" | "dnd" | "offline";
  status?: string;
  priority: number;
}

const MESSAGE_TYPES = new Set(["chat", "normal", "headline", "groupchat", "error"]);
const SHOWS = new Set(["chat", "away", "xa", "dnd"]);

/** Receipts (XEP-0184) and displayed markers (XEP-0333) about our own messages. */
export function parsePeerState(stanza: XmlElement): PeerStateUpdate | undefined {
  const from = stanza.attrs.from;
  if (!from) return undefined;
  // A displayed marker says more than a receipt: prefer it when a stanza carries both.
  const displayed = stanza.getChild("displayed", NS.markers);
  if (displayed?.attrs.id) return { from, id: displayed.attrs.id, state: "displayed" };
  const received = stanza.getChild("received", NS.receipts);
  if (received?.attrs.id) return { from, id: received.attrs.id, state: "delivered" };
  return undefined;
}

export function parseMessage(account: string, ownJid: string, stanza: XmlElement): IncomingMessage | undefined {
  const from = stanza.attrs.from ?? bareJid(ownJid);
  if (!tryParseJid(from)) return undefined;
  const rawType = stanza.attrs.type ?? "normal";
  const type = (MESSAGE_TYPES.has(rawType) ? rawType : "normal") as IncomingMessage["type"];
  const body = stanza.getChildText("body");
  const subject = stanza.getChildText("subject") ?? undefined;
  if (body === null && type !== "error" && subject === undefined) return undefined;
  const origin = stanza.getChild("origin-id", NS.sid)?.attrs.id;
  // Only the archive of our own account may stamp a stanza-id we trust (the last one: a sender can
  // smuggle a forged one in front of the server's).
  const ours = stanza.getChildren("stanza-id", NS.sid).filter((s) => s.attrs.by && sameBareJid(s.attrs.by, ownJid));
  const stanzaId = ours.length ? ours[ours.length - 1]!.attrs.id : undefined;
  const delay = stanza.getChild("delay", NS.delay)?.attrs.stamp;
  const msg: IncomingMessage = {
    account,
    direction: "in",
    from,
    to: stanza.attrs.to ?? ownJid,
    id: origin ?? stanza.attrs.id ?? randomUUID(),
    type,
    body: body ?? "",
  };
  if (stanzaId) msg.stanzaId = stanzaId;
  if (subject !== undefined) msg.subject = subject;
  const thread = stanza.getChildText("thread");
  if (thread) msg.thread = thread;
  if (delay && !Number.isNaN(Date.parse(delay))) msg.delay = new Date(delay).toISOString();
  if (type === "error") {
    const err = stanza.getChild("error");
    const condition = err?.getChildElements().find((c) => c.getNS() === NS.stanzas && c.name !== "text")?.name ?? "undefined-condition";
    msg.error = { condition };
    const text = err?.getChildText("text", NS.stanzas);
    if (text) msg.error.text = text;
  }
  return msg;
}

export function parsePresence(account: string, stanza: XmlElement): PresenceUpdate | undefined {
  const from = stanza.attrs.from;
  if (!from || !tryParseJid(from)) return undefined;
  const type = stanza.attrs.type;
  if (type && type !== "unavailable") return undefined; // subscriptions, probes and errors are handled elsewhere
  const available = type !== "unavailable";
  const showText = stanza.getChildText("show")?.trim() ?? "";
  const show = !available ? "offline" : SHOWS.has(showText) ? (showText as PresenceUpdate["show"]) : "online";
  const prio = Number.parseInt(stanza.getChildText("priority") ?? "0", 10);
  const update: PresenceUpdate = { account, from, available, show, priority: Number.isFinite(prio) ? Math.max(-128, Math.min(127, prio)) : 0 };
  const status = stanza.getChildText("status");
  if (status !== null) update.status = status;
  if (type) update.type = type;
  return update;
}
