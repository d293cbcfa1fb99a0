/** The roster slice: actions, a pure reducer, and selectors. */
import type { AccountSlice } from "../types.js";

export type RosterAction = { type: "roster/placeholder"; account: string };

export function rosterReducer(slice: AccountSlice["roster"], action: { type: string }): AccountSlice["roster"] {
  void action;
  return slice;
}
