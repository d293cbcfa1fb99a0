/**
 * Where to connect (RFC 6120 §3.2, XEP-0368): an explicit host/port or URL wins; otherwise SRV
 * records for the domain (re-resolved on every attempt, so a reconnect follows DNS changes), and
 * the domain itself on the default port when there are none.
 */
import { promises as dns } from "node:dns";

import type { Endpoint } from "./connection.js";

export interface EndpointSpec {
  domain: string;
  transport: "starttls" | "tls" | "websocket";
  host?: string;
  port?: number;
  url?: string;
}

type SrvLookup = (name: string) => Promise<{ name: string; port: number; priority: number; weight: number }[]>;

/** RFC 2782 order: priority ascending, then weighted random within a priority. */
export function orderSrv<T extends { priority: number; weight: number }>(records: T[], random = Math.random): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const out: T[] = [];
  for (const prio of [...byPriority.keys()].sort((a, b) => a - b)) {
    const group = [...byPriority.get(prio)!];
    while (group.length) {
      // RFC 2782: zero-weight records first, then a running sum; pick the first whose sum reaches
      // a random number in [0, total].
      group.sort((a, b) => a.weight - b.weight);
      const total = group.reduce((s, r) => s + r.weight, 0);
      const pick = random() * total;
      let i = 0;
      for (let sum = 0; i < group.length - 1; i++) {
        sum += group[i]!.weight;
        if (sum >= pick) break;
      }
      out.push(group.splice(i, 1)[0]!);
    }
  }
  return out;
}

async function srv(lookup: SrvLookup, name: string, timeout: number) {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      lookup(name),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), timeout);
      }),
    ]);
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
}

export async function resolveEndpoints(spec: EndpointSpec, lookup: SrvLookup = (n) => dns.resolveSrv(n), timeout = 3000): Promise<Endpoint[]> {
  if (spec.transport === "websocket") {
    const url = spec.url ?? `wss://${spec.host ?? spec.domain}${spec.port ? `:${spec.port}` : ""}/xmpp-websocket`;
    return [{ kind: "websocket", url }];
  }
  const kind = spec.transport === "tls" ? "tls" : "tcp";
  const defaultPort = kind === "tls" ? 5223 : 5222;
  if (spec.host) return [{ kind, host: spec.host, port: spec.port ?? defaultPort }];
  const service = kind === "tls" ? "_xmpps-client._tcp" : "_xmpp-client._tcp";
  const records = await srv(lookup, `${service}.${spec.domain}`, timeout);
  // A single "." target means the service is decidedly not available (RFC 2782).
  if (records.length === 1 && (records[0]!.name === "." || records[0]!.name === "")) return [];
  // A port without a host applies to the domain itself, not to what SRV published.
  const ordered = orderSrv(records).map((r) => ({ kind, host: r.name, port: r.port }) as Endpoint);
  return ordered.length ? ordered : [{ kind, host: spec.domain, port: spec.port ?? defaultPort }];
}
