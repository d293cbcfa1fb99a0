/**
 * carol, the demo's chat partner, written with jabterm's own core (one JabtermClient, two
 * accounts on the same JID): logged in twice, as carol@…/laptop (priority 10, 0 when away) and
 * carol@…/phone (priority 5), so /info shows two resources and which one gets bare-JID messages.
 * She answers every chat message on the resource that received it (an echo with a twist: the
 * laptop reads it backwards, the phone shouts it), shows "typing…" first, and changes her presence
 * now and then (timers: it is a demo), so the best resource moves between laptop and phone.
 *
 * scripts/demo.ts runs her in its own process (jabterm is its child): she never prints
 * (that would land on the interface); her log is carol.log in her directory.
 */
import fs from "node:fs";
import path from "node:path";

import { createClient, type PublishedEvent } from "../src/core/client.js";
import type { CommandContext } from "../src/core/commands/context.js";
import { createRegistry } from "../src/core/commands/defs/index.js";
import { executeLine } from "../src/core/commands/execute.js";
import { ConfigStore } from "../src/core/config/config.js";
import { resolvePaths } from "../src/core/config/paths.js";
import { createLogger } from "../src/core/logger.js";

export interface DemoPeerOptions {
  jid: string;
  password: string;
  host: string;
  port: number;
  caFile: string;
  /** A directory of her own (config, data, log); removed by stop(). */
  dir: string;
  /** Milliseconds between presence changes (default 15 s). */
  presenceEvery?: number;
}

export interface DemoPeer {
  /** Both resources are online and announced. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Her presence over time: [account, command] steps, one every `presenceEvery` ms, in a loop. */
const SCHEDULE: [string, string][] = [
  ["laptop", "/status -a laptop away getting coffee ☕"],
  ["phone", "/status -a phone dnd in a meeting"],
  ["laptop", "/status -a laptop chat back at my desk, talk to me"],
  ["phone", "/status -a phone xa phone in a drawer"],
  ["laptop", "/status -a laptop online"],
  ["phone", "/status -a phone online on the bus"],
];

function twist(resource: string, text: string): string {
  const t = text.trim();
  if (/^\/me /.test(t)) return `/me waves back at you from her ${resource}`;
  if (resource === "phone") return `📱 ${t.toUpperCase()}!! (sorry, caps lock on my phone)`;
  const backwards = [...t].reverse().join("");
  return t.endsWith("?") ? `Good question. Backwards it reads “${backwards}”.` : `“${t}”, or as my laptop reads it: “${backwards}”`;
}

export function startDemoPeer(opts: DemoPeerOptions): DemoPeer {
  fs.mkdirSync(opts.dir, { recursive: true });
  const paths = resolvePaths({ configDir: path.join(opts.dir, "config"), dataDir: path.join(opts.dir, "data"), stateDir: path.join(opts.dir, "state"), env: {} });
  const config = ConfigStore.open(paths);
  // The laptop drops below the phone when away or xa: the best resource moves.
  const accounts: { name: string; priority: number; extra: Record<string, string> }[] = [
    { name: "laptop", priority: 10, extra: { priority_away: "0", priority_xa: "0" } },
    { name: "phone", priority: 5, extra: {} },
  ];
  for (const a of accounts) {
    config.addAccount(opts.jid, { name: a.name });
    const keys: Record<string, string> = { host: opts.host, port: String(opts.port), ca_file: opts.caFile, password: opts.password, resource: a.name, priority: String(a.priority), ...a.extra };
    for (const [k, v] of Object.entries(keys)) config.setAccountKey(a.name, k, v);
  }
  // No auto-away: her presence follows the schedule. Quick reconnects (the server is local).
  for (const [k, v] of Object.entries({ auto_away: "0", auto_xa: "0", reconnect_min_delay: "500", reconnect_max_delay: "5000" })) config.setSetting(k, v);
  const logger = createLogger({ file: path.join(opts.dir, "carol.log"), level: "info" });
  const client = createClient({ config, logger, dataDir: paths.dataDir });
  const registry = createRegistry();
  const ctx: CommandContext = { client, registry, host: "headless", currentAccount: () => client.engine.firstOnline(), currentConversation: () => undefined };
  const run = (line: string) =>
    executeLine(ctx, line).then(
      (r) => {
        if (!r.ok) logger.warn(`demo peer: ${line}: ${r.error?.text}`);
      },
      (err: Error) => logger.warn(`demo peer: ${line}: ${err.message}`),
    );

  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  let stopped = false;

  // Answer chat messages on the resource that received them (carbons are copies: not ours to answer).
  const own = opts.jid.toLowerCase();
  const onEvent = (e: PublishedEvent) => {
    if (stopped || e.event !== "message" || e.direction !== "in" || e.carbon || e.type !== "chat") return;
    const body = typeof e.body === "string" ? e.body : "";
    const from = String(e.from ?? "");
    const peer = from.split("/")[0]!.toLowerCase();
    if (!body.trim() || peer === own) return;
    const account = String(e.account);
    void run(`/chatstate -a ${account} --to ${peer} composing`);
    later(600 + Math.min(2000, body.length * 40), () => {
      const acct = client.engine.find(account);
      // (The demo peer has no OpenPGP policy: this never refuses; a failure is nothing to answer.)
      if (acct?.online && !stopped) client.sendMessage(acct, peer, twist(account, body)).catch(() => undefined);
    });
  };
  client.on("event", onEvent);

  const ready = (async () => {
    const sessions = new Set<string>();
    const all = new Promise<void>((resolve) => {
      const on = ({ account }: { account: string }) => {
        sessions.add(account);
        if (sessions.size === accounts.length) {
          client.off("session", on);
          resolve();
        }
      };
      client.on("session", on);
    });
    await Promise.all(client.engine.accounts().map((a) => a.connect()));
    for (const a of client.engine.accounts()) if (!a.online) throw new Error(`carol/${a.name} did not come online: ${JSON.stringify(a.state.error)}`);
    await all;
    await run("/status -a laptop online working on the demo");
    await run("/status -a phone away phone in my pocket");
    let step = 0;
    const every = opts.presenceEvery ?? 15_000;
    const tick = () => {
      if (stopped) return;
      void run(SCHEDULE[step % SCHEDULE.length]![1]);
      step++;
      later(every, tick);
    };
    later(every, tick);
  })();
  ready.catch((err: Error) => logger.error(`demo peer: ${err.message}`));

  return {
    ready,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      client.off("event", onEvent);
      await client.shutdown().catch(() => undefined);
      logger.close();
    },
  };
}
