/**
 * Roster (RFC 6121 §2, with versioning §2.6), presence subscriptions (RFC 6121 §3, pre-approval
 * §3.4), user nicknames (XEP-0172, by PEP) and blocking (XEP-0191).
 *
 * - Session start (order 10): the roster is fetched with the cached `ver` (the empty string when
 *   there is no cache); an empty result means the cache is current. The roster and its version
 *   are kept per account in `<dataDir>/roster/<account>.json` when the client has a data dir.
 * - Roster pushes are accepted only from our own account (no `from`, or our bare JID): anything
 *   else could rewrite the roster, so it is refused with service-unavailable and logged.
 * - Session start (order 20): the block list; a server without XEP-0191 gives an empty list.
 *   Block/unblock pushes, too, only from our own account.
 * - Incoming subscription requests are collected (requests slice) until answered; other
 *   subscription presences are published. PEP nick notifications count only from a bare JID.
 *
 * Published events: `roster_loaded`, `roster`, `subscription_request`, `subscription`, `nick`,
 * `blocklist`. Commands (commands/defs/roster.ts) act through `rosterFeature(client)`.
 */
import { JabtermError, StanzaError } from "../../errors.js";
import { bareJid } from "../../jid.js";
import type { RosterItem, SubscriptionRequest } from "../../store/types.js";
import type { Account } from "../account.js";
import type { XmlElement } from "../transport/xml.js";
import { loadRosterCache, RosterCacheWriter } from "./roster-cache.js";
import {
  blockingSet,
  blocklistGet,
  canonicalJid,
  NS_BLOCKING,
  NS_NICK,
  NS_ROSTER,
  parseBlockItems,
  parseNickEvent,
  parseRosterItem,
  parseRosterResult,
  parseSubscriptionPresence,
  rosterGet,
  rosterRemove,
  rosterSet,
  subscriptionPresence,
  type SubscriptionType,
} from "./roster-stanzas.js";
import type { FeatureContext } from "./types.js";

/** Nicks remembered for JIDs not (yet) in the roster, per account, at most this many. */
const MAX_REMEMBERED_NICKS = 500;

/** The account's own bare JID, canonical. */
export function ownBare(account: Account): string {
  return bareJid(account.state.boundJid ?? account.settings.jid);
}

/** A roster item as published in `roster` events (snake_case, absent fields omitted). */
export function rosterItemView(account: string, item: RosterItem) {
  return { account, jid: item.jid, name: item.name, nick: item.nick, groups: item.groups, subscription: item.subscription, ask: item.ask, approved: item.approved };
}

/** Turn a server's refusal into an error that says what we were doing. */
function refused(what: string, err: unknown): unknown {
  if (err instanceof StanzaError) {
    const serverText = err.detail.text as string | undefined;
    return new JabtermError("stanza", `could not ${what}: the server answered ${err.condition}${serverText ? ` (${serverText})` : ""}`, {
      condition: err.condition,
      type: err.detail.type,
      server_text: serverText,
    });
  }
  return err;
}

export class RosterFeature {
  readonly #ctx: FeatureContext;
  readonly #writer: RosterCacheWriter | undefined;
  /** Which bare JID the store's roster of an account belongs to. */
  readonly #owner = new Map<string, string>();
  /** Nicks (from subscription requests and PEP) of JIDs not in the roster yet. */
  readonly #nicks = new Map<string, Map<string, string>>();
  /** Pre-approvals sent for JIDs whose roster item has not arrived yet. */
  readonly #approvals = new Map<string, Set<string>>();

  constructor(ctx: FeatureContext) {
    this.#ctx = ctx;
    this.#writer = ctx.dataDir ? new RosterCacheWriter(ctx.dataDir, ctx.log) : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Session start

  async fetchRoster(account: Account): Promise<void> {
    const { store } = this.#ctx;
    const name = account.name;
    const own = ownBare(account);
    // The server re-sends every request still pending after our initial presence.
    store.dispatch({ type: "requests/clear", account: name });
    const current = store.account(name).roster;
    const haveInMemory = this.#owner.get(name) === own && (current.loaded || current.ver !== undefined || Object.keys(current.items).length > 0);
    if (!haveInMemory) {
      const cached = this.#ctx.dataDir ? loadRosterCache(this.#ctx.dataDir, name, own, this.#ctx.log) : undefined;
      store.dispatch({ type: "roster/restore", account: name, items: cached?.items ?? [], ver: cached?.ver });
      this.#owner.set(name, own);
    }
    const ver = store.account(name).roster.ver ?? "";
    let reply: XmlElement;
    try {
      reply = await account.request("get", rosterGet(ver));
    } catch (err) {
      throw refused("fetch the roster", err);
    }
    const result = parseRosterResult(reply);
    if (result === "unchanged") {
      store.dispatch({ type: "roster/unchanged", account: name });
      const slice = store.account(name).roster;
      this.#ctx.log.debug(`account ${name}: roster version ${JSON.stringify(ver)} is current (${Object.keys(slice.items).length} items from the cache)`);
      this.#ctx.publish("roster_loaded", { account: name, count: Object.keys(slice.items).length, ver: slice.ver, source: "cache", requested_ver: ver });
    } else {
      if (result.skipped > 0) this.#ctx.log.warn(`account ${name}: ignored ${result.skipped} invalid or duplicate roster items`);
      const items = result.items.map((it) => this.#withRemembered(name, it));
      store.batch([{ type: "roster/loaded", account: name, items, ver: result.ver }]);
      this.#ctx.publish("roster_loaded", { account: name, count: items.length, ver: result.ver, source: "server", requested_ver: ver });
    }
    this.#save(account);
  }

  async fetchBlocklist(account: Account): Promise<void> {
    const name = account.name;
    let reply: XmlElement;
    try {
      reply = await account.request("get", blocklistGet());
    } catch (err) {
      if (!(err instanceof StanzaError)) throw err;
      this.#ctx.log.debug(`account ${name}: no block list (XEP-0191) on this server: ${err.message}`);
      this.#ctx.store.dispatch({ type: "blocklist/set", account: name, jids: [] });
      return;
    }
    const list = reply.getChild("blocklist", NS_BLOCKING);
    const { jids, invalid } = list ? parseBlockItems(list) : { jids: [], invalid: 0 };
    if (invalid > 0) this.#ctx.log.warn(`account ${name}: ignored ${invalid} invalid JIDs in the block list`);
    this.#ctx.store.dispatch({ type: "blocklist/set", account: name, jids });
    this.#ctx.publish("blocklist", { account: name, change: "loaded", jids: this.#ctx.store.account(name).blocked, count: jids.length });
  }

  // -------------------------------------------------------------------------------------------
  // Pushes

  /** Is an IQ push from our own account (no `from`, or our bare JID)? Logs and refuses others. */
  #fromOwnAccount(account: Account, iq: XmlElement, what: string): void {
    const from = iq.attrs.from;
    if (from === undefined || canonicalJid(from) === ownBare(account)) return;
    this.#ctx.log.warn(`account ${account.name}: refused a ${what} push that did not come from our own account`, { from });
    throw new StanzaError("service-unavailable", undefined, "cancel");
  }

  rosterPush(account: Account, iq: XmlElement, query: XmlElement): null {
    if (iq.attrs.type !== "set") throw new StanzaError("service-unavailable", undefined, "cancel");
    this.#fromOwnAccount(account, iq, "roster");
    const items = query.getChildren("item");
    if (items.length !== 1) throw new StanzaError("bad-request", "a roster push carries exactly one item", "modify");
    const entry = parseRosterItem(items[0]!);
    if (!entry) throw new StanzaError("bad-request", "invalid item JID", "modify");
    const name = account.name;
    const ver = query.attrs.ver;
    if (entry.kind === "remove") {
      this.#ctx.store.dispatch({ type: "roster/remove", account: name, jid: entry.jid, ver });
      this.#ctx.publish("roster", { account: name, jid: entry.jid, groups: [], subscription: "remove", removed: true });
    } else {
      const item = this.#withRemembered(name, entry.item);
      this.#ctx.store.dispatch({ type: "roster/push", account: name, item, ver });
      const stored = this.#ctx.store.account(name).roster.items[item.jid] ?? item;
      this.#ctx.publish("roster", rosterItemView(name, stored));
    }
    this.#save(account);
    return null;
  }

  blockPush(account: Account, iq: XmlElement, child: XmlElement): null {
    if (iq.attrs.type !== "set") throw new StanzaError("service-unavailable", undefined, "cancel");
    this.#fromOwnAccount(account, iq, child.name);
    const { jids, invalid } = parseBlockItems(child);
    if (invalid > 0) throw new StanzaError("jid-malformed", undefined, "modify");
    if (child.name === "block" && jids.length === 0) throw new StanzaError("bad-request", "empty block push", "modify");
    this.#applyBlock(account.name, child.name === "block" ? "block" : "unblock", jids);
    return null;
  }

  #applyBlock(name: string, change: "block" | "unblock", jids: readonly string[]): void {
    const before = this.#ctx.store.account(name).blocked;
    this.#ctx.store.dispatch({ type: change === "block" ? "blocklist/block" : "blocklist/unblock", account: name, jids });
    const after = this.#ctx.store.account(name).blocked;
    if (after !== before) this.#ctx.publish("blocklist", { account: name, change, jids, all: change === "unblock" && jids.length === 0 ? true : undefined, count: after.length });
  }

  // -------------------------------------------------------------------------------------------
  // Presence and messages

  onStanza(name: string, stanza: XmlElement): void {
    const account = this.#ctx.engine.find(name);
    if (!account) return;
    if (stanza.name === "presence") this.#onPresence(account, stanza);
    else if (stanza.name === "message") this.#onMessage(account, stanza);
  }

  #onPresence(account: Account, stanza: XmlElement): void {
    const sub = parseSubscriptionPresence(stanza, ownBare(account));
    if (!sub) return;
    const name = account.name;
    if (sub.type === "subscribe") {
      const request: SubscriptionRequest = { jid: sub.jid, received: new Date().toISOString() };
      if (sub.nick !== undefined) request.nick = sub.nick;
      if (sub.status !== undefined) request.status = sub.status;
      this.#ctx.store.dispatch({ type: "requests/add", account: name, request });
      if (sub.nick !== undefined) this.#rememberNick(account, sub.jid, sub.nick);
      const kept = this.#ctx.store.account(name).requests[sub.jid];
      this.#ctx.publish("subscription_request", { account: name, jid: sub.jid, nick: kept?.nick, status: kept?.status });
      return;
    }
    // They withdrew a request, or stopped seeing our presence: nothing left to answer.
    if (sub.type === "unsubscribe") this.#ctx.store.dispatch({ type: "requests/remove", account: name, jid: sub.jid });
    this.#ctx.publish("subscription", { account: name, jid: sub.jid, type: sub.type, status: sub.status });
  }

  #onMessage(account: Account, stanza: XmlElement): void {
    const ev = parseNickEvent(stanza);
    if (!ev || ev.jid === ownBare(account)) return;
    this.#rememberNick(account, ev.jid, ev.nick);
    this.#ctx.publish("nick", { account: account.name, jid: ev.jid, nick: ev.nick });
  }

  /** Store a contact's nick (or remember it until the contact is in the roster). */
  #rememberNick(account: Account, jid: string, nick: string | undefined): void {
    const name = account.name;
    const slice = this.#ctx.store.account(name).roster;
    if (slice.items[jid]) {
      if (slice.items[jid]!.nick === nick) return;
      this.#ctx.store.dispatch({ type: "roster/nick", account: name, jid, nick });
      this.#save(account);
      return;
    }
    let map = this.#nicks.get(name);
    if (!map) this.#nicks.set(name, (map = new Map()));
    map.delete(jid);
    if (nick === undefined) return;
    map.set(jid, nick);
    if (map.size > MAX_REMEMBERED_NICKS) map.delete(map.keys().next().value!);
  }

  /** Add what we remembered about a JID (nick, pre-approval) to an item arriving from the server. */
  #withRemembered(name: string, item: RosterItem): RosterItem {
    const out = { ...item };
    const nick = this.#nicks.get(name)?.get(item.jid);
    if (nick !== undefined) {
      if (out.nick === undefined) out.nick = nick;
      this.#nicks.get(name)!.delete(item.jid);
    }
    const approvals = this.#approvals.get(name);
    if (approvals?.has(item.jid)) {
      if (item.subscription === "none" || item.subscription === "to") out.approved = true;
      approvals.delete(item.jid);
    }
    return out;
  }

  #save(account: Account): void {
    if (!this.#writer) return;
    const name = account.name;
    const own = this.#owner.get(name) ?? ownBare(account);
    this.#writer.schedule(name, own, () => {
      const r = this.#ctx.store.account(name).roster;
      return { ver: r.ver, items: Object.values(r.items) };
    });
  }

  /** Wait until the roster caches are written (tests, shutdown). */
  flushCache(): Promise<void> {
    return this.#writer?.flush() ?? Promise.resolve();
  }

  // -------------------------------------------------------------------------------------------
  // What commands do (each waits for the server's answer where there is one)

  /** Add or update a roster item (name and the full set of groups). */
  async setItem(account: Account, item: { jid: string; name?: string; groups: readonly string[] }): Promise<void> {
    try {
      await account.request("set", rosterSet(item));
    } catch (err) {
      throw refused(`update ${item.jid} in the roster`, err);
    }
  }

  async removeItem(account: Account, jid: string): Promise<void> {
    try {
      await account.request("set", rosterRemove(jid));
    } catch (err) {
      throw refused(`remove ${jid} from the roster`, err);
    }
  }

  /**
   * Send a subscription presence (RFC 6121 §3). `subscribed` answers a pending request, or
   * pre-approves one (§3.4) when there is none; `unsubscribed` denies a request, cancels their
   * subscription or withdraws a pre-approval. Returns whether a pending request was answered.
   */
  async sendSubscription(account: Account, type: SubscriptionType, jid: string, status?: string): Promise<{ answered: boolean }> {
    const name = account.name;
    await account.send(subscriptionPresence(type, jid, status));
    const answered = jid in this.#ctx.store.account(name).requests;
    if (type === "subscribed" || type === "unsubscribed") this.#ctx.store.dispatch({ type: "requests/remove", account: name, jid });
    if (type === "subscribed" && !answered) {
      const item = this.#ctx.store.account(name).roster.items[jid];
      if (item) this.#ctx.store.dispatch({ type: "roster/approved", account: name, jid, approved: true });
      else {
        let set = this.#approvals.get(name);
        if (!set) this.#approvals.set(name, (set = new Set()));
        set.add(jid);
      }
      this.#save(account);
    } else if (type === "unsubscribed") {
      this.#approvals.get(name)?.delete(jid);
      this.#ctx.store.dispatch({ type: "roster/approved", account: name, jid, approved: false });
      this.#save(account);
    }
    return { answered };
  }

  async block(account: Account, jids: readonly string[]): Promise<void> {
    try {
      await account.request("set", blockingSet("block", jids));
    } catch (err) {
      throw refused(`block ${jids.join(", ")}`, err);
    }
    this.#applyBlock(account.name, "block", jids);
  }

  /** Unblock these JIDs; none: unblock everyone (XEP-0191 §3.4). */
  async unblock(account: Account, jids: readonly string[]): Promise<void> {
    try {
      await account.request("set", blockingSet("unblock", jids));
    } catch (err) {
      throw refused(jids.length ? `unblock ${jids.join(", ")}` : "unblock everyone", err);
    }
    this.#applyBlock(account.name, "unblock", jids);
  }
}

const features = new WeakMap<FeatureContext, RosterFeature>();

/** The roster feature of a client (installed by installFeatures). */
export function rosterFeature(ctx: FeatureContext): RosterFeature {
  const f = features.get(ctx);
  if (!f) throw new JabtermError("internal", "the roster feature is not installed on this client");
  return f;
}

export function installRoster(ctx: FeatureContext): void {
  const feature = new RosterFeature(ctx);
  features.set(ctx, feature);
  // Ask the server (PEP, XEP-0163) to send us our contacts' nicknames.
  ctx.disco.add(`${NS_NICK}+notify`);
  ctx.onSessionStart(10, "roster", (account) => feature.fetchRoster(account));
  ctx.onSessionStart(20, "blocklist", (account) => feature.fetchBlocklist(account));
  ctx.engine.handleIq("query", NS_ROSTER, (account, iq, child) => feature.rosterPush(account, iq, child));
  ctx.engine.handleIq("block", NS_BLOCKING, (account, iq, child) => feature.blockPush(account, iq, child));
  ctx.engine.handleIq("unblock", NS_BLOCKING, (account, iq, child) => feature.blockPush(account, iq, child));
  ctx.engine.on("stanza", ({ account, stanza }) => feature.onStanza(account, stanza));
  // A roster cache write still in flight finishes before the client is gone (and its data dir with it).
  ctx.onShutdown(() => feature.flushCache());
}
