/**
 * The full-screen interface: tab bar, roster pane, the current tab (console or a conversation),
 * a status line and the command line. It renders the core store and the UI store, and turns
 * keys into commands (through the same registry as headless mode) or UI actions. It never
 * builds stanzas.
 */
import { Box, Text, useStdout } from "ink";
import { Profiler, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore, type ProfilerOnRenderCallback, type ReactNode } from "react";

import type { JabtermClient } from "../core/client.js";
import type { CommandContext } from "../core/commands/context.js";
import { completeCommandLine, type CompletionSources } from "../core/commands/complete.js";
import { createRegistry } from "../core/commands/defs/index.js";
import { executeLine } from "../core/commands/execute.js";
import { ACCOUNT_KEYS, SETTINGS } from "../core/config/schema.js";
import { completeFiles } from "../core/scripting/source.js";
import { normalizeJid, tryParseJid } from "../core/jid.js";
import { conversationKey } from "../core/store/slices/rooms.js";
import type { State } from "../core/store/types.js";
import type { AccountState } from "../core/xmpp/account.js";
import { ChatView, type ChatViewProps } from "./components/ChatView.js";
import { ConsoleView } from "./components/ConsoleView.js";
import { OccupantPane, RoomTopic } from "./components/OccupantPane.js";
import { cursorRow, moveCursor, RosterPane, rosterRows } from "./components/RosterPane.js";
import { StatusLine } from "./components/StatusLine.js";
import { TabBar } from "./components/TabBar.js";
import { usePolicyVersion } from "./hooks/use-encryption.js";
import { XmlConsoleView } from "./components/XmlConsoleView.js";
import { attachConsoleFeed } from "./console-feed.js";
import { useStoreSelector } from "./hooks/use-store.js";
import { DEFAULT_FORMATS, type Formats } from "./format.js";
import { CommandLine } from "./input/CommandLine.js";
import { LineEditor } from "./input/line-editor.js";
import type { ChatPaneSpec } from "./screen/chat-surface.js";
import type { LineView } from "./screen/line-surface.js";
import { resolveAction, setKeyBindings, type Focus } from "./input/keymap.js";
import type { KeyEvent } from "./input/keys.js";
import { useKeys, type KeySource } from "./input/use-keys.js";
import { saveTabs } from "./state/persist.js";
import { chatTabId, rosterKey, xmlTabId, type Tab, type UiState, type UiStore } from "./state/ui-store.js";
import { createXmlLog } from "./state/xml-log.js";
import { completeNick } from "./nick-complete.js";
import { attachUnreadSync } from "./unread-sync.js";

export interface AppHost {
  quit(code?: number): void;
  suspend(): void;
  redraw(): void;
}

/**
 * The real terminal, when the host draws the command line itself (src/cli/interactive.tsx, through
 * ui/screen/compositor.ts): keys go into `editor`, which the terminal shows on every change without
 * a React render; the app's own tree then leaves out the command line.
 */
export interface AppTerminal {
  editor: LineEditor;
  /** Prompt and focus of the command line. */
  setLineView(view: LineView): void;
  /** Draw this conversation in this rectangle (undefined: give it back to Ink); without it Ink draws conversations. */
  setChat?(spec: ChatPaneSpec | undefined): void;
  /** The window title (our own text only). */
  setTitle(title: string): void;
  bell(): void;
}

export interface AppProps {
  client: JabtermClient;
  ui: UiStore;
  host: AppHost;
  exec?: string[];
  version: string;
  /** The terminal draws the command line (the interactive host); without it, Ink does. */
  terminal?: AppTerminal;
  /** Tests: read keys from this stream instead of the terminal. */
  keySource?: KeySource;
  /** Tests, profiling: React Profiler callback around the panes ("roster", "main", "tabs"). */
  profiler?: ProfilerOnRenderCallback;
}

/** Tab ids' unread counts carried over from the last run, by roster contact. */
function carriedByContact(tabs: readonly Tab[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tabs) if (t.kind === "chat" && t.carried) out[rosterKey(t.account, t.peer)] = t.carried;
  return out;
}

function readFormats(client: JabtermClient): Formats {
  try {
    const s = client.settings();
    return { time: s.time_format || DEFAULT_FORMATS.time, date: s.date_format || DEFAULT_FORMATS.date };
  } catch {
    return DEFAULT_FORMATS;
  }
}

function readHideJoins(client: JabtermClient): boolean {
  try {
    return !client.settings().muc_show_joins;
  } catch {
    return false;
  }
}

/** Below this width the roster pane is hidden (the chat keeps the room). */
export const MIN_ROSTER_COLUMNS = 70;

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 100, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}

function useAccounts(client: JabtermClient): AccountState[] {
  const [, bump] = useState(0);
  useEffect(() => {
    const h = () => bump((n) => n + 1);
    client.engine.on("account", h);
    client.engine.on("accounts", h);
    return () => {
      client.engine.off("account", h);
      client.engine.off("accounts", h);
    };
  }, [client]);
  return client.engine.accounts().map((a) => a.state);
}

/** The conversation a JID opens on `account`: a room occupant's full JID, else the bare JID. */
function peerKey(client: JabtermClient, account: string, jid: string): string {
  return tryParseJid(jid) ? conversationKey(client.store.account(account), normalizeJid(jid)) : jid;
}

/** Room tabs and their highlight counts, as a string (stable while nothing changes). */
function roomSignature(state: State, tabs: readonly Tab[]): string {
  let out = "";
  for (const t of tabs) {
    if (t.kind !== "chat") continue;
    const r = state.accounts[t.account]?.rooms[t.peer];
    if (r) out += `${t.id}\t${r.highlights}\n`;
  }
  return out;
}

/** Unread messages over every conversation of every account. */
function totalUnread(state: State): number {
  let n = 0;
  for (const a of Object.values(state.accounts)) for (const c of Object.values(a.conversations)) n += c.unread;
  return n;
}

/**
 * A conversation: drawn by the terminal's chat surface when there is one (this component then only
 * keeps its rectangle blank and says where it is), else by <ChatView> through Ink.
 */
function ChatPane(props: ChatViewProps & { terminal?: AppTerminal; x: number; y: number }) {
  const { terminal, x, y, account, peer, rows, width, scroll, formats, hideJoins, onScrollClamp } = props;
  const setChat = terminal?.setChat;
  useLayoutEffect(() => {
    setChat?.({ x, y, width, height: rows, account, peer, scroll, formats, hideJoins, onScrollClamp });
  }, [setChat, x, y, width, rows, account, peer, scroll, formats, hideJoins, onScrollClamp]);
  useLayoutEffect(() => () => setChat?.(undefined), [setChat]);
  if (setChat) return <Box width={width} height={rows} />;
  return <ChatView {...props} />;
}

/** Below this width a room tab has no occupant pane. */
export const MIN_OCCUPANT_COLUMNS = 60;

export function App({ client, ui, host, exec = [], version, keySource, profiler, terminal }: AppProps) {
  const state: UiState = useSyncExternalStore(ui.subscribe, ui.getState, ui.getState);
  const { columns, rows } = useTerminalSize();
  const accounts = useAccounts(client);
  const registry = useMemo(() => createRegistry(client), [client]);
  const ownEditor = useRef<LineEditor>(undefined);
  if (!terminal && !ownEditor.current) ownEditor.current = new LineEditor();
  const editor = terminal?.editor ?? ownEditor.current!;
  const [flash, setFlash] = useState<string | undefined>();
  const [formats, setFormats] = useState<Formats>(() => readFormats(client));
  const [hideJoins, setHideJoins] = useState(() => readHideJoins(client));
  const tab = state.tabs[state.current] ?? state.tabs[0]!;
  const xmlLog = useMemo(() => createXmlLog(client), [client]);

  useEffect(() => attachConsoleFeed(client, ui), [client, ui]);
  useEffect(() => attachUnreadSync(client, ui), [client, ui]);
  useEffect(() => () => xmlLog.close(), [xmlLog]);

  // Record XML traffic only for accounts with an XML console tab open.
  const xmlAccounts = state.tabs.flatMap((t) => (t.kind === "xml" ? [t.account] : [])).join("\n");
  useEffect(() => xmlLog.watch(xmlAccounts ? xmlAccounts.split("\n") : []), [xmlLog, xmlAccounts]);

  // Open tabs (and their unread counts) are saved as they change, not only at exit.
  useEffect(() => {
    if (!client.dataDir) return;
    const timer = setTimeout(() => saveTabs(client.dataDir, ui.getState().tabs), 500);
    timer.unref?.();
    return () => clearTimeout(timer);
  }, [client, ui, state.tabs]);

  const ctx: CommandContext = useMemo(
    () => ({
      client,
      registry,
      host: "tui",
      currentAccount: () => {
        const t = ui.getState().tabs[ui.getState().current];
        return t && t.kind !== "console" ? client.engine.find(t.account) : client.engine.firstOnline();
      },
      currentConversation: () => {
        const t = ui.getState().tabs[ui.getState().current];
        return t?.kind === "chat" ? { account: t.account, jid: t.peer } : undefined;
      },
    }),
    [client, registry, ui],
  );

  const runLine = useCallback(
    async (line: string) => {
      const current = ui.getState().tabs[ui.getState().current];
      if (!line.startsWith("/") || line.startsWith("//")) {
        const text = line.startsWith("//") ? line.slice(1) : line;
        if (current?.kind !== "chat") {
          ui.dispatch({ type: "console", text: "not in a conversation: /msg <jid> <text> writes to someone, /help lists commands", level: "error" });
          return;
        }
        const acct = client.engine.find(current.account);
        if (!acct) return;
        try {
          await client.sendMessage(acct, current.peer, text);
        } catch (err) {
          // Not sent (encryption required and impossible, say): say why and give the text back.
          const message = (err as Error).message;
          ui.dispatch({ type: "console", text: message, level: "error" });
          setFlash(message.split("\n")[0]);
          if (!editor.getState().text) editor.dispatchAction({ type: "insert", text: line } as never);
          return;
        }
        ui.dispatch({ type: "scroll", id: current.id, delta: "bottom" });
        return;
      }
      const r = await executeLine(ctx, line);
      setHideJoins(readHideJoins(client));
      setFormats((prev) => {
        const next = readFormats(client);
        return next.time === prev.time && next.date === prev.date ? prev : next;
      });
      ui.dispatch({ type: "console", text: `» ${r.input}`, level: "input" });
      // Command output may carry remote text raw: drawn through the sanitiser, placeholders inert.
      for (const l of r.output) ui.dispatch({ type: "console", text: l, level: "output", remote: true, singleLine: true });
      if (!r.ok && r.error) ui.dispatch({ type: "console", text: r.error.text, level: "error", remote: true });
      // A message refused by the encryption policy (/msg, /me, /correct): the text comes back.
      if (!r.ok && r.error?.code === "crypto" && r.error.refused === true && !editor.getState().text) editor.dispatchAction({ type: "insert", text: line } as never);
      setFlash(!r.ok ? r.error?.text.split("\n")[0] : r.output[r.output.length - 1]);
      const res = r.result;
      if (res?.type === "quit") host.quit(res.code);
      if (res?.type === "open") {
        const peer = peerKey(client, res.account, res.jid);
        ui.dispatch({ type: "open", tab: { kind: "chat", id: chatTabId(res.account, peer), account: res.account, peer } });
      }
      if (res?.type === "window") {
        const t = res.target;
        // "xml:<account>" (what /xmlconsole returns): that account's XML console, opened if needed.
        if (t?.startsWith("xml:") && res.action === "select") {
          const acct = client.engine.find(t.slice(4));
          if (!acct) ui.dispatch({ type: "console", text: `no account ${t.slice(4)}`, level: "error" });
          else ui.dispatch({ type: "open", tab: { kind: "xml", id: xmlTabId(acct.name), account: acct.name } });
          return;
        }
        const tabs = ui.getState().tabs;
        const index = t === undefined ? ui.getState().current : /^\d+$/.test(t) ? Number(t) - 1 : t.startsWith("xml:") ? tabs.findIndex((x) => x.id === t) : tabs.findIndex((x) => x.kind === "chat" && x.peer === peerKey(client, x.account, t));
        if (index < 0 || index >= tabs.length) ui.dispatch({ type: "console", text: `no window ${t}`, level: "error" });
        else if (res.action === "select") ui.dispatch({ type: "select", index });
        else ui.dispatch({ type: "close", id: tabs[index]!.id });
      }
    },
    [client, ctx, host, ui, editor],
  );

  // The config file's "keys" over the keymap, before the first key; what cannot apply is said once.
  const [keyProblems] = useState(() => {
    try {
      return setKeyBindings(client.config.keyBindings());
    } catch (err) {
      setKeyBindings({});
      return [(err as Error).message];
    }
  });

  useEffect(() => {
    ui.dispatch({ type: "console", text: `jabterm ${version}. ${client.engine.accounts().length ? "Accounts connect at start; /account list shows them." : "No accounts yet: /account add <jid>, then /account set <name> password_command <command>, then /connect."} /help lists every command.` });
    for (const p of keyProblems) ui.dispatch({ type: "console", text: p, level: "error" });
    client.engine.connectEnabled();
    void (async () => {
      for (const e of exec) await runLine(e);
    })();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const complete = useCallback(
    (line: string, cursor: number) => {
      const store = client.store.getState();
      const here = ui.getState().tabs[ui.getState().current];
      const room = here?.kind === "chat" ? store.accounts[here.account]?.rooms[here.peer] : undefined;
      // In a room, a nick at the start of a line: "nick: ".
      if (room && !line.startsWith("/")) return completeNick(line, cursor, Object.keys(room.occupants).filter((n) => n !== room.nick));
      const sources: CompletionSources = {
        accounts: () => client.engine.accounts().map((a) => a.name),
        contacts: (account) => Object.entries(store.accounts).flatMap(([name, s]) => (account && account !== name ? [] : Object.keys(s.roster.items))),
        rooms: (account) => Object.entries(store.accounts).flatMap(([name, s]) => (account && account !== name ? [] : Object.keys(s.rooms))),
        nicks: () => (room ? Object.keys(room.occupants) : []),
        settings: () => SETTINGS.map((s) => s.key),
        accountKeys: () => ACCOUNT_KEYS.map((k) => k.key),
        files: completeFiles,
      };
      return completeCommandLine(registry, line, cursor, sources);
    },
    [client, registry, ui],
  );

  const columnsRef = useRef(columns);
  columnsRef.current = columns;
  const rosterModel = useCallback(() => {
    const s = ui.getState();
    const names = client.engine.accounts().map((a) => ({ name: a.name, status: a.state.status }));
    return rosterRows(client.store.getState(), names, { showOffline: s.showOffline, expanded: s.expanded, carried: carriedByContact(s.tabs) });
  }, [client, ui]);

  const lastActivity = useRef(0);
  const onAction = useCallback(
    (action: ReturnType<typeof resolveAction>, focus: Focus) => {
      if (!action) return;
      const s = ui.getState();
      const current = s.tabs[s.current]!;
      const page = Math.max(1, Math.floor((rows - 4) / 2));
      switch (action.type) {
        case "tab-next":
          return ui.dispatch({ type: "move", delta: 1 });
        case "tab-prev":
          return ui.dispatch({ type: "move", delta: -1 });
        case "tab-goto":
          return ui.dispatch({ type: "select", index: action.index });
        case "next-highlight": {
          const n = s.tabs.length;
          const st = client.store.getState();
          for (let i = 1; i < n; i++) {
            const t = s.tabs[(s.current + i) % n]!;
            if (t.kind === "chat" && (st.accounts[t.account]?.rooms[t.peer]?.highlights ?? 0) > 0) return ui.dispatch({ type: "select", index: (s.current + i) % n });
          }
          return setFlash("no room mentions you");
        }
        case "next-unread": {
          const n = s.tabs.length;
          for (let i = 1; i < n; i++) {
            const t = s.tabs[(s.current + i) % n]!;
            if (t.kind === "chat" && (t.unread ?? 0) > 0) return ui.dispatch({ type: "select", index: (s.current + i) % n });
          }
          return;
        }
        case "scroll-up":
          return ui.dispatch({ type: "scroll", id: current.id, delta: page });
        case "scroll-down":
          return ui.dispatch({ type: "scroll", id: current.id, delta: -page });
        case "scroll-top":
          return ui.dispatch({ type: "scroll", id: current.id, delta: "top" });
        case "scroll-bottom":
          return ui.dispatch({ type: "scroll", id: current.id, delta: "bottom" });
        case "redraw":
          return host.redraw();
        case "suspend":
          return host.suspend();
        case "toggle-roster":
          if (s.rosterVisible) ui.dispatch({ type: "focus", focus: "input" });
          return ui.dispatch({ type: "toggleRoster" });
        case "toggle-offline":
          return ui.dispatch({ type: "toggleOffline" });
        case "roster-wider":
          return ui.dispatch({ type: "resizeRoster", delta: 2 });
        case "roster-narrower":
          return ui.dispatch({ type: "resizeRoster", delta: -2 });
        case "focus-roster": {
          if (columnsRef.current < MIN_ROSTER_COLUMNS) return setFlash(`the roster needs at least ${MIN_ROSTER_COLUMNS} columns`);
          if (!s.rosterVisible) ui.dispatch({ type: "toggleRoster" });
          ui.dispatch({ type: "rosterCursor", key: cursorRow(rosterModel(), s.rosterCursor)?.key });
          return ui.dispatch({ type: "focus", focus: "roster" });
        }
        case "focus-input":
          return ui.dispatch({ type: "focus", focus: "input" });
        case "roster-prev":
        case "roster-next":
          return ui.dispatch({ type: "rosterCursor", key: moveCursor(rosterModel(), s.rosterCursor, action.type === "roster-prev" ? -1 : 1)?.key });
        case "roster-open": {
          const row = cursorRow(rosterModel(), s.rosterCursor);
          if (!row?.jid) return;
          ui.dispatch({ type: "open", tab: { kind: "chat", id: chatTabId(row.account, row.jid), account: row.account, peer: row.jid } });
          return ui.dispatch({ type: "focus", focus: "input" });
        }
        case "roster-toggle":
        case "roster-expand":
        case "roster-collapse": {
          const row = cursorRow(rosterModel(), s.rosterCursor);
          if (!row?.jid) return;
          ui.dispatch({ type: "rosterCursor", key: row.key });
          return ui.dispatch({ type: "expand", key: rosterKey(row.account, row.jid), on: action.type === "roster-toggle" ? undefined : action.type === "roster-expand" });
        }
        case "quit-ask": {
          const text = editor.getState().text;
          if (text && focus === "input") return editor.dispatchAction({ type: "clear" } as never);
          if (s.confirmQuit) return host.quit();
          return ui.dispatch({ type: "confirmQuit", on: true });
        }
        default:
          if (focus === "input") editor.dispatchAction(action as never);
      }
    },
    [client, host, rows, ui, rosterModel, editor],
  );

  const onKey = useCallback(
    (ev: KeyEvent) => {
      const now = Date.now();
      if (now - lastActivity.current > 1000) {
        lastActivity.current = now;
        client.noteActivity();
      }
      const s = ui.getState();
      const focus: Focus = s.focus === "roster" && s.rosterVisible && columnsRef.current >= MIN_ROSTER_COLUMNS ? "roster" : "input";
      if (focus === "roster") {
        // No text entry in the roster: typed characters are single-key commands (j, k, o, <, >).
        const keys: KeyEvent[] =
          ev.type === "text" ? [...ev.text].map((ch) => ({ type: "key", name: ch === " " ? "space" : ch.toLowerCase(), ...(ch !== ch.toLowerCase() ? { shift: true } : {}) })) : ev.type === "paste" ? [] : [ev];
        for (const k of keys) {
          const action = resolveAction(k, "roster");
          if (action?.type !== "quit-ask" && ui.getState().confirmQuit) ui.dispatch({ type: "confirmQuit", on: false });
          onAction(action, "roster");
        }
        return;
      }
      const action = resolveAction(ev, "input");
      if (action?.type !== "quit-ask" && s.confirmQuit) ui.dispatch({ type: "confirmQuit", on: false });
      if (editor.dispatchKey(ev)) return;
      onAction(action, "input");
    },
    [client, ui, onAction, editor],
  );
  useKeys(onKey, keySource ? { stdin: keySource } : {});

  // A conversation opened with nothing shown (after a restart) starts with its last page of local
  // history (no network: the archive is asked only when scrolling past the top).
  const historyTab = tab.kind === "chat" ? `${tab.account}\n${tab.peer}` : undefined;
  useEffect(() => {
    if (tab.kind !== "chat" || !client.history) return;
    if ((client.store.getState().accounts[tab.account]?.conversations[tab.peer]?.messages.length ?? 0) > 0) return;
    client.history.loadOlder(tab.account, tab.peer, 50, { archive: false }).catch((err: Error) => client.log.warn(`history: ${err.message}`));
  }, [historyTab]); // eslint-disable-line react-hooks/exhaustive-deps

  // A chat message (chat_bell) or a highlight (muc_bell) rings the terminal bell, heard over SSH
  // too: at most once a second (a flood rings once), never for what an archive catch-up brings.
  const { stdout } = useStdout();
  const lastBell = useRef(-Infinity);
  useEffect(() => {
    const onEvent = (e: { event: string; direction?: string; type?: string; archived?: boolean }) => {
      const key = e.event === "highlight" ? "muc_bell" : e.event === "message" && e.direction === "in" && (e.type === "chat" || e.type === "normal") && !e.archived ? "chat_bell" : undefined;
      if (!key) return;
      const now = performance.now();
      if (now - lastBell.current < 1000) return;
      try {
        if (!client.settings()[key]) return;
      } catch {
        // settings unreadable: ring anyway
      }
      lastBell.current = now;
      if (terminal) terminal.bell();
      else stdout.write("\x07");
    };
    client.on("event", onEvent);
    return () => {
      client.off("event", onEvent);
    };
  }, [client, stdout, terminal]);

  // Room tabs (marked in the tab bar) and their highlight counts.
  const selectRooms = useCallback((st: State) => roomSignature(st, state.tabs), [state.tabs]);
  const roomSig = useStoreSelector(client.store, selectRooms);
  const roomTabs = useMemo(() => {
    const out: Record<string, number> = {};
    for (const line of roomSig.split("\n")) {
      if (!line) continue;
      const [id, n] = line.split("\t");
      out[id!] = Number(n);
    }
    return out;
  }, [roomSig]);

  // Messages arriving in the conversation in view are read as they come: marked before any view
  // hears of the change (a first listener), so unread counts in the roster, tab bar and title do
  // not flicker up and down, nor re-render, on every message of a busy conversation.
  useEffect(
    () =>
      client.store.subscribe(
        () => {
          const s = ui.getState();
          const t = s.tabs[s.current];
          if (t?.kind !== "chat") return;
          if ((client.store.getState().accounts[t.account]?.conversations[t.peer]?.unread ?? 0) > 0) void executeLine(ctx, `/read -a ${t.account} --to ${t.peer}`);
        },
        { first: true },
      ),
    [client, ctx, ui],
  );

  // Reading a conversation marks it read (and sends a displayed marker if enabled).
  useEffect(() => {
    if (tab.kind !== "chat") return;
    if (tab.carried) ui.dispatch({ type: "readTab", id: tab.id });
    const unread = client.store.getState().accounts[tab.account]?.conversations[tab.peer]?.unread ?? 0;
    if (unread > 0) void executeLine(ctx, `/read -a ${tab.account} --to ${tab.peer}`);
  });

  const showRoster = state.rosterVisible && columns >= MIN_ROSTER_COLUMNS;
  const rosterFocused = showRoster && state.focus === "roster";
  const rosterWidth = showRoster ? Math.max(10, Math.min(state.rosterWidth, Math.floor(columns / 2))) : 0;
  const mainWidth = columns - rosterWidth;
  const viewWidth = mainWidth - (showRoster ? 1 : 0);
  // Where the conversation starts on screen: right of the roster pane and the main area's padding.
  const chatX = rosterWidth + (showRoster ? 1 : 0);
  // Tab bar, status line and (unless the terminal draws it) the command line around the main area.
  const mainRows = Math.max(3, rows - (terminal ? 2 : 3));
  const scroll = state.scroll[tab.id] ?? 0;
  const acct = tab.kind !== "console" ? accounts.find((a) => a.account === tab.account) : undefined;
  const tabId = tab.id;
  const loadingOlder = useRef(false);
  const olderOf = tab.kind === "chat" ? { account: tab.account, peer: tab.peer } : undefined;
  const olderAccount = olderOf?.account;
  const olderPeer = olderOf?.peer;
  const onScrollClamp = useCallback(
    (value: number) => {
      ui.dispatch({ type: "scrollTo", id: tabId, value });
      // Scrolled past the oldest message shown: older ones come from the history (then the server archive).
      if (!olderAccount || !olderPeer || !client.history || loadingOlder.current) return;
      loadingOlder.current = true;
      client.history
        .loadOlder(olderAccount, olderPeer)
        .catch((err: Error) => client.publish("error", { account: olderAccount, code: "internal", text: `older messages: ${err.message}`, during: "history older" }))
        .finally(() => (loadingOlder.current = false));
    },
    [ui, tabId, client, olderAccount, olderPeer],
  );
  const rosterSignature = accounts.map((a) => `${a.account}\n${a.status}`).join("\n");
  const rosterAccounts = useMemo(() => accounts.map((a) => ({ name: a.account, status: a.status })), [rosterSignature]); // eslint-disable-line react-hooks/exhaustive-deps
  const carried = useMemo(() => carriedByContact(state.tabs), [state.tabs]);
  const policyVersion = usePolicyVersion(client);
  const encryptedTabs = useMemo(() => {
    void policyVersion;
    return new Set(state.tabs.flatMap((t) => (t.kind === "chat" && client.encryption.policy(t.account, t.peer) !== "off" ? [t.id] : [])));
  }, [client, state.tabs, policyVersion]);
  const statusAccount = useMemo(() => (acct ? { name: acct.account, status: acct.status } : undefined), [acct?.account, acct?.status]); // eslint-disable-line react-hooks/exhaustive-deps
  const profile = (id: string, node: ReactNode): ReactNode =>
    profiler ? (
      <Profiler id={id} onRender={profiler}>
        {node}
      </Profiler>
    ) : (
      node
    );

  // The command line: keys go to the editor; the terminal (or, without one, Ink) draws it.
  const onSubmit = useCallback((line: string) => void runLine(line), [runLine]);
  const prompt = tab.kind === "chat" ? "› " : "/ ";
  useLayoutEffect(() => {
    editor.configure({ onSubmit, complete, historyKey: tab.id });
  }, [editor, onSubmit, complete, tab.id]);
  useLayoutEffect(() => {
    terminal?.setLineView({ prompt, focused: !rosterFocused });
  }, [terminal, prompt, rosterFocused]);

  // The window title counts unread messages (our own text only).
  const unreadTotal = useStoreSelector(client.store, totalUnread);
  useEffect(() => {
    terminal?.setTitle(unreadTotal > 0 ? `jabterm (${unreadTotal})` : "jabterm");
  }, [terminal, unreadTotal]);

  const isRoomTab = tab.kind === "chat" && roomTabs[tab.id] !== undefined;
  const occupantWidth = isRoomTab && viewWidth >= MIN_OCCUPANT_COLUMNS ? Math.max(12, Math.min(22, Math.floor(viewWidth / 5))) : 0;
  const hint = rosterFocused
    ? "Roster: ↑/↓ select · Enter opens · Space resources · o offline · </> width · Esc back"
    : isRoomTab
      ? "Enter sends to the room · Tab completes nicks · Alt-h next highlight · /names /nick /topic /leave"
      : tab.kind === "chat"
      ? "Enter sends · /help · Alt-1..9 tabs · PgUp/PgDn scroll · F4 roster"
      : tab.kind === "xml"
        ? "XML console · PgUp/PgDn scroll · /close closes it"
        : "/help lists commands · Alt-1..9 tabs · F2 roster · F4 roster focus · Ctrl-C quits";

  return (
    <Box flexDirection="column" width={columns} height={rows}>
      {profile("tabs", <TabBar tabs={state.tabs} current={state.current} width={columns} encrypted={encryptedTabs} rooms={roomTabs} />)}
      <Box flexDirection="row" height={mainRows}>
        {showRoster
          ? profile(
              "roster",
              <RosterPane client={client} width={rosterWidth} rows={mainRows} showOffline={state.showOffline} accounts={rosterAccounts} expanded={state.expanded} carried={carried} focused={rosterFocused} cursor={state.rosterCursor} />,
            )
          : null}
        <Box flexDirection="column" width={mainWidth} height={mainRows} paddingLeft={showRoster ? 1 : 0}>
          {profile(
            "main",
            tab.kind === "chat" && isRoomTab ? (
              <Box flexDirection="column" width={viewWidth} height={mainRows}>
                <RoomTopic client={client} account={tab.account} room={tab.peer} width={viewWidth} />
                <Box flexDirection="row" height={mainRows - 1}>
                  <ChatPane terminal={terminal} x={chatX} y={2} client={client} account={tab.account} peer={tab.peer} rows={mainRows - 1} width={occupantWidth ? viewWidth - occupantWidth - 1 : viewWidth} scroll={scroll} formats={formats} onScrollClamp={onScrollClamp} hideJoins={hideJoins} />
                  {occupantWidth ? (
                    <Box marginLeft={1} width={occupantWidth}>
                      <OccupantPane client={client} account={tab.account} room={tab.peer} width={occupantWidth} rows={mainRows - 1} />
                    </Box>
                  ) : null}
                </Box>
              </Box>
            ) : tab.kind === "chat" ? (
              <ChatPane terminal={terminal} x={chatX} y={1} client={client} account={tab.account} peer={tab.peer} rows={mainRows} width={viewWidth} scroll={scroll} formats={formats} onScrollClamp={onScrollClamp} />
            ) : tab.kind === "xml" ? (
              <XmlConsoleView log={xmlLog} account={tab.account} rows={mainRows} width={viewWidth} scroll={scroll} formats={formats} onScrollClamp={onScrollClamp} />
            ) : (
              <ConsoleView lines={state.console} rows={mainRows} width={viewWidth} scroll={scroll} formats={formats} onScrollClamp={onScrollClamp} />
            ),
          )}
        </Box>
      </Box>
      {state.confirmQuit ? (
        <Box height={1} width={columns} overflow="hidden">
          <Text color="yellow" bold>
            Press Ctrl-C again to quit (anything else cancels)
          </Text>
        </Box>
      ) : (
        <StatusLine client={client} width={columns} account={statusAccount} peer={tab.kind === "chat" ? tab.peer : undefined} text={flash ?? hint} />
      )}
      {terminal ? null : <CommandLine editor={editor} onSubmit={onSubmit} complete={complete} historyKey={tab.id} prompt={prompt} width={columns} focused={!rosterFocused} />}
    </Box>
  );
}
