#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

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
