/** Presence commands: /status, /priority, /info (alias /resources). */
import { UsageError } from "../../errors.js";
import { bareJid, tryParseJid } from "../../jid.js";
import { priorityFor, priorityKey } from "../../store/slices/own.js";
import { selectResources } from "../../store/slices/presence.js";
import { SHOWS, type ResourcePresence, type Show } from "../../store/types.js";
import type { Account } from "../../xmpp/account.js";
import { presenceSignatureOf, type PresenceSignature } from "../../xmpp/features/pgp.js";
import { presenceController, type OwnView, type ResourceInfo } from "../../xmpp/features/presence.js";
import { accountFor, type CommandContext } from "../context.js";
import type { CommandDef, CommandResult } from "../types.js";

/** How long /info waits for each resource's version and last-activity answers. */
const INFO_TIMEOUT = 5000;


function quoted(s: string | undefined): string {
  return s === undefined || s === "" ? "" : ` "${s}"`;
}

function ownLine(v: OwnView): string {
  return `${v.account}: ${v.show}${quoted(v.status)} (priority ${v.priority}${v.auto ? ", auto-away" : ""})`;
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}

function clientText(c: ResourcePresence["client"]): string | undefined {
  if (!c) return undefined;
  return ([c.name, c.version].filter(Boolean).join(" ") + (c.os ? ` on ${c.os}` : ""));
}

function targetAccounts(ctx: CommandContext, all: boolean, named: boolean, call: Parameters<typeof accountFor>[1]): Account[] {
  if (all && named) throw new UsageError("give either -a <account> or --all, not both");
  if (!all) return [accountFor(ctx, call)];
  const online = ctx.client.engine.accounts().filter((a) => a.online);
  if (online.length === 0) throw new UsageError("no account is online");
  return online;
}

const SHOW_HELP = "online (available), chat (free for chat), away, xa (extended away), dnd (do not disturb)";

export const statusCommand: CommandDef<CommandContext> = {
  name: "status",
  group: "Presence",
  summary: "set your presence (show and status text), or send presence to one JID",
  help:
    `Sets what your contacts see: a show value (${SHOW_HELP}) and an optional status text; no text clears the status. ` +
    "The presence goes out with the priority the account has for that show (account keys priority, priority_chat, priority_away, priority_xa, priority_dnd; see /priority). " +
    "Acts on the current account, the one named with -a, or with --all on every online account. Setting a show by hand ends auto-away for that account. " +
    "With --to <jid> the presence goes to that JID only (directed presence, RFC 6121 §4.6) and your own presence does not change; there the show may also be unavailable. " +
    "Options come before the show: /status --to bob@example.org/phone dnd in a meeting. Without arguments, prints your presence on every account (or the one named with -a).",
  accountScoped: true,
  options: [
    { name: "all", kind: "flag", description: "every online account" },
    { name: "to", kind: "jid", description: "send this presence to one JID only (directed presence); your own presence stays as it is" },
  ],
  args: [
    { name: "show", kind: "enum", values: [...SHOWS, "unavailable"], optional: true, description: "what to show (unavailable: only with --to); none: print your presence" },
    { name: "text", kind: "text", rest: true, optional: true, description: "the status text (none: no status)" },
  ],
  examples: [
    { input: "/status away back at 3", description: "away with a status text, on the current account" },
    { input: "/status --all dnd", description: "do not disturb on every online account, no status text" },
    { input: "/status -a work online", description: "available again on the account work" },
    { input: "/status --to bob@example.org/laptop unavailable", description: "appear offline to one resource only" },
  ],
  async run(ctx, call): Promise<CommandResult> {
    const presence = presenceController(ctx.client);
    const all = call.options.all === true;
    const named = typeof call.options.account === "string";
    const show = call.args.show as Show | "unavailable" | undefined;
    const text = call.args.text ?? "";
    if (show === undefined) {
      if (typeof call.options.to === "string") throw new UsageError("say which presence to send: /status --to <jid> <show> [text]");
      const accounts = named ? [ctx.client.engine.get(call.options.account as string)] : ctx.client.engine.accounts().filter((a) => !all || a.online);
      const views = accounts.map((a) => presence.ownView(a.name));
      return { type: "output", lines: views.length ? views.map(ownLine) : ["no accounts"], data: views };
    }
    const to = call.options.to;
    if (typeof to === "string") {
      if (all) throw new UsageError("--to sends to one JID from one account: use -a, not --all");
      const account = accountFor(ctx, call);
      await presence.sendDirected(account, to, show, text);
      const what = show === "unavailable" ? "unavailable" : `${show}${quoted(text)}`;
      return { type: "output", lines: [`${account.name}: sent ${what} presence to ${to} only`], data: { account: account.name, to, show, status: text || undefined, directed: true } };
    }
    if (show === "unavailable") throw new UsageError("unavailable is only for --to <jid>; to go offline use /disconnect");
    const accounts = targetAccounts(ctx, all, named, call);
    const views: OwnView[] = [];
    for (const a of accounts) views.push(await presence.setOwn(a.name, show, text));
    return { type: "output", lines: views.map(ownLine), data: views };
  },
};

const PRIORITY_TARGETS = [...SHOWS, "all"] as const;

export const priorityCommand: CommandDef<CommandContext> = {
  name: "priority",
  group: "Presence",
  summary: "set the presence priority for a show (or all), or list them",
  help:
    "Each account has a priority per show: priority (online), priority_chat, priority_away, priority_xa and priority_dnd (unset ones follow priority). " +
    "A message to your bare JID goes to your resource with the highest non-negative priority (to all of them on a tie; to none when all are negative). " +
    "`/priority <n>` sets the key of the current show, `/priority <n> <show>` that show's key, `/priority <n> all` all five; nothing else changes. " +
    "The value is saved in the config file, and presence is sent again when the priority in effect changed. Without a value, lists the account's priorities.",
  accountScoped: true,
  args: [
    { name: "value", kind: "int", optional: true, description: "the priority, -128..127" },
    { name: "show", kind: "enum", values: PRIORITY_TARGETS, optional: true, description: "whose priority; all: every show (default: the current show)" },
  ],
  examples: [
    { input: "/priority 10", description: "priority 10 for the current show" },
    { input: "/priority -1 away", description: "no bare-JID messages while away on this resource" },
    { input: "/priority -a work 5 all", description: "priority 5 whatever the show, on the account work" },
  ],
  async run(ctx, call): Promise<CommandResult> {
    const presence = presenceController(ctx.client);
    const account = typeof call.options.account === "string" ? ctx.client.engine.get(call.options.account) : accountFor(ctx, call);
    const cfg = ctx.client.config.getAccount(account.name)!;
    const current = presence.ownView(account.name);
    if (call.args.value === undefined) {
      const rows = SHOWS.map((show) => {
        const key = priorityKey(show);
        return { show, key, value: priorityFor(cfg, show), set: cfg[key] !== undefined, current: show === current.show };
      });
      const lines = [`${account.name}: ${current.show}, priority ${priorityFor(cfg, current.show)} in effect`, ...rows.map((r) => `  ${r.show.padEnd(6)} ${String(r.value).padStart(4)}  ${r.key}${r.set ? "" : " (unset: follows priority)"}${r.current ? "  <- current" : ""}`)];
      return { type: "output", lines, data: { account: account.name, show: current.show, priorities: rows } };
    }
    const value = Number(call.args.value);
    if (!Number.isInteger(value) || value < -128 || value > 127) throw new UsageError(`priority must be between -128 and 127 (got ${call.args.value})`);
    const target = (call.args.show ?? current.show) as Show | "all";
    const change = await presence.setPriority(account.name, value, target);
    const note = change.after !== change.before ? (change.resent ? `; now ${change.after}, presence sent` : `; now ${change.after} (sent when online)`) : `; ${change.after} stays in effect for ${current.show}`;
    return { type: "output", lines: [`${account.name}: ${change.keys.join(", ")} = ${value}${note}`], data: change };
  },
};

function resourceData(r: ResourcePresence) {
  return { resource: r.resource, full: r.full, show: r.show, status: r.status, priority: r.priority, updated: r.updated, caps: r.caps, client: r.client, idle_since: r.idleSince };
}

function resolveContact(ctx: CommandContext, account: Account, input: string): { jid: string; resource?: string } {
  const j = tryParseJid(input);
  if (j && (j.local || j.resource || input.includes("."))) return { jid: bareJid(input), ...(j.resource ? { resource: j.resource } : {}) };
  const items = Object.values(ctx.client.store.account(account.name).roster.items);
  const byName = items.filter((i) => i.name?.toLowerCase() === input.toLowerCase() || i.nick?.toLowerCase() === input.toLowerCase());
  if (byName.length === 1) return { jid: byName[0]!.jid };
  if (byName.length > 1) throw new UsageError(`${input} names several contacts: ${byName.map((i) => i.jid).join(", ")}; give the JID`);
  if (j) return { jid: bareJid(input) };
  throw new UsageError(`no contact ${input} on ${account.name}`);
}

function infoLines(jid: string, infos: ResourceInfo[], signature: (full: string) => PresenceSignature | undefined = () => undefined): string[] {
  const best = infos.find((i) => i.best)?.resource;
  const lines = [`${jid}: ${infos.length} resource${infos.length === 1 ? "" : "s"}${best ? `, best: ${best.resource || "(none)"}` : ""}`];
  for (const i of infos) {
    const r = i.resource;
    lines.push(`${i.best ? "*" : " "} ${r.resource || "(bare JID)"}: ${r.show}, priority ${r.priority}${quoted(r.status)}${i.best ? "  [best]" : ""}`);
    const client = clientText(r.client);
    lines.push(`    client: ${client ?? "unknown"}${i.versionError ? ` (version query failed: ${i.versionError})` : ""}`);
    if (r.caps) lines.push(`    caps: ${r.caps.node} ${r.caps.ver} (${r.caps.hash})`);
    const sig = signature(r.full);
    if (sig) lines.push(`    presence signed (XEP-0027): ${sig.verified}${sig.keyId ? `, key ${sig.keyId}` : ""}${sig.note ? ` (${sig.note})` : ""}`);
    if (i.idleSeconds !== undefined) lines.push(`    idle: ${i.idleSeconds > 0 ? `${duration(i.idleSeconds)}${r.idleSince ? ` (since ${r.idleSince})` : ""}` : "active now"}`);
    else if (r.idleSince) lines.push(`    idle since ${r.idleSince}${i.lastError ? ` (last activity query failed: ${i.lastError})` : ""}`);
    else if (i.lastError) lines.push(`    idle: unknown (last activity query failed: ${i.lastError})`);
    lines.push(`    updated: ${r.updated}`);
  }
  return lines;
}

export const infoCommand: CommandDef<CommandContext> = {
  name: "info",
  aliases: ["resources"],
  group: "Presence",
  summary: "a contact's resources (show, priority, client, idle), or your own",
  help:
    "With a contact (JID or roster name): every available resource with its show, status, priority, client software (from entity capabilities, XEP-0115, " +
    "and a software version query, XEP-0092), idle time (XEP-0319 in presence, or a last activity query, XEP-0012) and when its presence arrived; " +
    "the best resource (priority, then chat > online > away > xa > dnd, then the most recent) is marked with *. A full JID shows that resource only. " +
    "Queries that fail or time out are reported, not fatal. " +
    "Without a contact (or as /resources): your own resources on the account, with their priorities, and which of them get messages sent to your bare JID.",
  accountScoped: true,
  args: [{ name: "contact", kind: "contact", optional: true, description: "the contact's JID (or roster name); none: your own resources" }],
  examples: [
    { input: "/info bob@example.org", description: "bob's resources, clients and idle times" },
    { input: "/resources -a work", description: "your own resources on work, and who gets bare-JID messages" },
  ],
  async run(ctx, call): Promise<CommandResult> {
    const presence = presenceController(ctx.client);
    const account = accountFor(ctx, call);
    const contact = call.args.contact?.trim();
    if (!contact) {
      const own = presence.ownResources(account);
      const winners = own.winners.map((r) => r.resource);
      const lines = [
        `${own.jid} on ${account.name}: ${own.resources.length} resource${own.resources.length === 1 ? "" : "s"} online; ` +
          (own.resources.length === 0 ? "none" : winners.length ? `messages to ${own.jid} go to ${winners.join(", ")}` : `messages to ${own.jid} reach none of them (all priorities negative)`),
        ...own.resources.map((r) => {
          const marks = [r.full === own.self ? "this one" : undefined, winners.includes(r.resource) ? "gets bare-JID messages" : undefined].filter(Boolean);
          const client = clientText(r.client);
          return `${winners.includes(r.resource) ? "*" : " "} ${r.resource}: ${r.show}, priority ${r.priority}${quoted(r.status)}${client ? `, ${client}` : ""}${marks.length ? `  [${marks.join(", ")}]` : ""}`;
        }),
      ];
      return { type: "output", lines, data: { account: account.name, jid: own.jid, self: own.self, winners, resources: own.resources.map(resourceData) } };
    }
    const { jid, resource } = resolveContact(ctx, account, contact);
    const everyResource = selectResources(ctx.client.store.account(account.name), jid);
    const bestResource = everyResource[0]?.resource;
    const resources = resource !== undefined ? everyResource.filter((r) => r.resource === resource) : everyResource;
    if (resources.length === 0) {
      const what = resource !== undefined ? `${jid}/${resource} is not available` : `${jid}: no available resources`;
      return { type: "output", lines: [what], data: { account: account.name, jid, resources: [] } };
    }
    const infos = (await presence.queryResources(account, resources, INFO_TIMEOUT)).map((i) => ({ ...i, best: i.resource.resource === bestResource }));
    const best = bestResource;
    return {
      type: "output",
      lines: infoLines(jid, infos, (full) => presenceSignatureOf(ctx.client, account.name, full)),
      data: {
        account: account.name,
        jid,
        best,
        resources: infos.map((i) => ({ ...resourceData(i.resource), best: i.best, idle_seconds: i.idleSeconds, version: i.version, version_error: i.versionError, last_error: i.lastError, signed: presenceSignatureOf(ctx.client, account.name, i.resource.full)?.verified })),
      },
    };
  },
};

export const presenceCommands: CommandDef<CommandContext>[] = [statusCommand, priorityCommand, infoCommand];
