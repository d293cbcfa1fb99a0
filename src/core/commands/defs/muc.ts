/**
 * Rooms (XEP-0045): /join, /leave, /nick, /topic, /names, /invite, /invitation, /kick, /ban,
 * /role, /affiliation, /destroy and /room (list, config, selfping). Commands that act on "this
 * room" take --to <room> (headless) or use the current tab (interface).
 */
import { UsageError } from "../../errors.js";
import { normalizeJid } from "../../jid.js";
import { getRoom, sortedOccupants } from "../../store/slices/rooms.js";
import type { Room } from "../../store/types.js";
import type { Account } from "../../xmpp/account.js";
import { formLines } from "../../xmpp/features/data-forms.js";
import { formatNotify, NOTIFY_MODES, parseNotify, type NotifyMode } from "../../xmpp/features/muc-highlight.js";
import { AFFILIATIONS, ROLES, type Affiliation, type Role } from "../../xmpp/features/muc-stanzas.js";
import { mucController, occupantView, roomView, splitRoomArg } from "../../xmpp/features/muc.js";
import { bookmarksController, bookmarkView, type Bookmark } from "../../xmpp/features/muc-bookmarks.js";
import { accountFor, conversationFor, type CommandContext } from "../context.js";
import type { CommandDef, CommandResult, ParsedCall } from "../types.js";

const GROUP = "Rooms";

/** The room a command acts on: --to, else the current tab (a room, or a private chat in one). */
function roomFor(ctx: CommandContext, call: ParsedCall): { account: Account; room: Room } {
  const { account, jid } = conversationFor(ctx, call);
  const { room: jidRoom } = splitRoomArg(jid);
  const room = getRoom(ctx.client.store.account(account.name), normalizeJid(jidRoom));
  if (!room) throw new UsageError(`${jidRoom} is not a room you are in: /join ${jidRoom}`);
  return { account, room };
}

const roomScoped = { group: GROUP, accountScoped: true, conversationScoped: true } as const;

function describeRoom(r: Room): string {
  const n = Object.keys(r.occupants).length;
  const state = r.state === "joined" ? `joined as ${r.nick}, ${n} occupant${n === 1 ? "" : "s"}` : r.state === "error" ? `not joined: ${r.error ?? "error"}` : r.state === "left" ? `left (${r.leftReason ?? "left"})` : "joining";
  return `${r.jid}: ${state}${r.subject ? ` · topic: ${r.subject}` : ""}`;
}

const joinCommand: CommandDef<CommandContext> = {
  name: "join",
  aliases: ["j"],
  group: GROUP,
  summary: "join a room (XEP-0045)",
  help:
    "Joins a room as <nick> (default: the local part of your JID) and opens its tab. A room that does not exist yet is " +
    "created, as an instant room with the service's default configuration (/room config changes it). Errors say why a " +
    "join was refused: a password is needed, the room is members-only, you are banned, or the nick is taken. Joined " +
    "rooms are joined again after a reconnect, and when a self-ping (XEP-0410) finds you were dropped.",
  accountScoped: true,
  args: [
    { name: "room", kind: "room", description: "room@service, or room@service/nick" },
    { name: "password", kind: "secret", optional: true, description: "the room's password, if it has one" },
  ],
  examples: [
    { input: "/join jabterm@conference.example.org", description: "join with your default nick" },
    { input: "/join ops@conference.example.org/alice s3cret", description: "join a password room as alice" },
  ],
  async run(ctx, call) {
    const account = accountFor(ctx, call);
    const r = await mucController(ctx.client).join(account, call.args.room!, undefined, { password: call.args.password });
    return { type: "open", account: account.name, jid: r.jid, lines: [describeRoom(r)] };
  },
};

const leaveCommand: CommandDef<CommandContext> = {
  name: "leave",
  aliases: ["part"],
  ...roomScoped,
  summary: "leave a room",
  help: "Leaves the room (with an optional reason the other occupants see). Its tab stays open until /close.",
  args: [{ name: "reason", kind: "text", rest: true, optional: true, description: "why you leave" }],
  examples: [{ input: "/leave --to ops@conference.example.org lunch", description: "leave with a reason" }],
  async run(ctx, call) {
    const { account, room } = roomFor(ctx, call);
    await mucController(ctx.client).leave(account, room.jid, call.args.reason || undefined);
    return { type: "output", lines: [`left ${room.jid}`], data: roomView(account.name, getRoom(ctx.client.store.account(account.name), room.jid)!) };
  },
};

const nickCommand: CommandDef<CommandContext> = {
  name: "nick",
  ...roomScoped,
  summary: "change your nick in a room",
  help: "Changes your nick in the room; an error says when the nick is taken.",
  args: [{ name: "nick", kind: "word", description: "the new nick" }],
  examples: [{ input: "/nick --to ops@conference.example.org alice_", description: "be alice_ in ops" }],
  async run(ctx, call) {
    const { account, room } = roomFor(ctx, call);
    const r = await mucController(ctx.client).nick(account, room.jid, call.args.nick!);
    return { type: "output", lines: [`you are ${r.nick} in ${r.jid}`], data: roomView(account.name, r) };
  },
};

const topicCommand: CommandDef<CommandContext> = {
  name: "topic",
  ...roomScoped,
  summary: "show or set a room's topic",
  help: "Without text, shows the room's topic; with text, sets it (the room may allow only moderators to).",
  args: [{ name: "text", kind: "text", rest: true, optional: true, description: "the new topic" }],
  examples: [{ input: "/topic --to ops@conference.example.org release on Friday", description: "set the topic" }],
  async run(ctx, call) {
    const { account, room } = roomFor(ctx, call);
    const text = call.args.text;
    if (!text) return { type: "output", lines: [room.subject ? `${room.jid} topic: ${room.subject}${room.subjectBy ? ` (set by ${room.subjectBy})` : ""}` : `${room.jid} has no topic`], data: { room: room.jid, subject: room.subject ?? null, by: room.subjectBy ?? null } };
    await mucController(ctx.client).topic(account, room.jid, text);
    return { type: "output", lines: [`topic of ${room.jid} sent`], data: { room: room.jid, subject: text } };
  },
};

const namesCommand: CommandDef<CommandContext> = {
  name: "names",
  aliases: ["who"],
  ...roomScoped,
  summary: "list a room's occupants",
  help: "Lists the occupants with their role, affiliation, presence and real JID (when the room shows it to you).",
  examples: [{ input: "/names --to ops@conference.example.org", description: "who is in ops" }],
  run(ctx, call) {
    const { account, room } = roomFor(ctx, call);
    const occ = sortedOccupants(room);
    const lines = [`${room.jid}: ${occ.length} occupant${occ.length === 1 ? "" : "s"}`, ...occ.map((o) => `  ${o.nick}  ${o.role}/${o.affiliation}  ${o.show}${o.status ? ` (${o.status})` : ""}${o.jid ? `  ${o.jid}` : ""}`)];
    return { type: "output", lines, data: { account: account.name, room: room.jid, occupants: occ.map(occupantView) } };
  },
};

const inviteCommand: CommandDef<CommandContext> = {
  name: "invite",
  ...roomScoped,
  summary: "invite someone to a room",
  help: "Invites a JID to the room: through the room (a mediated invitation, XEP-0045), or with --direct straight to them (XEP-0249, with the room's password if it has one).",
  options: [{ name: "direct", kind: "flag", description: "send a direct invitation (XEP-0249)" }],
  args: [
    { name: "jid", kind: "contact", description: "who to invite" },
    { name: "reason", kind: "text", rest: true, optional: true, description: "a message with the invitation" },
  ],
  examples: [{ input: "/invite --to ops@conference.example.org bob@example.org join us", description: "invite bob" }],
  async run(ctx, call) {
    const { account, room } = roomFor(ctx, call);
    await mucController(ctx.client).invite(account, room.jid, call.args.jid!, { reason: call.args.reason || undefined, direct: call.options.direct === true });
    return { type: "output", lines: [`invited ${call.args.jid} to ${room.jid}`], data: { room: room.jid, to: call.args.jid, direct: call.options.direct === true } };
  },
};

function invitationAnswer(accept: boolean): CommandDef<CommandContext> {
  return {
    name: accept ? "accept" : "decline",
    group: GROUP,
    accountScoped: true,
    summary: accept ? "accept an invitation (join the room)" : "decline an invitation",
    help: accept ? "Joins the room you were invited to (with the password the invitation carried)." : "Declines the invitation (the inviter is told, for mediated invitations).",
    args: [
      { name: "room", kind: "room", description: "the room you were invited to" },
      ...(accept ? [] : [{ name: "reason", kind: "text" as const, rest: true, optional: true, description: "why" }]),
    ],
    async run(ctx, call) {
      const account = accountFor(ctx, call);
      const r = await mucController(ctx.client).answerInvitation(account, call.args.room!, accept, call.args.reason || undefined);
      if (r) return { type: "open", account: account.name, jid: r.jid, lines: [describeRoom(r)] };
      return { type: "output", lines: [`declined the invitation to ${call.args.room}`], data: { room: call.args.room, declined: true } };
    },
  };
}

const invitationCommand: CommandDef<CommandContext> = {
  name: "invitation",
  aliases: ["invitations"],
  group: GROUP,
  summary: "list, accept or decline room invitations",
  help: "Invitations you received (mediated, XEP-0045, or direct, XEP-0249) wait here until accepted or declined.",
  defaultSubcommand: "list",
  subcommands: [
    {
      name: "list",
      group: GROUP,
      summary: "list pending invitations",
      help: "Lists the invitations received in this run.",
      run(ctx) {
        const inv = mucController(ctx.client).invitations();
        const lines = inv.length ? inv.map((i) => `${i.account}: ${i.room} from ${i.from}${i.reason ? ` (${i.reason})` : ""} [${i.kind}]`) : ["no invitations"];
        return { type: "output", lines, data: inv.map((i) => ({ account: i.account, room: i.room, from: i.from, reason: i.reason, kind: i.kind })) };
      },
    },
    invitationAnswer(true),
    invitationAnswer(false),
  ],
};

function moderation(name: "kick" | "ban"): CommandDef<CommandContext> {
  return {
    name,
    ...roomScoped,
    summary: name === "kick" ? "kick an occupant out of a room" : "ban someone from a room",
    help:
      name === "kick"
        ? "Kicks the occupant (its role becomes none); a moderator's right."
        : "Bans a JID, or the real JID of an occupant you can see (its affiliation becomes outcast); an admin's or owner's right.",
    args: [
      { name: "who", kind: name === "kick" ? "nick" : "text", description: name === "kick" ? "the occupant's nick" : "an occupant's nick or a JID" },
      { name: "reason", kind: "text", rest: true, optional: true, description: "why" },
    ],
    examples: [{ input: `/${name} --to ops@conference.example.org troll spam`, description: `${name} troll` }],
    async run(ctx, call) {
      const { account, room } = roomFor(ctx, call);
      const muc = mucController(ctx.client);
      const who = call.args.who!;
      if (name === "kick") await muc.setRole(account, room.jid, who, "none", call.args.reason || undefined);
      else await muc.setAffiliation(account, room.jid, who, "outcast", call.args.reason || undefined);
      return { type: "output", lines: [`${name === "kick" ? "kicked" : "banned"} ${who} in ${room.jid}`], data: { room: room.jid, who, action: name } };
    },
  };
}

const roleCommand: CommandDef<CommandContext> = {
  name: "role",
  ...roomScoped,
  summary: "set an occupant's role",
  help: "Sets an occupant's role: moderator, participant, visitor, or none (kicks).",
  args: [
    { name: "nick", kind: "nick", description: "the occupant" },
    { name: "role", kind: "enum", values: ROLES, description: "moderator, participant, visitor or none" },
    { name: "reason", kind: "text", rest: true, optional: true, description: "why" },
  ],
  examples: [{ input: "/role --to ops@conference.example.org bob moderator", description: "make bob a moderator" }],
  async run(ctx, call) {
    const { account, room } = roomFor(ctx, call);
    await mucController(ctx.client).setRole(account, room.jid, call.args.nick!, call.args.role as Role, call.args.reason || undefined);
    return { type: "output", lines: [`${call.args.nick} is now ${call.args.role} in ${room.jid}`], data: { room: room.jid, nick: call.args.nick, role: call.args.role } };
  },
};

const affiliationCommand: CommandDef<CommandContext> = {
  name: "affiliation",
  ...roomScoped,
  summary: "set someone's affiliation with a room",
  help: "Sets the affiliation of a JID (or of an occupant whose real JID you see): owner, admin, member, outcast (banned) or none.",
  args: [
    { name: "who", kind: "text", description: "an occupant's nick or a JID" },
    { name: "affiliation", kind: "enum", values: AFFILIATIONS, description: "owner, admin, member, outcast or none" },
    { name: "reason", kind: "text", rest: true, optional: true, description: "why" },
  ],
  examples: [{ input: "/affiliation --to ops@conference.example.org bob@example.org member", description: "make bob a member" }],
  async run(ctx, call) {
    const { account, room } = roomFor(ctx, call);
    await mucController(ctx.client).setAffiliation(account, room.jid, call.args.who!, call.args.affiliation as Affiliation, call.args.reason || undefined);
    return { type: "output", lines: [`${call.args.who} is now ${call.args.affiliation} of ${room.jid}`], data: { room: room.jid, who: call.args.who, affiliation: call.args.affiliation } };
  },
};

const moderateCommand: CommandDef<CommandContext> = {
  name: "moderate",
  ...roomScoped,
  summary: "remove a message from a room (moderators, XEP-0425)",
  help: "Removes the last message of an occupant (or the one with --id, the room's stanza-id) for everyone, and from the room's archive. The room must support XEP-0425 (Prosody: mod_muc_moderation).",
  options: [{ name: "id", kind: "word", description: "the room's stanza-id of the message (default: the occupant's last message)" }],
  args: [
    { name: "nick", kind: "nick", optional: true, description: "whose last message" },
    { name: "reason", kind: "text", rest: true, optional: true, description: "why" },
  ],
  examples: [{ input: "/moderate --to ops@conference.example.org troll spam", description: "remove troll's last message" }],
  async run(ctx, call) {
    const { account, room } = roomFor(ctx, call);
    const id = typeof call.options.id === "string" ? call.options.id : undefined;
    if (!id && !call.args.nick) throw new UsageError("say whose message (a nick) or which one (--id)");
    const sid = await mucController(ctx.client).moderate(account, room.jid, id ? { stanzaId: id } : { nick: call.args.nick! }, call.args.reason || undefined);
    return { type: "output", lines: [`removed message ${sid} from ${room.jid}`], data: { room: room.jid, stanza_id: sid } };
  },
};

const retractCommand: CommandDef<CommandContext> = {
  name: "retract",
  ...roomScoped,
  summary: "retract your last message in a room (XEP-0424)",
  help: "Asks everyone's clients to remove your last message in the room (those that support XEP-0424 do; others show a note).",
  examples: [{ input: "/retract --to ops@conference.example.org", description: "take back your last message in ops" }],
  async run(ctx, call) {
    const { account, room } = roomFor(ctx, call);
    const id = await mucController(ctx.client).retract(account, room.jid);
    return { type: "output", lines: [`retracted your last message in ${room.jid}`], data: { room: room.jid, id } };
  },
};

const destroyCommand: CommandDef<CommandContext> = {
  name: "destroy",
  ...roomScoped,
  summary: "destroy a room you own",
  help: "Destroys the room (its owner's right); the occupants are told why.",
  args: [{ name: "reason", kind: "text", rest: true, optional: true, description: "why" }],
  examples: [{ input: "/destroy --to old@conference.example.org moved", description: "destroy a room" }],
  async run(ctx, call) {
    const { account, room } = roomFor(ctx, call);
    await mucController(ctx.client).destroy(account, room.jid, call.args.reason || undefined);
    return { type: "output", lines: [`destroyed ${room.jid}`], data: { room: room.jid, destroyed: true } };
  },
};

function roomList(ctx: CommandContext, account?: string): CommandResult {
  const rows = Object.entries(ctx.client.store.getState().accounts).flatMap(([name, s]) => (account && account !== name ? [] : Object.values(s.rooms).map((r) => ({ name, r }))));
  return { type: "output", lines: rows.length ? rows.map(({ name, r }) => `${name}: ${describeRoom(r)}`) : ["no rooms"], data: rows.map(({ name, r }) => roomView(name, r)) };
}

const roomCommand: CommandDef<CommandContext> = {
  name: "room",
  group: GROUP,
  summary: "your rooms, room configuration (XEP-0004 forms), self-ping",
  help: "/room list shows your rooms; /room config lists a room's configuration form and /room set changes one field of it (an owner's right); /room selfping checks now that you are still in your rooms (XEP-0410).",
  defaultSubcommand: "list",
  subcommands: [
    {
      name: "list",
      group: GROUP,
      summary: "list your rooms",
      help: "Every room of every account: joined, joining, left (and why).",
      run: (ctx) => roomList(ctx),
    },
    {
      name: "config",
      ...roomScoped,
      summary: "show a room's configuration form",
      help: "Lists the fields of the room's configuration form (XEP-0004): name = value (label; allowed values).",
      examples: [{ input: "/room config --to ops@conference.example.org", description: "show the configuration" }],
      async run(ctx, call) {
        const { account, room } = roomFor(ctx, call);
        const form = await mucController(ctx.client).getConfig(account, room.jid);
        return { type: "output", lines: formLines(form), data: form };
      },
    },
    {
      name: "set",
      ...roomScoped,
      summary: "change one field of a room's configuration",
      help: "Submits the room's configuration form with one field changed (yes/no fields take 1 or 0; multi-value fields take several words).",
      args: [
        { name: "field", kind: "word", description: "the field's name (as /room config lists it)" },
        { name: "value", kind: "word", variadic: true, description: "the value(s)" },
      ],
      examples: [{ input: "/room set --to ops@conference.example.org muc#roomconfig_membersonly 1", description: "make the room members-only" }],
      async run(ctx, call) {
        const { account, room } = roomFor(ctx, call);
        const form = await mucController(ctx.client).setConfig(account, room.jid, { [call.args.field!]: call.rest });
        return { type: "output", lines: [`${room.jid}: ${call.args.field} set`, ...formLines(form).filter((l) => l.startsWith(`${call.args.field} =`))], data: form };
      },
    },
    {
      name: "notify",
      ...roomScoped,
      summary: "how much a room asks for your attention",
      help:
        "all: every message counts as a highlight (tab marker, bell, highlight event); highlight: only those that mention " +
        "your nick or a word of highlight_words (the default); none: never. Saved in the muc_notify setting. Without a " +
        "mode, shows the room's.",
      args: [{ name: "mode", kind: "enum", values: NOTIFY_MODES, optional: true, description: "all, highlight or none" }],
      examples: [{ input: "/room notify --to busy@conference.example.org none", description: "never highlight in busy" }],
      run(ctx, call) {
        const { room } = roomFor(ctx, call);
        const current = ctx.client.settings().muc_notify;
        const mode = call.args.mode as NotifyMode | undefined;
        if (mode) {
          const next = formatNotify(current, room.jid, mode);
          if (next) ctx.client.config.setSetting("muc_notify", next);
          else ctx.client.config.unsetSetting("muc_notify");
        }
        const now = parseNotify(ctx.client.settings().muc_notify).get(room.jid) ?? "highlight";
        return { type: "output", lines: [`${room.jid}: notify ${now}`], data: { room: room.jid, notify: now } };
      },
    },
    {
      name: "register",
      ...roomScoped,
      summary: "register with a room (reserve your nick)",
      help:
        "Registration with a room (XEP-0045 §7.10, a data form): without arguments, shows whether you are registered or " +
        "lists the form's fields; with a nick, fills muc#register_roomnick and submits; --field var=value sets any field " +
        "(repeatable). Rooms usually let only members register.",
      options: [{ name: "field", kind: "text", repeatable: true, description: "var=value, a field of the registration form" }],
      args: [{ name: "nick", kind: "word", optional: true, description: "the nick to reserve" }],
      examples: [{ input: "/room register --to ops@conference.example.org alice", description: "reserve the nick alice in ops" }],
      async run(ctx, call) {
        const { account, room } = roomFor(ctx, call);
        const fields = (call.options.field as string[] | undefined) ?? [];
        const values: Record<string, string[]> = {};
        for (const f of fields) {
          const eq = f.indexOf("=");
          if (eq <= 0) throw new UsageError(`--field takes var=value, not ${JSON.stringify(f)}`);
          (values[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
        }
        if (call.args.nick) values["muc#register_roomnick"] = [call.args.nick];
        const r = await mucController(ctx.client).register(account, room.jid, Object.keys(values).length ? values : undefined);
        const lines = r.form && !r.registered ? [`${room.jid}: not registered; the form:`, ...formLines(r.form)] : [`${room.jid}: registered${r.nick ? ` as ${r.nick}` : ""}`];
        return { type: "output", lines, data: { room: room.jid, registered: r.registered, nick: r.nick ?? null, form: r.form ?? null } };
      },
    },
    {
      name: "selfping",
      group: GROUP,
      summary: "check now that you are still in your rooms",
      help: "Pings yourself in each joined room (XEP-0410); where the room no longer knows you, jabterm joins again. This also runs every muc_self_ping milliseconds.",
      async run(ctx) {
        const r = await mucController(ctx.client).selfPing();
        const entries = Object.entries(r).map(([k, v]) => ({ account: k.split("\n")[0]!, room: k.split("\n")[1]!, verdict: v }));
        return { type: "output", lines: entries.length ? entries.map((e) => `${e.account}: ${e.room}: ${e.verdict}`) : ["no joined rooms"], data: entries };
      },
    },
  ],
};

export const mucCommands: CommandDef<CommandContext>[] = [
  joinCommand,
  leaveCommand,
  nickCommand,
  topicCommand,
  namesCommand,
  inviteCommand,
  invitationCommand,
  moderation("kick"),
  moderation("ban"),
  roleCommand,
  affiliationCommand,
  moderateCommand,
  retractCommand,
  destroyCommand,
  roomCommand,
];

// ---------------------------------------------------------------------------------------------
// /bookmark

function bookmarkRoom(ctx: CommandContext, call: ParsedCall): { account: Account; room: string; nick?: string } {
  if (call.args.room) {
    const account = accountFor(ctx, call);
    const { room, nick } = splitRoomArg(call.args.room);
    return { account, room: normalizeJid(room), ...(nick ? { nick } : {}) };
  }
  const { account, room } = roomFor(ctx, call);
  return { account, room: room.jid, nick: room.nick };
}

const roomArgOptional = { name: "room", kind: "room" as const, optional: true, description: "room@service[/nick] (default: this room)" };

export const bookmarkCommand: CommandDef<CommandContext> = {
  name: "bookmark",
  aliases: ["bm"],
  group: GROUP,
  summary: "room bookmarks (XEP-0402, or XEP-0048 where the server lacks PEP)",
  help:
    "Bookmarks are stored on your server and shared by all your clients: in PEP (XEP-0402) or, where the server has no PEP, " +
    "in private storage (XEP-0048). Rooms bookmarked with autojoin are joined at every connection, and when another of " +
    "your clients adds such a bookmark.",
  defaultSubcommand: "list",
  subcommands: [
    {
      name: "list",
      group: GROUP,
      accountScoped: true,
      summary: "list your bookmarks",
      help: "Lists the bookmarks of the account as last fetched or notified.",
      run(ctx, call) {
        const account = accountFor(ctx, call);
        const list = bookmarksController(ctx.client).list(account.name);
        const store = bookmarksController(ctx.client).store(account.name);
        const lines = list.length ? list.map((b) => `${b.jid}${b.name ? ` "${b.name}"` : ""}${b.nick ? ` as ${b.nick}` : ""}${b.autojoin ? " (autojoin)" : ""}`) : ["no bookmarks"];
        return { type: "output", lines: [...lines, ...(store ? [`stored in ${store === "pep" ? "PEP (XEP-0402)" : "private storage (XEP-0048)"}`] : [])], data: list.map((b) => bookmarkView(account.name, b)) };
      },
    },
    {
      name: "add",
      ...roomScoped,
      summary: "bookmark a room (or change its bookmark)",
      help: "Adds or replaces the bookmark of a room; --autojoin joins it at every connection, on all your clients.",
      options: [
        { name: "name", kind: "text", description: "a name for the bookmark" },
        { name: "nick", kind: "nick", description: "the nick to join with" },
        { name: "password", kind: "secret", description: "the room's password" },
        { name: "autojoin", kind: "flag", description: "join the room at every connection" },
      ],
      args: [roomArgOptional],
      examples: [{ input: "/bookmark add --autojoin ops@conference.example.org/alice", description: "always join ops as alice" }],
      async run(ctx, call) {
        const { account, room, nick } = bookmarkRoom(ctx, call);
        const b: Bookmark = { jid: room, autojoin: call.options.autojoin === true };
        const n = typeof call.options.nick === "string" ? call.options.nick : nick;
        if (n) b.nick = n;
        if (typeof call.options.name === "string") b.name = call.options.name;
        const pw = typeof call.options.password === "string" ? call.options.password : getRoom(ctx.client.store.account(account.name), room)?.password;
        if (pw) b.password = pw;
        await bookmarksController(ctx.client).add(account, b);
        return { type: "output", lines: [`bookmarked ${room}${b.autojoin ? " (autojoin)" : ""}`], data: bookmarkView(account.name, b) };
      },
    },
    {
      name: "remove",
      ...roomScoped,
      summary: "remove a room's bookmark",
      help: "Removes the bookmark (on all your clients).",
      args: [roomArgOptional],
      async run(ctx, call) {
        const { account, room } = bookmarkRoom(ctx, call);
        await bookmarksController(ctx.client).remove(account, room);
        return { type: "output", lines: [`removed the bookmark of ${room}`], data: { account: account.name, room, removed: true } };
      },
    },
    {
      name: "join",
      group: GROUP,
      accountScoped: true,
      summary: "join a bookmarked room",
      help: "Joins the room with the bookmark's nick and password.",
      args: [{ name: "room", kind: "room", description: "the bookmarked room" }],
      async run(ctx, call) {
        const account = accountFor(ctx, call);
        const room = normalizeJid(splitRoomArg(call.args.room!).room);
        const b = bookmarksController(ctx.client).list(account.name).find((x) => x.jid === room);
        if (!b) throw new UsageError(`no bookmark for ${room} (see /bookmark list)`);
        const r = await mucController(ctx.client).join(account, room, b.nick, { password: b.password, reason: "bookmark" });
        return { type: "open", account: account.name, jid: r.jid, lines: [describeRoom(r)] };
      },
    },
  ],
};

mucCommands.push(bookmarkCommand);
