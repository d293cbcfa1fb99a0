/**
 * One conversation: timestamps, sender, delivery state, corrections, delays, day separators.
 * Renders only the messages that fit the visible rows (from the bottom, minus the scroll offset).
 */
import { Box, Text } from "ink";
import { memo, useCallback } from "react";

import type { JabtermClient } from "../../core/client.js";
import type { ChatMessage, Conversation } from "../../core/store/types.js";
import { sanitize } from "../../core/text/sanitize.js";
import { displayWidth } from "../../core/text/width.js";
import { useStoreSelector } from "../hooks/use-store.js";
import { STATE_MARK } from "../theme.js";
import { RemoteText } from "./RemoteText.js";

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

function dayOf(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Rows a message takes at `width` columns (prefix + body, each body line wrapped). */
export function messageRows(m: ChatMessage, width: number): number {
  const prefix = 6 + displayWidth(m.direction === "out" ? "me" : m.from.split("/")[0]!) + 2;
  return sanitize(m.body, { multiline: true }).split("\n").reduce((n, line, i) => n + Math.max(1, Math.ceil((displayWidth(line) + (i === 0 ? prefix : 0)) / Math.max(10, width))), 0);
}

/** The messages to draw: the newest ones that fit `rows`, skipping `scroll` rows from the bottom. */
export function visibleMessages(messages: readonly ChatMessage[], rows: number, width: number, scroll: number): { items: ChatMessage[]; hiddenBelow: number } {
  let skip = scroll;
  let used = 0;
  let end = messages.length;
  while (end > 0 && skip > 0) {
    skip -= messageRows(messages[end - 1]!, width);
    end--;
  }
  let start = end;
  while (start > 0) {
    const r = messageRows(messages[start - 1]!, width);
    if (used + r > rows) break;
    used += r;
    start--;
  }
  return { items: messages.slice(start, end), hiddenBelow: messages.length - end };
}

const MessageRow = memo(function MessageRow({ m, showDay }: { m: ChatMessage; showDay: boolean }) {
  const who = m.direction === "out" ? "me" : m.from.split("/")[0]!;
  return (
    <Box flexDirection="column">
      {showDay && <Text dimColor>{`─── ${dayOf(m.delay ?? m.time)} ───`}</Text>}
      <Box>
        <Text dimColor>{`${formatTime(m.delay ?? m.time)} `}</Text>
        {m.delay && <Text color="yellow">⏲ </Text>}
        {m.me ? (
          <Text color="magenta">* </Text>
        ) : null}
        {m.direction === "out" ? <Text color="cyan" bold>{who}</Text> : <RemoteText text={who} strict color="green" bold />}
        <Text>{m.me ? " " : ": "}</Text>
        <Box flexShrink={1}>
          <RemoteText text={m.me ? m.body.replace(/^\/me /, "") : m.body} multiline />
        </Box>
        {m.corrections?.length ? <Text dimColor> (edited)</Text> : null}
        {m.carbon ? <Text dimColor> ⇄</Text> : null}
        {m.direction === "out" && m.state ? <Text color={m.state === "failed" ? "red" : "gray"}> {STATE_MARK[m.state] ?? m.state}</Text> : null}
        {m.error ? <RemoteText text={` ${m.error.condition}${m.error.text ? `: ${m.error.text}` : ""}`} color="red" /> : null}
      </Box>
    </Box>
  );
});

export function ChatView({ client, account, peer, rows, width, scroll }: { client: JabtermClient; account: string; peer: string; rows: number; width: number; scroll: number }) {
  const select = useCallback((s: Parameters<Parameters<typeof useStoreSelector>[1]>[0]) => s.accounts[account]?.conversations[peer], [account, peer]);
  const conv = useStoreSelector<Conversation | undefined>(client.store, select);
  const messages = conv?.messages ?? [];
  const { items, hiddenBelow } = visibleMessages(messages, Math.max(1, rows - 1), width, scroll);
  return (
    <Box flexDirection="column" height={rows} width={width} justifyContent="flex-end" overflow="hidden">
      {messages.length === 0 ? <Text dimColor>No messages yet. Type to write to {peer}.</Text> : null}
      {items.map((m, i) => (
        <MessageRow key={m.id + String(m.corrections?.length ?? 0)} m={m} showDay={i === 0 || dayOf(items[i - 1]!.delay ?? items[i - 1]!.time) !== dayOf(m.delay ?? m.time)} />
      ))}
      {conv?.chatState?.state === "composing" ? <Text dimColor italic>{peer} is typing…</Text> : null}
      {hiddenBelow > 0 ? <Text inverse>{` ${hiddenBelow} newer below — End to jump `}</Text> : null}
    </Box>
  );
}
