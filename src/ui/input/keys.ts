/**
 * Raw terminal input parser: turns the bytes a terminal in raw mode sends (already decoded to a JS
 * string) into key events. Pure and incremental: `feed` may be given any split of the stream
 * (a sequence or a paste cut anywhere) and yields the same events as one big chunk would.
 *
 * Decisions:
 * - Printable text is grouped into one `text` event per run (a run stops at any control character).
 * - "\r" is Enter; "\n" is Enter with `ctrl: true` (that is what Ctrl-J and, in several terminals,
 *   Ctrl-Enter send: the keymap uses it for "newline"). ESC "\r" is Alt-Enter.
 * - ^H (0x08) and DEL (0x7f) are Backspace; ESC DEL / ESC ^H are Alt-Backspace.
 * - ESC + a character is Alt-<char>; letters get a lowercase `name` plus `shift` for capitals.
 *   ESC b / ESC f therefore stay Alt-b / Alt-f (the Emacs word moves; macOS terminals send them for
 *   Option-Left/Right, whose meaning there is also "word left/right"). The CSI forms ESC[1;3D/C and
 *   the ESC-prefixed ESC ESC[D/C are Alt-Left/Right.
 * - A lone ESC stays pending (it may start a sequence) until more input arrives or `flush()`;
 *   the caller calls `flush()` after a short timeout. An incomplete sequence at flush time is
 *   swallowed, except "ESC [" / "ESC O" which become Alt-[ / Alt-O.
 * - Bracketed paste (ESC[200~ ... ESC[201~) is one `paste` event with the raw bytes in between,
 *   never interpreted. `flush()` does not end a paste: only ESC[201~ does.
 * - Unknown or unsupported sequences (focus reports, mouse reports, DCS/OSC strings, ...) are
 *   swallowed, never returned as text. C1 controls (U+0080-U+009F) are dropped.
 */

export type NamedKey =
  | "enter"
  | "tab"
  | "backspace"
  | "delete"
  | "insert"
  | "escape"
  | "space"
  | "up"
  | "down"
  | "left"
  | "right"
  | "home"
  | "end"
  | "pageup"
  | "pagedown"
  | "f1"
  | "f2"
  | "f3"
  | "f4"
  | "f5"
  | "f6"
  | "f7"
  | "f8"
  | "f9"
  | "f10"
  | "f11"
  | "f12";

/** A named key, or one character for Ctrl-/Alt-<char> ("a".."z" lowercase, "1", "[", ...). */
export type KeyName = NamedKey | (string & {});

export type KeyEvent =
  | { type: "text"; text: string }
  | { type: "paste"; text: string }
  | { type: "key"; name: KeyName; ctrl?: boolean; alt?: boolean; shift?: boolean };

export type KeyPress = Extract<KeyEvent, { type: "key" }>;

export interface KeyParser {
  /** Parse more input; returns the events that are complete. */
  feed(chunk: string): KeyEvent[];
  /** Resolve pending input that may have been a prefix (a lone ESC). Call after a short idle time. */
  flush(): KeyEvent[];
  /** True when `flush()` would resolve something (pending ESC or partial sequence, not in a paste). */
  hasPending(): boolean;
  /** True while inside a bracketed paste that has not ended yet. */
  inPaste(): boolean;
}

const ESC = "\x1b";
const PASTE_END = "\x1b[201~";
/** A CSI/SS3 longer than this without a final byte is garbage: swallow it. */
const MAX_SEQ = 64;

type Mods = { ctrl?: boolean; alt?: boolean; shift?: boolean };

function key(name: KeyName, mods: Mods = {}): KeyPress {
  const ev: KeyPress = { type: "key", name };
  if (mods.ctrl) ev.ctrl = true;
  if (mods.alt) ev.alt = true;
  if (mods.shift) ev.shift = true;
  return ev;
}

/** xterm modifier parameter: 1 + (shift 1 | alt 2 | ctrl 4 | meta 8). */
function modsFromParam(p: number | undefined): Mods {
  if (p === undefined || !Number.isFinite(p) || p < 2) return {};
  const bits = p - 1;
  return { shift: (bits & 1) !== 0, alt: (bits & 2) !== 0 || (bits & 8) !== 0, ctrl: (bits & 4) !== 0 };
}

function mergeMods(a: Mods, b: Mods): Mods {
  return { ctrl: a.ctrl || b.ctrl, alt: a.alt || b.alt, shift: a.shift || b.shift };
}

const TILDE_KEYS: Record<number, NamedKey> = {
  1: "home",
  2: "insert",
  3: "delete",
  4: "end",
  5: "pageup",
  6: "pagedown",
  7: "home",
  8: "end",
  11: "f1",
  12: "f2",
  13: "f3",
  14: "f4",
  15: "f5",
  17: "f6",
  18: "f7",
  19: "f8",
  20: "f9",
  21: "f10",
  23: "f11",
  24: "f12",
};

const LETTER_FINALS: Record<string, NamedKey> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  P: "f1",
  Q: "f2",
  R: "f3",
  S: "f4",
};

/** A key from a Unicode code point (CSI u and modifyOtherKeys forms). */
function keyFromCodePoint(cp: number, mods: Mods): KeyPress | undefined {
  switch (cp) {
    case 13:
      return key("enter", mods);
    case 9:
      return key("tab", mods);
    case 27:
      return key("escape", mods);
    case 127:
    case 8:
      return key("backspace", mods);
    case 32:
      return key("space", mods);
  }
  if (cp < 32 || (cp >= 0x7f && cp <= 0x9f) || cp > 0x10ffff) return undefined;
  return charKey(String.fromCodePoint(cp), mods);
}

/** Alt-/Ctrl-<char>: letters lowercase with `shift` for capitals. */
function charKey(ch: string, mods: Mods): KeyPress {
  if (ch === " ") return key("space", mods);
  if (/^[A-Z]$/.test(ch)) return key(ch.toLowerCase(), { ...mods, shift: true });
  return key(ch, mods);
}

/** C0 control character (not ESC) to a key. */
function controlKey(code: number, alt = false): KeyPress | undefined {
  const m: Mods = alt ? { alt: true } : {};
  switch (code) {
    case 0x0d:
      return key("enter", m);
    case 0x0a:
      return key("enter", { ...m, ctrl: true });
    case 0x09:
      return key("tab", m);
    case 0x08:
    case 0x7f:
      return key("backspace", m);
    case 0x00:
      return key("space", { ...m, ctrl: true });
  }
  if (code >= 0x01 && code <= 0x1a) return key(String.fromCharCode(code + 0x60), { ...m, ctrl: true });
  if (code >= 0x1c && code <= 0x1f) return key(String.fromCharCode(code + 0x40), { ...m, ctrl: true });
  return undefined;
}

function isPrintable(code: number): boolean {
  return code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code <= 0x9f);
}

/** Result of parsing at an ESC: `need` = incomplete, otherwise the consumed length and events. */
type SeqResult = { need: true } | { need?: false; length: number; events: KeyEvent[]; paste?: boolean };

/** Parses a CSI sequence; `s[i]` is ESC and `s[i+1]` is "[". */
function parseCsi(s: string, i: number): SeqResult {
  let j = i + 2;
  // Linux console F1-F5: ESC [ [ A..E
  if (s[j] === "[") {
    if (j + 1 >= s.length) return { need: true };
    const c = s[j + 1]!;
    const fn = "ABCDE".indexOf(c);
    return { length: j + 2 - i, events: fn >= 0 ? [key(`f${fn + 1}`)] : [] };
  }
  const paramStart = j;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c >= 0x30 && c <= 0x3f) j++;
    else break;
  }
  const paramEnd = j;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c >= 0x20 && c <= 0x2f) j++;
    else break;
  }
  if (j >= s.length) {
    // No final byte yet. Very long: garbage, swallow what we have.
    return j - i > MAX_SEQ ? { length: j - i, events: [] } : { need: true };
  }
  const finalCode = s.charCodeAt(j);
  if (finalCode < 0x40 || finalCode > 0x7e) {
    // Not a CSI after all: "ESC [" + a control key was Alt-[ typed quickly; otherwise swallow
    // the introducer and what looked like parameters, and go on with the control character.
    return j === i + 2 ? { length: 2, events: [charKey("[", { alt: true })] } : { length: j - i, events: [] };
  }
  const final = s[j]!;
  const length = j + 1 - i;
  const raw = s.slice(paramStart, paramEnd);
  const intermediates = s.slice(paramEnd, j);
  if (intermediates !== "" || /^[<=>?]/.test(raw)) return { length, events: [] }; // private/mouse/etc.
  const params = raw === "" ? [] : raw.split(";").map((p) => (p === "" ? undefined : Number(p.split(":")[0])));
  const p0 = params[0];
  const mods = modsFromParam(params[1]);

  if (final === "~" || final === "^" || final === "$" || final === "@") {
    if (p0 === 200) return { length, events: [], paste: true };
    if (p0 === 27 && params[2] !== undefined) {
      // xterm modifyOtherKeys: ESC [ 27 ; mod ; code ~
      const k = keyFromCodePoint(params[2], mods);
      return { length, events: k ? [k] : [] };
    }
    const name = p0 === undefined ? undefined : TILDE_KEYS[p0];
    if (!name) return { length, events: [] };
    // rxvt: ^ = ctrl, $ = shift, @ = ctrl+shift
    const extra: Mods = final === "^" ? { ctrl: true } : final === "$" ? { shift: true } : final === "@" ? { ctrl: true, shift: true } : {};
    return { length, events: [key(name, mergeMods(mods, extra))] };
  }
  if (final === "u") {
    // CSI u (fixterms / kitty): ESC [ code ; mods u
    const k = p0 === undefined ? undefined : keyFromCodePoint(p0, mods);
    return { length, events: k ? [k] : [] };
  }
  if (final === "Z") return { length, events: [key("tab", { ...mods, shift: true })] };
  const letter = LETTER_FINALS[final];
  // Modified forms are "1;<mods>": anything else (e.g. a cursor position report "12;40R") is not a key.
  if (letter && (p0 === undefined || p0 === 1)) return { length, events: [key(letter, mods)] };
  // rxvt shifted arrows: ESC [ a..d
  const rxvt = "abcd".indexOf(final);
  if (rxvt >= 0 && raw === "") return { length, events: [key((["up", "down", "right", "left"] as const)[rxvt]!, { shift: true })] };
  return { length, events: [] };
}

/** Parses an SS3 sequence; `s[i]` is ESC and `s[i+1]` is "O". */
function parseSs3(s: string, i: number): SeqResult {
  let j = i + 2;
  while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
  if (j >= s.length) return j - i > MAX_SEQ ? { length: j - i, events: [] } : { need: true };
  const final = s[j]!;
  const length = j + 1 - i;
  const digits = s.slice(i + 2, j);
  const mods = modsFromParam(digits === "" ? undefined : Number(digits));
  if (final === "M") return { length, events: [key("enter", mods)] }; // keypad Enter
  const letter = LETTER_FINALS[final];
  if (letter) return { length, events: [key(letter, mods)] };
  // rxvt ctrl-arrows: ESC O a..d
  const rxvt = "abcd".indexOf(final);
  if (rxvt >= 0) return { length, events: [key((["up", "down", "right", "left"] as const)[rxvt]!, { ctrl: true })] };
  if (s.charCodeAt(j) < 0x20 || s.charCodeAt(j) === 0x7f) {
    // Not an SS3 after all: Alt-O typed before a control key (or a broken sequence).
    return j === i + 2 ? { length: 2, events: [charKey("O", { alt: true })] } : { length: j - i, events: [] };
  }
  return { length, events: [] };
}

/** Skips a string-type sequence (OSC, DCS, APC, PM, SOS) up to BEL or ST. */
function parseStringSeq(s: string, i: number): SeqResult {
  for (let j = i + 2; j < s.length; j++) {
    const c = s[j];
    if (c === "\x07") return { length: j + 1 - i, events: [] };
    if (c === ESC) {
      if (j + 1 >= s.length) return { need: true };
      if (s[j + 1] === "\\") return { length: j + 2 - i, events: [] };
    }
  }
  return { need: true };
}

/** Parses input starting at the ESC at `s[i]`. */
function parseEscape(s: string, i: number): SeqResult {
  if (i + 1 >= s.length) return { need: true };
  const next = s[i + 1]!;
  const code = s.charCodeAt(i + 1);
  if (next === "[") return parseCsi(s, i);
  if (next === "O") return parseSs3(s, i);
  if (next === "]" || next === "P" || next === "_" || next === "^" || next === "X") return parseStringSeq(s, i);
  if (next === ESC) {
    // ESC ESC [..] / ESC ESC O..: the ESC-prefixed Alt form of a sequence.
    if (i + 2 >= s.length) return { need: true };
    const third = s[i + 2];
    if (third === "[" || third === "O") {
      const inner = parseEscape(s, i + 1);
      if (inner.need) return inner;
      if (inner.paste) return { length: 1, events: [key("escape")] }; // ESC then a paste
      return {
        length: inner.length + 1,
        events: inner.events.map((e) => (e.type === "key" ? key(e.name, { ...e, alt: true }) : e)),
      };
    }
    return { length: 1, events: [key("escape")] };
  }
  if (code < 0x20 || code === 0x7f) {
    const k = controlKey(code, true);
    return { length: 2, events: k ? [k] : [] };
  }
  if (code >= 0x80 && code <= 0x9f) return { length: 2, events: [] };
  const cp = s.codePointAt(i + 1)!;
  const ch = String.fromCodePoint(cp);
  return { length: 1 + ch.length, events: [charKey(ch, { alt: true })] };
}

/** Length of the longest suffix of `s` that is a proper prefix of `marker`. */
function partialMarkerSuffix(s: string, marker: string): number {
  const max = Math.min(s.length, marker.length - 1);
  for (let n = max; n > 0; n--) {
    if (marker.startsWith(s.slice(s.length - n))) return n;
  }
  return 0;
}

export function createKeyParser(): KeyParser {
  let buf = "";
  let pasting = false;
  let pasteText = "";

  function run(final: boolean): KeyEvent[] {
    const out: KeyEvent[] = [];
    let text = "";
    const pushText = (): void => {
      if (text !== "") {
        out.push({ type: "text", text });
        text = "";
      }
    };
    let i = 0;
    while (i < buf.length) {
      if (pasting) {
        const end = buf.indexOf(PASTE_END, i);
        if (end < 0) {
          const keep = partialMarkerSuffix(buf.slice(i), PASTE_END);
          pasteText += buf.slice(i, buf.length - keep);
          i = buf.length - keep;
          break;
        }
        pasteText += buf.slice(i, end);
        i = end + PASTE_END.length;
        pasting = false;
        if (pasteText !== "") out.push({ type: "paste", text: pasteText });
        pasteText = "";
        continue;
      }
      const code = buf.charCodeAt(i);
      if (isPrintable(code)) {
        let j = i + 1;
        while (j < buf.length && isPrintable(buf.charCodeAt(j))) j++;
        text += buf.slice(i, j);
        i = j;
        continue;
      }
      if (code === 0x1b) {
        let r = parseEscape(buf, i);
        if (r.need) {
          if (!final) break;
          r = resolveIncomplete(buf, i);
        }
        pushText();
        out.push(...r.events);
        i += r.length;
        if (r.paste) {
          pasting = true;
          pasteText = "";
        }
        continue;
      }
      pushText();
      const k = controlKey(code);
      if (k) out.push(k);
      i++;
    }
    pushText();
    buf = buf.slice(i);
    return out;
  }

  /** At flush time: what an incomplete sequence at `s[i]` means. */
  function resolveIncomplete(s: string, i: number): Exclude<SeqResult, { need: true }> {
    const rest = s.length - i;
    if (rest === 1) return { length: 1, events: [key("escape")] };
    const next = s[i + 1];
    if (next === ESC) return { length: 1, events: [key("escape")] };
    if (rest === 2 && (next === "[" || next === "O")) return { length: 2, events: [charKey(next, { alt: true })] };
    return { length: rest, events: [] };
  }

  return {
    feed(chunk: string): KeyEvent[] {
      buf += chunk;
      return run(false);
    },
    flush(): KeyEvent[] {
      if (pasting) return [];
      return run(true);
    },
    hasPending(): boolean {
      return !pasting && buf.length > 0;
    },
    inPaste(): boolean {
      return pasting;
    },
  };
}

/** Parses a complete input string in one go (feed + flush): handy for tests and scripts. */
export function parseKeys(input: string): KeyEvent[] {
  const p = createKeyParser();
  return [...p.feed(input), ...p.flush()];
}

/** "C-M-a", "S-Tab", "C-PageUp" ...: a readable name for an event (debugging, help texts). */
export function describeKey(ev: KeyEvent): string {
  if (ev.type !== "key") return ev.type;
  return `${ev.ctrl ? "C-" : ""}${ev.alt ? "M-" : ""}${ev.shift ? "S-" : ""}${ev.name}`;
}
