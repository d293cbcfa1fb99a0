/**
 * The full-screen interface: tab bar, roster pane, the current tab (console or a conversation),
 * a status line and the command line. It renders the core store and the UI store, and turns
 * keys into commands (through the same registry as headless mode) or UI actions. It never
 * builds stanzas.
 */
import { Box, Text, useStdout } from "ink";
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";

import type { JabtermClient } from "../core/client.js";
import type { CommandContext } from "../core/commands/context.js";
import { completeCommandLine, type CompletionSources } from "../core/commands/complete.js";
import { createRegistry } from "../core/commands/defs/index.js";
import { executeLine } from "../core/commands/execute.js";
import { ACCOUNT_KEYS, SETTINGS } from "../core/config/schema.js";
import { tryParseJid } from "../core/jid.js";
import { peerOf } from "../core/xmpp/features/chat-send.js";
import type { AccountState } from "../core/xmpp/account.js";
import { ChatView } from "./components/ChatView.js";
import { ConsoleView } from "./components/ConsoleView.js";
import { RosterPane } from "./components/RosterPane.js";
import { TabBar } from "./components/TabBar.js";
import { attachConsoleFeed } from "./console-feed.js";
import { CommandLine, type CommandLineHandle } from "./input/CommandLine.js";
import { resolveAction } from "./input/keymap.js";
import type { KeyEvent } from "./input/keys.js";
import { useKeys, type KeySource } from "./input/use-keys.js";
import { chatTabId, type UiState, type UiStore } from "./state/ui-store.js";
import { accountColor } from "./theme.js";

export interface AppHost {
  quit(code?: number): void;
  suspend(): void;
  redraw(): void;
}

export interface AppProps {
  client: JabtermClient;
  ui: UiStore;
  host: AppHost;
  exec?: string[];
  version: string;
  /** Tests: read keys from this stream instead of the terminal. */
  keySource?: KeySource;
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

function peerKey(jid: string): string {
  return tryParseJid(jid) ? peerOf(jid) : jid;
}

export function App({ client, ui, host, exec = [], version, keySource }: AppProps) {
  const state: UiState = useSyncExternalStore(ui.subscribe, ui.getState, ui.getState);
  const { columns, rows } = useTerminalSize();
  const accounts = useAccounts(client);
  const registry = useMemo(() => createRegistry(), []);
  const cmd = useRef<CommandLineHandle>(null);
  const [flash, setFlash] = useState<string | undefined>();
  const tab = state.tabs[state.current] ?? state.tabs[0]!;

  useEffect(() => attachConsoleFeed(client, ui), [client, ui]);

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
        client.sendMessage(acct, current.peer, text);
        ui.dispatch({ type: "scroll", id: current.id, delta: "bottom" });
        return;
      }
      const r = await executeLine(ctx, line);
      ui.dispatch({ type: "console", text: `» ${r.input}`, level: "input" });
      for (const l of r.output) ui.dispatch({ type: "console", text: l, level: "output", remote: true });
      if (!r.ok && r.error) ui.dispatch({ type: "console", text: r.error.text, level: "error", remote: true });
      setFlash(!r.ok ? r.error?.text.split("\n")[0] : r.output[r.output.length - 1]);
      const res = r.result;
      if (res?.type === "quit") host.quit(res.code);
      if (res?.type === "open") {
        const peer = peerKey(res.jid);
        ui.dispatch({ type: "open", tab: { kind: "chat", id: chatTabId(res.account, peer), account: res.account, peer } });
      }
      if (res?.type === "window") {
        const tabs = ui.getState().tabs;
        const t = res.target;
        const index = t === undefined ? ui.getState().current : /^\d+$/.test(t) ? Number(t) - 1 : tabs.findIndex((x) => x.kind === "chat" && x.peer === peerKey(t));
        if (index < 0 || index >= tabs.length) ui.dispatch({ type: "console", text: `no window ${t}`, level: "error" });
        else if (res.action === "select") ui.dispatch({ type: "select", index });
        else ui.dispatch({ type: "close", id: tabs[index]!.id });
      }
    },
    [client, ctx, host, ui],
  );

  useEffect(() => {
    ui.dispatch({ type: "console", text: `jabterm ${version}. ${client.engine.accounts().length ? "Accounts connect at start; /account list shows them." : "No accounts yet: /account add <jid>, then /account set <name> password_command <command>, then /connect."} /help lists every command.` });
    client.engine.connectEnabled();
    void (async () => {
      for (const e of exec) await runLine(e);
    })();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const complete = useCallback(
    (line: string, cursor: number) => {
      const store = client.store.getState();
      const sources: CompletionSources = {
        accounts: () => client.engine.accounts().map((a) => a.name),
        contacts: (account) => Object.entries(store.accounts).flatMap(([name, s]) => (account && account !== name ? [] : Object.keys(s.roster.items))),
        rooms: () => [],
        settings: () => SETTINGS.map((s) => s.key),
        accountKeys: () => ACCOUNT_KEYS.map((k) => k.key),
      };
      return completeCommandLine(registry, line, cursor, sources);
    },
    [client, registry],
  );

  const lastActivity = useRef(0);
  const onKey = useCallback(
    (ev: KeyEvent) => {
      const now = Date.now();
      if (now - lastActivity.current > 1000) {
        lastActivity.current = now;
        client.noteActivity();
      }
      const action = resolveAction(ev, "input");
      if (action?.type !== "quit-ask" && ui.getState().confirmQuit) ui.dispatch({ type: "confirmQuit", on: false });
      if (cmd.current?.dispatchKey(ev)) return;
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
        case "next-unread": {
          const st = client.store.getState();
          const n = s.tabs.length;
          for (let i = 1; i < n; i++) {
            const t = s.tabs[(s.current + i) % n]!;
            if (t.kind === "chat" && (st.accounts[t.account]?.conversations[t.peer]?.unread ?? 0) > 0) return ui.dispatch({ type: "select", index: (s.current + i) % n });
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
          return ui.dispatch({ type: "toggleRoster" });
        case "quit-ask": {
          const text = cmd.current?.getState().text ?? "";
          if (text) return cmd.current?.dispatchAction({ type: "clear" } as never);
          if (s.confirmQuit) return host.quit();
          return ui.dispatch({ type: "confirmQuit", on: true });
        }
        default:
          if (cmd.current) cmd.current.dispatchAction(action as never);
      }
    },
    [client, host, rows, ui],
  );
  useKeys(onKey, keySource ? { stdin: keySource } : {});

  // Reading a conversation marks it read (and sends a displayed marker if enabled).
  useEffect(() => {
    if (tab.kind !== "chat") return;
    const unread = client.store.getState().accounts[tab.account]?.conversations[tab.peer]?.unread ?? 0;
    if (unread > 0) void executeLine(ctx, `/read -a ${tab.account} --to ${tab.peer}`);
  });

  const showRoster = state.rosterVisible && columns >= MIN_ROSTER_COLUMNS;
  const rosterWidth = showRoster ? Math.min(state.rosterWidth, Math.floor(columns / 3)) : 0;
  const mainWidth = columns - rosterWidth;
  const mainRows = Math.max(3, rows - 3);
  const scroll = state.scroll[tab.id] ?? 0;
  const acct = tab.kind !== "console" ? accounts.find((a) => a.account === tab.account) : undefined;

  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <TabBar client={client} tabs={state.tabs} current={state.current} width={columns} />
      <Box flexDirection="row" height={mainRows}>
        {showRoster ? <RosterPane client={client} width={rosterWidth} rows={mainRows} showOffline={state.showOffline} accounts={accounts.map((a) => ({ name: a.account, status: a.status }))} /> : null}
        <Box flexDirection="column" width={mainWidth} height={mainRows} paddingLeft={showRoster ? 1 : 0}>
          {tab.kind === "chat" ? (
            <ChatView client={client} account={tab.account} peer={tab.peer} rows={mainRows} width={mainWidth - (showRoster ? 1 : 0)} scroll={scroll} />
          ) : (
            <ConsoleView lines={state.console} rows={mainRows} width={mainWidth - (showRoster ? 1 : 0)} scroll={scroll} />
          )}
        </Box>
      </Box>
      <Box height={1} width={columns} overflow="hidden">
        {state.confirmQuit ? (
          <Text color="yellow" bold>
            Press Ctrl-C again to quit (anything else cancels)
          </Text>
        ) : (
          <>
            {acct ? <Text color={accountColor(acct.account)}>{`[${acct.account}: ${acct.status}] `}</Text> : null}
            <Text dimColor wrap="truncate">
              {flash ?? (tab.kind === "chat" ? "Enter sends · /help · Alt-1..9 tabs · PgUp/PgDn scroll" : "/help lists commands · Alt-1..9 tabs · F2 roster · Ctrl-C quits")}
            </Text>
          </>
        )}
      </Box>
      <CommandLine ref={cmd} onSubmit={(line) => void runLine(line)} complete={complete} historyKey={tab.id} prompt={tab.kind === "chat" ? "› " : "/ "} width={columns} />
    </Box>
  );
}
