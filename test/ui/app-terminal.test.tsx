/**
 * The app with the interactive host's terminal part (AppTerminal): the command line is the
 * editor's, drawn outside Ink (no React render while typing); the window title counts unread
 * messages; the bell rings for chat messages and highlights, at most once a second.
 */
import { afterEach, describe, expect, test } from "vitest";

import type { AppTerminal } from "../../src/ui/app.js";
import { LineEditor } from "../../src/ui/input/line-editor.js";
import type { LineView } from "../../src/ui/screen/line-surface.js";
import { chatTabId } from "../../src/ui/state/ui-store.js";
import { waitFor } from "../helpers/wait-for.js";
import { chatMessage, renderApp } from "./render-app.js";

type App = Awaited<ReturnType<typeof renderApp>>;
let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function recordingTerminal() {
  const t = { editor: new LineEditor(), views: [] as LineView[], titles: [] as string[], bells: 0 };
  const terminal: AppTerminal = {
    editor: t.editor,
    setLineView: (v) => t.views.push(v),
    setTitle: (s) => t.titles.push(s),
    bell: () => t.bells++,
  };
  return { t, terminal };
}

const bob = "bob@example.org";
const inbound = (over: Record<string, unknown> = {}) => ({ account: "work", direction: "in", type: "chat", from: `${bob}/phone`, body: "hi", ...over });

describe("the interface with the terminal's part", () => {
  test("keys go to the editor; the frames leave the command line out; submitting runs the command", async () => {
    const { t, terminal } = recordingTerminal();
    let renders = 0;
    app = await renderApp({ terminal, profiler: () => renders++ });
    await app.waitFrame((f) => f.includes("/help lists commands"));
    expect(t.views.at(-1)).toEqual({ prompt: "/ ", focused: true });
    const before = renders;
    app.keys.emit("data", "/chat -a work bob@examp");
    await waitFor(() => t.editor.getState().text === "/chat -a work bob@examp" || undefined);
    // Typing re-rendered nothing in the tree.
    expect(renders).toBe(before);
    expect(app.frame()).not.toContain("bob@examp");
    app.keys.emit("data", "le.org\r");
    await app.waitFrame((f) => f.includes("work›bob@example.org"));
    expect(t.editor.getState().text).toBe("");
    expect(t.views.at(-1)).toEqual({ prompt: "› ", focused: true });
  });

  test("the window title counts unread messages, from our own text only", async () => {
    const { t, terminal } = recordingTerminal();
    const tab = { kind: "chat" as const, id: chatTabId("work", bob), account: "work", peer: bob };
    app = await renderApp({ terminal, tabs: [tab] });
    await waitFor(() => t.titles.at(-1) === "jabterm" || undefined);
    app.store.dispatch(chatMessage("work", bob, "one \x1b]2;pwned\x07"));
    app.store.dispatch(chatMessage("work", bob, "two"));
    await waitFor(() => t.titles.at(-1) === "jabterm (2)" || undefined);
    expect(t.titles.every((s) => /^jabterm( \(\d+\))?$/.test(s))).toBe(true);
  });

  test("the bell: a chat message rings once however many arrive within a second; catch-up and our own never ring", async () => {
    const { t, terminal } = recordingTerminal();
    app = await renderApp({ terminal });
    await app.waitFrame((f) => f.includes("/help lists commands"));
    app.client.publish("message", inbound({ archived: true }));
    app.client.publish("message", inbound({ direction: "out" }));
    app.client.publish("message", inbound({ type: "groupchat" }));
    expect(t.bells).toBe(0);
    for (let i = 0; i < 50; i++) app.client.publish("message", inbound());
    expect(t.bells).toBe(1);
  });

  test("chat_bell off: messages stay silent, a highlight still rings (muc_bell)", async () => {
    const { t, terminal } = recordingTerminal();
    app = await renderApp({ terminal, settings: { chat_bell: false } });
    await app.waitFrame((f) => f.includes("/help lists commands"));
    app.client.publish("message", inbound());
    expect(t.bells).toBe(0);
    app.client.publish("highlight", { account: "work", room: "room@muc.example.org" });
    expect(t.bells).toBe(1);
  });
});
