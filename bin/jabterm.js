#!/usr/bin/env node
// React's development build costs ~15% CPU and ~150 MB during a message flood: use the production
// build unless the environment asks otherwise. Set before anything imports React.
process.env.NODE_ENV ??= "production";
// Ink (is-in-ci) and chalk (supports-color) decide when they are imported, from CI and
// CONTINUOUS_INTEGRATION, to draw no live frames and no colours (even for CI=false). A person at a
// terminal gets both whatever their shell exports: hide the two variables while the code loads,
// then put them back for the programs jabterm starts (password commands, hooks, /exec).
const hidden = {};
if (process.stdout.isTTY) {
  for (const key of ["CI", "CONTINUOUS_INTEGRATION"]) {
    if (key in process.env) {
      hidden[key] = process.env[key];
      delete process.env[key];
    }
  }
}
const { main } = await import("../dist/cli/main.js");
Object.assign(process.env, hidden);

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
