/**
 * The one key dispatcher: reads stdin, parses it (keys.ts) and calls a single `onKey` for every
 * event. Nothing in the app uses Ink's useInput (it would see the same bytes a second time).
 *
 * - Default source: Ink's stdin (useStdin). When `isRawModeSupported` is false (stdin is not a
 *   TTY) there is no input at all, and no crash. Otherwise raw mode is switched on through Ink's
 *   `setRawMode` (reference-counted, undone by Ink on exit) and the bytes are taken from the
 *   stream's "data" events, which Ink's own reader emits as it reads.
 *   Render with `exitOnCtrlC: false`: C-c is an action of ours ("quit-ask"), and Ink would exit
 *   on the same byte.
 * - An explicit `stdin` option (tests, scripting) is read as it is, whether or not it is a TTY;
 *   raw mode is then the caller's business.
 * - Bracketed paste (ESC[?2004h) is switched on while mounted, and off on unmount and at process
 *   exit, when the output is a TTY (or `bracketedPaste: true`): never written into a pipe or into
 *   ink-testing-library's frames.
 * - A lone ESC is resolved (`flush`) after `escapeTimeoutMs` (30 ms) without further input.
 */
import { StringDecoder } from "node:string_decoder";

import { useStdin, useStdout } from "ink";
import { useEffect, useRef } from "react";

import { createKeyParser, type KeyEvent } from "./keys.js";

export const BRACKETED_PASTE_ON = "\x1b[?2004h";
export const BRACKETED_PASTE_OFF = "\x1b[?2004l";

/** What use-keys needs from a stream: "data" events with strings or Buffers. */
export interface KeySource {
  on(event: "data", listener: (chunk: string | Buffer) => void): unknown;
  off(event: "data", listener: (chunk: string | Buffer) => void): unknown;
}

export interface UseKeysOptions {
  /** Stop listening while false (default true). */
  isActive?: boolean;
  /** Read this stream instead of Ink's stdin, even when it is not a TTY (raw mode left alone). */
  stdin?: KeySource;
  /** Idle time after which a pending ESC counts as the Escape key (default 30 ms). */
  escapeTimeoutMs?: number;
  /** Switch bracketed paste on (default: when Ink's stdout is a TTY). */
  bracketedPaste?: boolean;
}

export interface UseKeysResult {
  /** Whether keys are being read. */
  active: boolean;
}

export function useKeys(onKey: (ev: KeyEvent) => void, options: UseKeysOptions = {}): UseKeysResult {
  const { stdin: inkStdin, setRawMode, isRawModeSupported } = useStdin();
  const { stdout } = useStdout();
  const { isActive = true, stdin: explicit, escapeTimeoutMs = 30 } = options;

  const handler = useRef(onKey);
  useEffect(() => {
    handler.current = onKey;
  });

  const source: KeySource | undefined = explicit ?? (isRawModeSupported ? inkStdin : undefined);
  const active = isActive && source !== undefined;
  const usesInkRawMode = active && explicit === undefined;
  const bracketed = active && (options.bracketedPaste ?? (stdout as { isTTY?: boolean }).isTTY === true);

  // Reading and parsing.
  useEffect(() => {
    if (!active || !source) return;
    const parser = createKeyParser();
    const decoder = new StringDecoder("utf8");
    let timer: ReturnType<typeof setTimeout> | undefined;

    const emit = (events: KeyEvent[]): void => {
      for (const ev of events) handler.current(ev);
    };
    const onData = (chunk: string | Buffer): void => {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      const text = typeof chunk === "string" ? chunk : decoder.write(chunk);
      emit(parser.feed(text));
      if (parser.hasPending()) {
        timer = setTimeout(() => {
          timer = undefined;
          emit(parser.flush());
        }, escapeTimeoutMs);
      }
    };

    if (usesInkRawMode) setRawMode(true);
    source.on("data", onData);
    return () => {
      source.off("data", onData);
      if (timer) clearTimeout(timer);
      if (usesInkRawMode) setRawMode(false);
    };
  }, [active, source, usesInkRawMode, setRawMode, escapeTimeoutMs]);

  // Bracketed paste mode on the terminal.
  useEffect(() => {
    if (!bracketed) return;
    const off = (): void => {
      stdout.write(BRACKETED_PASTE_OFF);
    };
    stdout.write(BRACKETED_PASTE_ON);
    process.once("exit", off);
    return () => {
      process.off("exit", off);
      off();
    };
  }, [bracketed, stdout]);

  return { active };
}
