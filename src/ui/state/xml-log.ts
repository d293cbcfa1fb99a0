/**
 * What the XML console tabs show: per account, the last XML_LOG_LIMIT stanzas (credentials already
 * redacted by the client). It listens to the client's `xml` event only while `watch` holds at
 * least one account (an XML tab is open), so the core serialises and redacts nothing otherwise.
 * Subscribers are told at most once per tick, so a flood of stanzas costs one redraw.
 */
import type { JabtermClient, XmlTraffic } from "../../core/client.js";

export const XML_LOG_LIMIT = 2000;

export interface XmlEntry {
  id: number;
  time: string;
  direction: "in" | "out";
  text: string;
}

export interface XmlLog {
  /** Entries of one account, oldest first (a new array after every change). */
  entries(account: string): readonly XmlEntry[];
  /** Record traffic for exactly these accounts (an empty list detaches from the client). */
  watch(accounts: readonly string[]): void;
  subscribe(listener: () => void): () => void;
  /** Detach from the client. */
  close(): void;
}

export function createXmlLog(client: JabtermClient, limit = XML_LOG_LIMIT): XmlLog {
  const logs = new Map<string, XmlEntry[]>();
  const listeners = new Set<() => void>();
  let watched = new Set<string>();
  let attached = false;
  let nextId = 1;
  let scheduled = false;
  const EMPTY: readonly XmlEntry[] = [];

  const notify = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      for (const l of [...listeners]) l();
    });
  };
  const onXml = (t: XmlTraffic): void => {
    if (!watched.has(t.account)) return;
    const prev = logs.get(t.account) ?? [];
    const entry: XmlEntry = { id: nextId++, time: new Date().toISOString(), direction: t.direction, text: t.text };
    logs.set(t.account, prev.length >= limit ? [...prev.slice(prev.length - limit + 1), entry] : [...prev, entry]);
    notify();
  };
  const attach = (on: boolean): void => {
    if (on === attached) return;
    attached = on;
    if (on) client.on("xml", onXml);
    else client.off("xml", onXml);
  };

  return {
    entries: (account) => logs.get(account) ?? EMPTY,
    watch(accounts) {
      watched = new Set(accounts);
      for (const a of [...logs.keys()]) if (!watched.has(a)) logs.delete(a);
      attach(watched.size > 0);
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    close() {
      attach(false);
      listeners.clear();
    },
  };
}
