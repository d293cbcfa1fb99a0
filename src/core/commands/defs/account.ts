import { ACCOUNT_KEYS, findAccountKey } from "../../config/schema.js";
import { UsageError } from "../../errors.js";
import type { CommandContext } from "../context.js";
import { output, type ArgDef, type CommandDef } from "../types.js";

const accountArg: ArgDef = { name: "account", kind: "account", description: "the account's name (or its JID)" };

function describeAccount(ctx: CommandContext, name: string) {
  const cfg = ctx.client.config.getAccount(name)!;
  const state = ctx.client.engine.find(cfg.name)?.state;
  return {
    name: cfg.name,
    jid: cfg.jid,
    enabled: cfg.enabled,
    transport: cfg.transport,
    status: state?.status ?? "offline",
    bound: state?.boundJid,
    error: state?.error?.text,
  };
}

function showValue(key: string, value: unknown): string {
  return findAccountKey(key)?.secret ? "***" : String(value);
}

export const accountCommand: CommandDef<CommandContext> = {
  name: "account",
  aliases: ["acct"],
  group: "Accounts",
  summary: "add, change, list and remove accounts",
  help:
    "Accounts are saved in the config file, in order; the first online one is the default for commands without -a. " +
    "Adding an account does not connect it: set its password or password_command, then /connect it. " +
    "Changes take effect at the account's next connection.",
  defaultSubcommand: "list",
  subcommands: [
    {
      name: "add",
      group: "Accounts",
      summary: "add an account (saved, not connected)",
      help: "Adds an account for a bare JID. Its name defaults to the JID; give a short one with --name, or to use two resources of one JID as two accounts.",
      args: [{ name: "jid", kind: "jid", description: "the account's bare JID (user@domain)" }],
      options: [{ name: "name", short: "n", kind: "word", description: "a unique short name for the account" }],
      examples: [{ input: "/account add alice@example.org --name work", description: "add an account called work" }],
      run(ctx, call) {
        const added = ctx.client.config.addAccount(call.args.jid!, typeof call.options.name === "string" ? { name: call.options.name } : {});
        ctx.client.engine.sync();
        return { type: "output", lines: [`added account ${added.name} (${added.jid}); set password_command or password, then /connect ${added.name}`], data: describeAccount(ctx, added.name) };
      },
    },
    {
      name: "set",
      group: "Accounts",
      summary: "set one key of an account",
      help: `Keys: ${ACCOUNT_KEYS.map((k) => k.key).join(", ")}. A password given here is stored in the config file (mode 0600); prefer password_command.`,
      args: [
        accountArg,
        { name: "key", kind: "account-key", description: "the key to set" },
        { name: "value", kind: "text", rest: true, description: "the new value", secretWhen: (a) => Boolean(a.key && findAccountKey(a.key)?.secret) },
      ],
      examples: [
        { input: "/account set work password_command pass show xmpp/work", description: "read the password from pass(1)" },
        { input: "/account set work fingerprint AB:CD:...", description: "trust the server's certificate by its SHA-256 fingerprint" },
      ],
      run(ctx, call) {
        const { account, key, value } = call.args;
        const updated = ctx.client.config.setAccountKey(account!, key!, value!);
        ctx.client.engine.sync();
        const shown = (updated as unknown as Record<string, unknown>)[key!];
        return { type: "output", lines: [`${updated.name}: ${key} = ${showValue(key!, shown)}`], data: { account: updated.name, key, value: showValue(key!, shown) } };
      },
    },
    {
      name: "unset",
      group: "Accounts",
      summary: "reset one key of an account to its default",
      help: "Removes the key from the account; its default applies again. The jid cannot be unset.",
      args: [accountArg, { name: "key", kind: "account-key", description: "the key to reset" }],
      run(ctx, call) {
        const updated = ctx.client.config.unsetAccountKey(call.args.account!, call.args.key!);
        ctx.client.engine.sync();
        return output(`${updated.name}: ${call.args.key} unset`);
      },
    },
    {
      name: "remove",
      aliases: ["rm"],
      group: "Accounts",
      summary: "disconnect and remove an account",
      help: "Removes the account from the config file.",
      args: [accountArg],
      async run(ctx, call) {
        const acct = ctx.client.engine.get(call.args.account!);
        await acct.disconnect();
        const removed = ctx.client.config.removeAccount(acct.name);
        ctx.client.engine.sync();
        return output(`removed account ${removed.name}`);
      },
    },
    {
      name: "list",
      aliases: ["ls"],
      group: "Accounts",
      summary: "list accounts with their state",
      help: "One line per account, in configuration order.",
      run(ctx) {
        const rows = ctx.client.config.accounts().map((a) => describeAccount(ctx, a.name));
        if (rows.length === 0) return { type: "output", lines: ["no accounts: add one with /account add <jid>"], data: [] };
        const lines = rows.map((r) => `${r.name}  ${r.jid}  ${r.status}${r.enabled ? "" : " (disabled)"}  ${r.transport}${r.error ? `  error: ${r.error}` : ""}`);
        return { type: "output", lines, data: rows };
      },
    },
    {
      name: "enable",
      group: "Accounts",
      summary: "enable an account (connected at start)",
      help: "Enabled accounts connect when jabterm starts.",
      args: [accountArg],
      run(ctx, call) {
        const a = ctx.client.config.setAccountKey(call.args.account!, "enabled", "true");
        ctx.client.engine.sync();
        return output(`${a.name} enabled`);
      },
    },
    {
      name: "disable",
      group: "Accounts",
      summary: "disable an account (and disconnect it)",
      help: "Disabled accounts stay offline until enabled or connected by hand.",
      args: [accountArg],
      async run(ctx, call) {
        const a = ctx.client.config.setAccountKey(call.args.account!, "enabled", "false");
        ctx.client.engine.sync();
        await ctx.client.engine.get(a.name).disconnect();
        return output(`${a.name} disabled`);
      },
    },
  ],
};

export const passwordCommand: CommandDef<CommandContext> = {
  name: "password",
  group: "Accounts",
  summary: "answer a password (or OpenPGP passphrase) request for this run (not saved)",
  help:
    "When an account has neither password nor password_command, connecting asks for a password (a `credential` event in headless mode). This answers it; the password is kept in memory only. " +
    "The same answers a request for the passphrase of the account's OpenPGP key (kind pgp_passphrase) when no password is asked for.",
  args: [accountArg, { name: "password", kind: "secret", rest: true, description: "the password or passphrase" }],
  run(ctx, call) {
    const acct = ctx.client.engine.get(call.args.account!);
    const asking = ctx.client.pendingCredentialKind(acct.name);
    if (!ctx.client.answerCredential(acct.name, call.args.password!)) throw new UsageError(`${acct.name} is not waiting for a password`);
    return output(asking === "pgp_passphrase" ? `passphrase for the OpenPGP key of ${acct.name} given` : `password for ${acct.name} accepted for this run`);
  },
};
