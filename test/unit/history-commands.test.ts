/**
 * /search, /history (show, export, clear, retention) over a real client and history store,
 * messages injected as the engine would deliver them (no network).
 */
import fs from "node:fs";
import path from "node:path";

import { afterEach, describe, expect, test } from "vitest";

import { parseSearch } from "../../src/core/commands/defs/history.js";
import { xml } from "../../src/core/xmpp/transport/xml.js";
import { tempClient } from "../helpers/engine.js";

const ME = "me@example.org";
const BOB = "bob@example.org";
const CAROL = "carol@example.org";
let t: ReturnType<typeof tempClient>;
afterEach(async () => {
  await t?.close();
});

function setup() {
  t = tempClient([{ jid: ME, name: "work" }]);
  const inject = (from: string, body: string, id: string, stamp?: string) =>
    t.engine.emit("stanza", {
      account: "work",
      stanza: xml("message", { from, to: `${ME}/jabterm`, type: "chat", id }, xml("body", {}, body), stamp ? xml("delay", { xmlns: "urn:xmpp:delay", stamp }) : undefined),
    });
  inject(`${BOB}/phone`, "the invoice is attached", "b1", "2026-01-10T10:00:00Z");
  inject(`${BOB}/phone`, "lunch tomorrow?", "b2", "2026-02-10T10:00:00Z");
  inject(`${CAROL}/x`, "another invoice, sorry", "c1", "2026-03-10T10:00:00Z");
  inject(`${CAROL}/x`, "evil \u001b[2J text \u202e", "c2", "2026-03-11T10:00:00Z");
  return { inject };
}

describe("/search", () => {
  test("full text over every conversation, with filters; results name the id to jump with", async () => {
    setup();
    const all = await t.command("/search invoice");
    expect(all.ok).toBe(true);
    expect((all.data as { results: { peer: string }[] }).results.map((r) => r.peer)).toEqual([CAROL, BOB]);
    expect(all.output[0]).toBe("2 messages match invoice:");
    expect(all.output[1]).toMatch(/^#\d+ 2026-03-10 10:00 work carol@example.org <carol@example.org> another \[invoice\], sorry {2}\(\/history show \d+\)$/);
    expect(((await t.command(`/search invoice in:${BOB}`)).data as { results: unknown[] }).results.length).toBe(1);
    expect(((await t.command(`/search invoice from:${CAROL}`)).data as { results: unknown[] }).results.length).toBe(1);
    expect(((await t.command("/search invoice until:2026-01-10")).data as { results: unknown[] }).results.length).toBe(1);
    expect(((await t.command("/search invoice since:2026-03-11")).data as { results: unknown[] }).results.length).toBe(0);
    expect((await t.command("/search invoice account:nope")).error).toMatchObject({ code: "usage" });
    expect((await t.command("/search since:2026-01-01")).error).toMatchObject({ code: "usage", text: "nothing to search for" });
    expect((await t.command("/search x since:yesterday")).error).toMatchObject({ code: "usage" });
  });

  test("parseSearch keeps FTS-looking words as words", () => {
    expect(parseSearch('a OR "b" in:bob@x.org since:2026-01-02 until:2026-01-02')).toEqual({ text: 'a OR "b"', in: "bob@x.org", since: "2026-01-02T00:00:00.000Z", until: "2026-01-03T00:00:00.000Z" });
  });

  test("/history show opens the conversation at the message", async () => {
    setup();
    const hit = ((await t.command("/search lunch")).data as { results: { row: number }[] }).results[0]!;
    const r = await t.command(`/history show ${hit.row}`);
    expect(r.result).toMatchObject({ type: "open", account: "work", jid: BOB });
    expect(t.store.account("work").conversations[BOB]!.messages.some((m) => m.body === "lunch tomorrow?")).toBe(true);
    expect((await t.command("/history show 999999")).error).toMatchObject({ code: "usage" });
  });
});

describe("/history export, clear, retention", () => {
  test("export as text to a new 0600 file (never over an existing one), or as JSON output", async () => {
    setup();
    const file = path.join(t.dir, "bob.txt");
    const r = await t.command(`/history export ${BOB} ${file}`);
    expect(r.ok).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, "utf8")).toBe(`[2026-01-10 10:00:00Z] ${BOB}/phone: the invoice is attached\n[2026-02-10 10:00:00Z] ${BOB}/phone: lunch tomorrow?\n`);
    const again = await t.command(`/history export ${BOB} ${file}`);
    expect(again.ok).toBe(false);
    expect(again.error).toMatchObject({ code: "config" });
    const json = await t.command(`/history export ${CAROL} --format json`);
    const messages = (json.data as { messages: { body: string; stanzaId?: string }[] }).messages;
    expect(messages.map((m) => m.body)).toEqual(["another invoice, sorry", "evil \u001b[2J text \u202e"]);
  });

  test("clear one conversation, or everything only with --all", async () => {
    setup();
    expect((await t.command("/history clear")).error).toMatchObject({ code: "usage" });
    expect((await t.command(`/history clear ${BOB}`)).data).toMatchObject({ deleted: 2 });
    expect(t.client.history!.db.count()).toBe(2);
    expect((await t.command("/history clear --all")).data).toMatchObject({ deleted: 2 });
    expect(t.client.history!.db.count()).toBe(0);
  });

  test("retention per conversation deletes what is older at once", async () => {
    setup();
    expect((await t.command(`/history retention ${BOB} soon`)).error).toMatchObject({ code: "usage" });
    const r = await t.command(`/history retention ${BOB} 1`);
    expect(r.data).toMatchObject({ days: 1, deleted: 2 });
    expect(t.client.history!.db.conversations()).toEqual([{ account: "work", peer: CAROL, count: 2 }]);
    expect((await t.command(`/history retention ${BOB} off`)).data).toMatchObject({ days: null });
  });

  test("without a data dir there is no history, and the commands say so", async () => {
    setup();
    expect(t.client.history).toBeDefined();
    const { createClient } = await import("../../src/core/client.js");
    const c = createClient({ config: t.config });
    expect(c.history).toBeUndefined();
    await c.shutdown();
  });
});
