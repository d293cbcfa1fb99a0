/** Every protocol feature, installed once per client, in this order. */
import type { FeatureContext } from "./types.js";
import { installChat } from "./chat.js";
import { installDisco } from "./discovery.js";
import { installMuc } from "./muc.js";
import { installBookmarks } from "./muc-bookmarks.js";
import { installPresence } from "./presence.js";
import { installRoster } from "./roster.js";

export function installFeatures(ctx: FeatureContext): void {
  installDisco(ctx);
  installRoster(ctx);
  installPresence(ctx);
  installChat(ctx);
  installMuc(ctx);
  installBookmarks(ctx);
}
