/**
 * `npm run demo`: a throwaway Prosody on loopback with three accounts, and jabterm with two of them
 * (alice and bob) connected at once: the full-screen interface in a terminal, headless mode (slash
 * commands in, NDJSON out) when stdin is not one. Everything lives in a temp dir removed on exit.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { ConfigStore } from "../src/core/config/config.js";
import { resolvePaths } from "../src/core/config/paths.js";
import { prosodyAvailable, startProsody } from "../test/helpers/prosody.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

if (!prosodyAvailable()) {
  process.stderr.write("demo: prosody is not installed; run: sudo bash scripts/install-deps.sh\n");
  process.exit(1);
}
if (!fs.existsSync(path.join(root, "dist/cli/main.js"))) {
  process.stderr.write("demo: build first: npm run build\n");
  process.exit(1);
}

const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
const server = await startProsody();
const [alice, bob, carol] = await Promise.all([server.createAccount("alice", "alice-pass"), server.createAccount("bob", "bob-pass"), server.createAccount("carol", "carol-pass")]);
const configDir = path.join(server.dir, "jabterm-config");
const dataDir = path.join(server.dir, "jabterm-data");
const config = ConfigStore.open(resolvePaths({ configDir, dataDir, env: {} }));
for (const [name, acct] of [["alice", alice], ["bob", bob]] as const) {
  config.addAccount(acct.jid, { name });
  for (const [k, v] of Object.entries({ host: "127.0.0.1", port: String(server.c2sPort), ca_file: server.caFile, password: acct.password })) config.setAccountKey(name, k, v);
}

process.stderr.write(
  [
    `demo: Prosody on 127.0.0.1:${server.c2sPort} (domain ${server.domain}); accounts alice, bob (connected) and carol (${carol.jid}, password ${carol.password}, for another client)`,
    interactive ? "demo: starting the interface. Try:" : "demo: jabterm --headless is reading your commands. Try:",
    interactive ? `  /chat -a alice ${bob.jid}   then type a message and Enter; Alt-1..9 switch tabs` : "  /account list",
    `  /msg -a bob ${alice.jid} hi alice`,
    "  /help",
    "  /quit",
    "",
  ].join("\n"),
);
if (interactive) await new Promise((r) => setTimeout(r, 1500)); // let the reader see the hints

const child = spawn(process.execPath, [path.join(root, "bin/jabterm.js"), ...(interactive ? [] : ["--headless"]), "--config-dir", configDir, "--data-dir", dataDir, "--log-file", path.join(server.dir, "jabterm.log")], {
  stdio: "inherit",
});
const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 1)));
await server.cleanup();
process.exit(code);
