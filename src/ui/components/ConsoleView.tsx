/** The console tab: connection events and command output, newest at the bottom, rows counted exactly. */
import { memo } from "react";

import type { ConsoleLine } from "../state/ui-store.js";
import { DEFAULT_FORMATS, formatStamp, type Formats } from "../format.js";
import { layoutEntry, localSpans, remoteSpans, type SafeSpan } from "./RemoteText.js";
import { BelowMarker, bottomWindow, layoutCache, RowsView, useScrollClamp } from "./rows.js";

const COLORS: Partial<Record<ConsoleLine["level"], string>> = { error: "red", input: "cyan" };

function layoutLine(l: ConsoleLine, width: number, formats: Formats): SafeSpan[][] {
  const header = localSpans(`${formatStamp(l.time, formats.time)} `, { dim: true });
  const color = COLORS[l.level];
  const style = color ? { color } : undefined;
  const body = l.remote ? remoteSpans(l.text, { multiline: !l.singleLine }, style) : localSpans(l.text, style);
  return layoutEntry(header, body, width);
}

const layouts = layoutCache<ConsoleLine>();

/** Rows a console line takes at `width` columns (time prefix included). */
export function consoleLineRows(l: ConsoleLine, width: number, formats: Formats = DEFAULT_FORMATS): number {
  return layouts(l, `${width}\n${formats.time}`, () => layoutLine(l, width, formats)).length;
}

export interface ConsoleViewProps {
  lines: readonly ConsoleLine[];
  rows: number;
  width: number;
  scroll: number;
  formats?: Formats;
  onScrollClamp?: (value: number) => void;
}

export const ConsoleView = memo(function ConsoleView({ lines, rows, width, scroll, formats = DEFAULT_FORMATS, onScrollClamp }: ConsoleViewProps) {
  const variant = `${width}\n${formats.time}`;
  const height = Math.max(1, rows - (scroll > 0 ? 1 : 0));
  const win = bottomWindow(lines.length, (i) => ({ key: String(lines[i]!.id), rows: layouts(lines[i]!, variant, () => layoutLine(lines[i]!, width, formats)) }), height, scroll);
  useScrollClamp(scroll, win.scroll, onScrollClamp);
  return <RowsView rows={win.rows} height={rows} width={width} footer={win.scroll > 0 ? <BelowMarker count={win.hiddenBelow} width={width} /> : null} />;
});
