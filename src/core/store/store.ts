/**
 * One store outside any UI: getState / dispatch / subscribe, with pure slice reducers. Every
 * action names its account; the root reducer hands each account slice to every slice reducer.
 * Bursts (a roster of thousands, a history page) go through `batch`, which notifies once.
 */
import { blocklistReducer, type BlocklistAction } from "./slices/blocklist.js";
import { conversationsReducer, type ConversationsAction } from "./slices/conversations.js";
import { ownReducer, type OwnAction } from "./slices/own.js";
import { presenceReducer, type PresenceAction } from "./slices/presence.js";
import { roomsReducer, type RoomsAction } from "./slices/rooms.js";
import { requestsReducer, type RequestsAction } from "./slices/requests.js";
import { rosterReducer, type RosterAction } from "./slices/roster.js";
import { emptyAccountSlice, type AccountSlice, type State } from "./types.js";

export type AccountAction = { type: "account/reset"; account: string } | { type: "account/remove"; account: string };

export type Action = AccountAction | RosterAction | PresenceAction | RequestsAction | BlocklistAction | OwnAction | ConversationsAction | RoomsAction;

export function accountReducer(slice: AccountSlice, action: Action): AccountSlice {
  const next: AccountSlice = {
    roster: rosterReducer(slice.roster, action),
    presence: presenceReducer(slice.presence, action),
    requests: requestsReducer(slice.requests, action),
    blocked: blocklistReducer(slice.blocked, action),
    own: ownReducer(slice.own, action),
    conversations: conversationsReducer(slice.conversations, action),
    rooms: roomsReducer(slice.rooms, action),
  };
  // Keep identity when nothing changed, so selectors and React skip work.
  return (Object.keys(next) as (keyof AccountSlice)[]).every((k) => next[k] === slice[k]) ? slice : next;
}

export function rootReducer(state: State, action: Action): State {
  if (action.type === "account/remove") {
    if (!(action.account in state.accounts)) return state;
    const { [action.account]: _gone, ...rest } = state.accounts;
    return { accounts: rest };
  }
  const current = action.type === "account/reset" ? emptyAccountSlice() : (state.accounts[action.account] ?? emptyAccountSlice());
  const next = action.type === "account/reset" ? current : accountReducer(current, action);
  if (state.accounts[action.account] === next) return state;
  return { accounts: { ...state.accounts, [action.account]: next } };
}

export interface Store {
  getState(): State;
  dispatch(action: Action): void;
  /** Apply several actions and notify subscribers once. */
  batch(actions: readonly Action[]): void;
  /**
   * Call `listener` after changes (see StoreOptions.notify). `first`: before the other listeners,
   * so that what it dispatches (a host marking the conversation in view read) is what they see.
   */
  subscribe(listener: () => void, opts?: { first?: boolean }): () => void;
  /** The account's slice (empty when unknown). */
  account(name: string): AccountSlice;
}

export interface StoreOptions {
  /**
   * "sync" (default) tells subscribers after every change; "coalesce" once per turn of the event
   * loop, however many stanzas that turn handled; "frame" at most once per `frameMs` (the first
   * change after a quiet spell is told at the end of its turn, later ones wait for the next frame),
   * so a flood spread over many socket reads renders a few dozen times a second, not once per read.
   * getState() is always current in every mode.
   */
  notify?: "sync" | "coalesce" | "frame";
  /** "frame" mode: the shortest interval between two notifications, ms (default 33: 30 per second). */
  frameMs?: number;
  /**
   * "frame" mode: while telling the subscribers (rendering, for the interface) costs more than
   * frameMs / busyFactor, frames are spaced busyFactor times that cost apart (at most maxFrameMs):
   * a flood gets fewer, fuller frames and rendering keeps at most about 1/busyFactor of the CPU.
   * Default 4; 0 turns it off.
   */
  busyFactor?: number;
  /** "frame" mode: the longest interval the busy spacing may reach, ms (default 250). */
  maxFrameMs?: number;
}

export function createStore(initial: State = { accounts: {} }, opts: StoreOptions = {}): Store {
  let state = initial;
  const listeners = new Set<() => void>();
  const firstListeners = new Set<() => void>();
  let scheduled = false;
  let lastTold = -Infinity;
  const frameMs = opts.frameMs ?? 33;
  const busyFactor = opts.busyFactor ?? 4;
  const maxFrameMs = opts.maxFrameMs ?? 250;
  /** The current spacing of frames (frame mode). */
  let interval = frameMs;
  const tell = () => {
    scheduled = false;
    const t0 = performance.now();
    lastTold = t0;
    for (const l of [...firstListeners, ...listeners]) l();
    // What telling cost, renders that subscribers scheduled as microtasks (React) included.
    if (opts.notify === "frame" && busyFactor > 0) queueMicrotask(() => (interval = Math.min(maxFrameMs, Math.max(frameMs, (performance.now() - t0) * busyFactor))));
  };
  const notify =
    opts.notify === "coalesce" || opts.notify === "frame"
      ? () => {
          if (scheduled) return;
          scheduled = true;
          const wait = opts.notify === "frame" ? lastTold + interval - performance.now() : 0;
          if (wait > 0) setTimeout(tell, wait);
          else setImmediate(tell);
        }
      : tell;
  const empty = emptyAccountSlice();
  return {
    getState: () => state,
    dispatch(action) {
      const next = rootReducer(state, action);
      if (next !== state) {
        state = next;
        notify();
      }
    },
    batch(actions) {
      const before = state;
      for (const a of actions) state = rootReducer(state, a);
      if (state !== before) notify();
    },
    subscribe(listener, subscribeOpts) {
      const set = subscribeOpts?.first ? firstListeners : listeners;
      set.add(listener);
      return () => set.delete(listener);
    },
    account: (name) => state.accounts[name] ?? empty,
  };
}
