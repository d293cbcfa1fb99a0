/**
 * Presence: our own (show, status, per-show priorities, auto-away, directed presence), our other
 * resources and contacts' resources (with caps, client software and idle time), and the entity
 * information responders (version, time, last activity).
 *
 * Commands reach this feature through `presenceController(client)`.
 */
import path from "node:path";

import { JabtermError } from "../../errors.js";
import { bareJid, tryParseJid } from "../../jid.js";
import type { Action } from "../../store/store.js";
import { autoAwayStep, idleLevel, msUntilNextLevel, priorityFor, priorityKey, type IdleThresholds, type PriorityKey } from "../../store/slices/own.js";
import { routingWinners, sortedResources } from "../../store/slices/presence.js";
import type { OwnPresence, ResourcePresence, Show } from "../../store/types.js";
import type { Account } from "../account.js";
import { xml } from "../transport/xml.js";
import { CAPS_NODE, NS_DISCO_INFO } from "./disco.js";
import { installInfoResponders, packageVersion, queryLast, queryVersion, xmppDateTime, type VersionInfo } from "./info.js";
import { CapsCache, clientFromInfo, supportedCapsHash, verifyCaps, type CapsEntry } from "./presence-caps.js";
import { buildPresence, buildUnavailable, NS_IDLE, parseIncomingPresence, type IncomingPresence } from "./presence-stanzas.js";
import { NS } from "../ns.js";
import type { FeatureContext } from "./types.js";

export const PRIORITY_KEYS: readonly PriorityKey[] = ["priority", "priority_chat", "priority_away", "priority_xa", "priority_dnd"];

/** How often auto-away re-reads its settings at the latest while waiting (ms). */
const RECHECK_MS = 30_000;
const CAPS_TIMEOUT = 10_000;

/** Our presence on one account as hosts see it (`own_presence` events, command data). */
export interface OwnView {
  account: string;
  show: Show;
  status?: string;
  priority: number;
  auto: boolean;
  idle_since?: string;
}

export interface PriorityChange {
  account: string;
  keys: PriorityKey[];
  value: number;
  /** The priority in effect for the current show, before and after. */
  before: number;
  after: number;
  /** Presence went out again with the new priority. */
  resent: boolean;
}

export interface ResourceInfo {
  resource: ResourcePresence;
  best: boolean;
  version?: VersionInfo;
  versionError?: string;
  idleSeconds?: number;
  lastError?: string;
}

export interface OwnResources {
  account: string;
  jid: string;
  /** Our own full JID on this account (when online). */
  self?: string;
  resources: ResourcePresence[];
  /** Who gets messages sent to our bare JID. */
  winners: ResourcePresence[];
}

export interface PresenceController {
  /** Set our show and status on one account (by hand: ends auto-away for it) and send it. */
  setOwn(account: string, show: Show, status?: string): Promise<OwnView>;
  /** Presence to one JID only; our own state does not change. */
  sendDirected(account: Account, to: string, show: Show | "unavailable", status?: string): Promise<void>;
  /** Set the priority key(s) named and re-send presence if the priority in effect changed. */
  setPriority(account: string, value: number, target: Show | "all"): Promise<PriorityChange>;
  ownView(account: string): OwnView;
  /** ms since the last activity the hosts reported. */
  idleMs(): number;
  ownResources(account: Account): OwnResources;
  /** Ask every resource of `jid` for its version and last activity (in parallel, bounded by `timeout`). */
  queryResources(account: Account, resources: ResourcePresence[], timeout: number): Promise<ResourceInfo[]>;
  /** Stop the timers (the client is shutting down). */
  dispose(): void;
}

const controllers = new WeakMap<FeatureContext, PresenceController>();

/** The presence feature installed on this client. */
export function presenceController(ctx: FeatureContext): PresenceController {
  const c = controllers.get(ctx);
  if (!c) throw new JabtermError("internal", "the presence feature is not installed");
  return c;
}

/** Idle thresholds from the settings; none (0) when the host has no person at a keyboard. */
function thresholds(ctx: FeatureContext): IdleThresholds {
  if (!ctx.autoAway) return { autoAway: 0, autoXa: 0 };
  const s = ctx.settings();
  return { autoAway: s.auto_away, autoXa: s.auto_xa };
}

function errorText(err: unknown): string {
  if (err instanceof JabtermError) {
    const cond = err.detail.condition;
    return typeof cond === "string" ? `${cond}${typeof err.detail.text === "string" && err.detail.text ? `: ${err.detail.text}` : ""}` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export function installPresence(ctx: FeatureContext): void {
  const { engine, store } = ctx;
  const caps = new CapsCache({ file: ctx.dataDir ? path.join(ctx.dataDir, "caps.json") : undefined });
  const inflight = new Map<string, Promise<CapsEntry | undefined>>();
  const failed = new Set<string>();
  let lastActivity = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;

  // Presence arrives in bursts (every contact at login): apply it in batches, then publish.
  let pendingActions: Action[] = [];
  let pendingEvents: Record<string, unknown>[] = [];
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    const actions = pendingActions;
    const events = pendingEvents;
    pendingActions = [];
    pendingEvents = [];
    if (actions.length) store.batch(actions);
    for (const e of events) ctx.publish("presence", e);
  };
  const enqueue = (action: Action | undefined, event?: Record<string, unknown>) => {
    if (action) pendingActions.push(action);
    if (event) pendingEvents.push(event);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  const idleMs = () => Date.now() - lastActivity;
  const ownClient = () => ({ name: "jabterm", version: packageVersion() });
  /** Verified caps for a ver: from the cache, or our own (another jabterm like this one). */
  const knownCaps = (c: NonNullable<IncomingPresence["caps"]>): { client?: ResourcePresence["client"] } | undefined =>
    c.ver === ctx.disco.ver && c.hash.toLowerCase() === "sha-1" ? { client: ownClient() } : caps.get(c.hash, c.ver);
  installInfoResponders(ctx, idleMs);
  ctx.disco.add(NS_IDLE);

  const accountConfig = (name: string) => {
    const cfg = ctx.config.getAccount(name);
    if (!cfg) throw new JabtermError("usage", `no account named ${name}`);
    return cfg;
  };

  const ownView = (name: string): OwnView => {
    const own: OwnPresence = store.account(name).own;
    const cfg = ctx.config.getAccount(name);
    const view: OwnView = { account: name, show: own.show, priority: own.priority ?? (cfg ? priorityFor(cfg, own.show) : 0), auto: Boolean(own.auto) };
    if (own.status !== undefined) view.status = own.status;
    if (own.auto) view.idle_since = own.auto.since;
    return view;
  };

  /** Send our broadcast presence as the store has it (when online) and tell the hosts. */
  const push = async (name: string): Promise<void> => {
    const cfg = ctx.config.getAccount(name);
    if (!cfg) return;
    const own = store.account(name).own;
    const priority = priorityFor(cfg, own.show);
    if (own.priority !== priority) store.dispatch({ type: "own/priority", account: name, priority });
    const acct = engine.find(name);
    if (acct?.online) {
      const idleSince = own.auto && ctx.settings().send_idle ? xmppDateTime(Date.parse(own.auto.since)) : undefined;
      try {
        await acct.send(await ctx.decoratedPresence(acct, buildPresence({ show: own.show, status: own.status, priority, caps: ctx.disco.capsElement(), idleSince })));
        // Our own resource, at once (the server's reflection of it confirms it).
        const bound = acct.state.boundJid ? tryParseJid(acct.state.boundJid) : null;
        if (bound) {
          const jid = `${bound.local}@${bound.domain}`;
          enqueue({ type: "presence/available", account: name, jid, resource: bound.resource, full: `${jid}/${bound.resource}`, show: own.show, status: own.status, priority, updated: new Date().toISOString(), caps: { node: CAPS_NODE, ver: ctx.disco.ver, hash: "sha-1" }, client: ownClient() });
        }
      } catch (err) {
        ctx.log.warn(`account ${name}: sending presence failed: ${(err as Error).message}`);
      }
    }
    ctx.publish("own_presence", { ...ownView(name) });
  };

  /** Apply auto-away's idle level to one account (store only); true when it changed. */
  const applyLevel = (name: string): boolean => {
    const s = ctx.settings();
    const level = idleLevel(idleMs(), thresholds(ctx));
    const step = autoAwayStep(name, store.account(name).own, level, { since: new Date(lastActivity).toISOString(), status: s.auto_away_status });
    if (!step) return false;
    store.dispatch(step);
    return true;
  };

  const anyOnline = () => engine.accounts().some((a) => a.online);

  const clearTimer = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };

  /** Wake up when the idle level next changes (or RECHECK_MS at the latest: settings are live). */
  const schedule = () => {
    clearTimer();
    if (disposed || !anyOnline()) return;
    const next = msUntilNextLevel(idleMs(), thresholds(ctx));
    const delay = Math.max(5, Math.min(next ?? RECHECK_MS, RECHECK_MS));
    timer = setTimeout(() => {
      timer = undefined;
      void evaluate().finally(schedule);
    }, delay);
    timer.unref();
  };

  // Until nothing changes: if the next level fell due while a presence was being sent (away, then
  // xa before "away" was out), schedule() would find no level ahead and wait RECHECK_MS for it.
  // Levels only move on while idle: a few rounds at most (bounded all the same).
  const evaluate = async () => {
    for (let round = 0; round < 4; round++) {
      const changed = engine.accounts().filter((a) => a.online && applyLevel(a.name));
      if (!changed.length) return;
      await Promise.all(changed.map((a) => push(a.name)));
    }
  };

  ctx.on("activity", () => {
    lastActivity = Date.now();
    const held = engine.accounts().filter((a) => store.account(a.name).own.auto);
    for (const a of held) store.dispatch({ type: "own/restore", account: a.name });
    for (const a of held) void push(a.name);
    // Re-arm from now, with the settings as they are now.
    schedule();
  });

  engine.on("online", () => {
    if (!timer) schedule();
  });

  engine.on("account", (s) => {
    if (s.status !== "online" && !anyOnline()) clearTimer();
    // Gone for good (no retry, no resumption): what we knew of everyone is stale.
    if (s.status === "error" || (s.status === "offline" && s.retryIn === undefined)) enqueue({ type: "presence/clear", account: s.account });
  });

  // Initial presence (RFC 6121 §4.2): current show/status, that show's priority, our caps, and
  // XEP-0319 idle when auto-away already holds (an account connecting while we are idle).
  ctx.onSessionStart(100, "initial presence", async (account) => {
    enqueue({ type: "presence/clear", account: account.name });
    flush();
    applyLevel(account.name);
    await push(account.name);
  });

  // ---------------------------------------------------------------------------------------------
  // Incoming presence

  const eventOf = (account: string, p: IncomingPresence, client?: ResourcePresence["client"]) => {
    const e: Record<string, unknown> = { account, from: p.from, show: p.available ? p.show : "offline", status: p.status, priority: p.priority, available: p.available };
    if (client) e.client = client;
    if (p.idleSince) e.idle_since = p.idleSince;
    return e;
  };

  const resolveCaps = async (account: string, p: IncomingPresence & { caps: NonNullable<IncomingPresence["caps"]> }) => {
    const { node, ver, hash } = p.caps;
    const key = CapsCache.key(hash, ver);
    if (!supportedCapsHash(hash) || failed.has(`${key} ${p.from}`)) return;
    let pending = inflight.get(key);
    if (!pending) {
      pending = (async () => {
        const acct = engine.find(account);
        if (!acct?.online) return undefined;
        const reply = await acct.request("get", xml("query", { xmlns: NS_DISCO_INFO, node: `${node}#${ver}` }), p.from, CAPS_TIMEOUT);
        const query = reply.getChild("query", NS_DISCO_INFO);
        const v = query ? verifyCaps(query, hash, ver) : { ok: false as const, reason: "no disco#info in the answer" };
        if (!v.ok) {
          ctx.log.info(`caps of ${p.from} not verified (${v.reason}): not cached`);
          if (failed.size > 10_000) failed.clear();
          failed.add(`${key} ${p.from}`);
          return undefined;
        }
        const entry: CapsEntry = { hash: hash.toLowerCase(), identities: v.info.identities, features: v.info.features, verified: new Date().toISOString() };
        const client = clientFromInfo(v.info);
        if (client) entry.client = client;
        caps.set(ver, entry);
        return entry;
      })()
        .catch((err: unknown) => {
          ctx.log.debug(`caps query to ${p.from} failed: ${errorText(err)}`);
          failed.add(`${key} ${p.from}`);
          return undefined;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    const entry = await pending;
    if (!entry?.client) return;
    const client = entry.client;
    flush();
    for (const a of engine.accounts()) {
      const before = store.account(a.name).presence;
      store.dispatch({ type: "presence/caps-client", account: a.name, ver, client });
      const after = store.account(a.name).presence;
      if (before === after) continue;
      // Tell the hosts the client of each resource that just got one.
      for (const [jid, resources] of Object.entries(after)) {
        for (const r of Object.values(resources)) {
          if (r.caps?.ver !== ver || before[jid]?.[r.resource]?.client === r.client) continue;
          const e: Record<string, unknown> = { account: a.name, from: r.full, show: r.show, status: r.status, priority: r.priority, available: true, client: r.client };
          if (r.idleSince) e.idle_since = r.idleSince;
          ctx.publish("presence", e);
        }
      }
    }
  };

  engine.on("stanza", ({ account, stanza }) => {
    if (stanza.name !== "presence") return;
    // Room occupants are the MUC feature's (muc.ts), not contacts.
    if (stanza.getChild("x", NS.mucUser)) return;
    const p = parseIncomingPresence(stanza);
    if (!p) return;
    if (!p.available) {
      enqueue({ type: "presence/unavailable", account, jid: p.jid, resource: p.resource }, eventOf(account, p));
      return;
    }
    const known = p.caps ? knownCaps(p.caps) : undefined;
    const action: Action = { type: "presence/available", account, jid: p.jid, resource: p.resource, full: p.from, show: p.show, priority: p.priority, updated: new Date().toISOString() };
    if (p.status !== undefined) action.status = p.status;
    if (p.caps) action.caps = p.caps;
    if (p.idleSince) action.idleSince = p.idleSince;
    if (known?.client) action.client = known.client;
    enqueue(action, eventOf(account, p, known?.client));
    if (p.caps && !known) void resolveCaps(account, p as IncomingPresence & { caps: NonNullable<IncomingPresence["caps"]> });
  });

  // ---------------------------------------------------------------------------------------------
  // The controller commands use

  const controller: PresenceController = {
    async setOwn(account, show, status) {
      accountConfig(account);
      store.dispatch({ type: "own/set", account, show, status: status === "" ? undefined : status });
      await push(account);
      return ownView(account);
    },

    async sendDirected(account, to, show, status) {
      if (!account.online) throw new JabtermError("connection", `account ${account.name} is not online`);
      const cfg = accountConfig(account.name);
      const text = status === "" ? undefined : status;
      const stanza = show === "unavailable" ? buildUnavailable(to, text) : buildPresence({ to, show, status: text, priority: priorityFor(cfg, show), caps: ctx.disco.capsElement() });
      await account.send(await ctx.decoratedPresence(account, stanza));
    },

    async setPriority(account, value, target) {
      const own = store.account(account).own;
      const before = priorityFor(accountConfig(account), own.show);
      const keys = target === "all" ? [...PRIORITY_KEYS] : [priorityKey(target)];
      for (const k of keys) ctx.config.setAccountKey(account, k, String(value));
      engine.sync();
      const after = priorityFor(accountConfig(account), own.show);
      let resent = false;
      if (after !== before) {
        await push(account);
        resent = engine.find(account)?.online ?? false;
      }
      return { account, keys, value, before, after, resent };
    },

    ownView,
    idleMs,

    ownResources(account) {
      flush();
      const jid = bareJid(account.settings.jid);
      const resources = sortedResources(store.account(account.name).presence[jid]);
      const out: OwnResources = { account: account.name, jid, resources, winners: routingWinners(store.account(account.name).presence[jid]) };
      if (account.online && account.state.boundJid) out.self = account.state.boundJid;
      return out;
    },

    async queryResources(account, resources, timeout) {
      const best = resources[0];
      return Promise.all(
        resources.map(async (r): Promise<ResourceInfo> => {
          const info: ResourceInfo = { resource: r, best: r === best };
          const jid = bareJid(r.full);
          const [version, last] = await Promise.allSettled([queryVersion(account, r.full, timeout), queryLast(account, r.full, timeout)]);
          if (version.status === "fulfilled") {
            info.version = version.value;
            store.dispatch({ type: "presence/client", account: account.name, jid, resource: r.resource, client: version.value, source: "version" });
          } else info.versionError = errorText(version.reason);
          if (last.status === "fulfilled") {
            info.idleSeconds = last.value.seconds;
            // Zero seconds idle is "active now": no idle time to show.
            const idleSince = last.value.seconds > 0 ? new Date(Date.now() - last.value.seconds * 1000).toISOString() : undefined;
            store.dispatch({ type: "presence/idle", account: account.name, jid, resource: r.resource, idleSince });
          } else info.lastError = errorText(last.reason);
          const now = store.account(account.name).presence[jid]?.[r.resource];
          if (now) info.resource = now;
          return info;
        }),
      );
    },

    dispose() {
      disposed = true;
      clearTimer();
    },
  };
  controllers.set(ctx, controller);
  ctx.onShutdown(() => controller.dispose());
}
