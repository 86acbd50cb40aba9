/**
 * The "true" fish of the demo batch, day by day, and the records a site would have written about
 * them. Each assignment carries its true population, true mean weight and spread, its own TGC,
 * FCR and mortality multipliers; the records are measurements of that truth (with sampling error
 * and bias), so samples disagree with the model the way real ones do.
 *
 * Order within a day mirrors the engine's (spec 3.1): growth, deaths, outflows, inflows; then
 * samples/weighings on untouched assignments, feed, and the day's mortality records.
 */
import type {
  FeedDoc, GrowthSampleDoc, ManualAnchorDoc, MortalityDoc, PlacementDoc, RemovalDoc,
  SelectionMethod, StageChangeDoc, TransferDoc, WeighingDoc,
} from '../document';
import type { ContainerPlan, LifePlan, Op } from './plan';
import { Rng } from './random';

// ---------------------------------------------------------------------------------------------
// Biology of the demo (the scenario uses the same numbers as its plan)

export const STAGE_NAMES = ['Egg&Alevin', 'Fry', 'Parr', 'Smolt', 'Post-Smolt', 'Adult'] as const;
const STAGE_MAX_G = [0.2, 6, 60, 180, 500, 7000];
const POST_SMOLT = 4;

export const TGC_BY_STAGE: Record<string, number> = { Fry: 2.25, Parr: 2.75, Smolt: 2.75, 'Post-Smolt': 3.25, Adult: 3.1 };
export const MORTALITY_BY_STAGE: Record<string, number> = {
  'Egg&Alevin': 0.001, Fry: 0.0008, Parr: 0.0004, Smolt: 0.0003, 'Post-Smolt': 0.0004, Adult: 0.0002,
};
export const FCR_BY_STAGE: Record<string, number> = { Fry: 0.8, Parr: 0.9, Smolt: 1.0, 'Post-Smolt': 1.05, Adult: 1.15 };
export const FCR_BANDS = [
  { stage: 'Adult', min_weight_g: 500, max_weight_g: 2500, fcr: 1.1 },
  { stage: 'Adult', min_weight_g: 2500, max_weight_g: 7000, fcr: 1.2 },
];
/** Mean Fulton condition factor by stage (smolts are slim, adults round). */
const K_BY_STAGE = [1.0, 0.95, 1.0, 0.95, 1.05, 1.2];

function fcrFor(stage: number, w: number): number {
  const name = STAGE_NAMES[stage] as string;
  for (const b of FCR_BANDS) if (b.stage === name && w >= b.min_weight_g && w < b.max_weight_g) return b.fcr;
  return FCR_BY_STAGE[name] ?? 1;
}

// ---------------------------------------------------------------------------------------------
// Normal distribution helpers (true selection effects)

const SQRT2PI = Math.sqrt(2 * Math.PI);
function phi(z: number): number {
  return Math.exp(-0.5 * z * z) / SQRT2PI;
}

/** Acklam's inverse normal CDF with one Halley refinement step. */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // Halley step with erfc-free CDF via a series on |x| (good enough for the simulation's truth)
  const e = normalCdf(x) - p;
  const u = e * SQRT2PI * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

function normalCdf(x: number): number {
  // Abramowitz-Stegun 7.1.26 refined by symmetry; relative error ~1e-7 is plenty for the truth
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t *
    Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

interface Group {
  mean: number;
  cv: number;
}

/**
 * The fish a grader sends one way: the largest (or smallest) fraction `p` of a normal population,
 * with an imperfect grader (`efficiency` < 1 pulls the group back towards the population).
 */
function gradedGroup(pop: Group, p: number, largest: boolean, efficiency: number): Group {
  const sd = pop.cv * pop.mean;
  let mean: number;
  let gsd: number;
  if (p >= 0.999) return { ...pop };
  if (largest) {
    const z = normalQuantile(1 - p);
    const lam = phi(z) / p;
    mean = pop.mean + sd * lam;
    gsd = sd * Math.sqrt(Math.max(0.01, 1 + z * lam - lam * lam));
  } else {
    const z = normalQuantile(p);
    const lam = phi(z) / p;
    mean = pop.mean - sd * lam;
    gsd = sd * Math.sqrt(Math.max(0.01, 1 - z * lam - lam * lam));
  }
  mean = pop.mean + efficiency * (mean - pop.mean);
  gsd = efficiency * gsd + (1 - efficiency) * sd;
  return { mean, cv: gsd / mean };
}

/** What is left after `k` fish of group `g` leave `n` fish of population `pop` (moments conserved). */
function remainder(pop: Group, n: number, g: Group, k: number): Group {
  if (n - k <= 0) return { ...pop };
  const m2 = n * (sq(pop.cv * pop.mean) + sq(pop.mean)) - k * (sq(g.cv * g.mean) + sq(g.mean));
  const mean = Math.max(0.3 * pop.mean, (n * pop.mean - k * g.mean) / (n - k));
  const variance = Math.max(sq(0.05 * mean), m2 / (n - k) - sq(mean));
  return { mean, cv: Math.min(0.5, Math.sqrt(variance) / mean) };
}

function mix(n1: number, a: Group, n2: number, b: Group): Group {
  const n = n1 + n2;
  const mean = (n1 * a.mean + n2 * b.mean) / n;
  const m2 = (n1 * (sq(a.cv * a.mean) + sq(a.mean)) + n2 * (sq(b.cv * b.mean) + sq(b.mean))) / n;
  return { mean, cv: Math.min(0.5, Math.sqrt(Math.max(0, m2 - mean * mean)) / mean) };
}

function sq(x: number): number {
  return x * x;
}

// ---------------------------------------------------------------------------------------------
// Rounding as a site would write numbers down

function roundWeight(w: number): number {
  if (w < 1) return Math.round(w * 1000) / 1000;
  if (w < 10) return Math.round(w * 100) / 100;
  if (w < 1000) return Math.round(w * 10) / 10;
  return Math.round(w);
}
function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function roundKg(x: number): number {
  return x < 100 ? Math.round(x * 100) / 100 : Math.round(x * 10) / 10;
}

// ---------------------------------------------------------------------------------------------

export interface TrueAssignment {
  id: string;
  container: ContainerPlan;
  /** Stage name at its first inflow, as the site would enter it. */
  stageAtStart: string;
  firstDay: number;
  /** Day its population reached 0 (the emptying day), or null if it still has fish. */
  lastDay: number | null;
  n: number;
  w: number;
  cv: number;
  stage: number;
  feedFrom: number;
  tgcMult: number;
  fcrMult: number;
  mortMult: number;
  kMult: number;
  nextSample: number;
  handling: number;
  event: { until: number; factor: number; cause: string } | null;
  starveFrom: number;
  starveTo: number;
  touchedDay: number;
  /** Last day fish were moved, graded, vaccinated or culled here (no sampling for 5 days). */
  lastHandled: number;
  /** Last day with a weight measurement (sample, weighing, manual anchor, measured transfer). */
  lastAnchor: number;
  spbDay: number;
  spb: number;
  deathsToday: number;
  causeToday: string;
  grewKg: number;
  selectedForHarvest: boolean;
}

export interface SimRecords {
  placements: PlacementDoc[];
  transfers: TransferDoc[];
  removals: RemovalDoc[];
  growth_samples: GrowthSampleDoc[];
  weighings: WeighingDoc[];
  manual_anchors: ManualAnchorDoc[];
  mortality: MortalityDoc[];
  feed: FeedDoc[];
  stage_changes: StageChangeDoc[];
}

export interface SimTruth {
  /** Per transfer/removal id: the true population of its source just before it. */
  sourceBefore: Map<string, number>;
  /** The smallest true population ever held by an assignment (never negative). */
  minPopulation: number;
  /** Number of assignments with fish at the end of each day (index = day number). */
  aliveAtEnd: number[];
  /** True mean weight of every assignment at the end of each of its days, by assignment id. */
  weights: Map<string, number[]>;
}

export interface SimResult {
  assignments: TrueAssignment[];
  records: SimRecords;
  truth: SimTruth;
}

export interface SimInput {
  plan: LifePlan;
  rng: Rng;
  lifeDays: number;
  /** ISO date of each batch day number (index 1 = start date). */
  iso: (day: number) => string;
  /** True water temperature of a container on a batch day. */
  tempC: (containerId: string, day: number) => number;
}

const FW_CAUSES = ['UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'DEFORMITY', 'RUNT', 'FUNGUS'];
const SEA_CAUSES = ['UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'GILL_DISEASE', 'WOUNDS', 'PREDATION'];

export function simulate(input: SimInput): SimResult {
  const { plan, rng, lifeDays, iso, tempC } = input;
  const containers = new Map(plan.containers.map((c) => [c.id, c]));
  const asgs: TrueAssignment[] = [];
  const inContainer = new Map<string, TrueAssignment>(); // assignment with fish, by container
  const emptiedOn = new Map<string, number>(); // container → day its last assignment emptied
  const rec: SimRecords = {
    placements: [], transfers: [], removals: [], growth_samples: [], weighings: [], manual_anchors: [],
    mortality: [], feed: [], stage_changes: [],
  };
  const truth: SimTruth = { sourceBefore: new Map(), minPopulation: Infinity, aliveAtEnd: [0], weights: new Map() };

  const opsByDay = new Map<number, Op[]>();
  const schedule = (op: Op) => {
    let list = opsByDay.get(op.day);
    if (!list) opsByDay.set(op.day, (list = []));
    list.push(op);
  };
  for (const op of plan.ops) schedule(op);

  // record id counters
  let nPlace = 0, nTransfer = 0, nRemoval = 0, nSample = 0, nWeigh = 0, nManual = 0, nDeath = 0, nFeed = 0, nStage = 0;
  const id = (prefix: string, n: number, width: number) => `${prefix}-${String(n).padStart(width, '0')}`;

  const stageByWeight = (a: { stage: number; w: number; container: ContainerPlan }) => {
    let s = a.stage;
    if (s === 0) return 0;
    while (s < STAGE_NAMES.length - 1 && a.w >= (STAGE_MAX_G[s] as number)) s++;
    if (a.container.environment === 'sea' && s < POST_SMOLT) s = POST_SMOLT;
    return s;
  };

  const newAssignment = (container: ContainerPlan, day: number, from: TrueAssignment | null): TrueAssignment => {
    if (inContainer.has(container.id)) throw new Error(`plan: ${container.id} already holds fish on day ${day}`);
    if (emptiedOn.get(container.id) === day) throw new Error(`plan: ${container.id} reused on the day it was emptied (${day})`);
    // Each assignment's own growth: in the sea a little below the plan's TGC (Faroe pens
    // realize ~2.6–2.9 against a plan of 3.1–3.25), in freshwater around it.
    const sea = container.environment === 'sea';
    const fresh = sea ? rng.uniform(0.78, 0.93) : rng.uniform(0.88, 1.08);
    const fromSea = from !== null && from.container.environment === 'sea';
    const a: TrueAssignment = {
      id: `A-${String(asgs.length + 1).padStart(2, '0')}`,
      container,
      stageAtStart: '',
      firstDay: day,
      lastDay: null,
      n: 0,
      w: 0,
      cv: 0.2,
      stage: from ? from.stage : 0,
      feedFrom: from ? from.feedFrom : plan.firstFeedingDay + 1,
      tgcMult: from && sea === fromSea ? 0.5 * from.tgcMult + 0.5 * fresh : fresh,
      fcrMult: rng.uniform(0.95, 1.15),
      mortMult: rng.uniform(0.6, 1.5),
      kMult: rng.uniform(0.96, 1.04),
      nextSample: day + rng.int(10, 21),
      handling: 1.5,
      event: null,
      starveFrom: -1,
      starveTo: -2,
      touchedDay: day,
      lastHandled: day,
      lastAnchor: day,
      spbDay: -1,
      spb: 0,
      deathsToday: 0,
      causeToday: 'HANDLING',
      grewKg: 0,
      selectedForHarvest: false,
    };
    asgs.push(a);
    inContainer.set(container.id, a);
    truth.weights.set(a.id, []);
    return a;
  };

  const withFish = (containerId: string, day: number, what: string): TrueAssignment => {
    const a = inContainer.get(containerId);
    if (!a || a.n <= 0) throw new Error(`plan: ${what} on day ${day} but ${containerId} has no fish`);
    return a;
  };

  const starving = (a: TrueAssignment, day: number) => day >= a.starveFrom && day <= a.starveTo;
  const starve = (a: TrueAssignment, from: number, to: number) => {
    if (a.starveTo >= from - 1 && a.starveFrom <= to + 1) {
      a.starveFrom = Math.min(a.starveFrom, from);
      a.starveTo = Math.max(a.starveTo, to);
    } else {
      a.starveFrom = from;
      a.starveTo = to;
    }
  };

  // Starvation before handling is known from the plan: the day before a move out and the day itself.
  const starveAhead = new Map<string, number[]>(); // container → days of planned handling
  for (const op of plan.ops) {
    const c = op.kind === 'move' ? op.from : op.kind === 'vaccinate' ? op.container : null;
    if (c) {
      let l = starveAhead.get(c);
      if (!l) starveAhead.set(c, (l = []));
      l.push(op.day);
    }
  }

  /** Handling planned here within the next 4 days (a sample now would only measure noise). */
  const handlingSoon = (a: TrueAssignment, day: number): boolean => {
    if (a.starveFrom > day && a.starveFrom <= day + 4) return true;
    const planned = starveAhead.get(a.container.id);
    if (planned) for (const pd of planned) if (pd > day && pd <= day + 4) return true;
    return false;
  };

  /** A sample of `n` fish from a group: rounded individual weights and lengths. */
  const drawFish = (g: Group, stage: number, kMult: number, n: number, bias: number) => {
    const ws: number[] = [];
    const ls: number[] = [];
    const kMean = (K_BY_STAGE[stage] as number) * kMult;
    for (let i = 0; i < n; i++) {
      const w = Math.max(0.1 * g.mean, g.mean * (1 + bias) * (1 + g.cv * rng.normal()));
      const k = Math.max(0.6, kMean + rng.normal(0, 0.06));
      const l = Math.cbrt((100 * w) / k);
      ws.push(roundWeight(w));
      ls.push(round1(l));
    }
    return { ws, ls };
  };

  const summarize = (ws: number[], ls: (number | null)[]) => {
    const n = ws.length;
    let sw = 0;
    for (const w of ws) sw += w;
    const mean = sw / n;
    let ss = 0;
    for (const w of ws) ss += sq(w - mean);
    const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
    let sl = 0, nl = 0, sk = 0;
    for (let i = 0; i < n; i++) {
      const l = ls[i];
      if (l === null || l === undefined) continue;
      sl += l;
      nl++;
      sk += (100 * (ws[i] as number)) / (l * l * l);
    }
    return { mean, sd, length: nl ? sl / nl : null, k: nl ? sk / nl : null };
  };

  let shockDay = false;
  const handleOp = (op: Op, day: number) => {
    const date = iso(day);
    switch (op.kind) {
      case 'place': {
        const c = containers.get(op.container)!;
        const a = newAssignment(c, day, null);
        a.n = op.count;
        a.w = op.weightG;
        a.cv = 0.08;
        a.stageAtStart = STAGE_NAMES[0];
        a.handling = 1;
        rec.placements.push({ id: id('P', ++nPlace, 2), assignment_id: a.id, date, count: op.count, avg_weight_g: op.weightG });
        break;
      }
      case 'stage': {
        const a = withFish(op.container, day, 'stage change');
        a.feedFrom = day + 1;
        rec.stage_changes.push({ id: id('C', ++nStage, 2), assignment_id: a.id, date, stage: op.stage });
        break;
      }
      case 'move': {
        const src = withFish(op.from, day, `move to ${op.to}`);
        if (src.spbDay !== day) {
          src.spbDay = day;
          src.spb = src.n;
        }
        const before = src.n;
        const k = op.share === 'rest' ? src.n : Math.min(src.n - 1, Math.round(op.share * src.spb));
        const pop: Group = { mean: src.w, cv: src.cv };
        let g: Group = pop;
        if (op.share !== 'rest' && op.sel !== 'AVERAGE') {
          g = gradedGroup(pop, k / src.n, op.sel === 'LARGEST', rng.uniform(0.75, 0.95));
        }
        const rest = op.share === 'rest' ? pop : remainder(pop, src.n, g, k);
        src.n -= k;
        src.w = rest.mean;
        src.cv = rest.cv;
        src.touchedDay = day;
        src.lastHandled = day;
        src.handling = Math.max(src.handling, 1.2);
        const mit = op.transitLoss ? Math.round(k * op.transitLoss) : 0;
        const count = k - mit;
        const destC = containers.get(op.to)!;
        let dst = inContainer.get(op.to);
        if (dst && dst.n > 0) {
          if (!op.mixing) throw new Error(`plan: move into ${op.to} on day ${day} mixes unexpectedly`);
          const m = mix(dst.n, { mean: dst.w, cv: dst.cv }, count, g);
          dst.n += count;
          dst.w = m.mean;
          dst.cv = m.cv;
          dst.touchedDay = day;
          dst.lastHandled = day;
          dst.handling = Math.max(dst.handling, 0.8);
        } else {
          if (op.mixing) throw new Error(`plan: move into ${op.to} on day ${day} expected fish there`);
          dst = newAssignment(destC, day, src);
          dst.n = count;
          dst.w = g.mean;
          dst.cv = g.cv;
          if (op.destStage) dst.stage = Math.max(dst.stage, STAGE_NAMES.indexOf(op.destStage as (typeof STAGE_NAMES)[number]));
          dst.stage = stageByWeight(dst);
          dst.stageAtStart = STAGE_NAMES[dst.stage] as string;
        }
        const tid = id('T', ++nTransfer, 4);
        truth.sourceBefore.set(tid, before);
        const t: TransferDoc = {
          id: tid, date, source_assignment_id: src.id, dest_assignment_id: dst.id, count,
        };
        if (mit > 0) t.mortality_in_transfer = mit;
        if (op.measured) {
          src.lastAnchor = day;
          dst.lastAnchor = day;
          const n = Math.min(count, rng.int(30, 100));
          const s = drawFish(g, src.stage, src.kMult, n, rng.normal(0, 0.015));
          const sum = summarize(s.ws, s.ls);
          t.measured_avg_weight_g = roundWeight(sum.mean);
          t.measured_std_dev_g = roundWeight(sum.sd);
          t.measured_sample_size = n;
          if (sum.length !== null) t.measured_avg_length_cm = round1(sum.length);
        }
        t.selection_method = op.sel;
        if (op.destStage) t.dest_stage = op.destStage;
        t.closes_source = src.n === 0;
        t.source_population_before = src.spb;
        rec.transfers.push(t);
        break;
      }
      case 'cull': {
        const a = withFish(op.container, day, 'cull');
        const k = Math.max(1, Math.round(op.share * a.n));
        const culled: Group = { mean: 0.6 * a.w, cv: a.cv };
        const rest = remainder({ mean: a.w, cv: a.cv }, a.n, culled, k);
        const rid = id('R', ++nRemoval, 3);
        truth.sourceBefore.set(rid, a.n);
        a.n -= k;
        a.w = rest.mean;
        a.cv = rest.cv;
        a.touchedDay = day;
        a.lastHandled = day;
        rec.removals.push({ id: rid, assignment_id: a.id, date, count: k, kind: 'cull', closes_source: false });
        break;
      }
      case 'vaccinate': {
        const a = withFish(op.container, day, 'vaccination');
        const n = Math.min(a.n, rng.int(150, 400));
        const est = a.w * (1 + rng.normal(0, a.cv / Math.sqrt(n))) * (1 + rng.normal(0, 0.01));
        a.lastAnchor = day;
        rec.weighings.push({ id: id('W', ++nWeigh, 3), assignment_id: a.id, date, avg_weight_g: roundWeight(est), sample_size: n, kind: 'vaccination' });
        a.touchedDay = day;
        a.lastHandled = day;
        a.handling = Math.max(a.handling, 2);
        break;
      }
      case 'manual': {
        const a = withFish(op.container, day, 'manual anchor');
        if (day - a.lastAnchor < 7 || a.touchedDay === day) {
          // too close to another measurement: the camera estimate is entered a few days later
          schedule({ ...op, day: day + Math.max(1, 7 - (day - a.lastAnchor)) });
          break;
        }
        a.lastAnchor = day;
        rec.manual_anchors.push({
          id: id('M', ++nManual, 2), assignment_id: a.id, date, avg_weight_g: roundWeight(a.w * (1 + rng.normal(0, 0.03))), note: op.note,
        });
        a.touchedDay = day;
        break;
      }
      case 'event': {
        const a = withFish(op.container, day, 'event');
        a.event = { until: day + op.days - 1, factor: op.factor, cause: op.cause };
        if (op.shock) {
          const k = Math.min(a.n, Math.round(a.n * op.shock * rng.uniform(0.8, 1.2)));
          a.n -= k;
          a.deathsToday += k;
          a.causeToday = op.cause;
          shockDay = true;
        }
        break;
      }
      case 'harvestSelect': {
        let best: TrueAssignment | null = null;
        for (const a of inContainer.values()) {
          if (a.n > 0 && a.container.environment === 'sea' && !a.selectedForHarvest && (!best || a.w > best.w)) best = a;
        }
        if (!best) break;
        best.selectedForHarvest = true;
        starve(best, op.harvestDay - 4, op.harvestDay + op.parts - 1);
        // one closing harvest; or first the largest fish (graded on the well boat), the rest the next day
        const shares: (number | 'rest')[] = op.parts === 1 ? ['rest'] : [Math.round(rng.uniform(0.3, 0.5) * 100) / 100, 'rest'];
        shares.forEach((share, i) => schedule({ kind: 'harvest', day: op.harvestDay + i, container: best!.container.id, share }));
        break;
      }
      case 'harvest': {
        const a = withFish(op.container, day, 'harvest');
        const k = op.share === 'rest' ? a.n : Math.round(op.share * a.n);
        const pop: Group = { mean: a.w, cv: a.cv };
        const g = op.share === 'rest' ? pop : gradedGroup(pop, k / a.n, true, rng.uniform(0.6, 0.85));
        const rest = op.share === 'rest' ? pop : remainder(pop, a.n, g, k);
        const rid = id('R', ++nRemoval, 3);
        truth.sourceBefore.set(rid, a.n);
        a.n -= k;
        a.w = rest.mean;
        a.cv = rest.cv;
        a.touchedDay = day;
        a.lastHandled = day;
        // the slaughterhouse weighs every fish: live (round) weight, within half a percent
        rec.removals.push({
          id: rid, assignment_id: a.id, date, count: k, kind: 'harvest',
          avg_weight_g: roundWeight(g.mean * (1 + rng.normal(0, 0.005))), closes_source: a.n === 0,
        });
        break;
      }
    }
  };

  for (let day = 1; day <= lifeDays; day++) {
    const date = iso(day);
    shockDay = false;
    const startOfDay: TrueAssignment[] = [];
    for (const a of asgs) if (a.n > 0) startOfDay.push(a);

    // planned handling: no feed the day before and the day of a move out or a vaccination
    for (const a of startOfDay) {
      const planned = starveAhead.get(a.container.id);
      if (planned) for (const pd of planned) if (pd === day + 1 || pd === day) starve(a, day, day);
    }

    // 1–2. growth and deaths of the fish present since yesterday
    for (const a of startOfDay) {
      const w0 = a.w;
      if (day >= a.feedFrom) {
        if (a.stage === 0) a.stage = 1;
        a.stage = stageByWeight(a);
        const tgc = TGC_BY_STAGE[STAGE_NAMES[a.stage] as string] as number;
        let inc = (tgc * a.tgcMult * Math.max(0, tempC(a.container.id, day))) / 1000;
        inc *= Math.max(0, 1 + rng.normal(0, 0.15));
        if (starving(a, day)) inc *= 0.2;
        const r = Math.cbrt(a.w) + inc;
        a.w = r * r * r;
        a.cv += (0.21 - a.cv) * 0.01;
      }
      const rate = MORTALITY_BY_STAGE[STAGE_NAMES[a.stage] as string] as number;
      const ev = a.event && day <= a.event.until ? a.event : null;
      const lambda = a.n * rate * a.mortMult * (1 + a.handling) * (ev ? ev.factor : 1);
      const deaths = Math.min(a.n, rng.poisson(lambda));
      a.n -= deaths;
      a.deathsToday = deaths;
      a.causeToday = ev ? ev.cause : a.handling > 0.5 ? 'HANDLING' : a.stage === 0 ? 'DEAD_EGGS' :
        rng.pick(a.container.environment === 'sea' ? SEA_CAUSES : FW_CAUSES);
      a.handling *= 0.6;
      a.grewKg = (a.n * (a.w - w0)) / 1000;
    }

    // 3–4. the site's operations of the day, in plan order
    const ops = opsByDay.get(day);
    const before = new Set(asgs);
    if (ops) for (const op of ops) handleOp(op, day);
    const created = asgs.filter((a) => !before.has(a));
    for (const a of created) {
      // deaths among the fish just arrived (after their inflow, as the engine reads them)
      const rate = MORTALITY_BY_STAGE[STAGE_NAMES[a.stage] as string] as number;
      const deaths = Math.min(a.n, rng.poisson(a.n * rate * a.mortMult * 2));
      a.n -= deaths;
      a.deathsToday = deaths;
      a.causeToday = 'HANDLING';
      a.grewKg = 0;
    }

    // samples on assignments with feeding fish and no handling today (not in egg trays)
    for (const a of startOfDay) {
      if (a.n <= 0 || a.container.kind === 'tray' || day < a.feedFrom || a.touchedDay === day || starving(a, day)) continue;
      if (day < a.nextSample || day - a.lastHandled < 7 || day - a.lastAnchor < 7 || handlingSoon(a, day)) continue;
      a.nextSample = day + rng.int(14, 28);
      a.lastAnchor = day;
      const n = Math.min(a.n, rng.int(20, 100));
      const s = drawFish({ mean: a.w, cv: a.cv }, a.stage, a.kMult, n, rng.normal(0, 0.012));
      const g: GrowthSampleDoc = { id: id('G', ++nSample, 4), assignment_id: a.id, date };
      if (rng.chance(0.2)) {
        const ls: (number | null)[] = s.ls.map((l) => (rng.chance(0.02) ? null : l));
        const sum = summarize(s.ws, ls);
        g.sample_size = n;
        g.avg_weight_g = round3(sum.mean);
        g.std_dev_g = round3(sum.sd);
        if (sum.length !== null) g.avg_length_cm = round3(sum.length);
        if (sum.k !== null) g.condition_factor = round3(sum.k);
        g.individual_weights_g = s.ws;
        g.individual_lengths_cm = ls;
      } else {
        const sum = summarize(s.ws, s.ls);
        g.sample_size = n;
        g.avg_weight_g = roundWeight(sum.mean);
        g.std_dev_g = roundWeight(sum.sd);
        if (sum.length !== null) g.avg_length_cm = round1(sum.length);
        if (sum.k !== null) g.condition_factor = round3(sum.k);
      }
      // now and then a sample taken for a look only (a few fish from the surface, a visitor)
      g.corrective = !rng.chance(0.06);
      rec.growth_samples.push(g);
    }

    // feed: fish that lived through the day here, ate (not starved for handling) and feed
    for (const a of startOfDay) {
      if (a.n <= 0 || a.touchedDay === day || starving(a, day) || day < a.feedFrom) continue;
      const fcr = fcrFor(a.stage, a.w) * a.fcrMult;
      const kg = Math.max(0, a.grewKg) * fcr * Math.max(0.5, 1 + rng.normal(0, 0.08));
      const rounded = roundKg(kg);
      if (rounded <= 0) continue;
      const f: FeedDoc = { id: id('F', ++nFeed, 6), date, kg: rounded };
      if (rng.chance(0.08)) f.container_id = a.container.id;
      else f.assignment_id = a.id;
      rec.feed.push(f);
    }

    // mortality: one record per assignment and day, or one batch-level record on some days
    const present = startOfDay.concat(created);
    if (present.length > 0) {
      const batchLevel = startOfDay.length > 0 && !shockDay && rng.chance(0.05);
      if (batchLevel) {
        let total = 0;
        for (const a of present) total += a.deathsToday;
        rec.mortality.push({ id: id('D', ++nDeath, 6), assignment_id: null, date, count: total, cause: 'UNKNOWN' });
      } else {
        present.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
        for (const a of present) {
          // a count of 0 is written too ("counted, none died"), without a cause
          rec.mortality.push({
            id: id('D', ++nDeath, 6), assignment_id: a.id, date, count: a.deathsToday, cause: a.deathsToday > 0 ? a.causeToday : null,
          });
        }
      }
    }

    // end of day
    let alive = 0;
    for (const a of present) {
      if (a.n < truth.minPopulation) truth.minPopulation = a.n;
      truth.weights.get(a.id)!.push(a.w);
      if (a.n === 0 && a.lastDay === null) {
        a.lastDay = day;
        inContainer.delete(a.container.id);
        emptiedOn.set(a.container.id, day);
      }
      if (a.n > 0) alive++;
    }
    truth.aliveAtEnd.push(alive);
  }

  return { assignments: asgs, records: rec, truth };
}
