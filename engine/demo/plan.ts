/**
 * The life plan of the demo batch: which containers exist and what the site does on which day
 * (placements, first feeding, moves, gradings, vaccinations, culls, net changes, harvests). The
 * plan names containers, not assignments: the simulation turns a move into a container that has
 * fish into mixing, and a move into an empty container into a new assignment.
 *
 * Days are day numbers of the batch (start date = 1). Everything up to the sea phase is fixed in
 * days from the start; the harvests are placed at the end of `lifeDays`.
 */
import type { Environment, SelectionMethod } from '../document';
import { Rng } from './random';

export interface ContainerPlan {
  id: string;
  name: string;
  kind: 'tray' | 'tank' | 'pen';
  environment: Environment;
}

export type Op =
  | { kind: 'place'; day: number; container: string; count: number; weightG: number }
  | { kind: 'stage'; day: number; container: string; stage: string }
  | {
      kind: 'move';
      day: number;
      from: string;
      to: string;
      /** Fraction of the source's fish before the day's first move out, or everything left. */
      share: number | 'rest';
      sel: SelectionMethod;
      measured: boolean;
      destStage?: string;
      /** Fraction of the moved fish that die on the way (mortality_in_transfer). */
      transitLoss?: number;
      /** Expect the destination to hold fish already (mixing) or to be empty. */
      mixing: boolean;
    }
  | { kind: 'cull'; day: number; container: string; share: number }
  | { kind: 'vaccinate'; day: number; container: string }
  | { kind: 'manual'; day: number; container: string; note: string }
  | { kind: 'event'; day: number; container: string; days: number; factor: number; cause: string; shock?: number }
  /** Choose the next sea pen to harvest (the heaviest left) and schedule its harvest day(s). */
  | { kind: 'harvestSelect'; day: number; harvestDay: number; parts: number }
  | { kind: 'harvest'; day: number; container: string; share: number | 'rest' };

export interface LifePlan {
  containers: ContainerPlan[];
  ops: Op[];
  /** Day of first feeding for containers without an explicit stage change (duration + 1). */
  firstFeedingDay: number;
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

export const EGG_DAYS = 80;

export function buildPlan(rng: Rng, lifeDays: number): LifePlan {
  const containers: ContainerPlan[] = [];
  const add = (prefix: string, n: number, name: string, kind: ContainerPlan['kind'], environment: Environment) => {
    for (let i = 1; i <= n; i++) containers.push({ id: `${prefix}-${pad(i)}`, name: `${name} ${i}`, kind, environment });
  };
  add('HT', 10, 'Hatchery tray', 'tray', 'freshwater');
  add('FT', 6, 'Fry tank', 'tank', 'freshwater');
  add('PT', 10, 'Parr tank', 'tank', 'freshwater');
  add('ST', 12, 'Smolt tank', 'tank', 'freshwater');
  add('SP', 16, 'Sea pen', 'pen', 'sea');

  const ops: Op[] = [];
  const HT = (i: number) => `HT-${pad(i)}`;
  const FT = (i: number) => `FT-${pad(i)}`;
  const PT = (i: number) => `PT-${pad(i)}`;
  const ST = (i: number) => `ST-${pad(i)}`;
  const SP = (i: number) => `SP-${pad(i)}`;
  const move = (
    day: number, from: string, to: string, share: number | 'rest', sel: SelectionMethod,
    extra: { measured?: boolean; destStage?: string; transitLoss?: number; mixing?: boolean } = {},
  ) => {
    ops.push({
      kind: 'move', day, from, to, share, sel, measured: extra.measured ?? true, destStage: extra.destStage,
      transitLoss: extra.transitLoss, mixing: extra.mixing ?? false,
    });
  };

  // --- Hatchery: eggs arrive in lots over the first three days (winter) --------------------
  for (let i = 1; i <= 10; i++) {
    const day = i <= 4 ? 1 : i <= 7 ? 2 : 3;
    ops.push({
      kind: 'place', day, container: HT(i),
      count: Math.round(rng.uniform(45000, 55000) / 100) * 100,
      weightG: Math.round(rng.uniform(0.13, 0.17) * 1000) / 1000,
    });
  }
  // First feeding: an explicit stage change on half the trays a few days early; the others
  // follow the stage's duration (the state of day 81 is the first Fry day).
  const trays = rng.shuffle([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  for (const i of trays.slice(0, 5).sort((a, b) => a - b)) {
    ops.push({ kind: 'stage', day: rng.int(EGG_DAYS - 4, EGG_DAYS - 1), container: HT(i), stage: 'Fry' });
  }

  // --- Trays → fry tanks (~1 g): pairs of trays share a tank, the second one mixes in --------
  const trayGroups = [[1, 2], [3, 4], [5], [6, 7], [8], [9, 10]];
  trayGroups.forEach((g, k) => {
    const d0 = 94 + k + rng.int(0, 1);
    move(d0, HT(g[0] as number), FT(k + 1), 'rest', 'AVERAGE');
    if (g.length > 1) move(d0 + rng.int(1, 2), HT(g[1] as number), FT(k + 1), 'rest', 'AVERAGE', { mixing: true });
  });

  // --- Fry tanks → parr tanks (~10 g), with grading ---------------------------------------
  let d = 142;
  const grade = (src: string, big: string, small: string, p: number, restSel: SelectionMethod) => {
    move(d, src, big, p, 'LARGEST', { destStage: 'Parr' });
    move(d, src, small, 'rest', restSel, { destStage: 'Parr' });
    d += rng.int(1, 2);
  };
  grade(FT(1), PT(1), PT(2), round2(rng.uniform(0.4, 0.5)), 'SMALLEST');
  grade(FT(2), PT(3), PT(4), 0.5, 'AVERAGE');
  grade(FT(3), PT(10), PT(5), round2(rng.uniform(0.25, 0.35)), 'AVERAGE');
  grade(FT(4), PT(6), PT(7), round2(rng.uniform(0.35, 0.45)), 'SMALLEST');
  move(d, FT(5), PT(5), 'rest', 'AVERAGE', { destStage: 'Parr', mixing: true });
  d += 1;
  grade(FT(6), PT(8), PT(9), round2(rng.uniform(0.3, 0.4)), 'SMALLEST');

  // --- Parr tanks → smolt tanks (~35 g) -------------------------------------------------------
  d = 180;
  const fill = (src: string, dst: string, mixing = false) => {
    move(d, src, dst, 'rest', 'AVERAGE', { mixing });
    d += rng.int(0, 1);
  };
  fill(PT(1), ST(1));
  fill(PT(2), ST(2));
  fill(PT(3), ST(3));
  fill(PT(4), ST(4));
  d += 1;
  move(d, PT(5), ST(5), 0.5, 'LARGEST');
  move(d, PT(5), ST(6), 'rest', 'SMALLEST');
  d += 1;
  fill(PT(6), ST(7));
  fill(PT(7), ST(4), true);
  fill(PT(8), ST(8));
  d += 1;
  move(d, PT(9), ST(9), round2(rng.uniform(0.45, 0.55)), 'LARGEST');
  move(d, PT(9), ST(12), 'rest', 'AVERAGE');
  d += 1;
  fill(PT(10), ST(10));
  // vaccination about a week after each smolt tank is filled (fish 35–55 g)
  const stFill: Record<string, number> = {};
  for (const op of ops) if (op.kind === 'move' && op.to.startsWith('ST-') && !(op.to in stFill)) stFill[op.to] = op.day;
  for (const [tank, day] of Object.entries(stFill).sort()) {
    ops.push({ kind: 'vaccinate', day: day + rng.int(6, 12), container: tank });
  }
  // the smallest fish of two tanks are graded out into a runt tank
  move(214, ST(3), ST(11), round2(rng.uniform(0.1, 0.15)), 'SMALLEST');
  move(215, ST(8), ST(11), round2(rng.uniform(0.1, 0.15)), 'SMALLEST', { mixing: true });
  ops.push({ kind: 'cull', day: 222, container: ST(5), share: 0.004 });
  ops.push({ kind: 'cull', day: 224, container: ST(9), share: 0.006 });

  // --- Sea transfer by well boat (~150–230 g): one tank a day, dest stage Post-Smolt --------
  d = 246;
  const sea = (src: string, dst: string, mixing = false) => {
    move(d, src, dst, 'rest', 'AVERAGE', {
      destStage: 'Post-Smolt', transitLoss: round4(rng.uniform(0.001, 0.004)), mixing,
    });
    d += rng.int(1, 2);
  };
  sea(ST(1), SP(1));
  sea(ST(2), SP(1), true);
  sea(ST(3), SP(2));
  sea(ST(4), SP(3));
  sea(ST(5), SP(3), true);
  sea(ST(6), SP(4));
  sea(ST(7), SP(5));
  sea(ST(8), SP(5), true);
  sea(ST(9), SP(6));
  sea(ST(10), SP(6), true);
  sea(ST(12), SP(4), true);
  sea(ST(11), SP(2), true);

  // --- Sea: net changes (the whole pen moves to a clean net), thinning, net changes again ---
  move(335 + rng.int(0, 5), SP(1), SP(7), 'rest', 'AVERAGE');
  move(352 + rng.int(0, 5), SP(3), SP(8), 'rest', 'AVERAGE', { measured: false });
  move(370 + rng.int(0, 5), SP(5), SP(9), 'rest', 'AVERAGE', { measured: false });

  // winter ulcer in a few pens (February)
  ops.push({ kind: 'event', day: 432, container: SP(2), days: 21, factor: 5, cause: 'WINTER_ULCER' });
  ops.push({ kind: 'event', day: 436, container: SP(4), days: 18, factor: 4, cause: 'WINTER_ULCER' });
  ops.push({ kind: 'event', day: 440, container: SP(8), days: 14, factor: 3, cause: 'WINTER_ULCER' });

  d = 396;
  move(d, SP(7), SP(1), round2(rng.uniform(0.42, 0.5)), 'AVERAGE');
  d += rng.int(2, 4);
  move(d, SP(2), SP(10), round2(rng.uniform(0.35, 0.45)), 'LARGEST');
  d += rng.int(2, 4);
  move(d, SP(8), SP(3), round2(rng.uniform(0.42, 0.5)), 'AVERAGE');
  d += rng.int(2, 4);
  move(d, SP(4), SP(11), round2(rng.uniform(0.4, 0.5)), 'LARGEST');
  d += rng.int(2, 4);
  move(d, SP(9), SP(5), round2(rng.uniform(0.42, 0.5)), 'AVERAGE');
  d += rng.int(2, 4);
  move(d, SP(6), SP(12), round2(rng.uniform(0.42, 0.5)), 'AVERAGE');

  ops.push({ kind: 'cull', day: 488, container: SP(2), share: 0.003 });
  ops.push({ kind: 'cull', day: 491, container: SP(4), share: 0.002 });

  d = 530;
  const net = (src: string, dst: string, measured: boolean) => {
    move(d, src, dst, 'rest', 'AVERAGE', { measured });
    d += rng.int(8, 14);
  };
  net(SP(2), SP(13), true);
  net(SP(4), SP(14), false);
  net(SP(6), SP(15), true);
  net(SP(10), SP(16), false);
  net(SP(11), SP(2), true);
  net(SP(12), SP(4), false);
  net(SP(9), SP(6), true);

  ops.push({ kind: 'manual', day: 600 + rng.int(0, 10), container: SP(3), note: 'Biomass camera estimate, 7-day average' });
  ops.push({ kind: 'manual', day: 640 + rng.int(0, 10), container: SP(13), note: 'Biomass camera estimate after net change' });
  // jellyfish bloom in one pen in late summer: a bad day, then elevated losses
  ops.push({ kind: 'event', day: 655, container: SP(5), days: 10, factor: 3, cause: 'JELLYFISH', shock: 0.012 });

  // --- Harvest: twelve pens one after another, ending just before the last day -------------
  const pens = 12;
  const first = lifeDays - 196;
  const last = lifeDays - 8;
  for (let k = 0; k < pens; k++) {
    const h = Math.round(first + ((last - first) * k) / (pens - 1)) - (k < pens - 1 ? rng.int(0, 3) : 0);
    const parts = rng.chance(0.2) ? 2 : 1;
    ops.push({ kind: 'harvestSelect', day: h - 5, harvestDay: h, parts });
  }

  return { containers, ops, firstFeedingDay: EGG_DAYS + 1 };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
