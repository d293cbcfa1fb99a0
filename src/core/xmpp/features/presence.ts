/** Own presence and priorities, contacts' resources, entity info (caps, version, time, last). */
import { parsePresence } from "../../messaging/stanzas.js";
import { xml } from "../transport/xml.js";
import type { FeatureContext } from "./types.js";

export function installPresence(ctx: FeatureContext): void {
  // Initial presence (RFC 6121 §4.2) with the account's priority and our caps.
  ctx.onSessionStart(100, "initial presence", async (account) => {
    await account.send(xml("presence", {}, xml("priority", {}, String(account.settings.priority)), ctx.disco.capsElement()));
  });
  ctx.engine.on("stanza", ({ account, stanza }) => {
    if (stanza.name !== "presence") return;
    const p = parsePresence(account, stanza);
    if (p) ctx.publish("presence", { ...p });
  });
}
