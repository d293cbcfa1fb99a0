/**
 * An account's XML stream (credentials redacted by the core), newest at the bottom: "→" what we
 * sent, "←" what we received. The XML is remote text: sanitised like everything else.
 */
import { Text } from "ink";
import { memo, useCallback, useSyncExternalStore } from "react";

import { DEFAULT_FORMATS, formatStamp, type Formats } from "../format.js";
import type { XmlEntry, XmlLog } from "../state/xml-log.js";
import { layoutEntry, localSpans, remoteSpans, type SafeSpan } from "./RemoteText.js";
import { BelowMarker, bottomWindow, layoutCache, RowsView, useScrollClamp } from "./rows.js";

function layoutXml(e: XmlEntry, width: number, formats: Formats): SafeSpan[][] {
  const header = [
    ...localSpans(`${formatStamp(e.time, formats.time)} `, { dim: true }),
    ...(e.direction === "out" ? localSpans("→ ", { color: "cyan", bold: true }) : localSpans("← ", { color: "green", bold: true })),
  ];
  return layoutEntry(header, remoteSpans(e.text, { multiline: true }), width);
}

const layouts = layoutCache<XmlEntry>();

export interface XmlConsoleViewProps {
  log: XmlLog;
  account: string;
  rows: number;
  width: number;
  scroll: number;
  formats?: Formats;
  onScrollClamp?: (value: number) => void;
}

export const XmlConsoleView = memo(function XmlConsoleView({ log, account, rows, width, scroll, formats = DEFAULT_FORMATS, onScrollClamp }: XmlConsoleViewProps) {
  const get = useCallback(() => log.entries(account), [log, account]);
  const entries = useSyncExternalStore(log.subscribe, get, get);
  const variant = `${width}\n${formats.time}`;
  const height = Math.max(1, rows - 1 - (scroll > 0 ? 1 : 0));
  const win = bottomWindow(entries.length, (i) => ({ key: String(entries[i]!.id), rows: layouts(entries[i]!, variant, () => layoutXml(entries[i]!, width, formats)) }), height, scroll);
  useScrollClamp(scroll, win.scroll, onScrollClamp);
  const footer = (
    <>
      {win.scroll > 0 ? <BelowMarker count={win.hiddenBelow} width={width} /> : null}
      <Text dimColor wrap="truncate-end">
        {`XML console of ${account}: ${entries.length ? `${entries.length} stanza${entries.length > 1 ? "s" : ""}` : "traffic shows here from now on"} (→ sent, ← received; credentials redacted) · /close closes it`}
      </Text>
    </>
  );
  return <RowsView rows={win.rows} height={rows} width={width} footer={footer} />;
});
