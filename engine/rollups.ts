/**
 * Batch-level daily states and ISO-week rollups (spec 4). Stocks come from the week's last day in
 * the series, flows are summed over the week's days: never "every 7th row".
 */
import type { BatchState, WeekRow } from './document';
import { formatIsoDate, parseIsoDate, weekStart } from './dates';

/** Stocks and flows by day, as parallel arrays starting on `firstDay`. */
export interface DailySeries {
  firstDay: number;
  population: ArrayLike<number>;
  avgWeightG: ArrayLike<number>;
  feedKg: ArrayLike<number>;
  growthKg: ArrayLike<number>;
  deaths: ArrayLike<number>;
}

export function weekly(s: DailySeries, previous?: WeekRow[]): WeekRow[] {
  const out: WeekRow[] = [];
  let cur: WeekRow | null = null;
  let curStart = NaN;
  const n = s.population.length;
  for (let i = 0; i < n; i++) {
    const day = s.firstDay + i;
    const ws = weekStart(day);
    if (ws !== curStart) {
      curStart = ws;
      cur = { week_start: formatIsoDate(ws), week_end: formatIsoDate(ws + 6), avg_weight_g: null, population: 0, biomass_kg: 0, feed_kg: 0, growth_kg: 0, deaths: 0 };
      out.push(cur);
    }
    const p = s.population[i]!;
    cur!.population = p;
    cur!.biomass_kg = (p * s.avgWeightG[i]!) / 1000;
    cur!.avg_weight_g = p > 0 ? s.avgWeightG[i]! : null;
    cur!.feed_kg += s.feedKg[i]!;
    cur!.growth_kg += s.growthKg[i]!;
    cur!.deaths += s.deaths[i]!;
  }
  if (previous && previous.length > 0) {
    const byStart = new Map(previous.map((w) => [w.week_start, w]));
    for (let k = 0; k < out.length; k++) {
      const w = out[k]!, o = byStart.get(w.week_start);
      if (o && o.population === w.population && o.biomass_kg === w.biomass_kg && o.avg_weight_g === w.avg_weight_g &&
        o.feed_kg === w.feed_kg && o.growth_kg === w.growth_kg && o.deaths === w.deaths) out[k] = o;
    }
  }
  return out;
}

export interface AssignmentDaily extends DailySeries {
  container: number;
}

/** `previous`: an earlier run's rows; an equal row is reused rather than allocated again. */
export function batchDaily(series: AssignmentDaily[], batchStart: number, previous?: BatchState[]): { states: BatchState[]; series: DailySeries } {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    if (s.population.length === 0) continue;
    lo = Math.min(lo, s.firstDay);
    hi = Math.max(hi, s.firstDay + s.population.length - 1);
  }
  if (lo > hi) return { states: [], series: { firstDay: 0, population: [], avgWeightG: [], feedKg: [], growthKg: [], deaths: [] } };
  const n = hi - lo + 1;
  const zeros = () => new Array<number>(n).fill(0);
  const pop = zeros(), bio = zeros(), feed = zeros(), growth = zeros(), deaths = zeros();
  for (const s of series) {
    const off = s.firstDay - lo;
    for (let i = 0; i < s.population.length; i++) {
      const p = s.population[i]!;
      const k = off + i;
      pop[k] += p;
      bio[k] += (p * s.avgWeightG[i]!) / 1000;
      feed[k] += s.feedKg[i]!;
      growth[k] += s.growthKg[i]!;
      deaths[k] += s.deaths[i]!;
    }
  }
  // Containers holding fish per day: the series taken container by container, one stamp array
  // (the container last counted on each day) instead of a day array per container.
  const holders = zeros();
  const stamp = new Array<number>(n).fill(-1);
  const byContainer = series.map((s, i) => i).sort((a, b) => series[a]!.container - series[b]!.container || a - b);
  for (const si of byContainer) {
    const s = series[si]!;
    const off = s.firstDay - lo;
    for (let i = 0; i < s.population.length; i++) {
      const k = off + i;
      if (s.population[i]! > 0 && stamp[k] !== s.container) { stamp[k] = s.container; holders[k]++; }
    }
  }
  const out: BatchState[] = new Array(n);
  const avg = zeros();
  const prevOff = previous && previous.length > 0 ? lo - (parseIsoDate(previous[0]!.date) ?? lo) : 0;
  for (let k = 0; k < n; k++) {
    const day = lo + k;
    avg[k] = pop[k]! > 0 ? (bio[k]! * 1000) / pop[k]! : 0;
    const old = previous ? previous[k + prevOff] : undefined;
    if (old && old.population === pop[k] && old.biomass_kg === bio[k] && old.feed_kg === feed[k] && old.growth_kg === growth[k] &&
      old.deaths === deaths[k] && old.container_count === holders[k] && old.day_number === day - batchStart + 1) { out[k] = old; continue; }
    out[k] = {
      date: formatIsoDate(day), day_number: day - batchStart + 1,
      avg_weight_g: pop[k]! > 0 ? avg[k]! : null,
      population: pop[k]!, biomass_kg: bio[k]!, container_count: holders[k]!,
      feed_kg: feed[k]!, growth_kg: growth[k]!, deaths: deaths[k]!,
    };
  }
  return { states: out, series: { firstDay: lo, population: pop, avgWeightG: avg, feedKg: feed, growthKg: growth, deaths } };
}
