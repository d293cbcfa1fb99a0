/**
 * The command line and the key dispatcher through Ink, as a user types at it. Written with
 * createElement rather than JSX: vitest.config.ts only collects *.test.ts.
 */
import { EventEmitter } from "node:events";
import { stripVTControlCharacters } from "node:util";

import { Box, render as inkRender, Text } from "ink";
import { render } from "ink-testing-library";
import { createElement as h, useRef, type ReactElement } from "react";
import { afterEach, describe, expect, test } from "vitest";

import { CommandLine, type CommandLineHandle } from "../../src/ui/input/CommandLine.js";
import type { KeyEvent } from "../../src/ui/input/keys.js";
import type { CompletionResult } from "../../src/ui/input/line.js";
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, useKeys, type KeySource } from "../../src/ui/input/use-keys.js";
import { waitFor } from "../helpers/wait-for.js";

const ESC = "\x1b";
type RenderResult = ReturnType<typeof render>;
const PASTE = (t: string): string => `${ESC}[200~${t}${ESC}[201~`;
const UP = `${ESC}[A`;
const DOWN = `${ESC}[B`;
const LEFT = `${ESC}[D`;

interface HarnessProps {
  onSubmit(line: string): void;
  complete?(line: string, cursor: number): CompletionResult | undefined;
  historyKey?: string;
  /** Keys the command line did not take. */
  unhandled?: KeyEvent[];
  /** Counts renders of a sibling that must not re-render while typing. */
  siblingRenders?: { count: number };
  stdin?: KeySource;
  width?: number;
}

function Sibling({ counter }: { counter?: { count: number } }): ReactElement {
  if (counter) counter.count++;
  return h(Text, null, "messages");
}

/** The app in miniature: one key dispatcher, a command line behind a ref, a sibling pane. */
function Harness(props: HarnessProps): ReactElement {
  const cmd = useRef<CommandLineHandle>(null);
  useKeys(
    (ev) => {
      if (cmd.current?.dispatchKey(ev)) return;
      props.unhandled?.push(ev);
    },
    { stdin: props.stdin },
  );
  return h(
    Box,
    { flexDirection: "column" },
    h(Sibling, { counter: props.siblingRenders }),
    h(CommandLine, { ref: cmd, onSubmit: props.onSubmit, complete: props.complete, historyKey: props.historyKey, width: props.width }),
  );
}

let current: RenderResult | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});

const frameOf = (r: { lastFrame(): string | undefined }): string => stripVTControlCharacters(r.lastFrame() ?? "");

/** The command-line row of the last frame (the harness prints "messages" above it). */
const inputLine = (r: RenderResult): string => frameOf(r).split("\n").slice(1).join("\n").trimEnd();

async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

async function start(props: Partial<HarnessProps> = {}): Promise<{ r: RenderResult; submitted: string[]; unhandled: KeyEvent[] }> {
  const submitted: string[] = [];
  const unhandled: KeyEvent[] = [];
  const r = render(h(Harness, { onSubmit: (l) => submitted.push(l), unhandled, ...props }));
  current = r;
  await waitFor(() => r.stdin.listenerCount("data") > 0, { interval: 2, message: "stdin listener" });
  await waitFor(() => frameOf(r).includes(">"), { interval: 2, message: "first frame" });
  return { r, submitted, unhandled };
}

/** Writes raw input, waits until the input row satisfies `until`, then one setImmediate. */
async function type(r: RenderResult, data: string, until: (line: string) => boolean): Promise<void> {
  r.stdin.write(data);
  await waitFor(() => until(inputLine(r)), { interval: 2, timeout: 3000, message: `frame after ${JSON.stringify(data)}; last: ${JSON.stringify(inputLine(r))}` });
  await settle();
}

const is = (expected: string) => (line: string): boolean => line === expected;

describe("CommandLine + useKeys", () => {
  test("typed text appears after the prompt, with the cursor cell at the end", async () => {
    const { r } = await start();
    await type(r, "hello", is("> hello"));
    await type(r, " wörld 漢字 👍🏽", is("> hello wörld 漢字 👍🏽"));
  });

  test("Enter calls onSubmit with the full line, edits included, and clears the line", async () => {
    const { r, submitted } = await start();
    await type(r, "helo", is("> helo"));
    await type(r, `${LEFT}l`, is("> hello")); // the cursor moved left before the insert
    await type(r, "\r", is(">"));
    expect(submitted).toEqual(["hello"]);
  });

  test("text and Enter in one chunk (an unbracketed paste) submit the new text, not a stale one", async () => {
    const { r, submitted } = await start();
    await type(r, "hi there\r", () => submitted.length > 0);
    expect(submitted).toEqual(["hi there"]);
    expect(inputLine(r)).toBe(">");
  });

  test("a bracketed paste of \"hello\\r\" inserts hello without submitting; Enter sends it", async () => {
    const { r, submitted } = await start();
    await type(r, PASTE("hello\r"), (l) => l.startsWith("> hello"));
    expect(submitted).toEqual([]);
    await type(r, "\r", is(">"));
    expect(submitted).toEqual(["hello"]);
  });

  test("a paste arriving in pieces is not lost", async () => {
    const { r, submitted } = await start();
    r.stdin.write(`${ESC}[20`);
    r.stdin.write("0~hel");
    r.stdin.write("lo\r");
    r.stdin.write(`${ESC}[201`);
    await type(r, "~", (l) => l.startsWith("> hello"));
    await type(r, "\r", is(">"));
    expect(submitted).toEqual(["hello"]);
  });

  test("a multi-line paste shows on several rows and is sent whole", async () => {
    const { r, submitted } = await start();
    await type(r, PASTE("one\r\ntwo"), is("> one\n  two"));
    await type(r, "\r", is(">"));
    expect(submitted).toEqual(["one\ntwo"]);
  });

  test("history: Up/Down recall submitted lines and bring the draft back", async () => {
    const { r, submitted } = await start();
    await type(r, "first\r", () => submitted.length === 1);
    await type(r, "second\r", () => submitted.length === 2);
    await type(r, "dra", is("> dra"));
    await type(r, UP, is("> second"));
    await type(r, UP, is("> first"));
    await type(r, DOWN, is("> second"));
    await type(r, DOWN, is("> dra"));
    await type(r, `${UP}${UP}\r`, () => submitted.length === 3);
    expect(submitted).toEqual(["first", "second", "first"]);
  });

  test("history is kept per key (tab)", async () => {
    const submitted: string[] = [];
    const unhandled: KeyEvent[] = [];
    const props = { onSubmit: (l: string) => submitted.push(l), unhandled };
    const r = render(h(Harness, { ...props, historyKey: "a" }));
    current = r;
    await waitFor(() => r.stdin.listenerCount("data") > 0, { interval: 2 });
    await type(r, "in a\r", () => submitted.length === 1);
    r.rerender(h(Harness, { ...props, historyKey: "b" }));
    await settle();
    await type(r, "in b\r", () => submitted.length === 2);
    await type(r, UP, is("> in b"));
    await type(r, UP, is("> in b"));
    await type(r, "\x15", is(">")); // C-u
    r.rerender(h(Harness, { ...props, historyKey: "a" }));
    await settle();
    await type(r, UP, is("> in a"));
  });

  test("Tab completes with the completer: common prefix, then cycling; another key ends the cycle", async () => {
    const calls: [string, number][] = [];
    const nicks = ["alfred", "alice", "bob"];
    const complete = (line: string, cursor: number): CompletionResult => {
      calls.push([line, cursor]);
      const from = line.lastIndexOf(" ", cursor - 1) + 1;
      const word = line.slice(from, cursor);
      return { from, to: cursor, candidates: nicks.filter((n) => n.startsWith(word)) };
    };
    const { r } = await start({ complete });
    await type(r, "hi a", is("> hi a"));
    await type(r, "\t", is("> hi al"));
    await type(r, "\t", is("> hi alfred"));
    await type(r, "\t", is("> hi alice"));
    await type(r, "\t", is("> hi alfred"));
    expect(calls).toEqual([["hi a", 4]]); // the cycle does not ask again
    await type(r, " b\t", is("> hi alfred bob"));
    expect(calls).toEqual([["hi a", 4], ["hi alfred b", 11]]); // text typed in the same chunk was seen
  });

  test("typing re-renders the command line only", async () => {
    const siblingRenders = { count: 0 };
    const { r } = await start({ siblingRenders });
    const before = siblingRenders.count;
    await type(r, "abc", is("> abc"));
    await type(r, `${LEFT}x`, is("> abxc"));
    await type(r, "\x7f\x7f", is("> ac"));
    expect(siblingRenders.count).toBe(before);
  });

  test("keys the command line does not take reach the dispatcher; a lone ESC after the timeout", async () => {
    const { r, unhandled } = await start();
    r.stdin.write(`${ESC}[5~`);
    r.stdin.write("\x03");
    r.stdin.write(ESC);
    await waitFor(() => unhandled.length === 3, { interval: 2, message: "three unhandled keys" });
    expect(unhandled).toEqual([
      { type: "key", name: "pageup" },
      { type: "key", name: "c", ctrl: true },
      { type: "key", name: "escape" },
    ]);
  });

  test("long text scrolls horizontally within the width", async () => {
    const { r } = await start({ width: 12 });
    await type(r, "abcdefghijklmnopqrstuvwxyz", is("> rstuvwxyz"));
    await type(r, "\x01", is("> abcdefghij")); // C-a
  });
});

/** A minimal Ink host with our own streams (ink-testing-library cannot make stdin non-TTY). */
class FakeStdout extends EventEmitter {
  columns = 80;
  writes: string[] = [];
  frame = "";
  constructor(readonly isTTY: boolean) {
    super();
  }
  write = (s: string): boolean => {
    this.writes.push(s);
    if (!s.startsWith(`${ESC}[?2004`)) this.frame = s;
    return true;
  };
  lastFrame = (): string => this.frame;
}

class FakeStdin extends EventEmitter {
  constructor(readonly isTTY: boolean) {
    super();
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read = (): null => null;
}

function inkHost(tree: ReactElement, opts: { stdinTTY: boolean; stdoutTTY: boolean }) {
  const stdout = new FakeStdout(opts.stdoutTTY);
  const stdin = new FakeStdin(opts.stdinTTY);
  const instance = inkRender(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { stdout, stdin, instance };
}

describe("useKeys sources and terminal modes", () => {
  test("stdin that is not a TTY: no input, no crash, nothing listening", async () => {
    const { stdin, stdout, instance } = inkHost(h(Harness, { onSubmit: () => {} }), { stdinTTY: false, stdoutTTY: false });
    try {
      await waitFor(() => stripVTControlCharacters(stdout.lastFrame()).includes(">"), { interval: 2 });
      await settle();
      expect(stdin.listenerCount("data")).toBe(0);
      expect(stdin.listenerCount("readable")).toBe(0);
    } finally {
      instance.unmount();
    }
  });

  test("an explicit stdin is read even when Ink's stdin is not a TTY (Buffers decoded as UTF-8)", async () => {
    const submitted: string[] = [];
    const keys = new EventEmitter();
    const { stdout, instance } = inkHost(h(Harness, { onSubmit: (l) => submitted.push(l), stdin: keys as unknown as KeySource }), { stdinTTY: false, stdoutTTY: false });
    try {
      await waitFor(() => keys.listenerCount("data") > 0, { interval: 2 });
      const bytes = Buffer.from("né 漢\r", "utf8");
      keys.emit("data", bytes.subarray(0, 2)); // "n" + half of "é"
      keys.emit("data", bytes.subarray(2));
      await waitFor(() => submitted.length === 1, { interval: 2 });
      expect(submitted).toEqual(["né 漢"]);
      expect(stdout.writes.join("")).not.toContain(BRACKETED_PASTE_ON); // not a TTY: no mode switch
    } finally {
      instance.unmount();
    }
    expect(keys.listenerCount("data")).toBe(0);
  });

  test("on a TTY, bracketed paste is switched on while mounted and off on unmount", async () => {
    const { stdout, instance } = inkHost(h(Harness, { onSubmit: () => {} }), { stdinTTY: true, stdoutTTY: true });
    await waitFor(() => stdout.writes.includes(BRACKETED_PASTE_ON), { interval: 2 });
    expect(stdout.writes).not.toContain(BRACKETED_PASTE_OFF);
    instance.unmount();
    expect(stdout.writes.lastIndexOf(BRACKETED_PASTE_OFF)).toBeGreaterThan(stdout.writes.indexOf(BRACKETED_PASTE_ON));
  });
});
