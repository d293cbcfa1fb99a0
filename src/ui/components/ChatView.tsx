/**
 * One conversation: timestamps, sender, XEP-0393 styled bodies, delivery state, corrections,
 * carbons, delays, day separators, typing. Every message is laid out into rows here (sanitised,
 * styled, wrapped with wide characters and combining marks counted), so the rows counted for the
 * visible slice are exactly the rows drawn; only those are rendered.
 */
import { memo, useCallback } from "react";

import type { JabtermClient } from "../../core/client.js";
import type { ChatMessage, Conversation } from "../../core/store/types.js";
import { consistentColor } from "../../core/text/colors.js";
import { formatStamp, DEFAULT_FORMATS, type Formats } from "../format.js";
import { useStoreSelector } from "../hooks/use-store.js";
import { CRYPTO_COLOR, CRYPTO_GLYPH, STATE_MARK } from "../theme.js";
import { layoutEntry, localSpans, remoteSpans, SpanRow, styledSpans, truncateSpans, type SafeSpan } from "./RemoteText.js";
import { belowMarkerText, bottomWindow, layoutCache, RowsView, useScrollClamp, type Entry, type Window } from "./rows.js";

/** A message's time as `time_format` says ("HH:mm" by default). */
export function formatTime(iso: string, format = DEFAULT_FORMATS.time): string {
  return formatStamp(iso, format);
}

const stampOf = (m: ChatMessage): string => m.delay ?? m.time;

/** "[OX✓]": the scheme and, for incoming messages, the verification (✓ verified, ? unverified, ~ unsigned, ✗ bad). */
export function cryptoMark(m: Pick<ChatMessage, "encryption" | "verified">): string {
  const scheme = m.encryption === "ox" ? "OX" : "PGP";
  return `[${scheme}${m.verified ? CRYPTO_GLYPH[m.verified] : ""}]`;
}

function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** The rows of one message at `width` columns (without its day separator). */
function layoutMessage(m: ChatMessage, width: number, formats: Formats, occupant = false): SafeSpan[][] {
  const header: SafeSpan[] = [...localSpans(`${formatTime(stampOf(m), formats.time)} `, { dim: true })];
  // Room lines (joins, leaves, nick changes, topic, kicks): remote names inside, dimmed.
  if (m.notice) {
    header.push(...localSpans(m.notice === "kick" || m.notice === "ban" ? "!! " : "-- ", { dim: true, color: m.notice === "kick" || m.notice === "ban" ? "red" : undefined }));
    return layoutEntry(header, remoteSpans(m.body, {}, { dim: true }), width);
  }
  if (m.delay) header.push(...localSpans("⏲ ", { color: "yellow" }));
  if (m.encryption) header.push(...localSpans(`${cryptoMark(m)} `, { color: CRYPTO_COLOR[m.verified ?? "none"] }));
  if (m.highlight) header.push(...localSpans("! ", { color: "yellow", bold: true }));
  if (m.me) header.push(...localSpans("* ", { color: "magenta" }));
  // In a room the sender is a nick, in its XEP-0392 colour.
  if (m.type === "groupchat" && m.nick !== undefined) header.push(...remoteSpans(m.nick, { strict: true }, { color: consistentColor(m.nick), bold: true }));
  else if (m.direction === "out") header.push(...localSpans("me", { color: "cyan", bold: true }));
  // A private conversation with a room occupant: the sender is its nick.
  else if (occupant && m.from.includes("/")) {
    const nick = m.from.slice(m.from.indexOf("/") + 1);
    header.push(...remoteSpans(nick, { strict: true }, { color: consistentColor(nick), bold: true }));
  } else header.push(...remoteSpans(m.from.split("/")[0]!, { strict: true }, { color: "green", bold: true }));
  header.push(...localSpans(m.me ? " " : ": "));
  if (m.retracted) {
    const note = m.retracted.by && m.retracted.by !== m.nick ? `[removed by ${m.retracted.by}${m.retracted.reason ? `: ${m.retracted.reason}` : ""}]` : "[retracted]";
    return layoutEntry(header, remoteSpans(note, {}, { dim: true, italic: true }), width);
  }
  const body: SafeSpan[] = styledSpans(m.me ? m.body.replace(/^\/me /, "") : m.body, m.highlight ? { bold: true } : undefined);
  if (m.corrections?.length) body.push(...localSpans(" (edited)", { dim: true }));
  if (m.carbon) body.push(...localSpans(" ⇄", { dim: true }));
  if (m.direction === "out" && m.state) body.push(...localSpans(` ${STATE_MARK[m.state] ?? m.state}`, { color: m.state === "failed" ? "red" : "gray" }));
  if (m.error) body.push(...remoteSpans(` ${m.error.condition}${m.error.text ? `: ${m.error.text}` : ""}`, {}, { color: "red" }));
  if (m.cryptoNote) body.push(...remoteSpans(` (${m.cryptoNote})`, {}, m.verified === "bad" ? { color: "red" } : { color: "yellow", dim: true }));
  return layoutEntry(header, body, width);
}

const messageLayouts = layoutCache<ChatMessage>();

function messageLayout(m: ChatMessage, width: number, formats: Formats, occupant = false) {
  return messageLayouts(m, `${width}\n${formats.time}\n${occupant ? 1 : 0}`, () => layoutMessage(m, width, formats, occupant));
}

/** Rows a message takes at `width` columns (its day separator not included). */
export function messageRows(m: ChatMessage, width: number, formats: Formats = DEFAULT_FORMATS): number {
  return messageLayout(m, width, formats).length;
}

const separators = new Map<string, SafeSpan[]>();

function daySeparator(iso: string, formats: Formats): SafeSpan[] {
  const key = `${dayKey(iso)}\n${formats.date}`;
  let row = separators.get(key);
  if (!row) {
    if (separators.size > 500) separators.clear();
    row = localSpans(`─── ${formatStamp(iso, formats.date)} ───`, { dim: true });
    separators.set(key, row);
  }
  return row;
}

/**
 * The rows to draw: the newest that fit `rows`, `scroll` rows up from the bottom. A day separator
 * row precedes the first message of each day (and the oldest message). `items`: the messages
 * with at least one row visible.
 */
export function visibleMessages(messages: readonly ChatMessage[], rows: number, width: number, scroll: number, formats: Formats = DEFAULT_FORMATS, occupant = false): Window & { items: ChatMessage[] } {
  const entries = new Map<number, Entry>();
  const entryAt = (i: number): Entry => {
    const m = messages[i]!;
    const layout = messageLayout(m, width, formats, occupant);
    const prev = messages[i - 1];
    const sep = !prev || dayKey(stampOf(prev)) !== dayKey(stampOf(m));
    const e: Entry = { key: `${m.id}:${m.direction}:${m.corrections?.length ?? 0}:${m.state ?? ""}${m.retracted ? ":r" : ""}`, rows: sep ? [daySeparator(stampOf(m), formats), ...layout] : layout };
    entries.set(i, e);
    return e;
  };
  const win = bottomWindow(messages.length, entryAt, rows, scroll);
  const visibleKeys = new Set(win.rows.map((r) => r.key.slice(0, r.key.lastIndexOf("/"))));
  const items = [...entries.entries()].sort((a, b) => a[0] - b[0]).filter(([, e]) => visibleKeys.has(e.key)).map(([i]) => messages[i]!);
  return { ...win, items };
}

const withoutJoins = new WeakMap<readonly ChatMessage[], readonly ChatMessage[]>();

/** A conversation's messages, joins and leaves left out when `hideJoins` (cached per messages array). */
function shownMessages(all: readonly ChatMessage[], hideJoins: boolean | undefined): readonly ChatMessage[] {
  if (!hideJoins) return all;
  let out = withoutJoins.get(all);
  if (!out) {
    out = all.filter((m) => m.notice !== "join" && m.notice !== "leave");
    withoutJoins.set(all, out);
  }
  return out;
}

/**
 * What a conversation pane shows, for <ChatView> (through Ink) and the terminal's chat surface
 * (ui/screen/chat-surface.ts) alike: the message rows that fit, and the footer rows under them
 * (no messages yet, typing, newer below), each cut to `width`.
 */
export function chatPane(
  conv: Conversation | undefined,
  opts: { peer: string; rows: number; width: number; scroll: number; formats?: Formats; hideJoins?: boolean },
): Window & { footer: SafeSpan[][] } {
  const messages = shownMessages(conv?.messages ?? [], opts.hideJoins);
  const typing = conv?.chatState?.state === "composing";
  const reserved = (typing ? 1 : 0) + (opts.scroll > 0 ? 1 : 0);
  // A conversation keyed by a full JID is a private one with a room occupant.
  const win = visibleMessages(messages, Math.max(1, opts.rows - reserved), opts.width, opts.scroll, opts.formats ?? DEFAULT_FORMATS, opts.peer.includes("/"));
  const footer: SafeSpan[][] = [];
  if (messages.length === 0) footer.push([...localSpans("No messages yet. Type to write to ", { dim: true }), ...remoteSpans(opts.peer, { strict: true }, { dim: true }), ...localSpans(".", { dim: true })]);
  if (typing) footer.push([...remoteSpans(opts.peer, { strict: true }, { dim: true, italic: true }), ...localSpans(" is typing…", { dim: true, italic: true })]);
  if (win.scroll > 0) footer.push(localSpans(belowMarkerText(win.hiddenBelow, opts.width), { inverse: true }));
  return { rows: win.rows, scroll: win.scroll, hiddenBelow: win.hiddenBelow, footer: footer.map((f) => truncateSpans(f, Math.max(1, opts.width))) };
}

export interface ChatViewProps {
  client: JabtermClient;
  account: string;
  peer: string;
  rows: number;
  width: number;
  /** Rows scrolled up from the bottom. */
  scroll: number;
  formats?: Formats;
  /** The scroll offset was clamped to the content (scrolled past the top). */
  onScrollClamp?: (value: number) => void;
  /** Rooms: leave out the lines for occupants joining and leaving (muc_show_joins off). */
  hideJoins?: boolean;
}

export const ChatView = memo(function ChatView({ client, account, peer, rows, width, scroll, formats = DEFAULT_FORMATS, onScrollClamp, hideJoins }: ChatViewProps) {
  const select = useCallback((s: Parameters<Parameters<typeof useStoreSelector>[1]>[0]) => s.accounts[account]?.conversations[peer], [account, peer]);
  const conv = useStoreSelector<Conversation | undefined>(client.store, select);
  const pane = chatPane(conv, { peer, rows, width, scroll, formats, hideJoins });
  useScrollClamp(scroll, pane.scroll, onScrollClamp);
  const footer = pane.footer.map((spans, i) => <SpanRow key={`footer/${i}`} spans={spans} />);
  return <RowsView rows={pane.rows} height={rows} width={width} footer={footer} />;
});
