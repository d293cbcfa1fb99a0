/**
 * The command-line buffer as a pure reducer: text, cursor, kill ring, history with the draft,
 * and a tab-completion cycle. No React, no terminal: the hook (use-line-input.ts) and the tests
 * drive it directly.
 *
 * Decisions:
 * - The cursor is a UTF-16 offset that always sits on a grapheme-cluster boundary
 *   (Intl.Segmenter), so moves, deletes and transposes never split an emoji, a flag or a letter
 *   with combining marks.
 * - The buffer may hold "\n": Alt-Enter / Ctrl-J (action `newline`) and pastes add line breaks,
 *   Enter (`submit`) sends the whole buffer. There is no separate single-line mode.
 * - `insert` normalises "\r\n" and "\r" to "\n", strips terminal escape sequences and drops other
 *   control characters (C0 except tab and newline, DEL, C1): they must never reach the screen
 *   nor a stanza (XML 1.0 forbids C0 controls).
 * - `submit` drops trailing newlines (a paste of "text\r" followed by Enter sends "text"), pushes
 *   the line to the history unless it is blank or equal to the newest entry, and resets the buffer.
 * - Line-wise edits (C-a, C-e, C-k, C-u) work on the logical line around the cursor; at its edge
 *   C-k / C-u kill the line break. Up/Down move between lines of a multi-line buffer and go
 *   through the history from the first/last line.
 * - Words for moves, M-d and M-Backspace: runs of letters, digits, marks and emoji; whitespace,
 *   punctuation and symbols separate words. C-w kills back to the previous whitespace (readline's
 *   unix-word-rubout). Consecutive kills append to one kill-ring entry, as in Emacs.
 * - Completion: `complete` with a result replaces `text[from, to)`. One candidate: inserted,
 *   done. Several: the first Tab inserts their longest common prefix when it is longer than
 *   what was typed, the following Tabs cycle through the candidates (wrapping); when the prefix
 *   brings nothing the first Tab already inserts the first candidate. Any other action ends the
 *   cycle (the inserted candidate stays).
 */
import { stripVTControlCharacters } from "node:util";

import stringWidth from "string-width";

export interface CompletionResult {
  /** Replace `text.slice(from, to)` with a candidate. */
  from: number;
  to: number;
  candidates: readonly string[];
}

export interface CompletionCycle {
  from: number;
  /** End of the text inserted by the completion so far. */
  to: number;
  candidates: readonly string[];
  /** The candidate shown; -1 while the common prefix is shown. */
  index: number;
}

export interface LineState {
  text: string;
  /** UTF-16 offset, always on a grapheme boundary. */
  cursor: number;
  /** Killed texts, newest last. */
  killRing: string[];
  /** Submitted lines, oldest first. */
  history: string[];
  /** `history.length` while editing the draft, else the history entry shown. */
  historyIndex: number;
  /** What was being typed before browsing the history. */
  draft: string;
  completion?: CompletionCycle;
  /** The previous action was a kill: the next kill appends to the same kill-ring entry. */
  lastKill?: boolean;
}

/** Editing commands without arguments (the keymap binds keys to them). */
export type LineEdit =
  | "move-start"
  | "move-end"
  | "move-left"
  | "move-right"
  | "move-word-left"
  | "move-word-right"
  | "delete-back"
  | "delete-forward"
  | "kill-word-back"
  | "kill-space-word-back"
  | "kill-word-forward"
  | "kill-to-end"
  | "kill-to-start"
  | "yank"
  | "transpose"
  | "history-prev"
  | "history-next"
  | "complete"
  | "complete-prev"
  | "submit"
  | "newline";

export type LineAction =
  | { type: Exclude<LineEdit, "complete" | "complete-prev"> }
  /** Without a result only an active cycle advances; with one a new completion starts. */
  | { type: "complete" | "complete-prev"; result?: CompletionResult }
  | { type: "insert"; text: string }
  | { type: "set-text"; text: string; cursor?: number }
  | { type: "set-history"; history: readonly string[] }
  | { type: "clear" };

export const HISTORY_LIMIT = 1000;
export const KILL_RING_LIMIT = 30;

export function initialLineState(history: readonly string[] = []): LineState {
  const h = history.slice(-HISTORY_LIMIT);
  return { text: "", cursor: 0, killRing: [], history: h, historyIndex: h.length, draft: "" };
}

// ---------------------------------------------------------------------------------------------
// Graphemes and words

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

interface Seg {
  start: number;
  end: number;
  text: string;
}

/** The grapheme clusters of `text` with their offsets. */
export function graphemes(text: string): Seg[] {
  const out: Seg[] = [];
  for (const s of segmenter.segment(text)) out.push({ start: s.index, end: s.index + s.segment.length, text: s.segment });
  return out;
}

/** Start and end (exclusive, the "\n" or the text end) of the logical line around `pos`. */
export function lineBounds(text: string, pos: number): [number, number] {
  const start = pos <= 0 ? 0 : text.lastIndexOf("\n", pos - 1) + 1;
  const nl = text.indexOf("\n", pos);
  return [start, nl < 0 ? text.length : nl];
}

/** Grapheme boundaries of one logical line (clusters never span a "\n"). */
function lineBoundaries(text: string, pos: number): number[] {
  const [ls, le] = lineBounds(text, pos);
  const out = [ls];
  for (const s of segmenter.segment(text.slice(ls, le))) if (s.index > 0) out.push(ls + s.index);
  out.push(le);
  return out;
}

export function prevBoundary(text: string, pos: number): number {
  if (pos <= 0) return 0;
  pos = Math.min(pos, text.length);
  const [ls] = lineBounds(text, pos);
  if (pos === ls) return pos - 1; // the "\n" before the line
  let best = ls;
  for (const b of lineBoundaries(text, pos)) if (b < pos) best = b;
  return best;
}

export function nextBoundary(text: string, pos: number): number {
  if (pos >= text.length) return text.length;
  pos = Math.max(0, pos);
  if (text[pos] === "\n") return pos + 1;
  for (const b of lineBoundaries(text, pos)) if (b > pos) return b;
  return text.length;
}

export function isBoundary(text: string, pos: number): boolean {
  if (pos <= 0 || pos >= text.length) return true;
  return lineBoundaries(text, pos).includes(pos);
}

/** `pos` clamped to the text and moved forward to the next grapheme boundary if inside one. */
export function snapToBoundary(text: string, pos: number): number {
  pos = Math.max(0, Math.min(pos, text.length));
  return isBoundary(text, pos) ? pos : nextBoundary(text, pos);
}

const WORD = /^(?:[\p{L}\p{N}\p{M}]|\p{Extended_Pictographic}|\p{Regional_Indicator})/u;
const SPACE = /^\s/u;

const isWord = (g: Seg): boolean => WORD.test(g.text);
const isSpace = (g: Seg): boolean => SPACE.test(g.text);

/** Index of the first grapheme that starts at or after `pos`. */
function indexAt(gs: Seg[], pos: number): number {
  let i = 0;
  while (i < gs.length && gs[i]!.start < pos) i++;
  return i;
}

const startOf = (gs: Seg[], i: number, len: number): number => (i < gs.length ? gs[i]!.start : len);

/** Start of the word before `pos` (Emacs backward-word). */
export function wordLeft(text: string, pos: number, inWord: (g: Seg) => boolean = isWord): number {
  const gs = graphemes(text);
  let j = indexAt(gs, pos);
  while (j > 0 && !inWord(gs[j - 1]!)) j--;
  while (j > 0 && inWord(gs[j - 1]!)) j--;
  return startOf(gs, j, text.length);
}

/** End of the word after `pos` (Emacs forward-word). */
export function wordRight(text: string, pos: number): number {
  const gs = graphemes(text);
  let j = indexAt(gs, pos);
  while (j < gs.length && !isWord(gs[j]!)) j++;
  while (j < gs.length && isWord(gs[j]!)) j++;
  return startOf(gs, j, text.length);
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Text as it may enter the buffer: newlines normalised, escape sequences and controls dropped. */
export function sanitizeInput(text: string): string {
  return stripVTControlCharacters(text.replace(/\r\n?/g, "\n")).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "");
}

function replaceRange(s: LineState, from: number, to: number, insert: string): LineState {
  const text = s.text.slice(0, from) + insert + s.text.slice(to);
  return { ...s, text, cursor: snapToBoundary(text, from + insert.length) };
}

function kill(s: LineState, from: number, to: number, direction: "back" | "forward"): LineState {
  if (from >= to) return s;
  const killed = s.text.slice(from, to);
  const ring = [...s.killRing];
  const last = ring.length - 1;
  if (s.lastKill && last >= 0) ring[last] = direction === "back" ? killed + ring[last]! : ring[last]! + killed;
  else ring.push(killed);
  const text = s.text.slice(0, from) + s.text.slice(to);
  return { ...s, text, cursor: from, killRing: ring.slice(-KILL_RING_LIMIT), lastKill: true };
}

function commonPrefix(words: readonly string[]): string {
  if (words.length === 0) return "";
  let p = words[0]!;
  for (const w of words) {
    let i = 0;
    while (i < p.length && i < w.length && p[i] === w[i]) i++;
    p = p.slice(0, i);
  }
  // never end inside a surrogate pair
  return /[\ud800-\udbff]$/.test(p) ? p.slice(0, -1) : p;
}

/** Row and display column of `pos`, plus the row starts. */
function rowOf(text: string, pos: number): { rowStarts: number[]; row: number; col: number } {
  const rowStarts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) rowStarts.push(i + 1);
  let row = 0;
  while (row + 1 < rowStarts.length && rowStarts[row + 1]! <= pos) row++;
  return { rowStarts, row, col: stringWidth(text.slice(rowStarts[row]!, pos)) };
}

/** Offset in row `row` at display column `col` (or the row end), on a grapheme boundary. */
function posInRow(text: string, rowStarts: number[], row: number, col: number): number {
  const start = rowStarts[row]!;
  const [, end] = lineBounds(text, start);
  let w = 0;
  for (const g of graphemes(text.slice(start, end))) {
    const gw = stringWidth(g.text);
    if (w + gw > col) return start + g.start;
    w += gw;
  }
  return end;
}

function verticalMove(s: LineState, dir: -1 | 1): LineState | undefined {
  if (!s.text.includes("\n")) return undefined;
  const { rowStarts, row, col } = rowOf(s.text, s.cursor);
  const target = row + dir;
  if (target < 0 || target >= rowStarts.length) return undefined;
  return { ...s, cursor: posInRow(s.text, rowStarts, target, col) };
}

function showHistory(s: LineState, index: number): LineState {
  const text = index === s.history.length ? s.draft : s.history[index]!;
  return { ...s, historyIndex: index, text, cursor: text.length };
}

function startCompletion(s: LineState, result: CompletionResult, backwards: boolean): LineState {
  const candidates = [...new Set(result.candidates)];
  if (candidates.length === 0) return s;
  const from = Math.max(0, Math.min(result.from, s.text.length));
  const to = Math.max(from, Math.min(result.to, s.text.length));
  if (candidates.length === 1) return replaceRange(s, from, to, candidates[0]!);
  const typed = s.text.slice(from, to);
  const prefix = commonPrefix(candidates);
  if (prefix.length > typed.length) {
    const next = replaceRange(s, from, to, prefix);
    return { ...next, completion: { from, to: from + prefix.length, candidates, index: -1 } };
  }
  const index = backwards ? candidates.length - 1 : 0;
  const next = replaceRange(s, from, to, candidates[index]!);
  return { ...next, completion: { from, to: from + candidates[index]!.length, candidates, index } };
}

function cycleCompletion(s: LineState, c: CompletionCycle, dir: 1 | -1): LineState {
  const n = c.candidates.length;
  const index = c.index < 0 ? (dir > 0 ? 0 : n - 1) : (((c.index + dir) % n) + n) % n;
  const cand = c.candidates[index]!;
  const next = replaceRange(s, c.from, c.to, cand);
  return { ...next, completion: { ...c, to: c.from + cand.length, index } };
}

/** The line `submit` sends: the buffer without trailing newlines. */
export function lineToSubmit(s: LineState): string {
  return s.text.replace(/\n+$/, "");
}

/** Submits: returns the line and the reset state (history updated). */
export function submit(s: LineState): { state: LineState; line: string } {
  const line = lineToSubmit(s);
  const keep = line.trim() !== "" && line !== s.history[s.history.length - 1];
  const history = keep ? [...s.history, line].slice(-HISTORY_LIMIT) : s.history;
  return { line, state: { ...s, text: "", cursor: 0, history, historyIndex: history.length, draft: "" } };
}

// ---------------------------------------------------------------------------------------------
// The reducer

const KILLS: ReadonlySet<string> = new Set(["kill-word-back", "kill-space-word-back", "kill-word-forward", "kill-to-end", "kill-to-start"]);

function reduce(s: LineState, a: LineAction): LineState {
  const { text, cursor } = s;
  switch (a.type) {
    case "insert": {
      const clean = sanitizeInput(a.text);
      return clean === "" ? s : replaceRange(s, cursor, cursor, clean);
    }
    case "newline":
      return replaceRange(s, cursor, cursor, "\n");
    case "move-start":
      return { ...s, cursor: lineBounds(text, cursor)[0] };
    case "move-end":
      return { ...s, cursor: lineBounds(text, cursor)[1] };
    case "move-left":
      return { ...s, cursor: prevBoundary(text, cursor) };
    case "move-right":
      return { ...s, cursor: nextBoundary(text, cursor) };
    case "move-word-left":
      return { ...s, cursor: wordLeft(text, cursor) };
    case "move-word-right":
      return { ...s, cursor: wordRight(text, cursor) };
    case "delete-back":
      return cursor === 0 ? s : replaceRange(s, prevBoundary(text, cursor), cursor, "");
    case "delete-forward":
      return cursor >= text.length ? s : replaceRange(s, cursor, nextBoundary(text, cursor), "");
    case "kill-word-back":
      return kill(s, wordLeft(text, cursor), cursor, "back");
    case "kill-space-word-back":
      return kill(s, wordLeft(text, cursor, (g) => !isSpace(g)), cursor, "back");
    case "kill-word-forward":
      return kill(s, cursor, wordRight(text, cursor), "forward");
    case "kill-to-end": {
      const [, le] = lineBounds(text, cursor);
      return kill(s, cursor, cursor === le && le < text.length ? le + 1 : le, "forward");
    }
    case "kill-to-start": {
      const [ls] = lineBounds(text, cursor);
      return kill(s, cursor === ls && ls > 0 ? ls - 1 : ls, cursor, "back");
    }
    case "yank": {
      const last = s.killRing[s.killRing.length - 1];
      return last === undefined ? s : replaceRange(s, cursor, cursor, last);
    }
    case "transpose": {
      if (cursor === 0) return s;
      // At the end of a line: swap the two graphemes before the cursor; else the ones around it.
      const atEnd = cursor >= text.length || text[cursor] === "\n";
      const mid = atEnd ? prevBoundary(text, cursor) : cursor;
      const end = atEnd ? cursor : nextBoundary(text, cursor);
      const start = prevBoundary(text, mid);
      if (start === mid) return s; // only one grapheme before the cursor
      const swapped = text.slice(mid, end) + text.slice(start, mid);
      const next = text.slice(0, start) + swapped + text.slice(end);
      return { ...s, text: next, cursor: snapToBoundary(next, end) };
    }
    case "history-prev": {
      const moved = verticalMove(s, -1);
      if (moved) return moved;
      if (s.historyIndex <= 0 || s.history.length === 0) return s;
      const base = s.historyIndex >= s.history.length ? { ...s, draft: text } : s;
      return showHistory(base, Math.min(s.historyIndex, s.history.length) - 1);
    }
    case "history-next": {
      const moved = verticalMove(s, 1);
      if (moved) return moved;
      if (s.historyIndex >= s.history.length) return s;
      return showHistory(s, s.historyIndex + 1);
    }
    case "complete":
    case "complete-prev": {
      const dir = a.type === "complete" ? 1 : -1;
      if (s.completion) return cycleCompletion(s, s.completion, dir);
      return a.result ? startCompletion(s, a.result, dir < 0) : s;
    }
    case "submit":
      return submit(s).state;
    case "set-text": {
      const t = sanitizeInput(a.text);
      return { ...s, text: t, cursor: snapToBoundary(t, a.cursor ?? t.length), historyIndex: s.history.length, draft: "" };
    }
    case "set-history": {
      const history = a.history.slice(-HISTORY_LIMIT);
      return { ...s, history, historyIndex: history.length, draft: "" };
    }
    case "clear":
      return { ...s, text: "", cursor: 0 };
  }
}

/** The command-line reducer. Every action but `complete*` ends a completion cycle. */
export function lineReducer(state: LineState, action: LineAction): LineState {
  let next = reduce(state, action);
  if (next.completion && action.type !== "complete" && action.type !== "complete-prev") next = { ...next, completion: undefined };
  if (next.lastKill && !KILLS.has(action.type)) next = { ...next, lastKill: false };
  return next;
}
