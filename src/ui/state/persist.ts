/** Open tabs survive a restart: kept in the data dir (0600). */
import fs from "node:fs";
import path from "node:path";

import type { Tab } from "./ui-store.js";

const FILE = "ui-tabs.json";

export function loadTabs(dataDir: string | undefined): Tab[] {
  if (!dataDir) return [];
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dataDir, FILE), "utf8")) as unknown;
    if (!Array.isArray(raw)) return [];
    return raw.filter((t): t is Tab => typeof t === "object" && t !== null && (t.kind === "chat" || t.kind === "xml") && typeof t.id === "string" && typeof t.account === "string");
  } catch {
    return [];
  }
}

export function saveTabs(dataDir: string | undefined, tabs: readonly Tab[]): void {
  if (!dataDir) return;
  try {
    fs.writeFileSync(path.join(dataDir, FILE), JSON.stringify(tabs.filter((t) => t.kind !== "console")), { mode: 0o600 });
  } catch {
    // best effort
  }
}
