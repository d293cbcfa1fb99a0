#!/usr/bin/env node
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
