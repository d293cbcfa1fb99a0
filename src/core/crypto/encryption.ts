/**
 * End-to-end encryption as a strategy (ARCHITECTURE.md pattern 9): the messaging core asks, per
 * conversation, which scheme (if any) applies, and hands bodies to it; it never has one send or
 * receive function per scheme. Schemes register here (OpenPGP: OX, XEP-0373/0374, preferred; and
 * legacy XEP-0027); the policy per conversation is `on` (never send plaintext), `off` or `auto`
 * (encrypt when the contact has a usable key).
 */
import { EventEmitter } from "node:events";

import { JabtermError } from "../errors.js";
import type { XmlElement } from "../xmpp/transport/xml.js";

export const ENCRYPTION_SCHEMES = ["ox", "pgp"] as const;
export type EncryptionScheme = (typeof ENCRYPTION_SCHEMES)[number];
export type Verification = "verified" | "unverified" | "unsigned" | "bad";
export const ENCRYPTION_POLICIES = ["on", "off", "auto"] as const;
export type EncryptionPolicy = (typeof ENCRYPTION_POLICIES)[number];
export type OxKind = "signcrypt" | "crypt" | "sign";

/** What goes on the wire for one encrypted message (the scheme knows how to wrap it). */
export interface Ciphertext {
  scheme: EncryptionScheme;
  data: string;
}

/** An incoming encrypted (or OX-signed) message, opened. */
export interface OpenedMessage {
  scheme: EncryptionScheme;
  /** The decrypted text; undefined when it could not be decrypted or was refused. */
  body?: string;
  verified: Verification;
  oxKind?: OxKind;
  /** Why it is not verified, why it was refused, or a warning (replayed ciphertext ...). */
  note?: string;
  /** The signer's fingerprint when the signature is good. */
  signer?: string;
}

export interface ReceiveInfo {
  /** The sender's full JID as the server stamped it. */
  from: string;
  /** Who it must be addressed to: our own JID, or the peer for a sent carbon of ours. */
  own: string;
  /** The message's stanza id (a repeated ciphertext under another id is a replay). */
  id?: string;
  /** XEP-0203 delay stamp (ISO), for the plausibility of OX timestamps. */
  delay?: string;
}

export interface EncryptionStrategy {
  readonly scheme: EncryptionScheme;
  /** true when a message to `peer` can be encrypted now, else why not. */
  canEncrypt(account: string, peer: string): Promise<true | string>;
  /** Encrypt `body` for `peer` (and our own key, so our other devices can read it). */
  encrypt(account: string, peer: string, body: string): Promise<Ciphertext>;
  /** Whether the stanza carries this scheme's payload. */
  detect(stanza: XmlElement): boolean;
  /** Open the payload; never throws for bad input (the result says what went wrong). */
  decrypt(account: string, stanza: XmlElement, info: ReceiveInfo): Promise<OpenedMessage>;
  /** Own and contact fingerprints. */
  fingerprints(account: string, peer: string): Promise<{ own?: string; peer?: string; trusted: boolean }>;
  /** Confirm a contact's fingerprint. */
  trust(account: string, peer: string, fingerprint: string): Promise<void>;
}

/** A message refused because it could not be encrypted (detail `refused: true`: nothing was sent). */
export class EncryptionRequiredError extends JabtermError {
  constructor(message: string, detail: Record<string, unknown> = {}) {
    super("crypto", message, { ...detail, refused: true });
    this.name = "EncryptionRequiredError";
  }
}

export interface PolicyStore {
  get(account: string, peer: string): EncryptionPolicy | undefined;
  set(account: string, peer: string, policy: EncryptionPolicy): void;
}

export class EncryptionRegistry extends EventEmitter<{ policy: [{ account: string; peer: string; policy: EncryptionPolicy }] }> {
  readonly #strategies: EncryptionStrategy[] = [];
  #policies: PolicyStore;
  readonly #memory = new Map<string, EncryptionPolicy>();

  constructor() {
    super();
    this.#policies = {
      get: (a, p) => this.#memory.get(`${a}\n${p}`),
      set: (a, p, v) => void this.#memory.set(`${a}\n${p}`, v),
    };
  }

  /** Strategies in order of preference. */
  register(strategy: EncryptionStrategy): void {
    this.#strategies.push(strategy);
    this.#strategies.sort((a, b) => ENCRYPTION_SCHEMES.indexOf(a.scheme) - ENCRYPTION_SCHEMES.indexOf(b.scheme));
  }

  setPolicyStore(store: PolicyStore): void {
    this.#policies = store;
  }

  strategies(): readonly EncryptionStrategy[] {
    return this.#strategies;
  }

  get(scheme: EncryptionScheme): EncryptionStrategy | undefined {
    return this.#strategies.find((s) => s.scheme === scheme);
  }

  /** The conversation's policy (default off). */
  policy(account: string, peer: string): EncryptionPolicy {
    return this.#policies.get(account, peer) ?? "off";
  }

  setPolicy(account: string, peer: string, policy: EncryptionPolicy): void {
    this.#policies.set(account, peer, policy);
    this.emit("policy", { account, peer, policy });
  }

  /**
   * The scheme a message to `peer` goes out with: the first strategy that can encrypt, or, when
   * none can, undefined with every reason. Asked only when the policy is not off.
   */
  async choose(account: string, peer: string): Promise<{ strategy: EncryptionStrategy } | { reasons: string[] }> {
    const reasons: string[] = [];
    for (const s of this.#strategies) {
      const ok = await s.canEncrypt(account, peer);
      if (ok === true) return { strategy: s };
      reasons.push(`${s.scheme}: ${ok}`);
    }
    if (this.#strategies.length === 0) reasons.push("no encryption scheme is available");
    return { reasons };
  }

  /** The strategy whose payload this stanza carries (OX before XEP-0027). */
  detect(stanza: XmlElement): EncryptionStrategy | undefined {
    return this.#strategies.find((s) => s.detect(stanza));
  }
}
