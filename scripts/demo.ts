/**
 * `npm run demo`: a throwaway Prosody on loopback with three accounts, and jabterm in headless
 * mode with two of them (alice and bob) connected at once. Type slash commands; NDJSON comes back.
 * Everything lives in a temp dir that is removed on exit.
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
    "demo: jabterm --headless is reading your commands. Try:",
    "  /account list",
    `  /msg -a alice ${bob.jid} hello bob`,
    `  /msg -a bob ${alice.jid} hi alice`,
    "  /help",
    "  /quit",
    "",
  ].join("\n"),
);

const child = spawn(process.execPath, [path.join(root, "bin/jabterm.js"), "--headless", "--config-dir", configDir, "--data-dir", dataDir, "--log-file", path.join(server.dir, "jabterm.log")], {
  stdio: "inherit",
});
const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 1)));
await server.cleanup();
process.exit(code);
