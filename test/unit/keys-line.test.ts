import { describe, expect, test } from "vitest";

import {
  graphemes,
  initialLineState,
  isBoundary,
  lineReducer,
  submit,
  type CompletionResult,
  type LineAction,
  type LineEdit,
  type LineState,
} from "../../src/ui/input/line.js";

/** A state with `text` and the cursor where "|" is (or at the end). */
function st(marked: string, history: string[] = []): LineState {
  const at = marked.indexOf("|");
  const text = at < 0 ? marked : marked.slice(0, at) + marked.slice(at + 1);
  return lineReducer(initialLineState(history), { type: "set-text", text, cursor: at < 0 ? text.length : at });
}

/** Text with "|" at the cursor. */
const show = (s: LineState): string => `${s.text.slice(0, s.cursor)}|${s.text.slice(s.cursor)}`;

function run(s: LineState, ...actions: (LineAction | LineEdit)[]): LineState {
  for (const a of actions) s = lineReducer(s, typeof a === "string" ? ({ type: a } as LineAction) : a);
  return s;
}

const ins = (text: string): LineAction => ({ type: "insert", text });
const complete = (r?: CompletionResult): LineAction => ({ type: "complete", result: r });

describe("insert", () => {
  test("inserts at the cursor and moves it after the text", () => {
    expect(show(run(st("ad|"), "move-left", ins("bc")))).toBe("abc|d");
  });

  test("a paste normalises \\r\\n and \\r to \\n and keeps the text", () => {
    expect(run(st(""), ins("a\r\nb\rc\n")).text).toBe("a\nb\nc\n");
    expect(run(st(""), ins("hello\r")).text).toBe("hello\n");
  });

  test("escape sequences and control characters never enter the buffer; tabs stay", () => {
    expect(run(st(""), ins("a\x1b[31mred\x1b[0m\x07\x00\x7f\u009bz\tq")).text).toBe("aredz\tq");
  });

  test("an insert that is all controls changes nothing", () => {
    const s = st("ab|");
    expect(run(s, ins("\x1b[A\x07"))).toBe(s);
  });
});

describe("graphemes: the cursor never lands inside one", () => {
  const samples = [
    ["emoji with skin tone", "👍🏽"],
    ["ZWJ family", "👨‍👩‍👧"],
    ["flag", "🇫🇷"],
    ["combining acute", "e\u0301"],
    ["several combining marks", "a\u0308\u0301"],
    ["CJK", "漢"],
    ["Hangul jamo", "\u1100\u1161\u11a8"],
    ["keycap", "1\ufe0f\u20e3"],
  ] as const;

  test.each(samples)("%s: left/right/backspace/delete move and delete the whole cluster", (_n, g) => {
    const text = `a${g}b`;
    let s = st(text);
    s = run(s, "move-left");
    expect(s.cursor).toBe(1 + g.length);
    s = run(s, "move-left");
    expect(s.cursor).toBe(1);
    s = run(s, "move-right");
    expect(s.cursor).toBe(1 + g.length);
    expect(show(run(s, "delete-back"))).toBe("a|b");
    expect(show(run(s, "move-left", "delete-forward"))).toBe("a|b");
  });

  test("the cursor stays on a boundary through random edits (emoji, CJK, combining marks)", () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = ["👍🏽", "👨‍👩‍👧", "🇫🇷", "e\u0301", "\u0301", "漢字", "x", " ", ".", "\n", "\u200d", "🇩"];
    const edits: LineEdit[] = [
      "move-left", "move-right", "move-word-left", "move-word-right", "move-start", "move-end", "delete-back",
      "delete-forward", "kill-word-back", "kill-space-word-back", "kill-word-forward", "kill-to-end", "kill-to-start",
      "yank", "transpose", "history-prev", "history-next", "newline",
    ];
    let s = initialLineState(["old 👍🏽", "漢字 e\u0301"]);
    for (let i = 0; i < 3000; i++) {
      const r = rand(3);
      s = r === 0 ? run(s, ins(pieces[rand(pieces.length)]!)) : run(s, edits[rand(edits.length)]!);
      expect(isBoundary(s.text, s.cursor), `step ${i}: ${JSON.stringify(show(s))}`).toBe(true);
      expect(s.cursor).toBeGreaterThanOrEqual(0);
      expect(s.cursor).toBeLessThanOrEqual(s.text.length);
    }
  });

  test("typing a combining mark after a letter joins it; the cursor stays after the cluster", () => {
    const s = run(st(""), ins("e"), ins("\u0301"), ins("x"));
    expect(s.text).toBe("e\u0301x");
    expect(graphemes(s.text).map((g) => g.text)).toEqual(["e\u0301", "x"]);
    expect(show(run(s, "move-left", "move-left"))).toBe("|e\u0301x");
  });
});

describe("moves", () => {
  test("C-a / C-e go to the start and end (of the logical line)", () => {
    expect(show(run(st("ab|cd"), "move-start"))).toBe("|abcd");
    expect(show(run(st("ab|cd"), "move-end"))).toBe("abcd|");
    expect(show(run(st("one\ntw|o\nthree"), "move-start"))).toBe("one\n|two\nthree");
    expect(show(run(st("one\ntw|o\nthree"), "move-end"))).toBe("one\ntwo|\nthree");
  });

  test("left/right stop at the ends", () => {
    expect(show(run(st("|ab"), "move-left"))).toBe("|ab");
    expect(show(run(st("ab|"), "move-right"))).toBe("ab|");
  });

  test("word moves stop on whitespace and punctuation", () => {
    const s = st("hello, wörld-foo  bar|");
    const lefts: string[] = [];
    let t = s;
    for (let i = 0; i < 5; i++) lefts.push(show((t = run(t, "move-word-left"))));
    expect(lefts).toEqual(["hello, wörld-foo  |bar", "hello, wörld-|foo  bar", "hello, |wörld-foo  bar", "|hello, wörld-foo  bar", "|hello, wörld-foo  bar"]);
    const rights: string[] = [];
    for (let i = 0; i < 5; i++) rights.push(show((t = run(t, "move-word-right"))));
    expect(rights).toEqual(["hello|, wörld-foo  bar", "hello, wörld|-foo  bar", "hello, wörld-foo|  bar", "hello, wörld-foo  bar|", "hello, wörld-foo  bar|"]);
  });

  test("word moves treat CJK runs and emoji as words", () => {
    expect(show(run(st("漢字 👍🏽 ok|"), "move-word-left", "move-word-left"))).toBe("漢字 |👍🏽 ok");
    expect(show(run(st("|漢字 x"), "move-word-right"))).toBe("漢字| x");
  });
});

describe("kill and yank", () => {
  test("C-k kills to the end, C-y yanks it back", () => {
    const s = run(st("hello |world"), "kill-to-end");
    expect(show(s)).toBe("hello |");
    expect(s.killRing).toEqual(["world"]);
    expect(show(run(s, "move-start", "yank"))).toBe("world|hello ");
  });

  test("C-u kills to the start", () => {
    const s = run(st("hello |world"), "kill-to-start");
    expect(show(s)).toBe("|world");
    expect(s.killRing).toEqual(["hello "]);
  });

  test("C-w kills back to whitespace; M-Backspace kills a word (punctuation separates)", () => {
    expect(show(run(st("see http://x.org/a|"), "kill-space-word-back"))).toBe("see |");
    expect(show(run(st("see http://x.org/a  |"), "kill-space-word-back"))).toBe("see |");
    expect(show(run(st("see http://x.org/a|"), "kill-word-back"))).toBe("see http://x.org/|");
  });

  test("M-d kills the word after the cursor", () => {
    const s = run(st("a| big, word"), "kill-word-forward");
    expect(show(s)).toBe("a|, word");
    expect(s.killRing).toEqual([" big"]);
  });

  test("consecutive kills append into one entry; any other action starts a new one", () => {
    let s = run(st("one two three|"), "kill-space-word-back", "kill-space-word-back");
    expect(s.killRing).toEqual(["two three"]);
    expect(show(s)).toBe("one |");
    s = run(st("|one two three"), "kill-word-forward", "kill-word-forward");
    expect(show(s)).toBe("| three");
    expect(s.killRing).toEqual(["one two"]);
    s = run(s, "yank");
    expect(show(s)).toBe("one two| three");
    s = run(st("ab|cd"), "kill-to-end", "move-left", "kill-to-end");
    expect(s.killRing).toEqual(["cd", "b"]);
  });

  test("C-k at the end of a line kills the line break; C-u at a line start too", () => {
    expect(show(run(st("ab|\ncd"), "kill-to-end"))).toBe("ab|cd");
    expect(show(run(st("ab\n|cd"), "kill-to-start"))).toBe("ab|cd");
  });

  test("yank with an empty ring does nothing", () => {
    const s = st("x|");
    expect(run(s, "yank")).toBe(s);
  });
});

describe("transpose", () => {
  test("swaps around the cursor and moves forward; at the end swaps the last two", () => {
    expect(show(run(st("ab|cd"), "transpose"))).toBe("acb|d");
    expect(show(run(st("abcd|"), "transpose"))).toBe("abdc|");
    expect(show(run(st("|ab"), "transpose"))).toBe("|ab");
    expect(show(run(st("a|"), "transpose"))).toBe("a|");
  });

  test("swaps whole graphemes", () => {
    expect(show(run(st("e\u0301👍🏽|"), "transpose"))).toBe("👍🏽e\u0301|");
    expect(show(run(st("漢|🇫🇷x"), "transpose"))).toBe("🇫🇷漢|x");
  });
});

describe("history", () => {
  test("Up/Down walk the history and keep the draft", () => {
    let s = st("draft|", ["first", "second"]);
    s = run(s, "history-prev");
    expect(show(s)).toBe("second|");
    s = run(s, "history-prev");
    expect(show(s)).toBe("first|");
    s = run(s, "history-prev");
    expect(show(s)).toBe("first|");
    s = run(s, "history-next", "history-next");
    expect(show(s)).toBe("draft|");
    s = run(s, "history-next");
    expect(show(s)).toBe("draft|");
  });

  test("submit returns the line, pushes it, resets; not blank lines nor repeats", () => {
    let s = run(st(""), ins("hello"));
    const r = submit(s);
    expect(r.line).toBe("hello");
    expect(r.state.text).toBe("");
    expect(r.state.cursor).toBe(0);
    expect(r.state.history).toEqual(["hello"]);
    s = run(r.state, ins("hello"), "submit", ins("   "), "submit", "submit", ins("x"), "submit");
    expect(s.history).toEqual(["hello", "x"]);
    expect(s.historyIndex).toBe(2);
  });

  test("submit drops trailing newlines: a pasted \"hello\\r\" then Enter sends \"hello\"", () => {
    const s = run(st(""), ins("hello\r"));
    expect(submit(s).line).toBe("hello");
    expect(submit(run(st(""), ins("a\nb"))).line).toBe("a\nb");
  });

  test("submitting a recalled entry resets the browsing position and the draft", () => {
    const s = run(st("draft", ["a", "b"]), "history-prev", "history-prev", "submit");
    expect(s.history).toEqual(["a", "b", "a"]);
    expect(s.text).toBe("");
    expect(s.draft).toBe("");
    expect(run(s, "history-prev").text).toBe("a");
  });

  test("in a multi-line buffer Up/Down move between lines first", () => {
    let s = st("one\ntwo\nthr|ee", ["old"]);
    s = run(s, "history-prev");
    expect(show(s)).toBe("one\ntwo|\nthree");
    s = run(s, "history-prev");
    expect(show(s)).toBe("one|\ntwo\nthree");
    s = run(s, "history-prev");
    expect(show(s)).toBe("old|");
    s = run(s, "history-next");
    expect(s.text).toBe("one\ntwo\nthree");
  });

  test("vertical moves keep the display column (wide characters count 2)", () => {
    expect(show(run(st("漢字x\nabc|d"), "history-prev"))).toBe("漢|字x\nabcd");
  });

  test("set-history switches the list and leaves the text", () => {
    const s = run(st("typing", ["a"]), { type: "set-history", history: ["x", "y"] }, "history-prev");
    expect(s.text).toBe("y");
    expect(run(s, "history-next").text).toBe("typing");
  });
});

describe("completion", () => {
  const nicks = (s: LineState): CompletionResult => {
    const from = s.text.lastIndexOf(" ", s.cursor - 1) + 1;
    const word = s.text.slice(from, s.cursor).toLowerCase();
    return { from, to: s.cursor, candidates: ["alice", "alfred", "bob", "Albert"].filter((n) => n.toLowerCase().startsWith(word)).sort() };
  };

  test("a single candidate is inserted", () => {
    const s = st("hi bo|");
    expect(show(run(s, complete(nicks(s))))).toBe("hi bob|");
  });

  test("common prefix first, then cycling with wrap-around", () => {
    let s = st("hi a|");
    const r: CompletionResult = { from: 3, to: 4, candidates: ["alfred", "alice"] };
    s = run(s, complete(r));
    expect(show(s)).toBe("hi al|");
    s = run(s, complete());
    expect(show(s)).toBe("hi alfred|");
    s = run(s, complete());
    expect(show(s)).toBe("hi alice|");
    s = run(s, complete());
    expect(show(s)).toBe("hi alfred|");
    s = run(s, { type: "complete-prev" });
    expect(show(s)).toBe("hi alice|");
  });

  test("when the prefix brings nothing the first Tab shows the first candidate", () => {
    let s = st("hi al|");
    s = run(s, complete(nicks(s)));
    expect(show(s)).toBe("hi Albert|");
    s = run(s, complete(), complete());
    expect(show(s)).toBe("hi alice|");
  });

  test("a new result is ignored while a cycle runs: the cycle goes on", () => {
    let s = run(st("x|"), complete({ from: 0, to: 1, candidates: ["xa", "xb"] }));
    s = run(s, complete({ from: 0, to: 1, candidates: ["zzz"] }));
    expect(s.text).toBe("xb");
  });

  test("any other action ends the cycle and keeps the candidate", () => {
    let s = run(st("x|"), complete({ from: 0, to: 1, candidates: ["xa", "xb"] }));
    expect(s.completion).toBeDefined();
    s = run(s, ins(" "));
    expect(s.completion).toBeUndefined();
    expect(show(s)).toBe("xa |");
    s = run(s, complete());
    expect(show(s)).toBe("xa |");
    s = run(st("x|"), complete({ from: 0, to: 1, candidates: ["xa", "xb"] }), "move-left");
    expect(s.completion).toBeUndefined();
  });

  test("completion in the middle of the line replaces only the word", () => {
    const s = run(st("/jo|  tail"), complete({ from: 1, to: 3, candidates: ["join"] }));
    expect(show(s)).toBe("/join|  tail");
  });

  test("no candidates: nothing changes", () => {
    const s = st("zz|");
    expect(run(s, complete({ from: 0, to: 2, candidates: [] })).text).toBe("zz");
    expect(run(s, complete()).text).toBe("zz");
  });
});
