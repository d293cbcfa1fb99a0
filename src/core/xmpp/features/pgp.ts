/**
 * OpenPGP wired into the client: the OX (XEP-0373/0374) and XEP-0027 strategies registered with
 * the messaging core, the per-conversation policy kept in each account's keyring, the own public
 * key published through PEP (metadata and data nodes) at session start, contacts' OX keys fetched
 * from their PEP (and refreshed on PEP notifications), and XEP-0027 signed presence (ours signed
 * when the key can be unlocked without asking; theirs verified and published as `pgp_presence`).
 */
import { ConfigError } from "../../errors.js";
import { CryptoError, OpenPgp } from "../../crypto/openpgp/service.js";
import { publicKeyArmoredFromBinary, publicKeyBase64 } from "../../crypto/openpgp/pgp.js";
import { NS_OX, NS_OX_PUBKEYS, NS_PGP_SIGNED, buildPubkeyItem, buildPubkeyList, oxDataNode, parsePubkeyList } from "../../crypto/stanzas.js";
import { bareJid, sameBareJid, tryParseJid } from "../../jid.js";
import { runPasswordCommand, type Account } from "../account.js";
import { xml, type XmlElement } from "../transport/xml.js";
import { NS_PUBSUB_EVENT } from "./roster-stanzas.js";
import type { FeatureContext } from "./types.js";

export const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
const NS_DATA = "jabber:x:data";

const services = new WeakMap<object, OpenPgp>();

/** The client's OpenPGP service (installed with the features). */
export function pgpOf(ctx: FeatureContext): OpenPgp {
  const s = services.get(ctx);
  if (!s) throw new CryptoError("OpenPGP is not installed");
  return s;
}

/** A contact's presence signature as last checked. */
export interface PresenceSignature {
  from: string;
  verified: "verified" | "unverified" | "unsigned" | "bad";
  keyId?: string;
  note?: string;
}

const presenceSignatures = new WeakMap<object, Map<string, PresenceSignature>>();

export function presenceSignatureOf(ctx: FeatureContext, account: string, from: string): PresenceSignature | undefined {
  return presenceSignatures.get(ctx)?.get(`${account}\n${from}`);
}

function publishOptions(): XmlElement {
  return xml(
    "publish-options",
    {},
    xml(
      "x",
      { xmlns: NS_DATA, type: "submit" },
      xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, "http://jabber.org/protocol/pubsub#publish-options")),
      xml("field", { var: "pubsub#access_model" }, xml("value", {}, "open")),
      xml("field", { var: "pubsub#persist_items" }, xml("value", {}, "true")),
    ),
  );
}

async function pepPublish(account: Account, node: string, id: string, payload: XmlElement): Promise<void> {
  const publish = (withOptions: boolean) =>
    account.request("set", xml("pubsub", { xmlns: NS_PUBSUB }, xml("publish", { node }, xml("item", { id }, payload)), withOptions ? publishOptions() : undefined));
  try {
    await publish(true);
  } catch (err) {
    // A server that cannot honour the options (precondition-not-met) still takes the item.
    if (!/precondition|not-acceptable|bad-request|feature-not-implemented/.test((err as Error).message)) throw err;
    await publish(false);
  }
}

async function pepItems(account: Account, to: string, node: string): Promise<XmlElement[]> {
  const r = await account.request("get", xml("pubsub", { xmlns: NS_PUBSUB }, xml("items", { node, max_items: "1" })), to);
  return r.getChild("pubsub", NS_PUBSUB)?.getChild("items")?.getChildren("item") ?? [];
}

/** The output of the account's pgp_passphrase_command, or undefined when it has none. */
export async function passphraseFromCommand(ctx: FeatureContext, account: string): Promise<string | undefined> {
  const cmd = ctx.config.accounts().find((a) => a.name === account)?.pgp_passphrase_command;
  if (!cmd) return undefined;
  try {
    return await runPasswordCommand(cmd, account);
  } catch (err) {
    throw new CryptoError((err as Error).message.replace("password_command", "pgp_passphrase_command"));
  }
}

export function installPgp(ctx: FeatureContext): void {
  const service = new OpenPgp({
    dataDir: ctx.dataDir,
    log: ctx.log,
    jidOf: (account) => ctx.engine.find(account)?.settings.jid ?? account,
    passphraseCommand: (account) => passphraseFromCommand(ctx, account),
    prompt: (account, reason) => ctx.requestCredential({ account, jid: ctx.engine.find(account)?.settings.jid ?? account, reason, kind: "pgp_passphrase" }),
    unlockTime: () => ctx.settings().pgp_unlock_time,
    maxXmlSize: () => ctx.settings().max_stanza_size,
    replayMemory: ctx.history ? { seen: (h) => ctx.history!.db.ciphertextSeen(h), note: (h, id) => ctx.history!.db.noteCiphertext(h, id) } : undefined,
    fetchOxKeys: async (account, peer) => {
      const acct = ctx.engine.find(account);
      if (!acct?.online) return [];
      const meta = await pepItems(acct, peer, NS_OX_PUBKEYS);
      const fps = parsePubkeyList(meta[0]?.getChild("public-keys-list", NS_OX));
      const out: string[] = [];
      for (const fp of fps.slice(0, 4)) {
        try {
          const items = await pepItems(acct, peer, oxDataNode(fp));
          const data = items[0]?.getChild("pubkey", NS_OX)?.getChildText("data");
          if (!data) continue;
          const armored = await publicKeyArmoredFromBinary(data, fp);
          if (armored) out.push(armored);
        } catch (err) {
          ctx.log.debug(`account ${account}: OX key ${fp} of ${peer}: ${(err as Error).message}`);
        }
      }
      return out;
    },
    announce: (account, code, text, fields) => {
      ctx.log.warn(`account ${account}: ${text}`);
      ctx.publish("warning", { account, code, text, ...fields });
    },
  });
  services.set(ctx, service);
  const sigs = new Map<string, PresenceSignature>();
  presenceSignatures.set(ctx, sigs);

  ctx.encryption.register(service.ox);
  ctx.encryption.register(service.pgp);
  ctx.encryption.setPolicyStore({
    get: (account, peer) => service.keyring(account).policy(peer),
    set: (account, peer, policy) => service.keyring(account).setPolicy(peer, policy),
  });
  ctx.disco.add(`${NS_OX_PUBKEYS}+notify`);
  ctx.onShutdown(() => service.lockAll());

  // -- our key on PEP ----------------------------------------------------------------------------

  ctx.onSessionStart(70, "OX key publication", async (account) => {
    const own = await service.ownKey(account.name);
    if (!own) return;
    await publishOwnKey(ctx, account).catch((err: Error) => {
      ctx.log.info(`account ${account.name}: OX key not published: ${err.message}`);
      ctx.publish("pgp_published", { account: account.name, fingerprint: own.fingerprint, published: false, reason: err.message });
    });
  });

  // -- signed presence (XEP-0027) ----------------------------------------------------------------

  ctx.decoratePresence(async (account, presence) => {
    const type = presence.attrs.type;
    if (type !== undefined && type !== "unavailable") return;
    if (!service.hasKey(account.name)) return;
    const signed = await service.signStatus(account.name, presence.getChildText("status") ?? "");
    if (signed) presence.append(xml("x", { xmlns: NS_PGP_SIGNED }, signed));
  });

  const onPresence = async (account: string, stanza: XmlElement) => {
    const from = stanza.attrs.from;
    const x = stanza.getChild("x", NS_PGP_SIGNED);
    if (!x || !from || !tryParseJid(from)) return;
    if (stanza.attrs.type !== undefined && stanza.attrs.type !== "unavailable") return;
    const status = stanza.getChildText("status") ?? "";
    const r = await service.verifyStatus(account, from, status, x.getText());
    const sig: PresenceSignature = { from, verified: r.verified };
    if (r.keyId) sig.keyId = r.keyId;
    if (r.note) sig.note = r.note;
    sigs.set(`${account}\n${from}`, sig);
    ctx.publish("pgp_presence", { account, from, peer: bareJid(from), verified: r.verified, key_id: r.keyId ?? null, note: r.note });
  };

  // -- PEP notifications of contacts' key lists --------------------------------------------------

  const onMessage = (account: string, stanza: XmlElement) => {
    const items = stanza.getChild("event", NS_PUBSUB_EVENT)?.getChild("items");
    if (items?.attrs.node !== NS_OX_PUBKEYS) return;
    const from = stanza.attrs.from;
    if (!from || !tryParseJid(from) || from !== bareJid(from)) return;
    const own = ctx.ownJid(account);
    if (sameBareJid(from, own)) return;
    const fps = parsePubkeyList(items.getChild("item")?.getChild("public-keys-list", NS_OX));
    const known = service.contact(account, from);
    if (known?.ox && fps.includes(known.fingerprint)) return;
    void service.refreshOxKey(account, from).catch(() => undefined);
  };

  ctx.engine.on("stanza", ({ account, stanza }) => {
    if (stanza.name === "presence") {
      onPresence(account, stanza).catch((err: Error) => ctx.log.debug(`account ${account}: signed presence: ${err.message}`));
    } else if (stanza.name === "message") {
      try {
        onMessage(account, stanza);
      } catch (err) {
        ctx.log.debug(`account ${account}: OX notification: ${(err as Error).message}`);
      }
    }
  });
}

/** Publish the account's public key: the data node first, then the metadata list naming it. */
export async function publishOwnKey(ctx: FeatureContext, account: Account): Promise<string> {
  const service = pgpOf(ctx);
  const own = await service.ownKey(account.name);
  if (!own) throw new ConfigError(`account ${account.name} has no OpenPGP key`);
  if (!account.online) throw new CryptoError(`account ${account.name} is not online`);
  const date = new Date(own.created).toISOString().replace(/\.\d{3}Z$/, "Z");
  const b64 = await publicKeyBase64(own.publicArmored);
  await pepPublish(account, oxDataNode(own.fingerprint), date, buildPubkeyItem(b64));
  await pepPublish(account, NS_OX_PUBKEYS, "current", buildPubkeyList([{ fingerprint: own.fingerprint, date }]));
  ctx.publish("pgp_published", { account: account.name, fingerprint: own.fingerprint, published: true });
  return own.fingerprint;
}
