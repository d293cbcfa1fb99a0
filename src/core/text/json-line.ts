/**
 * JSON for line-based consumers (the NDJSON stream, hook programs): characters that are valid in
 * JSON strings but unsafe on a terminal or in line-based tools (DEL, C1 controls, line/paragraph
 * separators, bidi and zero-width format characters, BOM) are written as \uXXXX escapes, so the
 * decoded text stays exactly what was received and the line is safe to print and to split on \n.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

export function escapeUnsafeJson(s: string): string {
  return s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** One JSON value on one line (no trailing newline). */
export function jsonLine(value: unknown): string {
  return escapeUnsafeJson(JSON.stringify(value));
}
