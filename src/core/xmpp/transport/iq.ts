/**
 * IQ request/response (RFC 6120 §8.2.3). Ids are random UUIDs, and a reply is accepted only from
 * the entity that was asked: for a request without `to` (our own account) that is no `from`, our
 * bare or full JID, or our domain. Anything else is a spoof and is ignored (the request then
 * times out rather than resolve with forged data). Incoming get/set requests nobody handles are
 * answered with service-unavailable, as the RFC requires.
 */
import { randomUUID } from "node:crypto";

import { StanzaError, TimeoutError } from "../../errors.js";
import { bareJid, domainOf, normalizeJid, tryParseJid } from "../../jid.js";
import { xml, type XmlElement } from "./xml.js";

export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

interface Pending {
  to: string | undefined;
  resolve(el: XmlElement): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

export type IqHandler = (iq: XmlElement, child: XmlElement) => XmlElement | undefined | null | Promise<XmlElement | undefined | null>;

function norm(j: string | undefined): string | undefined {
  if (j === undefined || j === "") return undefined;
  return tryParseJid(j) ? normalizeJid(j) : j;
}

export function stanzaErrorFrom(el: XmlElement): StanzaError {
  const error = el.getChild("error");
  const condition = error?.getChildElements().find((c) => c.getNS() === NS_STANZAS && c.name !== "text")?.name ?? "undefined-condition";
  return new StanzaError(condition, error?.getChildText("text", NS_STANZAS) ?? undefined, error?.attrs.type);
}

export function errorReply(iq: XmlElement, condition: string, type = "cancel", text?: string): XmlElement {
  return xml(
    "iq",
    { type: "error", id: iq.attrs.id, to: iq.attrs.from },
    xml("error", { type }, xml(condition, { xmlns: NS_STANZAS }), text ? xml("text", { xmlns: NS_STANZAS }, text) : undefined),
  );
}

export class IqTracker {
  readonly #pending = new Map<string, Pending>();
  readonly #handlers = new Map<string, IqHandler>();

  constructor(
    private readonly send: (el: XmlElement) => Promise<void>,
    private readonly ownJid: () => string | undefined,
    private readonly defaultTimeout: number,
    /** Handlers registered outside this session (engine-wide features), consulted second. */
    private readonly lookup?: (name: string, xmlns: string) => IqHandler | undefined,
  ) {}

  /** Send an IQ and wait for its verified reply; an error reply rejects with a StanzaError. */
  async request(type: "get" | "set", child: XmlElement, to?: string, timeout = this.defaultTimeout): Promise<XmlElement> {
    const id = randomUUID();
    const stanza = xml("iq", { type, id, to }, child);
    const result = new Promise<XmlElement>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new TimeoutError(`no reply to ${child.name} (${child.attrs.xmlns ?? ""}) from ${to ?? "the server"} within ${timeout} ms`));
      }, timeout);
      this.#pending.set(id, { to: norm(to), resolve, reject, timer });
    });
    // The reply can arrive before the write's callback on loopback: mark the promise handled now,
    // or a quick error reply would be reported as an unhandled rejection (the caller awaits it below).
    result.catch(() => {});
    try {
      await this.send(stanza);
    } catch (err) {
      const p = this.#pending.get(id);
      if (p) {
        clearTimeout(p.timer);
        this.#pending.delete(id);
      }
      throw err;
    }
    return result;
  }

  /** The shape @xmpp/resource-binding expects: resolves with the reply's child. */
  async set(child: XmlElement, to?: string): Promise<XmlElement> {
    const reply = await this.request("set", child, to);
    return reply.getChild(child.name, child.attrs.xmlns) as XmlElement;
  }

  async get(child: XmlElement, to?: string): Promise<XmlElement> {
    const reply = await this.request("get", child, to);
    return reply.getChild(child.name, child.attrs.xmlns) as XmlElement;
  }

  handle(name: string, xmlns: string, handler: IqHandler): void {
    this.#handlers.set(`${xmlns} ${name}`, handler);
  }

  /** Is `from` the entity we addressed (`to`)? */
  #fromExpected(from: string | undefined, to: string | undefined): boolean {
    const f = norm(from);
    if (to === undefined) {
      if (f === undefined) return true;
      const own = this.ownJid();
      if (!own) return false;
      return f === normalizeJid(bareJid(own)) || f === normalizeJid(own) || f === domainOf(own);
    }
    if (f === to) return true;
    // A reply to a request sent to our own bare JID may come without a from.
    const own = this.ownJid();
    return f === undefined && own !== undefined && to === normalizeJid(bareJid(own));
  }

  /** Route an incoming IQ. Returns true when it was consumed (a reply, or a request we answered). */
  async incoming(iq: XmlElement): Promise<XmlElement | null | "ignored" | "consumed"> {
    const { type, id } = iq.attrs;
    if (type === "result" || type === "error") {
      const p = id ? this.#pending.get(id) : undefined;
      if (!p || !this.#fromExpected(iq.attrs.from, p.to)) return "ignored";
      clearTimeout(p.timer);
      this.#pending.delete(id!);
      if (type === "result") p.resolve(iq);
      else p.reject(stanzaErrorFrom(iq));
      return "consumed";
    }
    if (type !== "get" && type !== "set") return errorReply(iq, "bad-request", "modify");
    const children = iq.getChildElements();
    if (children.length !== 1) return errorReply(iq, "bad-request", "modify");
    const child = children[0]!;
    const handler = this.#handlers.get(`${child.attrs.xmlns ?? ""} ${child.name}`) ?? this.lookup?.(child.name, child.attrs.xmlns ?? "");
    if (!handler) return errorReply(iq, "service-unavailable");
    try {
      const result = await handler(iq, child);
      return xml("iq", { type: "result", id, to: iq.attrs.from }, result ?? undefined);
    } catch (err) {
      if (err instanceof StanzaError) return errorReply(iq, err.condition, String(err.detail.type ?? "cancel"), err.detail.text as string | undefined);
      return errorReply(iq, "internal-server-error", "wait");
    }
  }

  /** Fail every outstanding request (the stream is gone). */
  rejectAll(err: unknown): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.#pending.delete(id);
    }
  }
}
