/**
 * Room bookmarks: XEP-0402 (PEP native bookmarks, node urn:xmpp:bookmarks:1, one item per room)
 * with autojoin, falling back to XEP-0048 bookmarks in private XML storage (XEP-0049) where the
 * server has no PEP. Bookmarks are fetched at session start (rooms with autojoin are joined), and
 * changes made by other clients arrive as PEP notifications (we advertise +notify) and are applied
 * live: a new or changed bookmark with autojoin joins its room.
 * Commands reach this feature through `bookmarksController(client)`.
 */
import { JabtermError, StanzaError, UsageError } from "../../errors.js";
import { bareJid, normalizeJid, sameBareJid, tryParseJid } from "../../jid.js";
import type { Account } from "../account.js";
import { NS } from "../ns.js";
import { xml, type XmlElement } from "../transport/xml.js";
import { mucController } from "./muc.js";
import type { FeatureContext } from "./types.js";

export const NS_BOOKMARKS = "urn:xmpp:bookmarks:1";
const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
const NS_PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";
const NS_PRIVATE = "jabber:iq:private";
const NS_STORAGE = "storage:bookmarks";

export interface Bookmark {
  /** The room's bare JID. */
  jid: string;
  name?: string;
  nick?: string;
  password?: string;
  autojoin: boolean;
}

export type BookmarkStore = "pep" | "private";

const truthy = (v: string | undefined) => v === "true" || v === "1";

/** One XEP-0402 item: <item id=room><conference .../></item>. */
export function parseBookmarkItem(item: XmlElement): Bookmark | undefined {
  const id = item.attrs.id;
  const conf = item.getChild("conference", NS_BOOKMARKS);
  if (!id || !conf || !tryParseJid(id)) return undefined;
  const b: Bookmark = { jid: bareJid(normalizeJid(id)), autojoin: truthy(conf.attrs.autojoin) };
  if (conf.attrs.name) b.name = conf.attrs.name;
  const nick = conf.getChildText("nick");
  if (nick) b.nick = nick;
  const password = conf.getChildText("password");
  if (password) b.password = password;
  return b;
}

/** XEP-0048 <storage/>: its conferences. */
export function parseStorage(storage: XmlElement | undefined): Bookmark[] {
  return (storage?.getChildren("conference") ?? []).flatMap((c) => {
    if (!c.attrs.jid || !tryParseJid(c.attrs.jid)) return [];
    const b: Bookmark = { jid: bareJid(normalizeJid(c.attrs.jid)), autojoin: truthy(c.attrs.autojoin) };
    if (c.attrs.name) b.name = c.attrs.name;
    const nick = c.getChildText("nick");
    if (nick) b.nick = nick;
    const password = c.getChildText("password");
    if (password) b.password = password;
    return [b];
  });
}

function conferenceChildren(b: Bookmark) {
  return [b.nick ? xml("nick", {}, b.nick) : undefined, b.password ? xml("password", {}, b.password) : undefined];
}

export function buildPublish(b: Bookmark): XmlElement {
  const field = (v: string, value: string, type?: string) => xml("field", { var: v, type }, xml("value", {}, value));
  return xml(
    "pubsub",
    { xmlns: NS_PUBSUB },
    xml("publish", { node: NS_BOOKMARKS }, xml("item", { id: b.jid }, xml("conference", { xmlns: NS_BOOKMARKS, name: b.name, autojoin: b.autojoin ? "true" : "false" }, ...conferenceChildren(b)))),
    xml(
      "publish-options",
      {},
      xml(
        "x",
        { xmlns: NS.data, type: "submit" },
        field("FORM_TYPE", "http://jabber.org/protocol/pubsub#publish-options", "hidden"),
        field("pubsub#persist_items", "true"),
        field("pubsub#max_items", "max"),
        field("pubsub#send_last_published_item", "never"),
        field("pubsub#access_model", "whitelist"),
      ),
    ),
  );
}

export function buildStorage(list: readonly Bookmark[]): XmlElement {
  return xml(
    "query",
    { xmlns: NS_PRIVATE },
    xml(
      "storage",
      { xmlns: NS_STORAGE },
      list.map((b) => xml("conference", { jid: b.jid, name: b.name, autojoin: b.autojoin ? "true" : "false" }, ...conferenceChildren(b))),
    ),
  );
}

export interface BookmarksController {
  list(account: string): Bookmark[];
  store(account: string): BookmarkStore | undefined;
  fetch(account: Account): Promise<Bookmark[]>;
  add(account: Account, b: Bookmark): Promise<Bookmark>;
  remove(account: Account, room: string): Promise<void>;
}

const controllers = new WeakMap<FeatureContext, BookmarksController>();

export function bookmarksController(ctx: FeatureContext): BookmarksController {
  const c = controllers.get(ctx);
  if (!c) throw new Error("the bookmarks feature is not installed");
  return c;
}

export function bookmarkView(account: string, b: Bookmark) {
  return { account, room: b.jid, name: b.name ?? null, nick: b.nick ?? null, autojoin: b.autojoin, password: b.password ? "***" : null };
}

export function installBookmarks(ctx: FeatureContext): void {
  // +notify: the server sends us the other clients' bookmark changes (XEP-0163).
  ctx.disco.add(NS_BOOKMARKS, `${NS_BOOKMARKS}+notify`);
  const lists = new Map<string, Map<string, Bookmark>>();
  const stores = new Map<string, BookmarkStore>();
  const listOf = (account: string) => {
    let m = lists.get(account);
    if (!m) lists.set(account, (m = new Map()));
    return m;
  };

  const publishChange = (account: string, b: Bookmark | undefined, room: string, change: "set" | "removed", source: string) => {
    ctx.publish("bookmark", { ...(b ? bookmarkView(account, b) : { account, room }), change, source });
  };

  /**
   * Join a bookmarked room with autojoin, unless we are in it (or joining) already. A new room is
   * locked (item-not-found to everyone else) until its creator configures it, and the creator is
   * often another client of ours that just added the bookmark: try again a little later, twice.
   */
  const autojoin = (account: Account, b: Bookmark, attempt = 0) => {
    if (!b.autojoin || !account.online) return;
    const r = ctx.store.account(account.name).rooms[b.jid];
    if (r && (r.state === "joined" || r.state === "joining")) return;
    mucController(ctx)
      .join(account, b.jid, b.nick, { password: b.password, autojoin: true, reason: "bookmark" })
      .catch((err: Error) => {
        if (err instanceof StanzaError && err.condition === "item-not-found" && attempt < 2) {
          setTimeout(() => autojoin(account, b, attempt + 1), 500 * (attempt + 1)).unref?.();
          return;
        }
        ctx.publish("warning", { account: account.name, code: "autojoin", text: `${b.jid}: autojoin failed: ${err.message}` });
      });
  };

  const fetch = async (account: Account): Promise<Bookmark[]> => {
    if (!account.online) throw new JabtermError("connection", `account ${account.name} is not online`);
    let found: Bookmark[] | undefined;
    try {
      const res = await account.request("get", xml("pubsub", { xmlns: NS_PUBSUB }, xml("items", { node: NS_BOOKMARKS })));
      found = (res.getChild("pubsub", NS_PUBSUB)?.getChild("items")?.getChildren("item") ?? []).flatMap((i) => parseBookmarkItem(i) ?? []);
      stores.set(account.name, "pep");
    } catch (err) {
      if (err instanceof StanzaError && err.condition === "item-not-found") {
        found = [];
        stores.set(account.name, "pep");
      } else if (err instanceof StanzaError) {
        // No PEP here: XEP-0048 in private storage.
        const res = await account.request("get", xml("query", { xmlns: NS_PRIVATE }, xml("storage", { xmlns: NS_STORAGE })));
        found = parseStorage(res.getChild("query", NS_PRIVATE)?.getChild("storage", NS_STORAGE));
        stores.set(account.name, "private");
      } else throw err;
    }
    const m = listOf(account.name);
    m.clear();
    for (const b of found) m.set(b.jid, b);
    return found;
  };

  const savePrivate = async (account: Account) => {
    await account.request("set", buildStorage([...listOf(account.name).values()]));
  };

  const controller: BookmarksController = {
    list: (account) => [...listOf(account).values()].sort((a, b) => a.jid.localeCompare(b.jid)),
    store: (account) => stores.get(account),
    fetch,
    async add(account, b) {
      if (!account.online) throw new JabtermError("connection", `account ${account.name} is not online`);
      if (!stores.has(account.name)) await fetch(account);
      const m = listOf(account.name);
      if (stores.get(account.name) === "pep") {
        await account.request("set", buildPublish(b));
        m.set(b.jid, b);
      } else {
        const before = m.get(b.jid);
        m.set(b.jid, b);
        try {
          await savePrivate(account);
        } catch (err) {
          if (before) m.set(b.jid, before);
          else m.delete(b.jid);
          throw err;
        }
      }
      publishChange(account.name, b, b.jid, "set", "command");
      return b;
    },
    async remove(account, room) {
      if (!account.online) throw new JabtermError("connection", `account ${account.name} is not online`);
      if (!stores.has(account.name)) await fetch(account);
      const m = listOf(account.name);
      const b = m.get(room);
      if (!b) throw new UsageError(`no bookmark for ${room} (see /bookmark list)`);
      if (stores.get(account.name) === "pep") {
        await account.request("set", xml("pubsub", { xmlns: NS_PUBSUB }, xml("retract", { node: NS_BOOKMARKS, notify: "true" }, xml("item", { id: room }))));
        m.delete(room);
      } else {
        m.delete(room);
        try {
          await savePrivate(account);
        } catch (err) {
          m.set(room, b);
          throw err;
        }
      }
      publishChange(account.name, undefined, room, "removed", "command");
    },
  };
  controllers.set(ctx, controller);

  // After initial presence and the rejoin of rooms we were in: fetch, then autojoin.
  ctx.onSessionStart(120, "bookmarks", async (account) => {
    const list = await fetch(account);
    ctx.publish("bookmarks", { account: account.name, store: stores.get(account.name), count: list.length });
    for (const b of list) autojoin(account, b);
  });

  // Live changes from our other clients (PEP notifications from our own bare JID only).
  ctx.engine.on("stanza", ({ account, stanza }) => {
    if (stanza.name !== "message") return;
    const items = stanza.getChild("event", NS_PUBSUB_EVENT)?.getChild("items");
    if (items?.attrs.node !== NS_BOOKMARKS) return;
    const own = ctx.ownJid(account);
    if (stanza.attrs.from && !sameBareJid(stanza.attrs.from, own)) {
      ctx.publish("warning", { account, code: "forged_bookmarks", text: `ignored a bookmarks notification from ${stanza.attrs.from}`, from: stanza.attrs.from });
      return;
    }
    const acct = ctx.engine.find(account);
    const m = listOf(account);
    for (const el of items.getChildElements()) {
      if (el.name === "item") {
        const b = parseBookmarkItem(el);
        if (!b) continue;
        m.set(b.jid, b);
        publishChange(account, b, b.jid, "set", "notification");
        if (acct) autojoin(acct, b);
      } else if (el.name === "retract" && el.attrs.id && tryParseJid(el.attrs.id)) {
        const room = bareJid(normalizeJid(el.attrs.id));
        m.delete(room);
        publishChange(account, undefined, room, "removed", "notification");
      }
    }
  });
}
