import stringWidth from "string-width";
import { describe, expect, it } from "vitest";

import { sanitizeSegments, type Segment } from "../../src/core/text/sanitize.js";
import { parseStyling } from "../../src/core/text/styling.js";
import { displayWidth, graphemes, simpleClusters, truncate, truncateSegments, wrapSegments } from "../../src/core/text/width.js";

const family = "👨\u200d👩\u200d👧";
const scotland = "🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}";

/** Each line as one string. */
function wrap(text: string, width: number): string[] {
  return wrapSegments([{ text }], width).map((line) => line.map((s) => s.text).join(""));
}

describe("displayWidth", () => {
  it("counts ASCII, wide characters, emoji and combining marks", () => {
    expect(displayWidth("hello")).toBe(5);
    expect(displayWidth("漢字")).toBe(4);
    expect(displayWidth("한국어")).toBe(6);
    expect(displayWidth("😀")).toBe(2);
    expect(displayWidth(family)).toBe(2);
    expect(displayWidth("🇫🇷")).toBe(2);
    expect(displayWidth(scotland)).toBe(2);
    expect(displayWidth("👍🏽")).toBe(2);
    expect(displayWidth("e\u0301")).toBe(1);
    expect(displayWidth("\u0301")).toBe(0);
    expect(displayWidth("")).toBe(0);
  });

  it("counts placeholders as the visible text they are", () => {
    expect(displayWidth("␛]0;evil␇")).toBe(9);
    expect(displayWidth("‹RLO›")).toBe(5);
  });
});

describe("graphemes", () => {
  it("never splits a cluster", () => {
    expect(graphemes(`a${family}e\u0301${scotland}क्\u200dष`)).toEqual(["a", family, "e\u0301", scotland, "क्\u200dष"]);
    expect(graphemes("abc")).toEqual(["a", "b", "c"]);
  });
});

describe("fast path agrees with Intl.Segmenter and string-width", () => {
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  const reference = (s: string): [string[], number] => [Array.from(segmenter.segment(s), (x) => x.segment), stringWidth(s)];

  it("for every BMP code point on the fast path, between letters and next to combining marks", () => {
    const samples: string[] = [];
    for (let cp = 0; cp < 0x10000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCharCode(cp);
      const s = `a${ch}${ch}\u0301é${ch}漢`;
      if (simpleClusters(s)) samples.push(s);
    }
    expect(samples.length).toBeGreaterThan(30_000); // the scripts it is meant for are on it
    // Concatenations of fast-path text stay on the fast path: compare in batches (small ones:
    // the reference, Intl.Segmenter, is quadratic in the length of its input).
    for (let k = 0; k < samples.length; k += 40) {
      const batch = samples.slice(k, k + 40).join("");
      expect(simpleClusters(batch)).toBe(true);
      const [g, w] = reference(batch);
      expect(graphemes(batch)).toEqual(g);
      expect(displayWidth(batch)).toBe(w);
    }
  });

  it("keeps emoji, flags, jamo, Indic conjuncts and controls off the fast path", () => {
    for (const s of [family, "🇫🇷", "☺\ufe0f", "1\ufe0f⃣", "\u1100\u1161", "क्ष", "a\u200bb", "a\tb", "\u0600١", "👍🏽"]) {
      expect(simpleClusters(s), JSON.stringify(s)).toBe(false);
    }
  });

  it("for mixed-script text", () => {
    const texts = [
      "Ça va? 漢字かな 한국어 مرحبا naïve e\u0301",
      "می\u200cخواهم",
      "Ελληνικά Кириллица Հայերեն ქართული עברית",
      "𠀋𡈽 ㄅㄆ",
      "ｶﾞｷﾞ ﾟ",
    ];
    for (const s of texts) {
      const [g, w] = reference(s);
      expect(graphemes(s)).toEqual(g);
      expect(displayWidth(s)).toBe(w);
    }
  });
});

describe("long text", () => {
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

  it("segments in windows exactly as one Intl.Segmenter pass would", () => {
    const texts = [
      `${family}🇫🇷🇩🇪🇺🇦x🇫`.repeat(120), // regional indicators in odd runs across windows
      "क्ष क्\u200dष नमस्ते कि".repeat(150), // conjuncts (GB9c)
      "\u1100\u1161\u11a8각".repeat(300), // Hangul jamo
      `a${"\u0301".repeat(700)}b${scotland}👍🏽`.repeat(4), // clusters longer than the window
      "☺\ufe0f1\ufe0f⃣\r\n".repeat(400),
    ];
    for (const text of texts) {
      expect(graphemes(text)).toEqual(Array.from(segmenter.segment(text), (x) => x.segment));
      expect(displayWidth(text)).toBe(stringWidth(text));
    }
  });

  it("stays fast on a 256 KiB hostile body (Intl.Segmenter alone is quadratic there)", () => {
    const unit = "é漢👍🏽🇫🇷 a\u0301\u0301 "; // 10 columns
    const units = Math.floor((256 * 1024) / Buffer.byteLength(unit));
    const body = unit.repeat(units);
    const started = performance.now();
    const segs = sanitizeSegments(`${body}\t${body}`, { multiline: true });
    const width = displayWidth(body);
    const lines = wrapSegments(parseStyling(segs), 80);
    const elapsed = performance.now() - started;
    expect(width).toBe(10 * units);
    expect(lines.length).toBeGreaterThan(1000);
    // Linear work takes well under a second here; the quadratic path took minutes or ran out of memory.
    expect(elapsed).toBeLessThan(10_000);
  });
});

describe("wrapSegments", () => {
  it("breaks at spaces and drops the space at the break", () => {
    expect(wrap("the quick brown fox", 10)).toEqual(["the quick", "brown fox"]);
  });

  it("fills lines exactly to the width", () => {
    expect(wrap("abcde fghij", 5)).toEqual(["abcde", "fghij"]);
    expect(wrap("abcde fghij", 11)).toEqual(["abcde fghij"]);
    expect(wrap("abcde fghij", 10)).toEqual(["abcde", "fghij"]);
    expect(wrap("漢字 漢字", 4)).toEqual(["漢字", "漢字"]);
  });

  it("hard-breaks words longer than the width between clusters", () => {
    expect(wrap("abcdefghijkl", 5)).toEqual(["abcde", "fghij", "kl"]);
    expect(wrap("https://example.org/a/very/long/path", 12)).toEqual(["https://exam", "ple.org/a/ve", "ry/long/path"]);
  });

  it("starts a long word on a fresh line unless that costs a line", () => {
    expect(wrap("ab abcdefghij", 5)).toEqual(["ab", "abcde", "fghij"]);
    expect(wrap("abc abcdef", 5)).toEqual(["abc a", "bcdef"]);
  });

  it("breaks CJK text between characters and never leaves half a wide character", () => {
    expect(wrap("漢字漢字漢字", 5)).toEqual(["漢字", "漢字", "漢字"]);
    expect(wrap("a漢字", 2)).toEqual(["a", "漢", "字"]);
  });

  it("keeps emoji sequences, flags and combining marks whole", () => {
    expect(wrap(`${family}${family}${family}`, 3)).toEqual([family, family, family]);
    expect(wrap(`${scotland}🇫🇷${scotland}`, 4)).toEqual([`${scotland}🇫🇷`, scotland]);
    expect(wrap("e\u0301e\u0301e\u0301e\u0301", 2)).toEqual(["e\u0301e\u0301", "e\u0301e\u0301"]);
    expect(wrap("👍🏽👍🏽", 3)).toEqual(["👍🏽", "👍🏽"]);
  });

  it("lets a single cluster wider than the line overflow instead of looping", () => {
    expect(wrap("漢字", 1)).toEqual(["漢", "字"]);
    expect(wrap("ab", 0)).toEqual(["a", "b"]);
  });

  it("ends lines at newlines, keeping empty lines", () => {
    expect(wrap("a\n\nb", 10)).toEqual(["a", "", "b"]);
    expect(wrap("a\n", 10)).toEqual(["a", ""]);
    expect(wrapSegments([], 10)).toEqual([]);
    expect(wrapSegments([{ text: "" }], 10)).toEqual([]);
  });

  it("keeps leading indentation and drops spaces only at breaks", () => {
    expect(wrap("    code()", 20)).toEqual(["    code()"]);
    expect(wrap("a  b", 10)).toEqual(["a  b"]);
    expect(wrap("a    b", 3)).toEqual(["a", "b"]);
    expect(wrap("trailing   ", 10)).toEqual(["trailing  "]);
  });

  it("keeps each piece's properties, splitting segments across lines", () => {
    const segs = sanitizeSegments("hello \x1b]0;evil title\x07 world");
    const lines = wrapSegments(segs, 12);
    expect(lines).toEqual([
      [{ text: "hello" }],
      [{ text: "␛]0;evil", inert: true }],
      [{ text: "title␇", inert: true }, { text: " world" }],
    ]);
  });

  it("wraps styled spans, keeping their attributes", () => {
    const lines = wrapSegments(parseStyling("*bold words here* and\n> quoted"), 11);
    expect(lines).toEqual([
      [{ text: "*", bold: true, directive: true }, { text: "bold words", bold: true }],
      [{ text: "here", bold: true }, { text: "*", bold: true, directive: true }, { text: " and" }],
      [{ text: "> ", quote: 1, directive: true }, { text: "quoted", quote: 1 }],
    ]);
  });

  it("never exceeds the width and loses nothing but break spaces (random input)", () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pieces = ["a", "bc", "defghijklmnop", " ", " ", "漢", "字", family, "🇫🇷", "e\u0301", "\n", "‹RLO›"];
    for (let round = 0; round < 400; round++) {
      let text = "";
      const n = 1 + Math.floor(random() * 30);
      for (let k = 0; k < n; k++) text += pieces[Math.floor(random() * pieces.length)];
      const width = 2 + Math.floor(random() * 20);
      // Two segments split at a cluster boundary, as the sanitiser's are.
      const cut = graphemes(text).slice(0, 3).join("").length;
      const segs: Segment[] = [{ text: text.slice(0, cut) }, { text: text.slice(cut), inert: true as const }].filter((s) => s.text !== "");
      const lines = wrapSegments(segs, width);
      for (const line of lines) {
        expect(displayWidth(line.map((s) => s.text).join("")), JSON.stringify({ text, width })).toBeLessThanOrEqual(width);
        for (const s of line) expect(s.text).not.toBe("");
      }
      const squash = (s: string): string => s.replace(/[ \n]/g, "");
      expect(squash(lines.flat().map((s) => s.text).join(""))).toBe(squash(text));
      expect(lines.length).toBeGreaterThanOrEqual(text.split("\n").length);
    }
  });
});

describe("truncate", () => {
  it("returns the string when it fits", () => {
    expect(truncate("hello", 5)).toBe("hello");
    expect(truncate("漢字", 4)).toBe("漢字");
  });

  it("cuts with an ellipsis to at most the width", () => {
    expect(truncate("hello world", 8)).toBe("hello w…");
    expect(truncate("漢字漢字", 5)).toBe("漢字…");
    expect(truncate("漢字漢字", 6)).toBe("漢字…");
    expect(truncate("hello world", 8, "...")).toBe("hello...");
  });

  it("never splits a cluster", () => {
    expect(truncate(`${family}${family}${family}`, 4)).toBe(`${family}…`);
    expect(truncate("e\u0301e\u0301e\u0301", 2)).toBe("e\u0301…");
  });

  it("handles tiny widths", () => {
    expect(truncate("hello", 0)).toBe("");
    expect(truncate("hello", 1)).toBe("…");
    expect(truncate("hello", 2, "...")).toBe("he");
  });

  it("truncates segments, keeping inert pieces", () => {
    const segs = sanitizeSegments("ad\u200bministrator", { strict: true });
    expect(truncateSegments(segs, 9)).toEqual([{ text: "ad" }, { text: "‹ZWSP›", inert: true }, { text: "…" }]);
    expect(truncateSegments(segs, 100)).toEqual(segs);
    // A placeholder is never cut in half.
    expect(truncateSegments(segs, 6)).toEqual([{ text: "ad" }, { text: "…" }]);
    expect(truncateSegments([{ text: "abcdef" }, { text: "xyz" }], 5)).toEqual([{ text: "abcd" }, { text: "…" }]);
  });
});
