/**
 * Process-wide runtime settings of the jabterm binary, applied by bin/jabterm.js before the rest
 * of jabterm loads (and by the interface benchmarks, bench/tui-app.ts and bench/muc-app.ts, so
 * that they measure the same process). Nothing else in jabterm changes process-wide state.
 */
import { setFlagsFromString } from "node:v8";

/**
 * V8 flags that only take effect when node starts (changed later, V8 aborts): bin/jabterm.js's
 * first lines start node with them (the shell reads those lines; keep the two lists the same, a
 * test checks it).
 *
 * `--single-threaded-gc`: the garbage collector works on the main thread only. By default V8
 * scavenges in parallel and marks and sweeps concurrently on helper threads, and the main thread
 * waits for those helpers at the end of each collection. On a machine whose cores are busy (two
 * cores shared with a server delivering a flood, or a loaded SSH host) the helpers are descheduled
 * and the main thread, the one that echoes keys, sat blocked for 10-25 ms at a time. jabterm's heap
 * is small (30-70 MB), so collecting it on one thread costs little: under the benchmark's
 * 10,000-message flood, keystroke echo p99 went from 21-37 ms to 15-21 ms, and CPU did not grow.
 */
export const NODE_START_FLAGS = ["--single-threaded-gc"] as const;

/**
 * V8 runs a full garbage collection when the old generation has grown to a multiple of what the
 * last one left alive (plus the young generation's size). It picks that multiple from the speed of
 * the collector and the program, capped at 4 on a machine with a few GB of RAM or more. jabterm's
 * live heap is ~30 MB (code and module sources, the roster, the last 1,000 messages of each
 * conversation); everything a message flood or a redraw leaves behind (parsed stanzas, Ink's frame
 * buffers) counts towards the multiple, so the heap stood at ~150 MB and the process at ~270 MB
 * while under 40 MB of it was alive. A fixed factor of 1.5 collects sooner: the heap stays within
 * ~60 MB, at the cost of more full collections (mostly incremental and concurrent: under the 10,000
 * message benchmark flood GC time did not grow).
 */
export const HEAP_GROWING_PERCENT = 50;

/** Apply the settings above, unless the user set the same V8 flag (NODE_OPTIONS, node's argv). */
export function tuneRuntime(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((a) => /heap[-_]growing[-_]percent/.test(a));
  if (!given) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
