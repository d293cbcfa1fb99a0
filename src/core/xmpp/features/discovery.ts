/** Answers disco#info (XEP-0030) for the account and for our caps node (XEP-0115). */
import { StanzaError } from "../../errors.js";
import { NS_DISCO_INFO } from "./disco.js";
import type { FeatureContext } from "./types.js";

export function installDisco(ctx: FeatureContext): void {
  ctx.engine.handleIq("query", NS_DISCO_INFO, (_account, iq, child) => {
    if (iq.attrs.type !== "get") throw new StanzaError("bad-request", undefined, "modify");
    const result = ctx.disco.infoResult(child.attrs.node);
    if (!result) throw new StanzaError("item-not-found", undefined, "cancel");
    return result;
  });
}
