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

test("a frame store tells at once after a quiet spell, then at most once per frame however many changes come", async () => {
  const store = createStore(undefined, { notify: "frame", frameMs: 50 });
  const told: number[] = [];
  store.subscribe(() => told.push(performance.now()));
  store.dispatch({ type: "account/reset", account: "a" });
  await new Promise((r) => setImmediate(r));
  expect(told).toHaveLength(1);
  // A burst right after: held back for the rest of the frame, then told once.
  for (let i = 0; i < 50; i++) store.dispatch({ type: "account/reset", account: `b${i}` });
  await new Promise((r) => setImmediate(r));
  expect(told).toHaveLength(1);
  expect(Object.keys(store.getState().accounts)).toHaveLength(51);
  await new Promise<void>((resolve) => {
    const off = store.subscribe(() => {
      off();
      resolve();
    });
  });
  expect(told).toHaveLength(2);
  expect(told[1]! - told[0]!).toBeGreaterThanOrEqual(45);
});
