/**
 * Summarise what `HEAPSNAP=<dir> npm run bench` or `HEAPPROFILE=<dir> npm run bench` wrote:
 *
 *   npx tsx bench/heap-report.ts <file.heapsnapshot> [top]
 *     live heap by type and constructor (self sizes), the largest retained sizes (dominator tree)
 *     with their retainer path, and the largest strings (module sources show up there);
 *   npx tsx bench/heap-report.ts <file.heapprofile> [top]
 *     V8's sampling heap profile by allocating function, and by its whole stack (the first frames).
 *
 * A snapshot is taken after a full collection, so it shows what is alive, not what the garbage
 * collector has yet to free: compare its total with the heapUsed the bench reports.
 */
import fs from "node:fs";

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: tsx bench/heap-report.ts <file.heapsnapshot|file.heapprofile> [top]\n");
  process.exit(2);
}
const top = Number(topArg ?? 30);
const mb = (b: number) => `${(b / 1048576).toFixed(2).padStart(8)} MB`;
const data = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;

if ("head" in data) profile(data as unknown as Profile);
else snapshot(data as unknown as Snapshot);

// ---------------------------------------------------------------------------------------------
// sampling heap profile

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  callFrame: Frame;
  selfSize: number;
  children: ProfileNode[];
}
interface Profile {
  head: ProfileNode;
}

function profile(p: Profile): void {
  const where = (f: Frame) => `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(node_modules|dist)\//, "$1/")}:${f.lineNumber + 1}`;
  const bySelf = new Map<string, number>();
  const byStack = new Map<string, number>();
  let total = 0;
  const walk = (n: ProfileNode, stack: Frame[]) => {
    const s = [...stack, n.callFrame];
    if (n.selfSize) {
      total += n.selfSize;
      const k = where(n.callFrame);
      bySelf.set(k, (bySelf.get(k) ?? 0) + n.selfSize);
      const ks = s
        .filter((f) => f.url)
        .reverse()
        .slice(0, 5)
        .map(where)
        .join(" < ");
      byStack.set(ks, (byStack.get(ks) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, s);
  };
  walk(p.head, []);
  const print = (title: string, m: Map<string, number>) => {
    process.stdout.write(`\n== ${title} ==\n`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${mb(v)}  ${k}\n`);
  };
  process.stdout.write(`sampled: ${mb(total)}\n`);
  print("by allocating function", bySelf);
  print("by stack (innermost first)", byStack);
}

// ---------------------------------------------------------------------------------------------
// heap snapshot

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function snapshot(snap: Snapshot): void {
  const meta = snap.snapshot.meta;
  const NF = meta.node_fields.length;
  const EF = meta.edge_fields.length;
  const [T_TYPE, T_NAME, T_SELF, T_EDGES] = ["type", "name", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
  const [E_TYPE, E_NAME, E_TO] = ["type", "name_or_index", "to_node"].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = snap;
  const N = nodes.length / NF;
  const type = (i: number) => nodeTypes[nodes[i * NF + T_TYPE]!]!;
  const name = (i: number) => strings[nodes[i * NF + T_NAME]!]!;
  const self = (i: number) => nodes[i * NF + T_SELF]!;
  const firstEdge = new Uint32Array(N + 1);
  for (let i = 0, e = 0; i < N; i++) {
    firstEdge[i] = e;
    e += nodes[i * NF + T_EDGES]! * EF;
    firstEdge[i + 1] = e;
  }
  const skip = new Set([edgeTypes.indexOf("weak"), edgeTypes.indexOf("shortcut")]);
  const target = (e: number) => edges[e + E_TO]! / NF;

  // predecessors
  const predCount = new Uint32Array(N + 1);
  for (let e = 0; e < edges.length; e += EF) if (!skip.has(edges[e + E_TYPE]!)) predCount[target(e) + 1]!++;
  for (let i = 0; i < N; i++) predCount[i + 1]! += predCount[i]!;
  const preds = new Uint32Array(predCount[N]!);
  const predEdge = new Uint32Array(predCount[N]!);
  const fill = predCount.slice(0, N);
  for (let i = 0; i < N; i++)
    for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += EF) {
      if (skip.has(edges[e + E_TYPE]!)) continue;
      const k = fill[target(e)]!++;
      preds[k] = i;
      predEdge[k] = e;
    }

  // depth-first post order from the root, then dominators (Cooper, Harvey, Kennedy)
  const post = new Int32Array(N).fill(-1);
  const order = new Uint32Array(N);
  let count = 0;
  {
    const stack = [0];
    const next = new Uint32Array(N);
    const seen = new Uint8Array(N);
    seen[0] = 1;
    next[0] = firstEdge[0]!;
    while (stack.length) {
      const v = stack[stack.length - 1]!;
      let pushed = false;
      while (next[v]! < firstEdge[v + 1]!) {
        const e = next[v]!;
        next[v] = e + EF;
        if (skip.has(edges[e + E_TYPE]!)) continue;
        const w = target(e);
        if (seen[w]) continue;
        seen[w] = 1;
        next[w] = firstEdge[w]!;
        stack.push(w);
        pushed = true;
        break;
      }
      if (!pushed) {
        stack.pop();
        post[v] = count;
        order[count++] = v;
      }
    }
  }
  const idom = new Int32Array(N).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (post[a]! < post[b]!) a = idom[a]!;
      while (post[b]! < post[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = count - 2; k >= 0; k--) {
      const v = order[k]!;
      let d = -1;
      for (let p = predCount[v]!; p < predCount[v + 1]!; p++) {
        const u = preds[p]!;
        if (post[u]! < 0 || idom[u]! < 0) continue;
        d = d < 0 ? u : intersect(u, d);
      }
      if (d >= 0 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(N);
  for (let k = 0; k < count; k++) {
    const v = order[k]!;
    retained[v]! += self(v);
    if (v !== 0) retained[idom[v]!]! += retained[v]!;
  }

  const label = (i: number) => `${type(i)}:${name(i).slice(0, 60).replace(/\n/g, " ")}`;
  const edgeName = (e: number) => {
    const t = edgeTypes[edges[e + E_TYPE]!];
    const n = edges[e + E_NAME]!;
    return t === "element" || t === "hidden" ? `[${n}]` : String(strings[n]);
  };
  /** The retainer chain towards the root, through each node's earliest-visited holder. */
  const retainers = (i: number, depth = 7) => {
    const out: string[] = [];
    for (let v = i, d = 0; d < depth && v !== 0; d++) {
      let best = -1;
      let via = -1;
      for (let p = predCount[v]!; p < predCount[v + 1]!; p++) {
        const u = preds[p]!;
        if (post[u]! >= 0 && (best < 0 || post[u]! > post[best]!)) {
          best = u;
          via = predEdge[p]!;
        }
      }
      if (best < 0) break;
      out.push(`${edgeName(via)} <- ${label(best)}`);
      v = best;
    }
    return out.join("  |  ");
  };

  let total = 0;
  const byKind = new Map<string, [number, number]>();
  const allStrings: number[] = [];
  for (let k = 0; k < count; k++) {
    const i = order[k]!;
    const t = type(i);
    total += self(i);
    const key = t === "object" || t === "closure" || t === "native" ? `${t}:${name(i)}` : t;
    const a = byKind.get(key) ?? [0, 0];
    a[0] += self(i);
    a[1]++;
    byKind.set(key, a);
    if (t.endsWith("string")) allStrings.push(i);
  }
  process.stdout.write(`${count} live objects, ${mb(total)} (V8 heap and the native memory it accounts for)\n\n== by type/constructor (self size, count) ==\n`);
  for (const [k, [s, c]] of [...byKind].sort((a, b) => b[1][0] - a[1][0]).slice(0, top)) process.stdout.write(`${mb(s)} ${String(c).padStart(8)}  ${k.slice(0, 100)}\n`);

  process.stdout.write(`\n== largest retained sizes ==\n`);
  const big: number[] = [];
  for (let k = 0; k < count; k++) if (type(order[k]!) !== "synthetic" && retained[order[k]!]! > 200_000) big.push(order[k]!);
  big.sort((a, b) => retained[b]! - retained[a]!);
  for (const i of big.slice(0, top)) process.stdout.write(`${mb(retained[i]!)}  ${label(i)}\n              ${retainers(i)}\n`);

  process.stdout.write(`\n== largest strings ==\n`);
  allStrings.sort((a, b) => self(b) - self(a));
  for (const i of allStrings.slice(0, top)) process.stdout.write(`${mb(self(i))}  ${JSON.stringify(name(i).slice(0, 90))}\n`);
}
