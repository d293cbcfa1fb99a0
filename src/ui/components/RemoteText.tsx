/**
 * The ONE way text from the network reaches the terminal: every string goes through the core
 * sanitiser; placeholders for defused characters are dimmed. Never render remote text with a
 * bare <Text>.
 */
import { Text } from "ink";
import { memo } from "react";

import { sanitizeSegments } from "../../core/text/sanitize.js";

export interface RemoteTextProps {
  text: string;
  /** Keep newlines (message bodies). */
  multiline?: boolean;
  /** Identifiers (JIDs, nicks, resources): no joiners, no newlines. */
  strict?: boolean;
  color?: string;
  bold?: boolean;
  dimColor?: boolean;
  wrap?: "wrap" | "truncate" | "truncate-end" | "truncate-middle" | "truncate-start";
}

export const RemoteText = memo(function RemoteText({ text, multiline, strict, color, bold, dimColor, wrap }: RemoteTextProps) {
  const segments = sanitizeSegments(text, { multiline, strict });
  return (
    <Text color={color} bold={bold} dimColor={dimColor} wrap={wrap}>
      {segments.map((s, i) =>
        s.inert ? (
          <Text key={i} dimColor inverse>
            {s.text}
          </Text>
        ) : (
          s.text
        ),
      )}
    </Text>
  );
});
