/**
 * The one way UI tests render the interface: the real <App> over a real JabtermClient (a temp
 * config dir, accounts disabled so nothing touches the network), a fake host that records what
 * the app asks of it, and keys written to an explicit key source, as a person would type them.
 *
 *   const app = await renderApp({ accounts: [{ jid: "me@example.org", name: "work" }], preload: (store) => ... });
 *   await app.press("/chat bob@example.org\r", (f) => f.includes("work›bob@example.org"));
 *   expect(app.frame()).toContain(...);
 *   await app.close();
 *
 * Waiting: before the first key, until the key source has a listener; after each write, until a
 * frame satisfying the condition arrives (by default: any new frame), then one setImmediate.
 * Frames are compared with ANSI stripped (`frame()`); `rawFrame()` keeps the escape sequences.
 */
import { EventEmitter } from "node:events";
import fs from "node:fs";
import { stripVTControlCharacters } from "node:util";

import chalk from "chalk";
import { render } from "ink-testing-library";
import type { ProfilerOnRenderCallback } from "react";

import type { Store } from "../../src/core/store/store.js";
import { App, type AppHost, type AppTerminal } from "../../src/ui/app.js";
import { loadTabs } from "../../src/ui/state/persist.js";
import { createUiStore, type Tab, type UiStore } from "../../src/ui/state/ui-store.js";
import { tempClient, type TestAccount } from "../helpers/engine.js";
import { waitFor } from "../helpers/wait-for.js";

// Frames keep their attributes (bold, dim, inverse ...) even though the test's stdout is no
// terminal: rawFrame() assertions can see them; frame() strips them.
chalk.level = Math.max(chalk.level, 1) as typeof chalk.level;

export const KEY = {
  enter: "\r",
  escape: "\x1b",
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  pageUp: "\x1b[5~",
  pageDown: "\x1b[6~",
  f2: "\x1bOQ",
  f4: "\x1bOS",
  ctrlC: "\x03",
  alt: (ch: string) => `\x1b${ch}`,
} as const;

export interface RenderAppOptions {
  /** Accounts to configure (always disabled: no connection is attempted). Default: one, "work". */
  accounts?: TestAccount[];
  /** Global settings (snake_case, as /set would take them). */
  settings?: Record<string, string | number | boolean>;
  /** Fill the core store before the first frame. */
  preload?: (store: Store) => void;
  /** Tabs to open before rendering (as interactive mode restores them); `restoreFrom`: a data dir's ui-tabs.json. */
  tabs?: Tab[];
  restoreFrom?: string;
  columns?: number;
  rows?: number;
  profiler?: ProfilerOnRenderCallback;
  /** The real terminal's part (the interactive host's): the command line is then left out of the frames. */
  terminal?: AppTerminal;
  /** The config file's "keys" (key bindings), written before the app starts. */
  keys?: Record<string, string>;
}

export interface RecordingHost extends AppHost {
  quits: (number | undefined)[];
  redraws: number;
  suspends: number;
}

export async function renderApp(opts: RenderAppOptions = {}) {
  const accounts = (opts.accounts ?? [{ jid: "me@example.org", name: "work" }]).map((a) => ({ ...a, set: { ...a.set, enabled: false } }));
  const t = tempClient(accounts, opts.settings ?? {});
  if (opts.keys) {
    const data = JSON.parse(fs.readFileSync(t.config.file, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(t.config.file, JSON.stringify({ ...data, keys: opts.keys }), { mode: 0o600 });
  }
  opts.preload?.(t.store);
  const ui: UiStore = createUiStore();
  for (const tab of [...(opts.tabs ?? []), ...(opts.restoreFrom ? loadTabs(opts.restoreFrom) : [])]) ui.dispatch({ type: "open", tab, focus: false });
  const host: RecordingHost = {
    quits: [],
    redraws: 0,
    suspends: 0,
    quit(code) {
      host.quits.push(code);
    },
    suspend() {
      host.suspends++;
    },
    redraw() {
      host.redraws++;
    },
  };
  const keys = new EventEmitter();
  const r = render(<App client={t.client} ui={ui} host={host} version="0.0.0-test" keySource={keys} profiler={opts.profiler} terminal={opts.terminal} />);

  let columns = 100;
  let rows = 24;
  Object.defineProperty(r.stdout, "columns", { get: () => columns, configurable: true });
  Object.defineProperty(r.stdout, "rows", { get: () => rows, configurable: true });

  const frame = (): string => stripVTControlCharacters(r.lastFrame() ?? "");
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  const app = {
    client: t.client,
    store: t.store,
    ui,
    host,
    keys,
    dataDir: t.paths.dataDir,
    /** The last frame, ANSI stripped. */
    frame,
    /** The last frame as written (with SGR sequences). */
    rawFrame: (): string => r.lastFrame() ?? "",
    frames: (): number => r.frames.length,
    /** Wait until the (stripped) frame satisfies `pred`; returns it. */
    async waitFrame(pred: (frame: string) => boolean, message = "frame"): Promise<string> {
      let last = "";
      try {
        return await waitFor(
          () => {
            last = frame();
            return pred(last) ? last : undefined;
          },
          { interval: 2, timeout: 5000, message },
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- last frame ---\n${last}`);
      }
    },
    /** Write keys; wait for a frame satisfying `until` (default: any new frame), then one setImmediate. */
    async press(data: string, until?: (frame: string) => boolean): Promise<string> {
      const before = r.frames.length;
      keys.emit("data", data);
      const f = await app.waitFrame((fr) => (until ? until(fr) : r.frames.length > before), `frame after ${JSON.stringify(data)}`);
      await settle();
      return f;
    },
    /** Change the terminal size (as a terminal resize would) and wait for a frame that fits it. */
    async resize(c: number, h: number, until?: (frame: string) => boolean): Promise<string> {
      const before = r.frames.length;
      columns = c;
      rows = h;
      r.stdout.emit("resize");
      const f = await app.waitFrame((fr) => r.frames.length > before && fr.split("\n").length <= h && (until ? until(fr) : true), `frame at ${c}x${h}`);
      await settle();
      return f;
    },
    /** Something outside the keyboard changed (store dispatch, client event): wait for the frame. */
    async after(action: () => void, until: (frame: string) => boolean, message?: string): Promise<string> {
      action();
      const f = await app.waitFrame(until, message);
      await settle();
      return f;
    },
    async close(): Promise<void> {
      r.unmount();
      await t.close();
    },
  };

  await waitFor(() => keys.listenerCount("data") > 0, { interval: 2, message: "key source listener" });
  await app.waitFrame((f) => f.includes("jabterm 0.0.0-test"), "first frame");
  if (opts.columns !== undefined || opts.rows !== undefined) await app.resize(opts.columns ?? 100, opts.rows ?? 24);
  await settle();
  return app;
}

export type AppHarness = Awaited<ReturnType<typeof renderApp>>;

// ---------------------------------------------------------------------------------------------
// Store actions for preloading (the slices' own action types)

let seq = 0;

/** A chat message in a conversation (incoming from `peer`/phone unless direction is "out"). */
export function chatMessage(account: string, peer: string, body: string, opts: { direction?: "in" | "out"; time?: Date; id?: string; resource?: string } = {}) {
  const direction = opts.direction ?? "in";
  const from = direction === "in" ? `${peer}/${opts.resource ?? "phone"}` : "me@example.org/jabterm";
  const to = direction === "in" ? "me@example.org/jabterm" : peer;
  return {
    type: "conversations/message" as const,
    account,
    peer,
    message: { id: opts.id ?? `m${++seq}`, direction, from, to, type: "chat" as const, body, time: (opts.time ?? new Date()).toISOString() },
  };
}

export function rosterLoaded(account: string, items: { jid: string; name?: string; groups?: string[] }[]) {
  return { type: "roster/loaded" as const, account, items: items.map((i) => ({ jid: i.jid, name: i.name, groups: i.groups ?? [], subscription: "both" as const })) };
}

export function available(account: string, jid: string, resource: string, show: "online" | "chat" | "away" | "xa" | "dnd", priority: number) {
  return { type: "presence/available" as const, account, jid, resource, full: `${jid}/${resource}`, show, priority, updated: new Date().toISOString() };
}
