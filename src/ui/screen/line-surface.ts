/**
 * The command line drawn straight onto the terminal's bottom rows (through the compositor), from
 * the LineEditor, on every change of its state: the same layout as the Ink component
 * (input/layout.ts), with the cursor cell in reverse video. No React render happens while typing.
 */
import { layoutCommandLine, type Scroll } from "../input/layout.js";
import type { LineEditor } from "../input/line-editor.js";
import type { Compositor } from "./compositor.js";

export interface LineView {
  prompt: string;
  /** Draw the cursor (false while the roster has the focus). */
  focused: boolean;
  /** Rows a multi-line text may take before it scrolls (default 5). */
  maxRows?: number;
}

const INVERSE = "\x1b[7m";
const INVERSE_OFF = "\x1b[27m";

/** The command line's rows as terminal strings. `scroll` carries the scroll position between calls. */
export function commandLineRows(text: string, cursor: number, view: LineView, width: number, scroll: Scroll): { rows: string[]; scroll: Scroll } {
  const { rows, scroll: next } = layoutCommandLine(text, cursor, { prompt: view.prompt, width, maxRows: view.maxRows ?? 5 }, scroll);
  return {
    rows: rows.map((row) => {
      const cur = row.cursor === undefined ? "" : view.focused ? `${INVERSE}${row.cursor}${INVERSE_OFF}` : row.cursor;
      return `${row.prefix}${row.before}${cur}${row.after}`;
    }),
    scroll: next,
  };
}

export interface LineSurface {
  /** Prompt and focus (from the app's state); redraws when they change. */
  setView(view: LineView): void;
  dispose(): void;
}

export function attachLineSurface(screen: Compositor, editor: LineEditor, initial: LineView = { prompt: "> ", focused: true }): LineSurface {
  let view = initial;
  let scroll: Scroll = { left: 0, top: 0 };
  const draw = (): void => {
    const s = editor.getState();
    const out = commandLineRows(s.text, s.cursor, view, screen.columns, scroll);
    scroll = out.scroll;
    screen.setBottom(out.rows);
  };
  const offEditor = editor.subscribe(draw);
  const offResize = screen.onResize(draw);
  draw();
  return {
    setView(next) {
      if (next.prompt === view.prompt && next.focused === view.focused && next.maxRows === view.maxRows) return;
      view = next;
      draw();
    },
    dispose() {
      offEditor();
      offResize();
    },
  };
}
