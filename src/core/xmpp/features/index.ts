/** Every protocol feature, installed once per client, in this order. */
import type { FeatureContext } from "./types.js";
import { installArchive } from "./archive.js";
import { installChat } from "./chat.js";
import { installDisco } from "./discovery.js";
import { installPgp } from "./pgp.js";
import { installMuc } from "./muc.js";
import { installPing } from "./ping.js";
import { installBookmarks } from "./muc-bookmarks.js";
import { installPresence } from "./presence.js";
import { installRoster } from "./roster.js";

export function installFeatures(ctx: FeatureContext): void {
  installDisco(ctx);
  installRoster(ctx);
  installPresence(ctx);
  installChat(ctx);
  installPgp(ctx);
  installArchive(ctx);
  installMuc(ctx);
  installBookmarks(ctx);
  installPing(ctx);
}
