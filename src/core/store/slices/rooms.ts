/**
 * The rooms slice (XEP-0045): per account, the rooms we are in or joining, with our nick, the
 * subject, the occupants (role, affiliation, presence, real JID when the room shows it) and the
 * highlight count. A room's messages live in the conversations slice under the room's bare JID;
 * private messages with an occupant under the occupant's full JID (conversationKey).
 */
import { bareJid, tryParseJid } from "../../jid.js";
import type { AccountSlice, Occupant, Room } from "../types.js";

export type RoomsAction =
  | { type: "rooms/joining"; account: string; room: string; nick: string; password?: string; autojoin?: boolean }
  | { type: "rooms/joined"; account: string; room: string; nick: string }
  | { type: "rooms/occupant"; account: string; room: string; occupant: Occupant }
  | { type: "rooms/occupants"; account: string; room: string; occupants: Occupant[] }
  | { type: "rooms/occupantGone"; account: string; room: string; nick: string }
  /** An occupant changed nick (303); `self`: it was us. */
  | { type: "rooms/renamed"; account: string; room: string; from: string; to: string; self?: boolean }
  | { type: "rooms/subject"; account: string; room: string; subject: string; by?: string }
  /** We are out: left, kicked, banned, shut down, join refused, or the session ended. */
  | { type: "rooms/left"; account: string; room: string; reason: string; error?: string }
  /** Forget the room (after /leave). */
  | { type: "rooms/remove"; account: string; room: string }
  | { type: "rooms/highlight"; account: string; room: string }
  /** A fresh session: every room must be joined again. */
  | { type: "rooms/session"; account: string };

type Rooms = AccountSlice["rooms"];

function isRoomsAction(a: { type: string }): a is RoomsAction {
  return a.type.startsWith("rooms/");
}

export function emptyRoom(jid: string, nick: string): Room {
  return { jid, nick, state: "joining", occupants: {}, highlights: 0 };
}

/**
 * The conversation key of a JID: an occupant of a room we know (room/nick) keeps its full JID
 * (a private conversation of its own); everything else is keyed by bare JID.
 */
export function conversationKey(slice: AccountSlice, jid: string): string {
  const j = tryParseJid(jid);
  if (!j) return jid;
  const bare = bareJid(j);
  return j.resource && slice.rooms[bare] ? `${bare}/${j.resource}` : bare;
}

export function getRoom(slice: AccountSlice, room: string): Room | undefined {
  return slice.rooms[room];
}

/** Occupants sorted for display: moderators, participants, visitors; by nick within. */
export function sortedOccupants(room: Room | undefined): Occupant[] {
  if (!room) return [];
  const rank = { moderator: 0, participant: 1, visitor: 2, none: 3 } as const;
  return Object.values(room.occupants).sort((a, b) => rank[a.role] - rank[b.role] || a.nick.localeCompare(b.nick));
}

function put(slice: Rooms, room: string, next: Room): Rooms {
  return { ...slice, [room]: next };
}

export function roomsReducer(slice: Rooms, action: { type: string; account?: string; peer?: string }): Rooms {
  // Reading the room's conversation clears its highlights.
  if (action.type === "conversations/read" && action.peer && slice[action.peer]?.highlights) {
    return put(slice, action.peer, { ...slice[action.peer]!, highlights: 0 });
  }
  if (!isRoomsAction(action)) return slice;
  switch (action.type) {
    case "rooms/joining": {
      const old = slice[action.room];
      const next: Room = { ...(old ?? emptyRoom(action.room, action.nick)), nick: action.nick, state: "joining", occupants: {} };
      delete next.error;
      if (action.password !== undefined) next.password = action.password;
      if (action.autojoin) next.autojoin = true;
      return put(slice, action.room, next);
    }
    case "rooms/joined": {
      const old = slice[action.room];
      if (!old) return slice;
      if (old.state === "joined" && old.nick === action.nick) return slice;
      return put(slice, action.room, { ...old, state: "joined", nick: action.nick });
    }
    case "rooms/occupant": {
      const old = slice[action.room];
      if (!old) return slice;
      return put(slice, action.room, { ...old, occupants: { ...old.occupants, [action.occupant.nick]: action.occupant } });
    }
    case "rooms/occupants": {
      const old = slice[action.room];
      if (!old || action.occupants.length === 0) return slice;
      const occupants = { ...old.occupants };
      for (const o of action.occupants) occupants[o.nick] = o;
      return put(slice, action.room, { ...old, occupants });
    }
    case "rooms/occupantGone": {
      const old = slice[action.room];
      if (!old || !(action.nick in old.occupants)) return slice;
      const { [action.nick]: _gone, ...occupants } = old.occupants;
      return put(slice, action.room, { ...old, occupants });
    }
    case "rooms/renamed": {
      const old = slice[action.room];
      if (!old) return slice;
      const { [action.from]: who, ...occupants } = old.occupants;
      if (who) occupants[action.to] = { ...who, nick: action.to };
      return put(slice, action.room, { ...old, occupants, nick: action.self ? action.to : old.nick });
    }
    case "rooms/subject": {
      const old = slice[action.room];
      if (!old || (old.subject === action.subject && old.subjectBy === action.by)) return slice;
      const next: Room = { ...old, subject: action.subject };
      if (action.by) next.subjectBy = action.by;
      else delete next.subjectBy;
      return put(slice, action.room, next);
    }
    case "rooms/left": {
      const old = slice[action.room];
      if (!old) return slice;
      const next: Room = { ...old, state: action.error ? "error" : "left", occupants: {}, leftReason: action.reason };
      if (action.error) next.error = action.error;
      return put(slice, action.room, next);
    }
    case "rooms/remove": {
      if (!(action.room in slice)) return slice;
      const { [action.room]: _gone, ...rest } = slice;
      return rest;
    }
    case "rooms/highlight": {
      const old = slice[action.room];
      return old ? put(slice, action.room, { ...old, highlights: old.highlights + 1 }) : slice;
    }
    case "rooms/session": {
      let out = slice;
      for (const [jid, room] of Object.entries(slice)) {
        if (room.state !== "joined" && room.state !== "joining") continue;
        if (out === slice) out = { ...slice };
        out[jid] = { ...room, state: "left", occupants: {}, leftReason: "disconnected" };
      }
      return out;
    }
  }
}
