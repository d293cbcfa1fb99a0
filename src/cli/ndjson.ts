/**
 * The headless event stream: one JSON object per line, `\n` only, each with `event` and `ts`
 * (ISO-8601 UTC with milliseconds). Schema version `v` is announced in `ready`.
 */
import type { Writable } from "node:stream";

import { jsonLine } from "../core/text/json-line.js";

export const NDJSON_VERSION = 1;

export class NdjsonWriter {
  constructor(private readonly out: Writable) {}

  write(event: string, fields: Record<string, unknown> = {}): void {
    const obj: Record<string, unknown> = { event, ts: new Date().toISOString() };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) obj[k] = v;
    this.out.write(`${jsonLine(obj)}\n`);
  }
}
