import { describe, expect, test } from "vitest";

import { createKeyParser, parseKeys, type KeyEvent } from "../../src/ui/input/keys.js";

const ESC = "\x1b";
const k = (name: string, mods: { ctrl?: boolean; alt?: boolean; shift?: boolean } = {}): KeyEvent => ({ type: "key", name, ...mods });
const text = (t: string): KeyEvent => ({ type: "text", text: t });
const paste = (t: string): KeyEvent => ({ type: "paste", text: t });

/** Adjacent text events merged: how many text events a run gives depends on the chunking. */
function merged(events: KeyEvent[]): KeyEvent[] {
  const out: KeyEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e.type === "text" && last?.type === "text") out[out.length - 1] = text(last.text + e.text);
    else out.push(e);
  }
  return out;
}

/** Feeds `chunks` one by one (no flush in between), then flushes. */
function feedAll(chunks: string[]): KeyEvent[] {
  const p = createKeyParser();
  const out: KeyEvent[] = [];
  for (const c of chunks) out.push(...p.feed(c));
  out.push(...p.flush());
  return out;
}

describe("single keys", () => {
  const cases: [string, string, KeyEvent[]][] = [
    ["Enter (CR)", "\r", [k("enter")]],
    ["C-j / LF: Enter with ctrl", "\n", [k("enter", { ctrl: true })]],
    ["Tab", "\t", [k("tab")]],
    ["Shift-Tab", `${ESC}[Z`, [k("tab", { shift: true })]],
    ["Backspace DEL", "\x7f", [k("backspace")]],
    ["Backspace ^H", "\x08", [k("backspace")]],
    ["Delete", `${ESC}[3~`, [k("delete")]],
    ["Insert", `${ESC}[2~`, [k("insert")]],
    ["Up", `${ESC}[A`, [k("up")]],
    ["Down", `${ESC}[B`, [k("down")]],
    ["Right", `${ESC}[C`, [k("right")]],
    ["Left", `${ESC}[D`, [k("left")]],
    ["Up (application mode)", `${ESC}OA`, [k("up")]],
    ["Left (application mode)", `${ESC}OD`, [k("left")]],
    ["Home ESC[H", `${ESC}[H`, [k("home")]],
    ["End ESC[F", `${ESC}[F`, [k("end")]],
    ["Home ESC[1~", `${ESC}[1~`, [k("home")]],
    ["End ESC[4~", `${ESC}[4~`, [k("end")]],
    ["Home ESC OH", `${ESC}OH`, [k("home")]],
    ["End ESC OF", `${ESC}OF`, [k("end")]],
    ["Home rxvt ESC[7~", `${ESC}[7~`, [k("home")]],
    ["End rxvt ESC[8~", `${ESC}[8~`, [k("end")]],
    ["PgUp", `${ESC}[5~`, [k("pageup")]],
    ["PgDn", `${ESC}[6~`, [k("pagedown")]],
    ["Ctrl-PgUp", `${ESC}[5;5~`, [k("pageup", { ctrl: true })]],
    ["Ctrl-PgDn", `${ESC}[6;5~`, [k("pagedown", { ctrl: true })]],
    ["Ctrl-PgUp rxvt", `${ESC}[5^`, [k("pageup", { ctrl: true })]],
    ["Alt-Left CSI", `${ESC}[1;3D`, [k("left", { alt: true })]],
    ["Alt-Right CSI", `${ESC}[1;3C`, [k("right", { alt: true })]],
    ["Alt-Left ESC-prefixed", `${ESC}${ESC}[D`, [k("left", { alt: true })]],
    ["Alt-Right ESC-prefixed", `${ESC}${ESC}[C`, [k("right", { alt: true })]],
    ["Alt-b (Emacs word left, Option-Left on macOS)", `${ESC}b`, [k("b", { alt: true })]],
    ["Alt-f", `${ESC}f`, [k("f", { alt: true })]],
    ["Ctrl-Left", `${ESC}[1;5D`, [k("left", { ctrl: true })]],
    ["Ctrl-Right", `${ESC}[1;5C`, [k("right", { ctrl: true })]],
    ["Shift-Up", `${ESC}[1;2A`, [k("up", { shift: true })]],
    ["Ctrl-Alt-Shift-Up", `${ESC}[1;8A`, [k("up", { ctrl: true, alt: true, shift: true })]],
    ["Ctrl-Home", `${ESC}[1;5H`, [k("home", { ctrl: true })]],
    ["Ctrl-End", `${ESC}[1;5F`, [k("end", { ctrl: true })]],
    ["Ctrl-Delete", `${ESC}[3;5~`, [k("delete", { ctrl: true })]],
    ["Alt-Enter", `${ESC}\r`, [k("enter", { alt: true })]],
    ["Alt-Backspace", `${ESC}\x7f`, [k("backspace", { alt: true })]],
    ["Ctrl-Alt-a", `${ESC}\x01`, [k("a", { ctrl: true, alt: true })]],
    ["Alt-A (capital)", `${ESC}A`, [k("a", { alt: true, shift: true })]],
    ["Alt-space", `${ESC} `, [k("space", { alt: true })]],
    ["Alt-emoji", `${ESC}😀`, [k("😀", { alt: true })]],
    ["Ctrl-space", "\x00", [k("space", { ctrl: true })]],
    ["Ctrl-_", "\x1f", [k("_", { ctrl: true })]],
    ["Shift-Enter (CSI u)", `${ESC}[13;2u`, [k("enter", { shift: true })]],
    ["Ctrl-Enter (modifyOtherKeys)", `${ESC}[27;5;13~`, [k("enter", { ctrl: true })]],
    ["keypad Enter", `${ESC}OM`, [k("enter")]],
  ];
  test.each(cases)("%s", (_name, input, expected) => {
    expect(parseKeys(input)).toEqual(expected);
  });

  test("Ctrl-<letter> 0x01-0x1a, with C-h = Backspace, C-i = Tab, C-j = Enter+ctrl, C-m = Enter", () => {
    for (let code = 1; code <= 26; code++) {
      const letter = String.fromCharCode(code + 0x60);
      const expected =
        letter === "h" ? k("backspace") : letter === "i" ? k("tab") : letter === "j" ? k("enter", { ctrl: true }) : letter === "m" ? k("enter") : k(letter, { ctrl: true });
      expect(parseKeys(String.fromCharCode(code)), `0x${code.toString(16)}`).toEqual([expected]);
    }
  });

  test("Alt-<char> for digits 1-9 and letters", () => {
    for (const c of "123456789") expect(parseKeys(ESC + c)).toEqual([k(c, { alt: true })]);
    for (const c of "abcdefghijklmnopqrstuvwxyz") expect(parseKeys(ESC + c)).toEqual([k(c, { alt: true })]);
  });

  test("F1-F12 in their xterm, vt220 and Linux console forms, with modifiers", () => {
    const xterm = [`${ESC}OP`, `${ESC}OQ`, `${ESC}OR`, `${ESC}OS`, `${ESC}[15~`, `${ESC}[17~`, `${ESC}[18~`, `${ESC}[19~`, `${ESC}[20~`, `${ESC}[21~`, `${ESC}[23~`, `${ESC}[24~`];
    xterm.forEach((seq, i) => expect(parseKeys(seq), JSON.stringify(seq)).toEqual([k(`f${i + 1}`)]));
    [`${ESC}[11~`, `${ESC}[12~`, `${ESC}[13~`, `${ESC}[14~`].forEach((seq, i) => expect(parseKeys(seq)).toEqual([k(`f${i + 1}`)]));
    [`${ESC}[[A`, `${ESC}[[B`, `${ESC}[[C`, `${ESC}[[D`, `${ESC}[[E`].forEach((seq, i) => expect(parseKeys(seq)).toEqual([k(`f${i + 1}`)]));
    expect(parseKeys(`${ESC}[1;2P`)).toEqual([k("f1", { shift: true })]);
    expect(parseKeys(`${ESC}[15;5~`)).toEqual([k("f5", { ctrl: true })]);
  });
});

describe("text", () => {
  test("printable runs are grouped, control characters split them", () => {
    expect(parseKeys("hello world")).toEqual([text("hello world")]);
    expect(parseKeys(`ab${ESC}[Dc\rd`)).toEqual([text("ab"), k("left"), text("c"), k("enter"), text("d")]);
  });

  test("non-ASCII text, emoji and combining marks pass whole", () => {
    expect(parseKeys("héllo 漢字 👨‍👩‍👧 e\u0301")).toEqual([text("héllo 漢字 👨‍👩‍👧 e\u0301")]);
  });

  test("a typed (not bracketed) \"text\\r\" is text then Enter", () => {
    expect(parseKeys("text\r")).toEqual([text("text"), k("enter")]);
  });

  test("C1 controls never become text", () => {
    expect(parseKeys("a\u009b31mb\u0085")).toEqual([text("a"), text("31mb")]);
  });
});

describe("escape", () => {
  test("a lone ESC waits: feed gives nothing, flush gives Escape", () => {
    const p = createKeyParser();
    expect(p.feed(ESC)).toEqual([]);
    expect(p.hasPending()).toBe(true);
    expect(p.flush()).toEqual([k("escape")]);
    expect(p.hasPending()).toBe(false);
    expect(p.flush()).toEqual([]);
  });

  test("ESC completed by the next chunk before a flush is a sequence, not Escape", () => {
    const p = createKeyParser();
    expect(p.feed(`x${ESC}`)).toEqual([text("x")]);
    expect(p.feed("[A")).toEqual([k("up")]);
    expect(p.flush()).toEqual([]);
  });

  test("ESC then text after the timeout: Escape, then the text", () => {
    const p = createKeyParser();
    p.feed(ESC);
    expect(p.flush()).toEqual([k("escape")]);
    expect(p.feed("b")).toEqual([text("b")]);
  });

  test("ESC ESC is two Escapes at flush; ESC ESC + char is Escape then Alt-char", () => {
    expect(parseKeys(ESC + ESC)).toEqual([k("escape"), k("escape")]);
    expect(parseKeys(`${ESC}${ESC}x`)).toEqual([k("escape"), k("x", { alt: true })]);
  });

  test("incomplete sequences at flush: ESC [ and ESC O are Alt-[ / Alt-O, longer ones are dropped", () => {
    expect(parseKeys(`${ESC}[`)).toEqual([k("[", { alt: true })]);
    expect(parseKeys(`${ESC}O`)).toEqual([k("o", { alt: true, shift: true })]);
    expect(parseKeys(`${ESC}[1;5`)).toEqual([]);
    expect(parseKeys(`a${ESC}[2`)).toEqual([text("a")]);
  });

  test("unknown sequences are swallowed, never inserted as text", () => {
    for (const seq of [
      `${ESC}[I`, // focus in
      `${ESC}[O`, // focus out
      `${ESC}[99~`,
      `${ESC}[?1;2c`, // device attributes reply
      `${ESC}[>0;276;0c`,
      `${ESC}[<0;12;5M`, // SGR mouse
      `${ESC}[12;40R`, // cursor position report (no params form is F3)
      `${ESC}]11;rgb:0000/0000/0000${ESC}\\`, // OSC reply with ST
      `${ESC}]0;title\x07`, // OSC with BEL
      `${ESC}P1$r0m${ESC}\\`, // DCS
      `${ESC}OX`,
      `${ESC}[1;5X`,
    ]) {
      expect(parseKeys(`a${seq}b`), JSON.stringify(seq)).toEqual([text("a"), text("b")]);
    }
  });

  test("a garbage CSI without a final byte is dropped after a while, not kept forever", () => {
    const p = createKeyParser();
    expect(p.feed(`${ESC}[${"1".repeat(100)}`)).toEqual([]);
    expect(p.feed("x")).toEqual([text("x")]);
  });

  test("every sequence gives the same events when split at every position", () => {
    const seqs = [
      `${ESC}[A`,
      `${ESC}[1;5D`,
      `${ESC}[1;3C`,
      `${ESC}${ESC}[D`,
      `${ESC}[5;5~`,
      `${ESC}[6;5~`,
      `${ESC}[3~`,
      `${ESC}[24~`,
      `${ESC}OP`,
      `${ESC}OH`,
      `${ESC}[Z`,
      `${ESC}[[A`,
      `${ESC}b`,
      `${ESC}\r`,
      `${ESC}[27;5;13~`,
      `${ESC}]0;t${ESC}\\`,
      `${ESC}[<0;1;1M`,
    ];
    for (const seq of seqs) {
      const input = `a${seq}b`;
      const whole = merged(parseKeys(input));
      for (let i = 1; i < input.length; i++) {
        expect(merged(feedAll([input.slice(0, i), input.slice(i)])), `${JSON.stringify(input)} split at ${i}`).toEqual(whole);
      }
      expect(merged(feedAll([...input])), `${JSON.stringify(input)} char by char`).toEqual(whole);
    }
  });
});

describe("bracketed paste", () => {
  const START = `${ESC}[200~`;
  const END = `${ESC}[201~`;

  test("one paste event with the raw text, nothing interpreted", () => {
    const raw = `line 1\r\nline 2\n\ttabbed ${ESC}[31mred${ESC}[0m ${ESC}[A \x03 \x7f`;
    expect(parseKeys(`x${START}${raw}${END}y\r`)).toEqual([text("x"), paste(raw), text("y"), k("enter")]);
  });

  test("\"text\\r\" in one chunk keeps the \\r in the paste; a following Enter is its own key", () => {
    expect(parseKeys(`${START}text\r${END}`)).toEqual([paste("text\r")]);
    expect(parseKeys(`${START}text\r${END}\r`)).toEqual([paste("text\r"), k("enter")]);
  });

  test("\"text\\r\" arriving in pieces", () => {
    expect(feedAll([START, "text", "\r", END])).toEqual([paste("text\r")]);
    expect(feedAll([`${START}te`, "xt\r", `${ESC}[20`, "1~", "\r"])).toEqual([paste("text\r"), k("enter")]);
  });

  test("split at every position (and every pair of positions) gives the same single paste", () => {
    const input = `a${START}p\r\n${ESC}[Aq${ESC}[20x${END}\rb`;
    const expected = [text("a"), paste(`p\r\n${ESC}[Aq${ESC}[20x`), k("enter"), text("b")];
    expect(merged(parseKeys(input))).toEqual(expected);
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) {
        const got = merged(feedAll([input.slice(0, i), input.slice(i, j), input.slice(j)]));
        expect(got, `split at ${i}/${j}`).toEqual(expected);
      }
    }
    expect(merged(feedAll([...input]))).toEqual(expected);
  });

  test("flush does not end a paste; only the end marker does", () => {
    const p = createKeyParser();
    expect(p.feed(`${START}abc${ESC}`)).toEqual([]);
    expect(p.inPaste()).toBe(true);
    expect(p.hasPending()).toBe(false);
    expect(p.flush()).toEqual([]);
    expect(p.feed("[201~")).toEqual([paste(`abc`)]);
    expect(p.inPaste()).toBe(false);
  });

  test("a paste start after ESC-prefix and an empty paste", () => {
    expect(parseKeys(`${ESC}${START}x${END}`)).toEqual([k("escape"), paste("x")]);
    expect(parseKeys(`${START}${END}z`)).toEqual([text("z")]);
  });

  test("a stray paste end marker is swallowed", () => {
    expect(parseKeys(`a${END}b`)).toEqual([text("a"), text("b")]);
  });
});
