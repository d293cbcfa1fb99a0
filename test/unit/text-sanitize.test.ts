import fs from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { cleanOutgoing, sanitize, sanitizeSegments, type Segment, type SanitizeOptions } from "../../src/core/text/sanitize.js";

interface CorpusEntry {
  name: string;
  input: string;
  inert?: string[];
}
const corpus = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, "../fixtures/hostile/corpus.json"), "utf8"),
) as { hostile: CorpusEntry[]; legit: CorpusEntry[] };

const MODES: Array<[string, SanitizeOptions]> = [
  ["single-line", {}],
  ["multiline", { multiline: true }],
  ["strict", { strict: true }],
];

/** Controls a terminal acts on (TAB included: it must have been expanded). */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/u;
/** Bidi controls, zero-width/invisible format characters, line/paragraph separators. */
const INVISIBLE = /[\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/u;
const LONE_SURROGATE = /\p{Cs}/u;
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;
const TAG = /[\u{e0000}-\u{e007f}]/u;
const EXT_PICT = /\p{Extended_Pictographic}/u;
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const JOINING = ["Arab", "Deva", "Sinh", "Mlym", "Beng", "Syrc"].map((s) => new RegExp(`^\\p{scx=${s}}$`, "u"));

function joined(segs: Segment[]): string {
  return segs.map((s) => s.text).join("");
}

/** ZWJ/ZWNJ that survive must be justified, checked independently of the implementation. */
function unjustifiedJoiners(out: string): string[] {
  const bad: string[] = [];
  const cps = Array.from(out);
  cps.forEach((ch, k) => {
    if (ch !== "\u200d" && ch !== "\u200c") return;
    let p = k - 1;
    while (p >= 0 && /[\p{M}\p{Emoji_Modifier}]/u.test(cps[p]!)) p--;
    const prev = cps[p] ?? "";
    const next = cps[k + 1] ?? "";
    const emoji = ch === "\u200d" && EXT_PICT.test(prev) && EXT_PICT.test(next);
    const script = /\p{L}/u.test(prev) && /\p{L}/u.test(next) && JOINING.some((re) => re.test(prev) && re.test(next));
    if (!emoji && !script) bad.push(`${JSON.stringify(prev)}+${ch === "\u200d" ? "ZWJ" : "ZWNJ"}+${JSON.stringify(next)}`);
  });
  // An emoji ZWJ must also sit inside one grapheme cluster, never at a cluster's end.
  for (const { segment } of segmenter.segment(out)) {
    if (segment.endsWith("\u200d") && EXT_PICT.test(segment)) bad.push(`cluster ends with ZWJ: ${JSON.stringify(segment)}`);
  }
  return bad;
}

/** Tag characters are allowed only as a complete emoji tag sequence. */
function strayTags(out: string): boolean {
  const stripped = out.replace(/\p{Extended_Pictographic}\ufe0f?[\u{e0020}-\u{e007e}]+\u{e007f}/gu, "");
  return TAG.test(stripped);
}

function expectSafe(segs: Segment[], opts: SanitizeOptions): void {
  const out = joined(segs);
  expect(out).not.toMatch(CONTROL);
  if (!opts.multiline || opts.strict) expect(out).not.toContain("\n");
  expect(out).not.toMatch(INVISIBLE);
  expect(out).not.toMatch(LONE_SURROGATE);
  expect(out).not.toMatch(NONCHARACTER);
  expect(strayTags(out)).toBe(false);
  if (opts.strict) expect(out).not.toMatch(/[\u200c\u200d]/);
  else expect(unjustifiedJoiners(out)).toEqual([]);
  for (const s of segs) expect(s.text).not.toBe("");
  for (let k = 1; k < segs.length; k++) expect(segs[k]!.inert === true).not.toBe(segs[k - 1]!.inert === true);
  expect(sanitize(out, opts)).toBe(out); // idempotent: placeholders are themselves safe text
}

describe("sanitize: the hostile corpus", () => {
  for (const entry of corpus.hostile) {
    for (const [mode, opts] of MODES) {
      it(`${entry.name} (${mode})`, () => {
        const segs = sanitizeSegments(entry.input, opts);
        expectSafe(segs, opts);
        expect(sanitize(entry.input, opts)).toBe(joined(segs));
        // LS/PS are plain line breaks in a multiline body; everything else needs a placeholder.
        if (!(opts.multiline && entry.name === "LS and PS")) expect(segs.some((s) => s.inert)).toBe(true);
      });
    }
    if (entry.inert) {
      it(`${entry.name}: shows the expected inert placeholders`, () => {
        const inert = sanitizeSegments(entry.input).filter((s) => s.inert).map((s) => s.text);
        for (const piece of entry.inert!) expect(inert.some((t) => t.includes(piece)), `${piece} in ${JSON.stringify(inert)}`).toBe(true);
      });
    }
  }
});

describe("sanitize: legitimate text is untouched", () => {
  for (const entry of corpus.legit) {
    it(entry.name, () => {
      expect(sanitize(entry.input)).toBe(entry.input);
      expect(sanitize(entry.input, { multiline: true })).toBe(entry.input);
      expect(sanitizeSegments(entry.input, { multiline: true })).toEqual([{ text: entry.input }]);
    });
  }

  it("keeps multi-line bodies intact in multiline mode", () => {
    const body = "line one\nline two\n\n  indented ☺";
    expect(sanitizeSegments(body, { multiline: true })).toEqual([{ text: body }]);
  });

  it("identifiers without joiners or exotic spaces pass strict mode", () => {
    for (const id of ["juliet@capulet.lit/balcony", "Ñandú", "漢字", "🇫🇷 fan", "👍🏽", "José María"]) {
      expect(sanitize(id, { strict: true })).toBe(id);
    }
  });

  it("returns the very same string on the fast path", () => {
    const s = "nothing to see here ".repeat(50);
    expect(sanitize(s)).toBe(s);
    expect(sanitizeSegments("")).toEqual([]);
    expect(sanitize("")).toBe("");
  });
});

describe("sanitize: controls and escape sequences", () => {
  it("defuses a title change: ESC and BEL become pictures, the rest stays visible and inert", () => {
    expect(sanitizeSegments("hi \x1b]0;evil\x07 there")).toEqual([
      { text: "hi " },
      { text: "␛]0;evil␇", inert: true },
      { text: " there" },
    ]);
  });

  it("ends a CSI at its final byte; what follows is plain text again", () => {
    expect(sanitizeSegments("\x1b[31;1mred\x1b[0m!")).toEqual([
      { text: "␛[31;1m", inert: true },
      { text: "red" },
      { text: "␛[0m", inert: true },
      { text: "!" },
    ]);
  });

  it("ends an unterminated control string at the line break", () => {
    expect(sanitizeSegments("\x1b]0;evil\nnext line", { multiline: true })).toEqual([
      { text: "␛]0;evil", inert: true },
      { text: "\nnext line" },
    ]);
  });

  it("sanitises the body of a control string too", () => {
    expect(sanitize("\x1b]0;a\u202eb\x07")).toBe("␛]0;a‹RLO›b␇");
  });

  it("names C1 controls and defuses a bare C1 CSI", () => {
    expect(sanitizeSegments("\u009b2J\u0085x")).toEqual([{ text: "‹CSI›2J‹NEL›", inert: true }, { text: "x" }]);
    expect(sanitize("\u009d8;;http://evil\u009chere")).toBe("‹OSC›8;;http://evil‹ST›here");
  });

  it("maps every C0 control to its Control Picture", () => {
    for (let c = 0; c < 0x20; c++) {
      if (c === 0x09 || c === 0x0a || c === 0x0d || c === 0x1b) continue;
      expect(sanitizeSegments(`a${String.fromCharCode(c)}b`)).toEqual([
        { text: "a" },
        { text: String.fromCharCode(0x2400 + c), inert: true },
        { text: "b" },
      ]);
    }
    expect(sanitize("a\x7fb")).toBe("a␡b");
  });

  it("shows a carriage return instead of letting it overwrite the line", () => {
    expect(sanitizeSegments("good\rbad")).toEqual([{ text: "good" }, { text: "␍", inert: true }, { text: "bad" }]);
  });

  it("treats CRLF as one line break", () => {
    expect(sanitize("a\r\nb", { multiline: true })).toBe("a\nb");
    expect(sanitize("a\r\nb")).toBe("a⏎b");
    expect(sanitize("a\r\rb", { multiline: true })).toBe("a␍␍b");
  });

  it("shows backspaces instead of letting them erase", () => {
    expect(sanitize("abc\b\b\bxyz")).toBe("abc␈␈␈xyz");
  });

  it("keeps newlines only in multiline mode", () => {
    expect(sanitizeSegments("a\nb")).toEqual([{ text: "a" }, { text: "⏎", inert: true }, { text: "b" }]);
    expect(sanitize("a\nb", { multiline: true })).toBe("a\nb");
    expect(sanitize("a\nb", { multiline: true, strict: true })).toBe("a⏎b");
  });

  it("turns LS/PS into line breaks in multiline mode and placeholders otherwise", () => {
    expect(sanitize("a\u2028b\u2029c", { multiline: true })).toBe("a\nb\nc");
    expect(sanitize("a\u2028b\u2029c")).toBe("a‹LS›b‹PS›c");
  });
});

describe("sanitize: tabs", () => {
  it("expands to the next tab stop, counting columns from the last newline", () => {
    expect(sanitize("a\tb")).toBe(`a${" ".repeat(7)}b`);
    expect(sanitize("abcdefgh\tb")).toBe(`abcdefgh${" ".repeat(8)}b`);
    expect(sanitize("a\tb\tc\nxx\ty", { multiline: true })).toBe(`a${" ".repeat(7)}b${" ".repeat(7)}c\nxx${" ".repeat(6)}y`);
  });

  it("counts display columns (wide characters, placeholders)", () => {
    expect(sanitize("漢\tx")).toBe(`漢${" ".repeat(6)}x`);
    expect(sanitize("\x07\tx")).toBe(`␇${" ".repeat(7)}x`);
  });

  it("honours tabWidth", () => {
    expect(sanitize("a\tb", { tabWidth: 4 })).toBe("a   b");
    expect(sanitize("\t", { tabWidth: 0 })).toBe(" ".repeat(8));
  });

  it("is a placeholder in strict mode", () => {
    expect(sanitizeSegments("nick\tname", { strict: true })).toEqual([{ text: "nick" }, { text: "␉", inert: true }, { text: "name" }]);
  });
});

describe("sanitize: format characters", () => {
  it("shows RLO in a file name", () => {
    expect(sanitizeSegments("invoice\u202efdp.exe")).toEqual([{ text: "invoice" }, { text: "‹RLO›", inert: true }, { text: "fdp.exe" }]);
  });

  it("shows a zero-width space inside a JID-like string, in every mode", () => {
    for (const [, opts] of MODES) expect(sanitize("ad\u200bmin@example.org", opts)).toBe("ad‹ZWSP›min@example.org");
  });

  it("names the bidi controls", () => {
    expect(sanitize("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")).toBe(
      "‹LRE›‹RLE›‹PDF›‹LRO›‹RLO›‹LRI›‹RLI›‹FSI›‹PDI›‹LRM›‹RLM›‹ALM›",
    );
  });

  it("uses ‹U+XXXX› for unnamed ones", () => {
    expect(sanitize("\u2062\ufdd0\u{10ffff}")).toBe("‹U+2062›‹U+FDD0›‹U+10FFFF›");
  });

  it("replaces lone surrogates with U+FFFD, keeps valid pairs", () => {
    expect(sanitizeSegments("a\ud83db")).toEqual([{ text: "a" }, { text: "\ufffd", inert: true }, { text: "b" }]);
    expect(sanitize("😀\udc00")).toBe("😀\ufffd");
  });

  it("drops a ZWSP word-break hint between Thai letters, but not in strict mode", () => {
    expect(sanitize("สวัสดี\u200bครับ")).toBe("สวัสดีครับ");
    expect(sanitize("สวัสดี\u200bครับ", { strict: true })).toBe("สวัสดี‹ZWSP›ครับ");
  });

  it("turns exotic spaces and invisible fillers into placeholders in strict mode only", () => {
    expect(sanitize("alice\u00a0", { strict: true })).toBe("alice‹NBSP›");
    expect(sanitize("\u3164\u3164", { strict: true })).toBe("‹U+3164›‹U+3164›");
    expect(sanitize("a\u2003b", { strict: true })).toBe("a‹U+2003›b");
    expect(sanitize("alice\u00a0")).toBe("alice\u00a0");
  });
});

describe("sanitize: ZWJ, ZWNJ and tag characters", () => {
  const family = "👨\u200d👩\u200d👧";

  it("keeps ZWJ inside emoji ZWJ sequences", () => {
    for (const s of [family, "🏳\ufe0f\u200d🌈", "👩🏽\u200d💻", "🏃🏿\u200d♀\ufe0f", "❤\ufe0f\u200d🔥"]) expect(sanitize(s)).toBe(s);
  });

  it("keeps ZWJ/ZWNJ between letters of a joining script", () => {
    for (const s of ["می\u200cخواهم", "क्\u200dष", "क्\u200cष", "ශ්\u200dරී", "ܐ\u200dܒ"]) expect(sanitize(s)).toBe(s);
  });

  it("shows joiners everywhere else", () => {
    expect(sanitize("pay\u200dpal")).toBe("pay‹ZWJ›pal");
    expect(sanitize("pay\u200cpal")).toBe("pay‹ZWNJ›pal");
    expect(sanitize("👨\u200d")).toBe("👨‹ZWJ›");
    expect(sanitize("\u200d👨")).toBe("‹ZWJ›👨");
    expect(sanitize("👨\u200da")).toBe("👨‹ZWJ›a");
    expect(sanitize("ب\u200cx")).toBe("ب‹ZWNJ›x"); // Arabic then Latin: nothing to join
    expect(sanitize("👨\u200d\u200d👩")).toBe("👨‹ZWJ›‹ZWJ›👩");
  });

  it("never keeps a joiner in strict mode", () => {
    expect(sanitizeSegments(family, { strict: true })).toEqual([
      { text: "👨" },
      { text: "‹ZWJ›", inert: true },
      { text: "👩" },
      { text: "‹ZWJ›", inert: true },
      { text: "👧" },
    ]);
    expect(sanitize("می\u200cخواهم", { strict: true })).toBe("می‹ZWNJ›خواهم");
  });

  it("keeps every kept emoji ZWJ inside a single grapheme cluster", () => {
    const out = sanitize(`${family} x\u200dy 🏳\ufe0f\u200d🌈`);
    const clusters = Array.from(segmenter.segment(out), (s) => s.segment);
    expect(clusters).toContain(family);
    expect(clusters).toContain("🏳\ufe0f\u200d🌈");
  });

  it("keeps tag characters only inside an emoji tag sequence", () => {
    const scotland = "🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}";
    expect(sanitize(scotland)).toBe(scotland);
    expect(sanitize(scotland, { strict: true })).toBe(scotland);
    expect(sanitize("hi\u{e0041}\u{e007f}")).toBe("hi‹U+E0041›‹U+E007F›");
    expect(sanitize("🏴\u{e0067}\u{e0062}")).toBe("🏴‹U+E0067›‹U+E0062›");
    expect(sanitize(`${scotland}\u{e0067}\u{e007f}`)).toBe(`${scotland}‹U+E0067›‹U+E007F›`);
  });
});

describe("sanitize: invariants on random hostile input", () => {
  // Deterministic PRNG (mulberry32) so a failure is reproducible.
  function rng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const alphabet = [
    "a", "b", " ", "*", "[", "]", ";", "\\", "0", "m", "\x1b", "\x07", "\x9b", "\x9c", "\x9d", "\x85", "\r", "\n", "\t", "\b", "\x00", "\x7f",
    "\u200b", "\u200c", "\u200d", "\u202e", "\u2066", "\u2028", "\ufeff", "\u00ad", "\ud800", "\udc00", "\ufffe", "\u{e0041}", "\u{e007f}",
    "👨", "🏴", "\ufe0f", "🏽", "ب", "ی", "क", "्", "漢", "é", "\u0301", "ส", "\u00a0", "\u3164",
  ];
  const random = rng(0x5eed);
  const inputs = Array.from({ length: 1500 }, () => {
    const len = 1 + Math.floor(random() * 24);
    let s = "";
    for (let k = 0; k < len; k++) s += alphabet[Math.floor(random() * alphabet.length)];
    return s;
  });

  for (const [mode, opts] of MODES) {
    it(`never lets anything through (${mode})`, () => {
      for (const input of inputs) {
        const segs = sanitizeSegments(input, opts);
        try {
          expectSafe(segs, opts);
        } catch (err) {
          throw new Error(`input ${JSON.stringify(input)}: ${(err as Error).message}`);
        }
      }
    });
  }
});

describe("sanitize: cost on big hostile bodies", () => {
  it("stays linear on 256 KiB of escape sequences, joiners, tabs and format characters", () => {
    const unit = "ab\x1b]0;t\x07\u200d👨\u200d👩\tc\u202e\x1b[2J\u009b1m\u{e0041}ب\u200cی\r\n";
    const body = unit.repeat(Math.floor((256 * 1024) / Buffer.byteLength(unit)));
    const started = performance.now();
    for (const [, opts] of MODES) {
      // Only regex checks here: the Intl.Segmenter oracle of expectSafe is itself quadratic.
      const out = joined(sanitizeSegments(body, opts));
      expect(out).not.toMatch(CONTROL);
      expect(out).not.toMatch(INVISIBLE);
      expect(strayTags(out)).toBe(false);
      expect(out.includes("\n")).toBe(opts.multiline === true);
    }
    // Linear work: well under a second here. A quadratic step would take minutes.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("stays linear on a single huge unterminated control string and on huge clusters", () => {
    const osc = `\x1b]52;c;${"QUJD".repeat(60_000)}`;
    expect(sanitizeSegments(osc)).toEqual([{ text: `␛]52;c;${"QUJD".repeat(60_000)}`, inert: true }]);
    const zalgo = `a${"\u0301".repeat(200_000)}\t\u200d`;
    expect(sanitize(zalgo)).toBe(`a${"\u0301".repeat(200_000)}${" ".repeat(7)}‹ZWJ›`);
  });
});

describe("cleanOutgoing", () => {
  it("leaves ordinary text alone (the same string)", () => {
    const s = "hello\tworld\nsecond line ☺ 漢字 \u202e kept";
    expect(cleanOutgoing(s)).toBe(s);
  });

  it("removes pasted ANSI colour sequences entirely", () => {
    expect(cleanOutgoing("\x1b[31mred\x1b[0m and \x1b[1;4mbold\x1b[m")).toBe("red and bold");
  });

  it("removes OSC strings with their payload, and bracketed-paste markers", () => {
    expect(cleanOutgoing("a\x1b]0;title\x07b\x1b]52;c;ZXZpbA==\x1b\\c")).toBe("abc");
    expect(cleanOutgoing("\x1b[200~pasted\x1b[201~")).toBe("pasted");
    expect(cleanOutgoing("x\x1bcy\x1b(Bz")).toBe("xyz");
  });

  it("removes C1 controls and C1 sequences", () => {
    expect(cleanOutgoing("a\u009b31mb\u0085c\u009d0;t\u009cd")).toBe("abcd");
  });

  it("removes C0 controls but newline and tab, and DEL", () => {
    expect(cleanOutgoing("a\x00b\x07c\bd\x7fe\tf\ng")).toBe("abcde\tf\ng");
  });

  it("turns CRLF and lone CR (how terminals deliver pasted line breaks) into LF", () => {
    expect(cleanOutgoing("one\r\ntwo\rthree")).toBe("one\ntwo\nthree");
  });

  it("drops a lone ESC at the end", () => {
    expect(cleanOutgoing("text\x1b")).toBe("text");
  });
});
