/**
 * Group commit (src/core/group-commit.ts): the messages of one socket read are committed together
 * at its end, and nothing shows or acknowledges them before: published events wait for the commit,
 * a write to the server commits first, and a process killed in the middle of a read has shown and
 * acknowledged nothing that is not stored (and its archive position did not move past it).
 */
import { spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";
import { afterEach, describe, expect, test } from "vitest";

import { createClient, type JabtermClient, type PublishedEvent } from "../../src/core/client.js";
import { afterCommit, holdCommit, inRead, settle, withinRead } from "../../src/core/group-commit.js";
import type { Account } from "../../src/core/xmpp/account.js";
import { JabConnection } from "../../src/core/xmpp/transport/connection.js";
import { createParserClass } from "../../src/core/xmpp/transport/parser.js";
import { xml, type XmlElement } from "../../src/core/xmpp/transport/xml.js";
import { tempConfig } from "../helpers/engine.js";

const ME = "me@example.org";
const BOB = "bob@example.org";
const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.org' id='x' version='1.0'>";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("group commit", () => {
  test("what waits for a commit runs after it, in the order asked; nothing held: at once", () => {
    const log: string[] = [];
    expect(afterCommit(() => log.push("never"))).toBe(false);
    withinRead(() => {
      expect(inRead()).toBe(true);
      holdCommit(() => log.push("commit"));
      expect(afterCommit(() => log.push("event 1"))).toBe(true);
      expect(afterCommit(() => log.push("event 2"))).toBe(true);
      expect(log).toEqual([]);
    });
    expect(inRead()).toBe(false);
    expect(log).toEqual(["commit", "event 1", "event 2"]);
    // A write in the middle of a read commits first; what is held after it waits for the read's end.
    log.length = 0;
    withinRead(() => {
      holdCommit(() => log.push("commit 1"));
      afterCommit(() => log.push("event 1"));
      settle();
      log.push("write");
      holdCommit(() => log.push("commit 2"));
      afterCommit(() => log.push("event 2"));
    });
    expect(log).toEqual(["commit 1", "event 1", "write", "commit 2", "event 2"]);
  });

  test("held outside a read: committed before the turn ends", async () => {
    const log: string[] = [];
    holdCommit(() => log.push("commit"));
    afterCommit(() => log.push("event"));
    expect(log).toEqual([]);
    await Promise.resolve();
    expect(log).toEqual(["commit", "event"]);
  });
});

/** A client as the interactive host builds it (store told once a frame), its archive caught up. */
async function client(storeNotify: "frame" | "sync" = "frame") {
  const { dir, paths, config } = tempConfig("jabterm-group-", [{ jid: ME, name: "me" }]);
  const c = createClient({ config, timeout: 5000, dataDir: paths.dataDir, storeNotify });
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }));
  cleanups.push(() => c.shutdown());
  const events: PublishedEvent[] = [];
  c.on("event", (e) => events.push(e));
  c.history!.db.setArchiveState("me", ME, { seeded: "2026-01-01T00:00:00.000Z", lastId: "before" });
  const fin = xml("iq", { type: "result" }, xml("fin", { xmlns: "urn:xmpp:mam:2", complete: "true" }));
  await c.history!.archive!.catchUp({ name: "me", online: true, request: async () => fin } as unknown as Account);
  const raw = new Database(path.join(paths.dataDir, "history", "history.db"), { readonly: true });
  cleanups.push(() => void raw.close());
  /** What another process would find in the database now (committed rows only). */
  const committed = () => (raw.prepare("SELECT body FROM messages ORDER BY row").all() as { body: string }[]).map((r) => r.body);
  const position = () => (raw.prepare("SELECT last_id FROM archive").get() as { last_id: string }).last_id;
  const shown = () => events.filter((e) => e.event === "message").map((e) => String(e.body));
  return { c, events, committed, position, shown };
}

const stanza = (body: string, sid: string) =>
  xml("message", { from: `${BOB}/phone`, to: `${ME}/jabterm`, type: "chat", id: `w-${sid}` }, xml("body", {}, body), xml("stanza-id", { xmlns: "urn:xmpp:sid:0", by: ME, id: sid }));

/**
 * A connection with a real parser over a fake socket, its stanzas handed to the client. Each read
 * is parsed at once (no budget per turn: stream-parser.test.ts tests that).
 */
function connection(c: JabtermClient, onWrite: (data: string) => void) {
  const conn = new JabConnection({ domain: "example.org", tls: { servername: "example.org" }, limits: { maxStanzaSize: 65536, maxDepth: 16 }, timeout: 1000, turnBudgetMs: Number.POSITIVE_INFINITY });
  conn.on("error", () => {});
  const socket = Object.assign(new EventEmitter(), { write: (d: string, cb: (e?: Error | null) => void) => (onWrite(d), cb(null)), pause() {}, resume() {}, end() {}, destroy() {}, secure: true });
  conn._attachSocket(socket);
  const Parser = createParserClass({ maxStanzaSize: 65536, maxDepth: 16 });
  const parser = new Parser();
  conn.parser = parser;
  conn._onData(Buffer.from(HEADER));
  return { conn, parser: parser as unknown as EventEmitter };
}

describe("the history during a socket read", () => {
  test("a read's messages are committed together at its end; their events wait for the commit; a write to the server commits first", async () => {
    const { c, committed, position, shown } = await client("frame");
    const seen: { at: string; committed: string[]; shown: string[] }[] = [];
    const { conn, parser } = connection(c, (data) => seen.push({ at: `write ${data}`, committed: committed(), shown: shown() }));
    parser.on("element", (el: XmlElement) => {
      c.engine.emit("stanza", { account: "me", stanza: el });
      const body = el.getChildText("body")!;
      seen.push({ at: body, committed: committed(), shown: shown() });
      // An acknowledgement written in the middle of the read (as XEP-0198 answers an <r/>).
      if (body === "two") void conn.write("<a xmlns='urn:xmpp:sm:3' h='2'/>");
    });
    const read = [stanza("one", "S1"), stanza("two", "S2"), stanza("three", "S3")].map(String).join("");
    conn._onData(Buffer.from(read));
    expect(seen).toEqual([
      { at: "one", committed: [], shown: [] },
      { at: "two", committed: [], shown: [] },
      // The write found "one" and "two" committed, and their events already out.
      { at: "write <a xmlns='urn:xmpp:sm:3' h='2'/>", committed: ["one", "two"], shown: ["one", "two"] },
      { at: "three", committed: ["one", "two"], shown: ["one", "two"] },
    ]);
    // The read's end: everything committed, then shown, in order; the archive position with it.
    expect(committed()).toEqual(["one", "two", "three"]);
    expect(shown()).toEqual(["one", "two", "three"]);
    expect(position()).toBe("S3");
    // The store has them all (its subscribers hear of them in a later turn).
    expect(c.store.account("me").conversations[BOB]?.messages.map((m) => m.body)).toEqual(["one", "two", "three"]);
    // A duplicate (the same archive id again) in a later read is still not shown again.
    conn._onData(Buffer.from(String(stanza("one", "S1"))));
    expect(shown()).toEqual(["one", "two", "three"]);
    expect(committed()).toEqual(["one", "two", "three"]);
  });

  test("a search in the middle of a read sees the read's messages (committed first)", async () => {
    const { c, committed } = await client("frame");
    let hits: string[] = [];
    withinRead(() => {
      c.engine.emit("stanza", { account: "me", stanza: stanza("findable words", "F1") });
      expect(committed()).toEqual([]);
      hits = c.history!.db.search({ text: "findable" }).map((h) => h.body);
      expect(committed()).toEqual(["findable words"]);
    });
    expect(hits).toEqual(["findable words"]);
  });

  test("a client whose store tells subscribers at once (headless) commits each message at once", async () => {
    const { c, committed, shown } = await client("sync");
    withinRead(() => {
      c.engine.emit("stanza", { account: "me", stanza: stanza("at once", "A1") });
      expect(committed()).toEqual(["at once"]);
      expect(shown()).toEqual(["at once"]);
    });
  });

  test("a process killed in the middle of a read has shown nothing it did not store, and its archive position did not move past it", async () => {
    const { dir, paths } = tempConfig("jabterm-group-kill-", [{ jid: ME, name: "me" }]);
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }));
    const src = (p: string) => JSON.stringify(path.resolve("src/core", p));
    const script = `
      const { ConfigStore } = await import(${src("config/config.ts")});
      const { createClient } = await import(${src("client.ts")});
      const { withinRead } = await import(${src("group-commit.ts")});
      const { xml } = await import(${src("xmpp/transport/xml.ts")});
      const paths = ${JSON.stringify(paths)};
      const c = createClient({ config: ConfigStore.open(paths), timeout: 5000, dataDir: paths.dataDir, storeNotify: "frame" });
      c.on("event", (e) => e.event === "message" && process.stdout.write("shown " + e.body + "\\n"));
      c.history.db.setArchiveState("me", ${JSON.stringify(ME)}, { seeded: "2026-01-01T00:00:00.000Z", lastId: "before" });
      const fin = xml("iq", { type: "result" }, xml("fin", { xmlns: "urn:xmpp:mam:2", complete: "true" }));
      await c.history.archive.catchUp({ name: "me", online: true, request: async () => fin });
      const stanza = (body, sid) => xml("message", { from: "${BOB}/phone", to: "${ME}/jabterm", type: "chat", id: "w-" + sid }, xml("body", {}, body), xml("stanza-id", { xmlns: "urn:xmpp:sid:0", by: "${ME}", id: sid }));
      const inject = (body, sid) => c.engine.emit("stanza", { account: "me", stanza: stanza(body, sid) });
      withinRead(() => inject("one", "S1"));
      withinRead(() => {
        inject("two", "S2");
        inject("three", "S3");
        process.kill(process.pid, "SIGKILL");
      });
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, sig) => resolve(sig)));
    expect(signal).toBe("SIGKILL");
    expect(out).toBe("shown one\n");
    const raw = new Database(path.join(paths.dataDir, "history", "history.db"));
    try {
      expect((raw.prepare("SELECT body FROM messages ORDER BY row").all() as { body: string }[]).map((r) => r.body)).toEqual(["one"]);
      // Catch-up continues after "one": the archive sends "two" and "three" again.
      expect((raw.prepare("SELECT last_id FROM archive").get() as { last_id: string }).last_id).toBe("S1");
    } finally {
      raw.close();
    }
  }, 30_000);
});
