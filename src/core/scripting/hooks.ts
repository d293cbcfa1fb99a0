/**
 * Event hooks: programs the user configured (settings hook_message_in, hook_message_out,
 * hook_highlight, hook_presence, hook_subscription) run on chosen events with the event as one
 * line of JSON on their standard input. Run with execFile (never a shell; no remote text in argv),
 * killed after hook_timeout, at most hook_concurrency at once (a bounded queue behind them).
 * Failures are published as `hook` events (the console tab shows them) and logged.
 */
import type { JabtermClient, PublishedEvent } from "../client.js";
import { splitCommandLine, type Settings } from "../config/schema.js";
import { tryParseJid } from "../jid.js";
import { jsonLine } from "../text/json-line.js";
import { failureText, runProgram } from "./proc.js";

export const HOOK_NAMES = ["message_in", "message_out", "highlight", "presence", "subscription"] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** At most this many events wait for a free slot; more are dropped (and reported once per burst). */
export const HOOK_QUEUE_LIMIT = 1000;

function listOf(s: string | undefined): string[] {
  return (s ?? "").split(/[\s,]+/).filter(Boolean);
}

const escapeRe = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether a text contains one of the words (whole words, case-insensitive). */
export function isHighlight(text: string, words: readonly string[]): boolean {
  if (!words.length || !text) return false;
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${words.map(escapeRe).join("|")})(?![\\p{L}\\p{N}_])`, "iu");
  return re.test(text);
}

function bare(jid: unknown): string | undefined {
  if (typeof jid !== "string") return undefined;
  const p = tryParseJid(jid);
  return p ? `${p.local ? `${p.local}@` : ""}${p.domain}`.toLowerCase() : undefined;
}

/** Which hooks an event triggers, by the current settings. */
export function hooksFor(e: PublishedEvent, s: Settings): HookName[] {
  const out: HookName[] = [];
  if (e.event === "message") {
    // Live messages only: a catch-up from the server archive (archived: true) is history, not news.
    if (e.direction === "in" && !e.carbon && !e.archived && (e.type === "chat" || e.type === "normal") && typeof e.body === "string" && e.body !== "") {
      out.push("message_in");
      if (isHighlight(e.body, listOf(s.highlight_words))) out.push("highlight");
    } else if (e.direction === "out" && typeof e.body === "string") {
      out.push("message_out");
    }
  } else if (e.event === "presence") {
    const contacts = listOf(s.hook_presence_contacts).map((j) => j.toLowerCase());
    const from = bare(e.from);
    if (from && (contacts.length === 0 || contacts.includes(from))) out.push("presence");
  } else if (e.event === "highlight") {
    // A room message that mentions our nick or a highlight word (the MUC feature decides).
    out.push("highlight");
  } else if (e.event === "subscription_request") {
    out.push("subscription");
  }
  const program: Record<HookName, string | undefined> = {
    message_in: s.hook_message_in,
    message_out: s.hook_message_out,
    highlight: s.hook_highlight,
    presence: s.hook_presence,
    subscription: s.hook_subscription,
  };
  return out.filter((h) => program[h] !== undefined);
}

function programOf(h: HookName, s: Settings): string | undefined {
  return (s as unknown as Record<string, string | undefined>)[`hook_${h}`];
}

export class HookRunner {
  #running = 0;
  #queue: (() => Promise<void>)[] = [];
  #dropped = 0;
  #idle: (() => void)[] = [];
  readonly #off: () => void;

  constructor(private readonly client: JabtermClient) {
    const onEvent = (e: PublishedEvent) => this.#onEvent(e);
    client.on("event", onEvent);
    this.#off = () => client.off("event", onEvent);
  }

  #onEvent(e: PublishedEvent): void {
    if (e.event === "hook") return;
    let s: Settings;
    try {
      s = this.client.settings();
    } catch {
      return; // a broken config file is reported elsewhere
    }
    for (const h of hooksFor(e, s)) {
      const program = programOf(h, s)!;
      this.#enqueue(() => this.#run(h, program, e, s.hook_timeout), s.hook_concurrency);
    }
  }

  #enqueue(job: () => Promise<void>, limit: number): void {
    if (this.#running < limit) {
      this.#start(job, limit);
      return;
    }
    if (this.#queue.length >= HOOK_QUEUE_LIMIT) {
      if (this.#dropped++ === 0) this.client.publish("hook", { ok: false, error: `more than ${HOOK_QUEUE_LIMIT} hook runs waiting: events dropped` });
      return;
    }
    this.#queue.push(job);
  }

  #start(job: () => Promise<void>, limit: number): void {
    this.#running++;
    void job().finally(() => {
      this.#running--;
      const next = this.#queue.shift();
      if (next) this.#start(next, limit);
      else if (this.#running === 0) {
        this.#dropped = 0;
        for (const r of this.#idle.splice(0)) r();
      }
    });
  }

  async #run(hook: HookName, program: string, e: PublishedEvent, timeout: number): Promise<void> {
    let argv: string[];
    try {
      argv = splitCommandLine(program);
    } catch (err) {
      this.client.publish("hook", { hook, ok: false, error: `hook_${hook}: ${(err as Error).message}` });
      return;
    }
    const { event, ...fields } = e;
    const input = `${jsonLine({ hook, event, ts: new Date().toISOString(), ...fields })}\n`;
    const r = await runProgram(argv, { input, timeout, maxBuffer: 64 * 1024 });
    const failure = failureText(r, timeout);
    if (failure) {
      const stderr = r.stderr.trim().split("\n").slice(-3).join(" / ");
      this.client.log.warn(`hook_${hook} (${argv[0]}) failed: ${failure}${stderr ? `: ${stderr}` : ""}`);
      this.client.publish("hook", { hook, program: argv[0], ok: false, error: failure, stderr: stderr || undefined });
    }
  }

  /** Resolves when no hook runs (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  stop(): void {
    this.#off();
    this.#queue = [];
  }
}
