/**
 * The interface under the room benchmark (bench/muc.ts), inside a pseudo-terminal: the client is
 * built as src/cli/main.ts builds it, then a room with `occupants` occupants is joined by feeding
 * the room's stanzas (our self-presence, every occupant's presence) to the engine's "stanza"
 * event, the very path a socket read takes after parsing; the room's tab is opened. On "flood
 * <rate> <seconds>" from the control socket it feeds that many groupchat messages per second
 * (varied nicks and lengths, one in 40 mentioning us) for that long. No server: what is measured
 * is jabterm's MUC feature, store and interface, not the network or XML parsing.
 *
 * Control socket: "stats" (CPU, event-loop delay, messages fed/stored), "reset", "flood R S".
 * bench/muc.ts transpiles this file alone and runs it with plain node against dist/.
 */
import net from "node:net";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

interface MucAppConfig {
  dist: string;
  configDir: string;
  dataDir: string;
  logFile: string;
  control: string;
  room: string;
  occupants: number;
}

const cfg = JSON.parse(process.env.JABTERM_BENCH ?? "null") as MucAppConfig | null;
if (!cfg) {
  process.stderr.write("muc-app: run me through npm run bench:muc\n");
  process.exit(2);
}
const load = <T>(rel: string): Promise<T> => import(pathToFileURL(path.join(cfg.dist, rel)).href) as Promise<T>;
// As bin/jabterm.js does: React's production build, and the garbage collector's settings.
process.env.NODE_ENV ??= "production";
(await load<typeof import("../src/cli/runtime.js")>("cli/runtime.js")).tuneRuntime();
const [{ runInteractive }, { createClient }, { ConfigStore }, { resolvePaths, ensurePrivateDir }, { createLogger }, { xml }] = await Promise.all([
  load<typeof import("../src/cli/interactive.js")>("cli/interactive.js"),
  load<typeof import("../src/core/client.js")>("core/client.js"),
  load<typeof import("../src/core/config/config.js")>("core/config/config.js"),
  load<typeof import("../src/core/config/paths.js")>("core/config/paths.js"),
  load<typeof import("../src/core/logger.js")>("core/logger.js"),
  load<typeof import("../src/core/xmpp/transport/xml.js")>("core/xmpp/transport/xml.js"),
]);

const paths = resolvePaths({ configDir: cfg.configDir, dataDir: cfg.dataDir });
const config = ConfigStore.open(paths);
ensurePrivateDir(paths.dataDir);
const logger = createLogger({ file: cfg.logFile, level: "info" });
const client = createClient({ config, logger, dataDir: paths.dataDir, storeNotify: "frame" });
const ACCOUNT = "me";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const feed = (stanza: ReturnType<typeof xml>) => client.engine.emit("stanza", { account: ACCOUNT, stanza });
const nickOf = (i: number) => `${["ann", "bob", "cy", "dee", "eli", "fay", "gus", "hal"][i % 8]}${i}`;
const presence = (nick: string, self = false) =>
  xml("presence", { from: `${cfg.room}/${nick}`, to: "me@bench.example/jabterm" }, xml("x", { xmlns: MUC_USER }, xml("item", { affiliation: self ? "owner" : "none", role: self ? "moderator" : "participant" }), self ? xml("status", { code: "110" }) : undefined));

// Join: the room answers with every occupant's presence, then ours.
client.store.dispatch({ type: "rooms/joining", account: ACCOUNT, room: cfg.room, nick: "me" });
for (let i = 0; i < cfg.occupants - 1; i++) feed(presence(nickOf(i)));
feed(presence("me", true));

const WORDS = "the quick brown fox jumps over a lazy dog while seven wizards box jackdaws near quiet hills and rivers".split(" ");
let fed = 0;
let stored = 0;
client.on("event", (e) => {
  if (e.event === "message" && e.type === "groupchat") stored++;
});
let floodTimer: NodeJS.Timeout | undefined;
const flood = (rate: number, seconds: number) => {
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  // Every 20 ms, as many as the rate says should have been fed by now (no drift).
  floodTimer = setInterval(() => {
    const now = performance.now();
    const due = Math.floor(((Math.min(now, end) - start) / 1000) * rate);
    while (fed < due) {
      const i = fed++;
      const n = 3 + ((i * 7919) % 25);
      const words: string[] = [];
      for (let k = 0; k < n; k++) words.push(WORDS[(i + k * 13) % WORDS.length]!);
      const body = `${i % 40 === 0 ? "me: " : ""}msg ${i} ${words.join(" ")}`;
      feed(xml("message", { from: `${cfg.room}/${nickOf((i * 31) % (cfg.occupants - 1))}`, to: "me@bench.example/jabterm", type: "groupchat", id: `g${i}` }, xml("body", {}, body)));
    }
    if (now >= end) clearInterval(floodTimer);
  }, 20);
};

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const ms = (x: number) => Math.round(x / 1e4) / 100;
const stats = () => ({
  cpu: process.cpuUsage(),
  rss: process.memoryUsage.rss(),
  loopDelay: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
  fed,
  stored,
  occupants: Object.keys(client.store.getState().accounts[ACCOUNT]?.rooms[cfg.room]?.occupants ?? {}).length,
  messages: client.store.getState().accounts[ACCOUNT]?.conversations[cfg.room]?.messages.length ?? 0,
});
const control = net.createServer((socket) => {
  let buf = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => {
    buf += d;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const [cmd, a, b] = buf.slice(0, nl).trim().split(" ");
      buf = buf.slice(nl + 1);
      if (cmd === "reset") loop.reset();
      if (cmd === "flood") flood(Number(a), Number(b));
      socket.write(`${JSON.stringify(stats())}\n`);
    }
  });
  socket.on("error", () => undefined);
});
control.listen(cfg.control);
control.unref();

const code = await runInteractive({ client, version: "bench", exec: [`/chat -a ${ACCOUNT} ${cfg.room}`], dataDir: paths.dataDir });
logger.close();
control.close();
process.exit(code);
