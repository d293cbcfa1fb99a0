/**
 * Pure layout of the command line for the view: which part of each row is visible, where the
 * cursor is. Columns are terminal cells (string-width: wide characters count 2). The horizontal
 * and vertical scroll positions are carried from one render to the next (`prev`) so the text only
 * scrolls when the cursor would leave the visible window, instead of sliding on every move.
 */
import stringWidth from "string-width";

import { graphemes } from "./line.js";

export interface Scroll {
  /** First visible column of every row. */
  left: number;
  /** First visible row. */
  top: number;
}

export interface RowLayout {
  /** The prompt on the first row, as many spaces on the others. */
  prefix: string;
  before: string;
  /** The cell under the cursor (a space at the end of a row); absent on rows without the cursor. */
  cursor?: string;
  after: string;
}

export interface LayoutOptions {
  prompt: string;
  /** Terminal columns for prompt + text. */
  width: number;
  /** At most this many rows (multi-line text scrolls vertically). */
  maxRows: number;
}

interface Cell {
  text: string;
  width: number;
  /** UTF-16 offset of the grapheme in the whole text. */
  offset: number;
}

/** How a grapheme is shown: tabs as one space; nothing else in the buffer is a control. */
function display(g: string): { text: string; width: number } {
  if (g === "\t") return { text: " ", width: 1 };
  return { text: g, width: stringWidth(g) };
}

function rowsOf(text: string): Cell[][] {
  const rows: Cell[][] = [[]];
  for (const g of graphemes(text)) {
    if (g.text === "\n") {
      rows.push([]);
      continue;
    }
    const d = display(g.text);
    rows[rows.length - 1]!.push({ text: d.text, width: d.width, offset: g.start });
  }
  return rows;
}

const rowWidth = (row: Cell[]): number => row.reduce((w, c) => w + c.width, 0);

export function layoutCommandLine(
  text: string,
  cursor: number,
  opts: LayoutOptions,
  prev: Scroll = { left: 0, top: 0 },
): { rows: RowLayout[]; scroll: Scroll } {
  const promptWidth = stringWidth(opts.prompt);
  const avail = Math.max(1, opts.width - promptWidth);
  const maxRows = Math.max(1, opts.maxRows);
  const rows = rowsOf(text);

  // Where the cursor is: row, column, and the width of the cell it covers.
  let cursorRow = 0;
  for (let i = 0; i < cursor && i < text.length; i++) if (text[i] === "\n") cursorRow++;
  const crow = rows[cursorRow]!;
  let cursorCol = 0;
  let cursorIdx = crow.length;
  for (let i = 0; i < crow.length; i++) {
    if (crow[i]!.offset >= cursor) {
      cursorIdx = i;
      break;
    }
    cursorCol += crow[i]!.width;
  }
  const cursorCell = crow[cursorIdx];
  const cursorWidth = Math.max(1, cursorCell?.width ?? 1);

  // Horizontal scroll: shrink back when the text got shorter, then keep the cursor visible.
  let left = Math.min(prev.left, Math.max(0, rowWidth(crow) + 1 - avail));
  if (cursorCol < left) left = cursorCol;
  if (cursorCol + cursorWidth > left + avail) left = cursorCol + cursorWidth - avail;
  left = Math.max(0, left);

  // Vertical scroll, the same way.
  let top = Math.min(prev.top, Math.max(0, rows.length - maxRows));
  if (cursorRow < top) top = cursorRow;
  if (cursorRow >= top + maxRows) top = cursorRow - maxRows + 1;

  const out: RowLayout[] = [];
  const pad = " ".repeat(promptWidth);
  for (let r = top; r < Math.min(rows.length, top + maxRows); r++) {
    const row = rows[r]!;
    const parts = { before: "", cursor: undefined as string | undefined, after: "" };
    let col = 0;
    const right = left + avail;
    const hasCursor = r === cursorRow;
    for (let i = 0; i <= row.length; i++) {
      const cell = row[i];
      const isCursor = hasCursor && i === cursorIdx;
      if (!cell) {
        if (isCursor) parts.cursor = " ";
        break;
      }
      const start = col;
      const end = col + cell.width;
      col = end;
      let shown: string;
      if (end <= left || start >= right) {
        if (cell.width > 0 || start < left || start >= right) continue;
        shown = cell.text;
      } else if (start < left || end > right) {
        shown = " ".repeat(Math.min(end, right) - Math.max(start, left)); // a wide char cut by an edge
      } else {
        shown = cell.text;
      }
      if (isCursor) parts.cursor = cell.width === 0 ? ` ${shown}` : shown;
      else if (hasCursor && i > cursorIdx) parts.after += shown;
      else parts.before += shown;
    }
    out.push({ prefix: r === 0 ? opts.prompt : pad, before: parts.before, ...(parts.cursor !== undefined ? { cursor: parts.cursor } : {}), after: parts.after });
  }
  return { rows: out, scroll: { left, top } };
}
