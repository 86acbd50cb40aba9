/**
 * The Growth Analysis chart: Samples (mean ± 1 SD), Scenario, Actual, Forecast (dashed), anchors,
 * and every container as a line when drilled down. Each series is one <path>; hovering re-renders
 * only the crosshair and the tooltip.
 */
import { AxisBottom, AxisLeft } from '@visx/axis';
import { Brush } from '@visx/brush';
import { localPoint } from '@visx/event';
import { GridRows } from '@visx/grid';
import { Group } from '@visx/group';
import { scaleLinear, scaleLog, scaleUtc } from '@visx/scale';
import { TooltipWithBounds } from '@visx/tooltip';
import { memo, useCallback, useLayoutEffect, useMemo, useState } from 'react';
import { createPortal } from 'react-dom';
import type { AnchorType } from '../api/outputs';
import { daysBetween, fmtConf, fmtDate, fmtMonth, fmtWeight, msDate, trim } from '../format';
import type { SeriesKey } from '../store';
import { ANCHOR_LABEL, ANCHOR_TYPES, provenance, type ChartData, type ContainerLine } from './data';
import { linePath, markerPath, whiskerPath, type Pt } from './paths';
import { markNextFrame, perf, perfMark } from '../perf';

export const COLORS = {
  actual: '#1b4f8a', scenario: '#7d8590', forecast: '#1b4f8a', samples: '#c4661f',
  anchor: { growth_sample: '#c4661f', transfer: '#7b3fa0', weighing: '#12807a', manual: '#222', harvest: '#b3261e' } as Record<AnchorType, string>,
};
const CONTAINER_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#8cd17d', '#499894', '#d37295'];
const ANCHOR_SHAPE: Record<AnchorType, 'diamond' | 'square' | 'triangle' | 'circle'> = {
  growth_sample: 'circle', transfer: 'diamond', weighing: 'square', manual: 'triangle', harvest: 'square',
};
const M = { top: 12, right: 16, bottom: 34, left: 64 };
const DAY = 86_400_000;

export interface GrowthChartProps {
  data: ChartData;
  width: number;
  height: number;
  series: Record<SeriesKey, boolean>;
  logScale: boolean;
  range: [string, string] | null;
  containerName: (id: string) => string;
  highlight?: string | null;
}

function niceLogTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) { const v = m * 10 ** e; if (v >= min * 0.999 && v <= max * 1.001) out.push(v); }
  }
  return out;
}

/** Axis units: g or kg as fits; a log axis spanning both carries the unit on each tick. */
export function weightAxis(min: number, max: number): { label: string; fmt: (g: number) => string } {
  if (min >= 1000) return { label: 'Average weight (kg)', fmt: (g) => trim(g / 1000, 2) };
  if (max < 2000) return { label: 'Average weight (g)', fmt: (g) => trim(g, g < 1 ? 3 : g < 10 ? 1 : 0) };
  return { label: 'Average weight', fmt: (g) => (g >= 1000 ? `${trim(g / 1000, 1)} kg` : `${trim(g, g < 1 ? 3 : 1)} g`) };
}

export function GrowthChart(p: GrowthChartProps) {
  const { data, width, height, series, logScale, range } = p;
  const innerW = Math.max(50, width - M.left - M.right);
  const innerH = Math.max(50, height - M.top - M.bottom);
  const [x0, x1] = range ? [Date.parse(range[0]), Date.parse(range[1])] : [data.xMin, data.xMax];

  const yDomain = useMemo(() => {
    let lo = Infinity, hi = -Infinity;
    const see = (pts: readonly Pt[]) => { for (const [a, b] of pts) if (a >= x0 && a <= x1 && b > 0) { if (b < lo) lo = b; if (b > hi) hi = b; } };
    if (series.actual) see(data.actual);
    if (series.scenario) see(data.scenario);
    if (series.forecast) see(data.forecast);
    for (const c of data.containers) see(c.pts);
    if (series.samples) for (const s of data.samples) if (s.x >= x0 && s.x <= x1) { lo = Math.min(lo, s.lo); hi = Math.max(hi, s.hi); }
    if (!Number.isFinite(lo)) { lo = 0.1; hi = 10; }
    return logScale ? [lo * 0.8, hi * 1.25] : [0, hi * 1.06];
  }, [data, series, logScale, x0, x1]);

  const xScale = useMemo(() => scaleUtc({ domain: [new Date(x0), new Date(x1)], range: [0, innerW] }), [x0, x1, innerW]);
  const yScale = useMemo(
    () => (logScale ? scaleLog({ domain: yDomain, range: [innerH, 0] }) : scaleLinear({ domain: yDomain, range: [innerH, 0], nice: true })),
    [logScale, yDomain, innerH],
  );
  const axis = logScale ? weightAxis(yDomain[0]!, yDomain[1]!) : weightAxis(yDomain[1]! >= 2000 ? 1000 : 0, yDomain[1]!);
  const yTicks = logScale ? niceLogTicks(yDomain[0]!, yDomain[1]!) : (yScale as ReturnType<typeof scaleLinear<number>>).ticks(6);
  const x = useCallback((v: number) => xScale(v), [xScale]);
  const y = useCallback((v: number) => yScale(v) ?? NaN, [yScale]);

  const [tipEl, setTipEl] = useState<HTMLDivElement | null>(null);
  return (
    <div className="chart-wrap" style={{ width, height }}>
      <div className="tip-layer" ref={setTipEl} />
      <svg width={width} height={height} role="img" aria-label="Growth chart: average weight over time" data-testid="growth-chart">
        <defs>
          <clipPath id="plot-clip"><rect x={0} y={-4} width={innerW} height={innerH + 8} /></clipPath>
        </defs>
        <Group left={M.left} top={M.top}>
          <GridRows scale={yScale} width={innerW} tickValues={yTicks} stroke="#e5e8ec" />
          <Series data={data} series={series} x={x} y={y} scaleKey={`${x0}|${x1}|${innerW}|${yDomain.join(',')}|${innerH}|${logScale}`} containerName={p.containerName} highlight={p.highlight ?? null} />
          <AxisLeft
            scale={yScale} tickValues={yTicks} tickFormat={(v) => axis.fmt(Number(v))} label={axis.label}
            labelProps={{ fontSize: 12, fill: '#333', textAnchor: 'middle' }} labelOffset={48} stroke="#9aa0a6" tickStroke="#9aa0a6"
            tickLabelProps={{ fontSize: 11, fill: '#444' }}
          />
          <AxisBottom
            top={innerH} scale={xScale} numTicks={Math.max(2, Math.floor(innerW / 90))} stroke="#9aa0a6" tickStroke="#9aa0a6"
            tickFormat={(v) => { const ms = +(v as Date); return (x1 - x0) < 120 * DAY ? fmtDate(msDate(ms)).replace(/ \d{4}$/, '') : fmtMonth(ms); }}
            tickLabelProps={{ fontSize: 11, fill: '#444' }}
          />
          <HoverLayer data={data} width={innerW} height={innerH} xScale={xScale} y={y} series={series} unitFmt={(g) => fmtWeight(g)} x0={x0} x1={x1} tipEl={tipEl} />
        </Group>
      </svg>
    </div>
  );
}

type Scale = (v: number) => number;

/** A container's drawn path, kept with its line while the scales stay the same (a reload of the batch line keeps the lines). */
const PATHS = new WeakMap<ContainerLine, { key: string; d: string }>();
function containerPath(c: ContainerLine, x: Scale, y: Scale, key: string): string {
  const kept = PATHS.get(c);
  if (kept && kept.key === key) return kept.d;
  const d = linePath(c.pts, x, y);
  PATHS.set(c, { key, d });
  return d;
}

const Series = memo(function Series({ data, series, x, y, scaleKey, containerName, highlight }: {
  data: ChartData; series: Record<SeriesKey, boolean>; x: Scale; y: Scale; scaleKey: string; containerName: (id: string) => string; highlight: string | null;
}) {
  const many = data.containers.length > 0;
  useLayoutEffect(() => {
    // for the benchmark: what was drawn, and the frame that shows it
    let points = data.actual.length + data.scenario.length + data.forecast.length;
    for (const c of data.containers) points += c.pts.length;
    perf.chart = { lines: data.containers.length + 3, points, withContainers: many };
    perfMark('chart-commit');
    markNextFrame(many ? 'chart-frame:containers' : 'chart-frame', (t) => { if (perf.t['first-chart-frame'] === undefined) perfMark('first-chart-frame', t); });
  });
  return (
    <g clipPath="url(#plot-clip)">
      {data.containers.map((c, i) => (
        <path key={c.assignmentId} d={containerPath(c, x, y, scaleKey)} fill="none" stroke={CONTAINER_COLORS[i % CONTAINER_COLORS.length]}
          strokeWidth={highlight === c.assignmentId ? 2.5 : 1.2} strokeOpacity={highlight && highlight !== c.assignmentId ? 0.25 : 0.85}
          data-series="container" data-container={c.containerId}><title>{containerName(c.containerId)}</title></path>
      ))}
      {series.scenario && <path d={linePath(data.scenario, x, y)} fill="none" stroke={COLORS.scenario} strokeWidth={1.5} strokeDasharray="1 0" data-series="scenario" />}
      {series.forecast && <path d={linePath(data.forecast, x, y)} fill="none" stroke={COLORS.forecast} strokeWidth={2} strokeDasharray="6 4" data-series="forecast" />}
      {series.actual && <path d={linePath(data.actual, x, y)} fill="none" stroke={COLORS.actual} strokeWidth={many ? 2.8 : 2.2} data-series="actual" />}
      {series.samples && (
        <>
          <path d={whiskerPath(data.samples.map((s) => ({ x: s.x, lo: s.lo, hi: s.hi })), x, y)} stroke={COLORS.samples} strokeWidth={1} fill="none" data-series="samples-sd" />
          <path d={markerPath(data.samples.map((s) => [s.x, s.mean] as Pt), x, y, 'circle', 2.6)} fill="#fff" stroke={COLORS.samples} strokeWidth={1.3} data-series="samples" />
        </>
      )}
      {series.anchors && ANCHOR_TYPES.filter((t) => t !== 'growth_sample' || !series.samples).map((t) => data.anchors[t].length > 0 && (
        <path key={t} d={markerPath(data.anchors[t], x, y, ANCHOR_SHAPE[t], 3.5)} fill={COLORS.anchor[t]} fillOpacity={0.9} stroke="#fff" strokeWidth={0.8} data-series={`anchor-${t}`} />
      ))}
    </g>
  );
});

interface Hover { date: string; px: number; left: number; top: number }

function HoverLayer({ data, width, height, xScale, y, series, unitFmt, x0, x1, tipEl }: {
  data: ChartData; width: number; height: number; xScale: { invert(v: number): Date; (v: number): number }; y: Scale;
  series: Record<SeriesKey, boolean>; unitFmt: (g: number) => string; x0: number; x1: number; tipEl: HTMLDivElement | null;
}) {
  const [hover, setHover] = useState<Hover | null>(null);
  const onMove = (e: React.PointerEvent<SVGRectElement>) => {
    const pt = localPoint(e);
    if (!pt) return;
    const px = pt.x - M.left;
    const ms = Math.round(+xScale.invert(px) / DAY) * DAY;
    if (ms < x0 || ms > x1) { setHover(null); return; }
    setHover({ date: msDate(ms), px: xScale(ms), left: pt.x, top: pt.y });
  };
  const info = hover ? dayInfo(data, hover.date, series) : null;
  useLayoutEffect(() => { if (hover) { perfMark('tooltip-commit'); markNextFrame('tooltip-frame'); } }, [hover]);
  return (
    <>
      {hover && info && (
        <g pointerEvents="none">
          <line x1={hover.px} x2={hover.px} y1={0} y2={height} stroke="#555" strokeDasharray="2 3" />
          {info.actual !== undefined && <circle cx={hover.px} cy={y(info.actual)} r={4} fill={COLORS.actual} stroke="#fff" />}
        </g>
      )}
      <rect width={width} height={height} fill="transparent" onPointerMove={onMove} onPointerLeave={() => setHover(null)} data-testid="chart-hover" />
      {hover && info && tipEl && createPortal(
          <TooltipWithBounds left={hover.left + 14} top={hover.top + 10} className="tooltip" unstyled applyPositionStyle>
            <div data-testid="tooltip">
              <div className="tt-head"><strong>{fmtDate(hover.date)}</strong> · day {info.day}</div>
              <table><tbody>
                {info.actual !== undefined && <tr><td><i className="sw actual" />Actual{data.weekly ? ' (week)' : ''}</td><td>{unitFmt(info.actual)}</td></tr>}
                {info.scenario !== undefined && <tr><td><i className="sw scenario" />Scenario</td><td>{unitFmt(info.scenario)}</td></tr>}
                {info.forecast !== undefined && <tr><td><i className="sw forecast" />Forecast</td><td>{unitFmt(info.forecast)}</td></tr>}
                {info.samples.map((s) => (
                  <tr key={s.id}><td><i className="sw samples" />Sample{s.informational ? ' (info)' : ''}</td>
                    <td>{s.avg_weight_g !== null ? unitFmt(s.avg_weight_g) : '—'}{s.std_dev_g !== null ? ` ± ${unitFmt(s.std_dev_g)}` : ''}{s.sample_size ? `, n = ${s.sample_size}` : ''}{s.condition_factor !== null ? `, K ${trim(s.condition_factor, 2)}` : ''}</td></tr>
                ))}
              </tbody></table>
              {info.anchors.map((a, i) => (
                <div key={i} className="tt-anchor">Anchor: {ANCHOR_LABEL[a.type] ?? a.type}: {unitFmt(a.measured_g)} (model {unitFmt(a.modeled_g)}, {a.residual_pct >= 0 ? '+' : ''}{trim(a.residual_pct, 1)} %)</div>
              ))}
              {info.prov.length > 0 && (
                <table className="prov"><tbody>
                  {info.prov.map((r) => <tr key={r.source}><td>{r.source}</td><td>{r.kind}</td><td>{fmtConf(r.confidence)}</td></tr>)}
                </tbody></table>
              )}
            </div>
          </TooltipWithBounds>, tipEl,
      )}
    </>
  );
}

export function dayInfo(data: ChartData, date: string, series: Record<SeriesKey, boolean>) {
  return {
    day: daysBetween(data.startDate, date) + 1,
    actual: series.actual ? data.actualBy.get(date) : undefined,
    scenario: series.scenario ? data.scenarioBy.get(date) : undefined,
    forecast: series.forecast ? data.forecastBy.get(date) : undefined,
    samples: series.samples ? data.samplesBy.get(date) ?? [] : [],
    anchors: series.anchors ? data.anchorsBy.get(date) ?? [] : [],
    prov: provenance(data.statesBy.get(date)),
  };
}

/** A thin overview of the whole life with a brush to choose the date range. */
export function RangeBrush({ data, width, onRange, resetKey }: { data: ChartData; width: number; onRange: (r: [string, string] | null) => void; resetKey: number }) {
  const h = 54;
  const innerW = Math.max(50, width - M.left - M.right);
  const xScale = useMemo(() => scaleUtc({ domain: [new Date(data.xMin), new Date(data.xMax)], range: [0, innerW] }), [data.xMin, data.xMax, innerW]);
  const yMax = Math.max(1, ...data.scenario.map((p) => p[1]), ...data.actual.map((p) => p[1]), ...data.forecast.map((p) => p[1]));
  const yScale = useMemo(() => scaleLog({ domain: [Math.max(0.05, Math.min(...data.actual.map((p) => p[1]), 1)), yMax], range: [h - 6, 4] }), [data, yMax]);
  const x = (v: number) => xScale(v);
  const y = (v: number) => yScale(v) ?? NaN;
  const onEnd = (b: { x0: number; x1: number } | null) => {
    if (!b || b.x1 - b.x0 < DAY) { onRange(null); return; }
    onRange([msDate(Math.round(b.x0 / DAY) * DAY), msDate(Math.round(b.x1 / DAY) * DAY)]);
  };
  return (
    <svg width={width} height={h + 18} className="brush" data-testid="range-brush" aria-label="Date range: drag to choose">
      <Group left={M.left}>
        <rect width={innerW} height={h} fill="#f6f7f9" stroke="#dde1e6" />
        <path d={linePath(data.scenario, x, y)} fill="none" stroke={COLORS.scenario} strokeWidth={1} />
        <path d={linePath(data.actual, x, y)} fill="none" stroke={COLORS.actual} strokeWidth={1.2} />
        <path d={linePath(data.forecast, x, y)} fill="none" stroke={COLORS.forecast} strokeWidth={1} strokeDasharray="4 3" />
        <Brush
          key={resetKey} xScale={xScale} yScale={yScale} width={innerW} height={h} handleSize={8} brushDirection="horizontal"
          resizeTriggerAreas={['left', 'right']} onBrushEnd={onEnd} disableDraggingSelection={false} useWindowMoveEvents
          selectedBoxStyle={{ fill: '#1b4f8a', fillOpacity: 0.12, stroke: '#1b4f8a', strokeWidth: 1, strokeOpacity: 0.6 }}
        />
        <AxisBottom top={h} scale={xScale} numTicks={Math.max(2, Math.floor(innerW / 110))} tickFormat={(v) => fmtMonth(+(v as Date))} stroke="#c0c4ca" tickStroke="#c0c4ca" tickLabelProps={{ fontSize: 10, fill: '#666' }} tickLength={3} />
      </Group>
    </svg>
  );
}
