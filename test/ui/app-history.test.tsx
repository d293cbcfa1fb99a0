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

test("PgUp past the top of a conversation brings older messages from the history, page by page, in order", async () => {
  app = await renderApp({ tabs: [{ kind: "chat", id: chatTabId("work", BOB), account: "work", peer: BOB }] });
  const db = app.client.history!.db;
  db.transaction(() => {
    for (let i = 0; i < 80; i++) {
      db.record({ account: "work", peer: BOB, direction: "in", from: `${BOB}/phone`, to: "me@example.org", id: `h${i}`, idKind: "origin", type: "chat", body: `old message ${String(i).padStart(2, "0")}`, time: new Date(Date.UTC(2026, 0, 1, 10, i)).toISOString(), source: "live" });
    }
  });
  await app.press("\x1b2", (f) => f.includes("2:work›bob@example.org"));
  // Nothing shown yet (a fresh start): the first PgUp asks the history for the newest page.
  let f = await app.press(KEY.pageUp, (fr) => fr.includes("old message 79"));
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
