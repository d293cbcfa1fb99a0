/**
 * Entity information, both ways: we answer software version (XEP-0092), entity time (XEP-0202)
 * and last activity (XEP-0012, our idle time), each behind its privacy switch, and we ask
 * contacts' resources for their version and last activity.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { StanzaError } from "../../errors.js";
import type { Account } from "../account.js";
import { xml, type XmlElement } from "../transport/xml.js";
import type { FeatureContext } from "./types.js";

export const NS_VERSION = "jabber:iq:version";
export const NS_TIME = "urn:xmpp:time";
export const NS_LAST = "jabber:iq:last";

let cachedVersion: string | undefined;

/** jabterm's version: the `version` of the nearest package.json named jabterm above this module. */
export function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "jabterm" && pkg.version) return (cachedVersion = pkg.version);
    } catch {
      // keep looking upwards
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return (cachedVersion = "unknown");
}

/** XEP-0082 time zone offset of this machine: "+02:00", "Z" never (XEP-0202 wants ±hh:mm). */
export function tzo(date: Date = new Date()): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** XEP-0082 DateTime in UTC, whole seconds. */
export function xmppDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function requireGet(iq: XmlElement): void {
  if (iq.attrs.type !== "get") throw new StanzaError("bad-request", undefined, "modify");
}

/** Answer version, time and last activity on every account; `idleMs()` is our current idle time. */
export function installInfoResponders(ctx: FeatureContext, idleMs: () => number): void {
  ctx.disco.add(NS_VERSION, NS_TIME, NS_LAST);

  ctx.engine.handleIq("query", NS_VERSION, (_account, iq) => {
    requireGet(iq);
    const s = ctx.settings();
    if (!s.answer_version) throw new StanzaError("service-unavailable", undefined, "cancel");
    return xml(
      "query",
      { xmlns: NS_VERSION },
      xml("name", {}, "jabterm"),
      xml("version", {}, packageVersion()),
      s.version_reveals_os ? xml("os", {}, `${os.type()} ${os.release()}`) : undefined,
    );
  });

  ctx.engine.handleIq("time", NS_TIME, (_account, iq) => {
    requireGet(iq);
    const now = new Date();
    return xml("time", { xmlns: NS_TIME }, xml("tzo", {}, tzo(now)), xml("utc", {}, xmppDateTime(now.getTime())));
  });

  ctx.engine.handleIq("query", NS_LAST, (_account, iq) => {
    requireGet(iq);
    if (!ctx.settings().answer_last_activity) throw new StanzaError("service-unavailable", undefined, "cancel");
    return xml("query", { xmlns: NS_LAST, seconds: String(Math.max(0, Math.floor(idleMs() / 1000))) });
  });
}

// ---------------------------------------------------------------------------------------------
// Asking others

export interface VersionInfo {
  name: string;
  version?: string;
  os?: string;
}

export async function queryVersion(account: Account, to: string, timeout: number): Promise<VersionInfo> {
  const reply = await account.request("get", xml("query", { xmlns: NS_VERSION }), to, timeout);
  const q = reply.getChild("query", NS_VERSION);
  const name = q?.getChildText("name");
  if (!q || !name) throw new StanzaError("undefined-condition", "the version answer names no software", "cancel");
  const out: VersionInfo = { name };
  const version = q.getChildText("version");
  if (version) out.version = version;
  const o = q.getChildText("os");
  if (o) out.os = o;
  return out;
}

/** Seconds since the entity's last activity (for an online resource: its idle time). */
export async function queryLast(account: Account, to: string, timeout: number): Promise<{ seconds: number; status?: string }> {
  const reply = await account.request("get", xml("query", { xmlns: NS_LAST }), to, timeout);
  const q = reply.getChild("query", NS_LAST);
  const seconds = Number(q?.attrs.seconds);
  if (!q || !Number.isFinite(seconds) || seconds < 0) throw new StanzaError("undefined-condition", "the last activity answer has no seconds", "cancel");
  const status = q.getText();
  return status ? { seconds, status } : { seconds };
}
