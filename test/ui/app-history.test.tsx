/**
 * Scrolling past the oldest message shown loads older ones from the history store (the server
 * archive comes next when online: test/integration/history.test.ts).
 */
import { afterEach, expect, test } from "vitest";

import { chatTabId } from "../../src/ui/state/ui-store.js";
import { KEY, renderApp, type AppHarness } from "./render-app.js";

const BOB = "bob@example.org";
let app: AppHarness | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

test("a conversation opens with its last page of history; PgUp past the top brings older pages, in order", async () => {
  app = await renderApp({ tabs: [{ kind: "chat", id: chatTabId("work", BOB), account: "work", peer: BOB }] });
  const db = app.client.history!.db;
  db.transaction(() => {
    for (let i = 0; i < 80; i++) {
      db.record({ account: "work", peer: BOB, direction: "in", from: `${BOB}/phone`, to: "me@example.org", id: `h${i}`, idKind: "origin", type: "chat", body: `old message ${String(i).padStart(2, "0")}`, time: new Date(Date.UTC(2026, 0, 1, 10, i)).toISOString(), source: "live" });
    }
  });
  // Opening the conversation (nothing in it yet: a fresh start) shows its last page of history.
  let f = await app.press("\x1b2", (fr) => fr.includes("2:work›bob@example.org") && fr.includes("old message 79"));
  expect(f).toContain("old message 79");
  const conv = () => app!.store.getState().accounts.work!.conversations[BOB]!;
  expect(conv().messages.length).toBe(50);
  // Keep going up: the next page arrives when the top is reached, older above newer.
  for (let i = 0; i < 40 && !app.frame().includes("old message 00"); i++) await app.press(KEY.pageUp, () => true);
  f = app.frame();
  expect(f).toContain("old message 00");
  expect(conv().messages.map((m) => m.body)).toEqual(Array.from({ length: 80 }, (_, i) => `old message ${String(i).padStart(2, "0")}`));
  expect(conv().unread).toBe(0);
});
