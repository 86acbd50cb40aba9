/** The app's state (zustand): site data from the backend, the route, and the chart's view settings. */
import { create } from 'zustand';
import type {
  Analysis, Args, BatchSummary, ContainerWithState, Method, Result, Ret, ScenarioDto, SiteDto, StageDto, StateDto,
} from '../backend/api/contract';
import { statesOfColumns } from './api/columns';
import type { Client } from './api/client';
import type { ConnectionState } from './api/transport';
import { outputsOf, type Outputs } from './api/outputs';
import { perfMark } from './perf';

export type Route =
  | { screen: 'overview' }
  | { screen: 'batch'; batchId: string }
  | { screen: 'entry'; batchId: string | null }
  | { screen: 'import' }
  | { screen: 'sync' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'batch' && parts[1]) return { screen: 'batch', batchId: parts[1] };
  if (parts[0] === 'entry') return { screen: 'entry', batchId: parts[1] ?? null };
  if (parts[0] === 'import') return { screen: 'import' };
  if (parts[0] === 'sync') return { screen: 'sync' };
  return { screen: 'overview' };
}
export function routeHash(r: Route): string {
  switch (r.screen) {
    case 'batch': return `#/batch/${encodeURIComponent(r.batchId)}`;
    case 'entry': return r.batchId ? `#/entry/${encodeURIComponent(r.batchId)}` : '#/entry';
    case 'import': return '#/import';
    case 'sync': return '#/sync';
    default: return '#/';
  }
}

export type SeriesKey = 'samples' | 'scenario' | 'actual' | 'forecast' | 'anchors';
/** 'batch': the batch line; 'all': every container as a line; otherwise one assignment alone. */
export type Drill = 'batch' | 'all' | string;

/** An Analysis with each assignment's states as objects (they travel column by column). */
export type AnalysisView = Omit<Analysis, 'assignments'> & { assignments: { assignment_id: string; container_id: string; states: StateDto[] }[] };

export interface BatchView {
  analysis: AnalysisView;
  outputs: Outputs;
  /** Per-assignment states arrive in a second, larger call. */
  withAssignments: boolean;
  loadedAt: number;
}

export interface AppState {
  client: Client | null;
  connection: ConnectionState;
  online: boolean;
  route: Route;
  site: SiteDto | null;
  stages: StageDto[];
  containers: ContainerWithState[];
  scenarios: ScenarioDto[];
  batches: BatchSummary[];
  lastFresh: string | null;
  loadError: string | null;
  views: Record<string, BatchView>;
  series: Record<SeriesKey, boolean>;
  granularity: 'daily' | 'weekly';
  logScale: boolean;
  drill: Drill;
  /** The date range shown (brush); null: everything. */
  range: [string, string] | null;
  /** Measures for the benchmark: when the last save went out, and when its new Actual was drawn. */
  lastSaveAt: number;
  lastSaveDrawnAt: number;
}

export const useApp = create<AppState>(() => ({
  client: null, connection: 'connecting', online: typeof navigator === 'undefined' ? true : navigator.onLine,
  route: parseRoute(typeof location === 'undefined' ? '' : location.hash),
  site: null, stages: [], containers: [], scenarios: [], batches: [], lastFresh: null, loadError: null,
  views: {}, series: { samples: true, scenario: true, actual: true, forecast: true, anchors: true },
  granularity: 'daily', logScale: true, drill: 'batch', range: null, lastSaveAt: 0, lastSaveDrawnAt: 0,
}));

export function navigate(r: Route): void {
  const h = routeHash(r);
  if (location.hash !== h) location.hash = h;
  useApp.setState({ route: r });
}

/** Calls the backend; an error Result comes back as data for the caller to show. */
export async function call<K extends Method>(method: K, args: Args<K>): Promise<Result<Ret<K>>> {
  const c = useApp.getState().client;
  if (!c) return { ok: false, error: { code: 'internal', message: 'not connected' } };
  return c.send(method, args);
}

async function must<K extends Method>(method: K, args: Args<K>): Promise<Ret<K>> {
  const r = await call(method, args);
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
  return r.value;
}

export async function loadSite(): Promise<void> {
  try {
    const [site, stages, containers, scenarios, batches] = await Promise.all([
      must('site.get', {}), must('stages.get', {}), must('container.list', {}), must('scenario.list', {}), must('batch.list', {}),
    ]);
    useApp.setState({ site, stages, containers, scenarios, batches, loadError: null });
  } catch (e) {
    useApp.setState({ loadError: (e as Error).message });
  }
}

export async function refreshBatches(): Promise<void> {
  const [batches, containers] = await Promise.all([call('batch.list', {}), call('container.list', {})]);
  useApp.setState({
    ...(batches.ok ? { batches: batches.value } : {}), ...(containers.ok ? { containers: containers.value } : {}),
  });
}

const loading = new Map<string, Promise<void>>();
const queued = new Map<string, Promise<void>>();

/**
 * Loads a batch's analysis: first the batch line alone (small: no per-container states, span FCR
 * rows only, no per-assignment forecasts), then the per-container parts alone (states column by
 * column, per-assignment forecasts), merged into the view. A call while the same load runs is
 * queued behind it, so what it returns was read after the call.
 */
export function loadAnalysis(batchId: string, opts: { assignments?: boolean } = {}): Promise<void> {
  const key = `${batchId}:${opts.assignments ? 'a' : 'b'}`;
  const running = loading.get(key);
  if (running) {
    let q = queued.get(key);
    if (!q) { q = running.then(() => { queued.delete(key); return loadAnalysis(batchId, opts); }); queued.set(key, q); }
    return q;
  }
  const p = (async () => {
    const { granularity } = useApp.getState();
    const tag = opts.assignments ? 'a' : 'b';
    // the per-container parts alone when the batch's own are on screen already
    const partsOnly = !!opts.assignments && !!useApp.getState().views[batchId];
    perfMark(`analysis-requested:${tag}`);
    const r = await call('analysis.get', opts.assignments
      ? { batch_id: batchId, granularity, assignments: true, ...(partsOnly ? { only_assignments: true, fcr_windows: [] } : { fcr_windows: ['span'] }) }
      : { batch_id: batchId, granularity, assignments: false, fcr_windows: ['span'], forecast_assignments: false });
    perfMark(`analysis-received:${tag}`);
    if (!r.ok) { useApp.setState({ loadError: r.error.message }); return; }
    const prev = useApp.getState().views[batchId];
    let analysis: AnalysisView;
    if (opts.assignments) {
      const assignments = r.value.assignments.map((x) => ({ assignment_id: x.assignment_id, container_id: x.container_id, states: statesOfColumns(x.columns) }));
      analysis = partsOnly && prev
        ? { ...prev.analysis, assignments, forecast: withAssignmentForecasts(prev.analysis.forecast, r.value.forecast) }
        : { ...r.value, assignments };
    } else {
      // keep the per-container parts (states, forecasts) while only the batch line was refreshed
      analysis = prev?.withAssignments
        ? { ...r.value, assignments: prev.analysis.assignments, forecast: withAssignmentForecasts(r.value.forecast, prev.analysis.forecast) }
        : { ...r.value, assignments: [] };
    }
    const view: BatchView = { analysis, outputs: outputsOf(analysis), withAssignments: !!opts.assignments || !!prev?.withAssignments, loadedAt: performance.now() };
    useApp.setState((s) => ({ views: { ...s.views, [batchId]: view } }));
  })().finally(() => loading.delete(key));
  loading.set(key, p);
  return p;
}

/** The batch forecast of `batch` with the per-assignment forecasts of `from`. */
function withAssignmentForecasts(batch: unknown, from: unknown): unknown {
  const f = batch as { assignments?: unknown[] } | null;
  const pf = from as { assignments?: unknown[] } | null;
  return f && typeof f === 'object' ? { ...f, assignments: pf?.assignments ?? [] } : batch;
}

export async function reloadBatchView(batchId: string): Promise<void> {
  await loadAnalysis(batchId);
  if (useApp.getState().views[batchId]?.withAssignments) await loadAnalysis(batchId, { assignments: true });
}

export function connect(client: Client): void {
  useApp.setState({ client, connection: client.connection });
  client.onConnection((connection) => {
    useApp.setState({ connection });
    if (connection === 'open') void loadSite();
  });
  let batchTimer: ReturnType<typeof setTimeout> | null = null;
  client.subscribe('states.fresh', (e) => {
    perfMark('states-fresh');
    useApp.setState({ lastFresh: new Date().toISOString() });
    const { views } = useApp.getState();
    if (views[e.batch_id]) void reloadBatchView(e.batch_id);
    if (batchTimer) clearTimeout(batchTimer);
    batchTimer = setTimeout(() => void refreshBatches(), 150);
  });
  client.subscribe('data.changed', (e) => {
    if (['scenario', 'batch', 'container', 'assignment', 'site'].includes(e.entity_type)) {
      void loadSite();
      for (const b of e.batch_ids) if (useApp.getState().views[b]) void reloadBatchView(b);
    }
  });
  if (typeof window !== 'undefined') {
    window.addEventListener('online', () => useApp.setState({ online: true }));
    window.addEventListener('offline', () => useApp.setState({ online: false }));
    window.addEventListener('hashchange', () => useApp.setState({ route: parseRoute(location.hash) }));
  }
  if (client.connection === 'open') void loadSite();
}
