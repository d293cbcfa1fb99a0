/**
 * Build a real Engine over a throwaway config dir, for integration tests that drive the core
 * directly (no UI, no CLI).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { ConfigStore } from "../../src/core/config/config.js";
import { resolvePaths } from "../../src/core/config/paths.js";
import { createClient, type PublishedEvent } from "../../src/core/client.js";
import type { CommandContext } from "../../src/core/commands/context.js";
import { createRegistry } from "../../src/core/commands/defs/index.js";
import { executeLine } from "../../src/core/commands/execute.js";
import { Engine } from "../../src/core/engine.js";
import type { AccountState } from "../../src/core/xmpp/account.js";
import { xml, type XmlElement } from "../../src/core/xmpp/transport/xml.js";
import type { ProsodyServer } from "./prosody.js";
import { waitFor } from "./wait-for.js";

export interface TestAccount {
  jid: string;
  name?: string;
  /** snake_case account keys, as a user would /account set them. */
  set?: Record<string, string | number | boolean>;
}

/** Account keys that point an account at a test server over STARTTLS with its CA. */
export function serverKeys(server: ProsodyServer, password: string): Record<string, string | number> {
  return { host: "127.0.0.1", port: server.c2sPort, ca_file: server.caFile, password };
}

/** A throwaway config dir with these accounts (keys set as /account set would) and settings. */
export function tempConfig(prefix: string, accounts: TestAccount[], settings: Record<string, string | number | boolean> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const paths = resolvePaths({ configDir: path.join(dir, "config"), dataDir: path.join(dir, "data"), stateDir: path.join(dir, "state"), env: {} });
  const config = ConfigStore.open(paths);
  for (const a of accounts) {
    const added = config.addAccount(a.jid, a.name ? { name: a.name } : {});
    for (const [k, v] of Object.entries(a.set ?? {})) config.setAccountKey(added.name, k, String(v));
  }
  for (const [k, v] of Object.entries({ reconnect_min_delay: 50, reconnect_max_delay: 400, ...settings })) config.setSetting(k, String(v));
  return { dir, paths, config };
}

export function tempEngine(accounts: TestAccount[], settings: Record<string, string | number> = {}) {
  const { dir, config } = tempConfig("jabterm-engine-", accounts, settings);
  const engine = new Engine({ config, timeout: 5000 });
  const states: AccountState[] = [];
  const stanzas: { account: string; stanza: XmlElement }[] = [];
  engine.on("account", (s) => states.push(s));
  engine.on("stanza", (s) => stanzas.push(s));
  return {
    dir,
    config,
    engine,
    states,
    stanzas,
    /** Wait until the account reaches a state matching `pred`; returns that state. */
    waitState(account: string, pred: (s: AccountState) => boolean, timeout = 15_000) {
      return waitFor(() => states.find((s) => s.account === account && pred(s)), { timeout, message: `account ${account} state; got ${JSON.stringify(states.filter((s) => s.account === account))}` });
    },
    waitMessage(account: string, pred: (el: XmlElement) => boolean = () => true, timeout = 15_000) {
      return waitFor(() => stanzas.find((s) => s.account === account && s.stanza.name === "message" && pred(s.stanza))?.stanza, { timeout, message: `message on ${account}` });
    },
    async close() {
      await engine.shutdown();
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    },
  };
}

export function chat(to: string, body: string, id?: string): XmlElement {
  return xml("message", { to, type: "chat", id }, xml("body", {}, body));
}

/**
 * A full JabtermClient (engine + store + outbox + features) over a throwaway config dir. Records
 * every published event (what headless mode would print).
 */
export function tempClient(accounts: TestAccount[], settings: Record<string, string | number | boolean> = {}) {
  const { dir, paths, config } = tempConfig("jabterm-client-", accounts, settings);
  const client = createClient({ config, timeout: 5000, dataDir: paths.dataDir });
  const events: PublishedEvent[] = [];
  client.on("event", (e) => events.push(e));
  const t = {
    dir,
    paths,
    config,
    client,
    engine: client.engine,
    store: client.store,
    events,
    /** The first recorded event matching (waits for it). Pass `after` to skip earlier ones. */
    waitEvent(pred: (e: PublishedEvent) => boolean, opts: { timeout?: number; after?: number; message?: string } = {}) {
      return waitFor(() => events.slice(opts.after ?? 0).find(pred), { timeout: opts.timeout ?? 15_000, message: opts.message ?? `event; got ${JSON.stringify(events.slice(-5))}` });
    },
    /** Connect every account and wait until all are online and their session-start hooks ran. */
    async connectAll() {
      const ready = new Set<string>();
      const onSession = ({ account }: { account: string }) => ready.add(account);
      client.on("session", onSession);
      await Promise.all(client.engine.accounts().map((a) => a.connect()));
      await waitFor(() => client.engine.accounts().every((a) => !a.online || ready.has(a.name)), { message: "session start hooks" }).finally(() => client.off("session", onSession));
      for (const a of client.engine.accounts()) {
        if (!a.online) throw new Error(`account ${a.name} did not come online: ${JSON.stringify(a.state.error)}`);
      }
    },
    /** Run a slash command as headless mode would (current account: first online). */
    async command(line: string) {
      const registry = createRegistry(client);
      const ctx: CommandContext = { client, registry, host: "headless", currentAccount: () => client.engine.firstOnline(), currentConversation: () => undefined };
      return executeLine(ctx, line);
    },
    async close() {
      await client.shutdown();
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    },
  };
  return t;
}
