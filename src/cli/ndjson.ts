/**
 * The headless event stream: one JSON object per line, `\n` only, each with `event` and `ts`
 * (ISO-8601 UTC with milliseconds). Schema version `v` is announced in `ready`.
 */
import type { Writable } from "node:stream";

export const NDJSON_VERSION = 1;

// Characters that are valid in JSON strings but unsafe on a terminal or in line-based tools: DEL,
// C1 controls, line/paragraph separators, bidi and zero-width format characters, BOM. They are
// written as \uXXXX escapes, so the decoded text stays exactly what was received.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;
const escapeUnsafe = (s: string) => s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

export class NdjsonWriter {
  constructor(private readonly out: Writable) {}

  write(event: string, fields: Record<string, unknown> = {}): void {
    const obj: Record<string, unknown> = { event, ts: new Date().toISOString() };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) obj[k] = v;
    this.out.write(`${escapeUnsafe(JSON.stringify(obj))}\n`);
  }
}
