import { JabtermError } from "../../errors.js";
import { accountStateView, type Account } from "../../xmpp/account.js";
import type { CommandContext } from "../context.js";
import { output, type CommandDef } from "../types.js";

function targets(ctx: CommandContext, name: string | undefined, enabledOnly: boolean): Account[] {
  if (name) return [ctx.client.engine.get(name)];
  const enabled = new Set(ctx.client.config.accounts().filter((a) => !enabledOnly || a.enabled).map((a) => a.name));
  return ctx.client.engine.accounts().filter((a) => enabled.has(a.name));
}

export const connectCommand: CommandDef<CommandContext> = {
  name: "connect",
  group: "Accounts",
  summary: "connect one account, or every enabled one",
  help: "Starts connecting and returns; state changes follow as account events. With --wait it returns once each account is online or has failed, and fails (with the error's code) when one did not come online. A connection that drops is retried with backoff; a wrong password or an untrusted certificate stops the retries.",
  args: [{ name: "account", kind: "account", optional: true, description: "the account (default: every enabled account)" }],
  options: [{ name: "wait", short: "w", kind: "flag", description: "wait until online (or failed)" }],
  async run(ctx, call) {
    const list = targets(ctx, call.args.account, true);
    if (list.length === 0) return output("no enabled accounts to connect");
    const attempts = list.map((a) => a.connect());
    const describe = () => list.map((a) => `${a.name}: ${a.state.status}${a.state.error ? ` (${a.state.error.text})` : ""}`);
    if (call.options.wait) {
      await Promise.all(attempts);
      // A script waiting for its accounts learns about a failure from the command's result.
      const failed = list.filter((a) => !a.online);
      if (failed.length) {
        const first = failed[0]!.state.error;
        throw new JabtermError(first?.code ?? "connection", describe().join("; "), { accounts: failed.map((a) => accountStateView(a.state)) });
      }
    }
    return { type: "output", lines: describe(), data: list.map((a) => accountStateView(a.state)) };
  },
};

export const disconnectCommand: CommandDef<CommandContext> = {
  name: "disconnect",
  group: "Accounts",
  summary: "disconnect one account, or all",
  help: "Closes the stream cleanly and stops reconnecting. Messages not yet acknowledged by the server go back to the outbox.",
  args: [{ name: "account", kind: "account", optional: true, description: "the account (default: all)" }],
  async run(ctx, call) {
    const list = targets(ctx, call.args.account, false);
    await Promise.all(list.map((a) => a.disconnect()));
    return output(...list.map((a) => `${a.name}: offline`));
  },
};
