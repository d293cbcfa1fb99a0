/**
 * The conversation drawn onto its rectangle by the chat surface, from a real store: the same
 * layout as <ChatView>, redrawn on store notifications, sanitised, scroll clamped.
 */

import { describe, expect, test } from "vitest";

import { createStore } from "../../src/core/store/store.js";
import { Compositor } from "../../src/ui/screen/compositor.js";
import { attachChatSurface } from "../../src/ui/screen/chat-surface.js";
import { FakeTerminal } from "../helpers/fake-terminal.js";
import { waitFor } from "../helpers/wait-for.js";
import { chatMessage } from "./render-app.js";

/** What the terminal shows in the region's rows, from the compositor's writes (each region row is written after its position). */
function regionText(w: string): string {
  return w.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, "");
}

function setup() {
  const term = new FakeTerminal(60, 12);
  const screen = new Compositor(term);
  screen.setBottom(["> "]);
  screen.inkStdout.write(new Array(11).fill("").join("\n"));
  const store = createStore(undefined, { notify: "coalesce" });
  const chat = attachChatSurface(screen, store);
  return { term, screen, store, chat };
}

const bob = "bob@example.org";

describe("chat surface", () => {
  test("an empty conversation says so; messages appear as the store tells, bottom-aligned, hostile text inert", async () => {
    const { term, store, chat } = setup();
    const clamps: number[] = [];
    chat.set({ x: 10, y: 1, width: 40, height: 8, account: "work", peer: bob, scroll: 0, onScrollClamp: (v) => clamps.push(v) });
    expect(regionText(term.written)).toContain("No messages yet. Type to write to bob@e…"); // cut at the width (40)
    term.written = "";
    store.dispatch(chatMessage("work", bob, "hi \x1b]2;x\x07 yo"));
    await waitFor(() => term.written.includes("yo") || undefined);
    expect(term.written).not.toContain("\x1b]2;x");
    expect(regionText(term.written)).toContain("bob@example.org: hi ␛]2;x␇ yo");
    // Written at the region's column, in its last row (bottom-aligned).
    expect(term.written).toMatch(/\x1b\[9;11H/);
    // Scrolled past the top: clamped, and the owner is told.
    chat.set({ x: 10, y: 1, width: 40, height: 8, account: "work", peer: bob, scroll: 50, onScrollClamp: (v) => clamps.push(v) });
    await waitFor(() => clamps.length > 0 || undefined);
    expect(clamps[0]).toBeLessThan(50);
    chat.dispose();
  });

  test("given back (undefined), the rectangle stops being drawn; store changes draw nothing more", async () => {
    const { term, store, chat } = setup();
    chat.set({ x: 0, y: 0, width: 40, height: 5, account: "work", peer: bob, scroll: 0 });
    chat.set(undefined);
    term.written = "";
    store.dispatch(chatMessage("work", bob, "unseen"));
    await new Promise((r) => setImmediate(r));
    expect(term.written).not.toContain("unseen");
    chat.dispose();
  });
});
