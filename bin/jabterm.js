#!/bin/sh
':' //; exec node --single-threaded-gc "$0" "$@"
// The two lines above are read by sh and by node: sh starts node with the V8 flags that can only
// be given at start (src/cli/runtime.ts, NODE_START_FLAGS); node sees a string and a comment.
// `node bin/jabterm.js` works too, without those flags.
// React's development build costs ~15% CPU and ~150 MB during a message flood: use the production
// build unless the environment asks otherwise. Set before anything imports React.
process.env.NODE_ENV ??= "production";
// The garbage collector's heap growth, before the rest loads (see src/cli/runtime.ts).
(await import("../dist/cli/runtime.js")).tuneRuntime();
const { main } = await import("../dist/cli/main.js");

main().then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain, then leave even if a socket or timer lingers.
    process.stdout.write("", () => process.exit(code));
  },
  (err) => {
    process.stderr.write(`jabterm: internal error: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
