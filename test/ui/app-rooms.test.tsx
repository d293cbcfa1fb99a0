/**
 * Room tabs through the real app: the "#" marker and the separate highlight count in the tab bar,
 * the topic line and the occupant pane, nicks in their XEP-0392 colours, join/leave lines, Alt-h
 * to the next highlighted tab, Tab completing a nick with ": ", and hostile nicks, subjects and
 * bodies never reaching the terminal raw.
 */
import chalk from "chalk";
import { afterEach, describe, expect, test } from "vitest";

import type { Store } from "../../src/core/store/store.js";
import type { ChatMessage, Occupant } from "../../src/core/store/types.js";
import { colorAngle, consistentColor } from "../../src/core/text/colors.js";
import { completeNick } from "../../src/ui/nick-complete.js";
import { chatTabId } from "../../src/ui/state/ui-store.js";
import { KEY, renderApp, type AppHarness } from "./render-app.js";

const ROOM = "ops@conference.example.org";
const roomTab = { kind: "chat" as const, id: chatTabId("work", ROOM), account: "work", peer: ROOM };

let app: AppHarness | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const occ = (nick: string, role: Occupant["role"] = "participant", affiliation: Occupant["affiliation"] = "none"): Occupant => ({ nick, role, affiliation, show: "online" });

function joinRoom(store: Store, occupants: Occupant[], subject?: string) {
  store.dispatch({ type: "rooms/joining", account: "work", room: ROOM, nick: "me" });
  store.dispatch({ type: "rooms/joined", account: "work", room: ROOM, nick: "me" });
  store.dispatch({ type: "rooms/occupants", account: "work", room: ROOM, occupants: [occ("me", "moderator", "owner"), ...occupants] });
  if (subject !== undefined) store.dispatch({ type: "rooms/subject", account: "work", room: ROOM, subject });
}

function roomMessage(nick: string, body: string, extra: Partial<ChatMessage> = {}) {
  const message: ChatMessage = { id: `m-${Math.random()}`, direction: "in", from: `${ROOM}/${nick}`, to: "me@example.org", type: "groupchat", body, time: new Date().toISOString(), nick, ...extra };
  return { type: "conversations/message" as const, account: "work", peer: ROOM, message };
}

describe("room tabs", () => {
  test("marker, topic, occupant pane with roles, coloured nicks, notices, highlight count and Alt-h", async () => {
    app = await renderApp({
      columns: 120,
      tabs: [roomTab],
      preload: (s) => {
        joinRoom(s, [occ("bob"), occ("carol", "visitor")], "release friday");
        s.dispatch(roomMessage("bob", "bob joined", { notice: "join" }));
        s.dispatch(roomMessage("bob", "hello all"));
      },
    });
    const f = await app.press(KEY.alt("2"), (fr) => fr.includes("hello all"));
    expect(f).toContain("2:work›#ops@conference.example.org");
    expect(f).toContain("topic: release friday");
    expect(f).toContain("3 here");
    expect(f).toMatch(/@●~me/);
    expect(f).toMatch(/\+● bob/);
    expect(f).toContain("-- bob joined");
    expect(f).toContain("bob: hello all");
    // Nicks in their XEP-0392 colours (as the terminal's colour level renders consistentColor()).
    const open = (nick: string) => chalk.hex(consistentColor(nick))("X").split("X")[0]!;
    expect(app.rawFrame()).toContain(`${open("bob")}bob`);
    expect(app.rawFrame()).toContain(`${open("carol")}carol`);

    // Back to the console; a highlight arrives: "!1" on the room tab, and Alt-h goes there.
    await app.press(KEY.alt("1"), (fr) => fr.includes("1:console") && !fr.includes("hello all"));
    app.client.store.dispatch({ ...roomMessage("bob", "me: look"), message: { ...roomMessage("bob", "me: look").message, highlight: true } });
    app.client.store.dispatch({ type: "rooms/highlight", account: "work", room: ROOM });
    await app.waitFrame((fr) => fr.includes("!1"));
    const g2 = await app.press(KEY.alt("h"), (fr) => fr.includes("me: look"));
    expect(g2).toContain("! bob: me: look");
    // Reading the room clears the highlight.
    await app.waitFrame((fr) => !fr.includes("!1"));
  });

  test("hostile nicks, subjects and bodies are shown inert", async () => {
    const evilNick = "ev\u202eil\x1b[2J";
    app = await renderApp({
      columns: 120,
      tabs: [roomTab],
      preload: (s) => {
        joinRoom(s, [occ(evilNick)], "topic\x1b]0;pwned\x07 \u2028 x");
        s.dispatch(roomMessage(evilNick, "body\u009b31m red"));
        s.dispatch(roomMessage(evilNick, `${evilNick} joined`, { notice: "join" }));
      },
    });
    const f = await app.press(KEY.alt("2"), (fr) => fr.includes("red"));
    expect(f).toContain("ev‹RLO›il␛[2J");
    expect(f).toContain("␛]0;pwned␇");
    expect(f).toContain("‹CSI›31m red");
    expect(f).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2028]/);
    expect(app.rawFrame().replace(/\x1b\[[0-9;]*m/g, "")).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });

  test("Tab at the start of a line completes a nick and adds \": \"", async () => {
    app = await renderApp({ columns: 120, tabs: [roomTab], preload: (s) => joinRoom(s, [occ("bobby"), occ("carol")]) });
    await app.press(KEY.alt("2"), (fr) => fr.includes("2:work›#"));
    const f = await app.press("bo\t", (fr) => fr.includes("bobby: "));
    expect(f).toMatch(/› bobby: /);
  });
});

describe("nick completion and colours (pure)", () => {
  test("only the first word; case-insensitive; hostile nicks are never offered", () => {
    expect(completeNick("ca", 2, ["carol", "Carla", "bob"]).candidates).toEqual(["Carla: ", "carol: "]);
    expect(completeNick("hi ca", 5, ["carol"]).candidates).toEqual([]);
    expect(completeNick("ev", 2, ["ev\u202eil", "eve"]).candidates).toEqual(["eve: "]);
  });
  test("XEP-0392 angles of the specification's examples", () => {
    expect(colorAngle("Romeo")).toBeCloseTo(327.255249, 5);
    expect(colorAngle("juliet@capulet.lit")).toBeCloseTo(209.4104, 4);
    expect(colorAngle("😺")).toBeCloseTo(331.199341, 5);
    expect(colorAngle("council")).toBeCloseTo(359.994507, 5);
    expect(colorAngle("Board")).toBeCloseTo(171.430664, 5);
    expect(consistentColor("council")).toBe("#ea0064"); // HSLuv(0, 100, 50)
  });
});

describe("retracted messages", () => {
  test("show who removed them and why, without the text", async () => {
    app = await renderApp({
      columns: 120,
      tabs: [roomTab],
      preload: (s) => {
        joinRoom(s, [occ("bob")]);
        s.dispatch(roomMessage("bob", "secret text", { id: "r1" }));
        s.dispatch(roomMessage("bob", "other text", { id: "r2" }));
        s.dispatch({ type: "conversations/retract", account: "work", peer: ROOM, id: "r1", by: `${ROOM}/mod`, reason: "spam" });
        s.dispatch({ type: "conversations/retract", account: "work", peer: ROOM, id: "r2", by: "bob" });
      },
    });
    const f = await app.press(KEY.alt("2"), (fr) => fr.includes("[retracted]"));
    expect(f).toContain(`bob: [removed by ${ROOM}/mod: spam]`);
    expect(f).not.toContain("secret text");
    expect(f).not.toContain("other text");
  });
});

describe("muc_show_joins off", () => {
  test("join and leave lines are left out; kicks and messages stay", async () => {
    app = await renderApp({
      columns: 120,
      settings: { muc_show_joins: false },
      tabs: [roomTab],
      preload: (s) => {
        joinRoom(s, [occ("bob")]);
        s.dispatch(roomMessage("bob", "bob joined", { notice: "join" }));
        s.dispatch(roomMessage("bob", "visible text"));
        s.dispatch(roomMessage("eve", "eve was kicked by me", { notice: "kick" }));
        s.dispatch(roomMessage("bob", "bob left", { notice: "leave" }));
      },
    });
    const f = await app.press(KEY.alt("2"), (fr) => fr.includes("visible text"));
    expect(f).toContain("eve was kicked by me");
    expect(f).not.toContain("bob joined");
    expect(f).not.toContain("bob left");
  });
});

describe("private conversations with occupants", () => {
  test("a tab keyed by the occupant's full JID shows its nick as the sender", async () => {
    const PEER = `${ROOM}/bob`;
    const tab = { kind: "chat" as const, id: chatTabId("work", PEER), account: "work", peer: PEER };
    app = await renderApp({
      columns: 120,
      tabs: [tab],
      preload: (s) => {
        joinRoom(s, [occ("bob")]);
        s.dispatch({ type: "conversations/message", account: "work", peer: PEER, message: { id: "p1", direction: "in", from: PEER, to: "me@example.org/x", type: "chat", body: "psst", time: new Date().toISOString() } });
      },
    });
    const f = await app.press(KEY.alt("2"), (fr) => fr.includes("psst"));
    expect(f).toContain("bob: psst");
    expect(f).not.toContain("ops@conference.example.org: psst");
  });
});
