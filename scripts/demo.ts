/**
 * `npm run demo`: a throwaway Prosody on loopback with three accounts, and jabterm with two of them
 * (alice and bob) connected at once: the full-screen interface in a terminal, headless mode (slash
 * commands in, NDJSON out) when stdin is not one. carol (scripts/demo-peer.ts, written with
 * jabterm's core) is online with two resources, answers messages and changes her presence now and
 * then; alice, bob and carol have each other in their rosters (mutual subscriptions, set up here
 * before jabterm starts). Everything lives in a temp dir removed on exit, whichever way it ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { NODE_START_FLAGS } from "../src/cli/runtime.js";
import { createClient, type PublishedEvent } from "../src/core/client.js";
import type { CommandContext } from "../src/core/commands/context.js";
import { createRegistry } from "../src/core/commands/defs/index.js";
import { executeLine } from "../src/core/commands/execute.js";
import { ConfigStore } from "../src/core/config/config.js";
import { resolvePaths } from "../src/core/config/paths.js";
import { prosodyAvailable, startProsody, type ProsodyAccount, type ProsodyServer } from "../test/helpers/prosody.js";
import { startDemoPeer, type DemoPeer } from "./demo-peer.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

if (!prosodyAvailable()) {
  process.stderr.write("demo: prosody is not installed; run: sudo bash scripts/install-deps.sh\n");
  process.exit(1);
}
if (!fs.existsSync(path.join(root, "dist/cli/main.js"))) {
  process.stderr.write("demo: build first: npm run build\n");
  process.exit(1);
}

const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);

// -- cleaning up, whichever way the demo ends ---------------------------------------------------

let server: ProsodyServer | undefined;
let carol: DemoPeer | undefined;
let child: ChildProcess | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    await carol?.stop().catch(() => undefined);
    await server?.cleanup().catch(() => undefined);
  })());
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    // jabterm restores the terminal on these itself; once it is gone, the demo cleans up and leaves.
    if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
    else void cleanup().then(() => process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1)));
  });
}

// -- setup: server, accounts, mutual subscriptions, carol -----------------------------------------

/** Subscribe each pair both ways, through the core, as two people would with /sub request and /sub allow. */
async function befriend(accounts: Record<string, ProsodyAccount>, dir: string, pairs: [string, string][], names: Record<string, string>): Promise<void> {
  const paths = resolvePaths({ configDir: path.join(dir, "config"), dataDir: path.join(dir, "data"), stateDir: path.join(dir, "state"), env: {} });
  const config = ConfigStore.open(paths);
  for (const [name, acct] of Object.entries(accounts)) {
    config.addAccount(acct.jid, { name });
    for (const [k, v] of Object.entries({ host: "127.0.0.1", port: String(server!.c2sPort), ca_file: server!.caFile, password: acct.password, resource: "setup" })) config.setAccountKey(name, k, v);
  }
  const client = createClient({ config });
  const registry = createRegistry();
  const ctx: CommandContext = { client, registry, host: "headless", currentAccount: () => undefined, currentConversation: () => undefined };
  const events: PublishedEvent[] = [];
  client.on("event", (e) => events.push(e));
  const command = async (line: string) => {
    const r = await executeLine(ctx, line);
    if (!r.ok) throw new Error(`${line}: ${r.error?.text}`);
  };
  const waitEvent = (pred: (e: PublishedEvent) => boolean, after: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the demo setup timed out waiting for the server")), 15_000);
      const check = () => {
        if (events.slice(after).some(pred)) {
          clearTimeout(timer);
          client.off("event", check);
          resolve();
        }
      };
      client.on("event", check);
      check();
    });
  try {
    const sessions = new Set<string>();
    const allUp = new Promise<void>((resolve) => {
      client.on("session", ({ account }) => {
        sessions.add(account);
        if (sessions.size === Object.keys(accounts).length) resolve();
      });
    });
    await Promise.all(client.engine.accounts().map((a) => a.connect()));
    await allUp;
    const ask = async (from: string, to: string) => {
      const mark = events.length;
      await command(`/sub request -a ${from} ${accounts[to]!.jid}`);
      await waitEvent((e) => e.event === "subscription_request" && e.account === to && e.jid === accounts[from]!.jid, mark);
      const back = events.length;
      await command(`/sub allow -a ${to} ${accounts[from]!.jid}`);
      await waitEvent((e) => e.event === "subscription" && e.account === from && e.type === "subscribed" && e.jid === accounts[to]!.jid, back);
    };
    for (const [a, b] of pairs) {
      for (const [from, to] of [[a, b], [b, a]] as const) {
        await command(`/roster add -a ${from} -g Friends ${accounts[to]!.jid} ${names[to]}`);
        await ask(from, to);
      }
    }
  } finally {
    await client.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let code = 1;
try {
  server = await startProsody();
  const [alice, bob, carolAcct] = await Promise.all([server.createAccount("alice", "alice-pass"), server.createAccount("bob", "bob-pass"), server.createAccount("carol", "carol-pass")]);
  await befriend({ alice, bob, carol: carolAcct }, path.join(server.dir, "demo-setup"), [["alice", "bob"], ["alice", "carol"], ["bob", "carol"]], { alice: "Alice", bob: "Bob", carol: "Carol" });
  carol = startDemoPeer({ jid: carolAcct.jid, password: carolAcct.password, host: "127.0.0.1", port: server.c2sPort, caFile: server.caFile, dir: path.join(server.dir, "carol") });
  await carol.ready;

  const configDir = path.join(server.dir, "jabterm-config");
  const dataDir = path.join(server.dir, "jabterm-data");
  const config = ConfigStore.open(resolvePaths({ configDir, dataDir, env: {} }));
  for (const [name, acct] of [["alice", alice], ["bob", bob]] as const) {
    config.addAccount(acct.jid, { name });
    for (const [k, v] of Object.entries({ host: "127.0.0.1", port: String(server.c2sPort), ca_file: server.caFile, password: acct.password })) config.setAccountKey(name, k, v);
  }

  process.stderr.write(
    [
      `demo: Prosody on 127.0.0.1:${server.c2sPort} (domain ${server.domain}); alice and bob connected in jabterm, carol online as ${carolAcct.jid}/laptop (priority 10) and /phone (priority 5)`,
      interactive ? "demo: starting the interface. Try:" : "demo: jabterm --headless is reading your commands. Try:",
      interactive ? `  /chat -a alice ${carolAcct.jid}   then type a message and Enter: carol answers; Alt-1..9 switch tabs` : `  /msg -a alice ${carolAcct.jid} hello carol`,
      `  /info -a alice ${carolAcct.jid}   her two resources, and which one gets bare-JID messages`,
      `  /msg -a bob ${alice.jid} hi alice`,
      "  /help",
      interactive ? "  Ctrl-C twice quits" : "  /quit",
      "",
    ].join("\n"),
  );
  if (interactive) await new Promise((r) => setTimeout(r, 1500)); // let the reader see the hints

  child = spawn(process.execPath, [...NODE_START_FLAGS, path.join(root, "bin/jabterm.js"), ...(interactive ? [] : ["--headless"]), "--config-dir", configDir, "--data-dir", dataDir, "--log-file", path.join(server.dir, "jabterm.log")], {
    stdio: "inherit",
  });
  code = await new Promise<number>((resolve) => child!.once("exit", (c, sig) => resolve(c ?? (sig ? 128 : 1))));
} catch (err) {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
} finally {
  await cleanup();
}
process.exit(code);
