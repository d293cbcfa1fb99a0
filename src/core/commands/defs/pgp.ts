/**
 * /pgp: OpenPGP keys, contacts' fingerprints and trust, and the per-conversation encryption
 * policy (OX, XEP-0373/0374, when the contact publishes a key; else XEP-0027).
 */
import fs from "node:fs";
import path from "node:path";

import type { EncryptionPolicy } from "../../crypto/encryption.js";
import { formatFingerprint, normalizeFingerprint } from "../../crypto/openpgp/service.js";
import { UsageError } from "../../errors.js";
import { bareJid, tryParseJid } from "../../jid.js";
import type { Account } from "../../xmpp/account.js";
import { passphraseFromCommand, pgpOf, presenceSignatureOf, publishOwnKey } from "../../xmpp/features/pgp.js";
import { accountFor, type CommandContext } from "../context.js";
import type { CommandDef, CommandResult, ParsedCall } from "../types.js";

const GROUP = "Encryption";

function contactArg(text: string | undefined): string {
  const j = text ? tryParseJid(text) : null;
  if (!j || !j.local) throw new UsageError(`not a contact JID: ${JSON.stringify(text ?? "")}`);
  return bareJid(j);
}

/** The contact named, else the current conversation's (the TUI's tab, or --to). */
function contactOrHere(ctx: CommandContext, call: ParsedCall): { account: Account; peer: string } {
  if (call.args.contact) return { account: accountFor(ctx, call), peer: contactArg(call.args.contact) };
  const here = ctx.currentConversation();
  if (here && typeof call.options.account !== "string") return { account: ctx.client.engine.get(here.account), peer: contactArg(here.jid) };
  if (here) return { account: accountFor(ctx, call), peer: contactArg(here.jid) };
  throw new UsageError(ctx.host === "tui" ? "name a contact, or run it in a conversation tab" : "name the contact");
}

/** The passphrase: the account's pgp_passphrase_command, else the one typed. */
async function passphrase(ctx: CommandContext, account: Account, typed: string | undefined): Promise<string> {
  if (typed) {
    ctx.client.log.addSecret(typed);
    return typed;
  }
  const p = await passphraseFromCommand(ctx.client, account.name);
  if (p === undefined) throw new UsageError(`give a passphrase (or set pgp_passphrase_command for ${account.name})`);
  ctx.client.log.addSecret(p);
  return p;
}

function readKeyFile(file: string): string {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.size > 1024 * 1024) throw new UsageError(`${file}: larger than 1 MiB, not a key file`);
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text;
}

const accountOpt = { group: GROUP, accountScoped: true } as const;

const keys: CommandDef<CommandContext> = {
  name: "keys",
  ...accountOpt,
  summary: "your key and your contacts' keys",
  help:
    "Shows the account's own key (fingerprint in groups of four, whether it is unlocked now), every contact key jabterm knows " +
    "(fingerprint, where it came from: manual, presence or ox, and whether you confirmed it), and the conversations' encryption policies.",
  async run(ctx, call) {
    const account = accountFor(ctx, call);
    const svc = pgpOf(ctx.client);
    const own = await svc.ownKey(account.name);
    const ring = svc.keyring(account.name);
    const lines = [own ? `${account.name}: ${formatFingerprint(own.fingerprint)} (${own.userIds.join(", ")})${svc.isUnlocked(account.name) ? ", unlocked" : ", locked"}` : `${account.name}: no key (/pgp generate or /pgp import <file>)`];
    const contacts = ring.contacts();
    for (const [peer, c] of Object.entries(contacts)) {
      const pres = presenceSignatureOf(ctx.client, account.name, peer);
      lines.push(`${peer}: ${formatFingerprint(c.fingerprint)} ${c.trusted ? "verified" : "NOT verified"} (${c.source}${c.ox ? ", OX" : ""}${c.key ? "" : ", key not known yet"})${pres ? ` presence ${pres.verified}` : ""}`);
    }
    const policies = ring.policies();
    for (const [peer, p] of Object.entries(policies)) lines.push(`${peer}: encryption ${p}`);
    return {
      type: "output",
      lines,
      data: {
        account: account.name,
        own: own ? { fingerprint: own.fingerprint, user_ids: own.userIds, unlocked: svc.isUnlocked(account.name), created: own.created } : null,
        contacts: Object.fromEntries(Object.entries(contacts).map(([p, c]) => [p, { fingerprint: c.fingerprint, trusted: c.trusted, source: c.source, ox: c.ox === true, key: c.key !== undefined, previous: c.previous }])),
        policies,
      },
    };
  },
};

const generate: CommandDef<CommandContext> = {
  name: "generate",
  ...accountOpt,
  summary: "make a new key for the account",
  help:
    "Generates a v4 ECC key (Ed25519/Cv25519, readable by GnuPG 2.2) with the user ID xmpp:<account JID>, protected by the " +
    "passphrase (typed here, redacted in every echo, or from pgp_passphrase_command), stored 0600 under the data dir, and " +
    "published through PEP (OX) when the account is online. Replaces an existing key only with --force.",
  options: [{ name: "force", kind: "flag", description: "replace the account's existing key" }],
  args: [{ name: "passphrase", kind: "secret", optional: true, rest: true, description: "the passphrase (default: pgp_passphrase_command)" }],
  examples: [{ input: "/pgp generate -a work", description: "a key for work, passphrase from pgp_passphrase_command" }],
  async run(ctx, call) {
    const account = accountFor(ctx, call);
    const svc = pgpOf(ctx.client);
    if (svc.hasKey(account.name) && call.options.force !== true) throw new UsageError(`${account.name} already has a key (/pgp keys); --force replaces it`);
    const info = await svc.generate(account.name, await passphrase(ctx, account, call.args.passphrase));
    const lines = [`${account.name}: new key ${formatFingerprint(info.fingerprint)}`];
    if (account.online) {
      await publishOwnKey(ctx.client, account).then(
        () => lines.push("published through PEP (OX)"),
        (err: Error) => lines.push(`not published: ${err.message}`),
      );
    }
    return { type: "output", lines, data: { account: account.name, fingerprint: info.fingerprint } };
  },
};

const importCmd: CommandDef<CommandContext> = {
  name: "import",
  ...accountOpt,
  summary: "import a key from a file",
  help:
    "Imports an armored key (gpg --export --armor, or --export-secret-keys --armor). A secret key becomes the account's own: it " +
    "must open with the passphrase (typed here or from pgp_passphrase_command), and an unprotected one is protected with it. " +
    "A public key goes to --contact (confirmed, as you chose the file), else into a pool where signed presence finds it by key id.",
  options: [{ name: "contact", kind: "contact", description: "the contact this public key belongs to" }],
  args: [
    { name: "file", kind: "file", description: "the armored key file" },
    { name: "passphrase", kind: "secret", optional: true, rest: true, description: "the passphrase of a secret key" },
  ],
  examples: [{ input: "/pgp import --contact bob@example.org bob.asc", description: "bob's public key, confirmed" }],
  async run(ctx, call) {
    const account = accountFor(ctx, call);
    const svc = pgpOf(ctx.client);
    const text = readKeyFile(call.args.file!);
    const peer = typeof call.options.contact === "string" ? contactArg(call.options.contact) : undefined;
    const isSecret = /BEGIN PGP PRIVATE KEY BLOCK/.test(text);
    const r = await svc.importKey(account.name, text, { passphrase: isSecret ? await passphrase(ctx, account, call.args.passphrase) : undefined, peer });
    const where = r.as === "own" ? `the key of ${account.name}` : r.as === "contact" ? `the key of ${peer}` : "the pool (matched by key id)";
    const lines = [`imported ${formatFingerprint(r.info.fingerprint)} (${r.info.userIds.join(", ")}) as ${where}`];
    if (r.as === "own" && account.online) {
      await publishOwnKey(ctx.client, account).then(
        () => lines.push("published through PEP (OX)"),
        (err: Error) => lines.push(`not published: ${err.message}`),
      );
    }
    return { type: "output", lines, data: { account: account.name, fingerprint: r.info.fingerprint, as: r.as, peer: peer ?? null } };
  },
};

const exportCmd: CommandDef<CommandContext> = {
  name: "export",
  ...accountOpt,
  summary: "write your key to a file",
  help: "Writes the account's public key, armored; with --secret its secret key (still protected by its passphrase, file mode 0600). An existing file is not overwritten.",
  options: [{ name: "secret", kind: "flag", description: "export the secret key (protected)" }],
  args: [{ name: "file", kind: "file", description: "where to write it" }],
  async run(ctx, call) {
    const account = accountFor(ctx, call);
    const secret = call.options.secret === true;
    const text = await pgpOf(ctx.client).exportKey(account.name, secret);
    const file = path.resolve(call.args.file!);
    try {
      fs.writeFileSync(file, text, { mode: secret ? 0o600 : 0o644, flag: "wx" });
    } catch (err) {
      throw new UsageError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return { type: "output", lines: [`wrote the ${secret ? "secret" : "public"} key of ${account.name} to ${file}`], data: { account: account.name, file, secret } };
  },
};

const setkey: CommandDef<CommandContext> = {
  name: "setkey",
  ...accountOpt,
  summary: "set a contact's key by hand",
  help:
    "Sets the contact's key from an armored public key file, or expects a fingerprint (the key itself then comes from the " +
    "contact's OX publication or an import). Either way it counts as confirmed.",
  args: [
    { name: "contact", kind: "contact", description: "the contact's bare JID" },
    { name: "key", kind: "file", description: "a fingerprint (40 hex digits, spaces allowed if quoted) or a key file" },
  ],
  async run(ctx, call) {
    const account = accountFor(ctx, call);
    const peer = contactArg(call.args.contact);
    const svc = pgpOf(ctx.client);
    const fp = normalizeFingerprint(call.args.key!);
    if (fp) {
      svc.trust(account.name, peer, fp);
      return { type: "output", lines: [`${peer}: expecting key ${formatFingerprint(fp)}`], data: { account: account.name, peer, fingerprint: fp, trusted: true } };
    }
    const r = await svc.importKey(account.name, readKeyFile(call.args.key!), { peer });
    if (r.as !== "contact") throw new UsageError("that file holds a secret key: /pgp import it as your own");
    return { type: "output", lines: [`${peer}: key ${formatFingerprint(r.info.fingerprint)} (confirmed)`], data: { account: account.name, peer, fingerprint: r.info.fingerprint, trusted: true } };
  },
};

const trust: CommandDef<CommandContext> = {
  name: "trust",
  ...accountOpt,
  summary: "confirm a contact's fingerprint",
  help: "After comparing the fingerprint with the contact (in person, by phone), confirm it: messages signed with that key then show as verified.",
  args: [
    { name: "contact", kind: "contact", description: "the contact's bare JID" },
    { name: "fingerprint", kind: "text", rest: true, description: "the fingerprint (spaces allowed)" },
  ],
  async run(ctx, call) {
    const account = accountFor(ctx, call);
    const peer = contactArg(call.args.contact);
    const c = pgpOf(ctx.client).trust(account.name, peer, call.args.fingerprint ?? "");
    return { type: "output", lines: [`${peer}: ${formatFingerprint(c.fingerprint)} confirmed${c.key ? "" : " (key not known yet)"}`], data: { account: account.name, peer, fingerprint: c.fingerprint, trusted: true } };
  },
};

const fetchCmd: CommandDef<CommandContext> = {
  name: "fetch",
  ...accountOpt,
  summary: "fetch a contact's OX key from PEP",
  help: "Asks the contact's PEP service for its OX public keys (XEP-0373) and learns the one bound to its JID (unconfirmed until /pgp trust).",
  args: [{ name: "contact", kind: "contact", description: "the contact's bare JID" }],
  async run(ctx, call) {
    const account = accountFor(ctx, call);
    const peer = contactArg(call.args.contact);
    const c = await pgpOf(ctx.client).refreshOxKey(account.name, peer);
    if (!c) return { type: "output", lines: [`${peer} publishes no usable OX key`], data: { account: account.name, peer, fingerprint: null } };
    return { type: "output", lines: [`${peer}: ${formatFingerprint(c.fingerprint)} ${c.trusted ? "verified" : "NOT verified"}`], data: { account: account.name, peer, fingerprint: c.fingerprint, trusted: c.trusted } };
  },
};

const publish: CommandDef<CommandContext> = {
  name: "publish",
  ...accountOpt,
  summary: "publish your key through PEP (OX)",
  help: "Publishes the account's public key (XEP-0373 data and metadata nodes, open access). Done at every session start anyway.",
  async run(ctx, call) {
    const account = accountFor(ctx, call);
    const fp = await publishOwnKey(ctx.client, account);
    return { type: "output", lines: [`published ${formatFingerprint(fp)}`], data: { account: account.name, fingerprint: fp } };
  },
};

function policyCommand(policy: EncryptionPolicy, summary: string): CommandDef<CommandContext> {
  return {
    name: policy,
    ...accountOpt,
    summary,
    help:
      "Sets the conversation's encryption policy: on (never plaintext: a message that cannot be encrypted is not sent), off, or " +
      "auto (encrypted when the contact has a usable key). OX is used when the contact publishes an OX key, else XEP-0027. " +
      "Without a contact: the current conversation.",
    args: [{ name: "contact", kind: "contact", optional: true, description: "the contact (default: the current conversation)" }],
    async run(ctx, call): Promise<CommandResult> {
      const { account, peer } = contactOrHere(ctx, call);
      ctx.client.encryption.setPolicy(account.name, peer, policy);
      const lines = [`${peer}: encryption ${policy}`];
      const data: Record<string, unknown> = { account: account.name, peer, policy };
      if (policy !== "off") {
        const choice = await ctx.client.encryption.choose(account.name, peer);
        if ("strategy" in choice) {
          lines.push(`messages go out with ${choice.strategy.scheme === "ox" ? "OX (XEP-0373)" : "OpenPGP (XEP-0027)"}`);
          data.scheme = choice.strategy.scheme;
        } else {
          lines.push(`not possible now: ${choice.reasons.join("; ")}${policy === "on" ? " (messages will be refused, not sent in plaintext)" : " (plaintext until it is)"}`);
          data.scheme = null;
          data.reasons = choice.reasons;
        }
      }
      return { type: "output", lines, data };
    },
  };
}

export const pgpCommand: CommandDef<CommandContext> = {
  name: "pgp",
  group: GROUP,
  summary: "OpenPGP encryption (OX and XEP-0027): keys, trust, per-conversation policy",
  help:
    "End-to-end encryption with OpenPGP. Keys: /pgp keys, generate, import, export. Contacts: setkey, trust, fetch. " +
    "Policy per conversation: /pgp on|off|auto [contact]. Incoming messages are marked verified (signed by the key you " +
    "confirmed), unverified, unsigned or bad.",
  defaultSubcommand: "keys",
  subcommands: [
    keys,
    generate,
    importCmd,
    exportCmd,
    setkey,
    trust,
    fetchCmd,
    publish,
    policyCommand("on", "encrypt this conversation, never send plaintext"),
    policyCommand("off", "send this conversation in plaintext"),
    policyCommand("auto", "encrypt when the contact has a key"),
  ],
};
