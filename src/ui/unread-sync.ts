/**
 * Keeps each chat tab's unread count (shown in the tab bar, saved with the tabs) in step with the
 * store: the conversation's unread count in this run plus what was carried over from the last
 * run. A message of ours in the conversation (typed here, or a carbon from another device) means
 * it was read: the carried-over count goes.
 */
import type { JabtermClient } from "../core/client.js";
import type { State } from "../core/store/types.js";
import type { UiState, UiStore } from "./state/ui-store.js";

export function unreadAction(state: State, ui: UiState): { type: "unread"; live: Record<string, number>; replied: string[] } {
  const live: Record<string, number> = {};
  const replied: string[] = [];
  for (const t of ui.tabs) {
    if (t.kind !== "chat") continue;
    const conv = state.accounts[t.account]?.conversations[t.peer];
    if (!conv) continue;
    if (conv.unread) live[t.id] = conv.unread;
    if (t.carried && conv.messages.some((m) => m.direction === "out")) replied.push(t.id);
  }
  return { type: "unread", live, replied };
}

export function attachUnreadSync(client: JabtermClient, ui: UiStore): () => void {
  let lastState: State | undefined;
  let lastTabs: UiState["tabs"] | undefined;
  const sync = (): void => {
    const state = client.store.getState();
    const u = ui.getState();
    if (state === lastState && u.tabs === lastTabs) return;
    lastState = state;
    ui.dispatch(unreadAction(state, u));
    lastTabs = ui.getState().tabs;
  };
  const offStore = client.store.subscribe(sync);
  const offUi = ui.subscribe(sync);
  sync();
  return () => {
    offStore();
    offUi();
  };
}
