/**
 * XEP-0392 (Consistent Color Generation) 1.0: the same string (a nick, a JID) gets the same
 * colour in every client. Angle: SHA-1 of the UTF-8 string, its first two bytes as a
 * little-endian 16-bit number, over 65536, times 360. Colour: HSLuv with that hue, saturation
 * 100, lightness 50. Pure; the interface caches the results.
 */
import { createHash } from "node:crypto";

export function colorAngle(text: string): number {
  const d = createHash("sha1").update(text, "utf8").digest();
  return ((d[0]! + d[1]! * 256) / 65536) * 360;
}

// HSLuv (https://www.hsluv.org/), the reference algorithm.
const M = [
  [3.240969941904521, -1.537383177570093, -0.498610760293],
  [-0.96924363628087, 1.87596750150772, 0.041555057407175],
  [0.055630079696993, -0.20397695888897, 1.056971514242878],
] as const;
const REF_U = 0.19783000664283;
const REF_V = 0.46831999493879;
const KAPPA = 903.2962962;
const EPSILON = 0.0088564516;

function maxChroma(l: number, h: number): number {
  const sub1 = (l + 16) ** 3 / 1560896;
  const sub2 = sub1 > EPSILON ? sub1 : l / KAPPA;
  const hrad = (h / 360) * 2 * Math.PI;
  let min = Infinity;
  for (const [m1, m2, m3] of M) {
    for (const t of [0, 1]) {
      const top1 = (284517 * m1 - 94839 * m3) * sub2;
      const top2 = (838422 * m3 + 769860 * m2 + 731718 * m1) * l * sub2 - 769860 * t * l;
      const bottom = (632260 * m3 - 126452 * m2) * sub2 + 126452 * t;
      const length = top2 / bottom / (Math.sin(hrad) - (top1 / bottom) * Math.cos(hrad));
      if (length >= 0) min = Math.min(min, length);
    }
  }
  return min;
}

function fromLinear(c: number): number {
  return c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
}

/** HSLuv (h in degrees, s and l 0..100) to RGB (0..1 each). */
export function hsluvToRgb(h: number, s: number, l: number): [number, number, number] {
  if (l > 99.9999999) return [1, 1, 1];
  if (l < 1e-8) return [0, 0, 0];
  const c = (maxChroma(l, h) / 100) * s;
  const hrad = (h / 360) * 2 * Math.PI;
  const u = Math.cos(hrad) * c;
  const v = Math.sin(hrad) * c;
  const varU = u / (13 * l) + REF_U;
  const varV = v / (13 * l) + REF_V;
  const y = l <= 8 ? l / KAPPA : ((l + 16) / 116) ** 3;
  const x = 0 - (9 * y * varU) / ((varU - 4) * varV - varU * varV);
  const z = (9 * y - 15 * varV * y - varV * x) / (3 * varV);
  const rgb = M.map(([a, b, cc]) => Math.min(1, Math.max(0, fromLinear(a * x + b * y + cc * z))));
  return [rgb[0]!, rgb[1]!, rgb[2]!];
}

const cache = new Map<string, string>();

/** The XEP-0392 colour of `text` as #rrggbb. */
export function consistentColor(text: string): string {
  let hex = cache.get(text);
  if (!hex) {
    const [r, g, b] = hsluvToRgb(colorAngle(text), 100, 50);
    hex = `#${[r, g, b].map((c) => Math.round(c * 255).toString(16).padStart(2, "0")).join("")}`;
    if (cache.size > 2000) cache.clear();
    cache.set(text, hex);
  }
  return hex;
}
