/** Windows of the interactive interface: open a conversation, switch, close. */
import { UsageError } from "../../errors.js";
import { accountFor, type CommandContext } from "../context.js";
import type { CommandDef } from "../types.js";

function interactiveOnly(ctx: CommandContext, name: string): void {
  if (ctx.host !== "tui") throw new UsageError(`/${name} works in the full-screen interface only`);
}

export const windowCommands: CommandDef<CommandContext>[] = [
  {
    name: "chat",
    aliases: ["query", "q"],
    group: "Windows",
    summary: "open a conversation window",
    help: "Opens (or switches to) the window of a conversation with a JID, on the current account or the one given with -a. Headless mode has no windows: it answers with the conversation it would open.",
    accountScoped: true,
    args: [{ name: "jid", kind: "jid", description: "who to talk to" }],
    run(ctx, call) {
      const account = accountFor(ctx, call);
      return { type: "open", account: account.name, jid: call.args.jid!, lines: [`conversation with ${call.args.jid} on ${account.name}`] };
    },
  },
  {
    name: "win",
    aliases: ["w"],
    group: "Windows",
    summary: "switch to a window by number or JID",
    help: "Switches to window n (as numbered in the tab bar) or to the conversation with a JID.",
    args: [{ name: "target", kind: "word", description: "a window number or a JID" }],
    run(ctx, call) {
      interactiveOnly(ctx, "win");
      return { type: "window", action: "select", target: call.args.target };
    },
  },
  {
    name: "close",
    group: "Windows",
    summary: "close the current window (or window n)",
    help: "Closes a window; the console window stays.",
    args: [{ name: "target", kind: "word", optional: true, description: "a window number or a JID (default: the current one)" }],
    run(ctx, call) {
      interactiveOnly(ctx, "close");
      return { type: "window", action: "close", target: call.args.target };
    },
  },
];
