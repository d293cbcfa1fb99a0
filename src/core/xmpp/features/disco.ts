/**
 * What this client is and can do: service discovery (XEP-0030) answers and the entity
 * capabilities hash (XEP-0115) that presence carries. Features register what they support here;
 * the hash changes with them, so contacts' clients re-query.
 */
import { createHash } from "node:crypto";

import { xml, type XmlElement } from "../transport/xml.js";

export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
export const NS_CAPS = "http://jabber.org/protocol/caps";
export const CAPS_NODE = "https://jabterm.invalid/caps";

export interface Identity {
  category: string;
  type: string;
  name: string;
  lang?: string;
}

/** XEP-0115 §5.1 verification string, SHA-1, base64. */
export function capsHash(identities: readonly Identity[], features: readonly string[]): string {
  const ids = identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ""}/${i.name}`).sort();
  const feats = [...new Set(features)].sort();
  const s = [...ids, ...feats].map((x) => `${x}<`).join("");
  return createHash("sha1").update(s, "utf8").digest("base64");
}

export class DiscoRegistry {
  readonly identity: Identity = { category: "client", type: "console", name: "jabterm" };
  readonly #features = new Set<string>([NS_DISCO_INFO, NS_CAPS]);
  #ver: string | undefined;

  add(...namespaces: string[]): void {
    for (const ns of namespaces) this.#features.add(ns);
    this.#ver = undefined;
  }

  features(): string[] {
    return [...this.#features].sort();
  }

  get ver(): string {
    return (this.#ver ??= capsHash([this.identity], this.features()));
  }

  /** The <c/> element for presence. */
  capsElement(): XmlElement {
    return xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: CAPS_NODE, ver: this.ver });
  }

  /** The disco#info result for a query (with or without our caps node). Unknown node: undefined. */
  infoResult(node: string | undefined): XmlElement | undefined {
    if (node !== undefined && node !== `${CAPS_NODE}#${this.ver}`) return undefined;
    return xml(
      "query",
      { xmlns: NS_DISCO_INFO, node },
      xml("identity", { category: this.identity.category, type: this.identity.type, name: this.identity.name }),
      this.features().map((f) => xml("feature", { var: f })),
    );
  }
}
