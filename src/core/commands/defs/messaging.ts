import { accountFor } from "../context.js";
import type { CommandContext } from "../context.js";
import { UsageError } from "../../errors.js";
import { sendChat } from "../../xmpp/features/chat-send.js";
import { type CommandDef } from "../types.js";

/** `\n`, `\t` and `\\` in typed text to a line break, a tab and a backslash; other backslashes stay. */
export function unescapeText(s: string): string {
  return s.replace(/\\([nt\\])/g, (_m, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : "\\"));
}

export const msgCommand: CommandDef<CommandContext> = {
  name: "msg",
  aliases: ["m"],
  group: "Messaging",
  summary: "send a message",
  help:
    "Sends one chat message. The text is everything after the JID, exactly as typed. The message goes through the outbox: " +
    "sent at once when the account is online, otherwise queued and sent once when it comes online, with the same id. " +
    "To a bare JID it goes to the resource the conversation is locked to (XEP-0296: the one that wrote last, or the one set " +
    "with /resource), else to the bare JID; to a full JID it goes there.",
  accountScoped: true,
  options: [{ name: "escapes", kind: "flag", description: "the text uses \\n for a line break, \\t for a tab and \\\\ for a backslash (several lines through the one-line protocol)" }],
  args: [
    { name: "jid", kind: "jid", description: "the recipient (bare or full JID)" },
    { name: "text", kind: "text", rest: true, description: "the message text" },
  ],
  examples: [
    { input: "/msg bob@example.org it's here", description: "send from the current account" },
    { input: "/msg -a work bob@example.org -- -a", description: "send \"-- -a\" from the account work" },
    { input: "/msg bob@example.org/phone call me", description: "send to one of bob's devices" },
    { input: "/msg --escapes bob@example.org first line\\nsecond line", description: "send two lines" },
  ],
  async run(ctx, call) {
    const account = accountFor(ctx, call);
    const text = call.options.escapes ? unescapeText(call.args.text ?? "") : (call.args.text ?? "");
    if (text.length === 0) throw new UsageError("empty message");
    const msg = await sendChat(ctx.client, account, call.args.jid!, text);
    return {
      type: "output",
      lines: [`${msg.state === "queued" ? "queued" : msg.state}${msg.encryption ? ` ${msg.encryption === "ox" ? "OX" : "PGP"}-encrypted` : ""} message to ${msg.to} from ${account.name}`],
      data: { id: msg.id, account: account.name, to: msg.to, state: msg.state, encryption: msg.encryption ?? null },
    };
  },
};
