/**
 * The compositor between Ink and the terminal: frames become row updates, the command line is
 * drawn at once from the editor, and nothing but SGR (and the modes a component may switch)
 * passes from a frame to the terminal.
 */
import { EventEmitter } from "node:events";

import { Box, render, Text } from "ink";
import { createElement as h, useState, type ReactElement } from "react";
import { afterEach, describe, expect, test } from "vitest";

import { LineEditor } from "../../src/ui/input/line-editor.js";
import { Compositor, parseFrame, withoutColour } from "../../src/ui/screen/compositor.js";
import { attachLineSurface, commandLineRows } from "../../src/ui/screen/line-surface.js";
import { FakeTerminal } from "../helpers/fake-terminal.js";
import { waitFor } from "../helpers/wait-for.js";

/** The rows a write addressed ("\x1b[<row>;1H"), 1-based. */
const rowsWritten = (w: string): number[] => [...w.matchAll(/\x1b\[(\d+);1H/g)].map((m) => Number(m[1]));

describe("parseFrame", () => {
  test("keeps the lines and their SGR, drops every other sequence", () => {
    const f = parseFrame("\x1b[2J\x1b[3J\x1b[H\x1b[31mred\x1b[39m\nplain\x1b]0;title\x07\n\x1b[5Aup\x1bc\n");
    expect(f.lines).toEqual(["\x1b[31mred\x1b[39m", "plain", "up"]);
    expect(f.bells).toBe(0);
    expect(f.modes).toBe("");
  });
  test("a cursor or mode write is not a frame; bracketed paste and synchronized output pass", () => {
    expect(parseFrame("\x1b[?25l").lines).toBeUndefined();
    const f = parseFrame("\x1b[?2004h\x1b[?1049l\x1b[?2026h");
    expect(f.lines).toBeUndefined();
    expect(f.modes).toBe("\x1b[?2004h\x1b[?2026h");
  });
  test("a bell is counted and passed on, not drawn", () => {
    const f = parseFrame("\x07");
    expect(f).toEqual({ lines: undefined, bells: 1, modes: "" });
  });
});

describe("Compositor", () => {
  test("a frame writes only the rows that changed, each addressed absolutely", () => {
    const term = new FakeTerminal();
    const c = new Compositor(term);
    c.setBottom(["> "]);
    expect(c.inkStdout.rows).toBe(9);
    term.take();
    c.inkStdout.write(["a", "b", "c"].join("\n"));
    // The first frame paints the whole region (rows it leaves out are blanked).
    expect(rowsWritten(term.take())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    c.inkStdout.write("\x1b[2J\x1b[H" + ["a", "B", "c"].join("\n"));
    const w = term.take();
    expect(rowsWritten(w)).toEqual([2]);
    expect(w).toContain("B");
    expect(w).not.toContain("\x1b[2J");
    expect(c.stats.frames).toBe(2);
  });

  test("the bottom region is drawn at once; a taller one shrinks Ink's region and tells Ink", () => {
    const term = new FakeTerminal();
    const c = new Compositor(term);
    c.setBottom(["> a"]);
    expect(rowsWritten(term.take())).toEqual([10]);
    let resized = 0;
    c.inkStdout.on("resize", () => resized++);
    c.setBottom(["> a", "  b"]);
    expect(resized).toBe(1);
    expect(c.inkStdout.rows).toBe(8);
    expect(rowsWritten(term.take())).toEqual([9, 10]);
    c.setBottom(["> a", "  c"]);
    expect(rowsWritten(term.take())).toEqual([10]);
    expect(resized).toBe(1);
  });

  test("redraw repaints every row; a terminal resize clears, re-lays the bottom and resizes Ink", () => {
    const term = new FakeTerminal();
    const c = new Compositor(term);
    c.setBottom(["> "]);
    c.inkStdout.write("x\ny");
    term.take();
    c.redraw();
    expect(rowsWritten(term.take())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let relaid = 0;
    c.onResize(() => {
      relaid++;
      c.setBottom(["> "]);
    });
    let inkResized = 0;
    c.inkStdout.on("resize", () => inkResized++);
    term.resize(30, 6);
    const w = term.take();
    expect(w).toContain("\x1b[2J");
    expect(relaid).toBe(1);
    expect(inkResized).toBe(1);
    expect(c.inkStdout.columns).toBe(30);
    expect(c.inkStdout.rows).toBe(5);
  });

  test("the title is our text with control characters removed; it comes back after a redraw", () => {
    const term = new FakeTerminal();
    const c = new Compositor(term);
    c.setTitle("jabterm (3)\x1b]0;x\x07");
    expect(term.take()).toContain("\x1b]2;jabterm (3)]0;x\x07");
    c.redraw();
    expect(term.take()).toContain("\x1b]2;jabterm (3)]0;x\x07");
  });
});

describe("NO_COLOR", () => {
  const ESC = "\x1b[";
  test("withoutColour takes out every colour form and keeps the attributes", () => {
    expect(withoutColour(`${ESC}31mred${ESC}39m`)).toBe("red");
    expect(withoutColour(`${ESC}1;31;44mx${ESC}0m`)).toBe(`${ESC}1mx${ESC}0m`);
    expect(withoutColour(`${ESC}92;103m${ESC}2;7mx${ESC}22;27m`)).toBe(`${ESC}2;7mx${ESC}22;27m`);
    // 256 colours and truecolour, with semicolons and with colons; underline colour
    expect(withoutColour(`${ESC}38;5;208;1mx`)).toBe(`${ESC}1mx`);
    expect(withoutColour(`${ESC}4;38;2;10;20;30;48;5;17mx`)).toBe(`${ESC}4mx`);
    expect(withoutColour(`${ESC}38:2::10:20:30;3mx${ESC}58:5:9;4:3m`)).toBe(`${ESC}3mx${ESC}4:3m`);
    expect(withoutColour(`${ESC}mreset stays`)).toBe(`${ESC}mreset stays`);
    expect(withoutColour("no escapes")).toBe("no escapes");
  });

  test("with colour off, nothing the compositor writes carries a colour; bold and inverse do", () => {
    const term = new FakeTerminal();
    const c = new Compositor(term, { colour: false });
    c.setBottom([`${ESC}7m ${ESC}27m${ESC}33m›${ESC}39m`]);
    c.inkStdout.write([`${ESC}1m${ESC}32mwork${ESC}39m${ESC}22m`, `${ESC}38;5;99mbob${ESC}39m`].join("\n"));
    c.setRegion({ x: 10, y: 0, width: 10, height: 1 }, [`${ESC}35;1mhi${ESC}0m`]);
    const w = term.take();
    expect(w).toContain("work");
    expect(w).toContain(`${ESC}1m`);
    expect(w).toContain(`${ESC}7m`);
    expect(w).not.toMatch(/\x1b\[[0-9;:]*(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:[;:][0-9;:]*)?m/);
    // The same writes with colour on keep them.
    const coloured = new FakeTerminal();
    const d = new Compositor(coloured);
    d.inkStdout.write(`${ESC}32mwork${ESC}39m`);
    expect(coloured.take()).toContain(`${ESC}32m`);
  });
});

describe("the command line on the terminal", () => {
  test("rows: the prompt, the text, the cursor cell in reverse video (plain when unfocused)", () => {
    expect(commandLineRows("hi", 1, { prompt: "> ", focused: true }, 20, { left: 0, top: 0 }).rows).toEqual(["> h\x1b[7mi\x1b[27m"]);
    expect(commandLineRows("hi", 2, { prompt: "> ", focused: false }, 20, { left: 0, top: 0 }).rows).toEqual(["> hi "]);
    expect(commandLineRows("a\nb", 3, { prompt: "> ", focused: true }, 20, { left: 0, top: 0 }).rows).toHaveLength(2);
  });

  test("every edit is on the terminal before dispatch returns, as one row", () => {
    const term = new FakeTerminal();
    const c = new Compositor(term);
    const editor = new LineEditor();
    attachLineSurface(c, editor, { prompt: "› ", focused: true });
    term.take();
    editor.dispatchAction({ type: "insert", text: "x" });
    const w = term.take();
    expect(rowsWritten(w)).toEqual([10]);
    expect(w).toContain("› x\x1b[7m \x1b[27m");
  });
});

describe("Ink through the compositor", () => {
  let unmount: (() => void) | undefined;
  afterEach(() => unmount?.());

  // debug: Ink writes every frame whole and at once, and also under CI=true (where Ink's live
  // frames are switched off; the real host hides CI from Ink, see loadInteractive in src/cli/main.ts).
  test("a state change in one row repaints that row only", async () => {
    const term = new FakeTerminal();
    const c = new Compositor(term);
    c.setBottom(["> "]);
    let bump: () => void = () => undefined;
    function Screen(): ReactElement {
      const [n, setN] = useState(0);
      bump = () => setN((x) => x + 1);
      return h(Box, { flexDirection: "column", height: c.inkStdout.rows }, h(Text, null, "tab bar"), h(Text, null, `count ${n}`), h(Text, null, "status"));
    }
    const inst = render(h(Screen), { stdout: c.inkStdout as unknown as NodeJS.WriteStream, stdin: new EventEmitter() as unknown as NodeJS.ReadStream, patchConsole: false, exitOnCtrlC: false, debug: true });
    unmount = () => inst.unmount();
    await waitFor(() => term.written.includes("count 0"));
    term.take();
    bump();
    await waitFor(() => term.written.includes("count 1"));
    expect(rowsWritten(term.take())).toEqual([2]);
  });
});

describe("a region of the screen drawn apart from Ink", () => {
  test("only the region's cells are rewritten when only it changed; Ink's changes rewrite the row and then the region", () => {
    const term = new FakeTerminal();
    const c = new Compositor(term);
    c.setBottom(["> "]);
    c.inkStdout.write(["tabs", "roster │", "roster │", "status"].join("\n"));
    c.setRegion({ x: 9, y: 1, width: 20, height: 2 }, ["hello", "world"]);
    term.take();
    c.setRegion({ x: 9, y: 1, width: 20, height: 2 }, ["hello", "there"]);
    const w = term.take();
    expect(w).toBe("\x1b[3;10H\x1b[0m\x1b[20Xthere\x1b[0m");
    // Ink changes row 2: the row is written whole, then the region's part over it.
    c.inkStdout.write(["tabs", "Roster │", "roster │", "status"].join("\n"));
    const w2 = term.take();
    expect(rowsWritten(w2)).toEqual([2]);
    expect(w2).toBe("\x1b[2;1H\x1b[0m\x1b[2KRoster │\x1b[0m\x1b[2;10Hhello\x1b[0m");
  });

  test("given back to Ink, its rows are repainted whole; a rectangle that no longer fits is not drawn", () => {
    const term = new FakeTerminal();
    const c = new Compositor(term);
    c.setBottom(["> "]);
    c.inkStdout.write(["a", "b", "c"].join("\n"));
    c.setRegion({ x: 5, y: 0, width: 10, height: 2 }, ["x", "y"]);
    term.take();
    c.setRegion(undefined);
    const w = term.take();
    expect(rowsWritten(w)).toEqual([1, 2]);
    expect(w).not.toContain("x");
    // Wider than the screen (40 columns): not drawn.
    c.setRegion({ x: 35, y: 0, width: 10, height: 1 }, ["too wide"]);
    expect(term.take()).not.toContain("too wide");
  });
});
