/**
 * The ONE way text from the network reaches the terminal: every string goes through the core
 * sanitiser; placeholders for defused characters are dimmed. Never render remote text with a
 * bare <Text>.
 *
 * Two ways in:
 * - `<RemoteText text=...>`: one string, sanitised, Ink wraps or truncates it.
 * - Spans (`remoteSpans`, `styledSpans` for XEP-0393 message bodies, `localSpans` for our own
 *   text), laid out into rows of at most `width` columns by `wrapSpans` and drawn one Ink row per
 *   row by `<SpanRow>`. `SafeSpan` is a branded type only this module creates, so a row cannot
 *   hold text that skipped the sanitiser. Views that need an exact row count (the chat, the
 *   consoles) use spans: the rows they count are the rows drawn.
 */
import chalk, { type ChalkInstance } from "chalk";
import { Text } from "ink";
import { memo } from "react";

import { sanitizeSegments, type Segment } from "../../core/text/sanitize.js";
import { parseStyling, type StyledSpan } from "../../core/text/styling.js";
import { displayWidth, truncateSegments, wrapSegments } from "../../core/text/width.js";

export interface RemoteTextProps {
  text: string;
  /** Keep newlines (message bodies). */
  multiline?: boolean;
  /** Identifiers (JIDs, nicks, resources): no joiners, no newlines. */
  strict?: boolean;
  color?: string;
  bold?: boolean;
  dimColor?: boolean;
  wrap?: "wrap" | "truncate" | "truncate-end" | "truncate-middle" | "truncate-start";
}

export const RemoteText = memo(function RemoteText({ text, multiline, strict, color, bold, dimColor, wrap }: RemoteTextProps) {
  const segments = sanitizeSegments(text, { multiline, strict });
  return (
    <Text color={color} bold={bold} dimColor={dimColor} wrap={wrap}>
      {segments.map((s, i) =>
        s.inert ? (
          <Text key={i} dimColor inverse>
            {s.text}
          </Text>
        ) : (
          s.text
        ),
      )}
    </Text>
  );
});

// ---------------------------------------------------------------------------------------------
// Spans and rows

/** How a span looks, on top of its XEP-0393 style. */
export interface SpanStyle {
  color?: string;
  bold?: true;
  italic?: true;
  dim?: true;
  inverse?: true;
}

export interface Span extends StyledSpan, Omit<SpanStyle, "bold" | "italic"> {}

declare const SANITISED: unique symbol;
/** A span whose text went through the sanitiser (only this module makes them). */
export type SafeSpan = Span & { readonly [SANITISED]: true };

function styled(segments: readonly Segment[], style: SpanStyle | undefined): SafeSpan[] {
  const out: SafeSpan[] = [];
  for (const s of segments) if (s.text !== "") out.push({ ...style, ...s } as SafeSpan);
  return out;
}

/** Spans cut to `width` columns with an ellipsis (as Ink's truncate-end), placeholders never cut in half. */
export function truncateSpans(spans: readonly SafeSpan[], width: number): SafeSpan[] {
  return truncateSegments(spans, width) as SafeSpan[];
}

/** Remote text as spans (placeholders inert); `strict` for identifiers, `multiline` keeps "\n". */
export function remoteSpans(text: string, opts: { strict?: boolean; multiline?: boolean } = {}, style?: SpanStyle): SafeSpan[] {
  return styled(sanitizeSegments(text, { strict: opts.strict, multiline: opts.multiline }), style);
}

/** Our own text (sanitised too: configured formats, typed input). "\n" is kept. */
export function localSpans(text: string, style?: SpanStyle): SafeSpan[] {
  return styled(sanitizeSegments(text, { multiline: true }), style);
}

/** A message body: sanitised, then XEP-0393 styling (directives kept, shown dimmed). */
export function styledSpans(body: string, style?: SpanStyle): SafeSpan[] {
  return styled(parseStyling(sanitizeSegments(body, { multiline: true })), style);
}

export function spansWidth(spans: readonly Span[]): number {
  let w = 0;
  for (const s of spans) w += displayWidth(s.text);
  return w;
}

/** Blank columns (for indentation). */
export function blank(width: number): SafeSpan[] {
  return width > 0 ? [{ text: " ".repeat(width) } as SafeSpan] : [];
}

/** Splits spans into source lines at "\n" (the line breaks are dropped). */
function sourceLines(spans: readonly SafeSpan[]): SafeSpan[][] {
  const lines: SafeSpan[][] = [[]];
  for (const s of spans) {
    if (!s.text.includes("\n")) {
      lines[lines.length - 1]!.push(s);
      continue;
    }
    s.text.split("\n").forEach((part, i) => {
      if (i > 0) lines.push([]);
      if (part !== "") lines[lines.length - 1]!.push({ ...s, text: part });
    });
  }
  return lines;
}

/** The quotation marker spans at the start of a line ("> ", ">> "): directives with a depth and no other style. */
function quotePrefix(line: readonly SafeSpan[]): number {
  let n = 0;
  while (n < line.length) {
    const s = line[n]!;
    if (!(s.directive && s.quote && !s.bold && !s.italic && !s.strike && !s.code && !s.pre && !s.inert)) break;
    n++;
  }
  return n;
}

/**
 * Lays spans out in rows of at most `width` columns (one cluster wider than the row is the only
 * exception). A "\n" starts a new row; long lines break at spaces, or between grapheme clusters
 * inside a word longer than the row. A quoted line ("> ...") shows a bar for each level, and
 * keeps its bars on every row it wraps to.
 */
export function wrapSpans(spans: readonly SafeSpan[], width: number): SafeSpan[][] {
  const cols = Math.max(1, Math.floor(width));
  const rows: SafeSpan[][] = [];
  for (const line of sourceLines(spans)) {
    const n = quotePrefix(line);
    if (n === 0) {
      const wrapped = wrapSegments(line, cols);
      if (wrapped.length === 0) rows.push([]);
      else rows.push(...wrapped);
      continue;
    }
    const prefix = line.slice(0, n).map((s) => ({ ...s, text: s.text.replace(/>/g, "│"), color: "blue", directive: undefined }) as SafeSpan);
    const pw = spansWidth(prefix);
    const rest = line.slice(n);
    if (pw + 4 > cols) {
      const wrapped = wrapSegments([...prefix, ...rest], cols);
      rows.push(...(wrapped.length ? wrapped : [[]]));
      continue;
    }
    const wrapped = wrapSegments(rest, cols - pw);
    if (wrapped.length === 0) rows.push(prefix);
    else for (const r of wrapped) rows.push([...prefix, ...r]);
  }
  return rows;
}

/**
 * An entry with a header (time, sender) and a body, hanging-indented under the header when the
 * header is narrow enough, else wrapped as one text. Every row fits `width`.
 */
export function layoutEntry(header: readonly SafeSpan[], body: readonly SafeSpan[], width: number): SafeSpan[][] {
  const cols = Math.max(1, Math.floor(width));
  const indent = spansWidth(header);
  if (indent * 2 > cols || cols - indent < 10) return wrapSpans([...header, ...body], cols);
  const rows = wrapSpans(body, cols - indent);
  if (rows.length === 0) return [[...header]];
  const pad = blank(indent);
  return rows.map((r, i) => (i === 0 ? [...header, ...r] : [...pad, ...r]));
}

/** How a span is drawn: Ink's <Text> props (SpanRow) and the terminal strings of spanRowAnsi. */
function spanProps(s: Span): { color?: string; bold?: boolean; italic?: boolean; strikethrough?: boolean; dimColor?: boolean; inverse?: boolean } {
  if (s.inert) return { dimColor: true, inverse: true };
  if (s.directive) return { dimColor: true, color: s.pre ? "cyan" : undefined };
  return {
    color: s.code || s.pre ? "cyan" : s.color,
    bold: s.bold,
    italic: s.italic,
    strikethrough: s.strike,
    dimColor: s.dim,
    inverse: s.inverse,
  };
}

const ansiRows = new WeakMap<readonly SafeSpan[], string>();

function paint(text: string, p: ReturnType<typeof spanProps>): string {
  let c: ChalkInstance = chalk;
  if (p.color) c = p.color.startsWith("#") ? c.hex(p.color) : ((c as unknown as Record<string, ChalkInstance>)[p.color] ?? c);
  if (p.bold) c = c.bold;
  if (p.italic) c = c.italic;
  if (p.strikethrough) c = c.strikethrough;
  if (p.dimColor) c = c.dim;
  if (p.inverse) c = c.inverse;
  return c === chalk ? text : c(text);
}

/**
 * One row of spans as a terminal string (SGR only; the text went through the sanitiser), for
 * views drawn without Ink (ui/screen). Cached per row: laid-out rows are shared between frames.
 */
export function spanRowAnsi(spans: readonly SafeSpan[]): string {
  let out = ansiRows.get(spans);
  if (out === undefined) {
    out = "";
    for (const s of spans) out += paint(s.text, spanProps(s));
    ansiRows.set(spans, out);
  }
  return out;
}

/** One row of spans: exactly one terminal row (never wrapped by Ink; cut if a measure disagrees). */
export const SpanRow = memo(function SpanRow({ spans }: { spans: readonly SafeSpan[] }) {
  return (
    <Text wrap="truncate-end">
      {spans.length === 0
        ? " "
        : spans.map((s, i) => (
            <Text key={i} {...spanProps(s)}>
              {s.text}
            </Text>
          ))}
    </Text>
  );
});
