/**
 * What a command's `run` receives. Hosts (headless, TUI, control socket) build one per input; a
 * command reads and changes the core through it and returns data — it never touches a UI.
 */
import type { JabtermClient } from "../client.js";
import { UsageError } from "../errors.js";
import type { Account } from "../xmpp/account.js";
import type { CommandRegistry } from "./registry.js";
import type { ParsedCall } from "./types.js";

export type HostKind = "headless" | "tui" | "ctl" | "script";

export interface CommandContext {
  client: JabtermClient;
  registry: CommandRegistry<CommandContext>;
  host: HostKind;
  /**
   * The account a command acts for without -a: the current tab's in the UI; in headless mode the
   * first account (configuration order) that is online.
   */
  currentAccount(): Account | undefined;
  /** The conversation "here": the UI's current tab; headless commands pass --to instead. */
  currentConversation(): { account: string; jid: string } | undefined;
  /**
   * The aliases and sourced files being expanded around this command (outermost first), so that
   * an alias or a file that calls itself stops with an error instead of looping.
   */
  stack?: readonly string[];
}

/** The account named by -a/--account, else the host's current account. */
export function accountFor(ctx: CommandContext, call: ParsedCall): Account {
  const named = call.options.account;
  if (typeof named === "string") return ctx.client.engine.get(named);
  const current = ctx.currentAccount();
  if (current) return current;
  if (ctx.client.engine.accounts().length === 0) throw new UsageError("no accounts configured: add one with /account add <jid>");
  throw new UsageError("no account is online: name one with -a <account>, or /connect first");
}

/** The conversation for commands with --to: --to wins, else the host's current conversation. */
export function conversationFor(ctx: CommandContext, call: ParsedCall): { account: Account; jid: string } {
  const to = call.options.to;
  if (typeof to === "string") return { account: accountFor(ctx, call), jid: to };
  const here = ctx.currentConversation();
  if (here) return { account: ctx.client.engine.get(here.account), jid: here.jid };
  throw new UsageError(ctx.host === "tui" ? "this tab is not a conversation" : "say which conversation with --to <jid>");
}
