import { describe, expect, it } from "vitest";
import { completeCommandLine, quoteWord, type CompletionSources } from "../../src/core/commands/complete.js";
import { CommandRegistry } from "../../src/core/commands/registry.js";
import type { CommandDef } from "../../src/core/commands/types.js";
import { fixtureDefs } from "../helpers/command-fixtures.js";

const extra: CommandDef[] = [
  {
    name: "kick",
    group: "Rooms",
    summary: "kick",
    help: "",
    conversationScoped: true,
    args: [{ name: "nick", kind: "nick", description: "who" }, { name: "reason", kind: "text", optional: true, rest: true, description: "why" }],
  },
  {
    name: "join",
    group: "Rooms",
    summary: "join",
    help: "",
    accountScoped: true,
    options: [{ name: "password", kind: "secret", description: "room password" }],
    args: [{ name: "room", kind: "room", description: "room" }, { name: "nick", kind: "word", optional: true, description: "nick" }],
  },
  {
    name: "set",
    group: "Settings",
    summary: "set",
    help: "",
    args: [{ name: "key", kind: "setting", description: "k" }, { name: "value", kind: "text", rest: true, description: "v" }],
  },
  {
    name: "send",
    group: "Files",
    summary: "send a file",
    help: "",
    args: [{ name: "contact", kind: "contact", description: "to" }, { name: "file", kind: "file", description: "what" }],
  },
  {
    name: "whois",
    group: "Rooms",
    summary: "who is",
    help: "",
    args: [{ name: "nick", kind: "nick", rest: true, description: "nick" }],
  },
];

const reg = new CommandRegistry([...fixtureDefs, ...extra]);

const contacts: Record<string, string[]> = {
  work: ["alice@corp.example", "Bob@corp.example"],
  home: ["mum@family.example", "alice@family.example"],
};
const sources: CompletionSources = {
  accounts: () => ["work", "home", "Work-old"],
  contacts: (account) => (account ? (contacts[account] ?? []) : Object.values(contacts).flat()),
  rooms: (account) => (account === "home" ? [] : ["lounge@conf.corp.example"]),
  nicks: () => ["Zed", "zara", "Anne Marie"],
  settings: () => ["theme", "timestamps", "notify"],
  accountKeys: () => ["password", "resource", "priority", "port"],
  files: (prefix) => ["/tmp/a.txt", "/tmp/b.png", "/home/x"].filter((f) => f.startsWith(prefix)),
};

/** Complete with the cursor at "|" (or at the end). */
function comp(lineWithCursor: string) {
  const cursor = lineWithCursor.includes("|") ? lineWithCursor.indexOf("|") : lineWithCursor.length;
  const line = lineWithCursor.replace("|", "");
  return completeCommandLine(reg, line, cursor, sources);
}

describe("completion: command names", () => {
  it("completes names and aliases after /", () => {
    expect(comp("/")).toEqual({ from: 1, to: 1, candidates: ["account", "connect", "exit", "help", "join", "kick", "msg", "quit", "send", "set", "status", "whois"] });
    expect(comp("/s")).toEqual({ from: 1, to: 2, candidates: ["send", "set", "status"] });
    expect(comp("/E").candidates).toEqual(["exit"]);
    expect(comp("/d").candidates).toEqual([]); // hidden commands do not complete
  });

  it("replaces the whole word when the cursor is inside it", () => {
    expect(comp("/st|atus away")).toEqual({ from: 1, to: 7, candidates: ["status"] });
  });

  it("gives nothing for text and //text", () => {
    expect(comp("hello").candidates).toEqual([]);
    expect(comp("//ms").candidates).toEqual([]);
    expect(comp("/nope ").candidates).toEqual([]);
  });
});

describe("completion: subcommands and options", () => {
  it("completes subcommands and their aliases", () => {
    expect(comp("/account ")).toEqual({ from: 9, to: 9, candidates: ["add", "disable", "enable", "list", "ls", "remove", "rm", "set", "unset"] });
    expect(comp("/account r")).toEqual({ from: 9, to: 10, candidates: ["remove", "rm"] });
    expect(comp("/account bogus ").candidates).toEqual([]);
  });

  it("completes option names after - and --", () => {
    expect(comp("/status -")).toEqual({ from: 8, to: 9, candidates: ["--account", "--all", "-a"] });
    expect(comp("/status --a").candidates).toEqual(["--account", "--all"]);
    expect(comp("/status --al").candidates).toEqual(["--all"]);
    expect(comp("/status --all -").candidates).toEqual(["--account", "-a"]); // given options drop out
    expect(comp("/account add -").candidates).toEqual(["--name", "-n"]);
  });

  it("a dash after the first positional is text, not an option", () => {
    expect(comp("/msg bob -").candidates).toEqual([]);
  });

  it("completes accounts after -a and --account=", () => {
    expect(comp("/msg -a ")).toEqual({ from: 8, to: 8, candidates: ["Work-old", "home", "work"] });
    expect(comp("/msg -a w").candidates).toEqual(["Work-old", "work"]);
    expect(comp("/msg --account=h")).toEqual({ from: 15, to: 16, candidates: ["home"] });
    expect(comp("/status -a work --all ").candidates).toEqual(["away", "chat", "dnd", "online", "xa"]);
  });

  it("secret options never complete", () => {
    expect(comp("/join --password ").candidates).toEqual([]);
  });
});

describe("completion: values by kind", () => {
  it("completes enum values (case-sensitive)", () => {
    expect(comp("/status ")).toEqual({ from: 8, to: 8, candidates: ["away", "chat", "dnd", "online", "xa"] });
    expect(comp("/status -a work d").candidates).toEqual(["dnd"]);
    expect(comp("/status D").candidates).toEqual([]);
  });

  it("completes account keys and accounts by position", () => {
    expect(comp("/account set ").candidates).toEqual(["Work-old", "home", "work"]);
    expect(comp("/account set work p")).toEqual({ from: 18, to: 19, candidates: ["password", "port", "priority"] });
    expect(comp("/account unset home re").candidates).toEqual(["resource"]);
    expect(comp("/connect WO").candidates).toEqual(["Work-old", "work"]);
  });

  it("never completes secrets or free text", () => {
    expect(comp("/account set work password ").candidates).toEqual([]);
    expect(comp("/msg bob@example.org hel").candidates).toEqual([]);
    expect(comp("/quit ").candidates).toEqual([]);
  });

  it("completes jids from contacts and rooms, scoped by -a, case-insensitively", () => {
    expect(comp("/msg ").candidates).toEqual([
      "Bob@corp.example",
      "alice@corp.example",
      "alice@family.example",
      "lounge@conf.corp.example",
      "mum@family.example",
    ]);
    expect(comp("/msg -a home a").candidates).toEqual(["alice@family.example"]);
    expect(comp("/msg -a work b").candidates).toEqual(["Bob@corp.example"]);
    expect(comp("/msg --to x").candidates).toEqual([]); // /msg is not conversation-scoped: unknown option
  });

  it("completes rooms, contacts, settings and files", () => {
    expect(comp("/join -a work ").candidates).toEqual(["lounge@conf.corp.example"]);
    expect(comp("/join l").candidates).toEqual(["lounge@conf.corp.example"]);
    expect(comp("/send mu").candidates).toEqual(["mum@family.example"]);
    expect(comp("/send mum@family.example /tmp/").candidates).toEqual(["/tmp/a.txt", "/tmp/b.png"]);
    expect(comp("/set t").candidates).toEqual(["theme", "timestamps"]);
    expect(comp("/set theme da").candidates).toEqual([]);
  });

  it("quotes candidates that would not survive tokenising, except in rest args", () => {
    expect(comp("/kick ").candidates).toEqual(['"Anne Marie"', "Zed", "zara"]);
    expect(comp('/kick "An')).toEqual({ from: 6, to: 9, candidates: ['"Anne Marie"'] });
    expect(comp("/kick z").candidates).toEqual(["Zed", "zara"]);
    expect(comp("/kick --to lounge@conf.corp.example Z").candidates).toEqual(["Zed", "zara"]);
    expect(comp("/whois Anne M")).toEqual({ from: 7, to: 13, candidates: ["Anne Marie"] });
    expect(quoteWord('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteWord("-x")).toBe('"-x"');
    expect(quoteWord("plain")).toBe("plain");
  });

  it("completes command names and subcommands for /help", () => {
    expect(comp("/help q").candidates).toEqual(["quit"]);
    expect(comp("/help account s")).toEqual({ from: 14, to: 15, candidates: ["set"] });
    expect(comp("/help account ").candidates).toContain("unset");
    expect(comp("/help msg x").candidates).toEqual([]);
  });

  it("survives a throwing source", () => {
    const bad: CompletionSources = { ...sources, accounts: () => { throw new Error("boom"); } };
    expect(completeCommandLine(reg, "/msg -a ", 8, bad)).toEqual({ from: 8, to: 8, candidates: [] });
  });
});
