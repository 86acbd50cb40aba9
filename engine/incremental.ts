/**
 * Incremental recompute for the backend: after an edit whose earliest affected day is `fromDate`,
 * resume the daily walk from the stored states instead of the batch start, and report only the
 * states that changed. The result equals a full recompute exactly (a property test holds it).
 *
 * Where to resume: a span's bridge depends on the anchor that ends it, so every assignment must
 * restart at the start of the span that holds the edit; temperatures interpolate over 7 days, so
 * the edit reaches 7 days back. The walk resumes at the earliest such day over all assignments
 * (they are coupled by transfers and batch-level mortality), with each assignment's span re-planned
 * from its own last cut day. Feed, confidence and every derived output are rebuilt in full: they
 * are cheap and reach backwards (confidence decays towards a new anchor from both sides).
 */
import type { AssignmentState, BatchState, InputError, StatesDocument, WeightSource } from './document';
import { formatIsoDate, parseIsoDate } from './dates';
import { prepare, spanAt, type Prepared } from './prepare';
import { computeStates, type AssimilateOptions } from './assimilate';
import type { AnchorResult, Row } from './simulate';
import { ENGINE_VERSION } from './version';

export interface StateChanges {
  assignments: { assignment_id: string; states: AssignmentState[] }[];
  batch: BatchState[];
  /** Assignments in `previous` that no longer have a series. */
  removedAssignments: string[];
}

export type IncrementalResult =
  | { ok: true; states: StatesDocument; changed: StateChanges; restartDate: string | null }
  | { ok: false; errors: InputError[] };

const TEMPERATURE_REACH_DAYS = 7;
const ANCHOR_TYPES = new Set<WeightSource>(['growth_sample', 'transfer', 'weighing', 'manual', 'harvest']);

export function recomputeFrom(doc: unknown, previous: StatesDocument, fromDate: string, opts: AssimilateOptions = {}): IncrementalResult {
  const p = prepare(doc, opts);
  if (!p.ok) return p;
  return recomputePrepared(p.prep, previous, fromDate);
}

export function recomputePrepared(prep: Prepared, previous: StatesDocument, fromDate: string): IncrementalResult {
  const from = parseIsoDate(fromDate);
  const compatible = from !== null && previous.engine_version === ENGINE_VERSION && previous.as_of === formatIsoDate(prep.asOf) && previous.batch_id === prep.batchId;
  if (!compatible) {
    const full = computeStates(prep);
    return full.ok ? { ok: true, states: full.states, changed: diff(previous, full.states), restartDate: null } : full;
  }
  const prevById = new Map(previous.assignments.map((s) => [s.assignment_id, s]));
  const firstOf = (st: AssignmentState[]) => parseIsoDate(st[0]!.date)!;

  // The restart day: the edit's reach, moved back to the start of every span in force then.
  const target = from! - TEMPERATURE_REACH_DAYS;
  let restart = target;
  for (const a of prep.assignments) {
    const old = prevById.get(a.id);
    if (!old || old.states.length === 0 || a.firstDay === null) continue;
    const i = target - 1 - firstOf(old.states);
    if (i < 0 || i >= old.states.length || old.states[i]!.population <= 0) continue;
    const { start: s, next } = spanAt(a, target - 1);
    // A forward span resumes mid-way unchanged; a bridge (before or after the edit) is redrawn whole.
    const wasBridge = old.states[i]!.sources.weight === 'bridged';
    const x = next !== Infinity ? a.dense[next - prep.batchStart] : undefined;
    const isBridge = !!(x && x.anchor && !x.anchor.endOfDay);
    if ((wasBridge || isBridge) && s + 1 < restart) restart = s + 1;
  }
  // Series that ended before the day before the restart stand as they were (frozen); the others
  // become rows again.
  const rows: (Row[] | null)[] = [];
  const frozen: ({ first: number; last: number } | null)[] = [];
  for (const a of prep.assignments) {
    const old = prevById.get(a.id);
    if (!old || old.states.length === 0) { rows.push([]); frozen.push(null); continue; }
    const first = firstOf(old.states);
    const last = first + old.states.length - 1;
    if (last < restart - 1) { rows.push(null); frozen.push({ first, last }); continue; }
    rows.push(old.states.map((st, i) => toRow(prep, st, first + i)));
    frozen.push(null);
  }
  const anchors: AnchorResult[] = [];
  for (const x of previous.anchors) {
    const d = parseIsoDate(x.date)!;
    const ai = prep.assignmentIndex.get(x.assignment_id);
    if (d < restart && ai !== undefined)
      anchors.push({ assignment: ai, day: d, type: x.type, recordIds: x.record_ids, measuredG: x.measured_g, modeledG: x.modeled_g, realizedTgc: x.realized_tgc, row: x });
  }
  // Computed warnings about days before the restart stay; the rest are made anew.
  const restartIso = formatIsoDate(restart);
  const keptWarnings = previous.warnings.filter((w) => w.date !== undefined && w.date < restartIso);
  const result = computeStates(prep, { day: restart, rows, frozen, anchors, warnings: keptWarnings }, undefined, { previous, restart });
  if (!result.ok) return result;
  return { ok: true, states: result.states, changed: diff(previous, result.states), restartDate: formatIsoDate(restart) };
}

function toRow(prep: Prepared, s: AssignmentState, day: number): Row {
  const evidence = ANCHOR_TYPES.has(s.sources.weight) || s.sources.weight === 'inflow' ? s.confidence.weight : NaN;
  return {
    day, stage: prep.stages.index.get(s.stage) ?? 0, avgWeightG: s.avg_weight_g, population: s.population,
    deaths: s.deaths, growthKg: s.growth_kg, countDeviation: s.count_deviation, anchorType: s.anchor_type,
    weightSource: s.sources.weight, evidenceConf: evidence, mortalityRecorded: s.sources.mortality === 'recorded',
    mortalityCarry: s.mortality_carry, feedKg: s.feed_kg, feedRecorded: s.sources.feed === 'recorded',
  };
}

function sameState(a: AssignmentState, b: AssignmentState): boolean {
  return a.date === b.date && a.avg_weight_g === b.avg_weight_g && a.population === b.population && a.stage === b.stage &&
    a.biomass_kg === b.biomass_kg && a.temp_c === b.temp_c && a.deaths === b.deaths && a.feed_kg === b.feed_kg &&
    a.growth_kg === b.growth_kg && a.anchor_type === b.anchor_type && a.count_deviation === b.count_deviation &&
    a.mortality_carry === b.mortality_carry && a.day_number === b.day_number &&
    a.sources.weight === b.sources.weight && a.sources.temp === b.sources.temp && a.sources.mortality === b.sources.mortality &&
    a.sources.feed === b.sources.feed && a.confidence.weight === b.confidence.weight && a.confidence.temp === b.confidence.temp &&
    a.confidence.mortality === b.confidence.mortality && a.confidence.feed === b.confidence.feed && a.confidence.overall === b.confidence.overall;
}

function sameBatch(a: BatchState, b: BatchState): boolean {
  return a.date === b.date && a.population === b.population && a.biomass_kg === b.biomass_kg && a.avg_weight_g === b.avg_weight_g &&
    a.container_count === b.container_count && a.feed_kg === b.feed_kg && a.growth_kg === b.growth_kg && a.deaths === b.deaths &&
    a.day_number === b.day_number;
}

/** The states of `next` that are new or differ from `previous`. */
export function diff(previous: StatesDocument, next: StatesDocument): StateChanges {
  const prevById = new Map(previous.assignments.map((s) => [s.assignment_id, s]));
  const assignments: StateChanges['assignments'] = [];
  for (const s of next.assignments) {
    const old = prevById.get(s.assignment_id);
    if (old === s) continue;
    const byDate = new Map<string, AssignmentState>();
    if (old) for (const st of old.states) byDate.set(st.date, st);
    const changed = s.states.filter((st) => { const o = byDate.get(st.date); return !o || !sameState(o, st); });
    if (changed.length > 0) assignments.push({ assignment_id: s.assignment_id, states: changed });
  }
  const nextIds = new Set(next.assignments.map((s) => s.assignment_id));
  const removedAssignments = previous.assignments.map((s) => s.assignment_id).filter((id) => !nextIds.has(id));
  const prevBatch = new Map(previous.batch.map((b) => [b.date, b]));
  const batch = next.batch.filter((b) => { const o = prevBatch.get(b.date); return !o || !sameBatch(o, b); });
  return { assignments, batch, removedAssignments };
}
