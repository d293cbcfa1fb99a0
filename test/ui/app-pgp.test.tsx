/**
 * Encryption in the interface: each message's mark ([OX✓], [PGP✗] ... with the reason), the
 * conversation's policy in the tab bar and the status line, and a message that cannot be
 * encrypted under policy "on": refused with a clear error, the text back in the input line.
 */
import fs from "node:fs";
import path from "node:path";

import { afterEach, expect, test } from "vitest";

import { generateKey } from "../../src/core/crypto/openpgp/pgp.js";

import { chatTabId } from "../../src/ui/state/ui-store.js";
import { chatMessage, renderApp, type AppHarness } from "./render-app.js";

const BOB = "bob@example.org";
const chatTab = { kind: "chat" as const, id: chatTabId("work", BOB), account: "work", peer: BOB };

let app: AppHarness | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

test("each message shows its encryption and verification; hostile notes are sanitised", async () => {
  app = await renderApp({
    tabs: [chatTab],
    columns: 140,
    preload: (s) => {
      const a = chatMessage("work", BOB, "all good");
      s.dispatch({ ...a, message: { ...a.message, encryption: "ox", verified: "verified" } });
      const b = chatMessage("work", BOB, "who sent this");
      s.dispatch({ ...b, message: { ...b.message, encryption: "pgp", verified: "bad", cryptoNote: "signed with the key of eve@example.org\u001b[2J" } });
      const c = chatMessage("work", BOB, "plain one");
      s.dispatch(c);
    },
  });
  const f = await app.press("\x1b2", (fr) => fr.includes("plain one"));
  expect(f).toMatch(/\[OX✓\] bob@example.org: all good/);
  expect(f).toMatch(/\[PGP✗\] bob@example.org: who sent this \(signed with the key of eve@example.org␛\[2J\)/);
  expect(f).toMatch(/\d\d:\d\d bob@example.org: plain one/); // no mark on plaintext
});

test("the policy shows in the tab bar and the status line; refused text stays in the input line", async () => {
  app = await renderApp({ tabs: [chatTab] });
  let f = await app.press("\x1b2", (fr) => fr.includes("2:work›bob@example.org"));
  expect(f).not.toContain("pgp:on");
  expect(f).not.toContain("🔒");
  f = await app.press("/pgp on\r", (fr) => fr.includes("pgp:on"));
  expect(f).toContain("bob@example.org🔒");
  // No key at all: the message is refused, nothing is queued, the text comes back.
  f = await app.press("attack at dawn\r", (fr) => fr.includes("not sent: encryption is on"));
  expect(app.client.outbox.all()).toEqual([]);
  expect(f.split("\n").some((l) => l.includes("attack at dawn") && !l.includes(":"))).toBe(true);
  await app.press("\x15", (fr) => !fr.includes("attack at dawn")); // Ctrl-U: kill to the start
  // The same through /msg: the command comes back whole.
  await app.press("\x15", (fr) => !fr.includes("attack at dawn"));
  f = await app.press(`/msg ${BOB} retreat\r`, (fr) => fr.split("\n").some((l) => l.includes(`› /msg ${BOB} retreat`)) && fr.includes("not sent"));
  expect(app.client.outbox.all()).toEqual([]);
  // A failing /pgp import with a typed passphrase is NOT put back (no secret on the screen).
  await app.press("\x15", (fr) => !fr.includes("retreat"));
  const keyFile = path.join(app.dataDir, "key.asc");
  fs.writeFileSync(keyFile, (await generateKey("me@example.org", "the right one")).secretArmored);
  f = await app.press(`/pgp import ${keyFile} hunter2\r`, (fr) => fr.includes("wrong passphrase"));
  expect(f).not.toContain("hunter2");
  f = await app.press("/pgp off\r", (fr) => !fr.includes("pgp:on"));
  expect(f).not.toContain("🔒");
});
