/**
 * The one keymap: every named action and the keys bound to it, in one table. `resolveAction`
 * turns a key event into an action for the current focus; the key dispatcher (use-keys +
 * the app) then routes line-editing actions to the command line and app actions to the UI store.
 *
 * Key notation in the table: modifiers "C-" (Ctrl), "M-" (Alt/Meta), "S-" (Shift), in that
 * order, then a key name from keys.ts (lowercase: "enter", "pageup", "f2", "left") or one
 * character ("a", "1"). Focus-specific bindings win over global ones.
 */
import type { KeyEvent, KeyPress } from "./keys.js";
import type { LineEdit } from "./line.js";

export type Focus = "input" | "roster";

export type AppCommand =
  | "tab-next"
  | "tab-prev"
  | "next-unread"
  | "next-highlight"
  | "scroll-up"
  | "scroll-down"
  | "scroll-top"
  | "scroll-bottom"
  | "redraw"
  | "quit-ask"
  | "suspend"
  | "toggle-roster"
  | "roster-prev"
  | "roster-next"
  | "roster-open"
  | "focus-input"
  | "focus-roster"
  | "roster-toggle"
  | "roster-expand"
  | "roster-collapse"
  | "toggle-offline"
  | "roster-wider"
  | "roster-narrower";

export type Action =
  /** Line editing: give it to the command line (`dispatchAction`). */
  | { type: LineEdit }
  /** Typed or pasted text for the command line. */
  | { type: "insert"; text: string; paste: boolean }
  /** Go to tab `index` (0-based: Alt-1 is 0). */
  | { type: "tab-goto"; index: number }
  | { type: AppCommand };

export interface Binding {
  focus: Focus | "global";
  action: Action;
  keys: readonly string[];
  /** One line for help screens. */
  help: string;
}

const LINE_EDITS: ReadonlySet<string> = new Set<LineEdit>([
  "move-start",
  "move-end",
  "move-left",
  "move-right",
  "move-word-left",
  "move-word-right",
  "delete-back",
  "delete-forward",
  "kill-word-back",
  "kill-space-word-back",
  "kill-word-forward",
  "kill-to-end",
  "kill-to-start",
  "yank",
  "transpose",
  "history-prev",
  "history-next",
  "complete",
  "complete-prev",
  "submit",
  "newline",
]);

/** True for actions the command line handles (editing and inserting text). */
export function isLineAction(a: Action): a is Extract<Action, { type: LineEdit | "insert" }> {
  return a.type === "insert" || LINE_EDITS.has(a.type);
}

const edit = (type: LineEdit): Action => ({ type });
const app = (type: AppCommand): Action => ({ type });

export const KEYMAP: readonly Binding[] = [
  // The command line (Emacs style).
  { focus: "input", action: edit("move-start"), keys: ["C-a", "home"], help: "start of line" },
  { focus: "input", action: edit("move-end"), keys: ["C-e", "end"], help: "end of line" },
  { focus: "input", action: edit("move-left"), keys: ["C-b", "left"], help: "character left" },
  { focus: "input", action: edit("move-right"), keys: ["C-f", "right"], help: "character right" },
  { focus: "input", action: edit("move-word-left"), keys: ["M-b", "C-left"], help: "word left" },
  { focus: "input", action: edit("move-word-right"), keys: ["M-f", "C-right"], help: "word right" },
  { focus: "input", action: edit("delete-back"), keys: ["backspace"], help: "delete the character before the cursor" },
  { focus: "input", action: edit("delete-forward"), keys: ["C-d", "delete"], help: "delete the character under the cursor" },
  { focus: "input", action: edit("kill-space-word-back"), keys: ["C-w"], help: "kill back to the previous whitespace" },
  { focus: "input", action: edit("kill-word-back"), keys: ["M-backspace"], help: "kill the word before the cursor" },
  { focus: "input", action: edit("kill-word-forward"), keys: ["M-d", "C-delete", "M-delete"], help: "kill the word after the cursor" },
  { focus: "input", action: edit("kill-to-end"), keys: ["C-k"], help: "kill to the end of the line" },
  { focus: "input", action: edit("kill-to-start"), keys: ["C-u"], help: "kill to the start of the line" },
  { focus: "input", action: edit("yank"), keys: ["C-y"], help: "yank (paste) the last kill" },
  { focus: "input", action: edit("transpose"), keys: ["C-t"], help: "transpose characters" },
  { focus: "input", action: edit("history-prev"), keys: ["up", "C-p"], help: "previous line in a multi-line input, else previous history entry" },
  { focus: "input", action: edit("history-next"), keys: ["down", "C-n"], help: "next line in a multi-line input, else next history entry" },
  { focus: "input", action: edit("complete"), keys: ["tab"], help: "complete; again: next candidate" },
  { focus: "input", action: edit("complete-prev"), keys: ["S-tab"], help: "previous completion candidate" },
  { focus: "input", action: edit("submit"), keys: ["enter"], help: "send the line" },
  { focus: "input", action: edit("newline"), keys: ["M-enter", "C-enter", "S-enter"], help: "insert a newline (C-enter is also C-j)" },

  // The roster pane, when it has the focus.
  { focus: "roster", action: app("roster-prev"), keys: ["up", "C-p", "k"], help: "previous contact" },
  { focus: "roster", action: app("roster-next"), keys: ["down", "C-n", "j"], help: "next contact" },
  { focus: "roster", action: app("roster-open"), keys: ["enter"], help: "open a chat with the contact" },
  { focus: "roster", action: app("focus-input"), keys: ["escape", "tab"], help: "back to the command line" },
  { focus: "roster", action: app("focus-input"), keys: ["f4", "M-r"], help: "back to the command line (the key that focused the roster)" },
  { focus: "roster", action: app("roster-toggle"), keys: ["space"], help: "show or hide the contact's resources (show, priority)" },
  { focus: "roster", action: app("roster-expand"), keys: ["right"], help: "show the contact's resources" },
  { focus: "roster", action: app("roster-collapse"), keys: ["left"], help: "hide the contact's resources" },
  { focus: "roster", action: app("toggle-offline"), keys: ["o"], help: "show or hide offline contacts" },
  { focus: "roster", action: app("roster-narrower"), keys: ["<", "-"], help: "make the roster narrower" },
  { focus: "roster", action: app("roster-wider"), keys: [">", "+"], help: "make the roster wider" },

  // Everywhere.
  { focus: "global", action: app("tab-next"), keys: ["M-right", "C-pagedown"], help: "next tab" },
  { focus: "global", action: app("tab-prev"), keys: ["M-left", "C-pageup"], help: "previous tab" },
  ...Array.from({ length: 9 }, (_, i): Binding => ({
    focus: "global",
    action: { type: "tab-goto", index: i },
    keys: [`M-${i + 1}`],
    help: `go to tab ${i + 1}`,
  })),
  { focus: "global", action: app("next-unread"), keys: ["M-a"], help: "next tab with unread messages" },
  { focus: "global", action: app("next-highlight"), keys: ["M-h"], help: "next room tab that mentions you (highlights)" },
  { focus: "global", action: app("scroll-up"), keys: ["pageup"], help: "scroll up a page" },
  { focus: "global", action: app("scroll-down"), keys: ["pagedown"], help: "scroll down a page" },
  { focus: "global", action: app("scroll-top"), keys: ["C-home", "home"], help: "scroll to the top (Home when not typing)" },
  { focus: "global", action: app("scroll-bottom"), keys: ["C-end", "end"], help: "scroll to the bottom (End when not typing)" },
  { focus: "global", action: app("redraw"), keys: ["C-l"], help: "redraw the screen" },
  { focus: "global", action: app("quit-ask"), keys: ["C-c"], help: "quit (asks first)" },
  { focus: "global", action: app("suspend"), keys: ["C-z"], help: "suspend to the shell" },
  { focus: "global", action: app("toggle-roster"), keys: ["f2"], help: "show or hide the roster" },
  { focus: "global", action: app("focus-roster"), keys: ["f4", "M-r"], help: "move the focus to the roster (Up/Down select, Enter opens, Space shows resources, Esc back)" },
  { focus: "global", action: app("toggle-offline"), keys: ["M-o"], help: "show or hide offline contacts in the roster" },
  { focus: "global", action: app("roster-narrower"), keys: ["M-<"], help: "make the roster narrower" },
  { focus: "global", action: app("roster-wider"), keys: ["M->"], help: "make the roster wider" },
];

const NAMED = new Set([
  "enter", "tab", "backspace", "delete", "insert", "escape", "space", "up", "down", "left", "right",
  "home", "end", "pageup", "pagedown", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12",
]);

/** Canonical id of a key notation ("C-PageUp" -> "C-pageup"); throws on a malformed one. */
export function normalizeKeySpec(spec: string): string {
  const m = /^((?:[CMS]-)*)(.+)$/.exec(spec);
  if (!m) throw new Error(`bad key "${spec}"`);
  const mods = m[1]!;
  const rawName = m[2]!;
  const name = rawName.length === 1 ? rawName : rawName.toLowerCase();
  if (name.length !== 1 && !NAMED.has(name)) throw new Error(`unknown key name in "${spec}"`);
  const has = (c: string): boolean => mods.includes(`${c}-`);
  return `${has("C") ? "C-" : ""}${has("M") ? "M-" : ""}${has("S") ? "S-" : ""}${name}`;
}

/** Canonical id of a key event, same format as `normalizeKeySpec`. */
export function keyId(ev: KeyPress): string {
  return `${ev.ctrl ? "C-" : ""}${ev.alt ? "M-" : ""}${ev.shift ? "S-" : ""}${ev.name}`;
}

type Scope = Focus | "global";

function buildIndex(map: readonly Binding[]): Map<Scope, Map<string, Action>> {
  const index = new Map<Scope, Map<string, Action>>();
  for (const b of map) {
    let scope = index.get(b.focus);
    if (!scope) index.set(b.focus, (scope = new Map()));
    for (const k of b.keys) {
      const id = normalizeKeySpec(k);
      if (scope.has(id)) throw new Error(`keymap: ${id} is bound twice in ${b.focus}`);
      scope.set(id, b.action);
    }
  }
  return index;
}

let INDEX = buildIndex(KEYMAP);

const APP_COMMANDS: ReadonlySet<string> = new Set<AppCommand>(KEYMAP.flatMap((b) => (isLineAction(b.action) || b.action.type === "tab-goto" ? [] : [b.action.type as AppCommand])));

/** The action a name in the config file's "keys" means: a line edit, an app command, or tab-1..tab-9. */
export function actionByName(name: string): Action | undefined {
  if (LINE_EDITS.has(name)) return { type: name as LineEdit };
  if (APP_COMMANDS.has(name)) return { type: name as AppCommand };
  const tab = /^tab-([1-9])$/.exec(name);
  return tab ? { type: "tab-goto", index: Number(tab[1]) - 1 } : undefined;
}

/** The name the config file's "keys" uses for an action. */
export function actionName(a: Action): string {
  return a.type === "tab-goto" ? `tab-${a.index + 1}` : a.type;
}

/** Every action name the config file's "keys" may bind (for help and error messages). */
export function actionNames(): string[] {
  return [...LINE_EDITS, ...APP_COMMANDS, ...Array.from({ length: 9 }, (_, i) => `tab-${i + 1}`), "none"];
}

/**
 * Apply the config file's "keys" over the table above: `"[input:|roster:|global:]<key>":
 * "<action>"` binds the key (line edits default to the command line, everything else to
 * everywhere; the focus's own bindings win over global ones), "none" unbinds it (in that focus,
 * or without a prefix everywhere). Replaces what an earlier call applied. Returns one message per
 * entry that could not be applied (a malformed key, an unknown action); the others still apply.
 */
export function setKeyBindings(overrides: Readonly<Record<string, string>>): string[] {
  const index = buildIndex(KEYMAP);
  const problems: string[] = [];
  for (const [spec, name] of Object.entries(overrides)) {
    const scoped = /^(input|roster|global):(.+)$/.exec(spec);
    let id: string;
    try {
      id = normalizeKeySpec(scoped ? scoped[2]! : spec);
    } catch (err) {
      problems.push(`keys: ${(err as Error).message}`);
      continue;
    }
    const action = name === "none" ? undefined : actionByName(name);
    if (name !== "none" && !action) {
      problems.push(`keys: "${spec}": unknown action "${name}" (one of: ${actionNames().join(", ")})`);
      continue;
    }
    if (!action && !scoped) {
      for (const map of index.values()) map.delete(id); // unbound everywhere
      continue;
    }
    const scope = (scoped?.[1] as Scope | undefined) ?? (action && isLineAction(action) ? "input" : "global");
    let map = index.get(scope);
    if (!map) index.set(scope, (map = new Map()));
    if (action) map.set(id, action);
    else map.delete(id);
  }
  INDEX = index;
  return problems;
}

function lookup(id: string, focus: Focus): Action | undefined {
  return INDEX.get(focus)?.get(id) ?? INDEX.get("global")?.get(id);
}

/**
 * The action for a key event in the given focus, or undefined when nothing is bound.
 * Text and pastes become `insert` in the input focus. A shifted key with no binding of its own
 * falls back to the unshifted binding (many terminals report Shift-Up etc.).
 */
export function resolveAction(ev: KeyEvent, focus: Focus): Action | undefined {
  if (ev.type === "text" || ev.type === "paste") {
    return focus === "input" ? { type: "insert", text: ev.text, paste: ev.type === "paste" } : undefined;
  }
  const found = lookup(keyId(ev), focus);
  if (found || !ev.shift) return found;
  return lookup(keyId({ ...ev, shift: false }), focus);
}

/** The keys bound to an action type now (the table with the config file's "keys" over it), for help screens. */
export function keysFor(type: Action["type"], focus?: Scope): string[] {
  const out: string[] = [];
  for (const [scope, map] of INDEX) {
    if (focus !== undefined && scope !== focus) continue;
    for (const [id, action] of map) if (action.type === type) out.push(id);
  }
  return out;
}
