/**
 * Accounts, then groups, then contacts with a presence glyph and colour and unread counts;
 * pending subscription requests per account. Offline contacts hidden unless toggled.
 */
import { Box, Text } from "ink";
import { memo } from "react";

import type { JabtermClient } from "../../core/client.js";
import type { AccountSlice, ResourcePresence, RosterItem, Show, State } from "../../core/store/types.js";
import { useStoreSelector } from "../hooks/use-store.js";
import { accountColor, PRESENCE_COLOR, PRESENCE_GLYPH } from "../theme.js";
import { RemoteText } from "./RemoteText.js";

const SHOW_RANK: Record<Show, number> = { chat: 5, online: 4, away: 3, xa: 2, dnd: 1 };

/** The show of a contact's best resource (priority, then show), or offline. */
export function contactShow(resources: Record<string, ResourcePresence> | undefined): Show | "offline" {
  const all = Object.values(resources ?? {});
  if (!all.length) return "offline";
  all.sort((a, b) => b.priority - a.priority || SHOW_RANK[b.show] - SHOW_RANK[a.show]);
  return all[0]!.show;
}

export interface RosterRow {
  key: string;
  kind: "account" | "group" | "contact" | "requests";
  label: string;
  account: string;
  jid?: string;
  show?: Show | "offline";
  unread?: number;
  remote?: boolean;
}

/** Flatten the store into rows (pure: tested without a terminal). */
export function rosterRows(state: State, accounts: { name: string; status: string }[], showOffline: boolean): RosterRow[] {
  const rows: RosterRow[] = [];
  for (const a of accounts) {
    const slice: AccountSlice | undefined = state.accounts[a.name];
    rows.push({ key: `a:${a.name}`, kind: "account", label: `${a.name} (${a.status})`, account: a.name });
    if (!slice) continue;
    const requests = Object.keys(slice.requests).length;
    if (requests) rows.push({ key: `r:${a.name}`, kind: "requests", label: `${requests} request${requests > 1 ? "s" : ""} (/requests)`, account: a.name });
    const groups = new Map<string, RosterItem[]>();
    for (const item of Object.values(slice.roster.items)) {
      const show = contactShow(slice.presence[item.jid]);
      if (!showOffline && show === "offline" && !(slice.conversations[item.jid]?.unread ?? 0)) continue;
      for (const g of item.groups.length ? item.groups : [""]) groups.set(g, [...(groups.get(g) ?? []), item]);
    }
    for (const g of [...groups.keys()].sort((x, y) => (x === "" ? 1 : y === "" ? -1 : x.localeCompare(y)))) {
      if (g) rows.push({ key: `g:${a.name}:${g}`, kind: "group", label: g, account: a.name, remote: true });
      const items = groups.get(g)!.sort((x, y) => (x.name ?? x.nick ?? x.jid).localeCompare(y.name ?? y.nick ?? y.jid));
      for (const item of items) {
        rows.push({ key: `c:${a.name}:${g}:${item.jid}`, kind: "contact", label: item.name ?? item.nick ?? item.jid, account: a.name, jid: item.jid, show: contactShow(slice.presence[item.jid]), unread: slice.conversations[item.jid]?.unread ?? 0, remote: true });
      }
    }
  }
  return rows;
}

const Row = memo(function Row({ row, width }: { row: RosterRow; width: number }) {
  if (row.kind === "account") return <Text bold color={accountColor(row.account)} wrap="truncate">{row.label}</Text>;
  if (row.kind === "requests") return <Text color="yellow" wrap="truncate">{` ! ${row.label}`}</Text>;
  if (row.kind === "group") return <Box><Text dimColor> ▾ </Text><RemoteText text={row.label} strict dimColor wrap="truncate" /></Box>;
  const show = row.show ?? "offline";
  return (
    <Box width={width}>
      <Text color={PRESENCE_COLOR[show]}>{`  ${PRESENCE_GLYPH[show]} `}</Text>
      <Box flexGrow={1} flexShrink={1}>
        <RemoteText text={row.label} strict wrap="truncate" bold={(row.unread ?? 0) > 0} />
      </Box>
      {row.unread ? <Text color="yellow">{` ${row.unread}`}</Text> : null}
    </Box>
  );
});

export function RosterPane({ client, width, rows: height, showOffline, accounts }: { client: JabtermClient; width: number; rows: number; showOffline: boolean; accounts: { name: string; status: string }[] }) {
  const state = useStoreSelector(client.store, (s) => s);
  const rows = rosterRows(state, accounts, showOffline);
  const visible = rows.slice(0, Math.max(0, height));
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="single" borderTop={false} borderBottom={false} borderLeft={false} overflow="hidden">
      {visible.map((r) => (
        <Row key={r.key} row={r} width={width - 1} />
      ))}
      {rows.length > visible.length ? <Text dimColor>{`… ${rows.length - visible.length} more`}</Text> : null}
    </Box>
  );
}
