/**
 * The conversation drawn straight onto its rectangle of the screen (a compositor region), from
 * the core store, whenever the store tells its subscribers: what <ChatView> shows (chatPane: the
 * same rows and footer), without a React render or an Ink frame. A flood of
 * messages then costs the rows that changed, not a layout and re-tokenising of the whole screen.
 *
 * The app says where and what (`set`): the rectangle, the conversation, the scroll offset, the
 * formats. Everything drawn is laid out spans (sanitised, see RemoteText.tsx) turned into SGR.
 */
import type { Store } from "../../core/store/store.js";
import type { Conversation } from "../../core/store/types.js";
import { chatPane } from "../components/ChatView.js";
import { spanRowAnsi } from "../components/RemoteText.js";
import type { Formats } from "../format.js";
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

export function attachChatSurface(screen: Compositor, store: Store): ChatSurface {
  let spec: ChatPaneSpec | undefined;
  let drawn: { conv: Conversation | undefined; spec: ChatPaneSpec } | undefined;
  let clampedTo: number | undefined;

  const draw = (): void => {
    if (!spec) return;
    const conv = store.getState().accounts[spec.account]?.conversations[spec.peer];
    if (drawn && drawn.conv === conv && drawn.spec === spec) return;
    drawn = { conv, spec };
    const { x, y, width, height, peer, scroll, formats, hideJoins } = spec;
    const pane = chatPane(conv, { peer, rows: height, width, scroll, formats, hideJoins });
    if (pane.scroll !== scroll && clampedTo !== pane.scroll) {
      clampedTo = pane.scroll;
      const clamp = spec.onScrollClamp;
      const value = pane.scroll;
      queueMicrotask(() => clamp?.(value));
    }
    const lines = [...pane.rows.map((r) => r.spans), ...pane.footer].map(spanRowAnsi).slice(-height);
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
