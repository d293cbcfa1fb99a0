/**
 * A room's occupants beside its conversation: role (@ moderator, + participant, space visitor),
 * presence glyph, nick in its XEP-0392 colour, affiliation initial (owner ~, admin &, member ·).
 * Nicks are remote text: drawn through RemoteText only.
 */
import { Box, Text } from "ink";
import { memo, useCallback, useMemo } from "react";

import type { JabtermClient } from "../../core/client.js";
import { sortedOccupants } from "../../core/store/slices/rooms.js";
import type { Room, State } from "../../core/store/types.js";
import { consistentColor } from "../../core/text/colors.js";
import { useStoreSelector } from "../hooks/use-store.js";
import { PRESENCE_COLOR, PRESENCE_GLYPH } from "../theme.js";
import { RemoteText } from "./RemoteText.js";

export const ROLE_MARK: Record<string, string> = { moderator: "@", participant: "+", visitor: " ", none: " " };
export const AFFILIATION_MARK: Record<string, string> = { owner: "~", admin: "&", member: "·", outcast: "!", none: " " };

export interface OccupantPaneProps {
  client: JabtermClient;
  account: string;
  room: string;
  width: number;
  rows: number;
}

export const OccupantPane = memo(function OccupantPane({ client, account, room, width, rows }: OccupantPaneProps) {
  const select = useCallback((s: State) => s.accounts[account]?.rooms[room], [account, room]);
  const r = useStoreSelector<Room | undefined>(client.store, select);
  const occupants = useMemo(() => sortedOccupants(r), [r?.occupants]); // eslint-disable-line react-hooks/exhaustive-deps
  const header = r ? (r.state === "joined" ? `${occupants.length} here` : r.state === "joining" ? "joining…" : r.state === "error" ? "not joined" : "left") : "";
  const room_ = Math.max(0, rows - 1);
  const shown = occupants.length > room_ ? occupants.slice(0, Math.max(0, room_ - 1)) : occupants;
  const more = occupants.length - shown.length;
  return (
    <Box flexDirection="column" width={width} height={rows} overflow="hidden">
      <Text dimColor wrap="truncate-end">
        {header}
      </Text>
      {shown.map((o) => (
        <Box key={o.nick} height={1} overflow="hidden">
          <Text wrap="truncate-end">
            <Text color="yellow">{ROLE_MARK[o.role]}</Text>
            <Text color={PRESENCE_COLOR[o.show]}>{PRESENCE_GLYPH[o.show]}</Text>
            <Text dimColor>{AFFILIATION_MARK[o.affiliation]}</Text>
            <RemoteText text={o.nick} strict color={consistentColor(o.nick)} bold={o.nick === r?.nick} />
          </Text>
        </Box>
      ))}
      {more > 0 ? <Text dimColor>{`+${more} more`}</Text> : null}
    </Box>
  );
});

/** The room's topic, one line above its conversation. */
export const RoomTopic = memo(function RoomTopic({ client, account, room, width }: { client: JabtermClient; account: string; room: string; width: number }) {
  const select = useCallback((s: State) => s.accounts[account]?.rooms[room]?.subject, [account, room]);
  const subject = useStoreSelector<string | undefined>(client.store, select);
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text dimColor wrap="truncate-end">
        {"topic: "}
        {subject ? <RemoteText text={subject} /> : "(none)"}
      </Text>
    </Box>
  );
});
