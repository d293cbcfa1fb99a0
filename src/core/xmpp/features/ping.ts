/**
 * XEP-0199 pings to each online account's server: they keep an idle connection alive through NATs
 * and firewalls, and their round trip is the lag the status bar shows. The first ping goes out as
 * soon as a session is ready, then one every `ping_interval` (0: none). Any answer counts,
 * an error included (a server without XEP-0199 still answers); none within the timeout leaves the
 * lag unknown. The lag is not published as an event: hosts ask `client.lag(account)` and listen
 * to the client's "lag".
 */
import { StanzaError } from "../../errors.js";
import { tryParseJid } from "../../jid.js";
import { xml } from "../transport/xml.js";
import { NS } from "../ns.js";
import type { FeatureContext } from "./types.js";

const PING_TIMEOUT_MS = 30_000;

export function installPing(ctx: FeatureContext): void {
  const timers = new Map<string, NodeJS.Timeout>();
  let disposed = false;

  const stop = (account: string) => {
    const t = timers.get(account);
    if (t) clearTimeout(t);
    timers.delete(account);
    ctx.setLag(account, undefined);
  };

  const ping = async (account: string): Promise<void> => {
    timers.delete(account);
    const acct = ctx.engine.find(account);
    if (disposed || !acct?.online) return;
    const domain = acct.state.boundJid ? tryParseJid(acct.state.boundJid)?.domain : undefined;
    const t0 = performance.now();
    let lag: number | undefined;
    try {
      await acct.request("get", xml("ping", { xmlns: NS.ping }), domain, PING_TIMEOUT_MS);
      lag = performance.now() - t0;
    } catch (err) {
      // An error reply is an answer too; a timeout or a dropped connection is not.
      lag = err instanceof StanzaError ? performance.now() - t0 : undefined;
    }
    if (disposed || !ctx.engine.find(account)?.online) return;
    ctx.setLag(account, lag === undefined ? undefined : Math.round(lag));
    schedule(account);
  };

  const schedule = (account: string) => {
    const every = ctx.settings().ping_interval;
    if (disposed || !(every > 0) || timers.has(account)) return;
    const t = setTimeout(() => void ping(account), every);
    t.unref();
    timers.set(account, t);
  };

  ctx.on("session", ({ account }) => {
    stop(account);
    if (ctx.settings().ping_interval > 0) void ping(account);
  });
  ctx.engine.on("account", (s) => {
    if (s.status !== "online") stop(s.account);
  });
  ctx.onShutdown(() => {
    disposed = true;
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  });
}
