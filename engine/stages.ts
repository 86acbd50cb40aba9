/**
 * The stage table and the one stage rule (spec 3.1 step 5), shared by actuals, the scenario
 * projection and the forecast.
 */
import type { Environment, StageDoc } from './document';

export const DEFAULT_STAGES: readonly StageDoc[] = Object.freeze([
  { name: 'Egg&Alevin', order: 1, min_weight_g: 0.05, max_weight_g: 0.2, feeds: false, duration_days: 80, environment: 'freshwater', baseline_tgc: 0 },
  { name: 'Fry', order: 2, min_weight_g: 0.2, max_weight_g: 6, feeds: true, duration_days: null, environment: 'freshwater', baseline_tgc: 2.25 },
  { name: 'Parr', order: 3, min_weight_g: 6, max_weight_g: 60, feeds: true, duration_days: null, environment: 'freshwater', baseline_tgc: 2.75 },
  { name: 'Smolt', order: 4, min_weight_g: 60, max_weight_g: 180, feeds: true, duration_days: null, environment: 'freshwater', baseline_tgc: 2.75 },
  { name: 'Post-Smolt', order: 5, min_weight_g: 180, max_weight_g: 500, feeds: true, duration_days: null, environment: 'sea', baseline_tgc: 3.25 },
  { name: 'Adult', order: 6, min_weight_g: 500, max_weight_g: 7000, feeds: true, duration_days: null, environment: 'sea', baseline_tgc: 3.1 },
] as StageDoc[]);

/** Stages in order, with the scenario's rates resolved per stage index. */
export interface StageTable {
  names: string[];
  index: Map<string, number>;
  minG: Float64Array;
  maxG: Float64Array;
  feeds: boolean[];
  environment: Environment[];
  /** Day number (from the reference start) on which each leading non-feeding stage still holds; Infinity for feeding stages. */
  lastDay: Float64Array;
  /** TGC per stage (0 for non-feeding stages). */
  tgc: Float64Array;
  mortalityRate: Float64Array;
  fcr: (number | null)[];
  fcrBands: { stage: number; minG: number; maxG: number; fcr: number }[][];
}

/**
 * Step 5: from the stage in force during the day, advance while the end-of-day weight reaches the
 * stage's max (feeding stages) or the non-feeding duration has run out, then raise to the day's
 * most advanced explicit change (-1 when none).
 */
export function advanceStage(t: StageTable, stage: number, wEndG: number, dayNumber: number, explicit: number): number {
  const last = t.names.length - 1;
  let s = stage;
  while (s < last) {
    if (!t.feeds[s]) {
      if (dayNumber > t.lastDay[s]!) s++;
      else break;
    } else if (wEndG >= t.maxG[s]!) s++;
    else break;
  }
  return explicit > s ? explicit : s;
}

/** FCR of stage `s` at weight `wG`: the stage's band containing it, else the stage's FCR, else null. */
export function fcrAt(t: StageTable, s: number, wG: number): number | null {
  for (const b of t.fcrBands[s]!) if (b.minG <= wG && wG < b.maxG) return b.fcr;
  return t.fcr[s] ?? null;
}
