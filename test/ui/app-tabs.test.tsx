/**
 * Tabs through the real app: the XML console (/xmlconsole, traffic from the client's `xml`
 * event, credentials redacted, bounded, tapped only while open) and unread counts that survive
 * a restart (ui-tabs.json).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, describe, expect, test } from "vitest";

import { createRegistry } from "../../src/core/commands/defs/index.js";
import { executeLine } from "../../src/core/commands/execute.js";
import { setKeyBindings } from "../../src/ui/input/keymap.js";
import { loadTabs, saveTabs } from "../../src/ui/state/persist.js";
import { chatTabId } from "../../src/ui/state/ui-store.js";
import { XML_LOG_LIMIT } from "../../src/ui/state/xml-log.js";
import { chatMessage, KEY, renderApp, type AppHarness } from "./render-app.js";

let app: AppHarness | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

type Tap = ((direction: "in" | "out", text: string) => void) | undefined;

/** Record the traffic tap the engine gives the account (what the session's traffic hook calls). */
function spyTap(a: AppHarness, account: string): { current: Tap; calls: number } {
  const acct = a.client.engine.find(account)!;
  const spy = { current: undefined as Tap, calls: 0 };
  const original = acct.setTrafficTap.bind(acct);
  acct.setTrafficTap = (tap) => {
    spy.current = tap;
    spy.calls++;
    original(tap);
  };
  return spy;
}

describe("key bindings from the config file", () => {
  afterEach(() => setKeyBindings({}));

  test("bind, unbind and a clear message for what cannot apply; the rest still applies", async () => {
    app = await renderApp({ keys: { "M-n": "tab-2", "M-2": "none", "C-q": "launch-rockets", "C-": "redraw", "input:C-o": "move-start" } });
    let f = await app.waitFrame((fr) => fr.includes("launch-rockets"));
    expect(f).toContain('keys: "C-q": unknown action "launch-rockets"');
    expect(f).toMatch(/keys: bad key "C-"|keys: unknown key name/);
    await app.press("/xmlconsole -a work\r", (fr) => fr.includes("2:work›xml"));
    f = await app.press(KEY.alt("1"), (fr) => fr.includes("jabterm 0.0.0-test"));
    // M-n is now "tab 2"; M-2 does nothing any more (M-1 still does its job).
    f = await app.press(KEY.alt("n"), (fr) => fr.includes("XML console of work"));
    await app.press(KEY.alt("1"), (fr) => fr.includes("jabterm 0.0.0-test"));
    f = await app.press(KEY.alt("2") + "x", (fr) => fr.includes("/ x"));
    expect(f).toContain("jabterm 0.0.0-test");
    // A line edit on a new key: C-o goes to the start of the line.
    f = await app.press("\x0fy", (fr) => fr.includes("/ yx"));
    expect(f).toContain("/ yx");
  });
});

describe("the XML console", () => {
  test("/xmlconsole opens a tab with the account's stream: direction marks, credentials redacted, remote text sanitised", async () => {
    app = await renderApp();
    const tap = spyTap(app, "work");
    expect(app.client.listenerCount("xml")).toBe(0);
    let f = await app.press("/xmlconsole -a work\r", (fr) => fr.includes("2:work›xml"));
    expect(f).toContain("XML console of work: traffic shows here from now on");
    expect(app.client.listenerCount("xml")).toBe(1);
    expect(tap.current).toBeTypeOf("function");

    // What the session's traffic hook reports goes through the client (redacted) to the tab.
    f = await app.after(() => tap.current!("out", "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGJvYgBzM2NyM3Q=</auth>"), (fr) => fr.includes("→ <auth"));
    expect(f).not.toContain("AGJvYgBzM2NyM3Q=");
    expect(f).toContain("mechanism='PLAIN'>***</auth>");
    f = await app.after(() => tap.current!("in", "<message from='bob@example.org/x'><body>hi \u001b[2J\u202e there</body></message>"), (fr) => fr.includes("← <message"));
    expect(f).toContain("<body>hi ␛[2J‹RLO›");
    expect(f).toContain("there</body></message>");
    expect(f).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
    expect(f.indexOf("→ <auth")).toBeLessThan(f.indexOf("← <message")); // newest at the bottom
    expect(f).toContain("XML console of work: 2 stanzas");

    // Fake traffic through the client event: the console keeps the last XML_LOG_LIMIT.
    f = await app.after(
      () => {
        for (let i = 0; i < XML_LOG_LIMIT + 100; i++) app!.client.emit("xml", { account: "work", direction: "in", text: `<iq id='n${i}'/>` });
      },
      (fr) => fr.includes(`<iq id='n${XML_LOG_LIMIT + 99}'/>`),
    );
    expect(f).toContain(`XML console of work: ${XML_LOG_LIMIT} stanzas`);
    // Another account's traffic is not shown here.
    app.client.emit("xml", { account: "home", direction: "in", text: "<presence id='other'/>" });

    // Closing the tab detaches: the accounts are no longer tapped.
    f = await app.press("/close\r", (fr) => !fr.includes("work›xml"));
    expect(f).not.toContain("presence id='other'");
    expect(app.client.listenerCount("xml")).toBe(0);
    expect(tap.current).toBeUndefined();
  });

  test("without -a it takes the current tab's account; an unknown account is an error; headless mode refuses it", async () => {
    app = await renderApp({ accounts: [{ jid: "me@example.org", name: "work" }, { jid: "me@example.net", name: "home" }], tabs: [{ kind: "chat", id: chatTabId("home", "bob@example.org"), account: "home", peer: "bob@example.org" }] });
    await app.press(KEY.alt("2"), (fr) => fr.includes("Enter sends"));
    let f = await app.press("/xmlconsole\r", (fr) => fr.includes("3:home›xml"));
    f = await app.press("/xmlconsole -a nobody\r", (fr) => fr.includes("no account named nobody"));
    expect(f).toContain("3:home›xml");
    const ctx = { client: app.client, registry: createRegistry(), host: "headless" as const, currentAccount: () => undefined, currentConversation: () => undefined };
    const r = await executeLine(ctx, "/xmlconsole -a work");
    expect(r.ok).toBe(false);
    expect(r.error?.text).toMatch(/full-screen interface only/);
  });
});

describe("unread counts across a restart", () => {
  test("saved with the tabs, shown in the tab bar and the roster after a restart, cleared once the tab is read", async () => {
    const bob = "bob@example.org";
    const tab = { kind: "chat" as const, id: chatTabId("work", bob), account: "work", peer: bob };
    // First run: two messages arrive in a tab that is not looked at.
    app = await renderApp({ tabs: [tab] });
    await app.after(
      () => {
        app!.store.dispatch(chatMessage("work", bob, "one"));
        app!.store.dispatch(chatMessage("work", bob, "two"));
      },
      (fr) => fr.includes("2:work›bob@example.org[2]"),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-ui-tabs-"));
    try {
      saveTabs(dir, app.ui.getState().tabs); // what interactive mode does at exit
      expect(JSON.parse(fs.readFileSync(path.join(dir, "ui-tabs.json"), "utf8"))).toEqual([{ kind: "chat", id: tab.id, account: "work", peer: bob, unread: 2 }]);
      expect((fs.statSync(path.join(dir, "ui-tabs.json")).mode & 0o777).toString(8)).toBe("600");
      await app.close();

      // Second run: the store is empty; the count comes back from the file.
      app = await renderApp({ restoreFrom: dir, preload: (s) => s.dispatch({ type: "roster/loaded", account: "work", items: [{ jid: bob, name: "Bob", groups: [], subscription: "both" }] }) });
      let f = await app.waitFrame((fr) => fr.includes("2:work›bob@example.org[2]"));
      expect(f).toMatch(/Bob +2/); // the roster shows it too (Bob is offline but has unread messages)
      // A new message adds to it.
      f = await app.after(() => app!.store.dispatch(chatMessage("work", bob, "three")), (fr) => fr.includes("bob@example.org[3]"));
      // M-a jumps to it; reading it clears everything.
      f = await app.press(KEY.alt("a"), (fr) => fr.includes("three") && !fr.includes("[3]"));
      expect(f).not.toMatch(/bob@example\.org\[\d+\]/);
      expect(app.ui.getState().tabs[1]).toEqual(tab);
      saveTabs(dir, app.ui.getState().tabs);
      expect(loadTabs(dir)).toEqual([tab]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    }
  });

  test("a reply of ours (here or from another device) counts the carried-over messages as read", async () => {
    const bob = "bob@example.org";
    const tab = { kind: "chat" as const, id: chatTabId("work", bob), account: "work", peer: bob, unread: 4, carried: 4 };
    app = await renderApp({ tabs: [tab] });
    await app.waitFrame((fr) => fr.includes("bob@example.org[4]"));
    const f = await app.after(() => app!.store.dispatch({ ...chatMessage("work", bob, "answered on my phone", { direction: "out" }), message: { ...chatMessage("work", bob, "x", { direction: "out" }).message, carbon: "sent" as const } }), (fr) => !fr.includes("[4]"));
    expect(f).toContain("2:work›bob@example.org");
  });

  test("ui-tabs.json: bad entries are skipped, counts must be positive integers", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jabterm-ui-tabs-"));
    try {
      fs.writeFileSync(
        path.join(dir, "ui-tabs.json"),
        JSON.stringify([{ kind: "chat", id: "chat:w:a@x", account: "w", peer: "a@x", unread: 3 }, { kind: "chat", id: "chat:w:b@x", account: "w", peer: "b@x", unread: -1 }, { kind: "chat", id: "c", account: "w" }, { kind: "xml", id: "xml:w", account: "w" }, "junk", null]),
      );
      expect(loadTabs(dir)).toEqual([
        { kind: "chat", id: "chat:w:a@x", account: "w", peer: "a@x", unread: 3, carried: 3 },
        { kind: "chat", id: "chat:w:b@x", account: "w", peer: "b@x" },
        { kind: "xml", id: "xml:w", account: "w" },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    }
  });
});
