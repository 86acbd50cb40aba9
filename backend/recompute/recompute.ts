/**
 * Recomputing dirty batches: load the batch's inputs (temperatures as stored per container-day
 * sums, never the raw readings), run the engine (incrementally from the dirty day when stored
 * states are compatible), then in one transaction write only the states that changed, drop
 * states that no longer exist, store the batch outputs and clear the dirty marker unless the
 * batch was re-dirtied meanwhile (generation check). Engine errors are stored per batch and park
 * the marker until the next edit; they never throw.
 *
 * The previous states of a batch come from memory when this recomputer wrote them last (the
 * `revision` token in batch_outputs says so; the worker is long-lived), else from the tables. With
 * them it keeps the inputs it loaded and what it wrote of the other outputs: the dirty marker says
 * which input lists changed since, so only those are read again, and only output parts whose
 * objects changed are written (outputs.ts). The memory holds a bounded number of states (least
 * recently used batches leave first).
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  computeStates, diff, prepare, recomputePrepared, ENGINE_VERSION,
  type AssignmentState, type BatchState, type InputError, type Prepared, type StatesDocument, type StateChanges,
} from '../../engine/index';
import { loadBatchInputs, stmt, type BatchInputs } from './batch-document';
import { changedInputs, markDirty } from './dirty';
import { partsOf, readParts, writeParts, writtenOf, batchPart, assignmentParts, fcrInEngineOrder, type Written } from './outputs';

const ALL_FCR_WINDOWS = new Set(['span', '7d', '30d'] as const);
const DEFAULT_CACHE_STATES = 35_000;
/** The lists whose edits the warm-up rehearses. */
const WARM_LISTS = ['mortality', 'feed', 'growth_samples'] as const;
import { FULL } from '../projection';

export interface RecomputeOutcome {
  batch_id: string;
  as_of: string;
  ok: boolean;
  changed_states: number;
  errors: InputError[];
  /** false when the batch was edited during the computation (it stays dirty). */
  cleared: boolean;
  ms: number;
  /** Where the time went: loading inputs and previous states, the engine, writing. */
  split?: { load: number; compute: number; persist: number; persistStates: number; previousFrom: 'memory' | 'tables' | 'none' };
  /** Assignments the engine walked again (an incremental run leaves the ones an edit cannot reach). */
  walked?: number;
}

export interface RecomputerOptions {
  /**
   * How many states (assignment-days) the in-memory copies may hold in all; 0 turns them off. A
   * 900-day sea batch (~8,500 states) with its inputs and indexes takes ~15–20 MB of the process's
   * RSS; the default holds four such batches (the most recently computed: the ones being worked
   * on; a small site's all) and keeps a 60-batch site's backend under 400 MB. An edit in a batch
   * not in memory reads it from the tables first (~0.25 s).
   */
  cacheStates?: number;
}

interface Cached { revision: string; states: StatesDocument; size: number; inputs: BatchInputs | null; written: Written; prepared?: Prepared }

export interface RecomputeHooks {
  progress?(p: { batch_id: string; done: number; total: number }): void;
  fresh?(o: RecomputeOutcome): void;
}

interface DirtyRow { batch_id: string; from_date: string; generation: number; failed_generation: number | null; inputs: string }

/** The columns of the state tables, in table order (the sync server writes the same rows to PostgreSQL). */
export const STATE_COLS = ['assignment_id', 'date', 'batch_id', 'container_id', 'day_number', 'stage', 'avg_weight_g', 'population', 'biomass_kg',
  'temp_c', 'deaths', 'feed_kg', 'growth_kg', 'anchor_type', 'count_deviation', 'mortality_carry', 'src_weight', 'src_temp',
  'src_mortality', 'src_feed', 'conf_weight', 'conf_temp', 'conf_mortality', 'conf_feed', 'conf_overall'] as const;
export const BATCH_COLS = ['batch_id', 'date', 'day_number', 'avg_weight_g', 'population', 'biomass_kg', 'container_count', 'feed_kg', 'growth_kg', 'deaths'] as const;

export class Recomputer {
  private readonly s: Record<string, Database.Statement>;
  private readonly cache = new Map<string, Cached>();
  /** The last batch warming loaded did not fit: no more warming until a batch leaves the memory. */
  private warmFull = false;
  private cached = 0;
  private warmedEngine = false;
  private readonly cacheLimit: number;

  constructor(private readonly db: Database.Database, private readonly today: () => string, private readonly now: () => Date = () => new Date(), opts: RecomputerOptions = {}) {
    this.cacheLimit = opts.cacheStates ?? DEFAULT_CACHE_STATES;
    const q = (sql: string) => db.prepare(sql);
    this.s = {
      dirtyAll: q('SELECT * FROM dirty_batches WHERE failed_generation IS NULL OR failed_generation <> generation ORDER BY batch_id'),
      dirtyOne: q('SELECT * FROM dirty_batches WHERE batch_id = ?'),
      clear: q('DELETE FROM dirty_batches WHERE batch_id = ? AND generation = ?'),
      fail: q('UPDATE dirty_batches SET failed_generation = ? WHERE batch_id = ? AND generation = ?'),
      batch: q('SELECT id, start_date, voided FROM batches WHERE id = ?'),
      outputs: q('SELECT engine_version, as_of, warnings FROM batch_outputs WHERE batch_id = ?'),
      revision: q('SELECT revision FROM batch_outputs WHERE batch_id = ?'),
      // most recently computed first: the batches being worked on, when not all fit in memory
      clean: q('SELECT o.batch_id, o.revision FROM batch_outputs o WHERE NOT EXISTS (SELECT 1 FROM dirty_batches d WHERE d.batch_id = o.batch_id) ORDER BY o.computed_at DESC, o.batch_id'),
      states: q(`SELECT ${STATE_COLS.join(', ')} FROM assignment_states WHERE batch_id = ? ORDER BY assignment_id, date`),
      batchStates: q(`SELECT ${BATCH_COLS.join(', ')} FROM batch_states WHERE batch_id = ? ORDER BY date`),
      upState: q(`INSERT OR REPLACE INTO assignment_states (${STATE_COLS.join(', ')}) VALUES (${STATE_COLS.map(() => '?').join(', ')})`),
      upBatch: q(`INSERT OR REPLACE INTO batch_states (${BATCH_COLS.join(', ')}) VALUES (${BATCH_COLS.map(() => '?').join(', ')})`),
      delAssignment: q('DELETE FROM assignment_states WHERE assignment_id = ? AND batch_id = ?'),
      delOutside: q('DELETE FROM assignment_states WHERE assignment_id = ? AND (date < ? OR date > ?)'),
      delAllStates: q('DELETE FROM assignment_states WHERE batch_id = ?'),
      delBatchOutside: q('DELETE FROM batch_states WHERE batch_id = ? AND (date < ? OR date > ?)'),
      delBatchStates: q('DELETE FROM batch_states WHERE batch_id = ?'),
      delOutputs: q('DELETE FROM batch_outputs WHERE batch_id = ?'),
      // an upsert, not INSERT OR REPLACE: a replace is a delete, and deleting outputs deletes their parts
      upOutputs: q(`INSERT INTO batch_outputs (batch_id, engine_version, as_of, computed_at, warnings, eta, variance_last, revision)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(batch_id) DO UPDATE SET engine_version = excluded.engine_version, as_of = excluded.as_of,
        computed_at = excluded.computed_at, warnings = excluded.warnings, eta = excluded.eta, variance_last = excluded.variance_last, revision = excluded.revision`),
      delErrors: q('DELETE FROM batch_errors WHERE batch_id = ?'),
      addError: q('INSERT INTO batch_errors (batch_id, seq, record, field, message, generation, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    };
  }

  /** Batches computed for another day or engine version become dirty (see `markStale`). */
  markStale(): number {
    return markStale(this.db, this.today());
  }

  pending(): DirtyRow[] {
    return this.s.dirtyAll!.all() as DirtyRow[];
  }

  /**
   * Moves the write-ahead log into the database when no reader needs it (PASSIVE: never waits).
   * The app's connections turn automatic checkpoints off (they would land inside an edit's commit);
   * the in-process scheduler calls this after each round, the worker once edits pause.
   */
  checkpoint(): void {
    try { this.db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: next time */ }
  }

  /** Recomputes every dirty batch until none is left (bounded, in case edits keep coming). */
  runAll(hooks: RecomputeHooks = {}, maxRounds = 5): RecomputeOutcome[] {
    const out: RecomputeOutcome[] = [];
    for (let round = 0; round < maxRounds; round++) {
      const dirty = this.pending();
      if (dirty.length === 0) break;
      dirty.forEach((d, i) => {
        hooks.progress?.({ batch_id: d.batch_id, done: i, total: dirty.length });
        const o = this.recompute(d.batch_id);
        if (o) { out.push(o); hooks.fresh?.(o); }
        hooks.progress?.({ batch_id: d.batch_id, done: i + 1, total: dirty.length });
      });
    }
    return out;
  }

  /** The stored states of a batch as the engine's previous document (null when none). */
  loadPrevious(batchId: string): StatesDocument | null {
    const out = this.s.outputs!.get(batchId) as { engine_version: string; as_of: string; warnings: string } | undefined;
    if (!out) return null;
    const rows = this.s.states!.raw().all(batchId) as unknown[][];
    const series = new Map<string, { assignment_id: string; container_id: string; states: AssignmentState[] }>();
    for (const r of rows) {
      const aid = r[0] as string;
      let s = series.get(aid);
      if (!s) { s = { assignment_id: aid, container_id: r[3] as string, states: [] }; series.set(aid, s); }
      s.states.push({
        date: r[1] as string, day_number: r[4] as number, stage: r[5] as string, avg_weight_g: r[6] as number, population: r[7] as number,
        biomass_kg: r[8] as number, temp_c: r[9] as number, deaths: r[10] as number, feed_kg: r[11] as number, growth_kg: r[12] as number,
        anchor_type: r[13] as AssignmentState['anchor_type'], count_deviation: r[14] as number, mortality_carry: r[15] as number,
        sources: { weight: r[16], temp: r[17], mortality: r[18], feed: r[19] } as AssignmentState['sources'],
        confidence: { weight: r[20] as number, temp: r[21] as number, mortality: r[22] as number, feed: r[23] as number, overall: r[24] as number },
      });
    }
    const batch = (this.s.batchStates!.all(batchId) as (BatchState & { batch_id?: string })[]).map(({ batch_id: _b, ...b }) => b as BatchState);
    const parts = readParts(this.db, batchId, ['weekly', 'anchors', 'fcr:span', 'forecast', 'scenario', 'variance']);
    const weeks = parts.get('weekly')!.filter((p) => p.key !== '').map((p) => ({ assignment_id: p.key, weeks: p.value as StatesDocument['weekly']['batch'] }));
    const spanRows = new Map(parts.get('fcr:span')!.map((p) => [p.key, p.value as StatesDocument['fcr']]));
    return {
      format: 'aquamind-site/states@1', engine_version: out.engine_version, batch_id: batchId, as_of: out.as_of,
      // every output: an incremental recompute reuses them for unchanged assignments
      assignments: [...series.values()], batch,
      weekly: { batch: batchPart(parts, 'weekly') ?? [], assignments: weeks },
      anchors: assignmentParts(parts, 'anchors'),
      fcr: fcrInEngineOrder(spanRows, [...series.values()].map((a) => [a.assignment_id, a.states] as [string, AssignmentState[]]), ALL_FCR_WINDOWS),
      scenario: batchPart(parts, 'scenario') ?? [], variance: batchPart(parts, 'variance') ?? [],
      forecast: { batch: batchPart(parts, 'forecast') ?? { eta: {}, states: [] }, assignments: assignmentParts(parts, 'forecast') },
      warnings: JSON.parse(out.warnings) as StatesDocument['warnings'],
    };
  }

  /** The previous states: this recomputer's copy while the stored revision is the one it wrote. */
  private previousOf(batchId: string): { states: StatesDocument | null; from: 'memory' | 'tables' | 'none'; cached: Cached | null } {
    const c = this.cache.get(batchId);
    if (c) {
      const r = this.s.revision!.get(batchId) as { revision: string | null } | undefined;
      if (r && r.revision === c.revision) {
        this.cache.delete(batchId); this.cache.set(batchId, c); // most recently used last
        return { states: c.states, from: 'memory', cached: c };
      }
      this.forget(batchId);
    }
    const states = this.loadPrevious(batchId);
    return { states, from: states ? 'tables' : 'none', cached: null };
  }

  private forget(batchId: string): void {
    const c = this.cache.get(batchId);
    if (c) { this.cached -= c.size; this.cache.delete(batchId); this.warmFull = false; }
  }

  private remember(batchId: string, revision: string, states: StatesDocument, inputs: BatchInputs, written: Written, prepared?: Prepared): void {
    const before = this.cache.get(batchId);
    if (before) { this.cached -= before.size; this.cache.delete(batchId); }
    const size = sizeOf(states);
    if (size > this.cacheLimit) return;
    this.cache.set(batchId, { revision, states, size, inputs, written, ...(prepared ? { prepared } : {}) });
    this.cached += size;
    for (const [id, c] of this.cache) {
      if (this.cached <= this.cacheLimit) break;
      this.cached -= c.size; this.cache.delete(id); this.warmFull = false;
    }
  }

  /**
   * Loads the stored states, inputs and output parts of clean batches into memory, so the first
   * edit after a start costs what every later one does. One batch per call (the worker calls it
   * between requests); returns false when every clean batch is in memory or the memory is full.
   */
  warmNext(): boolean {
    if (this.cacheLimit === 0 || this.warmFull) return false;
    const ids = (this.s.clean!.all() as { batch_id: string; revision: string | null }[]).filter((r) => r.revision && !this.cache.has(r.batch_id));
    const next = ids[0];
    if (!next) return false;
    let full = false;
    this.db.transaction(() => {
      const revision = (this.s.revision!.get(next.batch_id) as { revision: string | null } | undefined)?.revision;
      const out = this.s.outputs!.get(next.batch_id) as { as_of: string } | undefined;
      if (!revision || !out || this.s.dirtyOne!.get(next.batch_id)) return;
      const states = this.loadPrevious(next.batch_id);
      const inputs = loadBatchInputs(this.db, next.batch_id, { asOf: out.as_of, readings: 'sums' });
      if (!states || !inputs) return;
      // prepared too, for the next prepare to build on; the first batch is also computed once,
      // which compiles the engine's hot paths before the first edit needs them
      const p = prepare(inputs.doc, { readings: inputs.readings });
      let kept = states;
      if (p.ok) {
        const full = this.warmEngine(p.prep, states, this.warmedEngine ? 4 : 30, inputs);
        this.warmedEngine = true;
        // The engine's own document of the same states is kept rather than the one read back: it
        // carries what an incremental run takes apart (daily arrays, FCR rows by pen, the
        // forecast inputs), which read-back states build on the first edit. Only when the two
        // agree (they do unless the tables were changed behind the recompute's back).
        if (full && sameStates(full, states)) kept = full;
      }
      // warming never pushes a batch out: once the memory is full, the rest load on their first edit
      if (this.cached + sizeOf(kept) > this.cacheLimit) { full = true; this.warmFull = true; return; }
      this.remember(next.batch_id, revision, kept, inputs, writtenOf(kept), p.ok ? p.prep : undefined);
    })();
    return !full && this.cached < this.cacheLimit && ids.length > 1;
  }

  /**
   * Runs the engine's full and incremental paths on a batch a number of times without writing
   * anything: V8 optimises a function after it has run hot, so until then the first edits after
   * a start cost two to four times what later ones do (measured: 40–95 ms → 15–25 ms on the demo
   * sea batch). Every batch gets a few rounds (their shapes differ: hatchery trays, sea pens), the
   * first more. The results are dropped.
   */
  private warmEngine(prep: Prepared, stored: StatesDocument, rounds: number, inputs: BatchInputs): StatesDocument | null {
    const full = computeStates(prep);
    if (!full.ok) return null;
    if (stored.batch.length < 2) return full.states;
    const dates = stored.batch.map((b) => b.date);
    const doc = inputs.doc as unknown as Record<string, { assignment_id?: string | null }[]>;
    for (let i = 1; i <= rounds; i++) {
      const from = dates[Math.floor((dates.length * i) / (rounds + 1))]!;
      // every other round as an edit of one pen's record runs: the list prepared again without
      // one of its records (the others the same objects), then the walk resumed for that pen
      let edited = prep;
      let pens: Set<string> | null = null;
      const list = doc[WARM_LISTS[i % WARM_LISTS.length]!];
      const k = list ? Math.floor((list.length * i) / (rounds + 1)) : -1;
      const pen = list?.[k]?.assignment_id;
      if (i % 2 === 0 && typeof pen === 'string') {
        const p = prepare({ ...inputs.doc, [WARM_LISTS[i % WARM_LISTS.length]!]: list!.filter((_, j) => j !== k) }, { readings: inputs.readings, previous: prep });
        if (p.ok) { edited = p.prep; pens = new Set([pen]); }
      }
      const r = recomputePrepared(edited, full.states, from, { pens });
      if (r.ok) partsOf(r.states);
    }
    return full.states;
  }

  /** How many batches are in memory. */
  inMemory(): number { return this.cache.size; }

  /** Drops the in-memory copies (tests, tools). */
  clearCache(): void { this.cache.clear(); this.cached = 0; }

  recompute(batchId: string): RecomputeOutcome | null {
    const t0 = performance.now();
    const asOf = this.today();
    // a consistent snapshot of inputs and stored states
    const snap = this.db.transaction(() => {
      const dirty = this.s.dirtyOne!.get(batchId) as DirtyRow | undefined;
      if (!dirty) return null;
      const batch = this.s.batch!.get(batchId) as { id: string; start_date: string; voided: number } | undefined;
      if (!batch || batch.voided) return { dirty, batch, inputs: null, previous: null, previousFrom: 'none' as const, cached: null };
      const previous = this.previousOf(batchId);
      // inputs unchanged since this recomputer loaded them are taken as they were
      const changed = changedInputs(dirty.inputs);
      const reuse = previous.cached?.inputs && changed ? { inputs: previous.cached.inputs, changed } : undefined;
      const inputs = loadBatchInputs(this.db, batchId, { asOf, readings: 'sums' }, reuse);
      return { dirty, batch, inputs, previous: inputs ? previous.states : null, previousFrom: previous.from, cached: previous.cached };
    })();
    if (!snap) return null;
    const { dirty, batch, inputs, previous, previousFrom, cached } = snap;
    const t1 = performance.now();

    if (!inputs || !batch) {
      // unknown or voided batch: its states go away
      let cleared = false;
      this.forget(batchId);
      this.db.transaction(() => {
        this.s.delAllStates!.run(batchId); this.s.delBatchStates!.run(batchId); this.s.delOutputs!.run(batchId); this.s.delErrors!.run(batchId);
        cleared = this.s.clear!.run(batchId, dirty.generation).changes > 0;
      }).immediate();
      return { batch_id: batchId, as_of: asOf, ok: true, changed_states: 0, errors: [], cleared, ms: performance.now() - t0 };
    }

    let states: StatesDocument;
    let changed: StateChanges;
    let prepared: Prepared;
    let walked: number | undefined;
    try {
      const p = prepare(inputs.doc, { readings: inputs.readings, ...(cached?.prepared && previous ? { previous: cached.prepared } : {}) });
      if (!p.ok) return this.failed(batchId, asOf, dirty, p.errors, t0);
      prepared = p.prep;
      if (previous && dirty.from_date > batch.start_date) {
        // with inputs patched over the kept ones, only the pens their changed records name walk again
        const r = recomputePrepared(p.prep, previous, dirty.from_date, { pens: cached && inputs.touched ? inputs.touched : null });
        if (!r.ok) return this.failed(batchId, asOf, dirty, r.errors, t0);
        states = r.states; changed = r.changed; walked = r.walked;
      } else {
        const r = computeStates(p.prep);
        if (!r.ok) return this.failed(batchId, asOf, dirty, r.errors, t0);
        states = r.states;
        changed = previous ? diff(previous, r.states) : { assignments: r.states.assignments.map((a) => ({ assignment_id: a.assignment_id, states: a.states })), batch: r.states.batch, removedAssignments: [] };
      }
    } catch (e) {
      return this.failed(batchId, asOf, dirty, [{ record: batchId, field: 'engine', message: `engine failure: ${(e as Error).message}` }], t0);
    }
    const t2 = performance.now();

    const containerOf = new Map(states.assignments.map((a) => [a.assignment_id, a.container_id]));
    let n = 0;
    let cleared = false;
    const revision = randomUUID();
    let written: Written = new Map();
    let statesMs = 0;
    this.db.transaction(() => {
      if (!previous) { this.s.delAllStates!.run(batchId); this.s.delBatchStates!.run(batchId); }
      const ts0 = performance.now();
      const up = this.s.upState!;
      for (const a of changed.assignments) {
        const cid = containerOf.get(a.assignment_id)!;
        for (const st of a.states) {
          up.run(a.assignment_id, st.date, batchId, cid, st.day_number, st.stage, st.avg_weight_g, st.population, st.biomass_kg, st.temp_c,
            st.deaths, st.feed_kg, st.growth_kg, st.anchor_type, st.count_deviation, st.mortality_carry, st.sources.weight, st.sources.temp,
            st.sources.mortality, st.sources.feed, st.confidence.weight, st.confidence.temp, st.confidence.mortality, st.confidence.feed,
            st.confidence.overall);
          n++;
        }
      }
      for (const id of changed.removedAssignments) this.s.delAssignment!.run(id, batchId);
      if (previous) {
        // states outside each series' new range (none when the ranges did not move)
        const prevRange = new Map(previous.assignments.map((a) => [a.assignment_id, a.states.length ? `${a.states[0]!.date}/${a.states[a.states.length - 1]!.date}` : '']));
        for (const a of states.assignments) {
          if (a.states.length === 0) { this.s.delAssignment!.run(a.assignment_id, batchId); continue; }
          const range = `${a.states[0]!.date}/${a.states[a.states.length - 1]!.date}`;
          if (prevRange.get(a.assignment_id) !== range) this.s.delOutside!.run(a.assignment_id, a.states[0]!.date, a.states[a.states.length - 1]!.date);
        }
      }
      const ub = this.s.upBatch!;
      for (const b of changed.batch) {
        ub.run(batchId, b.date, b.day_number, b.avg_weight_g, b.population, b.biomass_kg, b.container_count, b.feed_kg, b.growth_kg, b.deaths);
        n++;
      }
      statesMs = performance.now() - ts0;
      // batch days outside the new range (none to drop after the full delete above)
      if (previous && states.batch.length === 0) this.s.delBatchStates!.run(batchId);
      else if (previous) this.s.delBatchOutside!.run(batchId, states.batch[0]!.date, states.batch[states.batch.length - 1]!.date);
      // parts first: writing batch_outputs of a batch that had none must not find stale parts
      // what is stored: as this recomputer wrote it, or as just read (the engine reuses those objects)
      const last = !previous ? null : cached?.written ?? writtenOf(previous);
      written = writeParts(this.db, batchId, partsOf(states), last);
      const lastVariance = states.variance.length ? states.variance[states.variance.length - 1]! : null;
      this.s.upOutputs!.run(batchId, states.engine_version, states.as_of, this.now().toISOString(), JSON.stringify(states.warnings),
        JSON.stringify(states.forecast.batch.eta), lastVariance ? JSON.stringify(lastVariance) : null, revision);
      this.s.delErrors!.run(batchId);
      cleared = this.s.clear!.run(batchId, dirty.generation).changes > 0;
    }).immediate();
    if (this.cacheLimit > 0) this.remember(batchId, revision, states, inputs, written, prepared);
    const t3 = performance.now();
    return { batch_id: batchId, as_of: asOf, ok: true, changed_states: n, errors: [], cleared, ms: t3 - t0,
      split: { load: t1 - t0, compute: t2 - t1, persist: t3 - t2, persistStates: statesMs, previousFrom }, ...(walked !== undefined ? { walked } : {}) };
  }

  private failed(batchId: string, asOf: string, dirty: DirtyRow, errors: InputError[], t0: number): RecomputeOutcome {
    const at = this.now().toISOString();
    this.db.transaction(() => {
      this.s.delErrors!.run(batchId);
      errors.slice(0, 1000).forEach((e, i) => this.s.addError!.run(batchId, i, e.record, e.field, e.message, dirty.generation, at));
      this.s.fail!.run(dirty.generation, batchId, dirty.generation);
    }).immediate();
    return { batch_id: batchId, as_of: asOf, ok: false, changed_states: 0, errors, cleared: false, ms: performance.now() - t0 };
  }
}

/** What a batch's states count against the recomputer's memory. */
function sizeOf(states: StatesDocument): number {
  return states.assignments.reduce((n, a) => n + a.states.length, 0) + states.batch.length;
}

/** Two documents with the same daily states, pen by pen and for the batch (as stored: what the diff writes from). */
function sameStates(a: StatesDocument, b: StatesDocument): boolean {
  if (a.as_of !== b.as_of || a.assignments.length !== b.assignments.length || a.batch.length !== b.batch.length) return false;
  const changes = diff(b, a);
  return changes.assignments.length === 0 && changes.batch.length === 0 && changes.removedAssignments.length === 0;
}

/**
 * Batches computed for another day (the site's date moved on) or by another engine version become
 * dirty from scratch. The backend calls it at start and whenever the site's date changes.
 */
export function markStale(db: Database.Database, today: string): number {
  const rows = stmt(db, 'SELECT o.batch_id FROM batch_outputs o JOIN batches b ON b.id = o.batch_id WHERE o.as_of <> ? OR o.engine_version <> ?').all(today, ENGINE_VERSION) as { batch_id: string }[];
  if (rows.length) db.transaction(() => { for (const r of rows) markDirty(db, r.batch_id, FULL); })();
  return rows.length;
}
