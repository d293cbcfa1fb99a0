/**
 * The command line's hook: a LineEditor (line-editor.ts, the state of record, outside React)
 * mirrored into the component that calls it, so typing re-renders the command line and nothing
 * else. Pass `editor` to mirror one the caller owns (the app keeps its editor across renders and
 * may draw it without React at all); without it the hook makes its own.
 */
import { useLayoutEffect, useMemo, useRef, useSyncExternalStore } from "react";

import type { KeyEvent } from "./keys.js";
import type { LineState } from "./line.js";
import { LineEditor, type LineEditorOptions, type LineInputAction } from "./line-editor.js";

export type { Completer } from "./line-editor.js";

export interface UseLineInputOptions extends LineEditorOptions {
  /** Called with the submitted line (trailing newlines dropped); not called for an empty buffer. */
  onSubmit(line: string): void;
  /** Mirror this editor instead of one of the hook's own. */
  editor?: LineEditor;
}

export interface LineInput {
  state: LineState;
  /** Handles a key event if it is a command-line key (keymap, focus "input"); returns whether it did. */
  dispatchKey(ev: KeyEvent): boolean;
  /** Applies a line action (from `resolveAction` or built by the app, e.g. set-text). */
  dispatchAction(action: LineInputAction): void;
  /** The current state (up to date even before React re-renders). */
  getState(): LineState;
}

export function useLineInput(options: UseLineInputOptions): LineInput {
  const own = useRef<LineEditor>(undefined);
  if (!options.editor && !own.current) own.current = new LineEditor(options);
  const editor = options.editor ?? own.current!;

  // Latest callbacks and history target (a new key switches histories; the text stays).
  const { onSubmit, complete, historyKey, histories } = options;
  useLayoutEffect(() => {
    editor.configure({ onSubmit, complete, historyKey, histories });
  });

  const state = useSyncExternalStore(editor.subscribe, editor.getState, editor.getState);
  return useMemo(() => ({ state, dispatchKey: editor.dispatchKey, dispatchAction: editor.dispatchAction, getState: editor.getState }), [state, editor]);
}
