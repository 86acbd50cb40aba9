/**
 * Demo batch generator: one Atlantic salmon year-class from eggs to harvest as a complete
 * `aquamind-site/batch@1` document, deterministic for a seed (no clock, no Math.random, no I/O).
 * Modules: random.ts (sfc32 + Box-Muller), days.ts (day numbers), plan.ts (the life plan),
 * simulate.ts (the true fish and the records about them), temperature.ts (water, loggers),
 * check.ts (replays the engine's population rules on a document, for the tests).
 *
 * Life plan (default 900 days from 2023-12-04, see plan.ts):
 * - days 1–3: eggs (~0.15 g) placed in 10 hatchery trays HT-01…HT-10 (~485,000 eggs);
 *   Egg&Alevin does not feed. First feeding: an explicit stage change to Fry on 5 trays a few
 *   days before day 81, the other 5 rely on the stage's 80-day duration (day 81 is Fry).
 * - days ~94–101: trays emptied into 6 fry tanks FT-01…FT-06 (~1 g; a second tray mixes into
 *   four of them a day or two later).
 * - days ~142–152: fry tanks graded (LARGEST, then the SMALLEST/AVERAGE rest closing the tank)
 *   into 10 parr tanks PT-01…PT-10 at ~10 g (dest stage Parr); one fry tank mixes into a parr tank.
 * - days ~180–188: parr tanks to 12 smolt tanks ST-01…ST-12 (~35 g; two gradings, one mixing);
 *   a vaccination weighing in each tank a week later (35–55 g); the smallest 10–15 % of two
 *   tanks graded out (SMALLEST) into the runt tank ST-11; two culls.
 * - days ~246–268: well-boat transfers to 6 sea pens SP-01…SP-06 at ~150–190 g (dest stage
 *   Post-Smolt, 0.1–0.4 % lost in transit, two tanks into most pens).
 * - sea: net changes (the whole pen moved to a clean pen, closing the source; some unweighed)
 *   around days 335–375 and 530–615, thinning at ~1 kg around days 396–420 (AVERAGE and LARGEST
 *   into emptied pens, reused), winter ulcer in three pens in February, a jellyfish day in late
 *   summer, two biomass-camera manual anchors, two culls; 12 pens from day ~420.
 * - the last ~196 days: the 12 pens harvested one after another, heaviest first (~4.5–6.5 kg),
 *   each by one closing harvest removal, or (1 in 5) the largest fish first and the rest the
 *   next day; the last ends about a week before `days`.
 * 60 assignments, ~10 with fish at a time (12 at mid-life). Every day a mortality record per
 * assignment (count 0 included) or, on ~5 % of days, one batch-level record instead; feed per
 * assignment (8 % by container; none on handling days); logger temperature every 30 minutes in
 * each container from a few days before its fish arrive to a few days after they leave
 * (~390,000 readings, sensor gaps of 3–29 days, a handful of 85.0/−9.9 spikes, two gaps in sea
 * pens partly filled with hand-entered daily means); growth samples every 2–4 weeks on feeding
 * fish (20–100 fish, 1 in 5 with individual weights and lengths, ~6 % informational), never
 * within a week of handling or another measurement.
 *
 * The fish are simulated (simulate.ts): TGC growth on the container's true temperature with a
 * per-assignment multiplier (freshwater 0.88–1.08, sea 0.78–0.93 of the plan) and daily noise,
 * Poisson deaths at the plan's rates × a per-assignment factor (more after handling and in
 * events), imperfect graders; every record is a measurement of that truth, so samples disagree
 * with the model the way real ones do. Each part draws from its own named stream of the seed.
 * A shorter `days` is the same life cut at the as-of date (start + days − 1); a longer one
 * (up to 1000) moves the harvests to its end; beyond 1000 the batch is over before as-of.
 */
import type {
  BatchDocument, ContainerDoc, StageDoc, TemperatureDailyDoc, TemperatureReadingDoc,
} from '../document';
import { dayToIso, isoToDay } from './days';
import { buildPlan } from './plan';
import { Rng } from './random';
import { FCR_BANDS, FCR_BY_STAGE, MORTALITY_BY_STAGE, TGC_BY_STAGE, simulate, type SimResult } from './simulate';
import {
  FRESHWATER_C, type DailySeries, daysFullyInGaps, localMidnightSlot, TimestampCache, freshwaterSeries, handEnteredDaily, loggerReadings,
  planLogger, seaPenSeries, seaProfilePoints, seaWeather, seriesAt, type LoggerPlan,
} from './temperature';

export interface DemoOptions {
  seed?: number;
  days?: number;
  startDate?: string;
}

export const DEMO_DEFAULTS = { seed: 1, days: 900, startDate: '2023-12-04' } as const;
const MAX_LIFE_DAYS = 1000;

/** The default Atlantic salmon stage table (spec §1), written out in the document. */
export const DEMO_STAGES: StageDoc[] = [
  { name: 'Egg&Alevin', order: 1, min_weight_g: 0.05, max_weight_g: 0.2, feeds: false, duration_days: 80, environment: 'freshwater', baseline_tgc: 0 },
  { name: 'Fry', order: 2, min_weight_g: 0.2, max_weight_g: 6, feeds: true, environment: 'freshwater', baseline_tgc: 2.25 },
  { name: 'Parr', order: 3, min_weight_g: 6, max_weight_g: 60, feeds: true, environment: 'freshwater', baseline_tgc: 2.75 },
  { name: 'Smolt', order: 4, min_weight_g: 60, max_weight_g: 180, feeds: true, environment: 'freshwater', baseline_tgc: 2.75 },
  { name: 'Post-Smolt', order: 5, min_weight_g: 180, max_weight_g: 500, feeds: true, environment: 'sea', baseline_tgc: 3.25 },
  { name: 'Adult', order: 6, min_weight_g: 500, max_weight_g: 7000, feeds: true, environment: 'sea', baseline_tgc: 3.1 },
];

export interface DemoDetails {
  doc: BatchDocument;
  sim: SimResult;
  /** Batch day number of the as-of date (= days). */
  asOfDay: number;
  lifeDays: number;
}

export function generateDemoBatch(opts: DemoOptions = {}): BatchDocument {
  return generateDemoDetails(opts).doc;
}

/** The document together with the simulation behind it (for tests and diagnostics). */
export function generateDemoDetails(opts: DemoOptions = {}): DemoDetails {
  const seed = opts.seed ?? DEMO_DEFAULTS.seed;
  const days = opts.days ?? DEMO_DEFAULTS.days;
  const startDate = opts.startDate ?? DEMO_DEFAULTS.startDate;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(days) || days < 1) throw new Error(`days must be a positive integer, got ${days}`);
  const startDay = isoToDay(startDate);
  // The life always runs at least the default 900 days (a shorter document is that life cut at
  // its as-of date); a longer `days` moves the harvests to its end, up to 1000 days (beyond,
  // the batch is over and the document simply has nothing after the last harvest).
  const lifeDays = Math.min(Math.max(days, DEMO_DEFAULTS.days), MAX_LIFE_DAYS);
  const asOfAbs = startDay + days - 1;
  const asOf = dayToIso(asOfAbs);

  const isoCache: string[] = [];
  const iso = (day: number): string => {
    let s = isoCache[day];
    if (s === undefined) isoCache[day] = s = dayToIso(startDay + day - 1);
    return s;
  };

  const plan = buildPlan(Rng.forStream(seed, 'plan'), lifeDays);

  // true water temperature of every container over the whole life (absolute day numbers)
  const firstAbs = startDay - 30;
  const lastAbs = startDay + lifeDays + 30;
  const weather = seaWeather(Rng.forStream(seed, 'weather'), firstAbs, lastAbs);
  const truthTemp = new Map<string, DailySeries>();
  for (const c of plan.containers) {
    const r = Rng.forStream(seed, `water:${c.id}`);
    truthTemp.set(c.id, c.environment === 'sea' ? seaPenSeries(r, weather) : freshwaterSeries(r, firstAbs, lastAbs));
  }
  const tempC = (containerId: string, day: number) => seriesAt(truthTemp.get(containerId)!, startDay + day - 1);

  const sim = simulate({ plan, rng: Rng.forStream(seed, 'fish'), lifeDays, iso, tempC });

  // loggers: every container around its occupied periods
  const readings: TemperatureReadingDoc[] = [];
  const daily: TemperatureDailyDoc[] = [];
  const loggers: LoggerPlan[] = [];
  const occupied = new Map<string, [number, number][]>();
  for (const a of sim.assignments) {
    const list = occupied.get(a.container.id) ?? [];
    list.push([startDay + a.firstDay - 1, startDay + (a.lastDay ?? lifeDays) - 1]);
    occupied.set(a.container.id, list);
  }
  const timestamps = new TimestampCache(localMidnightSlot(startDay - 30));
  for (const c of plan.containers) {
    const occ = occupied.get(c.id);
    if (!occ) continue;
    const r = Rng.forStream(seed, `logger:${c.id}`);
    const windows: [number, number][] = [];
    for (const [a, b] of occ.sort((x, y) => x[0] - y[0])) {
      const from = Math.max(startDay - 14, a - (c.kind === 'tray' ? r.int(7, 14) : r.int(3, 8)));
      const to = b + r.int(2, 6);
      const last = windows[windows.length - 1];
      if (last && from - last[1] <= 20) last[1] = Math.max(last[1], to);
      else windows.push([from, to]);
    }
    const lp = planLogger(r, c.id, c.environment === 'sea', windows);
    loggers.push(lp);
    loggerReadings(r, lp, truthTemp.get(c.id)!, asOfAbs, readings, timestamps);
  }
  // hand-entered daily means for two long gaps in sea pens with fish
  const handRng = Rng.forStream(seed, 'hand');
  let filled = 0;
  for (const lp of loggers) {
    if (filled >= 2 || !lp.sea) continue;
    const occ = occupied.get(lp.containerId)!;
    for (const gapDays of daysFullyInGaps(lp)) {
      const inFish = gapDays.filter((d) => occ.some(([a, b]) => d >= a && d <= b) && d <= asOfAbs);
      if (inFish.length >= 6 && filled < 2) {
        handEnteredDaily(handRng, lp.containerId, inFish, truthTemp.get(lp.containerId)!, daily);
        filled++;
      }
    }
  }

  // --- assemble, truncated at the as-of date ---------------------------------------------------
  const inRange = <T extends { date: string }>(list: T[]) => list.filter((r) => r.date <= asOf);
  const assignments = sim.assignments.filter((a) => a.firstDay <= days);
  const usedContainers = new Set<string>(assignments.map((a) => a.container.id));
  for (const r of readings) usedContainers.add(r.container_id);
  const containers: ContainerDoc[] = plan.containers
    .filter((c) => usedContainers.has(c.id))
    .map((c) => ({ id: c.id, name: c.name, kind: c.kind, environment: c.environment }));

  const startCount = plan.ops.reduce((s, op) => s + (op.kind === 'place' ? op.count : 0), 0);
  const startYear = startDate.slice(0, 4);
  const r = sim.records;

  const doc: BatchDocument = {
    format: 'aquamind-site/batch@1',
    as_of: asOf,
    site: { id: 'FO-DEMO', name: 'Demo site, Faroe Islands', timezone: 'Atlantic/Faroe', weight_cv: 0.2 },
    batch: { id: `B-${startYear}-DEMO`, name: `Demo year-class ${startYear}`, species: 'Atlantic salmon', start_date: startDate },
    stages: DEMO_STAGES.map((s) => ({ ...s })),
    scenario: {
      id: 'SC-DEMO',
      name: 'Baseline plan',
      start_date: startDate,
      start_count: startCount,
      start_weight_g: 0.15,
      start_stage: 'Egg&Alevin',
      duration_days: days,
      harvest_weight_g: 5000,
      tgc_by_stage: { ...TGC_BY_STAGE },
      mortality_rate_by_stage: { ...MORTALITY_BY_STAGE },
      fcr_by_stage: { ...FCR_BY_STAGE },
      fcr_bands: FCR_BANDS.map((b) => ({ ...b })),
      temperature_profile: { points: seaProfilePoints(), freshwater_c: FRESHWATER_C },
    },
    containers,
    assignments: assignments.map((a) => ({ id: a.id, container_id: a.container.id, stage: a.stageAtStart })),
    placements: inRange(r.placements),
    transfers: inRange(r.transfers),
    removals: inRange(r.removals),
    growth_samples: inRange(r.growth_samples),
    weighings: inRange(r.weighings),
    manual_anchors: inRange(r.manual_anchors),
    mortality: inRange(r.mortality),
    feed: inRange(r.feed),
    temperature_readings: readings,
    temperature_daily: daily,
    stage_changes: inRange(r.stage_changes),
  };
  return { doc, sim, asOfDay: days, lifeDays };
}
