/**
 * The engine's batch document for one batch, built from the projection tables (non-voided rows).
 * Temperatures come either as the raw readings (`site dump`, verification: the document stands on
 * its own) or, for a recompute, as the per container-day sums kept by migration 0002's triggers
 * (`ReadingAggregator.fromDaySums`): the same daily means exactly, without reading ~280,000 rows.
 * Readings the engine drops (outside −3…40 °C) are fed to the aggregator one by one so its
 * warnings are the same too. Statements are prepared once per connection.
 */
import type Database from 'better-sqlite3';
import type { BatchDocument, ScenarioDoc, StageDoc } from '../../engine/index';
import { DEFAULT_STAGES, ReadingAggregator, pensNamed } from '../../engine/index';
import { MEASUREMENTS, fromColumn } from '../kinds';
import { TemperatureLogs } from '../temperature-logs';
import { stmt } from '../db/statements';

type Row = Record<string, unknown>;

export interface BuildOptions {
  asOf: string;
  /** 'raw' (default): the readings in the document; 'sums': none in the document, a day-sum aggregator beside it. */
  readings?: 'raw' | 'sums';
}

export interface BatchInputs {
  doc: BatchDocument;
  readings: ReadingAggregator | null;
  /** The last event (local rowid of `events`) whose projection these inputs include. */
  eventMark?: number;
  /**
   * Loaded over reused inputs: the assignments named by every record changed since (the engine
   * walks only these and those they exchange fish with). Null when something else changed: a
   * batch- or container-level record, temperatures, or a list read again in full.
   */
  touched?: Set<string> | null;
}

/**
 * Inputs loaded before, and which lists changed since (batch-document list names, or 'temperature'
 * for the containers' temperatures): the other lists are taken as they were, same objects. Batch,
 * site, stages, scenario, containers and assignments are always read (a few rows).
 */
export interface InputReuse { inputs: BatchInputs; changed: ReadonlySet<string> }

/** A statement prepared once per connection (backend/db/statements.ts). */
export { stmt };

function json<T>(v: unknown, fallback: T): T {
  return typeof v === 'string' ? (JSON.parse(v) as T) : fallback;
}

export function loadStages(db: Database.Database, siteId: string): StageDoc[] | null {
  const rows = stmt(db, 'SELECT * FROM stages WHERE site_id = ? ORDER BY ord, name').all(siteId) as Row[];
  if (rows.length === 0) return null;
  return rows.map((r) => {
    const s: StageDoc = {
      name: r.name as string, order: r.ord as number, min_weight_g: r.min_weight_g as number, max_weight_g: r.max_weight_g as number,
      feeds: r.feeds === 1, environment: r.environment as StageDoc['environment'],
    };
    if (r.duration_days != null) s.duration_days = r.duration_days as number;
    if (r.baseline_tgc != null) s.baseline_tgc = r.baseline_tgc as number;
    return s;
  });
}

export function buildBatchDocument(db: Database.Database, batchId: string, opts: BuildOptions): BatchDocument | null {
  return loadBatchInputs(db, batchId, { ...opts, readings: opts.readings ?? 'raw' })?.doc ?? null;
}

/** Per measurement kind: the columns the document takes, in a fixed order (rows read raw). */
const KIND_SQL = new Map(MEASUREMENTS.filter((k) => !k.containerLevel).map((k) => {
  const cols = [...(k.docHasId ? ['id'] : []), ...k.docFields];
  return [k.docList, {
    k, cols, types: cols.map((c) => (c === 'id' ? 'text' : k.cols[c]!)),
    sql: `SELECT ${cols.join(', ')} FROM ${k.table} WHERE batch_id = ? AND voided = 0 ORDER BY date, id`,
    // the same columns of given records, whatever their batch and state (for patching a kept list)
    byId: (n: number) => `SELECT ${cols.join(', ')}, batch_id AS "__batch", voided AS "__voided" FROM ${k.table} WHERE id IN (${Array(n).fill('?').join(', ')})`,
  }] as const;
}));

function rowObject(cols: readonly string[], types: readonly string[], r: readonly unknown[]): Row {
  const o: Row = {};
  for (let i = 0; i < cols.length; i++) {
    const v = r[i];
    if (v === null) continue;
    const t = types[i];
    o[cols[i]!] = t === 'bool' || t === 'json' ? fromColumn(t as 'bool' | 'json', v) : v;
  }
  return o;
}

/** At most this many changed records are patched into a kept list; more, and it is read again. */
const PATCH_LIMIT = 200;

/**
 * A kept list with the records changed since `mark` (found through their events) read again:
 * removed where they left the batch or were voided, inserted at their (date, id) place otherwise.
 * Null when too many changed to be worth it.
 */
function patchedList(db: Database.Database, batchId: string, spec: NonNullable<ReturnType<typeof KIND_SQL.get>>, kept: Row[], mark: number, touched: Touched): Row[] | null {
  const ids = (stmt(db, 'SELECT DISTINCT entity_id FROM events WHERE rowid > ? AND +entity_type = ? LIMIT ?').raw().all(mark, spec.k.entity, PATCH_LIMIT + 1) as [string][]).map((r) => r[0]);
  if (ids.length > PATCH_LIMIT) return null;
  if (ids.length === 0) return kept;
  const changed = new Set(ids);
  const out: Row[] = [];
  for (const r of kept) if (changed.has(r.id as string)) touch(touched, r); else out.push(r);
  const n = spec.cols.length;
  const rows = stmt(db, spec.byId(ids.length)).raw().all(...ids) as unknown[][];
  const key = (r: Row) => `${r.date as string}\u0000${r.id as string}`;
  for (const r of rows) {
    if (r[n] !== batchId || r[n + 1] !== 0) continue;
    const o = rowObject(spec.cols, spec.types, r);
    touch(touched, o);
    // binary search for the (date, id) place, as ORDER BY date, id puts it
    const k = key(o);
    let lo = 0, hi = out.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (key(out[mid]!) < k) lo = mid + 1; else hi = mid; }
    out.splice(lo, 0, o);
  }
  // Every write goes through events and the projector; a row count that disagrees means one did
  // not (a tool writing the table directly): read the list again rather than trust the patch.
  const count = (stmt(db, `SELECT count(*) AS n FROM ${spec.k.table} WHERE batch_id = ? AND voided = 0`).get(batchId) as { n: number }).n;
  return count === out.length ? out : null;
}

/** The assignments changed records name; `all` once one names none (batch or container level). */
interface Touched { pens: Set<string>; all: boolean }
function touch(t: Touched, r: Row): void {
  if (!pensNamed(r, t.pens)) t.all = true;
}

export function loadBatchInputs(db: Database.Database, batchId: string, opts: BuildOptions, reuse?: InputReuse): BatchInputs | null {
  const batch = stmt(db, 'SELECT * FROM batches WHERE id = ? AND voided = 0').get(batchId) as Row | undefined;
  if (!batch) return null;
  const site = stmt(db, 'SELECT * FROM site WHERE id = ?').get(batch.site_id) as Row;
  const stages = loadStages(db, site.id as string);
  const stageList = stages ?? (DEFAULT_STAGES as StageDoc[]);

  const assignments = stmt(db, 'SELECT id, container_id, stage FROM assignments WHERE batch_id = ? AND voided = 0 ORDER BY id').all(batchId) as Row[];
  const lists: Record<string, Row[]> = {};
  const containerIds = new Set(assignments.map((a) => a.container_id as string));
  const before = reuse?.inputs.doc as unknown as Record<string, Row[] | undefined> | undefined;
  const mark = reuse?.inputs.eventMark;
  // inputs other than the measurement lists (temperatures) touch every pen
  const touched: Touched = { pens: new Set(), all: !reuse || [...reuse.changed].some((c) => !(KIND_SQL as Map<string, unknown>).has(c)) };
  for (const spec of KIND_SQL.values()) {
    const { k, cols, types, sql } = spec;
    let kept = before && !reuse!.changed.has(k.docList) ? before[k.docList] : undefined;
    // a changed list is patched with its changed records when the kept one has an event mark
    if (!kept && before?.[k.docList] && mark !== undefined && k.docHasId) kept = patchedList(db, batchId, spec, before[k.docList]!, mark, touched) ?? undefined;
    if (!kept && reuse) touched.all = true;
    if (kept) {
      lists[k.docList] = kept;
      if (k.docList === 'feed') for (const c of feedContainers(kept)) containerIds.add(c);
      continue;
    }
    const rows = stmt(db, sql).raw().all(batchId) as unknown[][];
    lists[k.docList] = rows.map((r) => rowObject(cols, types, r));
    if (k.docList === 'feed') for (const c of feedContainers(lists.feed!)) containerIds.add(c);
  }
  const cids = [...containerIds].sort();
  const inList = cids.map(() => '?').join(',');
  const containers = cids.length === 0 ? [] : (stmt(db, `SELECT id, name, kind, environment FROM containers WHERE id IN (${inList}) ORDER BY id`).all(...cids) as Row[])
    .map((c) => ({ id: c.id as string, name: c.name as string, ...(c.kind != null ? { kind: c.kind as string } : {}), environment: c.environment as 'freshwater' | 'sea' }));
  const timezone = site.timezone as string;
  let readings: ReadingAggregator | null = null;
  const keepTemps = reuse && opts.readings === 'sums' && !reuse.changed.has('temperature') && reuse.inputs.readings !== null
    && reuse.inputs.readings.timezone === timezone && sameIds(reuse.inputs.doc.containers.map((c) => c.id), cids);
  if (keepTemps) {
    readings = reuse.inputs.readings;
    lists.temperature_daily = reuse.inputs.doc.temperature_daily as unknown as Row[];
  } else if (cids.length > 0) {
    if (opts.readings === 'sums') {
      readings = ReadingAggregator.fromDaySums(timezone,
        stmt(db, `SELECT container_id, date, sum, n, lone FROM temperature_reading_days WHERE container_id IN (${inList}) ORDER BY container_id, date`).all(...cids) as { container_id: string; date: string; sum: number; n: number; lone: number }[]);
      // the readings the engine drops, in document order: the same warnings as from the raw list
      const dropped = stmt(db, `SELECT container_id, timestamp, value FROM temperature_readings WHERE container_id IN (${inList}) AND (value < -3 OR value > 40) AND voided = 0 ORDER BY container_id, timestamp, id`).all(...cids) as Row[];
      dropped.forEach((r, i) => readings!.add(r, i));
    } else {
      // single readings and the dropped ones of logs are rows; a log's kept readings are its event's payload
      const rows = stmt(db, `SELECT container_id, timestamp, value, id FROM temperature_readings WHERE container_id IN (${inList}) AND voided = 0`).raw().all(...cids) as [string, string, number, string][];
      for (const r of new TemperatureLogs(db).keptReadings(cids)) rows.push(r);
      // SQLite's order of these columns (BINARY: the ids and timestamps are ASCII)
      const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      rows.sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]) || cmp(a[3], b[3]));
      lists.temperature_readings = rows.map(([container_id, timestamp, value]) => ({ container_id, timestamp, value }));
    }
    lists.temperature_daily = (stmt(db, `SELECT container_id, date, mean_c FROM temperature_daily WHERE container_id IN (${inList}) AND voided = 0 ORDER BY container_id, date, id`).all(...cids) as Row[]);
  } else {
    if (opts.readings !== 'sums') lists.temperature_readings = [];
    lists.temperature_daily = [];
  }

  const scenario = scenarioFor(db, batch, site, stageList, lists.placements ?? [], assignments);
  const doc: BatchDocument = {
    format: 'aquamind-site/batch@1',
    as_of: opts.asOf,
    site: { id: site.id as string, name: site.name as string, timezone, ...(site.weight_cv != null ? { weight_cv: site.weight_cv as number } : {}) },
    batch: { id: batch.id as string, name: batch.name as string, species: batch.species as string, start_date: batch.start_date as string },
    ...(stages ? { stages } : {}),
    scenario,
    containers,
    assignments: assignments.map((a) => ({ id: a.id as string, container_id: a.container_id as string, ...(a.stage != null ? { stage: a.stage as string } : {}) })),
    ...(lists as unknown as Partial<BatchDocument>),
  };
  const eventMark = (stmt(db, 'SELECT max(rowid) AS m FROM events').get() as { m: number | null }).m ?? 0;
  return { doc, readings, eventMark, ...(reuse ? { touched: touched.all ? null : touched.pens } : {}) };
}

/** The containers a feed list names (container-level records), kept with the list. */
const FEED_CONTAINERS = new WeakMap<Row[], string[]>();
function feedContainers(feed: Row[]): string[] {
  let ids = FEED_CONTAINERS.get(feed);
  if (!ids) {
    const set = new Set<string>();
    for (let i = 0; i < feed.length; i++) { const c = feed[i]!.container_id; if (typeof c === 'string') set.add(c); }
    FEED_CONTAINERS.set(feed, (ids = [...set]));
  }
  return ids;
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The pinned scenario, or a baseline from the site defaults; blanks filled from the batch. */
function scenarioFor(db: Database.Database, batch: Row, site: Row, stages: StageDoc[], placements: Row[], assignments: Row[]): ScenarioDoc {
  const pinned = batch.scenario_id ? stmt(db, 'SELECT * FROM scenarios WHERE id = ?').get(batch.scenario_id) as Row | undefined : undefined;
  const startDate = batch.start_date as string;
  // start stock: the placements of the earliest placement day
  let startCount = 0, weighted = 0, weightN = 0;
  const firstDay = placements.map((p) => p.date as string).sort()[0];
  let firstAssignment: string | undefined;
  for (const p of placements) {
    if (p.date !== firstDay) continue;
    firstAssignment ??= p.assignment_id as string;
    startCount += p.count as number;
    if (typeof p.avg_weight_g === 'number') { weighted += (p.count as number) * p.avg_weight_g; weightN += p.count as number; }
  }
  const firstStage = (assignments.find((a) => a.id === firstAssignment)?.stage as string | null | undefined) ?? stages[0]!.name;
  const stageMin = stages.find((s) => s.name === firstStage)?.min_weight_g ?? 0.1;
  const defaults = {
    start_count: startCount > 0 ? startCount : 1,
    start_weight_g: weightN > 0 ? weighted / weightN : Math.max(stageMin, 0.01),
    start_stage: firstStage,
  };
  const fillTgc = (m: Record<string, number>) => {
    const out = { ...m };
    for (const s of stages) if (s.feeds && out[s.name] === undefined) out[s.name] = s.baseline_tgc ?? 2.5;
    return out;
  };
  if (pinned) {
    const sc: ScenarioDoc = {
      id: pinned.id as string, name: pinned.name as string,
      start_date: (pinned.start_date as string | null) ?? startDate,
      start_count: (pinned.start_count as number | null) ?? defaults.start_count,
      start_weight_g: (pinned.start_weight_g as number | null) ?? defaults.start_weight_g,
      start_stage: (pinned.start_stage as string | null) ?? defaults.start_stage,
      duration_days: pinned.duration_days as number, harvest_weight_g: pinned.harvest_weight_g as number,
      tgc_by_stage: json(pinned.tgc_by_stage, {}),
      temperature_profile: json(pinned.temperature_profile, {}),
    };
    if (pinned.mortality_rate_by_stage != null) sc.mortality_rate_by_stage = json(pinned.mortality_rate_by_stage, {});
    if (pinned.fcr_by_stage != null) sc.fcr_by_stage = json(pinned.fcr_by_stage, {});
    if (pinned.fcr_bands != null) sc.fcr_bands = json(pinned.fcr_bands, []);
    return sc;
  }
  return {
    id: `baseline:${batch.id as string}`, name: 'Baseline (site defaults)', start_date: startDate,
    ...defaults,
    duration_days: site.default_duration_days as number, harvest_weight_g: site.default_harvest_weight_g as number,
    tgc_by_stage: fillTgc(json(site.default_tgc_by_stage, {})),
    mortality_rate_by_stage: json(site.default_mortality_rate_by_stage, {}),
    fcr_by_stage: json(site.default_fcr_by_stage, {}),
    fcr_bands: json(site.default_fcr_bands, []),
    temperature_profile: json(site.default_temperature_profile, {}),
  };
}
