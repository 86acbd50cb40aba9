/**
 * The scenario's temperature profile (spec 3.3 step 4): a constant for freshwater if given, else a
 * seasonal curve by day of year that wraps around the year end.
 */
import type { Environment } from './document';
import { dayOfYear } from './dates';

export interface Profile {
  /** Sorted by day of year. */
  points: { doy: number; tempC: number }[];
  freshwaterC: number | null;
}

export function seasonalTemp(points: Profile['points'], doyRaw: number): number {
  const n = points.length;
  if (n === 0) return NaN;
  if (n === 1) return points[0]!.tempC;
  const x = doyRaw > 365 ? 365 : doyRaw;
  const first = points[0]!, last = points[n - 1]!;
  if (x < first.doy || x >= last.doy) {
    // Between the last point and the first point of the next year.
    const x0 = last.doy, x1 = first.doy + 365;
    const xx = x < first.doy ? x + 365 : x;
    if (x1 === x0) return last.tempC;
    return last.tempC + ((first.tempC - last.tempC) * (xx - x0)) / (x1 - x0);
  }
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.doy <= x) lo = mid;
    else hi = mid;
  }
  const a = points[lo]!, b = points[hi]!;
  if (b.doy === a.doy) return a.tempC;
  return a.tempC + ((b.tempC - a.tempC) * (x - a.doy)) / (b.doy - a.doy);
}

export class ProfileLookup {
  private readonly cache = new Map<number, number>();
  constructor(readonly profile: Profile) {}

  /** Profile temperature for an environment on a day number; NaN when the profile cannot say. */
  temp(env: Environment, day: number): number {
    if (env === 'freshwater' && this.profile.freshwaterC !== null) return this.profile.freshwaterC;
    let t = this.cache.get(day);
    if (t === undefined) {
      t = seasonalTemp(this.profile.points, dayOfYear(day));
      this.cache.set(day, t);
    }
    return t;
  }

  needsPoints(env: Environment): boolean {
    return !(env === 'freshwater' && this.profile.freshwaterC !== null);
  }
}
