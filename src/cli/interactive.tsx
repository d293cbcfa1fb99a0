/**
 * The full-screen host: alternate screen, raw mode, the Ink app; the terminal is restored on
 * every way out (quit, SIGTERM, SIGHUP from a dropped SSH session, an uncaught error), and on
 * Ctrl-Z (suspended) and re-entered on resume.
 */
import { render } from "ink";

import type { JabtermClient } from "../core/client.js";
import { EXIT } from "../core/errors.js";
import { App, type AppHost, type AppTerminal } from "../ui/app.js";
import { LineEditor } from "../ui/input/line-editor.js";
import { Compositor } from "../ui/screen/compositor.js";
import { attachChatSurface } from "../ui/screen/chat-surface.js";
import { attachLineSurface } from "../ui/screen/line-surface.js";
import { chatTabId, createUiStore } from "../ui/state/ui-store.js";
import type { CommandResult } from "../core/commands/types.js";
import { peerOf } from "../core/xmpp/features/chat-send.js";
import { loadTabs, saveTabs } from "../ui/state/persist.js";

// The window title is pushed on entering and popped on leaving (terminals with a title stack).
const ENTER = "\x1b[22;0t\x1b[?1049h\x1b[H\x1b[2J";
const LEAVE = "\x1b[?2004l\x1b[?1000l\x1b[?25h\x1b[?1049l\x1b[23;0t";

export interface InteractiveOptions {
  client: JabtermClient;
  version: string;
  exec: string[];
  dataDir?: string;
  /** Receives a function that makes the interface quit (a /quit from the control socket). */
  onQuitRequest?: (quit: () => void) => void;
  /** Receives a handler for results of commands from the control socket (/chat opens a tab, unfocused). */
  onControlResult?: (handle: (result: CommandResult) => void) => void;
}

export async function runInteractive(opts: InteractiveOptions): Promise<number> {
  const { stdin, stdout } = process;
  if (!stdin.isTTY || !stdout.isTTY) {
    process.stderr.write("jabterm: standard input and output must be a terminal for the full-screen interface; use jabterm --headless for scripts and pipes\n");
    return EXIT.usage;
  }
  const { client } = opts;
  const ui = createUiStore();
  for (const tab of loadTabs(opts.dataDir)) ui.dispatch({ type: "open", tab, focus: false });

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {
      // the terminal may be gone (SSH drop)
    }
    stdout.write(LEAVE);
  };
  const enter = () => {
    restored = false;
    stdout.write(ENTER);
  };

  enter();
  // Ink draws the screen above the command line into the compositor, which writes only the rows
  // that changed; the command line is drawn by the compositor itself, straight from the editor.
  // NO_COLOR (set and not empty, https://no-color.org): attributes but no colours.
  const screen = new Compositor(stdout, { colour: !process.env.NO_COLOR });
  const editor = new LineEditor();
  const line = attachLineSurface(screen, editor);
  // The conversation in view is drawn from the store onto its rectangle, without Ink.
  const chat = attachChatSurface(screen, client.store);
  const terminal: AppTerminal = {
    editor,
    setChat: (spec) => chat.set(spec),
    setLineView: (view) => line.setView(view),
    setTitle: (title) => screen.setTitle(title),
    bell: () => screen.bell(),
  };
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  opts.onQuitRequest?.(() => resolveExit(EXIT.ok));
  opts.onControlResult?.((r) => {
    if (r.type !== "open") return;
    let peer: string;
    try {
      peer = peerOf(r.jid);
    } catch {
      return;
    }
    ui.dispatch({ type: "open", tab: { kind: "chat", id: chatTabId(r.account, peer), account: r.account, peer }, focus: false });
  });

  const host: AppHost = {
    quit: (code = EXIT.ok) => resolveExit(code),
    suspend: () => {
      restore();
      process.once("SIGCONT", () => {
        enter();
        if (stdin.isTTY) stdin.setRawMode(true);
        host.redraw();
      });
      process.kill(process.pid, "SIGTSTP");
    },
    redraw: () => screen.redraw(),
  };
  const app = () => <App client={client} ui={ui} host={host} exec={opts.exec} version={opts.version} terminal={terminal} />;
  // Typing never waits for a frame (the command line is drawn apart), so frames can be fewer.
  const instance = render(app(), { stdout: screen.inkStdout as unknown as NodeJS.WriteStream, stdin, exitOnCtrlC: false, patchConsole: false, maxFps: 30 });

  const onSignal = (sig: NodeJS.Signals) => () => resolveExit(sig === "SIGINT" ? EXIT.ok : 128 + (sig === "SIGTERM" ? 15 : 1));
  const handlers = (["SIGTERM", "SIGHUP", "SIGINT"] as const).map((sig) => {
    const h = onSignal(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  const onFatal = (err: unknown) => {
    restore();
    process.stderr.write(`jabterm: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  };
  process.on("uncaughtException", onFatal);
  process.on("exit", restore);

  const code = await exited;
  saveTabs(opts.dataDir, ui.getState().tabs);
  instance.unmount();
  line.dispose();
  chat.dispose();
  screen.dispose();
  restore();
  for (const [sig, h] of handlers) process.off(sig, h);
  process.off("uncaughtException", onFatal);
  const left = await client.drain(client.settings().drain_timeout);
  for (const m of left) client.outbox.fail(m.id, "not delivered before exit");
  await client.shutdown();
  return left.length ? EXIT.undelivered : code;
}
