/**
 * The OpenPGP primitives jabterm uses, over OpenPGP.js. This folder (src/core/crypto/openpgp) is
 * the only one that imports `openpgp` (a test enforces it); everything else sees armored strings,
 * fingerprints and the opaque `UnlockedKey`.
 *
 * Compatibility with GnuPG 2.2 (Profanity, mcabber, Gajim's gpg plugin): v4 keys only
 * (curve25519Legacy), no AEAD, no SEIPDv2. Decompression is capped so a compressed-data bomb
 * fails with an error instead of filling memory.
 *
 * OpenPGP.js is loaded on first use, not at start: it is ~4 MB of live heap (its source, code and
 * tables) that a session without encryption never needs, and V8 lets the heap grow to a multiple of
 * what is live before it collects.
 */
import type * as openpgp from "openpgp";

import { JabtermError } from "../../errors.js";

/** Largest plaintext we accept after decompression. */
export const MAX_DECOMPRESSED = 1024 * 1024;

let loading: Promise<{ lib: typeof openpgp; config: openpgp.PartialConfig }> | undefined;

/** OpenPGP.js and the configuration every call passes it, loaded once on first use. */
function load(): Promise<{ lib: typeof openpgp; config: openpgp.PartialConfig }> {
  loading ??= import("openpgp").then((lib) => ({
    lib,
    config: {
      v6Keys: false,
      aeadProtect: false,
      maxDecompressedMessageSize: MAX_DECOMPRESSED,
      preferredCompressionAlgorithm: lib.enums.compression.uncompressed,
      showVersion: false,
      showComment: false,
    },
  }));
  return loading;
}

export class CryptoError extends JabtermError {
  constructor(message: string, detail: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("crypto", message, detail, options);
    this.name = "CryptoError";
  }
}

/** A decrypted secret key, usable for signing and decrypting until dropped. */
export interface UnlockedKey {
  readonly fingerprint: string;
  /** @internal */
  readonly key: openpgp.PrivateKey;
}

export interface KeyInfo {
  /** Upper-case hex, 40 digits for v4. */
  fingerprint: string;
  /** 16 hex digits. */
  keyId: string;
  userIds: string[];
  secret: boolean;
  /** A secret key protected by a passphrase. */
  protected: boolean;
  created: string;
  version: number;
  /** The public part, armored. */
  publicArmored: string;
}

export type SignatureCheck =
  /** Signed by one of the given keys, and the signature is good. */
  | { status: "good"; fingerprint: string }
  /** No signature at all. */
  | { status: "none" }
  /** Signed by a key we were not given (key id as found). */
  | { status: "unknown-key"; keyId: string }
  /** A signature by a given key that does not verify. */
  | { status: "bad"; keyId: string; reason: string };

function fail(what: string, err: unknown): never {
  if (err instanceof JabtermError) throw err;
  throw new CryptoError(`${what}: ${(err as Error)?.message ?? String(err)}`, {}, { cause: err });
}

/** Group a fingerprint in blocks of four: "AB12 CD34 ...". */
export function formatFingerprint(fp: string): string {
  return fp.replace(/\s+/g, "").toUpperCase().replace(/(.{4})(?=.)/g, "$1 ");
}

/** A fingerprint as typed (spaces, colons, lower case, 0x) to the canonical form, or undefined. */
export function normalizeFingerprint(fp: string): string | undefined {
  const s = fp.replace(/[\s:]/g, "").replace(/^0x/i, "").toUpperCase();
  return /^[0-9A-F]{40}$/.test(s) ? s : undefined;
}

async function info(key: openpgp.Key): Promise<KeyInfo> {
  const secret = key.isPrivate();
  return {
    fingerprint: key.getFingerprint().toUpperCase(),
    keyId: key.getKeyID().toHex().toUpperCase(),
    userIds: key.getUserIDs(),
    secret,
    protected: secret ? !(key as openpgp.PrivateKey).isDecrypted() : false,
    created: key.getCreationTime().toISOString(),
    version: key.keyPacket.version,
    publicArmored: key.toPublic().armor(),
  };
}

/** Parsed public keys by their armor (parsing costs ~1 ms a key, and every message needs two). */
const parsedPublic = new Map<string, openpgp.Key>();
const PARSED_KEPT = 256;

async function readAnyKey(armored: string): Promise<openpgp.Key> {
  const { lib, config } = await load();
  try {
    return await lib.readKey({ armoredKey: armored, config });
  } catch (err) {
    fail("not an OpenPGP key", err);
  }
}

/** The public key of an armored key, parsed once. */
async function readPublic(armored: string): Promise<openpgp.Key> {
  const hit = parsedPublic.get(armored);
  if (hit) return hit;
  const key = (await readAnyKey(armored)).toPublic();
  parsedPublic.set(armored, key);
  if (parsedPublic.size > PARSED_KEPT) parsedPublic.delete(parsedPublic.keys().next().value!);
  return key;
}

/** Describe an armored key (public or secret). v6 keys are refused (GnuPG 2.2 cannot use them). */
export async function keyInfo(armored: string): Promise<KeyInfo> {
  const key = await readAnyKey(armored);
  const i = await info(key);
  if (i.version !== 4) throw new CryptoError(`a v${i.version} key: jabterm uses v4 keys (GnuPG 2.2 and most XMPP clients cannot read newer ones)`);
  return i;
}

/** Read a binary (OX) public key. */
export async function keyInfoBinary(bytes: Uint8Array): Promise<KeyInfo> {
  const { lib, config } = await load();
  let key: openpgp.Key;
  try {
    key = await lib.readKey({ binaryKey: bytes, config });
  } catch (err) {
    fail("not an OpenPGP key", err);
  }
  return info(key.toPublic());
}

/** The binary form of an armored public key (what OX publishes, base64 encoded). */
export async function publicKeyBinary(armored: string): Promise<Uint8Array> {
  const key = await readAnyKey(armored);
  return key.toPublic().write();
}

/** A new v4 ECC key (Ed25519 + Cv25519) for `xmpp:<jid>`, protected by `passphrase`. */
export async function generateKey(jid: string, passphrase: string): Promise<{ secretArmored: string; info: KeyInfo }> {
  if (!passphrase) throw new CryptoError("a secret key needs a passphrase");
  const { lib, config } = await load();
  try {
    const { privateKey } = await lib.generateKey({
      type: "ecc",
      curve: "curve25519Legacy",
      userIDs: [{ name: `xmpp:${jid}` }],
      passphrase,
      format: "armored",
      config,
    });
    return { secretArmored: privateKey, info: await keyInfo(privateKey) };
  } catch (err) {
    fail("key generation failed", err);
  }
}

/**
 * A secret key as it will be stored: protected by `passphrase`. A key already protected must
 * open with it (so the stored key and the prompted passphrase agree); an unprotected one is
 * encrypted with it.
 */
export async function protectSecretKey(armored: string, passphrase: string): Promise<{ secretArmored: string; info: KeyInfo }> {
  const { lib, config } = await load();
  let key: openpgp.PrivateKey;
  try {
    key = await lib.readPrivateKey({ armoredKey: armored, config });
  } catch (err) {
    fail("not an OpenPGP secret key", err);
  }
  if (key.keyPacket.version !== 4) throw new CryptoError(`a v${key.keyPacket.version} key: jabterm uses v4 keys`);
  if (!passphrase) throw new CryptoError("a secret key needs a passphrase");
  if (!key.isDecrypted()) {
    await unlockKey(armored, passphrase);
    return { secretArmored: armored, info: await info(key) };
  }
  try {
    const locked = await lib.encryptKey({ privateKey: key, passphrase, config });
    const secretArmored = locked.armor();
    return { secretArmored, info: await info(locked) };
  } catch (err) {
    fail("could not protect the secret key", err);
  }
}

/** Open a stored secret key with its passphrase. */
export async function unlockKey(armored: string, passphrase: string): Promise<UnlockedKey> {
  const { lib, config } = await load();
  let key: openpgp.PrivateKey;
  try {
    key = await lib.readPrivateKey({ armoredKey: armored, config });
  } catch (err) {
    fail("the stored secret key is unreadable", err);
  }
  try {
    const open = key.isDecrypted() ? key : await lib.decryptKey({ privateKey: key, passphrase, config });
    return { fingerprint: open.getFingerprint().toUpperCase(), key: open };
  } catch {
    throw new CryptoError("wrong passphrase for the secret key", { reason: "passphrase" });
  }
}

async function publicKeys(armored: readonly string[]): Promise<openpgp.Key[]> {
  const out: openpgp.Key[] = [];
  for (const a of armored) out.push(await readPublic(a));
  return out;
}

async function checkSignatures(signatures: readonly { keyID: openpgp.KeyID; verified: Promise<unknown> }[], verifiers: readonly openpgp.Key[]): Promise<SignatureCheck> {
  if (signatures.length === 0) return { status: "none" };
  let unknown: SignatureCheck | undefined;
  for (const sig of signatures) {
    const keyId = sig.keyID.toHex().toUpperCase();
    const signer = verifiers.find((k) => k.getKeyIDs().some((id) => id.equals(sig.keyID)));
    if (!signer) {
      // Swallow the rejection of a signature we cannot check.
      sig.verified.catch(() => {});
      unknown ??= { status: "unknown-key", keyId };
      continue;
    }
    try {
      await sig.verified;
      return { status: "good", fingerprint: signer.getFingerprint().toUpperCase() };
    } catch (err) {
      return { status: "bad", keyId, reason: (err as Error).message };
    }
  }
  return unknown!;
}

/** Encrypt (and sign, when `signer` is given) `text` to every key in `recipients`; armored. */
export async function encryptArmored(text: string, recipients: readonly string[], signer?: UnlockedKey): Promise<string> {
  const { lib, config } = await load();
  try {
    const message = await lib.createMessage({ text });
    return await lib.encrypt({ message, encryptionKeys: await publicKeys(recipients), signingKeys: signer?.key, format: "armored", config });
  } catch (err) {
    fail("encryption failed", err);
  }
}

/** Encrypt (and sign) bytes; the binary OpenPGP message. */
export async function encryptBinary(data: Uint8Array, recipients: readonly string[], signer?: UnlockedKey): Promise<Uint8Array> {
  const { lib, config } = await load();
  try {
    const message = await lib.createMessage({ binary: data });
    return await lib.encrypt({ message, encryptionKeys: await publicKeys(recipients), signingKeys: signer?.key, format: "binary", config });
  } catch (err) {
    fail("encryption failed", err);
  }
}

/** Sign bytes without encrypting them (an OX <sign/> element); the binary OpenPGP message. */
export async function signBinary(data: Uint8Array, signer: UnlockedKey): Promise<Uint8Array> {
  const { lib, config } = await load();
  try {
    const message = await lib.createMessage({ binary: data });
    return await lib.sign({ message, signingKeys: signer.key, format: "binary", config });
  } catch (err) {
    fail("signing failed", err);
  }
}

export interface Decrypted<T> {
  data: T;
  /** Whether the message was encrypted (false: a signed-only message). */
  encrypted: boolean;
  signature: SignatureCheck;
}

/** Decrypt an armored message with `key`, checking signatures against `verifiers` (armored public keys). */
export async function decryptArmored(armored: string, key: UnlockedKey, verifiers: readonly string[]): Promise<Decrypted<string>> {
  const { lib, config } = await load();
  let message: openpgp.Message<string>;
  try {
    message = await lib.readMessage({ armoredMessage: armored, config });
  } catch (err) {
    fail("not an OpenPGP message", err);
  }
  try {
    const keys = await publicKeys(verifiers);
    const r = await lib.decrypt({ message, decryptionKeys: key.key, verificationKeys: keys, config });
    return { data: String(r.data), encrypted: true, signature: await checkSignatures(r.signatures, keys) };
  } catch (err) {
    fail("decryption failed", err);
  }
}

/** Decrypt (or, for a signed-only message, verify) a binary message. */
export async function openBinary(bytes: Uint8Array, key: UnlockedKey | undefined, verifiers: readonly string[]): Promise<Decrypted<Uint8Array>> {
  const { lib, config } = await load();
  let message: openpgp.Message<Uint8Array>;
  try {
    message = await lib.readMessage({ binaryMessage: bytes, config });
  } catch (err) {
    fail("not an OpenPGP message", err);
  }
  const keys = await publicKeys(verifiers);
  const encrypted = message.getEncryptionKeyIDs().length > 0;
  try {
    if (!encrypted) {
      const r = await lib.verify({ message, verificationKeys: keys, format: "binary", config });
      return { data: r.data as Uint8Array, encrypted: false, signature: await checkSignatures(r.signatures, keys) };
    }
    if (!key) throw new CryptoError("no secret key to decrypt with");
    const r = await lib.decrypt({ message, decryptionKeys: key.key, verificationKeys: keys, format: "binary", config });
    return { data: r.data as Uint8Array, encrypted: true, signature: await checkSignatures(r.signatures, keys) };
  } catch (err) {
    fail("decryption failed", err);
  }
}

/** A detached signature over `text` (XEP-0027 signed presence); armored. */
export async function signDetached(text: string, signer: UnlockedKey): Promise<string> {
  const { lib, config } = await load();
  try {
    const message = await lib.createMessage({ text });
    return await lib.sign({ message, signingKeys: signer.key, detached: true, format: "armored", config });
  } catch (err) {
    fail("signing failed", err);
  }
}

/** Check a detached armored signature over `text` against `verifiers`. */
export async function verifyDetached(text: string, armoredSignature: string, verifiers: readonly string[]): Promise<SignatureCheck> {
  const { lib, config } = await load();
  let signature: openpgp.Signature;
  try {
    signature = await lib.readSignature({ armoredSignature, config });
  } catch (err) {
    return { status: "bad", keyId: "", reason: `not an OpenPGP signature: ${(err as Error).message}` };
  }
  const keys = await publicKeys(verifiers);
  const message = await lib.createMessage({ text });
  const r = await lib.verify({ message, signature, verificationKeys: keys, config });
  return checkSignatures(r.signatures, keys);
}

/** The issuer key ids of a detached armored signature (to find a contact's key by id). */
export async function signatureKeyIds(armoredSignature: string): Promise<string[]> {
  const { lib, config } = await load();
  try {
    const s = await lib.readSignature({ armoredSignature, config });
    return Array.from(s.getSigningKeyIDs(), (id) => id.toHex().toUpperCase());
  } catch {
    return [];
  }
}

/** Whether an armored key (public or secret) has this fingerprint or key id among its (sub)keys. */
export async function keyHasId(armored: string, keyId: string): Promise<boolean> {
  const key = await readAnyKey(armored);
  return key.getKeyIDs().some((id) => id.toHex().toUpperCase() === keyId.toUpperCase());
}

/** An armored public key from OX's base64 <data/>, when it has the announced fingerprint. */
export async function publicKeyArmoredFromBinary(base64: string, fingerprint: string): Promise<string | undefined> {
  const clean = base64.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) return undefined;
  const info = await keyInfoBinary(Buffer.from(clean, "base64"));
  if (info.fingerprint !== fingerprint.toUpperCase() || info.version !== 4) return undefined;
  return info.publicArmored;
}

/** The base64 of a public key's binary form (OX <data/>). */
export async function publicKeyBase64(armored: string): Promise<string> {
  return Buffer.from(await publicKeyBinary(armored)).toString("base64");
}
