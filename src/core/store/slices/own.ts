/** The own slice: actions, a pure reducer, and selectors. */
import type { AccountSlice } from "../types.js";

export type OwnAction = { type: "own/placeholder"; account: string };

export function ownReducer(slice: AccountSlice["own"], action: { type: string }): AccountSlice["own"] {
  void action;
  return slice;
}
