/**
 * The conversation drawn straight onto its rectangle of the screen (a compositor region), from
 * the core store, whenever the store tells its subscribers: the same layout as <ChatView>
 * (visibleMessages, the same rows and footer), without a React render or an Ink frame. A flood of
 * messages then costs the rows that changed, not a layout and re-tokenising of the whole screen.
 *
 * The app says where and what (`set`): the rectangle, the conversation, the scroll offset, the
 * formats. Everything drawn is laid out spans (sanitised, see RemoteText.tsx) turned into SGR.
 */
import type { Store } from "../../core/store/store.js";
import type { ChatMessage, Conversation } from "../../core/store/types.js";
import { visibleMessages } from "../components/ChatView.js";
import { localSpans, remoteSpans, spanRowAnsi, truncateSpans, type SafeSpan } from "../components/RemoteText.js";
import { belowMarkerText } from "../components/rows.js";
import { DEFAULT_FORMATS, type Formats } from "../format.js";
import type { Compositor, Rect } from "./compositor.js";

export interface ChatPaneSpec extends Rect {
  account: string;
  peer: string;
  /** Rows scrolled up from the bottom. */
  scroll: number;
  formats?: Formats;
  /** Rooms: leave out joins and leaves. */
  hideJoins?: boolean;
  /** The scroll offset had to be clamped to the content (scrolled past the top). */
  onScrollClamp?: (value: number) => void;
}

export interface ChatSurface {
  /** Draw this conversation in this rectangle (undefined: the rectangle goes back to Ink). */
  set(spec: ChatPaneSpec | undefined): void;
  dispose(): void;
}

const EMPTY: readonly ChatMessage[] = [];

/** The footer lines under the messages, as <ChatView> draws them. */
function footerRows(peer: string, width: number, empty: boolean, typing: boolean, below: { scrolled: boolean; count: number }): string[] {
  const out: SafeSpan[][] = [];
  if (empty) out.push([...localSpans("No messages yet. Type to write to ", { dim: true }), ...remoteSpans(peer, { strict: true }, { dim: true }), ...localSpans(".", { dim: true })]);
  if (typing) out.push([...remoteSpans(peer, { strict: true }, { dim: true, italic: true }), ...localSpans(" is typing…", { dim: true, italic: true })]);
  if (below.scrolled) out.push(localSpans(belowMarkerText(below.count, width), { inverse: true }));
  // One row each, cut at the width (as Ink's truncate-end does).
  return out.map((spans) => spanRowAnsi(truncateSpans(spans, Math.max(1, width))));
}

export function attachChatSurface(screen: Compositor, store: Store): ChatSurface {
  let spec: ChatPaneSpec | undefined;
  let drawn: { conv: Conversation | undefined; spec: ChatPaneSpec } | undefined;
  let filtered: { all: readonly ChatMessage[]; messages: readonly ChatMessage[] } | undefined;
  let clampedTo: number | undefined;

  const draw = (): void => {
    if (!spec) return;
    const conv = store.getState().accounts[spec.account]?.conversations[spec.peer];
    if (drawn && drawn.conv === conv && drawn.spec === spec) return;
    drawn = { conv, spec };
    const { x, y, width, height, peer, scroll, formats = DEFAULT_FORMATS } = spec;
    const all = conv?.messages ?? EMPTY;
    let messages = all;
    if (spec.hideJoins) {
      if (filtered?.all !== all) filtered = { all, messages: all.filter((m) => m.notice !== "join" && m.notice !== "leave") };
      messages = filtered.messages;
    }
    const typing = conv?.chatState?.state === "composing";
    const reserved = (typing ? 1 : 0) + (scroll > 0 ? 1 : 0);
    const win = visibleMessages(messages, Math.max(1, height - reserved), width, scroll, formats, peer.includes("/"));
    if (win.scroll !== scroll && clampedTo !== win.scroll) {
      clampedTo = win.scroll;
      const clamp = spec.onScrollClamp;
      const value = win.scroll;
      queueMicrotask(() => clamp?.(value));
    }
    const body = win.rows.map((r) => spanRowAnsi(r.spans));
    const footer = footerRows(peer, width, messages.length === 0, typing, { scrolled: win.scroll > 0, count: win.hiddenBelow });
    const lines = [...body, ...footer].slice(-height);
    const pad: string[] = new Array<string>(Math.max(0, height - lines.length)).fill("");
    screen.setRegion({ x, y, width, height }, [...pad, ...lines]);
  };

  const unsubscribe = store.subscribe(draw);
  // After a resize the screen was cleared: draw again (the app sends the new rectangle as it re-renders).
  const offResize = screen.onResize(() => {
    drawn = undefined;
    draw();
  });
  return {
    set(next) {
      if (!next) {
        if (spec) screen.setRegion(undefined);
        spec = undefined;
        drawn = undefined;
        return;
      }
      if (spec && spec.scroll !== next.scroll) clampedTo = undefined;
      spec = next;
      draw();
    },
    dispose() {
      unsubscribe();
      offResize();
    },
  };
}
