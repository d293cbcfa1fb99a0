import { describe, expect, it } from "vitest";
import { JabtermError } from "../../src/core/errors.js";
import {
  ACCOUNT_OPTION,
  closestMatch,
  CommandRegistry,
  editDistance,
  standardOptions,
  TO_OPTION,
} from "../../src/core/commands/registry.js";
import { none, output, type CommandDef } from "../../src/core/commands/types.js";
import { accountDef, fixtureDefs, msgDef, statusDef } from "../helpers/command-fixtures.js";

const base = (over: Partial<CommandDef>): CommandDef => ({ name: "x", group: "G", summary: "s", help: "", ...over });

function declError(defs: CommandDef[]): string {
  try {
    new CommandRegistry(defs);
  } catch (err) {
    expect(err).toBeInstanceOf(JabtermError);
    expect((err as JabtermError).code).toBe("internal");
    return (err as Error).message;
  }
  throw new Error("expected the registry to reject the declarations");
}

describe("CommandRegistry look-ups", () => {
  const reg = new CommandRegistry(fixtureDefs);

  it("gets by name or alias, case-insensitively, with or without /", () => {
    expect(reg.get("msg")).toBe(msgDef);
    expect(reg.get("/MSG")).toBe(msgDef);
    expect(reg.get("exit")?.name).toBe("quit");
    expect(reg.get("nope")).toBeUndefined();
  });

  it("resolves subcommands, including their aliases", () => {
    expect(reg.resolve(["account", "set", "work", "x"])).toMatchObject({ path: ["account", "set"], consumed: 2 });
    const rm = reg.resolve(["account", "rm"]);
    expect(rm?.def.name).toBe("remove");
    expect(rm?.path).toEqual(["account", "remove"]);
    // No default applied: help needs the parent.
    expect(reg.resolve(["account"])).toMatchObject({ def: accountDef, path: ["account"], consumed: 1 });
    expect(reg.resolve(["account", "bogus"])).toMatchObject({ def: accountDef, consumed: 1 });
    expect(reg.resolve(["msg", "add"])).toMatchObject({ def: msgDef, consumed: 1 });
    expect(reg.resolve(["nope"])).toBeUndefined();
    expect(reg.resolve([])).toBeUndefined();
  });

  it("lists visible commands sorted by group then name; all() includes hidden ones", () => {
    expect(reg.list().map((d) => d.name)).toEqual(["account", "connect", "help", "quit", "msg", "status"]);
    expect(reg.all().map((d) => d.name)).toEqual(["account", "connect", "debug", "help", "quit", "msg", "status"]);
    expect(reg.words()).toContain("exit");
    expect(reg.words()).not.toContain("debug");
  });

  it("suggests close names", () => {
    expect(reg.suggest("mgs")).toBe("msg");
    expect(reg.suggest("stauts")).toBe("status");
    expect(reg.suggest("zzzzzz")).toBeUndefined();
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("ab", "ba")).toBe(1);
    expect(closestMatch("x", ["me"])).toBeUndefined();
  });

  it("gives the effective options: standard ones first", () => {
    expect(standardOptions(statusDef).map((o) => o.name)).toEqual(["account", "all"]);
    expect(standardOptions(base({ conversationScoped: true, accountScoped: true }))).toEqual([ACCOUNT_OPTION, TO_OPTION]);
    expect(standardOptions(base({}))).toEqual([]);
  });

  it("output() and none() build results", () => {
    expect(output("a", "b")).toEqual({ type: "output", lines: ["a", "b"] });
    expect(none()).toEqual({ type: "none" });
  });
});

describe("CommandRegistry validation", () => {
  it("rejects duplicate names and aliases across the top level", () => {
    expect(declError([base({ name: "msg" }), base({ name: "msg" })])).toMatch(/"msg" is already the name of \/msg/);
    expect(declError([base({ name: "quit", aliases: ["q"] }), base({ name: "query", aliases: ["Q"] })])).toMatch(
      /"Q" is already an alias of \/quit/,
    );
    expect(declError([base({ name: "quit", aliases: ["exit"] }), base({ name: "exit" })])).toMatch(/\/exit.*alias of \/quit/);
  });

  it("rejects duplicate subcommand words", () => {
    const msg = declError([
      base({
        name: "account",
        subcommands: [base({ name: "remove", aliases: ["rm"] }), base({ name: "rm" })],
      }),
    ]);
    expect(msg).toMatch(/subcommand word "rm" is used by both remove and rm/);
  });

  it("allows rest/variadic only on the last arg, and not both", () => {
    expect(
      declError([
        base({
          args: [
            { name: "a", kind: "text", rest: true, description: "" },
            { name: "b", kind: "word", description: "" },
          ],
        }),
      ]),
    ).toMatch(/<a> is rest but not the last argument/);
    expect(
      declError([
        base({
          args: [
            { name: "a", kind: "word", variadic: true, description: "" },
            { name: "b", kind: "word", description: "" },
          ],
        }),
      ]),
    ).toMatch(/<a> is variadic but not the last/);
    expect(declError([base({ args: [{ name: "a", kind: "word", variadic: true, rest: true, description: "" }] })])).toMatch(
      /both rest and variadic/,
    );
  });

  it("requires optional args to come after required ones", () => {
    expect(
      declError([
        base({
          args: [
            { name: "a", kind: "word", optional: true, description: "" },
            { name: "b", kind: "word", description: "" },
          ],
        }),
      ]),
    ).toMatch(/required argument <b> follows an optional one/);
  });

  it("rejects duplicate args and enums without values", () => {
    expect(
      declError([
        base({
          args: [
            { name: "a", kind: "word", description: "" },
            { name: "a", kind: "word", description: "" },
          ],
        }),
      ]),
    ).toMatch(/duplicate argument <a>/);
    expect(declError([base({ args: [{ name: "e", kind: "enum", description: "" }] })])).toMatch(/enum argument <e> has no values/);
  });

  it("rejects clashing option names and shorts, including the standard ones", () => {
    expect(
      declError([
        base({
          options: [
            { name: "name", kind: "text", description: "" },
            { name: "name", kind: "flag", description: "" },
          ],
        }),
      ]),
    ).toMatch(/\/x: option --name clashes with option --name/);
    expect(
      declError([
        base({
          options: [
            { name: "name", short: "n", kind: "text", description: "" },
            { name: "number", short: "n", kind: "int", description: "" },
          ],
        }),
      ]),
    ).toMatch(/option -n \(--number\) clashes with option --name/);
    expect(declError([base({ accountScoped: true, options: [{ name: "all", short: "a", kind: "flag", description: "" }] })])).toMatch(
      /-a \(--all\) clashes with the standard -a\/--account/,
    );
    expect(declError([base({ accountScoped: true, options: [{ name: "account", kind: "text", description: "" }] })])).toMatch(
      /--account clashes with the standard -a\/--account/,
    );
    expect(declError([base({ conversationScoped: true, options: [{ name: "to", kind: "jid", description: "" }] })])).toMatch(
      /--to clashes with the standard --to/,
    );
    expect(declError([base({ options: [{ name: "xx", short: "xy", kind: "flag", description: "" }] })])).toMatch(/one letter/);
    // Without the standard options, the names are free.
    expect(() => new CommandRegistry([base({ options: [{ name: "account", short: "a", kind: "text", description: "" }] })])).not.toThrow();
  });

  it("checks subcommand structure", () => {
    expect(declError([base({ defaultSubcommand: "list" })])).toMatch(/defaultSubcommand without subcommands/);
    expect(declError([base({ subcommands: [base({ name: "add" })], defaultSubcommand: "list" })])).toMatch(
      /defaultSubcommand "list" is not a subcommand/,
    );
    expect(
      declError([base({ subcommands: [base({ name: "add" })], args: [{ name: "a", kind: "word", description: "" }] })]),
    ).toMatch(/subcommands cannot have arguments/);
    expect(declError([base({ subcommands: [base({ name: "add" })], run: () => none() })])).toMatch(/cannot have a run/);
    // Nested declarations are validated too, with their path.
    expect(
      declError([
        base({
          name: "account",
          subcommands: [
            base({
              name: "set",
              args: [
                { name: "v", kind: "text", rest: true, description: "" },
                { name: "w", kind: "text", description: "" },
              ],
            }),
          ],
        }),
      ]),
    ).toMatch(/declaration \/account set: argument <v> is rest/);
  });

  it("rejects bad names", () => {
    expect(declError([base({ name: "two words" })])).toMatch(/bad command name/);
    expect(declError([base({ name: "-x" })])).toMatch(/bad command name/);
    expect(declError([base({ name: "" })])).toMatch(/bad command name/);
  });

  it("accepts the fixture set", () => {
    expect(() => new CommandRegistry(fixtureDefs)).not.toThrow();
  });
});
