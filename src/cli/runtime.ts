/**
 * Process-wide runtime settings of the jabterm binary, applied by bin/jabterm.js before the rest
 * of jabterm loads (and by the interface benchmark, bench/tui-app.ts, so that it measures the
 * same process). Nothing else in jabterm changes process-wide state.
 */
import { setFlagsFromString } from "node:v8";

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
