/**
 * Validation (spec 7, batch-document.md) and indexing of a batch document into the per-assignment,
 * per-day structures the simulation walks. Everything here is judged from the inputs alone; what
 * needs populations (counts against fish present, records on days without fish) is checked by the
 * simulation.
 */
import type {
  BatchDocument, Environment, InputError, StageDoc, Warning, AnchorType, SelectionMethod,
} from './document';
import { parseIsoDate, formatIsoDate } from './dates';
import { DEFAULT_STAGES, type StageTable } from './stages';
import { LocalDayResolver, isValidTimeZone } from './timezone';
import { ReadingAggregator, FIXED_POINT, type DaySum } from './readings';
import type { Profile } from './profile';
import { selectionShift } from './selection';

export const ANCHOR_CONFIDENCE: Record<AnchorType, number> = {
  harvest: 1.0, growth_sample: 1.0, transfer: 0.95, weighing: 0.9, manual: 0.8,
};
const ANCHOR_RANK: Record<AnchorType, number> = { harvest: 5, growth_sample: 4, transfer: 3, weighing: 2, manual: 1 };

export interface TransferRec {
  id: string;
  day: number;
  source: number;
  dest: number;
  count: number;
  mortality: number;
  measuredG: number | null;
  method: SelectionMethod;
  destStage: number;
  closes: boolean;
  spb: number | null;
}

export interface RemovalRec { id: string; count: number; weightG: number | null; closes: boolean; kind: string }

export interface AnchorPlan {
  type: AnchorType;
  valueG: number;
  confidence: number;
  /** true: sets W_end (first day or inflow day, sample/weighing/manual); false: fixes W1. */
  endOfDay: boolean;
  recordIds: string[];
}

export interface DayInputs {
  placements: { id: string; count: number; weightG: number | null }[];
  transfersIn: TransferRec[];
  transfersOut: TransferRec[];
  removals: RemovalRec[];
  /** Ids of samples (any kind) and their sizes, for the size check against the population. */
  samples: { id: string; size: number }[];
  /** Ids of records that require fish on this day (besides inflows). */
  needsFish: string[];
  explicitStage: number;
  explicitStageId: string | null;
  anchor: AnchorPlan | null;
  hasInflow: boolean;
  hasSelectiveOut: boolean;
}

export interface DailyLedger {
  /** Recorded deaths of the day; -1 when no mortality record. */
  mortCount: number[];
  /** Id of the day's (first) mortality record; more ids of the same day in `mortMore`. */
  mortId: (string | undefined)[];
  mortMore: Map<number, string[]>;
  /** Feed of the day (kg, Σ in id order); NaN when no feed record. */
  feedKg: number[];
  feedParts: Map<number, { id: string; kg: number }[]>;
  feedId: (string | undefined)[];
}

export function ledgerIds(ids: (string | undefined)[], more: Map<number, string[]>, k: number): string[] {
  const first = ids[k];
  if (first === undefined) return [];
  const m = more.get(k);
  return m ? [first, ...m].sort() : [first];
}

/**
 * The span of an assignment in force at the end of `day`: it starts at the last cut day on or before
 * `day` (or the first day) and ends at the next cut day after it (Infinity when none).
 */
/**
 * A prepared assignment. Its dense day array is made when the walk first reads it: a resumed walk
 * reads those of the few assignments it walks, and a recompute after an edit keeps the prepared
 * batch in memory, so the others would only be kept garbage.
 */
class Assignment implements PAssignment {
  ledger = null as unknown as DailyLedger;
  firstDay: number | null = null;
  cutDays: number[] = [];
  private from = 0;
  private length = 0;
  private made: (DayInputs | undefined)[] | null = null;
  /** Taken over from a previous preparation: not to be prepared again. */
  kept = false;
  days = new Map<number, DayInputs>();
  constructor(readonly id: string, readonly idx: number, readonly container: number, readonly stage: number) {}
  keep(days: Map<number, DayInputs>, firstDay: number | null, cutDays: number[]): void {
    this.kept = true; this.days = days; this.firstDay = firstDay; this.cutDays = cutDays;
  }
  denseFrom(from: number, length: number): void { this.from = from; this.length = length; this.made = null; }
  get dense(): (DayInputs | undefined)[] {
    if (this.made === null) {
      const a = new Array<DayInputs | undefined>(this.length).fill(undefined);
      for (const [d, x] of this.days) a[d - this.from] = x;
      this.made = a;
    }
    return this.made;
  }
}

export function spanAt(a: PAssignment, day: number): { start: number; next: number } {
  const cuts = a.cutDays;
  let lo = 0, hi = cuts.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (cuts[mid]! <= day) lo = mid + 1; else hi = mid; }
  return { start: lo > 0 ? cuts[lo - 1]! : a.firstDay!, next: lo < cuts.length ? cuts[lo]! : Infinity };
}

export interface PAssignment {
  id: string;
  idx: number;
  container: number;
  stage: number;
  days: Map<number, DayInputs>;
  /** The same inputs indexed by day - batch start (dense, for the daily walk; made when first read). */
  readonly dense: (DayInputs | undefined)[];
  /**
   * Daily mortality and feed records, the bulk of a batch (one of each per container-day), kept in
   * dense arrays by day - batch start rather than as per-day objects.
   */
  ledger: DailyLedger;
  firstDay: number | null;
  /** Cut days after the first day (anchor days, mixing days), ascending. */
  cutDays: number[];
}

export interface ContainerTemps {
  /** Measured daily means keyed by day (already averaged). */
  measured: Map<number, number>;
}

export interface Prepared {
  batchId: string;
  batchStart: number;
  asOf: number;
  weightCv: number;
  stages: StageTable;
  scenario: {
    id: string; startDay: number; startCount: number; startWeightG: number; startStage: number;
    durationDays: number; harvestWeightG: number;
  };
  profile: Profile;
  containers: { id: string; env: Environment }[];
  containerIndex: Map<string, number>;
  assignments: PAssignment[];
  assignmentIndex: Map<string, number>;
  temps: ContainerTemps[];
  batchMortality: Map<number, { count: number; ids: string[] }>;
  containerFeed: Map<number, Map<number, { kg: number; ids: string[]; parts: { id: string; kg: number }[] }>>;
  warnings: Warning[];
}

export type PrepareResult = { ok: true; prep: Prepared } | { ok: false; errors: InputError[] };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const present = (v: unknown) => v !== undefined && v !== null;

// Most days hold one or two records: their lists start as one shared empty array and get their
// own on the first add (a 900-day batch has ~15,000 record-days; ten lists each would be garbage).
const NONE: never[] = Object.freeze([]) as unknown as never[];
type ListKey = 'placements' | 'transfersIn' | 'transfersOut' | 'removals' | 'samples' | 'needsFish';
function add<K extends ListKey>(x: DayInputs, k: K, v: DayInputs[K][number]): void {
  const l = x[k] as unknown[];
  if (l === NONE) (x[k] as unknown[]) = [v];
  else l.push(v);
}

function newDay(): DayInputs {
  return {
    placements: NONE, transfersIn: NONE, transfersOut: NONE, removals: NONE,
    samples: NONE, needsFish: NONE, explicitStage: -1, explicitStageId: null,
    anchor: null, hasInflow: false, hasSelectiveOut: false,
  };
}

interface AnchorCandidate { type: AnchorType; valueG: number; weight: number; id: string; selective: boolean }

export interface PrepareOptions {
  asOf?: string;
  today?: string;
  /** Readings already folded while parsing (`parseBatchDocument`); the document's own list is then ignored. */
  readings?: ReadingAggregator | null;
  /**
   * The previous successful preparation of the same batch. Where this document's mortality list,
   * feed list or temperatures are the very same objects as that one's (a backend keeps the lists
   * it did not reload), and the batch's days, pens and containers are the same, their indexes are
   * taken from it instead of being built again. The result is the same either way.
   */
  previous?: Prepared;
}

/** What a preparation built from its large lists, for the next preparation of the same batch. */
interface PrepMemo {
  /** Batch start, as-of, days, assignments with their containers, containers: what the indexes depend on. */
  ctx: string;
  mortality: unknown;
  feed: unknown;
  ledgers: Map<string, DailyLedger>;
  batchMortality: Prepared['batchMortality'];
  containerFeed: Prepared['containerFeed'];
  readings: ReadingAggregator | null;
  daily: unknown;
  timezone: unknown;
  temps: ContainerTemps[];
  tempWarnings: Warning[];
  /** ctx with what the day inputs also depend on (weight CV, stage names). */
  dayCtx: string;
  dayLists: Record<DayList, unknown>;
  pens: Map<string, PenDays>;
}
const MEMO = new WeakMap<Prepared, PrepMemo>();

/** The fields by which a record names pens. */
const PEN_FIELDS = ['assignment_id', 'source_assignment_id', 'dest_assignment_id'] as const;

/**
 * Adds the pens a record names to `into`; false when it is not a pen-level record (it names no
 * pen, or a container): what `recomputePrepared`'s `pens` option may then leave out.
 */
export function pensNamed(r: Record<string, unknown>, into: Set<string>): boolean {
  if (present(r.container_id)) return false;
  let named = false;
  for (const f of PEN_FIELDS) if (typeof r[f] === 'string') { into.add(r[f] as string); named = true; }
  return named;
}
/** The lists whose records become per-pen day inputs (mortality and feed go to the ledgers). */
const DAY_LISTS = ['placements', 'transfers', 'removals', 'growth_samples', 'weighings', 'manual_anchors', 'stage_changes'] as const;
type DayList = (typeof DAY_LISTS)[number];
/** A pen's day inputs as prepared, for a later preparation whose records of it are the same. */
interface PenDays { days: Map<number, DayInputs>; firstDay: number | null; cutDays: number[]; warnings: Warning[] }
const idOf = (list: string, r: Record<string, unknown>, i: number): string =>
  typeof r.id === 'string' && r.id ? r.id : typeof r.id === 'number' ? String(r.id) : `${list}[${i}]`;

/** The pens named by the records that differ between two versions of a list, and the added ones. */
interface PenDelta { pens: Set<string>; added: { r: Record<string, unknown>; i: number }[] }
const DELTA_LIMIT = 200;

/**
 * Walks both lists together: records that are the same object in the same order match, the rest
 * are removed or added. Null when more than DELTA_LIMIT differ, or one that differs names no pen
 * (batch- or container-level records change other indexes: the list is indexed again).
 */
function penDelta(old: unknown[], now: unknown[]): PenDelta | null {
  const pens = new Set<string>();
  const added: PenDelta['added'] = [];
  const note = (r: unknown): boolean => isObj(r) && pensNamed(r, pens);
  let i = 0, j = 0, changes = 0;
  while (i < old.length || j < now.length) {
    if (i < old.length && j < now.length && old[i] === now[j]) { i++; j++; continue; }
    if (++changes > DELTA_LIMIT) return null;
    if (j < now.length && (i >= old.length || old[i] === now[j + 1])) {
      if (!note(now[j])) return null;
      added.push({ r: now[j] as Record<string, unknown>, i: j }); j++;
    } else if (i < old.length && (j >= now.length || old[i + 1] === now[j])) {
      if (!note(old[i])) return null;
      i++;
    } else {
      if (!note(old[i]) || !note(now[j])) return null;
      added.push({ r: now[j] as Record<string, unknown>, i: j }); i++; j++;
    }
  }
  return { pens, added };
}

export function prepare(raw: unknown, opts: PrepareOptions = {}): PrepareResult {
  const errors: InputError[] = [];
  const warnings: Warning[] = [];
  const E = (record: string, field: string, message: string) => { errors.push({ record, field, message }); };

  if (!isObj(raw)) return { ok: false, errors: [{ record: 'document', field: 'format', message: 'the document is not a JSON object' }] };
  const doc = raw as unknown as BatchDocument & Record<string, unknown>;
  if (doc.format !== 'aquamind-site/batch@1') E('document', 'format', `format must be "aquamind-site/batch@1", got ${JSON.stringify(doc.format)}`);

  // --- site, batch, as-of -----------------------------------------------------------------------
  const site = isObj(doc.site) ? doc.site : null;
  if (!site) E('site', 'site', 'the site is missing');
  let weightCv = 0.2;
  let resolver = LocalDayResolver.of(null);
  if (site) {
    if (present(site.weight_cv)) {
      if (!isNum(site.weight_cv) || site.weight_cv < 0.01 || site.weight_cv > 1) E(String(site.id ?? 'site'), 'weight_cv', `weight_cv must be between 0.01 and 1, got ${JSON.stringify(site.weight_cv)}`);
      else weightCv = site.weight_cv;
    }
    if (present(site.timezone)) {
      if (typeof site.timezone !== 'string' || !isValidTimeZone(site.timezone)) E(String(site.id ?? 'site'), 'timezone', `unknown time zone ${JSON.stringify(site.timezone)}`);
      else resolver = LocalDayResolver.of(site.timezone);
    }
  }
  const batchInfo = isObj(doc.batch) ? doc.batch : null;
  if (!batchInfo) E('batch', 'batch', 'the batch is missing');
  const batchId = batchInfo && typeof batchInfo.id === 'string' ? batchInfo.id : 'batch';
  const batchStart = batchInfo ? parseIsoDate(batchInfo.start_date) : null;
  if (batchInfo && batchStart === null) E(batchId, 'start_date', `start_date must be a date YYYY-MM-DD, got ${JSON.stringify(batchInfo.start_date)}`);
  const asOfRaw = opts.asOf ?? (present(doc.as_of) ? doc.as_of : opts.today);
  const asOf = parseIsoDate(asOfRaw);
  if (asOf === null) E('document', 'as_of', `as_of must be a date YYYY-MM-DD, got ${JSON.stringify(asOfRaw)}`);

  // --- stage table ------------------------------------------------------------------------------
  let stageDocs: StageDoc[] = DEFAULT_STAGES as StageDoc[];
  if (present(doc.stages)) {
    if (!Array.isArray(doc.stages) || doc.stages.length === 0) {
      E('stages', 'stages', 'stages must be a non-empty list (or absent for the default table)');
    } else {
      const seen = new Set<string>();
      const list: StageDoc[] = [];
      doc.stages.forEach((s, i) => {
        if (!isObj(s)) { E(`stages[${i}]`, 'stages', 'a stage must be an object'); return; }
        const name = typeof s.name === 'string' && s.name ? s.name : `stages[${i}]`;
        if (typeof s.name !== 'string' || !s.name) E(name, 'name', 'the stage needs a name');
        else if (seen.has(s.name)) E(name, 'name', `stage name ${s.name} appears twice`);
        seen.add(name);
        if (!isNum(s.order)) E(name, 'order', 'order must be a number');
        if (!isNum(s.min_weight_g) || s.min_weight_g < 0 || s.min_weight_g > 30000) E(name, 'min_weight_g', `min_weight_g must be 0–30,000 g, got ${JSON.stringify(s.min_weight_g)}`);
        if (!isNum(s.max_weight_g) || s.max_weight_g <= 0 || s.max_weight_g > 30000) E(name, 'max_weight_g', `max_weight_g must be 0–30,000 g, got ${JSON.stringify(s.max_weight_g)}`);
        if (typeof s.feeds !== 'boolean') E(name, 'feeds', 'feeds must be true or false');
        if (s.environment !== 'freshwater' && s.environment !== 'sea') E(name, 'environment', `environment must be "freshwater" or "sea", got ${JSON.stringify(s.environment)}`);
        list.push(s as unknown as StageDoc);
      });
      list.sort((a, b) => (a.order as number) - (b.order as number));
      stageDocs = list;
      let head = true;
      for (const s of list) {
        if (s.feeds === false) {
          if (!head) E(s.name, 'feeds', `stage ${s.name} does not feed but follows a feeding stage: only stages at the head of the table may be non-feeding`);
          else if (!isCount(s.duration_days) || s.duration_days < 1) E(s.name, 'duration_days', `non-feeding stage ${s.name} needs duration_days (days from fertilisation to first feeding), got ${JSON.stringify(s.duration_days)}`);
        } else head = false;
      }
    }
  }
  const nStages = stageDocs.length;
  const stageIndex = new Map<string, number>();
  stageDocs.forEach((s, i) => stageIndex.set(s.name, i));
  const stageIdx = (rec: string, field: string, name: unknown): number => {
    if (typeof name !== 'string' || !stageIndex.has(name)) { E(rec, field, `unknown stage ${JSON.stringify(name)} (known: ${[...stageIndex.keys()].join(', ')})`); return -1; }
    return stageIndex.get(name)!;
  };

  // --- scenario ---------------------------------------------------------------------------------
  const sc = isObj(doc.scenario) ? doc.scenario : null;
  const stages: StageTable = {
    names: stageDocs.map((s) => s.name), index: stageIndex,
    minG: Float64Array.from(stageDocs.map((s) => s.min_weight_g)),
    maxG: Float64Array.from(stageDocs.map((s) => s.max_weight_g)),
    feeds: stageDocs.map((s) => s.feeds !== false),
    environment: stageDocs.map((s) => s.environment),
    lastDay: new Float64Array(nStages).fill(Infinity),
    tgc: new Float64Array(nStages), mortalityRate: new Float64Array(nStages),
    fcr: new Array(nStages).fill(null), fcrBands: stageDocs.map(() => []),
  };
  {
    let cum = 0;
    for (let i = 0; i < nStages && !stages.feeds[i]; i++) {
      cum += (stageDocs[i]!.duration_days as number) ?? 0;
      stages.lastDay[i] = cum;
    }
  }
  let scenario: Prepared['scenario'] = { id: '', startDay: 0, startCount: 0, startWeightG: 0, startStage: 0, durationDays: 0, harvestWeightG: 0 };
  const profile: Profile = { points: [], freshwaterC: null };
  if (!sc) {
    E('scenario', 'scenario', 'the batch has no scenario: a batch document needs one to measure against');
  } else {
    const sid = typeof sc.id === 'string' ? sc.id : 'scenario';
    const startDay = parseIsoDate(sc.start_date);
    if (startDay === null) E(sid, 'start_date', `start_date must be a date YYYY-MM-DD, got ${JSON.stringify(sc.start_date)}`);
    if (!isCount(sc.start_count)) E(sid, 'start_count', `start_count must be a non-negative whole number, got ${JSON.stringify(sc.start_count)}`);
    checkWeight(sid, 'start_weight_g', sc.start_weight_g, true);
    const startStage = stageIdx(sid, 'start_stage', sc.start_stage);
    if (!isCount(sc.duration_days) || sc.duration_days < 1) E(sid, 'duration_days', `duration_days must be a whole number of days ≥ 1, got ${JSON.stringify(sc.duration_days)}`);
    checkWeight(sid, 'harvest_weight_g', sc.harvest_weight_g, true);
    const tgc = isObj(sc.tgc_by_stage) ? sc.tgc_by_stage : null;
    if (!tgc) E(sid, 'tgc_by_stage', 'tgc_by_stage is missing: the scenario needs a TGC for every feeding stage');
    else {
      for (const [k, v] of Object.entries(tgc)) {
        const i = stageIdx(sid, `tgc_by_stage.${k}`, k);
        if (!isNum(v) || v < 0 || v > 10) E(sid, `tgc_by_stage.${k}`, `TGC must be 0–10, got ${JSON.stringify(v)}`);
        else if (i >= 0 && stages.feeds[i]) stages.tgc[i] = v;
      }
      stageDocs.forEach((s, i) => {
        if (stages.feeds[i] && !isNum(tgc[s.name])) E(sid, `tgc_by_stage.${s.name}`, `feeding stage ${s.name} has no TGC in the scenario`);
      });
    }
    if (present(sc.mortality_rate_by_stage)) {
      if (!isObj(sc.mortality_rate_by_stage)) E(sid, 'mortality_rate_by_stage', 'mortality_rate_by_stage must be an object of stage → fraction per day');
      else for (const [k, v] of Object.entries(sc.mortality_rate_by_stage)) {
        const i = stageIdx(sid, `mortality_rate_by_stage.${k}`, k);
        if (!isNum(v) || v < 0 || v > 0.1) E(sid, `mortality_rate_by_stage.${k}`, `daily mortality rate must be a fraction 0–0.1 per day, got ${JSON.stringify(v)}`);
        else if (i >= 0) stages.mortalityRate[i] = v;
      }
    }
    if (present(sc.fcr_by_stage)) {
      if (!isObj(sc.fcr_by_stage)) E(sid, 'fcr_by_stage', 'fcr_by_stage must be an object of stage → FCR');
      else for (const [k, v] of Object.entries(sc.fcr_by_stage)) {
        const i = stageIdx(sid, `fcr_by_stage.${k}`, k);
        if (!isNum(v) || v < 0 || v > 10) E(sid, `fcr_by_stage.${k}`, `FCR must be 0–10, got ${JSON.stringify(v)}`);
        else if (i >= 0) stages.fcr[i] = v;
      }
    }
    if (present(sc.fcr_bands)) {
      if (!Array.isArray(sc.fcr_bands)) E(sid, 'fcr_bands', 'fcr_bands must be a list');
      else sc.fcr_bands.forEach((b, j) => {
        const f = `fcr_bands[${j}]`;
        if (!isObj(b)) { E(sid, f, 'a band must be an object'); return; }
        const i = stageIdx(sid, `${f}.stage`, b.stage);
        checkWeight(sid, `${f}.min_weight_g`, b.min_weight_g, false, true);
        checkWeight(sid, `${f}.max_weight_g`, b.max_weight_g, false);
        if (!isNum(b.fcr) || b.fcr < 0 || b.fcr > 10) E(sid, `${f}.fcr`, `FCR must be 0–10, got ${JSON.stringify(b.fcr)}`);
        else if (i >= 0 && isNum(b.min_weight_g) && isNum(b.max_weight_g)) stages.fcrBands[i]!.push({ stage: i, minG: b.min_weight_g, maxG: b.max_weight_g, fcr: b.fcr });
      });
    }
    const tp = isObj(sc.temperature_profile) ? sc.temperature_profile : null;
    if (!tp) E(sid, 'temperature_profile', 'the scenario has no temperature_profile');
    else {
      if (present(tp.points)) {
        if (!Array.isArray(tp.points)) E(sid, 'temperature_profile.points', 'points must be a list');
        else tp.points.forEach((p, j) => {
          const f = `temperature_profile.points[${j}]`;
          if (!isObj(p) || !isCount(p.day_of_year) || p.day_of_year < 1 || p.day_of_year > 366) E(sid, `${f}.day_of_year`, `day_of_year must be 1–366, got ${JSON.stringify(isObj(p) ? p.day_of_year : p)}`);
          else if (!isNum(p.temp_c) || p.temp_c < -3 || p.temp_c > 40) E(sid, `${f}.temp_c`, `temp_c must be −3…40 °C, got ${JSON.stringify(p.temp_c)}`);
          else profile.points.push({ doy: Math.min(p.day_of_year, 365), tempC: p.temp_c });
        });
        profile.points.sort((a, b) => a.doy - b.doy);
      }
      if (present(tp.freshwater_c)) {
        if (!isNum(tp.freshwater_c) || tp.freshwater_c < -3 || tp.freshwater_c > 40) E(sid, 'temperature_profile.freshwater_c', `freshwater_c must be −3…40 °C, got ${JSON.stringify(tp.freshwater_c)}`);
        else profile.freshwaterC = tp.freshwater_c;
      }
    }
    scenario = {
      id: sid, startDay: startDay ?? 0, startCount: isCount(sc.start_count) ? sc.start_count : 0,
      startWeightG: isNum(sc.start_weight_g) ? sc.start_weight_g : 0, startStage: Math.max(0, startStage),
      durationDays: isCount(sc.duration_days) ? sc.duration_days : 0,
      harvestWeightG: isNum(sc.harvest_weight_g) ? sc.harvest_weight_g : 0,
    };
    // The projection walks the stage table; every stage it may enter that needs the seasonal curve needs points.
    if (profile.points.length === 0) {
      for (let i = scenario.startStage; i < nStages; i++) {
        if (!(stages.environment[i] === 'freshwater' && profile.freshwaterC !== null)) {
          E(sid, 'temperature_profile.points', `the profile has no points, but stage ${stages.names[i]} (${stages.environment[i]}) needs the seasonal curve`);
          break;
        }
      }
    }
  }

  function checkWeight(rec: string, field: string, v: unknown, required: boolean, allowZero = false): boolean {
    if (!present(v)) { if (required) E(rec, field, `${field} is required`); return false; }
    if (!isNum(v) || (allowZero ? v < 0 : v <= 0) || v > 30000) { E(rec, field, `${field} must be a weight ${allowZero ? '≥' : '>'} 0 and ≤ 30,000 g, got ${JSON.stringify(v)}`); return false; }
    return true;
  }
  function checkLength(rec: string, field: string, v: unknown): boolean {
    if (!present(v)) return false;
    if (!isNum(v) || v <= 0 || v > 200) { E(rec, field, `${field} must be a length > 0 and ≤ 200 cm, got ${JSON.stringify(v)}`); return false; }
    return true;
  }
  function checkCount(rec: string, field: string, v: unknown, required = true): boolean {
    if (!present(v)) { if (required) E(rec, field, `${field} is required`); return false; }
    if (!isCount(v)) { E(rec, field, `${field} must be a non-negative whole number, got ${JSON.stringify(v)}`); return false; }
    return true;
  }

  // --- containers and assignments -----------------------------------------------------------------
  const containers: Prepared['containers'] = [];
  const containerIndex = new Map<string, number>();
  listOf('containers').forEach((c, i) => {
    const id = typeof c.id === 'string' && c.id ? c.id : `containers[${i}]`;
    if (id === `containers[${i}]`) E(id, 'id', 'the container needs an id');
    if (containerIndex.has(id)) { E(id, 'id', `container id ${id} appears twice`); return; }
    if (c.environment !== 'freshwater' && c.environment !== 'sea') E(id, 'environment', `environment must be "freshwater" or "sea", got ${JSON.stringify(c.environment)}`);
    containerIndex.set(id, containers.length);
    containers.push({ id, env: c.environment === 'sea' ? 'sea' : 'freshwater' });
    if (profile.points.length === 0 && sc && !(c.environment === 'freshwater' && profile.freshwaterC !== null) && (c.environment === 'sea' || c.environment === 'freshwater'))
      E(String(sc.id ?? 'scenario'), 'temperature_profile.points', `the profile has no points, but container ${id} (${String(c.environment)}) needs the seasonal curve`);
  });
  const rawAssignments = listOf('assignments').map((a, i) => ({ a, i }));
  rawAssignments.sort((x, y) => (String(x.a.id) < String(y.a.id) ? -1 : String(x.a.id) > String(y.a.id) ? 1 : 0));
  const assignments: PAssignment[] = [];
  const assignmentIndex = new Map<string, number>();
  for (const { a, i } of rawAssignments) {
    const id = typeof a.id === 'string' && a.id ? a.id : `assignments[${i}]`;
    if (id === `assignments[${i}]`) E(id, 'id', 'the assignment needs an id');
    if (assignmentIndex.has(id)) { E(id, 'id', `assignment id ${id} appears twice`); continue; }
    const ci = typeof a.container_id === 'string' ? containerIndex.get(a.container_id) : undefined;
    if (ci === undefined) E(id, 'container_id', `unknown container ${JSON.stringify(a.container_id)}`);
    const st = present(a.stage) ? stageIdx(id, 'stage', a.stage) : -1;
    assignmentIndex.set(id, assignments.length);
    assignments.push(new Assignment(id, assignments.length, ci ?? 0, st));
  }

  function listOf(key: string): Record<string, unknown>[] {
    const v = doc[key];
    if (!present(v)) return [];
    if (!Array.isArray(v)) { E(key, key, `${key} must be a list`); return []; }
    const out: Record<string, unknown>[] = [];
    v.forEach((x, i) => { if (isObj(x)) out.push(x); else E(`${key}[${i}]`, key, 'each entry must be an object'); });
    return out;
  }

  // Shared record checks: id, date (not before the batch start), assignment reference.
  const idSets = new Map<string, Set<string>>();
  function recId(list: string, r: Record<string, unknown>, i: number): string {
    const id = typeof r.id === 'string' && r.id ? r.id : typeof r.id === 'number' ? String(r.id) : '';
    if (!id) { const alt = `${list}[${i}]`; E(alt, 'id', 'the record needs an id'); return alt; }
    let s = idSets.get(list);
    if (!s) idSets.set(list, (s = new Set()));
    if (s.has(id)) E(id, 'id', `${list} id ${id} appears twice`);
    s.add(id);
    return id;
  }
  function recDate(id: string, r: Record<string, unknown>, field = 'date'): number | null {
    const d = parseIsoDate(r[field]);
    if (d === null) { E(id, field, `${field} must be a date YYYY-MM-DD, got ${JSON.stringify(r[field])}`); return null; }
    if (batchStart !== null && d < batchStart) { E(id, field, `${formatIsoDate(d)} is before the batch start ${formatIsoDate(batchStart)}`); return null; }
    return d;
  }
  function recAssignment(id: string, r: Record<string, unknown>, field = 'assignment_id'): PAssignment | null {
    const v = r[field];
    const ai = typeof v === 'string' ? assignmentIndex.get(v) : undefined;
    if (ai === undefined) { E(id, field, `unknown assignment ${JSON.stringify(v)}`); return null; }
    return assignments[ai]!;
  }
  const inScope = (d: number | null): d is number => d !== null && asOf !== null && d <= asOf;
  const nDays = batchStart !== null && asOf !== null && asOf >= batchStart ? asOf - batchStart + 1 : 0;
  const ctx = `${batchStart}|${asOf}|${nDays}|${assignments.map((a) => `${a.id}@${a.container}`).join(',')}|${containers.map((c) => c.id).join(',')}`;
  const prevMemo = opts.previous ? MEMO.get(opts.previous) : undefined;
  const memo = prevMemo && prevMemo.ctx === ctx && errors.length === 0 ? prevMemo : undefined;
  const keepMortality = memo !== undefined && Array.isArray(doc.mortality) && memo.mortality === doc.mortality;
  const keepFeed = memo !== undefined && Array.isArray(doc.feed) && memo.feed === doc.feed;
  // A list that is the previous one with a few records changed (the rest the same objects, in the
  // same order) rebuilds only the ledgers of the pens those records name.
  const mortDelta = memo && !keepMortality && Array.isArray(doc.mortality) && Array.isArray(memo.mortality) ? penDelta(memo.mortality, doc.mortality) : null;
  const feedDelta = memo && !keepFeed && Array.isArray(doc.feed) && Array.isArray(memo.feed) ? penDelta(memo.feed, doc.feed) : null;
  // ledgers made anew here (the shared ones are final already)
  const newMort = new Uint8Array(assignments.length), newFeed = new Uint8Array(assignments.length);
  for (const a of assignments) {
    const old = memo?.ledgers.get(a.id);
    const shareMort = keepMortality || (mortDelta !== null && !mortDelta.pens.has(a.id));
    const shareFeed = keepFeed || (feedDelta !== null && !feedDelta.pens.has(a.id));
    if (!shareMort) newMort[a.idx] = 1;
    if (!shareFeed) newFeed[a.idx] = 1;
    a.ledger = {
      ...(shareMort ? { mortCount: old!.mortCount, mortId: old!.mortId, mortMore: old!.mortMore }
        : { mortCount: new Array<number>(nDays).fill(-1), mortId: new Array<string | undefined>(nDays).fill(undefined), mortMore: new Map() }),
      ...(shareFeed ? { feedKg: old!.feedKg, feedParts: old!.feedParts, feedId: old!.feedId }
        : { feedKg: new Array<number>(nDays).fill(NaN), feedParts: new Map(), feedId: new Array<string | undefined>(nDays).fill(undefined) }),
    };
  }
  /** Runs `row` over a list, or with a delta over its added records and the records of the pens it names. */
  function eachRecord(list: string, delta: PenDelta | null, row: (r: Record<string, unknown>, i: number, id: string) => void): void {
    if (!delta) { listOf(list).forEach((r, i) => row(r, i, recId(list, r, i))); return; }
    const all = doc[list] as unknown[];
    for (const { r, i } of delta.added) {
      const id = deltaId(list, r, i, all);
      // a record naming an unknown pen is reported here (no ledger is rebuilt for it)
      if (!assignmentIndex.has(r.assignment_id as string)) row(r, i, id);
    }
    if (delta.pens.size === 0) return;
    for (let i = 0; i < all.length; i++) {
      const r = all[i] as Record<string, unknown>;
      if (delta.pens.has(r.assignment_id as string) && assignmentIndex.has(r.assignment_id as string)) row(r, i, typeof r.id === 'number' ? String(r.id) : (r.id as string));
    }
  }
  /** The id of a record added to a list, checked as recId checks it (against the whole list). */
  function deltaId(list: string, r: Record<string, unknown>, i: number, all: unknown[]): string {
    const id = typeof r.id === 'string' && r.id ? r.id : typeof r.id === 'number' ? String(r.id) : '';
    if (!id) { const alt = `${list}[${i}]`; E(alt, 'id', 'the record needs an id'); return alt; }
    let n = 0;
    // ids compared as recId sees them: a number and its digits are the same id
    for (const x of all) if (isObj(x) && (typeof x.id === 'string' ? x.id : typeof x.id === 'number' ? String(x.id) : '') === id) n++;
    if (n > 1) E(id, 'id', `${list} id ${id} appears twice`);
    return id;
  }
  const ledgerDay = (d: number) => (batchStart !== null && d >= batchStart && d - batchStart < nDays ? d - batchStart : -1);
  function dayOf(a: PAssignment, d: number): DayInputs {
    let x = a.days.get(d);
    if (!x) a.days.set(d, (x = newDay()));
    return x;
  }

  // The day inputs of the small lists (inflows, outflows, samples, anchors, stages) are kept per
  // pen: a pen none of whose records changed (the same objects, in the same order) takes its days,
  // first day, cut days and anchor warnings from the previous preparation.
  const dayCtx = `${ctx}|${weightCv}|${stages.names.join(',')}`;
  const dayMemo = memo && memo.dayCtx === dayCtx ? memo : undefined;
  const dayDeltas = new Map<string, PenDelta>();
  let rebuilt: Set<string> | null = null;
  if (dayMemo) {
    rebuilt = new Set();
    for (const key of DAY_LISTS) {
      const now = doc[key], old = dayMemo.dayLists[key];
      if (now === old) continue;
      const d = Array.isArray(now) && Array.isArray(old) ? penDelta(old, now) : null;
      if (!d) { rebuilt = null; break; }
      dayDeltas.set(key, d);
      for (const p of d.pens) rebuilt.add(p);
    }
  }
  const rebuilding = (a: PAssignment): boolean => rebuilt === null || rebuilt.has(a.id);
  for (const a of assignments) {
    const kept = rebuilding(a) ? undefined : dayMemo!.pens.get(a.id);
    if (kept) (a as Assignment).keep(kept.days, kept.firstDay, kept.cutDays);
  }
  /** Runs `row` over a day list: every record, or with a delta the added ones and those naming rebuilt pens. */
  function eachDayRecord(list: DayList, row: (r: Record<string, unknown>, i: number, id: string) => void): void {
    if (rebuilt === null) { listOf(list).forEach((r, i) => row(r, i, recId(list, r, i))); return; }
    const delta = dayDeltas.get(list);
    if (!delta) { if (rebuilt.size > 0) forPens(list, (r, i) => row(r, i, idOf(list, r, i))); return; }
    const all = doc[list] as unknown[];
    for (const { r, i } of delta.added) {
      const id = deltaId(list, r, i, all);
      if (!PEN_FIELDS.some((f) => typeof r[f] === 'string' && rebuilt!.has(r[f] as string))) row(r, i, id);
    }
    forPens(list, (r, i) => row(r, i, idOf(list, r, i)));
  }
  function forPens(list: DayList, row: (r: Record<string, unknown>, i: number) => void): void {
    const all = Array.isArray(doc[list]) ? (doc[list] as unknown[]) : []; // an optional list may be absent
    for (let i = 0; i < all.length; i++) {
      const r = all[i] as Record<string, unknown>;
      for (const f of PEN_FIELDS) if (typeof r[f] === 'string' && rebuilt!.has(r[f] as string)) { row(r, i); break; }
    }
  }

  // --- inflows ----------------------------------------------------------------------------------
  eachDayRecord('placements', (r, i, id) => {
    const d = recDate(id, r); const a = recAssignment(id, r);
    const okCount = checkCount(id, 'count', r.count);
    const hasW = checkWeight(id, 'avg_weight_g', r.avg_weight_g, false);
    if (a && rebuilding(a) && okCount && inScope(d)) {
      const day = dayOf(a, d);
      add(day, 'placements', { id, count: r.count as number, weightG: hasW ? (r.avg_weight_g as number) : null });
      day.hasInflow = true;
    }
  });
  eachDayRecord('transfers', (r, i, id) => {
    const d = recDate(id, r);
    const src = recAssignment(id, r, 'source_assignment_id');
    const dst = recAssignment(id, r, 'dest_assignment_id');
    if (src && dst && src === dst) E(id, 'dest_assignment_id', `a transfer cannot move fish from ${src.id} into itself`);
    let ok = checkCount(id, 'count', r.count);
    if (present(r.mortality_in_transfer) && !checkCount(id, 'mortality_in_transfer', r.mortality_in_transfer)) ok = false;
    const hasM = checkWeight(id, 'measured_avg_weight_g', r.measured_avg_weight_g, false);
    if (present(r.measured_std_dev_g) && (!isNum(r.measured_std_dev_g) || r.measured_std_dev_g < 0 || r.measured_std_dev_g > 30000)) E(id, 'measured_std_dev_g', `measured_std_dev_g must be 0–30,000 g, got ${JSON.stringify(r.measured_std_dev_g)}`);
    if (present(r.measured_sample_size)) checkCount(id, 'measured_sample_size', r.measured_sample_size);
    checkLength(id, 'measured_avg_length_cm', r.measured_avg_length_cm);
    let method: SelectionMethod = 'AVERAGE';
    if (present(r.selection_method)) {
      if (r.selection_method !== 'AVERAGE' && r.selection_method !== 'LARGEST' && r.selection_method !== 'SMALLEST') { E(id, 'selection_method', `selection_method must be AVERAGE, LARGEST or SMALLEST, got ${JSON.stringify(r.selection_method)}`); ok = false; }
      else method = r.selection_method;
    }
    const destStage = present(r.dest_stage) ? stageIdx(id, 'dest_stage', r.dest_stage) : -1;
    if (present(r.closes_source) && typeof r.closes_source !== 'boolean') E(id, 'closes_source', 'closes_source must be true or false');
    let spb: number | null = null;
    if (present(r.source_population_before)) {
      if (!isCount(r.source_population_before) || r.source_population_before < 1) E(id, 'source_population_before', `source_population_before must be a whole number ≥ 1, got ${JSON.stringify(r.source_population_before)}`);
      else spb = r.source_population_before;
    }
    if (src && dst && src !== dst && ok && inScope(d)) {
      const t: TransferRec = {
        id, day: d, source: src.idx, dest: dst.idx, count: r.count as number,
        mortality: isCount(r.mortality_in_transfer) ? r.mortality_in_transfer : 0,
        measuredG: hasM ? (r.measured_avg_weight_g as number) : null, method, destStage,
        closes: r.closes_source === true, spb,
      };
      if (rebuilding(src)) {
        const sd = dayOf(src, d); add(sd, 'transfersOut', t);
        if (t.measuredG !== null && method !== 'AVERAGE' && !t.closes) sd.hasSelectiveOut = true;
      }
      if (rebuilding(dst)) { const dd = dayOf(dst, d); add(dd, 'transfersIn', t); dd.hasInflow = true; }
    }
  });
  eachDayRecord('removals', (r, i, id) => {
    const d = recDate(id, r); const a = recAssignment(id, r);
    const okC = checkCount(id, 'count', r.count);
    if (r.kind !== 'harvest' && r.kind !== 'cull') E(id, 'kind', `kind must be "harvest" or "cull", got ${JSON.stringify(r.kind)}`);
    const hasW = checkWeight(id, 'avg_weight_g', r.avg_weight_g, false);
    if (present(r.closes_source) && typeof r.closes_source !== 'boolean') E(id, 'closes_source', 'closes_source must be true or false');
    if (a && rebuilding(a) && okC && inScope(d)) {
      const day = dayOf(a, d);
      const rec: RemovalRec = { id, count: r.count as number, weightG: hasW ? (r.avg_weight_g as number) : null, closes: r.closes_source === true, kind: String(r.kind) };
      add(day, 'removals', rec);
      add(day, 'needsFish', id);
      if (rec.weightG !== null && !rec.closes) day.hasSelectiveOut = true;
    }
  });

  // --- measurements -----------------------------------------------------------------------------
  const candidates = new Map<PAssignment, Map<number, AnchorCandidate[]>>();
  const addCandidate = (a: PAssignment, d: number, c: AnchorCandidate) => {
    let m = candidates.get(a);
    if (!m) candidates.set(a, (m = new Map()));
    let l = m.get(d);
    if (!l) m.set(d, (l = []));
    l.push(c);
  };
  eachDayRecord('growth_samples', (r, i, id) => {
    const d = recDate(id, r); const a = recAssignment(id, r);
    let meanG: number | null = null;
    let size = 0;
    let ok = true;
    if (present(r.individual_weights_g)) {
      const ws = r.individual_weights_g;
      if (!Array.isArray(ws) || ws.length === 0) { E(id, 'individual_weights_g', 'individual_weights_g must be a non-empty list of weights'); ok = false; }
      else {
        let sum = 0;
        ws.forEach((w, j) => { if (!isNum(w) || w <= 0 || w > 30000) { E(id, `individual_weights_g[${j}]`, `each weight must be > 0 and ≤ 30,000 g, got ${JSON.stringify(w)}`); ok = false; } else sum += w; });
        meanG = sum / ws.length; size = ws.length;
      }
      if (present(r.individual_lengths_cm)) {
        const ls = r.individual_lengths_cm;
        if (!Array.isArray(ls) || (Array.isArray(ws) && ls.length !== ws.length)) E(id, 'individual_lengths_cm', 'individual_lengths_cm must be a list as long as individual_weights_g (null for fish not measured)');
        else ls.forEach((l, j) => { if (present(l)) checkLength(id, `individual_lengths_cm[${j}]`, l); });
      }
    } else {
      if (checkWeight(id, 'avg_weight_g', r.avg_weight_g, true)) meanG = r.avg_weight_g as number; else ok = false;
      if (checkCount(id, 'sample_size', r.sample_size)) size = r.sample_size as number; else ok = false;
      if (present(r.individual_lengths_cm)) E(id, 'individual_lengths_cm', 'individual lengths need individual_weights_g');
    }
    if (present(r.std_dev_g) && (!isNum(r.std_dev_g) || r.std_dev_g < 0 || r.std_dev_g > 30000)) E(id, 'std_dev_g', `std_dev_g must be 0–30,000 g, got ${JSON.stringify(r.std_dev_g)}`);
    checkLength(id, 'avg_length_cm', r.avg_length_cm);
    if (present(r.condition_factor) && (!isNum(r.condition_factor) || r.condition_factor <= 0 || r.condition_factor > 5)) E(id, 'condition_factor', `condition_factor must be > 0 and ≤ 5, got ${JSON.stringify(r.condition_factor)}`);
    if (present(r.corrective) && typeof r.corrective !== 'boolean') E(id, 'corrective', 'corrective must be true or false');
    if (a && rebuilding(a) && ok && inScope(d) && meanG !== null) {
      const day = dayOf(a, d);
      add(day, 'samples', { id, size });
      add(day, 'needsFish', id);
      if (r.corrective !== false) addCandidate(a, d, { type: 'growth_sample', valueG: meanG, weight: size, id, selective: false });
    }
  });
  eachDayRecord('weighings', (r, i, id) => {
    const d = recDate(id, r); const a = recAssignment(id, r);
    const okW = checkWeight(id, 'avg_weight_g', r.avg_weight_g, true);
    const okS = !present(r.sample_size) || checkCount(id, 'sample_size', r.sample_size);
    if (a && rebuilding(a) && okW && okS && inScope(d)) {
      const size = isCount(r.sample_size) ? r.sample_size : 0;
      const day = dayOf(a, d);
      add(day, 'needsFish', id);
      if (size > 0) add(day, 'samples', { id, size });
      addCandidate(a, d, { type: 'weighing', valueG: r.avg_weight_g as number, weight: size > 0 ? size : 1, id, selective: false });
    }
  });
  eachDayRecord('manual_anchors', (r, i, id) => {
    const d = recDate(id, r); const a = recAssignment(id, r);
    if (checkWeight(id, 'avg_weight_g', r.avg_weight_g, true) && a && rebuilding(a) && inScope(d)) {
      add(dayOf(a, d), 'needsFish', id);
      addCandidate(a, d, { type: 'manual', valueG: r.avg_weight_g as number, weight: 1, id, selective: false });
    }
  });
  const batchMortality = keepMortality || mortDelta ? memo!.batchMortality : new Map<number, { count: number; ids: string[] }>();
  if (!keepMortality) eachRecord('mortality', mortDelta, (r, i, id) => {
    const d = recDate(id, r);
    const ok = checkCount(id, 'count', r.count);
    if (present(r.assignment_id)) {
      const a = recAssignment(id, r);
      const k = a && ok && inScope(d) ? ledgerDay(d) : -1;
      if (k >= 0) {
        const L = a!.ledger;
        if (L.mortCount[k]! < 0) { L.mortCount[k] = r.count as number; L.mortId[k] = id; }
        else {
          L.mortCount[k]! += r.count as number;
          const m = L.mortMore.get(k);
          if (m) m.push(id); else L.mortMore.set(k, [id]);
        }
      }
    } else if (ok && inScope(d)) {
      let b = batchMortality.get(d);
      if (!b) batchMortality.set(d, (b = { count: 0, ids: [] }));
      b.count += r.count as number; b.ids.push(id);
    }
  });
  const containerFeed = keepFeed || feedDelta ? memo!.containerFeed : new Map<number, Map<number, { kg: number; ids: string[]; parts: { id: string; kg: number }[] }>>();
  if (!keepFeed) eachRecord('feed', feedDelta, (r, i, id) => {
    const d = recDate(id, r);
    const hasA = present(r.assignment_id), hasC = present(r.container_id);
    const okKg = isNum(r.kg) && r.kg >= 0 && r.kg <= 1e6;
    if (!okKg) E(id, 'kg', `kg must be a number of kilograms ≥ 0, got ${JSON.stringify(r.kg)}`);
    if (hasA === hasC) { E(id, hasA ? 'container_id' : 'assignment_id', 'a feed record carries exactly one of assignment_id and container_id'); return; }
    if (hasA) {
      const a = recAssignment(id, r);
      const k = a && okKg && inScope(d) ? ledgerDay(d) : -1;
      if (k >= 0) {
        const L = a!.ledger;
        if (L.feedId[k] === undefined) { L.feedId[k] = id; L.feedKg[k] = r.kg as number; }
        else {
          // Several feed records on one day: summed in id order, so the sum does not depend on input order.
          let parts = L.feedParts.get(k);
          if (!parts) L.feedParts.set(k, (parts = [{ id: L.feedId[k]!, kg: L.feedKg[k]! }]));
          parts.push({ id, kg: r.kg as number });
        }
      }
    } else {
      const ci = typeof r.container_id === 'string' ? containerIndex.get(r.container_id) : undefined;
      if (ci === undefined) { E(id, 'container_id', `unknown container ${JSON.stringify(r.container_id)}`); return; }
      if (okKg && inScope(d)) {
        let m = containerFeed.get(ci);
        if (!m) containerFeed.set(ci, (m = new Map()));
        let x = m.get(d);
        if (!x) m.set(d, (x = { kg: 0, ids: [], parts: [] }));
        x.parts.push({ id, kg: r.kg as number }); x.ids.push(id);
      }
    }
  });
  eachDayRecord('stage_changes', (r, i, id) => {
    const d = recDate(id, r); const a = recAssignment(id, r);
    const s = stageIdx(id, 'stage', r.stage);
    if (a && rebuilding(a) && s >= 0 && inScope(d)) {
      const day = dayOf(a, d);
      if (s > day.explicitStage || (s === day.explicitStage && id < day.explicitStageId!)) { day.explicitStage = s; day.explicitStageId = id; }
    }
  });

  // --- temperatures -----------------------------------------------------------------------------
  // Readings fold into per container-day sums (readings.ts); daily means count as one value each.
  let agg = opts.readings ?? null;
  if (agg && (site?.timezone ?? null) !== agg.timezone) agg = null;
  const keepTemps = memo !== undefined && agg !== null && memo.readings === agg && memo.daily === doc.temperature_daily && memo.timezone === site?.timezone;
  const tempWarningsFrom = warnings.length;
  let temps: ContainerTemps[];
  if (keepTemps) {
    temps = memo.temps;
    for (const w of memo.tempWarnings) warnings.push(w);
  } else {
    if (!agg) {
      agg = new ReadingAggregator(resolver, typeof site?.timezone === 'string' ? site.timezone : null);
      const readings = doc.temperature_readings;
      if (present(readings)) {
        if (!Array.isArray(readings)) E('temperature_readings', 'temperature_readings', 'temperature_readings must be a list');
        else for (let i = 0; i < readings.length; i++) agg.add(readings[i], i);
      }
    }
    for (const e of agg.errors) errors.push(e);
    for (const w of agg.warnings) warnings.push(w);
    const sums = containers.map(() => new Map<number, DaySum>());
    for (const [cid, days] of agg.byContainer) {
      const ci = containerIndex.get(cid);
      if (ci === undefined) { E(`${cid}`, 'container_id', `temperature readings name unknown container ${JSON.stringify(cid)}`); continue; }
      const m = sums[ci]!;
      for (const [d, x] of days) if (asOf === null || d <= asOf) m.set(d, { sum: x.sum, n: x.n, lone: x.lone });
    }
    const addTemp = (ci: number, d: number, v: number) => {
      const m = sums[ci]!;
      const x = m.get(d);
      if (x) { x.sum += Math.round(v * FIXED_POINT); x.n++; }
      else m.set(d, { sum: Math.round(v * FIXED_POINT), n: 1, lone: v });
    };
    listOf('temperature_daily').forEach((r) => {
      const cid = r.container_id;
      const name = `${String(cid)} ${String(r.date)}`;
      const ci = typeof cid === 'string' ? containerIndex.get(cid) : undefined;
      if (ci === undefined) { E(name, 'container_id', `unknown container ${JSON.stringify(cid)}`); return; }
      const d = parseIsoDate(r.date);
      if (d === null) { E(name, 'date', `date must be a date YYYY-MM-DD, got ${JSON.stringify(r.date)}`); return; }
      if (!isNum(r.mean_c)) { E(name, 'mean_c', `mean_c must be a temperature in °C, got ${JSON.stringify(r.mean_c)}`); return; }
      if (r.mean_c < -3 || r.mean_c > 40) { warnings.push({ record: name, field: 'mean_c', message: `daily mean ${r.mean_c} °C in ${String(cid)} on ${String(r.date)} is outside −3…40 °C and was dropped` }); return; }
      if (asOf !== null && d > asOf) return;
      addTemp(ci, d, r.mean_c);
    });
    temps = containers.map((_, ci) => {
      const measured = new Map<number, number>();
      for (const [d, x] of sums[ci]!) measured.set(d, x.n === 1 ? x.lone : x.sum / x.n / FIXED_POINT);
      return { measured };
    });

    if (errors.length > 0 || batchStart === null || asOf === null) return { ok: false, errors };

    // Outside 4–16 °C the TGC model is not validated: say so once per container.
    temps.forEach((t, ci) => {
      let n = 0, first = Infinity, lo = Infinity, hi = -Infinity;
      for (const [d, v] of t.measured) {
        if (d < batchStart || d > asOf || (v >= 4 && v <= 16)) continue;
        n++; if (d < first) first = d; if (v < lo) lo = v; if (v > hi) hi = v;
      }
      if (n > 0) warnings.push({ record: containers[ci]!.id, field: 'temperature', message: `container ${containers[ci]!.id} has ${n} measured day${n > 1 ? 's' : ''} outside 4–16 °C (from ${formatIsoDate(first)}; ${lo.toFixed(1)}–${hi.toFixed(1)} °C), where the TGC model is not validated` });
    });
  }
  const tempWarnings = warnings.slice(tempWarningsFrom);
  if (errors.length > 0 || batchStart === null || asOf === null) return { ok: false, errors };

  // Results must not depend on input order: per-day lists in id order, sums taken in that order.
  const byId = <T extends { id: string }>(p: T, q: T) => (p.id < q.id ? -1 : p.id > q.id ? 1 : 0);
  for (const a of assignments) if (!(a as Assignment).kept) for (const x of a.days.values()) {
    if (x.placements.length > 1) x.placements.sort(byId);
    if (x.transfersIn.length > 1) x.transfersIn.sort(byId);
    if (x.transfersOut.length > 1) x.transfersOut.sort(byId);
    if (x.removals.length > 1) x.removals.sort(byId);
    if (x.samples.length > 1) x.samples.sort(byId);
    if (x.needsFish.length > 1) x.needsFish.sort();
  }
  for (const a of assignments) {
    const L = a.ledger;
    if (newFeed[a.idx]) for (const [k, parts] of L.feedParts) {
      parts.sort(byId);
      let kg = 0;
      for (const f of parts) kg += f.kg;
      L.feedKg[k] = kg;
      L.feedId[k] = parts[0]!.id;
    }
    if (newMort[a.idx]) for (const m of L.mortMore.values()) m.sort();
  }
  // Container feed in container and day order (maps iterate in insertion order); a shared one is.
  if (!keepFeed && !feedDelta) sortContainerFeed();
  function sortContainerFeed(): void {
    const feedSorted = new Map([...containerFeed.entries()].sort((p, q) => p[0] - q[0]).map(([ci, m]) => [ci, new Map([...m.entries()].sort((p, q) => p[0] - q[0]))] as const));
    containerFeed.clear();
    for (const [ci, m] of feedSorted) containerFeed.set(ci, m);
    for (const m of containerFeed.values()) for (const x of m.values()) {
      x.parts.sort(byId); x.ids.sort();
      x.kg = 0;
      for (const f of x.parts) x.kg += f.kg;
    }
  }
  for (const m of candidates.values()) for (const l of m.values()) l.sort(byId);

  // --- first days, anchors, cut days ----------------------------------------------------------------
  const penDays = new Map<string, PenDays>();
  for (const a of assignments) {
    (a as Assignment).denseFrom(batchStart, asOf - batchStart + 1);
    if ((a as Assignment).kept) {
      const kept = dayMemo!.pens.get(a.id)!;
      for (const w of kept.warnings) warnings.push(w);
      penDays.set(a.id, kept);
      continue;
    }
    let first: number | null = null;
    for (const [d, x] of a.days) if (x.hasInflow && (first === null || d < first)) first = d;
    a.firstDay = first;
    const cm = candidates.get(a);
    const cuts: number[] = [];
    const warnedFrom = warnings.length;
    for (const [d, x] of a.days) {
      const isFirst = d === first;
      x.anchor = chooseAnchor(a, d, x, cm?.get(d) ?? [], isFirst, weightCv, warnings);
      if (first !== null && d > first && (x.anchor || x.hasInflow || x.hasSelectiveOut)) cuts.push(d);
    }
    cuts.sort((p, q) => p - q);
    a.cutDays = cuts;
    penDays.set(a.id, { days: a.days, firstDay: first, cutDays: cuts, warnings: warnings.slice(warnedFrom) });
  }

  warnings.sort((p, q) => (p.record < q.record ? -1 : p.record > q.record ? 1 : p.message < q.message ? -1 : p.message > q.message ? 1 : 0));
  const prep: Prepared = {
    batchId, batchStart, asOf, weightCv, stages, scenario, profile, containers, containerIndex, assignments,
    assignmentIndex, temps, batchMortality, containerFeed, warnings,
  };
  MEMO.set(prep, {
    ctx, mortality: doc.mortality, feed: doc.feed, ledgers: new Map(assignments.map((a) => [a.id, a.ledger])), batchMortality, containerFeed,
    readings: agg, daily: doc.temperature_daily, timezone: site?.timezone, temps, tempWarnings,
    dayCtx, dayLists: Object.fromEntries(DAY_LISTS.map((k) => [k, doc[k]])) as Record<DayList, unknown>, pens: penDays,
  });
  return { ok: true, prep };
}

/** Spec 3.4: the day's winning anchor, combined over its records. */
function chooseAnchor(a: PAssignment, d: number, x: DayInputs, cands: AnchorCandidate[], isFirst: boolean, cv: number, warnings: Warning[]): AnchorPlan | null {
  const all = cands.slice();
  if (!isFirst) {
    // Closing removals that give a weight: the harvest anchor (a census of every fish).
    for (const r of x.removals) if (r.closes && r.weightG !== null) all.push({ type: 'harvest', valueG: r.weightG, weight: r.count, id: r.id, selective: false });
    // Measured transfers out.
    const measured = x.transfersOut.filter((t) => t.measuredG !== null);
    if (measured.length > 0) {
      let pSum = 0;
      let closes = false;
      for (const t of measured) {
        if (t.closes) closes = true;
        if (t.spb !== null) pSum += Math.min(1, (t.count + t.mortality) / t.spb);
      }
      if (closes || pSum >= 1) {
        // They moved every fish: the fish-weighted mean of what was measured, whatever the selection.
        let sw = 0, s = 0;
        for (const t of measured) { const n = t.count + t.mortality; sw += n; s += n * t.measuredG!; }
        all.push({ type: 'transfer', valueG: sw > 0 ? s / sw : measured[0]!.measuredG!, weight: sw > 0 ? sw : 1, id: measured.map((t) => t.id).join('+'), selective: false });
      } else {
        for (const t of measured) {
          const n = t.count + t.mortality;
          if (t.method === 'AVERAGE') { all.push({ type: 'transfer', valueG: t.measuredG!, weight: n, id: t.id, selective: false }); continue; }
          if (t.spb === null) continue; // without the source's count the selection factor is unknown
          const p = Math.min(1, n / t.spb);
          if (p <= 0) continue;
          const shift = selectionShift(p, cv);
          if (shift > 0.5) {
            warnings.push({ record: t.id, field: 'selection_method', message: `transfer ${t.id} on ${formatIsoDate(d)} moves only ${(p * 100).toFixed(2)} % of ${a.id} as ${t.method}: the normal tail is not trusted that far out, so it does not anchor the source` });
            continue;
          }
          const f = t.method === 'LARGEST' ? 1 / (1 + shift) : 1 / (1 - shift);
          all.push({ type: 'transfer', valueG: t.measuredG! * f, weight: n, id: t.id, selective: true });
        }
      }
    }
  }
  if (all.length === 0) return null;
  let best: AnchorType = all[0]!.type;
  for (const c of all) if (ANCHOR_RANK[c.type] > ANCHOR_RANK[best]) best = c.type;
  const win = all.filter((c) => c.type === best);
  let sw = 0, s = 0, selective = false;
  const ids: string[] = [];
  for (const c of win) {
    const w = best === 'manual' ? 1 : c.weight > 0 ? c.weight : best === 'weighing' ? 1 : 0;
    sw += w; s += w * c.valueG; selective ||= c.selective;
    ids.push(...c.id.split('+'));
  }
  const valueG = sw > 0 ? s / sw : win.reduce((p, c) => p + c.valueG, 0) / win.length;
  const endOfDay = (best === 'growth_sample' || best === 'weighing' || best === 'manual') && (isFirst || x.hasInflow);
  let confidence = ANCHOR_CONFIDENCE[best];
  if (best === 'transfer' && selective) confidence = 0.85;
  return { type: best, valueG, confidence, endOfDay, recordIds: ids.sort() };
}
