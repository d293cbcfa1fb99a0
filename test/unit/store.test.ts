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

test("a frame store spaces frames busyFactor times what telling cost while rendering is expensive", async () => {
  const store = createStore(undefined, { notify: "frame", frameMs: 10, busyFactor: 4, maxFrameMs: 1000 });
  const told: number[] = [];
  // A subscriber whose "render" takes ~30 ms (a busy wait: the cost is what is being measured).
  store.subscribe(() => {
    told.push(performance.now());
    const end = performance.now() + 30;
    while (performance.now() < end);
  });
  const next = () =>
    new Promise<void>((resolve) => {
      const off = store.subscribe(() => {
        off();
        resolve();
      });
    });
  store.dispatch({ type: "account/reset", account: "a" });
  await next();
  await new Promise((r) => setImmediate(r)); // the next change comes in a later turn, as from a socket
  store.dispatch({ type: "account/reset", account: "b" });
  await next();
  // 4 x ~30 ms between the starts of the two frames, not frameMs (10 ms).
  expect(told[1]! - told[0]!).toBeGreaterThanOrEqual(110);
  expect(told[1]! - told[0]!).toBeLessThan(1000);
});

test("a first listener runs before the others, and what it dispatches is what they see", async () => {
  const store = createStore(undefined, { notify: "frame", frameMs: 5 });
  const seen: string[] = [];
  store.subscribe(() => seen.push(`view sees ${Object.keys(store.getState().accounts).join(",")}`));
  store.subscribe(
    () => {
      seen.push("first");
      if (!store.getState().accounts.read) store.dispatch({ type: "account/reset", account: "read" });
    },
    { first: true },
  );
  store.dispatch({ type: "account/reset", account: "a" });
  await new Promise<void>((resolve) => {
    const off = store.subscribe(() => {
      off();
      resolve();
    });
  });
  expect(seen.slice(0, 2)).toEqual(["first", "view sees a,read"]);
});
