import stringWidth from "string-width";
import { describe, expect, test } from "vitest";

import { layoutCommandLine, type RowLayout, type Scroll } from "../../src/ui/input/layout.js";

/** A row as drawn, with the cursor cell in [brackets]. */
const draw = (r: RowLayout): string => `${r.prefix}${r.before}${r.cursor !== undefined ? `[${r.cursor}]` : ""}${r.after}`;
const plainWidth = (r: RowLayout): number => stringWidth(`${r.prefix}${r.before}${r.cursor ?? ""}${r.after}`);

describe("command line layout", () => {
  test("short text: prompt, text, cursor at the end", () => {
    const { rows } = layoutCommandLine("hello", 5, { prompt: "> ", width: 20, maxRows: 3 });
    expect(rows.map(draw)).toEqual(["> hello[ ]"]);
  });

  test("cursor in the middle covers a whole wide character", () => {
    const { rows } = layoutCommandLine("a漢b", 1, { prompt: "", width: 20, maxRows: 3 });
    expect(rows.map(draw)).toEqual(["a[漢]b"]);
  });

  test("long text scrolls horizontally to keep the cursor visible, never wider than the width", () => {
    const text = "abcdefghijklmnopqrstuvwxyz";
    let scroll: Scroll = { left: 0, top: 0 };
    let out = layoutCommandLine(text, text.length, { prompt: "> ", width: 12, maxRows: 1 }, scroll);
    expect(out.rows.map(draw)).toEqual(["> rstuvwxyz[ ]"]);
    expect(plainWidth(out.rows[0]!)).toBe(12);
    scroll = out.scroll;
    // Moving left inside the window does not scroll.
    out = layoutCommandLine(text, text.length - 3, { prompt: "> ", width: 12, maxRows: 1 }, scroll);
    expect(out.scroll).toEqual(scroll);
    expect(out.rows.map(draw)).toEqual(["> rstuvw[x]yz"]);
    // Going to the start scrolls back.
    out = layoutCommandLine(text, 0, { prompt: "> ", width: 12, maxRows: 1 }, out.scroll);
    expect(out.rows.map(draw)).toEqual(["> [a]bcdefghij"]);
    expect(plainWidth(out.rows[0]!)).toBe(12);
  });

  test("wide characters count two columns; one cut by the left edge becomes a space", () => {
    const text = "漢字漢字漢字漢字";
    const out = layoutCommandLine(text, text.length, { prompt: "", width: 6, maxRows: 1 });
    expect(plainWidth(out.rows[0]!)).toBeLessThanOrEqual(6);
    expect(out.rows.map(draw)).toEqual([" 漢字[ ]"]);
  });

  test("the text shrinking scrolls back so no empty window is left", () => {
    const first = layoutCommandLine("x".repeat(50), 50, { prompt: "", width: 10, maxRows: 1 });
    expect(first.scroll.left).toBe(41);
    const after = layoutCommandLine("xxx", 3, { prompt: "", width: 10, maxRows: 1 }, first.scroll);
    expect(after.scroll.left).toBe(0);
    expect(after.rows.map(draw)).toEqual(["xxx[ ]"]);
  });

  test("multi-line text: one row per line, continuation rows indented under the prompt", () => {
    const { rows } = layoutCommandLine("one\ntwo\nthree", 5, { prompt: "> ", width: 20, maxRows: 5 });
    expect(rows.map(draw)).toEqual(["> one", "  t[w]o", "  three"]);
  });

  test("more lines than maxRows: the rows around the cursor are shown", () => {
    const text = "l1\nl2\nl3\nl4\nl5";
    const out = layoutCommandLine(text, text.length, { prompt: "> ", width: 20, maxRows: 2 });
    expect(out.rows.map(draw)).toEqual(["  l4", "  l5[ ]"]);
    const up = layoutCommandLine(text, 0, { prompt: "> ", width: 20, maxRows: 2 }, out.scroll);
    expect(up.rows.map(draw)).toEqual(["> [l]1", "  l2"]);
  });

  test("tabs show as one space", () => {
    const { rows } = layoutCommandLine("a\tb", 3, { prompt: "", width: 20, maxRows: 1 });
    expect(rows.map(draw)).toEqual(["a b[ ]"]);
  });
});
