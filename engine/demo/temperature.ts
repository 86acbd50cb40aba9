/**
 * Water temperature for the demo batch: the true daily temperature of every container, the
 * logger readings every 30 minutes (with sensor gaps and a few spikes) and hand-entered daily
 * means. Day numbers are site-local dates (Atlantic/Faroe: UTC in winter, UTC+1 in summer).
 */
import type { ProfilePointDoc, TemperatureDailyDoc, TemperatureReadingDoc } from '../document';
import { dayToIso, isoDayPrefix, lastSundayOf, civilFromDays, dayOfYear } from './days';
import { Rng } from './random';

/** Faroe sea temperature, monthly means January–December (°C). */
export const SEA_MONTHLY_MEAN_C = [6.7, 6.1, 6.1, 6.6, 7.6, 8.8, 9.8, 10.4, 10.4, 9.9, 8.9, 7.7] as const;
/** The middle day of each month as a day of year (non-leap year). */
export const MID_MONTH_DAY_OF_YEAR = [16, 45, 75, 105, 136, 166, 197, 228, 258, 289, 319, 350] as const;
export const FRESHWATER_C = 12;

export function seaProfilePoints(): ProfilePointDoc[] {
  return MID_MONTH_DAY_OF_YEAR.map((doy, i) => ({ day_of_year: doy, temp_c: SEA_MONTHLY_MEAN_C[i] as number }));
}

/** The seasonal curve, interpolated the way the engine does (spec 3.3 step 4). */
export function seaCurveC(day: number): number {
  const x = Math.min(dayOfYear(day), 365);
  const pts = MID_MONTH_DAY_OF_YEAR;
  const vals = SEA_MONTHLY_MEAN_C;
  const n = pts.length;
  for (let i = 0; i < n - 1; i++) {
    const x0 = pts[i] as number;
    const x1 = pts[i + 1] as number;
    if (x >= x0 && x <= x1) {
      const v0 = vals[i] as number;
      const v1 = vals[i + 1] as number;
      return v0 + ((v1 - v0) * (x - x0)) / (x1 - x0);
    }
  }
  // wrap: from the last point to the first point + 365
  const xl = pts[n - 1] as number;
  const xf = (pts[0] as number) + 365;
  const xx = x < (pts[0] as number) ? x + 365 : x;
  const vl = vals[n - 1] as number;
  const vf = vals[0] as number;
  return vl + ((vf - vl) * (xx - xl)) / (xf - xl);
}

// ---------------------------------------------------------------------------------------------
// Site time: Atlantic/Faroe follows the EU rule, UTC+1 from the last Sunday of March 01:00 UTC to
// the last Sunday of October 01:00 UTC. Time is counted in half-hour slots since 1970-01-01 UTC.

export const SLOTS_PER_DAY = 48;

const dstCache = new Map<number, [number, number]>();
function dstSlots(year: number): [number, number] {
  let r = dstCache.get(year);
  if (!r) {
    r = [lastSundayOf(year, 3) * SLOTS_PER_DAY + 2, lastSundayOf(year, 10) * SLOTS_PER_DAY + 2];
    dstCache.set(year, r);
  }
  return r;
}

/** Offset of site time from UTC at a slot, in slots (0 or 2). */
export function siteOffsetSlots(slot: number): number {
  const day = Math.floor(slot / SLOTS_PER_DAY);
  const [y] = civilFromDays(day);
  const [from, to] = dstSlots(y);
  return slot >= from && slot < to ? 2 : 0;
}

/** The UTC slot of site-local midnight starting local day `day`. */
export function localMidnightSlot(day: number): number {
  return day * SLOTS_PER_DAY - siteOffsetSlots(day * SLOTS_PER_DAY - 2);
}

const SLOT_SUFFIX: string[] = Array.from({ length: SLOTS_PER_DAY }, (_, i) => {
  const h = Math.floor(i / 2);
  return `${h < 10 ? '0' : ''}${h}:${i % 2 === 0 ? '00' : '30'}:00Z`;
});

// ---------------------------------------------------------------------------------------------
// True daily temperatures

export interface DailySeries {
  firstDay: number;
  values: Float64Array;
}

export function seriesAt(s: DailySeries, day: number): number {
  const i = day - s.firstDay;
  if (i < 0) return s.values[0] as number;
  if (i >= s.values.length) return s.values[s.values.length - 1] as number;
  return s.values[i] as number;
}

/** Weather over the sea site: an AR(1) anomaly around the seasonal curve, shared by all pens. */
export function seaWeather(rng: Rng, firstDay: number, lastDay: number): DailySeries {
  const n = lastDay - firstDay + 1;
  const values = new Float64Array(n);
  let a = rng.normal(0, 0.4);
  for (let i = 0; i < n; i++) {
    a = 0.95 * a + rng.normal(0, 0.12);
    values[i] = seaCurveC(firstDay + i) + a;
  }
  return { firstDay, values };
}

export function seaPenSeries(rng: Rng, weather: DailySeries): DailySeries {
  const n = weather.values.length;
  const values = new Float64Array(n);
  const offset = rng.normal(0, 0.15);
  let a = 0;
  for (let i = 0; i < n; i++) {
    a = 0.8 * a + rng.normal(0, 0.06);
    values[i] = (weather.values[i] as number) + offset + a;
  }
  return { firstDay: weather.firstDay, values };
}

export function freshwaterSeries(rng: Rng, firstDay: number, lastDay: number): DailySeries {
  const n = lastDay - firstDay + 1;
  const values = new Float64Array(n);
  const offset = rng.normal(0, 0.15);
  let a = rng.normal(0, 0.1);
  for (let i = 0; i < n; i++) {
    a = 0.9 * a + rng.normal(0, 0.05);
    values[i] = FRESHWATER_C + offset + a;
  }
  return { firstDay, values };
}

// ---------------------------------------------------------------------------------------------
// Loggers

export interface LoggerPlan {
  containerId: string;
  sea: boolean;
  /** Local days the logger runs, inclusive (several windows if the container was reused). */
  windows: [number, number][];
  /** Sensor down: [fromSlot, toSlot) in UTC half-hour slots. */
  gaps: [number, number][];
  /** Slots where the logger spikes (a value outside −3…40 °C). */
  spikes: Map<number, number>;
}

/** Draw the gaps and spikes of one logger from its own stream. */
export function planLogger(
  rng: Rng,
  containerId: string,
  sea: boolean,
  windows: [number, number][],
): LoggerPlan {
  const gaps: [number, number][] = [];
  const spikes = new Map<number, number>();
  for (const [d0, d1] of windows) {
    const len = d1 - d0 + 1;
    // a few gaps per container: about one per 180 logged days, at least a chance on short windows
    const expected = len / 180;
    let k = Math.floor(expected) + (rng.chance(expected - Math.floor(expected)) ? 1 : 0);
    k = Math.min(k, 4);
    for (let g = 0; g < k; g++) {
      const u = rng.next();
      const gapDays = 3 + Math.floor(27 * u * u); // 3–29 days, mostly short
      const startDay = d0 + rng.int(0, Math.max(0, len - gapDays));
      const fromSlot = localMidnightSlot(startDay) + rng.int(0, SLOTS_PER_DAY - 1);
      const toSlot = fromSlot + gapDays * SLOTS_PER_DAY + rng.int(0, SLOTS_PER_DAY - 1);
      gaps.push([fromSlot, toSlot]);
    }
    const nSpikes = rng.chance(0.1) ? 1 : 0;
    for (let s = 0; s < nSpikes; s++) {
      const day = d0 + rng.int(0, len - 1);
      const slot = localMidnightSlot(day) + rng.int(0, SLOTS_PER_DAY - 1);
      spikes.set(slot, rng.chance(0.5) ? 85.0 : -9.9);
    }
  }
  gaps.sort((a, b) => a[0] - b[0]);
  return { containerId, sea, windows, gaps, spikes };
}

/**
 * Timestamp strings by slot, shared by all loggers (every container logs the same half hours):
 * one string per half hour instead of one per reading.
 */
export class TimestampCache {
  private readonly strings: string[] = [];
  constructor(private readonly baseSlot: number) {}

  get(slot: number): string {
    const i = slot - this.baseSlot;
    let s = this.strings[i];
    if (s === undefined) {
      const utcDay = Math.floor(slot / SLOTS_PER_DAY);
      s = isoDayPrefix(utcDay) + (SLOT_SUFFIX[slot - utcDay * SLOTS_PER_DAY] as string);
      this.strings[i] = s;
    }
    return s;
  }
}

/**
 * The logger's readings every 30 minutes through local day `lastDay` (the as-of date): the
 * container's true daily temperature plus a diurnal swing and sensor noise, rounded to 0.01 °C.
 */
export function loggerReadings(
  rng: Rng,
  plan: LoggerPlan,
  truth: DailySeries,
  lastDay: number,
  out: TemperatureReadingDoc[],
  timestamps: TimestampCache,
): void {
  const amp = plan.sea ? 0.15 : 0.05;
  const noise = plan.sea ? 0.07 : 0.03;
  const id = plan.containerId;
  // diurnal swing by local half hour (a day has 46–50 of them around the clock changes)
  const diurnal = new Float64Array(SLOTS_PER_DAY + 2);
  for (let i = 0; i < diurnal.length; i++) diurnal[i] = amp * Math.sin(((i - 18) * 2 * Math.PI) / SLOTS_PER_DAY);
  const gaps = plan.gaps;
  const spikeSlots = [...plan.spikes.keys()].sort((a, b) => a - b);
  for (const [d0, d1full] of plan.windows) {
    const d1 = Math.min(d1full, lastDay);
    let gi = 0;
    let si = 0;
    let to = localMidnightSlot(d0);
    for (let day = d0; day <= d1; day++) {
      const from = to;
      to = localMidnightSlot(day + 1);
      const base = seriesAt(truth, day);
      for (let t = from; t < to; t++) {
        // every draw happens whether or not the reading is kept, so truncation keeps the prefix
        const e = rng.normal(0, noise);
        while (gi < gaps.length && (gaps[gi] as [number, number])[1] <= t) gi++;
        if (gi < gaps.length && t >= (gaps[gi] as [number, number])[0]) continue;
        let v = base + (diurnal[t - from] as number) + e;
        while (si < spikeSlots.length && (spikeSlots[si] as number) < t) si++;
        if (si < spikeSlots.length && spikeSlots[si] === t) v = plan.spikes.get(t) as number;
        out.push({ container_id: id, timestamp: timestamps.get(t), value: Math.round(v * 100) / 100 });
      }
    }
  }
}

/** Local days fully inside a gap of the logger (no reading kept on them). */
export function daysFullyInGaps(plan: LoggerPlan): number[][] {
  const res: number[][] = [];
  for (const [a, b] of plan.gaps) {
    const days: number[] = [];
    const first = Math.floor(a / SLOTS_PER_DAY) - 1;
    const last = Math.floor(b / SLOTS_PER_DAY) + 1;
    for (let d = first; d <= last; d++) {
      if (localMidnightSlot(d) >= a && localMidnightSlot(d + 1) <= b) days.push(d);
    }
    if (days.length) res.push(days);
  }
  return res;
}

/** Hand-entered daily means (a thermometer reading written down) for the days of a gap. */
export function handEnteredDaily(
  rng: Rng,
  containerId: string,
  days: number[],
  truth: DailySeries,
  out: TemperatureDailyDoc[],
): void {
  let skip = 0;
  for (const d of days) {
    if (skip > 0) {
      skip--;
      continue;
    }
    out.push({ container_id: containerId, date: dayToIso(d), mean_c: Math.round((seriesAt(truth, d) + rng.normal(0, 0.25)) * 10) / 10 });
    skip = rng.chance(0.4) ? 1 : 0;
  }
}
