/** The conversations slice: actions, a pure reducer, and selectors. */
import type { AccountSlice } from "../types.js";

export type ConversationsAction = { type: "conversations/placeholder"; account: string };

export function conversationsReducer(slice: AccountSlice["conversations"], action: { type: string }): AccountSlice["conversations"] {
  void action;
  return slice;
}
