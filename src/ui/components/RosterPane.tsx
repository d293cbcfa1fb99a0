/**
 * Accounts, their pending subscription requests, groups, then contacts with a presence glyph and
 * colour and unread counts; a contact can be expanded to show its resources (show, priority),
 * best first. Offline contacts are hidden unless toggled (or while they have unread messages).
 * With the focus, a cursor marks the selected contact; the list scrolls to keep it visible.
 */
import { Box, Text } from "ink";
import { memo, useRef } from "react";

import type { JabtermClient } from "../../core/client.js";
import { bestResource, sortedResources } from "../../core/store/slices/presence.js";
import { displayName, rosterItems } from "../../core/store/slices/roster.js";
import type { AccountSlice, ResourcePresence, RosterItem, Show, State } from "../../core/store/types.js";
import { useStoreSelector } from "../hooks/use-store.js";
import { rosterKey } from "../state/ui-store.js";
import { accountColor, PRESENCE_COLOR, PRESENCE_GLYPH } from "../theme.js";
import { RemoteText } from "./RemoteText.js";

/** The show of a contact's best resource (priority, then show, then most recent), or offline. */
export function contactShow(resources: Record<string, ResourcePresence> | undefined): Show | "offline" {
  return bestResource(resources)?.show ?? "offline";
}

export interface RosterRow {
  key: string;
  kind: "account" | "group" | "contact" | "requests" | "resource" | "no-resource";
  label: string;
  account: string;
  jid?: string;
  show?: Show | "offline";
  unread?: number;
  /** Contacts: whether their resources are shown; how many they have. */
  expanded?: boolean;
  resources?: number;
  /** Resources. */
  priority?: number;
  status?: string;
  remote?: boolean;
}

export interface RosterOptions {
  showOffline: boolean;
  /** Contacts whose resources are shown, by rosterKey(account, jid). */
  expanded?: Readonly<Record<string, true>>;
  /** Unread messages carried over from an earlier run, by rosterKey(account, jid). */
  carried?: Readonly<Record<string, number>>;
}

function resourceRows(account: string, jid: string, prefix: string, resources: Record<string, ResourcePresence> | undefined): RosterRow[] {
  const all = sortedResources(resources);
  if (!all.length) return [{ key: `${prefix}/`, kind: "no-resource", label: "offline", account, jid }];
  return all.map((r) => ({ key: `${prefix}/${r.resource}`, kind: "resource", label: r.resource, account, jid, show: r.show, priority: r.priority, status: r.status, remote: true }));
}

/**
 * A contact in its group, with what only the roster and presence decide (cached per account). Its
 * row is made when it is first shown (with offline contacts hidden, a few dozen of thousands).
 */
interface ContactEntry {
  item: RosterItem;
  show: Show | "offline";
  /** The row with no unread messages and not expanded; shared between renders while unchanged. */
  row?: RosterRow;
}

interface AccountEntries {
  roster: AccountSlice["roster"];
  presence: AccountSlice["presence"];
  groups: { name: string; header?: RosterRow; contacts: ContactEntry[] }[];
  /** Each contact's entries (one per group it is in): a presence change is applied to these. */
  byJid: Map<string, ContactEntry[]>;
}

/**
 * Grouping, sorting and each contact's best show depend only on the roster and presence, which a
 * message flood does not touch: computed once per change of the roster. A change of presence
 * (several a second in a big roster) updates only the contacts whose presence changed: the
 * contacts are sorted by name, so none moves.
 */
const entriesCache = new Map<string, AccountEntries>();

function accountEntries(account: string, slice: AccountSlice): AccountEntries {
  const cached = entriesCache.get(account);
  if (cached && cached.roster === slice.roster) {
    if (cached.presence !== slice.presence) updatePresence(cached, slice.presence);
    return cached;
  }
  const groups = new Map<string, ContactEntry[]>();
  const byJid = new Map<string, ContactEntry[]>();
  for (const item of rosterItems(slice.roster)) {
    const show = contactShow(slice.presence[item.jid]);
    const mine: ContactEntry[] = [];
    for (const g of item.groups.length ? item.groups : [""]) {
      const e: ContactEntry = { item, show };
      mine.push(e);
      const list = groups.get(g);
      if (list) list.push(e);
      else groups.set(g, [e]);
    }
    byJid.set(item.jid, mine);
  }
  const names = [...groups.keys()].sort((x, y) => (x === "" ? 1 : y === "" ? -1 : x.localeCompare(y)));
  const entries: AccountEntries = {
    roster: slice.roster,
    presence: slice.presence,
    groups: names.map((g) => ({ name: g, header: g ? { key: `g:${account}:${g}`, kind: "group", label: g, account, remote: true } : undefined, contacts: groups.get(g)! })),
    byJid,
  };
  entriesCache.set(account, entries);
  return entries;
}

/** A new show (and row) for each contact whose presence is not the one the entries were made with. */
function updatePresence(entries: AccountEntries, presence: AccountSlice["presence"]): void {
  const old = entries.presence;
  const refresh = (jid: string) => {
    const list = entries.byJid.get(jid);
    if (!list) return; // not in the roster (ourselves, a room, a stranger)
    const show = contactShow(presence[jid]);
    for (const e of list) {
      e.show = show;
      e.row = undefined; // its resource count may have changed too
    }
  };
  for (const jid in presence) if (presence[jid] !== old[jid]) refresh(jid);
  for (const jid in old) if (!(jid in presence)) refresh(jid);
  entries.presence = presence;
}

function contactRow(account: string, group: string, e: ContactEntry, presence: AccountSlice["presence"]): RosterRow {
  const { item, show } = e;
  e.row ??= { key: `c:${account}:${group}:${item.jid}`, kind: "contact", label: displayName(item), account, jid: item.jid, show, unread: 0, expanded: false, resources: Object.keys(presence[item.jid] ?? {}).length, remote: true };
  return e.row;
}

/** Flatten the store into rows (pure apart from its cache: tested without a terminal). */
export function rosterRows(state: State, accounts: readonly { name: string; status: string }[], opts: RosterOptions | boolean): RosterRow[] {
  const { showOffline, expanded = {}, carried = {} } = typeof opts === "boolean" ? { showOffline: opts } : opts;
  const rows: RosterRow[] = [];
  for (const a of accounts) {
    const slice: AccountSlice | undefined = state.accounts[a.name];
    rows.push({ key: `a:${a.name}`, kind: "account", label: `${a.name} (${a.status})`, account: a.name });
    if (!slice) continue;
    const requests = Object.keys(slice.requests).length;
    if (requests) rows.push({ key: `r:${a.name}`, kind: "requests", label: `${requests} request${requests > 1 ? "s" : ""} (/requests)`, account: a.name });
    // Unread counts by contact, gathered from the few conversations rather than looked up for each
    // of thousands of contacts (a miss on a plain object costs ~100x a Map's).
    const unreadOf = new Map<string, number>();
    for (const [peer, c] of Object.entries(slice.conversations)) if (c.unread) unreadOf.set(peer, c.unread);
    const prefix = rosterKey(a.name, "");
    for (const [rk, n] of Object.entries(carried)) {
      if (!n || !rk.startsWith(prefix)) continue;
      const jid = rk.slice(prefix.length);
      unreadOf.set(jid, (unreadOf.get(jid) ?? 0) + n);
    }
    const open = new Set(Object.keys(expanded).filter((rk) => rk.startsWith(prefix)));
    const entries = accountEntries(a.name, slice);
    for (const group of entries.groups) {
      let headed = false;
      for (const e of group.contacts) {
        const jid = e.item.jid;
        const unread = unreadOf.size ? (unreadOf.get(jid) ?? 0) : 0;
        if (!showOffline && e.show === "offline" && !unread) continue;
        if (!headed && group.header) rows.push(group.header);
        headed = true;
        const row = contactRow(a.name, group.name, e, entries.presence);
        const isOpen = open.size > 0 && open.has(rosterKey(a.name, jid));
        rows.push(unread || isOpen ? { ...row, unread, expanded: isOpen } : row);
        if (isOpen) rows.push(...resourceRows(a.name, jid, row.key, slice.presence[jid]));
      }
    }
  }
  return rows;
}

/** The contact row the cursor is on: the one named, else the first contact. */
export function cursorRow(rows: readonly RosterRow[], cursor: string | undefined): RosterRow | undefined {
  return rows.find((r) => r.kind === "contact" && r.key === cursor) ?? rows.find((r) => r.kind === "contact");
}

/** The contact `delta` contacts away from the cursor (clamped to the list). */
export function moveCursor(rows: readonly RosterRow[], cursor: string | undefined, delta: number): RosterRow | undefined {
  const contacts = rows.filter((r) => r.kind === "contact");
  if (!contacts.length) return undefined;
  const at = contacts.findIndex((r) => r.key === cursor);
  if (at < 0) return contacts[0];
  return contacts[Math.max(0, Math.min(contacts.length - 1, at + delta))];
}

const Row = memo(function Row({ row, width, selected }: { row: RosterRow; width: number; selected: boolean }) {
  if (row.kind === "account")
    return (
      <Text bold color={accountColor(row.account)} wrap="truncate">
        {row.label}
      </Text>
    );
  if (row.kind === "requests") return <Text color="yellow" wrap="truncate">{` ! ${row.label}`}</Text>;
  if (row.kind === "group")
    return (
      <Box width={width}>
        <Text dimColor> ▾ </Text>
        <RemoteText text={row.label} strict dimColor wrap="truncate" />
      </Box>
    );
  if (row.kind === "no-resource")
    return (
      <Text dimColor wrap="truncate">
        {"      (no resource online)"}
      </Text>
    );
  const show = row.show ?? "offline";
  if (row.kind === "resource")
    return (
      <Box width={width}>
        <Text color={PRESENCE_COLOR[show]}>{`     ${PRESENCE_GLYPH[show]} `}</Text>
        <Box flexGrow={1} flexShrink={1}>
          <RemoteText text={row.label} strict wrap="truncate" />
        </Box>
        <Text dimColor>{` ${show} ${row.priority ?? 0}`}</Text>
      </Box>
    );
  const marker = row.expanded ? "▾" : row.resources ? "▸" : " ";
  return (
    <Box width={width}>
      <Text inverse={selected}>{selected ? "›" : " "}</Text>
      <Text dimColor>{marker}</Text>
      <Text color={PRESENCE_COLOR[show]}>{`${PRESENCE_GLYPH[show]} `}</Text>
      <Box flexGrow={1} flexShrink={1}>
        <Text inverse={selected} wrap="truncate">
          <RemoteText text={row.label} strict bold={(row.unread ?? 0) > 0} />
        </Text>
      </Box>
      {row.unread ? <Text color="yellow">{` ${row.unread}`}</Text> : null}
    </Box>
  );
});

export interface RosterPaneProps {
  client: JabtermClient;
  width: number;
  rows: number;
  showOffline: boolean;
  accounts: readonly { name: string; status: string }[];
  expanded?: Readonly<Record<string, true>>;
  carried?: Readonly<Record<string, number>>;
  /** The pane has the focus: draw the cursor. */
  focused?: boolean;
  cursor?: string;
}

const everything = (s: State): State => s;

/** Two states show the same roster: same roster, presence and requests, same unread counts (messages may differ). */
export function sameRosterInputs(a: State, b: State): boolean {
  if (a === b) return true;
  const names = Object.keys(a.accounts);
  if (names.length !== Object.keys(b.accounts).length) return false;
  for (const name of names) {
    const x = a.accounts[name];
    const y = b.accounts[name];
    if (x === y) continue;
    if (!x || !y || x.roster !== y.roster || x.presence !== y.presence || x.requests !== y.requests) return false;
    if (x.conversations === y.conversations) continue;
    const peers = new Set([...Object.keys(x.conversations), ...Object.keys(y.conversations)]);
    for (const p of peers) if ((x.conversations[p]?.unread ?? 0) !== (y.conversations[p]?.unread ?? 0)) return false;
  }
  return true;
}
const HEADER = new Set<RosterRow["kind"]>(["account", "requests", "group"]);

export const RosterPane = memo(function RosterPane({ client, width, rows: height, showOffline, accounts, expanded, carried, focused = false, cursor }: RosterPaneProps) {
  // Re-render when what the pane shows changes, not on every message.
  const state = useStoreSelector(client.store, everything, sameRosterInputs);
  const rows = rosterRows(state, accounts, { showOffline, expanded, carried });
  const selected = focused ? cursorRow(rows, cursor) : undefined;

  // Scroll: keep the offset between renders, and the cursor inside the window.
  const top = useRef(0);
  const overflow = rows.length > height;
  const view = Math.max(1, overflow ? height - 1 : height);
  let first = Math.min(top.current, Math.max(0, rows.length - view));
  const at = selected ? rows.indexOf(selected) : -1;
  if (at >= 0 && at < first) {
    first = at;
    // Show the headers (account, requests, group) right above the cursor too.
    while (first > 0 && HEADER.has(rows[first - 1]!.kind) && at - (first - 1) < view) first--;
  }
  if (at >= 0 && at >= first + view) first = at - view + 1;
  top.current = first;
  const visible = rows.slice(first, first + view);
  const below = rows.length - first - visible.length;

  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="single" borderTop={false} borderBottom={false} borderLeft={false} overflow="hidden">
      {visible.map((r) => (
        <Row key={r.key} row={r} width={width - 1} selected={r === selected} />
      ))}
      {overflow ? <Text dimColor wrap="truncate">{`${first ? `↑${first} ` : ""}${below ? `↓${below} more` : ""}`}</Text> : null}
    </Box>
  );
});
