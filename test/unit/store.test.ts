import { expect, test } from "vitest";

import { createStore } from "../../src/core/store/store.js";

test("a coalescing store tells subscribers once per event-loop turn, with the state current at once", async () => {
  const store = createStore(undefined, { notify: "coalesce" });
  let calls = 0;
  store.subscribe(() => calls++);
  for (let i = 0; i < 100; i++) store.dispatch({ type: "account/reset", account: `a${i}` });
  expect(Object.keys(store.getState().accounts)).toHaveLength(100);
  expect(calls).toBe(0);
  await new Promise((r) => setImmediate(r));
  expect(calls).toBe(1);
});

test("a default store tells subscribers after every change", () => {
  const store = createStore();
  let calls = 0;
  store.subscribe(() => calls++);
  store.dispatch({ type: "account/reset", account: "a" });
  store.dispatch({ type: "account/reset", account: "b" });
  expect(calls).toBe(2);
});
