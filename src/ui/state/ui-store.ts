/**
 * The interface's own state (tabs, focus, console lines, pane sizes), apart from the core store:
 * a tiny store with a pure reducer so keystrokes in the command line never touch it.
 */
export type Tab =
  | { kind: "console"; id: "console" }
  | { kind: "chat"; id: string; account: string; peer: string }
  | { kind: "xml"; id: string; account: string };

export interface ConsoleLine {
  id: number;
  time: string;
  text: string;
  level: "info" | "error" | "output" | "input";
  /** Text that came from the network (sanitised when rendered). */
  remote?: boolean;
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
}

export type UiAction =
  | { type: "open"; tab: Tab; focus?: boolean }
  | { type: "close"; id?: string }
  | { type: "select"; index: number }
  | { type: "move"; delta: number }
  | { type: "console"; text: string; level?: ConsoleLine["level"]; remote?: boolean; time?: string }
  | { type: "toggleRoster" }
  | { type: "resizeRoster"; delta: number }
  | { type: "toggleOffline" }
  | { type: "scroll"; id: string; delta: number | "top" | "bottom" }
  | { type: "confirmQuit"; on: boolean };

export const CONSOLE_LIMIT = 2000;

export function chatTabId(account: string, peer: string): string {
  return `chat:${account}:${peer}`;
}

export function initialUiState(): UiState {
  return { tabs: [{ kind: "console", id: "console" }], current: 0, console: [], rosterVisible: true, rosterWidth: 28, showOffline: false, scroll: {}, confirmQuit: false, nextLineId: 1 };
}

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case "open": {
      const at = state.tabs.findIndex((t) => t.id === action.tab.id);
      if (at >= 0) return action.focus === false || state.current === at ? state : { ...state, current: at };
      const tabs = [...state.tabs, action.tab];
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
      const line: ConsoleLine = { id: state.nextLineId, time: action.time ?? new Date().toISOString(), text: action.text, level: action.level ?? "info", remote: action.remote };
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
