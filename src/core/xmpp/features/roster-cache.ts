/**
 * The on-disk roster cache that makes roster versioning (RFC 6121 §2.6) pay off:
 * `<dataDir>/roster/<account name>.json` (file 0600, directory 0700) holds the account's bare JID,
 * the roster version and the items. A cache for another JID, or one that does not parse, is
 * ignored (and the roster fetched in full). Writes are atomic (temporary file + rename) and
 * coalesced: several changes in a burst give one write of the latest state.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";

import type { Logger } from "../../logger.js";
import type { RosterItem, Subscription } from "../../store/types.js";
import { canonicalJid } from "./roster-stanzas.js";

export const ROSTER_CACHE_VERSION = 1;

export interface CachedRoster {
  ver?: string;
  items: RosterItem[];
}

interface CacheFile {
  v: number;
  jid: string;
  ver?: string;
  items: RosterItem[];
}

/** The file for an account; the name is percent-encoded so it is always one plain file name. */
export function rosterCachePath(dataDir: string, account: string): string {
  return path.join(dataDir, "roster", `${encodeURIComponent(account)}.json`);
}

const SUBS = new Set<string>(["none", "to", "from", "both"]);

function validItem(x: unknown): RosterItem | undefined {
  if (!x || typeof x !== "object") return undefined;
  const o = x as Record<string, unknown>;
  const jid = typeof o.jid === "string" ? canonicalJid(o.jid) : undefined;
  if (!jid || typeof o.subscription !== "string" || !SUBS.has(o.subscription)) return undefined;
  if (!Array.isArray(o.groups) || !o.groups.every((g) => typeof g === "string")) return undefined;
  const item: RosterItem = { jid, subscription: o.subscription as Subscription, groups: [...(o.groups as string[])] };
  if (typeof o.name === "string") item.name = o.name;
  if (o.ask === "subscribe") item.ask = "subscribe";
  if (o.approved === true) item.approved = true;
  if (typeof o.nick === "string") item.nick = o.nick;
  return item;
}

/** Read the cache of `account` if it belongs to `jid` (canonical bare JID) and is well formed. */
export function loadRosterCache(dataDir: string, account: string, jid: string, log?: Logger): CachedRoster | undefined {
  const file = rosterCachePath(dataDir, account);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") log?.warn(`roster cache ${file}: ${(err as Error).message}`);
    return undefined;
  }
  try {
    const data = JSON.parse(text) as Partial<CacheFile>;
    if (data.v !== ROSTER_CACHE_VERSION || data.jid !== jid || !Array.isArray(data.items)) {
      log?.debug(`roster cache ${file} is for another account or format; ignored`);
      return undefined;
    }
    const items: RosterItem[] = [];
    for (const raw of data.items) {
      const item = validItem(raw);
      if (!item) {
        log?.warn(`roster cache ${file} holds a malformed item; ignored the whole cache`);
        return undefined;
      }
      items.push(item);
    }
    const out: CachedRoster = { items };
    if (typeof data.ver === "string") out.ver = data.ver;
    return out;
  } catch (err) {
    log?.warn(`roster cache ${file} is unreadable (${(err as Error).message}); ignored`);
    return undefined;
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, text, { mode: 0o600 });
  await fsp.chmod(tmp, 0o600);
  await fsp.rename(tmp, file);
}

/** Coalescing writer: `schedule` remembers how to take a snapshot; one write per burst. */
export class RosterCacheWriter {
  readonly #dataDir: string;
  readonly #log: Logger | undefined;
  readonly #pending = new Map<string, { jid: string; snapshot: () => CachedRoster }>();
  readonly #running = new Map<string, Promise<void>>();

  constructor(dataDir: string, log?: Logger) {
    this.#dataDir = dataDir;
    this.#log = log;
  }

  schedule(account: string, jid: string, snapshot: () => CachedRoster): void {
    this.#pending.set(account, { jid, snapshot });
    if (!this.#running.has(account)) this.#start(account);
  }

  #start(account: string): void {
    const run = (async () => {
      // Let the rest of the burst (the other pushes of this tick) land in the store first.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.#pending.has(account)) {
        const { jid, snapshot } = this.#pending.get(account)!;
        this.#pending.delete(account);
        const { ver, items } = snapshot();
        const body: CacheFile = { v: ROSTER_CACHE_VERSION, jid, ver, items };
        const file = rosterCachePath(this.#dataDir, account);
        try {
          await writeAtomic(file, JSON.stringify(body));
        } catch (err) {
          this.#log?.warn(`could not write the roster cache ${file}: ${(err as Error).message}`);
        }
      }
    })().finally(() => {
      this.#running.delete(account);
      // A change scheduled between the loop's last check and now.
      if (this.#pending.has(account)) this.#start(account);
    });
    this.#running.set(account, run);
  }

  /** Wait until every scheduled write is on disk. */
  async flush(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
  }
}
