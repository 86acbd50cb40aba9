/**
 * The temperature of a container-day and its source (spec 3.3): measured, interpolated between
 * measured days at most 7 days away on both sides, nearest on one side, else the scenario profile.
 */
import type { TempSource } from './document';

export const TEMP_SOURCES: TempSource[] = ['measured', 'interpolated', 'nearest', 'profile'];
export const enum TempSrc { Measured = 0, Interpolated = 1, Nearest = 2, Profile = 3 }
const REACH_DAYS = 7;

export interface TempSeries {
  /** Day number of index 0. */
  base: number;
  tempC: number[];
  source: number[];
  confidence: number[];
}

/** Builds the series for days base..end from the measured daily means and the profile. */
export function temperatureSeries(
  measured: Map<number, number>, base: number, end: number, profile: (day: number) => number,
): TempSeries {
  const n = end - base + 1;
  const lo = base - REACH_DAYS;
  const span = n + REACH_DAYS;
  const m: number[] = new Array(span).fill(NaN);
  for (const [d, v] of measured) if (d >= lo && d <= end) m[d - lo] = v;
  // Index of the nearest measured day at or before / at or after each index (-1 when none).
  const prev: number[] = new Array(span).fill(-1);
  let last = -1;
  for (let i = 0; i < span; i++) { if (!Number.isNaN(m[i]!)) last = i; prev[i] = last; }
  const next: number[] = new Array(span).fill(-1);
  last = -1;
  for (let i = span - 1; i >= 0; i--) { if (!Number.isNaN(m[i]!)) last = i; next[i] = last; }

  const tempC: number[] = new Array(n).fill(0);
  const source: number[] = new Array(n).fill(0);
  const confidence: number[] = new Array(n).fill(0);
  for (let k = 0; k < n; k++) {
    const i = k + REACH_DAYS;
    const v = m[i]!;
    if (!Number.isNaN(v)) { tempC[k] = v; source[k] = TempSrc.Measured; confidence[k] = 1.0; continue; }
    const b = prev[i]!, a = next[i]!;
    const hasB = b >= 0 && i - b <= REACH_DAYS;
    const hasA = a >= 0 && a - i <= REACH_DAYS;
    if (hasB && hasA) {
      tempC[k] = m[b]! + ((m[a]! - m[b]!) * (i - b)) / (a - b);
      source[k] = TempSrc.Interpolated;
      confidence[k] = Math.max(0.6, 0.9 - (a - b) / 30);
    } else if (hasB || hasA) {
      tempC[k] = hasB ? m[b]! : m[a]!;
      source[k] = TempSrc.Nearest;
      confidence[k] = 0.6;
    } else {
      tempC[k] = profile(base + k);
      source[k] = TempSrc.Profile;
      confidence[k] = 0.5;
    }
  }
  return { base, tempC, source, confidence };
}
