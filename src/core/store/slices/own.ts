/**
 * The own slice: our presence per account (show, status, the priority in effect, and the
 * auto-away hold), with the pure rules around it: which priority key a show uses, and what
 * auto-away does at each idle level.
 */
import type { AccountConfig } from "../../config/schema.js";
import type { AccountSlice, OwnPresence, Show } from "../types.js";

export type OwnAction =
  /** Set by hand (/status): ends any auto-away hold. */
  | { type: "own/set"; account: string; show: Show; status?: string; priority?: number }
  /** Auto-away takes (or deepens) its hold; remembers what to restore the first time. */
  | { type: "own/auto"; account: string; level: "away" | "xa"; since: string; status: string; priority?: number }
  /** Activity: give back the show and status auto-away replaced. */
  | { type: "own/restore"; account: string; priority?: number }
  /** The priority in effect changed (sent with our presence). */
  | { type: "own/priority"; account: string; priority: number };

export function ownReducer(slice: AccountSlice["own"], action: OwnAction | { type: string }): AccountSlice["own"] {
  const a = action as OwnAction;
  switch (a.type) {
    case "own/set": {
      const next: OwnPresence = { show: a.show };
      if (a.status !== undefined && a.status !== "") next.status = a.status;
      const priority = a.priority ?? slice.priority;
      if (priority !== undefined) next.priority = priority;
      return sameOwn(slice, next) ? slice : next;
    }
    case "own/auto": {
      if (slice.auto?.level === a.level) return slice;
      const restoreShow = slice.auto?.restoreShow ?? slice.show;
      const restoreStatus = slice.auto ? slice.auto.restoreStatus : slice.status;
      const auto: NonNullable<OwnPresence["auto"]> = { level: a.level, since: slice.auto?.since ?? a.since, restoreShow };
      if (restoreStatus !== undefined) auto.restoreStatus = restoreStatus;
      const next: OwnPresence = { show: a.level, auto };
      if (a.status !== "") next.status = a.status;
      const priority = a.priority ?? slice.priority;
      if (priority !== undefined) next.priority = priority;
      return next;
    }
    case "own/restore": {
      if (!slice.auto) return slice;
      const next: OwnPresence = { show: slice.auto.restoreShow };
      if (slice.auto.restoreStatus !== undefined) next.status = slice.auto.restoreStatus;
      const priority = a.priority ?? slice.priority;
      if (priority !== undefined) next.priority = priority;
      return next;
    }
    case "own/priority":
      return slice.priority === a.priority ? slice : { ...slice, priority: a.priority };
    default:
      return slice;
  }
}

function sameOwn(a: OwnPresence, b: OwnPresence): boolean {
  return a.show === b.show && a.status === b.status && a.priority === b.priority && a.auto === b.auto;
}

// ---------------------------------------------------------------------------------------------
// Priorities per show

export type PriorityKey = "priority" | "priority_chat" | "priority_away" | "priority_xa" | "priority_dnd";
export type PriorityConfig = Pick<AccountConfig, PriorityKey>;

/** The account key holding the priority for `show`: `priority` for online, `priority_<show>` otherwise. */
export function priorityKey(show: Show): PriorityKey {
  return show === "online" ? "priority" : `priority_${show}`;
}

/** The priority an account sends with `show` (an unset per-show key means `priority`). */
export function priorityFor(cfg: PriorityConfig, show: Show): number {
  return cfg[priorityKey(show)] ?? cfg.priority;
}

// ---------------------------------------------------------------------------------------------
// Auto-away

export interface IdleThresholds {
  /** ms of inactivity before away; 0 = auto-away off. */
  autoAway: number;
  /** ms of inactivity before xa; 0 = off. Only accounts auto-away would take go xa. */
  autoXa: number;
}

export type IdleLevel = "active" | "away" | "xa";

/** How idle someone inactive for `idleMs` is. */
export function idleLevel(idleMs: number, t: IdleThresholds): IdleLevel {
  if (t.autoAway <= 0 || idleMs < t.autoAway) return "active";
  if (t.autoXa > 0 && idleMs >= Math.max(t.autoXa, t.autoAway)) return "xa";
  return "away";
}

/** ms until the idle level changes with no activity (undefined: it never will). */
export function msUntilNextLevel(idleMs: number, t: IdleThresholds): number | undefined {
  if (t.autoAway <= 0) return undefined;
  if (idleMs < t.autoAway) return t.autoAway - idleMs;
  const xaAt = t.autoXa > 0 ? Math.max(t.autoXa, t.autoAway) : undefined;
  if (xaAt !== undefined && idleMs < xaAt) return xaAt - idleMs;
  return undefined;
}

/** Plainly available: online or chat, not held by auto-away (away/xa/dnd set by hand are left alone). */
export function autoAwayEligible(own: OwnPresence): boolean {
  return !own.auto && (own.show === "online" || own.show === "chat");
}

/**
 * What auto-away does to one account at an idle level: take it away/xa (only if plainly
 * available, or already held at a lower level), give it back on activity, or nothing.
 */
export function autoAwayStep(account: string, own: OwnPresence, level: IdleLevel, opts: { since: string; status: string }): OwnAction | undefined {
  if (level === "active") return own.auto ? { type: "own/restore", account } : undefined;
  if (own.auto) {
    if (level === "xa" && own.auto.level === "away") return { type: "own/auto", account, level: "xa", since: opts.since, status: opts.status };
    return undefined;
  }
  if (!autoAwayEligible(own)) return undefined;
  return { type: "own/auto", account, level, since: opts.since, status: opts.status };
}
