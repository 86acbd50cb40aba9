/**
 * Batch-level daily states and ISO-week rollups (spec 4). Stocks come from the week's last day in
 * the series, flows are summed over the week's days: never "every 7th row".
 */
import type { BatchState, WeekRow } from './document';
import { formatIsoDate, weekStart } from './dates';

export interface DailyStock {
  day: number;
  population: number;
  biomassKg: number;
  avgWeightG: number | null;
  feedKg: number;
  growthKg: number;
  deaths: number;
}

export function weekly(rows: DailyStock[]): WeekRow[] {
  const out: WeekRow[] = [];
  let cur: WeekRow | null = null;
  let curStart = NaN;
  for (const r of rows) {
    const ws = weekStart(r.day);
    if (ws !== curStart) {
      curStart = ws;
      cur = { week_start: formatIsoDate(ws), week_end: formatIsoDate(ws + 6), avg_weight_g: null, population: 0, biomass_kg: 0, feed_kg: 0, growth_kg: 0, deaths: 0 };
      out.push(cur);
    }
    cur!.population = r.population;
    cur!.biomass_kg = r.biomassKg;
    cur!.avg_weight_g = r.avgWeightG;
    cur!.feed_kg += r.feedKg;
    cur!.growth_kg += r.growthKg;
    cur!.deaths += r.deaths;
  }
  return out;
}

export interface AssignmentDaily {
  container: number;
  firstDay: number;
  population: ArrayLike<number>;
  avgWeightG: ArrayLike<number>;
  feedKg: ArrayLike<number>;
  growthKg: ArrayLike<number>;
  deaths: ArrayLike<number>;
}

export function batchDaily(series: AssignmentDaily[], batchStart: number, containerCount: number): BatchState[] {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    if (s.population.length === 0) continue;
    lo = Math.min(lo, s.firstDay);
    hi = Math.max(hi, s.firstDay + s.population.length - 1);
  }
  if (lo > hi) return [];
  const n = hi - lo + 1;
  const pop = new Float64Array(n), bio = new Float64Array(n), feed = new Float64Array(n), growth = new Float64Array(n), deaths = new Float64Array(n);
  const holders = new Int32Array(n);
  const seen = new Int32Array(containerCount * 0 + 1); void seen;
  const mark = new Map<number, Uint8Array>();
  for (const s of series) {
    const off = s.firstDay - lo;
    let m = mark.get(s.container);
    if (!m) mark.set(s.container, (m = new Uint8Array(n)));
    for (let i = 0; i < s.population.length; i++) {
      const p = s.population[i]!;
      const k = off + i;
      pop[k] += p;
      bio[k] += (p * s.avgWeightG[i]!) / 1000;
      feed[k] += s.feedKg[i]!;
      growth[k] += s.growthKg[i]!;
      deaths[k] += s.deaths[i]!;
      if (p > 0 && m[k] === 0) { m[k] = 1; holders[k]++; }
    }
  }
  const out: BatchState[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const day = lo + k;
    out[k] = {
      date: formatIsoDate(day), day_number: day - batchStart + 1,
      avg_weight_g: pop[k]! > 0 ? (bio[k]! * 1000) / pop[k]! : null,
      population: pop[k]!, biomass_kg: bio[k]!, container_count: holders[k]!,
      feed_kg: feed[k]!, growth_kg: growth[k]!, deaths: deaths[k]!,
    };
  }
  return out;
}
