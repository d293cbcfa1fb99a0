/**
 * The interface's own state (tabs, focus, console lines, pane sizes), apart from the core store:
 * a tiny store with a pure reducer so keystrokes in the command line never touch it.
 */
export type Tab =
  | { kind: "console"; id: "console" }
  | ChatTab
  | { kind: "xml"; id: string; account: string };

export interface ChatTab {
  kind: "chat";
  id: string;
  account: string;
  peer: string;
  /** Unread messages shown on the tab (and saved with it): `carried` + the conversation's unread in this run. */
  unread?: number;
  /** Unread messages carried over from an earlier run (restored from ui-tabs.json), until the tab is read. */
  carried?: number;
}

export type Focus = "input" | "roster";

export interface ConsoleLine {
  id: number;
  time: string;
  text: string;
  level: "info" | "error" | "output" | "input";
  /** Text that came from the network (sanitised when rendered). */
  remote?: boolean;
  /** Remote text drawn on one line (command output: a newline in it shows as a placeholder). */
  singleLine?: boolean;
}

export interface UiState {
  tabs: Tab[];
  current: number;
  console: ConsoleLine[];
  rosterVisible: boolean;
  rosterWidth: number;
  showOffline: boolean;
  /** Lines scrolled back from the bottom, per tab id. */
  scroll: Record<string, number>;
  /** Ctrl-C pressed once: the next one quits. */
  confirmQuit: boolean;
  nextLineId: number;
  /** Where keys go: the command line, or the roster pane's cursor. */
  focus: Focus;
  /** The roster row under the cursor (a contact: rosterKey(account, jid)). */
  rosterCursor?: string;
  /** Contacts whose resources are shown (rosterKey). */
  expanded: Record<string, true>;
}

export type UiAction =
  | { type: "open"; tab: Tab; focus?: boolean }
  | { type: "close"; id?: string }
  | { type: "select"; index: number }
  | { type: "move"; delta: number }
  | { type: "console"; text: string; level?: ConsoleLine["level"]; remote?: boolean; singleLine?: boolean; time?: string }
  | { type: "toggleRoster" }
  | { type: "resizeRoster"; delta: number }
  | { type: "toggleOffline" }
  | { type: "scroll"; id: string; delta: number | "top" | "bottom" }
  | { type: "confirmQuit"; on: boolean }
  /** Set a tab's scroll offset (a view clamped it to its content). */
  | { type: "scrollTo"; id: string; value: number }
  | { type: "focus"; focus: Focus }
  | { type: "rosterCursor"; key: string | undefined }
  /** Show (true), hide (false) or toggle (undefined) a contact's resources. */
  | { type: "expand"; key: string; on?: boolean }
  /**
   * The conversations' unread counts in this run, per chat tab id; `replied`: tabs whose
   * conversation has a message of ours in this run (what was carried over counts as read).
   */
  | { type: "unread"; live: Record<string, number>; replied?: readonly string[] }
  /** The user saw this tab: what was carried over from an earlier run is read. */
  | { type: "readTab"; id: string };

export const CONSOLE_LIMIT = 2000;

export function chatTabId(account: string, peer: string): string {
  return `chat:${account}:${peer}`;
}

/** Key of a contact in the roster pane (cursor, expansion). */
export function rosterKey(account: string, jid: string): string {
  return `${account}\n${jid}`;
}

export function xmlTabId(account: string): string {
  return `xml:${account}`;
}

export function initialUiState(): UiState {
  return { tabs: [{ kind: "console", id: "console" }], current: 0, console: [], rosterVisible: true, rosterWidth: 28, showOffline: false, scroll: {}, confirmQuit: false, nextLineId: 1, focus: "input", expanded: {} };
}

function withUnread(tab: ChatTab, carried: number, live: number): ChatTab {
  const unread = carried + live;
  if ((tab.carried ?? 0) === carried && (tab.unread ?? 0) === unread) return tab;
  const next: ChatTab = { ...tab, unread, carried };
  if (!unread) delete next.unread;
  if (!carried) delete next.carried;
  return next;
}

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case "open": {
      const at = state.tabs.findIndex((t) => t.id === action.tab.id);
      if (at >= 0) return action.focus === false || state.current === at ? state : { ...state, current: at };
      let tab = action.tab;
      if (tab.kind === "chat" && (tab.unread !== undefined || tab.carried !== undefined)) {
        const carried = Math.max(0, Math.floor(tab.carried ?? tab.unread ?? 0));
        tab = withUnread({ kind: "chat", id: tab.id, account: tab.account, peer: tab.peer }, carried, 0);
      }
      const tabs = [...state.tabs, tab];
      return { ...state, tabs, current: action.focus === false ? state.current : tabs.length - 1 };
    }
    case "close": {
      const id = action.id ?? state.tabs[state.current]?.id;
      const at = state.tabs.findIndex((t) => t.id === id);
      if (at <= 0) return state; // the console tab stays
      const tabs = state.tabs.filter((_, i) => i !== at);
      const current = state.current >= at ? Math.max(0, state.current - 1) : state.current;
      return { ...state, tabs, current };
    }
    case "select":
      return action.index >= 0 && action.index < state.tabs.length && action.index !== state.current ? { ...state, current: action.index } : state;
    case "move": {
      const n = state.tabs.length;
      return n <= 1 ? state : { ...state, current: (((state.current + action.delta) % n) + n) % n };
    }
    case "console": {
      const line: ConsoleLine = { id: state.nextLineId, time: action.time ?? new Date().toISOString(), text: action.text, level: action.level ?? "info", remote: action.remote, singleLine: action.singleLine };
      const console = state.console.length >= CONSOLE_LIMIT ? [...state.console.slice(state.console.length - CONSOLE_LIMIT + 1), line] : [...state.console, line];
      return { ...state, console, nextLineId: state.nextLineId + 1 };
    }
    case "toggleRoster":
      return { ...state, rosterVisible: !state.rosterVisible };
    case "resizeRoster":
      return { ...state, rosterWidth: Math.max(16, Math.min(60, state.rosterWidth + action.delta)) };
    case "toggleOffline":
      return { ...state, showOffline: !state.showOffline };
    case "scroll": {
      const cur = state.scroll[action.id] ?? 0;
      const next = action.delta === "bottom" ? 0 : action.delta === "top" ? Number.MAX_SAFE_INTEGER : Math.max(0, cur + action.delta);
      return next === cur ? state : { ...state, scroll: { ...state.scroll, [action.id]: next } };
    }
    case "confirmQuit":
      return state.confirmQuit === action.on ? state : { ...state, confirmQuit: action.on };
    case "scrollTo": {
      const value = Math.max(0, Math.floor(action.value));
      return (state.scroll[action.id] ?? 0) === value ? state : { ...state, scroll: { ...state.scroll, [action.id]: value } };
    }
    case "focus":
      return state.focus === action.focus ? state : { ...state, focus: action.focus };
    case "rosterCursor":
      return state.rosterCursor === action.key ? state : { ...state, rosterCursor: action.key };
    case "expand": {
      const on = action.on ?? !state.expanded[action.key];
      if (on === Boolean(state.expanded[action.key])) return state;
      const expanded = { ...state.expanded };
      if (on) expanded[action.key] = true;
      else delete expanded[action.key];
      return { ...state, expanded };
    }
    case "unread": {
      const replied = new Set(action.replied ?? []);
      let changed = false;
      const tabs = state.tabs.map((t) => {
        if (t.kind !== "chat") return t;
        const next = withUnread(t, replied.has(t.id) ? 0 : (t.carried ?? 0), action.live[t.id] ?? 0);
        if (next !== t) changed = true;
        return next;
      });
      return changed ? { ...state, tabs } : state;
    }
    case "readTab": {
      const at = state.tabs.findIndex((t) => t.id === action.id);
      const t = state.tabs[at];
      if (!t || t.kind !== "chat" || !t.carried) return state;
      const tabs = state.tabs.slice();
      tabs[at] = withUnread(t, 0, (t.unread ?? 0) - t.carried);
      return { ...state, tabs };
    }
  }
}

export interface UiStore {
  getState(): UiState;
  dispatch(a: UiAction): void;
  subscribe(l: () => void): () => void;
}

export function createUiStore(initial: UiState = initialUiState()): UiStore {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(a) {
      const next = uiReducer(state, a);
      if (next !== state) {
        state = next;
        for (const l of [...listeners]) l();
      }
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
