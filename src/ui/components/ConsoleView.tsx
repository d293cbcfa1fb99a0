/** The console tab: connection events and command output, newest at the bottom. */
import { Box, Text } from "ink";
import { memo } from "react";

import type { ConsoleLine } from "../state/ui-store.js";
import { sanitize } from "../../core/text/sanitize.js";
import { displayWidth } from "../../core/text/width.js";
import { formatTime } from "./ChatView.js";
import { RemoteText } from "./RemoteText.js";

const Line = memo(function Line({ line }: { line: ConsoleLine }) {
  const color = line.level === "error" ? "red" : line.level === "input" ? "cyan" : undefined;
  return (
    <Box>
      <Box marginRight={1} flexShrink={0}>
        <Text dimColor>{formatTime(line.time)}</Text>
      </Box>
      {line.remote ? <RemoteText text={line.text} multiline color={color} /> : <Text color={color}>{line.text}</Text>}
    </Box>
  );
});

/** Rows a console line takes at `width` columns ("HH:MM " prefix included). */
function lineRows(l: ConsoleLine, width: number): number {
  return (l.remote ? sanitize(l.text, { multiline: true }) : l.text).split("\n").reduce((n, part, i) => n + Math.max(1, Math.ceil((displayWidth(part) + (i === 0 ? 6 : 0)) / Math.max(10, width))), 0);
}

export function ConsoleView({ lines, rows, width, scroll }: { lines: readonly ConsoleLine[]; rows: number; width: number; scroll: number }) {
  const end = Math.max(0, lines.length - scroll);
  let start = end;
  for (let used = 0; start > 0; start--) {
    used += lineRows(lines[start - 1]!, width);
    if (used > rows) break;
  }
  const visible = lines.slice(start, end);
  return (
    <Box flexDirection="column" height={rows} justifyContent="flex-end" overflow="hidden">
      {visible.map((l) => (
        <Line key={l.id} line={l} />
      ))}
    </Box>
  );
}
