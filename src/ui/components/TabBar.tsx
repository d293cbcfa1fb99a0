/** Tab numbers, the account each tab belongs to (name and colour), unread and activity markers. */
import { Box, Text } from "ink";

import type { JabtermClient } from "../../core/client.js";
import { useStoreSelector } from "../hooks/use-store.js";
import type { Tab } from "../state/ui-store.js";
import { accountColor } from "../theme.js";
import { RemoteText } from "./RemoteText.js";

function unreadOf(state: ReturnType<JabtermClient["store"]["getState"]>, tab: Tab): number {
  return tab.kind === "chat" ? (state.accounts[tab.account]?.conversations[tab.peer]?.unread ?? 0) : 0;
}

export function TabBar({ client, tabs, current, width }: { client: JabtermClient; tabs: Tab[]; current: number; width: number }) {
  // Re-render on unread changes only: select a compact signature.
  const unread = useStoreSelector(
    client.store,
    (s) => tabs.map((t) => unreadOf(s, t)).join(","),
  );
  const counts = unread.split(",").map(Number);
  return (
    <Box width={width} overflow="hidden">
      {tabs.map((t, i) => {
        const active = i === current;
        const n = counts[i] ?? 0;
        return (
          <Box key={t.id} marginRight={1}>
            <Text inverse={active} bold={n > 0}>{`${i + 1}:`}</Text>
            {t.kind === "console" ? (
              <Text inverse={active}>console</Text>
            ) : (
              <>
                <Text inverse={active} color={accountColor(t.account)}>{`${t.account}›`}</Text>
                {t.kind === "chat" ? <RemoteText text={t.peer} strict bold={n > 0} /> : <Text inverse={active}>xml</Text>}
              </>
            )}
            {n > 0 ? <Text color="yellow">{`[${n}]`}</Text> : null}
          </Box>
        );
      })}
    </Box>
  );
}
