import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { classifyInput, parseCommandLine, redactCommandLine } from "../../src/core/commands/parse.js";
import { CommandRegistry } from "../../src/core/commands/registry.js";
import type { CommandDef } from "../../src/core/commands/types.js";
import { createRegistry } from "../../src/core/commands/defs/index.js";
import { fixtureDefs } from "../helpers/command-fixtures.js";

const extra: CommandDef[] = [
  {
    name: "history",
    group: "Messaging",
    summary: "show history",
    help: "",
    conversationScoped: true,
    options: [
      { name: "limit", short: "l", kind: "int", description: "how many" },
      { name: "tag", short: "t", kind: "word", repeatable: true, description: "filter" },
      { name: "order", kind: "enum", values: ["asc", "desc"], description: "order" },
      { name: "verbose", short: "v", kind: "flag", description: "more" },
    ],
    args: [{ name: "count", kind: "int", optional: true, description: "how many" }],
  },
  {
    name: "invite",
    group: "Rooms",
    summary: "invite people",
    help: "",
    args: [
      { name: "room", kind: "room", description: "the room" },
      { name: "jids", kind: "jid", variadic: true, description: "who" },
    ],
  },
  {
    name: "register",
    group: "Accounts",
    summary: "register",
    help: "",
    options: [{ name: "password", short: "p", kind: "secret", description: "the password" }],
    args: [
      { name: "jid", kind: "jid", description: "the jid" },
      { name: "token", kind: "secret", optional: true, description: "a token" },
    ],
  },
  {
    name: "config",
    group: "Settings",
    summary: "set a setting",
    help: "",
    options: [{ name: "global", short: "g", kind: "flag", description: "for every account" }],
    args: [
      { name: "key", kind: "setting", description: "the setting" },
      { name: "value", kind: "text", rest: true, description: "the value", secretWhen: (a) => a.key === "password" },
    ],
  },
  {
    name: "me",
    group: "Messaging",
    summary: "an action",
    help: "",
    args: [{ name: "text", kind: "text", rest: true, description: "what you do" }],
  },
];

const reg = new CommandRegistry([...fixtureDefs, ...extra]);
const parse = (line: string) => parseCommandLine(reg, line);

function usage(line: string): UsageError {
  try {
    parse(line);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`expected a UsageError for ${line}`);
}

describe("classifyInput", () => {
  it("treats //x as the literal text /x and plain lines as text", () => {
    expect(classifyInput("/msg bob hi")).toEqual({ kind: "command" });
    expect(classifyInput("//shrug")).toEqual({ kind: "text", text: "/shrug" });
    expect(classifyInput("hello /msg")).toEqual({ kind: "text", text: "hello /msg" });
    expect(usage("//msg bob").message).toMatch(/not a command/);
  });
});

describe("parseCommandLine: commands", () => {
  it("parses a simple command and its rest arg", () => {
    const c = parse("/msg bob@example.org hello world");
    expect(c.path).toEqual(["msg"]);
    expect(c.def.name).toBe("msg");
    expect(c.args).toEqual({ jid: "bob@example.org", text: "hello world" });
    expect(c.options).toEqual({});
    expect(c.rest).toEqual([]);
    expect(c.raw).toBe("/msg bob@example.org hello world");
    expect(c.redacted).toBe(c.raw);
  });

  it("resolves aliases and is case-insensitive in names", () => {
    expect(parse("/exit").path).toEqual(["quit"]);
    expect(parse("/MSG bob hi").path).toEqual(["msg"]);
    expect(parse("/account RM work").path).toEqual(["account", "remove"]);
  });

  it("reports unknown commands with a suggestion", () => {
    expect(usage("/mgs bob hi").message).toBe("unknown command /mgs, did you mean /msg? (try /help)");
    expect(usage("/frobnicate").message).toBe("unknown command /frobnicate (try /help)");
    expect(usage("/").message).toMatch(/missing command name/);
    expect(usage("/ msg").message).toMatch(/missing command name/);
  });

  it("walks subcommands and applies the default subcommand", () => {
    expect(parse("/account").path).toEqual(["account", "list"]);
    expect(parse("/account   ").path).toEqual(["account", "list"]);
    expect(parse("/account add bob@example.org").args).toEqual({ jid: "bob@example.org" });
    const e = usage("/account ad bob@example.org");
    expect(e.message).toBe(
      "unknown subcommand /account ad, did you mean /account add?\nusage: /account [add|set|unset|remove|list|enable|disable] ...",
    );
  });
});

describe("parseCommandLine: rest of line", () => {
  it("keeps quotes, backslashes, dashes and spacing exactly as typed", () => {
    expect(parse("/msg bob it's here").args.text).toBe("it's here");
    expect(parse('/msg bob "quoted"  and   spaced\\n  ').args.text).toBe('"quoted"  and   spaced\\n  ');
    expect(parse("/msg bob    leading spaces dropped").args.text).toBe("leading spaces dropped");
    expect(parse("/msg bob\ttabbed").args.text).toBe("tabbed");
    expect(parse("/msg bob -- -a").args.text).toBe("-- -a");
    expect(parse('/me says "unterminated').args.text).toBe('says "unterminated');
  });

  it("treats options after the first positional as text", () => {
    const c = parse("/msg bob -a work");
    expect(c.args).toEqual({ jid: "bob", text: "-a work" });
    expect(c.options.account).toBeUndefined();
  });

  it("accepts options after positionals when the command takes no free text", () => {
    const c = parse("/account add alice@example.org --name work");
    expect(c.args.jid).toBe("alice@example.org");
    expect(c.options.name).toBe("work");
    expect(parseCommandLine(createRegistry(), "/connect work --wait").options.wait).toBe(true);
    // `--` still ends options there
    expect(() => parse("/account add alice@example.org -- --name")).toThrow(UsageError);
  });

  it("an option right after a command name goes to its default subcommand", () => {
    const c = parseCommandLine(createRegistry(), "/roster -a work");
    expect(c.path).toEqual(["roster", "list"]);
    expect(c.options.account).toBe("work");
    expect(() => parse("/account --nope")).toThrow(UsageError);
  });

  it("parses options before positionals", () => {
    const c = parse("/msg -a work bob@example.org hi");
    expect(c.options.account).toBe("work");
    expect(c.args).toEqual({ jid: "bob@example.org", text: "hi" });
    expect(parse("/msg --account=home bob hi").options.account).toBe("home");
    expect(parse("/msg --account home bob hi").options.account).toBe("home");
  });

  it("-- ends options", () => {
    const c = parse("/msg -- -weird@example.org text");
    expect(c.args).toEqual({ jid: "-weird@example.org", text: "text" });
    expect(parse("/msg -a work -- -weird@example.org x").options.account).toBe("work");
  });

  it("an optional rest arg is undefined when absent", () => {
    expect(parse("/status away").args).toEqual({ show: "away", text: undefined });
    expect(parse("/status away   ").args.text).toBeUndefined();
    expect(parse("/status dnd  in a meeting, don't call").args.text).toBe("in a meeting, don't call");
  });

  it("dash words are text for a command without options", () => {
    expect(parse("/me -_- sighs").args.text).toBe("-_- sighs");
    expect(parse("/me -- sighs").args.text).toBe("sighs");
  });

  it("a command-kind rest arg keeps the typed path", () => {
    expect(parse("/help account set").args.command).toBe("account set");
    expect(parse("/help").args.command).toBeUndefined();
  });
});

describe("parseCommandLine: quoting", () => {
  it("groups quoted words outside rest args", () => {
    expect(parse('/account add "bob@example.org"').args.jid).toBe("bob@example.org");
    expect(parse("/account add -n 'My Work' w@example.org").options.name).toBe("My Work");
    expect(parse('/account add --name "say \\"hi\\" \\\\ \\n" w@example.org').options.name).toBe('say "hi" \\ \\n');
    expect(parse('/account add --name="two words" w@example.org').options.name).toBe("two words");
    expect(parse("/account add --name a'b c'd w@example.org").options.name).toBe("ab cd");
    expect(parse("/account add --name= w@example.org").options.name).toBe("");
  });

  it("a quoted word is never an option", () => {
    expect(parse('/msg "-x@example.org" hi').args.jid).toBe("-x@example.org");
  });

  it("rejects an unterminated quote before a rest arg", () => {
    const e = usage('/msg "bob hi');
    expect(e.message).toBe("unterminated quote\nusage: /msg [-a <account>] <jid> <text>");
    expect(usage("/account add --name 'x").message).toMatch(/^unterminated quote\nusage: \/account add/);
  });
});

describe("parseCommandLine: options", () => {
  it("fills defaults: flags false, repeatables []", () => {
    const c = parse("/history");
    expect(c.options).toEqual({ tag: [], verbose: false });
    expect(c.args).toEqual({ count: undefined });
  });

  it("parses all option forms", () => {
    const c = parse("/history -l 5 --tag a -t b --order=desc -v --to room@conf.example.org 10");
    expect(c.options).toEqual({ limit: "5", tag: ["a", "b"], order: "desc", verbose: true, to: "room@conf.example.org" });
    expect(c.args.count).toBe("10");
    expect(parse("/status --all away").options.all).toBe(true);
    expect(parse("/status -a work --all dnd").options).toEqual({ account: "work", all: true });
  });

  it("rejects unknown options, with a suggestion", () => {
    expect(usage("/history --limt 3").message).toBe("unknown option --limt, did you mean --limit?\nusage: " + histUsage);
    expect(usage("/history -x").message).toMatch(/^unknown option -x\n/);
    expect(usage("/status -all away").message).toMatch(/^unknown option -all, did you mean --all\?/);
    expect(usage("/msg --bogus=secret bob hi").message).toMatch(/^unknown option --bogus\n/);
  });

  it("rejects repeated non-repeatable options, flags with values and missing values", () => {
    expect(usage("/history -l 1 --limit 2").message).toMatch(/^option --limit given more than once/);
    expect(usage("/history --verbose=yes").message).toMatch(/^option --verbose takes no value/);
    expect(usage("/history --limit").message).toMatch(/^option --limit needs a value/);
  });

  it("validates option values by kind", () => {
    expect(usage("/history --limit ten").message).toMatch(/^invalid value for --limit: expected an integer \(got 'ten'\)/);
    expect(usage("/history --order up").message).toMatch(/^invalid value for --order: expected one of asc, desc \(got 'up'\)/);
    expect(usage("/history --to not@valid@jid").message).toMatch(/^invalid value for --to: not a valid JID/);
    expect(parse("/history --limit -3").options.limit).toBe("-3");
  });
});

const histUsage = "/history [--to <to>] [-l <limit>] [-t <tag>]... [--order <order>] [-v] [<count>]";

describe("parseCommandLine: args", () => {
  it("reports missing args with the synopsis", () => {
    expect(usage("/msg").message).toBe("missing argument <jid>\nusage: /msg [-a <account>] <jid> <text>");
    expect(usage("/msg bob").message).toBe("missing argument <text>\nusage: /msg [-a <account>] <jid> <text>");
    expect(usage("/msg bob   ").message).toMatch(/^missing argument <text>/);
    expect(usage("/account set work").message).toBe(
      "missing argument <key>\nusage: /account set <account> <key> <value>",
    );
    expect(usage("/account set work").detail).toEqual({
      command: "account set",
      usage: "/account set <account> <key> <value>",
    });
  });

  it("reports too many args", () => {
    expect(usage("/quit now").message).toBe("too many arguments\nusage: /quit");
    expect(usage("/connect a b").message).toMatch(/^too many arguments\nusage: \/connect \[<account>\]$/);
  });

  it("validates int, enum and jid args", () => {
    expect(parse("/history +7").args.count).toBe("+7");
    expect(usage("/history 7x").message).toMatch(/^invalid <count>: expected an integer \(got '7x'\)/);
    expect(usage("/status Away").message).toBe(
      "invalid <show>: expected one of online, chat, away, xa, dnd (got 'Away')\nusage: /status [-a <account>] [--all] <show> [<text>]",
    );
    expect(usage("/msg @example.org hi").message).toMatch(/^invalid <jid>: not a valid JID \(got '@example.org'\)/);
    expect(parse("/msg bücher.example hi").args.jid).toBe("bücher.example");
  });

  it("collects variadic args", () => {
    const c = parse("/invite room@conf.example.org a@example.org 'b@example.org'");
    expect(c.rest).toEqual(["a@example.org", "b@example.org"]);
    expect(c.args).toEqual({ room: "room@conf.example.org", jids: "a@example.org b@example.org" });
    expect(usage("/invite room@conf.example.org").message).toMatch(/^missing argument <jids>/);
    expect(usage("/invite room@conf.example.org a@example.org @bad").message).toMatch(/^invalid <jids>/);
  });
});

describe("secrets", () => {
  it("redacts a secretWhen rest value exactly", () => {
    const c = parse('/account set work password "hunter 2"');
    expect(c.args.value).toBe('"hunter 2"');
    expect(c.redacted).toBe("/account set work password ***");
    expect(parse("/account set work password   hunter2  ").redacted).toBe("/account set work password   ***");
    expect(parse("/account set work resource laptop").redacted).toBe("/account set work resource laptop");
  });

  it("redacts secret options and args, byte-identical elsewhere", () => {
    expect(parse("/register  -p s3cret   bob@example.org  tok").redacted).toBe("/register  -p ***   bob@example.org  ***");
    expect(parse('/register --password="a b" bob@example.org').redacted).toBe("/register --password=*** bob@example.org");
    expect(parse("/register --password= bob@example.org").redacted).toBe("/register --password=*** bob@example.org");
  });

  it("never puts a secret in an error message", () => {
    const e1 = usage("/register -p hunter2 -p hunter3 bob@example.org");
    expect(e1.message).not.toMatch(/hunter/);
    const e2 = usage("/register -p hunter2 bob@example.org tok extra");
    expect(e2.message).not.toMatch(/hunter|\btok\b|extra/);
    const e3 = usage("/account set work password");
    expect(e3.message).toMatch(/^missing argument <value>/);
  });

  it("redactCommandLine matches the parse when the line parses", () => {
    expect(redactCommandLine(reg, '/account set work password "hunter 2"')).toBe("/account set work password ***");
    expect(redactCommandLine(reg, "/msg bob hi")).toBe("/msg bob hi");
    expect(redactCommandLine(reg, "hello")).toBe("hello");
    expect(redactCommandLine(reg, "//account set w password x")).toBe("//account set w password x");
  });

  it("redactCommandLine is conservative when the line does not parse", () => {
    // Unknown option: assumed to be a flag, so the secret position comes as early as possible.
    expect(redactCommandLine(reg, "/config --bogus password hunter2")).toBe("/config --bogus password ***");
    expect(redactCommandLine(reg, "/config -g --bogus password  hunter 2")).toBe("/config -g --bogus password  ***");
    // An unterminated quote may swallow the secret: masked from the quote on.
    expect(redactCommandLine(reg, '/config -g "password hunter2')).toBe("/config -g ***");
    expect(redactCommandLine(reg, '/account set "work password hunter2')).toBe("/account set ***");
    // For a command without options, "--bogus" is just a positional (the account), and this parses.
    expect(redactCommandLine(reg, "/account set --bogus password hunter2")).toBe("/account set --bogus password ***");
    // Unknown subcommand of a command with secrets somewhere: everything after the name.
    expect(redactCommandLine(reg, "/account sett work password hunter2")).toBe("/account ***");
    // Secret options: everything after the command path.
    expect(redactCommandLine(reg, "/register -p 'unterminated")).toBe("/register ***");
    expect(redactCommandLine(reg, "/register bob@example.org tok extra")).toBe("/register ***");
    // Nothing typed at the secret position yet.
    expect(redactCommandLine(reg, "/account set work")).toBe("/account set work");
    // Commands without secrets and unknown commands are left alone.
    expect(redactCommandLine(reg, "/msg --bogus bob hi")).toBe("/msg --bogus bob hi");
    expect(redactCommandLine(reg, "/acount set work password x")).toBe("/acount set work password x");
    expect(() => redactCommandLine(reg, "/")).not.toThrow();
  });
});
