/** Roster (RFC 6121), subscriptions, nicknames (XEP-0172) and blocking (XEP-0191). */
import type { FeatureContext } from "./types.js";

export function installRoster(ctx: FeatureContext): void {
  void ctx;
}
