/** A small set of command declarations mirroring the real ones, for the command-machinery tests. */
import { none, output, type CommandDef } from "../../src/core/commands/types.js";

const accountArg = { name: "account", kind: "account", description: "the account" } as const;

export const msgDef: CommandDef = {
  name: "msg",
  group: "Messaging",
  summary: "send a message",
  help: "Send one message to a JID.\nThe text is taken exactly as typed.",
  accountScoped: true,
  args: [
    { name: "jid", kind: "jid", description: "who to send to" },
    { name: "text", kind: "text", rest: true, description: "the message" },
  ],
  examples: [{ input: "/msg bob@example.org hi there", description: "say hi to bob" }],
  run: () => none(),
};

export const accountDef: CommandDef = {
  name: "account",
  group: "Accounts",
  summary: "manage accounts",
  help: "Add, change and remove accounts.",
  defaultSubcommand: "list",
  subcommands: [
    {
      name: "add",
      group: "Accounts",
      summary: "add an account",
      help: "Add an account.",
      args: [{ name: "jid", kind: "jid", description: "the account's JID" }],
      options: [{ name: "name", short: "n", kind: "text", description: "a short name for the account" }],
    },
    {
      name: "set",
      group: "Accounts",
      summary: "change an account setting",
      help: "Set one key of an account.",
      args: [
        accountArg,
        { name: "key", kind: "account-key", description: "the key" },
        {
          name: "value",
          kind: "text",
          rest: true,
          description: "the new value",
          secretWhen: (a) => a.key === "password",
        },
      ],
      examples: [{ input: "/account set work resource laptop", description: "change the resource" }],
    },
    {
      name: "unset",
      group: "Accounts",
      summary: "reset an account setting",
      help: "Reset one key.",
      args: [accountArg, { name: "key", kind: "account-key", description: "the key" }],
    },
    { name: "remove", aliases: ["rm"], group: "Accounts", summary: "remove an account", help: "", args: [accountArg] },
    { name: "list", aliases: ["ls"], group: "Accounts", summary: "list accounts", help: "", run: () => output("a") },
    { name: "enable", group: "Accounts", summary: "enable an account", help: "", args: [accountArg] },
    { name: "disable", group: "Accounts", summary: "disable an account", help: "", args: [accountArg] },
  ],
};

export const connectDef: CommandDef = {
  name: "connect",
  group: "Accounts",
  summary: "connect an account",
  help: "Connect one account, or all enabled ones.",
  args: [{ ...accountArg, optional: true }],
};

export const statusDef: CommandDef = {
  name: "status",
  group: "Presence",
  summary: "set your presence",
  help: "Set availability and an optional status message.",
  accountScoped: true,
  options: [{ name: "all", kind: "flag", description: "on every account" }],
  args: [
    { name: "show", kind: "enum", values: ["online", "chat", "away", "xa", "dnd"], description: "availability" },
    { name: "text", kind: "text", optional: true, rest: true, description: "status message" },
  ],
};

export const helpDef: CommandDef = {
  name: "help",
  group: "General",
  summary: "show help",
  help: "List commands, or explain one.",
  args: [{ name: "command", kind: "command", optional: true, rest: true, description: "a command" }],
};

export const quitDef: CommandDef = {
  name: "quit",
  aliases: ["exit"],
  group: "General",
  summary: "leave jabterm",
  help: "",
  run: () => ({ type: "quit" }),
};

export const debugDef: CommandDef = {
  name: "debug",
  group: "General",
  summary: "internal",
  help: "",
  hidden: true,
};

export const fixtureDefs: CommandDef[] = [msgDef, accountDef, connectDef, statusDef, helpDef, quitDef, debugDef];
