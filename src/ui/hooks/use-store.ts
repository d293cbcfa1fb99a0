/**
 * Read the core store from React: a component re-renders only when its selected value changes
 * (useSyncExternalStore over the store's subscribe/getState).
 */
import { useCallback, useRef, useSyncExternalStore } from "react";

import type { Store } from "../../core/store/store.js";
import type { State } from "../../core/store/types.js";

export function useStoreSelector<T>(store: Store, selector: (state: State) => T, equal: (a: T, b: T) => boolean = Object.is): T {
  const last = useRef<{ state: State; selector: (state: State) => T; value: T } | null>(null);
  const get = useCallback(() => {
    const state = store.getState();
    // A new selector (other props) must be asked even when the state is the same.
    if (last.current && last.current.state === state && last.current.selector === selector) return last.current.value;
    const value = selector(state);
    if (last.current && equal(last.current.value, value)) {
      last.current = { state, selector, value: last.current.value };
      return last.current.value;
    }
    last.current = { state, selector, value };
    return value;
  }, [store, selector, equal]);
  return useSyncExternalStore(store.subscribe, get, get);
}
