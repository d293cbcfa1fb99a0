/**
 * Multi-user chat (XEP-0045): joining and leaving rooms, occupants, subjects, room messages,
 * private messages with occupants (their own conversations, keyed by the occupant's full JID),
 * moderation, invitations (mediated and XEP-0249 direct), room configuration (XEP-0004 forms)
 * and self-ping (XEP-0410) with automatic rejoin.
 *
 * A room's messages go into the conversations slice under the room's bare JID, so every host that
 * shows a conversation shows a room; the rooms slice holds what only rooms have. Everything that
 * becomes a room message passes through `addRoomMessage` (the place a history store hooks in).
 * History on join: a room whose archive we can read (MUC MAM, XEP-0313 §5.1.2) is joined without
 * the room's own replay (<history maxstanzas='0'/>) and its archive is read instead, from after the
 * newest room stanza-id we hold (else its last page); other rooms replay their recent history.
 * Either way the history database de-duplicates: nothing shows twice after a reconnect.
 * Commands reach this feature through `mucController(client)`.
 */
import { JabtermError, StanzaError, TimeoutError, UsageError } from "../../errors.js";
import { NS_MAM, type MamQuery, type MamResult } from "../../history/mam.js";
import { bareJid, normalizeJid, parseJid, sameBareJid, tryParseJid } from "../../jid.js";
import type { OutgoingMessage } from "../../messaging/outbox.js";
import { parseMessage } from "../../messaging/stanzas.js";
import { deliveryRank, findMessage, getConversation } from "../../store/slices/conversations.js";
import { getRoom } from "../../store/slices/rooms.js";
import type { ChatMessage, Occupant, Room } from "../../store/types.js";
import type { Account } from "../account.js";
import { NS } from "../ns.js";
import { xml, type XmlElement } from "../transport/xml.js";
import { FIRST_PAGE, MAM_PAGE } from "./archive.js";
import { idKindOf, messageView } from "./chat.js";
import { outboxAccountOf } from "./chat-send.js";
import { buildSubmit, parseForm, type DataForm } from "./data-forms.js";
import { findHighlight, parseNotify } from "./muc-highlight.js";
import {
  buildAdminItem,
  buildAffiliationList,
  buildDecline,
  buildDestroy,
  buildDirectInvite,
  buildDiscoInfo,
  buildInstantRoom,
  buildJoin,
  buildLeave,
  buildMediatedInvite,
  buildNickChange,
  buildSelfPing,
  buildSubject,
  joinErrorText,
  parseAffiliationList,
  parseDecline,
  parseDiscoFeatures,
  parseInvitation,
  parseMucPresence,
  parseMucPresenceError,
  parseRetraction,
  buildModerate,
  buildRetract,
  roomStanzaId,
  selfPingVerdict,
  STATUS,
  type Affiliation,
  type Invitation,
  type MucPresence,
  type Role,
} from "./muc-stanzas.js";
import type { FeatureContext } from "./types.js";

export interface JoinOptions {
  password?: string;
  /** Wait for the room's answer (default true). */
  wait?: boolean;
  autojoin?: boolean;
  /** Why we join (events): "command", "rejoin", "bookmark", "invitation". */
  reason?: string;
}

export interface ReceivedInvitation extends Invitation {
  account: string;
  received: string;
}

export interface MucController {
  join(account: Account, room: string, nick?: string, opts?: JoinOptions): Promise<Room>;
  leave(account: Account, room: string, reason?: string): Promise<void>;
  nick(account: Account, room: string, nick: string): Promise<Room>;
  topic(account: Account, room: string, subject: string): Promise<void>;
  setRole(account: Account, room: string, nick: string, role: Role, reason?: string): Promise<void>;
  setAffiliation(account: Account, room: string, jid: string, affiliation: Affiliation, reason?: string): Promise<void>;
  affiliations(account: Account, room: string, affiliation: Affiliation): Promise<{ jid: string; affiliation: Affiliation; nick?: string }[]>;
  invite(account: Account, room: string, to: string, opts?: { reason?: string; direct?: boolean }): Promise<void>;
  invitations(account?: string): ReceivedInvitation[];
  /** Accept (join) or decline a received invitation to `room`. */
  answerInvitation(account: Account, room: string, accept: boolean, reason?: string): Promise<Room | undefined>;
  destroy(account: Account, room: string, reason?: string): Promise<void>;
  getConfig(account: Account, room: string): Promise<DataForm>;
  setConfig(account: Account, room: string, values: Record<string, string[]>): Promise<DataForm>;
  /**
   * XEP-0045 §7.10: registration with a room. Without values: the room's form (or that we are
   * registered, and as whom). With values: the form submitted with them.
   */
  register(account: Account, room: string, values?: Record<string, string[]>): Promise<{ registered: boolean; nick?: string; form?: DataForm }>;
  /**
   * XEP-0425: a moderator removes a message from the room (and its archive): by the room's
   * stanza-id, or the last message of an occupant. Returns the message's stanza-id.
   */
  moderate(account: Account, room: string, target: { stanzaId?: string; nick?: string }, reason?: string): Promise<string>;
  /** XEP-0424: retract our last message in the room. Returns the id it was retracted by. */
  retract(account: Account, room: string): Promise<string>;
  /** XEP-0410: ping ourselves in every joined room now; rejoin where we were dropped. */
  selfPing(account?: string): Promise<Record<string, "joined" | "gone" | "unknown">>;
  /** The room's bare JID (normalised) or a UsageError. */
  roomJid(input: string): string;
}

const controllers = new WeakMap<FeatureContext, MucController>();
/** Pages one room-archive catch-up fetches at most (a busy or hostile room cannot keep us busy forever). */
export const MAX_ROOM_PAGES = 20;
const NS_REGISTER = "jabber:iq:register";

export function mucController(ctx: FeatureContext): MucController {
  const c = controllers.get(ctx);
  if (!c) throw new Error("the MUC feature is not installed");
  return c;
}

/** Split "room@service/nick" into the room and an optional nick. */
export function splitRoomArg(input: string): { room: string; nick?: string } {
  const j = parseJid(input.trim());
  if (!j.local) throw new UsageError(`${input} is not a room address (room@service)`);
  return j.resource ? { room: bareJid(j), nick: j.resource } : { room: bareJid(j) };
}

/** An occupant as the store keeps it. */
function occupantOf(p: MucPresence): Occupant {
  const o: Occupant = { nick: p.nick, role: p.role, affiliation: p.affiliation, show: p.show };
  if (p.status) o.status = p.status;
  if (p.jid) o.jid = p.jid;
  return o;
}

export function occupantView(o: Occupant) {
  return { nick: o.nick, role: o.role, affiliation: o.affiliation, show: o.show, status: o.status, jid: o.jid };
}

export function roomView(account: string, r: Room) {
  return { account, room: r.jid, nick: r.nick, state: r.state, subject: r.subject ?? null, occupants: Object.keys(r.occupants).length, highlights: r.highlights, reason: r.leftReason, error: r.error };
}

type Pending = { resolve(r: Room): void; reject(e: unknown): void; timer: NodeJS.Timeout };

export function installMuc(ctx: FeatureContext): void {
  ctx.disco.add(NS.muc, NS.conference);
  const { store } = ctx;
  const timeout = () => 15_000;
  const pendingJoins = new Map<string, Pending>();
  const pendingNicks = new Map<string, Pending>();
  const invitations: ReceivedInvitation[] = [];
  // Real JIDs behind room messages (message id -> sender's real bare JID), for corrections.
  const realSenders = new Map<string, string>();
  const key = (account: string, room: string) => `${account}\n${room}`;
  // When each account's session came online, and when each room's join was sent: a room joined
  // in this session (while its start hooks still run) is not joined again by them.
  const onlineAt = new Map<string, number>();
  const joinSentAt = new Map<string, number>();
  ctx.engine.on("online", ({ account }) => onlineAt.set(account, performance.now()));

  const room = (account: string, jid: string) => getRoom(store.account(account), jid);

  const settle = (map: Map<string, Pending>, k: string, outcome: { room?: Room; error?: unknown }) => {
    const p = map.get(k);
    if (!p) return;
    map.delete(k);
    clearTimeout(p.timer);
    if (outcome.error !== undefined) p.reject(outcome.error);
    else p.resolve(outcome.room!);
  };

  const wait = (map: Map<string, Pending>, k: string, what: string) => {
    const answer = new Promise<Room>((resolve, reject) => {
      settle(map, k, { error: new JabtermError("stanza", "superseded") });
      const timer = setTimeout(() => {
        map.delete(k);
        reject(new TimeoutError(`no answer from the room to ${what} within ${timeout() / 1000} s`));
      }, timeout());
      timer.unref?.();
      map.set(k, { resolve, reject, timer });
    });
    // The room can answer (a refusal) while our request is still being written, before the caller
    // awaits: mark the promise handled now so that is no unhandled rejection (which would end the
    // process); the caller still gets the rejection when it awaits.
    answer.catch(() => undefined);
    return answer;
  };

  /** A notice line in the room's conversation (join, leave, nick change ...). */
  const notice = (account: string, roomJid: string, kind: NonNullable<ChatMessage["notice"]>, text: string, from = roomJid) => {
    const now = new Date().toISOString();
    const message: ChatMessage = { id: `notice-${now}-${Math.random().toString(36).slice(2)}`, direction: "in", from, to: ctx.ownJid(account), type: "groupchat", body: text, time: now, notice: kind };
    store.dispatch({ type: "conversations/message", account, peer: roomJid, message });
  };

  /**
   * Every room message goes through here: stored in the history database, into the room's
   * conversation, then published. One the database already has (a room replaying its history on
   * a rejoin, the room's archive after a reconnect) is not shown again. The room's stanza-id is
   * stored as the room archive's (`by` the room), never as our own archive's. Ours (our nick) are
   * stored as sent by us, as the outbox stored them, so their archived copies match.
   */
  const addRoomMessage = (account: string, roomJid: string, message: ChatMessage, el?: XmlElement, extra: Record<string, unknown> = {}) => {
    if (ctx.history && !message.notice) {
      const row = message.direction === "out" ? { ...message, from: ctx.ownJid(account) } : message;
      if (!ctx.history.recordChat(account, roomJid, row, el ? idKindOf(el) : "random", extra.archived ? "mam" : "live", roomJid).inserted) return false;
    }
    const before = getConversation(store.account(account), roomJid);
    store.dispatch({ type: "conversations/message", account, peer: roomJid, message });
    if (getConversation(store.account(account), roomJid) === before) return false;
    ctx.publish("message", { ...messageView(account, message, undefined), room: roomJid, nick: message.nick, highlight: message.highlight, ...extra });
    return true;
  };

  const publishRoom = (account: string, r: Room | undefined, status: string, fields: Record<string, unknown> = {}) => {
    if (r) ctx.publish("room", { ...roomView(account, r), status, ...fields });
  };

  // -- presence -----------------------------------------------------------------------------------

  const onPresence = (account: string, stanza: XmlElement) => {
    const err = parseMucPresenceError(stanza);
    if (err) {
      const r = room(account, err.room);
      if (!r) return;
      const text = joinErrorText(err.condition, err.room);
      if (r.state === "joining") {
        store.dispatch({ type: "rooms/left", account, room: err.room, reason: "error", error: text });
        publishRoom(account, room(account, err.room), "error", { condition: err.condition, text });
        settle(pendingJoins, key(account, err.room), { error: new StanzaError(err.condition, text, undefined) });
      } else if (pendingNicks.has(key(account, err.room))) {
        const nickText = err.condition === "conflict" ? `the nick ${err.nick} is taken in ${err.room}` : `${err.room} refused the nick ${err.nick}: ${err.condition}`;
        settle(pendingNicks, key(account, err.room), { error: new StanzaError(err.condition, nickText, undefined) });
      }
      return;
    }
    const p = parseMucPresence(stanza);
    if (!p) return;
    const r = room(account, p.room);
    if (!r) return;
    const self = p.codes.includes(STATUS.self) || (p.nick === r.nick && !p.codes.length && r.state === "joining");
    const k = key(account, p.room);

    if (p.available) {
      const had = r.occupants[p.nick];
      store.dispatch({ type: "rooms/occupant", account, room: p.room, occupant: occupantOf(p) });
      if (self) {
        if (pendingNicks.has(k) && r.state === "joined") {
          settle(pendingNicks, k, { room: room(account, p.room)! });
          return;
        }
        if (r.state !== "joined") {
          store.dispatch({ type: "rooms/joined", account, room: p.room, nick: p.nick });
          const created = p.codes.includes(STATUS.created);
          notice(account, p.room, "join", created ? `you created ${p.room} as ${p.nick}` : `you joined as ${p.nick} (${p.role}, ${p.affiliation})`);
          publishRoom(account, room(account, p.room), "joined", { created, role: p.role, affiliation: p.affiliation });
          if (created) void instantRoom(account, p.room);
          settle(pendingJoins, k, { room: room(account, p.room)! });
          const fromArchive = archiveJoins.get(k);
          archiveJoins.delete(k);
          if (fromArchive && !created) void roomCatchUp(account, p.room, fromArchive.after);
        }
        return;
      }
      if (r.state !== "joined") return; // the occupant list sent before our own presence
      if (!had) {
        notice(account, p.room, "join", `${p.nick} joined${p.jid ? ` (${bareJid(p.jid)})` : ""}`, `${p.room}/${p.nick}`);
        ctx.publish("occupant", { account, room: p.room, change: "join", ...occupantView(occupantOf(p)) });
      } else if (had.role !== p.role || had.affiliation !== p.affiliation || had.show !== p.show || had.status !== p.status) {
        if (had.role !== p.role || had.affiliation !== p.affiliation) notice(account, p.room, "info", `${p.nick} is now ${p.role}, ${p.affiliation}`, `${p.room}/${p.nick}`);
        ctx.publish("occupant", { account, room: p.room, change: "update", ...occupantView(occupantOf(p)) });
      }
      return;
    }

    // unavailable
    if (p.codes.includes(STATUS.nickChanged) && p.newNick) {
      store.dispatch({ type: "rooms/renamed", account, room: p.room, from: p.nick, to: p.newNick, self });
      notice(account, p.room, "nick", self ? `you are now known as ${p.newNick}` : `${p.nick} is now known as ${p.newNick}`, `${p.room}/${p.newNick}`);
      ctx.publish("occupant", { account, room: p.room, change: "nick", nick: p.nick, new_nick: p.newNick, self });
      return;
    }
    const why = p.codes.includes(STATUS.banned)
      ? "banned"
      : p.codes.includes(STATUS.kicked)
        ? "kicked"
        : p.codes.includes(STATUS.shutdown)
          ? "shutdown"
          : p.destroyed
            ? "destroyed"
            : p.codes.includes(STATUS.affiliationChange) || p.codes.includes(STATUS.membersOnly)
              ? "removed"
              : "left";
    const by = `${p.actor ? ` by ${p.actor}` : ""}${p.reason ? `: ${p.reason}` : p.destroyed?.reason ? `: ${p.destroyed.reason}` : ""}`;
    if (self) {
      if (r.state === "joining" && why === "left") return;
      store.dispatch({ type: "rooms/left", account, room: p.room, reason: why });
      const text =
        why === "left"
          ? "you left the room"
          : why === "shutdown"
            ? "the room service is shutting down"
            : why === "destroyed"
              ? `the room was destroyed${by}${p.destroyed?.jid ? ` (now: ${p.destroyed.jid})` : ""}`
              : why === "removed"
                ? `you were removed from the room (affiliation change)${by}`
                : `you were ${why}${by}`;
      notice(account, p.room, why === "kicked" ? "kick" : why === "banned" ? "ban" : "leave", text);
      publishRoom(account, room(account, p.room), why, { actor: p.actor, text_reason: p.reason });
      return;
    }
    store.dispatch({ type: "rooms/occupantGone", account, room: p.room, nick: p.nick });
    const line = why === "kicked" || why === "banned" ? `${p.nick} was ${why}${by}` : `${p.nick} left${p.status ? ` (${p.status})` : ""}`;
    notice(account, p.room, why === "kicked" ? "kick" : why === "banned" ? "ban" : "leave", line, `${p.room}/${p.nick}`);
    ctx.publish("occupant", { account, room: p.room, change: why === "left" ? "leave" : why, nick: p.nick, actor: p.actor, reason: p.reason });
  };

  // -- messages -----------------------------------------------------------------------------------

  /**
   * A groupchat message: live, or `archived` (a result from the room's archive: its archive id
   * and stamp). Returns whether a new message was shown.
   */
  const onGroupchat = (account: string, stanza: XmlElement, archived?: { id: string; stamp?: string }): boolean => {
    const from = tryParseJid(stanza.attrs.from ?? "");
    if (!from) return false;
    const roomJid = bareJid(from);
    const r = room(account, roomJid);
    if (!r) return false;
    const nick = from.resource || undefined;
    const own = ctx.ownJid(account);
    const subject = stanza.getChild("subject");
    if (subject && stanza.getChildText("body") === null) {
      if (archived) return false; // the room sends its current subject on join
      const text = subject.getText();
      store.dispatch({ type: "rooms/subject", account, room: roomJid, subject: text, by: nick });
      notice(account, roomJid, "subject", nick ? `${nick} set the topic: ${text}` : `topic: ${text}`, stanza.attrs.from);
      ctx.publish("subject", { account, room: roomJid, nick: nick ?? null, subject: text });
      return false;
    }
    const conv = getConversation(store.account(account), roomJid);

    // XEP-0425: a moderator removed a message (the room says so); XEP-0424: its sender retracted it.
    const retraction = parseRetraction(stanza);
    if (retraction) {
      const target = conv?.messages.findLast((m) => m.stanzaId === retraction.id) ?? (retraction.moderated ? undefined : findMessage(conv, retraction.id));
      if (retraction.moderated && nick) return false; // only the room itself announces moderation
      if (!target || target.notice) return false;
      if (!retraction.moderated && target.from !== stanza.attrs.from) {
        ctx.publish("warning", { account, code: "forged_retraction", text: `ignored a retraction in ${roomJid} from ${nick ?? roomJid} of a message it did not send`, from: stanza.attrs.from, id: retraction.id });
        return false;
      }
      const by = retraction.moderated ? retraction.by : nick;
      store.dispatch({ type: "conversations/retract", account, peer: roomJid, id: target.id, by, reason: retraction.reason });
      ctx.publish("message_retracted", { account, room: roomJid, id: target.id, moderated: retraction.moderated, by: by ?? null, reason: retraction.reason ?? null });
      return false;
    }

    const msg = parseMessage(account, own, stanza);
    if (!msg || msg.type !== "groupchat") return false;
    // The room's id for it: the archive result's id, or the stanza-id the room stamped.
    const sid = archived ? archived.id : roomStanzaId(stanza, roomJid);

    // Our own message, reflected by the room: it arrived.
    if (nick === r.nick) {
      const ours = findMessage(conv, msg.id);
      if (ours?.direction === "out") {
        // The room's id for it (what a retraction of it refers to, and what the room's archive knows it by).
        if (sid && !ours.stanzaId) store.dispatch({ type: "conversations/archived", account, peer: roomJid, id: ours.id, stanzaId: sid });
        if (sid) storeArchiveId(account, roomJid, ours.id, sid);
        if (deliveryRank("delivered") > deliveryRank(ours.state)) {
          ctx.outbox.onPeerState(account, stanza.attrs.from!, ours.id, "delivered");
          store.dispatch({ type: "conversations/state", account, peer: roomJid, id: ours.id, state: "delivered" });
          ctx.publish("message_state", { account, id: ours.id, to: roomJid, state: "delivered" });
        }
        return false;
      }
    }
    const sender = nick ? r.occupants[nick] : undefined;
    const realJid = sender?.jid ? bareJid(sender.jid) : undefined;

    // XEP-0308 in a room: only the same occupant (and the same real JID, where known) may correct.
    if (msg.replace) {
      const original = findMessage(conv, msg.replace);
      if (original) {
        const sameOccupant = original.from === msg.from;
        const knownBefore = realSenders.get(`${roomJid}\n${original.id}`);
        const sameReal = !knownBefore || !realJid || knownBefore === realJid;
        if (!sameOccupant || !sameReal) {
          ctx.publish("warning", { account, code: "forged_correction", text: `ignored a correction in ${roomJid} from ${nick ?? roomJid} of a message it did not send`, from: msg.from, id: msg.replace });
          return false;
        }
        if (original.body === msg.body) return false; // applied already (the archive's copy of a live correction)
        store.dispatch({ type: "conversations/correct", account, peer: roomJid, id: original.id, body: msg.body });
        ctx.publish("message_corrected", { account, id: original.id, from: msg.from, body: msg.body, previous: original.body, peer: roomJid, room: roomJid, direction: original.direction });
        return false;
      }
    }

    const message: ChatMessage = { id: msg.id, direction: nick !== undefined && nick === r.nick ? "out" : "in", from: msg.from, to: msg.to, type: "groupchat", body: msg.body, time: archived?.stamp ?? new Date().toISOString() };
    if (nick) message.nick = nick;
    else message.notice = "info";
    if (msg.delay) message.delay = msg.delay;
    // An archived message is placed by when the room archived it.
    else if (archived?.stamp) message.delay = archived.stamp;
    if (msg.me) message.me = true;
    if (msg.wireId) message.wireId = msg.wireId;
    if (sid) message.stanzaId = sid;
    // Highlights: live messages from others that mention our nick or a highlight word.
    // Per room (muc_notify): every message, highlights only (the default), or nothing.
    const settings = ctx.settings();
    const mode = parseNotify(settings.muc_notify).get(roomJid) ?? "highlight";
    const words = (settings.highlight_words ?? "").split(/[\s,]+/).filter(Boolean);
    if (nick && message.direction === "in" && !message.delay && mode !== "none" && (mode === "all" || findHighlight(msg.body, r.nick, words))) message.highlight = true;
    if (!addRoomMessage(account, roomJid, message, stanza, archived ? { archived: true } : {})) return false;
    if (realJid) {
      realSenders.set(`${roomJid}\n${message.id}`, realJid);
      if (realSenders.size > 5000) realSenders.delete(realSenders.keys().next().value!);
    }
    if (message.highlight) {
      store.dispatch({ type: "rooms/highlight", account, room: roomJid });
      ctx.publish("highlight", { account, room: roomJid, nick, body: msg.body, id: message.id });
    }
    return true;
  };

  /** Our own message's room stanza-id, into its stored row (an archived copy is then known by it). */
  const storeArchiveId = (account: string, roomJid: string, id: string, stanzaId: string) => {
    try {
      ctx.history?.db.setArchiveId(account, roomJid, id, stanzaId, roomJid);
    } catch (err) {
      ctx.log.warn(`account ${account}: ${roomJid}: storing the room's id of our message: ${(err as Error).message}`);
    }
  };

  // -- the room's archive (MUC MAM) ----------------------------------------------------------------

  // Joins sent to rooms with an archive (no replay asked): the newest room archive id held then.
  const archiveJoins = new Map<string, { after?: string }>();
  // Rooms whose archive we read (their disco#info at the last join said so).
  const roomArchives = new Set<string>();

  // Paging back in such a room reads the room's archive: results stored (not shown) as they come.
  if (ctx.history?.archive) {
    const history = ctx.history;
    history.archive!.rooms = {
      has: (account, peer) => roomArchives.has(key(account, peer)),
      storeOlder: (account, roomJid, r, now) => {
        const el = r.message;
        const from = tryParseJid(el.attrs.from ?? "");
        if (!from?.resource || !sameBareJid(from, roomJid) || el.attrs.type !== "groupchat" || el.getChildText("body") === null) return false;
        const msg = parseMessage(account, ctx.ownJid(account), el, now);
        // Corrections and retractions apply to what is shown, not to older pages.
        if (!msg || msg.type !== "groupchat" || msg.replace || parseRetraction(el)) return false;
        const ours = from.resource === room(account, roomJid)?.nick;
        const m: ChatMessage = { id: msg.id, direction: ours ? "out" : "in", from: ours ? ctx.ownJid(account) : msg.from, to: msg.to, type: "groupchat", body: msg.body, time: r.stamp ?? now.toISOString(), stanzaId: r.id, nick: from.resource };
        const delay = msg.delay ?? r.stamp;
        if (delay) m.delay = delay;
        if (msg.me) m.me = true;
        if (msg.wireId) m.wireId = msg.wireId;
        return history.db.record(history.toRow(account, roomJid, m, idKindOf(el), "mam", roomJid), "prepend").inserted;
      },
    };
  }

  /** Whether the room advertises an archive we may read (and archive reading is on). */
  const roomHasArchive = async (account: Account, roomJid: string): Promise<boolean> => {
    if (!ctx.history?.archive || !ctx.settings().mam) return false;
    try {
      return parseDiscoFeatures(await account.request("get", buildDiscoInfo(), roomJid, 10_000)).has(NS_MAM);
    } catch (err) {
      // No such room yet (we create it), or no disco: the room's own replay.
      ctx.log.debug(`account ${account.name}: disco#info of ${roomJid}: ${(err as Error).message}`);
      return false;
    }
  };

  /** One result from the room's archive (accepted by the archive: an open query, from this room). */
  const onArchived = (account: string, roomJid: string, r: MamResult): boolean => {
    const el = r.message;
    const from = tryParseJid(el.attrs.from ?? "");
    if (!from || !sameBareJid(from, roomJid) || el.attrs.type !== "groupchat") return false;
    return onGroupchat(account, el, r.stamp ? { id: r.id, stamp: r.stamp } : { id: r.id });
  };

  /**
   * What we missed in a room, from its archive: after `after` (the newest room archive id we held
   * when joining), page by page until complete; without one, the archive's last page. Each result
   * is a room message like a live one, de-duplicated by the history database; new ones are shown
   * (`message` events with `archived: true`). At the end a `room_history` event.
   */
  const roomCatchUp = async (account: string, roomJid: string, after: string | undefined) => {
    const archive = ctx.history?.archive;
    const acct = ctx.engine.find(account);
    if (!archive || !acct?.online) return;
    const started = performance.now();
    let messages = 0;
    let pages = 0;
    let complete = false;
    let q: Omit<MamQuery, "queryid"> = after ? { max: MAM_PAGE, after } : { max: FIRST_PAGE, before: "" };
    try {
      while (pages < MAX_ROOM_PAGES && acct.online && room(account, roomJid)?.state === "joined") {
        let res: Awaited<ReturnType<typeof archive.query>>;
        try {
          res = await archive.query(acct, roomJid, q);
        } catch (err) {
          // Our position expired from the room's archive: its last page.
          if (err instanceof StanzaError && err.condition === "item-not-found" && q.after) {
            q = { max: FIRST_PAGE, before: "" };
            continue;
          }
          throw err;
        }
        pages++;
        for (const r of res.results) if (onArchived(account, roomJid, r)) messages++;
        const last = res.fin.last ?? res.results.at(-1)?.id;
        // The last page is all a first join shows; forward paging goes on until complete.
        if (q.before !== undefined || res.fin.complete || res.results.length === 0 || !last) {
          complete = true;
          break;
        }
        q = { max: MAM_PAGE, after: last };
      }
    } catch (err) {
      ctx.publish("warning", { account, code: "room_history", text: `${roomJid}: the room's archive could not be read: ${(err as Error).message}` });
    }
    ctx.publish("room_history", { account, room: roomJid, source: "archive", messages, pages, complete, ms: Math.round(performance.now() - started) });
  };

  const onInvitation = (account: string, stanza: XmlElement): boolean => {
    const decline = parseDecline(stanza);
    if (decline) {
      notice(account, decline.room, "info", `${decline.from} declined your invitation${decline.reason ? `: ${decline.reason}` : ""}`);
      ctx.publish("invitation_declined", { account, room: decline.room, from: decline.from, reason: decline.reason });
      return true;
    }
    const inv = parseInvitation(stanza);
    if (!inv) return false;
    const known = invitations.findIndex((i) => i.account === account && i.room === inv.room);
    const rec: ReceivedInvitation = { ...inv, account, received: new Date().toISOString() };
    if (known >= 0) invitations.splice(known, 1);
    invitations.push(rec);
    if (invitations.length > 100) invitations.shift();
    ctx.publish("invitation", { account, room: inv.room, from: inv.from, reason: inv.reason, kind: inv.kind, password: inv.password ? "***" : undefined, accept_with: `/invitation accept ${inv.room}`, decline_with: `/invitation decline ${inv.room}` });
    return true;
  };

  ctx.engine.on("stanza", ({ account, stanza }) => {
    try {
      if (stanza.name === "presence") onPresence(account, stanza);
      else if (stanza.name === "message") {
        if (stanza.attrs.type === "groupchat") onGroupchat(account, stanza);
        else if (stanza.attrs.type !== "error") onInvitation(account, stanza);
      }
    } catch (err) {
      ctx.log.warn(`account ${account}: muc: ${(err as Error).message}`, { stanza: stanza.name });
    }
  });

  // -- our messages --------------------------------------------------------------------------------

  ctx.outbox.on("message", (m: OutgoingMessage) => {
    if (m.type !== "groupchat") return;
    const roomJid = bareJid(m.to);
    const r = room(m.account, roomJid);
    const message: ChatMessage = { id: m.id, direction: "out", from: `${roomJid}/${r?.nick ?? ""}`, to: m.to, type: "groupchat", body: m.body, time: m.created, state: m.state };
    if (r) message.nick = r.nick;
    if (m.body.startsWith("/me ")) message.me = true;
    if (m.replaces) {
      const original = findMessage(getConversation(store.account(m.account), roomJid), m.replaces);
      if (original?.direction === "out") {
        store.dispatch({ type: "conversations/correct", account: m.account, peer: roomJid, id: original.id, body: m.body });
        return;
      }
    }
    store.dispatch({ type: "conversations/message", account: m.account, peer: roomJid, message });
  });

  ctx.outbox.on("state", (m: OutgoingMessage) => {
    if (m.type !== "groupchat" || m.replaces) return;
    const roomJid = bareJid(m.to);
    const current = findMessage(getConversation(store.account(m.account), roomJid), m.id);
    if (!current || (m.state !== "failed" && deliveryRank(m.state) <= deliveryRank(current.state))) return;
    const error = m.state === "failed" && m.error ? { condition: String(m.error.condition ?? m.error.code), text: m.error.text } : undefined;
    store.dispatch({ type: "conversations/state", account: m.account, peer: roomJid, id: m.id, state: m.state, error });
  });

  // -- actions -------------------------------------------------------------------------------------

  const online = (account: Account) => {
    if (!account.online) throw new JabtermError("connection", `account ${account.name} is not online`);
  };
  const joined = (account: Account, roomJid: string): Room => {
    const r = room(account.name, roomJid);
    if (!r || r.state !== "joined") throw new UsageError(`you are not in ${roomJid}: /join ${roomJid}`);
    return r;
  };
  const roomJid = (input: string) => splitRoomArg(input).room;
  const defaultNick = (account: Account) => {
    const j = tryParseJid(account.settings.jid);
    return j?.local || account.name;
  };

  const instantRoom = async (account: string, roomJid: string) => {
    const acct = ctx.engine.find(account);
    if (!acct?.online) return;
    try {
      await acct.request("set", buildInstantRoom(), roomJid);
      ctx.publish("room", { account, room: roomJid, status: "configured", instant: true });
    } catch (err) {
      ctx.publish("warning", { account, code: "room_config", text: `${roomJid}: the instant room was not accepted: ${(err as Error).message}` });
    }
  };

  const join: MucController["join"] = async (account, input, nickArg, opts = {}) => {
    online(account);
    const parts = splitRoomArg(input);
    const jid = normalizeJid(parts.room);
    const nick = parseJid(`${jid}/${nickArg ?? parts.nick ?? defaultNick(account)}`).resource!;
    const existing = room(account.name, jid);
    if (existing?.state === "joined" && existing.nick === nick) return existing;
    if (existing?.state === "joined") return controller.nick(account, jid, nick);
    const password = opts.password ?? existing?.password;
    store.dispatch({ type: "rooms/joining", account: account.name, room: jid, nick, password, autojoin: opts.autojoin });
    publishRoom(account.name, room(account.name, jid), "joining", { why: opts.reason ?? "command" });
    const answer = opts.wait === false ? undefined : wait(pendingJoins, key(account.name, jid), `join ${jid}`);
    const pres = presenceState(account.name);
    joinSentAt.set(key(account.name, jid), performance.now());
    // A room with an archive: no replay, its archive instead (from what we hold now, before the join's live messages).
    const k = key(account.name, jid);
    archiveJoins.delete(k);
    const fromArchive = await roomHasArchive(account, jid);
    if (fromArchive) {
      archiveJoins.set(k, { after: newestRoomArchiveId(account.name, jid) });
      roomArchives.add(k);
    } else roomArchives.delete(k);
    await account.send(buildJoin(jid, nick, { password, ...pres, ...(fromArchive ? { maxStanzas: 0 } : {}) }));
    if (!answer) return room(account.name, jid)!;
    try {
      return await answer;
    } catch (err) {
      if (err instanceof TimeoutError) {
        store.dispatch({ type: "rooms/left", account: account.name, room: jid, reason: "error", error: err.message });
      }
      throw err;
    }
  };

  const newestRoomArchiveId = (account: string, roomJid: string): string | undefined => {
    try {
      return ctx.history?.db.newestArchiveId(account, roomJid, roomJid);
    } catch (err) {
      ctx.log.warn(`account ${account}: ${roomJid}: reading the newest room archive id: ${(err as Error).message}`);
      return undefined;
    }
  };

  /** Our own show and status, so the room sees what contacts see. */
  const presenceState = (account: string) => {
    const own = store.account(account).own;
    return own.status ? { show: own.show, status: own.status } : { show: own.show };
  };

  const controller: MucController = {
    roomJid,
    join,

    async leave(account, input, reason) {
      const jid = roomJid(input);
      const r = room(account.name, jid);
      if (!r) throw new UsageError(`you are not in ${jid}`);
      if (account.online && (r.state === "joined" || r.state === "joining")) await account.send(buildLeave(jid, r.nick, reason));
      store.dispatch({ type: "rooms/left", account: account.name, room: jid, reason: "left" });
      notice(account.name, jid, "leave", "you left the room");
      publishRoom(account.name, room(account.name, jid), "left", { reason: reason ?? null });
    },

    async nick(account, input, nick) {
      online(account);
      const jid = roomJid(input);
      const r = joined(account, jid);
      const prepared = parseJid(`${jid}/${nick}`).resource!;
      if (prepared === r.nick) return r;
      const answer = wait(pendingNicks, key(account.name, jid), `the nick change in ${jid}`);
      await account.send(buildNickChange(jid, prepared));
      return answer;
    },

    async topic(account, input, subject) {
      online(account);
      const jid = roomJid(input);
      joined(account, jid);
      await account.send(buildSubject(jid, subject));
    },

    async setRole(account, input, nick, role, reason) {
      online(account);
      const jid = roomJid(input);
      joined(account, jid);
      await account.request("set", buildAdminItem({ nick, role, reason }), jid);
    },

    async setAffiliation(account, input, who, affiliation, reason) {
      online(account);
      const jid = roomJid(input);
      const r = room(account.name, jid);
      // A nick of an occupant whose real JID we see, or a JID.
      const occ = r?.occupants[who];
      const target = occ?.jid ? bareJid(occ.jid) : tryParseJid(who) && who.includes("@") ? bareJid(normalizeJid(who)) : undefined;
      if (!target) throw new UsageError(`${who}: give the occupant's JID (its real JID is not visible to you)`);
      await account.request("set", buildAdminItem({ jid: target, affiliation, reason }), jid);
    },

    async affiliations(account, input, affiliation) {
      online(account);
      const res = await account.request("get", buildAffiliationList(affiliation), roomJid(input));
      return parseAffiliationList(res.getChild("query", NS.mucAdmin));
    },

    async invite(account, input, to, opts = {}) {
      online(account);
      const jid = roomJid(input);
      const r = room(account.name, jid);
      const invitee = bareJid(normalizeJid(to));
      if (opts.direct) await account.send(buildDirectInvite(invitee, jid, { reason: opts.reason, password: r?.password }));
      else {
        joined(account, jid);
        await account.send(buildMediatedInvite(jid, invitee, opts.reason));
      }
    },

    invitations: (account) => invitations.filter((i) => !account || i.account === account),

    async answerInvitation(account, input, accept, reason) {
      const jid = roomJid(input);
      const at = invitations.findIndex((i) => i.account === account.name && i.room === jid);
      const inv = invitations[at];
      if (!inv) throw new UsageError(`no invitation to ${jid}`);
      invitations.splice(at, 1);
      if (accept) return join(account, jid, undefined, { password: inv.password, reason: "invitation" });
      if (inv.kind === "mediated") {
        online(account);
        await account.send(buildDecline(jid, bareJid(inv.from), reason));
      }
      return undefined;
    },

    async destroy(account, input, reason) {
      online(account);
      const jid = roomJid(input);
      await account.request("set", buildDestroy(reason), jid);
    },

    async getConfig(account, input) {
      online(account);
      const jid = roomJid(input);
      const res = await account.request("get", xml("query", { xmlns: NS.mucOwner }), jid);
      const form = parseForm(res.getChild("query", NS.mucOwner)?.getChild("x", NS.data));
      if (!form) throw new JabtermError("stanza", `${jid} sent no configuration form`);
      return form;
    },

    async setConfig(account, input, values) {
      const jid = roomJid(input);
      const form = await controller.getConfig(account, jid);
      for (const v of Object.keys(values)) if (!form.fields.some((f) => f.var === v)) throw new UsageError(`${jid} has no setting ${v}: /room config ${jid} lists them`);
      const submit = buildSubmit(form, values);
      await account.request("set", xml("query", { xmlns: NS.mucOwner }, submit), jid);
      return controller.getConfig(account, jid);
    },

    async moderate(account, input, target, reason) {
      online(account);
      const jid = roomJid(input);
      joined(account, jid);
      let stanzaId = target.stanzaId;
      if (!stanzaId) {
        const conv = getConversation(store.account(account.name), jid);
        const last = conv?.messages.findLast((m) => m.nick === target.nick && !m.notice && !m.retracted && m.stanzaId);
        if (!last?.stanzaId) throw new UsageError(`no message of ${target.nick} in ${jid} to remove (the room must give messages ids: XEP-0359)`);
        stanzaId = last.stanzaId;
      }
      await account.request("set", buildModerate(stanzaId, reason), jid);
      return stanzaId;
    },

    async retract(account, input) {
      online(account);
      const jid = roomJid(input);
      const r = joined(account, jid);
      const conv = getConversation(store.account(account.name), jid);
      const last = conv?.messages.findLast((m) => m.direction === "out" && !m.notice && !m.retracted);
      if (!last) throw new UsageError(`you have no message in ${jid} to retract`);
      const id = last.stanzaId ?? last.id;
      await account.send(buildRetract(jid, id));
      store.dispatch({ type: "conversations/retract", account: account.name, peer: jid, id: last.id, by: r.nick });
      return id;
    },

    async register(account, input, values) {
      online(account);
      const jid = roomJid(input);
      const res = await account.request("get", xml("query", { xmlns: NS_REGISTER }), jid);
      const q = res.getChild("query", NS_REGISTER);
      const form = parseForm(q?.getChild("x", NS.data));
      if (!values) {
        if (q?.getChild("registered")) return { registered: true, nick: q.getChildText("username") ?? undefined };
        if (!form) throw new JabtermError("stanza", `${jid} sent no registration form`);
        return { registered: false, form };
      }
      if (!form) throw new JabtermError("stanza", `${jid} sent no registration form`);
      for (const v of Object.keys(values)) if (!form.fields.some((f) => f.var === v)) throw new UsageError(`${jid}'s registration form has no field ${v}`);
      await account.request("set", xml("query", { xmlns: NS_REGISTER }, buildSubmit(form, values)), jid);
      const nick = values["muc#register_roomnick"]?.[0];
      return nick ? { registered: true, nick } : { registered: true };
    },

    async selfPing(only) {
      const out: Record<string, "joined" | "gone" | "unknown"> = {};
      for (const acct of ctx.engine.accounts()) {
        if (!acct.online || (only && acct.name !== only)) continue;
        for (const r of Object.values(store.account(acct.name).rooms)) {
          if (r.state !== "joined") continue;
          let verdict: "joined" | "gone" | "unknown";
          try {
            await acct.request("get", buildSelfPing(), `${r.jid}/${r.nick}`, 10_000);
            verdict = selfPingVerdict({ ok: true });
          } catch (err) {
            ctx.log.debug(`account ${acct.name}: self-ping in ${r.jid}: ${(err as Error).message}`);
            verdict = err instanceof TimeoutError ? "unknown" : selfPingVerdict({ ok: false, condition: err instanceof StanzaError ? err.condition : (err as JabtermError).detail?.condition as string | undefined });
          }
          out[`${acct.name}\n${r.jid}`] = verdict;
          if (verdict === "gone") {
            ctx.publish("room", { ...roomView(acct.name, r), status: "dropped" });
            notice(acct.name, r.jid, "info", "you were no longer in the room (self-ping): joining again");
            store.dispatch({ type: "rooms/left", account: acct.name, room: r.jid, reason: "dropped" });
            join(acct, r.jid, r.nick, { reason: "rejoin" }).catch((e: Error) => ctx.publish("warning", { account: acct.name, code: "rejoin", text: `${r.jid}: rejoin failed: ${e.message}` }));
          }
        }
      }
      return out;
    },
  };
  controllers.set(ctx, controller);

  // A fresh session: the rooms we were in do not know us any more; join them again.
  ctx.onSessionStart(110, "rooms", (account) => {
    const since = onlineAt.get(account.name) ?? 0;
    const stale = Object.values(store.account(account.name).rooms).filter((r) => (r.state === "joined" || r.state === "joining") && (joinSentAt.get(key(account.name, r.jid)) ?? 0) < since);
    for (const r of stale) store.dispatch({ type: "rooms/left", account: account.name, room: r.jid, reason: "disconnected" });
    for (const r of stale) {
      join(account, r.jid, r.nick, { reason: "rejoin", password: r.password }).catch((e: Error) =>
        ctx.publish("warning", { account: account.name, code: "rejoin", text: `${r.jid}: rejoin failed: ${e.message}` }),
      );
    }
  });

  // XEP-0410: self-ping every muc_self_ping ms (0: off).
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    const every = Number(ctx.settings().muc_self_ping ?? 0);
    if (!every) return;
    timer = setTimeout(() => {
      void controller.selfPing().finally(schedule);
    }, every);
    timer.unref?.();
  };
  schedule();
  ctx.onShutdown(() => {
    if (timer) clearTimeout(timer);
    for (const m of [pendingJoins, pendingNicks]) for (const [k] of m) settle(m, k, { error: new JabtermError("connection", "shutting down") });
  });
}
