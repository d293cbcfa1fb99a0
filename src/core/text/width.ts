/**
 * Display width, wrapping and truncation for the terminal, on sanitised text.
 *
 * Widths come from string-width (the same measure Ink uses for layout): East Asian Wide and
 * Fullwidth characters and emoji take 2 columns, combining marks and other zero-width
 * characters 0. Grapheme clusters (Intl.Segmenter) are never split: a family emoji, a flag, a
 * letter with its accents or an Indic conjunct always lands whole on one line.
 */

import stringWidth from "string-width";

import type { Segment } from "./sanitize.js";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/**
 * Runs of spaces a line may break at (no-break spaces such as U+00A0, U+2007, U+202F
 * excluded). A space followed by something that extends it into a cluster (a combining mark,
 * a spacing mark, an emoji modifier, ZWJ) is not a break opportunity.
 */
const SPACE_RUN = /((?:[ \u1680\u2000-\u2006\u2008-\u200a\u205f\u3000](?![\p{Grapheme_Extend}\p{Mc}\p{Emoji_Modifier}\u200d]))+)/u;
const ASCII_SPACE_RUN = /( +)/;

/*
 * Speed. Intl.Segmenter costs about 1 us per cluster on Node 20 and string-width adds its own
 * segmenter pass and an RGI_Emoji regex, which made wrapping a 1 KiB mixed-script message take
 * over a millisecond. Text made only of scripts whose clusters are simply "a code point and the
 * marks after it" (Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew, Arabic, Han, kana,
 * Bopomofo, precomposed Hangul, common punctuation and symbols, combining marks; no controls,
 * no format characters but ZWJ/ZWNJ) takes a fast path: clusters found by a code point walk,
 * widths summed per code point from a cache. That gives exactly string-width's answer there (a
 * test checks every BMP code point). Emoji, regional indicators, variation selectors, keycaps,
 * Hangul jamo, prepended marks and the Brahmic scripts (conjuncts, GB9c) go through
 * Intl.Segmenter and string-width, with cluster widths cached.
 */
const SIMPLE_SCRIPT_CODES = ["Latn", "Grek", "Cyrl", "Armn", "Geor", "Hebr", "Arab", "Hani", "Hira", "Kana", "Bopo"];
const SIMPLE_SCRIPTS = new RegExp(
  `^[${SIMPLE_SCRIPT_CODES.map((sc) => `\\p{scx=${sc}}`).join("")}\\p{sc=Zyyy}\\p{sc=Zinh}\\uac00-\\ud7a3]*$`,
  "u",
);
const NOT_SIMPLE = new RegExp(
  String.raw`[\p{Cc}\u2028\u2029\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}\ufe0e\ufe0f\u20e3\u{e0000}-\u{e007f}]` +
    String.raw`|(?![\u200c\u200d])\p{Cf}`,
  "u",
);
/** Code points that belong to the cluster of the code point before them. */
const EXTENDS_CLUSTER = /[\p{Grapheme_Extend}\p{Mc}\u200c\u200d]/u;

/** Whether s takes the fast path (exported so a test can hold it to Intl.Segmenter). */
export function simpleClusters(s: string): boolean {
  return SIMPLE_SCRIPTS.test(s) && !NOT_SIMPLE.test(s);
}

const CACHE_MAX = 8192;
const codePointWidths = new Map<number, number>();
const clusterWidths = new Map<string, number>();

function codePointWidth(cp: number): number {
  if (cp >= 0x20 && cp <= 0x7e) return 1;
  let w = codePointWidths.get(cp);
  if (w === undefined) {
    w = stringWidth(String.fromCodePoint(cp));
    if (codePointWidths.size >= CACHE_MAX) codePointWidths.clear();
    codePointWidths.set(cp, w);
  }
  return w;
}

function clusterWidth(g: string): number {
  const c = g.charCodeAt(0);
  if (g.length === 1 && c >= 0x20 && c <= 0x7e) return 1;
  if (g.length > 32) return stringWidth(g); // a pathological cluster (Zalgo): not worth keeping
  let w = clusterWidths.get(g);
  if (w === undefined) {
    w = stringWidth(g);
    if (clusterWidths.size >= CACHE_MAX) clusterWidths.clear();
    clusterWidths.set(g, w);
  }
  return w;
}

/*
 * Intl.Segmenter on Node 20 copies the whole input into every segment it yields, so segmenting
 * a long string is quadratic (50k characters: ~0.6 s; a 256 KiB body: seconds or out of
 * memory), and string-width segments its whole input too. Long text is therefore segmented in
 * windows: every cluster of a window but the last is final (break rules look only at the
 * cluster itself and the next character, and regional-indicator pairs never straddle a cluster
 * boundary), and the next window starts where the last cluster did. A cluster longer than the
 * window widens it.
 */
const WINDOW = 128;

function forEachCluster(s: string, each: (g: string) => void): void {
  let start = 0;
  let size = WINDOW;
  while (start < s.length) {
    if (s.length - start <= size) {
      for (const { segment } of segmenter.segment(s.slice(start))) each(segment);
      return;
    }
    let pending: string | undefined;
    let lastIndex = 0;
    for (const { segment, index } of segmenter.segment(s.slice(start, start + size))) {
      if (pending !== undefined) each(pending);
      pending = segment;
      lastIndex = index;
    }
    if (lastIndex === 0) {
      size *= 2; // one cluster fills the window
      continue;
    }
    start += lastIndex;
    size = WINDOW;
  }
}

/**
 * Columns the string occupies in a terminal: string-width's measure, without its cost on long
 * text. Meant for sanitised text; a string holding escape sequences (our own styled UI text) is
 * measured by string-width itself, which skips them.
 */
export function displayWidth(s: string): number {
  if (PRINTABLE_ASCII.test(s)) return s.length;
  if (s.includes("\u001b") || s.includes("\u009b")) return stringWidth(s);
  let w = 0;
  if (simpleClusters(s)) {
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      w += codePointWidth(cp);
      i += cp > 0xffff ? 2 : 1;
    }
    return w;
  }
  forEachCluster(s, (g) => {
    w += clusterWidth(g);
  });
  return w;
}

/** Grapheme clusters of s (extended grapheme clusters, as Intl.Segmenter finds them). */
export function graphemes(s: string): string[] {
  if (PRINTABLE_ASCII.test(s)) return s.split("");
  const out: string[] = [];
  if (simpleClusters(s)) {
    for (const ch of s) {
      if (out.length > 0 && EXTENDS_CLUSTER.test(ch)) out[out.length - 1] += ch;
      else out.push(ch);
    }
    return out;
  }
  forEachCluster(s, (g) => {
    out.push(g);
  });
  return out;
}

const graphemeWidth = clusterWidth;
const pieceWidth = displayWidth;

/** The longest prefix of s, in whole grapheme clusters, that fits in `width` columns. */
function fitPrefix(s: string, width: number): string {
  let w = 0;
  let out = "";
  for (const g of graphemes(s)) {
    const gw = graphemeWidth(g);
    if (w + gw > width) break;
    w += gw;
    out += g;
  }
  return out;
}

/**
 * Shortens s to at most `width` columns, ending with `ellipsis` when something was cut.
 * Never splits a grapheme cluster; when even the ellipsis does not fit it is left out.
 */
export function truncate(s: string, width: number, ellipsis = "…"): string {
  if (width <= 0) return "";
  if (displayWidth(s) <= width) return s;
  const ew = displayWidth(ellipsis);
  if (ew > width) return fitPrefix(s, width);
  return fitPrefix(s, width - ew) + ellipsis;
}

/**
 * `truncate` for segments (e.g. a sanitised nick with inert placeholders): keeps each piece's
 * properties, never cuts an inert placeholder in half, and appends the ellipsis as a plain
 * segment when something was cut.
 */
export function truncateSegments<T extends Segment>(segments: readonly T[], width: number, ellipsis = "…"): Array<T | Segment> {
  if (width <= 0) return [];
  let total = 0;
  for (const seg of segments) total += displayWidth(seg.text);
  if (total <= width) return segments.slice();
  const ew = displayWidth(ellipsis);
  let room = ew > width ? width : width - ew;
  const out: Array<T | Segment> = [];
  for (const seg of segments) {
    const sw = displayWidth(seg.text);
    if (sw <= room) {
      if (seg.text !== "") out.push(seg);
      room -= sw;
      continue;
    }
    // A placeholder is never cut in half: "‹ZW…" would read as something else.
    const part = seg.inert === true ? "" : fitPrefix(seg.text, room);
    if (part !== "") out.push({ ...seg, text: part });
    break;
  }
  if (ew <= width) out.push({ text: ellipsis });
  return out;
}

// --- wrapping ------------------------------------------------------------------------------

/** A run of spaces or of non-spaces from one input segment. */
interface Token {
  text: string;
  w: number;
  seg: number;
  space: boolean;
}

/** A piece of an output line. */
interface Piece {
  text: string;
  seg: number;
}

/** Splits the segments into paragraphs (at "\n") of space and non-space tokens. */
function tokenize(segments: readonly Segment[]): Token[][] {
  const paras: Token[][] = [];
  let cur: Token[] = [];
  let any = false;
  segments.forEach((seg, si) => {
    if (seg.text === "") return;
    any = true;
    seg.text.split("\n").forEach((part, pi) => {
      if (pi > 0) {
        paras.push(cur);
        cur = [];
      }
      if (part === "") return;
      const pieces = part.split(PRINTABLE_ASCII.test(part) ? ASCII_SPACE_RUN : SPACE_RUN);
      pieces.forEach((text, k) => {
        if (text !== "") cur.push({ text, w: pieceWidth(text), seg: si, space: k % 2 === 1 });
      });
    });
  });
  if (any) paras.push(cur);
  return paras;
}

class LineBuilder {
  readonly lines: Piece[][] = [];
  cur: Piece[] = [];
  w = 0;

  constructor(readonly width: number) {}

  breakLine(): void {
    this.lines.push(this.cur);
    this.cur = [];
    this.w = 0;
  }

  put(text: string, seg: number, w: number): void {
    this.cur.push({ text, seg });
    this.w += w;
  }

  putTokens(tokens: readonly Token[], from: number, to: number): void {
    for (let k = from; k < to; k++) this.put(tokens[k]!.text, tokens[k]!.seg, tokens[k]!.w);
  }

  /** Places clusters one by one, breaking lines as needed (`clip`: drop what does not fit). */
  putClusters(tokens: readonly Token[], from: number, to: number, clip: boolean): void {
    for (let k = from; k < to; k++) {
      const t = tokens[k]!;
      for (const g of graphemes(t.text)) {
        const gw = graphemeWidth(g);
        // A zero-width cluster never starts a line; a cluster wider than the line overflows.
        if (gw > 0 && this.w + gw > this.width) {
          if (clip) return;
          if (this.cur.length > 0) this.breakLine();
        }
        this.put(g, t.seg, gw);
      }
    }
  }
}

function wrapParagraph(tokens: readonly Token[], width: number): Piece[][] {
  const out = new LineBuilder(width);
  const n = tokens.length;
  let i = 0;
  // The space run [sFrom, sTo) waiting for the next word.
  let sFrom = 0;
  let sTo = 0;
  while (i < n) {
    if (tokens[i]!.space && i > 0) {
      sFrom = i;
      while (i < n && tokens[i]!.space) i++;
      sTo = i;
      continue;
    }
    // A word: tokens [i, j); at the paragraph start it includes the leading indentation.
    let j = i;
    if (i === 0) while (j < n && tokens[j]!.space) j++;
    while (j < n && !tokens[j]!.space) j++;
    let ww = 0;
    for (let k = i; k < j; k++) ww += tokens[k]!.w;
    if (out.cur.length === 0) sTo = sFrom; // no spaces at the start of a wrapped line
    let sw = 0;
    for (let k = sFrom; k < sTo; k++) sw += tokens[k]!.w;

    if (out.w + sw + ww <= width) {
      out.putTokens(tokens, sFrom, sTo);
      out.putTokens(tokens, i, j);
    } else if (ww <= width) {
      if (out.cur.length > 0) out.breakLine();
      out.putTokens(tokens, i, j);
    } else {
      // Longer than a line: hard break between clusters. It starts on a fresh line when that
      // costs no extra line (as wrap-ansi does), otherwise it fills the rest of this one.
      const room = width - out.w - sw;
      if (out.cur.length > 0 && (room <= 0 || Math.ceil(ww / width) <= Math.ceil((ww - room) / width))) out.breakLine();
      else out.putTokens(tokens, sFrom, sTo);
      out.putClusters(tokens, i, j, false);
    }
    sFrom = sTo = j;
    i = j;
  }
  // Trailing spaces at the paragraph end: kept as far as they fit.
  out.putClusters(tokens, sFrom, sTo, true);
  out.lines.push(out.cur);
  return out.lines;
}

/** Output segments of one line: consecutive pieces of the same input segment are merged. */
function lineSegments<T extends Segment>(segments: readonly T[], pieces: readonly Piece[]): T[] {
  const out: T[] = [];
  let text = "";
  let si = -1;
  for (const p of pieces) {
    if (p.seg !== si) {
      if (text !== "") out.push({ ...segments[si]!, text });
      text = "";
      si = p.seg;
    }
    text += p.text;
  }
  if (text !== "") out.push({ ...segments[si]!, text });
  return out;
}

/**
 * Wraps sanitised segments into lines of at most `width` columns. "\n" ends a line (and is
 * not part of the output); lines break at spaces when possible (the spaces at the break are
 * dropped, leading indentation of a paragraph is kept), and a word longer than the line is
 * broken between grapheme clusters. Each output segment keeps the properties of the segment
 * it came from (`inert`, styling attributes). A line is wider than `width` only when a single
 * cluster is (a wide character at width 1). No input text gives no lines; "a\n" gives two
 * lines, the second empty.
 *
 * Cost (Node 20, 80 columns): a 70-byte message ~2.5 us (ASCII) / ~8 us (mixed, with emoji);
 * 1 KiB ~40 us / ~150 us. Linear in the input. The UI should still memoise per (message
 * revision, width).
 */
export function wrapSegments<T extends Segment>(segments: readonly T[], width: number): T[][] {
  const cols = Math.max(1, Math.floor(Number.isFinite(width) ? width : 1));
  const out: T[][] = [];
  for (const para of tokenize(segments)) {
    for (const pieces of wrapParagraph(para, cols)) out.push(lineSegments(segments, pieces));
  }
  return out;
}
