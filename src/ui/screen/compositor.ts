/**
 * The full-screen host's view of the terminal: one model of what every row shows, and two
 * writers into it.
 *
 * - Ink renders the top of the screen into `inkStdout`, a stand-in stream whose `rows` leave out
 *   the bottom region. Ink writes whole frames (a clear or erase prefix, then every line); the
 *   compositor keeps only the lines and writes to the real terminal the rows that changed, each
 *   addressed absolutely. A message arriving repaints a few rows, not the screen.
 * - The bottom region (the command line) is drawn with `setBottom`, synchronously: a keystroke
 *   is on the terminal before the handler returns, never behind a throttled Ink frame, and it
 *   costs no React render or Ink layout at all.
 * - One rectangle of the top region (the conversation) may be drawn by its own painter with
 *   `setRegion`: Ink leaves it blank, and the region's rows are written over it. A message flood
 *   then repaints the conversation's rows without a React render or an Ink frame of the screen.
 *
 * Ink's frames are our own rendered text (everything from the network went through the
 * sanitiser before it reached a component). Still, only SGR (colours, attributes) passes: any
 * other escape sequence in a frame is dropped (cursor moves, screen clears, titles), and a BEL
 * is passed on as a bell. The cursor stays hidden: the command line draws its own.
 *
 * Everything reaches the terminal through here, so NO_COLOR (https://no-color.org) is honoured
 * here too: with `colour: false`, colours are taken out of every SGR sequence written; bold, dim,
 * italic, underline and inverse stay (the roster's cursor and the unread marks need them). How
 * many colours the terminal has is chalk's to detect (TERM, COLORTERM); it renders for that.
 */
import { EventEmitter } from "node:events";

/** What the compositor needs from the real terminal (process.stdout). */
export interface TerminalOut {
  write(chunk: string): unknown;
  columns?: number;
  rows?: number;
  on(event: "resize", listener: () => void): unknown;
  off(event: "resize", listener: () => void): unknown;
}

const CSI = /\x1b\[[0-?]*[ -/]*[@-~]/g;
const OSC = /\x1b\][\s\S]*?(?:\x07|\x1b\\)/g;
const ESC2 = /\x1b[^[\]]/g;

/** Private modes a component may switch (bracketed paste, synchronized output); the cursor and the screen are the host's. */
const PASSED_MODE = /^\x1b\[\?(2004|2026)[hl]$/;

export interface Frame {
  /** The frame's rows; none when the write drew nothing (a cursor or mode write, a bell). */
  lines: string[] | undefined;
  bells: number;
  /** Mode switches to pass on to the terminal (bracketed paste, synchronized output). */
  modes: string;
}

/** What an Ink write carries: the lines of a frame (SGR kept, every other sequence dropped), bells, mode switches. */
export function parseFrame(chunk: string): Frame {
  let modes = "";
  let text = chunk;
  if (text.includes("\x1b")) {
    text = text
      .replace(OSC, "")
      .replace(CSI, (seq) => {
        if (seq.endsWith("m")) return seq;
        if (PASSED_MODE.test(seq)) modes += seq;
        return "";
      })
      .replace(ESC2, "");
  }
  let bells = 0;
  if (text.includes("\x07")) {
    bells = text.split("\x07").length - 1;
    text = text.replaceAll("\x07", "");
  }
  if (text === "") return { lines: undefined, bells, modes };
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return { lines, bells, modes };
}

/** Ink's stdout: its writes are frames for the top region; `rows` is that region's height. */
export class InkStdout extends EventEmitter {
  readonly isTTY = true;
  columns: number;
  rows: number;
  constructor(
    private readonly onWrite: (chunk: string) => void,
    columns: number,
    rows: number,
  ) {
    super();
    this.columns = columns;
    this.rows = rows;
  }
  write(chunk: string | Uint8Array, encoding?: unknown, cb?: unknown): boolean {
    this.onWrite(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    const done = typeof encoding === "function" ? encoding : cb;
    if (typeof done === "function") queueMicrotask(() => (done as () => void)());
    return true;
  }
}

/** A rectangle of the screen, in cells from the top left (0-based). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

const SGR = /\x1b\[([0-9;:]*)m/g;

/** `s` with the colours (foreground, background, underline colour) taken out of its SGR sequences. */
export function withoutColour(s: string): string {
  if (!s.includes("\x1b[")) return s;
  return s.replace(SGR, (seq, params: string) => {
    if (params === "") return seq; // a reset
    const p = params.split(";");
    const kept: string[] = [];
    for (let i = 0; i < p.length; i++) {
      const n = Number(p[i]!.split(":")[0] || "0");
      if (n === 38 || n === 48 || n === 58) {
        // 38:5:n and 38:2::r:g:b are one parameter; 38;5;n and 38;2;r;g;b take the next ones.
        if (!p[i]!.includes(":")) i += p[i + 1] === "5" ? 2 : p[i + 1] === "2" ? 4 : 1;
        continue;
      }
      if ((n >= 30 && n <= 37) || n === 39 || (n >= 40 && n <= 47) || n === 49 || n === 59 || (n >= 90 && n <= 97) || (n >= 100 && n <= 107)) continue;
      kept.push(p[i]!);
    }
    return kept.length ? `\x1b[${kept.join(";")}m` : "";
  });
}

export interface CompositorOptions {
  /** Colours on (the default); false for NO_COLOR: attributes stay, colours go. */
  colour?: boolean;
}

export interface CompositorStats {
  /** Frames Ink wrote. */
  frames: number;
  /** Rows written to the terminal (from frames and from the bottom region). */
  rowsWritten: number;
}

export class Compositor {
  readonly inkStdout: InkStdout;
  readonly stats: CompositorStats = { frames: 0, rowsWritten: 0 };
  readonly #out: TerminalOut;
  #columns: number;
  #rows: number;
  /** What each terminal row shows now (undefined: unknown, repaint it). */
  #shown: (string | undefined)[] = [];
  /** What the region shows on each row (undefined: not in the region, or unknown). */
  #shownSeg: (string | undefined)[] = [];
  #region: { rect: Rect; lines: string[] } | undefined;
  /** The last frame's lines (top region). */
  #ink: string[] = [];
  #bottom: string[] = [];
  readonly #resizeListeners = new Set<() => void>();
  #disposed = false;
  #title: string | undefined;
  readonly #colour: boolean;

  constructor(out: TerminalOut, opts: CompositorOptions = {}) {
    this.#out = out;
    this.#colour = opts.colour ?? true;
    this.#columns = out.columns || 80;
    this.#rows = out.rows || 24;
    this.inkStdout = new InkStdout((chunk) => this.#onInkWrite(chunk), this.#columns, this.#topRows());
    out.on("resize", this.#onResize);
    out.write("\x1b[?25l");
  }

  get columns(): number {
    return this.#columns;
  }

  get rows(): number {
    return this.#rows;
  }

  /** Listen for terminal resizes (before Ink hears of it): re-lay the bottom region here. */
  onResize(listener: () => void): () => void {
    this.#resizeListeners.add(listener);
    return () => {
      this.#resizeListeners.delete(listener);
    };
  }

  /** Draw the bottom region now (at most half the screen). A change in its height resizes Ink's region. */
  setBottom(lines: readonly string[]): void {
    if (this.#disposed) return;
    const max = Math.max(1, Math.floor(this.#rows / 2));
    const next = lines.length > max ? lines.slice(lines.length - max) : [...lines];
    const resized = next.length !== this.#bottom.length;
    this.#bottom = next;
    this.#paint(this.#topRows(), this.#rows);
    if (resized) this.#resizeInk();
  }

  /**
   * Draw `lines` in the rectangle `rect` of the top region now (each at most rect.width cells;
   * Ink must leave the rectangle blank), or give the rectangle back to Ink (undefined).
   */
  setRegion(rect: Rect | undefined, lines: readonly string[] = []): void {
    if (this.#disposed) return;
    const old = this.#region?.rect;
    this.#region = rect ? { rect, lines: [...lines] } : undefined;
    if (old && (!rect || old.x !== rect.x || old.y !== rect.y || old.width !== rect.width || old.height !== rect.height)) {
      // The old rectangle's rows come back to Ink: repaint them whole.
      for (let r = old.y; r < old.y + old.height; r++) this.#shown[r] = undefined;
    }
    const from = Math.min(old?.y ?? Infinity, rect?.y ?? Infinity);
    const to = Math.max(old ? old.y + old.height : -Infinity, rect ? rect.y + rect.height : -Infinity);
    if (from < to) this.#paint(Math.max(0, from), Math.min(this.#topRows(), to));
  }

  /** Repaint every row (Ctrl-L, after a suspend): the terminal's contents are not trusted. */
  redraw(): void {
    if (this.#disposed) return;
    this.#shown = [];
    this.#shownSeg = [];
    this.#out.write("\x1b[?25l\x1b[0m\x1b[H\x1b[2J");
    if (this.#title !== undefined) this.setTitle(this.#title);
    this.#paint(0, this.#rows);
  }

  /** Ring the terminal bell. */
  bell(): void {
    if (!this.#disposed) this.#out.write("\x07");
  }

  /** Set the window title; `title` must be our own text (only printable characters pass). */
  setTitle(title: string): void {
    if (this.#disposed) return;
    this.#title = title;
    // eslint-disable-next-line no-control-regex
    this.#out.write(`\x1b]2;${title.replace(/[\x00-\x1f\x7f-\x9f]/g, "")}\x07`);
  }

  dispose(): void {
    this.#disposed = true;
    this.#out.off("resize", this.#onResize);
  }

  #topRows(): number {
    return Math.max(1, this.#rows - this.#bottom.length);
  }

  #resizeInk(): void {
    this.inkStdout.columns = this.#columns;
    this.inkStdout.rows = this.#topRows();
    this.inkStdout.emit("resize");
  }

  #onInkWrite(chunk: string): void {
    if (this.#disposed) return;
    const frame = parseFrame(chunk);
    const passed = frame.modes + "\x07".repeat(frame.bells);
    if (passed) this.#out.write(passed);
    if (!frame.lines) return;
    this.stats.frames++;
    this.#ink = frame.lines;
    this.#paint(0, this.#topRows());
  }

  /**
   * Write the rows in [from, to) whose content changed, in one write. A row in the region is
   * Ink's line with the region's part written over it; when only that part changed, only its
   * cells are erased (ECH) and written.
   */
  #paint(from: number, to: number): void {
    const top = this.#topRows();
    // A rectangle that no longer fits the screen (a resize, before its painter has caught up) is not drawn.
    const reg = this.#region && this.#region.rect.x + this.#region.rect.width <= this.#columns && this.#region.rect.y + this.#region.rect.height <= top ? this.#region : undefined;
    let out = "";
    for (let r = from; r < to; r++) {
      const line = r < top ? (this.#ink[r] ?? "") : (this.#bottom[r - top] ?? "");
      const inRegion = reg !== undefined && r < top && r >= reg.rect.y && r < reg.rect.y + reg.rect.height;
      const seg = inRegion ? (reg.lines[r - reg.rect.y] ?? "") : undefined;
      const lineChanged = this.#shown[r] !== line;
      if (!lineChanged && this.#shownSeg[r] === seg) continue;
      const at = inRegion ? `\x1b[${r + 1};${reg.rect.x + 1}H` : "";
      if (lineChanged) {
        out += `\x1b[${r + 1};1H\x1b[0m\x1b[2K${line}\x1b[0m`;
        if (seg) out += `${at}${seg}\x1b[0m`;
      } else {
        out += `${at}\x1b[0m\x1b[${reg!.rect.width}X${seg ?? ""}\x1b[0m`;
      }
      this.#shown[r] = line;
      this.#shownSeg[r] = seg;
      this.stats.rowsWritten++;
    }
    if (out) this.#out.write(this.#colour ? out : withoutColour(out));
  }

  #onResize = (): void => {
    if (this.#disposed) return;
    this.#columns = this.#out.columns || this.#columns;
    this.#rows = this.#out.rows || this.#rows;
    this.#shown = [];
    this.#shownSeg = [];
    this.#ink = [];
    this.#out.write("\x1b[0m\x1b[H\x1b[2J");
    for (const l of [...this.#resizeListeners]) l();
    this.#paint(0, this.#rows);
    this.#resizeInk();
  };
}
