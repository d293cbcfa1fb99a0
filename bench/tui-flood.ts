/**
 * The other side of bench/tui.ts, in its own process (so that sending 10,000 messages never
 * delays the keystrokes bench/tui.ts times): logs in the flooding account and the contacts that
 * should be online, each with jabterm's own core Account, then sends the flood on request.
 *
 * Parent -> child (IPC): {cmd:"connect", accounts, host, port, caFile}, {cmd:"flood", to, count,
 * prefix, receipts}, {cmd:"churn", rate, seconds} (the online contacts but the first change show
 * and status, `rate` changes a second in all), {cmd:"stop"}. Child -> parent: {ready}, {sent, ms},
 * {churned}, {error}.
 */
import { Account } from "../src/core/xmpp/account.js";
import { xml } from "../src/core/xmpp/transport/xml.js";

interface Msg {
  cmd: "connect" | "flood" | "churn" | "stop";
  rate?: number;
  seconds?: number;
  accounts?: { jid: string; password: string; resource: string }[];
  host?: string;
  port?: number;
  caFile?: string;
  to?: string;
  count?: number;
  prefix?: string;
  receipts?: boolean;
}

const engine = { reconnectMinDelay: 1000, reconnectMaxDelay: 5000, limits: { maxStanzaSize: 1 << 20, maxDepth: 64 }, timeout: 20_000 };
const accounts: Account[] = [];
const send = (m: unknown) => process.send?.(m);

async function connect(m: Msg): Promise<void> {
  await Promise.all(
    (m.accounts ?? []).map(async (a, i) => {
      const acct = new Account({ name: `a${i}`, jid: a.jid, resource: a.resource, priority: 0, transport: "starttls", host: m.host, port: m.port, caFile: m.caFile, allowPlaintext: false, password: a.password }, engine);
      await acct.connect();
      if (!acct.online) throw new Error(`${a.jid} did not come online: ${JSON.stringify(acct.state.error)}`);
      await acct.send(xml("presence", {}, xml("status", {}, `bench contact ${i}`)));
      accounts[i] = acct; // the first one floods

    }),
  );
}

const WORDS = "flood of messages as fast as the server delivers them to the terminal".split(" ");

async function flood(m: Msg): Promise<number> {
  const acct = accounts[0]!;
  const t0 = performance.now();
  const count = m.count ?? 0;
  // Keep many writes in flight: the socket, not this loop, sets the pace.
  const inflight = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    const text = `${m.prefix}${i} ${WORDS.slice(0, 3 + (i % 9)).join(" ")}`;
    const stanza = xml("message", { to: m.to, type: "chat", id: `f${i}` }, xml("body", {}, text), m.receipts ? xml("request", { xmlns: "urn:xmpp:receipts" }) : undefined);
    const p = acct.send(stanza).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 256) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return performance.now() - t0;
}

const SHOWS = ["away", "chat", "dnd", "xa", undefined] as const;

/** Presence changes from the contacts (not the flooder), paced evenly; resolves with how many. */
async function churn(m: Msg): Promise<number> {
  const contacts = accounts.slice(1);
  const total = Math.round((m.rate ?? 0) * (m.seconds ?? 0));
  if (!contacts.length || total <= 0) return 0;
  const t0 = performance.now();
  const every = 1000 / (m.rate ?? 1);
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * every - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const show = SHOWS[i % SHOWS.length];
    await contacts[i % contacts.length]!.send(xml("presence", {}, show ? xml("show", {}, show) : undefined, xml("status", {}, `churn ${i}`)));
  }
  return total;
}

process.on("message", (raw) => {
  const m = raw as Msg;
  void (async () => {
    try {
      if (m.cmd === "connect") {
        await connect(m);
        send({ ready: accounts.length });
      } else if (m.cmd === "flood") {
        send({ sent: m.count, ms: await flood(m) });
      } else if (m.cmd === "churn") {
        send({ churned: await churn(m) });
      } else if (m.cmd === "stop") {
        await Promise.all(accounts.map((a) => a.disconnect().catch(() => undefined)));
        process.exit(0);
      }
    } catch (err) {
      send({ error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
// The parent is gone: so are we.
process.on("disconnect", () => process.exit(0));
