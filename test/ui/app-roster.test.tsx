/**
 * The roster pane through the real app: rows from a preloaded store, the focus and its cursor,
 * resources, offline contacts, scrolling, width, and the narrow terminal.
 */
import { afterEach, describe, expect, test } from "vitest";

import type { Store } from "../../src/core/store/store.js";
import { available, chatMessage, KEY, renderApp, rosterLoaded, type AppHarness } from "./render-app.js";

let app: AppHarness | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The roster pane's column of the frame (left of the border), one string per row. */
function pane(frame: string): string[] {
  return frame
    .split("\n")
    .slice(1, -2)
    .map((l) => (l.includes("│") ? l.slice(0, l.indexOf("│")).trimEnd() : ""));
}

function preload(store: Store): void {
  store.dispatch(
    rosterLoaded("work", [
      { jid: "alice@example.org", name: "Alice", groups: ["Friends"] },
      { jid: "bob@example.org", name: "Bob", groups: ["Friends"] },
      { jid: "carol@example.org", groups: ["Work"] },
      { jid: "dave@example.org", name: "Dave" },
      { jid: "olga@example.org", name: "Olga (offline)" },
    ]),
  );
  store.dispatch(available("work", "alice@example.org", "laptop", "online", 10));
  store.dispatch(available("work", "alice@example.org", "phone", "away", 5));
  store.dispatch(available("work", "bob@example.org", "home", "dnd", 0));
  store.dispatch(available("work", "carol@example.org", "desk", "xa", 1));
  store.dispatch(available("work", "dave@example.org", "pc", "chat", 3));
  store.dispatch({ type: "requests/add", account: "work", request: { jid: "eve@example.org", received: new Date().toISOString() } });
  store.dispatch({ type: "requests/add", account: "work", request: { jid: "mallory@example.org", received: new Date().toISOString() } });
  store.dispatch(chatMessage("work", "bob@example.org", "one"));
  store.dispatch(chatMessage("work", "bob@example.org", "two"));
}

describe("the roster pane", () => {
  test("rows from the store: account, pending requests, groups, contacts with presence and unread counts", async () => {
    app = await renderApp({ preload });
    const f = await app.waitFrame((fr) => fr.includes("Alice"));
    // (the unread count sits at the right edge of the pane)
    expect(pane(f).filter(Boolean).map((l) => l.replace(/ {2,}(\d+)$/, " [$1]"))).toEqual(["work (offline)", " ! 2 requests (/requests)", " ▾ Friends", " ▸● Alice", " ▸⊘ Bob [2]", " ▾ Work", " ▸○ carol@example.org", " ▸◉ Dave"]);
    // Offline contacts come and go with M-o.
    let g = await app.press(KEY.alt("o"), (fr) => fr.includes("Olga"));
    expect(pane(g)).toContain("  · Olga (offline)");
    g = await app.press(KEY.alt("o"), (fr) => !fr.includes("Olga"));
    expect(g).not.toContain("Olga");
  });

  test("presence changes after the first frame reach each contact's row, in every group it is in", async () => {
    app = await renderApp({
      preload(store) {
        preload(store);
        store.dispatch({ type: "roster/push", account: "work", item: { jid: "zed@example.org", name: "Zed", groups: ["Friends", "Work"], subscription: "both" } });
      },
    });
    const store = app.client.store;
    await app.waitFrame((fr) => fr.includes("Alice"));
    let f = await app.after(() => store.dispatch(available("work", "zed@example.org", "pc", "dnd", 1)), (fr) => pane(fr).includes(" ▸⊘ Zed"));
    expect(pane(f).filter((l) => l.includes("Zed"))).toEqual([" ▸⊘ Zed", " ▸⊘ Zed"]); // Friends and Work
    f = await app.after(() => store.dispatch(available("work", "dave@example.org", "pc", "away", 3)), (fr) => pane(fr).includes(" ▸◐ Dave"));
    expect(pane(f)).toContain(" ▸⊘ Zed");
    // Gone: hidden with the other offline contacts; back: shown again.
    f = await app.after(() => store.dispatch({ type: "presence/unavailable", account: "work", jid: "zed@example.org", resource: "" }), (fr) => !fr.includes("Zed"));
    expect(pane(f)).toContain(" ▸◐ Dave");
    f = await app.after(() => store.dispatch(available("work", "zed@example.org", "phone", "xa", 0)), (fr) => pane(fr).includes(" ▸○ Zed"));
    expect(pane(f).filter((l) => l.includes("Zed"))).toEqual([" ▸○ Zed", " ▸○ Zed"]);
  });

  test("focus with F4: a cursor, Up/Down (and j/k) move it, Space shows the resources with show and priority", async () => {
    app = await renderApp({ preload });
    await app.waitFrame((fr) => fr.includes("Alice"));
    let f = await app.press(KEY.f4, (fr) => fr.includes("›▸● Alice"));
    expect(f).toContain("Roster: ↑/↓ select");
    f = await app.press(KEY.down, (fr) => fr.includes("›▸⊘ Bob"));
    expect(f).not.toContain("›▸● Alice");
    f = await app.press("k", (fr) => fr.includes("›▸● Alice"));
    f = await app.press(" ", (fr) => fr.includes("laptop"));
    const rows = pane(f);
    const at = rows.indexOf("›▾● Alice");
    expect(at).toBeGreaterThan(0);
    // best first: priority 10 online, then priority 5 away
    expect(rows[at + 1]).toMatch(/^ +● laptop +online 10$/);
    expect(rows[at + 2]).toMatch(/^ +◐ phone +away 5$/);
    f = await app.press(KEY.left, (fr) => !fr.includes("laptop"));
    expect(f).toContain("›▸● Alice");
    f = await app.press(KEY.right, (fr) => fr.includes("laptop"));
    // typing in the roster focus does not reach the command line
    expect(f.split("\n").at(-1)).toBe("/");
  });

  test("Enter opens the conversation tab and gives the focus back to the command line; Esc just goes back", async () => {
    app = await renderApp({ preload });
    await app.waitFrame((fr) => fr.includes("Alice"));
    await app.press(KEY.f4, (fr) => fr.includes("›▸● Alice"));
    await app.press("jj", (fr) => fr.includes("›▸○ carol@example.org"));
    let f = await app.press(KEY.enter, (fr) => fr.includes("2:work›carol@example.org"));
    expect(f).toContain("No messages yet. Type to write to carol@example.org.");
    expect(f).not.toContain("›▸○"); // no cursor without the focus
    f = await app.press("hi", (fr) => fr.includes("› hi"));
    await app.press("\x15", (fr) => !fr.includes("› hi")); // C-u
    await app.press(KEY.f4, (fr) => fr.includes("›▸○ carol@example.org")); // the cursor stayed
    f = await app.press(KEY.escape, (fr) => !fr.includes("›▸○"));
    expect(f).toContain("Enter sends");
  });

  test("a long roster scrolls to keep the cursor visible", async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ jid: `c${String(i).padStart(2, "0")}@example.org` }));
    app = await renderApp({
      preload: (s) => {
        s.dispatch(rosterLoaded("work", many));
        for (const c of many) s.dispatch(available("work", c.jid, "r", "online", 0));
      },
    });
    let f = await app.waitFrame((fr) => fr.includes("c00@example.org"));
    expect(pane(f).filter(Boolean).at(-1)).toMatch(/^↓\d+ more$/);
    await app.press(KEY.f4, (fr) => fr.includes("›▸● c00@"));
    f = await app.press(KEY.down.repeat(30), (fr) => fr.includes("›▸● c30@"));
    expect(f).not.toContain("c00@");
    expect(pane(f).filter(Boolean).at(-1)).toMatch(/^↑\d+ ↓\d+ more$/);
    f = await app.press(KEY.up.repeat(30), (fr) => fr.includes("›▸● c00@"));
    expect(f).toContain("work (offline)");
  });

  test("the width changes with < and > in the roster focus (M-< / M-> anywhere)", async () => {
    app = await renderApp({ preload });
    const width = (fr: string) => fr.split("\n")[1]!.indexOf("│");
    const f0 = await app.waitFrame((fr) => fr.includes("Alice"));
    expect(width(f0)).toBe(27);
    await app.press(KEY.alt(">"), (fr) => width(fr) === 29);
    await app.press(KEY.f4, (fr) => fr.includes("›▸● Alice"));
    await app.press("<<<", (fr) => width(fr) === 23);
  });

  test("a 60-column terminal hides the roster (and its focus); back at 100 columns it returns", async () => {
    app = await renderApp({ preload });
    await app.waitFrame((fr) => fr.includes("Alice"));
    await app.press(KEY.f4, (fr) => fr.includes("›▸● Alice"));
    let f = await app.resize(60, 20, (fr) => !fr.includes("│"));
    expect(f).not.toContain("Alice");
    expect(f.split("\n").every((l) => l.length <= 60)).toBe(true);
    // keys go to the command line again
    f = await app.press("x", (fr) => fr.includes("/ x"));
    f = await app.resize(100, 24, (fr) => fr.includes("│"));
    expect(f).toContain("Alice");
  });
});
