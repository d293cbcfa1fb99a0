/** Windows of the interactive interface: open a conversation or an XML console, switch, close. */
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
    name: "xmlconsole",
    group: "Windows",
    summary: "open the XML console of an account",
    help:
      "Opens (or switches to) a window showing the account's XML stream as it flows from now on: what is sent and what is received, " +
      "newest at the bottom, the last 2000 stanzas kept, credentials redacted. Traffic is only recorded while such a window is open. " +
      "Without -a: the current window's account, else the first online one.",
    accountScoped: true,
    examples: [{ input: "/xmlconsole -a work", description: "watch the XML stream of the account work" }],
    run(ctx, call) {
      interactiveOnly(ctx, "xmlconsole");
      const account = accountFor(ctx, call);
      return { type: "window", action: "select", target: `xml:${account.name}` };
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
