/**
 * Tab numbers, the account each tab belongs to (name and colour), 🔒 where the conversation is
 * encrypted (policy on or auto), unread counts: the
 * conversation's in this run plus what was carried over from the last run (kept in the tab).
 * Room tabs are marked "#", and carry a separate highlight count ("!N") for messages that
 * mention you.
 */
import { Box, Text } from "ink";
import { memo } from "react";

import type { Tab } from "../state/ui-store.js";
import { accountColor } from "../theme.js";
import { RemoteText } from "./RemoteText.js";

/** `encrypted`: ids of the chat tabs whose encryption policy is on or auto (marked 🔒); `rooms`: highlights per room tab id. */
export const TabBar = memo(function TabBar({ tabs, current, width, encrypted, rooms }: { tabs: readonly Tab[]; current: number; width: number; encrypted?: ReadonlySet<string>; rooms?: Readonly<Record<string, number>> }) {
  return (
    <Box width={width} height={1} overflow="hidden">
      {tabs.map((t, i) => {
        const active = i === current;
        const n = t.kind === "chat" ? (t.unread ?? 0) : 0;
        const room = rooms?.[t.id];
        return (
          <Box key={t.id} marginRight={1} flexShrink={0}>
            <Text inverse={active} bold={n > 0}>{`${i + 1}:`}</Text>
            {t.kind === "console" ? (
              <Text inverse={active}>console</Text>
            ) : (
              <>
                <Text inverse={active} color={accountColor(t.account)}>{`${t.account}›`}</Text>
                {t.kind === "chat" ? (
                  <Text inverse={active}>
                    {room !== undefined ? <Text color="cyan">#</Text> : null}
                    <RemoteText text={t.peer} strict bold={n > 0} />
                  </Text>
                ) : (
                  <Text inverse={active}>xml</Text>
                )}
              </>
            )}
            {encrypted?.has(t.id) ? <Text color="green">🔒</Text> : null}
            {n > 0 ? <Text color="yellow">{`[${n}]`}</Text> : null}
            {room ? <Text color="red" bold>{`!${room}`}</Text> : null}
          </Box>
        );
      })}
    </Box>
  );
});
