/** The error `fn` throws (fails the test when it throws nothing), for asserting on its fields. */
export function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an exception");
}
