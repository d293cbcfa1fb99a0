import { helpLines } from "../help.js";
import type { CommandContext } from "../context.js";
import { type CommandDef } from "../types.js";

export const helpCommand: CommandDef<CommandContext> = {
  name: "help",
  aliases: ["h", "?"],
  group: "General",
  summary: "list commands, or explain one",
  help: "Without an argument, lists every command by group (your aliases included). With a command (or a subcommand path such as `account set`), shows its synopsis, arguments, options and examples. With search and a word, lists the commands whose name, description or examples mention it.",
  examples: [
    { input: "/help account set", description: "the synopsis, arguments and examples of /account set" },
    { input: "/help search presence", description: "every command that has to do with presence" },
  ],
  args: [{ name: "command", kind: "command", optional: true, rest: true, description: "the command to explain" }],
  run(ctx, call) {
    return { type: "output", lines: helpLines(ctx.registry, call.args.command?.trim() || undefined) };
  },
};

export const quitCommand: CommandDef<CommandContext> = {
  name: "quit",
  aliases: ["exit"],
  group: "General",
  summary: "leave jabterm",
  help: "Sends what the outbox holds (waiting up to drain_timeout), disconnects every account and exits. The exit status is 6 when messages were left undelivered.",
  run() {
    return { type: "quit" };
  },
};
