/**
 * Views made of rows counted exactly: entries (messages, console lines, stanzas) are laid out
 * into rows of spans once per (entry, width, format), and a view shows the rows that fit its
 * height, counted from the bottom minus a scroll offset in rows.
 */
import { Box, Text } from "ink";
import { memo, useEffect, type ReactNode } from "react";

import { SpanRow, type SafeSpan } from "./RemoteText.js";

export interface Entry {
  /** Stable for this entry's content (used in row keys, so unchanged rows are not redrawn). */
  key: string;
  rows: readonly (readonly SafeSpan[])[];
}

export interface Row {
  key: string;
  spans: readonly SafeSpan[];
}

export interface Window {
  rows: Row[];
  /** The scroll offset actually used (clamped to the content). */
  scroll: number;
  /** Entries entirely below the window. */
  hiddenBelow: number;
}

/**
 * The rows of the last entries that fill `height` rows, `scroll` rows up from the bottom. Only
 * the entries needed are laid out (`entryAt` is called from the newest backwards).
 */
export function bottomWindow(count: number, entryAt: (index: number) => Entry, height: number, scroll: number): Window {
  const h = Math.max(0, height);
  let want = Math.max(0, scroll);
  const taken: Entry[] = [];
  let total = 0;
  for (let i = count - 1; i >= 0 && total < want + h; i--) {
    const e = entryAt(i);
    taken.push(e);
    total += e.rows.length;
  }
  if (total < want + h) want = Math.max(0, total - h);
  taken.reverse();
  const end = total - want;
  const start = Math.max(0, end - h);
  const rows: Row[] = [];
  let at = 0;
  let hiddenBelow = 0;
  for (const e of taken) {
    for (let r = 0; r < e.rows.length; r++, at++) {
      if (at >= start && at < end) rows.push({ key: `${e.key}/${r}`, spans: e.rows[r]! });
    }
    if (at - e.rows.length >= end) hiddenBelow++;
  }
  return { rows, scroll: want, hiddenBelow };
}

/** Draws rows top to bottom, aligned to the bottom of `height`. */
export const RowsView = memo(function RowsView({ rows, height, width, footer }: { rows: readonly Row[]; height: number; width: number; footer?: ReactNode }) {
  return (
    <Box flexDirection="column" height={height} width={width} justifyContent="flex-end" overflowY="hidden">
      {rows.map((r) => (
        <SpanRow key={r.key} spans={r.spans} />
      ))}
      {footer}
    </Box>
  );
});

/** The text of the "N newer below" bar, cut to `width`. */
export function belowMarkerText(count: number, width: number): string {
  const text = count > 0 ? ` ↓ ${count} newer below — End to jump ` : " ↓ more below — End to jump ";
  return text.length > width ? text.slice(0, Math.max(1, width)) : text;
}

/** "N newer below" bar shown while scrolled up. */
export function BelowMarker({ count, width }: { count: number; width: number }) {
  return (
    <Text inverse wrap="truncate-end">
      {belowMarkerText(count, width)}
    </Text>
  );
}

/** Tell the owner of the scroll offset when the view had to clamp it (scrolled past the top). */
export function useScrollClamp(requested: number, used: number, onClamp: ((value: number) => void) | undefined): void {
  useEffect(() => {
    if (onClamp && used !== requested) onClamp(used);
  }, [requested, used, onClamp]);
}

/** A per-object layout cache: one layout per entry for the last (width, format) asked. */
export function layoutCache<T extends object>(): (item: T, variant: string, make: () => Entry["rows"]) => Entry["rows"] {
  const cache = new WeakMap<T, { variant: string; rows: Entry["rows"] }>();
  return (item, variant, make) => {
    const hit = cache.get(item);
    if (hit && hit.variant === variant) return hit.rows;
    const rows = make();
    cache.set(item, { variant, rows });
    return rows;
  };
}
