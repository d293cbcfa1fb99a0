/**
 * Open tabs survive a restart, with their unread counts: kept in the data dir (ui-tabs.json,
 * 0600). The core store's conversations start empty after a restart, so a tab's saved unread
 * count comes back as `carried` and shows in the tab bar until the tab is read.
 */
import fs from "node:fs";
import path from "node:path";

import type { Tab } from "./ui-store.js";

const FILE = "ui-tabs.json";

function count(v: unknown): number | undefined {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/** Tabs as saved: chat tabs come back with their unread count carried over. */
export function loadTabs(dataDir: string | undefined): Tab[] {
  if (!dataDir) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(dataDir, FILE), "utf8"));
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const tabs: Tab[] = [];
  for (const t of raw as Record<string, unknown>[]) {
    if (typeof t !== "object" || t === null || typeof t.id !== "string" || typeof t.account !== "string") continue;
    if (t.kind === "xml") tabs.push({ kind: "xml", id: t.id, account: t.account });
    else if (t.kind === "chat" && typeof t.peer === "string") {
      const unread = count(t.unread);
      tabs.push(unread ? { kind: "chat", id: t.id, account: t.account, peer: t.peer, unread, carried: unread } : { kind: "chat", id: t.id, account: t.account, peer: t.peer });
    }
  }
  return tabs;
}

export function saveTabs(dataDir: string | undefined, tabs: readonly Tab[]): void {
  if (!dataDir) return;
  const saved: Record<string, unknown>[] = [];
  for (const t of tabs) {
    if (t.kind === "chat") saved.push({ kind: t.kind, id: t.id, account: t.account, peer: t.peer, ...(t.unread ? { unread: t.unread } : {}) });
    else if (t.kind === "xml") saved.push({ kind: t.kind, id: t.id, account: t.account });
  }
  try {
    fs.writeFileSync(path.join(dataDir, FILE), JSON.stringify(saved), { mode: 0o600 });
  } catch {
    // best effort
  }
}
