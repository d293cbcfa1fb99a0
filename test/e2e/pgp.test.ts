/**
 * OpenPGP in the real full-screen interface (tmux), typed at as a person would: a key made with
 * /pgp generate, encryption switched on in a conversation (🔒 in the tab, pgp:on in the status
 * line), an OX conversation with another jabterm account (the core in-process) whose replies are
 * marked [OX?] until its fingerprint is confirmed and [OX✓] after, and a message that cannot be
 * encrypted refused with the text left in the input line.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { ConfigStore } from "../../src/core/config/config.js";
import { resolvePaths } from "../../src/core/config/paths.js";
import { serverKeys, tempClient } from "../helpers/engine.js";
import { BIN, tempDirs } from "../helpers/headless.js";
import { prosodyAvailable, startProsody, type ProsodyServer } from "../helpers/prosody.js";
import { startTerminal, tmuxAvailable, type Terminal } from "../helpers/tmux.js";

const run = prosodyAvailable() && tmuxAvailable() ? describe : describe.skip;

run("OpenPGP in the interface (tmux)", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  test("generate, encrypt a conversation, marks per message, refused text stays typed", async () => {
    const [me, b, c] = await Promise.all([server.createAccount(), server.createAccount(), server.createAccount()]);
    const dirs = tempDirs("jabterm-tui-pgp-");
    const cfg = ConfigStore.open(resolvePaths({ configDir: dirs.configDir, dataDir: dirs.dataDir, env: {} }));
    cfg.addAccount(me.jid, { name: "work" });
    for (const [k, v] of Object.entries({ host: "127.0.0.1", port: String(server.c2sPort), ca_file: server.caFile, password: me.password, pgp_passphrase_command: "echo work-pass" })) cfg.setAccountKey("work", k, v);
    const bob = tempClient([{ jid: b.jid, name: "bob", set: { ...serverKeys(server, b.password), pgp_passphrase_command: "echo bob-pass" } }]);
    let term: Terminal | undefined;
    try {
      await bob.connectAll();
      expect((await bob.command("/pgp generate -a bob")).ok).toBe(true);
      const bobFp = ((await bob.command("/pgp keys")).data as { own: { fingerprint: string } }).own.fingerprint;

      const cmd = ["node", BIN, "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "--log-file", dirs.logFile].map((x) => `'${x}'`).join(" ");
      term = await startTerminal(["sh", "-c", `${cmd}; echo "JABTERM_EXIT=$?"`], { columns: 120, rows: 30, env: { CI: "false" } });
      await term.waitFor(/work: online as/);
      await term.type("/pgp generate");
      await term.keys("Enter");
      await term.waitFor(/work: new key ([0-9A-F]{4} ){9}[0-9A-F]{4}/);

      await term.type(`/chat ${b.jid}`);
      await term.keys("Enter");
      await term.waitFor(`work›${b.jid}`);
      await term.type("/pgp on");
      await term.keys("Enter");
      await term.waitFor((s) => s.includes("pgp:on") && s.includes(`${b.jid}🔒`));
      await term.type("for your eyes only");
      await term.keys("Enter");
      await term.waitFor(/\[OX\] me: for your eyes only/);
      const got = await bob.waitEvent((e) => e.event === "message" && e.direction === "in" && e.body === "for your eyes only");
      expect(got).toMatchObject({ encryption: "ox", verified: "unverified" });

      // bob answers encrypted: unverified until we confirm his fingerprint.
      expect((await bob.command(`/pgp on ${me.jid}`)).ok).toBe(true);
      expect((await bob.command(`/msg ${me.jid} understood`)).ok).toBe(true);
      await term.waitFor(new RegExp(`\\[OX\\?\\] ${b.jid}: understood`));
      await term.type(`/pgp trust ${b.jid} ${bobFp}`);
      await term.keys("Enter");
      await term.waitFor(/confirmed/);
      expect((await bob.command(`/msg ${me.jid} verified now`)).ok).toBe(true);
      await term.waitFor(new RegExp(`\\[OX✓\\] ${b.jid}: verified now`));

      // carol has no key: the message is refused, the text stays in the input line.
      await term.type(`/chat ${c.jid}`);
      await term.keys("Enter");
      await term.waitFor(`work›${c.jid}`);
      await term.type("/pgp on");
      await term.keys("Enter");
      await term.waitFor(/pgp:on/);
      await term.type("do not leak this");
      await term.keys("Enter");
      const screen = await term.waitFor(/not sent: encryption is on/);
      expect(screen.split("\n").some((l) => /^› do not leak this/.test(l.trim()) || l.includes("› do not leak this"))).toBe(true);

      await term.keys("C-c");
      await term.keys("C-c");
      await term.keys("C-c");
      expect(await term.waitFor(/JABTERM_EXIT=\d+/)).toContain("JABTERM_EXIT=0");
    } finally {
      await term?.kill();
      await bob.close();
    }
  }, 90_000);
});
