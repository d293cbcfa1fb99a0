/**
 * The command line's hook: keeps the line reducer's state local to the component that calls it
 * (so typing re-renders only the command line) and turns key events into reducer actions.
 *
 * The state of record lives in a ref and every action is applied to it synchronously; React
 * state (useReducer) only mirrors it for rendering. That is what makes a chunk such as "hello\r"
 * (text then Enter in one read) or "ab\t" submit / complete the up-to-date text: with state read
 * from the last render, the second event would see the stale value (ink-text-input's bug).
 */
import { useCallback, useLayoutEffect, useMemo, useReducer, useRef } from "react";

import { isLineAction, resolveAction, type Action } from "./keymap.js";
import type { KeyEvent } from "./keys.js";
import { initialLineState, lineReducer, submit, type CompletionResult, type LineAction, type LineState } from "./line.js";

export type Completer = (line: string, cursor: number) => CompletionResult | undefined;

export interface UseLineInputOptions {
  /** Called with the submitted line (trailing newlines dropped); not called for an empty buffer. */
  onSubmit(line: string): void;
  /** Tab completion; called on the first Tab of a cycle only. Must not throw. */
  complete?: Completer;
  /** Which history to use (e.g. the current tab's id). Changing it switches histories; the text stays. */
  historyKey?: string;
  /**
   * Where the per-key histories live (oldest first). Pass your own Map to preload or persist them;
   * it is updated on every submit. Default: a Map private to this hook instance.
   */
  histories?: Map<string, string[]>;
}

export interface LineInput {
  state: LineState;
  /** Handles a key event if it is a command-line key (keymap, focus "input"); returns whether it did. */
  dispatchKey(ev: KeyEvent): boolean;
  /** Applies a line action (from `resolveAction` or built by the app, e.g. set-text). */
  dispatchAction(action: LineAction | Extract<Action, { type: "insert" }>): void;
  /** The current state (up to date even before React re-renders). */
  getState(): LineState;
}

const DEFAULT_KEY = "";

const mirror = (_prev: LineState, next: LineState): LineState => next;

export function useLineInput(options: UseLineInputOptions): LineInput {
  const key = options.historyKey ?? DEFAULT_KEY;
  const ownHistories = useRef<Map<string, string[]>>(undefined);
  if (!ownHistories.current) ownHistories.current = new Map();
  const histories = options.histories ?? ownHistories.current;

  const stateRef = useRef<LineState>(undefined);
  if (!stateRef.current) stateRef.current = initialLineState(histories.get(key) ?? []);
  const [state, setState] = useReducer(mirror, stateRef.current);

  // Latest callbacks and history target, read by the stable dispatchers below.
  const opts = useRef({ onSubmit: options.onSubmit, complete: options.complete, key, histories });
  useLayoutEffect(() => {
    opts.current = { onSubmit: options.onSubmit, complete: options.complete, key, histories };
  });

  const commit = useCallback((next: LineState): void => {
    const prev = stateRef.current!;
    if (next === prev) return;
    stateRef.current = next;
    if (next.history !== prev.history) opts.current.histories.set(opts.current.key, next.history);
    setState(next);
  }, []);

  // Switching tabs switches histories (the text being typed stays).
  const loaded = useRef({ key, histories });
  useLayoutEffect(() => {
    if (loaded.current.key === key && loaded.current.histories === histories) return;
    loaded.current = { key, histories };
    commit(lineReducer(stateRef.current!, { type: "set-history", history: histories.get(key) ?? [] }));
  }, [key, histories, commit]);

  const dispatchAction = useCallback(
    (action: LineAction | Extract<Action, { type: "insert" }>): void => {
      const prev = stateRef.current!;
      if (action.type === "submit") {
        const { state: next, line } = submit(prev);
        commit(next);
        if (line !== "") opts.current.onSubmit(line);
        return;
      }
      if ((action.type === "complete" || action.type === "complete-prev") && !prev.completion && !action.result) {
        let result: CompletionResult | undefined;
        try {
          result = opts.current.complete?.(prev.text, prev.cursor);
        } catch {
          result = undefined; // a broken completer must not break typing
        }
        action = { type: action.type, result };
      }
      commit(lineReducer(prev, action.type === "insert" ? { type: "insert", text: action.text } : action));
    },
    [commit],
  );

  const dispatchKey = useCallback(
    (ev: KeyEvent): boolean => {
      const action = resolveAction(ev, "input");
      if (!action || !isLineAction(action)) return false;
      dispatchAction(action);
      return true;
    },
    [dispatchAction],
  );

  const getState = useCallback((): LineState => stateRef.current!, []);

  return useMemo(() => ({ state, dispatchKey, dispatchAction, getState }), [state, dispatchKey, dispatchAction, getState]);
}
