/**
 * Contacts: the roster (/roster), presence subscriptions (/sub, /requests) and blocking (/block,
 * /unblock, /blocked). Each command acts for one account (-a or the current one), waits for the
 * server's answer where the protocol has one, and returns lines for people plus data for machines.
 */
import { UsageError } from "../../errors.js";
import { bareJid, normalizeJid, tryParseJid } from "../../jid.js";
import { displayName, rosterItems } from "../../store/slices/roster.js";
import { pendingRequests } from "../../store/slices/requests.js";
import type { RosterItem } from "../../store/types.js";
import type { Account } from "../../xmpp/account.js";
import { rosterFeature, rosterItemView } from "../../xmpp/features/roster.js";
import { accountFor, type CommandContext } from "../context.js";
import type { ArgDef, CommandDef, CommandResult, ParsedCall } from "../types.js";

const GROUP = "Contacts";


/** A bare JID (canonical) from a command argument; a resource is refused. */
function bareArg(text: string | undefined, what = "a contact"): string {
  const j = text ? tryParseJid(text) : null;
  if (!j) throw new UsageError(`not a JID: ${JSON.stringify(text ?? "")}`);
  if (j.resource !== "") throw new UsageError(`${what} is a bare JID (user@domain), without /${j.resource}`);
  return bareJid(j);
}

function item(ctx: CommandContext, account: Account, jid: string): RosterItem {
  const found = ctx.client.store.account(account.name).roster.items[jid];
  if (!found) throw new UsageError(`${jid} is not in the roster of ${account.name} (see /roster)`);
  return found;
}

/** The item as the server now has it (its push usually lands before the result), else what we asked for. */
function after(ctx: CommandContext, account: Account, jid: string, fallback: Omit<RosterItem, "subscription"> & { subscription?: RosterItem["subscription"] }) {
  const now = ctx.client.store.account(account.name).roster.items[jid];
  return rosterItemView(account.name, now ?? { subscription: "none", ...fallback });
}

function describeItem(i: RosterItem): string {
  const name = displayName(i);
  const who = name === i.jid ? i.jid : `${name} <${i.jid}>`;
  const groups = i.groups.length ? `  [${i.groups.join(", ")}]` : "";
  const flags = [i.ask ? "asked to see theirs" : "", i.approved ? "pre-approved" : ""].filter(Boolean);
  return `${who}${groups}  ${i.subscription}${flags.length ? ` (${flags.join(", ")})` : ""}`;
}

const accountScoped = { group: GROUP, accountScoped: true } as const;
const jidArg = (description: string): ArgDef => ({ name: "jid", kind: "jid", description });
const contactArg: ArgDef = { name: "jid", kind: "contact", description: "the contact's bare JID" };

function withAccount(run: (ctx: CommandContext, call: ParsedCall, account: Account) => Promise<CommandResult> | CommandResult) {
  return (ctx: CommandContext, call: ParsedCall) => run(ctx, call, accountFor(ctx, call));
}

// ---------------------------------------------------------------------------------------------
// /roster

const rosterList: CommandDef<CommandContext> = {
  name: "list",
  aliases: ["ls"],
  ...accountScoped,
  summary: "list the roster",
  help: "One line per contact: the name you gave (else the nickname they publish, else the JID), groups, and the presence subscription (both: you see each other; to: you see theirs; from: they see yours; none).",
  run: withAccount((ctx, _call, account) => {
    const slice = ctx.client.store.account(account.name).roster;
    const items = rosterItems(slice);
    const data = {
      account: account.name,
      loaded: slice.loaded,
      ver: slice.ver,
      items: items.map((i) => ({ jid: i.jid, display: displayName(i), name: i.name, nick: i.nick, groups: i.groups, subscription: i.subscription, ask: i.ask, approved: i.approved })),
    };
    if (items.length === 0) return { type: "output", lines: [`the roster of ${account.name} is empty${slice.loaded ? "" : " (not loaded yet)"}`], data };
    return { type: "output", lines: items.map(describeItem), data };
  }),
};

const rosterAdd: CommandDef<CommandContext> = {
  name: "add",
  ...accountScoped,
  summary: "add a contact (or update one)",
  help:
    "Adds the JID to the roster with an optional name (the rest of the line) and groups. Adding a contact does not ask to see their presence: " +
    "pass --subscribe, or use /sub request. For a contact already in the roster, a name given replaces theirs and the groups are added to theirs.",
  options: [
    { name: "group", short: "g", kind: "word", repeatable: true, description: "put the contact in this group (repeat for several)" },
    { name: "subscribe", short: "s", kind: "flag", description: "also ask to see their presence" },
  ],
  args: [jidArg("the contact's bare JID"), { name: "name", kind: "text", rest: true, optional: true, description: "the name to show for them" }],
  examples: [
    { input: "/roster add bob@example.org Bob Smith", description: "add Bob with a name" },
    { input: "/roster add -g Work -g Friends --subscribe carol@example.org", description: "add Carol to two groups and ask to see her presence" },
  ],
  run: withAccount(async (ctx, call, account) => {
    const jid = bareArg(call.args.jid);
    const prev = ctx.client.store.account(account.name).roster.items[jid];
    const name = call.args.name?.trim() || prev?.name;
    const given = (call.options.group as string[]).filter((g) => g !== "");
    const groups = [...new Set([...(prev?.groups ?? []), ...given])];
    const feature = rosterFeature(ctx.client);
    await feature.setItem(account, { jid, name, groups });
    const lines = [`${prev ? "updated" : "added"} ${jid}${name ? ` (${name})` : ""} in the roster of ${account.name}`];
    if (call.options.subscribe) {
      await feature.sendSubscription(account, "subscribe", jid);
      lines.push(`asked ${jid} to let you see their presence`);
    }
    return { type: "output", lines, data: after(ctx, account, jid, { jid, name, groups }) };
  }),
};

const rosterRemove: CommandDef<CommandContext> = {
  name: "remove",
  aliases: ["rm", "del"],
  ...accountScoped,
  summary: "remove a contact",
  help: "Removes the contact from the roster; the server also ends both presence subscriptions.",
  args: [contactArg],
  run: withAccount(async (ctx, call, account) => {
    const jid = bareArg(call.args.jid);
    await rosterFeature(ctx.client).removeItem(account, jid);
    return { type: "output", lines: [`removed ${jid} from the roster of ${account.name}`], data: { account: account.name, jid, removed: true } };
  }),
};

const rosterName: CommandDef<CommandContext> = {
  name: "name",
  aliases: ["rename"],
  ...accountScoped,
  summary: "name a contact (no name: remove the name)",
  help: "Sets the name shown for the contact to the rest of the line. Without a name, the name is removed (the contact's published nickname, or the JID, shows instead).",
  args: [contactArg, { name: "name", kind: "text", rest: true, optional: true, description: "the new name" }],
  examples: [{ input: "/roster name bob@example.org Bob (work)", description: "rename Bob" }],
  run: withAccount(async (ctx, call, account) => {
    const jid = bareArg(call.args.jid);
    const current = item(ctx, account, jid);
    const name = call.args.name?.trim() || undefined;
    await rosterFeature(ctx.client).setItem(account, { jid, name, groups: current.groups });
    return { type: "output", lines: [name ? `${jid} is now called ${name}` : `${jid} has no name now`], data: after(ctx, account, jid, { ...current, name }) };
  }),
};

async function setGroups(ctx: CommandContext, account: Account, current: RosterItem, groups: string[], line: string): Promise<CommandResult> {
  await rosterFeature(ctx.client).setItem(account, { jid: current.jid, name: current.name, groups });
  return { type: "output", lines: [line], data: after(ctx, account, current.jid, { ...current, groups }) };
}

function groupName(text: string | undefined): string {
  const g = (text ?? "").trim();
  if (g === "") throw new UsageError("a group name cannot be empty");
  return g;
}

const rosterGroup: CommandDef<CommandContext> = {
  name: "group",
  group: GROUP,
  summary: "put contacts in groups, take them out, move them",
  help: "Groups are labels on roster entries: a contact may be in several or none. Group names are case-sensitive.",
  subcommands: [
    {
      name: "add",
      ...accountScoped,
      summary: "add a contact to a group",
      help: "Adds the contact to the group (the rest of the line), keeping the others.",
      args: [contactArg, { name: "group", kind: "text", rest: true, description: "the group" }],
      examples: [{ input: "/roster group add bob@example.org Old friends", description: "add Bob to the group \"Old friends\"" }],
      run: withAccount((ctx, call, account) => {
        const current = item(ctx, account, bareArg(call.args.jid));
        const g = groupName(call.args.group);
        if (current.groups.includes(g)) throw new UsageError(`${current.jid} is already in ${JSON.stringify(g)}`);
        return setGroups(ctx, account, current, [...current.groups, g], `${current.jid} added to ${g}`);
      }),
    },
    {
      name: "remove",
      aliases: ["rm"],
      ...accountScoped,
      summary: "take a contact out of a group",
      help: "Removes the contact from the group (the rest of the line); the contact stays in the roster.",
      args: [contactArg, { name: "group", kind: "text", rest: true, description: "the group" }],
      run: withAccount((ctx, call, account) => {
        const current = item(ctx, account, bareArg(call.args.jid));
        const g = groupName(call.args.group);
        if (!current.groups.includes(g)) throw new UsageError(`${current.jid} is not in ${JSON.stringify(g)}`);
        return setGroups(ctx, account, current, current.groups.filter((x) => x !== g), `${current.jid} removed from ${g}`);
      }),
    },
    {
      name: "move",
      aliases: ["mv"],
      ...accountScoped,
      summary: "move a contact from one group to another",
      help: "Replaces one group of the contact by another (the rest of the line). Quote a first group that has spaces.",
      args: [contactArg, { name: "from", kind: "word", description: "the group the contact is in" }, { name: "to", kind: "text", rest: true, description: "the group to move to" }],
      examples: [{ input: '/roster group move bob@example.org "Old work" New work', description: "move Bob from \"Old work\" to \"New work\"" }],
      run: withAccount((ctx, call, account) => {
        const current = item(ctx, account, bareArg(call.args.jid));
        const from = groupName(call.args.from);
        const to = groupName(call.args.to);
        if (!current.groups.includes(from)) throw new UsageError(`${current.jid} is not in ${JSON.stringify(from)}`);
        const groups = [...new Set(current.groups.map((x) => (x === from ? to : x)))];
        return setGroups(ctx, account, current, groups, `${current.jid} moved from ${from} to ${to}`);
      }),
    },
  ],
};

export const rosterCommand: CommandDef<CommandContext> = {
  name: "roster",
  aliases: ["contacts"],
  group: GROUP,
  summary: "list, add, remove, name and group contacts",
  help: "The roster is the contact list the server keeps for the account. Changes are sent to the server and reported once it has accepted them; other devices of the account see them too.",
  defaultSubcommand: "list",
  subcommands: [rosterList, rosterAdd, rosterRemove, rosterName, rosterGroup],
};

// ---------------------------------------------------------------------------------------------
// /sub, /requests

function subCommand(
  name: string,
  summary: string,
  help: string,
  run: (ctx: CommandContext, account: Account, jid: string, call: ParsedCall) => Promise<CommandResult>,
  extra: Partial<CommandDef<CommandContext>> = {},
): CommandDef<CommandContext> {
  return {
    name,
    ...accountScoped,
    summary,
    help,
    args: [jidArg("the contact's bare JID")],
    run: withAccount((ctx, call, account) => run(ctx, account, bareArg(call.args.jid), call)),
    ...extra,
  };
}

export const subCommandDef: CommandDef<CommandContext> = {
  name: "sub",
  aliases: ["subscription"],
  group: GROUP,
  summary: "presence subscriptions: ask, allow, deny, cancel",
  help:
    "A subscription lets one side see the other's presence; each direction is asked for and granted separately. " +
    "Requests from others arrive as subscription_request events and wait in /requests until you allow or deny them.",
  subcommands: [
    subCommand(
      "request",
      "ask to see a contact's presence",
      "Sends a subscription request, with an optional message (the rest of the line). The contact's answer arrives as a subscription event (subscribed or unsubscribed) and a roster change.",
      async (ctx, account, jid, call) => {
        await rosterFeature(ctx.client).sendSubscription(account, "subscribe", jid, call.args.text?.trim() || undefined);
        return { type: "output", lines: [`asked ${jid} to let ${account.name} see their presence`], data: { account: account.name, jid, sent: "subscribe" } };
      },
      {
        aliases: ["ask"],
        args: [jidArg("the contact's bare JID"), { name: "text", kind: "text", rest: true, optional: true, description: "a message to go with the request" }],
        examples: [{ input: "/sub request bob@example.org Hi Bob, it's Alice", description: "ask Bob, with a message" }],
      },
    ),
    subCommand(
      "allow",
      "let a contact see your presence (answer their request)",
      "Approves the contact's pending request. Without a pending request it pre-approves the contact (RFC 6121 §3.4), so a request from them later is approved at once.",
      async (ctx, account, jid) => {
        const { answered } = await rosterFeature(ctx.client).sendSubscription(account, "subscribed", jid);
        const line = answered ? `${jid} may now see the presence of ${account.name}` : `no pending request from ${jid}: pre-approved their request instead`;
        return { type: "output", lines: [line], data: { account: account.name, jid, sent: "subscribed", answered } };
      },
      { aliases: ["approve", "accept"] },
    ),
    subCommand(
      "deny",
      "refuse a contact's request",
      "Refuses the contact's pending request to see your presence.",
      async (ctx, account, jid) => {
        const { answered } = await rosterFeature(ctx.client).sendSubscription(account, "unsubscribed", jid);
        return { type: "output", lines: [answered ? `refused the request of ${jid}` : `no pending request from ${jid}; sent a refusal anyway`], data: { account: account.name, jid, sent: "unsubscribed", answered } };
      },
      { aliases: ["refuse", "reject"] },
    ),
    subCommand(
      "cancel",
      "stop a contact from seeing your presence",
      "Revokes the contact's subscription to your presence (or withdraws a pre-approval). They can ask again.",
      async (ctx, account, jid) => {
        await rosterFeature(ctx.client).sendSubscription(account, "unsubscribed", jid);
        return { type: "output", lines: [`${jid} no longer sees the presence of ${account.name}`], data: { account: account.name, jid, sent: "unsubscribed" } };
      },
      { aliases: ["revoke"] },
    ),
    subCommand(
      "unsubscribe",
      "stop seeing a contact's presence",
      "Ends your subscription to the contact's presence (or withdraws your pending request).",
      async (ctx, account, jid) => {
        await rosterFeature(ctx.client).sendSubscription(account, "unsubscribe", jid);
        return { type: "output", lines: [`${account.name} no longer sees the presence of ${jid}`], data: { account: account.name, jid, sent: "unsubscribe" } };
      },
    ),
    subCommand(
      "preapprove",
      "approve a contact's request before they send it",
      "Pre-approves a subscription request from the contact (RFC 6121 §3.4): when they ask, the server approves at once, without asking you.",
      async (ctx, account, jid) => {
        const { answered } = await rosterFeature(ctx.client).sendSubscription(account, "subscribed", jid);
        const line = answered ? `${jid} had a pending request: allowed it` : `pre-approved ${jid}`;
        return { type: "output", lines: [line], data: { account: account.name, jid, sent: "subscribed", answered } };
      },
    ),
  ],
};

export const requestsCommand: CommandDef<CommandContext> = {
  name: "requests",
  ...accountScoped,
  summary: "list pending subscription requests",
  help: "Who asked to see your presence and waits for an answer: /sub allow or /sub deny them.",
  run: withAccount((ctx, _call, account) => {
    const list = pendingRequests(ctx.client.store.account(account.name).requests);
    const data = { account: account.name, requests: list.map((r) => ({ jid: r.jid, nick: r.nick, status: r.status, received: r.received })) };
    if (list.length === 0) return { type: "output", lines: [`no pending subscription requests for ${account.name}`], data };
    const lines = list.map((r) => `${r.jid}${r.nick ? ` (${r.nick})` : ""}${r.status ? `: ${r.status}` : ""}`);
    return { type: "output", lines, data };
  }),
};

// ---------------------------------------------------------------------------------------------
// /block, /unblock, /blocked

function anyJid(text: string | undefined): string {
  if (!text || !tryParseJid(text)) throw new UsageError(`not a JID: ${JSON.stringify(text ?? "")}`);
  return normalizeJid(text);
}

export const blockCommand: CommandDef<CommandContext> = {
  name: "block",
  ...accountScoped,
  summary: "block a JID (server-side)",
  help:
    "Asks the server to block the JID (XEP-0191): nothing from it reaches any device of the account, and it stops seeing your presence. " +
    "A bare JID blocks all its resources; a domain blocks everyone there.",
  args: [{ name: "jid", kind: "jid", description: "the JID (user@domain, user@domain/resource, or a domain)" }],
  examples: [{ input: "/block spammer@example.net", description: "block one user" }],
  run: withAccount(async (ctx, call, account) => {
    const jid = anyJid(call.args.jid);
    await rosterFeature(ctx.client).block(account, [jid]);
    return { type: "output", lines: [`blocked ${jid} on ${account.name}`], data: { account: account.name, blocked: ctx.client.store.account(account.name).blocked } };
  }),
};

export const unblockCommand: CommandDef<CommandContext> = {
  name: "unblock",
  ...accountScoped,
  summary: "unblock a JID, or everyone with --all",
  help: "Removes the JID from the server's block list. With --all (and no JID) the whole list is cleared.",
  options: [{ name: "all", kind: "flag", description: "unblock every blocked JID" }],
  args: [{ name: "jid", kind: "jid", optional: true, description: "the blocked JID" }],
  run: withAccount(async (ctx, call, account) => {
    const all = call.options.all === true;
    if (all === (call.args.jid !== undefined)) throw new UsageError("give either a JID or --all");
    const jids = all ? [] : [anyJid(call.args.jid)];
    await rosterFeature(ctx.client).unblock(account, jids);
    return { type: "output", lines: [all ? `unblocked everyone on ${account.name}` : `unblocked ${jids[0]} on ${account.name}`], data: { account: account.name, blocked: ctx.client.store.account(account.name).blocked } };
  }),
};

export const blockedCommand: CommandDef<CommandContext> = {
  name: "blocked",
  ...accountScoped,
  summary: "list blocked JIDs",
  help: "The server's block list for the account (fetched when the account connects, kept up to date).",
  run: withAccount((ctx, _call, account) => {
    const blocked = ctx.client.store.account(account.name).blocked;
    const data = { account: account.name, blocked };
    return { type: "output", lines: blocked.length ? blocked : [`nobody is blocked on ${account.name}`], data };
  }),
};

export const rosterCommands: CommandDef<CommandContext>[] = [rosterCommand, subCommandDef, requestsCommand, blockCommand, unblockCommand, blockedCommand];
