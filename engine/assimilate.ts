/**
 * The engine's entry point: batch document in, states document out (spec 3–6), or the list of
 * problems that stop it (spec 7). Pure: no I/O, no clock.
 */
import type {
  WeightSource,
  AnchorRow, AssignmentSeries, AssignmentState, InputError, StatesDocument, Warning,
} from './document';
import { formatIsoDate, parseIsoDate } from './dates';
import { applyFeed } from './feed';
import { fcrInEngineOrder, fcrWindows } from './fcr';
import { BIAS_WINDOW_DAYS, forecast, variance, type AssignmentForecast, type ForecastStart } from './forecast';
import { prepare, type PAssignment, type Prepared } from './prepare';
import { batchDaily, weekly } from './rollups';
import { projectScenario } from './scenario';
import { simulate, toRow, type ResumePoint, type Row, type AnchorResult, containerTemps, type ContainerTemps } from './simulate';
import { MORTALITY_CONFIDENCE, weightConfidence } from './confidence';
import { TEMP_SOURCES, type TempSeries } from './temperature';
import { ENGINE_VERSION } from './version';

const ALL_WINDOWS = new Set(['span', '7d', '30d'] as const);

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
export function computeStates(prep: Prepared, resume?: ResumePoint, temps?: ContainerTemps, reuse?: Reuse): AssimilateResult {
  temps ??= containerTemps(prep);
  const sim = simulate(prep, resume, temps);
  const errors: InputError[] = sim.errors;
  const standing = resume?.ghosts ? feedTies(prep, sim.rows, resume.ghosts, resume.day) : undefined;
  if (errors.length === 0) applyFeed(prep, sim.rows, errors, resume ? resume.day : -Infinity, standing);
  if (errors.length > 0) return { ok: false, errors: dedupeErrors(errors) };
  return { ok: true, states: buildDocument(prep, sim.rows, sim.anchors, temps, [...prep.warnings, ...sim.warnings], reuse) };
}

/**
 * Container feed is split over the fish in the container that day, so a ghost (an assignment a
 * resumed walk left standing) sharing a container-feed day with a walking assignment is taken
 * back into rows, from its previous states, to get its share again. Returns the containers
 * whose feed days hold only ghosts: their feed stands as it was.
 */
function feedTies(prep: Prepared, rows: (Row[] | null)[], ghosts: (AssignmentState[] | null)[], fromDay: number): Set<number> {
  const standing = new Set<number>();
  if (prep.containerFeed.size === 0) return standing;
  const byContainer = new Map<number, PAssignment[]>();
  for (const a of prep.assignments) {
    let l = byContainer.get(a.container);
    if (!l) byContainer.set(a.container, (l = []));
    l.push(a);
  }
  for (const [ci, feedDays] of prep.containerFeed) {
    const pens = byContainer.get(ci) ?? [];
    const sleeping = pens.filter((a) => rows[a.idx] === null && ghosts[a.idx]);
    if (sleeping.length === 0) continue;
    if (!pens.some((a) => rows[a.idx] !== null)) { standing.add(ci); continue; }
    for (const a of sleeping) {
      const old = ghosts[a.idx]!;
      const first = parseIsoDate(old[0]!.date)!;
      const last = first + old.length - 1;
      let tied = false;
      for (const d of feedDays.keys()) if (d >= fromDay && d >= first && d <= last) { tied = true; break; }
      if (tied) rows[a.idx] = old.map((st, i) => toRow(prep, st, first + i));
    }
  }
  return standing;
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

/** What an incremental recompute lets the build reuse: assignments untouched since `restart`. */
export interface Reuse {
  previous: StatesDocument;
  restart: number;
}

export function buildDocument(prep: Prepared, rows: (Row[] | null)[], anchorResults: AnchorResult[], temps: ContainerTemps, warnings: Warning[], reuse?: Reuse): StatesDocument {
  const { stages, assignments, batchStart } = prep;
  const series: AssignmentSeries[] = [];
  const daily: Parameters<typeof batchDaily>[0] = [];
  const weeklyAssignments: StatesDocument['weekly']['assignments'] = [];
  // FCR per assignment: its span rows, kept; the rolling 7- and 30-day rows (two per day, most of
  // a document's memory) are made from the series when the flat list is first read.
  const fcrChunks: { span: StatesDocument['fcr']; series: AssignmentSeries }[] = [];
  const fcrById = new Map<string, StatesDocument['fcr']>();
  const starts: ForecastStart[] = [];
  const prevSeries = reuse ? new Map(reuse.previous.assignments.map((s) => [s.assignment_id, s])) : null;
  const prevWeekly = reuse ? new Map(reuse.previous.weekly.assignments.map((w) => [w.assignment_id, w])) : null;
  const prevFcr = reuse ? fcrByAssignment(reuse.previous) : null;
  // Previous forecasts stand only for the same as-of date and the same forecast inputs (harvest
  // weight, stage table, profile): a document this engine built carries them; one read back from
  // storage is taken as computed with the batch's current ones (recomputeFrom's contract).
  const fkey = forecastKey(prep);
  const prevForecast = reuse && reuse.previous.as_of === formatIsoDate(prep.asOf) && (FORECAST_KEYS.get(reuse.previous) ?? fkey) === fkey
    ? new Map(reuse.previous.forecast.assignments.map((f) => [f.assignment_id, f])) : null;
  const keptForecasts = new Map<string, AssignmentForecast>();

  for (const a of assignments) {
    const rs = rows[a.idx];
    if (rs === null || rs === undefined) {
      // Left by a resumed walk (its series ended before the restart, or the edit cannot reach it):
      // it stands as it was.
      const old = prevSeries!.get(a.id)!;
      daily.push(dailyOf(old, a.container));
      series.push(old);
      // A ghost with fish today: its forecast starts where it stood, as before.
      const lastSt = old.states[old.states.length - 1];
      if (lastSt && lastSt.population > 0 && parseIsoDate(lastSt.date) === prep.asOf) {
        starts.push({ assignmentId: a.id, container: a.container, population: lastSt.population, avgWeightG: lastSt.avg_weight_g, stage: stages.index.get(lastSt.stage) ?? 0 });
        const pf = prevForecast?.get(a.id);
        if (pf) keptForecasts.set(a.id, pf);
      }
      weeklyAssignments.push(prevWeekly!.get(a.id)!);
      const f = prevFcr!.get(a.id);
      if (f) { fcrChunks.push({ span: f, series: old }); fcrById.set(a.id, f); }
      continue;
    }
    if (rs.length === 0) continue;
    const n = rs.length;
    const pop = numbers(n), w = numbers(n), feed = numbers(n), growth = numbers(n), deaths = numbers(n);
    for (let i = 0; i < n; i++) {
      const r = rs[i]!;
      pop[i] = r.population; w[i] = r.avgWeightG; feed[i] = r.feedKg; growth[i] = r.growthKg; deaths[i] = r.deaths;
    }
    const firstDay = rs[0]!.day;
    daily.push({ container: a.container, firstDay, population: pop, avgWeightG: w, feedKg: feed, growthKg: growth, deaths });
    const last = rs[n - 1]!;
    if (last.day === prep.asOf && last.population > 0)
      starts.push({ assignmentId: a.id, container: a.container, population: last.population, avgWeightG: last.avgWeightG, stage: last.stage });

    const old = prevSeries?.get(a.id);
    if (old && reuse && unchanged(old.states, rs, reuse.restart, stages.names, temps.of(a.container))) {
      // Its forecast starts from the same state with the same temperature bias (the series holds
      // the container's temperatures over the whole bias window): the previous one stands.
      const pf = prevForecast?.get(a.id);
      if (pf && last.day === prep.asOf && firstDay <= prep.asOf - BIAS_WINDOW_DAYS + 1) keptForecasts.set(a.id, pf);
      series.push(old);
      weeklyAssignments.push(prevWeekly!.get(a.id)!);
      const f = prevFcr!.get(a.id);
      if (f) { fcrChunks.push({ span: f, series: old }); fcrById.set(a.id, f); }
      continue;
    }
    // A series that changed but ends as it did (an edit in its past, absorbed by a later anchor,
    // or a feed edit) starts the same forecast: the previous one stands if its bias does too.
    const oldLast = old && old.states.length ? old.states[old.states.length - 1]! : undefined;
    const pf = prevForecast?.get(a.id);
    if (pf && oldLast && last.day === prep.asOf && firstDay <= prep.asOf - BIAS_WINDOW_DAYS + 1 && oldLast.population === last.population &&
      oldLast.avg_weight_g === last.avgWeightG && oldLast.stage === stages.names[last.stage] && parseIsoDate(oldLast.date) === last.day) keptForecasts.set(a.id, pf);
    const ts = temps.of(a.container);
    const wConf = weightConfidence(rs, (i) => ts.confidence[rs[i]!.day - ts.base]!);
    const states: AssignmentState[] = new Array(n);
    const dates: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const r = rs[i]!;
      const k = r.day - ts.base;
      const tc = ts.confidence[k]!;
      const mc = r.mortalityRecorded ? MORTALITY_CONFIDENCE.recorded : MORTALITY_CONFIDENCE.model;
      const wc = wConf[i]!;
      const date = formatIsoDate(r.day);
      dates[i] = date;
      states[i] = {
        date, day_number: r.day - batchStart + 1, stage: stages.names[r.stage]!,
        avg_weight_g: r.avgWeightG, population: r.population, biomass_kg: (r.population * r.avgWeightG) / 1000, temp_c: ts.tempC[k]!,
        deaths: r.deaths, feed_kg: r.feedKg, growth_kg: r.growthKg, anchor_type: r.anchorType, count_deviation: r.countDeviation,
        sources: sourcesOf(r.weightSource, ts.source[k]!, r.mortalityRecorded, r.feedRecorded),
        confidence: { weight: wc, temp: tc, mortality: mc, feed: r.feedRecorded ? 1 : 0, overall: Math.min(wc, tc, mc) },
        mortality_carry: r.mortalityCarry,
      };
    }
    const built: AssignmentSeries = { assignment_id: a.id, container_id: prep.containers[a.container]!.id, states };
    DAILY.set(built, { container: a.container, firstDay, population: pop, avgWeightG: w, feedKg: feed, growthKg: growth, deaths });
    series.push(built);
    weeklyAssignments.push({ assignment_id: a.id, weeks: weekly({ firstDay, population: pop, avgWeightG: w, feedKg: feed, growthKg: growth, deaths }) });
    const f = fcrWindows(a.id, firstDay, dates, feed, growth, a.cutDays, 'span');
    fcrChunks.push({ span: f, series: built });
    fcrById.set(a.id, f);
  }

  const prev = reuse?.previous;
  const batch = batchDaily(daily, batchStart, prev?.batch);
  const scenario = projectScenario(prep, prev?.scenario);
  const anchors: AnchorRow[] = anchorResults
    .slice()
    .sort((p, q) => p.assignment - q.assignment || p.day - q.day)
    .map((x) => x.row ?? ({
      assignment_id: assignments[x.assignment]!.id, date: formatIsoDate(x.day), type: x.type, record_ids: x.recordIds,
      measured_g: x.measuredG, modeled_g: x.modeledG, residual_g: x.measuredG - x.modeledG,
      residual_pct: x.modeledG > 0 ? ((x.measuredG - x.modeledG) / x.modeledG) * 100 : 0, realized_tgc: x.realizedTgc,
    }));

  // The flat list (two rows per assignment-day) is made when first read: the backend reads the
  // span rows by assignment (fcrByAssignment), as a later incremental run does.
  let fcr: StatesDocument['fcr'] | null = null;
  const flatFcr = (): StatesDocument['fcr'] =>
    fcrInEngineOrder(new Map(fcrChunks.map((c) => [c.series.assignment_id, c.span])), fcrChunks.map((c) => [c.series.assignment_id, c.series.states]), ALL_WINDOWS);
  const doc: StatesDocument = {
    format: 'aquamind-site/states@1',
    engine_version: ENGINE_VERSION,
    batch_id: prep.batchId,
    as_of: formatIsoDate(prep.asOf),
    assignments: series,
    batch: batch.states,
    weekly: { batch: weekly(batch.series, prev?.weekly.batch), assignments: weeklyAssignments },
    anchors,
    get fcr() { return (fcr ??= flatFcr()); },
    scenario,
    variance: variance(batch.states, scenario, prev?.variance),
    forecast: forecast(prep, starts, temps, keptForecasts,
      prevForecast ? { ids: reuse!.previous.forecast.assignments.map((f) => f.assignment_id), batch: reuse!.previous.forecast.batch } : undefined),
    warnings,
  };
  FCR_GROUPS.set(doc, fcrById);
  FORECAST_KEYS.set(doc, fkey);
  return doc;
}

/** What a forecast depends on besides each assignment's last state and temperatures, as text. */
const FORECAST_KEYS = new WeakMap<StatesDocument, string>();
const PREP_FORECAST_KEYS = new WeakMap<Prepared, string>();
function forecastKey(prep: Prepared): string {
  let k = PREP_FORECAST_KEYS.get(prep);
  if (k === undefined) {
    k = JSON.stringify([prep.scenario.harvestWeightG, prep.stages, prep.profile, prep.batchStart]);
    PREP_FORECAST_KEYS.set(prep, k);
  }
  return k;
}

/**
 * Provenance objects are shared: there are few combinations, and a 900-day batch has ~9,000
 * states (one object less each to allocate and to collect). They are frozen, since they are shared.
 */
const WEIGHT_SOURCES: WeightSource[] = ['growth_sample', 'transfer', 'weighing', 'manual', 'harvest', 'inflow', 'bridged', 'model'];
const SOURCES: AssignmentState['sources'][] = [];
for (const weight of WEIGHT_SOURCES) for (let temp = 0; temp < 4; temp++) for (const m of [false, true]) for (const f of [false, true])
  SOURCES.push(Object.freeze({ weight, temp: TEMP_SOURCES[temp]!, mortality: m ? 'recorded' : 'model', feed: f ? 'recorded' : 'none' } as const));
function sourcesOf(weight: WeightSource, temp: number, mortalityRecorded: boolean, feedRecorded: boolean): AssignmentState['sources'] {
  return SOURCES[WEIGHT_SOURCES.indexOf(weight) * 16 + temp * 4 + (mortalityRecorded ? 2 : 0) + (feedRecorded ? 1 : 0)]!;
}

/** Daily arrays of a series that stands as it was, kept with the series object (it is immutable once built). */
const DAILY = new WeakMap<AssignmentSeries, Parameters<typeof batchDaily>[0][number]>();
function dailyOf(old: AssignmentSeries, container: number): Parameters<typeof batchDaily>[0][number] {
  let d = DAILY.get(old);
  if (!d) {
    const n = old.states.length;
    const pop = numbers(n), w = numbers(n), feed = numbers(n), growth = numbers(n), deaths = numbers(n);
    for (let i = 0; i < n; i++) {
      const st = old.states[i]!;
      pop[i] = st.population; w[i] = st.avg_weight_g; feed[i] = st.feed_kg; growth[i] = st.growth_kg; deaths[i] = st.deaths;
    }
    d = { container, firstDay: parseIsoDate(old.states[0]!.date)!, population: pop, avgWeightG: w, feedKg: feed, growthKg: growth, deaths };
    DAILY.set(old, d);
  }
  return d;
}

/** A packed array of doubles. Not a typed array: those live off-heap, and their churn forces full GCs. */
export function numbers(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(0);
  return a;
}

const FCR_GROUPS = new WeakMap<StatesDocument, Map<string, StatesDocument['fcr']>>();
/** A document's span FCR rows by assignment, in document order (kept with documents this engine built). */
export function fcrByAssignment(doc: StatesDocument): ReadonlyMap<string, StatesDocument['fcr']> {
  let g = FCR_GROUPS.get(doc);
  if (!g) {
    g = groupFcr(doc.fcr);
    for (const [id, rows] of g) g.set(id, rows.filter((r) => r.window === 'span'));
    FCR_GROUPS.set(doc, g);
  }
  return g;
}

function groupFcr(rows: StatesDocument['fcr']): Map<string, StatesDocument['fcr']> {
  // Rows come grouped by assignment (this module writes them so): slice the runs.
  const m = new Map<string, StatesDocument['fcr']>();
  let start = 0;
  for (let i = 1; i <= rows.length; i++) {
    if (i === rows.length || rows[i]!.assignment_id !== rows[start]!.assignment_id) {
      const id = rows[start]!.assignment_id;
      const run = rows.slice(start, i);
      const had = m.get(id);
      m.set(id, had ? had.concat(run) : run);
      start = i;
    }
  }
  return m;
}

/**
 * An assignment's previous states still hold when its recomputed rows (from `restart` on) and its
 * feed everywhere match: evidence for confidence lives in those rows, so confidence matches too.
 */
function unchanged(old: AssignmentState[], rs: Row[], restart: number, names: string[], ts: TempSeries): boolean {
  if (old.length !== rs.length) return false;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!, o = old[i]!;
    if (r.feedKg !== o.feed_kg || (r.feedRecorded ? 'recorded' : 'none') !== o.sources.feed) return false;
    if (r.day < restart) continue;
    if (r.avgWeightG !== o.avg_weight_g || r.population !== o.population || r.deaths !== o.deaths || r.growthKg !== o.growth_kg ||
      r.countDeviation !== o.count_deviation || r.anchorType !== o.anchor_type || r.weightSource !== o.sources.weight ||
      r.mortalityCarry !== o.mortality_carry || (r.mortalityRecorded ? 'recorded' : 'model') !== o.sources.mortality ||
      names[r.stage] !== o.stage || ts.tempC[r.day - ts.base] !== o.temp_c || TEMP_SOURCES[ts.source[r.day - ts.base]!] !== o.sources.temp) return false;
  }
  return true;
}
