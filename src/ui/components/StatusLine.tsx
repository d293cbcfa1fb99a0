/**
 * The status line: the current tab's account (connection status, our own presence when it is
 * not plain online, and the lag: the round trip of its last server ping), in a conversation the peer's best resource (show, resource) and the
 * resource lock when one is set, and its encryption policy (pgp:on / pgp:auto); then the last command's result or a hint.
 */
import { Box, Text } from "ink";
import { memo, useCallback, useSyncExternalStore } from "react";

import type { JabtermClient } from "../../core/client.js";
import { bestResource } from "../../core/store/slices/presence.js";
import type { State } from "../../core/store/types.js";
import { usePolicy } from "../hooks/use-encryption.js";
import { useStoreSelector } from "../hooks/use-store.js";
import { accountColor, PRESENCE_COLOR, PRESENCE_GLYPH } from "../theme.js";
import { RemoteText } from "./RemoteText.js";

export interface PeerStatus {
  show: string;
  resource?: string;
  lock?: string;
  lockManual?: boolean;
}

/** What the status line shows about a conversation's peer (pure). */
export function peerStatus(state: State, account: string, peer: string): PeerStatus {
  const slice = state.accounts[account];
  const best = bestResource(slice?.presence[peer]);
  const conv = slice?.conversations[peer];
  const out: PeerStatus = { show: best?.show ?? "offline" };
  if (best) out.resource = best.resource;
  if (conv?.lock) {
    out.lock = conv.lock;
    if (conv.lockManual) out.lockManual = true;
  }
  return out;
}

const samePeer = (a: PeerStatus | undefined, b: PeerStatus | undefined): boolean =>
  a === b || (!!a && !!b && a.show === b.show && a.resource === b.resource && a.lock === b.lock && a.lockManual === b.lockManual);

/** The account's lag (its last server ping's round trip, ms), kept current. */
function useLag(client: JabtermClient, account: string | undefined): number | undefined {
  const subscribe = useCallback(
    (changed: () => void) => {
      const on = (e: { account: string }) => {
        if (e.account === account) changed();
      };
      client.on("lag", on);
      return () => {
        client.off("lag", on);
      };
    },
    [client, account],
  );
  return useSyncExternalStore(subscribe, () => (account ? client.lag(account) : undefined));
}

/** "12 ms", "1.3 s". */
export function formatLag(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Dim while it is fine; yellow from 1 s, red from 5 s. */
function lagStyle(ms: number): { dimColor?: boolean; color?: string } {
  return ms >= 5000 ? { color: "red" } : ms >= 1000 ? { color: "yellow" } : { dimColor: true };
}

export interface StatusLineProps {
  client: JabtermClient;
  width: number;
  /** The current tab's account and its connection status (none on the console tab). */
  account?: { name: string; status: string };
  /** The current conversation's peer. */
  peer?: string;
  text: string;
}

export const StatusLine = memo(function StatusLine({ client, width, account, peer, text }: StatusLineProps) {
  const name = account?.name;
  const ownShow = useStoreSelector(client.store, useCallback((s: State) => (name ? s.accounts[name]?.own.show : undefined), [name]));
  const status = useStoreSelector(client.store, useCallback((s: State) => (name && peer ? peerStatus(s, name, peer) : undefined), [name, peer]), samePeer);
  const show = (status?.show ?? "offline") as keyof typeof PRESENCE_GLYPH;
  const policy = usePolicy(client, name, peer);
  const lag = useLag(client, name);
  return (
    <Box height={1} width={width} overflow="hidden">
      {account ? (
        <Box flexShrink={0}>
          <Text color={accountColor(account.name)}>{`[${account.name}: ${account.status}${account.status === "online" && ownShow && ownShow !== "online" ? ` · ${ownShow}` : ""}`}</Text>
          {account.status === "online" && lag !== undefined ? <Text {...lagStyle(lag)}>{` · lag ${formatLag(lag)}`}</Text> : null}
          <Text color={accountColor(account.name)}>{"] "}</Text>
        </Box>
      ) : null}
      {status && peer ? (
        <Box flexShrink={0}>
          <Text color={PRESENCE_COLOR[show]}>{`${PRESENCE_GLYPH[show]} ${status.show}`}</Text>
          {status.resource !== undefined ? (
            <Text dimColor>
              {" ("}
              <RemoteText text={status.resource} strict />
              {")"}
            </Text>
          ) : null}
          {status.lock !== undefined ? (
            <Text color="magenta">
              {" lock:"}
              <RemoteText text={status.lock} strict />
              {status.lockManual ? " (set)" : ""}
            </Text>
          ) : null}
          {policy !== "off" ? <Text color={policy === "on" ? "green" : "yellow"}>{` pgp:${policy}`}</Text> : null}
          <Text> </Text>
        </Box>
      ) : null}
      {/* The flash can be the last line of a command's output: remote text, so sanitised. */}
      <RemoteText text={text} dimColor wrap="truncate" />
    </Box>
  );
});
