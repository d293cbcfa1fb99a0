import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { argSynopsis, helpLines, optionForms, optionSynopsis, synopsis } from "../../src/core/commands/help.js";
import { CommandRegistry } from "../../src/core/commands/registry.js";
import type { CommandDef } from "../../src/core/commands/types.js";
import { accountDef, fixtureDefs, msgDef, quitDef, statusDef } from "../helpers/command-fixtures.js";

const reg = new CommandRegistry(fixtureDefs);
const setDef = accountDef.subcommands!.find((s) => s.name === "set")!;

describe("synopsis", () => {
  it("renders options, required, optional and rest args", () => {
    expect(synopsis(msgDef)).toBe("/msg [-a <account>] <jid> <text>");
    expect(synopsis(statusDef)).toBe("/status [-a <account>] [--all] <show> [<text>]");
    expect(synopsis(quitDef)).toBe("/quit");
    expect(synopsis(setDef, ["account", "set"])).toBe("/account set <account> <key> <value>");
    expect(synopsis({ ...setDef, accountScoped: true }, ["account", "set"])).toBe(
      "/account set [-a <account>] <account> <key> <value>",
    );
  });

  it("renders subcommand choices", () => {
    expect(synopsis(accountDef)).toBe("/account [add|set|unset|remove|list|enable|disable] ...");
    expect(synopsis({ ...accountDef, defaultSubcommand: undefined })).toBe(
      "/account <add|set|unset|remove|list|enable|disable> ...",
    );
  });

  it("renders variadic args and repeatable options", () => {
    const def: CommandDef = {
      name: "invite",
      group: "Rooms",
      summary: "",
      help: "",
      conversationScoped: true,
      options: [{ name: "tag", short: "t", kind: "word", repeatable: true, description: "" }],
      args: [
        { name: "room", kind: "room", description: "" },
        { name: "jids", kind: "jid", variadic: true, description: "" },
      ],
    };
    expect(synopsis(def)).toBe("/invite [--to <to>] [-t <tag>]... <room> <jids>...");
    expect(argSynopsis({ name: "w", kind: "word", variadic: true, optional: true, description: "" })).toBe("[<w>...]");
    expect(optionSynopsis({ name: "force", short: "f", kind: "flag", description: "" })).toBe("[-f]");
    expect(optionForms({ name: "name", short: "n", kind: "text", description: "" })).toBe("-n, --name <name>");
    expect(optionForms({ name: "all", kind: "flag", description: "" })).toBe("--all");
  });
});

describe("helpLines", () => {
  it("lists visible commands grouped, with aliases and summaries", () => {
    expect(helpLines(reg)).toEqual([
      "Accounts:",
      "  /account      manage accounts",
      "  /connect      connect an account",
      "",
      "General:",
      "  /help         show help",
      "  /quit, /exit  leave jabterm",
      "",
      "Messaging:",
      "  /msg          send a message",
      "",
      "Presence:",
      "  /status       set your presence",
      "",
      "Type /help <command> for details, /help search <word> to find commands.",
    ]);
    expect(helpLines(reg, "")).toEqual(helpLines(reg));
    expect(helpLines(reg).join("\n")).not.toMatch(/debug/);
  });

  it("explains one command: synopsis, summary, help, args, options, examples", () => {
    expect(helpLines(reg, "msg")).toEqual([
      "usage: /msg [-a <account>] <jid> <text>",
      "send a message",
      "",
      "Send one message to a JID.",
      "The text is taken exactly as typed.",
      "",
      "Arguments:",
      "  <jid>   who to send to",
      "  <text>  the message [rest of the line, taken as typed]",
      "",
      "Options:",
      "  -a, --account <account>  the account to use (default: the current account)",
      "",
      "Examples:",
      "  /msg bob@example.org hi there",
      "      say hi to bob",
    ]);
  });

  it("lists enum values and optional args", () => {
    const lines = helpLines(reg, "/status");
    expect(lines).toContain("  <show>  availability (one of: online, chat, away, xa, dnd)");
    expect(lines).toContain("  <text>  status message [optional; rest of the line, taken as typed]");
    expect(lines).toContain("  --all                    on every account");
  });

  it("explains a parent command with its subcommands and default", () => {
    const lines = helpLines(reg, "account");
    expect(lines[0]).toBe("usage: /account [add|set|unset|remove|list|enable|disable] ...");
    expect(lines).toContain("Subcommands:");
    expect(lines).toContain("  remove, rm  remove an account");
    expect(lines).toContain("  list, ls    list accounts (default)");
    expect(lines).toContain("Type /help account <subcommand> for details.");
  });

  it("explains a subcommand by path, including through aliases", () => {
    expect(helpLines(reg, "account set")[0]).toBe("usage: /account set <account> <key> <value>");
    expect(helpLines(reg, "account set")).toContain("  /account set work resource laptop");
    const rm = helpLines(reg, "/account rm");
    expect(rm[0]).toBe("usage: /account remove <account>");
    expect(rm).toContain("Aliases: /account rm");
  });

  it("finds commands by alias and shows aliases", () => {
    const lines = helpLines(reg, "exit");
    expect(lines[0]).toBe("usage: /quit");
    expect(lines).toContain("Aliases: /exit");
  });

  it("explains hidden commands when asked by name", () => {
    expect(helpLines(reg, "debug")[0]).toBe("usage: /debug");
  });

  it("rejects unknown names with a suggestion", () => {
    expect(() => helpLines(reg, "mgs")).toThrow(UsageError);
    expect(() => helpLines(reg, "mgs")).toThrow("no such command /mgs, did you mean /msg? (try /help)");
    expect(() => helpLines(reg, "account frob")).toThrow('/account has no subcommand "frob"');
    expect(() => helpLines(reg, "msg frob")).toThrow("/msg has no subcommands");
  });

  it("is plain text (no terminal codes)", () => {
    for (const name of [undefined, "msg", "account", "account set", "status", "quit"]) {
      expect(helpLines(reg, name).join("\n")).not.toMatch(/\x1b/);
    }
  });
});
