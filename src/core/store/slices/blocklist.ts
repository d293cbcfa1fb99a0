/** The blocklist slice: actions, a pure reducer, and selectors. */
import type { AccountSlice } from "../types.js";

export type BlocklistAction = { type: "blocklist/placeholder"; account: string };

export function blocklistReducer(slice: AccountSlice["blocked"], action: { type: string }): AccountSlice["blocked"] {
  void action;
  return slice;
}
