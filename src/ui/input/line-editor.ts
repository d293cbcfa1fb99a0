/**
 * The command line's state of record, outside React: the line reducer's state, the per-key
 * histories, and the submit / completion callbacks. Every action is applied synchronously and
 * listeners are told at once, so whoever draws the line (the full-screen host draws it straight
 * to the terminal, see ../screen/compositor.ts; tests and the Ink fallback mirror it into a
 * component through useLineInput) shows the up-to-date text without waiting for a React render.
 *
 * A chunk such as "hello\r" (text then Enter in one read) or "ab\t" submits / completes the
 * up-to-date text: each event sees the state the previous one left (ink-text-input's bug was
 * reading it from the last render).
 */
import { isLineAction, resolveAction, type Action } from "./keymap.js";
import type { KeyEvent } from "./keys.js";
import { initialLineState, lineReducer, submit, type CompletionResult, type LineAction, type LineState } from "./line.js";

export type Completer = (line: string, cursor: number) => CompletionResult | undefined;

export interface LineEditorOptions {
  /** Called with the submitted line (trailing newlines dropped); not called for an empty buffer. */
  onSubmit?(line: string): void;
  /** Tab completion; called on the first Tab of a cycle only. Must not throw. */
  complete?: Completer;
  /** Which history to use (e.g. the current tab's id). Changing it switches histories; the text stays. */
  historyKey?: string;
  /**
   * Where the per-key histories live (oldest first). Pass your own Map to preload or persist them;
   * it is updated on every submit. Default: a Map private to this editor.
   */
  histories?: Map<string, string[]>;
}

export type LineInputAction = LineAction | Extract<Action, { type: "insert" }>;

const DEFAULT_KEY = "";

export class LineEditor {
  #state: LineState;
  #key: string;
  #histories: Map<string, string[]>;
  #onSubmit: ((line: string) => void) | undefined;
  #complete: Completer | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(options: LineEditorOptions = {}) {
    this.#key = options.historyKey ?? DEFAULT_KEY;
    this.#histories = options.histories ?? new Map();
    this.#onSubmit = options.onSubmit;
    this.#complete = options.complete;
    this.#state = initialLineState(this.#histories.get(this.#key) ?? []);
  }

  /** Update the callbacks and the history target; a new key or map loads that history (the text stays). */
  configure(options: LineEditorOptions): void {
    if ("onSubmit" in options) this.#onSubmit = options.onSubmit;
    if ("complete" in options) this.#complete = options.complete;
    const key = options.historyKey ?? (("historyKey" in options) ? DEFAULT_KEY : this.#key);
    const histories = options.histories ?? this.#histories;
    if (key === this.#key && histories === this.#histories) return;
    this.#key = key;
    this.#histories = histories;
    this.#commit(lineReducer(this.#state, { type: "set-history", history: histories.get(key) ?? [] }));
  }

  /** The current state (always up to date). */
  getState = (): LineState => this.#state;

  /** Called after every change of state; returns the unsubscriber. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  /** Applies a line action (from `resolveAction` or built by the app, e.g. set-text). */
  dispatchAction = (action: LineInputAction): void => {
    const prev = this.#state;
    if (action.type === "submit") {
      const { state: next, line } = submit(prev);
      this.#commit(next);
      if (line !== "") this.#onSubmit?.(line);
      return;
    }
    if ((action.type === "complete" || action.type === "complete-prev") && !prev.completion && !action.result) {
      let result: CompletionResult | undefined;
      try {
        result = this.#complete?.(prev.text, prev.cursor);
      } catch {
        result = undefined; // a broken completer must not break typing
      }
      action = { type: action.type, result };
    }
    this.#commit(lineReducer(prev, action.type === "insert" ? { type: "insert", text: action.text } : action));
  };

  /** Handles a key event if it is a command-line key (keymap, focus "input"); returns whether it did. */
  dispatchKey = (ev: KeyEvent): boolean => {
    const action = resolveAction(ev, "input");
    if (!action || !isLineAction(action)) return false;
    this.dispatchAction(action);
    return true;
  };

  #commit(next: LineState): void {
    const prev = this.#state;
    if (next === prev) return;
    this.#state = next;
    if (next.history !== prev.history) this.#histories.set(this.#key, next.history);
    for (const l of [...this.#listeners]) l();
  }
}
