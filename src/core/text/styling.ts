/**
 * XEP-0393 Message Styling: parses a sanitised message body into styled spans the UI maps to
 * terminal attributes. Pure; no terminal knowledge.
 *
 * Blocks (parsed first, line by line):
 * - A line starting with "```" opens a preformatted block that runs to a line that is exactly
 *   "```" or to the end of the parent block (the message, or the enclosing quotation). No
 *   styling inside. The fence lines are directives.
 * - Lines starting with ">" form a quotation, ended by the first line that does not. The ">"
 *   and the first whitespace character after it are stripped (kept as a directive span) and
 *   the rest is parsed again as child blocks one level deeper (nested quotes, pre blocks).
 * - Any other line is a plain block holding spans.
 * Spans (within one line, never across lines): *strong*, _emphasis_, ~strike~, `pre`. An
 * opening directive must be at the start of the line, after whitespace, or right after a
 * different styling directive (an opening one: "*_both_*", or a closing one: "_a_~b~"), and
 * must not be followed by whitespace; the closing directive
 * must not follow whitespace; the text between must be non-empty (and, so that "****" stays
 * plain as the XEP's examples require, not made only of the directive character). Matching is
 * lazy (the first valid closing directive wins); characters that cannot be directives are
 * plain text. Spans nest, except inside `pre`, whose content is never styled.
 *
 * Directive characters are kept (the XEP allows either) and carry the style of the span they
 * delimit plus `directive: true`, so the UI can dim them. Each "\n" is its own unstyled span.
 * Given segments from `sanitizeSegments`, inert placeholders are opaque (never directives,
 * never whitespace) and keep `inert: true` on the spans that cover them.
 *
 * Hostile input is bounded: quotation depth and span nesting are capped (deeper markers are
 * plain text), and a failed search for a closing directive is remembered, so a line full of
 * unmatched openers costs linear time instead of quadratic. ~200 MB/s on ordinary text.
 */

import type { Segment } from "./sanitize.js";

export interface StyledSpan {
  text: string;
  bold?: true;
  italic?: true;
  strike?: true;
  /** Inline preformatted span (`code`). */
  code?: true;
  /** Preformatted block line (between ``` fences, fences included). */
  pre?: true;
  /** Block quotation depth (1 for "> ", 2 for ">> "), absent outside quotations. */
  quote?: number;
  /** A styling directive character (or quote marker / fence line), to be shown dimmed. */
  directive?: true;
  /** Covers a sanitiser placeholder. */
  inert?: true;
}

const BOLD = 1;
const ITALIC = 2;
const STRIKE = 4;
const CODE = 8;
const PRE = 16;
const DIRECTIVE = 32;
const NEWLINE = 64;

/** Deeper quotation markers and span nesting are left as plain text. */
export const MAX_QUOTE_DEPTH = 32;
export const MAX_SPAN_DEPTH = 16;

interface Raw {
  start: number;
  end: number;
  style: number;
  quote: number;
}

/** A source line as seen by the block being parsed: content starts after the quote prefixes. */
interface Line {
  idx: number;
  start: number;
  end: number;
  prefix: Raw[];
}

const WS_OTHER = /[\p{White_Space}\p{Z}]/u;

function directiveFlag(c: number): number {
  switch (c) {
    case 0x2a: // *
      return BOLD;
    case 0x5f: // _
      return ITALIC;
    case 0x7e: // ~
      return STRIKE;
    case 0x60: // `
      return CODE;
    default:
      return 0;
  }
}

class Parser {
  readonly raws: Raw[] = [];
  private readonly lastLine: number;
  /** Per (directive, span end): the smallest opener index whose search for a closer failed. */
  private readonly failed = new Map<number, number>();

  constructor(
    private readonly s: string,
    private readonly inert: Uint8Array | null,
    lineCount: number,
  ) {
    this.lastLine = lineCount - 1;
  }

  private isInert(i: number): boolean {
    return this.inert !== null && this.inert[i] === 1;
  }

  private isWs(i: number): boolean {
    if (this.isInert(i)) return false;
    const c = this.s.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
    if (c < 0x80) return false;
    return WS_OTHER.test(this.s[i]!);
  }

  private at(i: number, c: number): boolean {
    return this.s.charCodeAt(i) === c && !this.isInert(i);
  }

  private emitLine(line: Line, spans: Raw[]): void {
    for (const r of line.prefix) this.raws.push(r);
    for (const r of spans) this.raws.push(r);
    if (line.idx < this.lastLine) this.raws.push({ start: line.end, end: line.end + 1, style: NEWLINE, quote: 0 });
  }

  blocks(lines: Line[], depth: number): void {
    let k = 0;
    while (k < lines.length) {
      const line = lines[k]!;
      const { start, end } = line;
      if (end - start >= 3 && this.at(start, 0x60) && this.at(start + 1, 0x60) && this.at(start + 2, 0x60)) {
        this.emitLine(line, [{ start, end, style: PRE | DIRECTIVE, quote: depth }]);
        k++;
        while (k < lines.length) {
          const l = lines[k]!;
          k++;
          if (l.end - l.start === 3 && this.at(l.start, 0x60) && this.at(l.start + 1, 0x60) && this.at(l.start + 2, 0x60)) {
            this.emitLine(l, [{ start: l.start, end: l.end, style: PRE | DIRECTIVE, quote: depth }]);
            break;
          }
          this.emitLine(l, l.end > l.start ? [{ start: l.start, end: l.end, style: PRE, quote: depth }] : []);
        }
        continue;
      }
      if (depth < MAX_QUOTE_DEPTH && start < end && this.at(start, 0x3e)) {
        const group: Line[] = [];
        while (k < lines.length) {
          const l = lines[k]!;
          if (!(l.start < l.end && this.at(l.start, 0x3e))) break;
          let cs = l.start + 1;
          if (cs < l.end && this.isWs(cs)) cs++;
          group.push({
            idx: l.idx,
            start: cs,
            end: l.end,
            prefix: [...l.prefix, { start: l.start, end: cs, style: DIRECTIVE, quote: depth + 1 }],
          });
          k++;
        }
        this.blocks(group, depth + 1);
        continue;
      }
      const spans: Raw[] = [];
      this.spans(start, end, 0, -1, start, depth, 0, spans);
      this.emitLine(line, spans);
      k++;
    }
  }

  /** The first valid closing directive c for an opener at i within [i+2, b), or -1. */
  private findClose(c: number, i: number, b: number): number {
    const key = b * 4 + (c === 0x2a ? 0 : c === 0x5f ? 1 : c === 0x7e ? 2 : 3);
    const failedFrom = this.failed.get(key);
    if (failedFrom !== undefined && i >= failedFrom) return -1;
    let onlyDirective = this.s.charCodeAt(i + 1) === c && !this.isInert(i + 1);
    for (let j = i + 2; j < b; j++) {
      if (this.at(j, c) && !this.isWs(j - 1) && !onlyDirective) return j;
      if (this.s.charCodeAt(j) !== c || this.isInert(j)) onlyDirective = false;
    }
    // Every later opener for c in this range fails too: its candidates are a subset of ours.
    this.failed.set(key, failedFrom === undefined ? i : Math.min(i, failedFrom));
    return -1;
  }

  /** Spans in [a, b) under `style`; `opener` is the directive just before a (or -1). */
  private spans(a: number, b: number, style: number, opener: number, lineStart: number, quote: number, nesting: number, out: Raw[]): void {
    let plain = a;
    let i = a;
    // The directive right before i, if any: the opener of this range, or a closer just matched.
    let before = a > lineStart ? opener : -1;
    while (i < b) {
      const c = this.s.charCodeAt(i);
      const flag = directiveFlag(c);
      if (
        flag !== 0 &&
        nesting < MAX_SPAN_DEPTH &&
        !this.isInert(i) &&
        (i === lineStart || this.isWs(i - 1) || (before !== -1 && before !== c)) &&
        i + 1 < b &&
        !this.isWs(i + 1)
      ) {
        const close = this.findClose(c, i, b);
        if (close !== -1) {
          if (plain < i) out.push({ start: plain, end: i, style, quote });
          const inner = style | flag;
          out.push({ start: i, end: i + 1, style: inner | DIRECTIVE, quote });
          if (flag === CODE) out.push({ start: i + 1, end: close, style: inner, quote });
          else this.spans(i + 1, close, inner, c, lineStart, quote, nesting + 1, out);
          out.push({ start: close, end: close + 1, style: inner | DIRECTIVE, quote });
          i = close + 1;
          plain = i;
          before = c;
          continue;
        }
      }
      before = -1;
      i++;
    }
    if (plain < b) out.push({ start: plain, end: b, style, quote });
  }
}

function toSpan(text: string, style: number, quote: number, inert: boolean): StyledSpan {
  const span: StyledSpan = { text };
  if (style & BOLD) span.bold = true;
  if (style & ITALIC) span.italic = true;
  if (style & STRIKE) span.strike = true;
  if (style & CODE) span.code = true;
  if (style & PRE) span.pre = true;
  if (quote > 0) span.quote = quote;
  if (style & DIRECTIVE) span.directive = true;
  if (inert) span.inert = true;
  return span;
}

/**
 * Parses a message body (a sanitised string, or the segments `sanitizeSegments(body,
 * { multiline: true })` returned) into XEP-0393 styled spans whose texts concatenate to the
 * input text.
 */
export function parseStyling(input: string | readonly Segment[]): StyledSpan[] {
  let text: string;
  let inert: Uint8Array | null = null;
  if (typeof input === "string") {
    text = input;
  } else {
    text = input.map((seg) => seg.text).join("");
    if (input.some((seg) => seg.inert === true)) {
      inert = new Uint8Array(text.length);
      let pos = 0;
      for (const seg of input) {
        if (seg.inert === true) inert.fill(1, pos, pos + seg.text.length);
        pos += seg.text.length;
      }
    }
  }
  if (text === "") return [];

  const lines: Line[] = [];
  let start = 0;
  for (let idx = 0; ; idx++) {
    const nl = text.indexOf("\n", start);
    const end = nl === -1 ? text.length : nl;
    lines.push({ idx, start, end, prefix: [] });
    if (nl === -1) break;
    start = nl + 1;
  }

  const parser = new Parser(text, inert, lines.length);
  parser.blocks(lines, 0);

  const out: StyledSpan[] = [];
  let prevKey = "";
  const emit = (from: number, to: number, style: number, quote: number, isInert: boolean): void => {
    const key = `${style}/${quote}/${isInert ? 1 : 0}`;
    const last = out[out.length - 1];
    if (last !== undefined && key === prevKey && !(style & NEWLINE)) last.text += text.slice(from, to);
    else out.push(toSpan(text.slice(from, to), style & ~NEWLINE, quote, isInert));
    prevKey = key;
  };
  for (const r of parser.raws) {
    if (r.end <= r.start) continue;
    if (inert === null) {
      emit(r.start, r.end, r.style, r.quote, false);
      continue;
    }
    let from = r.start;
    while (from < r.end) {
      const flag = inert[from] === 1;
      let to = from + 1;
      while (to < r.end && (inert[to] === 1) === flag) to++;
      emit(from, to, r.style, r.quote, flag);
      from = to;
    }
  }
  return out;
}
