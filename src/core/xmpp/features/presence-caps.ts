/**
 * Entity capabilities of others (XEP-0115 §5.4): verify a disco#info answer against the `ver` it
 * was fetched for, and only then cache it by ver — in memory, and in `<dataDir>/caps.json` when a
 * data dir is set. An answer that does not verify is never cached (caps poisoning).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import type { XmlElement } from "../transport/xml.js";

const NS_DATA = "jabber:x:data";

/** IANA hash names (XEP-0115 §5.1) → node:crypto names. */
const HASHES: Record<string, string> = {
  "sha-1": "sha1",
  "sha-224": "sha224",
  "sha-256": "sha256",
  "sha-384": "sha384",
  "sha-512": "sha512",
  md5: "md5",
};

export function supportedCapsHash(hash: string): boolean {
  return hash.toLowerCase() in HASHES;
}

export interface DiscoIdentity {
  category: string;
  type: string;
  lang: string;
  name: string;
}

export interface DiscoForm {
  formType: string;
  /** var → values (FORM_TYPE excluded). */
  fields: Record<string, string[]>;
}

export interface DiscoInfo {
  identities: DiscoIdentity[];
  features: string[];
  forms: DiscoForm[];
}

export interface ClientInfo {
  name: string;
  version?: string;
  os?: string;
}

/** What the cache keeps for a verified ver. */
export interface CapsEntry {
  hash: string;
  identities: DiscoIdentity[];
  features: string[];
  client?: ClientInfo;
  /** When it was verified (ISO). */
  verified: string;
}

/** i;octet ordering (RFC 4790): compare the UTF-8 bytes. */
function octetCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

type Parsed = { ok: true; info: DiscoInfo } | { ok: false; reason: string };

/** Read a disco#info <query/> the way §5.4 says, rejecting what must not be accepted. */
export function parseDiscoInfo(query: XmlElement): Parsed {
  const identities: DiscoIdentity[] = [];
  const seenIds = new Set<string>();
  for (const el of query.getChildren("identity")) {
    const id: DiscoIdentity = { category: el.attrs.category ?? "", type: el.attrs.type ?? "", lang: el.attrs["xml:lang"] ?? "", name: el.attrs.name ?? "" };
    const key = `${id.category}/${id.type}/${id.lang}/${id.name}`;
    if (seenIds.has(key)) return { ok: false, reason: `duplicate identity ${key}` };
    seenIds.add(key);
    identities.push(id);
  }
  const features: string[] = [];
  const seenFeatures = new Set<string>();
  for (const el of query.getChildren("feature")) {
    const v = el.attrs.var ?? "";
    if (seenFeatures.has(v)) return { ok: false, reason: `duplicate feature ${v}` };
    seenFeatures.add(v);
    features.push(v);
  }
  const forms: DiscoForm[] = [];
  const seenTypes = new Set<string>();
  for (const x of query.getChildren("x", NS_DATA)) {
    const fieldEls = x.getChildren("field");
    const ft = fieldEls.find((f) => f.attrs.var === "FORM_TYPE");
    if (!ft) continue; // no FORM_TYPE: ignored
    const ftValues = ft.getChildren("value").map((v) => v.getText());
    if (ftValues.length !== 1) return { ok: false, reason: "FORM_TYPE with more than one value" };
    if (ft.attrs.type !== "hidden") continue; // not hidden: ignored, processing goes on
    const formType = ftValues[0]!;
    if (seenTypes.has(formType)) return { ok: false, reason: `two forms of type ${formType}` };
    seenTypes.add(formType);
    const fields: Record<string, string[]> = {};
    for (const f of fieldEls) {
      if (f === ft || f.attrs.var === undefined) continue;
      fields[f.attrs.var] = f.getChildren("value").map((v) => v.getText());
    }
    forms.push({ formType, fields });
  }
  return { ok: true, info: { identities, features, forms } };
}

/** The verification string of XEP-0115 §5.1, hashed with `hash` and base64-encoded. */
export function capsVer(info: DiscoInfo, hash: string): string {
  const algo = HASHES[hash.toLowerCase()];
  if (!algo) throw new Error(`unsupported caps hash ${hash}`);
  let s = "";
  const ids = [...info.identities].sort((a, b) => octetCompare(a.category, b.category) || octetCompare(a.type, b.type) || octetCompare(a.lang, b.lang) || octetCompare(a.name, b.name));
  for (const i of ids) s += `${i.category}/${i.type}/${i.lang}/${i.name}<`;
  for (const f of [...info.features].sort(octetCompare)) s += `${f}<`;
  for (const form of [...info.forms].sort((a, b) => octetCompare(a.formType, b.formType))) {
    s += `${form.formType}<`;
    for (const v of Object.keys(form.fields).sort(octetCompare)) {
      s += `${v}<`;
      for (const value of [...form.fields[v]!].sort(octetCompare)) s += `${value}<`;
    }
  }
  return createHash(algo).update(s, "utf8").digest("base64");
}

export type Verified = { ok: true; info: DiscoInfo } | { ok: false; reason: string };

/** Does this disco#info answer hash to `ver`? */
export function verifyCaps(query: XmlElement, hash: string, ver: string): Verified {
  if (!supportedCapsHash(hash)) return { ok: false, reason: `unsupported hash ${hash}` };
  const parsed = parseDiscoInfo(query);
  if (!parsed.ok) return parsed;
  const computed = capsVer(parsed.info, hash);
  if (computed !== ver) return { ok: false, reason: `hash mismatch: advertised ${ver}, computed ${computed}` };
  return parsed;
}

/**
 * The client software a disco#info answer names: the XEP-0232 software-info form when present,
 * else the name of a `client` identity, else of any identity.
 */
export function clientFromInfo(info: DiscoInfo): ClientInfo | undefined {
  const sw = info.forms.find((f) => f.formType === "urn:xmpp:dataforms:softwareinfo");
  const swName = sw?.fields.software?.[0];
  if (swName) {
    const out: ClientInfo = { name: swName };
    const v = sw.fields.software_version?.[0];
    if (v) out.version = v;
    const os = sw.fields.os?.[0];
    if (os) out.os = [os, sw.fields.os_version?.[0]].filter(Boolean).join(" ");
    return out;
  }
  const named = info.identities.filter((i) => i.name !== "");
  const id = named.find((i) => i.category === "client" && (i.lang === "" || i.lang.startsWith("en"))) ?? named.find((i) => i.category === "client") ?? named[0];
  return id ? { name: id.name } : undefined;
}

/** Verified caps by `<hash> <ver>`, kept in memory and (optionally) in a JSON file. */
export class CapsCache {
  readonly #file: string | undefined;
  readonly #max: number;
  #entries: Map<string, CapsEntry> | undefined;

  constructor(opts: { file?: string; max?: number } = {}) {
    this.#file = opts.file;
    this.#max = opts.max ?? 1000;
  }

  static key(hash: string, ver: string): string {
    return `${hash.toLowerCase()} ${ver}`;
  }

  #load(): Map<string, CapsEntry> {
    if (this.#entries) return this.#entries;
    this.#entries = new Map();
    if (!this.#file) return this.#entries;
    try {
      const data = JSON.parse(fs.readFileSync(this.#file, "utf8")) as { version?: number; entries?: Record<string, CapsEntry> };
      for (const [k, v] of Object.entries(data.entries ?? {})) {
        if (v && typeof v === "object" && Array.isArray(v.identities) && Array.isArray(v.features)) this.#entries.set(k, v);
      }
    } catch {
      // missing or unreadable: start empty (it is only a cache)
    }
    return this.#entries;
  }

  get(hash: string, ver: string): CapsEntry | undefined {
    return this.#load().get(CapsCache.key(hash, ver));
  }

  get size(): number {
    return this.#load().size;
  }

  /** Store a VERIFIED entry (callers verify first). */
  set(ver: string, entry: CapsEntry): void {
    const entries = this.#load();
    const key = CapsCache.key(entry.hash, ver);
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > this.#max) entries.delete(entries.keys().next().value!);
    this.#save();
  }

  #save(): void {
    if (!this.#file) return;
    try {
      fs.mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 });
      const tmp = `${this.#file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ version: 1, entries: Object.fromEntries(this.#entries ?? []) }), { mode: 0o600 });
      fs.renameSync(tmp, this.#file);
    } catch {
      // a cache that cannot be written is still a cache in memory
    }
  }
}
