/** The presence slice: actions, a pure reducer, and selectors. */
import type { AccountSlice } from "../types.js";

export type PresenceAction = { type: "presence/placeholder"; account: string };

export function presenceReducer(slice: AccountSlice["presence"], action: { type: string }): AccountSlice["presence"] {
  void action;
  return slice;
}
