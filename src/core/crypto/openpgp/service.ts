/**
 * OpenPGP for jabterm's accounts: own keys (generate, import, export, unlock with a cached
 * passphrase), contacts' keys and trust, and the two encryption strategies over them:
 * OX (XEP-0373/0374: signcrypt, keys over PEP) and legacy XEP-0027 (jabber:x:encrypted, signed
 * presence). Protocol-neutral: PEP round trips and passphrase prompts come in as callbacks.
 *
 * Honest labels: "verified" only for a good signature by the key the user confirmed for that JID;
 * "unverified" for a good signature by a key learned but not confirmed, or a signature we cannot
 * check; "unsigned" when there is no signature; "bad" for a signature that fails or was made by
 * another key than the sender's.
 */
import { createHash } from "node:crypto";

import { bareJid } from "../../jid.js";
import type { Logger } from "../../logger.js";
import type { EncryptionStrategy, OpenedMessage, ReceiveInfo, Verification } from "../encryption.js";
import { NS_OX, NS_PGP_ENCRYPTED, buildSigncrypt, checkOxContent, oxText, pgpEncryptedText, restoreArmor, stripArmor } from "../stanzas.js";
import { Keyring, type ContactKey, type KeySource } from "./keyring.js";
import * as pgp from "./pgp.js";

export { CryptoError, formatFingerprint, normalizeFingerprint } from "./pgp.js";
export type { KeyInfo } from "./pgp.js";

/** Ciphertexts remembered in memory for replay detection (bounded; the history database keeps more). */
export const REPLAY_MEMORY = 4096;
/** How long an incoming message waits for a passphrase before it is shown as undecryptable. */
export const UNLOCK_WAIT_MS = 60_000;

export interface OpenPgpDeps {
  dataDir: string | undefined;
  log: Logger;
  /** The account's bare JID. */
  jidOf(account: string): string;
  /** The configured passphrase command's output, or undefined when the account has none. */
  passphraseCommand(account: string): Promise<string | undefined>;
  /** Ask the user (credential event); resolves with the answer. */
  prompt(account: string, reason: "needed" | "rejected"): Promise<string>;
  /** How long an unlocked key stays in memory (ms; 0: only for the operation at hand). */
  unlockTime(): number;
  /** Size cap for decrypted XML. */
  maxXmlSize(): number;
  /** Fetch a contact's OX public keys from PEP (armored), or [] when it publishes none. */
  fetchOxKeys(account: string, peer: string): Promise<string[]>;
  /** Something the user must hear about (key changes, new keys learned). */
  announce(account: string, code: string, text: string, fields: Record<string, unknown>): void;
  /** Where ciphertexts seen are remembered across runs (the history database); memory only without. */
  replayMemory?: { seen(hash: string): string | undefined; note(hash: string, id: string): void };
}

interface Unlocked {
  key: pgp.UnlockedKey;
  timer?: NodeJS.Timeout;
  /** Kept for the next use only (pgp_unlock_time 0: a prompt's answer serves the retry). */
  once?: boolean;
}

export class OpenPgp {
  readonly #deps: OpenPgpDeps;
  readonly #keyrings = new Map<string, Keyring>();
  readonly #unlocked = new Map<string, Unlocked>();
  readonly #prompting = new Map<string, Promise<pgp.UnlockedKey>>();
  #lastRejected = new Set<string>();
  /** Accounts whose prompt was answered and whose key is being opened with the answer. */
  readonly #answered = new Set<string>();
  readonly #seen = new Map<string, string>();
  readonly #ownPublic = new Map<string, ContactKey>();
  /** Contacts we looked for on PEP and found nothing, with when. */
  readonly #noOx = new Map<string, number>();
  readonly #refreshed = new Map<string, number>();
  readonly ox: EncryptionStrategy;
  readonly pgp: EncryptionStrategy;

  constructor(deps: OpenPgpDeps) {
    this.#deps = deps;
    this.ox = this.#oxStrategy();
    this.pgp = this.#pgpStrategy();
  }

  keyring(account: string): Keyring {
    const jid = bareJid(this.#deps.jidOf(account));
    const k = this.#keyrings.get(account);
    if (k && k.jid === jid) return k;
    const fresh = new Keyring(this.#deps.dataDir, jid);
    this.#keyrings.set(account, fresh);
    return fresh;
  }

  // -- own key ----------------------------------------------------------------------------------

  async ownKey(account: string): Promise<pgp.KeyInfo | undefined> {
    const s = this.keyring(account).secretArmored;
    if (!s) return undefined;
    const info = await pgp.keyInfo(s);
    this.#ownPublic.set(account, { fingerprint: info.fingerprint, key: info.publicArmored, source: "manual", trusted: true, ox: true });
    return info;
  }

  hasKey(account: string): boolean {
    return this.keyring(account).secretArmored !== undefined;
  }

  isUnlocked(account: string): boolean {
    return this.#unlocked.has(account);
  }

  /** Generate a key for the account (the passphrase from the command or the prompt). */
  async generate(account: string, passphrase: string): Promise<pgp.KeyInfo> {
    const { secretArmored, info } = await pgp.generateKey(bareJid(this.#deps.jidOf(account)), passphrase);
    this.#install(account, secretArmored);
    await this.ownKey(account);
    return info;
  }

  /**
   * Import an armored key: a secret key becomes the account's own (protected with `passphrase`
   * when it is not already, else checked against it); a public key goes to `peer` when given,
   * else into the pool (found later by key id).
   */
  async importKey(account: string, armored: string, opts: { passphrase?: string; peer?: string }): Promise<{ info: pgp.KeyInfo; as: "own" | "contact" | "pool" }> {
    const info = await pgp.keyInfo(armored);
    if (info.secret) {
      if (!opts.passphrase) throw new pgp.CryptoError("importing a secret key needs the passphrase");
      const r = await pgp.protectSecretKey(armored, opts.passphrase);
      this.#install(account, r.secretArmored);
      await this.ownKey(account);
      return { info: r.info, as: "own" };
    }
    if (opts.peer) {
      this.setContactKey(account, opts.peer, info.publicArmored, info.fingerprint, "manual", true);
      return { info, as: "contact" };
    }
    this.keyring(account).addToPool(info.publicArmored);
    return { info, as: "pool" };
  }

  async exportKey(account: string, secret: boolean): Promise<string> {
    const s = this.keyring(account).secretArmored;
    if (!s) throw new pgp.CryptoError(`account ${account} has no key: /pgp generate or /pgp import`);
    if (secret) return s; // stays protected by its passphrase
    return (await pgp.keyInfo(s)).publicArmored;
  }

  #install(account: string, secretArmored: string): void {
    this.lock(account);
    this.#ownPublic.delete(account);
    this.keyring(account).setSecret(secretArmored);
  }

  /** Forget the unlocked key. */
  lock(account: string): void {
    const u = this.#unlocked.get(account);
    if (u?.timer) clearTimeout(u.timer);
    this.#unlocked.delete(account);
  }

  lockAll(): void {
    for (const a of [...this.#unlocked.keys()]) this.lock(a);
  }

  #cache(account: string, key: pgp.UnlockedKey, answered = false): void {
    this.lock(account);
    const ms = this.#deps.unlockTime();
    if (ms <= 0) {
      if (answered) this.#unlocked.set(account, { key, once: true });
      return;
    }
    const u: Unlocked = { key };
    u.timer = setTimeout(() => this.#unlocked.delete(account), ms);
    u.timer.unref();
    this.#unlocked.set(account, u);
  }

  /** Unlock with the answer to a passphrase prompt (kept for at least the next use). */
  async unlockWith(account: string, passphrase: string): Promise<pgp.UnlockedKey> {
    const s = this.keyring(account).secretArmored;
    if (!s) throw new pgp.CryptoError(`account ${account} has no key: /pgp generate or /pgp import`);
    const key = await pgp.unlockKey(s, passphrase);
    this.#cache(account, key, true);
    this.#lastRejected.delete(account);
    return key;
  }

  /**
   * The account's unlocked key. From the cache, else with the passphrase command, else by asking
   * the user: `wait` waits for the answer (bounded), otherwise the question is asked and a
   * CryptoError says the key is locked (commands must not block the command stream).
   */
  async unlock(account: string, mode: "wait" | "nowait"): Promise<pgp.UnlockedKey> {
    const cached = this.#unlocked.get(account);
    if (cached) {
      if (cached.once) this.#unlocked.delete(account);
      return cached.key;
    }
    const s = this.keyring(account).secretArmored;
    if (!s) throw new pgp.CryptoError(`account ${account} has no OpenPGP key: /pgp generate or /pgp import <file>`);
    // A prompt already answered: its unlocking is under way, wait for it.
    const inFlight = this.#prompting.get(account);
    if (inFlight && this.#answered.has(account)) {
      const key = await inFlight;
      if (this.#unlocked.get(account)?.once) this.#unlocked.delete(account);
      return key;
    }
    const fromCommand = await this.#deps.passphraseCommand(account);
    if (fromCommand !== undefined) {
      this.#deps.log.addSecret(fromCommand);
      const key = await pgp.unlockKey(s, fromCommand);
      this.#cache(account, key);
      return key;
    }
    let asking = this.#prompting.get(account);
    if (!asking) {
      const reason = this.#lastRejected.has(account) ? "rejected" : "needed";
      asking = this.#deps.prompt(account, reason).then(
        (pass) => {
          this.#answered.add(account);
          this.#deps.log.addSecret(pass);
          return this.unlockWith(account, pass).catch((err: unknown) => {
            this.#lastRejected.add(account);
            this.#deps.announce(account, "pgp_passphrase", `account ${account}: ${(err as Error).message}`, {});
            throw err;
          });
        },
      ).finally(() => {
        this.#prompting.delete(account);
        this.#answered.delete(account);
      });
      asking.catch(() => {});
      this.#prompting.set(account, asking);
    }
    const locked = new pgp.CryptoError(`the OpenPGP key of ${account} is locked: answer with /password ${account} <passphrase> (or set pgp_passphrase_command), then try again`, { reason: "locked" });
    if (mode === "nowait") throw locked;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(locked), UNLOCK_WAIT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([asking, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // -- contacts' keys ---------------------------------------------------------------------------

  /** A contact's key; our own bare JID (messages from our other devices) is our own key, trusted. */
  contact(account: string, peer: string): ContactKey | undefined {
    const ring = this.keyring(account);
    if (bareJid(peer) === ring.jid && this.#ownPublic.has(account)) return this.#ownPublic.get(account);
    return ring.contact(bareJid(peer));
  }

  /**
   * Record a key for a contact. A different key than the one known is announced loudly; a key
   * learned automatically never replaces one the user confirmed (it is only announced).
   */
  setContactKey(account: string, peer: string, armored: string | undefined, fingerprint: string, source: KeySource, trusted: boolean, ox?: boolean): ContactKey {
    const ring = this.keyring(account);
    const jid = bareJid(peer);
    const old = ring.contact(jid);
    if (old && old.fingerprint !== fingerprint) {
      const text = `the OpenPGP key of ${jid} CHANGED: was ${pgp.formatFingerprint(old.fingerprint)}, now ${pgp.formatFingerprint(fingerprint)} (${source})`;
      if (old.trusted && !trusted) {
        this.#deps.announce(account, "pgp_key_changed", `${text}; the confirmed key stays in use until you run /pgp trust ${jid} <new fingerprint>`, { peer: jid, old: old.fingerprint, new: fingerprint, source });
        return old;
      }
      this.#deps.announce(account, "pgp_key_changed", text, { peer: jid, old: old.fingerprint, new: fingerprint, source });
    } else if (!old) {
      this.#deps.announce(account, "pgp_key_learned", `learned the OpenPGP key of ${jid}: ${pgp.formatFingerprint(fingerprint)} (${source}${trusted ? "" : ", not verified: compare it and run /pgp trust"})`, { peer: jid, fingerprint, source, trusted });
    }
    const c: ContactKey = {
      fingerprint,
      source: old && old.fingerprint === fingerprint ? old.source : source,
      trusted: trusted || (old?.fingerprint === fingerprint && old.trusted),
    };
    const key = armored ?? (old?.fingerprint === fingerprint ? old.key : undefined);
    if (key) c.key = key;
    if (ox || (old?.fingerprint === fingerprint && old.ox)) c.ox = true;
    if (old && old.fingerprint !== fingerprint) c.previous = old.fingerprint;
    ring.setContact(jid, c);
    return c;
  }

  /** Confirm a contact's fingerprint (must match the key known, or becomes the expected one). */
  trust(account: string, peer: string, fingerprint: string): ContactKey {
    const fp = pgp.normalizeFingerprint(fingerprint);
    if (!fp) throw new pgp.CryptoError(`not a v4 fingerprint (40 hex digits): ${fingerprint}`);
    const jid = bareJid(peer);
    const old = this.contact(account, jid);
    if (old && old.fingerprint !== fp && old.key) {
      // The user names a key other than the one we have: expect it (it must come by PEP or import).
      const c: ContactKey = { fingerprint: fp, source: "manual", trusted: true, previous: old.fingerprint };
      this.keyring(account).setContact(jid, c);
      return c;
    }
    const c: ContactKey = { ...(old ?? { source: "manual" as const }), fingerprint: fp, trusted: true };
    this.keyring(account).setContact(jid, c);
    return c;
  }

  async #verifiersFor(account: string, peer: string): Promise<string[]> {
    const c = this.contact(account, peer);
    return c?.key ? [c.key] : [];
  }

  /** A contact's OX key: known, else fetched from its PEP (cached misses for 5 minutes). */
  async #oxKey(account: string, peer: string): Promise<ContactKey | undefined> {
    const c = this.contact(account, peer);
    if (c?.key && c.ox) return c;
    const missKey = `${account}\n${bareJid(peer)}`;
    const miss = this.#noOx.get(missKey);
    if (miss && Date.now() - miss < 5 * 60_000) return undefined;
    return this.refreshOxKey(account, peer);
  }

  /** At most one PEP refresh per contact a minute, triggered by incoming messages. */
  #mayRefresh(account: string, peer: string): boolean {
    const k = `${account}\n${bareJid(peer)}`;
    const last = this.#refreshed.get(k);
    if (last !== undefined && Date.now() - last < 60_000) return false;
    this.#refreshed.set(k, Date.now());
    if (this.#refreshed.size > REPLAY_MEMORY) this.#refreshed.delete(this.#refreshed.keys().next().value!);
    return true;
  }

  /** Fetch a contact's OX keys from PEP and learn the one bound to its JID. */
  async refreshOxKey(account: string, peer: string): Promise<ContactKey | undefined> {
    const jid = bareJid(peer);
    const missKey = `${account}\n${jid}`;
    let keys: string[];
    try {
      keys = await this.#deps.fetchOxKeys(account, jid);
    } catch (err) {
      this.#deps.log.debug(`account ${account}: no OX keys from ${jid}: ${(err as Error).message}`);
      keys = [];
    }
    for (const armored of keys) {
      let info: pgp.KeyInfo;
      try {
        info = await pgp.keyInfo(armored);
      } catch {
        continue;
      }
      // XEP-0373 §2: the key must be bound to the JID through a user ID xmpp:<bare JID>.
      if (!info.userIds.some((u) => u.toLowerCase() === `xmpp:${jid}` || u.toLowerCase().includes(`<xmpp:${jid}>`))) {
        this.#deps.announce(account, "pgp_key_unbound", `${jid} publishes an OpenPGP key (${pgp.formatFingerprint(info.fingerprint)}) without the user ID xmpp:${jid}: ignored`, { peer: jid, fingerprint: info.fingerprint });
        continue;
      }
      this.#noOx.delete(missKey);
      const known = this.contact(account, jid);
      const c = this.setContactKey(account, jid, info.publicArmored, info.fingerprint, "ox", known?.trusted === true && known.fingerprint === info.fingerprint, true);
      return c.fingerprint === info.fingerprint ? c : undefined;
    }
    this.#noOx.set(missKey, Date.now());
    if (this.#noOx.size > REPLAY_MEMORY) this.#noOx.delete(this.#noOx.keys().next().value!);
    return undefined;
  }

  // -- replay detection -------------------------------------------------------------------------

  /** Whether this ciphertext was seen before under another message id (then: a replay). */
  #replayed(data: string, id: string | undefined): boolean {
    const h = createHash("sha256").update(data.replace(/\s+/g, "")).digest("base64");
    let before = this.#seen.get(h);
    if (before === undefined) {
      try {
        before = this.#deps.replayMemory?.seen(h);
        if (before === undefined) this.#deps.replayMemory?.note(h, id ?? "");
      } catch (err) {
        this.#deps.log.warn(`replay memory: ${(err as Error).message}`);
      }
    }
    if (before !== undefined) return before !== (id ?? "");
    this.#seen.set(h, id ?? "");
    if (this.#seen.size > REPLAY_MEMORY) this.#seen.delete(this.#seen.keys().next().value!);
    return false;
  }

  // -- labels -----------------------------------------------------------------------------------

  /** Which other contact (or we) owns the key with this id: a message signed by it but sent by someone else was forwarded. */
  async #resent(account: string, peer: string, sig: pgp.SignatureCheck): Promise<{ verified: Verification; note: string } | undefined> {
    if (sig.status !== "unknown-key") return undefined;
    const candidates: [string, string][] = Object.entries(this.keyring(account).contacts()).flatMap(([jid, c]) => (c.key ? [[jid, c.key] as [string, string]] : []));
    const own = this.#ownPublic.get(account);
    if (own?.key) candidates.push([this.keyring(account).jid, own.key]);
    for (const [jid, key] of candidates) {
      if (jid === bareJid(peer)) continue;
      if (await pgp.keyHasId(key, sig.keyId).catch(() => false)) return { verified: "bad", note: `signed with the key of ${jid}, but sent by ${bareJid(peer)}: re-sent by someone else` };
    }
    return undefined;
  }

  #label(account: string, peer: string, sig: pgp.SignatureCheck): { verified: Verification; note?: string; signer?: string } {
    const c = this.contact(account, peer);
    switch (sig.status) {
      case "none":
        return { verified: "unsigned", note: "encrypted, sender not verified (no signature)" };
      case "good":
        if (c?.trusted && c.fingerprint === sig.fingerprint) return { verified: "verified", signer: sig.fingerprint };
        return { verified: "unverified", signer: sig.fingerprint, note: `signed by ${pgp.formatFingerprint(sig.fingerprint)}, a key you have not confirmed (/pgp trust)` };
      case "bad":
        return { verified: "bad", note: `BAD signature (key ${sig.keyId}): ${sig.reason}` };
      case "unknown-key":
        return c?.key
          ? { verified: "bad", note: `signed by key ${sig.keyId}, which is not the key of ${bareJid(peer)}` }
          : { verified: "unverified", note: `signed by key ${sig.keyId}, unknown here (no key for ${bareJid(peer)})` };
    }
  }

  // -- strategies -------------------------------------------------------------------------------

  #pgpStrategy(): EncryptionStrategy {
    return {
      scheme: "pgp",
      canEncrypt: async (account, peer) => {
        if (!this.hasKey(account)) return `account ${account} has no OpenPGP key (/pgp generate, /pgp import)`;
        const c = this.contact(account, peer);
        if (!c?.key) return `no OpenPGP key for ${bareJid(peer)} (/pgp setkey ${bareJid(peer)} <file>)`;
        return true;
      },
      encrypt: async (account, peer, body) => {
        const c = this.contact(account, peer);
        if (!c?.key) throw new pgp.CryptoError(`no OpenPGP key for ${bareJid(peer)}`);
        const key = await this.unlock(account, "nowait");
        const own = this.#ownPublic.get(account)?.key ?? (await this.exportKey(account, false));
        const armored = await pgp.encryptArmored(body, [c.key, own], key);
        return { scheme: "pgp", data: stripArmor(armored) };
      },
      detect: (stanza) => stanza.getChild("x", NS_PGP_ENCRYPTED) !== undefined,
      decrypt: async (account, stanza, info) => {
        const peer = bareJid(info.from);
        const text = pgpEncryptedText(stanza) ?? "";
        try {
          const key = await this.unlock(account, "wait");
          const replay = this.#replayed(text, info.id);
          const verifiers = await this.#verifiersFor(account, peer);
          const r = await pgp.decryptArmored(restoreArmor(text, "MESSAGE"), key, verifiers);
          const label = (await this.#resent(account, peer, r.signature)) ?? this.#label(account, peer, r.signature);
          const out: OpenedMessage = { scheme: "pgp", body: r.data, ...label };
          if (replay) {
            out.note = `REPLAYED: this ciphertext arrived before under another id${label.note ? `; ${label.note}` : ""}`;
            if (out.verified === "verified") out.verified = "unverified";
          }
          return out;
        } catch (err) {
          return { scheme: "pgp", verified: "unsigned", note: `could not decrypt: ${(err as Error).message}` };
        }
      },
      fingerprints: async (account, peer) => this.#fingerprints(account, peer),
      trust: async (account, peer, fp) => void this.trust(account, peer, fp),
    };
  }

  #oxStrategy(): EncryptionStrategy {
    return {
      scheme: "ox",
      canEncrypt: async (account, peer) => {
        if (!this.hasKey(account)) return `account ${account} has no OpenPGP key (/pgp generate, /pgp import)`;
        const c = await this.#oxKey(account, peer);
        if (!c?.key) return `${bareJid(peer)} publishes no OX key`;
        return true;
      },
      encrypt: async (account, peer, body) => {
        const c = await this.#oxKey(account, peer);
        if (!c?.key) throw new pgp.CryptoError(`${bareJid(peer)} publishes no OX key`);
        const key = await this.unlock(account, "nowait");
        const own = this.#ownPublic.get(account)?.key ?? (await this.exportKey(account, false));
        const content = buildSigncrypt(peer, body);
        const bytes = await pgp.encryptBinary(new TextEncoder().encode(content), [c.key, own], key);
        return { scheme: "ox", data: Buffer.from(bytes).toString("base64") };
      },
      detect: (stanza) => stanza.getChild("openpgp", NS_OX) !== undefined,
      decrypt: async (account, stanza, info) => {
        const peer = bareJid(info.from);
        const text = (oxText(stanza) ?? "").replace(/\s+/g, "");
        try {
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length === 0) throw new pgp.CryptoError("the <openpgp/> element is not base64");
          const replay = this.#replayed(text, info.id);
          const bytes = Buffer.from(text, "base64");
          // The sender's key: known, or fetched from its PEP now (a first message).
          let c = this.contact(account, peer);
          // (Misses are remembered: a flood from a JID without keys costs one PEP query.)
          if (!c?.key) c = await this.#oxKey(account, peer).catch(() => undefined);
          const verifiers = c?.key ? [c.key] : [];
          const key = this.hasKey(account) ? await this.unlock(account, "wait") : undefined;
          let r = await pgp.openBinary(bytes, key, verifiers);
          // An unknown signer may mean the sender rotated its key: fetch it once more.
          if (r.signature.status === "unknown-key" && c?.source === "ox" && this.#mayRefresh(account, peer)) {
            const fresh = await this.refreshOxKey(account, peer).catch(() => undefined);
            if (fresh?.key && fresh.key !== c.key) r = await pgp.openBinary(bytes, key, [fresh.key]);
          }
          const content = checkOxContent(new TextDecoder("utf-8", { fatal: false }).decode(r.data), info.own, { delay: info.delay, maxSize: this.#deps.maxXmlSize() });
          if (!content.ok) return { scheme: "ox", verified: "bad", note: `refused: ${content.reason}` };
          const label: { verified: Verification; note?: string; signer?: string } = (await this.#resent(account, peer, r.signature)) ?? this.#label(account, peer, r.signature);
          const out: OpenedMessage = { scheme: "ox", verified: label.verified, oxKind: content.kind };
          if (content.body !== undefined) out.body = content.body;
          if (label.signer) out.signer = label.signer;
          const notes: string[] = [];
          if (content.kind === "crypt") {
            out.verified = "unsigned";
            notes.push("encrypted but not signed (OX crypt): the sender is not verified");
          } else if (content.kind === "signcrypt" && r.signature.status === "none") {
            out.verified = "bad";
            notes.push("an OX signcrypt without a signature");
          } else if (content.kind === "sign") {
            notes.push("signed but NOT encrypted (OX sign)");
            if (label.note) notes.push(label.note);
          } else if (label.note) notes.push(label.note);
          if (!r.encrypted && content.kind !== "sign") {
            out.verified = "bad";
            notes.push(`claims to be ${content.kind} but was not encrypted`);
          }
          if (content.problem) {
            notes.push(content.problem);
            if (out.verified === "verified") out.verified = "unverified";
          }
          if (replay) {
            notes.unshift("REPLAYED: this ciphertext arrived before under another id");
            if (out.verified === "verified") out.verified = "unverified";
          }
          if (notes.length) out.note = notes.join("; ");
          return out;
        } catch (err) {
          return { scheme: "ox", verified: "unsigned", note: `could not decrypt: ${(err as Error).message}` };
        }
      },
      fingerprints: async (account, peer) => this.#fingerprints(account, peer),
      trust: async (account, peer, fp) => void this.trust(account, peer, fp),
    };
  }

  async #fingerprints(account: string, peer: string): Promise<{ own?: string; peer?: string; trusted: boolean }> {
    const own = (await this.ownKey(account))?.fingerprint;
    const c = this.contact(account, peer);
    const out: { own?: string; peer?: string; trusted: boolean } = { trusted: c?.trusted ?? false };
    if (own) out.own = own;
    if (c) out.peer = c.fingerprint;
    return out;
  }

  // -- XEP-0027 signed presence -----------------------------------------------------------------

  /**
   * The jabber:x:signed text for our presence status, when the account has a key that is unlocked
   * or unlockable without asking (presence never waits for a prompt). Undefined otherwise.
   */
  async signStatus(account: string, status: string): Promise<string | undefined> {
    if (!this.hasKey(account)) return undefined;
    let key = this.#unlocked.get(account)?.key;
    if (!key) {
      const pass = await this.#deps.passphraseCommand(account).catch(() => undefined);
      if (pass === undefined) return undefined;
      this.#deps.log.addSecret(pass);
      const s = this.keyring(account).secretArmored!;
      key = await pgp.unlockKey(s, pass).catch(() => undefined);
      if (!key) return undefined;
      this.#cache(account, key);
    }
    return stripArmor(await pgp.signDetached(status, key));
  }

  /**
   * Check a contact's signed presence. A good signature by a key from the pool (imported without
   * a contact) binds that key to the contact, unconfirmed.
   */
  async verifyStatus(account: string, from: string, status: string, signed: string): Promise<{ verified: Verification; keyId?: string; note?: string }> {
    const peer = bareJid(from);
    const armored = restoreArmor(signed, "SIGNATURE");
    const ids = await pgp.signatureKeyIds(armored);
    const known = this.contact(account, peer);
    let verifiers = known?.key ? [known.key] : [];
    if (!known?.key) {
      for (const k of this.keyring(account).pool()) if (await anyId(k, ids)) verifiers = [k];
    }
    const sig = await pgp.verifyDetached(status, armored, verifiers);
    if (sig.status === "good" && !known?.key) {
      const info = await pgp.keyInfo(verifiers[0]!);
      this.setContactKey(account, peer, info.publicArmored, info.fingerprint, "presence", false);
    }
    const label = this.#label(account, peer, sig);
    const out: { verified: Verification; keyId?: string; note?: string } = { verified: label.verified };
    if (ids[0]) out.keyId = ids[0];
    if (label.note) out.note = label.note;
    return out;
  }
}

async function anyId(armored: string, ids: string[]): Promise<boolean> {
  for (const id of ids) if (await pgp.keyHasId(armored, id)) return true;
  return false;
}
