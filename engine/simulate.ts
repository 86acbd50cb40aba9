/**
 * The daily walk over all assignments of a batch (spec 3.1–3.4). One pass, day by day, because
 * assignments are coupled: transfers carry weights from source to destination the same day, and
 * batch-level mortality is split by yesterday's populations.
 */
import type { AnchorRow, AnchorType, AssignmentState, InputError, Warning, WeightSource } from './document';
import { formatIsoDate, parseIsoDate } from './dates';
import { ledgerIds, spanAt, type DayInputs, type PAssignment, type Prepared, type TransferRec } from './prepare';
import { advanceStage } from './stages';
import { temperatureSeries, type TempSeries } from './temperature';
import { ProfileLookup } from './profile';
import { splitByLargestRemainder } from './mortality';

const fmt = formatIsoDate;
const num = (n: number) => n.toLocaleString('en-US');

/** One assignment-day, before feed and confidence are added. */
export interface Row {
  day: number;
  stage: number;
  /** Reported weight: W_end, or W1 on the day the population reaches 0. */
  avgWeightG: number;
  population: number;
  deaths: number;
  growthKg: number;
  countDeviation: number;
  anchorType: AnchorType | null;
  weightSource: WeightSource;
  /** Confidence of the day's own weight evidence (anchor or inflow), NaN when none. */
  evidenceConf: number;
  mortalityRecorded: boolean;
  mortalityCarry: number;
  feedKg: number;
  feedRecorded: boolean;
}

/** A class, not literals: one stable hidden class keeps the 8,000-row walk allocation-cheap. */
export class DayRow implements Row {
  feedKg = 0;
  feedRecorded = false;
  constructor(
    public day: number, public stage: number, public avgWeightG: number, public population: number, public deaths: number,
    public growthKg: number, public countDeviation: number, public anchorType: AnchorType | null, public weightSource: WeightSource,
    public evidenceConf: number, public mortalityRecorded: boolean, public mortalityCarry: number,
  ) {}
}

export interface AnchorResult {
  assignment: number;
  day: number;
  type: AnchorType;
  recordIds: string[];
  measuredG: number;
  modeledG: number;
  realizedTgc: number | null;
  /** The output row it came from (a resumed walk keeps earlier anchors as they were). */
  row?: AnchorRow;
}

interface Span {
  s: number;
  cs: number;
  /** Next cut day, or Infinity. */
  e: number;
  bridge: boolean;
  cB: number;
  bValue: number;
  /** Path values for days s..filled (index k - s). */
  pathC: number[];
  pathStage: number[];
  G: number[];
  feedingDD: number;
  filled: number;
}

interface Carry {
  a: PAssignment;
  started: boolean;
  done: boolean;
  N: number;
  W: number;
  S: number;
  acc: number;
  span: Span | null;
  rows: Row[];
  // Per-day scratch (valid for the current day only)
  N2: number;
  W1: number;
  W2: number;
  Nc: number;
  deaths: number;
  dev: number;
  modelW1: number;
  recorded: boolean;
  inflowStage: number;
  closedToday: boolean;
}

export interface SimulationResult {
  /** null: a frozen assignment of a resumed walk (its previous states stand). */
  rows: (Row[] | null)[];
  anchors: AnchorResult[];
  temps: ContainerTemps;
  errors: InputError[];
  warnings: Warning[];
}

export interface ResumePoint {
  /** First day to compute; rows before it are given. */
  day: number;
  /** Rows per assignment; null for an assignment whose series ended before `day - 1` (kept as it was). */
  rows: (Row[] | null)[];
  /** First and last day of each frozen assignment's series. */
  frozen: ({ first: number; last: number } | null)[];
  anchors: AnchorResult[];
  /** Computed warnings about days before `day`. */
  warnings?: Warning[];
  /**
   * Assignments the edit cannot reach (their rows are null): their previous states stand, and
   * stand in for them in the walk (their populations in batch-level mortality splits). One whose
   * share of such a split changes is woken on that day: resumed from its previous states, with
   * the assignments it exchanges fish with from then on. Indexed by assignment; null for the others.
   */
  ghosts?: (AssignmentState[] | null)[];
  /** The previous states of every assignment (null: none), to compare splits with the previous run. */
  previous?: (AssignmentState[] | null)[];
}

/** A previous state as a walk row (a resumed walk continues from these). */
export function toRow(prep: Prepared, s: AssignmentState, day: number): Row {
  const evidence = ANCHOR_SOURCES.has(s.sources.weight) || s.sources.weight === 'inflow' ? s.confidence.weight : NaN;
  const r = new DayRow(day, prep.stages.index.get(s.stage) ?? 0, s.avg_weight_g, s.population, s.deaths, s.growth_kg, s.count_deviation,
    s.anchor_type, s.sources.weight, evidence, s.sources.mortality === 'recorded', s.mortality_carry);
  r.feedKg = s.feed_kg; r.feedRecorded = s.sources.feed === 'recorded';
  return r;
}
const ANCHOR_SOURCES = new Set<WeightSource>(['growth_sample', 'transfer', 'weighing', 'manual', 'harvest']);

/** The population at the end of `day` in previous states (0 outside them). */
function populationAt(states: AssignmentState[] | null | undefined, day: number): number {
  if (!states || states.length === 0) return 0;
  const i = day - parseIsoDate(states[0]!.date)!;
  return i >= 0 && i < states.length ? states[i]!.population : 0;
}

/** Temperature series per container, built when first asked for (a resumed walk needs few). */
/**
 * A container's daily series, kept with its measured days: a later preparation that shares them
 * (prepare's `previous`) over the same days and profile gets the same series without building it.
 * Series are never written to once built.
 */
const SERIES = new WeakMap<object, { key: string; series: TempSeries }>();

export class ContainerTemps {
  private readonly cache: (TempSeries | undefined)[] = [];
  private readonly profile: ProfileLookup;
  private profileKey: string | null = null;
  constructor(private readonly prep: Prepared) { this.profile = new ProfileLookup(prep.profile); }
  of(ci: number): TempSeries {
    let t = this.cache[ci];
    if (!t) {
      const env = this.prep.containers[ci]!.env;
      const holder = this.prep.temps[ci]!;
      this.profileKey ??= JSON.stringify(this.prep.profile);
      const key = `${this.prep.batchStart}|${this.prep.asOf}|${env}|${this.profileKey}`;
      const kept = SERIES.get(holder);
      if (kept && kept.key === key) t = kept.series;
      else {
        t = temperatureSeries(holder.measured, this.prep.batchStart, this.prep.asOf, (d) => this.profile.temp(env, d));
        SERIES.set(holder, { key, series: t });
      }
      this.cache[ci] = t;
    }
    return t;
  }
}

export function containerTemps(prep: Prepared): ContainerTemps {
  return new ContainerTemps(prep);
}

export function simulate(prep: Prepared, resume?: ResumePoint, temps?: ContainerTemps): SimulationResult {
  const { stages, assignments, batchStart, asOf } = prep;
  const errors: InputError[] = [];
  const warnings: Warning[] = resume?.warnings ? resume.warnings.slice() : [];
  const E = (record: string, field: string, message: string) => errors.push({ record, field, message });
  temps ??= containerTemps(prep);
  const anchors: AnchorResult[] = resume ? resume.anchors.slice() : [];

  const carries: Carry[] = assignments.map((a) => ({
    a, started: false, done: false, N: 0, W: 0, S: 0, acc: 0, span: null, rows: [],
    N2: 0, W1: 0, W2: 0, Nc: 0, deaths: 0, dev: 0, modelW1: 0, recorded: false, inflowStage: -1, closedToday: false,
  }));

  let firstDay = Infinity;
  for (const a of assignments) if (a.firstDay !== null && a.firstDay < firstDay) firstDay = a.firstDay;
  let startDay = firstDay;

  const tempAt = (ci: number, d: number) => temps!.of(ci).tempC[d - batchStart]!;

  // ---- span planning -------------------------------------------------------------------------
  function extendPath(c: Carry, sp: Span, to: number) {
    const a = c.a;
    const ci = a.container;
    while (sp.filled < to) {
      const k = sp.filled + 1;
      const i = k - sp.s;
      const sPrev = sp.pathStage[i - 1]!;
      const t = tempAt(ci, k);
      const tPos = t > 0 ? t : 0;
      const tgc = stages.feeds[sPrev] ? stages.tgc[sPrev]! : 0;
      const cNew = sp.pathC[i - 1]! + (tgc * tPos) / 1000;
      sp.pathC.push(cNew);
      sp.G.push(sp.G[i - 1]! + tgc * tPos);
      if (stages.feeds[sPrev]) sp.feedingDD += tPos;
      const x = a.dense[k - batchStart];
      sp.pathStage.push(advanceStage(stages, sPrev, cNew * cNew * cNew, k - batchStart + 1, x ? x.explicitStage : -1));
      sp.filled = k;
    }
  }
  function planSpan(c: Carry, s: number, wS: number, stageS: number): Span {
    const e = spanAt(c.a, s).next;
    const x = e !== Infinity ? c.a.dense[e - batchStart] : undefined;
    const bridge = !!(x && x.anchor && !x.anchor.endOfDay);
    const sp: Span = {
      s, cs: Math.cbrt(wS), e, bridge, cB: bridge ? Math.cbrt(x!.anchor!.valueG) : 0, bValue: bridge ? x!.anchor!.valueG : 0,
      pathC: [Math.cbrt(wS)], pathStage: [stageS], G: [0], feedingDD: 0, filled: s,
    };
    if (bridge) extendPath(c, sp, e);
    return sp;
  }

  // ---- resume -------------------------------------------------------------------------------
  if (resume) {
    startDay = Math.max(resume.day, firstDay);
    for (const c of carries) {
      const prev = resume.rows[c.a.idx];
      if (prev === null) { c.started = true; c.done = true; continue; }
      c.rows = prev.filter((r) => r.day < startDay);
      if (c.rows.length > 0) resumeAt(c, startDay);
    }
  }

  /** Takes up an assignment whose rows before day `w` are given: where it stood at the end of `w - 1`. */
  function resumeAt(c: Carry, w: number): void {
    c.started = true;
    const last = c.rows[c.rows.length - 1]!;
    if (last.population <= 0 || last.day < w - 1) { c.done = true; return; }
    c.N = last.population; c.W = last.avgWeightG; c.S = last.stage; c.acc = last.mortalityCarry;
    // The span in force: from the last cut day (or the first day) at or before yesterday.
    const s = spanAt(c.a, w - 1).start;
    const rowS = c.rows.find((r) => r.day === s)!;
    c.span = planSpan(c, s, rowS.avgWeightG, rowS.stage);
    extendPath(c, c.span, w - 1);
  }

  // ---- the day loop --------------------------------------------------------------------------
  // `active`: assignments with fish at the end of yesterday, in assignment-id order.
  let active: Carry[] = carries.filter((c) => c.started && !c.done);
  const startsOn = new Map<number, Carry[]>();
  for (const c of carries) {
    if (c.started || c.a.firstDay === null || c.a.firstDay < startDay) continue;
    let l = startsOn.get(c.a.firstDay);
    if (!l) startsOn.set(c.a.firstDay, (l = []));
    l.push(c);
  }
  const pending: Carry[] = [];
  const shareOf = new Float64Array(carries.length);
  // ghosts: assignments standing as they were until woken
  const ghosts = resume?.ghosts;
  const asleep = new Uint8Array(carries.length);
  let sleeping = 0;
  if (ghosts) for (let i = 0; i < ghosts.length; i++) if (ghosts[i]) { asleep[i] = 1; sleeping++; }

  /**
   * The holders of a batch-level mortality split on day `d`, in assignment order: the walking
   * assignments with their populations, the sleeping ones with their previous populations. A
   * sleeping one whose share differs from the previous run's split wakes first.
   */
  function holdersWithGhosts(d: number, count: number): { id: string; n: number; idx: number }[] {
    const now = (): { id: string; n: number; idx: number }[] => {
      const h: { id: string; n: number; idx: number }[] = [];
      for (const c of carries) {
        const i = c.a.idx;
        const n = asleep[i] ? populationAt(ghosts![i], d - 1) : c.started && !c.done ? c.N : 0;
        if (n > 0 || (!asleep[i] && c.started && !c.done)) h.push({ id: c.a.id, n, idx: i });
      }
      return h;
    };
    const h = now();
    const was: { id: string; n: number; idx: number }[] = [];
    for (const c of carries) { const n = populationAt(resume!.previous?.[c.a.idx], d - 1); if (n > 0) was.push({ id: c.a.id, n, idx: c.a.idx }); }
    if (was.length === h.length && was.every((w, i) => w.idx === h[i]!.idx && w.n === h[i]!.n)) return h;
    const before = new Map<number, number>();
    splitByLargestRemainder(count, was).forEach((x, i) => before.set(was[i]!.idx, x));
    const after = splitByLargestRemainder(count, h);
    let woke = false;
    h.forEach((x, i) => { if (asleep[x.idx] && after[i] !== before.get(x.idx)) { wake(x.idx, d); woke = true; } });
    return woke ? now() : h;
  }

  /**
   * Wakes a sleeping assignment at the start of day `w`: its previous rows before `w` stand, its
   * walk resumes from them, and the assignments it exchanges fish with from `w` on wake too.
   */
  function wake(ai: number, w: number): void {
    if (!asleep[ai]) return;
    asleep[ai] = 0; sleeping--;
    const c = carries[ai]!;
    const old = ghosts![ai]!;
    const first = old.length ? parseIsoDate(old[0]!.date)! : w;
    c.rows = [];
    for (let i = 0; i < old.length && first + i < w; i++) c.rows.push(toRow(prep, old[i]!, first + i));
    for (let i = anchors.length - 1; i >= 0; i--) if (anchors[i]!.assignment === ai && anchors[i]!.day >= w) anchors.splice(i, 1);
    c.started = false; c.done = false;
    if (c.rows.length === 0) {
      if (c.a.firstDay !== null && c.a.firstDay >= w) {
        let l = startsOn.get(c.a.firstDay);
        if (!l) startsOn.set(c.a.firstDay, (l = []));
        l.push(c);
      } else c.done = true;
    } else {
      resumeAt(c, w);
      if (!c.done) {
        let at = active.length;
        while (at > 0 && active[at - 1]!.a.idx > ai) at--;
        active.splice(at, 0, c);
      }
    }
    for (const [d, x] of c.a.days) {
      if (d < w) continue;
      for (const t of x.transfersOut) wake(t.dest, w);
      for (const t of x.transfersIn) wake(t.source, w);
    }
  }

  for (let d = startDay; d <= asOf; d++) {
    const dn = d - batchStart + 1;
    const k = d - batchStart;
    // Batch-level mortality: split once over yesterday's populations.
    const bm = prep.batchMortality.get(d);
    if (bm) {
      const holders = sleeping > 0 ? holdersWithGhosts(d, bm.count) : active.map((c) => ({ id: c.a.id, n: c.N, idx: c.a.idx }));
      if (holders.length === 0) {
        E(bm.ids.slice().sort()[0]!, 'assignment_id', `batch-level mortality on ${fmt(d)}: no assignment of the batch had fish at the end of the previous day`);
      } else {
        const split = splitByLargestRemainder(bm.count, holders);
        holders.forEach((h, i) => { shareOf[h.idx] = split[i]!; });
      }
    }

    // Phase A: growth, deaths and outflows of every assignment that had fish yesterday.
    for (const c of active) {
      const x = c.a.dense[k];
      growAndDie(c, d, dn, x, bm ? shareOf[c.a.idx]! : 0, !!bm);
      outflows(c, d, x);
    }
    // Phase B: assignments whose first day is today, each after the sources feeding it.
    const starting = startsOn.get(d);
    if (starting) {
      pending.length = 0;
      pending.push(...starting);
      const doneToday = new Set<number>();
      let guard = pending.length + 1;
      while (pending.length > 0 && guard-- > 0) {
        for (let i = 0; i < pending.length; i++) {
          const c = pending[i]!;
          const x = c.a.dense[k]!;
          const ready = x.transfersIn.every((t) => {
            const src = carries[t.source]!;
            return src.started ? doneToday.has(t.source) || src.a.firstDay !== d : false;
          });
          if (!ready) continue;
          firstDayOf(c, d, dn, x, !!bm);
          doneToday.add(c.a.idx);
          pending.splice(i, 1);
          i--;
        }
      }
      for (const c of pending) {
        const x = c.a.dense[k]!;
        const t = x.transfersIn.find((t) => !carries[t.source]!.started || carries[t.source]!.a.firstDay === d) ?? x.transfersIn[0]!;
        E(t.id, 'source_assignment_id', `transfer ${t.id} on ${fmt(d)} moves fish out of ${assignments[t.source]!.id}, which has no fish that day`);
        c.started = true; c.done = true;
      }
    }
    // Phase C: inflows, end-of-day anchors and stages of the assignments that had fish yesterday.
    let emptied = false;
    for (const c of active) {
      finishDay(c, d, dn, c.a.dense[k]);
      if (c.done) emptied = true;
    }
    if (emptied) active = active.filter((c) => !c.done);
    if (starting) {
      for (const c of starting) if (!c.done) active.push(c);
      active.sort((p, q) => p.a.idx - q.a.idx);
    }
    if (errors.length > 50) break;
  }

  // Records on days without fish, inflows after emptying (spec 7).
  for (const c of carries) if (!asleep[c.a.idx]) checkFishDays(c);

  return { rows: carries.map((c) => (resume && resume.rows[c.a.idx] === null && (!ghosts?.[c.a.idx] || asleep[c.a.idx]) ? null : c.rows)), anchors, temps, errors, warnings };

  // ---------------------------------------------------------------------------------------------
  function tolerance(n: number) { return Math.max(10, 0.05 * n); }

  function recordedDeaths(c: Carry, d: number, share: number, batchRecord: boolean, N: number): number {
    const L = c.a.ledger, k = d - batchStart;
    const own = L.mortCount[k]! > 0 ? L.mortCount[k]! : 0;
    const deaths = own + share;
    if (deaths > N) {
      const excess = deaths - N;
      if (excess > tolerance(N)) {
        const ids = [...ledgerIds(L.mortId, L.mortMore, k), ...(batchRecord && share > 0 ? prep.batchMortality.get(d)!.ids : [])].sort();
        E(ids[0] ?? c.a.id, 'count', `mortality ${ids.join(', ')} on ${fmt(d)} records ${num(deaths)} dead fish in ${c.a.id}, which has about ${num(N)}`);
      }
      c.dev += excess;
      c.N2 = 0;
    }
    return deaths;
  }

  function growAndDie(c: Carry, d: number, dn: number, x: DayInputs | undefined, share: number, batchRecord: boolean) {
    const sp = c.span!;
    c.dev = 0; c.closedToday = false;
    // Step 1: growth along the span.
    extendPath(c, sp, d);
    const i = d - sp.s;
    const S = sp.pathStage[i - 1]!;
    c.S = S;
    if (sp.bridge) {
      if (d === sp.e) c.W1 = sp.bValue;
      else {
        const Ge = sp.G[sp.e - sp.s]!;
        const frac = Ge > 0 ? sp.G[i]! / Ge : (d - sp.s) / (sp.e - sp.s);
        const cw = sp.cs + (sp.cB - sp.cs) * frac;
        c.W1 = cw * cw * cw;
      }
    } else {
      const cw = sp.pathC[i]!;
      c.W1 = cw * cw * cw;
    }
    const pc = sp.pathC[i]!;
    c.modelW1 = pc * pc * pc;
    if (x && x.explicitStage >= 0 && x.explicitStage < S)
      E(x.explicitStageId!, 'stage', `stage change ${x.explicitStageId} on ${fmt(d)} moves ${c.a.id} back to ${stages.names[x.explicitStage]}, but it is already ${stages.names[S]}`);
    // Step 2: deaths.
    const recorded = c.a.ledger.mortCount[d - batchStart]! >= 0 || batchRecord;
    c.recorded = recorded;
    if (recorded) {
      c.N2 = c.N; // scratch: N1
      const deaths = recordedDeaths(c, d, share, batchRecord, c.N);
      c.deaths = deaths;
      c.N2 = Math.max(0, c.N - deaths);
    } else {
      c.acc += c.N * stages.mortalityRate[S]!;
      const deaths = Math.min(c.N, Math.floor(c.acc));
      c.acc -= deaths;
      c.deaths = deaths;
      c.N2 = c.N - deaths;
    }
  }

  /** Step 3 on N1 (in c.N2) and W1: selective outflows, then the rest; sets W2, Nc, N2. */
  function outflows(c: Carry, d: number, x: DayInputs | undefined) {
    const N1 = c.N2;
    c.Nc = N1; c.W2 = c.W1;
    if (!x || (x.transfersOut.length === 0 && x.removals.length === 0)) return;
    let out = 0, closes = false;
    for (const t of x.transfersOut) { out += t.count + t.mortality; closes ||= t.closes; }
    for (const r of x.removals) { out += r.count; closes ||= r.closes; }
    if (out > N1) {
      const excess = out - N1;
      if (excess > tolerance(N1)) {
        const first = [...x.transfersOut.map((t) => t.id), ...x.removals.map((r) => r.id)].sort()[0]!;
        const isT = x.transfersOut.some((t) => t.id === first);
        E(first, 'count', `${isT ? 'transfer' : 'removal'} ${first} on ${fmt(d)} moves ${num(out)} fish${x.transfersOut.length + x.removals.length > 1 ? ' (with the day\'s other outflows)' : ''} but assignment ${c.a.id} has ${num(N1)}`);
      }
      c.dev += excess;
      c.Nc = out;
    }
    const Nc = c.Nc;
    let selFish = 0, selMass = 0;
    const selIds: string[] = [];
    for (const t of x.transfersOut) if (t.measuredG !== null && t.method !== 'AVERAGE' && !t.closes) { const n = t.count + t.mortality; selFish += n; selMass += n * t.measuredG; selIds.push(t.id); }
    for (const r of x.removals) if (r.weightG !== null && !r.closes) { selFish += r.count; selMass += r.count * r.weightG; selIds.push(r.id); }
    if (selFish > 0 && Nc - selFish > 0) {
      const w2 = (Nc * c.W1 - selMass) / (Nc - selFish);
      if (w2 <= 0) warnings.push({ record: selIds.sort()[0]!, date: fmt(d), message: `the selective outflows of ${c.a.id} on ${fmt(d)} would leave fish of ${w2.toFixed(2)} g behind; the fish left keep ${c.W1.toFixed(2)} g` });
      else c.W2 = w2;
    }
    let N2 = Nc - out;
    for (const t of x.transfersOut) c.deaths += t.mortality;
    if (closes) {
      if (N2 > 0) {
        if (N2 > tolerance(N1)) {
          const rec = [...x.transfersOut.filter((t) => t.closes).map((t) => t.id), ...x.removals.filter((r) => r.closes).map((r) => r.id)].sort()[0]!;
          warnings.push({ record: rec, date: fmt(d), message: `${rec} on ${fmt(d)} empties ${c.a.id}, but ${num(N2)} fish of the estimate were not found (booked as a count deviation)` });
        }
        c.dev -= N2;
      }
      N2 = 0;
      c.closedToday = true;
    }
    c.N2 = N2;
  }

  function inflowOf(x: DayInputs, d: number, endAnchor: number | null): { n: number; mass: number; conf: number } | null {
    let n = 0, mass = 0, conf = 1;
    for (const p of x.placements) {
      let w = p.weightG;
      let pc = 0.9;
      if (w === null) {
        if (d === batchStart) { w = prep.scenario.startWeightG; pc = 0.5; }
        else if (endAnchor !== null) { w = endAnchor; }
        else { E(p.id, 'avg_weight_g', `placement ${p.id} on ${fmt(d)} has no avg_weight_g: only placements on the batch start date take the scenario's start weight`); w = 1; }
      }
      n += p.count; mass += p.count * w; conf = Math.min(conf, pc);
    }
    for (const t of x.transfersIn) {
      const src = carries[t.source]!;
      const w = t.measuredG ?? src.W2;
      n += t.count; mass += t.count * w;
      conf = Math.min(conf, t.measuredG !== null ? 0.95 : 0.85);
    }
    return x.placements.length + x.transfersIn.length > 0 ? { n, mass, conf } : null;
  }

  function firstDayOf(c: Carry, d: number, dn: number, x: DayInputs, batchRecord: boolean) {
    c.started = true;
    c.dev = 0; c.closedToday = false;
    const anchor = x.anchor;
    const endAnchor = anchor && anchor.endOfDay ? anchor.valueG : null;
    const inflow = inflowOf(x, d, endAnchor)!;
    const N = inflow.n;
    const wIn = N > 0 ? inflow.mass / N : (endAnchor ?? prep.scenario.startWeightG);
    // Stage before step 5.
    let stage = -1;
    for (const t of x.transfersIn) if (t.destStage > stage) stage = t.destStage;
    if (stage < 0 && c.a.stage >= 0) stage = c.a.stage;
    if (stage < 0) for (const t of x.transfersIn) { const src = carries[t.source]!; const s = src.a.firstDay === d ? src.inflowStage : src.S; if (s > stage) stage = s; }
    if (stage < 0) stage = prep.scenario.startStage;
    c.S = stage;
    c.W1 = wIn; c.modelW1 = wIn;
    // Deaths: recorded ones only (no model deaths and no batch-level share on the first day).
    const ownRecord = c.a.ledger.mortCount[d - batchStart]! >= 0;
    c.recorded = ownRecord || batchRecord;
    c.deaths = 0;
    c.N2 = N;
    if (ownRecord) {
      c.deaths = recordedDeaths(c, d, 0, false, N);
      c.N2 = Math.max(0, N - c.deaths);
    }
    outflows(c, d, x);
    let wEnd = c.W2, nEnd = c.N2;
    let weightSource: WeightSource = 'inflow';
    let anchorType: AnchorType | null = null;
    let evidence = inflow.conf;
    if (endAnchor !== null && nEnd > 0) {
      wEnd = endAnchor; weightSource = anchor!.type; anchorType = anchor!.type; evidence = anchor!.confidence;
    }
    checkSampleSizes(c, d, x, N, nEnd);
    const explicit = x.explicitStage;
    if (explicit >= 0 && explicit < stage)
      E(x.explicitStageId!, 'stage', `stage change ${x.explicitStageId} on ${fmt(d)} moves ${c.a.id} back to ${stages.names[explicit]}, but it starts as ${stages.names[stage]}`);
    const stageEnd = advanceStage(stages, stage, nEnd > 0 ? wEnd : c.W1, dn, explicit);
    c.inflowStage = stage;
    pushRow(c, d, stageEnd, nEnd > 0 ? wEnd : c.W1, nEnd, 0, anchorType, weightSource, evidence);
    c.N = nEnd; c.W = nEnd > 0 ? wEnd : c.W1; c.S = stageEnd;
    if (nEnd <= 0) { c.done = true; return; }
    c.span = planSpan(c, d, c.W, stageEnd);
  }

  function finishDay(c: Carry, d: number, dn: number, x: DayInputs | undefined) {
    const sp = c.span!;
    const S = c.S;
    const isCut = d === sp.e;
    let nEnd = c.N2, wEnd = c.W2;
    let evidence = NaN;
    let weightSource: WeightSource = sp.bridge ? 'bridged' : 'model';
    let anchorType: AnchorType | null = null;
    if (x) {
      const inflow = x.hasInflow ? inflowOf(x, d, x.anchor && x.anchor.endOfDay ? x.anchor.valueG : null) : null;
      if (inflow) {
        const nTot = nEnd + inflow.n;
        if (nTot > 0) { wEnd = (nEnd * c.W2 + inflow.mass) / nTot; nEnd = nTot; }
        weightSource = 'inflow'; evidence = inflow.conf;
      }
      const anchor = x.anchor;
      if (anchor) {
        anchorType = anchor.type; weightSource = anchor.type; evidence = anchor.confidence;
        if (anchor.endOfDay) {
          // End-of-day anchors close forward spans, where W1 is the model's own: the residual is
          // against the model's end of day.
          anchors.push({ assignment: c.a.idx, day: d, type: anchor.type, recordIds: anchor.recordIds, measuredG: anchor.valueG, modeledG: wEnd, realizedTgc: null });
          if (nEnd > 0) wEnd = anchor.valueG;
        } else {
          anchors.push({
            assignment: c.a.idx, day: d, type: anchor.type, recordIds: anchor.recordIds, measuredG: anchor.valueG, modeledG: c.modelW1,
            realizedTgc: sp.bridge && sp.feedingDD > 0 ? (1000 * (sp.cB - sp.cs)) / sp.feedingDD : null,
          });
        }
      }
      checkSampleSizes(c, d, x, c.N, nEnd);
    }
    if (isCut && !anchorType && weightSource === 'bridged') weightSource = 'model';
    const growthKg = (c.Nc * (c.W1 - c.W)) / 1000;
    let stageEnd: number;
    const reported = nEnd > 0 ? wEnd : c.W1;
    if (isCut || (x && x.hasInflow)) stageEnd = advanceStage(stages, S, reported, dn, x ? x.explicitStage : -1);
    else stageEnd = sp.pathStage[d - sp.s]!;
    pushRow(c, d, stageEnd, reported, nEnd, growthKg, anchorType, weightSource, evidence);
    c.N = nEnd; c.W = reported; c.S = stageEnd;
    if (nEnd <= 0) { c.done = true; return; }
    if (isCut) c.span = planSpan(c, d, wEnd, stageEnd);
  }

  function pushRow(c: Carry, d: number, stage: number, w: number, n: number, growthKg: number, anchorType: AnchorType | null, weightSource: WeightSource, evidence: number) {
    c.rows.push(new DayRow(d, stage, w, n, c.deaths, growthKg, c.dev, anchorType, weightSource, evidence, c.recorded, c.acc));
  }

  function checkSampleSizes(c: Carry, d: number, x: DayInputs, nBefore: number, nEnd: number) {
    const max = Math.max(nBefore, nEnd);
    for (const s of x.samples) if (s.size > max)
      E(s.id, 'sample_size', `sample ${s.id} on ${fmt(d)} weighs ${num(s.size)} fish but assignment ${c.a.id} has ${num(max)}`);
  }

  function checkFishDays(c: Carry) {
    const a = c.a;
    const rows = c.rows;
    const fz = resume?.frozen[a.idx] ?? null;
    const first = fz ? fz.first : rows.length > 0 ? rows[0]!.day : null;
    const last = fz ? fz.last : rows.length > 0 ? rows[rows.length - 1]!.day : null;
    const ended = fz !== null || (rows.length > 0 && rows[rows.length - 1]!.population <= 0);
    for (const [d, x] of a.days) {
      if (resume && d < startDay) continue;
      const has = first !== null && d >= first && d <= last!;
      if (!has) {
        const why = first === null ? `${a.id} never receives fish up to ${fmt(asOf)}` : d < first ? `its fish arrive on ${fmt(first)}` : `it was emptied on ${fmt(last!)}`;
        for (const id of x.needsFish) E(id, 'date', `${id} on ${fmt(d)}: assignment ${a.id} has no fish that day (${why})`);
        for (const t of x.transfersOut) E(t.id, 'source_assignment_id', `transfer ${t.id} on ${fmt(d)} moves fish out of ${a.id}, which has no fish that day (${why})`);
        if (x.explicitStageId) E(x.explicitStageId, 'date', `stage change ${x.explicitStageId} on ${fmt(d)}: assignment ${a.id} has no fish that day (${why})`);
        if (ended && d > last!) {
          for (const p of x.placements) E(p.id, 'date', `placement ${p.id} on ${fmt(d)} puts fish into ${a.id}, which was emptied on ${fmt(last!)}: that is a new assignment`);
          for (const t of x.transfersIn) E(t.id, 'dest_assignment_id', `transfer ${t.id} on ${fmt(d)} puts fish into ${a.id}, which was emptied on ${fmt(last!)}: that is a new assignment`);
        }
      }
    }
    // The daily ledger (mortality, feed): records on days without fish.
    const L = a.ledger;
    const k0 = resume ? startDay - batchStart : 0;
    for (let k = Math.max(0, k0); k < L.mortCount.length; k++) {
      if (L.mortId[k] === undefined && L.feedId[k] === undefined) continue;
      const d = batchStart + k;
      if (first !== null && d >= first && d <= last!) continue;
      const why = first === null ? `${a.id} never receives fish up to ${fmt(asOf)}` : d < first ? `its fish arrive on ${fmt(first)}` : `it was emptied on ${fmt(last!)}`;
      const ids = [...ledgerIds(L.mortId, L.mortMore, k), ...(L.feedParts.get(k)?.map((p) => p.id) ?? (L.feedId[k] ? [L.feedId[k]!] : []))].sort();
      for (const id of ids) E(id, 'date', `${id} on ${fmt(d)}: assignment ${a.id} has no fish that day (${why})`);
    }
  }
}

export type { TransferRec };
