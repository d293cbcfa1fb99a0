/**
 * The conversation view through the real app: XEP-0393 styling, hostile text, exact wrapping,
 * the time format, the status line, and typing that never redraws the messages.
 */
import stringWidth from "string-width";
import { afterEach, describe, expect, test } from "vitest";

import type { ChatMessage } from "../../src/core/store/types.js";
import { layoutEntry, localSpans, styledSpans, wrapSpans } from "../../src/ui/components/RemoteText.js";
import { messageRows, visibleMessages } from "../../src/ui/components/ChatView.js";
import { chatTabId } from "../../src/ui/state/ui-store.js";
import { available, chatMessage, renderApp, type AppHarness } from "./render-app.js";

const BOB = "bob@example.org";
const chatTab = { kind: "chat" as const, id: chatTabId("work", BOB), account: "work", peer: BOB };

let app: AppHarness | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Open the conversation with bob (tab 2) and wait until it shows. */
async function openBob(a: AppHarness, until: (f: string) => boolean): Promise<string> {
  return a.press("\x1b2", (f) => f.includes("2:work›bob@example.org") && until(f));
}

/** Rows of the chat pane: the lines between the tab bar and the status line, right of the roster. */
function chatLines(frame: string, rosterWidth: number): string[] {
  const lines = frame.split("\n");
  return lines.slice(1, lines.length - 2).map((l) => l.slice(rosterWidth + 1).trimEnd());
}

describe("messages", () => {
  test("XEP-0393 styling: the text stays, directives kept, styles become terminal attributes", async () => {
    app = await renderApp({ tabs: [chatTab], preload: (s) => s.dispatch(chatMessage("work", BOB, "this is *bold*, _it_, ~gone~ and `x = 1`\n> quoted line\n```\npre *not bold*\n```")) });
    const f = await openBob(app, (fr) => fr.includes("this is *bold*"));
    expect(f).toContain("bob@example.org: this is *bold*, _it_, ~gone~ and `x = 1`");
    expect(f).toContain("│ quoted line"); // the quote marker became a bar
    expect(f).toContain("pre *not bold*");
    const raw = app.rawFrame();
    expect(raw).toMatch(/\x1b\[1mbold/); // bold text, with the directive "*" outside the bold run (dimmed)
    expect(raw).toMatch(/\x1b\[3mit/); // italic
    expect(raw).toMatch(/\x1b\[9mgone/); // strikethrough
    expect(raw).not.toMatch(/\x1b\[1mnot bold/); // nothing is styled inside a pre block
  });

  test("hostile text in a body shows placeholders and no control characters reach the frame", async () => {
    const hostile = "a\x1b]0;evil title\x07 b\x1b[2J c\u009b31m d\u202eevil\u202c e\u200b f\r\n\x00g";
    app = await renderApp({ tabs: [chatTab], preload: (s) => s.dispatch(chatMessage("work", BOB, hostile)) });
    const f = await openBob(app, (fr) => fr.includes("‹RLO›"));
    expect(f).toContain("␛]0;evil title␇");
    expect(f).toContain("␛[2J");
    expect(f).toContain("‹CSI›31m");
    expect(f).toContain("‹RLO›evil‹PDF›");
    expect(f).toContain("‹ZWSP›");
    expect(f).toContain("␀g");
    expect(f).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e]/);
    // In the raw frame, the only escape sequences are our own SGR attributes.
    expect(app.rawFrame().replace(/\x1b\[[0-9;]*m/g, "")).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    // The placeholders are dimmed and inverse.
    expect(app.rawFrame()).toMatch(/\x1b\[2m\x1b\[7m‹RLO›|\x1b\[7m\x1b\[2m‹RLO›/);
  });

  test("long lines with wide characters and combining marks wrap exactly: every row fits, nothing is lost", async () => {
    const body = "漢字かな交じり文 ".repeat(12) + "e\u0301\u0302 ".repeat(30) + "x".repeat(150);
    app = await renderApp({ tabs: [chatTab], preload: (s) => s.dispatch(chatMessage("work", BOB, body, { id: "long" })) });
    const f = await openBob(app, (fr) => fr.includes("xxxxxxxx"));
    const width = 100 - 28 - 1; // columns - roster - padding
    const lines = chatLines(f, 28);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(width);
    const text = lines.join(" ").replace(/\s+/g, "");
    expect(text).toContain(body.replace(/\s+/g, ""));
    // The rows the view counted are the rows drawn (day separator + message).
    const m = app.store.getState().accounts.work!.conversations[BOB]!.messages[0]!;
    const drawn = lines.filter((l) => l.trim() !== "").length;
    expect(drawn).toBe(1 + messageRows(m, width));
  });

  test("visibleMessages slices rows exactly from the bottom, scrolls by rows and clamps at the top", () => {
    const t0 = new Date(2024, 0, 2, 9, 0, 0);
    const msgs: ChatMessage[] = Array.from({ length: 30 }, (_, i) => chatMessage("work", BOB, `message ${i} ` + "word ".repeat(i % 7 * 5), { time: new Date(t0.getTime() + i * 1000), id: `v${i}` }).message);
    const total = 1 + msgs.reduce((n, m) => n + messageRows(m, 40), 0);
    const bottom = visibleMessages(msgs, 10, 40, 0);
    expect(bottom.rows).toHaveLength(10);
    expect(bottom.items.at(-1)!.id).toBe("v29");
    const up = visibleMessages(msgs, 10, 40, 5);
    expect(up.rows).toHaveLength(10);
    expect(up.rows.at(-1)!.key).toBe(bottom.rows.at(-6)!.key);
    const top = visibleMessages(msgs, 10, 40, Number.MAX_SAFE_INTEGER);
    expect(top.scroll).toBe(total - 10);
    expect(top.rows[0]!.spans.map((s) => s.text).join("")).toMatch(/^─── 2024-01-02 ───$/);
    expect(top.items[0]!.id).toBe("v0");
  });

  test("the time_format and date_format settings drive message times and day separators", async () => {
    const time = new Date(2024, 0, 2, 9, 5, 7);
    app = await renderApp({ tabs: [chatTab], settings: { time_format: "H.mm.ss", date_format: "DD/MM/YYYY" }, preload: (s) => s.dispatch(chatMessage("work", BOB, "timed", { time })) });
    const f = await openBob(app, (fr) => fr.includes("timed"));
    expect(f).toContain("9.05.07 bob@example.org: timed");
    expect(f).toContain("─── 02/01/2024 ───");
  });
});

describe("layout helpers", () => {
  test("quoted lines keep their bar on every wrapped row; hanging indent under the header", () => {
    const rows = wrapSpans(styledSpans("> " + "word ".repeat(10)), 20);
    expect(rows.length).toBeGreaterThan(1);
    for (const r of rows) expect(r.map((s) => s.text).join("")).toMatch(/^│ /);
    const entry = layoutEntry(localSpans("12:00 bob: "), styledSpans("one two three four five six seven"), 24);
    expect(entry.map((r) => r.map((s) => s.text).join(""))).toEqual(["12:00 bob: one two three", "           four five six", "           seven"]);
  });
});

describe("status line and focus", () => {
  test("shows the account status, the peer's best resource and the resource lock", async () => {
    app = await renderApp({
      tabs: [chatTab],
      preload: (s) => {
        s.dispatch(available("work", BOB, "laptop", "dnd", 1));
        s.dispatch(available("work", BOB, "phone", "away", 5));
      },
    });
    let f = await openBob(app, (fr) => fr.includes("away (phone)"));
    const status = f.split("\n").at(-2)!;
    expect(status).toContain("[work: offline]");
    expect(status).toContain("◐ away (phone)");
    expect(status).not.toContain("lock:");
    f = await app.after(() => app!.store.dispatch({ type: "conversations/lock", account: "work", peer: BOB, resource: "laptop", manual: true }), (fr) => fr.includes("lock:laptop"));
    expect(f.split("\n").at(-2)).toContain("lock:laptop (set)");
  });

  test("typing in the command line does not re-render the chat view", async () => {
    const commits: Record<string, number> = {};
    app = await renderApp({
      tabs: [chatTab],
      profiler: (id) => {
        commits[id] = (commits[id] ?? 0) + 1;
      },
      preload: (s) => s.dispatch(chatMessage("work", BOB, "hello there")),
    });
    await openBob(app, (fr) => fr.includes("hello there"));
    const before = { ...commits };
    await app.press("h", (f) => f.includes("› h"));
    await app.press("ello", (f) => f.includes("› hello"));
    await app.press("\x7f", (f) => f.includes("› hell") && !f.includes("› hello"));
    expect(commits.main).toBe(before.main);
    expect(commits.roster).toBe(before.roster);
    expect(commits.tabs).toBe(before.tabs);
    // The spy does see the chat view render when a message arrives.
    await app.after(() => app!.store.dispatch(chatMessage("work", BOB, "news")), (f) => f.includes("news"));
    expect(commits.main).toBeGreaterThan(before.main!);
  });
});
