/**
 * `npx tsx bench/trace-report.ts <file> [N]`: where the slowest keystroke echoes of a
 * `TRACE=<file> npm run bench` flood waited (the file's format: bench/tui-app.ts, TRACE).
 *
 * Each key's echo is split into: typed until the app read the terminal (the app was busy, or not
 * on a CPU), read until the app wrote (its own work for the key), written until the bench saw it
 * (the pty and the bench). For the N slowest (default 8), the app's callbacks and garbage
 * collections between the key and the read are listed, with the kernel's account of each callback
 * (time on a CPU; time runnable but waiting for one; the rest of its wall time it was blocked).
 * The kernel updates those at its ticks, so they are a few ms either way. Tracing costs the app
 * CPU: take the benchmark's figures from a run without it.
 */
import fs from "node:fs";

const [file, nArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: tsx bench/trace-report.ts <trace file> [N]\n");
  process.exit(2);
}
const N = Number(nArg ?? 8);
const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => l.split(" "));
const times = (kind: string) => lines.filter((l) => l[0] === kind).map((l) => Number(l[1])).sort((a, b) => a - b);
const ins = times("IN");
const outs = times("OUT");
const firstAfter = (xs: number[], t: number) => xs.find((x) => x >= t) ?? Number.NaN;
const callbacks = lines.filter((l) => l[0] === "CB" || l[0] === "GC").sort((a, b) => Number(a[1]) - Number(b[1]));

type Key = { at: number; total: number; toRead: number; toWrite: number; toSeen: number; read: number };
const keys: Key[] = lines
  .filter((l) => l[0] === "KEY")
  .map((l) => {
    const at = Number(l[1]);
    const total = Number(l[2]);
    const read = firstAfter(ins, at);
    const write = firstAfter(outs, read);
    return { at, total, read, toRead: read - at, toWrite: write - read, toSeen: at + total - write };
  });
if (keys.length === 0) {
  process.stderr.write(`${file}: no keys (was the file written by a TRACE run of bench/tui.ts?)\n`);
  process.exit(1);
}
const pct = (xs: number[], p: number) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))] ?? Number.NaN;
};
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "?").padStart(7);
process.stdout.write(`${keys.length} keys during the flood           median      p99      max\n`);
for (const [name, pick] of [
  ["echo (typed to seen)", (k: Key) => k.total],
  ["typed to the app's read", (k: Key) => k.toRead],
  ["the app's read to its write", (k: Key) => k.toWrite],
  ["written to seen by the bench", (k: Key) => k.toSeen],
] as const) {
  const xs = keys.map(pick);
  process.stdout.write(`  ${name.padEnd(30)} ${f(pct(xs, 50))}  ${f(pct(xs, 99))}  ${f(Math.max(...xs.filter(Number.isFinite)))} ms\n`);
}
for (const k of [...keys].sort((a, b) => b.total - a.total).slice(0, N)) {
  process.stdout.write(`\nkey at ${new Date(k.at).toISOString()}: echo ${k.total.toFixed(1)} ms = ${k.toRead.toFixed(1)} until read + ${k.toWrite.toFixed(1)} + ${k.toSeen.toFixed(1)}\n`);
  for (const c of callbacks) {
    const start = Number(c[1]);
    const ms = Number(c[2]);
    if (start + ms < k.at - 1 || start > k.read) continue;
    const when = `+${(start - k.at).toFixed(1)}`.padStart(8);
    if (c[0] === "GC") process.stdout.write(`  ${when} ms  GC ${ms.toFixed(1)} ms (kind ${c[3]})\n`);
    else {
      const [cpu, wait] = [Number(c[3]), Number(c[4])];
      const blocked = ms - cpu - wait;
      process.stdout.write(`  ${when} ms  ${c[5]} ${ms.toFixed(1)} ms (on a CPU ${cpu.toFixed(1)}, waiting for one ${wait.toFixed(1)}, blocked ${blocked.toFixed(1)})\n`);
    }
  }
}
