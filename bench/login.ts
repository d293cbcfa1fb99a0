/**
 * Login time against a local Prosody with its default 10,000 SCRAM iterations (and 1,024 for
 * comparison), for each transport: connect + STARTTLS/TLS + SCRAM + bind. Prints figures.
 *   npm run bench:login
 */
import { ScramClient } from "../src/core/xmpp/sasl/scram.js";
import { Account, type AccountSettings } from "../src/core/xmpp/account.js";
import { startProsody } from "../test/helpers/prosody.js";

const RUNS = Number(process.env.RUNS ?? 15);
const engine = { reconnectMinDelay: 1000, reconnectMaxDelay: 1000, limits: { maxStanzaSize: 1 << 20, maxDepth: 64 }, timeout: 10_000 };

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
  return `median ${pct(50).toFixed(1)} ms, p90 ${pct(90).toFixed(1)} ms, min ${s[0]!.toFixed(1)} ms (n=${s.length})`;
}

for (const iterations of [10_000, 1024]) {
  const server = await startProsody({ iterationCount: iterations });
  const u = await server.createAccount();
  const variants: [string, Partial<AccountSettings>][] = [
    ["starttls", { transport: "starttls", host: "127.0.0.1", port: server.c2sPort }],
    ["direct tls", { transport: "tls", host: "127.0.0.1", port: server.directTlsPort }],
    ["websocket", { transport: "websocket", url: `wss://localhost:${server.httpsPort}/xmpp-websocket` }],
  ];
  for (const [label, extra] of variants) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const acct = new Account({ name: "b", jid: u.jid, resource: `bench${i}`, priority: 0, transport: "starttls", caFile: server.caFile, allowPlaintext: false, password: u.password, ...extra }, engine);
      const t0 = performance.now();
      await acct.connect();
      times.push(performance.now() - t0);
      if (!acct.online) throw new Error(`login failed: ${JSON.stringify(acct.state.error)}`);
      await acct.disconnect();
    }
    console.log(`login, ${iterations} SCRAM iterations, ${label}: ${stats(times)}`);
  }
  await server.cleanup();
}

// The SCRAM computation alone (client side), for the record.
for (const hash of ["SHA-1", "SHA-256"] as const) {
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const c = new ScramClient({ hash, username: "user", password: "pencil", nonce: "abcdefghijklmnop" });
    c.clientFirst();
    const t0 = performance.now();
    c.clientFinal("r=abcdefghijklmnopSERVER,s=QSXCR+Q6sek8bf92,i=10000");
    times.push(performance.now() - t0);
  }
  console.log(`SCRAM-${hash} client proof at 10,000 iterations: ${stats(times)}`);
}
process.exit(0);
