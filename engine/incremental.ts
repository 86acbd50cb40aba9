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
import type { AssignmentState, BatchState, InputError, StatesDocument } from './document';
import { formatIsoDate, parseIsoDate } from './dates';
import { prepare, spanAt, type Prepared } from './prepare';
import { computeStates, type AssimilateOptions } from './assimilate';
import { toRow, type AnchorResult, type Row } from './simulate';
import { ENGINE_VERSION } from './version';

export interface StateChanges {
  assignments: { assignment_id: string; states: AssignmentState[] }[];
  batch: BatchState[];
  /** Assignments in `previous` that no longer have a series. */
  removedAssignments: string[];
}

export type IncrementalResult =
  /** walked: how many assignments the walk resumed (the others stood as they were). */
  | { ok: true; states: StatesDocument; changed: StateChanges; restartDate: string | null; walked: number }
  | { ok: false; errors: InputError[] };

const TEMPERATURE_REACH_DAYS = 7;

/**
 * `previous`: the states of the same batch computed with the same scenario, stage table and as-of
 * date as `doc` (an edit of the scenario or stages calls for a full computation); only the
 * measurements may differ, from `fromDate` on.
 */
export function recomputeFrom(doc: unknown, previous: StatesDocument, fromDate: string, opts: AssimilateOptions & IncrementalOptions = {}): IncrementalResult {
  const p = prepare(doc, opts);
  if (!p.ok) return p;
  return recomputePrepared(p.prep, previous, fromDate, opts);
}

export interface IncrementalOptions {
  /**
   * The assignments whose own records changed (samples, mortality, feed, transfers, … naming
   * them). The walk then resumes only for these and the assignments they exchange fish with;
   * the others stand as they were unless a batch-level mortality split or a container's feed
   * ties them to a changed one. Leave it out (or null) when anything else changed: batch-level
   * or container-level records, temperatures, stages, the scenario, the assignments themselves.
   */
  pens?: ReadonlySet<string> | null;
}

export function recomputePrepared(prep: Prepared, previous: StatesDocument, fromDate: string, opts: IncrementalOptions = {}): IncrementalResult {
  const from = parseIsoDate(fromDate);
  const compatible = from !== null && previous.engine_version === ENGINE_VERSION && previous.as_of === formatIsoDate(prep.asOf) && previous.batch_id === prep.batchId;
  // from the batch start, every assignment walking
  const fromScratch = (): IncrementalResult => {
    const full = computeStates(prep);
    return full.ok ? { ok: true, states: full.states, changed: diff(previous, full.states), restartDate: null, walked: prep.assignments.length } : full;
  };
  if (!compatible) return fromScratch();
  const prevById = new Map(previous.assignments.map((s) => [s.assignment_id, s]));
  const firstOf = (st: AssignmentState[]) => parseIsoDate(st[0]!.date)!;

  // The restart day: the edit's reach, moved back to the start of every span in force then.
  const target = from! - TEMPERATURE_REACH_DAYS;
  const restartFor = (walks: Uint8Array | null): number => {
    let restart = target;
    for (const a of prep.assignments) {
      if (walks && !walks[a.idx]) continue;
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
    return restart;
  };
  // The assignments that walk again: the changed ones and those exchanging fish with them from
  // the restart on (the rest stand, see IncrementalOptions), or all of them.
  let walks = opts.pens ? reach(prep, opts.pens, target) : null;
  let restart = restartFor(walks);
  while (walks) {
    const more = reach(prep, opts.pens!, restart)!;
    const r = restartFor(more);
    if (r === restart && more.every((x, i) => x === walks![i])) break;
    walks = more; restart = r;
  }
  const restartIso = formatIsoDate(restart);
  // The walk's warnings carry no assignment: with any from the restart on, everything walks.
  if (walks && previous.warnings.some((w) => w.date !== undefined && w.date >= restartIso)) walks = null;
  // A pen whose fish now arrive on another day than its previous states start has no previous
  // rows to resume from: the batch is computed from the start.
  for (const a of prep.assignments) {
    if (walks && !walks[a.idx]) continue;
    const old = prevById.get(a.id);
    if (old && old.states.length > 0 && firstOf(old.states) !== a.firstDay) return fromScratch();
  }

  // Series that ended before the day before the restart stand as they were (frozen); so do the
  // assignments that do not walk (ghosts); the others become rows again.
  const rows: (Row[] | null)[] = [];
  const frozen: ({ first: number; last: number } | null)[] = [];
  const ghosts: (AssignmentState[] | null)[] = [];
  const before: (AssignmentState[] | null)[] = [];
  for (const a of prep.assignments) {
    const old = prevById.get(a.id);
    before.push(old ? old.states : null);
    ghosts.push(null);
    if (!old || old.states.length === 0) { rows.push([]); frozen.push(null); continue; }
    const first = firstOf(old.states);
    const last = first + old.states.length - 1;
    if (last < restart - 1) { rows.push(null); frozen.push({ first, last }); continue; }
    frozen.push(null);
    if (walks && !walks[a.idx]) { rows.push(null); ghosts[a.idx] = old.states; continue; }
    rows.push(old.states.map((st, i) => toRow(prep, st, first + i)));
  }
  const anchors: AnchorResult[] = [];
  for (const x of previous.anchors) {
    const d = parseIsoDate(x.date)!;
    const ai = prep.assignmentIndex.get(x.assignment_id);
    // a ghost keeps all of its anchors (the walk drops those after the day it wakes)
    if (ai !== undefined && (d < restart || ghosts[ai] !== null))
      anchors.push({ assignment: ai, day: d, type: x.type, recordIds: x.record_ids, measuredG: x.measured_g, modeledG: x.modeled_g, realizedTgc: x.realized_tgc, row: x });
  }
  // Computed warnings about days before the restart stay; the rest are made anew.
  const keptWarnings = previous.warnings.filter((w) => w.date !== undefined && w.date < restartIso);
  const resume = { day: restart, rows, frozen, anchors, warnings: keptWarnings, ...(walks ? { ghosts, previous: before } : {}) };
  const result = computeStates(prep, resume, undefined, { previous, restart });
  if (!result.ok) return result;
  const walked = walks ? walks.reduce((n, x) => n + x, 0) : prep.assignments.length;
  return { ok: true, states: result.states, changed: diff(previous, result.states), restartDate: formatIsoDate(restart), walked };
}

/**
 * The assignments named, with every assignment they exchange fish with on or after `from`
 * (transfer sources and destinations, transitively). An unknown name: null (all walk).
 */
function reach(prep: Prepared, pens: ReadonlySet<string>, from: number): Uint8Array | null {
  const inSet = new Uint8Array(prep.assignments.length);
  const stack: number[] = [];
  for (const id of pens) {
    const ai = prep.assignmentIndex.get(id);
    if (ai === undefined) return null;
    if (!inSet[ai]) { inSet[ai] = 1; stack.push(ai); }
  }
  while (stack.length > 0) {
    const a = prep.assignments[stack.pop()!]!;
    for (const [d, x] of a.days) {
      if (d < from) continue;
      for (const t of x.transfersOut) if (!inSet[t.dest]) { inSet[t.dest] = 1; stack.push(t.dest); }
      for (const t of x.transfersIn) if (!inSet[t.source]) { inSet[t.source] = 1; stack.push(t.source); }
    }
  }
  return inSet;
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
    // series are daily without gaps: the previous state of a date is found by its offset
    const base = old && old.states.length ? parseIsoDate(old.states[0]!.date)! : 0;
    const first = s.states.length ? parseIsoDate(s.states[0]!.date)! : 0;
    const changed = s.states.filter((st, i) => {
      const o = old?.states[first + i - base];
      return !o || o.date !== st.date || !sameState(o, st);
    });
    if (changed.length > 0) assignments.push({ assignment_id: s.assignment_id, states: changed });
  }
  const nextIds = new Set(next.assignments.map((s) => s.assignment_id));
  const removedAssignments = previous.assignments.map((s) => s.assignment_id).filter((id) => !nextIds.has(id));
  const pb0 = previous.batch.length ? parseIsoDate(previous.batch[0]!.date)! : 0;
  const nb0 = next.batch.length ? parseIsoDate(next.batch[0]!.date)! : 0;
  const batch = next.batch.filter((b, i) => { const o = previous.batch[nb0 + i - pb0]; return !o || o.date !== b.date || !sameBatch(o, b); });
  return { assignments, batch, removedAssignments };
}
