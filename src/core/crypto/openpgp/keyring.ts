/**
 * One account's OpenPGP keys at rest: its own secret key (always passphrase-protected, 0600, in a
 * 0700 directory under the data dir) and what it knows of its contacts' keys (fingerprint, the
 * armored public key, where it came from, whether the user confirmed it) plus the per-conversation
 * encryption policy. Without a data dir everything lives in memory.
 */
import fs from "node:fs";
import path from "node:path";

import type { EncryptionPolicy } from "../encryption.js";

export type KeySource = "manual" | "presence" | "ox";

export interface ContactKey {
  fingerprint: string;
  /** Armored public key (absent when only the fingerprint was set by hand and no key is known yet). */
  key?: string;
  source: KeySource;
  /** The user confirmed this fingerprint (/pgp trust, or /pgp setkey). */
  trusted: boolean;
  /** The contact publishes it through OX (PEP). */
  ox?: boolean;
  /** A key this contact used before (kept when a new one appeared). */
  previous?: string;
}

interface StateFile {
  contacts: Record<string, ContactKey>;
  policy: Record<string, EncryptionPolicy>;
  /** Public keys imported without a contact (found later by key id, e.g. from a signed presence). */
  pool: string[];
}

const SECRET = "secret.asc";
const STATE = "state.json";

function safeName(jid: string): string {
  return encodeURIComponent(jid.toLowerCase()).replace(/%/g, "_");
}

export class Keyring {
  readonly dir: string | undefined;
  readonly jid: string;
  #secret: string | undefined;
  #state: StateFile = { contacts: {}, policy: {}, pool: [] };

  constructor(dataDir: string | undefined, accountJid: string) {
    this.jid = accountJid;
    this.dir = dataDir ? path.join(dataDir, "pgp", safeName(accountJid)) : undefined;
    if (!this.dir) return;
    try {
      this.#secret = fs.readFileSync(path.join(this.dir, SECRET), "utf8");
    } catch {
      this.#secret = undefined;
    }
    try {
      const raw = JSON.parse(fs.readFileSync(path.join(this.dir, STATE), "utf8")) as Partial<StateFile>;
      this.#state = { contacts: raw.contacts ?? {}, policy: raw.policy ?? {}, pool: raw.pool ?? [] };
    } catch {
      // none yet (or unreadable: start empty, the file is rewritten on the next change)
    }
  }

  #write(name: string, text: string): void {
    if (!this.dir) return;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(path.dirname(this.dir), 0o700);
    fs.chmodSync(this.dir, 0o700);
    const file = path.join(this.dir, name);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  }

  #save(): void {
    this.#write(STATE, JSON.stringify(this.#state, null, 1));
  }

  get secretArmored(): string | undefined {
    return this.#secret;
  }

  /** Store the own secret key (already passphrase-protected). */
  setSecret(armored: string): void {
    this.#secret = armored;
    this.#write(SECRET, armored);
  }

  contact(peer: string): ContactKey | undefined {
    return this.#state.contacts[peer];
  }

  contacts(): Record<string, ContactKey> {
    return { ...this.#state.contacts };
  }

  setContact(peer: string, c: ContactKey | undefined): void {
    if (c) this.#state.contacts[peer] = c;
    else delete this.#state.contacts[peer];
    this.#save();
  }

  policy(peer: string): EncryptionPolicy | undefined {
    return this.#state.policy[peer];
  }

  policies(): Record<string, EncryptionPolicy> {
    return { ...this.#state.policy };
  }

  setPolicy(peer: string, p: EncryptionPolicy): void {
    this.#state.policy[peer] = p;
    this.#save();
  }

  pool(): readonly string[] {
    return this.#state.pool;
  }

  addToPool(armored: string): void {
    if (!this.#state.pool.includes(armored)) this.#state.pool.push(armored);
    this.#save();
  }
}
