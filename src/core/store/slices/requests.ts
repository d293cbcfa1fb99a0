/** The requests slice: actions, a pure reducer, and selectors. */
import type { AccountSlice } from "../types.js";

export type RequestsAction = { type: "requests/placeholder"; account: string };

export function requestsReducer(slice: AccountSlice["requests"], action: { type: string }): AccountSlice["requests"] {
  void action;
  return slice;
}
