/** Turns an Analysis into what the charts draw: points, markers and per-date lookups for the tooltip. */
import type { SampleDto, StateDto } from '../../backend/api/contract';
import type { AnchorRow, AnchorType, Outputs } from '../api/outputs';
import { addDays, dateMs } from '../format';
import type { Pt } from './paths';
import type { AnalysisView, Drill } from '../store';

export const ANCHOR_TYPES: AnchorType[] = ['growth_sample', 'transfer', 'weighing', 'manual', 'harvest'];
export const ANCHOR_LABEL: Record<AnchorType, string> = {
  growth_sample: 'growth sample', transfer: 'transfer weighing', weighing: 'weighing (treatment)', manual: 'manual weight', harvest: 'harvest weight',
};

export interface ContainerLine { assignmentId: string; containerId: string; pts: Pt[] }
export interface SamplePoint { x: number; mean: number; lo: number; hi: number; s: SampleDto }

export interface ChartData {
  startDate: string;
  actual: Pt[];
  scenario: Pt[];
  forecast: Pt[];
  containers: ContainerLine[];
  samples: SamplePoint[];
  anchors: Record<AnchorType, Pt[]>;
  xMin: number;
  xMax: number;
  /** Per-date lookups for the tooltip. */
  actualBy: Map<string, number>;
  scenarioBy: Map<string, number>;
  forecastBy: Map<string, number>;
  samplesBy: Map<string, SampleDto[]>;
  anchorsBy: Map<string, AnchorRow[]>;
  statesBy: Map<string, StateDto[]>;
  weekly: boolean;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V) { const a = m.get(k); if (a) a.push(v); else m.set(k, [v]); }

export function chartData(a: AnalysisView, o: Outputs, drill: Drill): ChartData {
  const single = drill !== 'batch' && drill !== 'all' ? drill : null;
  const actual: Pt[] = [];
  const actualBy = new Map<string, number>();
  const weekly = a.actual.granularity === 'weekly';
  if (single) {
    const s = a.assignments.find((x) => x.assignment_id === single);
    for (const st of s?.states ?? []) {
      if (st.population <= 0) continue;
      actual.push([dateMs(st.date), st.avg_weight_g]);
      actualBy.set(st.date, st.avg_weight_g);
    }
  } else if (a.actual.granularity === 'daily') {
    for (const r of a.actual.rows) if (r.avg_weight_g !== null) { actual.push([dateMs(r.date), r.avg_weight_g]); actualBy.set(r.date, r.avg_weight_g); }
  } else {
    for (const r of a.actual.rows) {
      if (r.avg_weight_g === null) continue;
      actual.push([dateMs(addDays(r.week_start, 3)), r.avg_weight_g]);
      for (let i = 0; i < 7; i++) actualBy.set(addDays(r.week_start, i), r.avg_weight_g);
    }
  }
  const scenario: Pt[] = o.scenario.map((r) => [dateMs(r.date), r.avg_weight_g]);
  const scenarioBy = new Map(o.scenario.map((r) => [r.date, r.avg_weight_g] as const));
  const fSeries = single ? o.forecast?.assignments.find((f) => f.assignment_id === single) : o.forecast?.batch;
  const forecast: Pt[] = [];
  const forecastBy = new Map<string, number>();
  if (fSeries && fSeries.states.length) {
    const last = actual[actual.length - 1];
    if (last) forecast.push(last);
    for (const r of fSeries.states) { forecast.push([dateMs(r.date), r.avg_weight_g]); forecastBy.set(r.date, r.avg_weight_g); }
  }
  const containers: ContainerLine[] = drill === 'all' ? a.assignments.map(containerLine) : [];
  const samples: SamplePoint[] = [];
  const samplesBy = new Map<string, SampleDto[]>();
  for (const s of a.samples) {
    if (single && s.assignment_id !== single) continue;
    push(samplesBy, s.date, s);
    if (s.avg_weight_g === null) continue;
    const sd = s.std_dev_g ?? 0;
    samples.push({ x: dateMs(s.date), mean: s.avg_weight_g, lo: Math.max(s.avg_weight_g - sd, s.avg_weight_g * 0.05), hi: s.avg_weight_g + sd, s });
  }
  const anchors = Object.fromEntries(ANCHOR_TYPES.map((t) => [t, [] as Pt[]])) as Record<AnchorType, Pt[]>;
  const anchorsBy = new Map<string, AnchorRow[]>();
  for (const r of o.anchors) {
    if (single && r.assignment_id !== single) continue;
    anchors[r.type]?.push([dateMs(r.date), r.measured_g]);
    push(anchorsBy, r.date, r);
  }
  const statesBy = statesByDate(a.assignments, single);
  const xs = [actual, scenario, forecast].flatMap((p) => (p.length ? [p[0]![0], p[p.length - 1]![0]] : []));
  return {
    startDate: a.batch.start_date, actual, scenario, forecast, containers, samples, anchors,
    xMin: Math.min(dateMs(a.batch.start_date), ...xs), xMax: Math.max(dateMs(a.batch.start_date) + 86_400_000, ...xs),
    actualBy, scenarioBy, forecastBy, samplesBy, anchorsBy, statesBy, weekly,
  };
}

/*
 * Per-container lines and the per-date index are kept with the assignment list they come from: a
 * reload of the batch line after an edit keeps the list (store.ts), so they are not rebuilt, and
 * the chart finds the same line objects (and their drawn paths, GrowthChart.tsx) again.
 */
const LINES = new WeakMap<AnalysisView['assignments'][number], ContainerLine>();
function containerLine(s: AnalysisView['assignments'][number]): ContainerLine {
  let l = LINES.get(s);
  if (!l) {
    l = { assignmentId: s.assignment_id, containerId: s.container_id, pts: s.states.filter((st) => st.population > 0).map((st) => [dateMs(st.date), st.avg_weight_g] as Pt) };
    LINES.set(s, l);
  }
  return l;
}
const BY_DATE = new WeakMap<AnalysisView['assignments'], Map<string | null, Map<string, StateDto[]>>>();
function statesByDate(list: AnalysisView['assignments'], single: string | null): Map<string, StateDto[]> {
  let m = BY_DATE.get(list);
  if (!m) BY_DATE.set(list, (m = new Map()));
  let out = m.get(single);
  if (!out) {
    out = new Map();
    for (const s of list) {
      if (single && s.assignment_id !== single) continue;
      for (const st of s.states) if (st.population > 0) push(out, st.date, st);
    }
    m.set(single, out);
  }
  return out;
}

/** Provenance of one day: per source, the prevailing kind and the biomass-weighted confidence. */
export function provenance(states: StateDto[] | undefined): { source: 'weight' | 'temp' | 'mortality' | 'feed'; kind: string; confidence: number }[] {
  if (!states || states.length === 0) return [];
  const total = states.reduce((s, x) => s + Math.max(x.biomass_kg, 1e-9), 0);
  return (['weight', 'temp', 'mortality', 'feed'] as const).map((source) => {
    const byKind = new Map<string, number>();
    let conf = 0;
    for (const st of states) {
      const w = Math.max(st.biomass_kg, 1e-9);
      byKind.set(st.sources[source], (byKind.get(st.sources[source]) ?? 0) + w);
      conf += st.confidence[source] * w;
    }
    const kind = [...byKind.entries()].sort((p, q) => q[1] - p[1]).map(([k, w]) => (byKind.size > 1 ? `${k}\u00a0${Math.round((w / total) * 100)}\u00a0%` : k) /* never break inside "inflow 6 %" */).join(', ');
    return { source, kind, confidence: conf / total };
  });
}
