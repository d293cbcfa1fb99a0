/**
 * Scripting that runs inside a client: event hooks and per-account startup scripts. Hosts
 * (headless mode, the interface) install it once after building the client.
 */
import type { JabtermClient } from "../client.js";
import type { CommandContext } from "../commands/context.js";
import { createRegistry } from "../commands/defs/index.js";
import { errorInfo } from "../errors.js";
import { HookRunner } from "./hooks.js";
import { runScript } from "./source.js";

export interface Scripting {
  hooks: HookRunner;
  stop(): void;
}

/** After the roster and presence hooks of a fresh session (orders below 900). */
export const STARTUP_SCRIPT_ORDER = 900;

export function installScripting(client: JabtermClient): Scripting {
  const hooks = new HookRunner(client);
  const registry = createRegistry(client);
  client.onSessionStart(STARTUP_SCRIPT_ORDER, "startup_script", async (account) => {
    const file = client.config.getAccount(account.name)?.startup_script;
    if (!file) return;
    const ctx: CommandContext = { client, registry, host: "script", currentAccount: () => account, currentConversation: () => undefined };
    try {
      const r = await runScript(ctx, file);
      client.publish("script", { account: account.name, file: r.file, ok: true, ran: r.ran, output: r.lines });
    } catch (err) {
      client.publish("script", { account: account.name, file, ok: false, error: errorInfo(err) });
    }
  });
  client.onShutdown(() => hooks.stop());
  return { hooks, stop: () => hooks.stop() };
}
