/** Batch Growth Analysis: the chart, its controls, callouts, panels, and data entry beside it. */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { StateDto } from '../../backend/api/contract';
import { chartData, type ChartData } from '../chart/data';
import { COLORS, GrowthChart, RangeBrush } from '../chart/GrowthChart';
import { SmallChart, type PanelSeries } from '../chart/SmallChart';
import { useWidth } from '../chart/useWidth';
import { DateField } from '../DateField';
import { dateMs, msDate, fmtDate, fmtInt, fmtMass, fmtWeight, trim, varianceText } from '../format';
import { call, loadAnalysis, navigate, reloadBatchView, useApp, type BatchView, type SeriesKey } from '../store';
import { Confidence } from './SiteOverview';
import { EntryPanel } from './DataEntry';
import { markNextFrame } from '../perf';

const SERIES: { key: SeriesKey; label: string }[] = [
  { key: 'samples', label: 'Samples ± SD' }, { key: 'scenario', label: 'Scenario' }, { key: 'actual', label: 'Actual' },
  { key: 'forecast', label: 'Forecast' }, { key: 'anchors', label: 'Anchors' },
];

export function GrowthAnalysis({ batchId }: { batchId: string }) {
  const view = useApp((s) => s.views[batchId]);
  const granularity = useApp((s) => s.granularity);
  const drill = useApp((s) => s.drill);
  const site = useApp((s) => s.site);
  useEffect(() => { void loadAnalysis(batchId).then(() => loadAnalysis(batchId, { assignments: true })); }, [batchId]);
  // a change of granularity reloads; opening the batch does not (the effect above loads it)
  const shownGranularity = useRef(granularity);
  useEffect(() => {
    if (shownGranularity.current === granularity) return;
    shownGranularity.current = granularity;
    if (view) void reloadBatchView(batchId);
  }, [granularity]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => { useApp.setState({ range: null }); }, [batchId]);
  if (!site || !view) return <p className="loading">Loading the Growth Analysis…</p>;
  return (
    <div className="batch-screen">
      <div className="batch-main">
        <BatchHeader view={view} />
        <ChartArea view={view} drill={drill} />
      </div>
      <aside className="batch-side">
        <EntryPanel batchId={batchId} compact />
      </aside>
    </div>
  );
}

function BatchHeader({ view }: { view: BatchView }) {
  const a = view.analysis;
  const summary = useApp((s) => s.batches.find((b) => b.id === a.batch.id));
  const scenarios = useApp((s) => s.scenarios);
  const site = useApp((s) => s.site)!;
  const pinned = scenarios.find((s) => s.id === a.batch.scenario_id);
  const [choice, setChoice] = useState<string>(a.batch.scenario_id ?? '');
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => setChoice(a.batch.scenario_id ?? ''), [a.batch.scenario_id]);
  const lastVar = view.outputs.variance[view.outputs.variance.length - 1];
  const harvestG = pinned?.harvest_weight_g ?? site.default_harvest_weight_g;
  const eta = a.eta.harvest;
  const k = summary?.kpi;
  const pin = async () => {
    const r = await call('batch.pinScenario', { id: a.batch.id, scenario_id: choice || null, reason: 'pinned from Growth Analysis' });
    setMsg(r.ok ? 'Scenario pinned; recomputing…' : r.error.message);
  };
  return (
    <header className="batch-head">
      <div>
        <button type="button" className="link" onClick={() => navigate({ screen: 'overview' })}>← Batches</button>
        <h1>{a.batch.name}</h1>
        <div className="muted">
          {k?.stage ?? '—'} · day {k?.age_days ?? '—'} · {fmtWeight(k?.avg_weight_g)} · {fmtInt(k?.population)} fish · {fmtMass(k?.biomass_kg)} · as of {fmtDate(a.as_of)}
          {a.stale && <span className="pill warn"> recomputing…</span>}
        </div>
      </div>
      <div className="callouts" data-testid="callouts">
        <div className={`callout ${lastVar && lastVar.diff_pct < -2 ? 'bad' : lastVar && lastVar.diff_pct > 2 ? 'good' : ''}`}>
          <div className="big">{lastVar ? varianceText(lastVar.diff_pct, lastVar.days_ahead) : 'no scenario to compare'}</div>
          <div className="muted small">{lastVar ? `${fmtWeight(lastVar.actual_g)} vs plan ${fmtWeight(lastVar.scenario_g)} on ${fmtDate(lastVar.date)}` : ''}</div>
        </div>
        <div className="callout">
          <div className="big">{eta ? `${fmtWeight(harvestG)} reached ≈ ${fmtDate(eta)}` : 'harvest not reached in the forecast'}</div>
          <div className="muted small">confidence <Confidence c={k?.confidence ?? null} /></div>
        </div>
        <div className="scenario-pick">
          <label>Scenario
            <select value={choice} onChange={(e) => setChoice(e.target.value)} data-testid="scenario-select">
              <option value="">Site baseline</option>
              {scenarios.filter((s) => !s.voided).map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
            </select>
          </label>
          <button type="button" onClick={() => void pin()} disabled={choice === (a.batch.scenario_id ?? '')}>Pin</button>
          {msg && <div className="small muted">{msg}</div>}
        </div>
      </div>
      {a.errors.length > 0 && <div className="banner error small">{a.errors.length} input error(s): {a.errors.slice(0, 2).map((e) => e.message).join('; ')}</div>}
    </header>
  );
}

function ChartArea({ view, drill }: { view: BatchView; drill: string }) {
  const series = useApp((s) => s.series);
  const logScale = useApp((s) => s.logScale);
  const granularity = useApp((s) => s.granularity);
  const range = useApp((s) => s.range);
  const containers = useApp((s) => s.containers);
  const site = useApp((s) => s.site)!;
  const [ref, width] = useWidth<HTMLDivElement>(900, 'growth-analysis');
  const [resetKey, setResetKey] = useState(0);
  const names = useMemo(() => new Map(containers.map((c) => [c.id, c.name])), [containers]);
  const containerName = useCallback((id: string) => names.get(id) ?? id, [names]);
  const data = useMemo(() => chartData(view.analysis, view.outputs, drill), [view, drill]);
  // the brush shows the batch lines: the same as drawn unless one container is chosen
  const full = useMemo(() => (drill === 'batch' || drill === 'all' ? data : chartData(view.analysis, view.outputs, 'batch')), [view, drill, data]);
  useLayoutEffect(() => {
    // for the benchmark: the Actual line that a save produced is committed; the next frame shows it
    const s = useApp.getState();
    if (s.lastSaveAt > s.lastSaveDrawnAt && view.loadedAt > s.lastSaveAt) {
      const at = s.lastSaveAt;
      markNextFrame('save-drawn', (t) => { const n = useApp.getState(); if (n.lastSaveAt === at && n.lastSaveDrawnAt < at) useApp.setState({ lastSaveDrawnAt: t }); });
    }
  }, [view]);
  const setRange = (r: [string, string] | null, fromBrush = false) => { useApp.setState({ range: r }); if (!fromBrush) setResetKey((k) => k + 1); };
  // One container alone: zoom to its own weeks (a pen stocked last week is a few pixels on a
  // two-year axis); back to the batch: the range it had, unless the user has moved it since.
  const zoomedFor = useRef<{ range: [string, string] | null; set: [string, string] } | null>(null);
  const chooseDrill = (v: string) => {
    useApp.setState({ drill: v });
    const one = view.analysis.assignments.find((x) => x.assignment_id === v);
    const cur = useApp.getState().range;
    if (one && one.states.length > 0) {
      const first = one.states[0]!.date, last = one.states[one.states.length - 1]!.date;
      const end = msDate(Math.max(dateMs(last) + 21 * 86_400_000, dateMs(first) + 60 * 86_400_000));
      const before = zoomedFor.current && cur === zoomedFor.current.set ? zoomedFor.current.range : cur;
      const set: [string, string] = [msDate(dateMs(first) - 7 * 86_400_000), end];
      zoomedFor.current = { range: before, set };
      setRange(set);
    } else if (zoomedFor.current) {
      if (cur === zoomedFor.current.set) setRange(zoomedFor.current.range);
      zoomedFor.current = null;
    }
  };
  const x0 = range ? dateMs(range[0]) : data.xMin;
  const x1 = range ? dateMs(range[1]) : data.xMax;
  const assignments = view.analysis.assignments;
  return (
    <div className="chart-area" ref={ref}>
      <div className="toolbar" role="toolbar" aria-label="Chart settings">
        <div className="toggles">
          {SERIES.map((s) => (
            <label key={s.key} className={`toggle ${series[s.key] ? 'on' : ''}`}>
              <input type="checkbox" checked={series[s.key]} data-testid={`toggle-${s.key}`}
                onChange={(e) => useApp.setState({ series: { ...series, [s.key]: e.target.checked } })} />
              <i className={`sw ${s.key}`} />{s.label}
            </label>
          ))}
        </div>
        <label>Actual
          <select value={granularity} onChange={(e) => useApp.setState({ granularity: e.target.value as 'daily' | 'weekly' })} data-testid="granularity">
            <option value="daily">daily</option><option value="weekly">weekly</option>
          </select>
        </label>
        <label>Scale
          <select value={logScale ? 'log' : 'linear'} onChange={(e) => useApp.setState({ logScale: e.target.value === 'log' })}>
            <option value="log">log</option><option value="linear">linear</option>
          </select>
        </label>
        <label>Containers
          <select value={drill} onChange={(e) => chooseDrill(e.target.value)} data-testid="drill">
            <option value="batch">Batch average</option>
            <option value="all" disabled={!view.withAssignments}>All containers ({assignments.length})</option>
            {assignments.map((s) => <option key={s.assignment_id} value={s.assignment_id}>{containerName(s.container_id)} ({s.assignment_id})</option>)}
          </select>
        </label>
        <span className="range">
          <DateField label="From" testId="range-from" value={range?.[0] ?? msDate(data.xMin)} today={site.today}
            onChange={(v) => /^\d{4}-\d\d-\d\d$/.test(v) && setRange([v, range?.[1] ?? msDate(data.xMax)])} />
          –
          <DateField label="To" testId="range-to" value={range?.[1] ?? msDate(data.xMax)} today={site.today}
            onChange={(v) => /^\d{4}-\d\d-\d\d$/.test(v) && setRange([range?.[0] ?? msDate(data.xMin), v])} />
          <button type="button" onClick={() => setRange(null)} disabled={!range}>All dates</button>
        </span>
      </div>
      <GrowthChart data={data} width={width} height={380} series={series} logScale={logScale} range={range} containerName={containerName} />
      <RangeBrush data={full} width={width} onRange={(r) => setRange(r, true)} resetKey={resetKey} />
      <Legend drill={drill} containerName={containerName} data={data} />
      <Panels view={view} data={data} width={width} x0={x0} x1={x1} drill={drill} />
    </div>
  );
}

function Legend({ drill, data, containerName }: { drill: string; data: ChartData; containerName: (id: string) => string }) {
  return (
    <div className="legend-row small">
      <span><i className="sw actual" />Actual (assimilated{drill !== 'batch' && drill !== 'all' ? `, ${containerName(data.containers[0]?.containerId ?? '') || 'one container'}` : ''})</span>
      <span><i className="sw forecast" />Forecast to harvest</span>
      <span><i className="sw scenario" />Scenario (plan)</span>
      <span><i className="sw samples" />Sample mean ± 1 SD</span>
      <span><i className="mk diamond" />Transfer weighing</span>
      <span><i className="mk square" />Weighing</span>
      <span><i className="mk triangle" />Manual weight</span>
      {drill === 'all' && <span>thin lines: one per container ({data.containers.length})</span>}
    </div>
  );
}

function Panels({ view, data, width, x0, x1, drill }: { view: BatchView; data: ChartData; width: number; x0: number; x1: number; drill: string }) {
  const a = view.analysis, o = view.outputs;
  const single = drill !== 'batch' && drill !== 'all' ? drill : null;
  const cols = width > 900 ? 3 : 2;
  const w = Math.floor((width - (cols - 1) * 12) / cols);
  const panels = useMemo(() => {
    // One container drilled down: its own population and biomass (the batch plan does not apply to one pen).
    const own = single ? a.assignments.find((x) => x.assignment_id === single) : undefined;
    const rows = (own ? own.states : a.actual.rows) as { date?: string; week_start?: string; population: number; biomass_kg: number }[];
    const plan = own ? [] : o.scenario;
    const ahead = own ? (o.forecast?.assignments.find((x) => x.assignment_id === single)?.states ?? []) : (o.forecast?.batch.states ?? []);
    const at = (r: { date?: string; week_start?: string }) => dateMs(r.date ?? r.week_start!);
    const pop: PanelSeries[] = [
      { label: 'Actual', pts: rows.map((r) => [at(r), r.population / 1000]), color: COLORS.actual, kind: 'line' },
      { label: 'Scenario', pts: plan.map((r) => [dateMs(r.date), r.population / 1000]), color: COLORS.scenario, kind: 'line' },
      { label: 'Forecast', pts: ahead.map((r) => [dateMs(r.date), r.population / 1000]), color: COLORS.forecast, kind: 'dashed' },
    ];
    const maxBio = Math.max(0, ...rows.map((r) => r.biomass_kg), ...plan.map((r) => r.biomass_kg));
    // tonnes from 1 t, as the header writes biomass (fmtMass)
    const bioDiv = maxBio >= 1000 ? 1000 : 1;
    const bio: PanelSeries[] = [
      { label: 'Actual', pts: rows.map((r) => [at(r), r.biomass_kg / bioDiv]), color: COLORS.actual, kind: 'line' },
      { label: 'Scenario', pts: plan.map((r) => [dateMs(r.date), r.biomass_kg / bioDiv]), color: COLORS.scenario, kind: 'line' },
      { label: 'Forecast', pts: ahead.map((r) => [dateMs(r.date), r.biomass_kg / bioDiv]), color: COLORS.forecast, kind: 'dashed' },
    ];
    // temperature: biomass-weighted over containers, split by source (measured vs filled in) against the profile
    const { measured, filled } = temperatureOf(data.statesBy);
    const temp: PanelSeries[] = [
      { label: 'Measured', pts: measured, color: '#c4661f', kind: 'markers' },
      { label: 'Interpolated / profile', pts: filled, color: '#e3b58f', kind: 'markers' },
      { label: 'Profile (scenario)', pts: o.scenario.map((r) => [dateMs(r.date), r.temp_c]), color: COLORS.scenario, kind: 'line' },
    ];
    const span = o.fcr.filter((r) => r.window === 'span' && r.fcr !== null && (single ?? r.assignment_id) === r.assignment_id);
    // 30-day FCR of the fish shown (the batch, or the one pen): feed over growth of the last 30 days
    // (by ISO weeks when the chart shows weeks: the last four)
    const byWeek = !own && a.actual.granularity === 'weekly';
    const fcrRows = own ? own.states : a.actual.granularity === 'daily' ? a.actual.rows : a.actual.rows.map((w) => ({ date: w.week_end, feed_kg: w.feed_kg, growth_kg: w.growth_kg }));
    const fcr: PanelSeries[] = [
      { label: 'Span FCR (per container)', pts: span.map((r) => [dateMs(r.to), r.fcr!]), color: '#12807a', kind: 'bars' },
      { label: byWeek ? '4-week FCR' : '30-day FCR', pts: rollingFcr(fcrRows, byWeek ? 4 : 30), color: '#7b3fa0', kind: 'line' },
    ];
    const resid: PanelSeries[] = [{ label: 'Measured − model at anchors', pts: o.anchors.filter((r) => (single ?? r.assignment_id) === r.assignment_id).map((r) => [dateMs(r.date), r.residual_pct]), color: '#7b3fa0', kind: 'markers' }];
    const kf: PanelSeries[] = [{ label: 'Samples', pts: a.samples.filter((s) => s.condition_factor !== null && (single ?? s.assignment_id) === s.assignment_id).map((s) => [dateMs(s.date), s.condition_factor!]), color: COLORS.samples, kind: 'markers' }];
    const fcrHidden = span.filter((r) => r.fcr! > 3).length;
    return { pop, bio, bioUnit: bioDiv === 1000 ? 't' : 'kg', temp, fcr, resid, kf, fcrHidden };
  }, [a, o, data, single]);
  return (
    <div className="panels" style={{ gridTemplateColumns: `repeat(${cols}, ${w}px)` }}>
      <SmallChart title="Population" unit="thousand fish" series={panels.pop} width={w} x0={x0} x1={x1} testId="panel-population" />
      <SmallChart title="Biomass" unit={panels.bioUnit} series={panels.bio} width={w} x0={x0} x1={x1} testId="panel-biomass" />
      <SmallChart title="Temperature" unit="°C" minSpan={4} series={panels.temp} width={w} x0={x0} x1={x1} testId="panel-temperature" />
      <SmallChart title="FCR windows" unit="kg feed / kg growth" series={panels.fcr} width={w} x0={x0} x1={x1} testId="panel-fcr" yCap={3} note={panels.fcrHidden ? `${panels.fcrHidden} short windows above 3 not shown` : undefined} />
      <SmallChart title="Residuals at anchors" unit="% of model" series={panels.resid} width={w} x0={x0} x1={x1} zero testId="panel-residuals" />
      <SmallChart title="Condition factor K" unit="100·g/cm³" series={panels.kf} width={w} x0={x0} x1={x1} testId="panel-k" />
    </div>
  );
}

/**
 * FCR over the last `days` days at each day: Σ feed / Σ growth of the window (the biomass-weighted
 * ratio, not a mean of per-pen ratios); none while the window has no growth.
 */
export function rollingFcr(rows: readonly { date: string; feed_kg: number; growth_kg: number }[], days: number): [number, number][] {
  const out: [number, number][] = [];
  let feed = 0, growth = 0;
  for (let i = 0; i < rows.length; i++) {
    feed += rows[i]!.feed_kg; growth += rows[i]!.growth_kg;
    if (i >= days) { feed -= rows[i - days]!.feed_kg; growth -= rows[i - days]!.growth_kg; }
    if (i >= days - 1 && growth > 0 && feed > 0) out.push([dateMs(rows[i]!.date), feed / growth]);
  }
  return out;
}

/** Biomass-weighted temperature per day, split by source; kept with the per-date index it reads. */
const TEMPS = new WeakMap<Map<string, StateDto[]>, { measured: [number, number][]; filled: [number, number][] }>();
function temperatureOf(statesBy: Map<string, StateDto[]>): { measured: [number, number][]; filled: [number, number][] } {
  let r = TEMPS.get(statesBy);
  if (!r) {
    const measured: [number, number][] = [], filled: [number, number][] = [];
    for (const [date, states] of [...statesBy.entries()].sort((p, q) => (p[0] < q[0] ? -1 : 1))) {
      const wsum = states.reduce((s, st) => s + Math.max(st.biomass_kg, 1e-9), 0);
      const t = states.reduce((s, st) => s + st.temp_c * Math.max(st.biomass_kg, 1e-9), 0) / wsum;
      const m = states.filter((st) => st.sources.temp === 'measured').length >= states.length / 2;
      (m ? measured : filled).push([dateMs(date), t]);
    }
    r = { measured, filled };
    TEMPS.set(statesBy, r);
  }
  return r;
}
