/** The message history: search, older pages, export, clearing, retention, and the server archive's preferences. */
import fs from "node:fs";
import path from "node:path";

import type { StoredMessage } from "../../history/db.js";
import type { History } from "../../history/history.js";
import { MAM_DEFAULTS, type MamDefault } from "../../history/mam.js";
import { ConfigError, UsageError } from "../../errors.js";
import { bareJid, normalizeJid, tryParseJid } from "../../jid.js";
import { accountFor, conversationFor, type CommandContext } from "../context.js";
import type { CommandDef, ParsedCall } from "../types.js";

function historyOf(ctx: CommandContext): History {
  const h = ctx.client.history;
  if (!h) throw new UsageError("there is no message history (the history setting is off, or there is no data directory)");
  return h;
}

/** The accounts a history command covers: -a's, else every configured one. */
function accountsOf(ctx: CommandContext, call: ParsedCall): string[] {
  const named = call.options.account;
  if (typeof named === "string") {
    const a = ctx.client.config.getAccount(named);
    if (!a) throw new UsageError(`no account ${named}`);
    return [a.name];
  }
  return ctx.client.config.accounts().map((a) => a.name);
}

/** A contact or room: a JID, or a roster name (or nick) on one of `accounts`. */
export function resolveConversation(ctx: CommandContext, accounts: string[], input: string): string {
  const j = tryParseJid(input);
  if (j && (j.local || input.includes("."))) return bareJid(normalizeJid(input));
  const hits = new Set<string>();
  for (const account of accounts) {
    for (const item of Object.values(ctx.client.store.account(account).roster.items)) {
      if (item.name?.toLowerCase() === input.toLowerCase() || item.nick?.toLowerCase() === input.toLowerCase()) hits.add(item.jid);
    }
  }
  if (hits.size === 1) return [...hits][0]!;
  if (hits.size > 1) throw new UsageError(`${input} names several contacts: ${[...hits].join(", ")}; give the JID`);
  if (j) return bareJid(normalizeJid(input));
  throw new UsageError(`no contact or room ${input}`);
}

/** YYYY-MM-DD (a whole day) or an ISO date-time; `end`: the day after a date-only value. */
export function parseDate(value: string, end: boolean): string {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const t = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new UsageError(`not a date: ${value} (use YYYY-MM-DD or an ISO date-time)`);
  return new Date(dateOnly && end ? t + 86_400_000 : t).toISOString();
}

export interface ParsedSearch {
  text: string;
  in?: string;
  account?: string;
  from?: string;
  since?: string;
  until?: string;
}

const FILTERS = ["in", "account", "from", "since", "until"] as const;

/** Split `/search` input into the words to find and its filters (in:, account:, from:, since:, until:). */
export function parseSearch(input: string): ParsedSearch {
  const words: string[] = [];
  const out: ParsedSearch = { text: "" };
  for (const w of input.split(/\s+/).filter(Boolean)) {
    const m = /^([a-z]+):(.+)$/.exec(w);
    const key = m?.[1] as (typeof FILTERS)[number] | undefined;
    if (m && key && (FILTERS as readonly string[]).includes(key)) {
      if (out[key] !== undefined) throw new UsageError(`${key}: given twice`);
      out[key] = key === "since" || key === "until" ? parseDate(m[2]!, key === "until") : m[2]!;
    } else words.push(w);
  }
  out.text = words.join(" ");
  if (!out.text) throw new UsageError("nothing to search for");
  return out;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ");
}

export const searchCommand: CommandDef<CommandContext> = {
  name: "search",
  group: "History",
  summary: "search the message history of every account",
  help:
    "Full-text search (every word must occur; word prefixes do not match) over the local history of all accounts, newest first. " +
    "Filters: in:<contact|room> (a JID or roster name), account:<name|jid>, from:<jid> (the sender), since:<date> and until:<date> " +
    "(YYYY-MM-DD, inclusive, or an ISO date-time). Each result shows its history id: /history show <id> opens the conversation at that message.",
  args: [{ name: "query", kind: "text", rest: true, description: "words and filters" }],
  options: [{ name: "limit", kind: "int", description: "at most this many results (default 20)" }],
  examples: [
    { input: "/search invoice in:bob@example.org since:2026-01-01", description: "bob's messages about invoices this year" },
    { input: "/search lunch from:carol@example.org account:work", description: "carol on the work account" },
  ],
  run(ctx, call) {
    const h = historyOf(ctx);
    const q = parseSearch(call.args.query ?? "");
    let account: string | undefined;
    if (q.account) {
      const a = ctx.client.config.getAccount(q.account);
      if (!a) throw new UsageError(`no account ${q.account}`);
      account = a.name;
    }
    const peer = q.in ? resolveConversation(ctx, account ? [account] : ctx.client.config.accounts().map((a) => a.name), q.in) : undefined;
    const from = q.from ? bareJid(normalizeJid(q.from)) : undefined;
    const limit = typeof call.options.limit === "string" ? Number(call.options.limit) : 20;
    const hits = h.db.search({ text: q.text, account, peer, from, since: q.since, until: q.until, limit });
    const lines = hits.length === 0 ? [`no messages match ${q.text}`] : hits.map((x) => `#${x.row} ${x.time.slice(0, 16).replace("T", " ")} ${x.account} ${x.peer} <${bareJid(x.from)}> ${oneLine(x.snippet)}  (/history show ${x.row})`);
    if (hits.length) lines.unshift(`${hits.length} message${hits.length === 1 ? "" : "s"} match${hits.length === 1 ? "es" : ""} ${q.text}${hits.length === limit ? ` (first ${limit}; more with --limit)` : ""}:`);
    return { type: "output", lines, data: { query: q, results: hits } };
  },
};

function exportText(rows: StoredMessage[]): string {
  return rows
    .map((m) => {
      const when = (m.delay ?? m.time).replace("T", " ").replace(/\.\d+Z$/, "Z");
      const who = m.direction === "out" ? `${bareJid(m.from)} (me)` : m.from;
      const edited = m.corrections?.length ? " [edited]" : "";
      return `[${when}] ${who}: ${m.body}${edited}`;
    })
    .join("\n");
}

const historySubcommands: CommandDef<CommandContext>[] = [
  {
    name: "older",
    group: "History",
    summary: "load older messages of a conversation",
    help:
      "Puts older messages before the ones shown in the conversation: from the local history first, then, when that runs out " +
      "and the account is online, from the server's archive (XEP-0313).",
    accountScoped: true,
    conversationScoped: true,
    args: [{ name: "count", kind: "int", optional: true, description: "how many (default 50)" }],
    examples: [{ input: "/history older 100 --to bob@example.org", description: "100 more of the conversation with bob" }],
    async run(ctx, call) {
      const h = historyOf(ctx);
      const { account, jid } = conversationFor(ctx, call);
      const peer = bareJid(normalizeJid(jid));
      const r = await h.loadOlder(account.name, peer, call.args.count ? Number(call.args.count) : 50);
      const n = r.local + r.archive;
      const lines = [`${peer}: ${n} older message${n === 1 ? "" : "s"} (${r.local} from the local history, ${r.archive} from the archive)${r.complete ? "; that is the start of the history" : ""}`];
      return { type: "output", lines, data: r };
    },
  },
  {
    name: "show",
    group: "History",
    summary: "open a conversation at a message found by /search",
    help: "Loads the conversation of history message <id> up to that message and opens it.",
    args: [{ name: "id", kind: "int", description: "the history id (#n in /search results)" }],
    run(ctx, call) {
      const h = historyOf(ctx);
      const m = h.db.get(Number(call.args.id));
      if (!m) throw new UsageError(`no history message #${call.args.id}`);
      h.showAround(m, ctx.client.store);
      return { type: "open", account: m.account, jid: m.peer, lines: [`#${m.row} ${m.time} ${m.peer}: ${oneLine(m.body)}`] };
    },
  },
  {
    name: "export",
    group: "History",
    summary: "export a conversation as text or JSON",
    help:
      "Writes the whole stored history of a conversation (on every account, or the one given with -a), oldest first, to <file> " +
      "(created with mode 0600; an existing file is not overwritten) or, without a file, as command output. Encrypted messages are " +
      "in it only as stored: decrypted only when history_store_decrypted was on.",
    accountScoped: true,
    args: [
      { name: "conversation", kind: "contact", description: "a contact or room (JID or roster name)" },
      { name: "file", kind: "file", optional: true, description: "where to write it" },
    ],
    options: [{ name: "format", kind: "enum", values: ["text", "json"], description: "text (default) or json" }],
    examples: [
      { input: "/history export bob@example.org ~/bob.txt", description: "bob's conversation as text" },
      { input: "/history export bob@example.org --format json", description: "as JSON command output" },
    ],
    run(ctx, call) {
      const h = historyOf(ctx);
      const accounts = accountsOf(ctx, call);
      const peer = resolveConversation(ctx, accounts, call.args.conversation!);
      const rows = accounts.flatMap((a) => h.db.conversation(a, peer)).sort((x, y) => (x.delay ?? x.time).localeCompare(y.delay ?? y.time) || (x.row ?? 0) - (y.row ?? 0));
      const format = call.options.format === "json" ? "json" : "text";
      const text = format === "json" ? JSON.stringify(rows, null, 2) : exportText(rows);
      if (call.args.file) {
        const file = path.resolve(call.args.file.replace(/^~(?=$|\/)/, process.env.HOME ?? "~"));
        try {
          fs.writeFileSync(file, text + "\n", { mode: 0o600, flag: "wx" });
        } catch (err) {
          throw new ConfigError(`cannot write ${file}: ${(err as Error).message}`, { path: file });
        }
        return { type: "output", lines: [`exported ${rows.length} message${rows.length === 1 ? "" : "s"} with ${peer} to ${file} (${format})`], data: { peer, count: rows.length, file, format } };
      }
      const lines = rows.length ? (format === "json" ? [text] : text.split("\n")) : [`no stored messages with ${peer}`];
      return { type: "output", lines, data: { peer, count: rows.length, format, messages: rows } };
    },
  },
  {
    name: "clear",
    group: "History",
    summary: "delete stored history",
    help:
      "Deletes the stored messages of a conversation (on every account, or the one given with -a), or with --all every stored message " +
      "(of the -a account, or of all). Messages still on the server's archive come back only if you page back to them.",
    accountScoped: true,
    args: [{ name: "conversation", kind: "contact", optional: true, description: "a contact or room" }],
    options: [{ name: "all", kind: "flag", description: "everything (required when no conversation is given)" }],
    examples: [
      { input: "/history clear bob@example.org", description: "forget the conversation with bob" },
      { input: "/history clear --all -a work", description: "forget everything of the account work" },
    ],
    run(ctx, call) {
      const h = historyOf(ctx);
      const accounts = accountsOf(ctx, call);
      if (!call.args.conversation && call.options.all !== true) throw new UsageError("say which conversation, or --all");
      if (call.args.conversation && call.options.all === true) throw new UsageError("a conversation or --all, not both");
      const peer = call.args.conversation ? resolveConversation(ctx, accounts, call.args.conversation) : undefined;
      const all = typeof call.options.account !== "string" && !peer;
      const n = all ? h.db.clear() : accounts.reduce((sum, a) => sum + h.db.clear(a, peer), 0);
      return { type: "output", lines: [`deleted ${n} stored message${n === 1 ? "" : "s"}${peer ? ` with ${peer}` : ""}`], data: { deleted: n, peer: peer ?? null, accounts } };
    },
  },
  {
    name: "retention",
    group: "History",
    summary: "how long one conversation's history is kept",
    help:
      "Keeps the conversation's stored messages for <days> (older ones are deleted now and every day), or, with off, " +
      "as long as its account's history_retention_days (or the global setting) says. 0 keeps them forever.",
    accountScoped: true,
    args: [
      { name: "conversation", kind: "contact", description: "a contact or room" },
      { name: "days", kind: "word", description: "days to keep, 0 for ever, or off" },
    ],
    examples: [{ input: "/history retention bob@example.org 30", description: "keep a month of bob's messages" }],
    run(ctx, call) {
      const h = historyOf(ctx);
      const accounts = accountsOf(ctx, call);
      const peer = resolveConversation(ctx, accounts, call.args.conversation!);
      const raw = call.args.days!;
      if (raw !== "off" && !/^\d{1,5}$/.test(raw)) throw new UsageError(`days: a number of days or off, not ${raw}`);
      const days = raw === "off" ? undefined : Number(raw);
      for (const a of accounts) h.db.setRetention(a, peer, days);
      const deleted = h.applyRetention();
      const lines = [`${peer}: ${days === undefined ? "kept as its account's retention says" : days === 0 ? "kept forever" : `kept ${days} day${days === 1 ? "" : "s"}`}${deleted ? ` (${deleted} old message${deleted === 1 ? "" : "s"} deleted)` : ""}`];
      return { type: "output", lines, data: { peer, days: days ?? null, accounts, deleted } };
    },
  },
];

export const historyCommand: CommandDef<CommandContext> = {
  name: "history",
  group: "History",
  summary: "older messages, export, clear and retention of the local history",
  help:
    "jabterm keeps every message in a local database (<data dir>/history/history.db) before showing it, and catches up with the " +
    "server's archive (XEP-0313) on every new session. See also /search.",
  subcommands: historySubcommands,
};

export const mamCommand: CommandDef<CommandContext> = {
  name: "mam",
  group: "History",
  summary: "the server archive (XEP-0313)",
  help: "The server keeps an archive of your messages; these commands show and change what it keeps.",
  subcommands: [
    {
      name: "prefs",
      group: "History",
      summary: "show or set what the server archives",
      help:
        "Without a value: shows the archive's preferences. With always (archive every message), never (archive none) or roster " +
        "(only messages with contacts in your roster): sets the default. JIDs the server lists as always/never stay as they are.",
      accountScoped: true,
      args: [{ name: "default", kind: "enum", values: MAM_DEFAULTS, optional: true, description: "always, never or roster" }],
      examples: [
        { input: "/mam prefs", description: "what the server archives" },
        { input: "/mam prefs roster", description: "archive only conversations with contacts" },
      ],
      async run(ctx, call) {
        const account = accountFor(ctx, call);
        const archive = ctx.client.history?.archive;
        if (!archive) throw new UsageError("the server archive is not used (no history, or the mam setting is off)");
        const p = await archive.prefs(account, call.args.default ? { default: call.args.default as MamDefault } : undefined);
        const lines = [`${account.name}: archive ${p.default === "always" ? "every message" : p.default === "never" ? "no message" : "messages with roster contacts"} (default ${p.default})`];
        if (p.always.length) lines.push(`  always: ${p.always.join(", ")}`);
        if (p.never.length) lines.push(`  never: ${p.never.join(", ")}`);
        return { type: "output", lines, data: { account: account.name, ...p } };
      },
    },
  ],
};
