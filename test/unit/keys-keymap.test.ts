import { afterEach, describe, expect, test } from "vitest";

import { actionByName, isLineAction, KEYMAP, keysFor, normalizeKeySpec, resolveAction, setKeyBindings, type Action, type Focus } from "../../src/ui/input/keymap.js";
import { parseKeys } from "../../src/ui/input/keys.js";

const ESC = "\x1b";

/** The action for raw terminal input (one key) in a focus. */
function act(raw: string, focus: Focus = "input"): Action | undefined {
  const evs = parseKeys(raw);
  expect(evs).toHaveLength(1);
  return resolveAction(evs[0]!, focus);
}

describe("keymap", () => {
  test("line editing keys in the input focus (raw bytes -> action)", () => {
    const cases: [string, string][] = [
      ["\x01", "move-start"],
      [`${ESC}[H`, "move-start"],
      [`${ESC}[1~`, "move-start"],
      ["\x05", "move-end"],
      [`${ESC}[F`, "move-end"],
      [`${ESC}OF`, "move-end"],
      ["\x02", "move-left"],
      [`${ESC}[D`, "move-left"],
      ["\x06", "move-right"],
      [`${ESC}[C`, "move-right"],
      [`${ESC}b`, "move-word-left"],
      [`${ESC}f`, "move-word-right"],
      [`${ESC}[1;5D`, "move-word-left"],
      [`${ESC}[1;5C`, "move-word-right"],
      ["\x04", "delete-forward"],
      [`${ESC}[3~`, "delete-forward"],
      ["\x7f", "delete-back"],
      ["\x08", "delete-back"],
      ["\x17", "kill-space-word-back"],
      [`${ESC}\x7f`, "kill-word-back"],
      [`${ESC}d`, "kill-word-forward"],
      ["\x0b", "kill-to-end"],
      ["\x15", "kill-to-start"],
      ["\x19", "yank"],
      ["\x14", "transpose"],
      [`${ESC}[A`, "history-prev"],
      [`${ESC}[B`, "history-next"],
      ["\x10", "history-prev"],
      ["\x0e", "history-next"],
      ["\t", "complete"],
      [`${ESC}[Z`, "complete-prev"],
      ["\r", "submit"],
      [`${ESC}\r`, "newline"],
      ["\n", "newline"],
    ];
    for (const [raw, type] of cases) expect(act(raw)?.type, JSON.stringify(raw)).toBe(type);
  });

  test("app actions, everywhere", () => {
    const cases: [string, Action][] = [
      [`${ESC}[1;3C`, { type: "tab-next" }],
      [`${ESC}[1;3D`, { type: "tab-prev" }],
      [`${ESC}${ESC}[C`, { type: "tab-next" }],
      [`${ESC}[6;5~`, { type: "tab-next" }],
      [`${ESC}[5;5~`, { type: "tab-prev" }],
      [`${ESC}1`, { type: "tab-goto", index: 0 }],
      [`${ESC}9`, { type: "tab-goto", index: 8 }],
      [`${ESC}a`, { type: "next-unread" }],
      [`${ESC}[5~`, { type: "scroll-up" }],
      [`${ESC}[6~`, { type: "scroll-down" }],
      [`${ESC}[1;5H`, { type: "scroll-top" }],
      [`${ESC}[1;5F`, { type: "scroll-bottom" }],
      ["\x0c", { type: "redraw" }],
      ["\x03", { type: "quit-ask" }],
      ["\x1a", { type: "suspend" }],
      [`${ESC}OQ`, { type: "toggle-roster" }],
    ];
    for (const focus of ["input", "roster"] as const) {
      for (const [raw, action] of cases) expect(act(raw, focus), `${JSON.stringify(raw)} in ${focus}`).toEqual(action);
    }
  });

  test("the focus decides: Home/End edit the line in the input, scroll elsewhere", () => {
    expect(act(`${ESC}[H`, "input")).toEqual({ type: "move-start" });
    expect(act(`${ESC}[H`, "roster")).toEqual({ type: "scroll-top" });
    expect(act(`${ESC}[F`, "roster")).toEqual({ type: "scroll-bottom" });
    expect(act(`${ESC}[A`, "roster")).toEqual({ type: "roster-prev" });
    expect(act("\x01", "roster")).toBeUndefined();
  });

  test("text and pastes are inserts in the input focus only", () => {
    expect(resolveAction({ type: "text", text: "hi" }, "input")).toEqual({ type: "insert", text: "hi", paste: false });
    expect(resolveAction({ type: "paste", text: "a\rb" }, "input")).toEqual({ type: "insert", text: "a\rb", paste: true });
    expect(resolveAction({ type: "text", text: "hi" }, "roster")).toBeUndefined();
  });

  test("an unbound shifted key falls back to the unshifted binding; unbound keys resolve to nothing", () => {
    expect(act(`${ESC}[1;2D`)).toEqual({ type: "move-left" });
    expect(act(`${ESC}[1;2A`)).toEqual({ type: "history-prev" });
    expect(act(`${ESC}OR`)).toBeUndefined(); // F3
    expect(act(ESC)).toBeUndefined(); // Escape in the input
  });

  test("isLineAction splits editing from app actions", () => {
    expect(isLineAction({ type: "submit" })).toBe(true);
    expect(isLineAction({ type: "insert", text: "x", paste: false })).toBe(true);
    expect(isLineAction({ type: "tab-next" })).toBe(false);
    expect(isLineAction({ type: "tab-goto", index: 1 })).toBe(false);
  });

  test("the table is well formed: no key bound twice in a scope, every binding has help", () => {
    const seen = new Set<string>();
    for (const b of KEYMAP) {
      expect(b.help.length).toBeGreaterThan(0);
      for (const key of b.keys) {
        const id = `${b.focus}:${normalizeKeySpec(key)}`;
        expect(seen.has(id), id).toBe(false);
        seen.add(id);
      }
    }
    expect(() => normalizeKeySpec("C-nosuchkey")).toThrow();
    expect(normalizeKeySpec("S-M-C-PageUp")).toBe("C-M-S-pageup");
  });

  test("keysFor lists the keys of an action (for help screens)", () => {
    expect(keysFor("move-start")).toEqual(["C-a", "home"]);
    expect(keysFor("tab-next")).toEqual(["M-right", "C-pagedown"]);
  });
});

describe("bindings from the config file", () => {
  afterEach(() => setKeyBindings({}));

  test("bind in a focus or everywhere, unbind, and report what cannot apply", () => {
    const problems = setKeyBindings({
      "M-n": "next-unread", // global by default
      "C-x": "kill-to-start", // a line edit: the command line by default
      "roster:x": "roster-open",
      "input:C-a": "none", // only the command line's C-a
      "C-l": "none", // everywhere
      "M-9": "tab-3",
      "C-q": "launch-rockets",
      "C-nosuchkey": "redraw",
    });
    expect(problems).toHaveLength(2);
    expect(problems[1]).toMatch(/unknown key name in "C-nosuchkey"/);
    expect(problems[0]).toMatch(/"C-q": unknown action "launch-rockets" \(one of: .*next-unread.*tab-9.*none\)/);
    expect(act(`${ESC}n`, "roster")).toEqual({ type: "next-unread" });
    expect(act("\x18")).toEqual({ type: "kill-to-start" });
    expect(act("\x18", "roster")).toBeUndefined();
    expect(resolveAction({ type: "key", name: "x" }, "roster")).toEqual({ type: "roster-open" }); // the app makes typed letters keys there
    expect(act("\x01")).toBeUndefined();
    expect(act(`${ESC}[H`)).toEqual({ type: "move-start" }); // Home still is
    expect(act("\x0c")).toBeUndefined();
    expect(act(`${ESC}9`)).toEqual({ type: "tab-goto", index: 2 });
    // Help screens show what is bound now.
    expect(keysFor("move-start")).toEqual(["home"]);
    expect(keysFor("next-unread")).toEqual(["M-a", "M-n"]);
    // A new call replaces the last one: back to the table.
    expect(setKeyBindings({})).toEqual([]);
    expect(act("\x01")).toEqual({ type: "move-start" });
    expect(act("\x0c")).toEqual({ type: "redraw" });
  });

  test("every action of the table has a name the config file can use", () => {
    for (const b of KEYMAP) {
      const name = b.action.type === "tab-goto" ? `tab-${b.action.index + 1}` : b.action.type;
      expect(actionByName(name), name).toEqual(b.action);
    }
  });
});
