/**
 * The engine's entry point: batch document in, states document out (spec 3–6), or the list of
 * problems that stop it (spec 7). Pure: no I/O, no clock.
 */
import type {
  AnchorRow, AssignmentSeries, AssignmentState, InputError, StatesDocument, Warning,
} from './document';
import { formatIsoDate } from './dates';
import { applyFeed } from './feed';
import { fcrWindows } from './fcr';
import { forecast, variance, type ForecastStart } from './forecast';
import { prepare, type Prepared } from './prepare';
import { batchDaily, weekly, type DailyStock } from './rollups';
import { projectScenario } from './scenario';
import { simulate, type ResumePoint, type Row, type AnchorResult, containerTemps } from './simulate';
import { MORTALITY_CONFIDENCE, weightConfidence } from './confidence';
import { TEMP_SOURCES, type TempSeries } from './temperature';
import { ENGINE_VERSION } from './version';

export type { PrepareResult } from './prepare';
export { prepare };

export type AssimilateResult = { ok: true; states: StatesDocument } | { ok: false; errors: InputError[] };

export interface AssimilateOptions {
  /** Overrides the document's as_of. */
  asOf?: string;
  /** The site-local date today: the as-of date when neither the option nor the document gives one. */
  today?: string;
}

export function assimilate(doc: unknown, opts: AssimilateOptions = {}): AssimilateResult {
  const p = prepare(doc, opts);
  if (!p.ok) return p;
  return computeStates(p.prep);
}

/** Runs the engine on prepared inputs, from scratch or from a resume point. */
export function computeStates(prep: Prepared, resume?: ResumePoint, temps?: TempSeries[]): AssimilateResult {
  temps ??= containerTemps(prep);
  const sim = simulate(prep, resume, temps);
  const errors: InputError[] = sim.errors;
  if (errors.length === 0) applyFeed(prep, sim.rows, errors);
  if (errors.length > 0) return { ok: false, errors: dedupeErrors(errors) };
  return { ok: true, states: buildDocument(prep, sim.rows, sim.anchors, temps, [...prep.warnings, ...sim.warnings]) };
}

function dedupeErrors(errors: InputError[]): InputError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.record}\u0000${e.field}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function buildDocument(prep: Prepared, rows: Row[][], anchorResults: AnchorResult[], temps: TempSeries[], warnings: Warning[]): StatesDocument {
  const { stages, assignments, batchStart } = prep;
  const series: AssignmentSeries[] = [];
  const daily: Parameters<typeof batchDaily>[0] = [];
  const weeklyAssignments: StatesDocument['weekly']['assignments'] = [];
  const fcr: StatesDocument['fcr'] = [];
  const starts: ForecastStart[] = [];

  for (const a of assignments) {
    const rs = rows[a.idx]!;
    if (rs.length === 0) continue;
    const ts = temps[a.container]!;
    const n = rs.length;
    const tConf = (i: number) => ts.confidence[rs[i]!.day - ts.base]!;
    const wConf = weightConfidence(rs, tConf);
    const states: AssignmentState[] = new Array(n);
    const pop = new Float64Array(n), w = new Float64Array(n), feed = new Float64Array(n), growth = new Float64Array(n), deaths = new Float64Array(n);
    const stocks: DailyStock[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const r = rs[i]!;
      const k = r.day - ts.base;
      const tc = ts.confidence[k]!;
      const mc = r.mortalityRecorded ? MORTALITY_CONFIDENCE.recorded : MORTALITY_CONFIDENCE.model;
      const wc = wConf[i]!;
      const biomassKg = (r.population * r.avgWeightG) / 1000;
      states[i] = {
        date: formatIsoDate(r.day), day_number: r.day - batchStart + 1, stage: stages.names[r.stage]!,
        avg_weight_g: r.avgWeightG, population: r.population, biomass_kg: biomassKg, temp_c: ts.tempC[k]!,
        deaths: r.deaths, feed_kg: r.feedKg, growth_kg: r.growthKg, anchor_type: r.anchorType, count_deviation: r.countDeviation,
        sources: {
          weight: r.weightSource, temp: TEMP_SOURCES[ts.source[k]!]!,
          mortality: r.mortalityRecorded ? 'recorded' : 'model', feed: r.feedRecorded ? 'recorded' : 'none',
        },
        confidence: { weight: wc, temp: tc, mortality: mc, feed: r.feedRecorded ? 1 : 0, overall: Math.min(wc, tc, mc) },
        mortality_carry: r.mortalityCarry,
      };
      pop[i] = r.population; w[i] = r.avgWeightG; feed[i] = r.feedKg; growth[i] = r.growthKg; deaths[i] = r.deaths;
      stocks[i] = { day: r.day, population: r.population, biomassKg, avgWeightG: r.population > 0 ? r.avgWeightG : null, feedKg: r.feedKg, growthKg: r.growthKg, deaths: r.deaths };
    }
    series.push({ assignment_id: a.id, container_id: prep.containers[a.container]!.id, states });
    daily.push({ container: a.container, firstDay: rs[0]!.day, population: pop, avgWeightG: w, feedKg: feed, growthKg: growth, deaths });
    weeklyAssignments.push({ assignment_id: a.id, weeks: weekly(stocks) });
    fcr.push(...fcrWindows(a.id, rs[0]!.day, feed, growth, a.cutDays));
    const last = rs[n - 1]!;
    if (last.day === prep.asOf && last.population > 0)
      starts.push({ assignmentId: a.id, container: a.container, population: last.population, avgWeightG: last.avgWeightG, stage: last.stage });
  }

  const batch = batchDaily(daily, batchStart, prep.containers.length);
  const batchStocks: DailyStock[] = batch.map((b, i) => ({
    day: (daily.length ? Math.min(...daily.map((d) => d.firstDay)) : 0) + i,
    population: b.population, biomassKg: b.biomass_kg, avgWeightG: b.avg_weight_g, feedKg: b.feed_kg, growthKg: b.growth_kg, deaths: b.deaths,
  }));
  const scenario = projectScenario(prep);
  const anchors: AnchorRow[] = anchorResults
    .slice()
    .sort((p, q) => p.assignment - q.assignment || p.day - q.day)
    .map((x) => ({
      assignment_id: assignments[x.assignment]!.id, date: formatIsoDate(x.day), type: x.type, record_ids: x.recordIds,
      measured_g: x.measuredG, modeled_g: x.modeledG, residual_g: x.measuredG - x.modeledG,
      residual_pct: x.modeledG > 0 ? ((x.measuredG - x.modeledG) / x.modeledG) * 100 : 0, realized_tgc: x.realizedTgc,
    }));

  return {
    format: 'aquamind-site/states@1',
    engine_version: ENGINE_VERSION,
    batch_id: prep.batchId,
    as_of: formatIsoDate(prep.asOf),
    assignments: series,
    batch,
    weekly: { batch: weekly(batchStocks), assignments: weeklyAssignments },
    anchors,
    fcr,
    scenario,
    variance: variance(batch, scenario),
    forecast: forecast(prep, starts, temps),
    warnings,
  };
}
