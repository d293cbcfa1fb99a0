/**
 * The shape of jabterm's state: everything a host shows (roster, presence, requests, own
 * presence, conversations) per account. Pure data; changed only by the slice reducers through
 * actions, read by hosts through selectors (the TUI through useSyncExternalStore).
 */

export const SHOWS = ["online", "chat", "away", "xa", "dnd"] as const;
export type Show = (typeof SHOWS)[number];

export type Subscription = "none" | "to" | "from" | "both";

export interface RosterItem {
  /** Bare JID, normalised. */
  jid: string;
  /** The name the user gave (roster), if any. */
  name?: string;
  groups: string[];
  subscription: Subscription;
  /** A subscription request of ours is pending. */
  ask?: "subscribe";
  /** Pre-approved (RFC 6121 §3.4). */
  approved?: boolean;
  /** The nickname the contact publishes (XEP-0172), used when there is no roster name. */
  nick?: string;
}

export interface ResourcePresence {
  resource: string;
  /** Full JID. */
  full: string;
  show: Show;
  status?: string;
  priority: number;
  /** When this presence arrived (ISO). */
  updated: string;
  /** XEP-0115 caps as advertised. */
  caps?: { node: string; ver: string; hash: string };
  /** Client software: from disco identity (caps) or XEP-0092. */
  client?: { name: string; version?: string; os?: string };
  /** XEP-0319 idle since (ISO), or derived from XEP-0012. */
  idleSince?: string;
  /** Where `client` came from: the verified caps disco#info, or a XEP-0092 answer (which wins). */
  clientSource?: "caps" | "version";
}

export interface SubscriptionRequest {
  /** Bare JID asking to see our presence. */
  jid: string;
  nick?: string;
  status?: string;
  received: string;
}

export interface OwnPresence {
  show: Show;
  status?: string;
  /** The priority of the last broadcast presence (the account's key for this show); unset before the first. */
  priority?: number;
  /** Set while auto-away holds the account away/xa; what to restore on input. `since`: the last activity (ISO). */
  auto?: { level: "away" | "xa"; since: string; restoreShow: Show; restoreStatus?: string };
}

export type ChatDirection = "in" | "out";

export interface ChatMessage {
  /** jabterm's stable id (origin-id for ours). */
  id: string;
  direction: ChatDirection;
  /** Full or bare JID of the sender. */
  from: string;
  to: string;
  type: "chat" | "normal" | "headline" | "groupchat" | "error";
  body: string;
  /** When we received or sent it (ISO). */
  time: string;
  /** Original send time for delayed messages (ISO). */
  delay?: string;
  /** The delay stamp was unusable: ignored ("invalid"), or clamped to `time` ("future", "too-old"). */
  delayIssue?: "invalid" | "future" | "too-old";
  /** Delivery state for outgoing messages. */
  state?: "queued" | "sent" | "acked" | "delivered" | "displayed" | "failed";
  /** XEP-0245 /me. */
  me?: boolean;
  /** Earlier texts when corrected (XEP-0308), oldest first. */
  corrections?: string[];
  /** Seen through a carbon (another device of ours sent or received it). */
  carbon?: "sent" | "received";
  stanzaId?: string;
  /** The stanza's id attribute when it differs from `id` (receipts, markers, corrections refer to it). */
  wireId?: string;
  /** XEP-0333: the sender asked for chat markers. */
  markable?: boolean;
  subject?: string;
  thread?: string;
  error?: { condition: string; text?: string };
  encryption?: "pgp" | "ox";
  verified?: "verified" | "unverified" | "unsigned" | "bad";
  /** OX: which content element carried it (crypt-only and sign-only are labelled as such). */
  oxKind?: "signcrypt" | "crypt" | "sign";
  /** Why it is not verified, why it was refused or could not be decrypted, or a replay warning. */
  cryptoNote?: string;
  /** Rooms: a local line about the room (join, leave, nick change, subject, kick), not a message. */
  notice?: "join" | "leave" | "nick" | "subject" | "kick" | "ban" | "info";
  /** Rooms: the occupant's nick (the resource of `from`). */
  nick?: string;
  /** Rooms: the message mentions our nick or a highlight word. */
  highlight?: boolean;
  /** XEP-0424/0425: the sender retracted it, or a moderator removed it (`by`, `reason`). The body is gone. */
  retracted?: { by?: string; reason?: string };
}

export type OccupantRole = "moderator" | "participant" | "visitor" | "none";
export type OccupantAffiliation = "owner" | "admin" | "member" | "outcast" | "none";

/** One occupant of a room (XEP-0045). */
export interface Occupant {
  nick: string;
  role: OccupantRole;
  affiliation: OccupantAffiliation;
  show: Show;
  status?: string;
  /** The real full JID, when the room shows it to us (non-anonymous rooms, or we moderate). */
  jid?: string;
}

/** A room we are in, joining, or were in (XEP-0045). */
export interface Room {
  /** Bare JID of the room. */
  jid: string;
  /** Our nick (the one we asked for until the room tells us ours). */
  nick: string;
  state: "joining" | "joined" | "left" | "error";
  subject?: string;
  subjectBy?: string;
  occupants: Record<string, Occupant>;
  /** Unread messages that mention us (own nick or a highlight word). */
  highlights: number;
  password?: string;
  /** Joined through a bookmark with autojoin. */
  autojoin?: boolean;
  /** Why we left (kicked, banned, shutdown, left, disconnected ...). */
  leftReason?: string;
  /** The join error's text. */
  error?: string;
}

export interface Conversation {
  /** Bare JID of the peer. */
  peer: string;
  /** XEP-0296 resource lock: the resource replies go to, while set. */
  lock?: string;
  /** The lock was set by hand (/resource): kept until /resource off or that resource goes offline. */
  lockManual?: boolean;
  /** XEP-0085: whether the peer sends chat states (unknown until its first message). */
  peerChatStates?: boolean;
  /** The id of the last message we sent a displayed marker (XEP-0333) for. */
  displayedSent?: string;
  /** The peer's last chat state (XEP-0085). */
  chatState?: { state: "active" | "composing" | "paused" | "inactive" | "gone"; from: string; at: string };
  messages: ChatMessage[];
  unread: number;
}

export interface AccountSlice {
  roster: { ver?: string; loaded: boolean; items: Record<string, RosterItem> };
  /** Presence by bare JID then resource; the own bare JID holds our other resources. */
  presence: Record<string, Record<string, ResourcePresence>>;
  requests: Record<string, SubscriptionRequest>;
  blocked: string[];
  own: OwnPresence;
  conversations: Record<string, Conversation>;
  /** Rooms by bare JID (XEP-0045). */
  rooms: Record<string, Room>;
}

export interface State {
  accounts: Record<string, AccountSlice>;
}

export function emptyAccountSlice(): AccountSlice {
  return {
    roster: { loaded: false, items: {} },
    presence: {},
    requests: {},
    blocked: [],
    own: { show: "online" },
    conversations: {},
    rooms: {},
  };
}
