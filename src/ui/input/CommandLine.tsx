/**
 * The command line: `CommandLine` owns the line state (useLineInput) and exposes it to the one
 * key dispatcher through its `ref`; `CommandLineView` only draws. The app keeps a ref to the
 * handle, so typing re-renders the command line and nothing else.
 *
 *   const cmd = useRef<CommandLineHandle>(null);
 *   useKeys((ev) => { if (focus === "input" && cmd.current?.dispatchKey(ev)) return; ...app actions });
 *   <CommandLine ref={cmd} onSubmit={...} complete={...} historyKey={tabId} />
 */
import { Box, Text, useStdout } from "ink";
import { memo, useEffect, useImperativeHandle, useRef, useState, type Ref } from "react";

import { layoutCommandLine, type Scroll } from "./layout.js";
import type { LineState } from "./line.js";
import { useLineInput, type LineInput, type UseLineInputOptions } from "./use-line-input.js";

export type CommandLineHandle = Pick<LineInput, "dispatchKey" | "dispatchAction" | "getState">;

export interface CommandLineViewProps {
  state: Pick<LineState, "text" | "cursor">;
  prompt?: string;
  promptColor?: string;
  /** Columns for prompt + text (default: the terminal width, following resizes). */
  width?: number;
  /** Rows a multi-line text may take before it scrolls (default 5). */
  maxRows?: number;
  /** Draw the cursor (default true). */
  focused?: boolean;
  /** Shown dimmed while the line is empty. */
  placeholder?: string;
}

export interface CommandLineProps extends UseLineInputOptions, Omit<CommandLineViewProps, "state"> {
  ref?: Ref<CommandLineHandle>;
}

/** Terminal columns, re-rendering (only the caller) on resize. */
function useColumns(explicit: number | undefined): number {
  const { stdout } = useStdout();
  const [columns, setColumns] = useState<number>(() => stdout.columns || 80);
  useEffect(() => {
    if (explicit !== undefined) return;
    const onResize = (): void => setColumns(stdout.columns || 80);
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout, explicit]);
  return explicit ?? columns;
}

export const CommandLineView = memo(function CommandLineView({
  state,
  prompt = "> ",
  promptColor,
  width,
  maxRows = 5,
  focused = true,
  placeholder,
}: CommandLineViewProps) {
  const columns = useColumns(width);
  // Scroll positions carry over between renders (see layout.ts); recomputing is idempotent.
  const scroll = useRef<Scroll>({ left: 0, top: 0 });
  const { rows, scroll: next } = layoutCommandLine(state.text, state.cursor, { prompt, width: columns, maxRows }, scroll.current);
  scroll.current = next;

  return (
    <Box flexDirection="column" flexShrink={0}>
      {rows.map((row, i) => (
        <Text key={i} wrap="truncate-end">
          <Text color={promptColor}>{row.prefix}</Text>
          {row.before}
          {row.cursor !== undefined && (focused ? <Text inverse>{row.cursor}</Text> : row.cursor)}
          {row.after}
          {i === 0 && state.text === "" && placeholder ? <Text dimColor>{placeholder}</Text> : null}
        </Text>
      ))}
    </Box>
  );
});

export function CommandLine({ ref, prompt, promptColor, width, maxRows, focused, placeholder, ...options }: CommandLineProps) {
  const input = useLineInput(options);
  const { dispatchKey, dispatchAction, getState } = input;
  useImperativeHandle(ref, () => ({ dispatchKey, dispatchAction, getState }), [dispatchKey, dispatchAction, getState]);
  return (
    <CommandLineView
      state={input.state}
      prompt={prompt}
      promptColor={promptColor}
      width={width}
      maxRows={maxRows}
      focused={focused}
      placeholder={placeholder}
    />
  );
}
