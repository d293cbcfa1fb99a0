/** One-to-one chat: reading, resource locks, chat states, corrections and /me. */
import { UsageError } from "../../errors.js";
import { CHAT_STATES, type ChatStateName } from "../../messaging/stanzas.js";
import { conversationView, correctLast, markRead, peerOf, sendChat, sendChatState, setLock } from "../../xmpp/features/chat-send.js";
import { conversationFor, type CommandContext } from "../context.js";
import type { CommandDef } from "../types.js";

const readCommand: CommandDef<CommandContext> = {
  name: "read",
  group: "Messaging",
  summary: "mark a conversation read",
  help:
    "Sets the conversation's unread count to 0. When send_markers is on, the last incoming message that asked for chat " +
    "markers gets a displayed marker (XEP-0333), so the sender sees you read it; it is sent once per message.",
  accountScoped: true,
  conversationScoped: true,
  examples: [{ input: "/read --to bob@example.org", description: "mark the conversation with bob read" }],
  async run(ctx, call) {
    const { account, jid } = conversationFor(ctx, call);
    const r = await markRead(ctx.client, account, jid);
    const lines = [`${r.peer}: read (${r.unread} unread before)${r.displayed ? ", displayed marker sent" : ""}`];
    return { type: "output", lines, data: { account: account.name, peer: r.peer, unread_before: r.unread, displayed: r.displayed ?? null } };
  },
};

const resourceCommand: CommandDef<CommandContext> = {
  name: "resource",
  group: "Messaging",
  summary: "send to one resource of a contact, or stop (off)",
  help:
    "Locks the conversation to one resource of the contact (XEP-0296): messages to its bare JID go to that resource until " +
    "/resource off or until that resource goes offline. Without it, jabterm locks onto the resource that last wrote to you " +
    "and unlocks when the contact's presence changes.",
  accountScoped: true,
  conversationScoped: true,
  args: [{ name: "resource", kind: "word", description: "the resource, or off to send to the bare JID again" }],
  examples: [
    { input: "/resource phone --to bob@example.org", description: "send to bob@example.org/phone" },
    { input: "/resource off --to bob@example.org", description: "back to bob's bare JID" },
  ],
  run(ctx, call) {
    const { account, jid } = conversationFor(ctx, call);
    const name = call.args.resource!;
    const r = setLock(ctx.client, account.name, jid, name === "off" ? undefined : name);
    const lines = [r.lock ? `${r.peer}: messages go to ${r.peer}/${r.lock}` : `${r.peer}: messages go to the bare JID`];
    return { type: "output", lines, data: conversationView(ctx.client, account.name, r.peer) };
  },
};

const chatstateCommand: CommandDef<CommandContext> = {
  name: "chatstate",
  group: "Messaging",
  summary: "tell a contact you are typing, paused, ...",
  help:
    "Sends a chat state notification (XEP-0085) when send_chat_states is on and the contact has not shown it ignores them " +
    "(it replied to a message of ours without one). Not queued: nothing is sent while offline.",
  accountScoped: true,
  conversationScoped: true,
  args: [{ name: "state", kind: "enum", values: CHAT_STATES, description: "active, composing, paused, inactive or gone" }],
  examples: [{ input: "/chatstate composing --to bob@example.org", description: "bob sees that you are typing" }],
  async run(ctx, call) {
    const { account, jid } = conversationFor(ctx, call);
    const r = await sendChatState(ctx.client, account, jid, call.args.state as ChatStateName);
    return { type: "output", lines: [r.sent ? `${call.args.state} sent to ${r.to}` : `not sent: ${r.reason}`], data: r };
  },
};

const correctCommand: CommandDef<CommandContext> = {
  name: "correct",
  group: "Messaging",
  summary: "correct your last message",
  help:
    "Replaces your last message in the conversation (XEP-0308): a new message, through the outbox, that says which one it " +
    "replaces. Clients that support corrections show the new text in place of the old one; others show it as a new message.",
  accountScoped: true,
  conversationScoped: true,
  args: [{ name: "text", kind: "text", rest: true, description: "the corrected text" }],
  examples: [{ input: "/correct --to bob@example.org see you at 5", description: "fix the last message to bob" }],
  async run(ctx, call) {
    const { account, jid } = conversationFor(ctx, call);
    const text = call.args.text ?? "";
    if (text.length === 0) throw new UsageError("empty correction");
    const { message, original } = await correctLast(ctx.client, account, jid, text);
    return {
      type: "output",
      lines: [`corrected message to ${peerOf(jid)}`],
      data: { id: message.id, replaces: original.id, account: account.name, to: message.to, state: message.state },
    };
  },
};

const meCommand: CommandDef<CommandContext> = {
  name: "me",
  group: "Messaging",
  summary: "send an action (/me waves)",
  help: "Sends \"/me <text>\" (XEP-0245), which clients show as an action: \"* alice waves\".",
  accountScoped: true,
  conversationScoped: true,
  args: [{ name: "text", kind: "text", rest: true, description: "the action" }],
  examples: [{ input: "/me --to bob@example.org waves", description: "bob sees \"* alice waves\"" }],
  async run(ctx, call) {
    const { account, jid } = conversationFor(ctx, call);
    const text = call.args.text ?? "";
    if (text.trim().length === 0) throw new UsageError("empty action");
    const msg = await sendChat(ctx.client, account, jid, `/me ${text}`);
    return { type: "output", lines: [`${msg.state} action to ${msg.to} from ${account.name}`], data: { id: msg.id, account: account.name, to: msg.to, state: msg.state } };
  },
};

export const chatCommands: CommandDef<CommandContext>[] = [readCommand, resourceCommand, chatstateCommand, correctCommand, meCommand];
