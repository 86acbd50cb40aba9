/**
 * Forecast, ETA and variance (spec 6).
 * Decisions of this project, where the spec is silent:
 * - The forecast keeps fish in their container's environment while their stage belongs there; once
 *   the forecast stage belongs to the other environment (smolts become post-smolts), it uses that
 *   stage's environment, as the fish will be moved to sea. The measured bias is a property of the
 *   container, so it applies only while the fish are forecast in it.
 * - The batch forecast steps every assignment's forecast together (past its own harvest date, as if
 *   not yet harvested) and follows their population-weighted mean weight until it reaches the
 *   harvest weight; its stage advances from the least advanced stage by the stage rule on that mean.
 */
import type { ForecastSeries, ForecastState, IsoDate, ScenarioState, VarianceRow, BatchState } from './document';
import { formatIsoDate, parseIsoDate } from './dates';
import type { Prepared } from './prepare';
import { ProfileLookup } from './profile';
import { advanceStage } from './stages';
import { TempSrc, type TempSeries } from './temperature';
import { cubeRootIncrement } from './tgc';

export const FORECAST_MAX_DAYS = 1000;
export const BIAS_WINDOW_DAYS = 14;
export const BIAS_CLAMP_C = 2;

export interface ForecastStart {
  assignmentId: string;
  container: number;
  population: number;
  avgWeightG: number;
  stage: number;
}

export type AssignmentForecast = ForecastSeries & { assignment_id: string; temp_bias_c: number };

/**
 * `reuse`: forecasts of a previous run for assignments whose start and bias window are known to be
 * the same (the incremental build passes those whose series stood unchanged over the window). They
 * are returned as they were, so a recompute after an edit in one pen does not rebuild, and the
 * backend does not rewrite, every other pen's forecast. The batch path steps them too, unless
 * every one is kept and `previousBatch` (the previous run's assignment ids and batch forecast)
 * holds the same assignments.
 */
export function forecast(prep: Prepared, starts: ForecastStart[], temps: { of(ci: number): TempSeries }, reuse?: ReadonlyMap<string, AssignmentForecast>,
  previousBatch?: { ids: readonly string[]; batch: ForecastSeries }): {
  batch: ForecastSeries;
  assignments: AssignmentForecast[];
} {
  const { stages, asOf, batchStart } = prep;
  const harvest = prep.scenario.harvestWeightG;
  const profile = new ProfileLookup(prep.profile);
  const n = starts.length;
  const N = new Float64Array(n), c = new Float64Array(n), W = new Float64Array(n), S = new Int32Array(n);
  const bias = new Float64Array(n);
  const done = new Uint8Array(n);
  const kept: (AssignmentForecast | undefined)[] = new Array(n);
  const results = starts.map((st, i) => {
    N[i] = st.population; W[i] = st.avgWeightG; c[i] = Math.cbrt(st.avgWeightG); S[i] = st.stage;
    // Bias: mean of measured-or-interpolated minus profile over the last 14 days.
    const env = prep.containers[st.container]!.env;
    const ts = temps.of(st.container);
    let sum = 0, cnt = 0;
    for (let d = asOf - BIAS_WINDOW_DAYS + 1; d <= asOf; d++) {
      const k = d - ts.base;
      if (k < 0 || k >= ts.tempC.length) continue;
      const src = ts.source[k]!;
      if (src !== TempSrc.Measured && src !== TempSrc.Interpolated) continue;
      sum += ts.tempC[k]! - profile.temp(env, d); cnt++;
    }
    bias[i] = cnt > 0 ? Math.max(-BIAS_CLAMP_C, Math.min(BIAS_CLAMP_C, sum / cnt)) : 0;
    const eta: Record<string, IsoDate> = {};
    if (W[i]! >= harvest) { eta.harvest = formatIsoDate(asOf); done[i] = 1; }
    const old = reuse?.get(st.assignmentId);
    if (old && old.temp_bias_c === bias[i]) { kept[i] = old; done[i] = 1; }
    return { assignment_id: st.assignmentId, temp_bias_c: bias[i]!, eta, states: [] as ForecastState[] };
  });

  // Every assignment's forecast kept, the same assignments as before: the batch path steps the
  // same starts with the same biases, so it is the previous one.
  if (previousBatch && n > 0 && previousBatch.ids.length === n) {
    let all = true; // a loop, not every(): `kept` has holes, which every() skips
    for (let i = 0; i < n && all; i++) all = kept[i] !== undefined && previousBatch.ids[i] === starts[i]!.assignmentId;
    if (all) return { batch: previousBatch.batch, assignments: kept as AssignmentForecast[] };
  }

  // Batch path state.
  let bStage = n > 0 ? Math.min(...starts.map((s) => s.stage)) : 0;
  const batchStates: ForecastState[] = [];
  const batchEta: Record<string, IsoDate> = {};
  const meanOf = () => {
    let p = 0, b = 0;
    for (let i = 0; i < n; i++) { p += N[i]!; b += N[i]! * W[i]!; }
    return { p, w: p > 0 ? b / p : 0 };
  };
  let batchDone = n === 0 || meanOf().w >= harvest;
  if (n > 0 && batchDone) batchEta.harvest = formatIsoDate(asOf);

  for (let k = 1; k <= FORECAST_MAX_DAYS && !(batchDone && done.every((x) => x === 1)); k++) {
    const day = asOf + k;
    const dn = day - batchStart + 1;
    const date = formatIsoDate(day);
    for (let i = 0; i < n; i++) {
      const s = S[i]!;
      const home = prep.containers[starts[i]!.container]!.env;
      const env = stages.environment[s] === home ? home : stages.environment[s]!;
      const t = profile.temp(env, day) + (env === home ? bias[i]! : 0);
      const tgc = stages.feeds[s] ? stages.tgc[s]! : 0;
      c[i] += cubeRootIncrement(tgc, t);
      const w1 = c[i]! * c[i]! * c[i]!;
      N[i] -= N[i]! * stages.mortalityRate[s]!;
      const s1 = advanceStage(stages, s, w1, dn, -1);
      W[i] = w1; S[i] = s1;
      if (!done[i]) {
        const r = results[i]!;
        r.states.push({ date, day_number: dn, stage: stages.names[s1]!, avg_weight_g: w1, population: N[i]!, biomass_kg: (N[i]! * w1) / 1000, temp_c: t });
        for (let q = s + 1; q <= s1; q++) r.eta[stages.names[q]!] ??= date;
        if (w1 >= harvest) { r.eta.harvest = date; done[i] = 1; }
      }
    }
    if (!batchDone) {
      const m = meanOf();
      const s1 = advanceStage(stages, bStage, m.w, dn, -1);
      for (let q = bStage + 1; q <= s1; q++) batchEta[stages.names[q]!] ??= date;
      bStage = s1;
      batchStates.push({ date, day_number: dn, stage: stages.names[s1]!, avg_weight_g: m.w, population: m.p, biomass_kg: (m.p * m.w) / 1000 });
      if (m.w >= harvest) { batchEta.harvest = date; batchDone = true; }
    }
  }
  return { batch: { eta: batchEta, states: batchStates }, assignments: results.map((r, i) => kept[i] ?? r) };
}

/** Variance against the scenario for every date with both a batch weight and a scenario state. */
export function variance(batch: BatchState[], scenario: ScenarioState[], previous?: VarianceRow[]): VarianceRow[] {
  if (scenario.length === 0) return [];
  const s0 = parseIsoDate(scenario[0]!.date)!;
  const weights = scenario.map((s) => s.avg_weight_g);
  // Scenario weights never fall (TGC ≥ 0, T clamped at 0): the first date reaching w by bisection.
  const reach = (w: number): number | null => {
    let lo = 0, hi = weights.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (weights[mid]! >= w) hi = mid; else lo = mid + 1; }
    return lo < weights.length ? s0 + lo : null;
  };
  const out: VarianceRow[] = [];
  // both in date order: the previous row of a date is found by walking along
  let j = 0;
  for (const b of batch) {
    if (b.avg_weight_g === null) continue;
    const d = parseIsoDate(b.date)!;
    const k = d - s0;
    if (k < 0 || k >= scenario.length) continue;
    const sw = weights[k]!;
    const t = reach(b.avg_weight_g);
    while (previous && j < previous.length && previous[j]!.date < b.date) j++;
    const o = previous && j < previous.length && previous[j]!.date === b.date ? previous[j] : undefined;
    if (o && o.actual_g === b.avg_weight_g && o.scenario_g === sw && o.days_ahead === (t === null ? null : t - d)) { out.push(o); continue; }
    out.push({
      date: b.date, actual_g: b.avg_weight_g, scenario_g: sw, diff_g: b.avg_weight_g - sw,
      diff_pct: sw > 0 ? ((b.avg_weight_g - sw) / sw) * 100 : 0, days_ahead: t === null ? null : t - d,
    });
  }
  return out;
}
